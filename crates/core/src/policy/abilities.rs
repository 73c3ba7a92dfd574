//! What a person may open and do, decided here once so that pages show only what may
//! succeed (the services still check every action on its own path).

use crate::records::{AccessRequest, AccessStatus, Account, AccountStatus, Actor, ManagementMode, Organisation, OrganisationKind, Role};

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
    /// The caisse's own staff: appointments, roles, suspension (caisse administrators).
    pub staff: bool,
    /// One's own organisation's directory, Annex 1 (caisse and partner administrators).
    pub directory: bool,
    /// The business services registered as clients (caisse administrators).
    pub clients: bool,
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
    /// Opening and following the yearly review campaigns (caisse administrators).
    pub review_campaigns: bool,
    /// Taking the organisation's yearly review (the partner's administrators), or the
    /// parts of it delegated to them (its delegated managers).
    pub reviews: bool,
    /// The alerts on atypical use (the caisse's administrators, security officers and
    /// trace auditors).
    pub alerts: bool,
    /// Incidents with the caisse's desk: the partner's managers open and follow them, the
    /// desk (its agents and the caisse's administrators) handles them.
    pub incidents: bool,
    /// Whom to turn to (a partner's people).
    pub help: bool,
    /// Announcing planned outages (the desk).
    pub outages: bool,
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
        staff: caisse_admin,
        directory: caisse_admin || is_partner_admin(actor),
        clients: caisse_admin,
        partner_rights: partner && roles.iter().any(|r| r.is_manager()),
        own_contract: is_partner_admin(actor),
        admin_change: is_partner_admin(actor),
        traces: is_partner_admin(actor) || (!partner && roles.contains(&Role::TraceAuditor)),
        access_requests: partner,
        review_campaigns: caisse_admin,
        reviews: is_partner_admin(actor) || (partner && roles.contains(&Role::DelegatedManager)),
        alerts: caisse && roles.iter().any(|r| matches!(r, Role::CaisseAdmin | Role::SecurityOfficer | Role::TraceAuditor)),
        incidents: (partner && roles.iter().any(|r| r.is_manager())) || (caisse && roles.iter().any(|r| matches!(r, Role::CaisseAdmin | Role::ServiceDesk))),
        help: partner,
        outages: caisse && roles.iter().any(|r| matches!(r, Role::CaisseAdmin | Role::ServiceDesk)),
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

