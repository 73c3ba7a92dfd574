//! Rows of the outbox, administrator change requests, queries and right-of-access requests.

use habilis_core::clock::from_micros;
use habilis_core::records::*;
use habilis_core::store::StoreResult;
use uuid::Uuid;

use super::{corrupt, date};

#[derive(sqlx::FromRow)]
pub(crate) struct OutboxRow {
    id: Uuid,
    organisation_id: Option<Uuid>,
    to_address: String,
    subject: String,
    body: String,
    status: String,
    attempts: i64,
    next_attempt_at: i64,
    last_error: Option<String>,
    created_at: i64,
    sent_at: Option<i64>,
}

impl OutboxRow {
    pub(crate) fn into_domain(self) -> StoreResult<OutboxMessage> {
        Ok(OutboxMessage {
            id: MessageId(self.id),
            organisation_id: self.organisation_id.map(OrganisationId),
            to_address: self.to_address,
            subject: self.subject,
            body: self.body,
            status: DeliveryStatus::parse(&self.status).ok_or_else(|| corrupt("delivery status", &self.status))?,
            attempts: self.attempts,
            next_attempt_at: from_micros(self.next_attempt_at),
            last_error: self.last_error,
            created_at: from_micros(self.created_at),
            sent_at: self.sent_at.map(from_micros),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ChangeRequestRow {
    id: Uuid,
    partner_id: Uuid,
    requested_by: Uuid,
    first_name: String,
    last_name: String,
    function: String,
    slot: String,
    replaces_account_id: Option<Uuid>,
    phone: Option<String>,
    mobile: Option<String>,
    email: String,
    status: String,
    decided_by: Option<Uuid>,
    decided_at: Option<i64>,
    decision_reason: Option<String>,
    created_at: i64,
}

impl ChangeRequestRow {
    pub(crate) fn into_domain(self) -> StoreResult<ChangeRequest> {
        Ok(ChangeRequest {
            id: ChangeRequestId(self.id),
            partner_id: OrganisationId(self.partner_id),
            requested_by: AccountId(self.requested_by),
            first_name: self.first_name,
            last_name: self.last_name,
            function: self.function,
            slot: Slot::parse(&self.slot).ok_or_else(|| corrupt("slot", &self.slot))?,
            replaces: self.replaces_account_id.map(AccountId),
            phone: self.phone,
            mobile: self.mobile,
            email: self.email,
            status: RequestStatus::parse(&self.status).ok_or_else(|| corrupt("request status", &self.status))?,
            decided_by: self.decided_by.map(AccountId),
            decided_at: self.decided_at.map(from_micros),
            decision_reason: self.decision_reason,
            created_at: from_micros(self.created_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct QueryRow {
    id: Uuid,
    grant_id: Uuid,
    partner_id: Uuid,
    question: String,
    due_on: String,
    auto_suspend: bool,
    status: String,
    answer: Option<String>,
    answered_by: Option<Uuid>,
    answered_at: Option<i64>,
    created_by: Uuid,
    created_at: i64,
    closed_at: Option<i64>,
    auto_suspended_at: Option<i64>,
}

impl QueryRow {
    pub(crate) fn into_domain(self) -> StoreResult<habilis_core::records::Query> {
        Ok(habilis_core::records::Query {
            id: QueryId(self.id),
            grant_id: GrantId(self.grant_id),
            partner_id: OrganisationId(self.partner_id),
            question: self.question,
            due_on: date(&self.due_on)?,
            auto_suspend: self.auto_suspend,
            status: QueryStatus::parse(&self.status).ok_or_else(|| corrupt("query status", &self.status))?,
            answer: self.answer,
            answered_by: self.answered_by.map(AccountId),
            answered_at: self.answered_at.map(from_micros),
            created_by: AccountId(self.created_by),
            created_at: from_micros(self.created_at),
            closed_at: self.closed_at.map(from_micros),
            auto_suspended_at: self.auto_suspended_at.map(from_micros),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AccessRequestRow {
    id: Uuid,
    organisation_id: Uuid,
    requester_id: Uuid,
    superior_id: Uuid,
    reason: Option<String>,
    status: String,
    due_on: String,
    created_at: i64,
    forwarded_at: Option<i64>,
    answered_by: Option<Uuid>,
    answered_at: Option<i64>,
    exported_at: Option<i64>,
    exported_by: Option<Uuid>,
}

impl AccessRequestRow {
    pub(crate) fn into_domain(self) -> StoreResult<habilis_core::records::AccessRequest> {
        Ok(habilis_core::records::AccessRequest {
            id: AccessRequestId(self.id),
            organisation_id: OrganisationId(self.organisation_id),
            requester_id: AccountId(self.requester_id),
            superior_id: AccountId(self.superior_id),
            reason: self.reason,
            status: AccessStatus::parse(&self.status).ok_or_else(|| corrupt("access request status", &self.status))?,
            due_on: date(&self.due_on)?,
            created_at: from_micros(self.created_at),
            forwarded_at: self.forwarded_at.map(from_micros),
            answered_by: self.answered_by.map(AccountId),
            answered_at: self.answered_at.map(from_micros),
            exported_at: self.exported_at.map(from_micros),
            exported_by: self.exported_by.map(AccountId),
        })
    }
}
