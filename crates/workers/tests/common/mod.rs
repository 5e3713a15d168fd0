//! The world the engine and inbox tests share: an organization with an active email
//! cadence, a sender with a mailbox, and a manual clock.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::{DateTime, Utc};
use flux_app::{channel::Channels, clock::ManualClock, tracking::TrackingLinks};
use flux_domain::Channel;
use flux_integrations::smtp::HostPolicy;
use flux_persistence::mailboxes::{sealing_context, Credential};
use flux_persistence::{organizations, users, Db};
use flux_platform::SecretsKey;
use flux_testkit::{imap_inbox::ImapInbox, smtp_sink::SmtpSink, TestDatabase};
use flux_workers::{
    engine::{memory::MemoryChannel, smtp::SmtpChannel, Engine},
    inbox::InboxPoller,
};
use uuid::Uuid;

/// Monday 2026-11-23, 10:00 in São Paulo: a working day, inside the default window.
/// The key mailbox passwords are sealed with in these tests.
pub fn secrets_key() -> SecretsKey {
    SecretsKey::from_bytes([9; 32])
}

pub fn monday_10am() -> DateTime<Utc> {
    "2026-11-23T13:00:00Z".parse().unwrap()
}

pub struct World {
    pub _test_db: TestDatabase,
    pub db: Db,
    pub org: Uuid,
    pub sender: Uuid,
    pub cadence: Uuid,
    pub steps: Vec<Uuid>,
    pub clock: Arc<ManualClock>,
    pub channel: MemoryChannel,
}

pub const SUBJECT: &str = "{{nome_fantasia|razao_social}} + Flux";
pub const BODY: &str = "{{saudacao}}, {{contato_primeiro_nome|\"pessoal\"}}! Sou {{sdr_nome}}.";

impl World {
    /// An organization with an active cadence of email steps (delays in days), a
    /// sender with a mailbox (no spacing, a high cap), and a clock at Monday 10:00.
    pub async fn new(delays: &[i32]) -> Self {
        Self::with(delays, SUBJECT, BODY, MemoryChannel::default()).await
    }

