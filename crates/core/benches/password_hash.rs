//! Cost of one Argon2id hash with the production parameters (m=19 MiB, t=2, p=1), and the
//! verification throughput of the bounded hasher with one permit per core.
//! Run: `cargo bench -p habilis-core --bench password_hash`

use std::time::Instant;

// The server's allocator (crates/server/src/main.rs), so that the ceiling is the one it meets.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use habilis_core::password::{HashingParams, PasswordHasher};

fn main() {
    habilis_core::password::small_pages_only();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let hasher = PasswordHasher::new(HashingParams::default(), cores).unwrap();
    rt.block_on(async {
        let phc = hasher.hash("Tournesol-Bleu-42-Lille").await.unwrap();
        // Warm up, then time sequential hashes: the latency one sign-in pays.
        let _ = hasher.verify("Tournesol-Bleu-42-Lille", Some(&phc)).await;
        let n = 30;
        let start = Instant::now();
        for _ in 0..n {
            assert!(hasher.verify("Tournesol-Bleu-42-Lille", Some(&phc)).await.unwrap());
        }
        let one = start.elapsed().as_secs_f64() / f64::from(n);
        println!("argon2id verify, one at a time: {:.1} ms per hash", one * 1000.0);

        // Many at once through the bounded hasher, for as long as a login burst lasts
        // (CEILING_SECONDS, 10 by default): the ceiling on sign-ins per second. A short
        // measure swings with the machine's moment; bench/signed_in.sh runs this one right
        // before each burst, so both meet the same machine.
        let seconds: f64 = std::env::var("CEILING_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(10.0);
        let until = Instant::now() + std::time::Duration::from_secs_f64(seconds);
        let start = Instant::now();
        let mut tasks = Vec::new();
        // Sixteen callers, as the burst's wrk connections.
        for _ in 0..16 {
            let h = hasher.clone();
            let p = phc.clone();
            tasks.push(tokio::spawn(async move {
                let mut done = 0u32;
                while Instant::now() < until {
                    assert!(h.verify("Tournesol-Bleu-42-Lille", Some(&p)).await.unwrap());
                    done += 1;
                }
                done
            }));
        }
        let mut n = 0u32;
        for t in tasks {
            n += t.await.unwrap();
        }
        let secs = start.elapsed().as_secs_f64();
        println!("argon2id verify, 16 callers on {cores} permits for {secs:.1} s: {:.1} hashes/s", f64::from(n) / secs);
    });
}
