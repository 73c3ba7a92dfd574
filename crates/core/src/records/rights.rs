//! Rights: grants (to a person or a group), mandates of delegated managers, and the
//! figures of quotas.

use std::collections::BTreeSet;

use serde::Serialize;
use time::{Date, OffsetDateTime};

use super::ids::{AccountId, GrantId, GroupId, MandateId, OrganisationId, ServiceId, ServiceRoleId};
use super::people::{Account, Group};

/// Where a grant stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantState {
    Active,
    Suspended,
    Revoked,
}

impl GrantState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantState::Active => "active",
            GrantState::Suspended => "suspended",
            GrantState::Revoked => "revoked",
        }
    }
    /// Parse the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(GrantState::Active),
            "suspended" => Some(GrantState::Suspended),
            "revoked" => Some(GrantState::Revoked),
            _ => None,
        }
    }
}

/// A right for one person, or every member of a group, to use one service in one role.
#[derive(Debug, Clone, Serialize)]
pub struct Grant {
    pub id: GrantId,
    pub organisation_id: OrganisationId,
    pub service_id: ServiceId,
    pub service_role_id: ServiceRoleId,
    /// The person holding it, for a direct grant.
    pub holder_account_id: Option<AccountId>,
    /// The group holding it (each member holds the right).
    pub holder_group_id: Option<GroupId>,
    /// The mandate it was made under (none for the partner's administrators).
    pub created_under: Option<MandateId>,
    pub purpose: String,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
    pub state: GrantState,
    pub created_by: AccountId,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub ended_at: Option<OffsetDateTime>,
    /// Who revoked it (kept with the grant for 6 years after its end, Art. 5.3.2).
    pub ended_by: Option<AccountId>,
    /// When its business service last used it (a positive check or a token issued).
    pub last_used_at: Option<OffsetDateTime>,
    /// Set while the caisse suspends it as a precaution: the reason (R21). Only the
    /// caisse lifts it.
    pub caisse_suspension: Option<String>,
}

/// Which quota refused, with its figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuotaExceeded {
    pub service: String,
    /// `None` for the service's own quota.
    pub role: Option<String>,
    pub used: i64,
    pub allowed: i64,
}

/// One quota and its use: "used / allowed".
#[derive(Debug, Clone, Serialize)]
pub struct QuotaUse {
    pub service: String,
    pub role: Option<String>,
    pub used: i64,
    pub allowed: Option<i64>,
}

/// What a manager can do to a user's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserAction {
    Suspend,
    Reactivate,
    /// Send a one-time password-reset link through the outbox.
    ResetPassword,
}

/// One person as their managers see them: the account, the grants they hold (directly or
/// through a group), and their groups.
#[derive(Debug, Clone)]
pub struct PersonFile {
    pub account: Account,
    pub grants: Vec<Grant>,
    pub groups: Vec<Group>,
    /// Every period of membership of a group, ended ones included (Art. 5.3.2).
    pub memberships: Vec<Membership>,
}

/// A mandate as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Mandate {
    pub id: MandateId,
    pub organisation_id: OrganisationId,
    pub holder_id: AccountId,
    pub given_by: AccountId,
    pub parent_id: Option<MandateId>,
    /// The roles (of services) the holder may grant.
    pub scope: BTreeSet<ServiceRoleId>,
    pub may_manage_users: bool,
    pub may_manage_groups: bool,
    pub may_delegate: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub withdrawn_at: Option<OffsetDateTime>,
}

/// One period of a person's membership of a group: who held the group's rights, from when
/// to when, added and removed by whom (kept 6 years after it ends, Art. 5.3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub group_id: GroupId,
    pub group_name: String,
    pub account_id: AccountId,
    pub added_at: OffsetDateTime,
    pub added_by: Option<AccountId>,
    pub removed_at: Option<OffsetDateTime>,
    pub removed_by: Option<AccountId>,
}
