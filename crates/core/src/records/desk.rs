//! The caisse's service desk (contract Art. 3, 4; R40–R42): incidents the partners' managers
//! open, their timeline of messages and steps, the escalation in business days, and the
//! planned outages the desk announces.

use serde::Serialize;
use time::{Date, OffsetDateTime};

use super::ids::*;

super::stored::stored_enum!(
    /// Where an incident stands.
    IncidentStatus {
        /// Opened, not yet qualified by the desk.
        Open => "open",
        /// Qualified and routed to a team.
        InProgress => "in_progress",
        /// Closed by the desk.
        Closed => "closed"
    }
);

super::stored::stored_enum!(
    /// A side of an incident: the partner who opened it, or the caisse's desk.
    Side { Partner => "partner", Desk => "desk" }
);

impl Side {
    /// The other side.
    pub fn other(self) -> Side {
        match self {
            Side::Partner => Side::Desk,
            Side::Desk => Side::Partner,
        }
    }
}

super::stored::stored_enum!(
    /// One step of an incident's timeline.
    StepKind {
        Opened => "opened",
        Message => "message",
        Qualified => "qualified",
        National => "national",
        Urgent => "urgent",
        Escalated => "escalated",
        Closed => "closed"
    }
);

/// An incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Incident {
    pub id: IncidentId,
    /// `INC-` and eight characters of the id: what people quote on the phone.
    pub reference: String,
    pub caisse_id: OrganisationId,
    pub partner_id: OrganisationId,
    pub service_id: ServiceId,
    pub opened_by: AccountId,
    pub subject: String,
    pub description: String,
    pub urgent: bool,
    pub status: IncidentStatus,
    /// The team the desk routed it to.
    pub team: Option<String>,
    /// Escalated by the desk to the national level.
    pub national: bool,
    /// Who must answer now (none once closed), since when, and by which date (10 business
    /// days later, Art. 3.3).
    pub awaiting: Option<Side>,
    #[serde(with = "time::serde::rfc3339")]
    pub awaiting_since: OffsetDateTime,
    pub due_on: Option<Date>,
    /// How many times it escalated (each time to the next contact of the silent side).
    pub escalation_level: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
}

impl Incident {
    /// The reference of an incident with this id.
    pub fn reference_of(id: IncidentId) -> String {
        let hex = id.0.simple().to_string();
        format!("INC-{}", hex.get(24..).unwrap_or(&hex)).to_uppercase()
    }
}

/// One step of the timeline: a message or a change, by whom, on which side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentStep {
    pub incident_id: IncidentId,
    pub seq: i64,
    pub kind: StepKind,
    /// Who took it (none for the escalation the portal does by itself).
    pub author_id: Option<AccountId>,
    pub side: Option<Side>,
    pub body: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A planned outage of a service, announced by the desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outage {
    pub id: OutageId,
    pub caisse_id: OrganisationId,
    pub service_id: ServiceId,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    pub reason: String,
    pub announced_by: AccountId,
    #[serde(with = "time::serde::rfc3339")]
    pub announced_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub cancelled_at: Option<OffsetDateTime>,
}

impl Outage {
    /// Whether the service is down at `at` because of this outage.
    pub fn covers(&self, at: OffsetDateTime) -> bool {
        self.cancelled_at.is_none() && self.starts_at <= at && at < self.ends_at
    }
}
