//! The catalogue of business services and their roles (profiles).


use super::ids::{ServiceId, ServiceRoleId};

/// A business service and its roles, for the catalogue and the demo.
#[derive(Debug, Clone)]
pub struct Service {
    pub id: ServiceId,
    pub code: String,
    pub label: String,
    pub description: String,
}

/// A role (profile) of a service.
#[derive(Debug, Clone)]
pub struct ServiceRole {
    pub id: ServiceRoleId,
    pub service_id: ServiceId,
    pub code: String,
    pub label: String,
}

/// A business service registered as a client of Habilis: it signs people in through the
/// portal (OpenID Connect) and asks the check API, for its one service (issue 13).
#[derive(Debug, Clone)]
pub struct ServiceClient {
    pub id: super::ids::ClientId,
    /// The public identifier (`cdap`).
    pub client_id: String,
    pub name: String,
    pub service_id: ServiceId,
    /// SHA-256 of the secret (256 random bits, shown once).
    pub secret_digest: Vec<u8>,
    pub redirect_uris: Vec<String>,
    /// Its public keys (a JWKS, JSON) when it authenticates with signed assertions
    /// (`private_key_jwt`) rather than, or as well as, its secret.
    pub jwks: Option<String>,
    pub created_at: time::OffsetDateTime,
    pub disabled_at: Option<time::OffsetDateTime>,
}
