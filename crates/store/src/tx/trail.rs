//! Appending a sealed entry to its organisation's chain.

use habilis_core::records::*;
use habilis_core::store::{StoreResult, TrailTx};
use habilis_core::trace::{TraceEntry, TraceRecord};
use uuid::Uuid;

use super::{Inner, Side, Tx};
use crate::map_err;
use crate::rows::*;

impl TrailTx for Tx {
    async fn append_trace(&mut self, e: &TraceEntry) -> StoreResult<TraceRecord> {
        // Taking the next number holds this chain's head until commit: appends to one
        // organisation's chain line up (on SQLite, all writes do). One round trip while the
        // head this process left holds (`append`).
        let chain_id = e.chain_id();
        self.traced = true;
        // A bench build that measures what tracing costs (`--features untraced`): nothing
        // is written. Never a release: the contract requires every action traced.
        if cfg!(feature = "untraced") {
            return Ok(TraceRecord { entry: e.clone(), chain_id, seq: 0, prev_seal: Vec::new(), seal: Vec::new() });
        }
        // The trace waiting for the commit, if any, goes first: records keep their order.
        self.write_deferred().await?;
        let written = match &mut self.inner {
            // A change's trace rides with the commit while the head this process remembers
            // is known (`append::commit_with_sqlite`, `append::commit_with_pg`).
            Inner::Postgres(Side::Write(_)) | Inner::Sqlite(Side::Write(_)) if let Some((d, written)) = crate::append::defer(&self.key, &self.heads, e) => {
                self.deferred = Some(d);
                written
            }
            Inner::Postgres(t) => crate::append::append_one_pg(t.conn().map_err(map_err)?, &self.key, &self.heads, e).await?,
            Inner::Sqlite(t) => crate::append::append_sqlite(t.conn().map_err(map_err)?, &self.key, &self.heads, chain_id, &[e])
                .await?
                .pop()
                .ok_or_else(|| habilis_core::StoreError::Unavailable("no trace written".into()))?,
        };
        let (seq, entry, prev_seal, seal) = written;
        Ok(TraceRecord { entry, chain_id, seq, prev_seal, seal })
    }

    async fn append_traces(&mut self, entries: &[TraceEntry]) -> StoreResult<()> {
        // Chain by chain, each in one round trip while the head this process left holds.
        self.traced |= !entries.is_empty();
        if cfg!(feature = "untraced") {
            return Ok(());
        }
        self.write_deferred().await?;
        for (chain, list) in crate::append::by_chain(entries) {
            match &mut self.inner {
                Inner::Postgres(t) => crate::append::append_chain_locked(t.conn().map_err(map_err)?, &self.key, &self.heads, chain, &list, crate::append::Writer::Transaction).await?,
                Inner::Sqlite(t) => crate::append::append_sqlite(t.conn().map_err(map_err)?, &self.key, &self.heads, chain, &list).await?,
            };
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
