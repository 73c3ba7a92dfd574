//! The catalogue, and each partner's convention, contracts, amendments and subscriptions.

use habilis_core::clock::to_micros;
use habilis_core::records::*;
use habilis_core::store::{StoreResult, ContractTx};
use time::OffsetDateTime;

use super::{Inner, Tx};
use crate::map_err;
use crate::rows::*;

impl ContractTx for Tx {
    async fn insert_service(&mut self, s: &Service) -> StoreResult<()> {
        self.touch(None);
        const Q: &str = "INSERT INTO services (id, code, label, description) VALUES ($1, $2, $3, $4)";
        run!(self, c => sqlx::query(Q).bind(s.id.0).bind(&s.code).bind(&s.label).bind(&s.description).execute(&mut *c).await.map(|r| r.rows_affected()))
            .map_err(map_err)?;
        Ok(())
    }

    async fn insert_service_role(&mut self, r: &ServiceRole) -> StoreResult<()> {
        self.touch(None);
        const Q: &str = "INSERT INTO service_roles (id, service_id, code, label) VALUES ($1, $2, $3, $4)";
        run!(self, c => sqlx::query(Q).bind(r.id.0).bind(r.service_id.0).bind(&r.code).bind(&r.label).execute(&mut *c).await.map(|r| r.rows_affected()))
            .map_err(map_err)?;
        Ok(())
    }

    async fn service_by_code(&mut self, code: &str) -> StoreResult<Option<Service>> {
        const Q: &str = "SELECT id, code, label, description FROM services WHERE code = $1";
        let row: Option<ServiceRow> = run!(self, c => sqlx::query_as(Q).bind(code).fetch_optional(&mut *c).await).map_err(map_err)?;
        Ok(row.map(ServiceRow::into_domain))
    }

    async fn service_roles(&mut self, service: ServiceId) -> StoreResult<Vec<ServiceRole>> {
        const Q: &str = "SELECT id, service_id, code, label FROM service_roles WHERE service_id = $1 ORDER BY code";
        let rows: Vec<ServiceRoleRow> =
            run!(self, c => sqlx::query_as(Q).bind(service.0).fetch_all(&mut *c).await).map_err(map_err)?;
        Ok(rows.into_iter().map(ServiceRoleRow::into_domain).collect())
    }

