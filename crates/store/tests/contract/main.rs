//! The store contract suite: the same scenarios on SQLite always, and on PostgreSQL when
//! `HABILIS_TEST_DATABASE_URL` is set. Scenarios go through the domain services where one
//! exists, so that what is tested is what the product does.

use std::sync::Arc;

use habilis_core::services::audit::{self, Problem};
use habilis_core::app::{App, SessionPolicy, ThrottlePolicy};
use habilis_core::clock::SimulatedClock;
use habilis_core::records::{AccountId, AccountStatus, LinkPurpose, Role};
use habilis_core::password::{PasswordHasher, PasswordPolicy};
use habilis_core::store::*;
use habilis_core::trace::{CheckpointKey, ClientInfo, Outcome, TraceEntry, TraceKey};
use habilis_core::{Error, StoreError};
use habilis_store::testing::{backends, fresh};
use habilis_store::{Backend, Db};
use time::{Duration, macros::datetime};

const PASSWORD: &str = "Tournesol-Bleu-42-Lille";

struct Env {
    app: App<Db>,
    clock: SimulatedClock,
    key: TraceKey,
}

async fn env(b: Backend) -> Env {
    let key = TraceKey::generate();
    let db = fresh(b, key.clone()).await.unwrap();
    let clock = SimulatedClock::new(datetime!(2026-11-27 09:00 UTC));
    let app = App {
        store: db,
        clock: Arc::new(clock.clone()),
        hasher: PasswordHasher::insecure_for_tests(),
        passwords: PasswordPolicy::default(),
        sessions: SessionPolicy::default(),
        throttle: ThrottlePolicy::default(),
        second_factor: habilis_core::app::SecondFactorPolicy::none(),
        view: habilis_core::view::RightsView::shared(),
        oidc: habilis_core::services::oidc::Provider::shared(),
        presence: habilis_core::presence::Presence::shared(),
        watch: habilis_core::watch::Watch::shared(),
        desk: habilis_core::calendar::DeskPolicy::default(),
        signer: Some(std::sync::Arc::new(habilis_core::trace::CheckpointKey::generate())),
        traces: habilis_core::batch::TraceBatcher::shared(),
    };
    Env { app, clock, key }
}

/// Another instance of the portal on the same database: its own connections, its own
/// in-memory view.
async fn second_instance(e: &Env) -> App<Db> {
    let mut app = e.app.clone();
    app.store = e.app.store.another_instance().await.unwrap();
    app.view = habilis_core::view::RightsView::shared();
    app.traces = habilis_core::batch::TraceBatcher::shared();
    app.presence = habilis_core::presence::Presence::shared();
    app.watch = habilis_core::watch::Watch::shared();
    app
}

fn client() -> ClientInfo {
    ClientInfo { addr: Some("127.0.0.1".into()), user_agent: Some("contract-test".into()) }
}

async fn verify(e: &Env) -> audit::VerifyReport {
    audit::verify(&e.app.store, &e.key, None, None).await.unwrap()
}

