//! Cost of one Argon2id hash with the production parameters (m=19 MiB, t=2, p=1), and the
//! verification throughput of the bounded hasher with one permit per core.
//! Run: `cargo bench -p habilis-core --bench password_hash`

use std::time::Instant;

// The server's allocator (crates/server/src/main.rs), so that the ceiling is the one it meets.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use habilis_core::password::{HashingParams, PasswordHasher};

fn main() {
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

        // Many at once through the semaphore: the ceiling on sign-ins per second.
        let n = 60;
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..n {
            let h = hasher.clone();
            let p = phc.clone();
            tasks.push(tokio::spawn(async move { h.verify("Tournesol-Bleu-42-Lille", Some(&p)).await }));
        }
        for t in tasks {
            assert!(t.await.unwrap().unwrap());
        }
        let secs = start.elapsed().as_secs_f64();
        println!("argon2id verify, {n} concurrent on {cores} permits: {:.1} hashes/s", f64::from(n) / secs);
    });
}
