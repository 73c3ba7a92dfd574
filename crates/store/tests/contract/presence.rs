//! Signed-in people from memory (issue 14): what the cache answers, and that every way a
//! session stops being valid reaches it — on this instance at once, under concurrency, and
//! on another instance within a second.

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use habilis_core::error::Error;
use habilis_core::records::*;
use habilis_core::store::*;
use habilis_core::trace::Outcome;
use habilis_store::testing::backends;

use super::caisse::actor;
use super::{PASSWORD, client, env, second_instance};

fn ended<T: std::fmt::Debug>(r: &Result<T, Error>) -> bool {
    matches!(r, Err(Error::NotAuthenticated))
}

/// The cache answers without the database (a change made behind the portal's back, with no
/// announcement, is not seen), and every change the portal commits is seen by the next
/// request: sign-out, suspension, a forced password change, a password change.
#[tokio::test]
async fn a_session_answered_from_memory_follows_every_change_the_portal_commits() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let s = e.app.login("mons.agent", PASSWORD, &client()).await.unwrap();
        let first = e.app.authenticate(&s.token, &client()).await.unwrap();
        // Behind the portal's back (another handle, raw SQL, no announcement here).
        let behind = e.app.store.another_instance().await.unwrap();
        behind.execute_raw("UPDATE accounts SET display_name = 'Changé en douce' WHERE login = 'mons.agent'").await.unwrap();
        let cached = e.app.authenticate(&s.token, &client()).await.unwrap();
        assert_eq!(cached.account.display_name, first.account.display_name, "{b:?}: answered from memory");

        // Suspension by the administrator: the very next request is refused.
        let claire = actor(&e, "mons.admin").await;
        e.app.user_action(&claire, first.account.id, UserAction::Suspend, "http://x", &client()).await.unwrap();
        assert!(ended(&e.app.authenticate(&s.token, &client()).await), "{b:?}: suspended");
        e.app.user_action(&claire, first.account.id, UserAction::Reactivate, "http://x", &client()).await.unwrap();

        // Sign-out.
        let s = e.app.login("mons.agent", PASSWORD, &client()).await.unwrap();
        let a = e.app.authenticate(&s.token, &client()).await.unwrap();
        assert_eq!(a.account.display_name, "Changé en douce", "{b:?}: read again after the commits");
        e.app.logout(&a, &client()).await.unwrap();
        assert!(ended(&e.app.authenticate(&s.token, &client()).await), "{b:?}: signed out");

        // A password change forced by the caisse: the session now owes a new password.
        let s = e.app.login("mons.agent", PASSWORD, &client()).await.unwrap();
        assert!(!e.app.authenticate(&s.token, &client()).await.unwrap().account.must_change_password);
        let caisse = actor(&e, "caf.admin").await;
        e.app.force_password_change(&caisse, a.organisation.id, Some(a.account.id), &client()).await.unwrap();
        let after = e.app.authenticate(&s.token, &client()).await;
        assert!(ended(&after) || after.unwrap().account.must_change_password, "{b:?}: forced change seen");

        // Changing one's password ends one's other sessions.
        let deputy = e.app.login("mons.deputy", PASSWORD, &client()).await.unwrap();
        let other = e.app.login("mons.deputy", PASSWORD, &client()).await.unwrap();
        e.app.authenticate(&other.token, &client()).await.unwrap();
        let d = e.app.authenticate(&deputy.token, &client()).await.unwrap();
        e.app.change_password(&d, PASSWORD, "Marguerite-Verte-77-Roubaix", &client()).await.unwrap();
        assert!(ended(&e.app.authenticate(&other.token, &client()).await), "{b:?}: other session ended");
    }
}