#[tokio::test]
async fn demo_loads_once_and_refuses_foreign_data() {
    for b in backends() {
        let e = env(b).await;
        let r = e.app.load_demo(PASSWORD).await.unwrap();
        assert!(r.created, "{b:?}");
        let again = e.app.load_demo(PASSWORD).await.unwrap();
        assert!(!again.created, "{b:?}: second run only resets passwords");
        // Once people add to it, it is no longer the demo: refused, nothing reset.
        let claire = e.app.login("mons.admin", PASSWORD, &client()).await.unwrap().actor;
        let input = habilis_core::commands::UserInput { first_name: "Léa".into(), last_name: "Roux".into(), email: "lea.roux@mons.invalid".into(), ..Default::default() };
        e.app.create_user(&claire, &input, "http://x", &client()).await.unwrap();
        assert!(matches!(e.app.load_demo("Autre-Passe-Lens-2026-xyz").await, Err(Error::Refused(_))), "{b:?}");
        assert!(e.app.login("mons.admin", PASSWORD, &client()).await.is_ok(), "{b:?}: the password is unchanged");
        let mut tx = e.app.store.read().await.unwrap();
        let admin = tx.account_by_login("mons.admin").await.unwrap().unwrap();
        assert_eq!(admin.roles, vec![Role::PartnerAdmin]);
        assert_eq!(admin.display_name, "Claire Martin");
        let org = tx.organisation(admin.organisation_id).await.unwrap().unwrap();
        assert_eq!(org.siret.as_deref(), Some("21590410300011"));
        let cdap = tx.service_by_code("CDAP").await.unwrap().unwrap();
        let roles: Vec<String> = tx.service_roles(cdap.id).await.unwrap().into_iter().map(|r| r.code).collect();
        assert_eq!(roles, ["T1", "T2", "T5"]);
        let contacts = tx.contacts(org.id).await.unwrap();
        assert!(contacts.iter().any(|c| c.name == "Nadia Benali" && c.function == "security_officer"));
        drop(tx);

        // A database with other data is refused, and nothing is written.
        let other = env(b).await;
        other.app.init_first_admin("chef", "chef@caisse.fr", "Chef", "Caf du Sud").await.unwrap();
        let err = other.app.load_demo(PASSWORD).await.unwrap_err();
        assert!(matches!(err, Error::Refused(_)), "{b:?}: {err:?}");
        let mut tx = other.app.store.read().await.unwrap();
        assert!(tx.account_by_login("mons.admin").await.unwrap().is_none());

        // A weak demo password is refused before anything is written.
        let weak = env(b).await;
        assert!(matches!(weak.app.load_demo("password").await, Err(Error::PasswordRejected(_))));
        assert_eq!(weak.app.store.read().await.unwrap().count_organisations().await.unwrap(), 0);
    }
}

#[tokio::test]
async fn init_issues_a_one_time_link_and_refuses_a_second_time() {
    for b in backends() {
        let e = env(b).await;
        let init = e.app.init_first_admin("caf.chef", "chef@caf.fr", "Anne Chef", "Caf du Nord").await.unwrap();
        assert!(init.account.password_hash.is_none());
        assert!(matches!(
            e.app.init_first_admin("other", "o@caf.fr", "O", "Caf du Nord").await,
            Err(Error::Refused(_))
        ));
        // No password yet: sign-in fails like a wrong password.
        assert!(matches!(e.app.login("caf.chef", PASSWORD, &client()).await, Err(Error::InvalidCredentials)));
        // A weak password is refused and the link stays usable.
        assert!(matches!(
            e.app.set_password_with_link(&init.link_token, "short", &client()).await,
            Err(Error::PasswordRejected(_))
        ));
        e.app.set_password_with_link(&init.link_token, PASSWORD, &client()).await.unwrap();
        // Single use.
        assert!(matches!(
            e.app.set_password_with_link(&init.link_token, PASSWORD, &client()).await,
            Err(Error::LinkInvalid)
        ));
        let signed = e.app.login("Caf.Chef", PASSWORD, &client()).await.unwrap();
        assert_eq!(signed.actor.account.roles, vec![Role::CaisseAdmin]);
        assert!(verify(&e).await.finding.is_none());
    }
}

#[tokio::test]
async fn links_expire() {
    for b in backends() {
        let e = env(b).await;
        let init = e.app.init_first_admin("caf.chef", "chef@caf.fr", "Anne Chef", "Caf du Nord").await.unwrap();
        e.clock.advance(Duration::hours(73));
        assert!(matches!(e.app.check_link(&init.link_token).await, Err(Error::LinkInvalid)));
        assert!(matches!(
            e.app.set_password_with_link(&init.link_token, PASSWORD, &client()).await,
            Err(Error::LinkInvalid)
        ));
        let mut tx = e.app.store.begin().await.unwrap();
        let t2 = e.app.issue_link(&mut tx, init.account.id, LinkPurpose::ResetPassword).await.unwrap();
        tx.commit().await.unwrap();
        e.app.set_password_with_link(&t2, PASSWORD, &client()).await.unwrap();
    }
}

