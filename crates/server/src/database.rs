//! Opens the database: `DATABASE_URL` when set, otherwise the embedded cluster in
//! `$FLUX_DATA_DIR/pg`. Always migrates before returning.

use std::path::Path;

use anyhow::Context;
use flux_persistence::Db;
use flux_platform::{crypto, embedded_pg::EmbeddedPostgres, SecretsKey, Settings};

pub struct DbHandle {
    pub db: Db,
    embedded: Option<EmbeddedPostgres>,
}

impl DbHandle {
    /// Closes the pool, then stops the embedded cluster (if any) cleanly.
    pub async fn close(mut self) {
        self.db.pool().close().await;
        if let Some(mut pg) = self.embedded.take() {
            match tokio::task::spawn_blocking(move || pg.stop()).await {
                Ok(Ok(())) => tracing::info!("embedded PostgreSQL stopped"),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "embedded PostgreSQL did not stop cleanly")
                }
                Err(e) => tracing::warn!(error = %e, "embedded PostgreSQL stop task failed"),
            }
        }
    }
}

const EMBEDDED_DATABASE: &str = "flux";

pub async fn open(settings: &Settings) -> anyhow::Result<DbHandle> {
    let (url, embedded) = match &settings.database_url {
        Some(url) => (url.expose().clone(), None),
        None => {
            let root = settings.data_dir.join("pg");
            let bin = settings.pg_bin_dir.clone();
            let pg = tokio::task::spawn_blocking(move || {
                EmbeddedPostgres::start(&root, bin.as_deref())
            })
            .await?
            .context(
                "cannot start the embedded PostgreSQL (set DATABASE_URL to use another server)",
            )?;
            create_database_if_missing(&pg.url("postgres"), EMBEDDED_DATABASE).await?;
            (pg.url(EMBEDDED_DATABASE), Some(pg))
        }
    };
    let db = Db::connect(&url, settings.db_max_connections).await?;
    db.migrate().await?;
    tracing::info!(embedded = embedded.is_some(), "database ready and migrated");
    Ok(DbHandle { db, embedded })
}

async fn create_database_if_missing(admin_url: &str, name: &str) -> anyhow::Result<()> {
    use sqlx::{Connection, PgConnection};
    let mut conn = PgConnection::connect(admin_url)
        .await
        .context("connect to embedded PostgreSQL")?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(name)
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await?;
    }
    Ok(())
}

/// `FLUX_JWT_SECRET`, or a key generated once and kept in `$FLUX_DATA_DIR/jwt-secret`
/// so sessions survive restarts of a local install.
pub fn jwt_secret(settings: &Settings) -> anyhow::Result<String> {
    if let Some(secret) = &settings.jwt_secret {
        return Ok(secret.expose().clone());
    }
    let path = settings.data_dir.join("jwt-secret");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        if existing.trim().len() >= 32 {
            return Ok(existing.trim().to_owned());
        }
    }
    let key = crypto::random_key();
    write_private(&path, &key).with_context(|| format!("cannot write {}", path.display()))?;
    tracing::warn!(path = %path.display(), "FLUX_JWT_SECRET not set: generated a signing key");
    Ok(key)
}

/// `FLUX_SECRETS_KEY`, or a key generated once and kept in
/// `$FLUX_DATA_DIR/secrets-key`. Losing it loses the stored mailbox passwords (they
/// must be entered again) and invalidates the links in e-mails already sent.
pub fn secrets_key(settings: &Settings) -> anyhow::Result<SecretsKey> {
    if let Some(key) = &settings.secrets_key {
        return Ok(key.clone());
    }
    let path = settings.data_dir.join("secrets-key");
    let read = || -> anyhow::Result<SecretsKey> {
        let existing = std::fs::read_to_string(&path)?;
        SecretsKey::from_base64(&existing)
            .with_context(|| format!("{} is not a valid secrets key", path.display()))
    };
    match std::fs::metadata(&path) {
        Ok(_) => return read(),
        // Anything but "missing" (permissions, I/O) must stop here: a new key would
        // make every stored password and sent link unusable.
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("cannot read {}", path.display()))
        }
        Err(_) => {}
    }
    let encoded = SecretsKey::generate_base64();
    match create_private(&path, &encoded) {
        Ok(()) => {
            tracing::warn!(path = %path.display(), "FLUX_SECRETS_KEY not set: generated a key (back it up)");
            Ok(SecretsKey::from_base64(&encoded)?)
        }
        // Another process of this install created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read(),
        Err(e) => Err(e).with_context(|| format!("cannot write {}", path.display())),
    }
}

/// Creates `path` (mode 0600) with `contents`; fails if it exists.
fn create_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(dir: &Path, key: Option<&str>) -> Settings {
        let mut vars = HashMap::from([("FLUX_DATA_DIR".to_owned(), dir.display().to_string())]);
        if let Some(key) = key {
            vars.insert("FLUX_SECRETS_KEY".into(), key.into());
        }
        Settings::from_map(&vars).unwrap()
    }

    #[test]
    fn the_secrets_key_is_generated_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = secrets_key(&settings(dir.path(), None)).unwrap();
        let again = secrets_key(&settings(dir.path(), None)).unwrap();
        let sealed = first.seal(b"senha", b"ctx");
        assert_eq!(again.open(&sealed, b"ctx").unwrap(), b"senha");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("secrets-key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        // A configured key wins over the file.
        let configured = SecretsKey::generate_base64();
        let key = secrets_key(&settings(dir.path(), Some(&configured))).unwrap();
        assert!(key.open(&sealed, b"ctx").is_err());
    }

    #[test]
    fn an_unreadable_or_corrupt_key_file_stops_instead_of_being_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets-key");
        std::fs::write(&path, "not a key").unwrap();
        assert!(secrets_key(&settings(dir.path(), None)).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "not a key");
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
        assert!(secrets_key(&settings(dir.path(), None)).is_err());
        assert!(path.is_dir());
    }
}
