//! Mandates on both backends: attenuation, self-rules, cascading withdrawal.

use habilis_core::commands::{Holder, NewGrant, NewMandate};
use habilis_core::commands::UserInput;
use habilis_core::{Error, Rule};
use habilis_store::testing::backends;

use super::{PASSWORD, client, env};

fn scope(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(s, r)| (s.to_string(), r.to_string())).collect()
}

#[tokio::test]
async fn mandates_attenuate_and_withdrawal_cascades() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let claire = e.app.login("mons.admin", PASSWORD, &client()).await.unwrap().actor;
        let julie = e.app.login("mons.manager", PASSWORD, &client()).await.unwrap().actor;
        let mk = |i: usize| UserInput { first_name: "Agent".into(), last_name: format!("M{i}"), email: format!("m{i}@mairie.invalid"), ..Default::default() };

        // The demo mandate: CDAP T1 and users, no groups, no delegation.
        let u0 = e.app.create_user(&julie, &mk(0), "https://h", &client()).await.unwrap();
        let g = e.app.grant(&julie, &NewGrant { holder: Holder::Person(u0.id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil".into(), ends_on: "".into() }, &client()).await.unwrap();
        assert!(g.created_under.is_some(), "the grant says under which mandate");
        let err = e.app.grant(&julie, &NewGrant { holder: Holder::Person(u0.id), service_code: "CDAP".into(), role_code: "T2".into(), purpose: "x".into(), ends_on: "".into() }, &client()).await.unwrap_err();
        assert!(matches!(err, Error::Rule(Rule::OutsideMandate)), "{b:?}: {err:?}");
        assert!(matches!(e.app.create_group(&julie, "G", &client()).await, Err(Error::Rule(Rule::OutsideMandate))));
        let err = e.app.give_mandate(&julie, u0.id, &NewMandate { scope: scope(&[("CDAP", "T1")]), ..Default::default() }, &client()).await.unwrap_err();
        assert!(matches!(err, Error::Rule(Rule::MandateWiderThanGiver)), "no delegation without the right: {err:?}");

        // The administrator gives a wider mandate with delegation to u0.
        let m1 = e
            .app
            .give_mandate(&claire, u0.id, &NewMandate { scope: scope(&[("CDAP", "T1"), ("CDAP", "T2")]), may_manage_users: true, may_delegate: true, ..Default::default() }, &client())
            .await
            .unwrap();
        let u0a = e.app.login("m0", PASSWORD, &client()).await; // no password yet: cannot sign in
        assert!(u0a.is_err());
        let u0_actor = {
            let mut a = julie.clone();
            let mut tx = habilis_core::store::Store::read(&e.app.store).await.unwrap();
            a.account = habilis_core::store::OrganisationTx::account(&mut tx, u0.id).await.unwrap().unwrap();
            a
        };
        let u1 = e.app.create_user(&u0_actor, &mk(1), "https://h", &client()).await.unwrap();
        // Sub-mandate within: fine; wider (T5, groups) or to oneself: refused.
        let m2 = e.app.give_mandate(&u0_actor, u1.id, &NewMandate { scope: scope(&[("CDAP", "T2")]), ..Default::default() }, &client()).await.unwrap();
        assert_eq!(m2.parent_id, Some(m1.id));
        for wider in [
            NewMandate { scope: scope(&[("CDAP", "T5")]), ..Default::default() },
            NewMandate { scope: scope(&[("CDAP", "T1")]), may_manage_groups: true, ..Default::default() },
        ] {
            let err = e.app.give_mandate(&u0_actor, u1.id, &wider, &client()).await.unwrap_err();
            assert!(matches!(err, Error::Rule(Rule::MandateWiderThanGiver)), "{b:?}: {err:?}");
        }
        let err = e.app.give_mandate(&u0_actor, u0.id, &NewMandate { scope: scope(&[("CDAP", "T1")]), ..Default::default() }, &client()).await.unwrap_err();
        assert!(matches!(err, Error::Rule(Rule::SelfGrant)), "{err:?}");
        let u1_grant_target = e.app.create_user(&claire, &mk(2), "https://h", &client()).await.unwrap();
        let u1_actor = {
            let mut a = julie.clone();
            let mut tx = habilis_core::store::Store::read(&e.app.store).await.unwrap();
            a.account = habilis_core::store::OrganisationTx::account(&mut tx, u1.id).await.unwrap().unwrap();
            a
        };
        let g2 = e.app.grant(&u1_actor, &NewGrant { holder: Holder::Person(u1_grant_target.id), service_code: "CDAP".into(), role_code: "T2".into(), purpose: "Instruction".into(), ends_on: "".into() }, &client()).await.unwrap();

        // Withdrawing m1 withdraws m2 too; their grants stay, saying who made them.
        assert_eq!(e.app.withdraw_mandate(&claire, m1.id, &client()).await.unwrap(), 2);
        assert!(matches!(e.app.grant(&u1_actor, &NewGrant { holder: Holder::Person(u1_grant_target.id), service_code: "CDAP".into(), role_code: "T2".into(), purpose: "x".into(), ends_on: "".into() }, &client()).await, Err(Error::Forbidden)));
        assert!(matches!(e.app.create_user(&u0_actor, &mk(3), "https://h", &client()).await, Err(Error::Forbidden)));
        let grants = e.app.grants(&claire).await.unwrap();
        let kept = grants.iter().find(|x| x.id == g2.id).unwrap();
        assert_eq!(kept.created_by, u1.id);
        assert_eq!(kept.created_under, Some(m2.id));
        // Julie's own mandate is untouched.
        e.app.grant(&julie, &NewGrant { holder: Holder::Person(u1_grant_target.id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil".into(), ends_on: "".into() }, &client()).await.unwrap();
        // Nobody but the giver chain or an administrator withdraws; nobody withdraws their own.
        let demo = e.app.mandates(&claire).await.unwrap().into_iter().find(|m| m.holder_id == julie.account.id).unwrap();
        assert!(matches!(e.app.withdraw_mandate(&julie, demo.id, &client()).await, Err(Error::Forbidden)));
        assert!(super::verify(&e).await.finding.is_none());
    }
}

#[tokio::test]
async fn a_former_manager_reads_nothing_once_the_last_mandate_is_withdrawn() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let claire = e.app.login("mons.admin", PASSWORD, &client()).await.unwrap().actor;
        let julie = e.app.login("mons.manager", PASSWORD, &client()).await.unwrap().actor;
        let mons = julie.organisation.id;
        // With the demo mandate she reads her organisation's rights and its file.
        assert!(e.app.grants(&julie).await.is_ok());
        assert!(e.app.groups(&julie).await.is_ok());
        assert!(e.app.partner_file(&julie, mons).await.is_ok());
        assert!(e.app.contract_file(&julie, mons).await.is_ok());
        let mandate = e.app.mandates(&claire).await.unwrap().into_iter().find(|m| m.holder_id == julie.account.id).unwrap();
        e.app.withdraw_mandate(&claire, mandate.id, &client()).await.unwrap();
        // The same session, after the withdrawal: nothing (the role stays on the account).
        assert!(matches!(e.app.grants(&julie).await, Err(Error::Forbidden)), "{b:?}: grants");
        assert!(matches!(e.app.groups(&julie).await, Err(Error::Forbidden)), "{b:?}: groups");
        assert!(matches!(e.app.mandates(&julie).await, Err(Error::Forbidden)), "{b:?}: mandates");
        assert!(matches!(e.app.partner_file(&julie, mons).await, Err(Error::NotFound)), "{b:?}: partner file");
        assert!(matches!(e.app.contract_file(&julie, mons).await, Err(Error::NotFound)), "{b:?}: contract");
        // The administrator still reads everything.
        assert!(e.app.grants(&claire).await.is_ok() && e.app.partner_file(&claire, mons).await.is_ok());
    }
}

#[tokio::test]
async fn a_manager_acts_only_on_people_within_their_own_powers() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let claire = e.app.login("mons.admin", PASSWORD, &client()).await.unwrap().actor;
        let julie = e.app.login("mons.manager", PASSWORD, &client()).await.unwrap().actor; // CDAP T1 + users
        let mk = |i: usize| UserInput { first_name: "Agent".into(), last_name: format!("P{i}"), email: format!("p{i}@mairie.invalid"), ..Default::default() };
        // A narrower manager: users only, no role to grant.
        let narrow = e.app.create_user(&claire, &mk(0), "https://h", &client()).await.unwrap();
        let users_only = NewMandate { may_manage_users: true, ..Default::default() };
        e.app.give_mandate(&claire, narrow.id, &users_only, &client()).await.unwrap();
        let narrow_actor = {
            let mut a = julie.clone();
            let mut tx = habilis_core::store::Store::read(&e.app.store).await.unwrap();
            a.account = habilis_core::store::OrganisationTx::account(&mut tx, narrow.id).await.unwrap().unwrap();
            a
        };
        // The takeover path: change the wider manager's e-mail, then send them a link.
        let julie_now = UserInput { first_name: "Julie".into(), last_name: "Prise".into(), email: "attaquant@exemple.invalid".into(), ..Default::default() };
        let edit = e.app.update_user(&narrow_actor, julie.account.id, &julie_now, &client()).await;
        assert!(matches!(edit, Err(Error::Rule(Rule::OutsideMandate))), "{b:?}: {edit:?}");
        let link = e.app.user_action(&narrow_actor, julie.account.id, habilis_core::records::UserAction::ResetPassword, "https://h", &client()).await;
        assert!(matches!(link, Err(Error::Rule(Rule::OutsideMandate))), "{b:?}: {link:?}");
        // On a plain user, the narrow manager still works.
        let plain = e.app.create_user(&claire, &mk(1), "https://h", &client()).await.unwrap();
        // The page offers the actions exactly where the service would take them.
        let offered = e.app.people_actor_may_manage(&narrow_actor).await.unwrap();
        assert!(offered.contains(&plain.id) && !offered.contains(&julie.account.id), "{b:?}: {offered:?}");
        assert!(!offered.contains(&claire.account.id) && !offered.contains(&narrow.id), "{b:?}: administrators and oneself");
        e.app.update_user(&narrow_actor, plain.id, &UserInput { email: "nouvelle@mairie.invalid".into(), ..mk(1) }, &client()).await.unwrap();
        // A manager within Julie's powers: she edits them, but not their e-mail address;
        // the principal administrator does.
        let peer = e.app.create_user(&claire, &mk(2), "https://h", &client()).await.unwrap();
        let t1 = NewMandate { scope: vec![("CDAP".into(), "T1".into())], ..Default::default() };
        e.app.give_mandate(&claire, peer.id, &t1, &client()).await.unwrap();
        e.app.update_user(&julie, peer.id, &UserInput { function: "Accueil".into(), ..mk(2) }, &client()).await.unwrap();
        let moved = e.app.update_user(&julie, peer.id, &UserInput { email: "ailleurs@exemple.invalid".into(), ..mk(2) }, &client()).await;
        assert!(matches!(moved, Err(Error::Rule(Rule::ManagerEmail))), "{b:?}: {moved:?}");
        e.app.update_user(&claire, peer.id, &UserInput { email: "ailleurs@mairie.invalid".into(), ..mk(2) }, &client()).await.unwrap();
    }
}

