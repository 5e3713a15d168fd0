//! The AI daily limit (also under parallel requests), the organization's day, stale
//! generations, the per-member request rate, and who sees which usage.

use std::time::Duration;

use flux_testkit::fake_ai;
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;
use wiremock::{matchers::path, Mock, MockServer, ResponseTemplate};

use crate::{
    ai::{
        ana_with_a_lead, answer_with, answering, anthropic_app, anthropic_ok, email_request,
        generate, set_ai_limit, EMAIL_ANSWER,
    },
    helpers::{assert_error, invalid_fields, spawn_app_with},
};

#[tokio::test]
async fn the_daily_limit_holds_under_parallel_requests() {
    let server = MockServer::start().await;
    // Slow enough that every request is in flight at once.
    answer_with(
        &server,
        anthropic_ok(EMAIL_ANSWER).set_delay(Duration::from_millis(300)),
    )
    .await;
    let app = anthropic_app(&server).await;
    set_ai_limit(&app, "starter", 3).await;
    let (s, lead) = ana_with_a_lead(&app).await;

    let responses = join_all((0..10).map(|_| generate(&app, &s, email_request(lead)))).await;
    let mut ok = 0;
    let mut refused = Vec::new();
    for res in responses {
        match res.status() {
            StatusCode::OK => ok += 1,
            _ => refused
                .push(assert_error(res, StatusCode::PAYMENT_REQUIRED, "LIMIT_EXCEEDED").await),
        }
    }
    assert_eq!((ok, refused.len()), (3, 7));
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        3,
        "no call over the limit"
    );
    let details = &refused[0]["details"];
    assert_eq!(details["limit"], "max_ai_per_day");
    assert_eq!(details["max"], 3);
    assert_eq!(details["plan"], "starter");
    assert_eq!(details["upgrade_url"], "/configuracoes/plano");
    assert!(details["resets_at"].is_string());
    assert!(refused[0]["message"].as_str().unwrap().contains("Starter"));

    let usage: Value = app.get_json("/api/v1/ai/usage", &s).await;
    assert_eq!(
        (usage["used"].clone(), usage["remaining"].clone()),
        (json!(3), json!(0))
    );
    let log: Value = app.get_json("/api/v1/ai/generations", &s).await;
    assert_eq!(log["totals"]["succeeded"], 3);
    assert_eq!(log["totals"]["limit_exceeded"], 7);
}