#[tokio::test]
async fn sessions_open_touch_expire_and_end() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let s = e.app.login("mons.admin", PASSWORD, &client()).await.unwrap();
        let actor = e.app.authenticate(&s.token, &client()).await.unwrap();
        assert_eq!(actor.organisation.name, "Mairie de Mons-en-Barœul");

        // Activity keeps the session alive past the idle limit…
        e.clock.advance(Duration::minutes(20));
        e.app.record_request(&actor, "http.read", "/", Outcome::Success, &client()).await.unwrap();
        e.clock.advance(Duration::minutes(20));
        let actor = e.app.authenticate(&s.token, &client()).await.unwrap();
        // …silence does not.
        e.clock.advance(Duration::minutes(31));
        assert!(matches!(e.app.authenticate(&s.token, &client()).await, Err(Error::NotAuthenticated)));
        let mut tx = e.app.store.read().await.unwrap();
        let traces = tx.recent_traces(Some(actor.organisation.id), 10).await.unwrap();
        assert_eq!(traces[0].entry.action, "session.expire");
        assert_eq!(traces[0].entry.detail.as_deref(), Some("inactivité prolongée (idle_timeout)"));
        drop(tx);

        // Absolute limit, even with activity.
        let s2 = e.app.login("mons.deputy", PASSWORD, &client()).await.unwrap();
        for _ in 0..25 {
            e.clock.advance(Duration::minutes(29));
            if let Ok(a) = e.app.authenticate(&s2.token, &client()).await {
                e.app.record_request(&a, "http.read", "/", Outcome::Success, &client()).await.unwrap();
            }
        }
        assert!(matches!(e.app.authenticate(&s2.token, &client()).await, Err(Error::NotAuthenticated)));

        // Logout ends the session on the server.
        let s3 = e.app.login("mons.agent", PASSWORD, &client()).await.unwrap();
        e.app.logout(&s3.actor, &client()).await.unwrap();
        assert!(matches!(e.app.authenticate(&s3.token, &client()).await, Err(Error::NotAuthenticated)));

        // The sweeper ends and traces sessions that never came back.
        let s4 = e.app.login("caf.admin", PASSWORD, &client()).await.unwrap();
        e.clock.advance(Duration::minutes(45));
        assert_eq!(e.app.expire_sessions().await.unwrap(), 1);
        assert_eq!(e.app.expire_sessions().await.unwrap(), 0);
        assert!(matches!(e.app.authenticate(&s4.token, &client()).await, Err(Error::NotAuthenticated)));
        assert!(verify(&e).await.finding.is_none(), "{b:?}");
    }
}

#[tokio::test]
async fn failed_sign_ins_are_throttled_and_capped() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        for _ in 0..5 {
            assert!(matches!(e.app.login("mons.admin", "wrong", &client()).await, Err(Error::InvalidCredentials)));
        }
        // The 6th failure imposes a delay: even the right password waits.
        assert!(matches!(e.app.login("mons.admin", "wrong", &client()).await, Err(Error::InvalidCredentials)));
        assert!(matches!(e.app.login("mons.admin", PASSWORD, &client()).await, Err(Error::Throttled { .. })));
        e.clock.advance(Duration::seconds(2));
        let signed_in = e.app.login("mons.admin", PASSWORD, &client()).await.unwrap();
        // The sign-in is the account's last, from the session's start.
        let mut tx = e.app.store.read().await.unwrap();
        let account = tx.account_by_login("mons.admin").await.unwrap().unwrap();
        drop(tx);
        assert_eq!(account.last_login_at, Some(signed_in.actor.session.created_at), "{b:?}");
        // The success forgot the failures in a row: five more are free again.
        for _ in 0..5 {
            assert!(matches!(e.app.login("mons.admin", "wrong", &client()).await, Err(Error::InvalidCredentials)), "{b:?}");
        }
        e.app.login("mons.admin", PASSWORD, &client()).await.unwrap();

        // Unknown logins are throttled the same way (nothing tells them apart).
        for _ in 0..6 {
            assert!(matches!(e.app.login("nobody", "wrong", &client()).await, Err(Error::InvalidCredentials)));
        }
        assert!(matches!(e.app.login("nobody", "wrong", &client()).await, Err(Error::Throttled { .. })));

        // Never more than 100 attempts per login per hour, even with delays turned off.
        let mut e = env(b).await;
        e.app.throttle.free_failures = 10_000;
        e.app.load_demo(PASSWORD).await.unwrap();
        let (mut failures, mut throttled) = (0, 0);
        for _ in 0..130 {
            e.clock.advance(Duration::seconds(10));
            match e.app.login("mons.agent", "wrong", &client()).await {
                Err(Error::InvalidCredentials) => failures += 1,
                Err(Error::Throttled { .. }) => throttled += 1,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!((failures, throttled), (100, 30), "{b:?}");
        // Successes do not count towards the cap.
        for _ in 0..120 {
            e.app.login("mons.admin", PASSWORD, &client()).await.unwrap();
        }
        // A new window opens an hour after the first attempt.
        e.clock.advance(Duration::minutes(40));
        e.app.login("mons.agent", PASSWORD, &client()).await.unwrap();
    }
}

