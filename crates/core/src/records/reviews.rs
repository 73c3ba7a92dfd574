//! The yearly access review (contract Art. 2.2.2, R30–R31): the caisse opens a campaign, each
//! partner reviews every grant and mandate of its organisation (keep or revoke, with a
//! comment), and a completed review carries its signed proof.

use serde::Serialize;
use time::{Date, OffsetDateTime};

use super::ids::*;

/// A campaign of one caisse for one year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Campaign {
    pub id: CampaignId,
    pub caisse_id: OrganisationId,
    pub year: i32,
    pub due_on: Date,
    pub opened_by: AccountId,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
}

/// The signed proof of a completed review: the report, its SHA-256 digest, the portal's
/// Ed25519 signature of the digest and the public key that verifies it (all hexadecimal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proof {
    pub report: String,
    pub digest: String,
    pub signature: String,
    pub public_key: String,
}

/// One partner's review in a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    pub id: ReviewId,
    pub campaign_id: CampaignId,
    pub organisation_id: OrganisationId,
    #[serde(with = "time::serde::rfc3339::option")]
    pub completed_at: Option<OffsetDateTime>,
    pub completed_by: Option<AccountId>,
    #[serde(skip)]
    pub proof: Option<Proof>,
    /// When the partner's administrators were reminded of the due date.
    #[serde(skip)]
    pub reminded_at: Option<OffsetDateTime>,
    /// When the review was reported late.
    #[serde(skip)]
    pub late_notice_at: Option<OffsetDateTime>,
    /// How many times a late review escalated (every 10 business days past its due date).
    pub escalation_level: i32,
}

/// A notice a review gets once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewNotice {
    /// A week before the due date, to the partner's administrators.
    Reminder,
    /// Past the due date, to them and to the caisse's administrators.
    Late,
}

super::stored::stored_enum!(
    /// What a review decides about one grant or mandate.
    Verdict { Keep => "keep", Revoke => "revoke" }
);

/// What a decision is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Subject {
    Grant(GrantId),
    Mandate(MandateId),
}

impl Subject {
    /// The stored kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Subject::Grant(_) => "grant",
            Subject::Mandate(_) => "mandate",
        }
    }
    /// The stored id.
    pub fn uuid(&self) -> uuid::Uuid {
        match self {
            Subject::Grant(g) => g.0,
            Subject::Mandate(m) => m.0,
        }
    }
    /// From the stored kind and id.
    pub fn from_parts(kind: &str, id: uuid::Uuid) -> Option<Subject> {
        match kind {
            "grant" => Some(Subject::Grant(GrantId(id))),
            "mandate" => Some(Subject::Mandate(MandateId(id))),
            _ => None,
        }
    }
}

/// One decision of a review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub review_id: ReviewId,
    pub subject: Subject,
    pub verdict: Verdict,
    pub comment: String,
    pub decided_by: AccountId,
    #[serde(with = "time::serde::rfc3339")]
    pub decided_at: OffsetDateTime,
}
