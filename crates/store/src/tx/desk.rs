//! The service desk: incidents, their timeline, planned outages.

use habilis_core::clock::to_micros;
use habilis_core::records::*;
use habilis_core::store::{DeskTx, StoreResult};
use time::OffsetDateTime;

use super::{Inner, Tx};
use crate::map_err;
use crate::rows::*;

impl DeskTx for Tx {
    async fn insert_incident(&mut self, i: &Incident) -> StoreResult<()> {
        const Q: &str = "INSERT INTO incidents (id, reference, caisse_id, partner_id, service_id, opened_by, subject, description, urgent, status, team, \
                         national, awaiting, awaiting_since, due_on, escalation_level, created_at, closed_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)";
        run!(self, c => sqlx::query(Q).bind(i.id.0).bind(&i.reference).bind(i.caisse_id.0).bind(i.partner_id.0).bind(i.service_id.0).bind(i.opened_by.0)
            .bind(&i.subject).bind(&i.description).bind(i.urgent).bind(i.status.as_str()).bind(&i.team).bind(i.national)
            .bind(i.awaiting.map(|s| s.as_str())).bind(to_micros(i.awaiting_since)).bind(i.due_on.map(|d| d.to_string()))
            .bind(i64::from(i.escalation_level)).bind(to_micros(i.created_at)).bind(i.closed_at.map(to_micros))
            .execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn incident(&mut self, id: IncidentId) -> StoreResult<Option<Incident>> {
        const Q: &str = "SELECT * FROM incidents WHERE id = $1";
        let row: Option<IncidentRow> = run!(self, c => sqlx::query_as(Q).bind(id.0).fetch_optional(&mut *c).await).map_err(map_err)?;
        row.map(IncidentRow::into_domain).transpose()
    }

    async fn lock_incident(&mut self, id: IncidentId) -> StoreResult<Option<Incident>> {
        // SQLite has no FOR UPDATE, and needs none (write transactions begin IMMEDIATE).
        self.write_deferred().await?;
        let row: Option<IncidentRow> = match &mut self.inner {
            Inner::Sqlite(t) => match t.conn() { Ok(c) => sqlx::query_as("SELECT * FROM incidents WHERE id = $1").bind(id.0).fetch_optional(c).await, Err(e) => Err(e) },
            Inner::Postgres(t) => match t.conn() { Ok(c) => sqlx::query_as("SELECT * FROM incidents WHERE id = $1 FOR UPDATE").bind(id.0).fetch_optional(c).await, Err(e) => Err(e) },
        }
        .map_err(map_err)?;
        row.map(IncidentRow::into_domain).transpose()
    }

    async fn update_incident(&mut self, i: &Incident) -> StoreResult<()> {
        const Q: &str = "UPDATE incidents SET urgent = $2, status = $3, team = $4, national = $5, awaiting = $6, awaiting_since = $7, \
                         due_on = $8, escalation_level = $9, closed_at = $10 WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(i.id.0).bind(i.urgent).bind(i.status.as_str()).bind(&i.team).bind(i.national)
            .bind(i.awaiting.map(|s| s.as_str())).bind(to_micros(i.awaiting_since)).bind(i.due_on.map(|d| d.to_string()))
            .bind(i64::from(i.escalation_level)).bind(i.closed_at.map(to_micros))
            .execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn incidents_of(&mut self, caisse: OrganisationId, partner: Option<OrganisationId>, closed: bool) -> StoreResult<Vec<Incident>> {
        const Q: &str = "SELECT * FROM incidents WHERE caisse_id = $1 AND ($2 IS NULL OR partner_id = $2) AND ($3 OR status <> 'closed') \
                         ORDER BY created_at DESC LIMIT 500";
        let rows: Vec<IncidentRow> = run!(self, c => sqlx::query_as(Q).bind(caisse.0).bind(partner.map(|p| p.0)).bind(closed).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(IncidentRow::into_domain).collect()
    }

    async fn overdue_incidents(&mut self, today: time::Date) -> StoreResult<Vec<Incident>> {
        const Q: &str = "SELECT * FROM incidents WHERE status <> 'closed' AND due_on IS NOT NULL AND due_on < $1 ORDER BY created_at";
        let rows: Vec<IncidentRow> = run!(self, c => sqlx::query_as(Q).bind(today.to_string()).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(IncidentRow::into_domain).collect()
    }

    async fn add_step(&mut self, s: &IncidentStep) -> StoreResult<()> {
        const Q: &str = "INSERT INTO incident_steps (incident_id, seq, kind, author_id, side, body, at) \
                         SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6 FROM incident_steps WHERE incident_id = $1";
        run!(self, c => sqlx::query(Q).bind(s.incident_id.0).bind(s.kind.as_str()).bind(s.author_id.map(|a| a.0)).bind(s.side.map(|x| x.as_str()))
            .bind(&s.body).bind(to_micros(s.at)).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn steps(&mut self, incident: IncidentId) -> StoreResult<Vec<IncidentStep>> {
        const Q: &str = "SELECT * FROM incident_steps WHERE incident_id = $1 ORDER BY seq";
        let rows: Vec<StepRow> = run!(self, c => sqlx::query_as(Q).bind(incident.0).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(StepRow::into_domain).collect()
    }

    async fn insert_outage(&mut self, o: &Outage) -> StoreResult<()> {
        const Q: &str = "INSERT INTO outages (id, caisse_id, service_id, starts_at, ends_at, reason, announced_by, announced_at, cancelled_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        run!(self, c => sqlx::query(Q).bind(o.id.0).bind(o.caisse_id.0).bind(o.service_id.0).bind(to_micros(o.starts_at)).bind(to_micros(o.ends_at))
            .bind(&o.reason).bind(o.announced_by.0).bind(to_micros(o.announced_at)).bind(o.cancelled_at.map(to_micros))
            .execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        // The rights view answers "unavailable" during the window: it must hear of it.
        self.touch(None);
        Ok(())
    }

    async fn outage(&mut self, id: OutageId) -> StoreResult<Option<Outage>> {
        const Q: &str = "SELECT * FROM outages WHERE id = $1";
        let row: Option<OutageRow> = run!(self, c => sqlx::query_as(Q).bind(id.0).fetch_optional(&mut *c).await).map_err(map_err)?;
        Ok(row.map(OutageRow::into_domain))
    }

    async fn cancel_outage(&mut self, id: OutageId, at: OffsetDateTime) -> StoreResult<bool> {
        const Q: &str = "UPDATE outages SET cancelled_at = $2 WHERE id = $1 AND cancelled_at IS NULL";
        let n = run!(self, c => sqlx::query(Q).bind(id.0).bind(to_micros(at)).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        if n == 1 {
            self.touch(None);
        }
        Ok(n == 1)
    }

    async fn outages_ending_after(&mut self, after: OffsetDateTime) -> StoreResult<Vec<Outage>> {
        const Q: &str = "SELECT * FROM outages WHERE cancelled_at IS NULL AND ends_at > $1 ORDER BY starts_at";
        let rows: Vec<OutageRow> = run!(self, c => sqlx::query_as(Q).bind(to_micros(after)).fetch_all(&mut *c).await).map_err(map_err)?;
        Ok(rows.into_iter().map(OutageRow::into_domain).collect())
    }
}
