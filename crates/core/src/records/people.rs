//! Organisations, their people (accounts, roles, sessions, one-time links), directory
//! contacts and groups.

use serde::Serialize;
use time::OffsetDateTime;

use super::ids::{AccountId, ContactId, GroupId, LinkId, OrganisationId, SessionId};

/// What kind of organisation this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationKind {
    /// The national level above all caisses (Cnaf).
    National,
    /// A caisse, which owns the services and supervises its partners.
    Caisse,
    /// A partner organisation (town hall, social-action centre…).
    Partner,
}

impl OrganisationKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrganisationKind::National => "national",
            OrganisationKind::Caisse => "caisse",
            OrganisationKind::Partner => "partner",
        }
    }
    /// Parse the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "national" => Some(OrganisationKind::National),
            "caisse" => Some(OrganisationKind::Caisse),
            "partner" => Some(OrganisationKind::Partner),
            _ => None,
        }
    }
}

/// An organisation.
#[derive(Debug, Clone, Serialize)]
pub struct Organisation {
    pub id: OrganisationId,
    pub kind: OrganisationKind,
    pub name: String,
    /// The caisse of a partner, the national level of a caisse.
    pub parent_id: Option<OrganisationId>,
    pub siret: Option<String>,
    pub city: Option<String>,
    pub address: Option<String>,
}

/// A role a person holds in their organisation. Caisse roles and partner roles never mix:
/// the organisation's kind decides which ones are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Caisse habilitation administrator (Art. 2.2.1): onboards and supervises partners.
    CaisseAdmin,
    /// Caisse service-desk agent (Art. 3, 4).
    ServiceDesk,
    /// Caisse or Cnaf trace auditor (Art. 5.3.3): the only caisse staff who read traces.
    TraceAuditor,
    /// Caisse security officer (Art. 5.1).
    SecurityOfficer,
    /// The partner's principal administrator (issued by the caisse only).
    PartnerAdmin,
    /// The partner's deputy administrator (issued by the caisse only).
    PartnerDeputy,
    /// A partner manager acting under a mandate.
    DelegatedManager,
    /// A partner user, who uses the services their grants allow.
    User,
}

impl Role {
    /// Every role, in display order.
    pub const ALL: [Role; 8] = [
        Role::CaisseAdmin,
        Role::ServiceDesk,
        Role::TraceAuditor,
        Role::SecurityOfficer,
        Role::PartnerAdmin,
        Role::PartnerDeputy,
        Role::DelegatedManager,
        Role::User,
    ];
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::CaisseAdmin => "caisse_admin",
            Role::ServiceDesk => "service_desk",
            Role::TraceAuditor => "trace_auditor",
            Role::SecurityOfficer => "security_officer",
            Role::PartnerAdmin => "partner_admin",
            Role::PartnerDeputy => "partner_deputy",
            Role::DelegatedManager => "delegated_manager",
            Role::User => "user",
        }
    }
    /// Parse the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
    /// Whether the role belongs to caisse (or national) staff.
    pub fn is_caisse_staff(self) -> bool {
        matches!(
            self,
            Role::CaisseAdmin | Role::ServiceDesk | Role::TraceAuditor | Role::SecurityOfficer
        )
    }
    /// Whether the role manages other people's rights (a "gestionnaire").
    pub fn is_manager(self) -> bool {
        matches!(
            self,
            Role::CaisseAdmin | Role::PartnerAdmin | Role::PartnerDeputy | Role::DelegatedManager
        )
    }
}

/// Whether an account may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    Suspended,
    Deactivated,
}

impl AccountStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Suspended => "suspended",
            AccountStatus::Deactivated => "deactivated",
        }
    }
    /// Parse the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(AccountStatus::Active),
            "suspended" => Some(AccountStatus::Suspended),
            "deactivated" => Some(AccountStatus::Deactivated),
            _ => None,
        }
    }
}

/// A person's account.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: AccountId,
    pub organisation_id: OrganisationId,
    pub login: String,
    pub display_name: String,
    pub email: String,
    pub function: Option<String>,
    pub status: AccountStatus,
    /// PHC string of the Argon2id hash; `None` until the person sets a password.
    pub password_hash: Option<String>,
    pub must_change_password: bool,
    pub roles: Vec<Role>,
    pub last_login_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

impl Account {
    /// Whether this person manages rights or works for the caisse: such accounts get the
    /// stricter password rule.
    pub fn is_privileged(&self) -> bool {
        self.roles.iter().any(|r| r.is_manager() || r.is_caisse_staff())
    }
}

/// A server-side session row. The token itself is never stored, only its SHA-256.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: SessionId,
    pub account_id: AccountId,
    pub organisation_id: OrganisationId,
    pub token_hash: Vec<u8>,
    /// Synchronizer token for the forms of this session.
    pub csrf_token: String,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    /// The absolute end, fixed at sign-in.
    pub expires_at: OffsetDateTime,
    pub ended_at: Option<OffsetDateTime>,
    pub end_reason: Option<String>,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
    /// What the person still owes after their password, before the session opens the
    /// portal: their second factor's code, or enrolling one (R51).
    pub pending_step: Option<PendingStep>,
}

super::stored::stored_enum!(
    /// A step of the sign-in still to take after the password.
    PendingStep { SecondFactor => "second_factor", Enrolment => "enrolment" }
);

/// An account's second factor (R51): a TOTP secret once confirmed, the one being enrolled,
/// and the last step whose code was used (a code is accepted once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecondFactor {
    pub account_id: AccountId,
    pub secret: Option<Vec<u8>>,
    pub pending_secret: Option<Vec<u8>>,
    pub confirmed_at: Option<OffsetDateTime>,
    pub last_step: i64,
}

/// The purpose of a one-time link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// First password of a new account.
    SetPassword,
    /// Reset requested by a manager or the person.
    ResetPassword,
}

impl LinkPurpose {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::SetPassword => "set_password",
            LinkPurpose::ResetPassword => "reset_password",
        }
    }
}

/// A one-time set-password link, stored as the SHA-256 of its token.
#[derive(Debug, Clone)]
pub struct PasswordLink {
    pub id: LinkId,
    pub account_id: AccountId,
    pub token_hash: Vec<u8>,
    pub purpose: LinkPurpose,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub used_at: Option<OffsetDateTime>,
}

/// The failed-attempt counter of one login (known or not: unknown logins are counted the
/// same way so that throttling does not reveal which logins exist).
#[derive(Debug, Clone, Default)]
pub struct LoginThrottle {
    /// Attempts started in the current one-hour window.
    pub attempts_in_window: i64,
    pub window_started_at: Option<OffsetDateTime>,
    /// Failures since the last success.
    pub consecutive_failures: i64,
    /// No attempt is accepted before this instant.
    pub not_before: Option<OffsetDateTime>,
}

/// A named person in an organisation's directory (Annex 1).
#[derive(Debug, Clone)]
pub struct Contact {
    pub id: ContactId,
    pub organisation_id: OrganisationId,
    /// administrator, deputy, security_officer, data_protection_referent, service_desk,
    /// director.
    pub function: String,
    pub name: String,
    pub title: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A group of people of one organisation.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub id: GroupId,
    pub organisation_id: OrganisationId,
    pub name: String,
}
