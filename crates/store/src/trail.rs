//! The trail at scale (R60–R64): the viewer's search, the cuts and batches of the
//! retention purge, its signed checkpoints, and on PostgreSQL the monthly partitions.

use habilis_core::store::{StoreResult, TraceCut};
use habilis_core::trace::{Checkpoint, TraceEntry, TraceQuery, TraceRecord};
use sqlx::AssertSqlSafe;
use time::{Date, Month, OffsetDateTime};
use uuid::Uuid;

use crate::rows::TraceRow;
use crate::{Db, Pool, map_err};

macro_rules! pool {
    ($db:expr, $p:ident => $body:expr) => {
        match &$db.pool {
            Pool::Sqlite($p) => $body,
            Pool::Postgres($p) => $body,
        }
    };
}

enum Arg {
    I(i64),
    T(String),
    U(Uuid),
}

macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::I(v) => q.bind(*v),
                Arg::T(v) => q.bind(v.clone()),
                Arg::U(v) => q.bind(*v),
            };
        }
        q
    }};
}

/// `LIKE` pattern for a prefix, with the wildcards of the prefix itself escaped.
fn prefix_pattern(p: &str) -> String {
    let mut s = String::with_capacity(p.len() + 1);
    for ch in p.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(ch);
    }
    s.push('%');
    s
}

impl Db {
    pub(crate) async fn trace_search_impl(&self, q: &TraceQuery) -> StoreResult<Vec<TraceRecord>> {
        if q.chains.is_empty() {
            return Ok(Vec::new());
        }
        let mut args: Vec<Arg> = Vec::new();
        let n = |args: &mut Vec<Arg>, a: Arg| {
            args.push(a);
            format!("${}", args.len())
        };
        // The filters, shared by every chain's part of the query.
        let mut filters = String::new();
        if let Some(from) = q.from {
            filters.push_str(&format!(" AND at >= {}", n(&mut args, Arg::I(from))));
        }
        if let Some(to) = q.to {
            filters.push_str(&format!(" AND at < {}", n(&mut args, Arg::I(to))));
        }
        if let Some(login) = &q.actor_login {
            filters.push_str(&format!(" AND actor_login = {}", n(&mut args, Arg::T(login.clone()))));
        }
        if let Some(id) = q.actor_id {
            filters.push_str(&format!(" AND actor_id = {}", n(&mut args, Arg::U(id.0))));
        }
        if let Some(action) = &q.action {
            filters.push_str(&format!(" AND action LIKE {} ESCAPE '\\'", n(&mut args, Arg::T(prefix_pattern(action)))));
        }
        if let Some(target) = &q.target {
            filters.push_str(&format!(" AND target = {}", n(&mut args, Arg::T(target.clone()))));
        }
        if !q.targets.is_empty() {
            let list: Vec<String> = q.targets.iter().take(200).map(|t| n(&mut args, Arg::T(t.clone()))).collect();
            filters.push_str(&format!(" AND target IN ({})", list.join(", ")));
        }
        if let Some(outcome) = q.outcome {
            filters.push_str(&format!(" AND outcome = {}", n(&mut args, Arg::T(outcome.as_str().into()))));
        }
        if let Some(s) = q.session {
            filters.push_str(&format!(" AND session_id = {}", n(&mut args, Arg::U(s.0))));
        }
        if q.changes_only {
            for prefix in habilis_core::labels::CONSULTATION_PREFIXES {
                filters.push_str(&format!(" AND action NOT LIKE {} ESCAPE '\\'", n(&mut args, Arg::T(prefix_pattern(prefix)))));
            }
        }
        if let Some((at, id)) = q.before {
            // `at <= a` first, so that the index gives the range.
            let a = n(&mut args, Arg::I(at));
            let b = n(&mut args, Arg::U(id));
            filters.push_str(&format!(" AND at <= {a} AND (at < {a} OR id < {b})"));
        }
        let limit = n(&mut args, Arg::I(q.limit.clamp(1, 10_000)));
        let order = format!("ORDER BY at DESC, id DESC LIMIT {limit}");
        // One chain: one range of the (chain_id, at) index. Several: the newest `limit` of
        // each chain, merged, so no chain's whole history is ever sorted.
        let part = |chain: String| format!("SELECT * FROM traces WHERE chain_id = {chain}{filters} {order}");
        let chains: Vec<String> = q.chains.iter().map(|c| n(&mut args, Arg::U(*c))).collect();
        let sql = match chains.as_slice() {
            [one] => part(one.clone()),
            // SQLite allows 500 terms in a compound query: beyond, one indexed scan by time.
            many if many.len() > 400 => format!("SELECT * FROM traces WHERE chain_id IN ({}){filters} {order}", many.join(", ")),
            many => {
                let parts: Vec<String> = many.iter().map(|c| format!("SELECT * FROM ({}) AS c{}", part(c.clone()), &c[1..])).collect();
                format!("SELECT * FROM ({}) AS merged {order}", parts.join(" UNION ALL "))
            }
        };
        let rows: Vec<TraceRow> = pool!(self, p => bind_all!(sqlx::query_as(AssertSqlSafe(sql.clone())), &args).fetch_all(p).await).map_err(map_err)?;
        rows.into_iter().map(TraceRow::into_record).collect()
    }

