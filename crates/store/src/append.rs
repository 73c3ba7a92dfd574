//! Appending the traces that stand alone (the reads' traces, group-committed by the
//! core's `TraceBatcher`) with as few round trips to the database as the backend allows.
//!
//! SQLite: one write transaction through the one writing connection (`TrailTx::append_traces`).
//!
//! PostgreSQL: the writer remembers the head it left on each chain. A chain's records are
//! then written by **one statement** that moves the head only if it is still where the
//! writer left it and inserts the records only if the head moved:
//!
//! ```sql
//! WITH h AS (UPDATE trace_heads SET seq = …, seal = …, at = … WHERE chain_id = $1 AND (seq, seal) = <remembered>
//!            RETURNING 1)
//! INSERT INTO traces … SELECT … FROM UNNEST(<one array per column>) WHERE EXISTS (SELECT 1 FROM h)
//! ```
//!
//! SQLite does the same in one round trip to its connection's thread, inside the caller's
//! transaction (`append_sqlite`): one text that moves the head, then inserts the first
//! record, which fails before anything is written unless the head just moved
//! (`CASE WHEN changes() = 1 …`), then the others. A change's trace goes further: it is
//! sealed at once and sent with the transaction's `COMMIT` (`commit_with_sqlite`), so it
//! costs no exchange with the writer's thread of its own. When the head is not the one
//! remembered, it is read (made at number 0 for a new chain) and the same write follows:
//! the transaction holds the database's write lock, so the head cannot move meanwhile.
//!
//! On PostgreSQL too a change's trace is sealed at once and sent with the `COMMIT`, in one
//! text of the simple query protocol (`commit_with_pg`: `SAVEPOINT`, `EXECUTE` of the
//! statement `PREPARE_TRACE` with literal values, `COMMIT`); a head out of date fails that
//! statement alone, before the `COMMIT`, and the record is sealed again after the head.
//!
//! A batch on PostgreSQL, one chain: that statement alone, in its own implicit transaction
//! (durable when it returns). Several chains: one transaction. If another writer (a change's transaction,
//! another instance) moved the head meanwhile, nothing is written and the chain is done
//! again in a transaction that reads its head `FOR UPDATE` first. The chain stays exact
//! either way: a record is only ever sealed on the head it follows.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use habilis_core::clock::{from_micros, to_micros};
use habilis_core::store::StoreResult;
use habilis_core::trace::{GENESIS_SEAL, TraceEntry, TraceKey};
use sqlx::{AssertSqlSafe, PgConnection, PgPool, SqliteConnection};
use uuid::Uuid;

use crate::map_err;

/// Where this process's trail writer left each chain: number, seal and instant of its last
/// record.
/// Also counts the appends that met a head out of date (PostgreSQL's fallback), by writer.
#[derive(Debug, Default, Clone)]
pub(crate) struct Heads(Arc<Mutex<HashMap<Uuid, Head>>>, Arc<Stale>);

/// How many appends met a head out of date, by writer.
#[derive(Debug, Default)]
struct Stale {
    commits: std::sync::atomic::AtomicU64,
    batches: std::sync::atomic::AtomicU64,
}

/// Which writer appends: a transaction's own (a change's trace, at its commit or before its
/// next statement), or the trace writer's batch.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Writer {
    Transaction,
    Batch,
}

#[derive(Debug, Clone)]
struct Head {
    seq: i64,
    seal: Vec<u8>,
    at: i64,
}

impl Heads {
    fn get(&self, chain: Uuid) -> Option<Head> {
        self.0.lock().ok().and_then(|m| m.get(&chain).cloned())
    }
    fn set(&self, chain: Uuid, head: Head) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(chain, head);
        }
    }
    /// Appends inside a transaction whose records had to be sealed again after the
    /// database's head.
    pub(crate) fn stale_commits(&self) -> u64 {
        self.1.commits.load(std::sync::atomic::Ordering::Relaxed)
    }
    /// Batches of the trace writer (reads and other traces that stand alone) whose chain had
    /// moved since this process last wrote it, written again under the head's lock.
    pub(crate) fn stale_batches(&self) -> u64 {
        self.1.batches.load(std::sync::atomic::Ordering::Relaxed)
    }
    fn count_stale(&self, by: Writer) {
        let counter = match by {
            Writer::Transaction => &self.1.commits,
            Writer::Batch => &self.1.batches,
        };
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    fn forget(&self, chain: Uuid) {
        if let Ok(mut m) = self.0.lock() {
            m.remove(&chain);
        }
    }
}