/// A sign-in's throttle is read with its account in one statement, and a reservation is
/// saved only from the exact state it was decided on (`Store::swap_throttle`): a swap from
/// a state that changed meanwhile writes nothing, absent values (NULL) compare equal, and
/// twenty tasks each adding one attempt by read-and-swap lose none of them.
#[tokio::test]
async fn a_throttle_is_swapped_only_from_the_state_it_was_decided_on() {
    use habilis_core::records::LoginThrottle;
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let store = &e.app.store;
        // The account comes with the throttle, as the separate read gives it.
        let (t, account) = store.sign_in_state("mons.admin", Some("mons.admin")).await.unwrap();
        assert!(t.is_none(), "{b:?}: no attempt yet");
        let mut tx = store.read().await.unwrap();
        let by_login = tx.account_by_login("mons.admin").await.unwrap();
        drop(tx);
        assert_eq!(format!("{account:?}"), format!("{by_login:?}"), "{b:?}");
        assert!(account.is_some_and(|a| !a.roles.is_empty()), "{b:?}: with its roles");
        let (t, account) = store.sign_in_state("no.such", Some("no.such")).await.unwrap();
        assert!(t.is_none() && account.is_none(), "{b:?}");
        let (_, account) = store.sign_in_state("mons.admin", None).await.unwrap();
        assert!(account.is_none(), "{b:?}: no login, no account");

        let at = datetime!(2027-01-04 09:00:00.123456 UTC);
        let t1 = LoginThrottle { attempts_in_window: 1, window_started_at: Some(at), consecutive_failures: 1, not_before: None };
        assert!(store.swap_throttle("k", None, &t1).await.unwrap(), "{b:?}: first reservation");
        assert!(!store.swap_throttle("k", None, &t1).await.unwrap(), "{b:?}: a row exists now");
        let (read, _) = store.sign_in_state("k", None).await.unwrap();
        let read = read.expect("saved");
        assert_eq!(format!("{read:?}"), format!("{t1:?}"), "{b:?}");
        let t2 = LoginThrottle { attempts_in_window: 2, window_started_at: Some(at), consecutive_failures: 2, not_before: Some(at + Duration::seconds(2)) };
        for stale in [
            LoginThrottle { attempts_in_window: 0, ..read.clone() },
            LoginThrottle { window_started_at: None, ..read.clone() },
            LoginThrottle { consecutive_failures: 5, ..read.clone() },
            LoginThrottle { not_before: Some(at), ..read.clone() },
        ] {
            assert!(!store.swap_throttle("k", Some(&stale), &t2).await.unwrap(), "{b:?}: from {stale:?}");
        }
        let (same, _) = store.sign_in_state("k", None).await.unwrap();
        assert_eq!(format!("{same:?}"), format!("{:?}", Some(&t1)), "{b:?}: nothing written");
        assert!(store.swap_throttle("k", Some(&read), &t2).await.unwrap(), "{b:?}");
        assert!(!store.swap_throttle("k", Some(&read), &t2).await.unwrap(), "{b:?}: spent");
        let (now, _) = store.sign_in_state("k", None).await.unwrap();
        assert_eq!(format!("{now:?}"), format!("{:?}", Some(&t2)), "{b:?}");

        // Twenty at once, each one attempt more by read and swap: none is lost.
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let app = e.app.clone();
            tasks.push(tokio::spawn(async move {
                loop {
                    let (was, _) = app.store.sign_in_state("race", None).await.unwrap();
                    let mut next = was.clone().unwrap_or_default();
                    next.attempts_in_window += 1;
                    if app.store.swap_throttle("race", was.as_ref(), &next).await.unwrap() {
                        break;
                    }
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let (race, _) = store.sign_in_state("race", None).await.unwrap();
        assert_eq!(race.map(|t| t.attempts_in_window), Some(20), "{b:?}: every attempt counted");
    }
}

#[tokio::test]
async fn concurrent_guesses_meet_the_delay_of_the_earlier_ones() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        // Twenty guesses at once on one login: each is reserved as a failure before its
        // password is hashed, so those after the free ones are refused without hashing.
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let app = e.app.clone();
            tasks.push(tokio::spawn(async move { app.login("mons.agent", "wrong", &client()).await }));
        }
        let (mut hashed, mut throttled) = (0, 0);
        for t in tasks {
            match t.await.unwrap() {
                Err(Error::InvalidCredentials) => hashed += 1,
                Err(Error::Throttled { .. }) => throttled += 1,
                other => panic!("{other:?}"),
            }
        }
        let free = e.app.throttle.free_failures as usize;
        assert_eq!(hashed + throttled, 20);
        assert!(hashed <= free + 1, "{b:?}: {hashed} guesses were checked, at most {} may be", free + 1);
        // The right password still works once the delay has passed.
        e.clock.advance(Duration::hours(1));
        let agent = e.app.login("mons.agent", PASSWORD, &client()).await.unwrap().actor;
        // The same holds for guesses of the current password through a stolen session.
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (app, agent) = (e.app.clone(), agent.clone());
            tasks.push(tokio::spawn(async move { app.change_password(&agent, "wrong", "Tournesol-Vert-43-Roubaix", &client()).await }));
        }
        let mut checked = 0;
        for t in tasks {
            match t.await.unwrap() {
                Err(Error::InvalidCredentials) => checked += 1,
                Err(Error::Throttled { .. }) => {}
                other => panic!("{other:?}"),
            }
        }
        assert!(checked <= free + 1, "{b:?}: {checked} current-password guesses were checked");
    }
}

