//! Storage for Habilis on SQLite (the embedded default) and PostgreSQL (production),
//! behind the core's [`Store`] and [`Transaction`] traits.
//!
//! One set of SQL text serves both databases (`$1` parameters, `RETURNING`,
//! `ON CONFLICT` work in both); instants are stored as microseconds since the epoch and
//! identifiers as UUIDs, which both backends decode to the same Rust types. The only
//! backend branches in the product are the `match` arms of this crate.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

mod append;
mod rows;
mod schema;
pub mod testing;
mod trail;
mod tx;

use std::str::FromStr;
use std::time::Duration;

use habilis_core::StoreError;
use habilis_core::store::{ChainHead, Store, StoreResult};
use habilis_core::trace::{TraceKey, TraceRecord};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use uuid::Uuid;

pub use schema::{Check, Column, ForeignKey, Index, Schema, Table, TypeFamily};
pub use tx::Tx;
use tx::Inner;

/// How long a PostgreSQL connection may sit idle in the pool before its next use tests it
/// with a round trip: one used this recently has just answered.
const PG_IDLE_BEFORE_TEST: Duration = Duration::from_secs(1);

/// A PostgreSQL pool whose connections are tested with a round trip only when they sat idle
/// (where a restart of the server goes unseen), not at every use: under load that was one
/// exchange more per transaction (DECISIONS, "A PostgreSQL connection is tested when it sat
/// idle"). A connection that fails the test is closed, and a new one opened.
fn pg_tested_when_idle(options: PgPoolOptions) -> PgPoolOptions {
    options.test_before_acquire(false).before_acquire(|conn, meta| {
        Box::pin(async move {
            if meta.idle_for >= PG_IDLE_BEFORE_TEST {
                sqlx::Connection::ping(conn).await?;
            }
            Ok(true)
        })
    })
}

/// Which database a URL points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database, shared by every request (cheap to clone).
#[derive(Clone, Debug)]
pub struct Db {
    pool: Pool,
    key: TraceKey,
    changes: Changes,
    /// SQLite has one writer at a time: this process's write transactions wait their turn
    /// here, in order, rather than in SQLite's busy handler (which sleeps and retries).
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// SQLite: the one connection write transactions use, so that its page cache is not
    /// made stale by another connection's writes at every batch (reads use `pool`).
    writes: Option<SqlitePool>,
    /// PostgreSQL: the trail writer's own connection (no test before each use: the
    /// writer is the only user and an error closes it), and the heads it left.
    trail_writer: Option<PgPool>,
    heads: append::Heads,
}

/// Where committed changes of rights are announced (the in-memory view listens).
#[derive(Clone, Debug)]
pub(crate) struct Changes {
    pub(crate) sender: tokio::sync::broadcast::Sender<habilis_core::store::RightsChange>,
    pub(crate) version: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Bumped by every commit that may change who is signed in (see `Store::identity_epoch`).
    pub(crate) identity: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// This handle's name in `habilis_identity` notifications, so that it ignores its own
    /// (its commits have bumped `identity` already).
    pub(crate) instance: std::sync::Arc<str>,
    listening: std::sync::Arc<tokio::sync::OnceCell<()>>,
}

impl Changes {
    fn new() -> Self {
        Changes {
            sender: tokio::sync::broadcast::channel(4096).0,
            version: Default::default(),
            identity: Default::default(),
            instance: uuid::Uuid::now_v7().to_string().into(),
            listening: Default::default(),
        }
    }
}

#[derive(Clone, Debug)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Turn a database error into the core's vocabulary.
pub(crate) fn map_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) => {
            let is_constraint = db.is_unique_violation() || db.is_foreign_key_violation() || db.is_check_violation();
            if is_constraint {
                StoreError::Conflict(db.constraint().map(str::to_string).unwrap_or_else(|| db.message().to_string()))
            } else {
                StoreError::Unavailable(db.message().to_string())
            }
        }
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) | sqlx::Error::ColumnNotFound(_) => {
            StoreError::Corrupt(e.to_string())
        }
        _ => StoreError::Unavailable(e.to_string()),
    }
}

