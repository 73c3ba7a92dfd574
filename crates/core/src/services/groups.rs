//! Groups of a partner's people (R11): a grant to a group gives its right to every
//! member, so adding a member counts for the quotas like a new grant.

use crate::app::App;
use crate::error::{Error, Result, Rule};
use crate::reach::{manager_reads, powers_of, rights_powers};
use crate::records::*;
use crate::shared::*;
use crate::store::*;
use crate::trace::*;
use crate::values::*;

impl<S: Store> App<S> {
    /// Create a group in the manager's organisation.
    pub async fn create_group(&self, actor: &Actor, name: &str, client: &ClientInfo) -> Result<Group> {
        let mut tx = self.store.begin().await?;
        let g = self.create_group_in(&mut tx, actor, name, client).await?;
        tx.commit().await?;
        Ok(g)
    }

    /// `create_group` inside the caller's transaction (an import's line).
    pub(crate) async fn create_group_in<T: Transaction>(&self, tx: &mut T, actor: &Actor, name: &str, client: &ClientInfo) -> Result<Group> {
        let name = DisplayName::parse(name).map_err(|p| Error::invalid("name", p))?;
        let (org, powers) = powers_of(tx, actor, self.today()).await?;
        if !powers.may_manage_groups() {
            return Err(Error::Rule(Rule::OutsideMandate));
        }
        let g = Group { id: GroupId::new(), organisation_id: org, name: name.as_str().into() };
        tx.insert_group(&g, self.now()).await.map_err(|e| match e {
            crate::StoreError::Conflict(_) => Error::Taken("nom de groupe"),
            other => Error::Store(other),
        })?;
        self.trace_action(tx, actor, "group.create", g.name.clone(), None, client).await?;
        Ok(g)
    }

    /// The groups of the manager's organisation with their members.
    pub async fn groups(&self, actor: &Actor) -> Result<Vec<(Group, Vec<AccountId>)>> {
        let mut tx = self.store.read().await?;
        let org = manager_reads(&mut tx, actor).await?;
        let mut out = Vec::new();
        for g in tx.groups_of(org).await? {
            let members = tx.members(g.id).await?;
            out.push((g, members));
        }
        Ok(out)
    }

    /// Add a person to a group. Each grant the group holds is checked against its quotas
    /// first; a manager cannot add themselves to a group that holds rights (R13).
    pub async fn add_member(&self, actor: &Actor, group: GroupId, member: AccountId, client: &ClientInfo) -> Result<()> {
        let mut tx = self.store.begin().await?;
        self.add_member_in(&mut tx, actor, group, member, client).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `add_member` inside the caller's transaction (an import's line).
    pub(crate) async fn add_member_in<T: Transaction>(&self, tx: &mut T, actor: &Actor, group: GroupId, member: AccountId, client: &ClientInfo) -> Result<()> {
        let today = self.today();
        // Joining a group that holds rights is receiving them: an administrator joins one
        // only through the caisse (their rights are the caisse's, Art. 2.2.1).
        let holds_rights = tx.grants_of_group(group).await?.iter().any(|x| x.state != GrantState::Revoked);
        let reached = if holds_rights { vec![member] } else { vec![] };
        let (org, powers) = rights_powers(tx, actor, today, &reached).await?;
        if !powers.may_manage_groups() {
            return Err(Error::Rule(Rule::OutsideMandate));
        }
        let g = tx.group(group).await?.filter(|g| g.organisation_id == org).ok_or(Error::NotFound)?;
        // Someone who left the organisation joins no group (their account is kept for the
        // trail only).
        let person = tx.account(member).await?.filter(|a| a.organisation_id == org && a.status != AccountStatus::Deactivated).ok_or(Error::NotFound)?;
        tx.lock_organisation(org).await?;
        // A suspended grant counts: once resumed, its rights reach every member.
        let grants: Vec<Grant> = tx.grants_of_group(g.id).await?.into_iter().filter(|x| x.state != GrantState::Revoked).collect();
        if !grants.is_empty() && member == actor.account.id {
            return Err(Error::Rule(Rule::SelfGrant));
        }
        for grant in &grants {
            if grant.ends_on.is_some_and(|d| d < today) {
                continue;
            }
            // Joining a group is receiving its rights: the manager must be able to grant them.
            if !powers.may_grant(grant.service_role_id) {
                return Err(Error::Rule(Rule::OutsideMandate));
            }
            // Quotas count active grants; a suspended one is counted again when resumed.
            if grant.state == GrantState::Active {
                let (service, role) = service_and_role(tx, grant).await?;
                check_quotas(tx, org, &service, &role, &[person.id], today).await?;
            }
        }
        tx.add_member(g.id, person.id, actor.account.id, self.now()).await.map_err(|e| match e {
            crate::StoreError::Conflict(_) => Error::Taken("membre du groupe"),
            other => Error::Store(other),
        })?;
        self.trace_action(tx, actor, "group.add_member", format!("{} → {}", person.login, g.name), None, client).await?;
        Ok(())
    }

