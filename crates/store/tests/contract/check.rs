//! The check API's rules on both backends (issue 13): grants direct and through groups,
//! suspensions by the partner and by the caisse, end dates, the person's state, the gate;
//! read-your-writes on one instance, other instances within a second (PostgreSQL), and a
//! suspension racing checks.

use std::sync::Arc;

use habilis_core::commands::{Holder, NewGrant, SubscriptionInput};
use habilis_core::records::UserAction;
use habilis_core::services::check::{CheckAnswer, ClientInput};
use habilis_core::services::trail::TraceFilter;
use habilis_core::view::Denial;
use habilis_core::Error;
use habilis_store::testing::backends;
use time::Duration;

use super::caisse::actor;
use super::{PASSWORD, client, env};

fn roles(a: &CheckAnswer) -> Vec<String> {
    match a {
        CheckAnswer::Allowed(h) => h.roles.iter().map(|(c, _)| c.clone()).collect(),
        CheckAnswer::Refused(_) => vec![],
    }
}

fn refused(a: &CheckAnswer) -> Option<&Denial> {
    match a {
        CheckAnswer::Refused(d) => Some(d),
        CheckAnswer::Allowed(_) => None,
    }
}

#[tokio::test]
async fn the_check_follows_every_rule_and_every_change_at_once() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let cl = client();
        let (cdap, secret) = e
            .app
            .register_client_as_operator(&ClientInput { service_code: "CDAP".into(), client_id: "cdap".into(), name: "CDAP".into(), redirect_uris: vec!["https://cdap.example/cb".into()], ..Default::default() })
            .await
            .unwrap();
        // The client authenticates with its secret only.
        assert!(matches!(e.app.authenticate_client("cdap", "wrong").await, Err(Error::NotAuthenticated)), "{b:?}");
        assert!(matches!(e.app.authenticate_client("nobody", &secret).await, Err(Error::NotAuthenticated)), "{b:?}");
        assert_eq!(e.app.authenticate_client("cdap", &secret).await.unwrap().client_id, "cdap", "{b:?}");
        let check = |who: &str, role: Option<&str>| {
            let app = e.app.clone();
            let (cdap, who, role) = (cdap.clone(), who.to_string(), role.map(str::to_string));
            async move { app.check_access(&cdap, &who, role.as_deref(), &client()).await.unwrap() }
        };

        let claire = actor(&e, "mons.admin").await;
        let caf = actor(&e, "caf.admin").await;
        let karim = actor(&e, "mons.agent").await.account.id;
        assert_eq!(refused(&check("mons.agent", Some("T1")).await), Some(&Denial::NoGrant), "{b:?}");
        assert!(roles(&check("mons.agent", None).await).is_empty(), "{b:?}");
        let t1 = |holder| NewGrant { holder, service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil".into(), ends_on: "".into() };
        let g = e.app.grant(&claire, &t1(Holder::Person(karim)), &cl).await.unwrap();
        // Read-your-writes: the very next check sees it.
        assert!(e.app.grants(&claire).await.unwrap().iter().find(|x| x.id == g.id).unwrap().last_used_at.is_none(), "{b:?}");
        assert_eq!(roles(&check("mons.agent", Some("T1")).await), ["T1"], "{b:?}");
        // The use is noted, and written in a batch.
        assert_eq!(e.app.view.flush_uses(&e.app.store).await.unwrap(), 1, "{b:?}");
        let used = e.app.grants(&claire).await.unwrap().into_iter().find(|x| x.id == g.id).unwrap().last_used_at;
        assert_eq!(used, Some(e.app.now()), "{b:?}");
        assert_eq!(refused(&check("mons.agent", Some("T2")).await), Some(&Denial::NoGrant), "{b:?}");
        assert_eq!(refused(&check("mons.agent", Some("T9")).await), Some(&Denial::UnknownRole), "{b:?}");
        assert_eq!(refused(&check("personne", Some("T1")).await), Some(&Denial::UnknownPerson), "{b:?}");
        assert_eq!(roles(&check(&karim.to_string(), Some("T1")).await), ["T1"], "{b:?}: by account id too");

        // Through a group.
        let group = e.app.create_group(&claire, "Instruction", &cl).await.unwrap();
        e.app.grant(&claire, &NewGrant { holder: Holder::Group(group.id), service_code: "CDAP".into(), role_code: "T2".into(), purpose: "Instruction".into(), ends_on: "".into() }, &cl).await.unwrap();
        assert_eq!(refused(&check("mons.agent", Some("T2")).await), Some(&Denial::NoGrant), "{b:?}");
        e.app.add_member(&claire, group.id, karim, &cl).await.unwrap();
        assert_eq!(roles(&check("mons.agent", None).await), ["T1", "T2"], "{b:?}");
        e.app.remove_member(&claire, group.id, karim, &cl).await.unwrap();
        assert_eq!(roles(&check("mons.agent", None).await), ["T1"], "{b:?}");

        // Suspended by the partner, then by the caisse.
        e.app.suspend_grant(&claire, g.id, &cl).await.unwrap();
        assert_eq!(refused(&check("mons.agent", Some("T1")).await), Some(&Denial::NoGrant), "{b:?}");
        e.app.resume_grant(&claire, g.id, &cl).await.unwrap();
        assert!(refused(&check("mons.agent", Some("T1")).await).is_none(), "{b:?}");
        e.app.caisse_suspend_grant(&caf, g.id, "Usage atypique", &cl).await.unwrap();
        assert_eq!(refused(&check("mons.agent", Some("T1")).await), Some(&Denial::NoGrant), "{b:?}");
        e.app.caisse_lift_suspension(&caf, g.id, &cl).await.unwrap();
        assert!(refused(&check("mons.agent", Some("T1")).await).is_none(), "{b:?}");

        // The person suspended.
        e.app.user_action(&claire, karim, UserAction::Suspend, "https://h", &cl).await.unwrap();
        assert_eq!(refused(&check("mons.agent", Some("T1")).await), Some(&Denial::PersonInactive), "{b:?}");
        e.app.user_action(&claire, karim, UserAction::Reactivate, "https://h", &cl).await.unwrap();
        assert!(refused(&check("mons.agent", Some("T1")).await).is_none(), "{b:?}");

        // The end date: the day after it, no more.
        let today = e.app.today();
        e.app.set_grant_end(&claire, g.id, &today.to_string(), &cl).await.unwrap();
        assert!(refused(&check("mons.agent", Some("T1")).await).is_none(), "{b:?}: the last day counts");
        e.clock.advance(Duration::days(1));
        assert_eq!(refused(&check("mons.agent", Some("T1")).await), Some(&Denial::NoGrant), "{b:?}");
        e.app.set_grant_end(&actor(&e, "mons.admin").await, g.id, "", &cl).await.unwrap();
        assert!(refused(&check("mons.agent", Some("T1")).await).is_none(), "{b:?}");

        // The gate: the caisse postpones the availability (by amendment): closed for all.
        let caf = actor(&e, "caf.admin").await;
        let sub = SubscriptionInput {
            service_code: "CDAP".into(),
            signed_on: "2017-05-11".into(),
            formalities_reference: "Registre des traitements n° 2017-014".into(),
            formalities_on: "2017-04-28".into(),
            available_from: "2030-01-01".into(),
            max_holders: "10".into(),
            role_quotas: vec![],
            amendment_signed_on: e.app.today().to_string(),
        };
        e.app.record_subscription(&caf, claire.organisation.id, &sub, &cl).await.unwrap();
        assert!(matches!(refused(&check("mons.agent", Some("T1")).await), Some(Denial::ServiceClosed(_))), "{b:?}");

        // Refusals are traced in the Mairie's chain.
        let claire = actor(&e, "mons.admin").await;
        let seen = e.app.read_traces(&claire, &TraceFilter { action: "service.check".into(), ..Default::default() }, 100, &cl).await.unwrap();
        assert!(seen.records.iter().any(|r| r.entry.detail.as_deref().is_some_and(|d| d.contains("no_grant"))), "{b:?}");
        assert!(seen.records.iter().any(|r| r.entry.detail.as_deref().is_some_and(|d| d.contains("service_closed"))), "{b:?}");
    }
}