impl Backend {
    /// The backend a URL names, if any.
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// Prepared statements each connection keeps (sqlx's default is 100). A batch's statement
/// has a text per size of batch (`VALUES (…), (…)`, `IN (…)`): the renewals alone use well
/// over 100 at c=64 (rotation, sessions read, traces), so with 100 they were evicted and
/// prepared again in most batches (`sqlite3Prepare` ~3 % of the server's CPU under
/// `bench/token.sh`).
const STATEMENTS_KEPT: usize = 512;

/// SQLite's reading connections read pages with `pread`, not through a mapping of the file:
/// a read that follows another connection's commit (nearly every read, under writes) makes
/// SQLite drop its whole mapping (`munmap`, which interrupts the other cores to flush their
/// TLB), map it again and fault each page it reads back in.
fn reading(opts: SqliteConnectOptions) -> SqliteConnectOptions {
    opts.pragma("mmap_size", "0")
}

/// SQLite's writing connection. Nobody else writes, so its mapping of the file stays: it
/// reads pages through it, without a copy. It does not copy the log back into the file at
/// its commits (SQLite's automatic checkpoint, with its fsync): a task does it every second
/// from a reading connection, beside the writes.
fn writing(opts: SqliteConnectOptions) -> SqliteConnectOptions {
    opts.pragma("mmap_size", "268435456").pragma("wal_autocheckpoint", "0")
}

impl Db {
    /// Connect to `url` (`sqlite://path` or `postgres://…`); the trail is sealed with `key`.
    /// SQLite files are created if missing and run in WAL mode.
    pub async fn connect(url: &str, key: TraceKey, max_connections: u32) -> StoreResult<Db> {
        let mut writes = None;
        let pool = match Backend::of_url(url) {
            Some(Backend::Sqlite) => {
                let opts = SqliteConnectOptions::from_str(url)
                    .map_err(map_err)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(15))
                    // After a checkpoint resets the log, the -wal file shrinks back to this.
                    .pragma("journal_size_limit", "67108864")
                    .statement_cache_capacity(STATEMENTS_KEPT);
                let pool = Self::sqlite_pool(reading(opts.clone()), max_connections.max(2)).await?;
                writes = Some(Self::sqlite_pool(writing(opts), 1).await?);
                tokio::spawn(checkpoint_every_second(pool.clone()));
                Pool::Sqlite(pool)
            }
            Some(Backend::Postgres) => {
                let opts = PgConnectOptions::from_str(url).map_err(map_err)?;
                Pool::Postgres(Self::pg_pool(opts, max_connections).await?)
            }
            None => {
                return Err(StoreError::Unavailable(format!(
                    "unsupported database URL (expected sqlite://… or postgres://…): {}",
                    redact(url)
                )));
            }
        };
        Ok(Db::assemble(pool, key, writes))
    }

    fn assemble(pool: Pool, key: TraceKey, writes: Option<SqlitePool>) -> Db {
        let trail_writer = match &pool {
            // Tested only when idle, like the pool's: a busy writer is never tested.
            Pool::Postgres(p) => Some(
                pg_tested_when_idle(PgPoolOptions::new().max_connections(1).acquire_timeout(Duration::from_secs(10)))
                    .connect_lazy_with((*p.connect_options()).clone()),
            ),
            Pool::Sqlite(_) => None,
        };
        Db { pool, key, changes: Changes::new(), writer: Default::default(), writes, trail_writer, heads: Default::default() }
    }

    async fn sqlite_pool(opts: SqliteConnectOptions, max_connections: u32) -> StoreResult<SqlitePool> {
        // A local file needs no test before each use (one round trip to its thread less).
        SqlitePoolOptions::new()
            .max_connections(max_connections)
            .test_before_acquire(false)
            .connect_with(opts)
            .await
            .map_err(map_err)
    }