/// A chain's records sealed after `after` (None: the chain has no head yet).
struct Sealed<'a> {
    rows: Vec<Written>,
    after: Option<&'a Head>,
    last: Head,
}

fn seal_after<'a>(key: &TraceKey, chain: Uuid, list: &[&TraceEntry], after: Option<&'a Head>) -> Sealed<'a> {
    let (mut seq, mut prev, mut at) = match after {
        Some(h) => (h.seq, h.seal.clone(), h.at),
        None => (0, GENESIS_SEAL.to_vec(), 0),
    };
    let mut rows = Vec::with_capacity(list.len());
    for e in list {
        seq += 1;
        let mut e = (*e).clone();
        // Time never goes back within a chain.
        if to_micros(e.at) < at {
            e.at = from_micros(at);
        }
        at = to_micros(e.at);
        let seal = key.seal(chain, seq, &prev, &e);
        let before = std::mem::replace(&mut prev, seal.clone());
        rows.push((seq, e, before, seal));
    }
    Sealed { rows, after, last: Head { seq, seal: prev, at } }
}

/// Write `sealed` if the chain's head is still `sealed.after`; whether it was. One text
/// whatever the number of records (arrays unnested), so the statement is prepared once.
async fn write_if_head(conn: &mut PgConnection, chain: Uuid, sealed: &Sealed<'_>) -> StoreResult<bool> {
    const RECORDS: &str = "INSERT INTO traces (chain_id, seq, id, at, actor_id, actor_login, organisation_id, session_id, \
                           client_addr, user_agent, action, target, outcome, detail, prev_seal, seal) \
                           SELECT $1, u.* FROM UNNEST($7::bigint[], $8::uuid[], $9::bigint[], $10::uuid[], $11::text[], \
                           $12::uuid[], $13::uuid[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], \
                           $19::text[], $20::bytea[], $21::bytea[]) AS u WHERE EXISTS (SELECT 1 FROM h)";
    const MOVE: &str = "WITH h AS (UPDATE trace_heads SET seq = $2, seal = $3, at = $4 \
                        WHERE chain_id = $1 AND seq = $5 AND seal = $6 RETURNING 1) ";
    const FIRST: &str = "WITH h AS (INSERT INTO trace_heads (chain_id, seq, seal, at) SELECT $1, $2, $3, $4 \
                         WHERE $5::bigint = 0 AND $6::bytea IS NOT NULL ON CONFLICT (chain_id) DO NOTHING RETURNING 1) ";
    let head = if sealed.after.is_some() { MOVE } else { FIRST };
    let sql = format!("{head}{RECORDS}");
    let (expected_seq, expected_seal) = match sealed.after {
        Some(h) => (h.seq, h.seal.clone()),
        None => (0, Vec::new()),
    };
    let n = sealed.rows.len();
    let mut seqs = Vec::with_capacity(n);
    let mut ids = Vec::with_capacity(n);
    let mut ats = Vec::with_capacity(n);
    let mut actors = Vec::with_capacity(n);
    let mut logins = Vec::with_capacity(n);
    let mut orgs = Vec::with_capacity(n);
    let mut sessions = Vec::with_capacity(n);
    let mut addrs = Vec::with_capacity(n);
    let mut agents = Vec::with_capacity(n);
    let mut actions = Vec::with_capacity(n);
    let mut targets = Vec::with_capacity(n);
    let mut outcomes = Vec::with_capacity(n);
    let mut details = Vec::with_capacity(n);
    let mut befores = Vec::with_capacity(n);
    let mut seals = Vec::with_capacity(n);
    for (seq, e, before, seal) in &sealed.rows {
        seqs.push(*seq);
        ids.push(e.id);
        ats.push(to_micros(e.at));
        actors.push(e.actor_id.map(|a| a.0));
        logins.push(e.actor_login.clone());
        orgs.push(e.organisation_id.map(|o| o.0));
        sessions.push(e.session_id.map(|s| s.0));
        addrs.push(e.client_addr.clone());
        agents.push(e.user_agent.clone());
        actions.push(e.action.clone());
        targets.push(e.target.clone());
        outcomes.push(e.outcome.as_str().to_string());
        details.push(e.detail.clone());
        befores.push(before.clone());
        seals.push(seal.clone());
    }
    let written = sqlx::query(AssertSqlSafe(sql))
        .bind(chain)
        .bind(sealed.last.seq)
        .bind(&sealed.last.seal)
        .bind(sealed.last.at)
        .bind(expected_seq)
        .bind(expected_seal)
        .bind(seqs)
        .bind(ids)
        .bind(ats)
        .bind(actors)
        .bind(logins)
        .bind(orgs)
        .bind(sessions)
        .bind(addrs)
        .bind(agents)
        .bind(actions)
        .bind(targets)
        .bind(outcomes)
        .bind(details)
        .bind(befores)
        .bind(seals)
        .execute(&mut *conn)
        .await
        .map_err(map_err)?
        .rows_affected();
    Ok(written == n as u64)
}