/// The uses of many grants written at once (more than one statement's worth): each grant
/// gets its own instant, and a use never moves a grant's last use back.
#[tokio::test]
async fn many_grants_used_at_once_each_get_their_own_instant_never_an_earlier_one() {
    use habilis_core::records::{Grant, GrantId};
    use habilis_core::store::{RightsTx, Store, Transaction};
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let cl = client();
        let claire = actor(&e, "mons.admin").await;
        let karim = actor(&e, "mons.agent").await.account.id;
        let made = NewGrant { holder: Holder::Person(karim), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil".into(), ends_on: "".into() };
        let template = e.app.grant(&claire, &made, &cl).await.unwrap();
        let t0 = e.app.now();
        let later = t0 + Duration::days(1);
        let grants: Vec<Grant> = (0..450).map(|_| Grant { id: GrantId::new(), ..template.clone() }).collect();
        let mut tx = e.app.store.begin().await.unwrap();
        for g in &grants {
            tx.insert_grant(g).await.unwrap();
        }
        // One already used after this flush's instants, one before them.
        tx.record_grant_uses(&[(grants[17].id, later), (grants[18].id, t0)]).await.unwrap();
        tx.commit().await.unwrap();

        let uses: Vec<(GrantId, time::OffsetDateTime)> =
            grants.iter().enumerate().map(|(i, g)| (g.id, t0 + Duration::seconds(i as i64 + 1))).collect();
        let mut tx = e.app.store.begin().await.unwrap();
        tx.record_grant_uses(&uses).await.unwrap();
        tx.commit().await.unwrap();

        let mut tx = e.app.store.read().await.unwrap();
        for (i, g) in grants.iter().enumerate() {
            let read = tx.grant(g.id).await.unwrap().unwrap().last_used_at;
            let want = if i == 17 { later } else { uses[i].1 };
            assert_eq!(read, Some(want), "{b:?}: grant {i}");
        }
        // The grant made through the portal was not among them.
        assert_eq!(tx.grant(template.id).await.unwrap().unwrap().last_used_at, None, "{b:?}");
    }
}

