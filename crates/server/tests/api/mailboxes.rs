//! `/api/v1/mailboxes`: senders' mailboxes, sealed passwords, who sees which, and the
//! connection test against a local SMTP server.

use flux_persistence::mailboxes::{sealing_context, Credential};
use flux_platform::SecretsKey;
use flux_testkit::{imap_inbox::ImapInbox, smtp_sink::SmtpSink};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{
    assert_error, assert_not_found, conflict_fields, fields, invalid_fields, spawn_app,
    spawn_app_with, Session, TestApp, TEST_SECRETS_KEY,
};

fn mailbox(host: &str, port: u16) -> Value {
    json!({
        "from_name": "  Bia Lima ",
        "from_email": "Bia@Acme.com.br",
        "smtp_host": host,
        "smtp_port": port,
        "smtp_security": "none",
        "smtp_username": "bia",
        "smtp_password": "s3nha-smtp",
    })
}

async fn create(app: &TestApp, s: &Session, body: &Value) -> Value {
    let res = app.post("/api/v1/mailboxes", body, Some(s.token())).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

async fn sealed_password(app: &TestApp, id: &str) -> Vec<u8> {
    sqlx::query_scalar("SELECT smtp_password_enc FROM mailboxes WHERE id = $1::uuid")
        .bind(id)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn members_keep_their_own_mailbox_with_the_password_sealed() {
    let app = spawn_app().await;
    let manager = app.signup("Ana", "ana@acme.com.br").await;
    let sdr = app
        .add_member(&manager, "Bia Lima", "bia@acme.com.br", "sdr")
        .await;

    let created = create(&app, &sdr, &mailbox("SMTP.Acme.com.br", 587)).await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["user_id"], json!(sdr.user_id()));
    assert_eq!(created["from_name"], "Bia Lima");
    assert_eq!(created["from_email"], "bia@acme.com.br");
    assert_eq!(created["smtp_host"], "smtp.acme.com.br");
    assert_eq!(created["smtp_security"], "none");
    assert_eq!(
        (
            created["daily_limit"].as_i64(),
            created["min_interval_seconds"].as_i64()
        ),
        (Some(200), Some(60))
    );
    assert_eq!(created["imap_folder"], "INBOX");
    assert!(created.get("smtp_password").is_none() && created.get("smtp_password_enc").is_none());
    assert!(!created.to_string().contains("s3nha"));

    // Sealed under the organization: opens with the key and this org's context only.
    let key = SecretsKey::from_base64(TEST_SECRETS_KEY).unwrap();
    let sealed = sealed_password(&app, &id).await;
    assert!(!String::from_utf8_lossy(&sealed).contains("s3nha"));
    let context = sealing_context(sdr.org_id(), Credential::Smtp);
    assert_eq!(key.open(&sealed, &context).unwrap(), b"s3nha-smtp");
    assert!(key
        .open(
            &sealed,
            &sealing_context(uuid::Uuid::new_v4(), Credential::Smtp)
        )
        .is_err());

    // A PATCH without a password keeps it; with one, replaces it.
    let res = app
        .patch(
            &format!("/api/v1/mailboxes/{id}"),
            &json!({"daily_limit": 50}),
            Some(sdr.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["daily_limit"], 50);
    assert_eq!(
        key.open(&sealed_password(&app, &id).await, &context)
            .unwrap(),
        b"s3nha-smtp"
    );
    let res = app
        .patch(
            &format!("/api/v1/mailboxes/{id}"),
            &json!({"smtp_password": "nova"}),
            Some(sdr.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        key.open(&sealed_password(&app, &id).await, &context)
            .unwrap(),
        b"nova"
    );

    // A PATCH is validated like a creation, and a bad one changes nothing.
    for (field, value) in [
        ("from_email", json!("x")),
        ("daily_limit", json!(0)),
        ("imap_folder", json!("")),
    ] {
        let res = app
            .patch(
                &format!("/api/v1/mailboxes/{id}"),
                &json!({ field: value }),
                Some(sdr.token()),
            )
            .await;
        assert_eq!(invalid_fields(res).await, [field], "{field}");
    }
    let res = app
        .patch(
            &format!("/api/v1/mailboxes/{id}"),
            &json!({"smtp_port": 70000}),
            Some(sdr.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let kept: Value = app.get_json(&format!("/api/v1/mailboxes/{id}"), &sdr).await;
    assert_eq!(
        (kept["daily_limit"].as_i64(), kept["smtp_port"].as_i64()),
        (Some(50), Some(587))
    );

    // The IMAP sync position survives other edits; a new folder starts it over.
    let sync = |app: &TestApp, id: String| {
        let pool = app.db.pool().clone();
        async move {
            sqlx::query_as::<_, (Option<i64>, Option<i64>)>(
                "SELECT imap_uidvalidity, imap_last_uid FROM mailboxes WHERE id = $1::uuid",
            )
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    sqlx::query(
        "UPDATE mailboxes SET imap_uidvalidity = 7, imap_last_uid = 99 WHERE id = $1::uuid",
    )
    .bind(&id)
    .execute(app.db.pool())
    .await
    .unwrap();
    let path = format!("/api/v1/mailboxes/{id}");
    app.patch(&path, &json!({"from_name": "Bia L."}), Some(sdr.token()))
        .await;
    assert_eq!(sync(&app, id.clone()).await, (Some(7), Some(99)));
    app.patch(
        &path,
        &json!({"imap_folder": "Respostas"}),
        Some(sdr.token()),
    )
    .await;
    assert_eq!(sync(&app, id.clone()).await, (None, None));

    // Pointing it at another server needs the password again (or the stored one
    // could be sent there).
    for moved in [
        json!({"smtp_host": "evil.example.com"}),
        json!({"smtp_port": 25}),
        json!({"smtp_security": "tls"}),
        json!({"smtp_username": "outro"}),
    ] {
        let res = app
            .patch(
                &format!("/api/v1/mailboxes/{id}"),
                &moved,
                Some(sdr.token()),
            )
            .await;
        assert_eq!(invalid_fields(res).await, ["smtp_password"], "{moved}");
    }
    let res = app
        .patch(
            &format!("/api/v1/mailboxes/{id}"),
            &json!({"imap_host": "imap.evil.com"}),
            Some(sdr.token()),
        )
        .await;
    assert_eq!(invalid_fields(res).await, ["imap_password"]);

    // One per member; an SDR cannot make one for someone else.
    let res = app
        .post(
            "/api/v1/mailboxes",
            &mailbox("smtp.acme.com.br", 587),
            Some(sdr.token()),
        )
        .await;
    assert_eq!(conflict_fields(res).await, ["user_id"]);
    let mut for_manager = mailbox("smtp.acme.com.br", 587);
    for_manager["user_id"] = json!(manager.user_id());
    let res = app
        .post("/api/v1/mailboxes", &for_manager, Some(sdr.token()))
        .await;
    assert_error(res, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let mine = create(&app, &manager, &for_manager).await;
    let mut for_stranger = mailbox("smtp.acme.com.br", 587);
    for_stranger["user_id"] = json!(uuid::Uuid::new_v4());
    let res = app
        .post("/api/v1/mailboxes", &for_stranger, Some(manager.token()))
        .await;
    assert_eq!(invalid_fields(res).await, ["user_id"]);

    // The SDR sees and touches only their own; the manager sees both.
    let list: Value = app.get_json("/api/v1/mailboxes", &sdr).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let list: Value = app.get_json("/api/v1/mailboxes", &manager).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let theirs = format!("/api/v1/mailboxes/{}", mine["id"].as_str().unwrap());
    let res = app.get(&theirs, Some(sdr.token())).await;
    assert_error(res, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let res = app.delete(&theirs, Some(sdr.token())).await;
    assert_error(res, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let res = app
        .get(&format!("/api/v1/mailboxes/{id}"), Some(manager.token()))
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    let res = app
        .delete(&format!("/api/v1/mailboxes/{id}"), Some(sdr.token()))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_not_found(
        app.get(&format!("/api/v1/mailboxes/{id}"), Some(sdr.token()))
            .await,
    )
    .await;
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_logs WHERE action LIKE 'mailbox.%'
           AND changes::text NOT LIKE '%s3nha%' AND changes::text NOT LIKE '%nova%'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        audited, 7,
        "created ×2, updated ×4, deleted; never a password"
    );
}

#[tokio::test]
async fn invalid_mailboxes_name_the_field() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let cases = [
        ("from_name", json!("  ")),
        ("from_email", json!("sem-arroba")),
        ("smtp_host", json!("smtp acme")),
        ("smtp_host", json!("")),
        ("smtp_port", json!(0)),
        ("smtp_password", json!("")),
        ("daily_limit", json!(0)),
        ("min_interval_seconds", json!(-1)),
        ("imap_folder", json!(" ")),
    ];
    for (field, value) in cases {
        let mut body = mailbox("smtp.acme.com.br", 587);
        body[field] = value.clone();
        let res = app.post("/api/v1/mailboxes", &body, Some(s.token())).await;
        assert_eq!(invalid_fields(res).await, [field], "{field} = {value}");
    }
    let mut body = mailbox("smtp.acme.com.br", 587);
    body["imap_enabled"] = json!(true);
    body["imap_host"] = json!("imap.acme.com.br");
    let res = app.post("/api/v1/mailboxes", &body, Some(s.token())).await;
    assert_eq!(invalid_fields(res).await, ["imap_port"]);
    let mut body = mailbox("smtp.acme.com.br", 587);
    body["smtp_security"] = json!("ssl");
    let res = app.post("/api/v1/mailboxes", &body, Some(s.token())).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn internal_mail_hosts_are_refused_unless_the_operator_allows_them() {
    let app = spawn_app_with(&[("FLUX_ALLOW_PRIVATE_MAIL_HOSTS", "false")]).await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    // Certainly internal as typed: refused when saved.
    for host in [
        "127.0.0.1",
        "localhost",
        "10.0.0.8",
        "169.254.169.254",
        "[::1]",
        "[fd00::1]",
    ] {
        let res = app
            .post("/api/v1/mailboxes", &mailbox(host, 587), Some(s.token()))
            .await;
        let body = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION").await;
        assert_eq!(fields(&body), ["smtp_host"], "{host}");
        assert!(
            body.to_string().contains("endereço interno"),
            "{host}: {body}"
        );
    }
    let mut body = mailbox("smtp.acme.com.br", 587);
    body["imap_enabled"] = json!(true);
    body["imap_host"] = json!("192.168.0.2");
    body["imap_port"] = json!(993);
    body["imap_security"] = json!("tls");
    body["imap_username"] = json!("bia");
    body["imap_password"] = json!("x");
    let res = app.post("/api/v1/mailboxes", &body, Some(s.token())).await;
    assert_eq!(invalid_fields(res).await, ["imap_host"]);

    // A name that only resolves to loopback ("127.1" is 127.0.0.1 to the resolver) is
    // saved, and refused when connected to (the sink would have accepted the login).
    let sink = SmtpSink::start().await;
    let created = create(&app, &s, &mailbox("127.1", sink.port())).await;
    let path = format!("/api/v1/mailboxes/{}/test", created["id"].as_str().unwrap());
    let result: Value = app
        .post(&path, &json!({}), Some(s.token()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(result["smtp"]["ok"], false, "{result}");
    assert!(
        result["smtp"]["message"]
            .as_str()
            .unwrap()
            .contains("127.1 (127.0.0.1) é um endereço interno"),
        "{result}"
    );
}

#[tokio::test]
async fn the_connection_test_logs_in_and_reports_the_servers_answer() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let sink = SmtpSink::start().await;
    sink.require_login("bia", "s3nha-smtp");
    let created = create(&app, &s, &mailbox(&sink.host(), sink.port())).await;
    let path = format!("/api/v1/mailboxes/{}", created["id"].as_str().unwrap());

    let res = app
        .post(&format!("{path}/test"), &json!({}), Some(s.token()))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let result: Value = res.json().await.unwrap();
    assert_eq!(result["smtp"]["ok"], true, "{result}");
    assert!(sink.received().is_empty(), "the test sends nothing");

    app.patch(&path, &json!({"smtp_password": "errada"}), Some(s.token()))
        .await;
    let result: Value = app
        .post(&format!("{path}/test"), &json!({}), Some(s.token()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(result["smtp"]["ok"], false);
    assert!(
        result["smtp"]["message"].as_str().unwrap().contains("535"),
        "{result}"
    );

    app.patch(&path, &json!({"smtp_port": 9}), Some(s.token()))
        .await;
    let result: Value = app
        .post(&format!("{path}/test"), &json!({}), Some(s.token()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(result["smtp"]["ok"], false);
    assert_eq!(result["imap"], Value::Null, "reply reading is off");
}

#[tokio::test]
async fn connection_tests_are_limited_per_member() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    // Port 9 refuses at once: each test is quick, and none reaches a server.
    let created = create(&app, &s, &mailbox("127.0.0.1", 9)).await;
    let path = format!("/api/v1/mailboxes/{}/test", created["id"].as_str().unwrap());
    for _ in 0..10 {
        let res = app.post(&path, &json!({}), Some(s.token())).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let res = app.post(&path, &json!({}), Some(s.token())).await;
    assert!(res.headers().contains_key("retry-after"));
    assert_error(res, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMIT").await;
    // Another member has their own budget.
    let sdr = app.add_member(&s, "Caio", "caio@acme.com.br", "sdr").await;
    let theirs = create(&app, &sdr, &mailbox("127.0.0.1", 9)).await;
    let res = app
        .post(
            &format!("/api/v1/mailboxes/{}/test", theirs["id"].as_str().unwrap()),
            &json!({}),
            Some(sdr.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_connection_test_checks_the_imap_login_and_folder_too() {
    let app = spawn_app().await;
    let s = app.signup("Bia", "bia@acme.com.br").await;
    let sink = SmtpSink::start().await;
    let inbox = ImapInbox::start("bia@acme.com.br", "s3nha-imap").await;
    let mut body = mailbox(&sink.host(), sink.port());
    body["imap_enabled"] = json!(true);
    body["imap_host"] = json!(inbox.host());
    body["imap_port"] = json!(inbox.port());
    body["imap_security"] = json!("none");
    body["imap_username"] = json!("bia@acme.com.br");
    body["imap_password"] = json!("s3nha-imap");
    let created = create(&app, &s, &body).await;
    let path = format!("/api/v1/mailboxes/{}", created["id"].as_str().unwrap());
    let test = |path: String| {
        let app = &app;
        let s = &s;
        async move {
            app.post(&format!("{path}/test"), &json!({}), Some(s.token()))
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };

    let result = test(path.clone()).await;
    assert_eq!(result["smtp"]["ok"], true, "{result}");
    assert_eq!(result["imap"]["ok"], true, "{result}");
    assert!(
        result["imap"]["message"]
            .as_str()
            .unwrap()
            .contains("INBOX"),
        "{result}"
    );
    assert!(inbox.commands().iter().any(|c| c.contains("EXAMINE")));

    app.patch(
        &path,
        &json!({"imap_folder": "Respostas", "imap_password": "s3nha-imap"}),
        Some(s.token()),
    )
    .await;
    let result = test(path.clone()).await;
    assert_eq!(result["imap"]["ok"], false, "{result}");
    assert!(
        result["imap"]["message"]
            .as_str()
            .unwrap()
            .contains("pasta"),
        "{result}"
    );

    app.patch(
        &path,
        &json!({"imap_folder": "INBOX", "imap_password": "errada"}),
        Some(s.token()),
    )
    .await;
    let result = test(path.clone()).await;
    assert_eq!(result["smtp"]["ok"], true, "{result}");
    assert_eq!(result["imap"]["ok"], false, "{result}");
    assert!(
        result["imap"]["message"]
            .as_str()
            .unwrap()
            .contains("login"),
        "{result}"
    );
}

#[tokio::test]
async fn mailboxes_are_invisible_across_organizations() {
    let app = spawn_app().await;
    let ours = app.signup("Ana", "ana@acme.com.br").await;
    let theirs = app.signup("Caio", "caio@beta.com.br").await;
    let created = create(&app, &ours, &mailbox("smtp.acme.com.br", 587)).await;
    let path = format!("/api/v1/mailboxes/{}", created["id"].as_str().unwrap());

    assert_not_found(app.get(&path, Some(theirs.token())).await).await;
    assert_not_found(
        app.patch(&path, &json!({"daily_limit": 1}), Some(theirs.token()))
            .await,
    )
    .await;
    assert_not_found(
        app.post(&format!("{path}/test"), &json!({}), Some(theirs.token()))
            .await,
    )
    .await;
    assert_not_found(app.delete(&path, Some(theirs.token())).await).await;
    let list: Value = app.get_json("/api/v1/mailboxes", &theirs).await;
    assert_eq!(list["items"], json!([]));
    // Theirs can be created for themselves, not for our member.
    let mut body = mailbox("smtp.beta.com.br", 587);
    body["user_id"] = json!(ours.user_id());
    let res = app
        .post("/api/v1/mailboxes", &body, Some(theirs.token()))
        .await;
    assert_eq!(invalid_fields(res).await, ["user_id"]);
    let still: Value = app.get_json(&path, &ours).await;
    assert_eq!(still["daily_limit"], 200);
}
