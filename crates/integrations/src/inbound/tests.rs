use super::*;

const OURS: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0@acme.com.br";

fn reply() -> String {
    format!(
        "Return-Path: <ana@cliente.com.br>\r\n\
         From: Ana Souza <ana@cliente.com.br>\r\n\
         To: Bruno <bruno@acme.com.br>\r\n\
         Subject: Re: Proposta para a Padaria Estrela\r\n\
         Message-ID: <CAF=abc123@mail.gmail.com>\r\n\
         In-Reply-To: <{OURS}>\r\n\
         References: <older@acme.com.br>\r\n <{OURS}>\r\n\
         Content-Type: text/plain; charset=UTF-8\r\n\
         \r\n\
         Oi Bruno,\r\n\
         \r\n\
         Podemos conversar na quinta às 10h.\r\n\
         \r\n\
         Em seg., 3 de nov. de 2026 às 10:00, Bruno <bruno@acme.com.br> escreveu:\r\n\
         > Olá Ana, tudo bem?\r\n"
    )
}

#[test]
fn a_reply_refers_to_our_message_once_and_keeps_only_what_was_written() {
    let raw = reply();
    let header = read_header(raw.as_bytes()).expect("a message");
    assert_eq!(header.kind, Kind::Message);
    assert_eq!(
        header.refers_to,
        vec![OURS.to_owned(), "older@acme.com.br".to_owned()]
    );
    assert_eq!(header.from.as_deref(), Some("ana@cliente.com.br"));
    assert_eq!(
        header.message_id.as_deref(),
        Some("CAF=abc123@mail.gmail.com")
    );
    assert_eq!(
        header.subject.as_deref(),
        Some("Re: Proposta para a Padaria Estrela")
    );
    let excerpt = reply_excerpt(raw.as_bytes(), 500).expect("text");
    assert_eq!(excerpt, "Oi Bruno,\n\nPodemos conversar na quinta às 10h.");
    assert_eq!(
        reply_excerpt(raw.as_bytes(), 7).as_deref(),
        Some("Oi Brun…")
    );
}

fn postfix_dsn(action: &str, status: &str) -> String {
    format!(
        "Return-Path: <>\r\n\
         From: MAILER-DAEMON@mx.acme.com.br (Mail Delivery System)\r\n\
         Subject: Undelivered Mail Returned to Sender\r\n\
         To: bruno@acme.com.br\r\n\
         Auto-Submitted: auto-replied\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status;\r\n\
         \tboundary=\"B1\"\r\n\
         Message-Id: <20261103130001.AAA@mx.acme.com.br>\r\n\
         \r\n\
         --B1\r\n\
         Content-Type: text/plain; charset=us-ascii\r\n\
         \r\n\
         I'm sorry to have to inform you that your message could not\r\n\
         be delivered to one or more recipients.\r\n\
         \r\n\
         --B1\r\n\
         Content-Type: message/delivery-status\r\n\
         \r\n\
         Reporting-MTA: dns; mx.acme.com.br\r\n\
         Arrival-Date: Mon,  3 Nov 2026 10:00:00 -0300 (-03)\r\n\
         \r\n\
         Final-Recipient: rfc822; ninguem@cliente.com.br\r\n\
         Original-Recipient: rfc822;ninguem@cliente.com.br\r\n\
         Action: {action}\r\n\
         Status: {status}\r\n\
         Remote-MTA: dns; mx.cliente.com.br\r\n\
         Diagnostic-Code: smtp; 550 5.1.1 <ninguem@cliente.com.br>: Recipient\r\n\
         \taddress rejected: User unknown\r\n\
         \r\n\
         --B1\r\n\
         Content-Type: text/rfc822-headers\r\n\
         \r\n\
         From: Bruno <bruno@acme.com.br>\r\n\
         To: ninguem@cliente.com.br\r\n\
         Subject: Proposta\r\n\
         Message-ID: <{OURS}>\r\n\
         \r\n\
         --B1--\r\n"
    )
}

#[test]
fn a_dsn_names_the_returned_message_the_recipient_and_the_reason() {
    let raw = postfix_dsn("failed", "5.1.1");
    let header = read_header(raw.as_bytes()).expect("a message");
    assert_eq!(header.kind, Kind::Bounce, "a report, though auto-submitted");
    let bounce = read_bounce(raw.as_bytes()).expect("a bounce");
    assert!(bounce.permanent);
    assert_eq!(bounce.message_ids, vec![OURS.to_owned()]);
    assert_eq!(bounce.recipient.as_deref(), Some("ninguem@cliente.com.br"));
    assert_eq!(bounce.status.as_deref(), Some("5.1.1"));
    assert_eq!(
        bounce.diagnostic.as_deref(),
        Some("550 5.1.1 <ninguem@cliente.com.br>: Recipient address rejected: User unknown")
    );
}

#[test]
fn a_delay_report_is_not_a_failure() {
    let raw = postfix_dsn("delayed", "4.4.1");
    let bounce = read_bounce(raw.as_bytes()).expect("a report");
    assert!(!bounce.permanent);
    assert_eq!(bounce.message_ids, vec![OURS.to_owned()]);
}

