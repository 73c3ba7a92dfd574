//! The caisse side on both backends: onboarding a partner, the opening gate, the two
//! administrators, the outbox, and tenant isolation between caisses.

use habilis_core::commands::{NewAmendment, NewContract, NewConvention};
use habilis_core::Error;
use habilis_core::Rule;
use habilis_core::records::Actor;
use habilis_core::commands::PartnerInput;
use habilis_core::records::{ManagementMode, Missing};
use habilis_core::records::{Account, AccountId, AccountStatus, Organisation, OrganisationId, OrganisationKind, Role};
use habilis_core::{commands::{AdministratorInput, SubscriptionInput}, records::Slot};
use habilis_core::store::*;
use habilis_core::values::ValueError;
use habilis_store::testing::backends;

use super::{Env, PASSWORD, client, env};

pub(super) async fn actor(e: &Env, login: &str) -> Actor {
    e.app.login(login, PASSWORD, &client()).await.unwrap().actor
}

pub(crate) fn partner_input(siret: &str) -> PartnerInput {
    PartnerInput { name: "CCAS de Lomme".into(), siret: siret.into(), address: "1 place de la mairie".into(), city: "Lomme".into() }
}

/// A second caisse with its own administrator, to check isolation.
pub(super) async fn other_caisse_admin(e: &Env) -> Actor {
    let hash = e.app.hasher.hash(PASSWORD).await.unwrap();
    let mut tx = e.app.store.begin().await.unwrap();
    let org = Organisation {
        id: OrganisationId::new(),
        kind: OrganisationKind::Caisse,
        name: "Caf du Sud".into(),
        parent_id: None,
        siret: None,
        city: None,
        address: None,
    };
    tx.insert_organisation(&org, time::OffsetDateTime::now_utc()).await.unwrap();
    tx.insert_account(&Account {
        id: AccountId::new(),
        organisation_id: org.id,
        login: "sud.admin".into(),
        display_name: "Admin Sud".into(),
        email: "admin@caf-sud.invalid".into(),
        function: None,
        status: AccountStatus::Active,
        password_hash: Some(hash),
        must_change_password: false,
        roles: vec![Role::CaisseAdmin],
        last_login_at: None,
        created_at: e.app.now(),
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    actor(e, "sud.admin").await
}

#[tokio::test]
async fn onboarding_a_partner_opens_its_service_only_when_everything_is_signed() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let caf = actor(&e, "caf.admin").await;

        // The demo partner is the contract's example: CDAP is open.
        let partners = e.app.partners(&caf).await.unwrap();
        let mons = partners.iter().find(|p| p.name == "Mairie de Mons-en-Barœul").unwrap().clone();
        let file = e.app.partner_file(&caf, mons.id).await.unwrap();
        assert_eq!(file.mode, Some(ManagementMode::Delegated), "{b:?}");
        assert_eq!(file.conventions[0].number, "2017-21590410300011");
        assert!(file.services[0].2.is_empty(), "{b:?}: CDAP open for the demo partner");
        assert!(file.missing_contacts.is_empty());

        // A wrong SIRET says which rule failed; nothing is written.
        let err = e.app.create_partner(&caf, &partner_input("21590410300012"), &client()).await.unwrap_err();
        assert!(matches!(err, Error::Invalid { field: "siret", problem: ValueError::SiretChecksum }), "{err:?}");
        let err = e.app.create_partner(&caf, &partner_input("2159"), &client()).await.unwrap_err();
        assert!(matches!(err, Error::Invalid { field: "siret", problem: ValueError::SiretLength }), "{err:?}");
        assert_eq!(e.app.partners(&caf).await.unwrap().len(), 1);

        let lomme = e.app.create_partner(&caf, &partner_input("73282932000074"), &client()).await.unwrap();
        let dup = e.app.create_partner(&caf, &partner_input("732 829 320 00074"), &client()).await.unwrap_err();
        assert!(matches!(dup, Error::Taken(_)), "{b:?}: {dup:?}");

        let cdap = |missing: &[Missing], file: &habilis_core::records::PartnerFile| {
            file.services.iter().find(|s| s.0.code == "CDAP").map(|s| s.2.clone()).unwrap_or_else(|| missing.to_vec())
        };
        let file = e.app.partner_file(&caf, lomme.id).await.unwrap();
        assert_eq!(cdap(&[Missing::Convention, Missing::ServiceContract, Missing::Subscription], &file).len(), 3);
        assert_eq!(file.missing_contacts.len(), 4, "the directory is empty");

        // Convention numbers must name this partner's SIRET.
        let err = e.app.record_convention(&caf, lomme.id, &NewConvention { number: "2024-21590410300011".into(), signed_on: "2024-01-15".into(), signatories: "M. le Maire".into() }, &client()).await.unwrap_err();
        assert!(matches!(err, Error::Invalid { field: "number", problem: ValueError::ConventionSiretMismatch }), "{err:?}");
        let conv = e.app.record_convention(&caf, lomme.id, &NewConvention { number: "2024-73282932000074".into(), signed_on: "2024-01-15".into(), signatories: "M. le Maire".into() }, &client()).await.unwrap();
        // A contract under another partner's convention is refused.
        let mons_conv = e.app.partner_file(&caf, mons.id).await.unwrap().conventions[0].id;
        let err = e.app.record_contract(&caf, lomme.id, &NewContract { convention: mons_conv, mode: "delegated".into(), signed_on: "2024-01-15".into(), signatories: "x".into() }, &client()).await.unwrap_err();
        assert!(matches!(err, Error::Rule(Rule::ConventionOfAnotherPartner)), "{err:?}");
        let contract = e.app.record_contract(&caf, lomme.id, &NewContract { convention: conv.id, mode: "delegated".into(), signed_on: "2024-01-15".into(), signatories: "M. le Maire".into() }, &client()).await.unwrap();

        // Subscription without formalities, available later: still closed, and why.
        let mut sub = SubscriptionInput {
            service_code: "CDAP".into(),
            signed_on: "2024-01-20".into(),
            available_from: "2027-01-01".into(),
            max_holders: "5".into(),
            role_quotas: vec![("T5".into(), "2".into())],
            ..Default::default()
        };
        e.app.record_subscription(&caf, lomme.id, &sub, &client()).await.unwrap();
        let file = e.app.partner_file(&caf, lomme.id).await.unwrap();
        let missing = cdap(&[], &file);
        assert!(missing.contains(&Missing::DataProtectionFormalities), "{missing:?}");
        assert!(missing.iter().any(|m| matches!(m, Missing::NotYetAvailable { .. })), "{missing:?}");
        let mut tx = e.app.store.read().await.unwrap();
        let service = tx.service_by_code("CDAP").await.unwrap().unwrap();
        let closed = e.app.ensure_open(&mut tx, lomme.id, service.id).await.unwrap_err();
        assert!(matches!(closed, Error::Rule(Rule::ServiceClosed(_))));
        drop(tx);

        // A role quota above the service's is refused; then everything is recorded.
        sub.role_quotas = vec![("T5".into(), "6".into())];
        let err = e.app.record_subscription(&caf, lomme.id, &sub, &client()).await.unwrap_err();
        assert!(matches!(err, Error::Rule(Rule::RoleQuotaAboveServiceQuota)), "{err:?}");
        sub.formalities_reference = "Registre n° 12".into();
        sub.formalities_on = "2024-01-10".into();
        sub.available_from = "2024-02-01".into();
        // Issue 12, item 3: without a maximum number of holders (Art. 2.2.1 "obligatoirement")
        // the service stays closed, and the gate says why.
        sub.max_holders = String::new();
        sub.role_quotas = vec![];
        // Issue 12, item 4: the bulletin is signed, so a change needs the date of the
        // amendment that makes it (Art. 6), which cannot precede the bulletin.
        let err = e.app.record_subscription(&caf, lomme.id, &sub, &client()).await.unwrap_err();
        assert!(matches!(err, Error::Invalid { field: "amendment_signed_on", problem: ValueError::Empty }), "{b:?}: {err:?}");
        sub.amendment_signed_on = "2023-12-01".into();
        let err = e.app.record_subscription(&caf, lomme.id, &sub, &client()).await.unwrap_err();
        assert!(matches!(err, Error::Invalid { field: "amendment_signed_on", problem: ValueError::DateOrder }), "{b:?}: {err:?}");
        sub.amendment_signed_on = "2024-01-25".into();
        e.app.record_subscription(&caf, lomme.id, &sub, &client()).await.unwrap();
        let file = e.app.partner_file(&caf, lomme.id).await.unwrap();
        assert_eq!(cdap(&[], &file), vec![Missing::Quota], "{b:?}");
        sub.max_holders = "5".into();
        sub.role_quotas = vec![("T5".into(), "2".into())];
        sub.amendment_signed_on = "2024-03-01".into();
        let saved = e.app.record_subscription(&caf, lomme.id, &sub, &client()).await.unwrap();
        assert_eq!(saved.max_holders, Some(5));
        assert_eq!(saved.role_quotas.len(), 1);
        // The history of Annex 2: the first bulletin, then two amendments, each saying
        // what changed, when it was signed and by whom it was recorded.
        let history = e.app.partner_file(&caf, lomme.id).await.unwrap().annex2_changes;
        assert_eq!(history.len(), 3, "{b:?}: {history:?}");
        assert_eq!(history[0].signed_on, None, "{b:?}");
        assert!(history[0].changes.contains("Nombre maximal de titulaires : 5"), "{b:?}: {:?}", history[0]);
        assert_eq!(history[1].signed_on.map(|d| d.to_string()), Some("2024-01-25".into()), "{b:?}");
        assert!(history[1].changes.contains("Nombre maximal de titulaires : 5 → —") && history[1].changes.contains("Profil T5 : 2 → —"), "{b:?}: {:?}", history[1]);
        assert!(history[2].changes.contains("Nombre maximal de titulaires : — → 5") && history[2].changed_by == Some(caf.account.id), "{b:?}: {:?}", history[2]);
        // Saving the same again changes nothing and keeps nothing.
        e.app.record_subscription(&caf, lomme.id, &sub, &client()).await.unwrap();
        assert_eq!(e.app.partner_file(&caf, lomme.id).await.unwrap().annex2_changes.len(), 3, "{b:?}");
        let mut tx = e.app.store.read().await.unwrap();
        e.app.ensure_open(&mut tx, lomme.id, service.id).await.unwrap();
        drop(tx);

        // An amendment cannot take effect before its signature; once effective it switches the mode.
        let err = e.app.record_amendment(&caf, lomme.id, &NewAmendment { contract: contract.id, mode: "caisse_managed".into(), signed_on: "2026-11-20".into(), effective_on: "2026-11-01".into(), reason: "Retrait".into() }, &client()).await.unwrap_err();
        assert!(matches!(err, Error::Invalid { field: "effective_on", problem: ValueError::DateOrder }), "{err:?}");
        e.app.record_amendment(&caf, lomme.id, &NewAmendment { contract: contract.id, mode: "caisse_managed".into(), signed_on: "2026-11-20".into(), effective_on: "2026-11-27".into(), reason: "Retrait de la délégation".into() }, &client()).await.unwrap();
        assert_eq!(e.app.partner_file(&caf, lomme.id).await.unwrap().mode, Some(ManagementMode::CaisseManaged));
        assert!(super::verify(&e).await.finding.is_none());
    }
}

