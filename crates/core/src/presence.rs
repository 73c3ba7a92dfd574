//! Signed-in people from memory (issue 14): the sessions this process has recently
//! validated, with the person and organisation behind each, so that a signed-in request
//! does not read the database.
//!
//! Coherence: an entry remembers the store's `identity_epoch` read *before* the database
//! was read for it, and is used only while the epoch still has that value. Every write
//! transaction not marked `quiet` changes the epoch when it commits — here at once, and on
//! other instances through PostgreSQL `NOTIFY` (milliseconds) — so a sign-out, a password
//! change, a suspension, a forced change or a withdrawn role is seen by the next request.
//! The only transactions marked quiet write traces, idle-time touches, uses of grants and
//! service tokens. An entry older than `MAX_AGE` is read again anyway (a notification lost
//! while PostgreSQL reconnects cannot keep a session alive longer than that).
//!
//! Idle-time touches are kept here and written every second in one quiet transaction; the
//! idle limit is computed from the later of the database's value and this process's.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use crate::records::{Actor, SessionId};
use crate::store::*;

/// The longest an entry is trusted without reading the database.
const MAX_AGE: Duration = Duration::from_secs(10);
/// Beyond this many sessions the cache starts again empty (a bound on memory).
const MAX_ENTRIES: usize = 100_000;
/// How often idle-time touches are written.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

struct Cached {
    actor: Actor,
    epoch: u64,
    loaded: Instant,
}

/// The cache of one process (shared by its `App` clones).
#[derive(Default)]
pub struct Presence {
    entries: RwLock<HashMap<Vec<u8>, Cached>>,
    touches: Mutex<HashMap<SessionId, OffsetDateTime>>,
    flusher: OnceLock<()>,
}

impl std::fmt::Debug for Presence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Presence").field("entries", &self.entries.read().map(|e| e.len()).unwrap_or(0)).finish()
    }
}

impl Presence {
    /// A new, empty cache.
    pub fn shared() -> Arc<Presence> {
        Arc::new(Presence::default())
    }

    /// The actor of the session whose token has `digest`, if it was read while the store's
    /// identity epoch was `epoch` and not long ago; its `last_seen_at` is this process's
    /// latest touch when that is later.
    pub fn get(&self, digest: &[u8], epoch: u64) -> Option<Actor> {
        let mut actor = {
            let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
            let c = entries.get(digest)?;
            if c.epoch != epoch || c.loaded.elapsed() > MAX_AGE {
                return None;
            }
            c.actor.clone()
        };
        self.later_touch(&mut actor);
        Some(actor)
    }

    /// Remember `actor`, read from the database after the epoch was `epoch`.
    pub fn put(&self, digest: Vec<u8>, actor: &Actor, epoch: u64) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(digest, Cached { actor: actor.clone(), epoch, loaded: Instant::now() });
    }

    /// Forget the session whose token has `digest` (it ended).
    pub fn forget(&self, digest: &[u8]) {
        self.entries.write().unwrap_or_else(|e| e.into_inner()).remove(digest);
    }

    /// Make `actor.session.last_seen_at` the later of its value and this process's touch.
    pub fn later_touch(&self, actor: &mut Actor) {
        actor.session.last_seen_at = self.last_activity(&actor.session);
    }

    /// The later of `session`'s last activity in the database and this process's touch.
    pub fn last_activity(&self, session: &crate::records::Session) -> OffsetDateTime {
        match self.touches.lock().unwrap_or_else(|e| e.into_inner()).get(&session.id) {
            Some(at) if *at > session.last_seen_at => *at,
            _ => session.last_seen_at,
        }
    }

    /// Note activity on a session at `at`; written within a second by the flusher, which
    /// starts with the first touch.
    pub fn touch<S: Store>(self: &Arc<Self>, store: &S, session: SessionId, at: OffsetDateTime) {
        {
            let mut touches = self.touches.lock().unwrap_or_else(|e| e.into_inner());
            let e = touches.entry(session).or_insert(at);
            if *e < at {
                *e = at;
            }
        }
        self.flusher.get_or_init(|| {
            let (presence, store) = (Arc::downgrade(self), store.clone());
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(FLUSH_EVERY);
                loop {
                    tick.tick().await;
                    let Some(presence) = presence.upgrade() else { break };
                    if let Err(e) = presence.flush(&store).await {
                        tracing::warn!(error = %e, "writing the sessions' last activity failed");
                    }
                }
            });
        });
    }

    /// Write the pending touches in one quiet transaction; returns how many sessions.
    /// A touch stays in memory (for the idle check) until a later flush finds it written.
    pub async fn flush<S: Store>(&self, store: &S) -> crate::error::Result<usize> {
        let mut batch: Vec<(SessionId, OffsetDateTime)> =
            self.touches.lock().unwrap_or_else(|e| e.into_inner()).iter().map(|(s, at)| (*s, *at)).collect();
        // In the sessions' order: two instances' flushes lock their rows in the same order.
        batch.sort_unstable_by_key(|(s, _)| s.0);
        if batch.is_empty() {
            return Ok(0);
        }
        let mut tx = store.begin().await?;
        tx.quiet();
        tx.touch_sessions(&batch).await?;
        tx.commit().await?;
        // What was written is the database's now; a later touch stays pending.
        let mut touches = self.touches.lock().unwrap_or_else(|e| e.into_inner());
        for (session, at) in &batch {
            if touches.get(session) == Some(at) {
                touches.remove(session);
            }
        }
        Ok(batch.len())
    }
}