    async fn insert_convention(&mut self, x: &Convention, at: OffsetDateTime) -> StoreResult<()> {
        self.touch(Some(x.partner_id));
        const Q: &str = "INSERT INTO conventions (id, partner_id, number, signed_on, signatories, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6)";
        let now = to_micros(at);
        run!(self, c => sqlx::query(Q).bind(x.id.0).bind(x.partner_id.0).bind(&x.number).bind(x.signed_on.to_string())
            .bind(&x.signatories).bind(now).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn conventions(&mut self, partner: OrganisationId) -> StoreResult<Vec<Convention>> {
        const Q: &str = "SELECT id, partner_id, number, signed_on, signatories FROM conventions \
                         WHERE partner_id = $1 ORDER BY signed_on, created_at";
        let rows: Vec<ConventionRow> = run!(self, c => sqlx::query_as(Q).bind(partner.0).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(ConventionRow::into_domain).collect()
    }

    async fn insert_contract(&mut self, x: &ServiceContract, at: OffsetDateTime) -> StoreResult<()> {
        self.touch(Some(x.partner_id));
        const Q: &str = "INSERT INTO service_contracts (id, convention_id, partner_id, mode, signed_on, signatories, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)";
        let now = to_micros(at);
        run!(self, c => sqlx::query(Q).bind(x.id.0).bind(x.convention_id.0).bind(x.partner_id.0).bind(x.mode.as_str())
            .bind(x.signed_on.to_string()).bind(&x.signatories).bind(now).execute(&mut *c).await.map(|r| r.rows_affected()))
            .map_err(map_err)?;
        Ok(())
    }

    async fn contracts(&mut self, partner: OrganisationId) -> StoreResult<Vec<ServiceContract>> {
        const Q: &str = "SELECT id, convention_id, partner_id, mode, signed_on, signatories FROM service_contracts \
                         WHERE partner_id = $1 ORDER BY signed_on, created_at";
        let rows: Vec<ContractRow> = run!(self, c => sqlx::query_as(Q).bind(partner.0).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(ContractRow::into_domain).collect()
    }

    async fn insert_amendment(&mut self, x: &Amendment, at: OffsetDateTime) -> StoreResult<()> {
        self.touch(Some(x.partner_id));
        const Q: &str = "INSERT INTO amendments (id, contract_id, partner_id, mode, signed_on, effective_on, reason, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        let now = to_micros(at);
        run!(self, c => sqlx::query(Q).bind(x.id.0).bind(x.contract_id.0).bind(x.partner_id.0).bind(x.mode.as_str())
            .bind(x.signed_on.to_string()).bind(x.effective_on.to_string()).bind(&x.reason).bind(now)
            .execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn amendments(&mut self, partner: OrganisationId) -> StoreResult<Vec<Amendment>> {
        const Q: &str = "SELECT id, contract_id, partner_id, mode, signed_on, effective_on, reason FROM amendments \
                         WHERE partner_id = $1 ORDER BY effective_on, created_at";
        let rows: Vec<AmendmentRow> = run!(self, c => sqlx::query_as(Q).bind(partner.0).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(AmendmentRow::into_domain).collect()
    }

    async fn service(&mut self, id: ServiceId) -> StoreResult<Option<Service>> {
        const Q: &str = "SELECT id, code, label, description FROM services WHERE id = $1";
        let row: Option<ServiceRow> = run!(self, c => sqlx::query_as(Q).bind(id.0).fetch_optional(&mut *c).await).map_err(map_err)?;
        Ok(row.map(ServiceRow::into_domain))
    }

    async fn services(&mut self) -> StoreResult<Vec<Service>> {
        const Q: &str = "SELECT id, code, label, description FROM services ORDER BY code";
        let rows: Vec<ServiceRow> = run!(self, c => sqlx::query_as(Q).fetch_all(&mut *c).await).map_err(map_err)?;
        Ok(rows.into_iter().map(ServiceRow::into_domain).collect())
    }

    async fn insert_subscription_change(&mut self, c: &SubscriptionChange) -> StoreResult<()> {
        const Q: &str = "INSERT INTO subscription_changes (id, partner_id, service_id, changed_at, changed_by, signed_on, changes) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)";
        run!(self, c2 => sqlx::query(Q)
            .bind(uuid::Uuid::now_v7()).bind(c.partner_id.0).bind(c.service_id.0).bind(to_micros(c.changed_at))
            .bind(c.changed_by.map(|a| a.0)).bind(c.signed_on.map(|d| d.to_string())).bind(&c.changes)
            .execute(&mut *c2).await.map(|r| r.rows_affected()))
        .map_err(map_err)?;
        Ok(())
    }

    async fn subscription_changes(&mut self, partner: OrganisationId) -> StoreResult<Vec<SubscriptionChange>> {
        const Q: &str = "SELECT partner_id, service_id, changed_at, changed_by, signed_on, changes FROM subscription_changes \
                         WHERE partner_id = $1 ORDER BY changed_at, id";
        let rows: Vec<(uuid::Uuid, uuid::Uuid, i64, Option<uuid::Uuid>, Option<String>, String)> =
            run!(self, c => sqlx::query_as(Q).bind(partner.0).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter()
            .map(|(p, s, at, by, signed, changes)| {
                Ok(SubscriptionChange {
                    partner_id: OrganisationId(p),
                    service_id: ServiceId(s),
                    changed_at: habilis_core::clock::from_micros(at),
                    changed_by: by.map(AccountId),
                    signed_on: crate::rows::opt_date(signed)?,
                    changes,
                })
            })
            .collect()
    }

    async fn insert_client(&mut self, x: &ServiceClient) -> StoreResult<()> {
        self.touch(None);
        const Q: &str = "INSERT INTO service_clients (id, client_id, name, service_id, secret_digest, redirect_uris, created_at, disabled_at, jwks) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        run!(self, c => sqlx::query(Q)
            .bind(x.id.0).bind(&x.client_id).bind(&x.name).bind(x.service_id.0).bind(&x.secret_digest)
            .bind(x.redirect_uris.join("\n")).bind(to_micros(x.created_at)).bind(x.disabled_at.map(to_micros)).bind(&x.jwks)
            .execute(&mut *c).await.map(|r| r.rows_affected()))
        .map_err(map_err)?;
        Ok(())
    }

    async fn client_by_client_id(&mut self, client_id: &str) -> StoreResult<Option<ServiceClient>> {
        const Q: &str = "SELECT id, client_id, name, service_id, secret_digest, redirect_uris, jwks, created_at, disabled_at FROM service_clients WHERE client_id = $1";
        let row: Option<ClientRow> = run!(self, c => sqlx::query_as(Q).bind(client_id).fetch_optional(&mut *c).await).map_err(map_err)?;
        Ok(row.map(ClientRow::into_domain))
    }

    async fn set_client_secret(&mut self, client_id: &str, digest: &[u8]) -> StoreResult<bool> {
        self.touch(None);
        const Q: &str = "UPDATE service_clients SET secret_digest = $2 WHERE client_id = $1";
        let n = run!(self, c => sqlx::query(Q).bind(client_id).bind(digest).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(n == 1)
    }

    async fn clients(&mut self) -> StoreResult<Vec<ServiceClient>> {
        const Q: &str = "SELECT id, client_id, name, service_id, secret_digest, redirect_uris, jwks, created_at, disabled_at FROM service_clients ORDER BY client_id";
        let rows: Vec<ClientRow> = run!(self, c => sqlx::query_as(Q).fetch_all(&mut *c).await).map_err(map_err)?;
        Ok(rows.into_iter().map(ClientRow::into_domain).collect())
    }

    async fn save_subscription(&mut self, x: &Subscription, at: OffsetDateTime) -> StoreResult<()> {
        self.touch(Some(x.partner_id));
        const Q: &str = "INSERT INTO subscriptions (id, partner_id, service_id, signed_on, formalities_reference, \
                         formalities_on, available_from, max_holders, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                         ON CONFLICT (partner_id, service_id) DO UPDATE SET signed_on = excluded.signed_on, \
                         formalities_reference = excluded.formalities_reference, formalities_on = excluded.formalities_on, \
                         available_from = excluded.available_from, max_holders = excluded.max_holders";
        const CLEAR: &str = "DELETE FROM role_quotas WHERE subscription_id = $1";
        const QUOTA: &str = "INSERT INTO role_quotas (subscription_id, service_role_id, max_holders) VALUES ($1, $2, $3)";
        let now = to_micros(at);
        let d = |x: Option<time::Date>| x.map(|d| d.to_string());
        run!(self, c => sqlx::query(Q).bind(x.id.0).bind(x.partner_id.0).bind(x.service_id.0).bind(d(x.signed_on))
            .bind(&x.formalities_reference).bind(d(x.formalities_on)).bind(d(x.available_from)).bind(x.max_holders).bind(now)
            .execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        run!(self, c => sqlx::query(CLEAR).bind(x.id.0).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        for (role, max) in &x.role_quotas {
            run!(self, c => sqlx::query(QUOTA).bind(x.id.0).bind(role.0).bind(*max).execute(&mut *c).await.map(|r| r.rows_affected()))
                .map_err(map_err)?;
        }
        Ok(())
    }

    async fn subscriptions(&mut self, partner: OrganisationId) -> StoreResult<Vec<Subscription>> {
        const Q: &str = "SELECT id, partner_id, service_id, signed_on, formalities_reference, formalities_on, \
                         available_from, max_holders FROM subscriptions WHERE partner_id = $1 ORDER BY created_at";
        let rows: Vec<SubscriptionRow> = run!(self, c => sqlx::query_as(Q).bind(partner.0).fetch_all(&mut *c).await).map_err(map_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.with_quotas(row).await?);
        }
        Ok(out)
    }

    async fn subscription(&mut self, partner: OrganisationId, service: ServiceId) -> StoreResult<Option<Subscription>> {
        const Q: &str = "SELECT id, partner_id, service_id, signed_on, formalities_reference, formalities_on, \
                         available_from, max_holders FROM subscriptions WHERE partner_id = $1 AND service_id = $2";
        let row: Option<SubscriptionRow> =
            run!(self, c => sqlx::query_as(Q).bind(partner.0).bind(service.0).fetch_optional(&mut *c).await).map_err(map_err)?;
        match row {
            Some(r) => Ok(Some(self.with_quotas(r).await?)),
            None => Ok(None),
        }
    }
}
