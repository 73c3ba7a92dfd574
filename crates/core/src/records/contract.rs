//! The contractual frame of a partner: convention, service contracts, amendments, and
//! the subscriptions (bulletins d'adhésion) with their quotas.

use serde::Serialize;
use time::Date;

use super::catalogue::{Service, ServiceRole};
use super::ids::{AccountId, AmendmentId, ContractId, ConventionId, OrganisationId, ServiceId, ServiceRoleId, SubscriptionId};
use super::people::{Account, Contact, Organisation};

/// Who manages the partner's users, groups and grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ManagementMode {
    /// The partner's managers, inside the caisse's limits (gestion déléguée).
    Delegated,
    /// The caisse itself.
    CaisseManaged,
}

impl ManagementMode {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ManagementMode::Delegated => "delegated",
            ManagementMode::CaisseManaged => "caisse_managed",
        }
    }
    /// Parse the stored (or submitted) name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "delegated" => Some(ManagementMode::Delegated),
            "caisse_managed" => Some(ManagementMode::CaisseManaged),
            _ => None,
        }
    }
}

/// A convention d'accès.
#[derive(Debug, Clone, Serialize)]
pub struct Convention {
    pub id: ConventionId,
    pub partner_id: OrganisationId,
    pub number: String,
    pub signed_on: Date,
    pub signatories: String,
}

/// A contrat de service under a convention.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceContract {
    pub id: ContractId,
    pub convention_id: ConventionId,
    pub partner_id: OrganisationId,
    pub mode: ManagementMode,
    pub signed_on: Date,
    pub signatories: String,
}

/// An avenant: a signed change of mode, effective from a date.
#[derive(Debug, Clone, Serialize)]
pub struct Amendment {
    pub id: AmendmentId,
    pub contract_id: ContractId,
    pub partner_id: OrganisationId,
    pub mode: ManagementMode,
    pub signed_on: Date,
    pub effective_on: Date,
    pub reason: String,
}

/// One save of a subscription (Annex 2): who, when, what changed, and the date of the
/// amendment that made the change (Art. 6); `None` while the subscription was a draft.
#[derive(Debug, Clone, Serialize)]
pub struct SubscriptionChange {
    pub partner_id: OrganisationId,
    pub service_id: ServiceId,
    pub changed_at: time::OffsetDateTime,
    pub changed_by: Option<AccountId>,
    pub signed_on: Option<Date>,
    pub changes: String,
}

/// A bulletin d'adhésion: a partner's enrolment to one service, with its quotas.
#[derive(Debug, Clone, Serialize)]
pub struct Subscription {
    pub id: SubscriptionId,
    pub partner_id: OrganisationId,
    pub service_id: ServiceId,
    pub signed_on: Option<Date>,
    pub formalities_reference: Option<String>,
    pub formalities_on: Option<Date>,
    pub available_from: Option<Date>,
    /// Most people who may hold the service (through any grant); `None`: no limit set.
    pub max_holders: Option<i64>,
    /// Per-role maximums.
    pub role_quotas: Vec<(ServiceRoleId, i64)>,
}

/// What keeps a service closed for a partner (R2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "missing")]
pub enum Missing {
    /// No signed convention.
    Convention,
    /// No signed service contract.
    ServiceContract,
    /// No subscription to this service.
    Subscription,
    /// The subscription is not signed.
    SubscriptionSignature,
    /// The data-protection formalities are not recorded.
    DataProtectionFormalities,
    /// No availability date set.
    AvailabilityDate,
    /// Available only from this date.
    NotYetAvailable { from: Date },
    /// No maximum number of holders set: the caisse sets it "obligatoirement" (Art. 2.2.1).
    Quota,
}

/// The functions every partner's directory must fill (Annex 1).
pub const REQUIRED_FUNCTIONS: [&str; 4] = ["administrator", "deputy", "security_officer", "data_protection_referent"];

/// Everything the caisse sees of a partner on its page.
#[derive(Debug, Clone)]
pub struct PartnerFile {
    pub partner: Organisation,
    pub conventions: Vec<Convention>,
    pub contracts: Vec<ServiceContract>,
    pub amendments: Vec<Amendment>,
    pub mode: Option<ManagementMode>,
    /// Each subscribed service with what keeps it closed (empty when open).
    pub services: Vec<(Service, Subscription, Vec<Missing>)>,
    pub administrators: Vec<Account>,
    pub contacts: Vec<Contact>,
    /// Required directory functions with nobody named.
    pub missing_contacts: Vec<&'static str>,
    /// Every change of Annex 2, oldest first.
    pub annex2_changes: Vec<SubscriptionChange>,
}

/// Everything the service contract document is made from.
#[derive(Debug, Clone)]
pub struct ContractFile {
    pub file: PartnerFile,
    pub caisse: Organisation,
    pub caisse_contacts: Vec<Contact>,
    /// The roles of each service of `file.services`, in the same order.
    pub roles: Vec<Vec<ServiceRole>>,
}
