//! Reading the trail and the right of access, on both backends: who reads which chain, the
//! filters and pages, exports, every reading traced; the request's path from the person
//! to their superior to the administrators, its due date and lateness.

use habilis_core::commands::{NewContract, NewConvention};
use habilis_core::Error;
use habilis_core::records::{AccessStatus, Actor};
use habilis_core::commands::PartnerInput;
use habilis_core::{commands::AdministratorInput, records::Slot};
use habilis_core::services::trail::{TraceFilter, to_csv};
use habilis_store::Db;
use habilis_store::testing::backends;
use time::Duration;

use super::caisse::actor;
use super::{Env, PASSWORD, client, env};

/// A second partner of the caisse with its signed-in administrator.
async fn lomme_admin(e: &Env, caf: &Actor) -> Actor {
    let cl = client();
    let lomme = e
        .app
        .create_partner(caf, &PartnerInput { name: "CCAS de Lomme".into(), siret: "73282932000074".into(), ..Default::default() }, &cl)
        .await
        .unwrap();
    let conv = e.app.record_convention(caf, lomme.id, &NewConvention { number: "2024-73282932000074".into(), signed_on: "2024-01-15".into(), signatories: "Le maire".into() }, &cl).await.unwrap();
    e.app.record_contract(caf, lomme.id, &NewContract { convention: conv.id, mode: "delegated".into(), signed_on: "2024-01-15".into(), signatories: "Le maire".into() }, &cl).await.unwrap();
    let input = AdministratorInput { first_name: "Léon".into(), last_name: "Lomme".into(), function: "Directeur".into(), email: "l@lomme.invalid".into(), ..Default::default() };
    e.app.issue_administrator(caf, lomme.id, Slot::Principal, &input, "https://h", &cl).await.unwrap();
    let msg = e.app.outbox(caf, 50).await.unwrap().into_iter().find(|m| m.to_address == "l@lomme.invalid").unwrap();
    let token = msg.body.split("token=").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    e.app.set_password_with_link(&token, PASSWORD, &cl).await.unwrap();
    actor(e, "lomme.leon.lomme").await
}

fn all() -> TraceFilter {
    TraceFilter::default()
}