/// Activity noted in memory keeps the session alive, is written in one batch, and a trace
/// of each read is durable when `record_request` returns.
#[tokio::test]
async fn activity_is_written_in_batches_and_reads_are_traced_before_the_answer() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let s = e.app.login("mons.agent", PASSWORD, &client()).await.unwrap();
        let a = e.app.authenticate(&s.token, &client()).await.unwrap();
        e.clock.advance(time::Duration::minutes(25));
        for i in 0..20 {
            e.app.record_request(&a, "http.get", &format!("/page/{i}"), Outcome::Success, &client()).await.unwrap();
        }
        // Every read's trace is there already.
        let mut tx = e.app.store.read().await.unwrap();
        let traces = tx.recent_traces(Some(a.organisation.id), 30).await.unwrap();
        assert_eq!(traces.iter().filter(|t| t.entry.target.as_deref().is_some_and(|p| p.starts_with("/page/"))).count(), 20, "{b:?}");
        let before = tx.session_by_token_hash(&habilis_core::token::digest(&s.token)).await.unwrap().unwrap().last_seen_at;
        drop(tx);
        // 25 + 25 minutes since sign-in, 25 since the last activity: still open.
        e.clock.advance(time::Duration::minutes(25));
        let a = e.app.authenticate(&s.token, &client()).await.unwrap();
        e.app.record_request(&a, "http.get", "/again", Outcome::Success, &client()).await.unwrap();
        // The activity reaches the database in a quiet batch (the flusher's, or this one).
        e.app.presence.flush(&e.app.store).await.unwrap();
        let mut tx = e.app.store.read().await.unwrap();
        let after = tx.session_by_token_hash(&habilis_core::token::digest(&s.token)).await.unwrap().unwrap().last_seen_at;
        assert!(after > before, "{b:?}: {before} → {after}");
        // Silence past the idle limit still ends it.
        drop(tx);
        e.clock.advance(time::Duration::minutes(31));
        assert!(ended(&e.app.authenticate(&s.token, &client()).await), "{b:?}");
    }
}

/// A flush of many sessions' activity (more than one statement's worth) writes each open
/// session's own instant, and leaves an ended session as it was.
#[tokio::test]
async fn many_sessions_touched_at_once_each_get_their_own_instant() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let s = e.app.login("mons.agent", PASSWORD, &client()).await.unwrap();
        let template = s.actor.session.clone();
        let sessions: Vec<Session> = (0..450)
            .map(|i| Session { id: SessionId::new(), token_hash: habilis_core::token::digest(&format!("bench-{i}")), ..template.clone() })
            .collect();
        let mut tx = e.app.store.begin().await.unwrap();
        for x in &sessions {
            tx.insert_session(x).await.unwrap();
        }
        let gone = &sessions[17];
        assert!(tx.end_session(gone.id, template.created_at, "logout").await.unwrap());
        tx.commit().await.unwrap();

        let touches: Vec<(SessionId, time::OffsetDateTime)> =
            sessions.iter().enumerate().map(|(i, x)| (x.id, template.created_at + time::Duration::seconds(i as i64 + 1))).collect();
        let mut tx = e.app.store.begin().await.unwrap();
        tx.touch_sessions(&touches).await.unwrap();
        tx.commit().await.unwrap();

        let mut tx = e.app.store.read().await.unwrap();
        for (i, x) in sessions.iter().enumerate() {
            let read = tx.session_by_token_hash(&x.token_hash).await.unwrap().unwrap();
            let want = if x.id == gone.id { template.last_seen_at } else { touches[i].1 };
            assert_eq!(read.last_seen_at, want, "{b:?}: session {i}");
        }
    }
}

/// A suspension racing signed-in requests: once the suspension has committed, no request
/// that starts afterwards is let through, whatever was cached.
#[tokio::test]
async fn no_request_passes_once_a_suspension_has_committed() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let s = e.app.login("mons.agent", PASSWORD, &client()).await.unwrap();
        let agent = e.app.authenticate(&s.token, &client()).await.unwrap().account.id;
        let claire = actor(&e, "mons.admin").await;
        let token = Arc::new(s.token);
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (app, token, stop) = (e.app.clone(), Arc::clone(&token), Arc::clone(&stop));
            tasks.push(tokio::spawn(async move {
                let mut seen = Vec::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let started = Instant::now();
                    let ok = app.authenticate(&token, &client()).await.is_ok();
                    seen.push((started, ok));
                    tokio::task::yield_now().await;
                }
                seen
            }));
        }
        tokio::time::sleep(StdDuration::from_millis(30)).await;
        e.app.user_action(&claire, agent, UserAction::Suspend, "http://x", &client()).await.unwrap();
        let committed = Instant::now();
        tokio::time::sleep(StdDuration::from_millis(30)).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let (mut before, mut after) = (0, 0);
        for t in tasks {
            for (started, ok) in t.await.unwrap() {
                if started >= committed {
                    assert!(!ok, "{b:?}: a request that started after the suspension passed");
                    after += 1;
                } else if ok {
                    before += 1;
                }
            }
        }
        assert!(before > 0 && after > 0, "{b:?}: the race ran ({before} before, {after} after)");
    }
}