#[tokio::test]
async fn a_failure_frees_its_slot_and_unlimited_plans_have_no_ceiling() {
    let server = MockServer::start().await;
    let app = anthropic_app(&server).await;
    set_ai_limit(&app, "starter", 1).await;
    let (s, lead) = ana_with_a_lead(&app).await;

    Mock::given(path("/v1/messages"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(fake_ai::anthropic_error("authentication_error", "bad key")),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    answer_with(&server, anthropic_ok(EMAIL_ANSWER)).await;
    assert_eq!(
        generate(&app, &s, email_request(lead)).await.status(),
        StatusCode::BAD_GATEWAY
    );
    let res = generate(&app, &s, email_request(lead)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["remaining_today"], 0);
    assert_error(
        generate(&app, &s, email_request(lead)).await,
        StatusCode::PAYMENT_REQUIRED,
        "LIMIT_EXCEEDED",
    )
    .await;

    app.set_plan(&s, "enterprise").await;
    let res = generate(&app, &s, email_request(lead)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<Value>().await.unwrap()["remaining_today"],
        Value::Null
    );
    let usage: Value = app.get_json("/api/v1/ai/usage", &s).await;
    assert_eq!(usage["limit"], -1);
    assert_eq!(usage["unlimited"], true);
    assert_eq!(usage["remaining"], Value::Null);
    assert_eq!(usage["used"], 2);
}

#[tokio::test]
async fn the_day_is_the_organizations() {
    let (_server, app) = answering(anthropic_ok(EMAIL_ANSWER)).await;
    set_ai_limit(&app, "starter", 1).await;
    let (s, lead) = ana_with_a_lead(&app).await;
    // A zone whose date differs from UTC's right now: UTC+14 from 10:00 UTC, UTC−11
    // before 11:00 UTC.
    let utc_hour = chrono::Timelike::hour(&chrono::Utc::now());
    let tz = if utc_hour >= 10 {
        "Pacific/Kiritimati"
    } else {
        "Pacific/Pago_Pago"
    };
    sqlx::query("UPDATE organizations SET timezone = $2 WHERE id = $1")
        .bind(s.org_id())
        .bind(tz)
        .execute(app.db.pool())
        .await
        .unwrap();
    let (today, yesterday, midnight): (
        chrono::NaiveDate,
        chrono::NaiveDate,
        chrono::DateTime<chrono::Utc>,
    ) = sqlx::query_as(
        "SELECT (now() AT TIME ZONE $1)::date, (now() AT TIME ZONE $1)::date - 1,
                    ((now() AT TIME ZONE $1)::date + 1)::timestamp AT TIME ZONE $1",
    )
    .bind(tz)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    // Yesterday (there) used everything; today is fresh.
    sqlx::query("INSERT INTO ai_usage (org_id, usage_date, generation_count, daily_limit) VALUES ($1, $2, 1, 1)")
        .bind(s.org_id())
        .bind(yesterday)
        .execute(app.db.pool())
        .await
        .unwrap();

    let usage: Value = app.get_json("/api/v1/ai/usage", &s).await;
    assert_eq!(usage["date"], today.to_string());
    assert_eq!(usage["used"], 0);
    let resets_at: chrono::DateTime<chrono::Utc> =
        usage["resets_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(resets_at, midnight);
    assert_eq!(
        generate(&app, &s, email_request(lead)).await.status(),
        StatusCode::OK
    );
    let day: chrono::NaiveDate = sqlx::query_scalar("SELECT usage_date FROM ai_usage WHERE org_id = $1 AND generation_count = 1 ORDER BY usage_date DESC LIMIT 1")
        .bind(s.org_id())
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(day, today);
}

#[tokio::test]
async fn organizations_and_members_see_only_what_is_theirs() {
    let (server, app) = answering(anthropic_ok(EMAIL_ANSWER)).await;
    let a = app.signup("Ana", "ana@acme.com.br").await;
    let sdr = app
        .add_member(&a, "Bruno", "bruno@acme.com.br", "sdr")
        .await;
    let b = app.signup("Bia", "bia@outra.com.br").await;
    let a_lead = app.enriched_lead(&a).await;

    // Another organization cannot write for A's lead, nor see A's usage or log.
    let fields = invalid_fields(generate(&app, &b, email_request(a_lead)).await).await;
    assert_eq!(fields, ["lead_id"]);
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
    assert_eq!(
        generate(&app, &a, email_request(a_lead)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        generate(&app, &sdr, email_request(a_lead)).await.status(),
        StatusCode::OK
    );
    let b_usage: Value = app.get_json("/api/v1/ai/usage", &b).await;
    assert_eq!(b_usage["used"], 0);
    let b_log: Value = app.get_json("/api/v1/ai/generations", &b).await;
    assert_eq!(b_log["total"], 0);
    // B's failed attempt on A's lead never reached the log of either.
    let a_usage: Value = app.get_json("/api/v1/ai/usage", &a).await;
    assert_eq!(a_usage["used"], 2);

    // The manager sees the team's log and can filter by member; the SDR sees only
    // their own and cannot ask for someone else's.
    let team: Value = app.get_json("/api/v1/ai/generations", &a).await;
    assert_eq!(team["total"], 2);
    let only_sdr: Value = app
        .get_json(
            &format!("/api/v1/ai/generations?user_id={}", sdr.user_id()),
            &a,
        )
        .await;
    assert_eq!(only_sdr["total"], 1);
    let own: Value = app.get_json("/api/v1/ai/generations", &sdr).await;
    assert_eq!(own["total"], 1);
    assert_eq!(own["items"][0]["user_name"], "Bruno");
    let res = app
        .get(
            &format!("/api/v1/ai/generations?user_id={}", a.user_id()),
            Some(sdr.token()),
        )
        .await;
    assert_error(res, StatusCode::FORBIDDEN, "FORBIDDEN").await;
}

#[tokio::test]
async fn a_generation_that_never_finished_frees_its_slot_later() {
    let (_server, app) = answering(anthropic_ok(EMAIL_ANSWER)).await;
    set_ai_limit(&app, "starter", 1).await;
    let (s, lead) = ana_with_a_lead(&app).await;
    // A process died while the provider was writing: its slot is still held.
    let stuck: Uuid = sqlx::query_scalar(
        "INSERT INTO ai_generations (org_id, source, channel, provider, model, usage_date)
         SELECT id, 'on_demand', 'email', 'anthropic', 'm', (now() AT TIME ZONE timezone)::date
         FROM organizations WHERE id = $1 RETURNING id",
    )
    .bind(s.org_id())
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    let usage: Value = app.get_json("/api/v1/ai/usage", &s).await;
    assert_eq!(
        (usage["in_progress"].clone(), usage["remaining"].clone()),
        (json!(1), json!(0))
    );
    let error = assert_error(
        generate(&app, &s, email_request(lead)).await,
        StatusCode::PAYMENT_REQUIRED,
        "LIMIT_EXCEEDED",
    )
    .await;
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("sendo escritas agora"),
        "{error}"
    );

    // Past the reservation window (longer than any provider call) it is abandoned.
    sqlx::query("UPDATE ai_generations SET created_at = now() - interval '1 hour' WHERE id = $1")
        .bind(stuck)
        .execute(app.db.pool())
        .await
        .unwrap();
    assert_eq!(
        generate(&app, &s, email_request(lead)).await.status(),
        StatusCode::OK
    );
    let (outcome, code): (String, Option<String>) =
        sqlx::query_as("SELECT outcome::text, error_code FROM ai_generations WHERE id = $1")
            .bind(stuck)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(
        (outcome.as_str(), code.as_deref()),
        ("failed", Some("abandoned"))
    );
}

#[tokio::test]
async fn a_member_past_the_request_rate_waits_and_others_do_not() {
    let server = MockServer::start().await;
    answer_with(&server, anthropic_ok("Assunto: Oi\n\nOlá!")).await;
    let app = spawn_app_with(&[
        ("FLUX_AI_PROVIDER", "anthropic"),
        ("FLUX_ANTHROPIC_URL", &server.uri()),
        ("FLUX_ANTHROPIC_API_KEY", "sk-ant-test"),
        ("FLUX_AI_RATE_PER_MEMBER", "2"),
    ])
    .await;
    let (s, lead) = ana_with_a_lead(&app).await;
    for _ in 0..2 {
        assert_eq!(
            generate(&app, &s, email_request(lead)).await.status(),
            StatusCode::OK
        );
    }
    let res = generate(&app, &s, email_request(lead)).await;
    assert!(res.headers().contains_key("retry-after"));
    assert_error(res, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMIT").await;
    // Not even logged: the provider and the usage log never saw it.
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
    let log = app.get_json("/api/v1/ai/generations", &s).await;
    assert_eq!(log["total"], 2);

    let bia = app.signup("Bia", "bia@outra.com.br").await;
    let lead = app.enriched_lead(&bia).await;
    assert_eq!(
        generate(&app, &bia, email_request(lead)).await.status(),
        StatusCode::OK
    );
}
