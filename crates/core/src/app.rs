//! The application: the store, the clock, the hasher and the policies every service
//! needs, with what all services share (the clock's today, tracing an action, the gate).
//! The services themselves are `impl App` blocks in `services/`, one file per feature.

use std::sync::Arc;

use serde::Deserialize;
use time::{Date, Duration, OffsetDateTime};

use crate::clock::Clock;
use crate::error::{Error, Result, Rule};
use crate::password::{PasswordHasher, PasswordPolicy};
use crate::policy::gate::gate;
use crate::records::{Account, Actor, OrganisationId, OrganisationKind, Role, ServiceId};
use crate::store::*;
use crate::trace::{ClientInfo, Outcome, TraceEntry};

/// Session limits (ARCHITECTURE.md: 30 minutes idle, 12 hours absolute by default).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct SessionPolicy {
    pub idle_minutes: i64,
    pub absolute_hours: i64,
    /// How long a one-time set-password link stays valid.
    pub link_validity_hours: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy { idle_minutes: 30, absolute_hours: 12, link_validity_hours: 72 }
    }
}

impl SessionPolicy {
    /// The idle limit.
    pub fn idle(&self) -> Duration {
        Duration::minutes(self.idle_minutes)
    }
    /// The absolute limit.
    pub fn absolute(&self) -> Duration {
        Duration::hours(self.absolute_hours)
    }
}

/// Throttling of failed sign-ins: a progressive delay after a few failures, and a hard cap
/// per login and per hour.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct ThrottlePolicy {
    /// Failures allowed in a row before delays start.
    pub free_failures: i64,
    /// Longest delay between two attempts, in seconds.
    pub max_delay_secs: i64,
    /// Attempts accepted per login in any one-hour window (at most 100).
    pub max_attempts_per_hour: i64,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy { free_failures: 5, max_delay_secs: 900, max_attempts_per_hour: 100 }
    }
}

impl ThrottlePolicy {
    /// The wait imposed after `failures` consecutive failures: none for the first few, then
    /// 1 s, 2 s, 4 s… up to the maximum.
    pub fn delay_after(&self, failures: i64) -> Duration {
        if failures <= self.free_failures {
            return Duration::ZERO;
        }
        let exp = (failures - self.free_failures - 1).min(20) as u32;
        Duration::seconds((1i64 << exp).min(self.max_delay_secs))
    }
}

/// Who must sign in with a second factor (R51, contract Art. 5.2): the roles listed enrol
/// one at their next sign-in and cannot use the portal before. Anyone may enrol one; once
/// enrolled, it is asked at every sign-in whatever the policy says.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct SecondFactorPolicy {
    pub required_roles: Vec<Role>,
    /// The name authenticator applications show beside the login.
    pub issuer: String,
}

impl Default for SecondFactorPolicy {
    /// Every manager, administrator and caisse staff member: all roles but the plain user.
    fn default() -> Self {
        SecondFactorPolicy { required_roles: Role::ALL.into_iter().filter(|r| *r != Role::User).collect(), issuer: "Habilis".into() }
    }
}

impl SecondFactorPolicy {
    /// Whether the policy requires a second factor of `account`.
    pub fn requires(&self, account: &Account) -> bool {
        account.roles.iter().any(|r| self.required_roles.contains(r))
    }
    /// A policy that asks no one (for tests and installations that opt out).
    pub fn none() -> Self {
        SecondFactorPolicy { required_roles: vec![], ..Default::default() }
    }
}

/// The domain services with what they need: the store, the clock, the hasher and the
/// policies. Cheap to clone.
#[derive(Clone)]
pub struct App<S: Store> {
    pub store: S,
    pub clock: Arc<dyn Clock>,
    pub hasher: PasswordHasher,
    pub passwords: PasswordPolicy,
    pub sessions: SessionPolicy,
    pub throttle: ThrottlePolicy,
    pub second_factor: SecondFactorPolicy,
    /// The in-memory view of rights the check API answers from (built on first use).
    pub view: Arc<crate::view::RightsView>,
    /// Group commit of the traces that stand alone (service uses refused…).
    pub traces: Arc<crate::batch::TraceBatcher>,
    /// The OpenID Connect provider's policy, keys and replay memory.
    pub oidc: Arc<crate::provider::Provider>,
    /// Signed-in people from memory, and their sessions' last activity (issue 14).
    pub presence: Arc<crate::presence::Presence>,
    /// The watch for atypical use (R24), fed as traces are written.
    pub watch: Arc<crate::watch::Watch>,
    /// The service desk's calendar, office hours and escalation delay (Art. 3, 4).
    pub desk: crate::calendar::DeskPolicy,
    /// The portal's Ed25519 key (the checkpoint key file), which signs the proofs of the
    /// yearly reviews; without it a review cannot be completed.
    pub signer: Option<Arc<crate::trace::CheckpointKey>>,
}

impl<S: Store> App<S> {
    /// The current instant.
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Today's date in Paris, the date contracts speak of.
    pub fn today(&self) -> Date {
        crate::clock::to_paris(self.now()).date()
    }

    /// Append a trace of `actor`'s action on `target` inside `tx`.
    pub(crate) async fn trace_action<T: Transaction>(
        &self,
        tx: &mut T,
        actor: &Actor,
        action: &str,
        target: String,
        detail: Option<String>,
        client: &ClientInfo,
    ) -> Result<()> {
        let mut e = TraceEntry::new(self.now(), action, Outcome::Success, client);
        e.stamp(actor);
        // An action taken for a partner of the actor's caisse goes to that partner's chain,
        // so that its administrators read what was done in their organisation, by whom.
        // A partner named by anyone else (a stray `?partner=`) changes nothing.
        if let Some(p) = actor.acting_for
            && actor.organisation.kind == OrganisationKind::Caisse
                && tx.organisation(p).await?.is_some_and(|o| o.kind == OrganisationKind::Partner && o.parent_id == Some(actor.organisation.id))
            {
                e.organisation_id = Some(p);
            }
        e.target = Some(target);
        e.detail = detail;
        tx.append_trace(&e).await?;
        Ok(())
    }

    /// Whether `service` is open for `partner` today; the error lists what is missing.
    /// Every path that grants a right calls this inside its own transaction.
    pub async fn ensure_open<T: Transaction>(&self, tx: &mut T, partner: OrganisationId, service: ServiceId) -> Result<()> {
        let conventions = tx.conventions(partner).await?;
        let contracts = tx.contracts(partner).await?;
        let sub = tx.subscription(partner, service).await?;
        let missing = gate(&conventions, &contracts, sub.as_ref(), self.today());
        if missing.is_empty() { Ok(()) } else { Err(Error::Rule(Rule::ServiceClosed(missing))) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_then_cap() {
        let p = ThrottlePolicy::default();
        assert_eq!(p.delay_after(5), Duration::ZERO);
        assert_eq!(p.delay_after(6), Duration::seconds(1));
        assert_eq!(p.delay_after(7), Duration::seconds(2));
        assert_eq!(p.delay_after(10), Duration::seconds(16));
        assert_eq!(p.delay_after(40), Duration::seconds(900));
    }
}
