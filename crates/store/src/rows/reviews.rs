//! Rows of the yearly access review.

use habilis_core::clock::from_micros;
use habilis_core::records::*;
use habilis_core::store::StoreResult;
use uuid::Uuid;

use super::{corrupt, date};

#[derive(sqlx::FromRow)]
pub(crate) struct CampaignRow {
    id: Uuid,
    caisse_id: Uuid,
    year: i64,
    due_on: String,
    opened_by: Uuid,
    opened_at: i64,
}

impl CampaignRow {
    pub(crate) fn into_domain(self) -> StoreResult<Campaign> {
        Ok(Campaign {
            id: CampaignId(self.id),
            caisse_id: OrganisationId(self.caisse_id),
            year: i32::try_from(self.year).map_err(|_| corrupt("campaign year", &self.year.to_string()))?,
            due_on: date(&self.due_on)?,
            opened_by: AccountId(self.opened_by),
            opened_at: from_micros(self.opened_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ReviewRow {
    id: Uuid,
    campaign_id: Uuid,
    organisation_id: Uuid,
    completed_at: Option<i64>,
    completed_by: Option<Uuid>,
    report: Option<String>,
    digest: Option<String>,
    signature: Option<String>,
    public_key: Option<String>,
    reminded_at: Option<i64>,
    late_notice_at: Option<i64>,
    escalation_level: i64,
}

impl ReviewRow {
    pub(crate) fn into_domain(self) -> StoreResult<Review> {
        let proof = match (self.report, self.digest, self.signature, self.public_key) {
            (Some(report), Some(digest), Some(signature), Some(public_key)) => Some(Proof { report, digest, signature, public_key }),
            _ => None,
        };
        Ok(Review {
            id: ReviewId(self.id),
            campaign_id: CampaignId(self.campaign_id),
            organisation_id: OrganisationId(self.organisation_id),
            completed_at: self.completed_at.map(from_micros),
            completed_by: self.completed_by.map(AccountId),
            proof,
            reminded_at: self.reminded_at.map(from_micros),
            late_notice_at: self.late_notice_at.map(from_micros),
            escalation_level: i32::try_from(self.escalation_level).map_err(|_| corrupt("escalation level", &self.escalation_level.to_string()))?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct DecisionRow {
    review_id: Uuid,
    subject_kind: String,
    subject_id: Uuid,
    decision: String,
    comment: String,
    decided_by: Uuid,
    decided_at: i64,
}

impl DecisionRow {
    pub(crate) fn into_domain(self) -> StoreResult<Decision> {
        Ok(Decision {
            review_id: ReviewId(self.review_id),
            subject: Subject::from_parts(&self.subject_kind, self.subject_id).ok_or_else(|| corrupt("review subject", &self.subject_kind))?,
            verdict: Verdict::parse(&self.decision).ok_or_else(|| corrupt("review decision", &self.decision))?,
            comment: self.comment,
            decided_by: AccountId(self.decided_by),
            decided_at: from_micros(self.decided_at),
        })
    }
}
