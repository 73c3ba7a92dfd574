//! Requests that wait for an answer: the caisse's queries on grants, a person's right of
//! access to their traces, a partner's administrator change requests (Annex 3).

use serde::Serialize;
use time::{Date, OffsetDateTime};

use super::ids::{AccessRequestId, AccountId, ChangeRequestId, GrantId, OrganisationId, QueryId};
use super::people::Role;

use super::stored::stored_enum;

stored_enum!(
    /// Where a query stands.
    QueryStatus { Open => "open", Answered => "answered", Closed => "closed" }
);

stored_enum!(
    /// Where a right-of-access request stands: with the superior, with the administrators,
    /// answered.
    AccessStatus { Submitted => "submitted", Forwarded => "forwarded", Answered => "answered" }
);

stored_enum!(
    /// Which of the two administrator seats (Annex 3).
    Slot { Principal => "principal", Deputy => "deputy" }
);

impl Slot {
    /// The role held in this seat.
    pub fn role(self) -> Role {
        match self {
            Slot::Principal => Role::PartnerAdmin,
            Slot::Deputy => Role::PartnerDeputy,
        }
    }
}

/// A query on a grant.
#[derive(Debug, Clone, Serialize)]
pub struct Query {
    pub id: QueryId,
    pub grant_id: GrantId,
    pub partner_id: OrganisationId,
    pub question: String,
    pub due_on: Date,
    pub auto_suspend: bool,
    pub status: QueryStatus,
    pub answer: Option<String>,
    pub answered_by: Option<AccountId>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub answered_at: Option<OffsetDateTime>,
    pub created_by: AccountId,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub auto_suspended_at: Option<OffsetDateTime>,
}

impl Query {
    /// Open and past its due date.
    pub fn overdue(&self, today: Date) -> bool {
        self.status == QueryStatus::Open && today > self.due_on
    }
}

/// A request for one's own traces.
#[derive(Debug, Clone, Serialize)]
pub struct AccessRequest {
    pub id: AccessRequestId,
    pub organisation_id: OrganisationId,
    pub requester_id: AccountId,
    pub superior_id: AccountId,
    pub reason: Option<String>,
    pub status: AccessStatus,
    pub due_on: Date,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub forwarded_at: Option<OffsetDateTime>,
    pub answered_by: Option<AccountId>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub answered_at: Option<OffsetDateTime>,
    /// When an administrator exported the requester's traces, and who: the requester
    /// downloads that export (traces up to this instant) once the request is answered.
    #[serde(with = "time::serde::rfc3339::option")]
    pub exported_at: Option<OffsetDateTime>,
    pub exported_by: Option<AccountId>,
}

impl AccessRequest {
    /// Not answered and past its legal due date.
    pub fn late(&self, today: Date) -> bool {
        self.status != AccessStatus::Answered && today > self.due_on
    }
}

/// One month after `d` (the day clamped to the month's length).
pub fn one_month_after(d: Date) -> Date {
    let (y, m) = if d.month() == time::Month::December { (d.year() + 1, time::Month::January) } else { (d.year(), d.month().next()) };
    Date::from_calendar_date(y, m, d.day().min(m.length(y))).unwrap_or(d)
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Pending,
    Accepted,
    Refused,
}

impl RequestStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Accepted => "accepted",
            RequestStatus::Refused => "refused",
        }
    }
    /// Parse the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(RequestStatus::Pending),
            "accepted" => Some(RequestStatus::Accepted),
            "refused" => Some(RequestStatus::Refused),
            _ => None,
        }
    }
}

/// An administrator change request, with the form's fields.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeRequest {
    pub id: ChangeRequestId,
    pub partner_id: OrganisationId,
    pub requested_by: AccountId,
    pub first_name: String,
    pub last_name: String,
    pub function: String,
    pub slot: Slot,
    pub replaces: Option<AccountId>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub email: String,
    pub status: RequestStatus,
    pub decided_by: Option<AccountId>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
    pub decision_reason: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}
