//! Mandates (R12): a partner's administrator, or a manager whose mandate allows it, gives
//! another person of the organisation a bounded mandate: which services and roles they may
//! grant, whether they may manage users and groups, whether they may delegate further. A
//! mandate is always within its giver's (attenuation); withdrawing one withdraws every
//! mandate derived from it, at once.

use std::collections::BTreeSet;

use serde::Serialize;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::auth::{Actor, App};
use crate::caisse::{ManagementMode, mode_on};
use crate::error::{Error, Result, Rule};
use crate::model::{AccountId, OrganisationId, OrganisationKind, Role, ServiceRoleId};
use crate::store::{Store, Transaction};
use crate::trace::ClientInfo;

/// A mandate as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Mandate {
    pub id: Uuid,
    pub organisation_id: OrganisationId,
    pub holder_id: AccountId,
    pub given_by: AccountId,
    pub parent_id: Option<Uuid>,
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

/// What a manager may do in their organisation right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Powers {
    /// The partner's administrator or deputy: everything.
    Full,
    /// A delegated manager: the union of their active mandates.
    Mandated {
        /// The mandate new grants and sub-mandates are made under (the newest).
        mandate: Uuid,
        scope: BTreeSet<ServiceRoleId>,
        users: bool,
        groups: bool,
        delegate: bool,
    },
}

impl Powers {
    /// Whether roles may be granted.
    pub fn may_grant(&self, role: ServiceRoleId) -> bool {
        match self {
            Powers::Full => true,
            Powers::Mandated { scope, .. } => scope.contains(&role),
        }
    }
    /// Whether users may be created, edited and suspended.
    pub fn may_manage_users(&self) -> bool {
        matches!(self, Powers::Full | Powers::Mandated { users: true, .. })
    }
    /// Whether groups may be created and their members changed.
    pub fn may_manage_groups(&self) -> bool {
        matches!(self, Powers::Full | Powers::Mandated { groups: true, .. })
    }
    /// The mandate acts are recorded under, if any.
    pub fn mandate(&self) -> Option<Uuid> {
        match self {
            Powers::Full => None,
            Powers::Mandated { mandate, .. } => Some(*mandate),
        }
    }
}

/// The powers of `actor` in the organisation they manage on `today`: refused outside a
/// partner in delegated mode, and for people with neither a seat nor an active mandate.
/// A caisse administrator acting for one of its partners has every power there while the
/// partner's contract is in caisse-managed mode (R23), and none otherwise.
pub(crate) async fn powers_of<T: Transaction>(tx: &mut T, actor: &Actor, today: Date) -> Result<(OrganisationId, Powers)> {
    if let Some(partner) = actor.acting_for {
        let p = crate::caisse::partner_to_manage(tx, actor, partner).await?;
        let contracts = tx.contracts(p.id).await?;
        let amendments = tx.amendments(p.id).await?;
        if mode_on(&contracts, &amendments, today) != Some(ManagementMode::CaisseManaged) {
            return Err(Error::Rule(Rule::DelegatedMode));
        }
        // Read the account afresh: a caisse administrator removed since sign-in stops now.
        let account = tx.account(actor.account.id).await?.ok_or(Error::NotAuthenticated)?;
        if !account.roles.contains(&Role::CaisseAdmin) || account.status != crate::model::AccountStatus::Active {
            return Err(Error::Forbidden);
        }
        return Ok((p.id, Powers::Full));
    }
    if actor.organisation.kind != OrganisationKind::Partner {
        return Err(Error::Forbidden);
    }
    let org = actor.organisation.id;
    let contracts = tx.contracts(org).await?;
    let amendments = tx.amendments(org).await?;
    if mode_on(&contracts, &amendments, today) != Some(ManagementMode::Delegated) {
        return Err(Error::Forbidden);
    }
    // Read the account afresh: a seat or a status changed since sign-in counts now.
    let account = tx.account(actor.account.id).await?.ok_or(Error::NotAuthenticated)?;
    if account.roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy)) {
        return Ok((org, Powers::Full));
    }
    let mut active: Vec<Mandate> =
        tx.mandates_of(org).await?.into_iter().filter(|m| m.holder_id == account.id && m.withdrawn_at.is_none()).collect();
    active.sort_by_key(|m| m.created_at);
    let Some(newest) = active.last() else {
        return Err(Error::Forbidden);
    };
    let mut scope = BTreeSet::new();
    for m in &active {
        scope.extend(m.scope.iter().copied());
    }
    Ok((
        org,
        Powers::Mandated {
            mandate: newest.id,
            scope,
            users: active.iter().any(|m| m.may_manage_users),
            groups: active.iter().any(|m| m.may_manage_groups),
            delegate: active.iter().any(|m| m.may_delegate),
        },
    ))
}

/// A mandate as asked for.
#[derive(Debug, Clone, Default)]
pub struct MandateInput {
    /// (service code, role code) pairs.
    pub scope: Vec<(String, String)>,
    pub may_manage_users: bool,
    pub may_manage_groups: bool,
    pub may_delegate: bool,
}

