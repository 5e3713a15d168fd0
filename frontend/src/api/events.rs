//! The live event stream's ticket and address.

use flux_dto::events::{StreamQuery, StreamTicket};

use super::{
    path::{query, v1, v1_with},
    post, ApiError,
};

pub async fn ticket() -> Result<StreamTicket, ApiError> {
    post(&v1("/events/ticket"), &super::Empty {}).await
}

/// The stream's URL (an `EventSource` cannot send headers, so the ticket rides in it).
pub fn stream_url(ticket: &str, after: Option<i64>) -> String {
    v1_with(
        "/events",
        &[query(&StreamQuery {
            ticket: Some(ticket.to_owned()),
            last_event_id: after,
        })],
    )
}