    pub(crate) async fn pg_pool(opts: PgConnectOptions, max_connections: u32) -> StoreResult<PgPool> {
        pg_tested_when_idle(PgPoolOptions::new().max_connections(max_connections.max(2)).acquire_timeout(Duration::from_secs(10)))
            .connect_with(opts.statement_cache_capacity(STATEMENTS_KEPT))
            .await
            .map_err(map_err)
    }

    pub(crate) fn from_pg(pool: PgPool, key: TraceKey) -> Db {
        Db::assemble(Pool::Postgres(pool), key, None)
    }

    /// A second handle on the same database with its own connections and its own
    /// announcements of changes, as another instance of the portal would have (tests of
    /// coherence between instances).
    pub async fn another_instance(&self) -> StoreResult<Db> {
        let mut writes = None;
        let pool = match &self.pool {
            Pool::Sqlite(p) => {
                writes = Some(Self::sqlite_pool(writing((*p.connect_options()).clone()), 1).await?);
                Pool::Sqlite(Self::sqlite_pool((*p.connect_options()).clone(), 4).await?)
            }
            Pool::Postgres(p) => Pool::Postgres(Self::pg_pool((*p.connect_options()).clone(), 4).await?),
        };
        Ok(Db::assemble(pool, self.key.clone(), writes))
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// How many of this process's transactions found a trace's chain moved on by another
    /// writer (at the commit, or when writing it before another statement) and sealed it
    /// again after the database's head (counted on PostgreSQL, where each costs a few round
    /// trips under the head's lock).
    pub fn stale_trace_commits(&self) -> u64 {
        self.heads.stale_commits()
    }

    /// How many of the trace writer's batches found their chain moved on since this process
    /// last wrote it and were written again under the head's lock (PostgreSQL).
    pub fn stale_trace_batches(&self) -> u64 {
        self.heads.stale_batches()
    }

    /// Apply the pending migrations of this backend.
    pub async fn migrate(&self) -> StoreResult<()> {
        let r = match &self.pool {
            Pool::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await,
            Pool::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await,
        };
        r.map_err(|e| StoreError::Unavailable(format!("migration failed: {e}")))
    }

    /// Close every connection.
    pub async fn close(&self) {
        if let Some(w) = &self.writes {
            w.close().await;
        }
        if let Some(w) = &self.trail_writer {
            w.close().await;
        }
        match &self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }

    /// Run one SQL statement with no parameters, outside the domain (for tests that tamper
    /// with the trail, and for operators' maintenance).
    pub async fn execute_raw(&self, sql: &str) -> StoreResult<u64> {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        let r = match &self.pool {
            Pool::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(|r| r.rows_affected()),
            Pool::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(|r| r.rows_affected()),
        };
        // Whatever it changed, sessions are read again.
        self.changes.identity.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        r.map_err(map_err)
    }
}

/// Whether this build writes no trace (`--features untraced`, bench builds only).
pub const UNTRACED: bool = cfg!(feature = "untraced");

/// A URL with its password hidden, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = url.get(s + 3..at).unwrap_or("");
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", url.get(..s + 3).unwrap_or(""), url.get(at..).unwrap_or("")),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Db {
    /// Start listening to other instances' notices (once per process; PostgreSQL only).
    async fn start_listening(&self) -> StoreResult<()> {
        let Pool::Postgres(pool) = &self.pool else {
            return Ok(());
        };
        let pool = pool.clone();
        let sender = self.changes.sender.clone();
        let identity = self.changes.identity.clone();
        let instance = self.changes.instance.clone();
        let bump = move || identity.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        self.changes
            .listening
            .get_or_try_init(|| async move {
                // Notices carry the schema they come from: only this installation's count.
                let schema: String = sqlx::query_scalar("SELECT current_schema()").fetch_one(&pool).await.map_err(map_err)?;
                let prefix = format!("{schema} ");
                let mut listener = sqlx::postgres::PgListener::connect_with(&pool).await.map_err(map_err)?;
                listener.listen_all(["habilis_rights", "habilis_identity"]).await.map_err(map_err)?;
                tokio::spawn(async move {
                    loop {
                        // This schema's notices, and the bare ones of an instance of the
                        // previous release during an upgrade (an instance id or an
                        // organisation id: no space); another schema's are not ours.
                        let ours = |payload: &str| -> Option<String> {
                            payload.strip_prefix(&prefix).map(str::to_string).or_else(|| (!payload.contains(' ')).then(|| payload.to_string()))
                        };
                        match listener.recv().await {
                            Ok(n) if ours(n.payload()).is_none() => {}
                            Ok(n) if n.channel() == "habilis_identity" => {
                                if ours(n.payload()).is_none_or(|who| who != *instance) {
                                    bump();
                                }
                            }
                            Ok(n) => {
                                let payload = ours(n.payload()).unwrap_or_default();
                                let organisation = uuid::Uuid::parse_str(&payload).ok().map(habilis_core::records::OrganisationId);
                                let _ = sender.send(habilis_core::store::RightsChange { organisation, everything: false, version: 0 });
                            }
                            // The store was closed (the server is stopping): nothing
                            // more to hear, and nothing to warn about.
                            Err(_) if pool.is_closed() => break,
                            Err(e) => {
                                // The listener reconnects by itself; meanwhile, rebuild everything.
                                tracing::warn!(error = %e, "rights notifications interrupted");
                                let _ = sender.send(habilis_core::store::RightsChange { organisation: None, everything: true, version: 0 });
                                // Sessions cached before or during the gap are read again.
                                bump();
                                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                                bump();
                            }
                        }
                    }
                });
                Ok::<(), StoreError>(())
            })
            .await?;
        Ok(())
    }
}

