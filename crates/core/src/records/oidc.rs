//! What the OpenID Connect provider keeps (issue 13): its signing keys, the one-time
//! authorization codes and the refresh tokens (their SHA-256 digests, never the tokens).

use time::OffsetDateTime;
use uuid::Uuid;

use super::ids::{AccountId, OrganisationId, SessionId};

/// A signing key of the provider. Published in the JWKS from its creation; signs from
/// `active_from`; after `retired_at` it signs no more but stays published until the
/// tokens it signed have expired.
#[derive(Debug, Clone)]
pub struct OidcKey {
    pub kid: String,
    /// PKCS#8 document of the P-256 key pair.
    pub private_der: Vec<u8>,
    pub created_at: OffsetDateTime,
    pub active_from: OffsetDateTime,
    pub retired_at: Option<OffsetDateTime>,
}

/// A one-time authorization code, bound to its client, redirect address, PKCE challenge
/// and the portal session that signed the person in.
#[derive(Debug, Clone)]
pub struct AuthCode {
    pub digest: Vec<u8>,
    pub client_id: String,
    pub account_id: AccountId,
    pub session_id: SessionId,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub nonce: Option<String>,
    pub scope: String,
    pub auth_time: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub used_at: Option<OffsetDateTime>,
    /// The refresh-token family its exchange started (to revoke it if the code is replayed).
    pub family: Option<Uuid>,
}

/// A refresh-token family: what one sign-in of a person on a service gave, renewed in
/// place. The token in the service's hands is `<id, 32 hex>.<secret>`; `digest` is the
/// SHA-256 of the one that is current. Each renewal gives the next token and forgets the
/// last; a token of the family that is not the current one was used twice (or forged by
/// someone who saw one), and the whole family is revoked (reuse detection).
#[derive(Debug, Clone)]
pub struct RefreshFamily {
    pub id: Uuid,
    pub digest: Vec<u8>,
    pub client_id: String,
    pub account_id: AccountId,
    pub session_id: SessionId,
    pub scope: String,
    pub auth_time: OffsetDateTime,
    pub created_at: OffsetDateTime,
    /// The last renewal (`created_at` before the first).
    pub rotated_at: OffsetDateTime,
    /// How many renewals.
    pub rotations: i64,
    pub expires_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
}

/// A renewal asked of the store: move `family` from the token whose digest is `current`
/// to the one whose digest is `next`.
#[derive(Debug, Clone)]
pub struct Rotation {
    pub family: Uuid,
    pub current: Vec<u8>,
    pub next: Vec<u8>,
}

/// What taking a one-time secret found.
#[derive(Debug, Clone)]
pub enum Taken<T> {
    /// Unused until now; this call used it.
    Fresh(T),
    /// Already used (or revoked): a replay. The family it started or belongs to, if any.
    Spent(Option<Uuid>),
    /// No such secret.
    Unknown,
}

/// What a token says of its person, read in one statement.
#[derive(Debug, Clone)]
pub struct TokenPerson {
    pub id: AccountId,
    pub login: String,
    pub display_name: String,
    pub email: String,
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    pub siret: Option<String>,
}
