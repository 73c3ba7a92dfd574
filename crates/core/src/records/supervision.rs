//! What the caisse sees across its partners.


use super::ids::{AccountId, OrganisationId};
use super::rights::{Grant, GrantState};

/// Which of its partners' grants the caisse looks at (R20). Empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct GrantFilter {
    /// A service code (e.g. `CDAP`): that service's grants across partners.
    pub service: Option<String>,
    /// One partner only.
    pub partner: Option<OrganisationId>,
    /// Only grants with no end date.
    pub no_end_date: bool,
    /// Only grants in this state.
    pub state: Option<GrantState>,
}

/// A grant seen from the caisse: where, to whom, what.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SupervisedGrant {
    pub partner_id: OrganisationId,
    pub partner: String,
    /// The person's name and login, or the group's name.
    pub holder: String,
    pub service: String,
    pub role: String,
    #[serde(flatten)]
    pub grant: Grant,
}

/// A person of a partner who has not signed in since the cut-off.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DormantAccount {
    pub partner_id: OrganisationId,
    pub partner: String,
    pub account_id: AccountId,
    pub login: String,
    pub display_name: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_login_at: Option<time::OffsetDateTime>,
}

/// A partner whose Annex 1 directory lacks a required function.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IncompletePartner {
    pub partner_id: OrganisationId,
    pub partner: String,
    pub missing: Vec<&'static str>,
}
