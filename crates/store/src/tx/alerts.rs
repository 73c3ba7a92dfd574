//! Alerts on atypical use: the caisse's rules, the alerts, and the reads of the trail that
//! seed the watch.

use habilis_core::clock::to_micros;
use habilis_core::records::*;
use habilis_core::store::{AlertTx, StoreResult};
use habilis_core::StoreError;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Inner, Tx};
use crate::map_err;
use crate::rows::*;

fn json(written: serde_json::Result<String>) -> StoreResult<String> {
    written.map_err(|e| StoreError::Corrupt(format!("cannot write JSON: {e}")))
}

impl AlertTx for Tx {
    async fn insert_alert(&mut self, a: &Alert) -> StoreResult<bool> {
        const Q: &str = "INSERT INTO alerts (id, caisse_id, organisation_id, account_id, rule, period, raised_at, facts, evidence, status, \
                         acknowledged_by, acknowledged_at, comment, actions) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
                         ON CONFLICT (account_id, rule, period) DO NOTHING";
        let (facts, evidence, actions) = (json(serde_json::to_string(&a.facts))?, json(serde_json::to_string(&a.evidence))?, json(serde_json::to_string(&a.actions))?);
        let n = run!(self, c => sqlx::query(Q).bind(a.id.0).bind(a.caisse_id.0).bind(a.organisation_id.0).bind(a.account_id.0)
            .bind(a.rule.as_str()).bind(&a.period).bind(to_micros(a.raised_at)).bind(&facts).bind(&evidence).bind(a.status.as_str())
            .bind(a.acknowledged_by.map(|x| x.0)).bind(a.acknowledged_at.map(to_micros)).bind(&a.comment).bind(&actions)
            .execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(n == 1)
    }

    async fn alert(&mut self, id: AlertId) -> StoreResult<Option<Alert>> {
        const Q: &str = "SELECT * FROM alerts WHERE id = $1";
        let row: Option<AlertRow> = run!(self, c => sqlx::query_as(Q).bind(id.0).fetch_optional(&mut *c).await).map_err(map_err)?;
        row.map(AlertRow::into_domain).transpose()
    }

    async fn lock_alert(&mut self, id: AlertId) -> StoreResult<Option<Alert>> {
        // SQLite has no FOR UPDATE, and needs none (write transactions begin IMMEDIATE).
        self.write_deferred().await?;
        let row: Option<AlertRow> = match &mut self.inner {
            Inner::Sqlite(t) => match t.conn() { Ok(c) => sqlx::query_as("SELECT * FROM alerts WHERE id = $1").bind(id.0).fetch_optional(c).await, Err(e) => Err(e) },
            Inner::Postgres(t) => match t.conn() { Ok(c) => sqlx::query_as("SELECT * FROM alerts WHERE id = $1 FOR UPDATE").bind(id.0).fetch_optional(c).await, Err(e) => Err(e) },
        }
        .map_err(map_err)?;
        row.map(AlertRow::into_domain).transpose()
    }

    async fn alerts_of(&mut self, caisse: OrganisationId, f: &AlertFilter) -> StoreResult<Vec<Alert>> {
        const Q: &str = "SELECT * FROM alerts WHERE caisse_id = $1 AND ($2 IS NULL OR status = $2) AND ($3 IS NULL OR rule = $3) \
                         AND ($4 IS NULL OR organisation_id = $4) AND ($5 IS NULL OR account_id = $5) \
                         ORDER BY raised_at DESC, id DESC LIMIT $6 OFFSET $7";
        let rows: Vec<AlertRow> = run!(self, c => sqlx::query_as(Q).bind(caisse.0).bind(f.status.map(|s| s.as_str())).bind(f.rule.map(|r| r.as_str()))
            .bind(f.organisation.map(|o| o.0)).bind(f.account.map(|a| a.0)).bind(f.limit.clamp(1, 500)).bind(f.offset.max(0))
            .fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(AlertRow::into_domain).collect()
    }

    async fn open_alert_count(&mut self, caisse: OrganisationId) -> StoreResult<i64> {
        const Q: &str = "SELECT COUNT(*) FROM alerts WHERE caisse_id = $1 AND status = 'open'";
        run!(self, c => sqlx::query_scalar(Q).bind(caisse.0).fetch_one(&mut *c).await).map_err(map_err)
    }

    async fn update_alert(&mut self, a: &Alert) -> StoreResult<()> {
        const Q: &str = "UPDATE alerts SET status = $2, acknowledged_by = $3, acknowledged_at = $4, comment = $5, actions = $6 WHERE id = $1";
        let actions = json(serde_json::to_string(&a.actions))?;
        run!(self, c => sqlx::query(Q).bind(a.id.0).bind(a.status.as_str()).bind(a.acknowledged_by.map(|x| x.0))
            .bind(a.acknowledged_at.map(to_micros)).bind(&a.comment).bind(&actions)
            .execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn alert_rules(&mut self, caisse: OrganisationId) -> StoreResult<Option<AlertRules>> {
        const Q: &str = "SELECT settings FROM alert_rules WHERE caisse_id = $1";
        let s: Option<String> = run!(self, c => sqlx::query_scalar(Q).bind(caisse.0).fetch_optional(&mut *c).await).map_err(map_err)?;
        s.map(|s| serde_json::from_str(&s).map_err(|_| StoreError::Corrupt(format!("unknown alert rules {s:?}")))).transpose()
    }

    async fn save_alert_rules(&mut self, caisse: OrganisationId, rules: &AlertRules, by: AccountId, at: OffsetDateTime) -> StoreResult<()> {
        const Q: &str = "INSERT INTO alert_rules (caisse_id, settings, updated_by, updated_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (caisse_id) DO UPDATE SET settings = excluded.settings, updated_by = excluded.updated_by, updated_at = excluded.updated_at";
        let settings = json(serde_json::to_string(rules))?;
        run!(self, c => sqlx::query(Q).bind(caisse.0).bind(&settings).bind(by.0).bind(to_micros(at))
            .execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn consultations_since(&mut self, since: i64) -> StoreResult<Vec<(AccountId, i64, i64)>> {
        // Chain by chain (through their heads), so that the (chain_id, at) index gives each
        // chain's recent range.
        const Q: &str = "SELECT t.actor_id, t.at / 3600000000 AS hour, COUNT(*) AS n FROM trace_heads h \
                         JOIN traces t ON t.chain_id = h.chain_id AND t.at >= $1 \
                         WHERE t.actor_id IS NOT NULL AND t.outcome = 'success' AND t.action IN ('http.get', 'service.signin') \
                         GROUP BY t.actor_id, t.at / 3600000000";
        let rows: Vec<(Uuid, i64, i64)> = run!(self, c => sqlx::query_as(Q).bind(since).fetch_all(&mut *c).await).map_err(map_err)?;
        Ok(rows.into_iter().map(|(a, h, n)| (AccountId(a), h, n)).collect())
    }

    async fn sign_ins_since(&mut self, since: i64) -> StoreResult<Vec<(AccountId, OrganisationId, Option<String>, i64)>> {
        const Q: &str = "SELECT t.actor_id, t.organisation_id, t.client_addr, MAX(t.at) FROM trace_heads h \
                         JOIN traces t ON t.chain_id = h.chain_id AND t.at >= $1 \
                         WHERE t.actor_id IS NOT NULL AND t.organisation_id IS NOT NULL AND t.action = 'session.login' AND t.outcome = 'success' \
                         GROUP BY t.actor_id, t.organisation_id, t.client_addr";
        let rows: Vec<(Uuid, Uuid, Option<String>, i64)> = run!(self, c => sqlx::query_as(Q).bind(since).fetch_all(&mut *c).await).map_err(map_err)?;
        Ok(rows.into_iter().map(|(a, o, addr, at)| (AccountId(a), OrganisationId(o), addr, at)).collect())
    }

    async fn failures_since(&mut self, since: i64) -> StoreResult<Vec<(AccountId, i64, Uuid)>> {
        const Q: &str = "SELECT t.actor_id, t.at, t.id FROM trace_heads h JOIN traces t ON t.chain_id = h.chain_id AND t.at >= $1 \
                         WHERE t.actor_id IS NOT NULL AND t.action = 'session.login' AND t.outcome = 'failure' ORDER BY t.at";
        let rows: Vec<(Uuid, i64, Uuid)> = run!(self, c => sqlx::query_as(Q).bind(since).fetch_all(&mut *c).await).map_err(map_err)?;
        Ok(rows.into_iter().map(|(a, at, id)| (AccountId(a), at, id)).collect())
    }
}