#[tokio::test]
async fn each_reader_reads_all_and_only_what_the_contract_gives_and_every_read_is_traced() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let caf = actor(&e, "caf.admin").await;
        let auditor = actor(&e, "caf.auditor").await;
        let claire = actor(&e, "mons.admin").await;
        let manager = actor(&e, "mons.manager").await;
        actor(&e, "mons.agent").await;
        let leon = lomme_admin(&e, &caf).await;
        let (mons, lomme) = (claire.organisation.id, leon.organisation.id);

        // The partner's administrator: all of the Mairie's chain, nothing else.
        let page = e.app.read_traces(&claire, &all(), 500, &client()).await.unwrap();
        assert!(!page.records.is_empty());
        assert!(page.records.iter().all(|r| r.chain_id == mons.0), "{b:?}");
        assert!(page.records.iter().any(|r| r.entry.actor_login.as_deref() == Some("mons.agent")), "{b:?}");
        let theirs = e.app.read_traces(&leon, &all(), 500, &client()).await.unwrap();
        assert!(theirs.records.iter().all(|r| r.chain_id == lomme.0), "{b:?}: Lomme never sees the Mairie");
        assert!(!theirs.records.iter().any(|r| r.entry.actor_login.as_deref() == Some("mons.agent")));
        // Caisse staff only with the auditor right; managers and users never.
        assert!(matches!(e.app.read_traces(&caf, &all(), 50, &client()).await, Err(Error::Forbidden)), "{b:?}");
        assert!(matches!(e.app.read_traces(&manager, &all(), 50, &client()).await, Err(Error::Forbidden)), "{b:?}");
        let seen = e.app.read_traces(&auditor, &all(), 500, &client()).await.unwrap();
        assert!(seen.records.iter().any(|r| r.chain_id == mons.0) && seen.records.iter().any(|r| r.chain_id == caf.organisation.id.0), "{b:?}");
        let one = e.app.read_traces(&auditor, &TraceFilter { organisation: Some(lomme), ..all() }, 500, &client()).await.unwrap();
        assert!(one.records.iter().all(|r| r.chain_id == lomme.0) && !one.records.is_empty(), "{b:?}");
        assert!(matches!(e.app.read_traces(&claire, &TraceFilter { organisation: Some(lomme), ..all() }, 50, &client()).await, Err(Error::NotFound)));

        // Every reading is traced, in the reader's chain, with its filter.
        let again = e.app.read_traces(&claire, &TraceFilter { person: "mons.agent".into(), ..all() }, 500, &client()).await.unwrap();
        assert!(again.records.iter().all(|r| r.entry.actor_login.as_deref() == Some("mons.agent")), "{b:?}");
        let reads = e.app.read_traces(&claire, &TraceFilter { action: "trace.".into(), ..all() }, 500, &client()).await.unwrap();
        assert!(reads.records.iter().any(|r| r.entry.action == "trace.read" && r.entry.detail.as_deref() == Some("personne mons.agent")), "{b:?}");
        let audited = e.app.read_traces(&auditor, &TraceFilter { action: "trace.read".into(), organisation: Some(caf.organisation.id), ..all() }, 500, &client()).await.unwrap();
        assert!(audited.records.iter().any(|r| r.entry.actor_login.as_deref() == Some("caf.auditor")), "{b:?}");
        // The refusal of a caisse administrator is traced too (by the web layer's request
        // trace); here, the refused reading left no `trace.read` of theirs.
        assert!(!audited.records.iter().any(|r| r.entry.actor_login.as_deref() == Some("caf.admin") && r.entry.action == "trace.read"));

        // Pages follow each other without overlap, newest first.
        let p1 = e.app.read_traces(&claire, &all(), 3, &client()).await.unwrap();
        assert_eq!(p1.records.len(), 3);
        let next = p1.next.clone().expect("a next page");
        let p2 = e.app.read_traces(&claire, &TraceFilter { after: next, ..all() }, 3, &client()).await.unwrap();
        assert!(p2.records.iter().all(|r| !p1.records.iter().any(|x| x.entry.id == r.entry.id)), "{b:?}");
        assert!(p1.records.last().unwrap().entry.at >= p2.records.first().unwrap().entry.at);
        // Filters: outcome, period; bad input named.
        let failed = e.app.read_traces(&claire, &TraceFilter { outcome: "refused".into(), ..all() }, 500, &client()).await.unwrap();
        assert!(failed.records.iter().all(|r| r.entry.outcome.as_str() == "refused"));
        let today = e.app.today().to_string();
        let in_day = e.app.read_traces(&claire, &TraceFilter { from: today.clone(), to: today.clone(), ..all() }, 500, &client()).await.unwrap();
        assert!(!in_day.records.is_empty(), "{b:?}");
        let tomorrow = (e.app.today() + Duration::days(1)).to_string();
        assert!(e.app.read_traces(&claire, &TraceFilter { from: tomorrow, ..all() }, 500, &client()).await.unwrap().records.is_empty());
        assert!(matches!(e.app.read_traces(&claire, &TraceFilter { from: "2026-13-01".into(), ..all() }, 5, &client()).await, Err(Error::Invalid { field: "from", .. })));
        for far in ["-9999-01-01", "9999-12-31", "0001-01-01"] {
            let r = e.app.read_traces(&claire, &TraceFilter { from: far.into(), to: far.into(), ..all() }, 5, &client()).await;
            assert!(matches!(r, Err(Error::Invalid { field: "from", .. })), "{far}: {r:?}");
        }
        assert!(matches!(
            e.app.read_traces(&claire, &TraceFilter { from: today.clone(), to: "2020-01-01".into(), ..all() }, 5, &client()).await,
            Err(Error::Invalid { field: "to", .. })
        ));
        assert!(matches!(e.app.read_traces(&claire, &TraceFilter { outcome: "maybe".into(), ..all() }, 5, &client()).await, Err(Error::Invalid { field: "outcome", .. })));

        // Export: every matching record, as CSV; the export is traced with its format.
        let records = e.app.export_traces(&claire, &all(), "csv", &client()).await.unwrap();
        let csv = to_csv(&records);
        assert!(csv.starts_with("\u{feff}date;identifiant;"), "{b:?}");
        assert_eq!(csv.lines().count(), records.len() + 1);
        let exports = e.app.read_traces(&claire, &TraceFilter { action: "trace.export".into(), ..all() }, 50, &client()).await.unwrap();
        assert!(exports.records.iter().any(|r| r.entry.action == "trace.export.csv"), "{b:?}");
    }
}

