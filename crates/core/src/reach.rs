//! Who reaches which organisation: the checks every service runs first, inside its
//! transaction, reading roles and the mode in force afresh (so a withdrawal bites on the
//! next request).

use time::Date;

use crate::error::{Error, Result, Rule};
use crate::policy::gate::mode_on;
use crate::policy::powers::{Powers, mandated};
use crate::records::{AccountId, AccountStatus, Actor, ManagementMode, Organisation, OrganisationId, OrganisationKind, Role};
use crate::store::*;

/// The caisse whose habilitation administrator `actor` is.
/// The caisse whose rules and desk apply to the people of `org`: itself for a caisse, its
/// parent for a partner; none for the national level.
pub(crate) fn caisse_of(org: &Organisation) -> Option<OrganisationId> {
    match org.kind {
        OrganisationKind::Caisse => Some(org.id),
        OrganisationKind::Partner => org.parent_id,
        _ => None,
    }
}

pub fn caisse_admin_of(actor: &Actor) -> Result<OrganisationId> {
    if actor.organisation.kind == OrganisationKind::Caisse && actor.account.roles.contains(&Role::CaisseAdmin) {
        Ok(actor.organisation.id)
    } else {
        Err(Error::Forbidden)
    }
}

/// Caisse staff may read their caisse's partners; a partner's own people their partner.
pub(crate) async fn partner_in_reach<T: Transaction>(tx: &mut T, actor: &Actor, id: OrganisationId) -> Result<Organisation> {
    let o = tx.organisation(id).await?.ok_or(Error::NotFound)?;
    let caisse_side = actor.organisation.kind == OrganisationKind::Caisse
        && actor.account.roles.iter().any(|r| r.is_caisse_staff())
        && o.parent_id == Some(actor.organisation.id);
    // A partner's own managers read its file; its plain users do not, nor does a former
    // delegated manager whose last mandate was withdrawn.
    let own_side = actor.organisation.id == o.id && partner_manager_now(tx, actor).await?;
    if o.kind != OrganisationKind::Partner || !(caisse_side || own_side) {
        return Err(Error::NotFound);
    }
    Ok(o)
}

/// The partner `id`, if it belongs to the caisse `actor` administers.
pub(crate) async fn partner_to_manage<T: Transaction>(tx: &mut T, actor: &Actor, id: OrganisationId) -> Result<Organisation> {
    caisse_admin_of(actor)?;
    partner_in_reach(tx, actor, id).await
}

/// The partner a caisse staff member reads (R20: every partner of their caisse, in any
/// mode, read-only).
pub(crate) async fn caisse_reads<T: Transaction>(tx: &mut T, actor: &Actor) -> Result<OrganisationId> {
    let partner = actor.acting_for.ok_or(Error::Forbidden)?;
    if actor.organisation.kind != OrganisationKind::Caisse {
        return Err(Error::Forbidden);
    }
    Ok(partner_in_reach(tx, actor, partner).await?.id)
}

/// The organisation whose people `actor` may read: the partner a caisse staff member looks
/// at, or the manager's own (with powers there; its administrators in any mode).
pub(crate) async fn readable_org<T: Transaction>(tx: &mut T, actor: &Actor, today: Date) -> Result<OrganisationId> {
    match actor.acting_for {
        Some(_) => caisse_reads(tx, actor).await,
        None => match powers_of(tx, actor, today).await {
            Ok((org, _)) => Ok(org),
            // The partner's administrators still read their organisation once the caisse
            // has taken its management over (R23: they lose the actions, not the view).
            Err(Error::Forbidden)
                if actor.organisation.kind == OrganisationKind::Partner
                    && actor.account.roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy)) =>
            {
                Ok(actor.organisation.id)
            }
            Err(e) => Err(e),
        },
    }
}

