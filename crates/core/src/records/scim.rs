//! Provisioning by a partner's own directory (SCIM 2.0, R71): the tokens its
//! administrators issue, and what a directory says of a person or a group that the portal
//! has no field for.

use time::OffsetDateTime;

use super::ids::*;

/// A token a partner's administrator issued to their directory. It acts with its issuer's
/// powers, read afresh at each request; only the SHA-256 of its secret is kept.
#[derive(Debug, Clone)]
pub struct ScimToken {
    pub id: ScimTokenId,
    pub organisation_id: OrganisationId,
    pub issuer_id: AccountId,
    pub label: String,
    pub token_hash: Vec<u8>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
    pub revoked_by: Option<AccountId>,
}

impl ScimToken {
    /// Whether the token opens the SCIM endpoint at `now`.
    pub fn is_usable(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

/// A directory's own words for a person or a group of the portal (keyed by the account's
/// or the group's id): its identifier for them, and the two halves of a person's name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScimExtra {
    pub external_id: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
}
