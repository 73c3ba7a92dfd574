//! The OpenID Connect provider's keys, codes and refresh tokens.

use habilis_core::clock::{from_micros, to_micros};
use habilis_core::records::*;
use habilis_core::store::{OidcTx, StoreResult};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Inner, Tx};
use crate::map_err;
use crate::rows::SessionRow;

#[derive(sqlx::FromRow)]
struct KeyRow {
    kid: String,
    private_der: Vec<u8>,
    created_at: i64,
    active_from: i64,
    retired_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct CodeRow {
    digest: Vec<u8>,
    client_id: String,
    account_id: Uuid,
    session_id: Uuid,
    redirect_uri: String,
    code_challenge: String,
    nonce: Option<String>,
    scope: String,
    auth_time: i64,
    expires_at: i64,
    used_at: Option<i64>,
    family: Option<Uuid>,
}

impl CodeRow {
    fn into_domain(self) -> AuthCode {
        AuthCode {
            digest: self.digest,
            client_id: self.client_id,
            account_id: AccountId(self.account_id),
            session_id: SessionId(self.session_id),
            redirect_uri: self.redirect_uri,
            code_challenge: self.code_challenge,
            nonce: self.nonce,
            scope: self.scope,
            auth_time: from_micros(self.auth_time),
            expires_at: from_micros(self.expires_at),
            used_at: self.used_at.map(from_micros),
            family: self.family,
        }
    }
}

#[derive(sqlx::FromRow)]
struct RefreshRow {
    digest: Vec<u8>,
    family: Uuid,
    client_id: String,
    account_id: Uuid,
    session_id: Uuid,
    scope: String,
    auth_time: i64,
    created_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl RefreshRow {
    fn into_domain(self) -> RefreshToken {
        RefreshToken {
            digest: self.digest,
            family: self.family,
            client_id: self.client_id,
            account_id: AccountId(self.account_id),
            session_id: SessionId(self.session_id),
            scope: self.scope,
            auth_time: from_micros(self.auth_time),
            created_at: from_micros(self.created_at),
            expires_at: from_micros(self.expires_at),
            used_at: self.used_at.map(from_micros),
            revoked_at: self.revoked_at.map(from_micros),
        }
    }
}

/// `n` placeholders from `$start`: `?` on SQLite (bound by position; sqlx looks `$N` up
/// by name, which grows with their number), `$N` on PostgreSQL.
fn placeholders(positional: bool, start: usize, n: usize) -> String {
    (0..n).map(|i| if positional { "?".to_string() } else { format!("${}", start + i) }).collect::<Vec<_>>().join(", ")
}

impl Tx {
    fn positional(&self) -> bool {
        matches!(self.inner, Inner::Sqlite(_))
    }
}

impl OidcTx for Tx {
    async fn take_refresh_tokens(&mut self, digests: &[Vec<u8>], at: OffsetDateTime) -> StoreResult<Vec<RefreshToken>> {
        if digests.is_empty() {
            return Ok(vec![]);
        }
        let p = self.positional();
        let sql = format!(
            "UPDATE oidc_refresh_tokens SET used_at = {} WHERE used_at IS NULL AND revoked_at IS NULL AND digest IN ({}) RETURNING *",
            if p { "?" } else { "$1" },
            placeholders(p, 2, digests.len())
        );
        let rows: Vec<RefreshRow> = run!(self, c => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(to_micros(at));
            for d in digests {
                q = q.bind(d);
            }
            q.fetch_all(&mut *c).await
        })
        .map_err(map_err)?;
        Ok(rows.into_iter().map(RefreshRow::into_domain).collect())
    }

    async fn refresh_families(&mut self, digests: &[Vec<u8>]) -> StoreResult<Vec<(Vec<u8>, Uuid)>> {
        if digests.is_empty() {
            return Ok(vec![]);
        }
        let sql = format!("SELECT digest, family FROM oidc_refresh_tokens WHERE digest IN ({})", placeholders(self.positional(), 1, digests.len()));
        run!(self, c => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
            for d in digests {
                q = q.bind(d);
            }
            q.fetch_all(&mut *c).await
        })
        .map_err(map_err)
    }

    async fn insert_refresh_tokens(&mut self, tokens: &[RefreshToken]) -> StoreResult<()> {
        let p = self.positional();
        for chunk in tokens.chunks(50) {
            let rows: Vec<String> = (0..chunk.len()).map(|i| format!("({})", placeholders(p, i * 11 + 1, 11))).collect();
            let sql = format!(
                "INSERT INTO oidc_refresh_tokens (digest, family, client_id, account_id, session_id, scope, auth_time, created_at, \
                 expires_at, used_at, revoked_at) VALUES {}",
                rows.join(", ")
            );
            run!(self, c => {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
                for x in chunk {
                    q = q.bind(&x.digest).bind(x.family).bind(&x.client_id).bind(x.account_id.0).bind(x.session_id.0).bind(&x.scope)
                        .bind(to_micros(x.auth_time)).bind(to_micros(x.created_at)).bind(to_micros(x.expires_at))
                        .bind(x.used_at.map(to_micros)).bind(x.revoked_at.map(to_micros));
                }
                q.execute(&mut *c).await.map(|r| r.rows_affected())
            })
            .map_err(map_err)?;
        }
        Ok(())
    }

