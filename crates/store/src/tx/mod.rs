//! The transaction type and its implementation of the core's `Transaction` trait. Each
//! method holds one SQL text shared by both backends; `run!` expands it once per backend.

use habilis_core::clock::to_micros;
use habilis_core::records::{OrganisationId, Subscription};
use habilis_core::store::{StoreResult, Transaction};
use habilis_core::trace::TraceKey;
use sqlx::{Postgres, Sqlite};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::map_err;
use crate::rows::{
    SubscriptionRow,
};

/// An open transaction on either backend.
pub struct Tx {
    pub(crate) inner: Inner,
    pub(crate) key: TraceKey,
    /// Organisations whose rights this transaction changed (`None`: the catalogue),
    /// announced once it commits.
    pub(crate) touched: Vec<Option<OrganisationId>>,
    pub(crate) changes: crate::Changes,
    /// Begun to write (`Store::begin`): its commit may change who is signed in.
    pub(crate) writes: bool,
    /// Marked by its caller as changing nothing a signed-in person's session depends on
    /// (`Transaction::quiet`): its commit leaves the cache of sessions as it is.
    pub(crate) quiet: bool,
    /// Marked by its caller as harmless to lose in a crash (`Transaction::unsynced`).
    pub(crate) unsynced: bool,
    /// Wrote (or deferred to its commit) a trace: always committed durably.
    pub(crate) traced: bool,
    /// Where this process's writers left each trace chain.
    pub(crate) heads: crate::append::Heads,
    /// SQLite: the change's trace, sealed, written with the `COMMIT` (or before the next
    /// statement of this transaction, if one comes first).
    pub(crate) deferred: Option<crate::append::Deferred>,
}

pub(crate) enum Inner {
    Sqlite(Lite),
    Postgres(Side<Postgres>),
}

