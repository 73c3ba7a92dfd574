//! Organisations, accounts with their roles, and directory contacts.

use habilis_core::clock::to_micros;
use habilis_core::records::*;
use habilis_core::store::{StoreResult, OrganisationTx};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Inner, Tx};
use crate::map_err;
use crate::rows::*;

impl OrganisationTx for Tx {
    async fn login_prefix(&mut self, id: OrganisationId) -> StoreResult<Option<String>> {
        const Q: &str = "SELECT prefix FROM login_prefixes WHERE organisation_id = $1";
        let row: Option<(String,)> = run!(self, c => sqlx::query_as(Q).bind(id.0).fetch_optional(&mut *c).await).map_err(map_err)?;
        Ok(row.map(|(p,)| p))
    }

    async fn claim_login_prefix(&mut self, id: OrganisationId, prefix: &str) -> StoreResult<bool> {
        const Q: &str = "INSERT INTO login_prefixes (organisation_id, prefix) VALUES ($1, $2) ON CONFLICT DO NOTHING";
        let n = run!(self, c => sqlx::query(Q).bind(id.0).bind(prefix).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(n == 1)
    }

    async fn insert_organisation(&mut self, o: &Organisation, at: OffsetDateTime) -> StoreResult<()> {
        const Q: &str = "INSERT INTO organisations (id, kind, name, parent_id, siret, city, created_at, address) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        let now = to_micros(at);
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
        self.touch(Some(a.organisation_id));
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
        const Q: &str = concat!(account_with_roles!(), " WHERE id = $1");
        let row: Option<AccountRolesRow> =
            run!(self, c => sqlx::query_as(Q).bind(id.0).fetch_optional(&mut *c).await).map_err(map_err)?;
        row.map(AccountRolesRow::into_domain).transpose()
    }

    async fn account_by_login(&mut self, login: &str) -> StoreResult<Option<Account>> {
        const Q: &str = concat!(account_with_roles!(), " WHERE login = $1");
        let row: Option<AccountRolesRow> =
            run!(self, c => sqlx::query_as(Q).bind(login).fetch_optional(&mut *c).await).map_err(map_err)?;
        row.map(AccountRolesRow::into_domain).transpose()
    }

    async fn set_password(&mut self, id: AccountId, hash: &str, must_change: bool, at: OffsetDateTime) -> StoreResult<()> {
        const Q: &str = "UPDATE accounts SET password_hash = $2, must_change_password = $3, password_changed_at = $4 \
                         WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(id.0).bind(hash).bind(must_change).bind(to_micros(at)).execute(&mut *c).await.map(|r| r.rows_affected()))
            .map_err(map_err)?;
        Ok(())
    }

    async fn insert_contact(&mut self, x: &Contact) -> StoreResult<()> {
        const Q: &str = "INSERT INTO contacts (id, organisation_id, function, name, title, email, phone) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)";
        run!(self, c => sqlx::query(Q)
            .bind(x.id.0).bind(x.organisation_id.0).bind(&x.function).bind(&x.name).bind(&x.title)
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

    async fn update_organisation(&mut self, o: &Organisation) -> StoreResult<()> {
        const Q: &str = "UPDATE organisations SET name = $2, siret = $3, address = $4, city = $5 WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(o.id.0).bind(&o.name).bind(&o.siret).bind(&o.address).bind(&o.city)
            .execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn all_partners(&mut self) -> StoreResult<Vec<Organisation>> {
        const Q: &str = "SELECT id, kind, name, parent_id, siret, city, address FROM organisations WHERE kind = 'partner' ORDER BY name";
        let rows: Vec<OrganisationRow> = run!(self, c => sqlx::query_as(Q).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(OrganisationRow::into_domain).collect()
    }

    async fn caisses_of(&mut self, national: OrganisationId) -> StoreResult<Vec<Organisation>> {
        const Q: &str = "SELECT id, kind, name, parent_id, siret, city, address FROM organisations \
                         WHERE parent_id = $1 AND kind = 'caisse' ORDER BY name";
        let rows: Vec<OrganisationRow> = run!(self, c => sqlx::query_as(Q).bind(national.0).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(OrganisationRow::into_domain).collect()
    }

    async fn partners_of(&mut self, caisse: OrganisationId) -> StoreResult<Vec<Organisation>> {
        const Q: &str = "SELECT id, kind, name, parent_id, siret, city, address FROM organisations \
                         WHERE parent_id = $1 AND kind = 'partner' ORDER BY name";
        let rows: Vec<OrganisationRow> = run!(self, c => sqlx::query_as(Q).bind(caisse.0).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(OrganisationRow::into_domain).collect()
    }

    async fn account_with_email(&mut self, org: OrganisationId, email: &str, except: Option<AccountId>) -> StoreResult<Option<AccountId>> {
        // lower() narrows the search; the comparison that decides is Rust's, ASCII only, as
        // everywhere else.
        const Q: &str = "SELECT id, email FROM accounts WHERE organisation_id = $1 AND status <> 'deactivated' AND lower(email) = lower($2)";
        let rows: Vec<(Uuid, String)> = run!(self, c => sqlx::query_as(Q).bind(org.0).bind(email).fetch_all(&mut *c).await).map_err(map_err)?;
        Ok(rows.into_iter().map(|(id, e)| (AccountId(id), e)).find(|(id, e)| Some(*id) != except && e.eq_ignore_ascii_case(email)).map(|(id, _)| id))
    }

    async fn accounts_of(&mut self, org: OrganisationId) -> StoreResult<Vec<Account>> {
        const Q: &str = "SELECT id, organisation_id, login, display_name, email, function, status, password_hash, must_change_password, last_login_at, created_at FROM accounts WHERE organisation_id = $1 ORDER BY display_name";
        // Every role of the organisation's people in one read, not one per person.
        const ROLES: &str = "SELECT r.account_id, r.role FROM account_roles r JOIN accounts a ON a.id = r.account_id \
                             WHERE a.organisation_id = $1 ORDER BY r.role";
        let rows: Vec<AccountRow> = run!(self, c => sqlx::query_as(Q).bind(org.0).fetch_all(&mut *c).await).map_err(map_err)?;
        let pairs: Vec<(Uuid, String)> = run!(self, c => sqlx::query_as(ROLES).bind(org.0).fetch_all(&mut *c).await).map_err(map_err)?;
        let mut roles: std::collections::HashMap<Uuid, Vec<String>> = std::collections::HashMap::new();
        for (id, role) in pairs {
            roles.entry(id).or_default().push(role);
        }
        rows.into_iter().map(|row| {
            let r = roles.remove(&row.id()).unwrap_or_default();
            row.into_domain(r)
        }).collect()
    }

    async fn set_phone(&mut self, id: AccountId, phone: &str) -> StoreResult<()> {
        const Q: &str = "UPDATE accounts SET phone = $2 WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(id.0).bind(phone).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn set_account_status(&mut self, id: AccountId, status: AccountStatus) -> StoreResult<()> {
        self.touch_row("accounts", id.0).await?;
        const Q: &str = "UPDATE accounts SET status = $2 WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(id.0).bind(status.as_str()).execute(&mut *c).await.map(|r| r.rows_affected()))
            .map_err(map_err)?;
        Ok(())
    }

    async fn contact(&mut self, id: ContactId) -> StoreResult<Option<Contact>> {
        const Q: &str = "SELECT id, organisation_id, function, name, title, email, phone FROM contacts WHERE id = $1";
        let row: Option<ContactRow> = run!(self, c => sqlx::query_as(Q).bind(id.0).fetch_optional(&mut *c).await).map_err(map_err)?;
        Ok(row.map(ContactRow::into_domain))
    }

    async fn delete_contact(&mut self, id: ContactId) -> StoreResult<()> {
        const Q: &str = "DELETE FROM contacts WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(id.0).execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn lock_organisation(&mut self, id: OrganisationId) -> StoreResult<()> {
        // The one place where the SQL differs: SQLite has no FOR UPDATE, and needs none
        // (its write transactions begin IMMEDIATE, one at a time). On PostgreSQL a trace
        // waiting for the commit is written first: locks are taken in the order asked.
        if matches!(self.inner, Inner::Postgres(_)) {
            self.write_deferred().await?;
        }
        match &mut self.inner {
            Inner::Sqlite(_) => Ok(()),
            Inner::Postgres(t) => sqlx::query("SELECT id FROM organisations WHERE id = $1 FOR UPDATE")
                .bind(id.0)
                .execute(t.conn().map_err(map_err)?)
                .await
                .map(|_| ())
                .map_err(map_err),
        }
    }

    async fn set_account_roles(&mut self, id: AccountId, roles: &[habilis_core::records::Role]) -> StoreResult<()> {
        self.touch_row("accounts", id.0).await?;
        const CLEAR: &str = "DELETE FROM account_roles WHERE account_id = $1";
        const R: &str = "INSERT INTO account_roles (account_id, role) VALUES ($1, $2)";
        run!(self, c => sqlx::query(CLEAR).bind(id.0).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        for role in roles {
            run!(self, c => sqlx::query(R).bind(id.0).bind(role.as_str()).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        }
        Ok(())
    }

    async fn add_role(&mut self, id: AccountId, role: habilis_core::records::Role) -> StoreResult<()> {
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

    async fn force_password_change(&mut self, id: AccountId) -> StoreResult<()> {
        const Q: &str = "UPDATE accounts SET must_change_password = TRUE WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(id.0).execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }
}