#[tokio::test]
async fn only_the_caisse_issues_the_two_administrators() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let caf = actor(&e, "caf.admin").await;
        let lomme = e.app.create_partner(&caf, &partner_input("73282932000074"), &client()).await.unwrap();
        let input = AdministratorInput {
            first_name: "Hélène".into(),
            last_name: "Dubois".into(),
            function: "Directrice du CCAS".into(),
            email: "h.dubois@ccas-lomme.invalid".into(),
            phone: "03 20 00 00 00".into(),
            login: String::new(),
        };
        let admin = e.app.issue_administrator(&caf, lomme.id, Slot::Principal, &input, "https://habilis.test", &client()).await.unwrap();
        assert_eq!(admin.login, "lomme.helene.dubois", "in the CCAS's namespace");
        assert!(admin.password_hash.is_none());
        // The set-password link went to the outbox, in the same transaction.
        let outbox = e.app.outbox(&caf, 10).await.unwrap();
        let msg = outbox.iter().find(|m| m.to_address == "h.dubois@ccas-lomme.invalid").expect("message queued");
        assert_eq!(msg.status, habilis_core::records::DeliveryStatus::Pending);
        let token = msg.body.split("token=").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
        assert!(msg.body.contains("https://habilis.test/set-password?token="));
        e.app.set_password_with_link(&token, "Violette-Mauve-2026-Nord", &client()).await.unwrap();
        let helene = e.app.login("lomme.helene.dubois", "Violette-Mauve-2026-Nord", &client()).await.unwrap();

        // One principal at a time.
        let mut second = input.clone();
        second.email = "autre@ccas-lomme.invalid".into();
        let err = e.app.issue_administrator(&caf, lomme.id, Slot::Principal, &second, "https://h", &client()).await.unwrap_err();
        assert!(matches!(err, Error::Rule(Rule::AdministratorSlotTaken)), "{b:?}: {err:?}");
        e.app.issue_administrator(&caf, lomme.id, Slot::Deputy, &second, "https://h", &client()).await.unwrap();

        // A partner administrator cannot issue or remove administrators (R14).
        let mons = actor(&e, "mons.admin").await;
        let err = e.app.issue_administrator(&mons, mons.organisation.id, Slot::Deputy, &second, "https://h", &client()).await.unwrap_err();
        assert!(matches!(err, Error::Forbidden), "{err:?}");
        let err = e.app.deactivate_administrator(&mons, admin.id, &client()).await.unwrap_err();
        assert!(matches!(err, Error::Forbidden), "{err:?}");

        // Deactivation ends the sessions and frees the seat.
        e.app.deactivate_administrator(&caf, admin.id, &client()).await.unwrap();
        assert!(matches!(e.app.authenticate(&helene.token, &client()).await, Err(Error::NotAuthenticated)));
        assert!(matches!(e.app.login("lomme.helene.dubois", "Violette-Mauve-2026-Nord", &client()).await, Err(Error::AccountDisabled)));
        let mut third = input.clone();
        third.email = "nouveau@ccas-lomme.invalid".into();
        let new = e.app.issue_administrator(&caf, lomme.id, Slot::Principal, &third, "https://h", &client()).await.unwrap();
        assert_eq!(new.login, "lomme.helene.dubois3", "logins stay unique (the deputy, same name, took 2)");
    }
}