/// Two instances on one database: a session cached by one ends within a second when the
/// other signs it out or suspends the person (PostgreSQL NOTIFY; SQLite has one instance).
#[tokio::test]
async fn another_instance_drops_an_ended_session_within_a_second() {
    for b in backends().into_iter().filter(|b| *b == habilis_store::Backend::Postgres) {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let other = second_instance(&e).await;
        let ended_within = |token: String| {
            let other = other.clone();
            async move {
                let start = Instant::now();
                while start.elapsed() < StdDuration::from_secs(1) {
                    if ended(&other.authenticate(&token, &client()).await) {
                        return true;
                    }
                    tokio::time::sleep(StdDuration::from_millis(10)).await;
                }
                false
            }
        };
        let s = e.app.login("mons.agent", PASSWORD, &client()).await.unwrap();
        let a = other.authenticate(&s.token, &client()).await.unwrap();
        other.authenticate(&s.token, &client()).await.unwrap();
        e.app.logout(&a, &client()).await.unwrap();
        assert!(ended_within(s.token.clone()).await, "sign-out seen by the other instance within 1 s");

        let s = e.app.login("mons.agent", PASSWORD, &client()).await.unwrap();
        other.authenticate(&s.token, &client()).await.unwrap();
        let claire = actor(&e, "mons.admin").await;
        e.app.user_action(&claire, a.account.id, UserAction::Suspend, "http://x", &client()).await.unwrap();
        assert!(ended_within(s.token.clone()).await, "suspension seen by the other instance within 1 s");
    }
}

/// A person not in memory is read in one statement (`Store::signed_in`): the same session,
/// account (with every role, in order, or none) and organisation as the separate reads of a
/// transaction; an unknown token reads nothing, an ended session reads as ended.
#[tokio::test]
async fn a_session_read_in_one_statement_is_the_one_the_separate_reads_give() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let raw = e.app.store.another_instance().await.unwrap();
        // Several roles, inserted out of order; and a person left with none.
        let admin = e.app.login("caf.admin", PASSWORD, &client()).await.unwrap();
        raw.execute_raw(
            "INSERT INTO account_roles (account_id, role) SELECT id, 'trace_auditor' FROM accounts WHERE login = 'caf.admin' \
             UNION ALL SELECT id, 'security_officer' FROM accounts WHERE login = 'caf.admin'",
        )
        .await
        .unwrap();
        let agent = e.app.login("mons.agent", PASSWORD, &client()).await.unwrap();
        raw.execute_raw("DELETE FROM account_roles WHERE account_id IN (SELECT id FROM accounts WHERE login = 'mons.agent')").await.unwrap();
        let mut admin_roles = admin.actor.account.roles.clone();
        admin_roles.extend([Role::TraceAuditor, Role::SecurityOfficer]);
        admin_roles.sort_by_key(|r| r.as_str());
        assert!(admin_roles.len() >= 3, "{b:?}: several roles");
        for (s, roles) in [(&admin, admin_roles), (&agent, vec![])] {
            let digest = habilis_core::token::digest(&s.token);
            let (session, account, organisation) = e.app.store.signed_in(&digest).await.unwrap().expect("a session");
            let mut tx = e.app.store.read().await.unwrap();
            let session2 = tx.session_by_token_hash(&digest).await.unwrap().unwrap();
            let account2 = tx.account(session2.account_id).await.unwrap().unwrap();
            let by_login = tx.account_by_login(&account2.login).await.unwrap().unwrap();
            let organisation2 = tx.organisation(session2.organisation_id).await.unwrap().unwrap();
            drop(tx);
            assert_eq!(format!("{session:?}"), format!("{session2:?}"), "{b:?}: session");
            assert_eq!(format!("{account:?}"), format!("{account2:?}"), "{b:?}: account");
            assert_eq!(format!("{account:?}"), format!("{by_login:?}"), "{b:?}: account by login");
            assert_eq!(format!("{organisation:?}"), format!("{organisation2:?}"), "{b:?}: organisation");
            assert_eq!(account.roles, roles, "{b:?}: roles in order");
            assert_eq!(account.id, s.actor.account.id, "{b:?}");
            assert_eq!(organisation.id, s.actor.organisation.id, "{b:?}");
        }
        assert!(e.app.store.signed_in(&habilis_core::token::digest("no such token")).await.unwrap().is_none(), "{b:?}: unknown");
        let a = e.app.authenticate(&admin.token, &client()).await.unwrap();
        e.app.logout(&a, &client()).await.unwrap();
        let (session, _, _) = e.app.store.signed_in(&habilis_core::token::digest(&admin.token)).await.unwrap().unwrap();
        assert!(session.ended_at.is_some(), "{b:?}: ended");
        assert!(ended(&e.app.authenticate(&admin.token, &client()).await), "{b:?}: refused once ended");
    }
}