/// A transaction that reads (sqlx's own) or writes (begun by hand, `Writing`). On SQLite
/// the writer is the one writing connection.
pub(crate) enum Side<DB: Ends> {
    Read(sqlx::Transaction<'static, DB>),
    Write(Writing<DB>),
}

/// A SQLite transaction: a read on the pool, or a write on the one writing connection.
pub(crate) type Lite = Side<Sqlite>;

impl<DB: Ends> Side<DB> {
    /// The connection the transaction runs on.
    pub(crate) fn conn(&mut self) -> Result<&mut DB::Connection, sqlx::Error> {
        match self {
            Side::Read(t) => Ok(&mut **t),
            Side::Write(w) => w.conn(),
        }
    }
}

/// A transaction begun by hand on a connection of the pool: SQLite's writing connection
/// (`BEGIN IMMEDIATE`, with this process's turn to write), or any PostgreSQL connection.
/// Its `COMMIT` can then travel in one text with the change's trace
/// (`append::commit_with_sqlite`, `append::commit_with_pg`), which sqlx's own transactions
/// do not allow. Dropped unfinished (an error, a cancelled request), it is rolled back
/// before the connection (and the turn) passes on.
pub(crate) struct Writing<DB: Ends> {
    conn: Option<sqlx::pool::PoolConnection<DB>>,
    turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

/// What ends a transaction begun by hand on either backend.
pub(crate) trait Ends: sqlx::Database {
    /// Roll back on `conn`; closed instead of returned when that fails (closing rolls back).
    fn roll_back(conn: sqlx::pool::PoolConnection<Self>) -> impl std::future::Future<Output = ()> + Send;
}

macro_rules! ends {
    ($db:ty) => {
        impl Ends for $db {
            async fn roll_back(mut conn: sqlx::pool::PoolConnection<Self>) {
                // An error (no transaction left open, or one that cannot end) closes the
                // connection instead of returning it.
                if sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await.is_err() {
                    conn.close_on_drop();
                }
            }
        }
    };
}
ends!(Sqlite);
ends!(Postgres);

impl<DB: Ends> Writing<DB> {
    /// Begin on `conn` (once `turn`, if any, is held) with `begin`. The guard exists before
    /// `begin` is sent: if this future is dropped meanwhile, what it opened is rolled back
    /// all the same.
    pub(crate) async fn begin(conn: sqlx::pool::PoolConnection<DB>, turn: Option<tokio::sync::OwnedMutexGuard<()>>, begin: &'static str) -> Result<Writing<DB>, sqlx::Error>
    where
        for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    {
        let mut w = Writing { conn: Some(conn), turn };
        sqlx::raw_sql(begin).execute(w.conn()?).await?;
        Ok(w)
    }

    pub(crate) fn conn(&mut self) -> Result<&mut DB::Connection, sqlx::Error> {
        self.conn.as_deref_mut().ok_or(sqlx::Error::PoolClosed)
    }

    /// Committed (by `COMMIT` alone, or by a text that ends with it): the connection goes
    /// back as it is, and the turn passes on.
    fn finished(&mut self) {
        self.conn = None;
        self.turn = None;
    }
}

impl Writing<Sqlite> {
    /// Commit, with `deferred` written in the same text. Finished either way once it
    /// succeeds; on an error the transaction is rolled back when `self` drops.
    async fn commit(mut self, deferred: Option<crate::append::Deferred>, key: &TraceKey, heads: &crate::append::Heads) -> StoreResult<()> {
        let conn = self.conn().map_err(map_err)?;
        match deferred {
            Some(d) => crate::append::commit_with_sqlite(conn, key, heads, d).await?,
            None => sqlx::raw_sql("COMMIT").execute(&mut *conn).await.map(|_| ()).map_err(map_err)?,
        }
        self.finished();
        Ok(())
    }
}

impl Writing<Postgres> {
    /// Commit, with the notices `before` (statements sent first, in the same text) and
    /// `deferred` written in the same text. Finished either way once it succeeds; on an
    /// error the transaction is rolled back when `self` drops.
    async fn commit(mut self, before: &str, deferred: Option<crate::append::Deferred>, key: &TraceKey, heads: &crate::append::Heads) -> StoreResult<()> {
        let conn = self.conn().map_err(map_err)?;
        crate::append::commit_with_pg(conn, before, deferred, key, heads).await?;
        self.finished();
        Ok(())
    }
}

impl<DB: Ends> Drop for Writing<DB> {
    fn drop(&mut self) {
        let (Some(conn), turn) = (self.conn.take(), self.turn.take()) else { return };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(async move {
                    DB::roll_back(conn).await;
                    drop(turn);
                });
            }
            // No runtime (the process is ending): closing the connection rolls back.
            Err(_) => {
                let mut conn = conn;
                conn.close_on_drop();
            }
        }
    }
}

/// Run the same statement on whichever backend the transaction is on (a change's trace
/// waiting for the commit is written first, so statements run in the order asked).
macro_rules! run {
    ($tx:expr, $c:ident => $body:expr) => {{
        if $tx.deferred.is_some() {
            $tx.write_deferred().await?;
        }
        match &mut $tx.inner {
            Inner::Sqlite(t) => match t.conn() {
                Ok($c) => $body,
                Err(e) => Err(e),
            },
            Inner::Postgres(t) => match t.conn() {
                Ok($c) => $body,
                Err(e) => Err(e),
            },
        }
    }};
}

impl Tx {
    /// Write the change's trace that waits for the commit, now (another statement follows).
    pub(crate) async fn write_deferred(&mut self) -> StoreResult<()> {
        let Some(d) = self.deferred.take() else { return Ok(()) };
        match &mut self.inner {
            Inner::Sqlite(t) => crate::append::write_deferred_sqlite(t.conn().map_err(map_err)?, &self.key, &self.heads, d).await,
            Inner::Postgres(t) => crate::append::write_deferred_pg(t.conn().map_err(map_err)?, &self.key, &self.heads, d).await,
        }
    }

    /// Note that `org`'s rights change in this transaction.
    pub(crate) fn touch(&mut self, org: Option<OrganisationId>) {
        if !self.touched.contains(&org) {
            self.touched.push(org);
        }
    }

