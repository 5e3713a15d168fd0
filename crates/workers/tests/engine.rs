//! The cadence engine against a real database and a local in-memory channel: steps
//! go out once each, inside the send window and the sender's caps; leads that opt
//! out stop; failures pause with a reason; and a crash at any point of a send
//! neither loses nor repeats the step.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};

use chrono::{DateTime, Duration, Utc};
use flux_app::channel::{Channels, SendError};
use flux_testkit::smtp_sink::SmtpSink;
use flux_workers::engine::{memory::MemoryChannel, Engine, EngineConfig, Point};

mod common;

use common::{monday_10am, World, BODY, SUBJECT};

#[tokio::test]
async fn each_step_goes_out_once_then_the_enrollment_completes() {
    let w = World::new(&[0, 2]).await;
    let (_, a) = w
        .enroll(
            "PADARIA PAO QUENTE LTDA",
            "SP",
            Some("compras@padaria.com.br"),
        )
        .await;
    let (_, b) = w
        .enroll("ACME INDUSTRIA LTDA", "RJ", Some("contato@acme.ind.br"))
        .await;
    let engine = w.engine();

    let report = engine.drain().await.unwrap();
    assert_eq!((report.claimed, report.sent), (2, 2));
    let delivered = w.channel.delivered();
    let to_padaria = delivered
        .iter()
        .find(|m| m.to == "compras@padaria.com.br")
        .unwrap();
    assert_eq!(
        to_padaria.subject.as_deref(),
        Some("Padaria Pao Quente LTDA + Flux")
    );
    assert_eq!(to_padaria.body, "Bom dia, João! Sou Ana Souza.");
    assert!(to_padaria.message_id.ends_with("@acme.com.br"));
    assert_eq!(
        to_padaria.mailbox.as_ref().unwrap().from_email,
        "ana@acme.com.br"
    );

    // Step 2 waits its 2 days; nothing more goes out now.
    let e = w.enrollment(a).await;
    assert_eq!(
        (e.status.as_str(), e.next_step, e.steps_sent),
        ("active", Some(w.steps[1]), 1)
    );
    assert_eq!(e.due, Some(monday_10am() + Duration::days(2)));
    assert_eq!(w.interactions(a, "sent").await, 1);
    assert_eq!(engine.drain().await.unwrap().sent, 0);

    w.clock.advance(Duration::days(2));
    assert_eq!(engine.drain().await.unwrap().sent, 2);
    for id in [a, b] {
        let e = w.enrollment(id).await;
        assert_eq!(
            (e.status.as_str(), e.next_step, e.due, e.steps_sent),
            ("completed", None, None, 2)
        );
        assert_eq!(w.interactions(id, "sent").await, 2);
        assert_eq!(w.send_states(id).await, ["sent", "sent"]);
    }
    w.clock.advance(Duration::days(30));
    assert_eq!(engine.drain().await.unwrap().claimed, 0);
    let mut ids: Vec<String> = w
        .channel
        .delivered()
        .into_iter()
        .map(|m| m.message_id)
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "four distinct messages");
}

#[tokio::test]
async fn steps_wait_for_the_window_skipping_weekends_and_the_leads_state_holidays() {
    let w = World::new(&[0, 1]).await;
    // Friday 2027-07-09, 10:00 in São Paulo: a state holiday in SP only.
    w.clock.set("2027-07-09T13:00:00Z".parse().unwrap());
    let (_, sp) = w.enroll("EMPRESA SP LTDA", "SP", Some("a@sp.com.br")).await;
    let (_, rj) = w.enroll("EMPRESA RJ LTDA", "RJ", Some("a@rj.com.br")).await;
    let engine = w.engine();
    let report = engine.drain().await.unwrap();
    assert_eq!((report.sent, report.rescheduled), (1, 1));
    assert_eq!(w.channel.delivered()[0].to, "a@rj.com.br");
    // SP: the next open slot is Monday 08:00 (the weekend is closed too).
    let e = w.enrollment(sp).await;
    assert_eq!(e.due, Some("2027-07-12T11:00:00Z".parse().unwrap()));
    assert_eq!(e.steps_sent, 0);
    // RJ's next step (1 day) falls on Saturday: it waits for Monday as well.
    w.clock.advance(Duration::days(1));
    let report = engine.drain().await.unwrap();
    assert_eq!((report.sent, report.rescheduled), (0, 1));
    assert_eq!(
        w.enrollment(rj).await.due,
        Some("2027-07-12T11:00:00Z".parse().unwrap())
    );
    // Monday 08:00: both go.
    w.clock.set("2027-07-12T11:00:00Z".parse().unwrap());
    assert_eq!(engine.drain().await.unwrap().sent, 2);
}