#[tokio::test]
async fn a_person_gets_their_traces_through_their_superior_and_the_administrators() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let karim = actor(&e, "mons.agent").await;
        let julie = actor(&e, "mons.manager").await;
        let claire = actor(&e, "mons.admin").await;
        let caf = actor(&e, "caf.admin").await;

        let r = e.app.request_access(&karim, Some(julie.account.id), "Vérifier mes connexions", &client()).await.unwrap();
        assert_eq!(r.status, AccessStatus::Submitted);
        assert_eq!(r.due_on, habilis_core::records::one_month_after(e.app.today()));
        assert!(e.app.outbox(&caf, 20).await.unwrap().iter().any(|m| m.to_address == julie.account.email && m.subject.contains("droit d'accès")), "{b:?}");
        // Seen by the requester, the superior and the administrators; not by others.
        assert_eq!(e.app.access_requests(&julie).await.unwrap().len(), 1);
        assert_eq!(e.app.access_requests(&claire).await.unwrap().len(), 1);
        let hugo = actor(&e, "mons.deputy").await;
        assert_eq!(e.app.access_requests(&hugo).await.unwrap().len(), 1, "the deputy is an administrator");
        // The administrators wait for the superior; only the superior forwards.
        assert!(matches!(e.app.access_request_export(&claire, r.id, &client()).await, Err(Error::Refused(_))), "{b:?}");
        assert!(matches!(e.app.forward_access_request(&karim, r.id, &client()).await, Err(Error::Forbidden)), "{b:?}");
        e.app.forward_access_request(&julie, r.id, &client()).await.unwrap();
        assert!(matches!(e.app.forward_access_request(&julie, r.id, &client()).await, Err(Error::Refused(_))));
        // Neither the superior nor the requester exports; an administrator does.
        assert!(matches!(e.app.access_request_export(&julie, r.id, &client()).await, Err(Error::Forbidden)), "{b:?}");
        // Issue 12, item 8: no answer without the export, which is the answer.
        assert!(matches!(e.app.answer_access_request(&claire, r.id, &client()).await, Err(Error::Refused(habilis_core::Refusal::NotExported))), "{b:?}");
        let (_, records) = e.app.access_request_export(&claire, r.id, &client()).await.unwrap();
        assert!(!records.is_empty() && records.iter().all(|x| x.entry.actor_id == Some(karim.account.id)), "{b:?}");
        assert!(records.iter().any(|x| x.entry.action == "session.login"), "{b:?}: sign-ins included");
        // The requester downloads it in the portal once answered, not before, and no one else.
        assert!(matches!(e.app.access_request_download(&karim, r.id, &client()).await, Err(Error::Refused(habilis_core::Refusal::NotAnswered))), "{b:?}");
        e.app.answer_access_request(&claire, r.id, &client()).await.unwrap();
        e.clock.advance(Duration::minutes(5));
        actor(&e, "mons.agent").await;
        let (_, mine) = e.app.access_request_download(&karim, r.id, &client()).await.unwrap();
        assert_eq!(mine.len(), records.len(), "{b:?}: the export as it was made, not what came after");
        assert!(matches!(e.app.access_request_download(&julie, r.id, &client()).await, Err(Error::NotFound)), "{b:?}");
        let done = e.app.access_requests(&karim).await.unwrap();
        assert_eq!(done[0].status, AccessStatus::Answered);
        assert!(!done[0].late(e.app.today() + Duration::days(60)), "an answered request is never late");
        // Each step is in the Mairie's trail.
        let steps = e.app.read_traces(&claire, &TraceFilter { action: "access_request.".into(), ..Default::default() }, 50, &client()).await.unwrap();
        let mut names: Vec<_> = steps.records.iter().map(|x| x.entry.action.as_str()).collect();
        names.sort();
        assert_eq!(names, ["access_request.answer", "access_request.create", "access_request.download", "access_request.export", "access_request.forward"], "{b:?}");

        // Without a named superior it goes to the principal administrator; a month and a
        // day later, unanswered, it is late.
        let r2 = e.app.request_access(&karim, None, "", &client()).await.unwrap();
        assert_eq!(r2.superior_id, claire.account.id);
        e.clock.advance(Duration::days(32));
        let listed = e.app.access_requests(&claire).await.unwrap();
        assert!(listed.iter().find(|x| x.id == r2.id).unwrap().late(e.app.today()), "{b:?}");
        // The superior may be anyone of the organisation, not only a manager (a plain
        // user here: Karim is Léa's superior).
        let lea = e.app.create_user(&claire, &habilis_core::commands::UserInput { first_name: "Léa".into(), last_name: "Roux".into(), email: "lea@m.invalid".into(), ..Default::default() }, "https://h", &client()).await.unwrap();
        let msg = e.app.outbox(&caf, 50).await.unwrap().into_iter().find(|m| m.to_address == "lea@m.invalid").unwrap();
        let token = msg.body.split("token=").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
        e.app.set_password_with_link(&token, PASSWORD, &client()).await.unwrap();
        let lea_actor = actor(&e, &lea.login).await;
        assert!(e.app.possible_superiors(&lea_actor).await.unwrap().iter().any(|p| p.id == karim.account.id), "{b:?}");
        let r3 = e.app.request_access(&lea_actor, Some(karim.account.id), "", &client()).await.unwrap();
        assert_eq!(r3.superior_id, karim.account.id, "{b:?}");
        e.app.forward_access_request(&karim, r3.id, &client()).await.unwrap();
        // The caisse has no part in it.
        assert!(matches!(e.app.request_access(&caf, None, "", &client()).await, Err(Error::Forbidden)));
    }
}

