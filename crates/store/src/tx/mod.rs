//! The transaction type and its implementation of the core's `Transaction` trait. Each
//! method holds one SQL text shared by both backends; `run!` expands it once per backend.

use habilis_core::clock::{from_micros, to_micros};
use habilis_core::model::{
    Account, AccountId, Contact, LoginThrottle, Organisation, OrganisationId, PasswordLink, Service, ServiceId,
    ServiceRole, Session, SessionId,
};
use habilis_core::store::{StoreResult, Transaction};
use habilis_core::trace::{GENESIS_SEAL, TraceEntry, TraceKey, TraceRecord};
use sqlx::{Postgres, Sqlite};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::map_err;
use crate::rows::{
    AccountRow, AmendmentRow, ChangeRequestRow, ContactRow, GrantRow, MandateRow, QueryRow, ContractRow, ConventionRow, LinkRow, OrganisationRow, OutboxRow, ServiceRoleRow,
    ServiceRow, SessionRow, SubscriptionRow, TraceRow,
};
use habilis_core::caisse::{Amendment, Convention, ServiceContract, Subscription};
use habilis_core::change_request::ChangeRequest;
use habilis_core::grants::{Grant, GrantState};
use habilis_core::mandates::Mandate;
use habilis_core::model::{Group, GroupId, ServiceRoleId};
use habilis_core::model::{AccountStatus, OutboxMessage};

/// An open transaction on either backend.
pub struct Tx {
    pub(crate) inner: Inner,
    pub(crate) key: TraceKey,
}

