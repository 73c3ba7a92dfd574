//! The caisse's decisions on the administrators' seats (Annex 3 change requests, under
//! concurrency) and the outbox that carries its messages.

use habilis_core::records::{DeliveryStatus};
use habilis_core::Error;
use habilis_core::Rule;
use habilis_core::records::Actor;
use habilis_core::records::{AccountStatus, GrantState, Role};
use habilis_core::commands::{Holder, NewGrant};
use habilis_core::{commands::AdministratorInput, records::Slot};
use habilis_core::store::*;
use habilis_store::testing::backends;

use super::{PASSWORD, client, env};
use super::caisse::*;

#[tokio::test]
async fn an_administrator_change_is_asked_by_the_partner_and_decided_by_the_caisse() {
    use habilis_core::commands::ChangeRequestInput;
    use habilis_core::records::RequestStatus;
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let caf = actor(&e, "caf.admin").await;
        let claire = e.app.login("mons.admin", PASSWORD, &client()).await.unwrap();
        let hugo = actor(&e, "mons.deputy").await;
        let mut input = ChangeRequestInput {
            first_name: "Inès".into(),
            last_name: "Moreau".into(),
            function: "Responsable du service état civil".into(),
            slot: "principal".into(),
            replaces: claire.actor.account.id.to_string(),
            phone: String::new(),
            mobile: String::new(),
            email: "ines.moreau@mairie-mons.invalid".into(),
        };
        // At least one phone number (Annex 3).
        let err = e.app.request_admin_change(&hugo, &input, &client()).await.unwrap_err();
        assert!(matches!(err, Error::Invalid { field: "phone", .. }), "{err:?}");
        input.mobile = "06 00 00 00 00".into();
        // Only the partner's administrators ask; a user cannot.
        let agent = actor(&e, "mons.agent").await;
        assert!(matches!(e.app.request_admin_change(&agent, &input, &client()).await, Err(Error::Forbidden)));
        let req = e.app.request_admin_change(&hugo, &input, &client()).await.unwrap();
        assert_eq!(req.status, RequestStatus::Pending);
        // The caisse administrator was told.
        assert!(e.app.outbox(&caf, 10).await.unwrap().iter().any(|m| m.to_address == "caf.admin@demo.habilis.invalid"));
        // The partner cannot decide its own request.
        assert!(matches!(e.app.decide_admin_change(&hugo, req.id, true, "", "https://h", &client()).await, Err(Error::Forbidden)));
        // A refusal needs a reason.
        assert!(matches!(
            e.app.decide_admin_change(&caf, req.id, false, " ", "https://h", &client()).await,
            Err(Error::Invalid { field: "reason", .. })
        ));

        // Claire holds CDAP T1 (given by the caisse) and is in a group before she is replaced.
        let mons_id = claire.actor.organisation.id;
        let for_mons = caf.clone().acting_for(mons_id);
        let t1 = |id| NewGrant { holder: Holder::Person(id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil".into(), ends_on: "".into() };
        let claire_grant = e.app.grant(&for_mons, &t1(claire.actor.account.id), &client()).await.unwrap();
        let group = e.app.create_group(&claire.actor, "Direction", &client()).await.unwrap();
        e.app.add_member(&claire.actor, group.id, claire.actor.account.id, &client()).await.unwrap();
        let used = |e: &super::Env| {
            let app = e.app.clone();
            let for_mons = for_mons.clone();
            async move { app.quota_use(&for_mons, mons_id).await.unwrap().into_iter().find(|q| q.role.is_none()).unwrap().used }
        };
        let before = used(&e).await;

        let decided = e.app.decide_admin_change(&caf, req.id, true, "", "https://h", &client()).await.unwrap();
        // Issue 12, item 6: the replaced administrator's rights end with the account, the
        // seat is freed, and the directory (Annex 1) names the new administrator.
        let ended = e.app.grants(&for_mons).await.unwrap().into_iter().find(|g| g.id == claire_grant.id).unwrap();
        assert_eq!((ended.state, ended.ended_by), (GrantState::Revoked, Some(caf.account.id)), "{b:?}");
        assert_eq!(used(&e).await, before - 1, "{b:?}: the quota is freed");
        let periods = e.app.person_file(&for_mons, claire.actor.account.id).await.unwrap().memberships;
        assert!(periods.iter().all(|p| p.removed_at.is_some()) && !periods.is_empty(), "{b:?}: {periods:?}");
        let directory = e.app.partner_file(&caf, mons_id).await.unwrap().contacts;
        let admins: Vec<_> = directory.iter().filter(|c| c.function == "administrator").collect();
        assert!(admins.len() == 1 && admins[0].name == "Inès Moreau", "{b:?}: {admins:?}");
        assert_eq!(decided.status, RequestStatus::Accepted);
        // Claire is replaced: deactivated, session ended; Inès holds the seat.
        assert!(matches!(e.app.authenticate(&claire.token, &client()).await, Err(Error::NotAuthenticated)));
        let file = e.app.partner_file(&caf, claire.actor.organisation.id).await.unwrap();
        let ines = file.administrators.iter().find(|a| a.display_name == "Inès Moreau").expect("issued");
        assert_eq!(ines.roles, vec![Role::PartnerAdmin]);
        assert_eq!(ines.login, "mons.ines.moreau", "in the Mairie's namespace");
        assert!(file.administrators.iter().any(|a| a.login == "mons.admin" && a.status == AccountStatus::Deactivated));
        // Decided once.
        assert!(matches!(e.app.decide_admin_change(&caf, req.id, false, "non", "https://h", &client()).await, Err(Error::Refused(_))));
        // A refused request changes nobody.
        input.slot = "deputy".into();
        input.replaces = hugo.account.id.to_string();
        input.email = "x@mairie-mons.invalid".into();
        let req2 = e.app.request_admin_change(&hugo, &input, &client()).await.unwrap();
        let refused = e.app.decide_admin_change(&caf, req2.id, false, "Pièce justificative manquante", "https://h", &client()).await.unwrap();
        assert_eq!(refused.status, RequestStatus::Refused);
        assert!(e.app.authenticate_login_still_works(&hugo).await);
        // Deactivating the deputy ends their grants too.
        let hugo_grant = e.app.grant(&for_mons, &t1(hugo.account.id), &client()).await.unwrap();
        e.app.deactivate_administrator(&caf, hugo.account.id, &client()).await.unwrap();
        let g = e.app.grants(&for_mons).await.unwrap().into_iter().find(|g| g.id == hugo_grant.id).unwrap();
        assert_eq!(g.state, GrantState::Revoked, "{b:?}");
        let listed = e.app.admin_change_requests(&caf).await.unwrap();
        assert_eq!(listed.len(), 2);
        // Another caisse sees none of it.
        let sud = other_caisse_admin(&e).await;
        assert!(e.app.admin_change_requests(&sud).await.unwrap().is_empty());
        assert!(matches!(e.app.decide_admin_change(&sud, req2.id, true, "", "https://h", &client()).await, Err(Error::NotFound)));
    }
}

#[tokio::test]
async fn the_outbox_retries_and_never_sends_twice() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let caf = actor(&e, "caf.admin").await;
        let lomme = e.app.create_partner(&caf, &partner_input("73282932000074"), &client()).await.unwrap();
        for (i, slot) in [Slot::Principal, Slot::Deputy].into_iter().enumerate() {
            let input = AdministratorInput {
                first_name: "Agent".into(),
                last_name: format!("Numero{i}"),
                function: "Agent".into(),
                email: format!("agent{i}@ccas.invalid"),
                ..Default::default()
            };
            e.app.issue_administrator(&caf, lomme.id, slot, &input, "https://h", &client()).await.unwrap();
        }
        let mailer = Recorder { sent: Default::default(), down: true.into() };
        // Relay down: both retried later, nothing lost.
        let r = e.app.deliver_outbox(&mailer, 10).await.unwrap();
        assert_eq!((r.sent, r.retried), (0, 2), "{b:?}");
        let out = e.app.outbox(&caf, 10).await.unwrap();
        assert!(out.iter().all(|m| m.status == DeliveryStatus::Pending && m.attempts == 1 && m.last_error.is_some()));
        // Not due yet.
        mailer.down.store(false, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(e.app.deliver_outbox(&mailer, 10).await.unwrap().sent, 0);
        // Due after the retry delay; two deliverers at once send each message once.
        e.clock.advance(time::Duration::minutes(3));
        let (a, c) = tokio::join!(e.app.deliver_outbox(&mailer, 10), e.app.deliver_outbox(&mailer, 10));
        assert_eq!(a.unwrap().sent + c.unwrap().sent, 2, "{b:?}");
        let mut sent = mailer.sent.lock().unwrap().clone();
        sent.sort();
        assert_eq!(sent, ["agent0@ccas.invalid", "agent1@ccas.invalid"]);
        let out = e.app.outbox(&caf, 10).await.unwrap();
        assert!(out.iter().all(|m| m.status == DeliveryStatus::Sent && m.sent_at.is_some()));
        // Sent: the one-time link is masked in the stored copy.
        assert!(out.iter().all(|m| m.body.contains("token=[lien envoyé, masqué]")), "{:?}", out[0].body);
    }
}