/// The most records one SQLite text carries (16 parameters each, under SQLite's limit of
/// 32,766).
const SQLITE_MOST: usize = 1000;

/// Append `list` to `chain` inside the caller's SQLite transaction (see the module's
/// comment): one round trip while the head this process left holds, two otherwise.
pub(crate) async fn append_sqlite(conn: &mut SqliteConnection, key: &TraceKey, heads: &Heads, chain: Uuid, list: &[&TraceEntry]) -> StoreResult<Vec<Written>> {
    let mut written = Vec::with_capacity(list.len());
    for part in list.chunks(SQLITE_MOST) {
        let rows = match write_if_head_sqlite(conn, key, heads, chain, part).await? {
            Some(rows) => rows,
            None => {
                heads.set(chain, head_sqlite(conn, chain).await?);
                write_if_head_sqlite(conn, key, heads, chain, part)
                    .await?
                    .ok_or_else(|| habilis_core::StoreError::Unavailable("the trail's head moved while it was locked".into()))?
            }
        };
        written.extend(rows);
    }
    Ok(written)
}

/// SQLite: `chain`'s head as the database has it; a chain without one gets it at number 0
/// with the genesis seal (within the caller's transaction: it is moved by the write that
/// follows, or goes with a rollback).
async fn head_sqlite(conn: &mut SqliteConnection, chain: Uuid) -> StoreResult<Head> {
    const Q: &str = "INSERT INTO trace_heads (chain_id, seq, seal, at) VALUES (?, 0, ?, 0) ON CONFLICT (chain_id) DO NOTHING; \
                     SELECT seq, seal, at FROM trace_heads WHERE chain_id = ?";
    let (seq, seal, at): (i64, Vec<u8>, i64) =
        sqlx::query_as(Q).bind(chain).bind(GENESIS_SEAL.to_vec()).bind(chain).fetch_one(&mut *conn).await.map_err(map_err)?;
    Ok(Head { seq, seal, at })
}

/// Seal `list` after the head this process remembers for `chain` and write head and
/// records in one round trip; `None` (nothing written, the head forgotten) when no head is
/// remembered or someone else moved it (another process, a transaction rolled back).
async fn write_if_head_sqlite(
    conn: &mut SqliteConnection,
    key: &TraceKey,
    heads: &Heads,
    chain: Uuid,
    list: &[&TraceEntry],
) -> StoreResult<Option<Vec<Written>>> {
    let Some(h) = heads.get(chain) else { return Ok(None) };
    let sealed = seal_after(key, chain, list, Some(&h));
    let sql = sqlite_text(sealed.rows.len(), false, "");
    let q = bind_sqlite(sqlx::query(AssertSqlSafe(sql)), false, chain, &h, &sealed.last, &sealed.rows);
    match q.execute(&mut *conn).await {
        // The head moved and every record went in.
        Ok(r) if r.rows_affected() == sealed.rows.len() as u64 + 1 => {
            heads.set(chain, sealed.last);
            Ok(Some(sealed.rows))
        }
        Ok(_) => {
            heads.forget(chain);
            Err(habilis_core::StoreError::Unavailable("the trail's records were not all written".into()))
        }
        // The head was elsewhere: nothing written.
        Err(e) if head_moved(&e) => {
            heads.forget(chain);
            Ok(None)
        }
        Err(e) => {
            heads.forget(chain);
            Err(map_err(e))
        }
    }
}

