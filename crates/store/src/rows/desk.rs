//! Rows of the service desk.

use habilis_core::clock::from_micros;
use habilis_core::records::*;
use habilis_core::store::StoreResult;
use uuid::Uuid;

use super::{corrupt, opt_date};

#[derive(sqlx::FromRow)]
pub(crate) struct IncidentRow {
    id: Uuid,
    reference: String,
    caisse_id: Uuid,
    partner_id: Uuid,
    service_id: Uuid,
    opened_by: Uuid,
    subject: String,
    description: String,
    urgent: bool,
    status: String,
    team: Option<String>,
    national: bool,
    awaiting: Option<String>,
    awaiting_since: i64,
    due_on: Option<String>,
    escalation_level: i64,
    created_at: i64,
    closed_at: Option<i64>,
}

impl IncidentRow {
    pub(crate) fn into_domain(self) -> StoreResult<Incident> {
        Ok(Incident {
            id: IncidentId(self.id),
            reference: self.reference,
            caisse_id: OrganisationId(self.caisse_id),
            partner_id: OrganisationId(self.partner_id),
            service_id: ServiceId(self.service_id),
            opened_by: AccountId(self.opened_by),
            subject: self.subject,
            description: self.description,
            urgent: self.urgent,
            status: IncidentStatus::parse(&self.status).ok_or_else(|| corrupt("incident status", &self.status))?,
            team: self.team,
            national: self.national,
            awaiting: self.awaiting.as_deref().map(|s| Side::parse(s).ok_or_else(|| corrupt("side", s))).transpose()?,
            awaiting_since: from_micros(self.awaiting_since),
            due_on: opt_date(self.due_on)?,
            escalation_level: i32::try_from(self.escalation_level).map_err(|_| corrupt("escalation level", &self.escalation_level.to_string()))?,
            created_at: from_micros(self.created_at),
            closed_at: self.closed_at.map(from_micros),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct StepRow {
    incident_id: Uuid,
    seq: i64,
    kind: String,
    author_id: Option<Uuid>,
    side: Option<String>,
    body: Option<String>,
    at: i64,
}

impl StepRow {
    pub(crate) fn into_domain(self) -> StoreResult<IncidentStep> {
        Ok(IncidentStep {
            incident_id: IncidentId(self.incident_id),
            seq: self.seq,
            kind: StepKind::parse(&self.kind).ok_or_else(|| corrupt("incident step", &self.kind))?,
            author_id: self.author_id.map(AccountId),
            side: self.side.as_deref().map(|s| Side::parse(s).ok_or_else(|| corrupt("side", s))).transpose()?,
            body: self.body,
            at: from_micros(self.at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct OutageRow {
    id: Uuid,
    caisse_id: Uuid,
    service_id: Uuid,
    starts_at: i64,
    ends_at: i64,
    reason: String,
    announced_by: Uuid,
    announced_at: i64,
    cancelled_at: Option<i64>,
}

impl OutageRow {
    pub(crate) fn into_domain(self) -> Outage {
        Outage {
            id: OutageId(self.id),
            caisse_id: OrganisationId(self.caisse_id),
            service_id: ServiceId(self.service_id),
            starts_at: from_micros(self.starts_at),
            ends_at: from_micros(self.ends_at),
            reason: self.reason,
            announced_by: AccountId(self.announced_by),
            announced_at: from_micros(self.announced_at),
            cancelled_at: self.cancelled_at.map(from_micros),
        }
    }
}
