//! Mandates (R12): a partner's administrator, or a manager whose mandate allows it, gives
//! another person of the organisation a bounded mandate: which services and roles they may
//! grant, whether they may manage users and groups, whether they may delegate further. A
//! mandate is always within its giver's (attenuation); withdrawing one withdraws every
//! mandate derived from it, at once.

use std::collections::BTreeSet;


use crate::app::App;
use crate::commands::*;
use crate::error::{Error, Result, Rule};
use crate::policy::powers::{Powers, derived_from, may_change_mandate, overlaps, parent_for, still_covered, within_giver};
use crate::reach::powers_of;
use crate::shared::by_codes;
use crate::values::ValueError;
use crate::records::*;
use crate::store::*;
use crate::trace::*;


impl<S: Store> App<S> {
    /// Give `holder` a mandate within the actor's own (attenuation, R12). Nobody gives
    /// themselves a mandate or widens their own (R13).
    pub async fn give_mandate(&self, actor: &Actor, holder: AccountId, input: &NewMandate, client: &ClientInfo) -> Result<Mandate> {
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
        let scope = parse_scope(&mut tx, input).await?;
        if !within_giver(&powers, &scope, input.may_manage_users, input.may_manage_groups) {
            return Err(Error::Rule(Rule::MandateWiderThanGiver));
        }
        // No two overlapping mandates in force for one person: the one there is is edited.
        tx.lock_organisation(org).await?;
        let held = tx.mandates_of(org).await?;
        if held.iter().any(|m| m.holder_id == person.id && m.withdrawn_at.is_none() && overlaps(m, &scope, input.may_manage_users, input.may_manage_groups)) {
            return Err(Error::Rule(Rule::OverlappingMandate));
        }
        // A delegated manager's sub-mandate derives from one of their mandates that covers
        // it entirely, never from the union of several.
        let parent_id = match powers {
            Powers::Full => None,
            Powers::Mandated { .. } => {
                let mine = tx.mandates_of(org).await?;
                Some(
                    parent_for(actor.account.id, &mine, &scope, input.may_manage_users, input.may_manage_groups)
                        .ok_or(Error::Rule(Rule::MandateWiderThanGiver))?,
                )
            }
        };
        let m = Mandate {
            id: MandateId::new(),
            organisation_id: org,
            holder_id: person.id,
            given_by: actor.account.id,
            parent_id,
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
            "{} profil(s) ; gestion des utilisateurs : {} ; des groupes : {} ; délégation : {}",
            m.scope.len(),
            oui(m.may_manage_users),
            oui(m.may_manage_groups),
            oui(m.may_delegate)
        );
        self.trace_action(&mut tx, actor, "mandate.give", person.login.clone(), Some(detail), client).await?;
        tx.commit().await?;
        Ok(m)
    }

    /// Withdraw a mandate and every mandate derived from it, at once. The giver (or a
    /// giver up the chain) and the partner's administrators may withdraw. Grants made under
    /// it stay, and keep saying who made them.
    pub async fn withdraw_mandate(&self, actor: &Actor, id: MandateId, client: &ClientInfo) -> Result<usize> {
        let today = self.today();
        let mut tx = self.store.begin().await?;
        let (org, powers) = powers_of(&mut tx, actor, today).await?;
        let all = tx.mandates_of(org).await?;
        let target = all.iter().find(|m| m.id == id).ok_or(Error::NotFound)?;
        if target.withdrawn_at.is_some() {
            return Err(Error::Refused(crate::Refusal::AlreadyDecided));
        }
        if !may_change_mandate(actor.account.id, powers == Powers::Full, target, &all) {
            return Err(Error::Forbidden);
        }
        let active: Vec<(MandateId, Option<MandateId>)> = all.iter().filter(|m| m.withdrawn_at.is_none()).map(|m| (m.id, m.parent_id)).collect();
        let cut = derived_from(target.id, &active);
        tx.withdraw_mandates(&cut, self.now()).await?;
        self.trace_action(&mut tx, actor, "mandate.withdraw", id.to_string(), Some(format!("{} mandat(s) retiré(s), dérivés compris", cut.len())), client).await?;
        tx.commit().await?;
        Ok(cut.len())
    }

