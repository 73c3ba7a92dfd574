//! Grants (R10, R13): a partner's managers grant a person or a group a service in a role,
//! for a stated purpose, within the caisse's quotas; suspend, resume, revoke, end dates.
//!
//! The quota counts distinct people holding the service (and the role, where the role has
//! its own quota), directly or through a group. Every path that can add a holder takes the
//! partner's row lock first, then counts, then writes: two requests at once line up, so
//! the quota is never exceeded.

use time::Date;

use crate::app::App;
use crate::commands::*;
use crate::error::{Error, Result, Rule};
use crate::reach::{manager_reads, rights_powers};
use crate::records::*;
use crate::shared::*;
use crate::store::*;
use crate::trace::*;
use crate::values::*;

impl<S: Store> App<S> {
    /// Grant a person, or every member of a group, a service in a role, for a stated
    /// purpose and optionally until an end date (R13). Refused outside delegated mode, on a
    /// closed service, to oneself or a group one belongs to, or beyond a quota (the error
    /// says which, with figures); every member of a group counts for the quotas.
    pub async fn grant(&self, actor: &Actor, cmd: &NewGrant, client: &ClientInfo) -> Result<Grant> {
        let mut tx = self.store.begin().await?;
        let g = self.grant_in(&mut tx, actor, cmd, client).await?;
        tx.commit().await?;
        Ok(g)
    }

    /// `grant` inside the caller's transaction (an import's line).
    pub(crate) async fn grant_in<T: Transaction>(&self, tx: &mut T, actor: &Actor, cmd: &NewGrant, client: &ClientInfo) -> Result<Grant> {
        let today = self.today();
        // Both fields checked before either is refused: the form names every problem.
        let (purpose, ends_on) = match (field("purpose", DisplayName::parse(&cmd.purpose)), end_date(&cmd.ends_on, today)) {
            (Ok(p), Ok(e)) => (p, e),
            (Err(Error::Invalid { field: a, problem: pa }), Err(Error::Invalid { field: b, problem: pb })) => {
                return Err(Error::InvalidFields(vec![(a, pa), (b, pb)]));
            }
            (Err(e), _) | (_, Err(e)) => return Err(e),
        };
        if cmd.holder == Holder::Person(actor.account.id) {
            return Err(Error::Rule(Rule::SelfGrant));
        }
        // Whom the grant reaches decides who may give it (the administrators' rights are
        // the caisse's).
        let reached = match cmd.holder {
            Holder::Person(id) => vec![id],
            Holder::Group(id) => tx.members(id).await?,
        };
        let (org, powers) = rights_powers(tx, actor, today, &reached).await?;
        let (holder_account_id, holder_group_id, target) = match cmd.holder {
            Holder::Person(id) => {
                let person = tx.account(id).await?.filter(|a| a.organisation_id == org).ok_or(Error::NotFound)?;
                (Some(person.id), None, person.login)
            }
            Holder::Group(id) => {
                let g = tx.group(id).await?.filter(|g| g.organisation_id == org).ok_or(Error::NotFound)?;
                if tx.members(g.id).await?.contains(&actor.account.id) {
                    return Err(Error::Rule(Rule::SelfGrant));
                }
                (None, Some(g.id), format!("groupe {}", g.name))
            }
        };
        let (service, role) = by_codes(tx, &cmd.service_code, &cmd.role_code).await?;
        if !powers.may_grant(role.id) {
            return Err(Error::Rule(Rule::OutsideMandate));
        }
        // Every path that adds a holder of this partner's rights lines up here.
        tx.lock_organisation(org).await?;
        self.ensure_open(tx, org, service.id).await?;
        let people = match cmd.holder {
            Holder::Person(id) => vec![id],
            // Read again under the lock: a member added meanwhile counts.
            Holder::Group(id) => tx.members(id).await?,
        };
        // One grant per holder, service and profile (change that one instead).
        let taken = tx.grants_of(org).await?.into_iter().any(|x| {
            x.state != GrantState::Revoked
                && x.ends_on.is_none_or(|d| d >= today)
                && x.service_role_id == role.id
                && x.holder_account_id == holder_account_id
                && x.holder_group_id == holder_group_id
        });
        if taken {
            return Err(Error::Rule(Rule::AlreadyGranted));
        }
        check_quotas(tx, org, &service, &role, &people, today).await?;
        let g = Grant {
            id: GrantId::new(),
            organisation_id: org,
            service_id: service.id,
            service_role_id: role.id,
            holder_account_id,
            holder_group_id,
            created_under: powers.mandate(),
            purpose: purpose.as_str().into(),
            starts_on: today,
            ends_on,
            state: GrantState::Active,
            created_by: actor.account.id,
            created_at: self.now(),
            ended_at: None,
            ended_by: None,
            last_used_at: None,
            caisse_suspension: None,
        };
        tx.insert_grant(&g).await?;
        // The grant is the target (its history is found by its id); its holder is named.
        let detail = format!("{} {} — {} — pour {target}", service.code, role.code, g.purpose);
        self.trace_action(tx, actor, "grant.create", g.id.to_string(), Some(detail), client).await?;
        Ok(g)
    }

