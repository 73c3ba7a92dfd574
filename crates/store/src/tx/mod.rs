//! The transaction type and its implementation of the core's `Transaction` trait. Each
//! method holds one SQL text shared by both backends; `run!` expands it once per backend.

use habilis_core::records::{Account, OrganisationId, Subscription};
use habilis_core::store::{StoreResult, Transaction};
use habilis_core::trace::TraceKey;
use sqlx::{Postgres, Sqlite};
use uuid::Uuid;

use crate::map_err;
use crate::rows::{
    AccountRow, SubscriptionRow,
};

/// An open transaction on either backend.
pub struct Tx {
    pub(crate) inner: Inner,
    pub(crate) key: TraceKey,
    /// Organisations whose rights this transaction changed (`None`: the catalogue),
    /// announced once it commits.
    pub(crate) touched: Vec<Option<OrganisationId>>,
    pub(crate) changes: crate::Changes,
    /// Begun to write (`Store::begin`): its commit may change who is signed in.
    pub(crate) writes: bool,
    /// Marked by its caller as changing nothing a signed-in person's session depends on
    /// (`Transaction::quiet`): its commit leaves the cache of sessions as it is.
    pub(crate) quiet: bool,
    /// This process's turn to write (SQLite), held until commit or rollback.
    pub(crate) _writer: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// Where this process's writers left each trace chain (PostgreSQL appends).
    pub(crate) heads: crate::append::Heads,
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
    /// Note that `org`'s rights change in this transaction.
    pub(crate) fn touch(&mut self, org: Option<OrganisationId>) {
        if !self.touched.contains(&org) {
            self.touched.push(org);
        }
    }

    /// Note the organisation of the row `id` of `table` (grants, groups, accounts).
    pub(crate) async fn touch_row(&mut self, table: &'static str, id: Uuid) -> StoreResult<()> {
        let q = match table {
            "grants" => "SELECT organisation_id FROM grants WHERE id = $1",
            "groups" => "SELECT organisation_id FROM groups WHERE id = $1",
            _ => "SELECT organisation_id FROM accounts WHERE id = $1",
        };
        let row: Option<(Uuid,)> = run!(self, c => sqlx::query_as(q).bind(id).fetch_optional(&mut *c).await).map_err(map_err)?;
        if let Some((org,)) = row {
            self.touch(Some(OrganisationId(org)));
        }
        Ok(())
    }

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

mod alerts;
mod contracts;
mod desk;
mod organisations;
mod requests;
mod reviews;
mod rights;
mod scim;
mod oidc;
mod sessions;
mod trail;

impl Transaction for Tx {
    fn quiet(&mut self) {
        self.quiet = true;
    }

    async fn mark(&mut self) -> StoreResult<()> {
        run!(self, c => sqlx::query("SAVEPOINT habilis_mark").execute(&mut *c).await.map(|_| ())).map_err(map_err)?;
        Ok(())
    }

    async fn undo_to_mark(&mut self) -> StoreResult<()> {
        // The trail's remembered heads may now be ahead of the database's: its writers
        // compare before they write and read the head again when it differs.
        run!(self, c => sqlx::query("ROLLBACK TO SAVEPOINT habilis_mark").execute(&mut *c).await.map(|_| ())).map_err(map_err)?;
        run!(self, c => sqlx::query("RELEASE SAVEPOINT habilis_mark").execute(&mut *c).await.map(|_| ())).map_err(map_err)?;
        Ok(())
    }

    async fn keep_since_mark(&mut self) -> StoreResult<()> {
        run!(self, c => sqlx::query("RELEASE SAVEPOINT habilis_mark").execute(&mut *c).await.map(|_| ())).map_err(map_err)?;
        Ok(())
    }

    async fn commit(mut self) -> StoreResult<()> {
        let identity = self.writes && !self.quiet;
        // Other instances hear of it through PostgreSQL, on commit only.
        if let Inner::Postgres(t) = &mut self.inner {
            for org in &self.touched {
                let payload = org.map(|o| o.to_string()).unwrap_or_else(|| "*".into());
                // Prefixed with the schema: instances of other installations (or test schemas) on
                // the same database hear it and ignore it.
                sqlx::query("SELECT pg_notify('habilis_rights', current_schema() || ' ' || $1)").bind(payload).execute(&mut **t).await.map_err(map_err)?;
            }
            if identity {
                sqlx::query("SELECT pg_notify('habilis_identity', current_schema() || ' ' || $1)").bind(&*self.changes.instance).execute(&mut **t).await.map_err(map_err)?;
            }
        }
        match self.inner {
            Inner::Sqlite(t) => t.commit().await,
            Inner::Postgres(t) => t.commit().await,
        }
        .map_err(map_err)?;
        if identity {
            self.changes.identity.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        }
        for org in self.touched {
            let version = self.changes.version.fetch_add(1, std::sync::atomic::Ordering::AcqRel) + 1;
            // Nobody listening is fine: the view is rebuilt when it starts.
            let _ = self.changes.sender.send(habilis_core::store::RightsChange { organisation: org, everything: false, version });
        }
        Ok(())
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
}