    async fn touch_open_sessions(&mut self, ids: &[SessionId], now: OffsetDateTime, idle_since: OffsetDateTime) -> StoreResult<Vec<habilis_core::records::Session>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let p = self.positional();
        let sql = format!(
            "UPDATE sessions SET last_seen_at = {} WHERE ended_at IS NULL AND expires_at > {} AND last_seen_at > {} AND id IN ({}) RETURNING *",
            if p { "?" } else { "$1" },
            if p { "?" } else { "$2" },
            if p { "?" } else { "$3" },
            placeholders(p, 4, ids.len())
        );
        let rows: Vec<SessionRow> = run!(self, c => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(to_micros(now)).bind(to_micros(now)).bind(to_micros(idle_since));
            for id in ids {
                q = q.bind(id.0);
            }
            q.fetch_all(&mut *c).await
        })
        .map_err(map_err)?;
        Ok(rows.into_iter().map(SessionRow::into_domain).collect())
    }

    async fn token_persons(&mut self, ids: &[AccountId]) -> StoreResult<Vec<TokenPerson>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let sql = format!(
            "SELECT a.id, a.login, a.display_name, a.email, o.id, o.name, o.siret FROM accounts a \
             JOIN organisations o ON o.id = a.organisation_id WHERE a.id IN ({})",
            placeholders(self.positional(), 1, ids.len())
        );
        let rows: Vec<(Uuid, String, String, String, Uuid, String, Option<String>)> = run!(self, c => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
            for id in ids {
                q = q.bind(id.0);
            }
            q.fetch_all(&mut *c).await
        })
        .map_err(map_err)?;
        Ok(rows
            .into_iter()
            .map(|(id, login, display_name, email, org, organisation_name, siret)| TokenPerson {
                id: AccountId(id),
                login,
                display_name,
                email,
                organisation_id: OrganisationId(org),
                organisation_name,
                siret,
            })
            .collect())
    }

    async fn oidc_keys(&mut self) -> StoreResult<Vec<OidcKey>> {
        const Q: &str = "SELECT kid, private_der, created_at, active_from, retired_at FROM oidc_keys ORDER BY active_from DESC, kid";
        let rows: Vec<KeyRow> = run!(self, c => sqlx::query_as(Q).fetch_all(&mut *c).await).map_err(map_err)?;
        Ok(rows
            .into_iter()
            .map(|r| OidcKey {
                kid: r.kid,
                private_der: r.private_der,
                created_at: from_micros(r.created_at),
                active_from: from_micros(r.active_from),
                retired_at: r.retired_at.map(from_micros),
            })
            .collect())
    }

    async fn insert_oidc_key(&mut self, k: &OidcKey) -> StoreResult<()> {
        const Q: &str = "INSERT INTO oidc_keys (kid, private_der, created_at, active_from, retired_at) VALUES ($1, $2, $3, $4, $5)";
        run!(self, c => sqlx::query(Q)
            .bind(&k.kid).bind(&k.private_der).bind(to_micros(k.created_at)).bind(to_micros(k.active_from)).bind(k.retired_at.map(to_micros))
            .execute(&mut *c).await.map(|r| r.rows_affected()))
        .map_err(map_err)?;
        Ok(())
    }

    async fn retire_oidc_keys(&mut self, keep: &str, at: OffsetDateTime) -> StoreResult<u64> {
        const Q: &str = "UPDATE oidc_keys SET retired_at = $2 WHERE kid <> $1 AND retired_at IS NULL";
        run!(self, c => sqlx::query(Q).bind(keep).bind(to_micros(at)).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)
    }

    async fn remove_oidc_keys(&mut self, before: OffsetDateTime) -> StoreResult<u64> {
        const Q: &str = "DELETE FROM oidc_keys WHERE retired_at IS NOT NULL AND retired_at < $1";
        run!(self, c => sqlx::query(Q).bind(to_micros(before)).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)
    }

    async fn insert_auth_code(&mut self, x: &AuthCode) -> StoreResult<()> {
        const Q: &str = "INSERT INTO oidc_codes (digest, client_id, account_id, session_id, redirect_uri, code_challenge, nonce, scope, \
                         auth_time, expires_at, used_at, family) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
        run!(self, c => sqlx::query(Q)
            .bind(&x.digest).bind(&x.client_id).bind(x.account_id.0).bind(x.session_id.0).bind(&x.redirect_uri)
            .bind(&x.code_challenge).bind(&x.nonce).bind(&x.scope).bind(to_micros(x.auth_time)).bind(to_micros(x.expires_at))
            .bind(x.used_at.map(to_micros)).bind(x.family)
            .execute(&mut *c).await.map(|r| r.rows_affected()))
        .map_err(map_err)?;
        Ok(())
    }

    async fn take_auth_code(&mut self, digest: &[u8], at: OffsetDateTime, family: Uuid) -> StoreResult<Taken<AuthCode>> {
        // One statement decides which of two requests at once gets the code.
        const TAKE: &str = "UPDATE oidc_codes SET used_at = $2, family = $3 WHERE digest = $1 AND used_at IS NULL RETURNING *";
        const SPENT: &str = "SELECT family FROM oidc_codes WHERE digest = $1";
        let row: Option<CodeRow> =
            run!(self, c => sqlx::query_as(TAKE).bind(digest).bind(to_micros(at)).bind(family).fetch_optional(&mut *c).await).map_err(map_err)?;
        if let Some(r) = row {
            return Ok(Taken::Fresh(r.into_domain()));
        }
        let spent: Option<(Option<Uuid>,)> = run!(self, c => sqlx::query_as(SPENT).bind(digest).fetch_optional(&mut *c).await).map_err(map_err)?;
        Ok(match spent {
            Some((f,)) => Taken::Spent(f),
            None => Taken::Unknown,
        })
    }

    async fn insert_refresh_token(&mut self, x: &RefreshToken) -> StoreResult<()> {
        const Q: &str = "INSERT INTO oidc_refresh_tokens (digest, family, client_id, account_id, session_id, scope, auth_time, created_at, \
                         expires_at, used_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
        run!(self, c => sqlx::query(Q)
            .bind(&x.digest).bind(x.family).bind(&x.client_id).bind(x.account_id.0).bind(x.session_id.0).bind(&x.scope)
            .bind(to_micros(x.auth_time)).bind(to_micros(x.created_at)).bind(to_micros(x.expires_at))
            .bind(x.used_at.map(to_micros)).bind(x.revoked_at.map(to_micros))
            .execute(&mut *c).await.map(|r| r.rows_affected()))
        .map_err(map_err)?;
        Ok(())
    }

    async fn refresh_token(&mut self, digest: &[u8]) -> StoreResult<Option<RefreshToken>> {
        const Q: &str = "SELECT * FROM oidc_refresh_tokens WHERE digest = $1";
        let row: Option<RefreshRow> = run!(self, c => sqlx::query_as(Q).bind(digest).fetch_optional(&mut *c).await).map_err(map_err)?;
        Ok(row.map(RefreshRow::into_domain))
    }

    async fn revoke_refresh_family(&mut self, family: Uuid, at: OffsetDateTime) -> StoreResult<u64> {
        const Q: &str = "UPDATE oidc_refresh_tokens SET revoked_at = $2 WHERE family = $1 AND revoked_at IS NULL";
        run!(self, c => sqlx::query(Q).bind(family).bind(to_micros(at)).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)
    }

    async fn revoke_refresh_of_session(&mut self, session: SessionId, at: OffsetDateTime) -> StoreResult<u64> {
        const Q: &str = "UPDATE oidc_refresh_tokens SET revoked_at = $2 WHERE session_id = $1 AND revoked_at IS NULL";
        run!(self, c => sqlx::query(Q).bind(session.0).bind(to_micros(at)).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)
    }

    async fn token_person(&mut self, id: AccountId) -> StoreResult<Option<TokenPerson>> {
        const Q: &str = "SELECT a.login, a.display_name, a.email, o.id, o.name, o.siret FROM accounts a \
                         JOIN organisations o ON o.id = a.organisation_id WHERE a.id = $1";
        let row: Option<(String, String, String, Uuid, String, Option<String>)> =
            run!(self, c => sqlx::query_as(Q).bind(id.0).fetch_optional(&mut *c).await).map_err(map_err)?;
        Ok(row.map(|(login, display_name, email, org, organisation_name, siret)| TokenPerson {
            id,
            login,
            display_name,
            email,
            organisation_id: OrganisationId(org),
            organisation_name,
            siret,
        }))
    }

    async fn open_session(&mut self, id: SessionId) -> StoreResult<Option<habilis_core::records::Session>> {
        const Q: &str = "SELECT * FROM sessions WHERE id = $1 AND ended_at IS NULL";
        let row: Option<SessionRow> = run!(self, c => sqlx::query_as(Q).bind(id.0).fetch_optional(&mut *c).await).map_err(map_err)?;
        Ok(row.map(SessionRow::into_domain))
    }

    async fn purge_oidc(&mut self, before: OffsetDateTime) -> StoreResult<u64> {
        const CODES: &str = "DELETE FROM oidc_codes WHERE expires_at < $1";
        const TOKENS: &str = "DELETE FROM oidc_refresh_tokens WHERE expires_at < $1";
        let a = run!(self, c => sqlx::query(CODES).bind(to_micros(before)).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        let b = run!(self, c => sqlx::query(TOKENS).bind(to_micros(before)).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(a + b)
    }
}