#[tokio::test]
async fn disabled_accounts_cannot_sign_in_and_roles_round_trip() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let mut tx = e.app.store.begin().await.unwrap();
        let mut a = tx.account_by_login("mons.agent").await.unwrap().unwrap();
        a.id = AccountId::new();
        a.login = "mons.ancien".into();
        a.status = AccountStatus::Suspended;
        a.roles = vec![Role::User, Role::DelegatedManager];
        tx.insert_account(&a).await.unwrap();
        // Logins are unique: the store says which constraint refused.
        a.id = AccountId::new();
        let err = tx.insert_account(&a).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{b:?}: {err:?}");
        drop(tx); // rolled back: neither row exists
        let mut tx = e.app.store.read().await.unwrap();
        assert!(tx.account_by_login("mons.ancien").await.unwrap().is_none());
        drop(tx);

        let mut tx = e.app.store.begin().await.unwrap();
        a.id = AccountId::new();
        tx.insert_account(&a).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = e.app.store.read().await.unwrap();
        let back = tx.account(a.id).await.unwrap().unwrap();
        assert_eq!(back.status, AccountStatus::Suspended);
        let mut roles = back.roles.clone();
        roles.sort_by_key(|r| r.as_str());
        assert_eq!(roles, vec![Role::DelegatedManager, Role::User]);
        drop(tx);
        assert!(matches!(e.app.login("mons.ancien", PASSWORD, &client()).await, Err(Error::AccountDisabled)));
    }
}