impl<S: Store> App<S> {
    /// Give `holder` a mandate within the actor's own (attenuation, R12). Nobody gives
    /// themselves a mandate or widens their own (R13).
    pub async fn give_mandate(&self, actor: &Actor, holder: AccountId, input: &MandateInput, client: &ClientInfo) -> Result<Mandate> {
        let today = self.today();
        let mut tx = self.store.begin().await?;
        let (org, powers) = powers_of(&mut tx, actor, today).await?;
        if holder == actor.account.id {
            return Err(Error::Rule(Rule::SelfGrant));
        }
        let person = tx.account(holder).await?.filter(|a| a.organisation_id == org).ok_or(Error::NotFound)?;
        if person.roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy)) {
            return Err(Error::Rule(Rule::MandateWiderThanGiver));
        }
        let mut scope = BTreeSet::new();
        for (service_code, role_code) in &input.scope {
            let service = tx.service_by_code(service_code.trim()).await?.ok_or(Error::invalid("scope", crate::values::ValueError::BadFormat))?;
            let role = tx
                .service_roles(service.id)
                .await?
                .into_iter()
                .find(|r| r.code == role_code.trim())
                .ok_or(Error::Rule(Rule::RoleOfAnotherService))?;
            scope.insert(role.id);
        }
        let within = match &powers {
            Powers::Full => true,
            Powers::Mandated { scope: mine, users, groups, delegate, .. } => {
                // Giving at all needs the delegation right, which then covers passing it on.
                *delegate
                    && scope.is_subset(mine)
                    && (!input.may_manage_users || *users)
                    && (!input.may_manage_groups || *groups)
            }
        };
        if !within {
            return Err(Error::Rule(Rule::MandateWiderThanGiver));
        }
        let m = Mandate {
            id: Uuid::now_v7(),
            organisation_id: org,
            holder_id: person.id,
            given_by: actor.account.id,
            parent_id: powers.mandate(),
            scope,
            may_manage_users: input.may_manage_users,
            may_manage_groups: input.may_manage_groups,
            may_delegate: input.may_delegate,
            created_at: self.now(),
            withdrawn_at: None,
        };
        tx.insert_mandate(&m).await?;
        if !person.roles.contains(&Role::DelegatedManager) {
            tx.add_role(person.id, Role::DelegatedManager).await?;
        }
        let detail = format!(
            "{} rôle(s), utilisateurs {}, groupes {}, délégation {}",
            m.scope.len(),
            m.may_manage_users,
            m.may_manage_groups,
            m.may_delegate
        );
        self.trace_action(&mut tx, actor, "mandate.give", person.login.clone(), Some(detail), client).await?;
        tx.commit().await?;
        Ok(m)
    }

    /// Withdraw a mandate and every mandate derived from it, at once. The giver (or a
    /// giver up the chain) and the partner's administrators may withdraw. Grants made under
    /// it stay, and keep saying who made them.
    pub async fn withdraw_mandate(&self, actor: &Actor, id: Uuid, client: &ClientInfo) -> Result<usize> {
        let today = self.today();
        let mut tx = self.store.begin().await?;
        let (org, powers) = powers_of(&mut tx, actor, today).await?;
        let all = tx.mandates_of(org).await?;
        let target = all.iter().find(|m| m.id == id).ok_or(Error::NotFound)?;
        if target.withdrawn_at.is_some() {
            return Err(Error::Refused(crate::Refusal::AlreadyDecided));
        }
        // Who may: administrators, or someone who gave a mandate on the chain above it.
        let mut may = powers == Powers::Full;
        let mut cursor = Some(target);
        while let (false, Some(m)) = (may, cursor) {
            may = m.given_by == actor.account.id;
            cursor = m.parent_id.and_then(|p| all.iter().find(|x| x.id == p));
        }
        if !may || target.holder_id == actor.account.id {
            return Err(Error::Forbidden);
        }
        let mut cut = vec![target.id];
        let mut i = 0;
        while let Some(parent) = cut.get(i).copied() {
            for m in all.iter().filter(|m| m.parent_id == Some(parent) && m.withdrawn_at.is_none()) {
                cut.push(m.id);
            }
            i += 1;
        }
        tx.withdraw_mandates(&cut, self.now()).await?;
        self.trace_action(&mut tx, actor, "mandate.withdraw", id.to_string(), Some(format!("{} mandate(s)", cut.len())), client).await?;
        tx.commit().await?;
        Ok(cut.len())
    }

    /// The mandates of the actor's organisation (its managers).
    pub async fn mandates(&self, actor: &Actor) -> Result<Vec<Mandate>> {
        let mut tx = self.store.read().await?;
        let org = crate::grants::readable_org(&mut tx, actor, self.today()).await?;
        Ok(tx.mandates_of(org).await?)
    }
}