impl Store for Db {
    type Tx = Tx;

    fn rights_changes(&self) -> tokio::sync::broadcast::Receiver<habilis_core::store::RightsChange> {
        self.changes.sender.subscribe()
    }

    fn rights_version(&self) -> u64 {
        self.changes.version.load(std::sync::atomic::Ordering::Acquire)
    }

    async fn signed_in(&self, token_hash: &[u8]) -> StoreResult<Option<(habilis_core::records::Session, habilis_core::records::Account, habilis_core::records::Organisation)>> {
        // One statement, outside any transaction: its own snapshot, one exchange (a read
        // transaction of the four reads cost six on PostgreSQL: BEGIN, four, ROLLBACK).
        const Q: &str = rows::SignedInRow::QUERY;
        let row: Option<rows::SignedInRow> = match &self.pool {
            Pool::Sqlite(p) => sqlx::query_as(Q).bind(token_hash).fetch_optional(p).await,
            Pool::Postgres(p) => sqlx::query_as(Q).bind(token_hash).fetch_optional(p).await,
        }
        .map_err(map_err)?;
        row.map(rows::SignedInRow::into_domain).transpose()
    }

    async fn sign_in_state(&self, key: &str, login: Option<&str>) -> StoreResult<(Option<habilis_core::records::LoginThrottle>, Option<habilis_core::records::Account>)> {
        // One statement outside any transaction (a transaction of the two reads and the
        // row's lock cost five exchanges on PostgreSQL with the save and the commit).
        const Q: &str = rows::SignInStateRow::QUERY;
        let row: rows::SignInStateRow = match &self.pool {
            Pool::Sqlite(p) => sqlx::query_as(Q).bind(key).bind(login).fetch_one(p).await,
            Pool::Postgres(p) => sqlx::query_as(Q).bind(key).bind(login).fetch_one(p).await,
        }
        .map_err(map_err)?;
        row.into_domain()
    }

