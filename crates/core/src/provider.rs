//! The OpenID Connect provider's state in one process and the types its parts share (the
//! policy, the keys as loaded, the queue of renewals, the errors of the protocol). The rules
//! are in `services::oidc`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::error::{Error, StoreError};
use crate::jose::SigningKey;
use crate::records::{GrantId, ServiceClient};
use crate::trace::ClientInfo;

/// Lifetimes of what the provider issues, and its key rotation.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct OidcPolicy {
    /// An authorization code's life, in seconds.
    pub code_seconds: i64,
    /// An access token's and an ID token's life, in seconds.
    pub token_seconds: i64,
    /// A refresh token family's longest life, in hours (never beyond the portal session).
    pub refresh_hours: i64,
    /// A signing key signs for this many days, then the next one takes over.
    pub key_rotation_days: i64,
    /// A new key is published this many minutes before it signs, so that relying parties
    /// have fetched it.
    pub key_publish_minutes: i64,
}

impl Default for OidcPolicy {
    fn default() -> Self {
        OidcPolicy { code_seconds: 60, token_seconds: 300, refresh_hours: 12, key_rotation_days: 90, key_publish_minutes: 60 }
    }
}

/// The keys as loaded: the one that signs now, and every public key to publish.
pub(crate) struct Keys {
    pub(crate) signing: Arc<SigningKey>,
    pub(crate) published: Vec<Value>,
    pub(crate) loaded: std::time::Instant,
}

/// The provider's state in one process: its policy, its keys (reloaded every minute, so
/// that a key rotated by another instance or the CLI is published and used), and the
/// assertion ids already seen (a client assertion is accepted once).
pub struct Provider {
    pub policy: OidcPolicy,
    pub(crate) keys: RwLock<Option<Arc<Keys>>>,
    pub(crate) seen_assertions: Mutex<HashMap<String, OffsetDateTime>>,
    /// The writer of renewals (started with the first one).
    pub(crate) refreshes: tokio::sync::OnceCell<tokio::sync::mpsc::Sender<RefreshJob>>,
}

/// One renewal waiting for the writer.
pub(crate) struct RefreshJob {
    /// The family the token names, and the token's digest.
    pub(crate) family: uuid::Uuid,
    pub(crate) digest: Vec<u8>,
    pub(crate) client: Arc<ServiceClient>,
    pub(crate) issuer: String,
    pub(crate) info: ClientInfo,
    pub(crate) done: tokio::sync::oneshot::Sender<OResult<Unsigned>>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider").field("policy", &self.policy).finish_non_exhaustive()
    }
}

impl Provider {
    pub fn new(policy: OidcPolicy) -> Arc<Provider> {
        Arc::new(Provider { policy, keys: RwLock::new(None), seen_assertions: Mutex::new(HashMap::new()), refreshes: Default::default() })
    }
    pub fn shared() -> Arc<Provider> {
        Provider::new(OidcPolicy::default())
    }
    pub(crate) fn forget_keys(&self) {
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Tokens issued in a transaction, signed once it has committed.
pub(crate) struct Unsigned {
    pub(crate) id: Value,
    pub(crate) access: Value,
    pub(crate) refresh: String,
    pub(crate) scope: String,
    pub(crate) grants: Vec<GrantId>,
}

/// The OAuth 2.0 / OpenID Connect errors, with a sentence in French for the developer of
/// the service (and for the person, when the portal shows it).
#[derive(Debug)]
pub enum OidcError {
    InvalidRequest(&'static str),
    InvalidClient,
    InvalidGrant(&'static str),
    UnauthorizedClient(&'static str),
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    AccessDenied(&'static str),
    LoginRequired,
    InvalidToken,
    Internal(Error),
}

impl From<Error> for OidcError {
    fn from(e: Error) -> Self {
        OidcError::Internal(e)
    }
}

impl From<StoreError> for OidcError {
    fn from(e: StoreError) -> Self {
        OidcError::Internal(Error::Store(e))
    }
}

impl OidcError {
    /// The error code of RFC 6749 / OpenID Connect.
    pub fn code(&self) -> &'static str {
        match self {
            OidcError::InvalidRequest(_) => "invalid_request",
            OidcError::InvalidClient => "invalid_client",
            OidcError::InvalidGrant(_) => "invalid_grant",
            OidcError::UnauthorizedClient(_) => "unauthorized_client",
            OidcError::UnsupportedGrantType => "unsupported_grant_type",
            OidcError::UnsupportedResponseType => "unsupported_response_type",
            OidcError::InvalidScope => "invalid_scope",
            OidcError::AccessDenied(_) => "access_denied",
            OidcError::LoginRequired => "login_required",
            OidcError::InvalidToken => "invalid_token",
            OidcError::Internal(_) => "server_error",
        }
    }
    /// What went wrong, in a sentence.
    pub fn description(&self) -> &'static str {
        match self {
            OidcError::InvalidRequest(s) | OidcError::InvalidGrant(s) | OidcError::UnauthorizedClient(s) | OidcError::AccessDenied(s) => s,
            OidcError::InvalidClient => "Le service n'est pas authentifié : identifiant, secret ou assertion inconnu ou refusé.",
            OidcError::UnsupportedGrantType => "Ce type d'autorisation n'est pas pris en charge (authorization_code, refresh_token ou client_credentials).",
            OidcError::UnsupportedResponseType => "Seul le flux « code » (response_type=code) est pris en charge.",
            OidcError::InvalidScope => "La portée demandée doit contenir « openid ».",
            OidcError::LoginRequired => "La personne doit d'abord se connecter au portail.",
            OidcError::InvalidToken => "Le jeton d'accès est absent, invalide ou expiré.",
            OidcError::Internal(_) => "Le portail n'a pas pu traiter la demande ; réessayez plus tard.",
        }
    }
    /// The HTTP status of the error at the token endpoint.
    pub fn status(&self) -> u16 {
        match self {
            OidcError::InvalidClient | OidcError::InvalidToken => 401,
            OidcError::Internal(_) => 500,
            _ => 400,
        }
    }
}

pub(crate) type OResult<T> = std::result::Result<T, OidcError>;
