//! Mandates (R12): a partner's administrator, or a manager whose mandate allows it, gives
//! another person of the organisation a bounded mandate: which services and roles they may
//! grant, whether they may manage users and groups, whether they may delegate further. A
//! mandate is always within its giver's (attenuation); withdrawing one withdraws every
//! mandate derived from it, at once.

use std::collections::BTreeSet;


use crate::app::App;
use crate::commands::*;
use crate::error::{Error, Result, Rule};
use crate::policy::powers::{Powers, derived_from, parent_for, within_giver};
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
        let mut scope = BTreeSet::new();
        for (service_code, role_code) in &input.scope {
            // An unknown service is a bad scope entry, not a bad "service" field.
            let (_, role) = by_codes(&mut tx, service_code, role_code).await.map_err(|e| match e {
                Error::Invalid { .. } => Error::invalid("scope", ValueError::BadFormat),
                other => other,
            })?;
            scope.insert(role.id);
        }
        if scope.is_empty() && !input.may_manage_users && !input.may_manage_groups {
            return Err(Error::Rule(Rule::EmptyMandate));
        }
        if !within_giver(&powers, &scope, input.may_manage_users, input.may_manage_groups) {
            return Err(Error::Rule(Rule::MandateWiderThanGiver));
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
    pub async fn withdraw_mandate(&self, actor: &Actor, id: MandateId, client: &ClientInfo) -> Result<usize> {
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
        let active: Vec<(MandateId, Option<MandateId>)> = all.iter().filter(|m| m.withdrawn_at.is_none()).map(|m| (m.id, m.parent_id)).collect();
        let cut = derived_from(target.id, &active);
        tx.withdraw_mandates(&cut, self.now()).await?;
        self.trace_action(&mut tx, actor, "mandate.withdraw", id.to_string(), Some(format!("{} mandate(s)", cut.len())), client).await?;
        tx.commit().await?;
        Ok(cut.len())
    }

    /// The mandates of the actor's organisation (its managers).
    pub async fn mandates(&self, actor: &Actor) -> Result<Vec<Mandate>> {
        let mut tx = self.store.read().await?;
        let org = crate::reach::readable_org(&mut tx, actor, self.today()).await?;
        Ok(tx.mandates_of(org).await?)
    }
}
