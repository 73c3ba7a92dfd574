//! Alerts on atypical use (R24): the rules a caisse configures, and what an alert records —
//! the person, the rule, the facts measured, the traces that show them, and what the caisse
//! did about it.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::ids::*;

super::stored::stored_enum!(
    /// What an alert is about.
    AlertRule {
        /// A sign-in outside the configured hours (or on a weekend).
        OffHours => "off_hours",
        /// More consultations in a day than the person's own history makes usual.
        Volume => "volume",
        /// A sign-in from a network the person has not used lately.
        NewNetwork => "new_network",
        /// Many failed sign-ins on one account within an hour.
        Failures => "failures",
        /// A sign-in after a long time without any.
        Dormant => "dormant"
    }
);

impl AlertRule {
    /// Every rule, in display order.
    pub const ALL: [AlertRule; 5] = [AlertRule::OffHours, AlertRule::Volume, AlertRule::NewNetwork, AlertRule::Failures, AlertRule::Dormant];

    /// The rule in French words, for the trail's detail.
    pub fn words(self) -> &'static str {
        match self {
            AlertRule::OffHours => "connexion hors des heures ouvrées",
            AlertRule::Volume => "volume de consultations inhabituel",
            AlertRule::NewNetwork => "connexion depuis un réseau nouveau",
            AlertRule::Failures => "échecs de connexion répétés",
            AlertRule::Dormant => "compte dormant réutilisé",
        }
    }
}

super::stored::stored_enum!(
    /// Where an alert stands.
    AlertStatus { Open => "open", Acknowledged => "acknowledged" }
);

/// The rules of one caisse, with their thresholds. Every rule can be switched off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertRules {
    pub off_hours: bool,
    /// The first hour (Paris time) of the working day, 0–23.
    pub office_start_hour: u8,
    /// The hour the working day ends (exclusive), 1–24.
    pub office_end_hour: u8,
    /// Whether Saturdays and Sundays are outside the working hours.
    pub weekends_off: bool,
    pub volume: bool,
    /// An alert when a day's consultations exceed this many times the person's usual day
    /// (the median of their active days over the history)...
    pub volume_factor: u32,
    /// ...and at least this many (the threshold for people without enough history).
    pub volume_floor: u32,
    /// Days of history the usual day is measured on.
    pub volume_history_days: u32,
    pub new_network: bool,
    /// A network (IPv4 /24, IPv6 /48) not seen for this many days counts as new.
    pub network_days: u32,
    pub failures: bool,
    /// Failed sign-ins on one account within an hour that raise an alert.
    pub failures_per_hour: u32,
    pub dormant: bool,
    /// Days without a sign-in after which a sign-in is an alert.
    pub dormant_days: u32,
}

impl Default for AlertRules {
    fn default() -> Self {
        AlertRules {
            off_hours: true,
            office_start_hour: 7,
            office_end_hour: 20,
            weekends_off: true,
            volume: true,
            volume_factor: 4,
            volume_floor: 200,
            volume_history_days: 30,
            new_network: true,
            network_days: 90,
            failures: true,
            failures_per_hour: 10,
            dormant: true,
            dormant_days: 90,
        }
    }
}

impl AlertRules {
    /// Whether `rule` is switched on.
    pub fn enabled(&self, rule: AlertRule) -> bool {
        match rule {
            AlertRule::OffHours => self.off_hours,
            AlertRule::Volume => self.volume,
            AlertRule::NewNetwork => self.new_network,
            AlertRule::Failures => self.failures,
            AlertRule::Dormant => self.dormant,
        }
    }
}

/// What was measured when an alert was raised (the fields its rule uses).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertFacts {
    /// Consultations that day, or failures within the hour.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// The person's usual day (median of active days).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usual: Option<u32>,
    /// The threshold that was crossed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<u32>,
    /// The network of the sign-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// The sign-in's local time (Paris), `YYYY-MM-DD HH:MM`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_time: Option<String>,
    /// Days since the previous sign-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_days: Option<i64>,
}

/// Something the caisse did from an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertAction {
    /// `query` (the partner was asked about a grant) or `suspend` (the grant was suspended
    /// as a precaution).
    pub kind: String,
    pub grant_id: GrantId,
    pub by: AccountId,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// One alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    pub id: AlertId,
    /// The caisse that sees it.
    pub caisse_id: OrganisationId,
    /// The person's organisation (a partner, or the caisse itself for its staff).
    pub organisation_id: OrganisationId,
    pub account_id: AccountId,
    pub rule: AlertRule,
    /// What makes it one alert and not many: the day, the hour or the day and network.
    pub period: String,
    #[serde(with = "time::serde::rfc3339")]
    pub raised_at: OffsetDateTime,
    pub facts: AlertFacts,
    /// The traces that show it (at most 50).
    pub evidence: Vec<Uuid>,
    pub status: AlertStatus,
    pub acknowledged_by: Option<AccountId>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub acknowledged_at: Option<OffsetDateTime>,
    pub comment: Option<String>,
    pub actions: Vec<AlertAction>,
}

/// Which alerts a list shows. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertFilter {
    pub status: Option<AlertStatus>,
    pub rule: Option<AlertRule>,
    pub organisation: Option<OrganisationId>,
    pub account: Option<AccountId>,
    /// Newest first, at most this many (1–500).
    pub limit: i64,
    /// Skip this many (pagination).
    pub offset: i64,
}
