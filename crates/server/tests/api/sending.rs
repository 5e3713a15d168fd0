//! `/api/v1/organization/sending`: the send window, tracking and AI fallback settings.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, invalid_fields, spawn_app};

#[tokio::test]
async fn defaults_are_business_hours_in_sao_paulo_and_managers_change_them() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let other = app.signup("Bia", "bia@beta.com.br").await;
    let settings: Value = app.get_json("/api/v1/organization/sending", &s).await;
    assert_eq!(settings["timezone"], "America/Sao_Paulo");
    assert_eq!(
        settings["days"],
        json!(["monday", "tuesday", "wednesday", "thursday", "friday"])
    );
    assert_eq!(
        (settings["start"].as_str(), settings["end"].as_str()),
        (Some("08:00"), Some("18:00"))
    );
    assert_eq!(settings["send_on_optional_holidays"], false);
    assert_eq!(settings["track_opens"], false);
    assert_eq!(settings["ai_fallback"], "pause");
    let next: chrono::DateTime<chrono::Utc> =
        settings["next_open_at"].as_str().unwrap().parse().unwrap();
    assert!(next >= chrono::Utc::now() - chrono::Duration::seconds(5));

    // Only Sundays, 10:00–11:00 in Manaus: the next opening is a Sunday at 14:00 UTC.
    let res = app
        .patch(
            "/api/v1/organization/sending",
            &json!({"timezone": "America/Manaus", "days": ["sunday", "sunday"], "start": "10:00",
                    "end": "11:00", "track_opens": true, "ai_fallback": "send_template"}),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let updated: Value = res.json().await.unwrap();
    assert_eq!(updated["days"], json!(["sunday"]));
    assert_eq!(updated["track_opens"], true);
    assert_eq!(updated["track_clicks"], false);
    assert_eq!(updated["ai_fallback"], "send_template");
    let next: chrono::DateTime<chrono::Utc> =
        updated["next_open_at"].as_str().unwrap().parse().unwrap();
    use chrono::{Datelike, Timelike};
    assert_eq!(next.weekday(), chrono::Weekday::Sun);
    // (Or now, if this runs on a Sunday inside that hour.)
    assert_eq!(next.hour(), 14);
    let again: Value = app.get_json("/api/v1/organization/sending", &s).await;
    assert_eq!(again, updated);

    // Another organization keeps its own settings.
    let theirs: Value = app.get_json("/api/v1/organization/sending", &other).await;
    assert_eq!(theirs["timezone"], "America/Sao_Paulo");
    assert_eq!(theirs["track_opens"], false);
    assert_eq!(theirs["ai_fallback"], "pause");
}

#[tokio::test]
async fn invalid_settings_name_the_field_and_sdrs_cannot_change_them() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let cases = [
        (json!({"timezone": "Brasil/Paulista"}), "timezone"),
        (json!({"days": []}), "days"),
        (json!({"start": "8h"}), "start"),
        (json!({"start": "19:00"}), "end"),
        (json!({"end": "25:00"}), "end"),
    ];
    for (body, field) in cases {
        let res = app
            .patch("/api/v1/organization/sending", &body, Some(s.token()))
            .await;
        assert_eq!(invalid_fields(res).await, vec![field], "{body}");
    }
    let res = app
        .patch(
            "/api/v1/organization/sending",
            &json!({"days": ["someday"]}),
            Some(s.token()),
        )
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION").await;
    let res = app
        .patch(
            "/api/v1/organization/sending",
            &json!({"ai_fallback": "skip"}),
            Some(s.token()),
        )
        .await;
    assert_eq!(invalid_fields(res).await, vec!["ai_fallback"]);
    let settings: Value = app.get_json("/api/v1/organization/sending", &s).await;
    assert_eq!(settings["start"], "08:00");
    assert_eq!(settings["ai_fallback"], "pause");

    let sdr = app.add_member(&s, "Caio", "caio@acme.com.br", "sdr").await;
    let res = app
        .patch(
            "/api/v1/organization/sending",
            &json!({"track_clicks": true}),
            Some(sdr.token()),
        )
        .await;
    assert_error(res, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let seen: Value = app.get_json("/api/v1/organization/sending", &sdr).await;
    assert_eq!(seen["track_clicks"], false);
}
