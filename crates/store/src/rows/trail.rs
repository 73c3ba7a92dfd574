//! Rows of the audit trail.

use habilis_core::clock::from_micros;
use habilis_core::records::*;
use habilis_core::store::StoreResult;
use habilis_core::trace::{Outcome, TraceEntry, TraceRecord};
use uuid::Uuid;

use super::corrupt;

#[derive(sqlx::FromRow)]
pub(crate) struct TraceRow {
    chain_id: Uuid,
    seq: i64,
    id: Uuid,
    at: i64,
    actor_id: Option<Uuid>,
    actor_login: Option<String>,
    organisation_id: Option<Uuid>,
    session_id: Option<Uuid>,
    client_addr: Option<String>,
    user_agent: Option<String>,
    action: String,
    target: Option<String>,
    outcome: String,
    detail: Option<String>,
    prev_seal: Vec<u8>,
    seal: Vec<u8>,
}

impl TraceRow {
    pub(crate) fn into_record(self) -> StoreResult<TraceRecord> {
        let outcome = match self.outcome.as_str() {
            "success" => Outcome::Success,
            "failure" => Outcome::Failure,
            "refused" => Outcome::Refused,
            other => return Err(corrupt("outcome", other)),
        };
        Ok(TraceRecord {
            entry: TraceEntry {
                id: self.id,
                at: from_micros(self.at),
                actor_id: self.actor_id.map(AccountId),
                actor_login: self.actor_login,
                organisation_id: self.organisation_id.map(OrganisationId),
                session_id: self.session_id.map(SessionId),
                client_addr: self.client_addr,
                user_agent: self.user_agent,
                action: self.action,
                target: self.target,
                outcome,
                detail: self.detail,
            },
            chain_id: self.chain_id,
            seq: self.seq,
            prev_seal: self.prev_seal,
            seal: self.seal,
        })
    }
}