/// The text that moves `chain`'s head and inserts `n` records after it (SQLite), then runs
/// `tail`. A head found elsewhere than expected fails a statement before anything is
/// written, and stops the text there, before `tail` (a `COMMIT`): the transaction stays
/// open, and the caller reads the head and writes again ([`head_moved`]). With `strict`
/// (the records travel with the `COMMIT`) the move itself fails, on `trace_heads.seq`'s
/// NOT NULL. Without it the move matches no row, and the first record has no chain
/// (`traces.chain_id`'s NOT NULL); so has it, in both, when the head's row is missing (its
/// creation rolled back, or undone to a mark). Never a commit without its trace, and never
/// a change lost for a head out of date. Any other failure (a later record's, with `OR
/// FAIL`) leaves what was written in the open transaction: its caller returns the error,
/// and the transaction is rolled back unfinished.
///
/// The records go in with `OR FAIL` and plain `VALUES` (the first record in a statement of
/// its own, the others in a second): SQLite then opens no statement journal. An
/// `INSERT … SELECT`, or a list of several rows with an expression in it, did. At every
/// batch that split a page, that journal spilled to a temporary file, created and deleted
/// each time (session 18's profile: a sixth of the writer's thread).
fn sqlite_text(n: usize, strict: bool, tail: &str) -> String {
    let mut sql = String::from(if strict {
        "UPDATE trace_heads SET seq = CASE WHEN seq = ? AND seal = ? THEN ? END, seal = ?, at = ? WHERE chain_id = ?; "
    } else {
        "UPDATE trace_heads SET seq = ?, seal = ?, at = ? WHERE chain_id = ? AND seq = ? AND seal = ?; "
    });
    const INSERT: &str = "INSERT OR FAIL INTO traces (chain_id, seq, id, at, actor_id, actor_login, organisation_id, \
                          session_id, client_addr, user_agent, action, target, outcome, detail, prev_seal, seal) VALUES ";
    const ROW: &str = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    // The first record alone: its chain is there only if the head just moved.
    sql.push_str(INSERT);
    sql.push_str("(CASE WHEN changes() = 1 THEN ? END, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    // The others after it, plain values (an expression in a list of several rows makes it
    // a query, with its statement journal).
    for i in 1..n {
        sql.push_str(if i == 1 { "; " } else { ", " });
        if i == 1 {
            sql.push_str(INSERT);
        }
        sql.push_str(ROW);
    }
    sql.push_str(tail);
    sql
}

/// Whether a SQLite text of [`sqlite_text`] stopped because the head was not where it was
/// expected (nothing written, the transaction still open).
fn head_moved(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.message().contains("trace_heads.seq") || d.message().contains("NOT NULL constraint failed: traces.chain_id"))
}

/// Bind the head's move from `from` to `to` and the records to a `sqlite_text` (parameters
/// in the order they appear: each statement of a text takes the next ones).
fn bind_sqlite<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
    strict: bool,
    chain: Uuid,
    from: &'q Head,
    to: &'q Head,
    rows: &'q [Written],
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
    q = if strict {
        q.bind(from.seq).bind(&from.seal).bind(to.seq).bind(&to.seal).bind(to.at).bind(chain)
    } else {
        q.bind(to.seq).bind(&to.seal).bind(to.at).bind(chain).bind(from.seq).bind(&from.seal)
    };
    for (seq, e, before, seal) in rows {
        q = q
            .bind(chain)
            .bind(*seq)
            .bind(e.id)
            .bind(to_micros(e.at))
            .bind(e.actor_id.map(|a| a.0))
            .bind(&e.actor_login)
            .bind(e.organisation_id.map(|o| o.0))
            .bind(e.session_id.map(|s| s.0))
            .bind(&e.client_addr)
            .bind(&e.user_agent)
            .bind(&e.action)
            .bind(&e.target)
            .bind(e.outcome.as_str())
            .bind(&e.detail)
            .bind(before)
            .bind(seal);
    }
    q
}

/// A change's trace sealed after the head this process remembers, written with the
/// transaction's `COMMIT` (SQLite): a change and its trace then cost the writer's thread
/// no exchange more than the change alone.
#[derive(Debug)]
pub(crate) struct Deferred {
    chain: Uuid,
    after: Head,
    rows: Vec<Written>,
    last: Head,
}

/// `e` sealed after the head this process remembers for its chain, to be written later
/// (with the `COMMIT`, or before the transaction's next statement); `None` when no head is
/// remembered (the caller writes at once, reading the head).
pub(crate) fn defer(key: &TraceKey, heads: &Heads, e: &TraceEntry) -> Option<(Deferred, Written)> {
    let chain = e.chain_id();
    let h = heads.get(chain)?;
    let sealed = seal_after(key, chain, &[e], Some(&h));
    let written = sealed.rows.first()?.clone();
    let (rows, last) = (sealed.rows, sealed.last);
    Some((Deferred { chain, after: h, rows, last }, written))
}

