//! Retention on both backends (R63, R64), on the simulated clock: the purge removes every
//! trace older than the cut-off and nothing younger, leaves signed checkpoints so that the
//! trail still verifies, and verification still catches any other change; ended grants and
//! withdrawn mandates go after six years.

use habilis_core::commands::{Holder, NewGrant};
use habilis_core::services::audit::{self, Problem};
use habilis_core::commands::UserInput;
use habilis_core::services::retention::{RetentionPolicy, months_before};
use habilis_core::store::*;
use habilis_core::trace::{CheckpointKey, TraceQuery, TraceRecord};
use habilis_store::testing::backends;
use time::Duration;

use super::caisse::actor;
use super::{Env, PASSWORD, client, env};

async fn all_traces(e: &Env) -> Vec<TraceRecord> {
    let chains = e.app.store.trace_heads().await.unwrap().into_iter().map(|h| h.chain_id).collect();
    e.app.store.trace_search(&TraceQuery { chains, limit: 10_000, ..Default::default() }).await.unwrap()
}

fn quiet(_: u64, _: u64) {}

#[tokio::test]
async fn the_purge_cuts_what_is_older_and_the_trail_still_verifies() {
    for b in backends() {
        let e = env(b).await;
        // On PostgreSQL, the months ahead get their partitions, so whole months are dropped.
        e.app.store.prepare_trace_partitions(e.app.now(), 9).await.unwrap();
        e.app.load_demo(PASSWORD).await.unwrap();
        for _ in 0..3 {
            actor(&e, "mons.agent").await;
        }
        e.clock.advance(Duration::days(92));
        for _ in 0..4 {
            actor(&e, "mons.agent").await;
            actor(&e, "caf.admin").await;
        }
        e.clock.advance(Duration::days(120));
        let key = CheckpointKey::generate();
        let cutoff = months_before(e.app.now(), 6);
        let before = all_traces(&e).await;
        let (old, young): (Vec<_>, Vec<_>) = before.iter().partition(|r| r.entry.at < cutoff);
        assert!(!old.is_empty() && !young.is_empty(), "{b:?}: {} old, {} young", old.len(), young.len());

        // The tip signed before the purge still holds after it: the purge is no truncation.
        let anchored = audit::anchor(&e.app.store, &key, 0).await.unwrap();

        // A dry run says what would go and removes nothing.
        let policy = RetentionPolicy { batch_size: 7, ..Default::default() };
        let dry = e.app.purge(&policy, &key, true, &quiet).await.unwrap();
        assert_eq!(dry.traces as usize, old.len(), "{b:?}");
        assert_eq!(all_traces(&e).await.len(), before.len(), "{b:?}");

        let done = e.app.purge(&policy, &key, false, &quiet).await.unwrap();
        assert_eq!(done.traces as usize, old.len(), "{b:?}");
        if b == habilis_store::Backend::Postgres {
            assert!(done.partitions_dropped >= 1, "{b:?}: whole months dropped: {done:?}");
        }
        // The purge traced itself (one record, events without an organisation).
        let mut after = all_traces(&e).await;
        assert_eq!(after.iter().filter(|r| r.entry.action == "retention.purge").count(), 1, "{b:?}");
        after.retain(|r| r.entry.action != "retention.purge");
        assert!(after.iter().all(|r| r.entry.at >= cutoff), "{b:?}: everything older removed");
        let kept: Vec<_> = after.iter().map(|r| r.entry.id).collect();
        assert!(young.iter().all(|r| kept.contains(&r.entry.id)), "{b:?}: nothing younger removed");
        assert_eq!(after.len(), young.len(), "{b:?}");

        // The trail verifies with the checkpoint key, not without it nor with another.
        let report = audit::verify(&e.app.store, &e.key, Some(&key.public()), Some(&anchored)).await.unwrap();
        assert!(report.finding.is_none(), "{b:?}: {:?}", report.finding);
        let without = audit::verify(&e.app.store, &e.key, None, None).await.unwrap();
        assert_eq!(without.finding.map(|f| f.problem), Some(Problem::CheckpointUnchecked), "{b:?}");
        let other = audit::verify(&e.app.store, &e.key, Some(&CheckpointKey::generate().public()), None).await.unwrap();
        assert_eq!(other.finding.map(|f| f.problem), Some(Problem::CheckpointSignature), "{b:?}");
        // Purging again finds nothing more to do, and still verifies.
        let again = e.app.purge(&policy, &key, false, &quiet).await.unwrap();
        assert_eq!(again.traces, 0, "{b:?}");
        assert!(audit::verify(&e.app.store, &e.key, Some(&key.public()), None).await.unwrap().finding.is_none(), "{b:?}");

        // Any other change after the purge is still caught.
        let kept_chain = young.iter().find(|r| r.entry.organisation_id.is_some()).unwrap();
        let (chain, first_kept) = (kept_chain.chain_id, after.iter().filter(|r| r.chain_id == kept_chain.chain_id).map(|r| r.seq).min().unwrap());
        let cases: [(&str, String, fn(&Problem) -> bool); 3] = [
            ("delete a kept record", format!("DELETE FROM traces WHERE chain_id = {} AND seq = {}", lit(b, chain), first_kept + 1), |p| {
                matches!(p, Problem::SequenceGap { .. } | Problem::BrokenLink)
            }),
            ("move a checkpoint", format!("UPDATE trace_checkpoints SET seq = seq + 1 WHERE chain_id = {}", lit(b, chain)), |p| {
                *p == Problem::CheckpointSignature
            }),
            ("delete the checkpoints", format!("DELETE FROM trace_checkpoints WHERE chain_id = {}", lit(b, chain)), |p| {
                matches!(p, Problem::SequenceGap { expected: 1 })
            }),
        ];
        for (name, sql, expected) in cases {
            let snapshot = e.app.store.trace_checkpoints().await.unwrap();
            e.app.store.execute_raw(&sql).await.unwrap();
            let finding = audit::verify(&e.app.store, &e.key, Some(&key.public()), None).await.unwrap().finding;
            let finding = finding.unwrap_or_else(|| panic!("{b:?} {name}: not detected"));
            assert!(expected(&finding.problem), "{b:?} {name}: {finding:?}");
            // Put the checkpoints back for the next case (the deleted record stays gone).
            e.app.store.execute_raw("DELETE FROM trace_checkpoints").await.unwrap();
            for c in &snapshot {
                e.app.store.insert_checkpoint(c).await.unwrap();
            }
            if name == "delete a kept record" {
                break;
            }
        }
    }
}

