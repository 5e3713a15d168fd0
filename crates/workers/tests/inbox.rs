//! The inbox poller against a real database and a local IMAP server: replies and
//! bounces to cadence messages end their enrollments and show on the timeline,
//! once each; automatic answers and strangers' mail change nothing; sync health is
//! kept per mailbox; another organization's messages are never matched.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Duration;
use common::World;
use flux_app::clock::Clock;
use flux_persistence::{organizations, users};
use flux_testkit::imap_inbox::ImapInbox;
use flux_workers::inbox::InboxConfig;
use uuid::Uuid;

/// The day the world's clock starts (IMAP arrival dates are days).
const MONDAY: (i32, u32, u32) = (2026, 11, 23);

fn reply_to(message_id: &str, extra_headers: &str, body: &str) -> String {
    format!(
        "From: João <joao@padaria.com.br>\r\nTo: ana@acme.com.br\r\n\
         Subject: Re: Padaria + Flux\r\nMessage-ID: <{}@padaria.com.br>\r\n\
         In-Reply-To: <{message_id}>\r\nReferences: <{message_id}>\r\n{extra_headers}\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        Uuid::new_v4().simple()
    )
}

fn bounce_of(message_id: &str, action: &str, status: &str) -> String {
    format!(
        "From: MAILER-DAEMON@mx.acme.com.br\r\nSubject: Undelivered Mail Returned to Sender\r\n\
         Message-ID: <{}@mx.acme.com.br>\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n\
         --B\r\nContent-Type: text/plain\r\n\r\nNot delivered.\r\n\
         --B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n\
         Final-Recipient: rfc822; compras@padaria.com.br\r\nAction: {action}\r\nStatus: {status}\r\n\
         Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n\
         --B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <{message_id}>\r\n\r\n--B--\r\n",
        Uuid::new_v4().simple()
    )
}

/// A world whose first step went out to one lead: the lead and its enrollment.
async fn first_step_sent() -> (World, Uuid, Uuid) {
    let w = World::new(&[0, 2]).await;
    let (lead, enrollment) = w
        .enroll(
            "PADARIA PAO QUENTE LTDA",
            "SP",
            Some("compras@padaria.com.br"),
        )
        .await;
    assert_eq!(w.engine().drain().await.unwrap().sent, 1);
    (w, lead, enrollment)
}

/// A world whose first step went out to one lead, with reply reading on.
async fn sent_world() -> (World, ImapInbox, Uuid, String) {
    let (w, _, enrollment) = first_step_sent().await;
    let (message_id, _) = w.send_row(enrollment).await;
    let inbox = ImapInbox::start("ana", "imap-senha").await;
    w.enable_imap(&inbox, "imap-senha").await;
    (w, inbox, enrollment, message_id)
}

async fn interaction_summaries(w: &World, enrollment: Uuid, kind: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT summary FROM interactions WHERE enrollment_id = $1 AND type::text = $2",
    )
    .bind(enrollment)
    .bind(kind)
    .fetch_all(w.db.pool())
    .await
    .unwrap()
}

#[derive(Debug, sqlx::FromRow)]
struct Sync {
    last_poll_ok_at: Option<chrono::DateTime<chrono::Utc>>,
    last_poll_error: Option<String>,
    imap_last_uid: Option<i64>,
    imap_uidvalidity: Option<i64>,
}