/// Whether `actor` manages rights (give, suspend, resume, date, revoke) that reach an
/// administrator or deputy (`reaches_administrator`) or only other people, on the rights
/// page of a partner in `mode`: the administrators' rights are the caisse's alone, in
/// either mode (Art. 2.2.1, 2.2.2); the others follow `on_partner_rights`. The services
/// apply the same rule (`reach::rights_powers`).
pub fn may_manage_rights_reaching(actor: &Actor, mode: Option<ManagementMode>, reaches_administrator: bool) -> bool {
    let caisse_admin = actor.organisation.kind == OrganisationKind::Caisse && actor.account.roles.contains(&Role::CaisseAdmin);
    match actor.acting_for {
        Some(_) => caisse_admin && (reaches_administrator || mode == Some(ManagementMode::CaisseManaged)),
        None => !reaches_administrator && on_partner_rights(actor, mode).manage,
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
    /// The partner's administrators export the traces, once it is forwarded.
    pub answer: bool,
    /// ...and mark it answered, once the export exists (Art. 5.3.4).
    pub close: bool,
    /// The requester downloads the export of their answered request.
    pub download: bool,
}

/// What `actor` may do with `request` now.
pub fn on_access_request(actor: &Actor, request: &AccessRequest) -> AccessRequestAbilities {
    AccessRequestAbilities {
        forward: request.status == AccessStatus::Submitted && request.superior_id == actor.account.id,
        answer: is_partner_admin(actor) && request.status == AccessStatus::Forwarded,
        close: is_partner_admin(actor) && request.status == AccessStatus::Forwarded && request.exported_at.is_some(),
        download: request.requester_id == actor.account.id && request.status == AccessStatus::Answered && request.exported_at.is_some(),
    }
}

/// Whether `actor` may reset the second factor of `target` (in `target_org`): the
/// caisse's administrators for a partner's administrators and for the caisse's staff,
/// the partner's principal administrator for its managers and users; never oneself.
pub fn may_reset_second_factor(actor: &Actor, target: &Account, target_org: &Organisation) -> bool {
    if target.id == actor.account.id || actor.account.status != AccountStatus::Active {
        return false;
    }
    let caisse_admin = actor.organisation.kind == OrganisationKind::Caisse && actor.account.roles.contains(&Role::CaisseAdmin);
    let administrator = target.roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy));
    match target_org.kind {
        OrganisationKind::Partner if administrator => caisse_admin && target_org.parent_id == Some(actor.organisation.id),
        OrganisationKind::Partner => {
            actor.organisation.id == target_org.id && actor.account.roles.contains(&Role::PartnerAdmin)
        }
        _ => caisse_admin && actor.organisation.id == target_org.id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{AccountId, AccountStatus, Organisation, OrganisationId, Session, SessionId};
    use time::OffsetDateTime;

    fn person(kind: OrganisationKind, roles: &[Role]) -> Actor {
        let org = Organisation { id: OrganisationId::new(), kind, name: "o".into(), parent_id: None, siret: None, city: None, address: None };
        let now = OffsetDateTime::UNIX_EPOCH;
        let account = Account {
            id: AccountId::new(),
            organisation_id: org.id,
            login: "x".into(),
            display_name: "X".into(),
            email: "x@example.org".into(),
            function: None,
            status: AccountStatus::Active,
            password_hash: None,
            must_change_password: false,
            roles: roles.to_vec(),
            last_login_at: None,
            created_at: now,
        };
        let session = Session {
            id: SessionId::new(),
            account_id: account.id,
            organisation_id: org.id,
            token_hash: vec![],
            csrf_token: String::new(),
            created_at: now,
            last_seen_at: now,
            expires_at: now,
            ended_at: None,
            end_reason: None,
            client_addr: None,
            user_agent: None,
            pending_step: None,
        };
        Actor { account, organisation: org, session, acting_for: None }
    }

    #[test]
    fn each_person_sees_the_sections_of_their_roles() {
        let auditor = abilities(&person(OrganisationKind::Caisse, &[Role::TraceAuditor]));
        assert!(auditor.traces && auditor.partners && !auditor.catalogue && !auditor.partner_rights);
        let caisse_admin = abilities(&person(OrganisationKind::Caisse, &[Role::CaisseAdmin]));
        assert!(caisse_admin.catalogue && caisse_admin.outbox && !caisse_admin.traces, "reading traces needs the auditor role");
        let manager = abilities(&person(OrganisationKind::Partner, &[Role::DelegatedManager]));
        assert!(manager.partner_rights && manager.access_requests && !manager.traces && !manager.own_contract);
        let user = abilities(&person(OrganisationKind::Partner, &[Role::User]));
        assert_eq!(user, Abilities { access_requests: true, help: true, ..Abilities::default() });
    }

    #[test]
    fn the_caisse_manages_a_partner_only_in_caisse_managed_mode() {
        let admin = person(OrganisationKind::Caisse, &[Role::CaisseAdmin]).acting_for(OrganisationId::new());
        assert_eq!(on_partner_rights(&admin, Some(ManagementMode::Delegated)), RightsAbilities { manage: false, supervise: true, answer_queries: false });
        assert!(on_partner_rights(&admin, Some(ManagementMode::CaisseManaged)).manage);
        let desk = person(OrganisationKind::Caisse, &[Role::ServiceDesk]).acting_for(OrganisationId::new());
        assert_eq!(on_partner_rights(&desk, Some(ManagementMode::CaisseManaged)), RightsAbilities::default(), "staff only read");
        let partner_admin = person(OrganisationKind::Partner, &[Role::PartnerAdmin]);
        assert_eq!(on_partner_rights(&partner_admin, Some(ManagementMode::Delegated)), RightsAbilities { manage: true, supervise: false, answer_queries: true });
        assert!(!on_partner_rights(&partner_admin, Some(ManagementMode::CaisseManaged)).manage);
        assert!(!may_act_on_person(&partner_admin, &partner_admin.account), "not on oneself");
        let deputy = person(OrganisationKind::Partner, &[Role::PartnerDeputy]);
        assert!(!may_act_on_person(&partner_admin, &deputy.account), "only the caisse acts on the seats");
        assert!(may_act_on_person(&partner_admin, &person(OrganisationKind::Partner, &[Role::User]).account));
    }
}
