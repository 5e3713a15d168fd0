use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{
    assert_error, conflict_fields, invalid_fields, spawn_app, Session, TestApp, PASSWORD,
};

#[tokio::test]
async fn manager_changes_a_members_role_and_the_change_applies_immediately() {
    let app = spawn_app().await;
    let manager = app.signup("Ana", "ana@acme.com.br").await;
    let sdr = app
        .add_member(&manager, "Caio", "caio@acme.com.br", "sdr")
        .await;
    let member_id = app.member_id(&manager, sdr.user_id()).await;

    // As an SDR, Caio cannot invite.
    let res = app.post_invitation(&sdr, "x@acme.com.br", "sdr").await;
    assert_error(res, StatusCode::FORBIDDEN, "FORBIDDEN").await;

    let res = app
        .patch_member(&manager, member_id, &json!({"role": "manager"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let updated: Value = res.json().await.unwrap();
    assert_eq!(updated["role"], "manager");

    // The same access token now carries manager rights (role is read per request).
    let res = app.post_invitation(&sdr, "x@acme.com.br", "sdr").await;
    assert_eq!(res.status(), StatusCode::CREATED);

    let audit: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_logs WHERE action = 'member.updated' AND changes->'after'->>'role' = 'manager'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(audit, 1);
}

#[tokio::test]
async fn deactivated_member_loses_access_and_sessions_and_can_be_reactivated() {
    let app = spawn_app().await;
    let manager = app.signup("Ana", "ana@acme.com.br").await;
    let sdr = app
        .add_member(&manager, "Caio", "caio@acme.com.br", "sdr")
        .await;
    let member_id = app.member_id(&manager, sdr.user_id()).await;

    let res = app
        .patch_member(&manager, member_id, &json!({"status": "suspended"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    assert_error(
        app.get("/api/v1/me", Some(sdr.token())).await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
    )
    .await;
    let refresh = app
        .post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": sdr.refresh_token()}),
            None,
        )
        .await;
    assert_error(refresh, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    assert_error(
        app.login("caio@acme.com.br", PASSWORD).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;

    let res = app
        .patch_member(&manager, member_id, &json!({"status": "active"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.login("caio@acme.com.br", PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_last_active_manager_cannot_be_demoted_or_deactivated() {
    let app = spawn_app().await;
    let manager = app.signup("Ana", "ana@acme.com.br").await;
    let own_id = app.member_id(&manager, manager.user_id()).await;
    let res = app
        .patch_member(&manager, own_id, &json!({"role": "sdr"}))
        .await;
    assert_eq!(conflict_fields(res).await, ["role"]);
    let res = app
        .patch_member(&manager, own_id, &json!({"status": "suspended"}))
        .await;
    assert_eq!(conflict_fields(res).await, ["status"]);

    // With a second manager, the first may step down.
    let second = app
        .add_member(&manager, "Bia", "bia@acme.com.br", "manager")
        .await;
    let res = app
        .patch_member(&second, own_id, &json!({"role": "sdr"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn member_update_rejects_empty_and_invalid_bodies() {
    let app = spawn_app().await;
    let manager = app.signup("Ana", "ana@acme.com.br").await;
    let id = app.member_id(&manager, manager.user_id()).await;
    let res = app.patch_member(&manager, id, &json!({})).await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION").await;
    let res = app
        .patch_member(&manager, id, &json!({"role": "admin"}))
        .await;
    assert_eq!(invalid_fields(res).await, ["role"]);
    let res = app
        .patch_member(&manager, id, &json!({"status": "removed"}))
        .await;
    assert_eq!(invalid_fields(res).await, ["status"]);
    let res = app
        .patch(
            &format!("/api/v1/members/{}", uuid::Uuid::new_v4()),
            &json!({"role": "sdr"}),
            Some(manager.token()),
        )
        .await;
    assert_error(res, StatusCode::NOT_FOUND, "NOT_FOUND").await;
}

#[tokio::test]
async fn permission_matrix_is_enforced_for_sdrs_on_every_management_route() {
    let app = spawn_app().await;
    let manager = app.signup("Ana", "ana@acme.com.br").await;
    let sdr = app
        .add_member(&manager, "Caio", "caio@acme.com.br", "sdr")
        .await;
    let id = app.member_id(&manager, manager.user_id()).await;
    let invitation = uuid::Uuid::new_v4();
    let t = Some(sdr.token());
    for res in [
        app.post(
            "/api/v1/invitations",
            &json!({"email": "x@acme.com.br", "role": "sdr"}),
            t,
        )
        .await,
        app.get("/api/v1/invitations", t).await,
        app.delete(&format!("/api/v1/invitations/{invitation}"), t)
            .await,
        app.patch(&format!("/api/v1/members/{id}"), &json!({"role": "sdr"}), t)
            .await,
    ] {
        let error = assert_error(res, StatusCode::FORBIDDEN, "FORBIDDEN").await;
        assert!(error["message"].as_str().unwrap().contains("users:manage"));
    }
    // What SDRs may do: see themselves and the team.
    assert_eq!(app.get("/api/v1/me", t).await.status(), StatusCode::OK);
    let members: Value = app.get("/api/v1/members", t).await.json().await.unwrap();
    assert_eq!(members["total"], 2);
    let me: Value = app.get("/api/v1/me", t).await.json().await.unwrap();
    let perms: Vec<&str> = me["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(!perms.contains(&"users:manage") && perms.contains(&"leads:read"));
}

#[tokio::test]
async fn concurrent_invitations_never_exceed_the_plan_seats() {
    let app = spawn_app().await;
    let manager = app.signup("Ana", "ana@acme.com.br").await;
    // Starter: 4 seats, 1 taken by the manager; 6 invitations race for the other 3.
    let bodies: Vec<Value> = (0..6)
        .map(|i| json!({"email": format!("sdr{i}@acme.com.br"), "role": "sdr"}))
        .collect();
    let requests = bodies
        .iter()
        .map(|body| app.post("/api/v1/invitations", body, Some(manager.token())));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(requests)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::PAYMENT_REQUIRED)
        .count();
    assert_eq!((created, refused), (3, 3), "{statuses:?}");
}

#[tokio::test]
async fn two_managers_demoting_each_other_at_once_leave_one_manager_and_no_error() {
    let app = spawn_app().await;
    let ana = app.signup("Ana", "ana@acme.com.br").await;
    let bia = app
        .add_member(&ana, "Bia", "bia@acme.com.br", "manager")
        .await;
    let ana_id = app.member_id(&ana, ana.user_id()).await;
    let bia_id = app.member_id(&ana, bia.user_id()).await;
    let demote = json!({"role": "sdr"});
    let (bia_path, ana_path) = (
        format!("/api/v1/members/{bia_id}"),
        format!("/api/v1/members/{ana_id}"),
    );
    let (a, b) = tokio::join!(
        app.patch(&bia_path, &demote, Some(ana.token())),
        app.patch(&ana_path, &demote, Some(bia.token())),
    );
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    // Serialized: the first demotion wins; the second is either refused (last manager)
    // or, if it ran second with its author already an SDR, forbidden.
    assert_eq!(statuses[0], StatusCode::OK, "{statuses:?}");
    assert!(
        matches!(statuses[1], StatusCode::FORBIDDEN | StatusCode::CONFLICT),
        "{statuses:?}"
    );
    let managers: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM organization_members WHERE role = 'manager' AND status = 'active'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(managers, 1);
}

/// Runs `attempt` every 50 ms until it returns true, for up to five seconds.
async fn eventually<F: std::future::Future<Output = bool>>(mut attempt: impl FnMut() -> F) -> bool {
    for _ in 0..100 {
        if attempt().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// `/me` as `session` on `app` until it answers `expected`.
async fn until_me_answers(app: &TestApp, session: &Session, expected: StatusCode) -> bool {
    eventually(|| async { app.get("/api/v1/me", Some(session.token())).await.status() == expected })
        .await
}

/// Until `app` answers a request of `session` from its membership cache.
async fn until_role_is_cached(app: &TestApp, session: &Session) {
    let cached = eventually(|| async {
        let hits_before = membership_cache_hits(app).await;
        assert_eq!(
            app.get("/api/v1/me", Some(session.token())).await.status(),
            StatusCode::OK
        );
        membership_cache_hits(app).await > hits_before
    })
    .await;
    assert!(cached, "the membership cache never answered");
}

async fn membership_cache_hits(app: &TestApp) -> u64 {
    let text = app.get("/metrics", None).await.text().await.unwrap();
    text.lines()
        .find(|l| l.starts_with("flux_membership_lookups_total{result=\"hit\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .map_or(0, |n| n.parse().unwrap())
}

#[tokio::test]
async fn a_membership_change_reaches_every_server_process_that_cached_the_role() {
    let a = spawn_app().await;
    let b = a.second_instance().await;
    let manager = a.signup("Ana", "ana@acme.com.br").await;
    let sdr = a
        .add_member(&manager, "Caio", "caio@acme.com.br", "sdr")
        .await;
    let member_id = a.member_id(&manager, sdr.user_id()).await;
    until_role_is_cached(&b, &sdr).await;

    // Deactivated through the other process: this one hears it from the database.
    let res = a
        .patch_member(&manager, member_id, &json!({"status": "suspended"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        until_me_answers(&b, &sdr, StatusCode::UNAUTHORIZED).await,
        "the other process still lets a deactivated member in"
    );
}

#[tokio::test]
async fn a_membership_changed_by_any_writer_is_not_served_from_the_cache() {
    let app = spawn_app().await;
    let manager = app.signup("Ana", "ana@acme.com.br").await;
    let sdr = app
        .add_member(&manager, "Caio", "caio@acme.com.br", "sdr")
        .await;
    until_role_is_cached(&app, &sdr).await;

    // A promotion written straight to the database (another service, an operator).
    sqlx::query("UPDATE organization_members SET role = 'manager' WHERE user_id = $1")
        .bind(sdr.user_id())
        .execute(app.db.pool())
        .await
        .unwrap();
    // Inviting needs the manager role, which the request's context carries.
    let promoted = eventually(|| async {
        let res = app.post_invitation(&sdr, "x@acme.com.br", "sdr").await;
        let status = res.status();
        assert!(
            status == StatusCode::CREATED || status == StatusCode::FORBIDDEN,
            "{status}"
        );
        status == StatusCode::CREATED
    })
    .await;
    assert!(promoted, "the cached SDR role outlived its change");

    sqlx::query("DELETE FROM organization_members WHERE user_id = $1")
        .bind(sdr.user_id())
        .execute(app.db.pool())
        .await
        .unwrap();
    assert!(
        until_me_answers(&app, &sdr, StatusCode::UNAUTHORIZED).await,
        "a removed membership still lets the member in"
    );
}
