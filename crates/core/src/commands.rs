//! Commands: what a person asks for, as typed by them, handed to a service. Each service
//! parses its command's fields at its door (every field named in the error that refuses
//! it) before it opens a transaction.

use crate::records::{AccountId, ContractId, ConventionId, GrantId, GroupId};

/// A partner as typed in the form.
#[derive(Debug, Clone, Default)]
pub struct PartnerInput {
    pub name: String,
    pub siret: String,
    pub address: String,
    pub city: String,
}

/// A subscription as typed in the form (dates as `YYYY-MM-DD`, empty when unknown).
#[derive(Debug, Clone, Default)]
pub struct SubscriptionInput {
    pub service_code: String,
    pub signed_on: String,
    pub formalities_reference: String,
    pub formalities_on: String,
    pub available_from: String,
    /// Empty: no limit.
    pub max_holders: String,
    /// (role code, maximum) pairs; an empty maximum removes the role's quota.
    pub role_quotas: Vec<(String, String)>,
    /// The date the amendment (avenant) changing a signed subscription was signed (Art. 6).
    pub amendment_signed_on: String,
}

/// An administrator as typed in the form (Annex 3's fields).
#[derive(Debug, Clone, Default)]
pub struct AdministratorInput {
    pub first_name: String,
    pub last_name: String,
    pub function: String,
    pub email: String,
    pub phone: String,
    /// Wanted login; empty: `firstname.lastname`, made unique.
    pub login: String,
}

/// A user as typed by a manager.
#[derive(Debug, Clone, Default)]
pub struct UserInput {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub function: String,
    pub login: String,
}

/// A mandate as asked for.
#[derive(Debug, Clone, Default)]
pub struct NewMandate {
    /// (service code, role code) pairs.
    pub scope: Vec<(String, String)>,
    pub may_manage_users: bool,
    pub may_manage_groups: bool,
    pub may_delegate: bool,
}

/// A contact as typed.
#[derive(Debug, Clone, Default)]
pub struct ContactInput {
    pub function: String,
    pub name: String,
    pub title: String,
    pub email: String,
    pub phone: String,
}

/// The form as typed.
#[derive(Debug, Clone, Default)]
pub struct ChangeRequestInput {
    pub first_name: String,
    pub last_name: String,
    pub function: String,
    pub slot: String,
    /// The account replaced, as its id; empty for none.
    pub replaces: String,
    pub phone: String,
    pub mobile: String,
    pub email: String,
}

/// Who a new grant is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// One person of the organisation.
    Person(AccountId),
    /// Every member of a group of the organisation.
    Group(GroupId),
}

/// A grant as asked for: a service and one of its roles by code, for a stated purpose,
/// optionally until an end date (`YYYY-MM-DD`; empty for none).
#[derive(Debug, Clone)]
pub struct NewGrant {
    pub holder: Holder,
    pub service_code: String,
    pub role_code: String,
    pub purpose: String,
    pub ends_on: String,
}

/// A query of the caisse about a grant, answered by its due date (`YYYY-MM-DD`); with
/// `auto_suspend`, the grant is suspended if it is still open after that date.
#[derive(Debug, Clone)]
pub struct NewQuery {
    pub grant: GrantId,
    pub question: String,
    pub due_on: String,
    pub auto_suspend: bool,
}

/// A signed convention d'accès, as typed: its number (`YYYY-` then the partner's SIRET),
/// signature date (`YYYY-MM-DD`) and signatories.
#[derive(Debug, Clone, Default)]
pub struct NewConvention {
    pub number: String,
    pub signed_on: String,
    pub signatories: String,
}

/// A signed contrat de service under one of the partner's conventions, in a management
/// mode (`delegated` or `caisse_managed`).
#[derive(Debug, Clone)]
pub struct NewContract {
    pub convention: ConventionId,
    pub mode: String,
    pub signed_on: String,
    pub signatories: String,
}

/// An amendment (avenant) to a contract: the mode in force from `effective_on`, never
/// before its signature, and why.
#[derive(Debug, Clone)]
pub struct NewAmendment {
    pub contract: ContractId,
    pub mode: String,
    pub signed_on: String,
    pub effective_on: String,
    pub reason: String,
}

/// A member of a caisse's (or the national level's) staff, as typed.
#[derive(Debug, Clone, Default)]
pub struct StaffInput {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub function: String,
    /// Wanted login (empty: generated).
    pub login: String,
    /// Role names (`caisse_admin`, `service_desk`, `trace_auditor`, `security_officer`).
    pub roles: Vec<String>,
}
