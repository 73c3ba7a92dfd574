//! Group commit for traces that stand alone — a use of a service refused, and later the
//! reads of issue 14 — so that tracing does not cost one transaction per request: entries
//! that arrive while the previous batch is written are appended in one transaction (in
//! order, a few statements per chain: `TrailTx::append_traces`), each chain
//! sealed as usual; every sender waits until its batch is durable (nothing is answered
//! before its trace is written). A change never goes through here: it keeps its trace in
//! its own transaction.

use std::sync::Arc;

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
}

impl TraceBatcher {
    /// A new batcher; its writer starts with the first entry.
    pub fn shared() -> Arc<TraceBatcher> {
        Arc::new(TraceBatcher::default())
    }

    /// Append `entry` with whatever else is being appended now; returns once it is
    /// committed.
    pub async fn append<S: Store>(&self, store: &S, entry: TraceEntry) -> Result<()> {
        let sender = self
            .sender
            .get_or_init(|| async {
                let (tx, rx) = mpsc::channel::<Job>(4096);
                tokio::spawn(write_batches(store.clone(), rx));
                tx
            })
            .await;
        let (done, wait) = oneshot::channel();
        sender.send((entry, done)).await.map_err(|_| Error::Internal("trace writer stopped".into()))?;
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Error::Internal(e)),
            Err(_) => Err(Error::Internal("trace writer stopped".into())),
        }
    }
}

async fn write_batches<S: Store>(store: S, mut rx: mpsc::Receiver<Job>) {
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
        for done in waiting {
            let _ = done.send(answer.clone());
        }
    }
}
