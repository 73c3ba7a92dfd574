//! Cost of the watch for atypical use per trace (issue 15): one consultation or sign-in
//! shown to a watch that knows 10,000 people with 30 days of history each.
//! Run: `cargo bench -p habilis-core --bench watch`

use std::time::Instant;

// The server's allocator (crates/server/src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use habilis_core::records::{AccountId, AlertRules, OrganisationId};
use habilis_core::watch::{Observation, Seen, Watch};
use time::{Duration, macros::datetime};
use uuid::Uuid;

fn main() {
    let w = Watch::default();
    let rules = AlertRules::default();
    let org = OrganisationId::new();
    let people: Vec<AccountId> = (0..10_000).map(|_| AccountId::new()).collect();
    let now = datetime!(2026-12-01 09:00 UTC);
    let t = Instant::now();
    for (i, p) in people.iter().enumerate() {
        for d in 1..=30 {
            w.seed_consultations(*p, now - Duration::days(d), 20 + (i % 50) as u32, 30);
        }
        w.seed_sign_in(*p, org, now - Duration::days(20), Some(&format!("10.{}.{}.7", i % 200, i % 7)));
    }
    println!("seeding 10,000 people × 30 days: {:.0} ms", t.elapsed().as_secs_f64() * 1e3);

    let n = 2_000_000u32;
    let t = Instant::now();
    let mut raised = 0usize;
    for i in 0..n {
        let p = people[(i as usize * 7919) % people.len()];
        let o = Observation { account: p, organisation: org, caisse: org, at: now + Duration::milliseconds(i64::from(i)), trace: Uuid::nil(), seen: Seen::Consultation };
        raised += w.observe(&rules, &o).len();
    }
    let per = t.elapsed().as_secs_f64() * 1e9 / f64::from(n);
    println!("consultation: {per:.0} ns per trace ({raised} alerts raised over {n} traces)");

    let n = 200_000u32;
    let t = Instant::now();
    for i in 0..n {
        let p = people[(i as usize * 7919) % people.len()];
        let seen = Seen::SignIn { network: Some(format!("10.{}.{}.0/24", i % 200, i % 7)), previous: Some(now - Duration::days(1)) };
        let o = Observation { account: p, organisation: org, caisse: org, at: now + Duration::milliseconds(i64::from(i)), trace: Uuid::nil(), seen };
        std::hint::black_box(w.observe(&rules, &o));
    }
    println!("sign-in: {:.0} ns per trace", t.elapsed().as_secs_f64() * 1e9 / f64::from(n));
}
