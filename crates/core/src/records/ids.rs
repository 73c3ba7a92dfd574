//! Typed identifiers: every record's id is a UUID v7 newtype, so that a mandate id does not
//! compile where a grant id is expected.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);
        impl $name {
            /// A new, time-ordered identifier.
            pub fn new() -> Self { $name(Uuid::now_v7()) }
            /// Parse the hyphenated text form (as found in a path or a form).
            pub fn parse(s: &str) -> Option<Self> { Uuid::parse_str(s.trim()).ok().map($name) }
        }
        impl Default for $name {
            fn default() -> Self { Self::new() }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { self.0.fmt(f) }
        }
        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid { id.0 }
        }
    };
}

id_type!(
    /// An organisation: the national level, a caisse or a partner.
    OrganisationId
);
id_type!(
    /// A person's account.
    AccountId
);
id_type!(
    /// A signed-in session.
    SessionId
);
id_type!(
    /// A group of a partner's people, which can hold grants.
    GroupId
);
id_type!(
    /// A business service of the catalogue (e.g. CDAP).
    ServiceId
);
id_type!(
    /// A role (profile) of a service (e.g. CDAP T1).
    ServiceRoleId
);
id_type!(
    /// A grant: one person's or one group's right to a service in a role.
    GrantId
);
id_type!(
    /// A mandate given to a delegated manager.
    MandateId
);
id_type!(
    /// A convention d'accès between the caisse and a partner.
    ConventionId
);
id_type!(
    /// A contrat de service under a convention.
    ContractId
);
id_type!(
    /// An amendment (avenant) to a service contract.
    AmendmentId
);
id_type!(
    /// A subscription (bulletin d'adhésion) of a partner to a service.
    SubscriptionId
);
id_type!(
    /// A query the caisse asks a partner about a grant.
    QueryId
);
id_type!(
    /// A yearly access review campaign a caisse opens (Art. 2.2.2).
    CampaignId
);
id_type!(
    /// One partner's yearly access review within a campaign.
    ReviewId
);
id_type!(
    /// A right-of-access request of a person for their own traces.
    AccessRequestId
);
id_type!(
    /// A partner's request to change one of its administrators (Annex 3).
    ChangeRequestId
);
id_type!(
    /// A contact of an organisation's directory (Annex 1).
    ContactId
);
id_type!(
    /// A one-time set-password link.
    LinkId
);
id_type!(
    /// A message of the outbox.
    MessageId
);
id_type!(
    /// A business service registered as a client (OIDC relying party, check API caller).
    ClientId
);
id_type!(
    /// An alert on atypical use (R24).
    AlertId
);
id_type!(
    /// An incident opened with the caisse's service desk.
    IncidentId
);
id_type!(
    /// A planned outage of a service.
    OutageId
);
id_type!(
    /// A token a partner's administrator issued to their directory (SCIM, R71).
    ScimTokenId
);