/// A suspension racing checks: no check fails, and once the suspension has committed,
/// every later check refuses.
#[tokio::test]
async fn a_suspension_racing_checks() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let cl = client();
        let (cdap, _) = e.app.register_client_as_operator(&ClientInput { service_code: "CDAP".into(), client_id: "cdap".into(), name: "CDAP".into(), redirect_uris: vec![], ..Default::default() }).await.unwrap();
        let claire = actor(&e, "mons.admin").await;
        let karim = actor(&e, "mons.agent").await.account.id;
        let g = e.app.grant(&claire, &NewGrant { holder: Holder::Person(karim), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil".into(), ends_on: "".into() }, &cl).await.unwrap();
        let cdap = Arc::new(cdap);
        let mut tasks = Vec::new();
        for _ in 0..32 {
            let (app, cdap) = (e.app.clone(), Arc::clone(&cdap));
            tasks.push(tokio::spawn(async move {
                let mut answers = Vec::new();
                for _ in 0..10 {
                    answers.push(app.check_access(&cdap, "mons.agent", Some("T1"), &client()).await);
                }
                answers
            }));
        }
        e.app.suspend_grant(&claire, g.id, &cl).await.unwrap();
        let after = e.app.check_access(&cdap, "mons.agent", Some("T1"), &cl).await.unwrap();
        assert_eq!(refused(&after), Some(&Denial::NoGrant), "{b:?}: the first check after the commit refuses");
        for t in tasks {
            for a in t.await.unwrap() {
                assert!(a.is_ok(), "{b:?}: {a:?}");
            }
        }
    }
}

/// Two instances on one PostgreSQL database: a change committed on one is seen by the
/// other's check within a second (LISTEN/NOTIFY).
#[tokio::test]
async fn another_instance_sees_a_change_within_a_second() {
    for b in backends().into_iter().filter(|b| *b == habilis_store::Backend::Postgres) {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let cl = client();
        let (cdap, _) = e.app.register_client_as_operator(&ClientInput { service_code: "CDAP".into(), client_id: "cdap".into(), name: "CDAP".into(), redirect_uris: vec![], ..Default::default() }).await.unwrap();
        // A second instance: its own pool, its own view, the same database.
        let other = super::second_instance(&e).await;
        let claire = actor(&e, "mons.admin").await;
        let karim = actor(&e, "mons.agent").await.account.id;
        assert_eq!(refused(&other.check_access(&cdap, "mons.agent", Some("T1"), &cl).await.unwrap()), Some(&Denial::NoGrant));
        let g = e.app.grant(&claire, &NewGrant { holder: Holder::Person(karim), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil".into(), ends_on: "".into() }, &cl).await.unwrap();
        let seen_within = |allowed: bool| {
            let (other, cdap) = (other.clone(), cdap.clone());
            async move {
                let start = std::time::Instant::now();
                while start.elapsed() < std::time::Duration::from_secs(1) {
                    let a = other.check_access(&cdap, "mons.agent", Some("T1"), &client()).await.unwrap();
                    if refused(&a).is_none() == allowed {
                        return Some(start.elapsed());
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                None
            }
        };
        assert!(seen_within(true).await.is_some(), "the grant reaches the other instance within 1 s");
        e.app.revoke_grant(&claire, g.id, &cl).await.unwrap();
        assert!(seen_within(false).await.is_some(), "the revocation reaches the other instance within 1 s");
    }
}

/// Refusals of the same moment are traced together (group commit): every one is written,
/// in order in its chain, and the trail verifies.
#[tokio::test]
async fn refusals_at_once_are_all_traced_in_few_transactions() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let (cdap, _) = e.app.register_client_as_operator(&ClientInput { service_code: "CDAP".into(), client_id: "cdap".into(), name: "CDAP".into(), redirect_uris: vec![], ..Default::default() }).await.unwrap();
        let cdap = Arc::new(cdap);
        let mut tasks = Vec::new();
        for i in 0..100 {
            let (app, cdap) = (e.app.clone(), Arc::clone(&cdap));
            let who = if i % 2 == 0 { "mons.agent".to_string() } else { format!("inconnu{i}") };
            tasks.push(tokio::spawn(async move { app.check_access(&cdap, &who, Some("T1"), &client()).await }));
        }
        for t in tasks {
            assert!(refused(&t.await.unwrap().unwrap()).is_some(), "{b:?}");
        }
        let claire = actor(&e, "mons.admin").await;
        let mine = e.app.read_traces(&claire, &TraceFilter { action: "service.check".into(), ..Default::default() }, 500, &client()).await.unwrap();
        assert_eq!(mine.records.len(), 50, "{b:?}: the Mairie's person's 50 refusals in its chain");
        assert!(super::verify(&e).await.finding.is_none(), "{b:?}");
    }
}
