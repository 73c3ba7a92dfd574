//! Who acts: the signed-in person behind a request, and whom they act for.

use super::ids::OrganisationId;
use super::people::{Account, Organisation, Session};

/// The signed-in person behind a request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub account: Account,
    pub organisation: Organisation,
    pub session: Session,
    /// The partner a caisse administrator is managing in its stead (R23, caisse-managed
    /// mode). Management rules check it on every action; `None` for everyone else.
    pub acting_for: Option<OrganisationId>,
}

impl Actor {
    /// The same person, managing the partner `partner` (caisse-managed mode). Whether
    /// they may is decided by each action, not here.
    pub fn acting_for(mut self, partner: OrganisationId) -> Actor {
        self.acting_for = Some(partner);
        self
    }

    /// The organisation whose people this actor manages: the partner acted for, or their own.
    pub fn managed_organisation(&self) -> OrganisationId {
        self.acting_for.unwrap_or(self.organisation.id)
    }
}

/// What a successful sign-in returns: the person and the session token to hand over (the
/// only time the token exists outside the client).
#[derive(Debug)]
pub struct SignedIn {
    pub actor: Actor,
    pub token: String,
}