    /// Remove a person from a group (their rights through it end at once).
    pub async fn remove_member(&self, actor: &Actor, group: GroupId, member: AccountId, client: &ClientInfo) -> Result<()> {
        let mut tx = self.store.begin().await?;
        self.remove_member_in(&mut tx, actor, group, member, client).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `remove_member` inside the caller's transaction (a directory's change, SCIM).
    pub(crate) async fn remove_member_in<T: Transaction>(&self, tx: &mut T, actor: &Actor, group: GroupId, member: AccountId, client: &ClientInfo) -> Result<()> {
        let (org, powers) = powers_of(tx, actor, self.today()).await?;
        if !powers.may_manage_groups() {
            return Err(Error::Rule(Rule::OutsideMandate));
        }
        tx.lock_organisation(org).await?;
        let g = tx.group(group).await?.filter(|g| g.organisation_id == org).ok_or(Error::NotFound)?;
        if !tx.remove_member(g.id, member, actor.account.id, self.now()).await? {
            return Err(Error::NotFound);
        }
        self.trace_action(tx, actor, "group.remove_member", format!("{member} ← {}", g.name), None, client).await?;
        Ok(())
    }

    /// Rename a group.
    pub async fn rename_group(&self, actor: &Actor, group: GroupId, name: &str, client: &ClientInfo) -> Result<()> {
        let mut tx = self.store.begin().await?;
        self.rename_group_in(&mut tx, actor, group, name, client).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `rename_group` inside the caller's transaction (a directory's change, SCIM).
    pub(crate) async fn rename_group_in<T: Transaction>(&self, tx: &mut T, actor: &Actor, group: GroupId, name: &str, client: &ClientInfo) -> Result<()> {
        let name = DisplayName::parse(name).map_err(|p| Error::invalid("name", p))?;
        let (org, powers) = powers_of(tx, actor, self.today()).await?;
        if !powers.may_manage_groups() {
            return Err(Error::Rule(Rule::OutsideMandate));
        }
        tx.lock_organisation(org).await?;
        let g = tx.group(group).await?.filter(|g| g.organisation_id == org).ok_or(Error::NotFound)?;
        tx.rename_group(g.id, name.as_str()).await.map_err(|e| match e {
            crate::StoreError::Conflict(_) => Error::Taken("nom de groupe"),
            other => Error::Store(other),
        })?;
        self.trace_action(tx, actor, "group.rename", format!("{} → {}", g.name, name.as_str()), None, client).await?;
        Ok(())
    }

    /// Delete a group that holds no grant any more (revoke its grants first: nobody loses
    /// a right without a trace of the grant that gave it).
    pub async fn delete_group(&self, actor: &Actor, group: GroupId, client: &ClientInfo) -> Result<()> {
        let mut tx = self.store.begin().await?;
        self.delete_group_in(&mut tx, actor, group, client).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `delete_group` inside the caller's transaction (a directory's deletion, SCIM).
    pub(crate) async fn delete_group_in<T: Transaction>(&self, tx: &mut T, actor: &Actor, group: GroupId, client: &ClientInfo) -> Result<()> {
        let (org, powers) = powers_of(tx, actor, self.today()).await?;
        if !powers.may_manage_groups() {
            return Err(Error::Rule(Rule::OutsideMandate));
        }
        tx.lock_organisation(org).await?;
        let g = tx.group(group).await?.filter(|g| g.organisation_id == org).ok_or(Error::NotFound)?;
        if !tx.grants_of_group(g.id).await?.is_empty() {
            return Err(Error::Rule(Rule::GroupHoldsGrants));
        }
        tx.delete_group(g.id, actor.account.id, self.now()).await?;
        self.trace_action(tx, actor, "group.delete", g.name.clone(), None, client).await?;
        Ok(())
    }
}
