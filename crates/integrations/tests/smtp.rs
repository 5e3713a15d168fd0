//! The SMTP mailer against a local server speaking real SMTP (RFC 5321) on loopback.

#![allow(clippy::unwrap_used)]

use flux_integrations::mail::{Email, MailError, Mailer, SmtpMailer};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
    task::JoinHandle,
};

/// Accepts one session; answers `reject_rcpt` to RCPT TO when set. Returns the transcript.
async fn fake_smtp(reject_rcpt: Option<&'static str>) -> (u16, JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        let mut transcript = String::new();
        write
            .write_all(b"220 fake.smtp ESMTP ready\r\n")
            .await
            .unwrap();
        let mut in_data = false;
        while let Some(line) = lines.next_line().await.unwrap() {
            transcript.push_str(&line);
            transcript.push('\n');
            let reply: &[u8] = if in_data {
                if line == "." {
                    in_data = false;
                    b"250 2.0.0 queued\r\n"
                } else {
                    continue;
                }
            } else {
                let upper = line.to_ascii_uppercase();
                if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                    b"250-fake.smtp\r\n250 8BITMIME\r\n"
                } else if upper.starts_with("RCPT TO") {
                    match reject_rcpt {
                        Some(reply) => reply.as_bytes(),
                        None => b"250 2.1.5 ok\r\n",
                    }
                } else if upper.starts_with("DATA") {
                    in_data = true;
                    b"354 end with .\r\n"
                } else if upper.starts_with("QUIT") {
                    write.write_all(b"221 bye\r\n").await.unwrap();
                    break;
                } else {
                    b"250 ok\r\n"
                }
            };
            write.write_all(reply).await.unwrap();
        }
        transcript
    });
    (port, handle)
}

fn email() -> Email {
    Email {
        to: "bia@acme.com.br".into(),
        subject: "Convite para a equipe".into(),
        body_text: "Aceite o convite: http://flux.test/convite?token=abc".into(),
    }
}

#[tokio::test]
async fn delivers_over_smtp_with_sender_recipient_and_body() {
    let (port, server) = fake_smtp(None).await;
    let mailer = SmtpMailer::new(
        &format!("smtp://127.0.0.1:{port}"),
        "Flux <no-reply@flux.test>",
    )
    .unwrap();
    mailer.send(&email()).await.unwrap();
    drop(mailer);
    let transcript = server.await.unwrap();
    assert!(
        transcript.contains("MAIL FROM:<no-reply@flux.test>"),
        "{transcript}"
    );
    assert!(
        transcript.contains("RCPT TO:<bia@acme.com.br>"),
        "{transcript}"
    );
    assert!(
        transcript.contains("Subject: Convite para a equipe"),
        "{transcript}"
    );
    assert!(transcript.contains("convite?token=abc"), "{transcript}");
}

#[tokio::test]
async fn a_rejected_recipient_is_an_smtp_error() {
    let (port, _server) = fake_smtp(Some("550 5.1.1 no such user\r\n")).await;
    let mailer =
        SmtpMailer::new(&format!("smtp://127.0.0.1:{port}"), "no-reply@flux.test").unwrap();
    let err = mailer.send(&email()).await.unwrap_err();
    assert!(
        matches!(err, MailError::Smtp(ref m) if m.contains("550") || m.contains("no such user")),
        "{err}"
    );
}

#[test]
fn invalid_configuration_is_reported() {
    assert!(matches!(
        SmtpMailer::new("not a url", "a@b.com"),
        Err(MailError::Config(_))
    ));
    assert!(matches!(
        SmtpMailer::new("smtp://127.0.0.1:25", "not an address"),
        Err(MailError::Address(_))
    ));
}