    pub async fn with(delays: &[i32], subject: &str, body: &str, channel: MemoryChannel) -> Self {
        let test_db = TestDatabase::create().await;
        let db = Db::from_pool(test_db.pool().await);
        let mut tx = db.begin_system().await.unwrap();
        let user = users::insert(&mut tx, "Ana Souza", "ana@acme.com.br", "h")
            .await
            .unwrap();
        let org = organizations::create_with_owner(&mut tx, "Acme", "acme", user.id)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let pool = db.pool();
        // Created a week before the clock's Monday, as it would be: the inbox reads
        // from a mailbox's creation, and the calendar has long passed that Monday.
        sqlx::query(
            "INSERT INTO mailboxes (org_id, user_id, from_name, from_email, smtp_host, smtp_port,
                                    smtp_username, smtp_password_enc, daily_limit, min_interval_seconds,
                                    created_at)
             VALUES ($1, $2, 'Ana Souza', 'ana@acme.com.br', 'smtp.acme.com.br', 587, 'ana', '\\x00',
                     1000, 0, $3)",
        )
        .bind(org.id)
        .bind(user.id)
        .bind(monday_10am() - chrono::Duration::days(7))
        .execute(pool)
        .await
        .unwrap();
        let template: Uuid = sqlx::query_scalar(
            "INSERT INTO message_templates (org_id, name, channel, subject, body)
             VALUES ($1, 'Teste', 'email', $2, $3) RETURNING id",
        )
        .bind(org.id)
        .bind(subject)
        .bind(body)
        .fetch_one(pool)
        .await
        .unwrap();
        let cadence: Uuid = sqlx::query_scalar(
            "INSERT INTO cadences (org_id, name, status, activated_at)
             VALUES ($1, 'Outbound', 'active', now()) RETURNING id",
        )
        .bind(org.id)
        .fetch_one(pool)
        .await
        .unwrap();
        let mut steps = Vec::new();
        for (i, days) in delays.iter().enumerate() {
            steps.push(
                sqlx::query_scalar(
                    "INSERT INTO cadence_steps (org_id, cadence_id, position, channel, template_id,
                                                delay_days)
                     VALUES ($1, $2, $3, 'email', $4, $5) RETURNING id",
                )
                .bind(org.id)
                .bind(cadence)
                .bind(i as i32 + 1)
                .bind(template)
                .bind(days)
                .fetch_one(pool)
                .await
                .unwrap(),
            );
        }
        Self {
            _test_db: test_db,
            db,
            org: org.id,
            sender: user.id,
            cadence,
            steps,
            clock: Arc::new(ManualClock::new(monday_10am())),
            channel,
        }
    }

    /// The engine with the real SMTP channel, the sender's mailbox pointed at `sink`
    /// with the password sealed as the API seals it.
    pub async fn smtp_engine(&self, sink: &SmtpSink, password: &str) -> Engine {
        let key = secrets_key();
        let sealed = key.seal(
            password.as_bytes(),
            &sealing_context(self.org, Credential::Smtp),
        );
        sqlx::query(
            "UPDATE mailboxes SET smtp_host = $1, smtp_port = $2, smtp_security = 'none',
                                  smtp_password_enc = $3",
        )
        .bind(sink.host())
        .bind(i32::from(sink.port()))
        .bind(sealed)
        .execute(self.db.pool())
        .await
        .unwrap();
        let links = TrackingLinks::new(key.clone(), &"http://flux.test".parse().unwrap());
        // The SMTP sink is on loopback.
        let smtp = SmtpChannel::new(key, links)
            .with_timeout(std::time::Duration::from_secs(5))
            .with_hosts(HostPolicy::AllowPrivate);
        Engine::new(
            self.db.clone(),
            Channels::default().with(Channel::Email, Arc::new(smtp)),
        )
        .with_clock(self.clock.clone())
    }

    /// Turns reply reading on for the sender's mailbox, pointed at `inbox`.
    pub async fn enable_imap(&self, inbox: &ImapInbox, password: &str) {
        let sealed = secrets_key().seal(
            password.as_bytes(),
            &sealing_context(self.org, Credential::Imap),
        );
        sqlx::query(
            "UPDATE mailboxes SET imap_enabled = true, imap_host = $1, imap_port = $2,
                                  imap_security = 'none', imap_username = 'ana',
                                  imap_password_enc = $3
             WHERE org_id = $4",
        )
        .bind(inbox.host())
        .bind(i32::from(inbox.port()))
        .bind(sealed)
        .bind(self.org)
        .execute(self.db.pool())
        .await
        .unwrap();
    }

    /// The inbox poller on this world's clock.
    pub fn poller(&self) -> InboxPoller {
        // The fake IMAP server is on loopback.
        InboxPoller::new(self.db.clone(), secrets_key())
            .with_clock(self.clock.clone())
            .with_hosts(HostPolicy::AllowPrivate)
    }

    pub async fn send_row(&self, enrollment: Uuid) -> (String, Option<String>) {
        sqlx::query_as("SELECT message_id, provider_id FROM step_sends WHERE enrollment_id = $1")
            .bind(enrollment)
            .fetch_one(self.db.pool())
            .await
            .unwrap()
    }

    pub fn engine(&self) -> Engine {
        Engine::new(
            self.db.clone(),
            Channels::default().with(Channel::Email, Arc::new(self.channel.clone())),
        )
        .with_clock(self.clock.clone())
    }

    /// A lead enrolled and due now. `uf`/`email` as given.
    pub async fn enroll(&self, name: &str, uf: &str, email: Option<&str>) -> (Uuid, Uuid) {
        let cnpj = format!("{:014}", Uuid::new_v4().as_u128() % 100_000_000_000_000);
        let lead: Uuid = sqlx::query_scalar(
            "INSERT INTO leads (org_id, cnpj, razao_social, uf, email, contact_name)
             VALUES ($1, $2, $3, $4, $5, 'JOÃO DA SILVA') RETURNING id",
        )
        .bind(self.org)
        .bind(cnpj)
        .bind(name)
        .bind(uf)
        .bind(email)
        .fetch_one(self.db.pool())
        .await
        .unwrap();
        let enrollment: Uuid = sqlx::query_scalar(
            "INSERT INTO cadence_enrollments (org_id, cadence_id, lead_id, sender_id, next_step_id,
                                              next_step_due, last_step_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(self.org)
        .bind(self.cadence)
        .bind(lead)
        .bind(self.sender)
        .bind(self.steps[0])
        .bind(self.clock_now())
        .fetch_one(self.db.pool())
        .await
        .unwrap();
        (lead, enrollment)
    }

    /// `n` leads in SP ("EMPRESA i LTDA", c{i}@x.com.br) enrolled and due now; their
    /// enrollments.
    pub async fn enroll_many(&self, n: usize) -> Vec<Uuid> {
        let mut ids = Vec::new();
        for i in 0..n {
            let email = format!("c{i}@x.com.br");
            ids.push(
                self.enroll(&format!("EMPRESA {i} LTDA"), "SP", Some(&email))
                    .await
                    .1,
            );
        }
        ids
    }

    pub fn clock_now(&self) -> DateTime<Utc> {
        use flux_app::clock::Clock;
        self.clock.now()
    }

    pub async fn enrollment(&self, id: Uuid) -> EnrollmentState {
        sqlx::query_as(
            "SELECT status::text AS status, pause_reason, status_detail AS detail,
                    next_step_id AS next_step, next_step_due AS due, steps_sent
             FROM cadence_enrollments WHERE id = $1",
        )
        .bind(id)
        .fetch_one(self.db.pool())
        .await
        .unwrap()
    }

    pub async fn interactions(&self, enrollment: Uuid, kind: &str) -> i64 {
        sqlx::query_scalar(
            "SELECT count(*) FROM interactions WHERE enrollment_id = $1 AND type::text = $2",
        )
        .bind(enrollment)
        .bind(kind)
        .fetch_one(self.db.pool())
        .await
        .unwrap()
    }

    pub async fn send_states(&self, enrollment: Uuid) -> Vec<String> {
        sqlx::query_scalar(
            "SELECT state::text FROM step_sends WHERE enrollment_id = $1 ORDER BY created_at",
        )
        .bind(enrollment)
        .fetch_all(self.db.pool())
        .await
        .unwrap()
    }

    pub async fn sql(&self, statement: &str) {
        sqlx::query(statement)
            .execute(self.db.pool())
            .await
            .unwrap();
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct EnrollmentState {
    pub status: String,
    pub pause_reason: Option<String>,
    pub detail: Option<String>,
    pub next_step: Option<Uuid>,
    pub due: Option<DateTime<Utc>>,
    pub steps_sent: i32,
}