    /// Write an instant on many rows found by key, `per_statement` rows to a statement:
    /// `text(sqlite, rows)` is the statement around `rows`, a `VALUES` list of pairs (key,
    /// instant) — `(?, ?), …` on SQLite, `($1::uuid, $2::bigint), …` on PostgreSQL. The
    /// texts differ by size of chunk: they are not kept among the connection's prepared
    /// statements. (The sessions' touches, the grants' uses.)
    pub(crate) async fn write_instants(
        &mut self,
        pairs: &[(Uuid, OffsetDateTime)],
        per_statement: usize,
        text: impl Fn(bool, &str) -> String,
    ) -> StoreResult<()> {
        let lite = matches!(self.inner, Inner::Sqlite(_));
        for chunk in pairs.chunks(per_statement.max(1)) {
            let rows = if lite {
                vec!["(?, ?)"; chunk.len()].join(", ")
            } else {
                (0..chunk.len()).map(|i| format!("(${}::uuid, ${}::bigint)", 2 * i + 1, 2 * i + 2)).collect::<Vec<_>>().join(", ")
            };
            let sql = text(lite, &rows);
            run!(self, c => {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).persistent(false);
                for (key, at) in chunk {
                    q = q.bind(*key).bind(to_micros(*at));
                }
                q.execute(&mut *c).await.map(|r| r.rows_affected())
            })
            .map_err(map_err)?;
        }
        Ok(())
    }

    /// Note the organisation of the row `id` of `table` (grants, groups, accounts).
    pub(crate) async fn touch_row(&mut self, table: &'static str, id: Uuid) -> StoreResult<()> {
        let q = match table {
            "grants" => "SELECT organisation_id FROM grants WHERE id = $1",
            "groups" => "SELECT organisation_id FROM groups WHERE id = $1",
            _ => "SELECT organisation_id FROM accounts WHERE id = $1",
        };
        let row: Option<(Uuid,)> = run!(self, c => sqlx::query_as(q).bind(id).fetch_optional(&mut *c).await).map_err(map_err)?;
        if let Some((org,)) = row {
            self.touch(Some(OrganisationId(org)));
        }
        Ok(())
    }
}

impl Tx {
    async fn with_quotas(&mut self, row: SubscriptionRow) -> StoreResult<Subscription> {
        const Q: &str = "SELECT service_role_id, max_holders FROM role_quotas WHERE subscription_id = $1";
        let id = row.id();
        let quotas: Vec<(Uuid, i64)> = run!(self, c => sqlx::query_as(Q).bind(id).fetch_all(&mut *c).await).map_err(map_err)?;
        row.into_domain(quotas)
    }
}

/// What PostgreSQL's committing text sends before its `COMMIT` (no round trip of its own):
/// the announcements of the organisations whose rights changed (`None`: the catalogue), of
/// a change of who is signed in (`identity`: this instance's name), and, for a transaction
/// harmless to lose (`unsynced`) that wrote no trace (`traced`), the commit that does not
/// wait for the disk.
fn pg_before_commit(touched: &[Option<OrganisationId>], identity: Option<&str>, unsynced: bool, traced: bool) -> String {
    let mut before = String::new();
    for org in touched {
        let payload = org.map(|o| o.to_string()).unwrap_or_else(|| "*".into());
        // Prefixed with the schema: instances of other installations (or test schemas) on
        // the same database hear it and ignore it.
        before.push_str(&notify("habilis_rights", &payload));
    }
    if let Some(instance) = identity {
        before.push_str(&notify("habilis_identity", instance));
    }
    if unsynced && !traced {
        before.push_str("SET LOCAL synchronous_commit TO OFF; ");
    }
    before
}

/// The statement that announces `payload` on `channel` to the instances listening
/// (PostgreSQL), prefixed with the schema; sent in the committing text, its values written
/// as literals (`append::pg_text`).
fn notify(channel: &str, payload: &str) -> String {
    format!("SELECT pg_notify({}, current_schema() || ' ' || {}); ", crate::append::pg_text(channel), crate::append::pg_text(payload))
}

mod alerts;
mod contracts;
mod desk;
mod organisations;
mod requests;
mod reviews;
mod rights;
mod scim;
mod oidc;
pub(crate) mod sessions;
mod trail;

impl Transaction for Tx {
    fn quiet(&mut self) {
        self.quiet = true;
    }

    fn unsynced(&mut self) {
        self.unsynced = true;
    }

    async fn mark(&mut self) -> StoreResult<()> {
        run!(self, c => sqlx::query("SAVEPOINT habilis_mark").execute(&mut *c).await.map(|_| ())).map_err(map_err)?;
        Ok(())
    }