#[tokio::test]
async fn a_caisse_never_reaches_another_caisse_s_partners() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let caf = actor(&e, "caf.admin").await;
        let sud = other_caisse_admin(&e).await;
        let mons = e.app.partners(&caf).await.unwrap().remove(0);
        assert!(e.app.partners(&sud).await.unwrap().is_empty());
        assert!(matches!(e.app.partner_file(&sud, mons.id).await, Err(Error::NotFound)));
        let err = e.app.record_convention(&sud, mons.id, &NewConvention { number: "2025-21590410300011".into(), signed_on: "2025-01-01".into(), signatories: "x".into() }, &client()).await.unwrap_err();
        assert!(matches!(err, Error::NotFound), "{err:?}");
        let err = e.app.update_partner(&sud, mons.id, &partner_input("21590410300011"), &client()).await.unwrap_err();
        assert!(matches!(err, Error::NotFound), "{err:?}");
        assert!(e.app.outbox(&sud, 10).await.unwrap().is_empty());
        // The partner's own administrator reads its own file, not another's.
        let mons_admin = actor(&e, "mons.admin").await;
        assert!(e.app.partner_file(&mons_admin, mons.id).await.is_ok());
        assert!(matches!(e.app.partners(&mons_admin).await, Err(Error::Forbidden)));
        let lomme = e.app.create_partner(&caf, &partner_input("73282932000074"), &client()).await.unwrap();
        assert!(matches!(e.app.partner_file(&mons_admin, lomme.id).await, Err(Error::NotFound)));
    }
}