    async fn swap_throttle(&self, key: &str, was: Option<&habilis_core::records::LoginThrottle>, now: &habilis_core::records::LoginThrottle) -> StoreResult<bool> {
        match &self.pool {
            // One statement in its own transaction (committed without waiting for the disk).
            Pool::Postgres(p) => {
                let q = tx::sessions::swap_throttle_sql(was, true);
                let n = tx::sessions::bind_swap_throttle!(sqlx::query(q), key, was, now)
                    .execute(p)
                    .await
                    .map(|r| r.rows_affected())
                    .map_err(map_err)?;
                Ok(n == 1)
            }
            // On the writer, in this process's turn (no busy handler's sleeps): the statement
            // alone, its own transaction (one exchange with the writer's thread instead of
            // `BEGIN IMMEDIATE`, the statement and `COMMIT`: issue 14, the sign-in's cost).
            Pool::Sqlite(r) => {
                let _turn = self.writer.lock().await;
                let mut conn = self.writes.as_ref().unwrap_or(r).acquire().await.map_err(map_err)?;
                let q = tx::sessions::swap_throttle_sql(was, false);
                let n = tx::sessions::bind_swap_throttle!(sqlx::query(q), key, was, now)
                    .execute(&mut *conn)
                    .await
                    .map(|r| r.rows_affected())
                    .map_err(map_err)?;
                Ok(n == 1)
            }
        }
    }

    fn identity_epoch(&self) -> u64 {
        self.changes.identity.load(std::sync::atomic::Ordering::Acquire)
    }

    async fn listen_to_other_instances(&self) -> StoreResult<()> {
        // Every signed-in request asks: the answer once listening is kept small (the start,
        // a connection and its task, is a large future, boxed).
        match &self.pool {
            Pool::Postgres(_) if !self.changes.listening.initialized() => Box::pin(self.start_listening()).await,
            _ => Ok(()),
        }
    }

    async fn begin(&self) -> StoreResult<Tx> {
        let inner = match (&self.pool, &self.writes) {
            (Pool::Sqlite(_), Some(w)) | (Pool::Sqlite(w), None) => {
                // This process's writers queue here in order, without SQLite's busy sleeps.
                let turn = self.writer.clone().lock_owned().await;
                let conn = w.acquire().await.map_err(map_err)?;
                tx::Writing::begin(conn, Some(turn), "BEGIN IMMEDIATE").await.map(|w| Inner::Sqlite(tx::Lite::Write(w)))
            }
            (Pool::Postgres(p), _) => match p.acquire().await {
                Ok(conn) => tx::Writing::begin(conn, None, "BEGIN").await.map(|w| Inner::Postgres(tx::Side::Write(w))),
                Err(e) => Err(e),
            },
        }
        .map_err(map_err)?;
        Ok(Tx { inner, key: self.key.clone(), touched: Vec::new(), changes: self.changes.clone(), writes: true, quiet: false, unsynced: false, traced: false, heads: self.heads.clone(), deferred: None })
    }

    async fn read(&self) -> StoreResult<Tx> {
        match &self.pool {
            Pool::Sqlite(p) => p.begin().await.map(|t| Inner::Sqlite(tx::Lite::Read(t))),
            // Reads are sqlx's own: dropped without a commit (most are), their rollback goes
            // with the connection's return to the pool instead of an exchange of its own.
            Pool::Postgres(p) => p.begin().await.map(|t| Inner::Postgres(tx::Side::Read(t))),
        }
        .map(|inner| Tx { inner, key: self.key.clone(), touched: Vec::new(), changes: self.changes.clone(), writes: false, quiet: false, unsynced: false, traced: false, heads: self.heads.clone(), deferred: None })
        .map_err(map_err)
    }

    async fn ping(&self) -> StoreResult<()> {
        match &self.pool {
            Pool::Sqlite(p) => sqlx::query("SELECT 1").execute(p).await.map(|_| ()),
            Pool::Postgres(p) => sqlx::query("SELECT 1").execute(p).await.map(|_| ()),
        }
        .map_err(map_err)
    }