/// Write `d` now, inside the transaction (before another statement of it runs).
pub(crate) async fn write_deferred_sqlite(conn: &mut SqliteConnection, key: &TraceKey, heads: &Heads, d: Deferred) -> StoreResult<()> {
    let sql = sqlite_text(d.rows.len(), false, "");
    let q = bind_sqlite(sqlx::query(AssertSqlSafe(sql)), false, d.chain, &d.after, &d.last, &d.rows);
    match q.execute(&mut *conn).await {
        Ok(r) if r.rows_affected() == d.rows.len() as u64 + 1 => {
            heads.set(d.chain, d.last);
            Ok(())
        }
        Ok(_) => {
            heads.forget(d.chain);
            Err(habilis_core::StoreError::Unavailable("the trail's records were not all written".into()))
        }
        // The head was elsewhere: nothing written; seal again after the database's.
        Err(e) if head_moved(&e) => rewrite_sqlite(conn, key, heads, d).await,
        Err(e) => {
            heads.forget(d.chain);
            Err(map_err(e))
        }
    }
}

/// Write `d` then `COMMIT`, in one exchange with the connection's thread. When the head
/// was not the one remembered (the first statement alone failed, the transaction still
/// open), `d` is sealed again after the database's head and written, then committed.
pub(crate) async fn commit_with_sqlite(conn: &mut SqliteConnection, key: &TraceKey, heads: &Heads, d: Deferred) -> StoreResult<()> {
    let chain = d.chain;
    let sql = sqlite_text(d.rows.len(), true, "; COMMIT");
    let q = bind_sqlite(sqlx::query(AssertSqlSafe(sql)), true, chain, &d.after, &d.last, &d.rows);
    match q.execute(&mut *conn).await {
        Ok(_) => {
            heads.set(chain, d.last);
            Ok(())
        }
        // The head moved (`seq`), or its row is gone (`chain_id`): the text stopped before
        // the COMMIT, the transaction is still open.
        Err(e) if head_moved(&e) => {
            rewrite_sqlite(conn, key, heads, d).await?;
            let committed = sqlx::query("COMMIT").execute(&mut *conn).await.map(|_| ()).map_err(map_err);
            if committed.is_err() {
                heads.forget(chain);
            }
            committed
        }
        Err(e) => {
            heads.forget(chain);
            Err(map_err(e))
        }
    }
}

/// `d`'s entries sealed again after the head the database has, and written.
async fn rewrite_sqlite(conn: &mut SqliteConnection, key: &TraceKey, heads: &Heads, d: Deferred) -> StoreResult<()> {
    heads.forget(d.chain);
    let entries: Vec<TraceEntry> = d.rows.into_iter().map(|(_, e, _, _)| e).collect();
    let list: Vec<&TraceEntry> = entries.iter().collect();
    append_sqlite(conn, key, heads, d.chain, &list).await.map(|_| ())
}

/// Write `d` now on PostgreSQL, inside the transaction (another statement of it follows):
/// one statement while the head holds; sealed again after the database's head otherwise.
pub(crate) async fn write_deferred_pg(conn: &mut PgConnection, key: &TraceKey, heads: &Heads, d: Deferred) -> StoreResult<()> {
    let sealed = Sealed { rows: d.rows, after: Some(&d.after), last: d.last };
    match write_if_head(conn, d.chain, &sealed).await {
        Ok(true) => {
            heads.set(d.chain, sealed.last);
            Ok(())
        }
        Ok(false) => {
            heads.count_stale(Writer::Transaction);
            reseal_pg(conn, key, heads, d.chain, sealed.rows).await
        }
        Err(e) => {
            heads.forget(d.chain);
            Err(e)
        }
    }
}

