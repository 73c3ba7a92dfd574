//! Appending a sealed entry to its organisation's chain.

use habilis_core::clock::to_micros;
use habilis_core::records::*;
use habilis_core::store::{StoreResult, TrailTx};
use habilis_core::trace::{GENESIS_SEAL, TraceEntry, TraceRecord};
use uuid::Uuid;

use super::{Inner, Tx};
use crate::map_err;
use crate::rows::*;

impl TrailTx for Tx {
    async fn append_trace(&mut self, e: &TraceEntry) -> StoreResult<TraceRecord> {
        // Taking the next number locks this chain's head until commit: appends to one
        // organisation's chain line up, other organisations' chains are not held.
        const NEXT: &str = "INSERT INTO trace_heads (chain_id, seq, seal, at) VALUES ($1, 1, $2, 0) \
                            ON CONFLICT (chain_id) DO UPDATE SET seq = trace_heads.seq + 1 \
                            RETURNING seq, seal, at";
        const HEAD: &str = "UPDATE trace_heads SET seal = $2, at = $3 WHERE chain_id = $1";
        const INSERT: &str = "INSERT INTO traces (chain_id, seq, id, at, actor_id, actor_login, organisation_id, \
                              session_id, client_addr, user_agent, action, target, outcome, detail, prev_seal, seal) \
                              VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)";
        let chain_id = e.chain_id();
        // A bench build that measures what tracing costs (`--features untraced`): nothing
        // is written. Never a release: the contract requires every action traced.
        if cfg!(feature = "untraced") {
            return Ok(TraceRecord { entry: e.clone(), chain_id, seq: 0, prev_seal: Vec::new(), seal: Vec::new() });
        }
        // PostgreSQL: one statement while the head this process left holds.
        if let Inner::Postgres(t) = &mut self.inner {
            let (seq, entry, prev_seal, seal) = crate::append::append_one_pg(t, &self.key, &self.heads, e).await?;
            return Ok(TraceRecord { entry, chain_id, seq, prev_seal, seal });
        }
        // SQLite: one round trip while the head this process left holds.
        if let Inner::Sqlite(t) = &mut self.inner
            && let Some(mut rows) = crate::append::append_if_head_sqlite(t, &self.key, &self.heads, chain_id, &[e]).await?
            && let Some((seq, entry, prev_seal, seal)) = rows.pop()
        {
            return Ok(TraceRecord { entry, chain_id, seq, prev_seal, seal });
        }
        let genesis = GENESIS_SEAL.to_vec();
        let (seq, prev, head_at): (i64, Vec<u8>, i64) =
            run!(self, c => sqlx::query_as(NEXT).bind(chain_id).bind(&genesis).fetch_one(&mut *c).await).map_err(map_err)?;
        // Time never goes back within a chain (the instant was taken before the chain's
        // lock): so "older than the cut-off" is always a prefix of the chain.
        let mut e = e.clone();
        if to_micros(e.at) < head_at {
            e.at = habilis_core::clock::from_micros(head_at);
        }
        let e = &e;
        let seal = self.key.seal(chain_id, seq, &prev, e);
        run!(self, c => sqlx::query(HEAD).bind(chain_id).bind(&seal).bind(to_micros(e.at)).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        run!(self, c => sqlx::query(INSERT)
            .bind(chain_id).bind(seq).bind(e.id).bind(to_micros(e.at)).bind(e.actor_id.map(|a| a.0))
            .bind(&e.actor_login).bind(e.organisation_id.map(|o| o.0)).bind(e.session_id.map(|s| s.0))
            .bind(&e.client_addr).bind(&e.user_agent).bind(&e.action).bind(&e.target).bind(e.outcome.as_str())
            .bind(&e.detail).bind(&prev).bind(&seal)
            .execute(&mut *c).await.map(|r| r.rows_affected()))
        .map_err(map_err)?;
        self.heads.remember(chain_id, seq, seal.clone(), to_micros(e.at));
        Ok(TraceRecord { entry: e.clone(), chain_id, seq, prev_seal: prev, seal })
    }

    async fn append_traces(&mut self, entries: &[TraceEntry]) -> StoreResult<()> {
        // PostgreSQL: one statement per chain while the head this process left holds (the
        // trace batcher's way). SQLite: reserve k numbers of a chain at once, seal in
        // memory, write the head once and the records in multi-row inserts.
        const NEXT: &str = "INSERT INTO trace_heads (chain_id, seq, seal, at) VALUES ($1, $3, $2, 0) \
                            ON CONFLICT (chain_id) DO UPDATE SET seq = trace_heads.seq + $3 \
                            RETURNING seq, seal, at";
        const HEAD: &str = "UPDATE trace_heads SET seal = $2, at = $3 WHERE chain_id = $1";
        const COLUMNS: &str = "INSERT OR ROLLBACK INTO traces (chain_id, seq, id, at, actor_id, actor_login, organisation_id, \
                               session_id, client_addr, user_agent, action, target, outcome, detail, prev_seal, seal) VALUES ";
        // SQLite binds `?` by position; sqlx looks `$N` up by name, which grows with the
        // number of parameters (a profile showed it dominating a 100-row insert).
        const ROWS_PER_INSERT: usize = 50;
        if cfg!(feature = "untraced") {
            return Ok(());
        }
        let chains = crate::append::by_chain(entries);
        if let Inner::Postgres(t) = &mut self.inner {
            for (chain, list) in &chains {
                crate::append::append_chain_locked(t, &self.key, &self.heads, *chain, list).await?;
            }
            return Ok(());
        }
        let genesis = GENESIS_SEAL.to_vec();
        for (chain_id, list) in chains {
            // One round trip while the head this process left holds.
            if let Inner::Sqlite(t) = &mut self.inner
                && crate::append::append_if_head_sqlite(t, &self.key, &self.heads, chain_id, &list).await?.is_some()
            {
                continue;
            }
            let k = list.len() as i64;
            let (last, mut prev, mut at): (i64, Vec<u8>, i64) =
                run!(self, c => sqlx::query_as(NEXT).bind(chain_id).bind(&genesis).bind(k).fetch_one(&mut *c).await).map_err(map_err)?;
            let first = last - k + 1;
            let mut sealed: Vec<(i64, TraceEntry, Vec<u8>, Vec<u8>)> = Vec::with_capacity(list.len());
            for (i, e) in list.into_iter().enumerate() {
                let seq = first + i as i64;
                let mut e = e.clone();
                if to_micros(e.at) < at {
                    e.at = habilis_core::clock::from_micros(at);
                }
                at = to_micros(e.at);
                let seal = self.key.seal(chain_id, seq, &prev, &e);
                let before = std::mem::replace(&mut prev, seal.clone());
                sealed.push((seq, e, before, seal));
            }
            run!(self, c => sqlx::query(HEAD).bind(chain_id).bind(&prev).bind(at).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
            for chunk in sealed.chunks(ROWS_PER_INSERT) {
                // On SQLite, OR ROLLBACK: a conflict ends the whole batch anyway, and the
                // multi-row statement then needs no statement journal (a copy of every
                // page it touches, measured at a fifth of the writer's time).
                let mut sql = String::from(COLUMNS);
                for i in 0..chunk.len() {
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
                }
                run!(self, c => {
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
                    for (seq, e, before, seal) in chunk {
                        q = q.bind(chain_id).bind(*seq).bind(e.id).bind(to_micros(e.at)).bind(e.actor_id.map(|a| a.0))
                            .bind(&e.actor_login).bind(e.organisation_id.map(|o| o.0)).bind(e.session_id.map(|s| s.0))
                            .bind(&e.client_addr).bind(&e.user_agent).bind(&e.action).bind(&e.target).bind(e.outcome.as_str())
                            .bind(&e.detail).bind(before).bind(seal);
                    }
                    q.execute(&mut *c).await.map(|r| r.rows_affected())
                })
                .map_err(map_err)?;
            }
            self.heads.remember(chain_id, last, prev, at);
        }
        Ok(())
    }

    async fn recent_traces(&mut self, org: Option<OrganisationId>, limit: i64) -> StoreResult<Vec<TraceRecord>> {
        const Q: &str = "SELECT * FROM traces WHERE chain_id = $1 ORDER BY seq DESC LIMIT $2";
        let chain = org.map(|o| o.0).unwrap_or(Uuid::nil());
        let rows: Vec<TraceRow> = run!(self, c => sqlx::query_as(Q).bind(chain).bind(limit).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(TraceRow::into_record).collect()
    }
}
