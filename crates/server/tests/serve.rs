//! The `flux` binary as an operator runs it: embedded PostgreSQL, demo data, signals.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use nix::{sys::signal, unistd::Pid};
use serde_json::json;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(data_dir: &Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_flux"))
        .args(["serve", "--demo"])
        .env_remove("DATABASE_URL")
        .env("FLUX_DATA_DIR", data_dir)
        .env("FLUX_ADDR", format!("127.0.0.1:{port}"))
        .env("FLUX_STATIC_DIR", "/nonexistent-spa")
        .env("FLUX_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

async fn wait_ready(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(res) = reqwest::get(format!("http://127.0.0.1:{port}/readyz")).await {
            if res.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("flux did not become ready");
}

async fn demo_login(port: u16) -> reqwest::StatusCode {
    reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/api/v1/auth/login"))
        .json(&json!({"email": "gestora@demo.flux.com.br", "password": "demo-flux-2026"}))
        .send()
        .await
        .unwrap()
        .status()
}

fn terminate(mut child: Child) -> String {
    signal::kill(Pid::from_raw(child.id() as i32), signal::Signal::SIGTERM).unwrap();
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr);
            assert!(status.success(), "flux exited with {status}: {text}");
            return text;
        }
        assert!(Instant::now() < deadline, "flux did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test]
async fn serve_runs_on_embedded_postgres_stops_cleanly_and_reuses_data() {
    let data = tempfile::Builder::new()
        .prefix("flux-serve-")
        .tempdir_in("/tmp")
        .unwrap();
    let port = free_port();

    let first = start(data.path(), port);
    wait_ready(port).await;
    assert_eq!(demo_login(port).await, reqwest::StatusCode::OK);
    let log = terminate(first);
    assert!(
        log.contains("Login: gestora@demo.flux.com.br"),
        "the demo login is printed"
    );
    assert!(log.contains("embedded PostgreSQL stopped"), "{log}");
    assert!(
        !data.path().join("pg/data/postmaster.pid").exists(),
        "PostgreSQL is stopped"
    );

    let port = free_port();
    let second = start(data.path(), port);
    wait_ready(port).await;
    assert_eq!(
        demo_login(port).await,
        reqwest::StatusCode::OK,
        "data survives a restart"
    );
    let log = terminate(second);
    assert!(
        !log.contains("initializing embedded PostgreSQL"),
        "second start reuses the cluster: {log}"
    );
    assert!(data.path().join("jwt-secret").exists());
}

#[test]
fn worker_runs_background_work_and_stops_cleanly_on_sigterm() {
    use std::io::{BufRead, BufReader};
    let data = tempfile::Builder::new()
        .prefix("flux-worker-")
        .tempdir_in("/tmp")
        .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_flux"))
        .arg("worker")
        .env_remove("DATABASE_URL")
        .env("FLUX_DATA_DIR", data.path())
        .env("FLUX_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let started = lines
        .by_ref()
        .take(50)
        .map_while(Result::ok)
        .any(|line| line.contains("worker running"));
    assert!(started, "flux worker did not start");
    signal::kill(Pid::from_raw(child.id() as i32), signal::Signal::SIGTERM).unwrap();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}: {rest:?}");
    assert!(
        rest.iter().any(|l| l.contains("worker shutting down")),
        "{rest:?}"
    );
    assert!(
        !data.path().join("pg/data/postmaster.pid").exists(),
        "PostgreSQL is stopped"
    );
}

#[test]
fn missing_postgres_binaries_fail_with_the_debian_package_name() {
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_flux"))
        .arg("migrate")
        .env_remove("DATABASE_URL")
        .env("FLUX_DATA_DIR", data.path())
        .env("FLUX_PG_BIN_DIR", "/nonexistent/bin")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("apt-get install -y postgresql"), "{text}");
}

#[test]
fn openapi_command_prints_the_committed_document() {
    let out = Command::new(env!("CARGO_BIN_EXE_flux"))
        .arg("openapi")
        .output()
        .unwrap();
    assert!(out.status.success());
    let printed = String::from_utf8(out.stdout).unwrap();
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../openapi/openapi.json"
    ))
    .unwrap();
    assert_eq!(printed, committed);
}