/// Commit on PostgreSQL in one exchange: the statements `before` (the notices to other
/// instances), then `deferred`'s record with the head's move, then `COMMIT`, in one text
/// of the simple query protocol, whose values must then be literals (`pg_text`, `pg_bytes`;
/// uuids and numbers as Rust prints them).
///
/// The record is written by `EXECUTE` of the statement `PREPARE_TRACE` (prepared once per
/// connection: planning it in every text cost more than the exchange saved), after a
/// `SAVEPOINT`, with the `chain_id` that the head's move returns: if the head is not the
/// one remembered (another instance or a transaction rolled back moved it, or its row is
/// gone), the move returns nothing, the insert fails on `traces.chain_id`'s NOT NULL, and
/// PostgreSQL skips the rest of the text — the `COMMIT` with it. The same happens on a
/// connection where the statement is not prepared yet. The transaction is then brought back
/// to the savepoint (the change and the notices kept). A stale head: the record is sealed
/// again after the head read `FOR UPDATE`, written, and committed. A statement not prepared:
/// it is prepared, and the record written by a statement of its own after the head it was
/// sealed after, or sealed again if that head moved; then committed.
/// Never a commit without its trace, and never a change lost for a head out of date. A
/// record holding a NUL (which PostgreSQL's texts cannot hold) is not put in a text: it is
/// written as any other statement, and fails there.
pub(crate) async fn commit_with_pg(conn: &mut PgConnection, before: &str, deferred: Option<Deferred>, key: &TraceKey, heads: &Heads) -> StoreResult<()> {
    let deferred = deferred.map(|d| sealed_after_latest(key, heads, d));
    let (d, record) = match deferred.map(|d| (pg_execute_text(&d), d)) {
        Some((Some(record), d)) => (d, record),
        waiting => {
            // Nothing waits, or it cannot travel as literals: written as any statement.
            if let Some((_, d)) = waiting {
                write_deferred_pg(conn, key, heads, d).await?;
            }
            let sql = format!("{before}COMMIT");
            return sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut *conn).await.map(|_| ()).map_err(map_err);
        }
    };
    let chain = d.chain;
    let sql = format!("{before}SAVEPOINT habilis_trace; {record}; COMMIT");
    match sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut *conn).await {
        Ok(_) => {
            heads.set(chain, d.last);
            Ok(())
        }
        // Told by code and column, never by message: PostgreSQL translates its messages
        // (`lc_messages`).
        Err(sqlx::Error::Database(e))
            if (e.code().as_deref() == Some("23502")
                && e.try_downcast_ref::<sqlx::postgres::PgDatabaseError>().and_then(|p| p.column()) == Some("chain_id"))
                || e.code().as_deref() == Some(NOT_PREPARED) =>
        {
            let prepare = e.code().as_deref() == Some(NOT_PREPARED);
            if !prepare {
                heads.count_stale(Writer::Transaction);
            }
            heads.forget(chain);
            let again = async {
                sqlx::raw_sql("ROLLBACK TO SAVEPOINT habilis_trace").execute(&mut *conn).await.map_err(map_err)?;
                if prepare {
                    // Not transactional: it stays with the connection whatever this
                    // transaction becomes. The record is then written as before another
                    // statement: after its head if it holds (a stale one is counted there).
                    sqlx::raw_sql(PREPARE_TRACE).execute(&mut *conn).await.map_err(map_err)?;
                    write_deferred_pg(conn, key, heads, d).await?;
                } else {
                    reseal_pg(conn, key, heads, chain, d.rows).await?;
                }
                sqlx::raw_sql("COMMIT").execute(&mut *conn).await.map(|_| ()).map_err(map_err)
            }
            .await;
            if again.is_err() {
                heads.forget(chain);
            }
            again
        }
        Err(e) => {
            heads.forget(chain);
            Err(map_err(e))
        }
    }
}

/// `d` sealed again after the head this process remembers now, when another of its
/// transactions moved the chain since `d` was sealed: sealed at the commit rather than at
/// the append, a record meets a stale head only when two commits of its chain cross, not
/// whenever another commit happened during its transaction. Measured on PostgreSQL during a
/// login burst of one partner (one chain): the fallbacks fell from ~3 % to ~2 % of the
/// sign-ins' commits (issue 14). With no head remembered, `d` is left as it is; a remembered
/// head left ahead by a rollback costs a fallback, as before.
fn sealed_after_latest(key: &TraceKey, heads: &Heads, d: Deferred) -> Deferred {
    match heads.get(d.chain) {
        Some(h) if h.seq != d.after.seq || h.seal != d.after.seal => {
            let entries: Vec<&TraceEntry> = d.rows.iter().map(|(_, e, _, _)| e).collect();
            let sealed = seal_after(key, d.chain, &entries, Some(&h));
            let (rows, last) = (sealed.rows, sealed.last);
            Deferred { chain: d.chain, after: h, rows, last }
        }
        _ => d,
    }
}