async fn anonymous_events(e: &Env, n: usize) {
    for i in 0..n {
        e.app.record_anonymous("test.event", &format!("event {i}"), Outcome::Success, &client()).await.unwrap();
    }
}

#[tokio::test]
async fn tampering_with_the_trail_is_detected() {
    for b in backends() {
        let cases: [(&str, &[&str], fn(&Problem) -> bool); 6] = [
            ("edit", &["UPDATE traces SET outcome = 'failure' WHERE organisation_id IS NULL AND seq = 3"], |p| {
                *p == Problem::SealMismatch
            }),
            ("delete", &["DELETE FROM traces WHERE organisation_id IS NULL AND seq = 3"], |p| {
                matches!(p, Problem::SequenceGap { expected: 3 })
            }),
            (
                "reorder",
                &[
                    "UPDATE traces SET seq = -1 WHERE organisation_id IS NULL AND seq = 3",
                    "UPDATE traces SET seq = 3 WHERE organisation_id IS NULL AND seq = 4",
                    "UPDATE traces SET seq = 4 WHERE organisation_id IS NULL AND seq = -1",
                ],
                |p| matches!(p, Problem::BrokenLink | Problem::SealMismatch),
            ),
            ("truncate", &["DELETE FROM traces WHERE organisation_id IS NULL AND seq = 5"], |p| {
                matches!(p, Problem::TruncatedChain { head_seq: 5 })
            }),
            ("drop head", &["DELETE FROM trace_heads"], |p| *p == Problem::HeadMismatch),
            ("edit time", &["UPDATE traces SET at = at + 1 WHERE organisation_id IS NULL AND seq = 1"], |p| {
                *p == Problem::SealMismatch
            }),
        ];
        for (name, sql, expected) in cases {
            let e = env(b).await;
            anonymous_events(&e, 5).await;
            assert!(verify(&e).await.finding.is_none(), "{b:?} {name}: intact before");
            for s in sql {
                e.app.store.execute_raw(s).await.unwrap();
            }
            let report = verify(&e).await;
            let finding = report.finding.unwrap_or_else(|| panic!("{b:?} {name}: not detected"));
            assert!(expected(&finding.problem), "{b:?} {name}: {finding:?}");
        }

        // A trail sealed with another key does not verify.
        let e = env(b).await;
        anonymous_events(&e, 2).await;
        let wrong = audit::verify(&e.app.store, &TraceKey::generate(), None, None).await.unwrap();
        assert_eq!(wrong.finding.map(|f| f.problem), Some(Problem::SealMismatch));
    }
}