/// A UUID literal for raw SQL on this backend.
fn lit(b: habilis_store::Backend, id: uuid::Uuid) -> String {
    match b {
        habilis_store::Backend::Sqlite => format!("X'{}'", id.simple()),
        habilis_store::Backend::Postgres => format!("'{id}'"),
    }
}

#[tokio::test]
async fn tampering_after_a_purge_is_caught_case_by_case() {
    for b in backends() {
        for case in 0..2 {
            let e = env(b).await;
            e.app.load_demo(PASSWORD).await.unwrap();
            actor(&e, "mons.agent").await;
            e.clock.advance(Duration::days(200));
            actor(&e, "mons.agent").await;
            actor(&e, "mons.agent").await;
            let key = CheckpointKey::generate();
            e.app.purge(&RetentionPolicy::default(), &key, false, &quiet).await.unwrap();
            assert!(audit::verify(&e.app.store, &e.key, Some(&key.public()), None).await.unwrap().finding.is_none(), "{b:?}");
            let agent_chain = all_traces(&e).await.into_iter().find(|r| r.entry.actor_login.as_deref() == Some("mons.agent")).unwrap().chain_id;
            let sql = match case {
                0 => format!("UPDATE trace_checkpoints SET seq = seq + 1 WHERE chain_id = {}", lit(b, agent_chain)),
                _ => format!("DELETE FROM trace_checkpoints WHERE chain_id = {}", lit(b, agent_chain)),
            };
            let n = e.app.store.execute_raw(&sql).await.unwrap();
            assert_eq!(n, 1, "{b:?} case {case}: {sql}");
            let finding = audit::verify(&e.app.store, &e.key, Some(&key.public()), None).await.unwrap().finding.unwrap_or_else(|| panic!("{b:?} case {case}"));
            match case {
                0 => assert_eq!(finding.problem, Problem::CheckpointSignature, "{b:?}"),
                _ => assert!(matches!(finding.problem, Problem::SequenceGap { expected: 1 }), "{b:?}: {finding:?}"),
            }
        }
    }
}