    pub(crate) async fn trace_cuts_impl(&self, cutoff: i64) -> StoreResult<Vec<TraceCut>> {
        // Appends keep `at` monotonic within a chain, so "older than the cut-off" is a
        // prefix of each chain: its last record's seq and seal are the checkpoint.
        // Chain by chain (through their heads): the (chain_id, at) index gives each prefix.
        const OLD: &str = "SELECT t.chain_id, MAX(t.seq), COUNT(*) FROM trace_heads h JOIN traces t ON t.chain_id = h.chain_id AND t.at < $1 \
                           GROUP BY t.chain_id ORDER BY t.chain_id";
        const SEAL: &str = "SELECT seal FROM traces WHERE chain_id = $1 AND seq = $2";
        let old: Vec<(Uuid, i64, i64)> = pool!(self, p => sqlx::query_as(OLD).bind(cutoff).fetch_all(p).await).map_err(map_err)?;
        let mut out = Vec::with_capacity(old.len());
        for (chain_id, seq, count) in old {
            let (seal,): (Vec<u8>,) = pool!(self, p => sqlx::query_as(SEAL).bind(chain_id).bind(seq).fetch_one(p).await).map_err(map_err)?;
            out.push(TraceCut { chain_id, seq, seal, count });
        }
        Ok(out)
    }

