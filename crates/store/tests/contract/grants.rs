//! Delegated management on both backends (first part): users, grants, quotas.

use habilis_core::commands::{NewAmendment};
use habilis_core::commands::{Holder, NewGrant, NewMandate};
use habilis_core::records::GrantState;
use habilis_core::commands::UserInput;
use habilis_core::commands::SubscriptionInput;
use habilis_core::{Error, Rule};
use habilis_store::testing::backends;

use super::{PASSWORD, client, env};

fn user(i: usize) -> UserInput {
    UserInput { first_name: "Agent".into(), last_name: format!("N{i}"), email: format!("agent{i}@mairie.invalid"), ..Default::default() }
}

#[tokio::test]
async fn grants_respect_purpose_quotas_and_the_manager_s_own_rights() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let claire = e.app.login("mons.admin", PASSWORD, &client()).await.unwrap().actor;
        let caf = e.app.login("caf.admin", PASSWORD, &client()).await.unwrap().actor;
        // Quota of 2 for CDAP, 1 for its role T5.
        let sub = SubscriptionInput {
            service_code: "CDAP".into(),
            signed_on: "2017-05-11".into(),
            formalities_reference: "Registre".into(),
            formalities_on: "2017-04-28".into(),
            available_from: "2017-05-11".into(),
            max_holders: "2".into(),
            role_quotas: vec![("T5".into(), "1".into())],
            // An amendment of the demo's signed Annex 2 (Art. 6).
            amendment_signed_on: "2026-01-15".into(),
        };
        e.app.record_subscription(&caf, claire.organisation.id, &sub, &client()).await.unwrap();
        let u: Vec<_> = {
            let mut v = Vec::new();
            for i in 0..3 {
                v.push(e.app.create_user(&claire, &user(i), "https://h", &client()).await.unwrap());
            }
            v
        };
        // A purpose is required; nobody grants themselves.
        assert!(matches!(e.app.grant(&claire, &NewGrant { holder: Holder::Person(u[0].id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: " ".into(), ends_on: "".into() }, &client()).await, Err(Error::Invalid { field: "purpose", .. })));
        assert!(matches!(e.app.grant(&claire, &NewGrant { holder: Holder::Person(claire.account.id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "x".into(), ends_on: "".into() }, &client()).await, Err(Error::Rule(Rule::SelfGrant))));
        assert!(matches!(e.app.grant(&claire, &NewGrant { holder: Holder::Person(u[0].id), service_code: "CDAP".into(), role_code: "T9".into(), purpose: "x".into(), ends_on: "".into() }, &client()).await, Err(Error::Rule(Rule::RoleOfAnotherService))));
        assert!(matches!(e.app.grant(&claire, &NewGrant { holder: Holder::Person(u[0].id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "x".into(), ends_on: "2020-01-01".into() }, &client()).await, Err(Error::Invalid { field: "ends_on", .. })));

        let g0 = e.app.grant(&claire, &NewGrant { holder: Holder::Person(u[0].id), service_code: "CDAP".into(), role_code: "T5".into(), purpose: "Instruction des dossiers RSA".into(), ends_on: "".into() }, &client()).await.unwrap();
        // Role quota T5 = 1.
        let err = e.app.grant(&claire, &NewGrant { holder: Holder::Person(u[1].id), service_code: "CDAP".into(), role_code: "T5".into(), purpose: "x".into(), ends_on: "".into() }, &client()).await.unwrap_err();
        assert!(matches!(&err, Error::Quota(q) if q.role.as_deref() == Some("T5") && q.used == 1 && q.allowed == 1), "{b:?}: {err:?}");
        // The same person in another role does not count twice for the service.
        e.app.grant(&claire, &NewGrant { holder: Holder::Person(u[0].id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil".into(), ends_on: "".into() }, &client()).await.unwrap();
        e.app.grant(&claire, &NewGrant { holder: Holder::Person(u[1].id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil".into(), ends_on: "2030-12-31".into() }, &client()).await.unwrap();
        let err = e.app.grant(&claire, &NewGrant { holder: Holder::Person(u[2].id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "x".into(), ends_on: "".into() }, &client()).await.unwrap_err();
        assert!(matches!(&err, Error::Quota(q) if q.role.is_none() && q.used == 2 && q.allowed == 2), "{b:?}: {err:?}");
        // Revoking frees the seat at once; the record stays.
        e.app.revoke_grant(&claire, g0.id, &client()).await.unwrap();
        assert!(matches!(e.app.revoke_grant(&claire, g0.id, &client()).await, Err(Error::Refused(_))));
        e.app.grant(&claire, &NewGrant { holder: Holder::Person(u[1].id), service_code: "CDAP".into(), role_code: "T5".into(), purpose: "Instruction".into(), ends_on: "".into() }, &client()).await.unwrap();
        let all = e.app.grants(&claire).await.unwrap();
        assert_eq!(all.len(), 4, "revoked grants are kept");

        // The caisse cannot grant through the partner's management, nor can a user.
        assert!(matches!(e.app.grant(&caf, &NewGrant { holder: Holder::Person(u[2].id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "x".into(), ends_on: "".into() }, &client()).await, Err(Error::Forbidden)));
        let agent = e.app.login("mons.agent", PASSWORD, &client()).await.unwrap().actor;
        assert!(matches!(e.app.grant(&agent, &NewGrant { holder: Holder::Person(u[2].id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "x".into(), ends_on: "".into() }, &client()).await, Err(Error::Forbidden)));

        // Once the delegation is withdrawn by amendment, the partner's managers lose it.
        let file = e.app.partner_file(&caf, claire.organisation.id).await.unwrap();
        let today = e.app.today().to_string();
        e.app
            .record_amendment(&caf, claire.organisation.id, &NewAmendment { contract: file.contracts[0].id, mode: "caisse_managed".into(), signed_on: today.to_string(), effective_on: today.to_string(), reason: "Retrait".into() }, &client())
            .await
            .unwrap();
        assert!(matches!(e.app.grant(&claire, &NewGrant { holder: Holder::Person(u[2].id), service_code: "CDAP".into(), role_code: "T2".into(), purpose: "x".into(), ends_on: "".into() }, &client()).await, Err(Error::Forbidden)));
        assert!(matches!(e.app.create_user(&claire, &user(9), "https://h", &client()).await, Err(Error::Forbidden)));
        assert!(super::verify(&e).await.finding.is_none());
    }
}

#[tokio::test]
async fn nothing_is_granted_on_a_closed_service() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let claire = e.app.login("mons.admin", PASSWORD, &client()).await.unwrap().actor;
        let caf = e.app.login("caf.admin", PASSWORD, &client()).await.unwrap().actor;
        let u = e.app.create_user(&claire, &user(0), "https://h", &client()).await.unwrap();
        // Availability moved to next year: CDAP closes.
        let sub = SubscriptionInput {
            service_code: "CDAP".into(),
            signed_on: "2017-05-11".into(),
            formalities_reference: "Registre".into(),
            formalities_on: "2017-04-28".into(),
            available_from: "2099-01-01".into(),
            max_holders: "10".into(),
            role_quotas: vec![],
            // An amendment of the demo's signed Annex 2 (Art. 6).
            amendment_signed_on: "2026-01-15".into(),
        };
        e.app.record_subscription(&caf, claire.organisation.id, &sub, &client()).await.unwrap();
        let err = e.app.grant(&claire, &NewGrant { holder: Holder::Person(u.id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil".into(), ends_on: "".into() }, &client()).await.unwrap_err();
        assert!(matches!(err, Error::Rule(Rule::ServiceClosed(_))), "{b:?}: {err:?}");
    }
}

#[tokio::test]
async fn groups_count_each_member_once_and_every_path_checks_the_quota() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let claire = e.app.login("mons.admin", PASSWORD, &client()).await.unwrap().actor;
        let caf = e.app.login("caf.admin", PASSWORD, &client()).await.unwrap().actor;
        let sub = SubscriptionInput {
            service_code: "CDAP".into(),
            signed_on: "2017-05-11".into(),
            formalities_reference: "Registre".into(),
            formalities_on: "2017-04-28".into(),
            available_from: "2017-05-11".into(),
            max_holders: "3".into(),
            role_quotas: vec![],
            // An amendment of the demo's signed Annex 2 (Art. 6).
            amendment_signed_on: "2026-01-15".into(),
        };
        e.app.record_subscription(&caf, claire.organisation.id, &sub, &client()).await.unwrap();
        let mut u = Vec::new();
        for i in 0..5 {
            u.push(e.app.create_user(&claire, &user(i), "https://h", &client()).await.unwrap().id);
        }
        let accueil = e.app.create_group(&claire, "Accueil", &client()).await.unwrap();
        assert!(matches!(e.app.create_group(&claire, "Accueil", &client()).await, Err(Error::Taken(_))));
        for id in &u[0..2] {
            e.app.add_member(&claire, accueil.id, *id, &client()).await.unwrap();
        }
        // u0 also holds a direct grant: still one person.
        e.app.grant(&claire, &NewGrant { holder: Holder::Person(u[0]), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil".into(), ends_on: "".into() }, &client()).await.unwrap();
        let g = e.app.grant(&claire, &NewGrant { holder: Holder::Group(accueil.id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil du public".into(), ends_on: "".into() }, &client()).await.unwrap();
        // 2 holders; adding u2 makes 3 (the quota); u3 would be a 4th.
        e.app.add_member(&claire, accueil.id, u[2], &client()).await.unwrap();
        let err = e.app.add_member(&claire, accueil.id, u[3], &client()).await.unwrap_err();
        assert!(matches!(&err, Error::Quota(q) if q.used == 3 && q.allowed == 3), "{b:?}: {err:?}");
        let err = e.app.grant(&claire, &NewGrant { holder: Holder::Person(u[3]), service_code: "CDAP".into(), role_code: "T2".into(), purpose: "x".into(), ends_on: "".into() }, &client()).await.unwrap_err();
        assert!(matches!(err, Error::Quota(_)), "{b:?}: {err:?}");

        // A group of 2 newcomers cannot be granted when one seat would be left.
        e.app.remove_member(&claire, accueil.id, u[2], &client()).await.unwrap();
        let pair = e.app.create_group(&claire, "Binôme", &client()).await.unwrap();
        e.app.add_member(&claire, pair.id, u[3], &client()).await.unwrap();
        e.app.add_member(&claire, pair.id, u[4], &client()).await.unwrap();
        let err = e.app.grant(&claire, &NewGrant { holder: Holder::Group(pair.id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "x".into(), ends_on: "".into() }, &client()).await.unwrap_err();
        assert!(matches!(&err, Error::Quota(q) if q.used == 2), "{b:?}: {err:?}");

        // Suspending frees the seats; resuming checks the quota again.
        e.app.suspend_grant(&claire, g.id, &client()).await.unwrap();
        e.app.grant(&claire, &NewGrant { holder: Holder::Person(u[3]), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Remplacement".into(), ends_on: "".into() }, &client()).await.unwrap();
        e.app.grant(&claire, &NewGrant { holder: Holder::Person(u[4]), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Remplacement".into(), ends_on: "".into() }, &client()).await.unwrap();
        let err = e.app.resume_grant(&claire, g.id, &client()).await.unwrap_err();
        assert!(matches!(err, Error::Quota(_)), "{b:?}: {err:?}");

        // A manager neither grants a group they belong to nor joins a granted group.
        let mine = e.app.create_group(&claire, "Direction", &client()).await.unwrap();
        e.app.add_member(&claire, mine.id, claire.account.id, &client()).await.unwrap();
        let err = e.app.grant(&claire, &NewGrant { holder: Holder::Group(mine.id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "x".into(), ends_on: "".into() }, &client()).await.unwrap_err();
        // Claire is the administrator: her rights are, besides, the caisse's alone (issue 12).
        assert!(matches!(err, Error::Rule(Rule::AdministratorsRightsByCaisse)), "{err:?}");
        let err = e.app.add_member(&claire, pair.id, claire.account.id, &client()).await;
        assert!(err.is_ok(), "the pair holds no active grant: joining it grants nothing");
        assert!(super::verify(&e).await.finding.is_none());
    }
}

#[tokio::test]
async fn managers_edit_suspend_and_reset_users_but_never_administrators() {
    use habilis_core::records::UserAction;
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let julie = e.app.login("mons.manager", PASSWORD, &client()).await.unwrap().actor;
        let karim = e.app.login("mons.agent", PASSWORD, &client()).await.unwrap();
        let claire = e.app.login("mons.admin", PASSWORD, &client()).await.unwrap().actor;
        let caf = e.app.login("caf.admin", PASSWORD, &client()).await.unwrap().actor;
        // Julie's mandate includes users.
        e.app.user_action(&julie, karim.actor.account.id, UserAction::Suspend, "https://h", &client()).await.unwrap();
        assert!(matches!(e.app.authenticate(&karim.token, &client()).await, Err(Error::NotAuthenticated)), "{b:?}");
        assert!(matches!(e.app.login("mons.agent", PASSWORD, &client()).await, Err(Error::AccountDisabled)));
        e.app.user_action(&julie, karim.actor.account.id, UserAction::Reactivate, "https://h", &client()).await.unwrap();
        e.app.user_action(&julie, karim.actor.account.id, UserAction::ResetPassword, "https://h", &client()).await.unwrap();
        assert!(e.app.outbox(&caf, 5).await.unwrap().iter().any(|m| m.to_address == "mons.agent@demo.habilis.invalid" && m.subject.contains("nouveau mot de passe")));
        let edited = e
            .app
            .update_user(&julie, karim.actor.account.id, &UserInput { first_name: "Karim".into(), last_name: "Haddad-Benali".into(), email: "k.haddad@mairie.invalid".into(), ..Default::default() }, &client())
            .await
            .unwrap();
        assert_eq!(edited.display_name, "Karim Haddad-Benali");
        assert_eq!(e.app.search_people(&julie, "benali").await.unwrap().len(), 1);
        // Never the administrator (R14), never oneself.
        assert!(matches!(e.app.user_action(&julie, claire.account.id, UserAction::Suspend, "https://h", &client()).await, Err(Error::Forbidden)));
        assert!(matches!(e.app.user_action(&claire, claire.account.id, UserAction::Suspend, "https://h", &client()).await, Err(Error::Rule(Rule::SelfGrant))));
        // Without a users right in the mandate: refused.
        let karim = e.app.login("mons.agent", PASSWORD, &client()).await.unwrap().actor;
        assert!(matches!(e.app.user_action(&karim, julie.account.id, UserAction::Suspend, "https://h", &client()).await, Err(Error::Forbidden)));
    }
}

#[tokio::test]
async fn groups_are_renamed_and_deleted_and_end_dates_move_within_quotas() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let claire = e.app.login("mons.admin", PASSWORD, &client()).await.unwrap().actor;
        let caf = e.app.login("caf.admin", PASSWORD, &client()).await.unwrap().actor;
        let sub = SubscriptionInput {
            service_code: "CDAP".into(),
            signed_on: "2017-05-11".into(),
            formalities_reference: "Registre".into(),
            formalities_on: "2017-04-28".into(),
            available_from: "2017-05-11".into(),
            max_holders: "1".into(),
            role_quotas: vec![],
            // An amendment of the demo's signed Annex 2 (Art. 6).
            amendment_signed_on: "2026-01-15".into(),
        };
        e.app.record_subscription(&caf, claire.organisation.id, &sub, &client()).await.unwrap();
        let a = e.app.create_user(&claire, &user(0), "https://h", &client()).await.unwrap().id;
        let b2 = e.app.create_user(&claire, &user(1), "https://h", &client()).await.unwrap().id;
        let g = e.app.create_group(&claire, "Accueil", &client()).await.unwrap();
        e.app.create_group(&claire, "Social", &client()).await.unwrap();
        assert!(matches!(e.app.rename_group(&claire, g.id, "Social", &client()).await, Err(Error::Taken(_))));
        e.app.rename_group(&claire, g.id, "Accueil du public", &client()).await.unwrap();
        e.app.add_member(&claire, g.id, a, &client()).await.unwrap();
        let gg = e.app.grant(&claire, &NewGrant { holder: Holder::Group(g.id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil".into(), ends_on: "".into() }, &client()).await.unwrap();
        assert!(matches!(e.app.delete_group(&claire, g.id, &client()).await, Err(Error::Rule(Rule::GroupHoldsGrants))));
        e.app.revoke_grant(&claire, gg.id, &client()).await.unwrap();
        // A revoked grant still names the group: it stays (retention), so does the group.
        assert!(matches!(e.app.delete_group(&claire, g.id, &client()).await, Err(Error::Rule(Rule::GroupHoldsGrants))));

        // End dates: a grant ending tomorrow frees its seat the day after.
        let tomorrow = (e.app.today() + time::Duration::days(1)).to_string();
        let direct = e.app.grant(&claire, &NewGrant { holder: Holder::Person(a), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Remplacement".into(), ends_on: tomorrow.to_string() }, &client()).await.unwrap();
        assert!(matches!(e.app.grant(&claire, &NewGrant { holder: Holder::Person(b2), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "x".into(), ends_on: "".into() }, &client()).await, Err(Error::Quota(_))));
        e.clock.advance(time::Duration::days(2));
        let g2 = e.app.grant(&claire, &NewGrant { holder: Holder::Person(b2), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil".into(), ends_on: "".into() }, &client()).await.unwrap();
        // Bringing the ended grant back would pass the quota: refused.
        let err = e.app.set_grant_end(&claire, direct.id, "", &client()).await.unwrap_err();
        assert!(matches!(err, Error::Quota(_)), "{b:?}: {err:?}");
        e.app.revoke_grant(&claire, g2.id, &client()).await.unwrap();
        e.app.set_grant_end(&claire, direct.id, "", &client()).await.unwrap();
        assert!(matches!(e.app.set_grant_end(&claire, direct.id, "2000-01-01", &client()).await, Err(Error::Invalid { field: "ends_on", .. })));
    }
}

#[tokio::test]
async fn a_suspended_group_grant_still_counts_for_who_may_join_the_group() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let claire = e.app.login("mons.admin", PASSWORD, &client()).await.unwrap().actor;
        let julie = e.app.login("mons.manager", PASSWORD, &client()).await.unwrap().actor;
        // Julie manages groups and grants CDAP T1 only.
        // (Her demo mandate is edited: one mandate in force per person and scope.)
        let t1_groups = NewMandate { scope: vec![("CDAP".into(), "T1".into())], may_manage_groups: true, may_manage_users: true, ..Default::default() };
        let hers = e.app.mandates(&claire).await.unwrap().into_iter().find(|m| m.holder_id == julie.account.id && m.withdrawn_at.is_none()).unwrap();
        e.app.edit_mandate(&claire, hers.id, &t1_groups, &client()).await.unwrap();
        let u = e.app.create_user(&claire, &user(0), "https://h", &client()).await.unwrap();
        let instruction = e.app.create_group(&claire, "Instruction", &client()).await.unwrap();
        let t2 = NewGrant { holder: Holder::Group(instruction.id), service_code: "CDAP".into(), role_code: "T2".into(), purpose: "Instruction".into(), ends_on: "".into() };
        let g = e.app.grant(&claire, &t2, &client()).await.unwrap();
        e.app.suspend_grant(&claire, g.id, &client()).await.unwrap();
        // Suspended, the grant still decides: joining would give T2 back on resumption.
        let me = e.app.add_member(&julie, instruction.id, julie.account.id, &client()).await;
        assert!(matches!(me, Err(Error::Rule(Rule::SelfGrant))), "{b:?}: {me:?}");
        let other = e.app.add_member(&julie, instruction.id, u.id, &client()).await;
        assert!(matches!(other, Err(Error::Rule(Rule::OutsideMandate))), "{b:?}: {other:?}");
        // The administrator, who may grant T2, adds the person; resumption brings the right.
        e.app.add_member(&claire, instruction.id, u.id, &client()).await.unwrap();
        e.app.resume_grant(&claire, g.id, &client()).await.unwrap();
        let file = e.app.person_file(&claire, u.id).await.unwrap();
        assert_eq!(file.grants.iter().filter(|x| x.state == GrantState::Active).count(), 1, "{b:?}");
    }
}

/// Issue 12, items 2 and 9: the administrator's and deputy's own rights are the caisse's
/// alone, in either mode (Art. 2.2.1, 2.2.2); one grant per holder, service and profile;
/// no empty mandate; one e-mail address per live account of an organisation.
#[tokio::test]
async fn the_administrators_rights_are_the_caisses_alone_and_nothing_is_given_twice() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let cl = client();
        let claire = e.app.login("mons.admin", PASSWORD, &cl).await.unwrap().actor;
        let julie = e.app.login("mons.manager", PASSWORD, &cl).await.unwrap().actor;
        let caf = e.app.login("caf.admin", PASSWORD, &cl).await.unwrap().actor;
        let hugo = e.app.login("mons.deputy", PASSWORD, &cl).await.unwrap().actor.account.id;
        let karim = e.app.login("mons.agent", PASSWORD, &cl).await.unwrap().actor.account.id;
        let for_mons = caf.acting_for(claire.organisation.id);
        let t1 = |holder| NewGrant { holder, service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil".into(), ends_on: "".into() };

        // The partner's managers cannot give the deputy a right; the caisse can, although
        // the Mairie is in delegated mode (where it manages nobody else).
        for who in [&claire, &julie] {
            let err = e.app.grant(who, &t1(Holder::Person(hugo)), &cl).await.unwrap_err();
            assert!(matches!(err, Error::Rule(Rule::AdministratorsRightsByCaisse)), "{b:?}: {err:?}");
        }
        let g = e.app.grant(&for_mons, &t1(Holder::Person(hugo)), &cl).await.unwrap();
        let err = e.app.grant(&for_mons, &t1(Holder::Person(karim)), &cl).await.unwrap_err();
        assert!(matches!(err, Error::Rule(Rule::DelegatedMode)), "{b:?}: {err:?}");
        // Only the caisse suspends, resumes, dates and revokes it.
        for err in [
            e.app.suspend_grant(&claire, g.id, &cl).await.unwrap_err(),
            e.app.set_grant_end(&claire, g.id, "2030-01-01", &cl).await.unwrap_err(),
            e.app.revoke_grant(&claire, g.id, &cl).await.unwrap_err(),
        ] {
            assert!(matches!(err, Error::Rule(Rule::AdministratorsRightsByCaisse)), "{b:?}: {err:?}");
        }
        e.app.suspend_grant(&for_mons, g.id, &cl).await.unwrap();
        e.app.resume_grant(&for_mons, g.id, &cl).await.unwrap();
        e.app.set_grant_end(&for_mons, g.id, "2030-01-01", &cl).await.unwrap();

        // Nor does the deputy receive rights by joining a group that holds some.
        let group = e.app.create_group(&claire, "Accueil", &cl).await.unwrap();
        e.app.grant(&claire, &NewGrant { holder: Holder::Group(group.id), service_code: "CDAP".into(), role_code: "T2".into(), purpose: "Instruction".into(), ends_on: "".into() }, &cl).await.unwrap();
        let err = e.app.add_member(&claire, group.id, hugo, &cl).await.unwrap_err();
        assert!(matches!(err, Error::Rule(Rule::AdministratorsRightsByCaisse)), "{b:?}: {err:?}");

        // One grant per holder, service and profile: the second is refused with a sentence.
        let err = e.app.grant(&for_mons, &t1(Holder::Person(hugo)), &cl).await.unwrap_err();
        assert!(matches!(err, Error::Rule(Rule::AlreadyGranted)), "{b:?}: {err:?}");
        e.app.grant(&claire, &t1(Holder::Person(karim)), &cl).await.unwrap();
        let err = e.app.grant(&claire, &t1(Holder::Person(karim)), &cl).await.unwrap_err();
        assert!(matches!(err, Error::Rule(Rule::AlreadyGranted)), "{b:?}: {err:?}");
        // Once revoked, it may be given again.
        e.app.revoke_grant(&for_mons, g.id, &cl).await.unwrap();
        e.app.grant(&for_mons, &t1(Holder::Person(hugo)), &cl).await.unwrap();

        // No empty mandate.
        let empty = NewMandate { scope: vec![], may_manage_users: false, may_manage_groups: false, may_delegate: true };
        let err = e.app.give_mandate(&claire, karim, &empty, &cl).await.unwrap_err();
        assert!(matches!(err, Error::Rule(Rule::EmptyMandate)), "{b:?}: {err:?}");

        // One address per live account of the organisation, at creation and on change.
        let karim_email = e.app.person_file(&claire, karim).await.unwrap().account.email;
        let twin = UserInput { first_name: "Kim".into(), last_name: "Haddad".into(), email: karim_email.to_uppercase(), ..Default::default() };
        assert!(matches!(e.app.create_user(&claire, &twin, "https://h", &cl).await, Err(Error::Taken(_))), "{b:?}");
        let lea = e.app.create_user(&claire, &user(7), "https://h", &cl).await.unwrap();
        let moved = UserInput { email: karim_email.clone(), ..user(7) };
        assert!(matches!(e.app.update_user(&claire, lea.id, &moved, &cl).await, Err(Error::Taken(_))), "{b:?}");
    }
}

/// Issue 17, point 6: a person leaves the organisation — deactivated, every grant revoked,
/// every group left, in one transaction with its trace; a manager whose mandate does not
/// cover all of it is refused and nothing changes.
#[tokio::test]
async fn a_person_leaves_the_organisation_and_everything_they_held_ends() {
    use habilis_core::store::*;
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let claire = e.app.login("mons.admin", PASSWORD, &client()).await.unwrap().actor;
        let julie = e.app.login("mons.manager", PASSWORD, &client()).await.unwrap().actor;
        let karim = e.app.login("mons.agent", PASSWORD, &client()).await.unwrap().actor.account.id;
        let g = |holder, role: &str| NewGrant { holder, service_code: "CDAP".into(), role_code: role.into(), purpose: "Accueil".into(), ends_on: "".into() };
        let t1 = e.app.grant(&claire, &g(Holder::Person(karim), "T1"), &client()).await.unwrap();
        let t2 = e.app.grant(&claire, &g(Holder::Person(karim), "T2"), &client()).await.unwrap();
        let accueil = e.app.create_group(&claire, "Accueil", &client()).await.unwrap();
        e.app.add_member(&claire, accueil.id, karim, &client()).await.unwrap();
        // Julie's mandate covers T1 and users, not T2 nor groups: refused, nothing changed.
        assert!(matches!(e.app.leave_organisation(&julie, karim, &client()).await, Err(Error::Rule(Rule::OutsideMandate))), "{b:?}");
        assert!(e.app.login("mons.agent", PASSWORD, &client()).await.is_ok(), "{b:?}: still there");
        let ended = e.app.leave_organisation(&claire, karim, &client()).await.unwrap();
        assert_eq!((ended.grants, ended.memberships, ended.mandates), (2, 1, 0), "{b:?}");
        let mut tx = e.app.store.read().await.unwrap();
        assert_eq!(tx.account(karim).await.unwrap().unwrap().status, habilis_core::records::AccountStatus::Deactivated, "{b:?}");
        for id in [t1.id, t2.id] {
            assert_eq!(tx.grant(id).await.unwrap().unwrap().state, GrantState::Revoked, "{b:?}");
        }
        assert!(tx.members(accueil.id).await.unwrap().is_empty(), "{b:?}");
        drop(tx);
        assert!(e.app.login("mons.agent", PASSWORD, &client()).await.is_err(), "{b:?}: no more sign-in");
        assert!(matches!(e.app.leave_organisation(&claire, karim, &client()).await, Err(_)), "{b:?}: once");
        let trail = e.app.store.trace_search(&habilis_core::trace::TraceQuery { chains: vec![claire.organisation.id.0], action: Some("user.leave".into()), limit: 5, ..Default::default() }).await.unwrap();
        assert_eq!(trail.len(), 1, "{b:?}");
        assert_eq!(trail[0].entry.detail.as_deref(), Some("2 habilitation(s) retirée(s), 1 groupe(s) quitté(s), 0 mandat(s) retiré(s)"), "{b:?}");
        // A person holding a mandate: their departure withdraws it, which only someone who
        // may give mandates does (Julie may not, though the mandate is within her own).
        let leo = e.app.create_user(&claire, &UserInput { first_name: "Léo".into(), last_name: "Morel".into(), email: "leo.morel@mons.invalid".into(), ..Default::default() }, "https://h", &client()).await.unwrap();
        let scope = NewMandate { scope: vec![("CDAP".into(), "T1".into())], ..Default::default() };
        e.app.give_mandate(&claire, leo.id, &scope, &client()).await.unwrap();
        assert!(matches!(e.app.leave_organisation(&julie, leo.id, &client()).await, Err(Error::Rule(Rule::OutsideMandate))), "{b:?}");
        assert_eq!(e.app.leave_organisation(&claire, leo.id, &client()).await.unwrap().mandates, 1, "{b:?}");
    }
}
