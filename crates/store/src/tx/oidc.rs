//! The OpenID Connect provider's keys, codes and refresh-token families.

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
struct FamilyRow {
    id: Uuid,
    digest: Vec<u8>,
    client_id: String,
    account_id: Uuid,
    session_id: Uuid,
    scope: String,
    auth_time: i64,
    created_at: i64,
    rotated_at: i64,
    rotations: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
}

impl FamilyRow {
    fn into_domain(self) -> RefreshFamily {
        RefreshFamily {
            id: self.id,
            digest: self.digest,
            client_id: self.client_id,
            account_id: AccountId(self.account_id),
            session_id: SessionId(self.session_id),
            scope: self.scope,
            auth_time: from_micros(self.auth_time),
            created_at: from_micros(self.created_at),
            rotated_at: from_micros(self.rotated_at),
            rotations: self.rotations,
            expires_at: from_micros(self.expires_at),
            revoked_at: self.revoked_at.map(from_micros),
        }
    }
}

/// A family's columns, as `FamilyRow` reads them.
const FAMILY: &str = "id, digest, client_id, account_id, session_id, scope, auth_time, created_at, rotated_at, rotations, expires_at, revoked_at";

/// A portal session with the person and organisation a token speaks of.
#[derive(sqlx::FromRow)]
struct SessionPersonRow {
    #[sqlx(flatten)]
    session: SessionRow,
    p_login: String,
    p_display_name: String,
    p_email: String,
    p_organisation_id: Uuid,
    p_organisation_name: String,
    p_siret: Option<String>,
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
    async fn rotate_refresh_families(&mut self, rotations: &[Rotation], at: OffsetDateTime) -> StoreResult<Vec<RefreshFamily>> {
        if rotations.is_empty() {
            return Ok(vec![]);
        }
        // One statement for the batch; the family is found by its key and moved only if the
        // digest presented is its current one (two renewals of one token: one moves it).
        let p = self.positional();
        let values: Vec<String> = (0..rotations.len())
            .map(|i| if p { "(?, ?, ?)".to_string() } else { format!("(${}::uuid, ${}::bytea, ${}::bytea)", 3 * i + 1, 3 * i + 2, 3 * i + 3) })
            .collect();
        let n = 3 * rotations.len();
        let (a, b) = if p { ("?".to_string(), "?".to_string()) } else { (format!("${}", n + 1), format!("${}", n + 2)) };
        let sql = format!(
            "WITH v(fid, cur, nxt) AS (VALUES {}) \
             UPDATE oidc_refresh_families AS f SET digest = v.nxt, rotated_at = {a}, rotations = f.rotations + 1 FROM v \
             WHERE f.id = v.fid AND f.digest = v.cur AND f.revoked_at IS NULL AND f.expires_at > {b} RETURNING {FAMILY}",
            values.join(", ")
        );
        let rows: Vec<FamilyRow> = run!(self, c => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
            for r in rotations {
                q = q.bind(r.family).bind(&r.current).bind(&r.next);
            }
            q.bind(to_micros(at)).bind(to_micros(at)).fetch_all(&mut *c).await
        })
        .map_err(map_err)?;
        Ok(rows.into_iter().map(FamilyRow::into_domain).collect())
    }

    async fn refresh_families(&mut self, ids: &[Uuid]) -> StoreResult<Vec<RefreshFamily>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let sql = format!("SELECT {FAMILY} FROM oidc_refresh_families WHERE id IN ({})", placeholders(self.positional(), 1, ids.len()));
        let rows: Vec<FamilyRow> = run!(self, c => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
            for id in ids {
                q = q.bind(id);
            }
            q.fetch_all(&mut *c).await
        })
        .map_err(map_err)?;
        Ok(rows.into_iter().map(FamilyRow::into_domain).collect())
    }

    async fn insert_refresh_family(&mut self, x: &RefreshFamily) -> StoreResult<()> {
        let sql = format!("INSERT INTO oidc_refresh_families ({FAMILY}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)");
        run!(self, c => sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(x.id).bind(&x.digest).bind(&x.client_id).bind(x.account_id.0).bind(x.session_id.0).bind(&x.scope)
            .bind(to_micros(x.auth_time)).bind(to_micros(x.created_at)).bind(to_micros(x.rotated_at)).bind(x.rotations)
            .bind(to_micros(x.expires_at)).bind(x.revoked_at.map(to_micros))
            .execute(&mut *c).await.map(|r| r.rows_affected()))
        .map_err(map_err)?;
        Ok(())
    }

    async fn open_sessions_with_people(&mut self, ids: &[SessionId]) -> StoreResult<Vec<(habilis_core::records::Session, TokenPerson)>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let sql = format!(
            "SELECT s.*, a.login AS p_login, a.display_name AS p_display_name, a.email AS p_email, o.id AS p_organisation_id, \
             o.name AS p_organisation_name, o.siret AS p_siret FROM sessions s JOIN accounts a ON a.id = s.account_id \
             JOIN organisations o ON o.id = a.organisation_id WHERE s.ended_at IS NULL AND s.id IN ({})",
            placeholders(self.positional(), 1, ids.len())
        );
        let rows: Vec<SessionPersonRow> = run!(self, c => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
            for id in ids {
                q = q.bind(id.0);
            }
            q.fetch_all(&mut *c).await
        })
        .map_err(map_err)?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let session = r.session.into_domain();
                let person = TokenPerson {
                    id: session.account_id,
                    login: r.p_login,
                    display_name: r.p_display_name,
                    email: r.p_email,
                    organisation_id: OrganisationId(r.p_organisation_id),
                    organisation_name: r.p_organisation_name,
                    siret: r.p_siret,
                };
                (session, person)
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

    async fn revoke_refresh_family(&mut self, family: Uuid, at: OffsetDateTime) -> StoreResult<u64> {
        const Q: &str = "UPDATE oidc_refresh_families SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
        run!(self, c => sqlx::query(Q).bind(family).bind(to_micros(at)).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)
    }

    async fn revoke_refresh_of_session(&mut self, session: SessionId, at: OffsetDateTime) -> StoreResult<u64> {
        const Q: &str = "UPDATE oidc_refresh_families SET revoked_at = $2 WHERE session_id = $1 AND revoked_at IS NULL";
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
        const TOKENS: &str = "DELETE FROM oidc_refresh_families WHERE expires_at < $1";
        let a = run!(self, c => sqlx::query(CODES).bind(to_micros(before)).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        let b = run!(self, c => sqlx::query(TOKENS).bind(to_micros(before)).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(a + b)
    }
}