    pub(crate) async fn insert_checkpoint_impl(&self, c: &Checkpoint) -> StoreResult<()> {
        const Q: &str = "INSERT INTO trace_checkpoints (id, chain_id, seq, seal, removed, cutoff_at, created_at, public_key, signature) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        pool!(self, p => sqlx::query(Q).bind(c.id).bind(c.chain_id).bind(c.seq).bind(&c.seal).bind(c.removed).bind(c.cutoff_at)
            .bind(c.created_at).bind(&c.public_key).bind(&c.signature).execute(p).await.map(|_| ()))
        .map_err(map_err)
    }

    pub(crate) async fn trace_checkpoints_impl(&self) -> StoreResult<Vec<Checkpoint>> {
        const Q: &str = "SELECT id, chain_id, seq, seal, removed, cutoff_at, created_at, public_key, signature \
                         FROM trace_checkpoints ORDER BY chain_id, seq";
        type Row = (Uuid, Uuid, i64, Vec<u8>, i64, i64, i64, Vec<u8>, Vec<u8>);
        let rows: Vec<Row> = pool!(self, p => sqlx::query_as(Q).fetch_all(p).await).map_err(map_err)?;
        Ok(rows
            .into_iter()
            .map(|(id, chain_id, seq, seal, removed, cutoff_at, created_at, public_key, signature)| Checkpoint {
                id,
                chain_id,
                seq,
                seal,
                removed,
                cutoff_at,
                created_at,
                public_key,
                signature,
            })
            .collect())
    }

    pub(crate) async fn delete_trace_batch_impl(&self, chain: Uuid, up_to: i64, cutoff: i64, limit: i64) -> StoreResult<u64> {
        // The lowest `limit` records of the prefix, in one short transaction each, so the
        // portal's appends wait at most one batch (SQLite has one writer).
        const Q: &str = "DELETE FROM traces WHERE chain_id = $1 AND seq IN \
                         (SELECT seq FROM traces WHERE chain_id = $1 AND seq <= $2 AND at < $3 ORDER BY seq LIMIT $4)";
        // Like every writer, on SQLite it takes the write lock at its start (BEGIN IMMEDIATE).
        let mut tx = habilis_core::store::Store::begin(self).await?;
        let n = match &mut tx.inner {
            crate::tx::Inner::Sqlite(t) => match t.conn() { Ok(c) => sqlx::query(Q).bind(chain).bind(up_to).bind(cutoff).bind(limit).execute(c).await.map(|r| r.rows_affected()), Err(e) => Err(e) },
            crate::tx::Inner::Postgres(t) => match t.conn() { Ok(c) => sqlx::query(Q).bind(chain).bind(up_to).bind(cutoff).bind(limit).execute(c).await.map(|r| r.rows_affected()), Err(e) => Err(e) },
        }
        .map_err(map_err)?;
        habilis_core::store::Transaction::commit(tx).await?;
        Ok(n)
    }

    pub(crate) async fn prepare_trace_partitions_impl(&self, now: OffsetDateTime, months_ahead: u32) -> StoreResult<u32> {
        let Pool::Postgres(p) = &self.pool else {
            return Ok(0);
        };
        let mut created = 0;
        let mut first_error = None;
        // Furthest month first: future months hold no rows and are created at once, even
        // if moving the current month's rows out of the default partition fails.
        let mut months = vec![first_of_month(now.date())];
        for _ in 0..months_ahead {
            let last = months.last().copied().unwrap_or(first_of_month(now.date()));
            months.push(next_month(last));
        }
        for month in months.into_iter().rev() {
            let next = next_month(month);
            let name = partition_name(month);
            let exists: Option<(i32,)> = sqlx::query_as(
                "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = $1 AND n.nspname = current_schema()",
            )
                .bind(&name)
                .fetch_optional(p)
                .await
                .map_err(map_err)?;
            if exists.is_none() {
                let (lo, hi) = (micros(month), micros(next));
                // Rows already in the default partition for that month move with it, in one
                // transaction that holds appends back meanwhile (so none is committed between
                // the copy and the removal). The lock is the partitioned table's (and with it
                // its partitions'): an append waits for it *before* it picks a partition, and
                // then sees the new one. Locking the default partition alone let an append
                // that had already picked it wait there, then fail once the month was
                // attached ("violates partition constraint"). Reads are not held back.
                let stmts = [
                    "LOCK TABLE traces IN SHARE ROW EXCLUSIVE MODE".to_string(),
                    format!("CREATE TABLE \"{name}\" (LIKE traces INCLUDING DEFAULTS)"),
                    format!("WITH moved AS (DELETE FROM traces_default WHERE at >= {lo} AND at < {hi} RETURNING *) INSERT INTO \"{name}\" SELECT * FROM moved"),
                    format!("ALTER TABLE traces ATTACH PARTITION \"{name}\" FOR VALUES FROM ({lo}) TO ({hi})"),
                ];
                let attempt = async {
                    let mut tx = p.begin().await?;
                    for s in stmts {
                        sqlx::raw_sql(AssertSqlSafe(s)).execute(&mut *tx).await?;
                    }
                    tx.commit().await
                };
                match attempt.await {
                    Ok(()) => created += 1,
                    Err(e) => {
                        tracing::warn!(partition = %name, error = %e, "could not prepare a trace partition");
                        first_error.get_or_insert(map_err(e));
                    }
                }
            }
        }
        match first_error {
            Some(e) if created == 0 => Err(e),
            _ => Ok(created),
        }
    }

    pub(crate) async fn drop_trace_partitions_impl(&self, cutoff: i64, dry_run: bool) -> StoreResult<(u32, u64)> {
        let Pool::Postgres(p) = &self.pool else {
            return Ok((0, 0));
        };
        // The monthly partitions of `traces` with their upper bound.
        // Only this schema's (the one the connection works in).
        const Q: &str = "SELECT c.relname::text, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i \
                         JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class parent ON parent.oid = i.inhparent \
                         JOIN pg_namespace n ON n.oid = parent.relnamespace \
                         WHERE parent.relname = 'traces' AND n.nspname = current_schema() AND c.relname <> 'traces_default'";
        let parts: Vec<(String, String)> = sqlx::query_as(Q).fetch_all(p).await.map_err(map_err)?;
        let (mut dropped, mut rows) = (0u32, 0u64);
        for (name, bound) in parts {
            let Some(upper) = bound.rsplit("TO ('").next().and_then(|s| s.split('\'').next()).and_then(|s| s.parse::<i64>().ok()) else {
                continue;
            };
            if upper > cutoff {
                continue;
            }
            let (n,): (i64,) = sqlx::query_as(AssertSqlSafe(format!("SELECT COUNT(*) FROM \"{name}\""))).fetch_one(p).await.map_err(map_err)?;
            if !dry_run {
                sqlx::raw_sql(AssertSqlSafe(format!("ALTER TABLE traces DETACH PARTITION \"{name}\""))).execute(p).await.map_err(map_err)?;
                sqlx::raw_sql(AssertSqlSafe(format!("DROP TABLE \"{name}\""))).execute(p).await.map_err(map_err)?;
            }
            dropped += 1;
            rows += n as u64;
        }
        Ok((dropped, rows))
    }

    pub(crate) async fn purge_ended_rights_impl(&self, cutoff: i64, cutoff_date: Date, dry_run: bool, trace: Option<&TraceEntry>) -> StoreResult<(u64, u64, u64)> {
        // A grant has ended when it was revoked, or when its end date passed.
        const ENDED: &str = "((state = 'revoked' AND ended_at IS NOT NULL AND ended_at < $1) OR (ends_on IS NOT NULL AND ends_on < $2))";
        let grants_where = ENDED.to_string();
        let count_grants = format!("SELECT COUNT(*) FROM grants WHERE {grants_where}");
        // A withdrawn mandate goes once nothing left refers to it.
        let mandates_where = "withdrawn_at IS NOT NULL AND withdrawn_at < $1 \
             AND NOT EXISTS (SELECT 1 FROM grants g WHERE g.created_under = mandates.id) \
             AND NOT EXISTS (SELECT 1 FROM mandates c WHERE c.parent_mandate_id = mandates.id)";
        let date = cutoff_date.to_string();
        if dry_run {
            let (g,): (i64,) = pool!(self, p => sqlx::query_as(AssertSqlSafe(count_grants.clone())).bind(cutoff).bind(&date).fetch_one(p).await).map_err(map_err)?;
            let (m,): (i64,) = pool!(self, p => sqlx::query_as(AssertSqlSafe(format!("SELECT COUNT(*) FROM mandates WHERE {mandates_where}")))
                .bind(cutoff).fetch_one(p).await).map_err(map_err)?;
            let (p,): (i64,) = pool!(self, p => sqlx::query_as(AssertSqlSafe(format!("SELECT COUNT(*) FROM group_memberships WHERE {MEMBERSHIPS_ENDED}")))
                .bind(cutoff).fetch_one(p).await).map_err(map_err)?;
            return Ok((g as u64, m as u64, p as u64));
        }
        let stmts_grants = [
            format!("DELETE FROM grant_queries WHERE grant_id IN (SELECT id FROM grants WHERE {grants_where})"),
            format!("DELETE FROM grants WHERE {grants_where}"),
        ];
        // One transaction, with its trace: all of it or nothing.
        let mut tx = habilis_core::store::Store::begin(self).await?;
        macro_rules! exec {
            ($q:expr) => {
                match &mut tx.inner {
                    crate::tx::Inner::Sqlite(t) => match t.conn() { Ok(c) => $q.execute(c).await.map(|r| r.rows_affected()), Err(e) => Err(e) },
                    crate::tx::Inner::Postgres(t) => match t.conn() { Ok(c) => $q.execute(c).await.map(|r| r.rows_affected()), Err(e) => Err(e) },
                }
                .map_err(map_err)?
            };
        }
        let mut grants = 0;
        for s in stmts_grants {
            grants = exec!(sqlx::query(AssertSqlSafe(s.clone())).bind(cutoff).bind(&date));
        }
        // Withdrawn chains of mandates go leaf first.
        let mut mandates = 0;
        loop {
            let n = exec!(sqlx::query(AssertSqlSafe(format!("DELETE FROM mandates WHERE {mandates_where}"))).bind(cutoff));
            mandates += n;
            if n == 0 {
                break;
            }
        }
        let memberships = exec!(sqlx::query(AssertSqlSafe(format!("DELETE FROM group_memberships WHERE {MEMBERSHIPS_ENDED}"))).bind(cutoff));
        if let Some(e) = trace {
            let mut e = e.clone();
            e.detail = Some(format!(
                "{grants} habilitation(s), {mandates} mandat(s) et {memberships} appartenance(s) à un groupe terminés avant le {cutoff_date}"
            ));
            habilis_core::store::TrailTx::append_trace(&mut tx, &e).await?;
        }
        habilis_core::store::Transaction::commit(tx).await?;
        Ok((grants, mandates, memberships))
    }
}

/// Periods of group membership that ended before the cut-off (`$1`, micros).
const MEMBERSHIPS_ENDED: &str = "removed_at IS NOT NULL AND removed_at < $1";

fn first_of_month(d: Date) -> Date {
    Date::from_calendar_date(d.year(), d.month(), 1).unwrap_or(d)
}

fn next_month(d: Date) -> Date {
    let (y, m) = if d.month() == Month::December { (d.year() + 1, Month::January) } else { (d.year(), d.month().next()) };
    Date::from_calendar_date(y, m, 1).unwrap_or(d)
}

fn partition_name(month: Date) -> String {
    format!("traces_{:04}{:02}", month.year(), u8::from(month.month()))
}

fn micros(d: Date) -> i64 {
    (d.midnight().assume_utc().unix_timestamp_nanos() / 1000) as i64
}