/// Issue 11, finding 3: the seals alone cannot show the newest records of a chain removed
/// with its head rewound, nor a whole chain deleted with its head; the signed anchor does.
#[tokio::test]
async fn truncation_and_deleted_chains_are_found_against_the_signed_anchor() {
    for b in backends() {
        let cases: [(&str, &[&str], fn(&Problem) -> bool); 3] = [
            (
                "truncate and rewind the head",
                &[
                    "DELETE FROM traces WHERE organisation_id IS NULL AND seq > 3",
                    "UPDATE trace_heads SET seq = 3, seal = (SELECT t.seal FROM traces t WHERE t.chain_id = trace_heads.chain_id AND t.seq = 3) \
                     WHERE chain_id IN (SELECT chain_id FROM traces WHERE organisation_id IS NULL)",
                ],
                |p| matches!(p, Problem::ShorterThanAnchor { anchored_seq } if *anchored_seq > 3),
            ),
            (
                "delete a whole chain with its head",
                &[
                    "DELETE FROM trace_heads WHERE chain_id IN (SELECT chain_id FROM traces WHERE organisation_id IS NOT NULL)",
                    "DELETE FROM traces WHERE organisation_id IS NOT NULL",
                ],
                |p| matches!(p, Problem::ChainMissing { .. }),
            ),
            (
                "empty the trail",
                &["DELETE FROM trace_heads", "DELETE FROM traces"],
                |p| matches!(p, Problem::ChainMissing { .. }),
            ),
        ];
        let signer = CheckpointKey::generate();
        let public = signer.public();
        for (name, sql, expected) in cases {
            let e = env(b).await;
            e.app.load_demo(PASSWORD).await.unwrap();
            anonymous_events(&e, 5).await;
            // Two organisations' chains besides the one without an organisation.
            e.app.login("mons.agent", PASSWORD, &client()).await.unwrap();
            e.app.login("caf.admin", PASSWORD, &client()).await.unwrap();
            let anchor = audit::anchor(&e.app.store, &signer, 1).await.unwrap();
            assert_eq!(anchor.chains.len(), 3, "{b:?} {name}: {anchor:?}");
            let check = |a| audit::verify(&e.app.store, &e.key, Some(&public), a);
            assert!(check(Some(&anchor)).await.unwrap().finding.is_none(), "{b:?} {name}: intact before");
            for s in sql {
                e.app.store.execute_raw(s).await.unwrap();
            }
            // What the seals alone see: nothing (this is the hole the anchor closes).
            assert!(check(None).await.unwrap().finding.is_none(), "{b:?} {name}: the seals alone cannot see it");
            let finding = check(Some(&anchor)).await.unwrap().finding.unwrap_or_else(|| panic!("{b:?} {name}: not detected"));
            assert!(expected(&finding.problem), "{b:?} {name}: {finding:?}");
        }

        // An anchor edited to match a truncated trail, or signed by another key, is refused;
        // a chain rewritten from the anchored tip (by someone holding the sealing key) shows.
        let e = env(b).await;
        anonymous_events(&e, 4).await;
        let anchor = audit::anchor(&e.app.store, &signer, 1).await.unwrap();
        let check = |a| audit::verify(&e.app.store, &e.key, Some(&public), a);
        let mut edited = anchor.clone();
        edited.chains[0].seq = 2;
        assert_eq!(check(Some(&edited)).await.unwrap().finding.map(|f| f.problem), Some(Problem::AnchorSignature), "{b:?}");
        let foreign = audit::anchor(&e.app.store, &CheckpointKey::generate(), 1).await.unwrap();
        assert_eq!(check(Some(&foreign)).await.unwrap().finding.map(|f| f.problem), Some(Problem::AnchorSignature), "{b:?}");
        let unchecked = audit::verify(&e.app.store, &e.key, None, Some(&anchor)).await.unwrap();
        assert_eq!(unchecked.finding.map(|f| f.problem), Some(Problem::AnchorSignature), "{b:?}");
        let mut other_tip = anchor.clone();
        other_tip.chains[0].seal = vec![0; 32];
        signer.sign_anchor(&mut other_tip);
        assert_eq!(
            check(Some(&other_tip)).await.unwrap().finding.map(|f| f.problem),
            Some(Problem::AnchorMismatch { anchored_seq: 4 }),
            "{b:?}"
        );
        // The trail grows after the anchor: still intact.
        anonymous_events(&e, 3).await;
        assert!(check(Some(&anchor)).await.unwrap().finding.is_none(), "{b:?}");
    }
}

#[tokio::test]
async fn concurrent_appends_keep_every_chain_whole() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..64 {
            let app = e.app.clone();
            tasks.push(tokio::spawn(async move {
                let mut tx = app.store.begin().await?;
                let mut entry = TraceEntry::new(app.now(), "test.concurrent", Outcome::Success, &client());
                entry.target = Some(format!("{i}"));
                tx.append_trace(&entry).await?;
                tx.commit().await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let report = verify(&e).await;
        assert!(report.finding.is_none(), "{b:?}: {:?}", report.finding);
        assert!(report.records >= 64);
    }
}

mod alerts;
mod caisse;
mod check;
mod desk;
mod grants;
mod imports;
mod mandates;
mod presence;
mod properties;
mod retention;
mod reviews;
mod second_factor;
mod schema;
mod seats;
mod staff;
mod supervision;
mod trail;
