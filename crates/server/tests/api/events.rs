//! `GET /api/v1/events`: Server-Sent Events fanned out through LISTEN/NOTIFY, across
//! server instances, per organization, with replay after `Last-Event-ID`.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{assert_error, spawn_app, Session, TestApp};

/// An open event stream and the frames read from it so far.
struct EventStream {
    body: std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buffer: String,
}

#[derive(Debug, Clone)]
struct Event {
    id: i64,
    kind: String,
    data: Value,
}

impl EventStream {
    async fn open(
        app: &TestApp,
        url: &str,
        token: Option<&str>,
        last_event_id: Option<i64>,
    ) -> Self {
        let mut req = app.client.get(app.url(url));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(id) = last_event_id {
            req = req.header("Last-Event-ID", id.to_string());
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-type"], "text/event-stream");
        let mut stream = Self {
            body: Box::pin(res.bytes_stream()),
            buffer: String::new(),
        };
        // The stream is live once its opening comment arrives.
        stream.read_until(|b| b.contains(": connected")).await;
        stream
    }

    async fn read_until(&mut self, done: impl Fn(&str) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !done(&self.buffer) {
            let chunk = tokio::time::timeout_at(deadline, self.body.next())
                .await
                .expect("timed out waiting for events")
                .expect("stream ended")
                .unwrap();
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    fn events(&self) -> Vec<Event> {
        self.buffer
            .split("\n\n")
            .filter_map(|frame| {
                let field = |name: &str| {
                    frame
                        .lines()
                        .find_map(|l| l.strip_prefix(&format!("{name}: ")).map(str::to_owned))
                };
                Some(Event {
                    id: field("id")?.parse().ok()?,
                    kind: field("event")?,
                    data: serde_json::from_str(&field("data")?).ok()?,
                })
            })
            .collect()
    }

    /// Waits for an event of `kind` and returns it.
    async fn next_of(&mut self, kind: &str) -> Event {
        let needle = format!("event: {kind}\n");
        self.read_until(|b| b.contains(&needle)).await;
        self.events().into_iter().find(|e| e.kind == kind).unwrap()
    }
}

async fn start_import(app: &TestApp, s: &Session, cnpj: &str) -> String {
    let res = app
        .upload(
            s,
            "/api/v1/lead-imports",
            "l.csv",
            format!("CNPJ\n{cnpj}\n").into_bytes(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn events_reach_streams_on_another_instance_and_only_of_their_organization() {
    let a = spawn_app().await;
    let b = a.second_instance().await;
    let ana = a.signup("Ana", "ana@acme.com.br").await;
    let bia = a.signup("Bia", "bia@outra.com.br").await;
    let mut ana_on_b = EventStream::open(&b, "/api/v1/events", Some(ana.token()), None).await;
    let mut bia_on_b = EventStream::open(&b, "/api/v1/events", Some(bia.token()), None).await;

    // Ana imports through instance A; the worker (here: the test) processes it.
    let import_id = start_import(&a, &ana, "11222333000181").await;
    let created = ana_on_b.next_of("import.created").await;
    assert_eq!(created.data["import_id"], import_id.as_str());
    assert_eq!(created.data["status"], "queued");
    a.run_import_jobs().await;
    let done = ana_on_b.next_of("import.completed").await;
    assert_eq!(done.data["success_count"], 1);
    assert!(done.id > created.id);

    // Bia's stream got nothing of Ana's: her own import is the first thing she sees.
    let bias_import = start_import(&b, &bia, "33000167000101").await;
    let first = bia_on_b.next_of("import.created").await;
    assert_eq!(first.data["import_id"], bias_import.as_str());
    assert!(bia_on_b
        .events()
        .iter()
        .all(|e| e.data["import_id"] == bias_import.as_str()));
}

impl EventStream {
    /// Reads until the server ends the stream; false if it stays open for 10 s.
    async fn ends(&mut self) -> bool {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            match tokio::time::timeout_at(deadline, self.body.next()).await {
                Err(_) => return false,
                Ok(None) | Ok(Some(Err(_))) => return true,
                Ok(Some(Ok(_))) => continue,
            }
        }
    }
}

#[tokio::test]
async fn logging_out_ends_the_users_streams_on_every_instance() {
    let a = spawn_app().await;
    let b = a.second_instance().await;
    let ana = a.signup("Ana", "ana@acme.com.br").await;
    let bia = a.signup("Bia", "bia@outra.com.br").await;
    let mut ana_on_b = EventStream::open(&b, "/api/v1/events", Some(ana.token()), None).await;
    let mut bia_on_b = EventStream::open(&b, "/api/v1/events", Some(bia.token()), None).await;
    let res = a
        .post(
            "/api/v1/auth/logout",
            &serde_json::json!({"refresh_token": ana.refresh_token()}),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(ana_on_b.ends().await, "the stream outlived the logout");
    // Someone else's stream goes on.
    start_import(&a, &bia, "33000167000101").await;
    bia_on_b.next_of("import.created").await;
}

#[tokio::test]
async fn reconnecting_with_last_event_id_replays_what_was_missed() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    start_import(&app, &s, "11222333000181").await;
    app.run_import_jobs().await;
    let all: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, kind FROM events WHERE org_id = $1 ORDER BY id")
            .bind(s.org_id())
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert!(all.len() >= 3, "{all:?}");
    let (first_id, _) = all[0];
    let mut stream =
        EventStream::open(&app, "/api/v1/events", Some(s.token()), Some(first_id)).await;
    stream.next_of("import.completed").await;
    let replayed: Vec<(i64, String)> = stream
        .events()
        .into_iter()
        .map(|e| (e.id, e.kind))
        .collect();
    assert_eq!(
        replayed,
        all[1..].to_vec(),
        "everything after the given id, in order, once"
    );
}

#[tokio::test]
async fn browsers_use_a_short_lived_ticket_and_strangers_get_nothing() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let res = app
        .post(
            "/api/v1/events/ticket",
            &serde_json::json!({}),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let ticket: Value = res.json().await.unwrap();
    assert_eq!(ticket["expires_in"], 60);
    let url = format!(
        "/api/v1/events?ticket={}",
        ticket["ticket"].as_str().unwrap()
    );
    let mut stream = EventStream::open(&app, &url, None, None).await;
    start_import(&app, &s, "11222333000181").await;
    stream.next_of("import.created").await;

    assert_error(
        app.get("/api/v1/events", None).await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
    )
    .await;
    // An access token is not a ticket, and a ticket is not an access token.
    let res = app
        .get(&format!("/api/v1/events?ticket={}", s.token()), None)
        .await;
    assert_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    let res = app
        .get(
            "/api/v1/lead-imports",
            Some(ticket["ticket"].as_str().unwrap()),
        )
        .await;
    assert_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    let res = app
        .client
        .get(app.url("/api/v1/events"))
        .bearer_auth(s.token())
        .header("Last-Event-ID", "abc")
        .send()
        .await
        .unwrap();
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION").await;
}
