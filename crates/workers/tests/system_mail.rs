#![allow(clippy::unwrap_used)]

use std::sync::Mutex;

use async_trait::async_trait;
use flux_integrations::mail::{Email, MailError, Mailer};
use flux_persistence::{system_mail, Db};
use flux_testkit::TestDatabase;
use flux_workers::system_mail::dispatch_once;

/// Records deliveries; fails the first `fail_first` sends, like a flaky SMTP relay.
struct RecordingMailer {
    sent: Mutex<Vec<Email>>,
    fail_first: Mutex<usize>,
}

#[async_trait]
impl Mailer for RecordingMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        let mut fail = self.fail_first.lock().unwrap();
        if *fail > 0 {
            *fail -= 1;
            return Err(MailError::Smtp("421 try again later".into()));
        }
        self.sent.lock().unwrap().push(email.clone());
        Ok(())
    }
}

async fn enqueue(db: &Db, to: &str) {
    let mut conn = db.pool().acquire().await.unwrap();
    system_mail::enqueue_system(
        &mut conn,
        None,
        system_mail::OutgoingEmail {
            kind: "test",
            to: to.into(),
            subject: "Olá".into(),
            body_text: "corpo".into(),
        },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn delivers_each_message_once() {
    let test_db = TestDatabase::create().await;
    let db = Db::from_pool(test_db.pool().await);
    enqueue(&db, "a@x.com").await;
    enqueue(&db, "b@x.com").await;
    let mailer = RecordingMailer {
        sent: Mutex::new(vec![]),
        fail_first: Mutex::new(0),
    };
    assert_eq!(dispatch_once(&db, &mailer).await.unwrap(), 2);
    assert_eq!(
        dispatch_once(&db, &mailer).await.unwrap(),
        0,
        "nothing is sent twice"
    );
    assert_eq!(mailer.sent.lock().unwrap().len(), 2);
    let bodies: Vec<String> =
        sqlx::query_scalar("SELECT body_text FROM email_outbox WHERE status = 'sent'")
            .fetch_all(db.pool())
            .await
            .unwrap();
    assert_eq!(bodies, ["", ""], "one-time links do not outlive delivery");
}

#[tokio::test]
async fn failed_delivery_is_kept_and_retried_later() {
    let test_db = TestDatabase::create().await;
    let db = Db::from_pool(test_db.pool().await);
    enqueue(&db, "a@x.com").await;
    let mailer = RecordingMailer {
        sent: Mutex::new(vec![]),
        fail_first: Mutex::new(1),
    };
    assert_eq!(dispatch_once(&db, &mailer).await.unwrap(), 0);
    let (status, attempts, error): (String, i32, Option<String>) =
        sqlx::query_as("SELECT status::text, attempts, last_error FROM email_outbox")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!((status.as_str(), attempts), ("pending", 1));
    assert!(error.unwrap().contains("421"));
    // Make the retry due now instead of waiting for the backoff.
    sqlx::query("UPDATE email_outbox SET next_attempt_at = now()")
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(dispatch_once(&db, &mailer).await.unwrap(), 1);
    assert_eq!(mailer.sent.lock().unwrap()[0].to, "a@x.com");
}