async fn sync(w: &World) -> Sync {
    sqlx::query_as(
        "SELECT last_poll_ok_at, last_poll_error, imap_last_uid, imap_uidvalidity FROM mailboxes",
    )
    .fetch_one(w.db.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn a_reply_ends_the_enrollment_once_and_automatic_answers_change_nothing() {
    let (w, inbox, enrollment, message_id) = sent_world().await;
    inbox.deliver_on(
        "From: news@loja.com.br\r\nSubject: Ofertas\r\nMessage-ID: <n1@loja.com.br>\r\n\r\nPromo\r\n",
        MONDAY,
    );
    inbox.deliver_on(
        reply_to(
            &message_id,
            "Auto-Submitted: auto-replied\r\n",
            "Estou de férias.",
        ),
        MONDAY,
    );
    let poller = w.poller();
    let report = poller.run_once().await.unwrap();
    assert_eq!((report.mailboxes, report.read, report.replies), (1, 2, 0));
    assert_eq!(
        w.enrollment(enrollment).await.status,
        "active",
        "out of office only"
    );

    let last = inbox.deliver_on(
        reply_to(
            &message_id,
            "",
            "Oi Ana,\r\n\r\nPode ligar amanhã.\r\n\r\nEm seg., 23 de nov. de 2026, Ana escreveu:\r\n> Bom dia",
        ),
        MONDAY,
    );
    w.clock.advance(Duration::minutes(3));
    let report = poller.run_once().await.unwrap();
    assert_eq!((report.read, report.replies, report.failed), (1, 1, 0));
    let e = w.enrollment(enrollment).await;
    assert_eq!((e.status.as_str(), e.due), ("replied", None));
    assert_eq!(
        interaction_summaries(&w, enrollment, "replied").await,
        ["Oi Ana,"]
    );
    let excerpt: String =
        sqlx::query_scalar("SELECT metadata->>'excerpt' FROM interactions WHERE type = 'replied'")
            .fetch_one(w.db.pool())
            .await
            .unwrap();
    assert_eq!(excerpt, "Oi Ana,\n\nPode ligar amanhã.");

    let state = sync(&w).await;
    assert_eq!(state.imap_last_uid, Some(i64::from(last)));
    assert_eq!(state.imap_uidvalidity, Some(1));
    assert!(state.last_poll_ok_at.is_some() && state.last_poll_error.is_none());
    assert!(
        !inbox.any_seen(),
        "nothing marked read in the member's inbox"
    );

    // The next step never goes out; polling again reads nothing new.
    w.clock.advance(Duration::days(3));
    assert_eq!(w.engine().drain().await.unwrap().sent, 0);
    let report = poller.run_once().await.unwrap();
    assert_eq!((report.mailboxes, report.read, report.replies), (1, 0, 0));
    assert_eq!(w.interactions(enrollment, "replied").await, 1);
}

#[tokio::test]
async fn a_hard_bounce_ends_the_enrollment_and_a_delay_notice_does_not() {
    let (w, inbox, enrollment, message_id) = sent_world().await;
    inbox.deliver_on(bounce_of(&message_id, "delayed", "4.4.1"), MONDAY);
    let poller = w.poller();
    assert_eq!(poller.run_once().await.unwrap().bounces, 0);
    assert_eq!(w.enrollment(enrollment).await.status, "active");

    inbox.deliver_on(bounce_of(&message_id, "failed", "5.1.1"), MONDAY);
    w.clock.advance(Duration::minutes(3));
    assert_eq!(poller.run_once().await.unwrap().bounces, 1);
    let e = w.enrollment(enrollment).await;
    assert_eq!(e.status, "bounced");
    assert!(
        e.detail
            .as_deref()
            .unwrap()
            .contains("550 5.1.1 User unknown"),
        "{:?}",
        e.detail
    );
    assert_eq!(
        interaction_summaries(&w, enrollment, "bounced").await,
        ["E-mail não entregue: 550 5.1.1 User unknown"]
    );
}

#[tokio::test]
async fn a_renumbered_folder_is_read_again_without_recording_anything_twice() {
    let (w, inbox, enrollment, message_id) = sent_world().await;
    inbox.deliver_on(reply_to(&message_id, "", "Tenho interesse."), MONDAY);
    let poller = w.poller();
    assert_eq!(poller.run_once().await.unwrap().replies, 1);
    inbox.renumber();
    w.clock.advance(Duration::minutes(3));
    let report = poller.run_once().await.unwrap();
    assert_eq!((report.read, report.replies), (1, 0));
    assert_eq!(w.interactions(enrollment, "replied").await, 1);
    assert_eq!(sync(&w).await.imap_uidvalidity, Some(2));
    let commands = inbox.commands();
    assert_eq!(
        commands
            .iter()
            .filter(|c| c.contains("SEARCH SINCE"))
            .count(),
        2,
        "a fresh sync reads by date, from the mailbox's first message: {commands:?}"
    );
}

#[tokio::test]
async fn a_failing_inbox_shows_why_until_a_poll_works_and_polls_wait_their_interval() {
    let (w, inbox, enrollment, message_id) = sent_world().await;
    inbox.refuse_logins(true);
    inbox.deliver_on(reply_to(&message_id, "", "Sim."), MONDAY);
    let poller = w.poller();
    let report = poller.run_once().await.unwrap();
    assert_eq!((report.mailboxes, report.failed), (1, 1));
    let state = sync(&w).await;
    assert!(
        state.last_poll_error.as_deref().unwrap().contains("login"),
        "{:?}",
        state.last_poll_error
    );
    assert!(state.last_poll_ok_at.is_none());

    // Not due again until the interval passes.
    inbox.refuse_logins(false);
    assert_eq!(poller.run_once().await.unwrap().mailboxes, 0);
    w.clock.advance(Duration::minutes(2));
    assert_eq!(poller.run_once().await.unwrap().replies, 1);
    let state = sync(&w).await;
    assert!(state.last_poll_error.is_none() && state.last_poll_ok_at.is_some());
    assert_eq!(w.enrollment(enrollment).await.status, "replied");
}

#[tokio::test]
async fn another_organizations_messages_are_never_matched() {
    let (w, _inbox, enrollment, message_id) = sent_world().await;
    // A second organization whose member's inbox gets a "reply" to org A's message.
    let mut tx = w.db.begin_system().await.unwrap();
    let user = users::insert(&mut tx, "Eva", "eva@outra.com.br", "h")
        .await
        .unwrap();
    let other = organizations::create_with_owner(&mut tx, "Outra", "outra", user.id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let theirs = ImapInbox::start("eva", "x").await;
    theirs.deliver_on(reply_to(&message_id, "", "Oi"), MONDAY);
    let sealed = common::secrets_key().seal(
        b"x",
        &flux_persistence::mailboxes::sealing_context(
            other.id,
            flux_persistence::mailboxes::Credential::Imap,
        ),
    );
    sqlx::query(
        "INSERT INTO mailboxes (org_id, user_id, from_name, from_email, smtp_host, smtp_port,
                                smtp_username, smtp_password_enc, imap_enabled, imap_host,
                                imap_port, imap_security, imap_username, imap_password_enc)
         VALUES ($1, $2, 'Eva', 'eva@outra.com.br', 'smtp.outra.com.br', 587, 'eva', '\\x00',
                 true, $3, $4, 'none', 'eva', $5)",
    )
    .bind(other.id)
    .bind(user.id)
    .bind(theirs.host())
    .bind(i32::from(theirs.port()))
    .bind(sealed)
    .execute(w.db.pool())
    .await
    .unwrap();
    // Org A's own inbox is empty; only org B's has the message.
    let report = w.poller().run_once().await.unwrap();
    assert_eq!((report.mailboxes, report.failed), (2, 0));
    assert_eq!(report.replies, 0);
    assert_eq!(w.enrollment(enrollment).await.status, "active");
    assert_eq!(w.interactions(enrollment, "replied").await, 0);
}

#[tokio::test]
async fn only_the_start_of_a_large_bounce_is_fetched_and_it_still_ends_the_enrollment() {
    let (w, inbox, enrollment, message_id) = sent_world().await;
    // The report, then the whole returned message with a large attachment.
    let bounce = bounce_of(&message_id, "failed", "5.1.1").replace(
        "--B--\r\n",
        &format!(
            "--B\r\nContent-Type: message/rfc822\r\n\r\nSubject: x\r\n\r\n{}\r\n--B--\r\n",
            "A".repeat(200_000)
        ),
    );
    inbox.deliver_on(bounce, MONDAY);
    let poller = w.poller().with_config(InboxConfig {
        max_fetch_bytes: 4096,
        ..InboxConfig::default()
    });
    assert_eq!(poller.run_once().await.unwrap().bounces, 1);
    assert_eq!(w.enrollment(enrollment).await.status, "bounced");
    let fetches: Vec<String> = inbox
        .commands()
        .into_iter()
        .filter(|c| c.contains("BODY.PEEK[]"))
        .collect();
    assert_eq!(fetches.len(), 1);
    assert!(fetches[0].contains("<0.4096>"), "{fetches:?}");
}

#[tokio::test]
async fn a_refused_message_is_skipped_and_a_long_backlog_is_read_over_several_polls() {
    let (w, inbox, enrollment, message_id) = sent_world().await;
    let broken = inbox.deliver_on(reply_to(&message_id, "", "Ilegível"), MONDAY);
    inbox.refuse_fetch(broken);
    for n in 0..2 {
        inbox.deliver_on(
            format!("From: x@loja.com.br\r\nSubject: {n}\r\n\r\nPromo\r\n"),
            MONDAY,
        );
    }
    let reply = inbox.deliver_on(
        reply_to(
            &message_id,
            "Date: Mon, 23 Nov 2026 09:30:00 -0300\r\n",
            "Vamos falar.",
        ),
        MONDAY,
    );
    let poller = w.poller().with_config(InboxConfig {
        max_messages: 2,
        ..InboxConfig::default()
    });
    let first = poller.run_once().await.unwrap();
    assert_eq!(
        (first.read, first.replies, first.failed),
        (1, 0, 0),
        "the refused one is left out"
    );
    assert_eq!(sync(&w).await.imap_last_uid, Some(i64::from(broken + 1)));
    w.clock.advance(Duration::minutes(3));
    let second = poller.run_once().await.unwrap();
    assert_eq!((second.read, second.replies), (2, 1));
    assert_eq!(sync(&w).await.imap_last_uid, Some(i64::from(reply)));
    assert_eq!(w.enrollment(enrollment).await.status, "replied");
    let at: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT occurred_at FROM interactions WHERE type = 'replied'")
            .fetch_one(w.db.pool())
            .await
            .unwrap();
    assert_eq!(
        at.to_rfc3339(),
        "2026-11-23T12:30:00+00:00",
        "the reply's own date"
    );
}

/// A world whose first step went out to a lead, a one-off e-mail (Message-ID
/// `message_id`, to `to`) the member also sent it, and reply reading on.
async fn one_off_world(message_id: &str, to: &str) -> (World, ImapInbox, Uuid, Uuid) {
    let (w, lead, enrollment) = first_step_sent().await;
    // Sent on the world's clock, as the one-off job would have.
    sqlx::query(
        "INSERT INTO step_sends (org_id, lead_id, sender_id, channel, state, message_id,
                                 to_address, subject, body, sent_at)
         VALUES ($1, $2, $3, 'email', 'sent', $4, $5, 'Oi', 'x', $6)",
    )
    .bind(w.org)
    .bind(lead)
    .bind(w.sender)
    .bind(message_id)
    .bind(to)
    .bind(w.clock.now())
    .execute(w.db.pool())
    .await
    .unwrap();
    let inbox = ImapInbox::start("ana", "imap-senha").await;
    w.enable_imap(&inbox, "imap-senha").await;
    (w, inbox, lead, enrollment)
}

#[tokio::test]
async fn a_reply_to_a_one_off_email_ends_the_leads_running_cadences() {
    let one_off = "0f0f0f0f@acme.com.br";
    let (w, inbox, lead, enrollment) = one_off_world(one_off, "compras@padaria.com.br").await;
    inbox.deliver_on(reply_to(one_off, "", "Vamos conversar."), MONDAY);

    let report = w.poller().run_once().await.unwrap();
    assert_eq!((report.read, report.replies), (1, 1));
    assert_eq!(w.enrollment(enrollment).await.status, "replied");
    let (kind, on_enrollment): (String, Option<Uuid>) = sqlx::query_as(
        "SELECT type::text, enrollment_id FROM interactions
         WHERE lead_id = $1 AND type = 'replied'",
    )
    .bind(lead)
    .fetch_one(w.db.pool())
    .await
    .unwrap();
    assert_eq!((kind.as_str(), on_enrollment), ("replied", None));
}

#[tokio::test]
async fn a_bounce_of_a_one_off_email_leaves_the_leads_cadences_running() {
    // Written to another of the lead's addresses, which does not exist.
    let one_off = "0e0e0e0e@acme.com.br";
    let (w, inbox, lead, enrollment) = one_off_world(one_off, "diretoria@padaria.com.br").await;
    inbox.deliver_on(bounce_of(one_off, "failed", "5.1.1"), MONDAY);

    w.poller().run_once().await.unwrap();
    assert_eq!(w.enrollment(enrollment).await.status, "active");
    let bounced: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM interactions WHERE lead_id = $1 AND type = 'bounced'",
    )
    .bind(lead)
    .fetch_one(w.db.pool())
    .await
    .unwrap();
    assert_eq!(bounced, 1, "on the timeline, against the one-off");
}
