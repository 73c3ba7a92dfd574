//! The trail at scale: the viewer's response time on a trail of HABILIS_BENCH_ROWS (default
//! 10 million) records over twelve months, then the retention purge of the six oldest
//! months, with the latency of trace appends measured while it runs. SQLite always;
//! PostgreSQL too when HABILIS_TEST_DATABASE_URL is set (its schema is dropped at the end).
//! Run: HABILIS_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
//!      cargo bench -p habilis-store --bench trail

use std::sync::Arc;
use std::time::{Duration, Instant};

use habilis_core::app::{App, SessionPolicy, ThrottlePolicy};
use habilis_core::records::Actor;
use habilis_core::clock::{SimulatedClock, to_micros};
use habilis_core::password::{PasswordHasher, PasswordPolicy};
use habilis_core::services::retention::RetentionPolicy;
use habilis_core::store::*;
use habilis_core::trace::{CheckpointKey, ClientInfo, Outcome, TraceEntry, TraceKey};
use habilis_core::services::trail::TraceFilter;
use habilis_store::testing::{backends, fresh};
use habilis_store::{Backend, Db};
use time::macros::datetime;

const PASSWORD: &str = "Tournesol-Bleu-42-Lille";
const OTHER_CHAINS: i64 = 199;

fn hex(u: uuid::Uuid) -> String {
    u.simple().to_string()
}

fn month_start(y: i32, m: u8) -> i64 {
    let d = time::Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), 1).unwrap();
    to_micros(d.midnight().assume_utc())
}

async fn generate(db: &Db, b: Backend, rows: i64, mons: uuid::Uuid, now: i64) {
    let year = 365 * 24 * 3600 * 1_000_000i64;
    let start = now - year;
    // One tenth in the Mairie's chain (its administrator's view), the rest over 199 others.
    let mons_rows = rows / 10;
    let other_rows = rows - mons_rows;
    let (rand16, rand32, uuid_of) = match b {
        Backend::Sqlite => ("randomblob(16)", "randomblob(32)", format!("X'{}'", hex(mons))),
        Backend::Postgres => ("gen_random_uuid()", "decode(md5(random()::text) || md5(random()::text), 'hex')", format!("'{mons}'::uuid")),
    };
    let series = |lo: i64, hi: i64| match b {
        Backend::Sqlite => format!("WITH RECURSIVE n(i) AS (SELECT {lo} UNION ALL SELECT i + 1 FROM n WHERE i < {}) ", hi - 1),
        Backend::Postgres => format!("WITH n(i) AS (SELECT generate_series({lo}::bigint, {}::bigint)) ", hi - 1),
    };
    let chains = match b {
        Backend::Sqlite => format!("CREATE TABLE bench_chains AS WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k < {}) SELECT k, randomblob(16) AS id FROM n", OTHER_CHAINS - 1),
        Backend::Postgres => format!("CREATE TABLE bench_chains AS SELECT k, gen_random_uuid() AS id FROM generate_series(0, {}) k", OTHER_CHAINS - 1),
    };
    db.execute_raw(&chains).await.unwrap();
    let cols = "INSERT INTO traces (chain_id, seq, id, at, actor_id, actor_login, organisation_id, session_id, client_addr, user_agent, action, target, outcome, detail, prev_seal, seal) ";
    let body = |chain: &str, seq: &str, step: i64| {
        format!(
            "SELECT {chain}, {seq}, {rand16}, {start} + n.i * {step}, NULL, 'agent' || (n.i % 37), {chain}, NULL, '10.0.0.' || (n.i % 250), 'Mozilla/5.0 bench', \
             CASE n.i % 5 WHEN 0 THEN 'session.login' WHEN 1 THEN 'grant.create' WHEN 2 THEN 'user.update' ELSE 'http.read' END, '/partner/rights', \
             CASE WHEN n.i % 50 = 0 THEN 'refused' ELSE 'success' END, NULL, {rand32}, {rand32}"
        )
    };
    let chunk = 1_000_000;
    let t = Instant::now();
    // The Mairie's chain continues after its demo records' numbers (their times are
    // later; the viewer does not care, and the purge only takes what is older).
    let base = 1_000_000;
    let step = (year - 3_600_000_000) / mons_rows;
    let mut lo = 0;
    while lo < mons_rows {
        let hi = (lo + chunk).min(mons_rows);
        db.execute_raw(&format!("{}{cols}{} FROM n", series(lo, hi), body(&uuid_of, &format!("n.i + 1 + {base}"), step))).await.unwrap();
        lo = hi;
    }
    let step = (year - 3_600_000_000) / other_rows;
    let mut lo = 0;
    while lo < other_rows {
        let hi = (lo + chunk).min(other_rows);
        db.execute_raw(&format!(
            "{}{cols}{} FROM n JOIN bench_chains c ON c.k = n.i % {OTHER_CHAINS}",
            series(lo, hi),
            body("c.id", &format!("n.i / {OTHER_CHAINS} + 1"), step)
        ))
        .await
        .unwrap();
        lo = hi;
        eprint!("\r  {b:?}: {} / {} rows", mons_rows + hi, rows);
    }
    eprintln!();
    db.execute_raw(&format!("UPDATE trace_heads SET seq = {} WHERE chain_id = {uuid_of}", base + mons_rows)).await.unwrap();
    db.execute_raw(&format!(
        "INSERT INTO trace_heads (chain_id, seq, seal, at) SELECT c.id, MAX(t.seq), {rand32}, MAX(t.at) FROM bench_chains c JOIN traces t ON t.chain_id = c.id GROUP BY c.id"
    ))
    .await
    .unwrap();
    if b == Backend::Postgres {
        db.execute_raw("ANALYZE traces").await.unwrap();
    } else {
        db.execute_raw("ANALYZE").await.unwrap();
    }
    println!("{b:?}: generated {rows} traces over 12 months in {:.0} s", t.elapsed().as_secs_f64());
}