/// Issue 11, finding 8: a login is always chosen in the organisation's own namespace, so
/// "already in use" never tells a partner that another organisation has that login.
#[tokio::test]
async fn logins_taken_in_another_organisation_are_never_reported() {
    use habilis_core::commands::UserInput;
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let caf = actor(&e, "caf.admin").await;
        let leon = lomme_admin(&e, &caf).await;
        let claire = actor(&e, "mons.admin").await;
        let user = |login: &str| UserInput { first_name: "Anne".into(), last_name: "Test".into(), email: format!("x{}@t.invalid", login.replace('.', "-")), login: login.into(), ..Default::default() };
        // The Mairie's logins, asked for by the CCAS: created in the CCAS's namespace.
        for wanted in ["mons.admin", "admin", "caf.admin"] {
            let a = e.app.create_user(&leon, &user(wanted), "https://h", &client()).await.unwrap_or_else(|err| panic!("{b:?} {wanted}: {err:?}"));
            let expected = if wanted.starts_with("lomme.") { wanted.to_string() } else { format!("lomme.{wanted}") };
            assert_eq!(a.login, expected, "{b:?}");
        }
        // Within one's own organisation, a taken login is reported (one sees one's people).
        assert!(matches!(e.app.create_user(&leon, &user("admin"), "https://h", &client()).await, Err(Error::Taken(_))), "{b:?}");
        assert!(matches!(e.app.create_user(&claire, &user("agent"), "https://h", &client()).await, Err(Error::Taken(_))), "{b:?}");
        assert!(matches!(e.app.create_user(&claire, &user("mons.agent"), "https://h", &client()).await, Err(Error::Taken(_))), "{b:?}");
        // Generated logins too: `prefix.first.last`.
        let generated = e.app.create_user(&claire, &user(""), "https://h", &client()).await.unwrap();
        assert_eq!(generated.login, "mons.anne.test", "{b:?}");
    }
}

/// Appends in groups (the trace batcher's) seal exactly as appends one by one: mixed with
/// single appends, across chains and more rows than one insert holds, the trail verifies;
/// a record changed afterwards is found.
#[tokio::test]
async fn group_appends_seal_like_single_ones() {
    use habilis_core::store::{OrganisationTx, Store, TrailTx, Transaction};
    use habilis_core::trace::{Outcome, TraceEntry};
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let mons = e.app.store.read().await.unwrap().account_by_login("mons.admin").await.unwrap().unwrap().organisation_id;
        let entry = |i: usize| {
            let mut t = TraceEntry::new(e.app.now(), "service.check", Outcome::Refused, &client());
            t.organisation_id = (i % 3 != 0).then_some(mons);
            t.detail = Some(format!("n° {i}"));
            t
        };
        let before = super::verify(&e).await;
        assert!(before.finding.is_none(), "{b:?}");
        let mut tx = e.app.store.begin().await.unwrap();
        tx.append_trace(&entry(1000)).await.unwrap();
        tx.append_traces(&(0..250).map(entry).collect::<Vec<_>>()).await.unwrap();
        tx.append_trace(&entry(1001)).await.unwrap();
        tx.append_traces(&[entry(2000)]).await.unwrap();
        tx.commit().await.unwrap();
        let after = super::verify(&e).await;
        assert!(after.finding.is_none(), "{b:?}: {:?}", after.finding);
        assert_eq!(after.records, before.records + 253, "{b:?}");
        // In order within a chain.
        let recent = e.app.store.read().await.unwrap().recent_traces(Some(mons), 3).await.unwrap();
        let details: Vec<_> = recent.iter().map(|r| r.entry.detail.clone().unwrap_or_default()).collect();
        assert_eq!(details, ["n° 2000", "n° 1001", "n° 248"], "{b:?}");
    }
}

