//! The domain's error type. The web layer maps each variant to a status and a sentence.

use crate::records::{Missing, QuotaExceeded};
use crate::values::{PasswordProblem, ValueError};

/// A failure of the storage layer, described without any database type.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness or reference rule of the schema refused the change; the string names
    /// the constraint (or the column) so the caller can explain it.
    #[error("constraint violated: {0}")]
    Conflict(String),
    /// The database could not be reached or answered with an error.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A stored row could not be read back into a domain value (corrupt or foreign data).
    #[error("unreadable stored data: {0}")]
    Corrupt(String),
}

/// Why an installation command was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `init` runs only on a database without accounts.
    AlreadyInitialised,
    /// `--demo` runs only on an empty database or one holding the demo.
    NotDemoData,
    /// The request was already accepted or refused.
    AlreadyDecided,
    /// A right-of-access request goes through the requester's superior first.
    NotForwarded,
    /// A right-of-access request is answered only once its export exists (Art. 5.3.4).
    NotExported,
    /// The export of a right-of-access request is downloaded once the request is answered.
    NotAnswered,
}

/// A business rule that refused an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// A partner has at most one principal administrator and one deputy (R14).
    AdministratorSlotTaken,
    /// A service contract must be under a convention of the same partner.
    ConventionOfAnotherPartner,
    /// The service is not open for the partner; the list says what is missing (R2).
    ServiceClosed(Vec<Missing>),
    /// A role quota cannot exceed the service quota.
    RoleQuotaAboveServiceQuota,
    /// The role does not belong to the service.
    RoleOfAnotherService,
    /// Nobody grants themselves anything or changes their own grants (R13).
    SelfGrant,
    /// A mandate must stay within its giver's, and only a mandate that allows it may
    /// delegate (R12).
    MandateWiderThanGiver,
    /// The manager's mandate does not cover this role, or these users or groups.
    OutsideMandate,
    /// A group that holds grants cannot be deleted.
    GroupHoldsGrants,
    /// The caisse suspended this grant; only the caisse lifts it (R21).
    CaisseSuspension,
    /// The partner is in delegated mode: its own managers manage its people; the caisse
    /// supervises (reads, queries, suspends) but does not manage them (R23).
    DelegatedMode,
    /// A manager's e-mail (where their reset links go) is changed only by the principal
    /// administrator or by the caisse managing the partner.
    ManagerEmail,
    /// The holder already has this service and profile in a grant not ended (one grant
    /// per holder, service and profile: change that one instead).
    AlreadyGranted,
    /// A mandate must cover at least one profile or one power.
    EmptyMandate,
    /// The person already holds a mandate in force that overlaps this one: edit it.
    OverlappingMandate,
    /// The partner's administrator's and deputy's own rights are managed exclusively by
    /// the caisse (Art. 2.2.1, 2.2.2).
    AdministratorsRightsByCaisse,
    /// A caisse administrator does not give himself the trace-auditor role (Art. 5.3.3:
    /// reading traces is a right someone else grants).
    SelfAuditor,
    /// The caisse would be left without an active habilitation administrator.
    LastCaisseAdmin,
    /// A role that does not belong to this kind of organisation.
    RoleOfAnotherSide,
    /// Each side names one security officer, its single point of contact (Art. 5.1).
    SingleSecurityOfficer,
    /// A review is completed only once every grant and mandate has its decision (R30).
    ReviewIncomplete,
    /// The caisse already opened the campaign of this year (one per year, Art. 2.2.2).
    CampaignExists,
}

/// Everything a domain service can refuse or fail with.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// Storage failed; the detail goes to the log, never to the user.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A field of the request is not acceptable.
    #[error("invalid {field}: {problem}")]
    Invalid { field: &'static str, problem: ValueError },
    /// Several fields of the request are not acceptable: every one of them, so that a form
    /// says them all at once (two or more; one is `Invalid`).
    #[error("invalid fields: {0:?}")]
    InvalidFields(Vec<(&'static str, ValueError)>),
    /// The new password does not meet the policy.
    #[error("password refused: {0:?}")]
    PasswordRejected(PasswordProblem),
    /// Wrong login or password (the two are never told apart).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The second factor's code (or recovery code) is wrong, already used, or expired.
    #[error("invalid second factor code")]
    SecondFactorInvalid,
    /// Too many failed attempts for this login; retry after the given number of seconds.
    #[error("too many attempts, retry in {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    /// No valid session (absent, ended, or expired).
    #[error("not signed in")]
    NotAuthenticated,
    /// The account exists but may not sign in (suspended or deactivated).
    #[error("account disabled")]
    AccountDisabled,
    /// The actor is signed in but may not do this.
    #[error("forbidden")]
    Forbidden,
    /// No such record in the actor's reach (records of other organisations are "not found"
    /// too, so that nothing tells whether they exist).
    #[error("not found")]
    NotFound,
    /// A quota of the caisse refused the action (R10); the figures say which.
    #[error("quota exceeded: {0:?}")]
    Quota(QuotaExceeded),
    /// A business rule refused the action; the variant says which.
    #[error("rule: {0:?}")]
    Rule(Rule),
    /// The one-time link is unknown, used or expired.
    #[error("invalid or expired link")]
    LinkInvalid,
    /// The installation already holds data that this command must not touch.
    #[error("refused: {0:?}")]
    Refused(Refusal),
    /// A login (or another unique name) is already taken.
    #[error("already taken: {0}")]
    Taken(&'static str),
    /// Hashing or another internal computation failed.
    #[error("internal error: {0}")]
    Internal(String),
    /// A CSV file, or one of its lines, cannot be imported as written (issue 18, R15).
    #[error("import: {0:?}")]
    Import(ImportProblem),
    /// The record changed since the version the client named (SCIM `If-Match`).
    #[error("stale version")]
    Stale,
}

/// What is wrong with an imported file or line, before any rule is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportProblem {
    /// The file as a whole.
    File(crate::sheet::SheetProblem),
    /// A cell the line needs is empty (the column's French name).
    Missing(&'static str),
    /// No group of the organisation has this name.
    UnknownGroup(String),
    /// No person of the organisation has this login.
    UnknownPerson(String),
    /// The line describes a grant that is not in force (the exported state).
    NotActive(String),
    /// The person named by login has another address than the line's.
    OtherEmail(String),
}

impl Error {
    /// Shorthand for an invalid field.
    pub fn invalid(field: &'static str, problem: ValueError) -> Self {
        Error::Invalid { field, problem }
    }
}

/// The checks of a command's fields, all run before it is refused, so that every refused
/// field is named (issue 17: a form lists all its errors, not only the first).
#[derive(Debug, Default)]
pub struct FieldChecks(Vec<(&'static str, ValueError)>);

impl FieldChecks {
    /// The value, or `None` with the problem noted under `field`.
    pub fn check<T>(&mut self, field: &'static str, r: std::result::Result<T, ValueError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(p) => {
                self.0.push((field, p));
                None
            }
        }
    }

    /// The error naming every problem noted.
    pub fn error(self) -> Error {
        match self.0.as_slice() {
            [] => Error::Internal("a field check failed without a problem".into()),
            [(field, problem)] => Error::Invalid { field, problem: *problem },
            _ => Error::InvalidFields(self.0),
        }
    }
}

/// Result alias for domain services.
pub type Result<T, E = Error> = std::result::Result<T, E>;
