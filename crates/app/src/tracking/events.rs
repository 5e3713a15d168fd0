//! What recipients do through the links of a message: unsubscribe, open, click. The
//! token is verified before anything touches the database.

use chrono::Utc;
use flux_domain::{OrgId, TenantCtx};
use flux_persistence::{
    organizations,
    tracking::{self, SentMessage},
    Db, TenantTx,
};
use serde_json::json;

use super::links::{links, TrackingLinks};
use crate::error::AppResult;

/// The send a token names and a transaction in its organization; `None` for a token
/// we did not sign or a send that no longer exists.
async fn open_send(
    db: &Db,
    signer: &TrackingLinks,
    token: &str,
) -> AppResult<Option<(TenantTx, SentMessage)>> {
    let Some(send_id) = signer.verify(token) else {
        return Ok(None);
    };
    let mut conn = db.acquire().await?;
    let Some(org_id) = tracking::org_of_send(&mut conn, send_id).await? else {
        return Ok(None);
    };
    drop(conn);
    let mut tx = db
        .begin_tenant(&TenantCtx::system(OrgId::new(org_id)))
        .await?;
    Ok(tracking::sent_message(&mut tx, send_id)
        .await?
        .map(|message| (tx, message)))
}

/// The address a token would unsubscribe, and whether it already is.
pub async fn preview(
    db: &Db,
    signer: &TrackingLinks,
    token: &str,
) -> AppResult<Option<(String, bool)>> {
    Ok(open_send(db, signer, token).await?.map(|(tx, message)| {
        tx.end_read_only();
        (message.to_address, message.do_not_contact)
    }))
}

/// Unsubscribes the lead of the message; the address, or `None` for a bad token.
pub async fn unsubscribe(
    db: &Db,
    signer: &TrackingLinks,
    token: &str,
) -> AppResult<Option<String>> {
    let Some((mut tx, message)) = open_send(db, signer, token).await? else {
        return Ok(None);
    };
    if tracking::unsubscribe(&mut tx, message.id, Utc::now()).await? {
        tracing::info!(send_id = %message.id, lead_id = %message.lead_id, "lead unsubscribed");
    }
    tx.commit().await?;
    Ok(Some(message.to_address))
}

/// Records the first open of a message, when the organization tracks opens.
pub async fn opened(db: &Db, signer: &TrackingLinks, token: &str) -> AppResult<()> {
    if let Some((mut tx, message)) = open_send(db, signer, token).await? {
        if !organizations::sending_settings(&mut tx).await?.track_opens {
            tx.end_read_only();
            return Ok(());
        }
        let key = format!("opened:{}", message.id);
        tracking::record_event(&mut tx, message.id, "opened", &key, json!({}), Utc::now()).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// The `index`-th link of the message (records the first click on it), or `None`
/// (also when the organization does not track clicks: its messages have no such
/// links, so the redirect is not offered for arbitrary text).
pub async fn clicked(
    db: &Db,
    signer: &TrackingLinks,
    token: &str,
    index: usize,
) -> AppResult<Option<String>> {
    let Some((mut tx, message)) = open_send(db, signer, token).await? else {
        return Ok(None);
    };
    let tracked = organizations::sending_settings(&mut tx).await?.track_clicks;
    let Some(url) = links(&message.body)
        .get(index)
        .filter(|_| tracked)
        .and_then(|range| url::Url::parse(&message.body[range.clone()]).ok())
        .map(String::from)
    else {
        tx.end_read_only();
        return Ok(None);
    };
    let key = format!("clicked:{}:{index}", message.id);
    tracking::record_event(
        &mut tx,
        message.id,
        "clicked",
        &key,
        json!({ "url": url, "link": index }),
        Utc::now(),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(url))
}
