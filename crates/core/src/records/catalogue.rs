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