#[test]
fn a_report_carrying_the_whole_returned_message_names_it() {
    let raw = format!(
        "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\r\n\
         Subject: Delivery Status Notification (Failure)\r\n\
         Content-Type: multipart/report; boundary=\"G\"; report-type=delivery-status\r\n\
         \r\n\
         --G\r\n\
         Content-Type: text/plain\r\n\
         \r\n\
         Address not found\r\n\
         --G\r\n\
         Content-Type: message/delivery-status\r\n\
         \r\n\
         Reporting-MTA: dns; googlemail.com\r\n\
         \r\n\
         Final-Recipient: rfc822; x@cliente.com.br\r\n\
         Action: failed\r\n\
         Status: 5.1.1\r\n\
         \r\n\
         --G\r\n\
         Content-Type: message/rfc822\r\n\
         \r\n\
         From: Bruno <bruno@acme.com.br>\r\n\
         Message-ID: <{OURS}>\r\n\
         Subject: Proposta\r\n\
         \r\n\
         Olá\r\n\
         --G--\r\n"
    );
    let bounce = read_bounce(raw.as_bytes()).expect("a bounce");
    assert!(bounce.permanent);
    assert_eq!(bounce.message_ids, vec![OURS.to_owned()]);
    assert_eq!(bounce.recipient.as_deref(), Some("x@cliente.com.br"));
}

#[test]
fn a_free_form_daemon_notice_is_a_bounce_found_by_the_quoted_message_id() {
    let raw = format!(
        "Return-Path: <>\r\n\
         From: MAILER-DAEMON@mail.cliente.com.br\r\n\
         Subject: failure notice\r\n\
         Message-ID: <notice-1@mail.cliente.com.br>\r\n\
         \r\n\
         Hi. This is the qmail-send program at mail.cliente.com.br.\r\n\
         I'm afraid I wasn't able to deliver your message to the following addresses.\r\n\
         \r\n\
         <x@cliente.com.br>:\r\n\
         Sorry, no mailbox here by that name. (#5.1.1)\r\n\
         \r\n\
         --- Below this line is a copy of the message.\r\n\
         \r\n\
         From: bruno@acme.com.br\r\n\
         message-id:   <{OURS}>\r\n"
    );
    assert_eq!(
        read_header(raw.as_bytes()).map(|h| h.kind),
        Some(Kind::Bounce)
    );
    let bounce = read_bounce(raw.as_bytes()).expect("a bounce");
    assert!(bounce.permanent);
    assert_eq!(
        bounce.message_ids,
        vec![OURS.to_owned()],
        "not the notice's own id"
    );
}

#[test]
fn a_free_form_delay_warning_is_not_permanent() {
    let raw = "From: postmaster@cliente.com.br\r\nSubject: Warning: message delayed\r\n\r\nStill trying.\r\n";
    assert_eq!(
        read_header(raw.as_bytes()).map(|h| h.kind),
        Some(Kind::Bounce)
    );
    assert!(!read_bounce(raw.as_bytes()).expect("a notice").permanent);
}

#[test]
fn automatic_answers_are_neither_replies_nor_bounces() {
    for extra in [
        "Auto-Submitted: auto-replied\r\n",
        "X-Autoreply: yes\r\n",
        "Precedence: bulk\r\n",
        "Subject: Resposta automática: Proposta\r\n",
    ] {
        let raw = format!(
            "From: Ana <ana@cliente.com.br>\r\nIn-Reply-To: <{OURS}>\r\n{extra}\r\nEstou de férias.\r\n"
        );
        let header = read_header(raw.as_bytes()).expect("a message");
        assert_eq!(header.kind, Kind::AutoReply, "{extra}");
        assert_eq!(header.refers_to, vec![OURS.to_owned()]);
    }
    let human = format!(
        "From: Ana <ana@cliente.com.br>\r\nAuto-Submitted: no\r\nIn-Reply-To: <{OURS}>\r\n\r\nOi\r\n"
    );
    assert_eq!(
        read_header(human.as_bytes()).map(|h| h.kind),
        Some(Kind::Message)
    );
}

#[test]
fn a_read_receipt_is_automatic_not_a_bounce_nor_a_reply() {
    let raw = format!(
        "From: ana@cliente.com.br\r\nIn-Reply-To: <{OURS}>\r\n\
         Content-Type: multipart/report; report-type=disposition-notification; boundary=\"x\"\r\n\
         \r\n--x--\r\n"
    );
    assert_eq!(
        read_header(raw.as_bytes()).map(|h| h.kind),
        Some(Kind::AutoReply)
    );
}

#[test]
fn values_the_database_refuses_never_leave_the_parser() {
    let long = "x".repeat(300);
    let raw = format!(
        "From: Ana <ana@cliente.com.br>\r\nSubject: Re: oi\u{0}tudo\r\n\
         Date: Mon, 23 Nov 2026 10:15:00 -0300\r\n\
         In-Reply-To: <bad\u{0}id@x.com>\r\nReferences: <{long}@x.com> <{OURS}>\r\n\r\nOi\u{0}!\r\n"
    );
    let header = read_header(raw.as_bytes()).expect("a message");
    assert_eq!(
        header.refers_to,
        vec![OURS.to_owned()],
        "NUL and oversized ids dropped"
    );
    assert_eq!(header.subject.as_deref(), Some("Re: oitudo"));
    assert_eq!(
        header.date.map(|d| d.to_rfc3339()),
        Some("2026-11-23T13:15:00+00:00".to_owned())
    );
    assert_eq!(reply_excerpt(raw.as_bytes(), 100).as_deref(), Some("Oi!"));
}

#[test]
fn garbage_never_panics() {
    for raw in [
        &b""[..],
        b"\r\n\r\n",
        b"Message-ID:",
        b"message-id: <",
        b"message-id: >x<",
        b"Content-Type: multipart/report; report-type=delivery-status\r\n\r\n",
        &[0xff, 0xfe, 0x00, b'\n', b':'],
    ] {
        let _ = read_header(raw);
        let _ = read_bounce(raw);
        let _ = reply_excerpt(raw, 10);
    }
}
