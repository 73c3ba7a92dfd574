//! Rows of grants and mandates.

use habilis_core::clock::from_micros;
use habilis_core::records::*;
use habilis_core::store::StoreResult;
use uuid::Uuid;

use super::{corrupt, date, opt_date};

#[derive(sqlx::FromRow)]
pub(crate) struct GrantRow {
    id: Uuid,
    organisation_id: Uuid,
    service_id: Uuid,
    service_role_id: Uuid,
    holder_account_id: Option<Uuid>,
    purpose: String,
    starts_on: String,
    ends_on: Option<String>,
    state: String,
    created_by: Uuid,
    created_at: i64,
    ended_at: Option<i64>,
    holder_group_id: Option<Uuid>,
    created_under: Option<Uuid>,
    suspension_reason: Option<String>,
    ended_by: Option<Uuid>,
    last_used_at: Option<i64>,
}

impl GrantRow {
    pub(crate) fn into_domain(self) -> StoreResult<Grant> {
        Ok(Grant {
            id: GrantId(self.id),
            organisation_id: OrganisationId(self.organisation_id),
            service_id: ServiceId(self.service_id),
            service_role_id: ServiceRoleId(self.service_role_id),
            holder_account_id: self.holder_account_id.map(AccountId),
            holder_group_id: self.holder_group_id.map(habilis_core::records::GroupId),
            created_under: self.created_under.map(MandateId),
            purpose: self.purpose,
            starts_on: date(&self.starts_on)?,
            ends_on: opt_date(self.ends_on)?,
            state: GrantState::parse(&self.state).ok_or_else(|| corrupt("grant state", &self.state))?,
            created_by: AccountId(self.created_by),
            created_at: from_micros(self.created_at),
            ended_at: self.ended_at.map(from_micros),
            ended_by: self.ended_by.map(AccountId),
            last_used_at: self.last_used_at.map(from_micros),
            caisse_suspension: self.suspension_reason,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct MandateRow {
    id: Uuid,
    organisation_id: Uuid,
    holder_id: Uuid,
    given_by: Uuid,
    parent_mandate_id: Option<Uuid>,
    may_manage_users: bool,
    may_manage_groups: bool,
    may_delegate: bool,
    scope: String,
    created_at: i64,
    withdrawn_at: Option<i64>,
}

impl MandateRow {
    pub(crate) fn into_domain(self) -> StoreResult<habilis_core::records::Mandate> {
        let scope = self
            .scope
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| Uuid::parse_str(s).map(ServiceRoleId).map_err(|_| corrupt("mandate scope", s)))
            .collect::<StoreResult<_>>()?;
        Ok(habilis_core::records::Mandate {
            id: MandateId(self.id),
            organisation_id: OrganisationId(self.organisation_id),
            holder_id: AccountId(self.holder_id),
            given_by: AccountId(self.given_by),
            parent_id: self.parent_mandate_id.map(MandateId),
            scope,
            may_manage_users: self.may_manage_users,
            may_manage_groups: self.may_manage_groups,
            may_delegate: self.may_delegate,
            created_at: from_micros(self.created_at),
            withdrawn_at: self.withdrawn_at.map(from_micros),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct MembershipRow {
    group_id: Uuid,
    group_name: String,
    account_id: Uuid,
    added_at: i64,
    added_by: Option<Uuid>,
    removed_at: Option<i64>,
    removed_by: Option<Uuid>,
}

impl MembershipRow {
    pub(crate) fn into_domain(self) -> Membership {
        Membership {
            group_id: GroupId(self.group_id),
            group_name: self.group_name,
            account_id: AccountId(self.account_id),
            added_at: from_micros(self.added_at),
            added_by: self.added_by.map(AccountId),
            removed_at: self.removed_at.map(from_micros),
            removed_by: self.removed_by.map(AccountId),
        }
    }
}
