//! Provisioning by a partner's directory (SCIM 2.0): its tokens, and the directory's own
//! words for the people and groups it provisions.

use habilis_core::clock::{from_micros, to_micros};
use habilis_core::records::*;
use habilis_core::store::{ScimTx, StoreResult};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Inner, Tx};
use crate::map_err;

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: Uuid,
    organisation_id: Uuid,
    issuer_id: Uuid,
    label: String,
    token_hash: Vec<u8>,
    created_at: i64,
    expires_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
    revoked_by: Option<Uuid>,
}

impl TokenRow {
    fn into_domain(self) -> ScimToken {
        ScimToken {
            id: ScimTokenId(self.id),
            organisation_id: OrganisationId(self.organisation_id),
            issuer_id: AccountId(self.issuer_id),
            label: self.label,
            token_hash: self.token_hash,
            created_at: from_micros(self.created_at),
            expires_at: from_micros(self.expires_at),
            last_used_at: self.last_used_at.map(from_micros),
            revoked_at: self.revoked_at.map(from_micros),
            revoked_by: self.revoked_by.map(AccountId),
        }
    }
}

#[derive(sqlx::FromRow)]
struct ExtraRow {
    id: Uuid,
    external_id: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
}

impl ScimTx for Tx {
    async fn insert_scim_token(&mut self, t: &ScimToken) -> StoreResult<()> {
        const Q: &str = "INSERT INTO scim_tokens (id, organisation_id, issuer_id, label, token_hash, created_at, expires_at, last_used_at, revoked_at, revoked_by) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        run!(self, c => sqlx::query(Q).bind(t.id.0).bind(t.organisation_id.0).bind(t.issuer_id.0).bind(&t.label).bind(&t.token_hash)
            .bind(to_micros(t.created_at)).bind(to_micros(t.expires_at)).bind(t.last_used_at.map(to_micros)).bind(t.revoked_at.map(to_micros))
            .bind(t.revoked_by.map(|x| x.0)).execute(&mut *c).await.map(|_| ())).map_err(map_err)?;
        Ok(())
    }

    async fn scim_token_by_hash(&mut self, hash: &[u8]) -> StoreResult<Option<ScimToken>> {
        const Q: &str = "SELECT * FROM scim_tokens WHERE token_hash = $1";
        let row: Option<TokenRow> = run!(self, c => sqlx::query_as(Q).bind(hash).fetch_optional(&mut *c).await).map_err(map_err)?;
        Ok(row.map(TokenRow::into_domain))
    }

    async fn scim_tokens_of(&mut self, org: OrganisationId) -> StoreResult<Vec<ScimToken>> {
        const Q: &str = "SELECT * FROM scim_tokens WHERE organisation_id = $1 ORDER BY created_at DESC, id DESC";
        let rows: Vec<TokenRow> = run!(self, c => sqlx::query_as(Q).bind(org.0).fetch_all(&mut *c).await).map_err(map_err)?;
        Ok(rows.into_iter().map(TokenRow::into_domain).collect())
    }

    async fn revoke_scim_token(&mut self, org: OrganisationId, id: ScimTokenId, by: AccountId, at: OffsetDateTime) -> StoreResult<bool> {
        const Q: &str = "UPDATE scim_tokens SET revoked_at = $3, revoked_by = $4 WHERE id = $1 AND organisation_id = $2 AND revoked_at IS NULL";
        let n = run!(self, c => sqlx::query(Q).bind(id.0).bind(org.0).bind(to_micros(at)).bind(by.0)
            .execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(n == 1)
    }

    async fn touch_scim_token(&mut self, id: ScimTokenId, at: OffsetDateTime) -> StoreResult<()> {
        const Q: &str = "UPDATE scim_tokens SET last_used_at = $2 WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(id.0).bind(to_micros(at)).execute(&mut *c).await.map(|_| ())).map_err(map_err)?;
        Ok(())
    }

    async fn scim_extras_of(&mut self, org: OrganisationId) -> StoreResult<Vec<(Uuid, ScimExtra)>> {
        const Q: &str = "SELECT id, external_id, given_name, family_name FROM scim_resources WHERE organisation_id = $1";
        let rows: Vec<ExtraRow> = run!(self, c => sqlx::query_as(Q).bind(org.0).fetch_all(&mut *c).await).map_err(map_err)?;
        Ok(rows
            .into_iter()
            .map(|r| (r.id, ScimExtra { external_id: r.external_id, given_name: r.given_name, family_name: r.family_name }))
            .collect())
    }

    async fn set_scim_extra(&mut self, org: OrganisationId, id: Uuid, e: &ScimExtra) -> StoreResult<()> {
        if *e == ScimExtra::default() {
            const D: &str = "DELETE FROM scim_resources WHERE id = $1 AND organisation_id = $2";
            run!(self, c => sqlx::query(D).bind(id).bind(org.0).execute(&mut *c).await.map(|_| ())).map_err(map_err)?;
            return Ok(());
        }
        const Q: &str = "INSERT INTO scim_resources (id, organisation_id, external_id, given_name, family_name) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (id) DO UPDATE SET external_id = excluded.external_id, given_name = excluded.given_name, family_name = excluded.family_name";
        run!(self, c => sqlx::query(Q).bind(id).bind(org.0).bind(&e.external_id).bind(&e.given_name).bind(&e.family_name)
            .execute(&mut *c).await.map(|_| ())).map_err(map_err)?;
        Ok(())
    }
}
