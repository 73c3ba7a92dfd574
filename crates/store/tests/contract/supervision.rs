//! Caisse supervision on both backends (first part): suspension only the caisse lifts,
//! forced password changes, withdrawal of the delegation, the cross-partner views.

use habilis_core::commands::{NewAmendment};
use habilis_core::commands::{Holder, NewGrant, NewQuery};
use habilis_core::{commands::UserInput, records::GrantState};
use habilis_core::store::Store as _;
use habilis_core::records::GrantFilter;
use habilis_core::values::PasswordProblem;
use habilis_core::{Error, Rule};
use habilis_store::testing::backends;

use super::caisse::{actor, other_caisse_admin};
use super::{PASSWORD, client, env, verify};

#[tokio::test]
async fn only_the_caisse_lifts_its_suspension_and_it_forces_password_changes() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let caf = e.app.login("caf.admin", PASSWORD, &client()).await.unwrap().actor;
        let claire = e.app.login("mons.admin", PASSWORD, &client()).await.unwrap().actor;
        let u = e
            .app
            .create_user(&claire, &UserInput { first_name: "A".into(), last_name: "B".into(), email: "ab@m.invalid".into(), ..Default::default() }, "https://h", &client())
            .await
            .unwrap();
        let g = e.app.grant(&claire, &NewGrant { holder: Holder::Person(u.id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil".into(), ends_on: "".into() }, &client()).await.unwrap();
        // The partner cannot suspend on the caisse's behalf; a reason is required.
        assert!(matches!(e.app.caisse_suspend_grant(&claire, g.id, "x", &client()).await, Err(Error::Forbidden)));
        assert!(matches!(e.app.caisse_suspend_grant(&caf, g.id, " ", &client()).await, Err(Error::Invalid { field: "reason", .. })));
        e.app.caisse_suspend_grant(&caf, g.id, "Consultations atypiques la nuit", &client()).await.unwrap();
        let seen = e.app.partner_grants(&caf, claire.organisation.id).await.unwrap();
        let grant = seen.iter().find(|x| x.id == g.id).unwrap();
        assert_eq!(grant.state, GrantState::Suspended, "{b:?}: the person loses the right at once");
        assert_eq!(grant.caisse_suspension.as_deref(), Some("Consultations atypiques la nuit"));
        // The partner sees it and cannot resume it.
        let err = e.app.resume_grant(&claire, g.id, &client()).await.unwrap_err();
        assert!(matches!(err, Error::Rule(Rule::CaisseSuspension)), "{b:?}: {err:?}");
        assert!(e.app.outbox(&caf, 10).await.unwrap().iter().any(|m| m.subject.contains("suspendue par la caisse")));
        e.app.caisse_lift_suspension(&caf, g.id, &client()).await.unwrap();
        let seen = e.app.partner_grants(&caf, claire.organisation.id).await.unwrap();
        assert_eq!(seen.iter().find(|x| x.id == g.id).unwrap().state, GrantState::Active);

        // Forced change for everyone: sessions end, the next sign-in must change first.
        let hugo = e.app.login("mons.deputy", PASSWORD, &client()).await.unwrap();
        let n = e.app.force_password_change(&caf, claire.organisation.id, None, &client()).await.unwrap();
        assert!(n >= 5, "{b:?}: {n}");
        assert!(matches!(e.app.authenticate(&hugo.token, &client()).await, Err(Error::NotAuthenticated)));
        let again = e.app.login("mons.deputy", PASSWORD, &client()).await.unwrap();
        assert!(again.actor.account.must_change_password);
        // The forced change must change it: the current password is refused as the new one.
        let same = e.app.change_password(&again.actor, PASSWORD, PASSWORD, &client()).await;
        assert!(matches!(same, Err(Error::PasswordRejected(PasswordProblem::SameAsCurrent))), "{b:?}: {same:?}");
        e.app.change_password(&again.actor, PASSWORD, "Tournesol-Vert-43-Roubaix", &client()).await.unwrap();
        assert!(!e.app.login("mons.deputy", "Tournesol-Vert-43-Roubaix", &client()).await.unwrap().actor.account.must_change_password);
        // The partner cannot force it on its own people.
        assert!(matches!(e.app.force_password_change(&claire, claire.organisation.id, None, &client()).await, Err(Error::Forbidden)));
    }
}

#[tokio::test]
async fn a_query_unanswered_past_its_due_date_suspends_the_grant_when_asked() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let caf = e.app.login("caf.admin", PASSWORD, &client()).await.unwrap().actor;
        let claire = e.app.login("mons.admin", PASSWORD, &client()).await.unwrap().actor;
        let mut grants = Vec::new();
        for i in 0..2 {
            let u = e
                .app
                .create_user(&claire, &UserInput { first_name: "Q".into(), last_name: format!("N{i}"), email: format!("q{i}@m.invalid"), ..Default::default() }, "https://h", &client())
                .await
                .unwrap();
            grants.push(e.app.grant(&claire, &NewGrant { holder: Holder::Person(u.id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil".into(), ends_on: "".into() }, &client()).await.unwrap().id);
        }
        let today = e.app.today();
        let due = (today + time::Duration::days(10)).to_string();
        assert!(matches!(e.app.open_query(&claire, &NewQuery { grant: grants[0], question: "?".into(), due_on: due.to_string(), auto_suspend: true }, &client()).await, Err(Error::Forbidden)));
        assert!(matches!(e.app.open_query(&caf, &NewQuery { grant: grants[0], question: "?".into(), due_on: "2000-01-01".into(), auto_suspend: true }, &client()).await, Err(Error::Invalid { field: "due_on", .. })));
        let answered = e.app.open_query(&caf, &NewQuery { grant: grants[0], question: "Pourquoi 40 consultations la nuit ?".into(), due_on: due.to_string(), auto_suspend: true }, &client()).await.unwrap();
        let silent = e.app.open_query(&caf, &NewQuery { grant: grants[1], question: "Cette personne est-elle toujours en poste ?".into(), due_on: due.to_string(), auto_suspend: true }, &client()).await.unwrap();
        assert!(e.app.outbox(&caf, 10).await.unwrap().iter().any(|m| m.subject.contains("question de la caisse")));
        e.app.answer_query(&claire, answered.id, "Permanence de nuit du service social", &client()).await.unwrap();

        // Before the due date nothing happens; the day after, the silent one suspends.
        e.clock.advance(time::Duration::days(10));
        assert_eq!(e.app.enforce_query_deadlines().await.unwrap(), 0, "{b:?}");
        e.clock.advance(time::Duration::days(1));
        let listed = e.app.queries(&caf).await.unwrap();
        assert!(listed.iter().find(|q| q.id == silent.id).unwrap().overdue(e.app.today()), "flagged overdue");
        assert_eq!(e.app.enforce_query_deadlines().await.unwrap(), 1, "{b:?}");
        assert_eq!(e.app.enforce_query_deadlines().await.unwrap(), 0, "idempotent");
        let seen = e.app.partner_grants(&caf, claire.organisation.id).await.unwrap();
        let state = |id| seen.iter().find(|g| g.id == id).map(|g| (g.state, g.caisse_suspension.is_some())).unwrap();
        assert_eq!(state(grants[1]), (GrantState::Suspended, true), "{b:?}");
        assert_eq!(state(grants[0]), (GrantState::Active, false), "answered in time: untouched");
        assert!(matches!(e.app.resume_grant(&claire, grants[1], &client()).await, Err(Error::Rule(Rule::CaisseSuspension))));
        e.app.close_query(&caf, silent.id, &client()).await.unwrap();
        assert!(super::verify(&e).await.finding.is_none());
    }
}

fn person(i: usize) -> UserInput {
    UserInput { first_name: "Personne".into(), last_name: format!("N{i}"), email: format!("p{i}@mons.invalid"), ..Default::default() }
}

#[tokio::test]
async fn withdrawing_the_delegation_hands_management_to_the_caisse_and_back() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let caf = actor(&e, "caf.admin").await;
        let auditor = actor(&e, "caf.auditor").await;
        let sud = other_caisse_admin(&e).await;
        // Sessions opened before the withdrawal.
        let manager = actor(&e, "mons.manager").await;
        let claire = actor(&e, "mons.admin").await;
        let mons = claire.organisation.id;
        let for_mons = caf.clone().acting_for(mons);
        e.app.create_user(&manager, &person(0), "https://h", &client()).await.unwrap();

        // Delegated: the caisse reads, but does not manage.
        assert!(e.app.partner_people(&for_mons).await.unwrap().len() >= 5, "{b:?}");
        assert!(e.app.partner_people(&auditor.clone().acting_for(mons)).await.is_ok(), "{b:?}: caisse staff read");
        let err = e.app.create_user(&for_mons, &person(1), "https://h", &client()).await.unwrap_err();
        assert!(matches!(err, Error::Rule(Rule::DelegatedMode)), "{b:?}: {err:?}");

        // The amendment: caisse-managed from today; the partner's administrators are told.
        let file = e.app.partner_file(&caf, mons).await.unwrap();
        let today = e.app.today().to_string();
        e.app.record_amendment(&caf, mons, &NewAmendment { contract: file.contracts[0].id, mode: "caisse_managed".into(), signed_on: today.to_string(), effective_on: today.to_string(), reason: "Reprise en gestion par la caisse".into() }, &client()).await.unwrap();
        assert!(e.app.outbox(&caf, 20).await.unwrap().iter().any(|m| m.subject.contains("avenant") && m.body.contains("reprise par la caisse")), "{b:?}");

        // The sessions opened before cannot do one more management action.
        assert!(matches!(e.app.create_user(&manager, &person(2), "https://h", &client()).await, Err(Error::Forbidden)), "{b:?}");
        assert!(matches!(e.app.create_group(&claire, "Accueil", &client()).await, Err(Error::Forbidden)), "{b:?}");
        let people = e.app.partner_people(&claire).await.unwrap();
        let agent = people.iter().find(|a| a.login == "mons.agent").unwrap().id;
        assert!(matches!(e.app.grant(&claire, &NewGrant { holder: Holder::Person(agent), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil".into(), ends_on: "".into() }, &client()).await, Err(Error::Forbidden)), "{b:?}");
        // …but the partner's administrator still reads its organisation.
        assert_eq!(e.app.partner_people(&claire).await.unwrap().len(), people.len());

        // The caisse manages in its stead, through the same rules: other caisses, and
        // caisse staff without the administrator role, cannot.
        assert!(matches!(e.app.create_user(&sud.clone().acting_for(mons), &person(3), "https://h", &client()).await, Err(Error::NotFound)), "{b:?}");
        assert!(matches!(e.app.create_user(&auditor.clone().acting_for(mons), &person(3), "https://h", &client()).await, Err(Error::Forbidden)), "{b:?}");
        let group = e.app.create_group(&for_mons, "Accueil", &client()).await.unwrap();
        assert_eq!(group.organisation_id, mons);
        // Quotas hold: grant CDAP T1 to new people until the service quota refuses.
        let allowed = e.app.quota_use(&caf, mons).await.unwrap().iter().find(|q| q.service == "CDAP" && q.role.is_none()).unwrap().allowed.unwrap();
        let mut refused = None;
        for i in 10..30 {
            let u = e.app.create_user(&for_mons, &person(i), "https://h", &client()).await.unwrap();
            assert_eq!(u.organisation_id, mons);
            if let Err(err) = e.app.grant(&for_mons, &NewGrant { holder: Holder::Person(u.id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil".into(), ends_on: "".into() }, &client()).await {
                refused = Some(err);
                break;
            }
        }
        assert!(matches!(refused, Some(Error::Quota(_))), "{b:?}: {refused:?}");
        let used = e.app.quota_use(&caf, mons).await.unwrap().iter().find(|q| q.service == "CDAP" && q.role.is_none()).unwrap().used;
        assert_eq!(used, allowed, "{b:?}");
        // Its actions are traced in the partner's chain, and the trail verifies.
        let report = verify(&e).await;
        assert!(report.finding.is_none(), "{b:?}: {:?}", report.finding);

        // A later amendment back to delegated restores the partner's managers.
        e.clock.advance(time::Duration::days(1));
        let tomorrow = e.app.today().to_string();
        e.app.record_amendment(&caf, mons, &NewAmendment { contract: file.contracts[0].id, mode: "delegated".into(), signed_on: tomorrow.to_string(), effective_on: tomorrow.to_string(), reason: "Fin de la reprise".into() }, &client()).await.unwrap();
        let manager = actor(&e, "mons.manager").await;
        e.app.create_user(&manager, &person(99), "https://h", &client()).await.unwrap();
        assert!(matches!(e.app.create_group(&for_mons, "Autre", &client()).await, Err(Error::Rule(Rule::DelegatedMode))), "{b:?}");
    }
}

#[tokio::test]
async fn the_caisse_looks_across_its_partners() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let caf = actor(&e, "caf.admin").await;
        let claire = actor(&e, "mons.admin").await;
        let a = e.app.create_user(&claire, &person(1), "https://h", &client()).await.unwrap();
        let c = e.app.create_user(&claire, &person(2), "https://h", &client()).await.unwrap();
        let open = e.app.grant(&claire, &NewGrant { holder: Holder::Person(a.id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil".into(), ends_on: "".into() }, &client()).await.unwrap();
        let bounded = e.app.grant(&claire, &NewGrant { holder: Holder::Person(c.id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Renfort".into(), ends_on: "2027-06-30".into() }, &client()).await.unwrap();

        let all = e.app.supervised_grants(&caf, &GrantFilter { service: Some("cdap".into()), ..Default::default() }).await.unwrap();
        assert!(all.iter().any(|g| g.grant.id == open.id) && all.iter().any(|g| g.grant.id == bounded.id), "{b:?}");
        assert!(all.iter().all(|g| g.service == "CDAP" && g.partner.contains("Mons")), "{b:?}");
        let endless = e.app.supervised_grants(&caf, &GrantFilter { no_end_date: true, ..Default::default() }).await.unwrap();
        assert!(endless.iter().any(|g| g.grant.id == open.id) && !endless.iter().any(|g| g.grant.id == bounded.id), "{b:?}");
        assert!(endless.iter().all(|g| g.grant.ends_on.is_none()));
        assert!(matches!(e.app.supervised_grants(&caf, &GrantFilter { service: Some("NOPE".into()), ..Default::default() }).await, Err(Error::NotFound)));
        // Partners cannot look across; other caisses see none of these partners.
        assert!(matches!(e.app.supervised_grants(&claire, &GrantFilter::default()).await, Err(Error::Forbidden)));
        let sud = other_caisse_admin(&e).await;
        assert!(e.app.supervised_grants(&sud, &GrantFilter::default()).await.unwrap().is_empty(), "{b:?}");
        assert!(matches!(
            e.app.supervised_grants(&sud, &GrantFilter { partner: Some(claire.organisation.id), ..Default::default() }).await,
            Err(Error::NotFound)
        ));

        // Nobody is dormant today; seven months later, everyone who has not signed in is,
        // and a sign-in takes one off the list.
        assert!(e.app.dormant_accounts(&caf, 6, None).await.unwrap().is_empty(), "{b:?}");
        e.clock.advance(time::Duration::days(7 * 30));
        let asleep = e.app.dormant_accounts(&caf, 6, None).await.unwrap();
        assert!(asleep.iter().any(|d| d.login == "mons.agent") && asleep.iter().any(|d| d.account_id == a.id), "{b:?}");
        e.app.login("mons.agent", PASSWORD, &client()).await.unwrap();
        let asleep = e.app.dormant_accounts(&caf, 6, None).await.unwrap();
        assert!(!asleep.iter().any(|d| d.login == "mons.agent"), "{b:?}");
        assert!(matches!(e.app.dormant_accounts(&caf, 0, None).await, Err(Error::Invalid { field: "months", .. })));

        // Incomplete directories: as the partner's file says.
        let missing = e.app.partner_file(&caf, claire.organisation.id).await.unwrap().missing_contacts;
        let listed = e.app.incomplete_partners(&caf).await.unwrap();
        assert_eq!(listed.iter().find(|p| p.partner_id == claire.organisation.id).map(|p| p.missing.clone()).unwrap_or_default(), missing);
        assert!(matches!(e.app.incomplete_partners(&claire).await, Err(Error::Forbidden)));
    }
}

/// The demo, the caisse's and the Mairie's administrators, and one grant of the Mairie.
async fn one_grant(b: habilis_store::Backend) -> (super::Env, habilis_core::records::Actor, habilis_core::records::Actor, habilis_core::records::Grant) {
    let e = env(b).await;
    e.app.load_demo(PASSWORD).await.unwrap();
    let caf = actor(&e, "caf.admin").await;
    let claire = actor(&e, "mons.admin").await;
    let u = e.app.create_user(&claire, &person(1), "https://h", &client()).await.unwrap();
    let g = e.app.grant(&claire, &NewGrant { holder: Holder::Person(u.id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil".into(), ends_on: "".into() }, &client()).await.unwrap();
    (e, caf, claire, g)
}

#[tokio::test]
async fn lifting_the_caisse_suspension_restores_the_state_the_partner_left() {
    for b in backends() {
        let (e, caf, claire, g) = one_grant(b).await;
        // The partner suspends it (the person is on leave), then the caisse does too.
        e.app.suspend_grant(&claire, g.id, &client()).await.unwrap();
        e.app.caisse_suspend_grant(&caf, g.id, "Contrôle", &client()).await.unwrap();
        e.app.caisse_lift_suspension(&caf, g.id, &client()).await.unwrap();
        let after = e.app.grants(&claire).await.unwrap().into_iter().find(|x| x.id == g.id).unwrap();
        assert_eq!((after.state, after.caisse_suspension), (GrantState::Suspended, None), "{b:?}: still the partner's suspension");
        // The partner may now resume it itself.
        e.app.resume_grant(&claire, g.id, &client()).await.unwrap();
        assert!(matches!(e.app.caisse_lift_suspension(&caf, g.id, &client()).await, Err(Error::Refused(_))), "{b:?}");
    }
}

#[tokio::test]
async fn a_revoked_grant_never_comes_back_through_a_lift() {
    for b in backends() {
        let (e, caf, claire, g) = one_grant(b).await;
        e.app.caisse_suspend_grant(&caf, g.id, "Contrôle", &client()).await.unwrap();
        e.app.revoke_grant(&claire, g.id, &client()).await.unwrap();
        assert!(matches!(e.app.caisse_lift_suspension(&caf, g.id, &client()).await, Err(Error::Refused(_))), "{b:?}");
        let after = e.app.grants(&claire).await.unwrap().into_iter().find(|x| x.id == g.id).unwrap();
        assert_eq!((after.state, after.caisse_suspension), (GrantState::Revoked, None), "{b:?}");
    }
}

#[tokio::test]
async fn a_stray_partner_parameter_never_moves_a_trace_to_another_chain() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let claire = actor(&e, "mons.admin").await;
        let elsewhere = habilis_core::records::OrganisationId::new();
        // A partner's administrator naming another organisation: the action (allowed on its
        // own) is traced in the Mairie's chain all the same.
        let who = claire.clone().acting_for(elsewhere);
        e.app.request_access(&who, None, "", &client()).await.ok();
        let heads = e.app.store.trace_heads().await.unwrap();
        assert!(!heads.iter().any(|h| h.chain_id == elsewhere.0), "{b:?}: no chain was opened for a stray id");
    }
}
