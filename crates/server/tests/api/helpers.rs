//! `spawn_app()`: the production `Application::build` on port 0 over a fresh database,
//! with the production wiring of ports (`flux_server::wiring`) to local fake servers.

use std::{collections::HashMap, sync::Arc};

use flux_api::Application;
use flux_app::Ports;
use flux_dto::auth::AuthResponse;
use flux_persistence::Db;
use flux_platform::Settings;
use flux_testkit::TestDatabase;
use reqwest::{header::HeaderMap, Response, StatusCode};
use serde_json::{json, Value};

pub const PASSWORD: &str = "senha-forte-123";
/// 32 bytes of 0x2a, base64: what the tests' server seals and signs with.
pub const TEST_SECRETS_KEY: &str = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";

pub struct TestApp {
    pub address: String,
    pub db: Db,
    pub client: reqwest::Client,
    pub settings: Settings,
    /// The ports the server was built with, for tests that run jobs or the engine.
    pub ports: Ports,
    /// Dropping the last `TestApp` over a database drops the database.
    _database: Arc<TestDatabase>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    let test_db = TestDatabase::create().await;
    let mut vars: HashMap<String, String> = [
        ("FLUX_ADDR", "127.0.0.1:0"),
        ("FLUX_STATIC_DIR", "/nonexistent-spa"),
        ("FLUX_PUBLIC_URL", "http://flux.test"),
        // Tests never reach the internet: providers answer only where a test mounts
        // a local fake server (port 9 refuses connections).
        ("FLUX_BRASILAPI_URL", "http://127.0.0.1:9"),
        ("FLUX_CNPJWS_URL", "http://127.0.0.1:9"),
        ("FLUX_LEMIT_URL", "http://127.0.0.1:9"),
        ("FLUX_SECRETS_KEY", TEST_SECRETS_KEY),
        // The fake mail servers listen on loopback.
        ("FLUX_ALLOW_PRIVATE_MAIL_HOSTS", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for (k, v) in overrides {
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    let settings = Settings::from_map(&vars).expect("test settings");
    let db = Db::from_pool(test_db.pool().await);
    let ports = flux_server::wiring::ports(&settings).expect("test ports");
    let app = Application::build(
        settings.clone(),
        db.clone(),
        b"test-secret-test-secret-test-secret!",
        ports.clone(),
    )
    .expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        address,
        db,
        client,
        settings,
        ports,
        _database: Arc::new(test_db),
    }
}

impl TestApp {
    /// Another server process over the same database (scale-out).
    pub async fn second_instance(&self) -> TestApp {
        let mut settings = self.settings.clone();
        settings.addr = "127.0.0.1:0".parse().unwrap();
        let ports = flux_server::wiring::ports(&settings).expect("test ports");
        let app = Application::build(
            settings.clone(),
            self.db.clone(),
            b"test-secret-test-secret-test-secret!",
            ports.clone(),
        )
        .expect("build app");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address,
            db: self.db.clone(),
            client: self.client.clone(),
            settings,
            ports,
            _database: Arc::clone(&self._database),
        }
    }
}

/// A signed-in user: the signup/login response plus convenient accessors.
pub struct Session {
    pub auth: AuthResponse,
}

impl Session {
    pub fn token(&self) -> &str {
        &self.auth.tokens.access_token
    }
    pub fn refresh_token(&self) -> String {
        self.auth
            .tokens
            .refresh_token
            .clone()
            .expect("refresh token in body")
    }
    pub fn org_id(&self) -> uuid::Uuid {
        self.auth.organization.id
    }
    pub fn user_id(&self) -> uuid::Uuid {
        self.auth.user.id
    }
}

impl TestApp {
    /// A database outage: open connections are cut and new ones refused. (Closing
    /// `db` is not enough: each HTTP worker has a pool of its own.)
    pub async fn take_the_database_down(&self) {
        use sqlx::Connection;
        let name: String = sqlx::query_scalar("SELECT current_database()")
            .fetch_one(self.db.pool())
            .await
            .unwrap();
        self.db.pool().close().await;
        let admin = (*self.db.pool().connect_options())
            .clone()
            .database("postgres");
        let mut conn = sqlx::PgConnection::connect_with(&admin).await.unwrap();
        sqlx::query(&format!(
            "ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false"
        ))
        .execute(&mut conn)
        .await
        .unwrap();
        sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
            .bind(&name)
            .execute(&mut conn)
            .await
            .unwrap();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn post(&self, path: &str, body: &Value, token: Option<&str>) -> Response {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    pub async fn patch(&self, path: &str, body: &Value, token: Option<&str>) -> Response {
        let mut req = self.client.patch(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    /// `PATCH /api/v1/members/{member_id}` as `session`.
    pub async fn patch_member(
        &self,
        session: &Session,
        member_id: uuid::Uuid,
        body: &Value,
    ) -> Response {
        self.patch(
            &format!("/api/v1/members/{member_id}"),
            body,
            Some(session.token()),
        )
        .await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    /// `GET path` as `session`, asserting 200; the JSON body.
    pub async fn get_json(&self, path: &str, session: &Session) -> Value {
        let res = self.get(path, Some(session.token())).await;
        assert_eq!(res.status(), StatusCode::OK, "GET {path}");
        res.json().await.unwrap()
    }

    /// The CSV of a lead export (`query` as for the list), after the BOM Excel needs.
    pub async fn export_csv(&self, session: &Session, query: &str) -> String {
        let res = self
            .get(
                &format!("/api/v1/leads/export?{query}"),
                Some(session.token()),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "export {query}");
        let bytes = res.bytes().await.unwrap();
        assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "BOM");
        String::from_utf8(bytes[3..].to_vec()).unwrap()
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Response {
        let mut req = self.client.delete(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    pub async fn signup(&self, name: &str, email: &str) -> Session {
        let res = self
            .post(
                "/api/v1/auth/signup",
                &json!({"name": name, "email": email, "password": PASSWORD}),
                None,
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "signup failed: {}",
            res.text().await.unwrap()
        );
        Session {
            auth: res.json().await.unwrap(),
        }
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post(
            "/api/v1/auth/login",
            &json!({"email": email, "password": password}),
            None,
        )
        .await
    }

    pub async fn login_ok(&self, email: &str) -> Session {
        let res = self.login(email, PASSWORD).await;
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "login failed: {}",
            res.text().await.unwrap()
        );
        Session {
            auth: res.json().await.unwrap(),
        }
    }

    /// The body of the newest e-mail queued for `to` (read from the real outbox table).
    pub async fn last_email_to(&self, to: &str) -> Option<String> {
        sqlx::query_scalar("SELECT body_text FROM email_outbox WHERE to_email = $1 ORDER BY created_at DESC LIMIT 1")
            .bind(to)
            .fetch_optional(self.db.pool())
            .await
            .unwrap()
    }

    /// The one-time token in the link of the newest e-mail to `to`.
    pub async fn token_from_email(&self, to: &str) -> String {
        let body = self.last_email_to(to).await.expect("an e-mail was queued");
        let start = body.find("token=").expect("link with token") + "token=".len();
        body[start..].split_whitespace().next().unwrap().to_owned()
    }

    /// `POST /api/v1/invitations` as `session`, whatever the outcome.
    pub async fn post_invitation(&self, session: &Session, email: &str, role: &str) -> Response {
        self.post(
            "/api/v1/invitations",
            &json!({"email": email, "role": role}),
            Some(session.token()),
        )
        .await
    }

    /// Invites `email` as `role` and returns the token from the invitation e-mail.
    pub async fn invite(&self, manager: &Session, email: &str, role: &str) -> String {
        let res = self.post_invitation(manager, email, role).await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "invite failed: {}",
            res.text().await.unwrap()
        );
        // Addresses are stored normalized.
        self.token_from_email(&email.trim().to_lowercase()).await
    }

    /// Invites and accepts as a brand-new account; returns the invitee's session.
    pub async fn add_member(
        &self,
        manager: &Session,
        name: &str,
        email: &str,
        role: &str,
    ) -> Session {
        let token = self.invite(manager, email, role).await;
        let res = self
            .post(
                "/api/v1/invitations/accept",
                &json!({"token": token, "name": name, "password": PASSWORD}),
                None,
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "accept failed: {}",
            res.text().await.unwrap()
        );
        Session {
            auth: res.json().await.unwrap(),
        }
    }

    pub async fn member_id(&self, session: &Session, user_id: uuid::Uuid) -> uuid::Uuid {
        let members: Value = self
            .get("/api/v1/members", Some(session.token()))
            .await
            .json()
            .await
            .unwrap();
        let id = members["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["user_id"] == json!(user_id))
            .expect("member listed")["id"]
            .as_str()
            .unwrap()
            .to_owned();
        id.parse().unwrap()
    }

    /// A lead with registry data as enrichment leaves it (capitals, partners).
    pub async fn enriched_lead(&self, session: &Session) -> uuid::Uuid {
        sqlx::query_scalar(
            "INSERT INTO leads (org_id, cnpj, razao_social, cidade, uf, porte, cnae_descricao, socios, enrichment_status)
             VALUES ($1, '11222333000181', 'PADARIA PAO QUENTE LTDA', 'CAMPINAS', 'SP', 'EPP',
                     'FABRICACAO DE PRODUTOS DE PANIFICACAO',
                     '[{\"nome\": \"MARIA DAS DORES SOUZA\", \"qualificacao\": \"Sócio-Administrador\"}]',
                     'enriched')
             RETURNING id",
        )
        .bind(session.org_id())
        .fetch_one(self.db.pool())
        .await
        .unwrap()
    }

    /// Moves the session's organization to the plan `slug` (billing is a later issue).
    pub async fn set_plan(&self, session: &Session, slug: &str) {
        sqlx::query(
            "UPDATE subscriptions SET plan_id = (SELECT id FROM plans WHERE slug = $2) \
             WHERE org_id = $1",
        )
        .bind(session.org_id())
        .bind(slug)
        .execute(self.db.pool())
        .await
        .unwrap();
    }
}

/// Asserts the error envelope and returns `error`.
pub async fn assert_error(res: Response, status: StatusCode, code: &str) -> Value {
    let actual = res.status();
    let headers: HeaderMap = res.headers().clone();
    let text = res.text().await.unwrap();
    assert_eq!(actual, status, "unexpected status, body: {text}");
    assert!(
        headers
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap().starts_with("application/json")),
        "error must be JSON, got {headers:?}"
    );
    let body: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    assert_eq!(body["error"]["code"], code, "body: {body}");
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    body["error"].clone()
}

/// Asserts a 404 NOT_FOUND envelope (what another organization's ids answer).
pub async fn assert_not_found(res: Response) {
    assert_error(res, StatusCode::NOT_FOUND, "NOT_FOUND").await;
}

/// The `field` of the first field issue in a VALIDATION/CONFLICT error.
pub fn fields(error: &Value) -> Vec<String> {
    error["details"]["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["field"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts a 422 VALIDATION envelope and returns the fields it names.
pub async fn invalid_fields(res: Response) -> Vec<String> {
    fields(&assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION").await)
}

/// Asserts a 409 CONFLICT envelope and returns the fields it names.
pub async fn conflict_fields(res: Response) -> Vec<String> {
    fields(&assert_error(res, StatusCode::CONFLICT, "CONFLICT").await)
}
