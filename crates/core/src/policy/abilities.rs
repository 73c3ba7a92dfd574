//! What a person may open and do, decided here once so that pages show only what may
//! succeed (the services still check every action on its own path).

use crate::records::{AccessRequest, AccessStatus, Account, Actor, ManagementMode, OrganisationKind, Role};

/// The sections of the portal a person may open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Abilities {
    /// The caisse's partners and their files (caisse staff).
    pub partners: bool,
    /// Supervision across partners (caisse staff).
    pub supervision: bool,
    /// The service catalogue (caisse administrators).
    pub catalogue: bool,
    /// Administrator change requests to decide (caisse administrators).
    pub change_requests: bool,
    /// The outgoing messages (caisse administrators).
    pub outbox: bool,
    /// The partner's users, groups, grants and mandates (its managers).
    pub partner_rights: bool,
    /// The partner's own contract document (its administrators).
    pub own_contract: bool,
    /// Asking the caisse to change an administrator (the partner's administrators).
    pub admin_change: bool,
    /// Reading the trail: a partner's administrators, the caisse's trace auditors.
    pub traces: bool,
    /// Asking for one's own traces (anyone at a partner).
    pub access_requests: bool,
}

fn is_partner_admin(actor: &Actor) -> bool {
    actor.organisation.kind == OrganisationKind::Partner
        && actor.account.roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy))
}

/// The sections `actor` may open.
pub fn abilities(actor: &Actor) -> Abilities {
    let roles = &actor.account.roles;
    let caisse = actor.organisation.kind == OrganisationKind::Caisse;
    let partner = actor.organisation.kind == OrganisationKind::Partner;
    let caisse_staff = caisse && roles.iter().any(|r| r.is_caisse_staff());
    let caisse_admin = caisse && roles.contains(&Role::CaisseAdmin);
    Abilities {
        partners: caisse_staff,
        supervision: caisse_staff,
        catalogue: caisse_admin,
        change_requests: caisse_admin,
        outbox: caisse_admin,
        partner_rights: partner && roles.iter().any(|r| r.is_manager()),
        own_contract: is_partner_admin(actor),
        admin_change: is_partner_admin(actor),
        traces: is_partner_admin(actor) || (caisse && roles.contains(&Role::TraceAuditor)),
        access_requests: partner,
    }
}

/// What a person may do on a partner's page of users, groups, grants and mandates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RightsAbilities {
    /// The management forms: the partner's own managers in delegated mode; a caisse
    /// administrator acting for a partner in caisse-managed mode (R23).
    pub manage: bool,
    /// The caisse's supervision (suspend, lift, query, forced password change): its
    /// administrators, in either mode (R20–R22).
    pub supervise: bool,
    /// Answering the caisse's queries: the partner's administrators.
    pub answer_queries: bool,
}

/// What `actor` may do on the rights page of the partner they look at, whose management
/// mode in force is `mode`.
pub fn on_partner_rights(actor: &Actor, mode: Option<ManagementMode>) -> RightsAbilities {
    let caisse_admin = actor.organisation.kind == OrganisationKind::Caisse && actor.account.roles.contains(&Role::CaisseAdmin);
    let caisse_managed = mode == Some(ManagementMode::CaisseManaged);
    match actor.acting_for {
        Some(_) => RightsAbilities { manage: caisse_managed && caisse_admin, supervise: caisse_admin, answer_queries: false },
        None => RightsAbilities { manage: !caisse_managed, supervise: false, answer_queries: is_partner_admin(actor) },
    }
}

/// Whether the actions on a person (suspend, reactivate, new link) are offered to
/// `actor`: never on oneself, nor on the partner's administrators, whom only the caisse
/// issues and suspends (R14).
pub fn may_act_on_person(actor: &Actor, person: &Account) -> bool {
    person.id != actor.account.id && !person.roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy))
}

/// What a person may do with a right-of-access request (R63).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccessRequestAbilities {
    /// The superior it was sent to forwards it to the administrators.
    pub forward: bool,
    /// The partner's administrators export the traces and answer, once it is forwarded.
    pub answer: bool,
}

/// What `actor` may do with `request` now.
pub fn on_access_request(actor: &Actor, request: &AccessRequest) -> AccessRequestAbilities {
    AccessRequestAbilities {
        forward: request.status == AccessStatus::Submitted && request.superior_id == actor.account.id,
        answer: is_partner_admin(actor) && request.status == AccessStatus::Forwarded,
    }
}