/// `rows`' entries sealed again after `chain`'s head as the database has it (read `FOR
/// UPDATE`), and written (PostgreSQL).
async fn reseal_pg(conn: &mut PgConnection, key: &TraceKey, heads: &Heads, chain: Uuid, rows: Vec<Written>) -> StoreResult<()> {
    heads.forget(chain);
    let entries: Vec<TraceEntry> = rows.into_iter().map(|(_, e, _, _)| e).collect();
    let list: Vec<&TraceEntry> = entries.iter().collect();
    append_chain_locked(conn, key, heads, chain, &list, Writer::Transaction).await.map(|_| ())
}

/// PostgreSQL's code for "prepared statement does not exist".
const NOT_PREPARED: &str = "26000";

/// The statement that moves a chain's head from ($5, $6) to ($2, $3, $4) and inserts one
/// record after it, prepared once per connection (`commit_with_pg`). The record's
/// `chain_id` is the head's move's: NULL, and the insert fails, when the head was elsewhere.
const PREPARE_TRACE: &str = "PREPARE habilis_trace (uuid, bigint, bytea, bigint, bigint, bytea, bigint, uuid, bigint, uuid, text, \
     uuid, uuid, text, text, text, text, text, text, bytea, bytea) AS \
     WITH h AS (UPDATE trace_heads SET seq = $2, seal = $3, at = $4 WHERE chain_id = $1 AND seq = $5 AND seal = $6 RETURNING chain_id) \
     INSERT INTO traces (chain_id, seq, id, at, actor_id, actor_login, organisation_id, session_id, client_addr, user_agent, \
     action, target, outcome, detail, prev_seal, seal) \
     VALUES ((SELECT chain_id FROM h), $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)";

/// `EXECUTE habilis_trace(…)` of `d`'s one record, its values as literals (see
/// `commit_with_pg`); `None` if `d` holds several records or a text holds a NUL.
fn pg_execute_text(d: &Deferred) -> Option<String> {
    let [(seq, e, before, seal)] = d.rows.as_slice() else { return None };
    let uuid = |u: Option<Uuid>| u.map(|u| format!("'{u}'::uuid")).unwrap_or_else(|| "NULL".into());
    let text = |t: &Option<String>| match t {
        Some(t) => pg_text_checked(t),
        None => Some("NULL".into()),
    };
    Some(format!(
        "EXECUTE habilis_trace('{}'::uuid, {}, {}, {}, {}, {}, {seq}, '{}'::uuid, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
        d.chain,
        d.last.seq,
        pg_bytes(&d.last.seal),
        d.last.at,
        d.after.seq,
        pg_bytes(&d.after.seal),
        e.id,
        to_micros(e.at),
        uuid(e.actor_id.map(|a| a.0)),
        text(&e.actor_login)?,
        uuid(e.organisation_id.map(|o| o.0)),
        uuid(e.session_id.map(|s| s.0)),
        text(&e.client_addr)?,
        text(&e.user_agent)?,
        pg_text_checked(&e.action)?,
        text(&e.target)?,
        pg_text_checked(e.outcome.as_str())?,
        text(&e.detail)?,
        pg_bytes(before),
        pg_bytes(seal),
    ))
}

/// `s` as a PostgreSQL text literal, whatever `standard_conforming_strings` says: an escape
/// string (`E'…'`) where `\` and `'` are doubled, so that nothing in `s` can end it. `None`
/// if `s` holds a NUL, which no PostgreSQL text can hold.
pub(crate) fn pg_text_checked(s: &str) -> Option<String> {
    if s.contains('\0') {
        return None;
    }
    let mut out = String::with_capacity(s.len() + 4);
    out.push_str("E'");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("''"),
            c => out.push(c),
        }
    }
    out.push_str("'::text");
    Some(out)
}

/// `s` as a PostgreSQL text literal (`pg_text_checked`); a NUL in `s` becomes an empty text.
/// For values the portal makes itself (channel names, ids), which hold none.
pub(crate) fn pg_text(s: &str) -> String {
    pg_text_checked(s).unwrap_or_else(|| "''::text".into())
}

/// `b` as a PostgreSQL bytea literal (hexadecimal digits only).
fn pg_bytes(b: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(2 * b.len() + 20);
    out.push_str("decode('");
    for byte in b {
        // Writing to a String cannot fail.
        let _ = write!(out, "{byte:02x}");
    }
    out.push_str("', 'hex')");
    out
}

/// The chain's head as the database has it, locked until the transaction ends.
async fn locked_head(conn: &mut PgConnection, chain: Uuid) -> StoreResult<Option<Head>> {
    const Q: &str = "SELECT seq, seal, at FROM trace_heads WHERE chain_id = $1 FOR UPDATE";
    let row: Option<(i64, Vec<u8>, i64)> = sqlx::query_as(Q).bind(chain).fetch_optional(&mut *conn).await.map_err(map_err)?;
    Ok(row.map(|(seq, seal, at)| Head { seq, seal, at }))
}