#[tokio::test]
async fn catalogue_directory_and_administrator_suspension() {
    use habilis_core::commands::ContactInput;
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let caf = actor(&e, "caf.admin").await;
        let mons_admin = actor(&e, "mons.admin").await;

        // Catalogue: caisse administrators only; codes are unique and checked.
        let s = e.app.create_service(&caf, "aides-fi", "Aides financières", "", &client()).await.unwrap();
        assert_eq!(s.code, "AIDES-FI");
        assert!(matches!(e.app.create_service(&caf, "AIDES-FI", "Doublon", "", &client()).await, Err(Error::Taken(_))));
        assert!(matches!(e.app.create_service(&caf, "a b", "x", "", &client()).await, Err(Error::Invalid { field: "code", .. })));
        assert!(matches!(e.app.create_service(&mons_admin, "X1", "x", "", &client()).await, Err(Error::Forbidden)));
        e.app.add_service_role(&caf, "AIDES-FI", "A1", "Instruction", &client()).await.unwrap();
        assert!(matches!(e.app.add_service_role(&caf, "AIDES-FI", "A1", "Doublon", &client()).await, Err(Error::Taken(_))));
        assert!(matches!(e.app.add_service_role(&caf, "NOPE", "A1", "x", &client()).await, Err(Error::NotFound)));
        let cat = e.app.catalogue().await.unwrap();
        assert_eq!(cat.iter().find(|(s, _)| s.code == "AIDES-FI").unwrap().1.len(), 1);

        // Directory: the partner keeps its own, the caisse its partners'; nobody else's.
        let lomme = e.app.create_partner(&caf, &partner_input("73282932000074"), &client()).await.unwrap();
        let input = ContactInput { function: "security_officer".into(), name: "Luc Petit".into(), ..Default::default() };
        let c = e.app.add_contact(&caf, lomme.id, &input, &client()).await.unwrap();
        assert!(matches!(e.app.add_contact(&mons_admin, lomme.id, &input, &client()).await, Err(Error::NotFound)));
        assert!(matches!(e.app.remove_contact(&mons_admin, c.id, &client()).await, Err(Error::NotFound)));
        let bad = ContactInput { function: "mayor".into(), name: "x".into(), ..Default::default() };
        assert!(matches!(e.app.add_contact(&caf, lomme.id, &bad, &client()).await, Err(Error::Invalid { field: "function", .. })));
        let own = e.app.add_contact(&mons_admin, mons_admin.organisation.id, &ContactInput { function: "director".into(), name: "Directeur général".into(), ..Default::default() }, &client()).await.unwrap();
        assert_eq!(e.app.partner_file(&caf, lomme.id).await.unwrap().missing_contacts.len(), 3);
        e.app.remove_contact(&caf, c.id, &client()).await.unwrap();
        e.app.remove_contact(&mons_admin, own.id, &client()).await.unwrap();
        assert_eq!(e.app.partner_file(&caf, lomme.id).await.unwrap().missing_contacts.len(), 4);

        // Suspension: sessions end, sign-in refused, the caisse lifts it; the partner cannot.
        let hugo = e.app.login("mons.deputy", PASSWORD, &client()).await.unwrap();
        let id = hugo.actor.account.id;
        assert!(matches!(e.app.suspend_administrator(&mons_admin, id, &client()).await, Err(Error::Forbidden)));
        e.app.suspend_administrator(&caf, id, &client()).await.unwrap();
        assert!(matches!(e.app.authenticate(&hugo.token, &client()).await, Err(Error::NotAuthenticated)));
        assert!(matches!(e.app.login("mons.deputy", PASSWORD, &client()).await, Err(Error::AccountDisabled)));
        assert!(matches!(e.app.suspend_administrator(&caf, id, &client()).await, Err(Error::Refused(_))));
        e.app.reactivate_administrator(&caf, id, &client()).await.unwrap();
        e.app.login("mons.deputy", PASSWORD, &client()).await.unwrap();

        // The contract document's data.
        let doc = e.app.contract_file(&mons_admin, mons_admin.organisation.id).await.unwrap();
        assert_eq!(doc.caisse.name, "Caf du Nord");
        assert!(doc.caisse_contacts.iter().any(|c| c.name == "Service COMELEC"));
        assert_eq!(doc.roles[0].len(), 3);
        assert!(super::verify(&e).await.finding.is_none());
    }
}