    async fn undo_to_mark(&mut self) -> StoreResult<()> {
        // The trail's remembered heads may now be ahead of the database's: its writers
        // compare before they write and read the head again when it differs.
        run!(self, c => sqlx::query("ROLLBACK TO SAVEPOINT habilis_mark").execute(&mut *c).await.map(|_| ())).map_err(map_err)?;
        run!(self, c => sqlx::query("RELEASE SAVEPOINT habilis_mark").execute(&mut *c).await.map(|_| ())).map_err(map_err)?;
        Ok(())
    }

    async fn keep_since_mark(&mut self) -> StoreResult<()> {
        run!(self, c => sqlx::query("RELEASE SAVEPOINT habilis_mark").execute(&mut *c).await.map(|_| ())).map_err(map_err)?;
        Ok(())
    }

    async fn commit(mut self) -> StoreResult<()> {
        let identity = self.writes && !self.quiet;
        // Other instances hear of it through PostgreSQL, on commit only: the notices go in
        // the text that commits (with the change's trace, if it waits for the commit).
        match self.inner {
            Inner::Postgres(side) => {
                let before = pg_before_commit(&self.touched, identity.then_some(&*self.changes.instance), self.unsynced, self.traced);
                match side {
                    Side::Write(w) => w.commit(&before, self.deferred.take(), &self.key, &self.heads).await?,
                    Side::Read(mut t) => {
                        if !before.is_empty() {
                            sqlx::raw_sql(sqlx::AssertSqlSafe(before)).execute(&mut *t).await.map_err(map_err)?;
                        }
                        t.commit().await.map_err(map_err)?
                    }
                }
            }
            Inner::Sqlite(Lite::Write(w)) => w.commit(self.deferred.take(), &self.key, &self.heads).await?,
            Inner::Sqlite(Lite::Read(t)) => t.commit().await.map_err(map_err)?,
        }
        if identity {
            self.changes.identity.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        }
        for org in self.touched {
            let version = self.changes.version.fetch_add(1, std::sync::atomic::Ordering::AcqRel) + 1;
            // Nobody listening is fine: the view is rebuilt when it starts.
            let _ = self.changes.sender.send(habilis_core::store::RightsChange { organisation: org, everything: false, version });
        }
        Ok(())
    }

    async fn meta(&mut self, key: &str) -> StoreResult<Option<String>> {
        const Q: &str = "SELECT value FROM installation WHERE key = $1";
        let row: Option<(String,)> = run!(self, c => sqlx::query_as(Q).bind(key).fetch_optional(&mut *c).await).map_err(map_err)?;
        Ok(row.map(|(v,)| v))
    }

    async fn set_meta(&mut self, key: &str, value: &str) -> StoreResult<()> {
        const Q: &str =
            "INSERT INTO installation (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
        run!(self, c => sqlx::query(Q).bind(key).bind(value).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn count_organisations(&mut self) -> StoreResult<i64> {
        const Q: &str = "SELECT COUNT(*) FROM organisations";
        let (n,): (i64,) = run!(self, c => sqlx::query_as(Q).fetch_one(&mut *c).await).map_err(map_err)?;
        Ok(n)
    }

    async fn count_accounts(&mut self) -> StoreResult<i64> {
        const Q: &str = "SELECT COUNT(*) FROM accounts";
        let (n,): (i64,) = run!(self, c => sqlx::query_as(Q).fetch_one(&mut *c).await).map_err(map_err)?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_transaction_marked_and_untraced_commits_without_waiting_for_the_disk() {
        let org = OrganisationId(Uuid::nil());
        let text = pg_before_commit(&[Some(org), None], Some("instance-a"), false, false);
        assert!(text.contains("habilis_rights") && text.contains("instance-a"), "{text}");
        assert!(!text.contains("synchronous_commit"), "{text}");
        assert_eq!(pg_before_commit(&[], None, true, false), "SET LOCAL synchronous_commit TO OFF; ");
        // A trace is durable before the answer, whatever the caller marked.
        assert_eq!(pg_before_commit(&[], None, true, true), "");
        assert!(!pg_before_commit(&[None], None, true, true).contains("synchronous_commit"));
    }
}
