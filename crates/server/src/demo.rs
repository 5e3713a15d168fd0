//! Demo data for `make run`: one organization with a manager and an SDR. Idempotent.

use flux_domain::MemberRole;
use flux_persistence::{members, organizations, users, Db};
use flux_platform::crypto;

pub const MANAGER_EMAIL: &str = "gestora@demo.flux.com.br";
pub const SDR_EMAIL: &str = "sdr@demo.flux.com.br";
pub const PASSWORD: &str = "demo-flux-2026";

pub async fn seed(db: &Db) -> anyhow::Result<String> {
    let mut tx = db.begin_system().await?;
    if users::find_by_email(&mut tx, MANAGER_EMAIL)
        .await?
        .is_none()
    {
        let hash = tokio::task::spawn_blocking(|| crypto::hash_password(PASSWORD)).await??;
        let manager = users::insert(&mut tx, "Gestora Demo", MANAGER_EMAIL, &hash).await?;
        let org =
            organizations::create_with_owner(&mut tx, "Demo Flux", "demo-flux", manager.id).await?;
        let sdr = users::insert(&mut tx, "SDR Demo", SDR_EMAIL, &hash).await?;
        members::activate_membership(&mut tx, org.id, sdr.id, MemberRole::Sdr).await?;
        tracing::info!(org = %org.slug, "demo organization created");
    }
    tx.commit().await?;
    Ok(format!(
        "Login: {MANAGER_EMAIL} / {PASSWORD}  (SDR: {SDR_EMAIL} / {PASSWORD})"
    ))
}
