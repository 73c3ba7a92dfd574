//! Rows of the alerts on atypical use.

use habilis_core::clock::from_micros;
use habilis_core::records::*;
use habilis_core::store::StoreResult;
use uuid::Uuid;

use super::corrupt;

#[derive(sqlx::FromRow)]
pub(crate) struct AlertRow {
    id: Uuid,
    caisse_id: Uuid,
    organisation_id: Uuid,
    account_id: Uuid,
    rule: String,
    period: String,
    raised_at: i64,
    facts: String,
    evidence: String,
    status: String,
    acknowledged_by: Option<Uuid>,
    acknowledged_at: Option<i64>,
    comment: Option<String>,
    actions: String,
}

impl AlertRow {
    pub(crate) fn into_domain(self) -> StoreResult<Alert> {
        Ok(Alert {
            id: AlertId(self.id),
            caisse_id: OrganisationId(self.caisse_id),
            organisation_id: OrganisationId(self.organisation_id),
            account_id: AccountId(self.account_id),
            rule: AlertRule::parse(&self.rule).ok_or_else(|| corrupt("alert rule", &self.rule))?,
            period: self.period,
            raised_at: from_micros(self.raised_at),
            facts: serde_json::from_str(&self.facts).map_err(|_| corrupt("alert facts", &self.facts))?,
            evidence: serde_json::from_str(&self.evidence).map_err(|_| corrupt("alert evidence", &self.evidence))?,
            status: AlertStatus::parse(&self.status).ok_or_else(|| corrupt("alert status", &self.status))?,
            acknowledged_by: self.acknowledged_by.map(AccountId),
            acknowledged_at: self.acknowledged_at.map(from_micros),
            comment: self.comment,
            actions: serde_json::from_str(&self.actions).map_err(|_| corrupt("alert actions", &self.actions))?,
        })
    }
}
