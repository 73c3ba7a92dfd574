//! Messages written in the transaction of the action that causes them, delivered later.

use time::OffsetDateTime;

use super::ids::{MessageId, OrganisationId};
use super::stored::stored_enum;

stored_enum!(
    /// Where a message stands: waiting (or retried), sent, given up after its attempts.
    DeliveryStatus { Pending => "pending", Sent => "sent", Failed => "failed" }
);

/// A notification waiting in (or delivered from) the outbox.
#[derive(Debug, Clone)]
pub struct OutboxMessage {
    pub id: MessageId,
    /// The organisation the message is about (for who may read it).
    pub organisation_id: Option<OrganisationId>,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: OffsetDateTime,
    pub last_error: Option<String>,
    pub created_at: OffsetDateTime,
    pub sent_at: Option<OffsetDateTime>,
}

impl OutboxMessage {
    /// A new message waiting for its first delivery attempt.
    pub fn pending(org: Option<OrganisationId>, to: &str, subject: &str, body: String, now: OffsetDateTime) -> Self {
        OutboxMessage {
            id: MessageId::new(),
            organisation_id: org,
            to_address: to.to_string(),
            subject: subject.to_string(),
            body,
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            created_at: now,
            sent_at: None,
        }
    }
}