#[tokio::test]
async fn the_senders_daily_cap_and_spacing_hold() {
    let w = World::new(&[0, 1]).await;
    w.sql("UPDATE mailboxes SET daily_limit = 2, min_interval_seconds = 60")
        .await;
    let enrollments = w.enroll_many(4).await;
    let engine = w.engine();
    let report = engine.drain().await.unwrap();
    assert_eq!((report.sent, report.rescheduled), (1, 3));
    let mut dues: Vec<DateTime<Utc>> = Vec::new();
    for id in &enrollments {
        let e = w.enrollment(*id).await;
        if e.steps_sent == 0 {
            dues.push(e.due.unwrap());
        }
    }
    dues.sort();
    let t = monday_10am();
    assert_eq!(
        dues,
        [
            t + Duration::minutes(1),
            t + Duration::minutes(2),
            t + Duration::minutes(3)
        ]
    );

    w.clock.advance(Duration::minutes(1));
    assert_eq!(engine.drain().await.unwrap().sent, 1);
    // The cap (2 a day) is reached: the rest wait for Tuesday 08:00.
    w.clock.advance(Duration::minutes(5));
    let report = engine.drain().await.unwrap();
    assert_eq!((report.sent, report.rescheduled), (0, 2));
    let tuesday_8am: DateTime<Utc> = "2026-11-24T11:00:00Z".parse().unwrap();
    let waiting = {
        let mut n = 0;
        for id in &enrollments {
            let e = w.enrollment(*id).await;
            if e.steps_sent == 0 {
                assert_eq!(e.due, Some(tuesday_8am));
                n += 1;
            }
        }
        n
    };
    assert_eq!(waiting, 2);
    assert_eq!(w.channel.delivered().len(), 2);
}