    /// The grants of the actor's organisation (its managers), newest first.
    pub async fn grants(&self, actor: &Actor) -> Result<Vec<Grant>> {
        let mut tx = self.store.read().await?;
        let org = manager_reads(&mut tx, actor).await?;
        Ok(tx.grants_of(org).await?)
    }

    /// Revoke a grant at once; the record stays (retention, R61).
    pub async fn revoke_grant(&self, actor: &Actor, id: GrantId, client: &ClientInfo) -> Result<()> {
        self.revoke_grant_because(actor, id, None, client).await
    }

    /// `revoke_grant` with the reason the person gave (the pages ask for one), traced with
    /// the revocation; an empty reason is refused.
    pub async fn revoke_grant_because(&self, actor: &Actor, id: GrantId, reason: Option<&str>, client: &ClientInfo) -> Result<()> {
        let reason = reason_of(reason)?;
        let mut tx = self.store.begin().await?;
        let g = grant_in_reach(&mut tx, actor, id, self.today()).await?;
        let reached = people_of(&mut tx, &g).await?;
        let (org, powers) = rights_powers(&mut tx, actor, self.today(), &reached).await?;
        if g.organisation_id != org {
            return Err(Error::NotFound);
        }
        if !powers.may_grant(g.service_role_id) {
            return Err(Error::Rule(Rule::OutsideMandate));
        }
        if g.holder_account_id == Some(actor.account.id) {
            return Err(Error::Rule(Rule::SelfGrant));
        }
        if g.state == GrantState::Revoked {
            return Err(Error::Refused(crate::Refusal::AlreadyDecided));
        }
        tx.set_grant_state(id, GrantState::Revoked, Some((self.now(), actor.account.id))).await?;
        // Revoked is final: a caisse suspension has nothing left to lift.
        if g.caisse_suspension.is_some() {
            tx.set_caisse_suspension(id, None).await?;
        }
        self.trace_action(&mut tx, actor, "grant.revoke", id.to_string(), reason.map(|r| format!("motif : {r}")), client).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl<S: Store> App<S> {
    /// Suspend a grant (the partner's own suspension; it may resume it).
    pub async fn suspend_grant(&self, actor: &Actor, id: GrantId, client: &ClientInfo) -> Result<()> {
        self.set_state(actor, id, GrantState::Suspended, None, client).await
    }

    /// `suspend_grant` with the reason the person gave (the pages ask for one).
    pub async fn suspend_grant_because(&self, actor: &Actor, id: GrantId, reason: Option<&str>, client: &ClientInfo) -> Result<()> {
        let reason = reason_of(reason)?;
        self.set_state(actor, id, GrantState::Suspended, reason, client).await
    }

    /// Resume a suspended grant; its holders are checked against the quotas again.
    pub async fn resume_grant(&self, actor: &Actor, id: GrantId, client: &ClientInfo) -> Result<()> {
        self.set_state(actor, id, GrantState::Active, None, client).await
    }

    async fn set_state(&self, actor: &Actor, id: GrantId, to: GrantState, reason: Option<String>, client: &ClientInfo) -> Result<()> {
        let today = self.today();
        let mut tx = self.store.begin().await?;
        let (org, g, people) = grant_to_change(&mut tx, actor, id, today).await?;
        match (g.state, to) {
            (GrantState::Active, GrantState::Suspended) => {}
            (GrantState::Suspended, GrantState::Active) => {
                // Only the caisse lifts its own suspension (R21).
                if g.caisse_suspension.is_some() {
                    return Err(Error::Rule(Rule::CaisseSuspension));
                }
                self.ensure_open(&mut tx, org, g.service_id).await?;
                let (service, role) = service_and_role(&mut tx, &g).await?;
                check_quotas(&mut tx, org, &service, &role, &people, today).await?;
            }
            _ => return Err(Error::Refused(crate::Refusal::AlreadyDecided)),
        }
        tx.set_grant_state(id, to, None).await?;
        let action = if to == GrantState::Active { "grant.resume" } else { "grant.suspend" };
        self.trace_action(&mut tx, actor, action, id.to_string(), reason.map(|r| format!("motif : {r}")), client).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A reason as typed, if one was asked for: 2 to 200 characters.
fn reason_of(reason: Option<&str>) -> Result<Option<String>> {
    match reason {
        None => Ok(None),
        Some(r) => Ok(Some(DisplayName::parse(r).map_err(|p| Error::invalid("reason", p))?.as_str().to_string())),
    }
}

/// The grant `id` of the organisation `actor` manages (or acts for); someone without
/// powers there hears why (as from `powers_of`), anyone else "not found".
async fn grant_in_reach<T: Transaction>(tx: &mut T, actor: &Actor, id: GrantId, today: Date) -> Result<Grant> {
    match tx.grant(id).await?.filter(|g| g.organisation_id == actor.acting_for.unwrap_or(actor.organisation.id)) {
        Some(g) => Ok(g),
        None => {
            crate::reach::powers_of(tx, actor, today).await?;
            Err(Error::NotFound)
        }
    }
}

/// A grant of the actor's organisation they may change, under the partner's lock: within
/// their mandate, and not one that gives them anything (R13). With the people it gives its
/// right to.
async fn grant_to_change<T: Transaction>(tx: &mut T, actor: &Actor, id: GrantId, today: Date) -> Result<(OrganisationId, Grant, Vec<AccountId>)> {
    let found = grant_in_reach(tx, actor, id, today).await?;
    let reached = people_of(tx, &found).await?;
    let (org, powers) = rights_powers(tx, actor, today, &reached).await?;
    tx.lock_organisation(org).await?;
    // Read again under the lock.
    let g = tx.grant(id).await?.filter(|g| g.organisation_id == org).ok_or(Error::NotFound)?;
    if !powers.may_grant(g.service_role_id) {
        return Err(Error::Rule(Rule::OutsideMandate));
    }
    let people = people_of(tx, &g).await?;
    if people.contains(&actor.account.id) {
        return Err(Error::Rule(Rule::SelfGrant));
    }
    Ok((org, g, people))
}

impl<S: Store> App<S> {
    /// Every quota of a partner with its use today (its managers, or its caisse's staff).
    pub async fn quota_use(&self, actor: &Actor, partner: OrganisationId) -> Result<Vec<QuotaUse>> {
        let file = self.partner_file(actor, partner).await?;
        let today = self.today();
        let mut tx = self.store.read().await?;
        let mut out = Vec::new();
        for (service, sub, _) in &file.services {
            let used = tx.holders(partner, service.id, None, today).await?.len() as i64;
            out.push(QuotaUse { service: service.code.clone(), role: None, used, allowed: sub.max_holders });
            let roles = tx.service_roles(service.id).await?;
            for (role_id, allowed) in &sub.role_quotas {
                let used = tx.holders(partner, service.id, Some(*role_id), today).await?.len() as i64;
                let code = roles.iter().find(|r| r.id == *role_id).map(|r| r.code.clone());
                out.push(QuotaUse { service: service.code.clone(), role: code, used, allowed: Some(*allowed) });
            }
        }
        Ok(out)
    }
}

impl<S: Store> App<S> {
    /// Move a grant's end date (or remove it). Bringing an ended grant back to life adds
    /// its holders again, so the quotas are checked.
    pub async fn set_grant_end(&self, actor: &Actor, id: GrantId, ends_on: &str, client: &ClientInfo) -> Result<()> {
        let today = self.today();
        let ends_on = end_date(ends_on, today)?;
        let mut tx = self.store.begin().await?;
        let (org, g, people) = grant_to_change(&mut tx, actor, id, today).await?;
        if g.state == GrantState::Revoked {
            return Err(Error::Refused(crate::Refusal::AlreadyDecided));
        }
        let was_ended = g.ends_on.is_some_and(|d| d < today);
        if was_ended && g.state == GrantState::Active {
            self.ensure_open(&mut tx, org, g.service_id).await?;
            let (service, role) = service_and_role(&mut tx, &g).await?;
            check_quotas(&mut tx, org, &service, &role, &people, today).await?;
        }
        tx.set_grant_end(id, ends_on).await?;
        let detail = ends_on.map(|d| d.to_string()).unwrap_or_else(|| "none".into());
        self.trace_action(&mut tx, actor, "grant.end_date", id.to_string(), Some(detail), client).await?;
        tx.commit().await?;
        Ok(())
    }
}