/// The powers of `actor` in the organisation they manage on `today`: refused outside a
/// partner in delegated mode, and for people with neither a seat nor an active mandate.
/// A caisse administrator acting for one of its partners has every power there while the
/// partner's contract is in caisse-managed mode (R23), and none otherwise.
pub(crate) async fn powers_of<T: Transaction>(tx: &mut T, actor: &Actor, today: Date) -> Result<(OrganisationId, Powers)> {
    if let Some(partner) = actor.acting_for {
        let p = partner_to_manage(tx, actor, partner).await?;
        let contracts = tx.contracts(p.id).await?;
        let amendments = tx.amendments(p.id).await?;
        if mode_on(&contracts, &amendments, today) != Some(ManagementMode::CaisseManaged) {
            return Err(Error::Rule(Rule::DelegatedMode));
        }
        // Read the account afresh: a caisse administrator removed since sign-in stops now.
        let account = tx.account(actor.account.id).await?.ok_or(Error::NotAuthenticated)?;
        if !account.roles.contains(&Role::CaisseAdmin) || account.status != AccountStatus::Active {
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
    let powers = mandated(account.id, &tx.mandates_of(org).await?).ok_or(Error::Forbidden)?;
    Ok((org, powers))
}

/// The powers with which `actor` manages rights that reach `people` (a grant's holder or a
/// group's members). The partner's administrator's and deputy's own rights are managed
/// exclusively by the caisse (Art. 2.2.1, 2.2.2): in either mode for the caisse's
/// administrator, never by the partner's managers. Rights reaching nobody of that kind
/// follow `powers_of`.
pub(crate) async fn rights_powers<T: Transaction>(tx: &mut T, actor: &Actor, today: Date, people: &[AccountId]) -> Result<(OrganisationId, Powers)> {
    let org = actor.acting_for.unwrap_or(actor.organisation.id);
    let mut administrators = 0;
    for id in people {
        if tx.account(*id).await?.is_some_and(|a| a.organisation_id == org && a.roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy))) {
            administrators += 1;
        }
    }
    if administrators == 0 {
        return powers_of(tx, actor, today).await;
    }
    let Some(partner) = actor.acting_for.filter(|_| actor.organisation.kind == OrganisationKind::Caisse) else {
        return Err(Error::Rule(Rule::AdministratorsRightsByCaisse));
    };
    match powers_of(tx, actor, today).await {
        // Delegated mode: the caisse still manages the administrators' rights, and only
        // theirs (a group that also reaches other people stays the partner's to manage).
        Err(Error::Rule(Rule::DelegatedMode)) if administrators == people.len() => {
            let p = partner_to_manage(tx, actor, partner).await?;
            let account = tx.account(actor.account.id).await?.ok_or(Error::NotAuthenticated)?;
            if !account.roles.contains(&Role::CaisseAdmin) || account.status != AccountStatus::Active {
                return Err(Error::Forbidden);
            }
            Ok((p.id, Powers::Full))
        }
        other => other,
    }
}

/// The organisation whose grants and groups `actor` lists: the partner a caisse staff
/// member looks at, or a partner manager's own (in any mode: they keep the view).
pub(crate) async fn manager_reads<T: Transaction>(tx: &mut T, actor: &Actor) -> Result<OrganisationId> {
    match actor.acting_for {
        Some(_) => caisse_reads(tx, actor).await,
        None if actor.organisation.kind == OrganisationKind::Partner && partner_manager_now(tx, actor).await? => Ok(actor.organisation.id),
        None => Err(Error::Forbidden),
    }
}

/// Whether `actor` manages their partner now, read afresh: its administrator or deputy, or
/// a delegated manager holding at least one mandate in force (the role stays on the account
/// when the last mandate is withdrawn; the reading rights must not).
pub(crate) async fn partner_manager_now<T: Transaction>(tx: &mut T, actor: &Actor) -> Result<bool> {
    let Some(account) = tx.account(actor.account.id).await? else {
        return Ok(false);
    };
    if account.status != AccountStatus::Active || account.organisation_id != actor.organisation.id {
        return Ok(false);
    }
    if account.roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy)) {
        return Ok(true);
    }
    Ok(account.roles.contains(&Role::DelegatedManager)
        && tx.mandates_of(account.organisation_id).await?.iter().any(|m| m.holder_id == account.id && m.withdrawn_at.is_none()))
}