/// The trail writer's batches (`append_trace_batch`: on PostgreSQL one statement that
/// moves the head it remembers) race changes' single appends and another instance's
/// batches on the same chains: every record is kept once, in a chain that verifies, and
/// a writer whose remembered head went stale writes nothing twice.
#[tokio::test]
async fn batches_racing_single_appends_and_another_instance_keep_the_chain_exact() {
    use habilis_core::store::{OrganisationTx, Store, TrailTx, Transaction};
    use habilis_core::trace::{Outcome, TraceEntry};
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let mons = e.app.store.read().await.unwrap().account_by_login("mons.admin").await.unwrap().unwrap().organisation_id;
        let other = e.app.store.another_instance().await.unwrap();
        let entry = |who: &str, i: usize| {
            let mut t = TraceEntry::new(e.app.now(), "http.get", Outcome::Success, &client());
            t.organisation_id = (i % 4 != 0).then_some(mons);
            t.detail = Some(format!("{who} {i}"));
            t
        };
        let before = super::verify(&e).await;
        assert!(before.finding.is_none(), "{b:?}");
        let (rounds, per_batch) = (30usize, 7usize);
        let batches = |store: Db, who: &'static str| {
            let list: Vec<Vec<TraceEntry>> = (0..rounds).map(|r| (0..per_batch).map(|i| entry(who, r * per_batch + i)).collect()).collect();
            async move {
                for l in list {
                    store.append_trace_batch(&l).await.unwrap();
                    tokio::task::yield_now().await;
                }
            }
        };
        let singles = {
            let store = e.app.store.clone();
            let list: Vec<TraceEntry> = (0..rounds).map(|i| entry("single", i + 1)).collect();
            async move {
                for t in list {
                    let mut tx = store.begin().await.unwrap();
                    tx.append_trace(&t).await.unwrap();
                    tx.commit().await.unwrap();
                    tokio::task::yield_now().await;
                }
            }
        };
        let (a, o, s) = (
            tokio::spawn(batches(e.app.store.clone(), "here")),
            tokio::spawn(batches(other.clone(), "there")),
            tokio::spawn(singles),
        );
        a.await.unwrap();
        o.await.unwrap();
        s.await.unwrap();
        let after = super::verify(&e).await;
        assert!(after.finding.is_none(), "{b:?}: {:?}", after.finding);
        assert_eq!(after.records, before.records + (2 * rounds * per_batch + rounds) as u64, "{b:?}");
        // Each record once: the details of this test's records are all different.
        let mut seen = std::collections::BTreeSet::new();
        for chain in [Some(mons), None] {
            let recent = e.app.store.read().await.unwrap().recent_traces(chain, 1000).await.unwrap();
            for r in recent.iter().filter(|r| r.entry.action == "http.get") {
                assert!(seen.insert(r.entry.detail.clone()), "{b:?}: twice {:?}", r.entry.detail);
            }
        }
        assert_eq!(seen.len(), 2 * rounds * per_batch + rounds, "{b:?}");
        // A head remembered by a writer and moved by another is noticed, not overwritten.
        e.app.store.append_trace_batch(&[entry("here", 9001)]).await.unwrap();
        other.append_trace_batch(&[entry("there", 9001)]).await.unwrap();
        e.app.store.append_trace_batch(&[entry("here", 9002)]).await.unwrap();
        let last = super::verify(&e).await;
        assert!(last.finding.is_none(), "{b:?}: {:?}", last.finding);
        assert_eq!(last.records, after.records + 3, "{b:?}");
        // A change's trace travels with its commit; when another instance moved the head this
        // one remembers, the trace's statement in that text fails alone (on PostgreSQL, back
        // to the savepoint before it) and the trace is sealed again after the real head,
        // then committed: never a change without it.
        for (who, i) in [("single", 9003), ("there", 9004), ("single", 9005), ("single", 9006)] {
            if who == "there" {
                other.append_trace_batch(&[entry(who, i)]).await.unwrap();
            } else {
                let mut tx = e.app.store.begin().await.unwrap();
                tx.append_trace(&entry(who, i)).await.unwrap();
                tx.commit().await.unwrap();
            }
        }
        // A statement after a change's trace, in its transaction, finds it written.
        let mut tx = e.app.store.begin().await.unwrap();
        tx.append_trace(&entry("single", 9007)).await.unwrap();
        let latest = tx.recent_traces(Some(mons), 1).await.unwrap();
        assert_eq!(latest.first().and_then(|r| r.entry.detail.clone()).as_deref(), Some("single 9007"), "{b:?}");
        tx.commit().await.unwrap();
        let last = super::verify(&e).await;
        assert!(last.finding.is_none(), "{b:?}: {:?}", last.finding);
        assert_eq!(last.records, after.records + 8, "{b:?}");
        // A change's transaction that appended and then rolled back leaves a head remembered
        // that the database never had; the next appends (in a change, in a batch, on the
        // other instance) notice it and follow the real head.
        for rolled_back in [true, false] {
            let mut tx = e.app.store.begin().await.unwrap();
            tx.append_trace(&entry("undone", 9100)).await.unwrap();
            tx.append_trace(&entry("undone", 9101)).await.unwrap();
            if rolled_back {
                drop(tx);
            } else {
                tx.commit().await.unwrap();
            }
            let mut tx = e.app.store.begin().await.unwrap();
            tx.append_trace(&entry("kept", 9102)).await.unwrap();
            tx.commit().await.unwrap();
            e.app.store.append_trace_batch(&[entry("kept", 9103), entry("kept", 9104)]).await.unwrap();
            other.append_trace_batch(&[entry("kept", 9105)]).await.unwrap();
        }
        let end = super::verify(&e).await;
        assert!(end.finding.is_none(), "{b:?}: {:?}", end.finding);
        assert_eq!(end.records, last.records + 2 * 4 + 2, "{b:?}: what was rolled back is not there, the rest is");
        // A new chain whose head row was made by a transaction that rolled back (or by a
        // step undone to a mark): this process remembers a head the database has no row
        // for. The next change on that chain commits with its trace, at number 1.
        let fresh = |who: &str, i: usize, chain: habilis_core::records::OrganisationId| {
            let mut t = entry(who, i);
            t.organisation_id = Some(chain);
            t
        };
        for undone_to_mark in [false, true] {
            let chain = habilis_core::records::OrganisationId::new();
            let mut tx = e.app.store.begin().await.unwrap();
            if undone_to_mark {
                tx.mark().await.unwrap();
                tx.append_trace(&fresh("undone", 9200, chain)).await.unwrap();
                tx.undo_to_mark().await.unwrap();
            } else {
                tx.append_trace(&fresh("undone", 9200, chain)).await.unwrap();
                drop(tx);
                tx = e.app.store.begin().await.unwrap();
            }
            tx.append_trace(&fresh("kept", 9201, chain)).await.unwrap();
            tx.commit().await.unwrap();
            let mut tx = e.app.store.begin().await.unwrap();
            tx.append_trace(&fresh("kept", 9202, chain)).await.unwrap();
            tx.commit().await.unwrap();
            let kept = e.app.store.read().await.unwrap().recent_traces(Some(chain), 10).await.unwrap();
            let mut got: Vec<(i64, Option<String>)> = kept.iter().map(|r| (r.seq, r.entry.detail.clone())).collect();
            got.sort();
            assert_eq!(got, vec![(1, Some("kept 9201".into())), (2, Some("kept 9202".into()))], "{b:?} (undone to a mark: {undone_to_mark})");
        }
        let fresh_end = super::verify(&e).await;
        assert!(fresh_end.finding.is_none(), "{b:?}: {:?}", fresh_end.finding);
        assert_eq!(fresh_end.records, end.records + 4, "{b:?}");
        other.close().await;
    }
}