    async fn trace_heads(&self) -> StoreResult<Vec<ChainHead>> {
        const HEADS: &str = "SELECT chain_id, seq, seal FROM trace_heads ORDER BY chain_id";
        const ORPHANS: &str =
            "SELECT DISTINCT chain_id FROM traces WHERE chain_id NOT IN (SELECT chain_id FROM trace_heads)";
        let (heads, orphans): (Vec<(Uuid, i64, Vec<u8>)>, Vec<(Uuid,)>) = match &self.pool {
            Pool::Sqlite(p) => (
                sqlx::query_as(HEADS).fetch_all(p).await.map_err(map_err)?,
                sqlx::query_as(ORPHANS).fetch_all(p).await.map_err(map_err)?,
            ),
            Pool::Postgres(p) => (
                sqlx::query_as(HEADS).fetch_all(p).await.map_err(map_err)?,
                sqlx::query_as(ORPHANS).fetch_all(p).await.map_err(map_err)?,
            ),
        };
        let mut out: Vec<ChainHead> =
            heads.into_iter().map(|(chain_id, seq, seal)| ChainHead { chain_id, seq, seal }).collect();
        // A chain whose head row was deleted still gets verified, and fails.
        out.extend(orphans.into_iter().map(|(chain_id,)| ChainHead { chain_id, seq: 0, seal: Vec::new() }));
        Ok(out)
    }

    async fn trace_page(&self, chain_id: Uuid, after_seq: i64, limit: i64) -> StoreResult<Vec<TraceRecord>> {
        const Q: &str = "SELECT * FROM traces WHERE chain_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";
        let rows: Vec<rows::TraceRow> = match &self.pool {
            Pool::Sqlite(p) => sqlx::query_as(Q).bind(chain_id).bind(after_seq).bind(limit).fetch_all(p).await,
            Pool::Postgres(p) => sqlx::query_as(Q).bind(chain_id).bind(after_seq).bind(limit).fetch_all(p).await,
        }
        .map_err(map_err)?;
        rows.into_iter().map(rows::TraceRow::into_record).collect()
    }

    async fn checkpoint_wal(&self) -> StoreResult<()> {
        match &self.pool {
            // Waits for the readers of the log to finish, copies it back and empties it.
            Pool::Sqlite(p) => sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE)").execute(p).await.map(|_| ()).map_err(map_err),
            Pool::Postgres(_) => Ok(()),
        }
    }

    async fn trace_search(&self, q: &habilis_core::trace::TraceQuery) -> StoreResult<Vec<TraceRecord>> {
        self.trace_search_impl(q).await
    }
    async fn append_trace_batch(&self, entries: &[habilis_core::trace::TraceEntry]) -> StoreResult<()> {
        // A bench build that measures what tracing costs writes nothing (never shipped).
        if cfg!(feature = "untraced") {
            return Ok(());
        }
        match &self.trail_writer {
            Some(w) => append::append_pg(w, &self.key, &self.heads, entries).await,
            None => {
                use habilis_core::store::{Transaction, TrailTx};
                let mut tx = self.begin().await?;
                tx.quiet();
                tx.append_traces(entries).await?;
                tx.commit().await
            }
        }
    }
    async fn trace_cuts(&self, cutoff: i64) -> StoreResult<Vec<habilis_core::store::TraceCut>> {
        self.trace_cuts_impl(cutoff).await
    }
    async fn insert_checkpoint(&self, c: &habilis_core::trace::Checkpoint) -> StoreResult<()> {
        self.insert_checkpoint_impl(c).await
    }
    async fn trace_checkpoints(&self) -> StoreResult<Vec<habilis_core::trace::Checkpoint>> {
        self.trace_checkpoints_impl().await
    }
    async fn delete_trace_batch(&self, chain: Uuid, up_to: i64, cutoff: i64, limit: i64) -> StoreResult<u64> {
        self.delete_trace_batch_impl(chain, up_to, cutoff, limit).await
    }
    async fn prepare_trace_partitions(&self, now: time::OffsetDateTime, months_ahead: u32) -> StoreResult<u32> {
        self.prepare_trace_partitions_impl(now, months_ahead).await
    }
    async fn drop_trace_partitions(&self, cutoff: i64, dry_run: bool) -> StoreResult<(u32, u64)> {
        self.drop_trace_partitions_impl(cutoff, dry_run).await
    }
    async fn purge_ended_rights(&self, cutoff: i64, cutoff_date: time::Date, dry_run: bool, trace: Option<&habilis_core::trace::TraceEntry>) -> StoreResult<(u64, u64, u64)> {
        self.purge_ended_rights_impl(cutoff, cutoff_date, dry_run, trace).await
    }
}