#[tokio::test]
async fn seats_and_decisions_hold_under_concurrency() {
    use habilis_core::commands::ChangeRequestInput;
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let caf = actor(&e, "caf.admin").await;
        let lomme = e.app.create_partner(&caf, &partner_input("73282932000074"), &client()).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..8 {
            let (app, caf) = (e.app.clone(), caf.clone());
            tasks.push(tokio::spawn(async move {
                let input = AdministratorInput {
                    first_name: "Agent".into(),
                    last_name: format!("Concurrent{i}"),
                    function: "Agent".into(),
                    email: format!("a{i}@ccas.invalid"),
                    ..Default::default()
                };
                app.issue_administrator(&caf, lomme.id, Slot::Principal, &input, "https://h", &client()).await
            }));
        }
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                Err(Error::Rule(Rule::AdministratorSlotTaken)) => {}
                Err(other) => panic!("{b:?}: {other:?}"),
            }
        }
        assert_eq!(ok, 1, "{b:?}: exactly one principal");

        // A request must replace someone holding the seat it asks for.
        let hugo = actor(&e, "mons.deputy").await;
        let mut input = ChangeRequestInput {
            first_name: "Inès".into(),
            last_name: "Moreau".into(),
            function: "État civil".into(),
            slot: "principal".into(),
            replaces: hugo.account.id.to_string(),
            mobile: "0600000000".into(),
            email: "ines@mairie.invalid".into(),
            ..Default::default()
        };
        let err = e.app.request_admin_change(&hugo, &input, &client()).await.unwrap_err();
        assert!(matches!(err, Error::Invalid { field: "replaces", .. }), "{err:?}");
        input.slot = "deputy".into();
        let req = e.app.request_admin_change(&hugo, &input, &client()).await.unwrap();
        // Accepted and refused at the same moment: one decision wins, the other is told.
        let cl = client();
        let (a, r) = tokio::join!(
            e.app.decide_admin_change(&caf, req.id, true, "", "https://h", &cl),
            e.app.decide_admin_change(&caf, req.id, false, "Non", "https://h", &cl)
        );
        let wins = [a.is_ok(), r.is_ok()].iter().filter(|x| **x).count();
        assert_eq!(wins, 1, "{b:?}: {a:?} / {r:?}");
        let loser = if a.is_ok() { r.unwrap_err() } else { a.unwrap_err() };
        assert!(matches!(loser, Error::Refused(_)), "{b:?}: {loser:?}");

        // A partner's plain user does not read the partner's file.
        let agent = actor(&e, "mons.agent").await;
        assert!(matches!(e.app.partner_file(&agent, agent.organisation.id).await, Err(Error::NotFound)));
    }
}

/// A mailer that records what it sends, or fails while `down` is set.
struct Recorder {
    sent: std::sync::Mutex<Vec<String>>,
    down: std::sync::atomic::AtomicBool,
}

impl habilis_core::services::onboarding::Mailer for Recorder {
    async fn send(&self, m: &habilis_core::records::OutboxMessage) -> Result<(), String> {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err("connection refused".into());
        }
        self.sent.lock().unwrap().push(m.to_address.clone());
        Ok(())
    }
}

trait StillWorks {
    async fn authenticate_login_still_works(&self, a: &Actor) -> bool;
}

impl StillWorks for habilis_core::app::App<habilis_store::Db> {
    async fn authenticate_login_still_works(&self, a: &Actor) -> bool {
        let mut tx = self.store.read().await.unwrap();
        tx.account(a.account.id).await.unwrap().is_some_and(|acc| acc.status == AccountStatus::Active)
    }
}