/// A change's trace whose texts hold what would end or escape a SQL literal is stored as it
/// was given, and the chain verifies. On PostgreSQL the trace travels with the `COMMIT` as
/// literals (`append::commit_with_pg`): this is the test of their quoting.
#[tokio::test]
async fn a_changes_trace_keeps_its_texts_exactly() {
    use habilis_core::store::{OrganisationTx, Store, TrailTx, Transaction};
    use habilis_core::trace::{Outcome, TraceEntry};
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let mons = e.app.store.read().await.unwrap().account_by_login("mons.admin").await.unwrap().unwrap().organisation_id;
        let before = super::verify(&e).await;
        let texts = [
            "l'été",
            "back\\slash",
            "\\'; COMMIT; DROP TABLE traces; --",
            "'); DELETE FROM trace_heads; --",
            "E'\\x41'",
            "$$ $tag$ dollar quotes $$",
            "line\nbreak\ttab\r",
            "🌻 «guillemets» ∑",
            "''",
            "\\",
            "'",
            "",
        ];
        for (i, s) in texts.iter().enumerate() {
            let who = habilis_core::trace::ClientInfo { addr: Some(format!("{s}addr")), user_agent: Some(format!("agent{s}")) };
            let mut t = TraceEntry::new(e.app.now(), &format!("test.{s}"), Outcome::Success, &who);
            t.organisation_id = Some(mons);
            t.actor_login = Some(s.to_string());
            t.target = Some(format!("{s}{s}"));
            t.detail = Some(format!("{i} {s}"));
            // The first may be written at once (no head remembered yet); the others wait
            // for the commit and travel with it.
            let mut tx = e.app.store.begin().await.unwrap();
            let record = tx.append_trace(&t).await.unwrap();
            tx.commit().await.unwrap();
            let stored = e.app.store.read().await.unwrap().recent_traces(Some(mons), 1).await.unwrap();
            let got = stored.first().unwrap();
            assert_eq!(got.seq, record.seq, "{b:?}");
            assert_eq!(got.seal, record.seal, "{b:?}");
            assert_eq!(got.entry.action, t.action, "{b:?}");
            assert_eq!(got.entry.actor_login, t.actor_login, "{b:?}");
            assert_eq!(got.entry.target, t.target, "{b:?}");
            assert_eq!(got.entry.detail, t.detail, "{b:?}");
            assert_eq!(got.entry.client_addr, t.client_addr, "{b:?}");
            assert_eq!(got.entry.user_agent, t.user_agent, "{b:?}");
        }
        let after = super::verify(&e).await;
        assert!(after.finding.is_none(), "{b:?}: {:?}", after.finding);
        assert_eq!(after.records, before.records + texts.len() as u64, "{b:?}");
    }
}