#[tokio::test]
async fn opted_out_archived_and_deleted_leads_are_stopped_not_sent() {
    let w = World::new(&[0, 1]).await;
    let (lead_a, a) = w.enroll("OPT OUT LTDA", "SP", Some("a@x.com.br")).await;
    let (lead_b, b) = w.enroll("ARQUIVADA LTDA", "SP", Some("b@x.com.br")).await;
    let (lead_c, c) = w.enroll("EXCLUIDA LTDA", "SP", Some("c@x.com.br")).await;
    sqlx::query("UPDATE leads SET do_not_contact = true WHERE id = $1")
        .bind(lead_a)
        .execute(w.db.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE leads SET archived_at = now() WHERE id = $1")
        .bind(lead_b)
        .execute(w.db.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE leads SET deleted_at = now() WHERE id = $1")
        .bind(lead_c)
        .execute(w.db.pool())
        .await
        .unwrap();
    let report = w.engine().drain().await.unwrap();
    assert_eq!((report.sent, report.stopped), (0, 3));
    assert!(w.channel.delivered().is_empty());
    for (id, detail) in [(a, "não ser contatado"), (b, "arquivado"), (c, "excluído")] {
        let e = w.enrollment(id).await;
        assert_eq!(e.status, "stopped");
        assert!(e.detail.unwrap().contains(detail));
        assert!(e.due.is_none());
    }
}

#[tokio::test]
async fn a_missing_value_pauses_with_the_reason_and_resume_sends_it() {
    let w = World::with(&[0, 1], "Oi {{cidade}}", "Olá", MemoryChannel::default()).await;
    let (lead, id) = w.enroll("SEM CIDADE LTDA", "SP", Some("a@x.com.br")).await;
    let engine = w.engine();
    let report = engine.drain().await.unwrap();
    assert_eq!((report.sent, report.failed), (0, 1));
    let e = w.enrollment(id).await;
    assert_eq!(
        (e.status.as_str(), e.pause_reason.as_deref()),
        ("paused", Some("step_failed"))
    );
    assert!(e.detail.unwrap().contains("cidade"));
    assert_eq!(w.interactions(id, "failed").await, 1);
    assert!(w.channel.delivered().is_empty());

    // Fixed and resumed (as the API does): the step goes out.
    sqlx::query("UPDATE leads SET cidade = 'CAMPINAS' WHERE id = $1")
        .bind(lead)
        .execute(w.db.pool())
        .await
        .unwrap();
    w.sql("UPDATE cadence_enrollments SET status = 'active', pause_reason = NULL, status_detail = NULL").await;
    assert_eq!(engine.drain().await.unwrap().sent, 1);
    assert_eq!(
        w.channel.delivered()[0].subject.as_deref(),
        Some("Oi Campinas")
    );
}

#[tokio::test]
async fn unconfigured_ai_mailbox_or_channel_pause_the_step_visibly() {
    let w = World::new(&[0, 1]).await;
    w.sql("UPDATE cadence_steps SET ai_personalization = true WHERE position = 1")
        .await;
    let (_, id) = w.enroll("IA LTDA", "SP", Some("a@x.com.br")).await;
    w.engine().drain().await.unwrap();
    let e = w.enrollment(id).await;
    assert_eq!(e.pause_reason.as_deref(), Some("step_failed"));
    assert!(e.detail.unwrap().contains("IA não configurada"));

    let w = World::new(&[0, 1]).await;
    w.sql("DELETE FROM mailboxes").await;
    let (_, id) = w.enroll("SEM CAIXA LTDA", "SP", Some("a@x.com.br")).await;
    w.engine().drain().await.unwrap();
    let e = w.enrollment(id).await;
    assert!(
        e.detail.as_deref().unwrap().contains("caixa de e-mail"),
        "{e:?}"
    );

    let w = World::new(&[0, 1]).await;
    let (_, id) = w.enroll("SEM CANAL LTDA", "SP", Some("a@x.com.br")).await;
    Engine::new(w.db.clone(), Channels::default())
        .with_clock(w.clock.clone())
        .drain()
        .await
        .unwrap();
    let e = w.enrollment(id).await;
    assert!(
        e.detail
            .as_deref()
            .unwrap()
            .contains("não está configurado"),
        "{e:?}"
    );
    assert!(w.channel.delivered().is_empty());
}

#[tokio::test]
async fn provider_failures_retry_pause_or_ask_for_review() {
    let w = World::new(&[0, 1]).await;
    let (_, id) = w.enroll("FLAKY LTDA", "SP", Some("a@x.com.br")).await;
    let engine = w.engine();
    w.channel.fail_next(SendError::Transient {
        message: "421 try later".into(),
        retry_after: None,
    });
    let report = engine.drain().await.unwrap();
    assert_eq!((report.sent, report.rescheduled), (0, 1));
    assert_eq!(
        w.enrollment(id).await.due,
        Some(monday_10am() + Duration::minutes(5))
    );
    assert_eq!(w.send_states(id).await, ["prepared"]);
    w.clock.advance(Duration::minutes(5));
    assert_eq!(engine.drain().await.unwrap().sent, 1);
    assert_eq!(w.channel.delivered().len(), 1);

    let w = World::new(&[0, 1]).await;
    let (_, id) = w.enroll("RECUSADO LTDA", "SP", Some("a@x.com.br")).await;
    w.channel
        .fail_next(SendError::Rejected("550 mailbox unavailable".into()));
    w.engine().drain().await.unwrap();
    let e = w.enrollment(id).await;
    assert_eq!(e.pause_reason.as_deref(), Some("step_failed"));
    assert!(e.detail.unwrap().contains("550"));
    assert_eq!(w.send_states(id).await, ["failed"]);
    // Resumed: the failed row is sent again (re-rendered), still one row.
    w.sql("UPDATE cadence_enrollments SET status = 'active', pause_reason = NULL")
        .await;
    assert_eq!(w.engine().drain().await.unwrap().sent, 1);
    assert_eq!(w.send_states(id).await, ["sent"]);

    let w = World::new(&[0, 1]).await;
    let (_, id) = w.enroll("AMBIGUO LTDA", "SP", Some("a@x.com.br")).await;
    w.channel
        .fail_next(SendError::Ambiguous("connection reset after DATA".into()));
    let report = w.engine().drain().await.unwrap();
    assert_eq!(report.review, 1);
    let e = w.enrollment(id).await;
    assert_eq!(e.pause_reason.as_deref(), Some("review_required"));
    assert_eq!(w.send_states(id).await, ["needs_review"]);
    w.clock.advance(Duration::hours(1));
    w.engine().drain().await.unwrap();
    assert_eq!(w.channel.delivered().len(), 1, "never resent on its own");
}

#[tokio::test]
async fn email_steps_go_out_over_smtp_with_our_message_id_and_unsubscribe_headers() {
    let w = World::new(&[0, 1]).await;
    w.sql("UPDATE organizations SET track_opens = true, track_clicks = true")
        .await;
    let sink = SmtpSink::start().await;
    sink.require_login("ana", "s3nha");
    let (_, a) = w
        .enroll(
            "PADARIA PAO QUENTE LTDA",
            "SP",
            Some("compras@padaria.com.br"),
        )
        .await;
    let engine = w.smtp_engine(&sink, "s3nha").await;

    assert_eq!(engine.drain().await.unwrap().sent, 1);
    let received = sink.received();
    assert_eq!(received.len(), 1);
    let mail = &received[0];
    assert_eq!(mail.user.as_deref(), Some("ana"));
    assert_eq!(mail.from, "ana@acme.com.br");
    assert_eq!(mail.to, ["compras@padaria.com.br"]);
    let (message_id, provider_id) = w.send_row(a).await;
    assert_eq!(mail.header("Message-ID"), Some(format!("<{message_id}>")));
    assert!(provider_id.unwrap().contains("queued as SINK1"));
    let unsubscribe = mail.header("List-Unsubscribe").unwrap();
    assert!(unsubscribe.starts_with("<http://flux.test/api/v1/tracking/"));
    assert_eq!(
        mail.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(
        mail.data.contains("multipart/alternative"),
        "tracking adds HTML"
    );
    assert!(mail.data.contains("/open"), "open pixel");
    assert_eq!(w.interactions(a, "sent").await, 1);
}

#[tokio::test]
async fn smtp_answers_decide_retry_pause_or_review() {
    // 421 at MAIL FROM: not sent, tried again later.
    let w = World::new(&[0, 1]).await;
    let sink = SmtpSink::start().await;
    let (_, id) = w.enroll("OCUPADO LTDA", "SP", Some("a@x.com.br")).await;
    let engine = w.smtp_engine(&sink, "x").await;
    sink.busy_once();
    let report = engine.drain().await.unwrap();
    assert_eq!((report.sent, report.rescheduled), (0, 1));
    assert_eq!(w.send_states(id).await, ["prepared"]);
    w.clock.advance(Duration::minutes(5));
    assert_eq!(engine.drain().await.unwrap().sent, 1);
    assert_eq!(sink.received().len(), 1);

    // 554 at the end of DATA: the server answered, so certainly not taken: paused,
    // not sent to review.
    let w = World::new(&[0, 1]).await;
    let sink = SmtpSink::start().await;
    let (_, id) = w.enroll("SPAM LTDA", "SP", Some("s@x.com.br")).await;
    sink.reject_data_once();
    let report = w.smtp_engine(&sink, "x").await.drain().await.unwrap();
    assert_eq!((report.failed, report.review), (1, 0));
    assert_eq!(w.send_states(id).await, ["failed"]);
    assert!(w.enrollment(id).await.detail.unwrap().contains("554"));

    // 550 at RCPT TO and a refused login: certainly not sent, paused with the reason.
    let w = World::new(&[0, 1]).await;
    let sink = SmtpSink::start().await;
    sink.reject_recipient("nao.existe@x.com.br");
    sink.require_login("ana", "certa");
    let (_, refused) = w
        .enroll("SEM CAIXA LTDA", "SP", Some("nao.existe@x.com.br"))
        .await;
    w.smtp_engine(&sink, "certa").await.drain().await.unwrap();
    let e = w.enrollment(refused).await;
    assert_eq!(e.pause_reason.as_deref(), Some("step_failed"));
    assert!(e.detail.unwrap().contains("550"));
    let (_, bad_login) = w.enroll("OUTRO LTDA", "SP", Some("b@x.com.br")).await;
    w.smtp_engine(&sink, "errada").await.drain().await.unwrap();
    let e = w.enrollment(bad_login).await;
    assert_eq!(e.pause_reason.as_deref(), Some("step_failed"));
    assert!(e.detail.unwrap().contains("535"));
    assert!(sink.received().is_empty());

    // The connection drops after the data went over: the server may have it (this
    // one does), so it goes to review and is never sent again on its own.
    let w = World::new(&[0, 1]).await;
    let sink = SmtpSink::start().await;
    let (_, id) = w.enroll("QUEDA LTDA", "SP", Some("c@x.com.br")).await;
    let engine = w.smtp_engine(&sink, "x").await;
    sink.drop_after_data_once();
    assert_eq!(engine.drain().await.unwrap().review, 1);
    assert_eq!(w.send_states(id).await, ["needs_review"]);
    assert_eq!(
        w.enrollment(id).await.pause_reason.as_deref(),
        Some("review_required")
    );
    w.clock.advance(Duration::hours(1));
    engine.drain().await.unwrap();
    assert_eq!(sink.received().len(), 1, "delivered once, never resent");

    // Nobody listening: not sent, retried, until the attempts run out.
    let w = World::new(&[0, 1]).await;
    let (_, id) = w.enroll("FORA LTDA", "SP", Some("d@x.com.br")).await;
    let engine = w.smtp_engine(&sink, "x").await.with_config(EngineConfig {
        max_attempts: 2,
        ..EngineConfig::default()
    });
    w.sql("UPDATE mailboxes SET smtp_port = 9").await;
    assert_eq!(engine.drain().await.unwrap().rescheduled, 1);
    assert_eq!(w.send_states(id).await, ["prepared"]);
    w.clock.advance(Duration::minutes(5));
    assert_eq!(engine.drain().await.unwrap().failed, 1);
    let e = w.enrollment(id).await;
    assert_eq!(e.pause_reason.as_deref(), Some("step_failed"));
    assert!(e.detail.unwrap().contains("falhou 2 vezes"));
    assert_eq!(w.send_states(id).await, ["failed"]);
    // Resumed (the mailbox fixed): tried afresh and sent.
    w.sql(&format!("UPDATE mailboxes SET smtp_port = {}", sink.port()))
        .await;
    w.sql("UPDATE cadence_enrollments SET status = 'active', pause_reason = NULL")
        .await;
    assert_eq!(engine.drain().await.unwrap().sent, 1);
}

/// A fail point that fires once, at `point`.
fn crash_once_at(point: Point) -> flux_workers::engine::FailPoint {
    let fired = Arc::new(AtomicBool::new(false));
    Arc::new(move |at| at == point && !fired.swap(true, Ordering::SeqCst))
}

#[tokio::test]
async fn a_crash_at_any_point_of_a_send_neither_loses_nor_repeats_the_step() {
    for point in [
        Point::Claimed,
        Point::Prepared,
        Point::Dispatching,
        Point::Sent,
        Point::Recorded,
    ] {
        let w = World::new(&[0, 1]).await;
        let ids = w.enroll_many(3).await;
        let crashing = w.engine().with_fail_point(crash_once_at(point));
        assert!(crashing.run_once().await.is_err(), "{point:?}");
        drop(crashing);

        // A new engine after the claim's lease ran out.
        w.clock.advance(Duration::minutes(6));
        w.engine().drain().await.unwrap();
        assert_eq!(
            w.channel.delivered().len(),
            3,
            "{point:?}: each lead got the step once"
        );
        for id in &ids {
            let e = w.enrollment(*id).await;
            assert_eq!(
                (e.steps_sent, e.next_step),
                (1, Some(w.steps[1])),
                "{point:?}"
            );
            assert_eq!(w.interactions(*id, "sent").await, 1, "{point:?}");
            assert_eq!(w.send_states(*id).await, ["sent"], "{point:?}");
        }
        w.clock.advance(Duration::hours(1));
        w.engine().drain().await.unwrap();
        assert_eq!(w.channel.delivered().len(), 3, "{point:?}: nothing more");
    }
}

#[tokio::test]
async fn a_crash_in_flight_with_a_provider_that_cannot_tell_goes_to_review() {
    for point in [Point::Dispatching, Point::Sent] {
        let w = World::with(&[0, 1], SUBJECT, BODY, MemoryChannel::blind()).await;
        let (_, id) = w.enroll("EMPRESA LTDA", "SP", Some("c@x.com.br")).await;
        let crashing = w.engine().with_fail_point(crash_once_at(point));
        assert!(crashing.run_once().await.is_err());
        w.clock.advance(Duration::minutes(6));
        let report = w.engine().drain().await.unwrap();
        assert_eq!(report.review, 1, "{point:?}");
        let e = w.enrollment(id).await;
        assert_eq!(
            (e.status.as_str(), e.pause_reason.as_deref()),
            ("paused", Some("review_required"))
        );
        assert_eq!(w.send_states(id).await, ["needs_review"]);
        let expected = usize::from(point == Point::Sent);
        assert_eq!(w.channel.delivered().len(), expected, "{point:?}");
        w.clock.advance(Duration::hours(1));
        w.engine().drain().await.unwrap();
        assert_eq!(
            w.channel.delivered().len(),
            expected,
            "{point:?}: not resent"
        );
    }
}

#[tokio::test]
async fn an_engines_parallel_passes_share_the_senders_cap() {
    let w = World::new(&[0, 1]).await;
    w.sql("UPDATE mailboxes SET daily_limit = 3, min_interval_seconds = 0")
        .await;
    let mut enrollments = Vec::new();
    for i in 0..8 {
        let (_, id) = w
            .enroll(
                &format!("LANE {i} LTDA"),
                "SP",
                Some(&format!("l{i}@x.com.br")),
            )
            .await;
        enrollments.push(id);
    }
    // One enrollment per pass: both passes claim, and both want the same mailbox.
    let engine = w.engine().with_config(EngineConfig {
        batch: 1,
        passes: 2,
        ..EngineConfig::default()
    });
    let report = engine.drain().await.unwrap();
    assert_eq!((report.sent, report.rescheduled), (3, 5));
    let tuesday_8am: DateTime<Utc> = "2026-11-24T11:00:00Z".parse().unwrap();
    let mut sent = 0;
    for id in &enrollments {
        let e = w.enrollment(*id).await;
        match e.steps_sent {
            1 => sent += 1,
            _ => assert_eq!(e.due, Some(tuesday_8am)),
        }
    }
    assert_eq!(sent, 3, "the daily cap holds across passes");
}

#[tokio::test]
async fn engines_running_at_once_send_each_step_once() {
    let w = World::new(&[0, 1]).await;
    for i in 0..40 {
        w.enroll(
            &format!("EMPRESA {i} LTDA"),
            "SP",
            Some(&format!("c{i}@x.com.br")),
        )
        .await;
    }
    let config = EngineConfig {
        batch: 7,
        ..EngineConfig::default()
    };
    let engines: Vec<Engine> = (0..3)
        .map(|_| w.engine().with_config(config.clone()))
        .collect();
    let results = futures_util::future::join_all(engines.iter().map(|e| e.drain())).await;
    let sent: usize = results.into_iter().map(|r| r.unwrap().sent).sum();
    assert_eq!(sent, 40);
    assert_eq!(w.channel.delivered().len(), 40);
}

/// A fail point that never crashes but runs `statement` when the engine reaches
/// `point` — a person acting in the middle of a send.
fn act_at(w: &World, point: Point, statement: &'static str) -> flux_workers::engine::FailPoint {
    let pool = w.db.pool().clone();
    Arc::new(move |at| {
        if at == point {
            let pool = pool.clone();
            tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current().block_on(async move {
                    sqlx::query(statement).execute(&pool).await.unwrap();
                })
            });
        }
        false
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unenroll_or_opt_out_after_prepare_stops_the_message() {
    for statement in [
        "UPDATE cadence_enrollments SET status = 'stopped', next_step_due = NULL",
        "UPDATE leads SET do_not_contact = true",
        "UPDATE cadence_enrollments SET status = 'paused', pause_reason = 'manual'",
    ] {
        let w = World::new(&[0, 1]).await;
        let (_, id) = w.enroll("EMPRESA LTDA", "SP", Some("c@x.com.br")).await;
        let engine = w
            .engine()
            .with_fail_point(act_at(&w, Point::Prepared, statement));
        let report = engine.drain().await.unwrap();
        assert_eq!(report.sent, 0, "{statement}");
        assert!(w.channel.delivered().is_empty(), "{statement}");
        assert_eq!(w.send_states(id).await, ["prepared"], "{statement}");
    }
}

#[tokio::test]
async fn a_removed_step_is_skipped_and_an_inactive_sender_pauses() {
    let w = World::new(&[0, 1, 1]).await;
    let (_, id) = w.enroll("RECUSADA LTDA", "SP", Some("a@x.com.br")).await;
    w.channel
        .fail_next(SendError::Rejected("550 no such user".into()));
    w.engine().drain().await.unwrap();
    assert_eq!(w.send_states(id).await, ["failed"]);
    // The failing first step is removed from the cadence; resumed, the lead gets
    // step 2, never the removed one.
    w.sql("UPDATE cadence_steps SET position = NULL, removed_at = now() WHERE position = 1")
        .await;
    w.sql("UPDATE cadence_enrollments SET status = 'active', pause_reason = NULL")
        .await;
    assert_eq!(w.engine().drain().await.unwrap().sent, 0);
    let e = w.enrollment(id).await;
    assert_eq!(e.next_step, Some(w.steps[1]));
    w.clock.advance(Duration::days(1));
    assert_eq!(w.engine().drain().await.unwrap().sent, 1);
    assert_eq!(w.channel.delivered().len(), 1);

    // The sender leaves the team: the next step pauses, naming them.
    w.sql("UPDATE organization_members SET status = 'suspended'")
        .await;
    w.clock.advance(Duration::days(1));
    w.engine().drain().await.unwrap();
    let e = w.enrollment(id).await;
    assert_eq!(e.pause_reason.as_deref(), Some("step_failed"));
    assert!(e.detail.as_deref().unwrap().contains("Ana Souza"), "{e:?}");
    assert_eq!(w.channel.delivered().len(), 1);
}
