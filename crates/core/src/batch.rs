//! Group commit for traces that stand alone — a use of a service refused, and later the
//! reads of issue 14 — so that tracing does not cost one transaction per request: entries
//! that arrive while the previous batch is written are appended in one transaction (in
//! order, a few statements per chain: `TrailTx::append_traces`), each chain
//! sealed as usual; every sender waits until its batch is durable (nothing is answered
//! before its trace is written). A change never goes through here: it keeps its trace in
//! its own transaction.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{OnceCell, mpsc, oneshot};

use crate::error::{Error, Result};
use crate::store::*;
use crate::trace::TraceEntry;

type Job = (TraceEntry, oneshot::Sender<std::result::Result<(), String>>);

/// The most entries in one transaction.
const BATCH: usize = 512;

/// The batcher of one process (shared by its `App` clones).
#[derive(Debug, Default)]
pub struct TraceBatcher {
    sender: OnceCell<mpsc::Sender<Job>>,
    waits: Arc<WaitHistogram>,
}

/// Upper bounds, in seconds, of the buckets of [`WaitHistogram`] (the last one is +Inf).
pub const WAIT_BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

/// How long the requests waited for their trace to be durable (from the call to the answer),
/// and how many batches carried them: what `/metrics` shows operators of the trail's health
/// (issue 14). Atomics only, so the count costs no lock on the request's path.
#[derive(Debug, Default)]
pub struct WaitHistogram {
    /// Counts per bucket of [`WAIT_BUCKETS`] (above the previous bound, at most this one),
    /// then above the last: one count per wait (made cumulative when read).
    buckets: [AtomicU64; WAIT_BUCKETS.len() + 1],
    sum_micros: AtomicU64,
    batches: AtomicU64,
}

/// A copy of the figures, for the exposition.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitFigures {
    /// Cumulative counts: `buckets[i]` waits lasted at most `WAIT_BUCKETS[i]`; the last is the total.
    pub buckets: Vec<u64>,
    /// The sum of the waits, in seconds.
    pub sum_seconds: f64,
    /// The transactions (batches) that carried them.
    pub batches: u64,
}

impl WaitHistogram {
    /// Two atomic additions: every signed-in read passes here.
    fn record(&self, wait: Duration) {
        let secs = wait.as_secs_f64();
        let i = WAIT_BUCKETS.iter().position(|bound| secs <= *bound).unwrap_or(WAIT_BUCKETS.len());
        if let Some(bucket) = self.buckets.get(i) {
            bucket.fetch_add(1, Ordering::Relaxed);
        }
        self.sum_micros.fetch_add(u64::try_from(wait.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// The figures so far.
    pub fn figures(&self) -> WaitFigures {
        WaitFigures {
            buckets: self
                .buckets
                .iter()
                .scan(0u64, |total, b| {
                    *total += b.load(Ordering::Relaxed);
                    Some(*total)
                })
                .collect(),
            sum_seconds: self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6,
            batches: self.batches.load(Ordering::Relaxed),
        }
    }
}

impl TraceBatcher {
    /// A new batcher; its writer starts with the first entry.
    pub fn shared() -> Arc<TraceBatcher> {
        Arc::new(TraceBatcher::default())
    }

    /// Append `entry` with whatever else is being appended now; returns once it is
    /// committed.
    pub async fn append<S: Store>(&self, store: &S, entry: TraceEntry) -> Result<()> {
        let started = Instant::now();
        let sender = self
            .sender
            .get_or_init(|| async {
                let (tx, rx) = mpsc::channel::<Job>(4096);
                tokio::spawn(write_batches(store.clone(), rx, self.waits.clone()));
                tx
            })
            .await;
        let (done, wait) = oneshot::channel();
        sender.send((entry, done)).await.map_err(|_| Error::Internal("trace writer stopped".into()))?;
        let answer = match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Error::Internal(e)),
            Err(_) => Err(Error::Internal("trace writer stopped".into())),
        };
        if answer.is_ok() {
            self.waits.record(started.elapsed());
        }
        answer
    }

    /// How long requests waited for their trace to be durable, so far.
    pub fn waits(&self) -> WaitFigures {
        self.waits.figures()
    }
}

async fn write_batches<S: Store>(store: S, mut rx: mpsc::Receiver<Job>, waits: Arc<WaitHistogram>) {
    while let Some(first) = rx.recv().await {
        // What arrived while the previous batch was being written goes together: under
        // load batches fill by themselves, and an entry alone is written at once.
        let mut jobs = vec![first];
        while jobs.len() < BATCH {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let (entries, waiting): (Vec<TraceEntry>, Vec<_>) = jobs.into_iter().unzip();
        let answer = store.append_trace_batch(&entries).await.map_err(|e| e.to_string());
        waits.batches.fetch_add(1, Ordering::Relaxed);
        for done in waiting {
            let _ = done.send(answer.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_counted_in_cumulative_buckets() {
        let h = WaitHistogram::default();
        h.record(Duration::from_micros(500));
        h.record(Duration::from_millis(20));
        h.record(Duration::from_secs(3));
        let f = h.figures();
        // ≤ 1 ms: one; ≤ 25 ms: two; ≤ 1 s: two; +Inf: three.
        assert_eq!(f.buckets, vec![1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3]);
        assert!((f.sum_seconds - 3.0205).abs() < 1e-9, "{}", f.sum_seconds);
        assert_eq!(f.batches, 0);
    }
}
