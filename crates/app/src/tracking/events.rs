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

/// How long the links of a message work, counted from when it was sent: long enough
/// for anyone who kept the e-mail, and a bound on what a leaked link can do.
pub const LINK_LIFETIME_DAYS: i64 = 365;

/// What a token in a link comes to.
pub enum Link<T> {
    /// Not signed by us, or the message no longer exists.
    Unknown,
    /// Ours, but older than [`LINK_LIFETIME_DAYS`]: nothing is recorded.
    Expired,
    Live(T),
}

impl<T> Link<T> {
    fn map<U>(self, f: impl FnOnce(T) -> U) -> Link<U> {
        match self {
            Link::Unknown => Link::Unknown,
            Link::Expired => Link::Expired,
            Link::Live(value) => Link::Live(f(value)),
        }
    }
}

/// The send a token names and a transaction in its organization.
async fn open_send(
    db: &Db,
    signer: &TrackingLinks,
    token: &str,
) -> AppResult<Link<(TenantTx, SentMessage)>> {
    let Some(send_id) = signer.verify(token) else {
        return Ok(Link::Unknown);
    };
    let mut conn = db.acquire().await?;
    let Some(org_id) = tracking::org_of_send(&mut conn, send_id).await? else {
        return Ok(Link::Unknown);
    };
    drop(conn);
    let mut tx = db
        .begin_tenant(&TenantCtx::system(OrgId::new(org_id)))
        .await?;
    Ok(match tracking::sent_message(&mut tx, send_id).await? {
        None => Link::Unknown,
        Some(message)
            if message.sent_at + chrono::Duration::days(LINK_LIFETIME_DAYS) <= Utc::now() =>
        {
            tx.end_read_only();
            Link::Expired
        }
        Some(message) => Link::Live((tx, message)),
    })
}

/// The address a token would unsubscribe, and whether it already is.
pub async fn preview(
    db: &Db,
    signer: &TrackingLinks,
    token: &str,
) -> AppResult<Link<(String, bool)>> {
    Ok(open_send(db, signer, token).await?.map(|(tx, message)| {
        tx.end_read_only();
        (message.to_address, message.do_not_contact)
    }))
}

/// Unsubscribes the lead of the message; the address it was sent to.
pub async fn unsubscribe(db: &Db, signer: &TrackingLinks, token: &str) -> AppResult<Link<String>> {
    let (mut tx, message) = match open_send(db, signer, token).await? {
        Link::Live(live) => live,
        Link::Unknown => return Ok(Link::Unknown),
        Link::Expired => return Ok(Link::Expired),
    };
    if tracking::unsubscribe(&mut tx, message.id, Utc::now()).await? {
        tracing::info!(send_id = %message.id, lead_id = %message.lead_id, "lead unsubscribed");
    }
    tx.commit().await?;
    Ok(Link::Live(message.to_address))
}

/// Records the first open of a message, when the organization tracks opens.
pub async fn opened(db: &Db, signer: &TrackingLinks, token: &str) -> AppResult<()> {
    if let Link::Live((mut tx, message)) = open_send(db, signer, token).await? {
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
    let Link::Live((mut tx, message)) = open_send(db, signer, token).await? else {
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