#[tokio::test]
async fn a_sub_mandate_hangs_on_the_one_mandate_that_covers_it() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let claire = e.app.login("mons.admin", PASSWORD, &client()).await.unwrap().actor;
        let julie = e.app.login("mons.manager", PASSWORD, &client()).await.unwrap().actor;
        let mk = |i: usize| UserInput { first_name: "Agent".into(), last_name: format!("S{i}"), email: format!("s{i}@mairie.invalid"), ..Default::default() };
        let u0 = e.app.create_user(&claire, &mk(0), "https://h", &client()).await.unwrap();
        let u1 = e.app.create_user(&claire, &mk(1), "https://h", &client()).await.unwrap();
        // A: T1 with delegation; B, newer: T2 without.
        let a = e.app.give_mandate(&claire, u0.id, &NewMandate { scope: scope(&[("CDAP", "T1")]), may_delegate: true, ..Default::default() }, &client()).await.unwrap();
        let _b = e.app.give_mandate(&claire, u0.id, &NewMandate { scope: scope(&[("CDAP", "T2")]), ..Default::default() }, &client()).await.unwrap();
        let u0_actor = {
            let mut x = julie.clone();
            let mut tx = habilis_core::store::Store::read(&e.app.store).await.unwrap();
            x.account = habilis_core::store::OrganisationTx::account(&mut tx, u0.id).await.unwrap().unwrap();
            x
        };
        let sub = e.app.give_mandate(&u0_actor, u1.id, &NewMandate { scope: scope(&[("CDAP", "T1")]), ..Default::default() }, &client()).await.unwrap();
        assert_eq!(sub.parent_id, Some(a.id), "{b:?}: filed under the mandate that allows it");
        // T2 comes from B, which may not delegate: the union does not lend it A's right.
        let err = e.app.give_mandate(&u0_actor, u1.id, &NewMandate { scope: scope(&[("CDAP", "T2")]), ..Default::default() }, &client()).await.unwrap_err();
        assert!(matches!(err, Error::Rule(Rule::MandateWiderThanGiver)), "{b:?}: {err:?}");
        // Withdrawing A takes the sub-mandate with it.
        e.app.withdraw_mandate(&claire, a.id, &client()).await.unwrap();
        let left = e.app.mandates(&claire).await.unwrap();
        assert!(left.iter().find(|m| m.id == sub.id).unwrap().withdrawn_at.is_some(), "{b:?}: the sub-mandate outlived its parent");
    }
}