/// Copy SQLite's write-ahead log back into the database file every second (PASSIVE: it
/// never waits for the writer nor for readers), until the pool closes.
async fn checkpoint_every_second(pool: SqlitePool) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if pool.is_closed() {
            return;
        }
        if let Err(e) = sqlx::raw_sql("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
            if pool.is_closed() {
                return;
            }
            tracing::warn!(error = %e, "SQLite checkpoint failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PostgreSQL connections that sat idle are tested before use: a server restart while
    /// they waited costs no request an error (the round trip each use used to pay is spared
    /// to connections used within the last second).
    #[tokio::test]
    async fn an_idle_postgresql_connection_cut_meanwhile_is_replaced_unseen() {
        let Some(url) = testing::postgres_url() else { return };
        let db = testing::fresh(Backend::Postgres, TraceKey::generate()).await.unwrap();
        let Pool::Postgres(pool) = &db.pool else { unreachable!() };
        // Hold every connection the pool has opened so far, and note its server process.
        let mut held = Vec::new();
        while held.len() < (pool.size() as usize).max(1) {
            held.push(pool.acquire().await.unwrap());
        }
        let mut pids = Vec::new();
        for c in &mut held {
            let (pid,): (i32,) = sqlx::query_as("SELECT pg_backend_pid()").fetch_one(&mut **c).await.unwrap();
            pids.push(pid);
        }
        drop(held);
        // Their return to the pool is a task of its own: wait until they all sit there.
        for _ in 0..200 {
            if pool.num_idle() >= pids.len() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(pool.num_idle() >= pids.len(), "{} idle of {}", pool.num_idle(), pids.len());
        // Cut them all while they sit idle, from outside the pool.
        let opts = PgConnectOptions::from_str(&url).unwrap();
        let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect_with(&opts).await.unwrap();
        for pid in &pids {
            let (cut,): (bool,) = sqlx::query_as("SELECT pg_terminate_backend($1)").bind(pid).fetch_one(&mut admin).await.unwrap();
            assert!(cut, "process {pid}");
        }
        tokio::time::sleep(PG_IDLE_BEFORE_TEST + Duration::from_millis(100)).await;
        // Every use after the cut succeeds, each on a new connection.
        for _ in 0..pids.len() + 1 {
            let (pid,): (i32,) = sqlx::query_as("SELECT pg_backend_pid()").fetch_one(pool).await.unwrap();
            assert!(!pids.contains(&pid), "a cut connection was used");
        }
        testing::discard(db).await.unwrap();
    }

    /// SQLite: the readers do not map the file (a read after another connection's commit
    /// would drop and rebuild the whole mapping); the writer maps it and leaves the
    /// checkpoints to the task. Another instance's writer is set up as the first's.
    #[tokio::test]
    async fn sqlite_readers_read_with_pread_and_the_writer_through_its_mapping() {
        let db = testing::fresh(Backend::Sqlite, TraceKey::generate()).await.unwrap();
        let other = db.another_instance().await.unwrap();
        async fn pragma(p: &SqlitePool, name: &str) -> i64 {
            let (v,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("PRAGMA {name}"))).fetch_one(p).await.unwrap();
            v
        }
        for d in [&db, &other] {
            let Pool::Sqlite(readers) = &d.pool else { unreachable!() };
            let writer = d.writes.as_ref().unwrap();
            assert_eq!(pragma(readers, "mmap_size").await, 0);
            assert_eq!(pragma(writer, "mmap_size").await, 268_435_456);
            assert_eq!(pragma(writer, "wal_autocheckpoint").await, 0);
        }
        testing::discard(other).await.unwrap();
        testing::discard(db).await.unwrap();
    }
}