pub(crate) enum Inner {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

/// Run the same statement on whichever backend the transaction is on.
macro_rules! run {
    ($tx:expr, $c:ident => $body:expr) => {
        match &mut $tx.inner {
            Inner::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            Inner::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

impl Tx {
    async fn roles_of(&mut self, id: Uuid) -> StoreResult<Vec<String>> {
        const Q: &str = "SELECT role FROM account_roles WHERE account_id = $1 ORDER BY role";
        let rows: Vec<(String,)> = run!(self, c => sqlx::query_as(Q).bind(id).fetch_all(&mut *c).await).map_err(map_err)?;
        Ok(rows.into_iter().map(|(r,)| r).collect())
    }

    async fn with_roles(&mut self, row: Option<AccountRow>) -> StoreResult<Option<Account>> {
        match row {
            None => Ok(None),
            Some(row) => {
                let roles = self.roles_of(row.id()).await?;
                row.into_domain(roles).map(Some)
            }
        }
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

impl Transaction for Tx {
    async fn commit(self) -> StoreResult<()> {
        match self.inner {
            Inner::Sqlite(t) => t.commit().await,
            Inner::Postgres(t) => t.commit().await,
        }
        .map_err(map_err)
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

    async fn insert_organisation(&mut self, o: &Organisation) -> StoreResult<()> {
        const Q: &str = "INSERT INTO organisations (id, kind, name, parent_id, siret, city, created_at, address) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        let now = to_micros(OffsetDateTime::now_utc());
        run!(self, c => sqlx::query(Q)
            .bind(o.id.0).bind(o.kind.as_str()).bind(&o.name).bind(o.parent_id.map(|p| p.0))
            .bind(&o.siret).bind(&o.city).bind(now).bind(&o.address)
            .execute(&mut *c).await.map(|r| r.rows_affected()))
        .map_err(map_err)?;
        Ok(())
    }

    async fn organisation(&mut self, id: OrganisationId) -> StoreResult<Option<Organisation>> {
        const Q: &str = "SELECT id, kind, name, parent_id, siret, city, address FROM organisations WHERE id = $1";
        let row: Option<OrganisationRow> =
            run!(self, c => sqlx::query_as(Q).bind(id.0).fetch_optional(&mut *c).await).map_err(map_err)?;
        row.map(OrganisationRow::into_domain).transpose()
    }

    async fn organisation_by_name(&mut self, name: &str) -> StoreResult<Option<Organisation>> {
        const Q: &str = "SELECT id, kind, name, parent_id, siret, city, address FROM organisations WHERE name = $1";
        let row: Option<OrganisationRow> =
            run!(self, c => sqlx::query_as(Q).bind(name).fetch_optional(&mut *c).await).map_err(map_err)?;
        row.map(OrganisationRow::into_domain).transpose()
    }

    async fn insert_account(&mut self, a: &Account) -> StoreResult<()> {
        const Q: &str = "INSERT INTO accounts (id, organisation_id, login, display_name, email, function, status, \
                         password_hash, must_change_password, last_login_at, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
        const R: &str = "INSERT INTO account_roles (account_id, role) VALUES ($1, $2)";
        run!(self, c => sqlx::query(Q)
            .bind(a.id.0).bind(a.organisation_id.0).bind(&a.login).bind(&a.display_name).bind(&a.email)
            .bind(&a.function).bind(a.status.as_str()).bind(&a.password_hash).bind(a.must_change_password)
            .bind(a.last_login_at.map(to_micros)).bind(to_micros(a.created_at))
            .execute(&mut *c).await.map(|r| r.rows_affected()))
        .map_err(map_err)?;
        for role in &a.roles {
            run!(self, c => sqlx::query(R).bind(a.id.0).bind(role.as_str()).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        }
        Ok(())
    }

    async fn account(&mut self, id: AccountId) -> StoreResult<Option<Account>> {
        const Q: &str = "SELECT id, organisation_id, login, display_name, email, function, status, password_hash, must_change_password, last_login_at, created_at FROM accounts WHERE id = $1";
        let row: Option<AccountRow> =
            run!(self, c => sqlx::query_as(Q).bind(id.0).fetch_optional(&mut *c).await).map_err(map_err)?;
        self.with_roles(row).await
    }

    async fn account_by_login(&mut self, login: &str) -> StoreResult<Option<Account>> {
        const Q: &str = "SELECT id, organisation_id, login, display_name, email, function, status, password_hash, must_change_password, last_login_at, created_at FROM accounts WHERE login = $1";
        let row: Option<AccountRow> =
            run!(self, c => sqlx::query_as(Q).bind(login).fetch_optional(&mut *c).await).map_err(map_err)?;
        self.with_roles(row).await
    }

    async fn set_password(&mut self, id: AccountId, hash: &str, must_change: bool, at: OffsetDateTime) -> StoreResult<()> {
        const Q: &str = "UPDATE accounts SET password_hash = $2, must_change_password = $3, password_changed_at = $4 \
                         WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(id.0).bind(hash).bind(must_change).bind(to_micros(at)).execute(&mut *c).await.map(|r| r.rows_affected()))
            .map_err(map_err)?;
        Ok(())
    }

    async fn record_login(&mut self, id: AccountId, at: OffsetDateTime) -> StoreResult<()> {
        const Q: &str = "UPDATE accounts SET last_login_at = $2 WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(id.0).bind(to_micros(at)).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn insert_contact(&mut self, x: &Contact) -> StoreResult<()> {
        const Q: &str = "INSERT INTO contacts (id, organisation_id, function, name, title, email, phone) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)";
        run!(self, c => sqlx::query(Q)
            .bind(x.id).bind(x.organisation_id.0).bind(&x.function).bind(&x.name).bind(&x.title)
            .bind(&x.email).bind(&x.phone)
            .execute(&mut *c).await.map(|r| r.rows_affected()))
        .map_err(map_err)?;
        Ok(())
    }

    async fn contacts(&mut self, org: OrganisationId) -> StoreResult<Vec<Contact>> {
        const Q: &str = "SELECT id, organisation_id, function, name, title, email, phone FROM contacts \
                         WHERE organisation_id = $1 ORDER BY function, name";
        let rows: Vec<ContactRow> = run!(self, c => sqlx::query_as(Q).bind(org.0).fetch_all(&mut *c).await).map_err(map_err)?;
        Ok(rows.into_iter().map(ContactRow::into_domain).collect())
    }

    async fn insert_service(&mut self, s: &Service) -> StoreResult<()> {
        const Q: &str = "INSERT INTO services (id, code, label, description) VALUES ($1, $2, $3, $4)";
        run!(self, c => sqlx::query(Q).bind(s.id.0).bind(&s.code).bind(&s.label).bind(&s.description).execute(&mut *c).await.map(|r| r.rows_affected()))
            .map_err(map_err)?;
        Ok(())
    }

    async fn insert_service_role(&mut self, r: &ServiceRole) -> StoreResult<()> {
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

    async fn lock_throttle(&mut self, login: &str) -> StoreResult<LoginThrottle> {
        // The no-op update takes the row lock (PostgreSQL) or the write lock (SQLite), so
        // concurrent attempts on one login are counted one after the other.
        const Q: &str = "INSERT INTO login_throttle (login) VALUES ($1) \
                         ON CONFLICT (login) DO UPDATE SET login = excluded.login \
                         RETURNING attempts_in_window, window_started_at, consecutive_failures, not_before";
        let (attempts, window, failures, not_before): (i64, Option<i64>, i64, Option<i64>) =
            run!(self, c => sqlx::query_as(Q).bind(login).fetch_one(&mut *c).await).map_err(map_err)?;
        Ok(LoginThrottle {
            attempts_in_window: attempts,
            window_started_at: window.map(from_micros),
            consecutive_failures: failures,
            not_before: not_before.map(from_micros),
        })
    }

    async fn save_throttle(&mut self, login: &str, t: &LoginThrottle) -> StoreResult<()> {
        const Q: &str = "UPDATE login_throttle SET attempts_in_window = $2, window_started_at = $3, \
                         consecutive_failures = $4, not_before = $5 WHERE login = $1";
        run!(self, c => sqlx::query(Q)
            .bind(login).bind(t.attempts_in_window).bind(t.window_started_at.map(to_micros))
            .bind(t.consecutive_failures).bind(t.not_before.map(to_micros))
            .execute(&mut *c).await.map(|r| r.rows_affected()))
        .map_err(map_err)?;
        Ok(())
    }

    async fn insert_session(&mut self, s: &Session) -> StoreResult<()> {
        const Q: &str = "INSERT INTO sessions (id, token_hash, account_id, organisation_id, csrf_token, created_at, \
                         last_seen_at, expires_at, ended_at, end_reason, client_addr, user_agent) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
        run!(self, c => sqlx::query(Q)
            .bind(s.id.0).bind(&s.token_hash).bind(s.account_id.0).bind(s.organisation_id.0).bind(&s.csrf_token)
            .bind(to_micros(s.created_at)).bind(to_micros(s.last_seen_at)).bind(to_micros(s.expires_at))
            .bind(s.ended_at.map(to_micros)).bind(&s.end_reason).bind(&s.client_addr).bind(&s.user_agent)
            .execute(&mut *c).await.map(|r| r.rows_affected()))
        .map_err(map_err)?;
        Ok(())
    }

    async fn session_by_token_hash(&mut self, hash: &[u8]) -> StoreResult<Option<Session>> {
        const Q: &str = "SELECT * FROM sessions WHERE token_hash = $1";
        let row: Option<SessionRow> = run!(self, c => sqlx::query_as(Q).bind(hash).fetch_optional(&mut *c).await).map_err(map_err)?;
        Ok(row.map(SessionRow::into_domain))
    }

    async fn touch_session(&mut self, id: SessionId, at: OffsetDateTime) -> StoreResult<()> {
        const Q: &str = "UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND ended_at IS NULL";
        run!(self, c => sqlx::query(Q).bind(id.0).bind(to_micros(at)).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn end_session(&mut self, id: SessionId, at: OffsetDateTime, reason: &str) -> StoreResult<bool> {
        const Q: &str = "UPDATE sessions SET ended_at = $2, end_reason = $3 WHERE id = $1 AND ended_at IS NULL";
        let r = run!(self, c => sqlx::query(Q).bind(id.0).bind(to_micros(at)).bind(reason).execute(&mut *c).await.map(|r| r.rows_affected()))
            .map_err(map_err)?;
        Ok(r == 1)
    }

    async fn overdue_sessions(&mut self, now: OffsetDateTime, idle: Duration, limit: i64) -> StoreResult<Vec<Session>> {
        const Q: &str = "SELECT * FROM sessions WHERE ended_at IS NULL AND (expires_at <= $1 OR last_seen_at <= $2) \
                         ORDER BY last_seen_at LIMIT $3";
        let rows: Vec<SessionRow> = run!(self, c => sqlx::query_as(Q)
            .bind(to_micros(now)).bind(to_micros(now - idle)).bind(limit)
            .fetch_all(&mut *c).await)
        .map_err(map_err)?;
        Ok(rows.into_iter().map(SessionRow::into_domain).collect())
    }

    async fn end_sessions_of_account(
        &mut self,
        id: AccountId,
        keep: Option<SessionId>,
        at: OffsetDateTime,
        reason: &str,
    ) -> StoreResult<u64> {
        const Q: &str = "UPDATE sessions SET ended_at = $2, end_reason = $3 \
                         WHERE account_id = $1 AND ended_at IS NULL AND ($4 IS NULL OR id <> $4)";
        let keep = keep.map(|k| k.0);
        let r = run!(self, c => sqlx::query(Q).bind(id.0).bind(to_micros(at)).bind(reason).bind(keep).execute(&mut *c).await.map(|r| r.rows_affected()))
            .map_err(map_err)?;
        Ok(r)
    }

    async fn insert_password_link(&mut self, l: &PasswordLink) -> StoreResult<()> {
        const Q: &str = "INSERT INTO password_links (id, account_id, token_hash, purpose, created_at, expires_at, used_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)";
        run!(self, c => sqlx::query(Q)
            .bind(l.id).bind(l.account_id.0).bind(&l.token_hash).bind(l.purpose.as_str())
            .bind(to_micros(l.created_at)).bind(to_micros(l.expires_at)).bind(l.used_at.map(to_micros))
            .execute(&mut *c).await.map(|r| r.rows_affected()))
        .map_err(map_err)?;
        Ok(())
    }

    async fn password_link_by_token_hash(&mut self, hash: &[u8]) -> StoreResult<Option<PasswordLink>> {
        const Q: &str = "SELECT * FROM password_links WHERE token_hash = $1";
        let row: Option<LinkRow> = run!(self, c => sqlx::query_as(Q).bind(hash).fetch_optional(&mut *c).await).map_err(map_err)?;
        row.map(LinkRow::into_domain).transpose()
    }

    async fn use_password_link(&mut self, id: Uuid, at: OffsetDateTime) -> StoreResult<bool> {
        const Q: &str = "UPDATE password_links SET used_at = $2 WHERE id = $1 AND used_at IS NULL";
        let r = run!(self, c => sqlx::query(Q).bind(id).bind(to_micros(at)).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(r == 1)
    }

    async fn update_organisation(&mut self, o: &Organisation) -> StoreResult<()> {
        const Q: &str = "UPDATE organisations SET name = $2, siret = $3, address = $4, city = $5 WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(o.id.0).bind(&o.name).bind(&o.siret).bind(&o.address).bind(&o.city)
            .execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn partners_of(&mut self, caisse: OrganisationId) -> StoreResult<Vec<Organisation>> {
        const Q: &str = "SELECT id, kind, name, parent_id, siret, city, address FROM organisations \
                         WHERE parent_id = $1 AND kind = 'partner' ORDER BY name";
        let rows: Vec<OrganisationRow> = run!(self, c => sqlx::query_as(Q).bind(caisse.0).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(OrganisationRow::into_domain).collect()
    }

    async fn accounts_of(&mut self, org: OrganisationId) -> StoreResult<Vec<Account>> {
        const Q: &str = "SELECT id, organisation_id, login, display_name, email, function, status, password_hash, must_change_password, last_login_at, created_at FROM accounts WHERE organisation_id = $1 ORDER BY display_name";
        let rows: Vec<AccountRow> = run!(self, c => sqlx::query_as(Q).bind(org.0).fetch_all(&mut *c).await).map_err(map_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            if let Some(a) = self.with_roles(Some(row)).await? {
                out.push(a);
            }
        }
        Ok(out)
    }

    async fn set_phone(&mut self, id: AccountId, phone: &str) -> StoreResult<()> {
        const Q: &str = "UPDATE accounts SET phone = $2 WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(id.0).bind(phone).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn set_account_status(&mut self, id: AccountId, status: AccountStatus) -> StoreResult<()> {
        const Q: &str = "UPDATE accounts SET status = $2 WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(id.0).bind(status.as_str()).execute(&mut *c).await.map(|r| r.rows_affected()))
            .map_err(map_err)?;
        Ok(())
    }

    async fn insert_convention(&mut self, x: &Convention) -> StoreResult<()> {
        const Q: &str = "INSERT INTO conventions (id, partner_id, number, signed_on, signatories, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6)";
        let now = to_micros(OffsetDateTime::now_utc());
        run!(self, c => sqlx::query(Q).bind(x.id).bind(x.partner_id.0).bind(&x.number).bind(x.signed_on.to_string())
            .bind(&x.signatories).bind(now).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn conventions(&mut self, partner: OrganisationId) -> StoreResult<Vec<Convention>> {
        const Q: &str = "SELECT id, partner_id, number, signed_on, signatories FROM conventions \
                         WHERE partner_id = $1 ORDER BY signed_on, created_at";
        let rows: Vec<ConventionRow> = run!(self, c => sqlx::query_as(Q).bind(partner.0).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(ConventionRow::into_domain).collect()
    }

    async fn insert_contract(&mut self, x: &ServiceContract) -> StoreResult<()> {
        const Q: &str = "INSERT INTO service_contracts (id, convention_id, partner_id, mode, signed_on, signatories, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)";
        let now = to_micros(OffsetDateTime::now_utc());
        run!(self, c => sqlx::query(Q).bind(x.id).bind(x.convention_id).bind(x.partner_id.0).bind(x.mode.as_str())
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

    async fn insert_amendment(&mut self, x: &Amendment) -> StoreResult<()> {
        const Q: &str = "INSERT INTO amendments (id, contract_id, partner_id, mode, signed_on, effective_on, reason, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        let now = to_micros(OffsetDateTime::now_utc());
        run!(self, c => sqlx::query(Q).bind(x.id).bind(x.contract_id).bind(x.partner_id.0).bind(x.mode.as_str())
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

    async fn save_subscription(&mut self, x: &Subscription) -> StoreResult<()> {
        const Q: &str = "INSERT INTO subscriptions (id, partner_id, service_id, signed_on, formalities_reference, \
                         formalities_on, available_from, max_holders, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                         ON CONFLICT (partner_id, service_id) DO UPDATE SET signed_on = excluded.signed_on, \
                         formalities_reference = excluded.formalities_reference, formalities_on = excluded.formalities_on, \
                         available_from = excluded.available_from, max_holders = excluded.max_holders";
        const CLEAR: &str = "DELETE FROM role_quotas WHERE subscription_id = $1";
        const QUOTA: &str = "INSERT INTO role_quotas (subscription_id, service_role_id, max_holders) VALUES ($1, $2, $3)";
        let now = to_micros(OffsetDateTime::now_utc());
        let d = |x: Option<time::Date>| x.map(|d| d.to_string());
        run!(self, c => sqlx::query(Q).bind(x.id).bind(x.partner_id.0).bind(x.service_id.0).bind(d(x.signed_on))
            .bind(&x.formalities_reference).bind(d(x.formalities_on)).bind(d(x.available_from)).bind(x.max_holders).bind(now)
            .execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        run!(self, c => sqlx::query(CLEAR).bind(x.id).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        for (role, max) in &x.role_quotas {
            run!(self, c => sqlx::query(QUOTA).bind(x.id).bind(role.0).bind(*max).execute(&mut *c).await.map(|r| r.rows_affected()))
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

    async fn insert_outbox(&mut self, m: &OutboxMessage) -> StoreResult<()> {
        const Q: &str = "INSERT INTO outbox (id, organisation_id, to_address, subject, body, status, attempts, \
                         next_attempt_at, last_error, created_at, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
        run!(self, c => sqlx::query(Q).bind(m.id).bind(m.organisation_id.map(|o| o.0)).bind(&m.to_address).bind(&m.subject)
            .bind(&m.body).bind(&m.status).bind(m.attempts).bind(to_micros(m.next_attempt_at)).bind(&m.last_error)
            .bind(to_micros(m.created_at)).bind(m.sent_at.map(to_micros))
            .execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn outbox_of(&mut self, caisse: OrganisationId, limit: i64) -> StoreResult<Vec<OutboxMessage>> {
        const Q: &str = "SELECT o.* FROM outbox o LEFT JOIN organisations g ON g.id = o.organisation_id \
                         WHERE o.organisation_id = $1 OR g.parent_id = $1 ORDER BY o.created_at DESC LIMIT $2";
        let rows: Vec<OutboxRow> = run!(self, c => sqlx::query_as(Q).bind(caisse.0).bind(limit).fetch_all(&mut *c).await).map_err(map_err)?;
        Ok(rows.into_iter().map(OutboxRow::into_domain).collect())
    }

    async fn insert_change_request(&mut self, r: &ChangeRequest) -> StoreResult<()> {
        const Q: &str = "INSERT INTO admin_change_requests (id, partner_id, requested_by, first_name, last_name, function, \
                         slot, replaces_account_id, phone, mobile, email, status, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
        run!(self, c => sqlx::query(Q).bind(r.id).bind(r.partner_id.0).bind(r.requested_by.0).bind(&r.first_name)
            .bind(&r.last_name).bind(&r.function).bind(&r.slot).bind(r.replaces.map(|a| a.0)).bind(&r.phone).bind(&r.mobile)
            .bind(&r.email).bind(r.status.as_str()).bind(to_micros(r.created_at))
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn change_request(&mut self, id: Uuid) -> StoreResult<Option<ChangeRequest>> {
        const Q: &str = "SELECT * FROM admin_change_requests WHERE id = $1";
        let row: Option<ChangeRequestRow> = run!(self, c => sqlx::query_as(Q).bind(id).fetch_optional(&mut *c).await).map_err(map_err)?;
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
        run!(self, c => sqlx::query(Q).bind(r.id).bind(r.status.as_str()).bind(r.decided_by.map(|a| a.0))
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
        Ok(rows.into_iter().map(OutboxRow::into_domain).collect())
    }

    async fn finish_outbox(&mut self, m: &OutboxMessage) -> StoreResult<()> {
        const Q: &str = "UPDATE outbox SET status = $2, attempts = $3, next_attempt_at = $4, last_error = $5, sent_at = $6, \
                         body = $7 WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(m.id).bind(&m.status).bind(m.attempts).bind(to_micros(m.next_attempt_at))
            .bind(&m.last_error).bind(m.sent_at.map(to_micros)).bind(&m.body)
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn outbox_all(&mut self, limit: i64) -> StoreResult<Vec<OutboxMessage>> {
        const Q: &str = "SELECT * FROM outbox ORDER BY created_at DESC LIMIT $1";
        let rows: Vec<OutboxRow> = run!(self, c => sqlx::query_as(Q).bind(limit).fetch_all(&mut *c).await).map_err(map_err)?;
        Ok(rows.into_iter().map(OutboxRow::into_domain).collect())
    }

    async fn contact(&mut self, id: Uuid) -> StoreResult<Option<Contact>> {
        const Q: &str = "SELECT id, organisation_id, function, name, title, email, phone FROM contacts WHERE id = $1";
        let row: Option<ContactRow> = run!(self, c => sqlx::query_as(Q).bind(id).fetch_optional(&mut *c).await).map_err(map_err)?;
        Ok(row.map(ContactRow::into_domain))
    }

    async fn delete_contact(&mut self, id: Uuid) -> StoreResult<()> {
        const Q: &str = "DELETE FROM contacts WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(id).execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn lock_organisation(&mut self, id: OrganisationId) -> StoreResult<()> {
        // The one place where the SQL differs: SQLite has no FOR UPDATE, and needs none
        // (its write transactions begin IMMEDIATE, one at a time).
        match &mut self.inner {
            Inner::Sqlite(_) => Ok(()),
            Inner::Postgres(t) => sqlx::query("SELECT id FROM organisations WHERE id = $1 FOR UPDATE")
                .bind(id.0)
                .execute(&mut **t)
                .await
                .map(|_| ())
                .map_err(map_err),
        }
    }

    async fn holders(&mut self, org: OrganisationId, service: ServiceId, role: Option<ServiceRoleId>, today: time::Date) -> StoreResult<Vec<Uuid>> {
        const BY_SERVICE: &str = "SELECT h FROM (\
            SELECT holder_account_id AS h FROM grants WHERE organisation_id = $1 AND service_id = $2 AND state = 'active' \
              AND holder_account_id IS NOT NULL AND (ends_on IS NULL OR ends_on >= $3) \
            UNION SELECT m.account_id AS h FROM grants g JOIN group_members m ON m.group_id = g.holder_group_id \
              WHERE g.organisation_id = $1 AND g.service_id = $2 AND g.state = 'active' AND (g.ends_on IS NULL OR g.ends_on >= $3)\
            ) x";
        const BY_ROLE: &str = "SELECT h FROM (\
            SELECT holder_account_id AS h FROM grants WHERE organisation_id = $1 AND service_id = $2 AND service_role_id = $4 \
              AND state = 'active' AND holder_account_id IS NOT NULL AND (ends_on IS NULL OR ends_on >= $3) \
            UNION SELECT m.account_id AS h FROM grants g JOIN group_members m ON m.group_id = g.holder_group_id \
              WHERE g.organisation_id = $1 AND g.service_id = $2 AND g.service_role_id = $4 AND g.state = 'active' \
              AND (g.ends_on IS NULL OR g.ends_on >= $3)\
            ) x";
        let day = today.to_string();
        let rows: Vec<(Uuid,)> = match role {
            None => run!(self, c => sqlx::query_as(BY_SERVICE).bind(org.0).bind(service.0).bind(&day).fetch_all(&mut *c).await),
            Some(r) => run!(self, c => sqlx::query_as(BY_ROLE).bind(org.0).bind(service.0).bind(&day).bind(r.0).fetch_all(&mut *c).await),
        }
        .map_err(map_err)?;
        Ok(rows.into_iter().map(|(u,)| u).collect())
    }

    async fn insert_grant(&mut self, g: &Grant) -> StoreResult<()> {
        const Q: &str = "INSERT INTO grants (id, organisation_id, service_id, service_role_id, holder_account_id, purpose, \
                         starts_on, ends_on, state, created_by, created_at, ended_at, holder_group_id, created_under) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";
        run!(self, c => sqlx::query(Q).bind(g.id).bind(g.organisation_id.0).bind(g.service_id.0).bind(g.service_role_id.0)
            .bind(g.holder_account_id.map(|a| a.0)).bind(&g.purpose).bind(g.starts_on.to_string()).bind(g.ends_on.map(|d| d.to_string()))
            .bind(g.state.as_str()).bind(g.created_by.0).bind(to_micros(g.created_at)).bind(g.ended_at.map(to_micros))
            .bind(g.holder_group_id.map(|x| x.0)).bind(g.created_under)
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn grant(&mut self, id: Uuid) -> StoreResult<Option<Grant>> {
        const Q: &str = "SELECT id, organisation_id, service_id, service_role_id, holder_account_id, purpose, starts_on, ends_on, \
                         state, created_by, created_at, ended_at, holder_group_id, created_under, suspension_reason FROM grants WHERE id = $1";
        let row: Option<GrantRow> = run!(self, c => sqlx::query_as(Q).bind(id).fetch_optional(&mut *c).await).map_err(map_err)?;
        row.map(GrantRow::into_domain).transpose()
    }

    async fn grants_of(&mut self, org: OrganisationId) -> StoreResult<Vec<Grant>> {
        const Q: &str = "SELECT id, organisation_id, service_id, service_role_id, holder_account_id, purpose, starts_on, ends_on, \
                         state, created_by, created_at, ended_at, holder_group_id, created_under, suspension_reason FROM grants \
                         WHERE organisation_id = $1 ORDER BY created_at DESC";
        let rows: Vec<GrantRow> = run!(self, c => sqlx::query_as(Q).bind(org.0).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(GrantRow::into_domain).collect()
    }

    async fn set_grant_state(&mut self, id: Uuid, state: GrantState, ended_at: Option<OffsetDateTime>) -> StoreResult<()> {
        const Q: &str = "UPDATE grants SET state = $2, ended_at = $3 WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(id).bind(state.as_str()).bind(ended_at.map(to_micros))
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn insert_group(&mut self, g: &Group, at: OffsetDateTime) -> StoreResult<()> {
        const Q: &str = "INSERT INTO groups (id, organisation_id, name, created_at) VALUES ($1, $2, $3, $4)";
        run!(self, c => sqlx::query(Q).bind(g.id.0).bind(g.organisation_id.0).bind(&g.name).bind(to_micros(at))
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn group(&mut self, id: GroupId) -> StoreResult<Option<Group>> {
        const Q: &str = "SELECT id, organisation_id, name FROM groups WHERE id = $1";
        let row: Option<(Uuid, Uuid, String)> = run!(self, c => sqlx::query_as(Q).bind(id.0).fetch_optional(&mut *c).await).map_err(map_err)?;
        Ok(row.map(|(id, org, name)| Group { id: GroupId(id), organisation_id: OrganisationId(org), name }))
    }

    async fn groups_of(&mut self, org: OrganisationId) -> StoreResult<Vec<Group>> {
        const Q: &str = "SELECT id, organisation_id, name FROM groups WHERE organisation_id = $1 ORDER BY name";
        let rows: Vec<(Uuid, Uuid, String)> = run!(self, c => sqlx::query_as(Q).bind(org.0).fetch_all(&mut *c).await).map_err(map_err)?;
        Ok(rows.into_iter().map(|(id, org, name)| Group { id: GroupId(id), organisation_id: OrganisationId(org), name }).collect())
    }

    async fn members(&mut self, group: GroupId) -> StoreResult<Vec<Uuid>> {
        const Q: &str = "SELECT account_id FROM group_members WHERE group_id = $1 ORDER BY added_at";
        let rows: Vec<(Uuid,)> = run!(self, c => sqlx::query_as(Q).bind(group.0).fetch_all(&mut *c).await).map_err(map_err)?;
        Ok(rows.into_iter().map(|(u,)| u).collect())
    }

    async fn add_member(&mut self, group: GroupId, member: AccountId, by: AccountId, at: OffsetDateTime) -> StoreResult<()> {
        const Q: &str = "INSERT INTO group_members (group_id, account_id, added_at, added_by) VALUES ($1, $2, $3, $4)";
        run!(self, c => sqlx::query(Q).bind(group.0).bind(member.0).bind(to_micros(at)).bind(by.0)
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn remove_member(&mut self, group: GroupId, member: AccountId) -> StoreResult<bool> {
        const Q: &str = "DELETE FROM group_members WHERE group_id = $1 AND account_id = $2";
        let n = run!(self, c => sqlx::query(Q).bind(group.0).bind(member.0).execute(&mut *c).await.map(|x| x.rows_affected()))
            .map_err(map_err)?;
        Ok(n == 1)
    }

    async fn grants_of_group(&mut self, group: GroupId) -> StoreResult<Vec<Grant>> {
        const Q: &str = "SELECT id, organisation_id, service_id, service_role_id, holder_account_id, purpose, starts_on, ends_on, \
                         state, created_by, created_at, ended_at, holder_group_id, created_under, suspension_reason FROM grants WHERE holder_group_id = $1";
        let rows: Vec<GrantRow> = run!(self, c => sqlx::query_as(Q).bind(group.0).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(GrantRow::into_domain).collect()
    }

    async fn insert_mandate(&mut self, m: &Mandate) -> StoreResult<()> {
        const Q: &str = "INSERT INTO mandates (id, organisation_id, holder_id, given_by, parent_mandate_id, may_manage_users, \
                         may_manage_groups, may_delegate, scope, created_at, withdrawn_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
        let scope = m.scope.iter().map(|r| r.0.to_string()).collect::<Vec<_>>().join(",");
        run!(self, c => sqlx::query(Q).bind(m.id).bind(m.organisation_id.0).bind(m.holder_id.0).bind(m.given_by.0).bind(m.parent_id)
            .bind(m.may_manage_users).bind(m.may_manage_groups).bind(m.may_delegate).bind(&scope)
            .bind(to_micros(m.created_at)).bind(m.withdrawn_at.map(to_micros))
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn mandates_of(&mut self, org: OrganisationId) -> StoreResult<Vec<Mandate>> {
        const Q: &str = "SELECT id, organisation_id, holder_id, given_by, parent_mandate_id, may_manage_users, may_manage_groups, \
                         may_delegate, scope, created_at, withdrawn_at FROM mandates WHERE organisation_id = $1 ORDER BY created_at";
        let rows: Vec<MandateRow> = run!(self, c => sqlx::query_as(Q).bind(org.0).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(MandateRow::into_domain).collect()
    }

    async fn withdraw_mandates(&mut self, ids: &[Uuid], at: OffsetDateTime) -> StoreResult<()> {
        const Q: &str = "UPDATE mandates SET withdrawn_at = $2 WHERE id = $1 AND withdrawn_at IS NULL";
        for id in ids {
            run!(self, c => sqlx::query(Q).bind(*id).bind(to_micros(at)).execute(&mut *c).await.map(|x| x.rows_affected()))
                .map_err(map_err)?;
        }
        Ok(())
    }

    async fn add_role(&mut self, id: AccountId, role: habilis_core::model::Role) -> StoreResult<()> {
        const Q: &str = "INSERT INTO account_roles (account_id, role) VALUES ($1, $2) ON CONFLICT DO NOTHING";
        run!(self, c => sqlx::query(Q).bind(id.0).bind(role.as_str()).execute(&mut *c).await.map(|x| x.rows_affected()))
            .map_err(map_err)?;
        Ok(())
    }

    async fn update_account(&mut self, a: &Account) -> StoreResult<()> {
        const Q: &str = "UPDATE accounts SET display_name = $2, email = $3, function = $4 WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(a.id.0).bind(&a.display_name).bind(&a.email).bind(&a.function)
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn rename_group(&mut self, id: GroupId, name: &str) -> StoreResult<()> {
        const Q: &str = "UPDATE groups SET name = $2 WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(id.0).bind(name).execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn delete_group(&mut self, id: GroupId) -> StoreResult<()> {
        const MEMBERS: &str = "DELETE FROM group_members WHERE group_id = $1";
        const GROUP: &str = "DELETE FROM groups WHERE id = $1";
        run!(self, c => sqlx::query(MEMBERS).bind(id.0).execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        run!(self, c => sqlx::query(GROUP).bind(id.0).execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn set_grant_end(&mut self, id: Uuid, ends_on: Option<time::Date>) -> StoreResult<()> {
        const Q: &str = "UPDATE grants SET ends_on = $2 WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(id).bind(ends_on.map(|d| d.to_string())).execute(&mut *c).await.map(|x| x.rows_affected()))
            .map_err(map_err)?;
        Ok(())
    }

    async fn set_caisse_suspension(&mut self, grant: Uuid, reason: Option<&str>) -> StoreResult<()> {
        // Setting remembers the state the grant had; clearing forgets it.
        const Q: &str = "UPDATE grants SET suspended_by_caisse = $2, suspension_reason = $3, \
                         state_before_caisse = CASE WHEN $2 THEN state ELSE NULL END WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(grant).bind(reason.is_some()).bind(reason)
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn state_before_caisse(&mut self, grant: Uuid) -> StoreResult<Option<GrantState>> {
        const Q: &str = "SELECT state_before_caisse FROM grants WHERE id = $1 AND suspended_by_caisse";
        let row: Option<(Option<String>,)> = run!(self, c => sqlx::query_as(Q).bind(grant).fetch_optional(&mut *c).await).map_err(map_err)?;
        Ok(row.and_then(|(s,)| s).and_then(|s| GrantState::parse(&s)))
    }

    async fn force_password_change(&mut self, id: AccountId) -> StoreResult<()> {
        const Q: &str = "UPDATE accounts SET must_change_password = TRUE WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(id.0).execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn insert_access_request(&mut self, r: &habilis_core::access::AccessRequest) -> StoreResult<()> {
        const Q: &str = "INSERT INTO access_requests (id, organisation_id, requester_id, superior_id, reason, status, due_on, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        run!(self, c => sqlx::query(Q).bind(r.id).bind(r.organisation_id.0).bind(r.requester_id.0).bind(r.superior_id.0).bind(&r.reason)
            .bind(&r.status).bind(r.due_on.to_string()).bind(to_micros(r.created_at))
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn access_request(&mut self, id: Uuid) -> StoreResult<Option<habilis_core::access::AccessRequest>> {
        const Q: &str = "SELECT * FROM access_requests WHERE id = $1";
        let row: Option<crate::rows::AccessRequestRow> = run!(self, c => sqlx::query_as(Q).bind(id).fetch_optional(&mut *c).await).map_err(map_err)?;
        row.map(crate::rows::AccessRequestRow::into_domain).transpose()
    }

    async fn save_access_request(&mut self, r: &habilis_core::access::AccessRequest) -> StoreResult<()> {
        const Q: &str = "UPDATE access_requests SET status = $2, forwarded_at = $3, answered_by = $4, answered_at = $5 WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(r.id).bind(&r.status).bind(r.forwarded_at.map(to_micros)).bind(r.answered_by.map(|a| a.0))
            .bind(r.answered_at.map(to_micros)).execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn access_requests_of(&mut self, org: OrganisationId) -> StoreResult<Vec<habilis_core::access::AccessRequest>> {
        const Q: &str = "SELECT * FROM access_requests WHERE organisation_id = $1 ORDER BY created_at DESC";
        let rows: Vec<crate::rows::AccessRequestRow> = run!(self, c => sqlx::query_as(Q).bind(org.0).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(crate::rows::AccessRequestRow::into_domain).collect()
    }

    async fn insert_query(&mut self, q: &habilis_core::queries::Query) -> StoreResult<()> {
        const Q: &str = "INSERT INTO grant_queries (id, grant_id, partner_id, question, due_on, auto_suspend, status, created_by, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        run!(self, c => sqlx::query(Q).bind(q.id).bind(q.grant_id).bind(q.partner_id.0).bind(&q.question).bind(q.due_on.to_string())
            .bind(q.auto_suspend).bind(&q.status).bind(q.created_by.0).bind(to_micros(q.created_at))
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn query(&mut self, id: Uuid) -> StoreResult<Option<habilis_core::queries::Query>> {
        const Q: &str = "SELECT * FROM grant_queries WHERE id = $1";
        let row: Option<QueryRow> = run!(self, c => sqlx::query_as(Q).bind(id).fetch_optional(&mut *c).await).map_err(map_err)?;
        row.map(QueryRow::into_domain).transpose()
    }

    async fn save_query(&mut self, q: &habilis_core::queries::Query) -> StoreResult<()> {
        const Q: &str = "UPDATE grant_queries SET status = $2, answer = $3, answered_by = $4, answered_at = $5, closed_at = $6, \
                         auto_suspended_at = $7 WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(q.id).bind(&q.status).bind(&q.answer).bind(q.answered_by.map(|a| a.0))
            .bind(q.answered_at.map(to_micros)).bind(q.closed_at.map(to_micros)).bind(q.auto_suspended_at.map(to_micros))
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn queries_of_caisse(&mut self, caisse: OrganisationId) -> StoreResult<Vec<habilis_core::queries::Query>> {
        const Q: &str = "SELECT q.* FROM grant_queries q JOIN organisations o ON o.id = q.partner_id \
                         WHERE o.parent_id = $1 ORDER BY q.created_at DESC";
        let rows: Vec<QueryRow> = run!(self, c => sqlx::query_as(Q).bind(caisse.0).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(QueryRow::into_domain).collect()
    }

    async fn queries_of_partner(&mut self, partner: OrganisationId) -> StoreResult<Vec<habilis_core::queries::Query>> {
        const Q: &str = "SELECT * FROM grant_queries WHERE partner_id = $1 ORDER BY created_at DESC";
        let rows: Vec<QueryRow> = run!(self, c => sqlx::query_as(Q).bind(partner.0).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(QueryRow::into_domain).collect()
    }

    async fn queries_to_enforce(&mut self, today: time::Date) -> StoreResult<Vec<habilis_core::queries::Query>> {
        const Q: &str = "SELECT * FROM grant_queries WHERE status = 'open' AND auto_suspend AND auto_suspended_at IS NULL \
                         AND due_on < $1 ORDER BY due_on";
        let rows: Vec<QueryRow> = run!(self, c => sqlx::query_as(Q).bind(today.to_string()).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(QueryRow::into_domain).collect()
    }

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
        Ok(TraceRecord { entry: e.clone(), chain_id, seq, prev_seal: prev, seal })
    }

    async fn recent_traces(&mut self, org: Option<OrganisationId>, limit: i64) -> StoreResult<Vec<TraceRecord>> {
        const Q: &str = "SELECT * FROM traces WHERE chain_id = $1 ORDER BY seq DESC LIMIT $2";
        let chain = org.map(|o| o.0).unwrap_or(Uuid::nil());
        let rows: Vec<TraceRow> = run!(self, c => sqlx::query_as(Q).bind(chain).bind(limit).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(TraceRow::into_record).collect()
    }
}
