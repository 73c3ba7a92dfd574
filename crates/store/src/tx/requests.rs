//! The outbox, administrator change requests, right-of-access requests and queries.

use habilis_core::clock::to_micros;
use habilis_core::records::*;
use habilis_core::store::{StoreResult, RequestTx};
use time::OffsetDateTime;

use super::{Inner, Tx};
use crate::map_err;
use crate::rows::*;

impl RequestTx for Tx {
    async fn insert_outbox(&mut self, m: &OutboxMessage) -> StoreResult<()> {
        const Q: &str = "INSERT INTO outbox (id, organisation_id, to_address, subject, body, status, attempts, \
                         next_attempt_at, last_error, created_at, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
        run!(self, c => sqlx::query(Q).bind(m.id.0).bind(m.organisation_id.map(|o| o.0)).bind(&m.to_address).bind(&m.subject)
            .bind(&m.body).bind(m.status.as_str()).bind(m.attempts).bind(to_micros(m.next_attempt_at)).bind(&m.last_error)
            .bind(to_micros(m.created_at)).bind(m.sent_at.map(to_micros))
            .execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn outbox_of(&mut self, caisse: OrganisationId, limit: i64) -> StoreResult<Vec<OutboxMessage>> {
        const Q: &str = "SELECT o.* FROM outbox o LEFT JOIN organisations g ON g.id = o.organisation_id \
                         WHERE o.organisation_id = $1 OR g.parent_id = $1 ORDER BY o.created_at DESC LIMIT $2";
        let rows: Vec<OutboxRow> = run!(self, c => sqlx::query_as(Q).bind(caisse.0).bind(limit).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(OutboxRow::into_domain).collect()
    }

    async fn insert_change_request(&mut self, r: &ChangeRequest) -> StoreResult<()> {
        const Q: &str = "INSERT INTO admin_change_requests (id, partner_id, requested_by, first_name, last_name, function, \
                         slot, replaces_account_id, phone, mobile, email, status, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
        run!(self, c => sqlx::query(Q).bind(r.id.0).bind(r.partner_id.0).bind(r.requested_by.0).bind(&r.first_name)
            .bind(&r.last_name).bind(&r.function).bind(r.slot.as_str()).bind(r.replaces.map(|a| a.0)).bind(&r.phone).bind(&r.mobile)
            .bind(&r.email).bind(r.status.as_str()).bind(to_micros(r.created_at))
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn change_request(&mut self, id: ChangeRequestId) -> StoreResult<Option<ChangeRequest>> {
        const Q: &str = "SELECT * FROM admin_change_requests WHERE id = $1";
        let row: Option<ChangeRequestRow> = run!(self, c => sqlx::query_as(Q).bind(id.0).fetch_optional(&mut *c).await).map_err(map_err)?;
        row.map(ChangeRequestRow::into_domain).transpose()
    }

    async fn change_requests_of_caisse(&mut self, caisse: OrganisationId) -> StoreResult<Vec<ChangeRequest>> {
        const Q: &str = "SELECT r.* FROM admin_change_requests r JOIN organisations o ON o.id = r.partner_id \
                         WHERE o.parent_id = $1 ORDER BY CASE r.status WHEN 'pending' THEN 0 ELSE 1 END, r.created_at DESC";
        let rows: Vec<ChangeRequestRow> = run!(self, c => sqlx::query_as(Q).bind(caisse.0).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(ChangeRequestRow::into_domain).collect()
    }

    async fn change_requests_of_partner(&mut self, partner: OrganisationId) -> StoreResult<Vec<ChangeRequest>> {
        const Q: &str = "SELECT * FROM admin_change_requests WHERE partner_id = $1 ORDER BY created_at DESC";
        let rows: Vec<ChangeRequestRow> = run!(self, c => sqlx::query_as(Q).bind(partner.0).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(ChangeRequestRow::into_domain).collect()
    }

    async fn save_change_request_decision(&mut self, r: &ChangeRequest) -> StoreResult<()> {
        const Q: &str = "UPDATE admin_change_requests SET status = $2, decided_by = $3, decided_at = $4, decision_reason = $5 \
                         WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(r.id.0).bind(r.status.as_str()).bind(r.decided_by.map(|a| a.0))
            .bind(r.decided_at.map(to_micros)).bind(&r.decision_reason)
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn claim_outbox(&mut self, now: OffsetDateTime, lease_until: OffsetDateTime, limit: i64) -> StoreResult<Vec<OutboxMessage>> {
        // On PostgreSQL a concurrent claimer waits on the row locks, then re-checks the
        // condition and finds the rows leased: a message is never claimed twice.
        const Q: &str = "UPDATE outbox SET next_attempt_at = $2 WHERE id IN (SELECT id FROM outbox \
                         WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $3) \
                         AND status = 'pending' AND next_attempt_at <= $1 RETURNING *";
        let rows: Vec<OutboxRow> = run!(self, c => sqlx::query_as(Q).bind(to_micros(now)).bind(to_micros(lease_until)).bind(limit)
            .fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(OutboxRow::into_domain).collect()
    }

    async fn finish_outbox(&mut self, m: &OutboxMessage) -> StoreResult<()> {
        const Q: &str = "UPDATE outbox SET status = $2, attempts = $3, next_attempt_at = $4, last_error = $5, sent_at = $6, \
                         body = $7 WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(m.id.0).bind(m.status.as_str()).bind(m.attempts).bind(to_micros(m.next_attempt_at))
            .bind(&m.last_error).bind(m.sent_at.map(to_micros)).bind(&m.body)
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn outbox_all(&mut self, limit: i64) -> StoreResult<Vec<OutboxMessage>> {
        const Q: &str = "SELECT * FROM outbox ORDER BY created_at DESC LIMIT $1";
        let rows: Vec<OutboxRow> = run!(self, c => sqlx::query_as(Q).bind(limit).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(OutboxRow::into_domain).collect()
    }

    async fn insert_access_request(&mut self, r: &habilis_core::records::AccessRequest) -> StoreResult<()> {
        const Q: &str = "INSERT INTO access_requests (id, organisation_id, requester_id, superior_id, reason, status, due_on, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        run!(self, c => sqlx::query(Q).bind(r.id.0).bind(r.organisation_id.0).bind(r.requester_id.0).bind(r.superior_id.0).bind(&r.reason)
            .bind(r.status.as_str()).bind(r.due_on.to_string()).bind(to_micros(r.created_at))
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn access_request(&mut self, id: AccessRequestId) -> StoreResult<Option<habilis_core::records::AccessRequest>> {
        const Q: &str = "SELECT * FROM access_requests WHERE id = $1";
        let row: Option<crate::rows::AccessRequestRow> = run!(self, c => sqlx::query_as(Q).bind(id.0).fetch_optional(&mut *c).await).map_err(map_err)?;
        row.map(crate::rows::AccessRequestRow::into_domain).transpose()
    }

    async fn save_access_request(&mut self, r: &habilis_core::records::AccessRequest) -> StoreResult<()> {
        const Q: &str = "UPDATE access_requests SET status = $2, forwarded_at = $3, answered_by = $4, answered_at = $5, \
                         exported_at = $6, exported_by = $7 WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(r.id.0).bind(r.status.as_str()).bind(r.forwarded_at.map(to_micros)).bind(r.answered_by.map(|a| a.0))
            .bind(r.answered_at.map(to_micros)).bind(r.exported_at.map(to_micros)).bind(r.exported_by.map(|a| a.0)).execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn access_requests_of(&mut self, org: OrganisationId) -> StoreResult<Vec<habilis_core::records::AccessRequest>> {
        const Q: &str = "SELECT * FROM access_requests WHERE organisation_id = $1 ORDER BY created_at DESC";
        let rows: Vec<crate::rows::AccessRequestRow> = run!(self, c => sqlx::query_as(Q).bind(org.0).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(crate::rows::AccessRequestRow::into_domain).collect()
    }

    async fn insert_query(&mut self, q: &habilis_core::records::Query) -> StoreResult<()> {
        const Q: &str = "INSERT INTO grant_queries (id, grant_id, partner_id, question, due_on, auto_suspend, status, created_by, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        run!(self, c => sqlx::query(Q).bind(q.id.0).bind(q.grant_id.0).bind(q.partner_id.0).bind(&q.question).bind(q.due_on.to_string())
            .bind(q.auto_suspend).bind(q.status.as_str()).bind(q.created_by.0).bind(to_micros(q.created_at))
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn query(&mut self, id: QueryId) -> StoreResult<Option<habilis_core::records::Query>> {
        const Q: &str = "SELECT * FROM grant_queries WHERE id = $1";
        let row: Option<QueryRow> = run!(self, c => sqlx::query_as(Q).bind(id.0).fetch_optional(&mut *c).await).map_err(map_err)?;
        row.map(QueryRow::into_domain).transpose()
    }

    async fn save_query(&mut self, q: &habilis_core::records::Query) -> StoreResult<()> {
        const Q: &str = "UPDATE grant_queries SET status = $2, answer = $3, answered_by = $4, answered_at = $5, closed_at = $6, \
                         auto_suspended_at = $7 WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(q.id.0).bind(q.status.as_str()).bind(&q.answer).bind(q.answered_by.map(|a| a.0))
            .bind(q.answered_at.map(to_micros)).bind(q.closed_at.map(to_micros)).bind(q.auto_suspended_at.map(to_micros))
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn queries_of_caisse(&mut self, caisse: OrganisationId) -> StoreResult<Vec<habilis_core::records::Query>> {
        const Q: &str = "SELECT q.* FROM grant_queries q JOIN organisations o ON o.id = q.partner_id \
                         WHERE o.parent_id = $1 ORDER BY q.created_at DESC";
        let rows: Vec<QueryRow> = run!(self, c => sqlx::query_as(Q).bind(caisse.0).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(QueryRow::into_domain).collect()
    }

    async fn queries_of_partner(&mut self, partner: OrganisationId) -> StoreResult<Vec<habilis_core::records::Query>> {
        const Q: &str = "SELECT * FROM grant_queries WHERE partner_id = $1 ORDER BY created_at DESC";
        let rows: Vec<QueryRow> = run!(self, c => sqlx::query_as(Q).bind(partner.0).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(QueryRow::into_domain).collect()
    }

    async fn queries_to_enforce(&mut self, today: time::Date) -> StoreResult<Vec<habilis_core::records::Query>> {
        const Q: &str = "SELECT * FROM grant_queries WHERE status = 'open' AND auto_suspend AND auto_suspended_at IS NULL \
                         AND due_on < $1 ORDER BY due_on";
        let rows: Vec<QueryRow> = run!(self, c => sqlx::query_as(Q).bind(today.to_string()).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(QueryRow::into_domain).collect()
    }
}