#[tokio::test]
async fn ended_grants_and_withdrawn_mandates_go_six_years_after_they_ended() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let claire = actor(&e, "mons.admin").await;
        let person = |i: usize| UserInput { first_name: "R".into(), last_name: format!("N{i}"), email: format!("r{i}@m.invalid"), ..Default::default() };
        let a = e.app.create_user(&claire, &person(1), "https://h", &client()).await.unwrap();
        let c = e.app.create_user(&claire, &person(2), "https://h", &client()).await.unwrap();
        let old = e.app.grant(&claire, &NewGrant { holder: Holder::Person(a.id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Ancien".into(), ends_on: "".into() }, &client()).await.unwrap();
        let live = e.app.grant(&claire, &NewGrant { holder: Holder::Person(c.id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "En cours".into(), ends_on: "".into() }, &client()).await.unwrap();
        e.app.revoke_grant(&claire, old.id, &client()).await.unwrap();
        // Who revoked it is kept with it (issue 12, item 5).
        let revoked = e.app.grants(&claire).await.unwrap().into_iter().find(|g| g.id == old.id).unwrap();
        assert_eq!(revoked.ended_by, Some(claire.account.id), "{b:?}");
        // A membership ended now, and one that will end with its group in three years:
        // both periods are kept, with who added and removed the person.
        let group = e.app.create_group(&claire, "Accueil", &client()).await.unwrap();
        e.app.add_member(&claire, group.id, a.id, &client()).await.unwrap();
        e.app.remove_member(&claire, group.id, a.id, &client()).await.unwrap();
        e.app.add_member(&claire, group.id, c.id, &client()).await.unwrap();
        let periods = e.app.person_file(&claire, a.id).await.unwrap().memberships;
        assert_eq!(periods.len(), 1, "{b:?}");
        assert_eq!((periods[0].group_name.as_str(), periods[0].added_by, periods[0].removed_by), ("Accueil", Some(claire.account.id), Some(claire.account.id)), "{b:?}");
        let mandate = e.app.mandates(&claire).await.unwrap().into_iter().find(|m| m.withdrawn_at.is_none()).unwrap();
        e.app.withdraw_mandate(&claire, mandate.id, &client()).await.unwrap();
        // Three years later another grant ends; three more years and a day, the first goes.
        e.clock.advance(Duration::days(3 * 365));
        let claire = actor(&e, "mons.admin").await;
        let recent = e.app.grant(&claire, &NewGrant { holder: Holder::Person(a.id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Récent".into(), ends_on: "".into() }, &client()).await.unwrap();
        e.app.revoke_grant(&claire, recent.id, &client()).await.unwrap();
        e.app.delete_group(&claire, group.id, &client()).await.unwrap();
        let periods = e.app.person_file(&claire, c.id).await.unwrap().memberships;
        assert!(periods.len() == 1 && periods[0].removed_at.is_some(), "{b:?}: the group is gone, the period is kept: {periods:?}");
        e.clock.advance(Duration::days(3 * 365 + 5));
        let key = CheckpointKey::generate();
        let dry = e.app.purge(&RetentionPolicy::default(), &key, true, &quiet).await.unwrap();
        assert_eq!((dry.grants, dry.mandates, dry.memberships), (1, 1, 1), "{b:?}: {dry:?}");
        let done = e.app.purge(&RetentionPolicy::default(), &key, false, &quiet).await.unwrap();
        assert_eq!((done.grants, done.mandates, done.memberships), (1, 1, 1), "{b:?}");
        let claire = actor(&e, "mons.admin").await;
        assert!(e.app.person_file(&claire, a.id).await.unwrap().memberships.is_empty(), "{b:?}: ended over 6 years ago");
        assert_eq!(e.app.person_file(&claire, c.id).await.unwrap().memberships.len(), 1, "{b:?}: ended 3 years ago");
        let ids: Vec<_> = e.app.grants(&claire).await.unwrap().into_iter().map(|g| g.id).collect();
        assert!(!ids.contains(&old.id) && ids.contains(&recent.id) && ids.contains(&live.id), "{b:?}");
        assert!(!e.app.mandates(&claire).await.unwrap().iter().any(|m| m.id == mandate.id), "{b:?}");
        assert!(audit::verify(&e.app.store, &e.key, Some(&key.public()), None).await.unwrap().finding.is_none(), "{b:?}");
    }
}

#[tokio::test]
async fn a_purge_stopped_after_its_checkpoints_finishes_the_next_time() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        actor(&e, "mons.agent").await;
        e.clock.advance(Duration::days(200));
        actor(&e, "mons.agent").await;
        let key = CheckpointKey::generate();
        // As if a purge had stopped right after writing its checkpoints.
        let cutoff = habilis_core::clock::to_micros(months_before(e.app.now(), 6));
        for cut in e.app.store.trace_cuts(cutoff).await.unwrap() {
            let mut c = habilis_core::trace::Checkpoint {
                id: uuid::Uuid::now_v7(),
                chain_id: cut.chain_id,
                seq: cut.seq,
                seal: cut.seal,
                removed: cut.count,
                cutoff_at: cutoff,
                created_at: cutoff,
                public_key: vec![],
                signature: vec![],
            };
            key.sign(&mut c);
            e.app.store.insert_checkpoint(&c).await.unwrap();
        }
        assert!(audit::verify(&e.app.store, &e.key, Some(&key.public()), None).await.unwrap().finding.is_none(), "{b:?}: records left below a checkpoint are skipped");
        let done = e.app.purge(&RetentionPolicy::default(), &key, false, &quiet).await.unwrap();
        assert!(done.traces > 0, "{b:?}");
        assert!(all_traces(&e).await.iter().all(|r| r.entry.at >= months_before(e.app.now(), 6)), "{b:?}");
        assert!(audit::verify(&e.app.store, &e.key, Some(&key.public()), None).await.unwrap().finding.is_none(), "{b:?}");
    }
}
