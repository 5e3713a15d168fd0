//! Without `SMTP_URL` e-mails go to the log: their links stay out of it unless the
//! log is meant to be read as an inbox (`FLUX_MAIL_LOG=full`, the demo).

#![allow(clippy::unwrap_used)]

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use flux_integrations::mail::{Email, LogMailer, Mailer};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn logged(mailer: LogMailer) -> String {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let email = Email {
        to: "ana@acme.com.br".into(),
        subject: "Redefina sua senha do Flux".into(),
        body_text: "Abra o link: http://flux.test/redefinir-senha?token=segredo-de-uso-unico"
            .into(),
    };
    mailer.send(&email).await.unwrap();
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    text
}

#[tokio::test]
async fn a_redacted_log_says_what_was_not_sent_without_its_links() {
    let log = logged(LogMailer { full: false }).await;
    assert!(log.contains("ana@acme.com.br"), "{log}");
    assert!(log.contains("Redefina sua senha do Flux"), "{log}");
    assert!(log.contains("not sent"), "{log}");
    assert!(!log.contains("segredo-de-uso-unico"), "{log}");
}

#[tokio::test]
async fn a_full_log_keeps_the_message_for_the_demo() {
    let log = logged(LogMailer { full: true }).await;
    assert!(log.contains("segredo-de-uso-unico"), "{log}");
}