    /// Edit a mandate in force: its profiles and powers, within its giver's as when it was
    /// given. Whoever may withdraw it may edit it. Mandates derived from it that it no
    /// longer covers are withdrawn with everything derived from them, at once.
    pub async fn edit_mandate(&self, actor: &Actor, id: MandateId, input: &NewMandate, client: &ClientInfo) -> Result<Mandate> {
        let today = self.today();
        let mut tx = self.store.begin().await?;
        let (org, powers) = powers_of(&mut tx, actor, today).await?;
        tx.lock_organisation(org).await?;
        let all = tx.mandates_of(org).await?;
        let current = all.iter().find(|m| m.id == id).ok_or(Error::NotFound)?.clone();
        if current.withdrawn_at.is_some() {
            return Err(Error::Refused(crate::Refusal::AlreadyDecided));
        }
        if !may_change_mandate(actor.account.id, powers == Powers::Full, &current, &all) {
            return Err(Error::Forbidden);
        }
        let scope = parse_scope(&mut tx, input).await?;
        // Within what its giver holds: the administrators hold everything; a delegated
        // giver's own mandates (this one aside) must cover it entirely.
        let giver_full = tx
            .account(current.given_by)
            .await?
            .is_some_and(|a| a.status == AccountStatus::Active && a.roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy)));
        let parent_id = if giver_full {
            None
        } else {
            let others: Vec<Mandate> = all.iter().filter(|m| m.id != id).cloned().collect();
            Some(
                parent_for(current.given_by, &others, &scope, input.may_manage_users, input.may_manage_groups)
                    .ok_or(Error::Rule(Rule::MandateWiderThanGiver))?,
            )
        };
        if all.iter().any(|m| m.id != id && m.holder_id == current.holder_id && m.withdrawn_at.is_none() && overlaps(m, &scope, input.may_manage_users, input.may_manage_groups)) {
            return Err(Error::Rule(Rule::OverlappingMandate));
        }
        let edited = Mandate {
            parent_id,
            scope,
            may_manage_users: input.may_manage_users,
            may_manage_groups: input.may_manage_groups,
            may_delegate: input.may_delegate,
            ..current.clone()
        };
        tx.update_mandate(&edited).await?;
        // Sub-mandates it no longer covers go, with everything derived from them.
        let live: Vec<(MandateId, Option<MandateId>)> = all.iter().filter(|m| m.withdrawn_at.is_none()).map(|m| (m.id, m.parent_id)).collect();
        let mut cut: Vec<MandateId> = Vec::new();
        for child in all.iter().filter(|m| m.parent_id == Some(id) && m.withdrawn_at.is_none()) {
            if !still_covered(child, &edited) {
                for d in derived_from(child.id, &live) {
                    if !cut.contains(&d) {
                        cut.push(d);
                    }
                }
            }
        }
        if !cut.is_empty() {
            tx.withdraw_mandates(&cut, self.now()).await?;
        }
        let detail = format!(
            "{} profil(s) ; gestion des utilisateurs : {} ; des groupes : {} ; délégation : {} ; {} mandat(s) dérivé(s) retiré(s)",
            edited.scope.len(),
            oui(edited.may_manage_users),
            oui(edited.may_manage_groups),
            oui(edited.may_delegate),
            cut.len()
        );
        self.trace_action(&mut tx, actor, "mandate.edit", id.to_string(), Some(detail), client).await?;
        tx.commit().await?;
        Ok(edited)
    }

    /// The mandates of the actor's organisation `actor` may withdraw or edit now (the page
    /// offers the buttons on these only).
    pub async fn mandates_actor_may_change(&self, actor: &Actor) -> Result<Vec<MandateId>> {
        let mut tx = self.store.read().await?;
        let Ok((org, powers)) = powers_of(&mut tx, actor, self.today()).await else {
            return Ok(Vec::new());
        };
        let all = tx.mandates_of(org).await?;
        Ok(all
            .iter()
            .filter(|m| m.withdrawn_at.is_none() && may_change_mandate(actor.account.id, powers == Powers::Full, m, &all))
            .map(|m| m.id)
            .collect())
    }

    /// The mandates of the actor's organisation (its managers).
    pub async fn mandates(&self, actor: &Actor) -> Result<Vec<Mandate>> {
        let mut tx = self.store.read().await?;
        let org = crate::reach::readable_org(&mut tx, actor, self.today()).await?;
        Ok(tx.mandates_of(org).await?)
    }
}

/// The profiles a mandate covers, from their codes; a mandate covers at least one profile
/// or one power (issue 12).
async fn parse_scope<T: Transaction>(tx: &mut T, input: &NewMandate) -> Result<BTreeSet<ServiceRoleId>> {
    let mut scope = BTreeSet::new();
    for (service_code, role_code) in &input.scope {
        // An unknown service is a bad scope entry, not a bad "service" field.
        let (_, role) = by_codes(tx, service_code, role_code).await.map_err(|e| match e {
            Error::Invalid { .. } => Error::invalid("scope", ValueError::BadFormat),
            other => other,
        })?;
        scope.insert(role.id);
    }
    if scope.is_empty() && !input.may_manage_users && !input.may_manage_groups {
        return Err(Error::Rule(Rule::EmptyMandate));
    }
    Ok(scope)
}

/// `oui` or `non`, for the trail's readers.
fn oui(b: bool) -> &'static str {
    if b { "oui" } else { "non" }
}