/// A record as written: its number, the entry (its instant possibly moved up to the
/// chain's last), the seal it follows and its own.
pub(crate) type Written = (i64, TraceEntry, Vec<u8>, Vec<u8>);

/// Append one chain's records inside the caller's transaction, reading its head first
/// when the remembered one is unknown or stale. On an error the remembered head is
/// forgotten.
/// A remembered head found stale is counted for `by`.
pub(crate) async fn append_chain_locked(conn: &mut PgConnection, key: &TraceKey, heads: &Heads, chain: Uuid, list: &[&TraceEntry], by: Writer) -> StoreResult<Vec<Written>> {
    let written = append_chain_inner(conn, key, heads, chain, list, by).await;
    if written.is_err() {
        heads.forget(chain);
    }
    written
}

async fn append_chain_inner(conn: &mut PgConnection, key: &TraceKey, heads: &Heads, chain: Uuid, list: &[&TraceEntry], by: Writer) -> StoreResult<Vec<Written>> {
    if let Some(h) = heads.get(chain) {
        let sealed = seal_after(key, chain, list, Some(&h));
        if write_if_head(conn, chain, &sealed).await? {
            heads.set(chain, sealed.last);
            return Ok(sealed.rows);
        }
        heads.count_stale(by);
    }
    // Twice at most: a first head may be created by another writer between the read and
    // the write; once it exists, the lock holds it.
    for _ in 0..2 {
        let head = locked_head(conn, chain).await?;
        let sealed = seal_after(key, chain, list, head.as_ref());
        if write_if_head(conn, chain, &sealed).await? {
            heads.set(chain, sealed.last);
            return Ok(sealed.rows);
        }
    }
    Err(habilis_core::StoreError::Unavailable("the trail's head moved while it was locked".into()))
}

/// Append one record inside a change's transaction (PostgreSQL): one statement while the
/// head this process remembers holds.
pub(crate) async fn append_one_pg(conn: &mut PgConnection, key: &TraceKey, heads: &Heads, e: &TraceEntry) -> StoreResult<Written> {
    let mut rows = append_chain_locked(conn, key, heads, e.chain_id(), &[e], Writer::Transaction).await?;
    rows.pop().ok_or_else(|| habilis_core::StoreError::Unavailable("no trace written".into()))
}

/// `entries` by chain, each chain's in their order, chains in id order: every writer locks
/// chains in that order, or two writers each holding one chain would wait for each other
/// (PostgreSQL detects it and fails one).
pub(crate) fn by_chain(entries: &[TraceEntry]) -> Vec<(Uuid, Vec<&TraceEntry>)> {
    let mut chains: Vec<(Uuid, Vec<&TraceEntry>)> = Vec::new();
    for e in entries {
        let id = e.chain_id();
        match chains.iter_mut().find(|(c, _)| *c == id) {
            Some((_, list)) => list.push(e),
            None => chains.push((id, vec![e])),
        }
    }
    chains.sort_by_key(|(c, _)| *c);
    chains
}

/// Append `entries` (several chains possibly) on PostgreSQL; durable on return.
pub(crate) async fn append_pg(pool: &PgPool, key: &TraceKey, heads: &Heads, entries: &[TraceEntry]) -> StoreResult<()> {
    let chains = by_chain(entries);
    // One chain whose head is known: one statement, its own transaction.
    if let [(chain, list)] = chains.as_slice()
        && let Some(h) = heads.get(*chain)
    {
        let sealed = seal_after(key, *chain, list, Some(&h));
        let mut conn = pool.acquire().await.map_err(map_err)?;
        if write_if_head(&mut conn, *chain, &sealed).await? {
            heads.set(*chain, sealed.last);
            return Ok(());
        }
        heads.count_stale(Writer::Batch);
        heads.forget(*chain);
    }
    let written = async {
        let mut tx = pool.begin().await.map_err(map_err)?;
        for (chain, list) in &chains {
            append_chain_locked(&mut tx, key, heads, *chain, list, Writer::Batch).await?;
        }
        tx.commit().await.map_err(map_err)
    }
    .await;
    if written.is_err() {
        // Whatever was remembered during the transaction did not happen.
        for (chain, _) in &chains {
            heads.forget(*chain);
        }
    }
    written
}