async fn time_it(label: &str, runs: usize, mut f: impl AsyncFnMut() -> usize) {
    let mut times = Vec::new();
    let mut n = 0;
    for _ in 0..runs {
        let t = Instant::now();
        n = f().await;
        times.push(t.elapsed());
    }
    times.sort();
    println!("    {label:<58} median {:>7.1} ms   max {:>7.1} ms   ({n} rows)", ms(times[times.len() / 2]), ms(*times.last().unwrap()));
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let rows: i64 = std::env::var("HABILIS_BENCH_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        for b in backends() {
            let clock = SimulatedClock::new(datetime!(2026-11-27 09:00 UTC));
            let db = fresh(b, TraceKey::generate()).await.unwrap();
            if b == Backend::Postgres {
                // The twelve past months get their partitions, as the daily job would have made.
                for k in 0..13 {
                    let (y, m) = if k < 2 { (2025, 11 + k as u8) } else { (2026, k as u8 - 1) };
                    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                    db.execute_raw(&format!(
                        "CREATE TABLE traces_{y:04}{m:02} PARTITION OF traces FOR VALUES FROM ({}) TO ({})",
                        month_start(y, m),
                        month_start(ny, nm)
                    ))
                    .await
                    .unwrap();
                }
                db.prepare_trace_partitions(datetime!(2026-11-27 09:00 UTC), 2).await.unwrap();
            }
            let app = App {
                store: db.clone(),
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
            let cl = ClientInfo::default();
            app.load_demo(PASSWORD).await.unwrap();
            let claire: Actor = app.login("mons.admin", PASSWORD, &cl).await.unwrap().actor;
            let auditor: Actor = app.login("caf.auditor", PASSWORD, &cl).await.unwrap().actor;
            generate(&db, b, rows, claire.organisation.id.0, to_micros(app.now())).await;

            println!("  {b:?}: the viewer (App::read_traces, 50 per page, the reading traced each time), 15 runs each");
            let f = |v: TraceFilter| v;
            let cases: Vec<(&str, &Actor, TraceFilter)> = vec![
                ("partner admin, no filter, first page", &claire, f(TraceFilter::default())),
                ("partner admin, one person", &claire, f(TraceFilter { person: "agent7".into(), ..Default::default() })),
                ("partner admin, one day four months ago", &claire, f(TraceFilter { from: "2026-07-27".into(), to: "2026-07-27".into(), ..Default::default() })),
                ("partner admin, action prefix grant.", &claire, f(TraceFilter { action: "grant.".into(), ..Default::default() })),
                ("partner admin, refusals only", &claire, f(TraceFilter { outcome: "refused".into(), ..Default::default() })),
                ("partner admin, a page in the middle (cursor)", &claire, f(TraceFilter { after: format!("{}.ffffffff-ffff-ffff-ffff-ffffffffffff", to_micros(datetime!(2026-05-15 12:00 UTC))), ..Default::default() })),
                ("partner admin, one person over one month", &claire, f(TraceFilter { person: "agent7".into(), from: "2026-03-01".into(), to: "2026-03-31".into(), ..Default::default() })),
                ("trace auditor, no filter, first page", &auditor, f(TraceFilter::default())),
                ("trace auditor, one person across chains", &auditor, f(TraceFilter { person: "agent7".into(), ..Default::default() })),
            ];
            for (label, who, filter) in cases {
                time_it(label, 15, async || app.read_traces(who, &filter, 50, &cl).await.unwrap().records.len()).await;
            }
            time_it("partner admin, export one month (CSV rows)", 3, async || {
                app.export_traces(&claire, &TraceFilter { from: "2026-03-01".into(), to: "2026-03-31".into(), ..Default::default() }, "csv", &cl).await.unwrap().len()
            })
            .await;

            // The purge of the six oldest months, with appends measured meanwhile.
            let key = CheckpointKey::generate();
            let dry = app.purge(&RetentionPolicy::default(), &key, true, &|_, _| {}).await.unwrap();
            let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let (s2, db2, app2) = (stop.clone(), db.clone(), app.clone());
            let appender = tokio::spawn(async move {
                let mut lat = Vec::new();
                while !s2.load(std::sync::atomic::Ordering::Relaxed) {
                    let t = Instant::now();
                    let mut tx = db2.begin().await.unwrap();
                    let mut e = TraceEntry::new(app2.now(), "bench.append", Outcome::Success, &ClientInfo::default());
                    e.organisation_id = Some(habilis_core::records::OrganisationId::new());
                    tx.append_trace(&e).await.unwrap();
                    tx.commit().await.unwrap();
                    lat.push(t.elapsed());
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                lat
            });
            let t = Instant::now();
            let done = app.purge(&RetentionPolicy::default(), &key, false, &|_, _| {}).await.unwrap();
            let secs = t.elapsed().as_secs_f64();
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            let mut lat = appender.await.unwrap();
            lat.sort();
            println!(
                "  {b:?}: purge of traces older than 6 months: {} records (dry run said {}) from {} chains, {} whole monthly partitions dropped, in {secs:.1} s",
                done.traces, dry.traces, done.chains, done.partitions_dropped
            );
            if !lat.is_empty() {
                println!(
                    "  {b:?}: {} trace appends during the purge: median {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                    lat.len(),
                    ms(lat[lat.len() / 2]),
                    ms(lat[(lat.len() * 99 / 100).min(lat.len() - 1)]),
                    ms(*lat.last().unwrap())
                );
            }
            time_it("after the purge: partner admin, no filter, first page", 5, async || app.read_traces(&claire, &TraceFilter::default(), 50, &cl).await.unwrap().records.len()).await;
            drop(app);
            habilis_store::testing::discard(db).await.unwrap();
        }
    });
}
