//! Users are global accounts (one login across organizations): system access only.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::RepoResult;

#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

/// Fails with `Conflict { users_email_key }` when the e-mail is taken.
pub async fn insert(
    conn: &mut PgConnection,
    name: &str,
    email: &str,
    password_hash: &str,
) -> RepoResult<UserRecord> {
    Ok(sqlx::query_as!(
        UserRecord,
        "INSERT INTO users (name, email, password_hash) VALUES ($1, $2, $3)
         RETURNING id, name, email, password_hash, created_at",
        name,
        email,
        password_hash
    )
    .fetch_one(conn)
    .await?)
}

pub async fn find_by_email(conn: &mut PgConnection, email: &str) -> RepoResult<Option<UserRecord>> {
    Ok(sqlx::query_as!(
        UserRecord,
        "SELECT id, name, email, password_hash, created_at FROM users WHERE email = $1",
        email
    )
    .fetch_optional(conn)
    .await?)
}

pub async fn find_by_id(conn: &mut PgConnection, id: Uuid) -> RepoResult<Option<UserRecord>> {
    Ok(sqlx::query_as!(
        UserRecord,
        "SELECT id, name, email, password_hash, created_at FROM users WHERE id = $1",
        id
    )
    .fetch_optional(conn)
    .await?)
}

pub async fn set_password(
    conn: &mut PgConnection,
    id: Uuid,
    password_hash: &str,
) -> RepoResult<()> {
    sqlx::query!(
        "UPDATE users SET password_hash = $2 WHERE id = $1",
        id,
        password_hash
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn touch_last_login(conn: &mut PgConnection, id: Uuid) -> RepoResult<()> {
    sqlx::query!("UPDATE users SET last_login_at = now() WHERE id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}
