//! Retention (R63, Art. 5.3.2): traces are kept 6 months, records of grants and mandates 6
//! years after they ended (both configurable). The purge cuts each chain of the trail at its
//! last record older than the cut-off and leaves a checkpoint signed with the Ed25519
//! checkpoint key, so that `audit verify` resumes after the cut and still catches any
//! other removal. Nothing younger than a cut-off is ever removed.

use serde::{Deserialize, Serialize};
use time::{Date, Month, OffsetDateTime};
use uuid::Uuid;

use crate::app::App;
use crate::error::Result;
use crate::store::*;
use crate::clock::to_micros;
use crate::trace::*;


/// How long things are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionPolicy {
    /// Traces older than this many months go (Art. 5.3.2: 6).
    pub traces_months: u32,
    /// Grants and mandates go this many years after they ended (6).
    pub rights_years: u32,
    /// Records removed per transaction, so that the portal is never held for long.
    pub batch_size: u32,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy { traces_months: 6, rights_years: 6, batch_size: 5000 }
    }
}

/// What a purge removed (or, on a dry run, would remove).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PurgeReport {
    pub dry_run: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub traces_cutoff: OffsetDateTime,
    pub rights_cutoff: Date,
    pub traces: u64,
    pub chains: usize,
    pub partitions_dropped: u32,
    pub grants: u64,
    pub mandates: u64,
    /// Periods of group membership that ended before the rights' cut-off.
    pub memberships: u64,
}

/// `d` moved back `months` calendar months (the day clamped to the month's length). Out of
/// the calendar's range, the earliest instant: a purge then removes nothing.
pub fn months_before(t: OffsetDateTime, months: u32) -> OffsetDateTime {
    let d = t.date();
    let total = i64::from(d.year()) * 12 + i64::from(u8::from(d.month())) - 1 - i64::from(months);
    let (y, m) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u8);
    let earliest = Date::MIN.midnight().assume_utc();
    let Ok(y) = i32::try_from(y) else {
        return earliest;
    };
    let month = Month::try_from(m).unwrap_or(Month::January);
    let day = d.day().min(month.length(y));
    match Date::from_calendar_date(y, month, day) {
        Ok(date) => t.replace_date(date),
        Err(_) => earliest,
    }
}

impl<S: Store> App<S> {
    /// Run the retention rules once. `progress(done, total)` is called after each batch of
    /// traces. A dry run changes nothing and says what would go.
    pub async fn purge(&self, policy: &RetentionPolicy, key: &CheckpointKey, dry_run: bool, progress: &(dyn Fn(u64, u64) + Sync)) -> Result<PurgeReport> {
        let now = self.now();
        let traces_cutoff = months_before(now, policy.traces_months);
        let rights_cutoff_at = months_before(now, policy.rights_years.saturating_mul(12));
        if traces_cutoff >= now || rights_cutoff_at >= now {
            return Err(crate::Error::invalid("retention", crate::values::ValueError::OutOfRange));
        }
        let cutoff = to_micros(traces_cutoff);
        let mut report = PurgeReport {
            dry_run,
            traces_cutoff,
            rights_cutoff: rights_cutoff_at.date(),
            traces: 0,
            chains: 0,
            partitions_dropped: 0,
            grants: 0,
            mandates: 0,
            memberships: 0,
        };
        let cuts = self.store.trace_cuts(cutoff).await?;
        let total: u64 = cuts.iter().map(|c| c.count.max(0) as u64).sum();
        report.chains = cuts.len();
        report.traces = total;
        let (grants, mandates, memberships) = self.store.purge_ended_rights(to_micros(rights_cutoff_at), rights_cutoff_at.date(), true, None).await?;
        (report.grants, report.mandates, report.memberships) = (grants, mandates, memberships);
        if dry_run {
            let (parts, _) = self.store.drop_trace_partitions(cutoff, true).await?;
            report.partitions_dropped = parts;
            return Ok(report);
        }
        // First the signed checkpoints: if the purge stops half-way, the records left below
        // a checkpoint are simply skipped by verification and removed next time (with no
        // second checkpoint where one already covers the cut).
        let existing = self.store.trace_checkpoints().await?;
        for cut in &cuts {
            if existing.iter().any(|c| c.chain_id == cut.chain_id && c.seq >= cut.seq) {
                continue;
            }
            let mut c = Checkpoint {
                id: Uuid::now_v7(),
                chain_id: cut.chain_id,
                seq: cut.seq,
                seal: cut.seal.clone(),
                removed: cut.count,
                cutoff_at: cutoff,
                created_at: to_micros(now),
                public_key: Vec::new(),
                signature: Vec::new(),
            };
            key.sign(&mut c);
            self.store.insert_checkpoint(&c).await?;
        }
        // Whole months first (PostgreSQL), then the rest in short batches.
        let (parts, mut done) = self.store.drop_trace_partitions(cutoff, false).await?;
        report.partitions_dropped = parts;
        progress(done.min(total), total);
        for cut in &cuts {
            loop {
                let n = self.store.delete_trace_batch(cut.chain_id, cut.seq, cutoff, i64::from(policy.batch_size.max(1))).await?;
                done += n;
                progress(done.min(total), total);
                self.store.checkpoint_wal().await?;
                // Lowest first: a short batch was the last one.
                if n < u64::from(policy.batch_size.max(1)) {
                    break;
                }
                tokio::task::yield_now().await;
            }
        }
        // The purge itself is traced (events without an organisation), with the rights it
        // removed in the same transaction.
        let mut e = crate::trace::TraceEntry::new(self.now(), "retention.purge", crate::trace::Outcome::Success, &crate::trace::ClientInfo::default());
        e.target = Some(format!("{} traces avant le {}", report.traces, crate::clock::format_paris(traces_cutoff)));
        let (grants, mandates, memberships) = self.store.purge_ended_rights(to_micros(rights_cutoff_at), rights_cutoff_at.date(), false, Some(&e)).await?;
        (report.grants, report.mandates, report.memberships) = (grants, mandates, memberships);
        tracing::info!(traces = report.traces, chains = report.chains, partitions = parts, grants, mandates, memberships, "retention purge done");
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn months_back_clamp_the_day_and_cross_years() {
        assert_eq!(months_before(datetime!(2026-08-31 10:00 UTC), 6), datetime!(2026-02-28 10:00 UTC));
        assert_eq!(months_before(datetime!(2026-03-15 00:00 UTC), 6), datetime!(2025-09-15 00:00 UTC));
        assert_eq!(months_before(datetime!(2026-11-27 09:00 UTC), 72), datetime!(2020-11-27 09:00 UTC));
        assert_eq!(months_before(datetime!(2024-02-29 09:00 UTC), 12), datetime!(2023-02-28 09:00 UTC));
        // Far beyond the calendar: nothing is ever older.
        assert_eq!(months_before(datetime!(2026-11-27 09:00 UTC), u32::MAX), Date::MIN.midnight().assume_utc());
    }
}