/// Issue 12, item 9: no two overlapping mandates in force for one person — the one there
/// is is edited; an edit stays within its giver's powers, and what it no longer covers
/// below it is withdrawn at once.
#[tokio::test]
async fn a_mandate_is_edited_rather_than_doubled() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let cl = client();
        let claire = e.app.login("mons.admin", PASSWORD, &cl).await.unwrap().actor;
        let julie = e.app.login("mons.manager", PASSWORD, &cl).await.unwrap().actor;
        let mk = |i: usize| UserInput { first_name: "Agent".into(), last_name: format!("E{i}"), email: format!("e{i}@mairie.invalid"), ..Default::default() };
        let u0 = e.app.create_user(&claire, &mk(0), "https://h", &cl).await.unwrap();
        let u1 = e.app.create_user(&claire, &mk(1), "https://h", &cl).await.unwrap();
        let a = e.app.give_mandate(&claire, u0.id, &NewMandate { scope: scope(&[("CDAP", "T1"), ("CDAP", "T2")]), may_manage_users: true, may_delegate: true, ..Default::default() }, &cl).await.unwrap();
        // A second mandate sharing T2 (or the users right) is refused; a disjoint one is not.
        let err = e.app.give_mandate(&claire, u0.id, &NewMandate { scope: scope(&[("CDAP", "T2")]), ..Default::default() }, &cl).await.unwrap_err();
        assert!(matches!(err, Error::Rule(Rule::OverlappingMandate)), "{b:?}: {err:?}");
        let err = e.app.give_mandate(&claire, u0.id, &NewMandate { scope: scope(&[("CDAP", "T5")]), may_manage_users: true, ..Default::default() }, &cl).await.unwrap_err();
        assert!(matches!(err, Error::Rule(Rule::OverlappingMandate)), "{b:?}: {err:?}");
        e.app.give_mandate(&claire, u0.id, &NewMandate { scope: scope(&[("CDAP", "T5")]), ..Default::default() }, &cl).await.unwrap();
        // U0 passes T2 on to U1.
        let u0_actor = {
            let mut x = julie.clone();
            let mut tx = habilis_core::store::Store::read(&e.app.store).await.unwrap();
            x.account = habilis_core::store::OrganisationTx::account(&mut tx, u0.id).await.unwrap().unwrap();
            x
        };
        let sub = e.app.give_mandate(&u0_actor, u1.id, &NewMandate { scope: scope(&[("CDAP", "T2")]), ..Default::default() }, &cl).await.unwrap();
        assert_eq!(sub.parent_id, Some(a.id), "{b:?}");
        // Julie (not on the chain) may not edit it; nobody edits their own.
        assert!(matches!(e.app.edit_mandate(&julie, a.id, &NewMandate { scope: scope(&[("CDAP", "T1")]), ..Default::default() }, &cl).await, Err(Error::Forbidden)), "{b:?}");
        assert!(matches!(e.app.edit_mandate(&u0_actor, a.id, &NewMandate { scope: scope(&[("CDAP", "T1")]), ..Default::default() }, &cl).await, Err(Error::Forbidden)), "{b:?}");
        // U0 may not widen U1's beyond its own (T5 is another mandate, which may not delegate).
        let err = e.app.edit_mandate(&u0_actor, sub.id, &NewMandate { scope: scope(&[("CDAP", "T2"), ("CDAP", "T5")]), ..Default::default() }, &cl).await.unwrap_err();
        assert!(matches!(err, Error::Rule(Rule::MandateWiderThanGiver)), "{b:?}: {err:?}");
        // The administrator narrows A to T1: U1's T2 mandate, no longer covered, goes.
        let edited = e.app.edit_mandate(&claire, a.id, &NewMandate { scope: scope(&[("CDAP", "T1")]), may_manage_users: true, may_delegate: true, ..Default::default() }, &cl).await.unwrap();
        assert_eq!((edited.id, edited.scope.len()), (a.id, 1), "{b:?}");
        let all = e.app.mandates(&claire).await.unwrap();
        assert!(all.iter().find(|m| m.id == sub.id).unwrap().withdrawn_at.is_some(), "{b:?}: the uncovered sub-mandate is withdrawn");
        assert!(all.iter().find(|m| m.id == a.id).unwrap().withdrawn_at.is_none(), "{b:?}");
        // An edit that would overlap another of the holder's mandates is refused too.
        let err = e.app.edit_mandate(&claire, a.id, &NewMandate { scope: scope(&[("CDAP", "T1"), ("CDAP", "T5")]), ..Default::default() }, &cl).await.unwrap_err();
        assert!(matches!(err, Error::Rule(Rule::OverlappingMandate)), "{b:?}: {err:?}");
    }
}