/// Appends racing the creation of a month's partition of the trail (PostgreSQL: the first
/// start in a month, or on a new database) all land, in a chain that verifies. An append
/// that had picked the default partition before the new one was attached used to fail
/// there ("violates partition constraint"): the creation now holds appends back before
/// they pick a partition.
#[tokio::test]
async fn appends_racing_a_new_months_partition_all_land() {
    use habilis_core::store::{OrganisationTx, Store, TrailTx, Transaction};
    use habilis_core::trace::{Outcome, TraceEntry};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let mons = e.app.store.read().await.unwrap().account_by_login("mons.admin").await.unwrap().unwrap().organisation_id;
        let before = super::verify(&e).await;
        let written = Arc::new(AtomicU64::new(0));
        for month in [time::Month::January, time::Month::February, time::Month::March, time::Month::April] {
            let at = time::Date::from_calendar_date(2027, month, 10).unwrap().with_hms(12, 0, 0).unwrap().assume_utc();
            let stop = Arc::new(AtomicBool::new(false));
            let mut writers = Vec::new();
            for w in 0..4usize {
                let (store, stop, written) = (e.app.store.clone(), stop.clone(), written.clone());
                writers.push(tokio::spawn(async move {
                    let mut i = 0usize;
                    while !stop.load(Ordering::Acquire) {
                        i += 1;
                        let mut t = TraceEntry::new(at, "test.partition", Outcome::Success, &client());
                        t.organisation_id = (w % 2 == 0).then_some(mons);
                        t.detail = Some(format!("{w} {i}"));
                        if w == 3 {
                            store.append_trace_batch(&[t]).await.unwrap();
                        } else {
                            let mut tx = store.begin().await.unwrap();
                            tx.append_trace(&t).await.unwrap();
                            tx.commit().await.unwrap();
                        }
                        written.fetch_add(1, Ordering::AcqRel);
                    }
                }));
            }
            tokio::time::sleep(std::time::Duration::from_millis(30)).await;
            e.app.store.prepare_trace_partitions(at, 0).await.unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(30)).await;
            stop.store(true, Ordering::Release);
            for w in writers {
                w.await.unwrap();
            }
        }
        let after = super::verify(&e).await;
        assert!(after.finding.is_none(), "{b:?}: {:?}", after.finding);
        assert_eq!(after.records, before.records + written.load(Ordering::Acquire), "{b:?}");
    }
}

/// Two transactions of one process trace into one chain and commit one after the other: the
/// second's record, sealed after the head remembered when it was appended, is sealed again
/// at its commit after the head the first left, instead of meeting a stale head in the
/// database (PostgreSQL; SQLite's writer takes them one at a time).
#[tokio::test]
async fn a_trace_is_sealed_after_the_head_left_by_a_commit_of_its_process() {
    use habilis_core::store::{OrganisationTx, Store, TrailTx, Transaction};
    use habilis_core::trace::{ClientInfo, Outcome, TraceEntry};
    for b in backends().into_iter().filter(|b| *b == habilis_store::Backend::Postgres) {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let mons = e.app.store.read().await.unwrap().account_by_login("mons.admin").await.unwrap().unwrap().organisation_id;
        let entry = |what: &str| {
            let mut t = TraceEntry::new(e.app.now(), what, Outcome::Success, &ClientInfo::default());
            t.organisation_id = Some(mons);
            t
        };
        // A first commit leaves the chain's head in this process's memory.
        let mut tx = e.app.store.begin().await.unwrap();
        tx.append_trace(&entry("test.first")).await.unwrap();
        tx.commit().await.unwrap();
        let before = e.app.store.stale_trace_commits();
        for round in 0..5 {
            let mut a = e.app.store.begin().await.unwrap();
            a.append_trace(&entry(&format!("test.a{round}"))).await.unwrap();
            let mut b2 = e.app.store.begin().await.unwrap();
            b2.append_trace(&entry(&format!("test.b{round}"))).await.unwrap();
            a.commit().await.unwrap();
            b2.commit().await.unwrap();
        }
        assert_eq!(e.app.store.stale_trace_commits(), before, "{b:?}: a commit met a stale head");
        let stored = e.app.store.read().await.unwrap().recent_traces(Some(mons), 10).await.unwrap();
        let mut actions: Vec<String> = stored.iter().map(|r| r.entry.action.clone()).collect();
        actions.sort();
        assert_eq!(actions.len(), 10, "{b:?}");
        assert!(actions.iter().all(|a| a.starts_with("test.a") || a.starts_with("test.b")), "{b:?}: {actions:?}");
        let report = super::verify(&e).await;
        assert!(report.finding.is_none(), "{b:?}: {:?}", report.finding);
    }
}

