//! The IMAP client against a local IMAP server (`flux_testkit::imap_inbox`).

use std::time::Duration;

use chrono::NaiveDate;
use flux_integrations::imap::{self, HostPolicy, ImapError, ImapServer, MailSecurity};
use flux_testkit::imap_inbox::ImapInbox;

fn server(inbox: &ImapInbox, password: &str) -> ImapServer {
    ImapServer {
        host: inbox.host(),
        port: inbox.port(),
        security: MailSecurity::None,
        username: "bruno@acme.com.br".into(),
        password: password.into(),
        folder: "INBOX".into(),
        timeout: Duration::from_secs(5),
        // The fake server is on loopback.
        hosts: HostPolicy::AllowPrivate,
    }
}

fn message(n: u32) -> String {
    format!(
        "From: Ana <ana@cliente.com.br>\r\nSubject: Re: {n}\r\nMessage-ID: <m{n}@cliente.com.br>\r\n\r\nCorpo {n}\r\n"
    )
}

#[tokio::test]
async fn reads_new_messages_by_uid_without_marking_them_read() {
    let fake = ImapInbox::start("bruno@acme.com.br", "s3nha \"forte\"").await;
    let first = fake.deliver(message(1));
    let second = fake.deliver(message(2));
    let mut inbox = imap::open(&server(&fake, "s3nha \"forte\""))
        .await
        .expect("open");
    assert_eq!(inbox.uid_validity, 1);
    assert_eq!(inbox.exists, 2);
    assert_eq!(inbox.uid_next, Some(second + 1));
    assert_eq!(
        inbox.uids_after(0).await.expect("search"),
        vec![first, second]
    );
    assert_eq!(inbox.uids_after(first).await.expect("search"), vec![second]);
    assert!(
        inbox.uids_after(second).await.expect("search").is_empty(),
        "`n:*` names the newest message even below n: not new"
    );
    let headers = inbox.headers(&[first, second]).await.expect("headers");
    assert_eq!(headers.len(), 2);
    let h = headers.iter().find(|h| h.uid == second).expect("second");
    assert_eq!(h.size as usize, message(2).len());
    let text = String::from_utf8_lossy(&h.header);
    assert!(
        text.contains("Subject: Re: 2") && !text.contains("Corpo"),
        "{text}"
    );
    let whole = inbox
        .message(first, 1 << 20)
        .await
        .expect("fetch")
        .expect("there");
    assert_eq!(whole, message(1).into_bytes());
    let start = inbox
        .message(first, 10)
        .await
        .expect("fetch")
        .expect("there");
    assert_eq!(
        start,
        message(1).as_bytes()[..10].to_vec(),
        "only the first bytes"
    );
    assert_eq!(inbox.message(999, 100).await.expect("fetch"), None);
    inbox.close().await;
    assert!(!fake.any_seen(), "read with PEEK only");
    let commands = fake.commands();
    assert!(
        commands.iter().any(|c| c.contains("EXAMINE")),
        "{commands:?}"
    );
    assert!(
        !commands.iter().any(|c| c.contains("forte")),
        "password logged: {commands:?}"
    );
}

#[tokio::test]
async fn a_message_the_server_refuses_is_left_out_and_the_others_are_read() {
    let fake = ImapInbox::start("bruno@acme.com.br", "x").await;
    let good = fake.deliver(message(1));
    let broken = fake.deliver(message(2));
    let last = fake.deliver(message(3));
    fake.refuse_fetch(broken);
    let mut inbox = imap::open(&server(&fake, "x")).await.expect("open");
    let headers = inbox.headers(&[good, broken, last]).await.expect("headers");
    let uids: Vec<u32> = headers.iter().map(|h| h.uid).collect();
    assert_eq!(uids, vec![good, last]);
    assert_eq!(inbox.message(broken, 100).await.expect("fetch"), None);
    assert_eq!(
        fake.commands()
            .iter()
            .filter(|c| c.contains("BODY.PEEK[HEADER]"))
            .count(),
        4,
        "the short chunk, then each missing message alone: {:?}",
        fake.commands()
    );
    inbox.close().await;
}

#[tokio::test]
async fn finds_messages_by_arrival_date() {
    let fake = ImapInbox::start("bruno@acme.com.br", "x").await;
    fake.deliver_on(message(1), (2026, 10, 31));
    let recent = fake.deliver_on(message(2), (2026, 11, 2));
    let mut inbox = imap::open(&server(&fake, "x")).await.expect("open");
    let day = NaiveDate::from_ymd_opt(2026, 11, 1).expect("date");
    assert_eq!(inbox.uids_since(day).await.expect("search"), vec![recent]);
    inbox.close().await;
}

#[tokio::test]
async fn a_renumbered_folder_shows_a_new_uidvalidity() {
    let fake = ImapInbox::start("bruno@acme.com.br", "x").await;
    let before = fake.deliver(message(1));
    fake.renumber();
    let mut inbox = imap::open(&server(&fake, "x")).await.expect("open");
    assert_eq!(inbox.uid_validity, 2);
    let uids = inbox.uids_after(0).await.expect("search");
    assert_eq!(uids.len(), 1);
    assert_ne!(uids[0], before);
    inbox.close().await;
}

#[tokio::test]
async fn a_refused_login_or_folder_is_a_rejection_and_a_closed_port_is_transient() {
    let fake = ImapInbox::start("bruno@acme.com.br", "certa").await;
    let refused = imap::check(&server(&fake, "errada")).await;
    assert!(
        matches!(&refused, Err(ImapError::Rejected(m)) if m.contains("login")),
        "{refused:?}"
    );
    let mut other_folder = server(&fake, "certa");
    other_folder.folder = "Respostas".into();
    let missing = imap::check(&other_folder).await;
    assert!(
        matches!(&missing, Err(ImapError::Rejected(m)) if m.contains("pasta")),
        "{missing:?}"
    );
    assert_eq!(imap::check(&server(&fake, "certa")).await, Ok(()));

    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let mut nowhere = server(&fake, "certa");
    nowhere.port = port;
    assert!(matches!(
        imap::check(&nowhere).await,
        Err(ImapError::Transient(_))
    ));
}

#[tokio::test]
async fn a_failed_tls_handshake_is_a_rejection_before_any_login() {
    // The fake speaks plain text: the handshake fails on its greeting.
    let fake = ImapInbox::start("bruno@acme.com.br", "x").await;
    let mut tls = server(&fake, "x");
    tls.security = MailSecurity::Tls;
    let refused = imap::check(&tls).await;
    assert!(
        matches!(refused, Err(ImapError::Rejected(_))),
        "{refused:?}"
    );
    assert!(
        !fake.commands().iter().any(|c| c.contains("LOGIN")),
        "no LOGIN over a connection that failed TLS"
    );
}

#[tokio::test]
async fn an_internal_server_is_refused_before_connecting_unless_allowed() {
    let fake = ImapInbox::start("bruno@acme.com.br", "certa").await;
    let mut internal = server(&fake, "certa");
    internal.hosts = HostPolicy::PublicOnly;
    let refused = imap::check(&internal).await;
    assert!(
        matches!(refused, Err(ImapError::Rejected(ref m)) if m.contains("endereço interno")),
        "{refused:?}"
    );
    assert!(fake.commands().is_empty(), "nothing reached the server");
    assert_eq!(imap::check(&server(&fake, "certa")).await, Ok(()));
}