/// Every append that meets a head another instance moved is counted, by writer: a batch of
/// the trace writer (one chain or several), a transaction's trace at its commit, before its
/// next statement, or appended as a list (PostgreSQL, where `/metrics` shows them).
#[tokio::test]
async fn stale_heads_are_counted_wherever_they_are_met() {
    use habilis_core::store::{OrganisationTx, Store, TrailTx, Transaction};
    use habilis_core::trace::{ClientInfo, Outcome, TraceEntry};
    for b in backends().into_iter().filter(|b| *b == habilis_store::Backend::Postgres) {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let mons = e.app.store.read().await.unwrap().account_by_login("mons.admin").await.unwrap().unwrap().organisation_id;
        let other = e.app.store.another_instance().await.unwrap();
        let entry = |what: &str, org| {
            let mut t = TraceEntry::new(e.app.now(), what, Outcome::Success, &ClientInfo::default());
            t.organisation_id = org;
            t
        };
        let counts = || (e.app.store.stale_trace_commits(), e.app.store.stale_trace_batches());
        // Every connection of the pool (eight, held at once) commits a trace first, as on a
        // server that has run a while: each has the trace's statement prepared, so that a
        // commit meets the stale head in its committing text.
        let mut warm = Vec::new();
        for _ in 0..8 {
            let mut tx = e.app.store.begin().await.unwrap();
            tx.append_trace(&entry("test.warm", Some(mons))).await.unwrap();
            warm.push(tx);
        }
        for tx in warm {
            tx.commit().await.unwrap();
        }
        e.app.store.append_trace_batch(&[entry("test.here", Some(mons)), entry("test.here", None)]).await.unwrap();
        let mut expected = counts();
        let mut step = |what: &str, (commits, batches): (u64, u64)| {
            expected = (expected.0 + commits, expected.1 + batches);
            assert_eq!(counts(), expected, "after {what}");
        };

        other.append_trace_batch(&[entry("test.there", Some(mons))]).await.unwrap();
        e.app.store.append_trace_batch(&[entry("test.batch", Some(mons))]).await.unwrap();
        step("a batch of one chain", (0, 1));

        other.append_trace_batch(&[entry("test.there", Some(mons))]).await.unwrap();
        e.app.store.append_trace_batch(&[entry("test.batch", Some(mons)), entry("test.batch", None)]).await.unwrap();
        step("a batch of two chains", (0, 1));

        other.append_trace_batch(&[entry("test.there", Some(mons))]).await.unwrap();
        let mut tx = e.app.store.begin().await.unwrap();
        tx.append_trace(&entry("test.commit", Some(mons))).await.unwrap();
        tx.commit().await.unwrap();
        step("a trace at its commit", (1, 0));

        other.append_trace_batch(&[entry("test.there", Some(mons))]).await.unwrap();
        let mut tx = e.app.store.begin().await.unwrap();
        tx.append_trace(&entry("test.statement", Some(mons))).await.unwrap();
        tx.recent_traces(Some(mons), 1).await.unwrap();
        tx.commit().await.unwrap();
        step("a trace before the next statement", (1, 0));

        other.append_trace_batch(&[entry("test.there", Some(mons))]).await.unwrap();
        let mut tx = e.app.store.begin().await.unwrap();
        tx.append_traces(&[entry("test.list", Some(mons)), entry("test.list", Some(mons))]).await.unwrap();
        tx.commit().await.unwrap();
        step("a list of traces", (1, 0));

        let report = super::verify(&e).await;
        assert!(report.finding.is_none(), "{:?}", report.finding);
    }
}
