//! Signing in and out, sessions, one-time links and the trace of every request (R51, R60).

use std::sync::Arc;

use serde::Deserialize;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::model::{Account, AccountId, AccountStatus, LinkPurpose, Organisation, PasswordLink, Session, SessionId};
use crate::password::{PasswordHasher, PasswordPolicy};
use crate::store::{Store, Transaction};
use crate::token;
use crate::trace::{ClientInfo, Outcome, TraceEntry};
use crate::values::Login;

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

/// The signed-in person behind a request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub account: Account,
    pub organisation: Organisation,
    pub session: Session,
    /// The partner a caisse administrator is managing in its stead (R23, caisse-managed
    /// mode). Management rules check it on every action; `None` for everyone else.
    pub acting_for: Option<crate::model::OrganisationId>,
}

impl Actor {
    /// Fill the "who" part of a trace entry, in the actor's own organisation's chain.
    /// (Actions taken for a partner go to the partner's chain through
    /// `App::trace_action`, which checks that the partner is really in reach.)
    pub fn stamp(&self, e: &mut TraceEntry) {
        e.actor_id = Some(self.account.id);
        e.actor_login = Some(self.account.login.clone());
        e.organisation_id = Some(self.organisation.id);
        e.session_id = Some(self.session.id);
    }

    /// The same person, managing the partner `partner` (caisse-managed mode). Whether
    /// they may is decided by each action, not here.
    pub fn acting_for(mut self, partner: crate::model::OrganisationId) -> Actor {
        self.acting_for = Some(partner);
        self
    }

    /// The organisation whose people this actor manages: the partner acted for, or their own.
    pub fn managed_organisation(&self) -> crate::model::OrganisationId {
        self.acting_for.unwrap_or(self.organisation.id)
    }
}

/// What a successful sign-in returns: the person and the session token to hand over (the
/// only time the token exists outside the client).
#[derive(Debug)]
pub struct SignedIn {
    pub actor: Actor,
    pub token: String,
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
}

impl<S: Store> App<S> {
    /// The current instant.
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Sign in with a login and a password. Unknown logins and wrong passwords get the
    /// same answer after the same work; every attempt is traced.
    pub async fn login(&self, raw_login: &str, password: &str, client: &ClientInfo) -> Result<SignedIn> {
        let now = self.now();
        // Throttle on the folded text, valid login or not, so nothing tells them apart.
        let key: String = raw_login.trim().to_lowercase().chars().take(128).collect();
        let parsed = Login::parse(raw_login).ok();

        // 1. Count the attempt, or refuse it, before any password work.
        let mut tx = self.store.begin().await?;
        let mut t = tx.lock_throttle(&key).await?;
        let window = Duration::hours(1);
        if t.window_started_at.is_none_or(|s| now - s >= window) {
            t.window_started_at = Some(now);
            t.attempts_in_window = 0;
        }
        let wait = match (t.not_before, t.window_started_at) {
            (Some(nb), _) if nb > now => Some(nb - now),
            (_, Some(ws)) if t.attempts_in_window >= self.throttle.max_attempts_per_hour => Some(ws + window - now),
            _ => None,
        };
        let account = match &parsed {
            Some(l) => tx.account_by_login(l.as_str()).await?,
            None => None,
        };
        if let Some(wait) = wait {
            let mut e = TraceEntry::new(now, "session.login", Outcome::Refused, client);
            stamp_account(&mut e, account.as_ref());
            e.detail = Some("throttled".into());
            tx.append_trace(&e).await?;
            tx.commit().await?;
            let secs = wait.whole_seconds().max(1) as u64;
            return Err(Error::Throttled { retry_after_secs: secs });
        }
        t.attempts_in_window += 1;
        tx.save_throttle(&key, &t).await?;
        tx.commit().await?;

        // 2. The expensive part, outside any transaction.
        let hash = account.as_ref().and_then(|a| a.password_hash.as_deref());
        let matches = self.hasher.verify(password, hash).await?;

        // 3. Record the outcome.
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let mut t = tx.lock_throttle(&key).await?;
        let account = match (matches, account) {
            (true, Some(a)) => a,
            (_, account) => {
                t.consecutive_failures += 1;
                let delay = self.throttle.delay_after(t.consecutive_failures);
                t.not_before = if delay > Duration::ZERO { Some(now + delay) } else { None };
                tx.save_throttle(&key, &t).await?;
                let mut e = TraceEntry::new(now, "session.login", Outcome::Failure, client);
                stamp_account(&mut e, account.as_ref());
                e.detail = Some(if account.is_some() { "wrong password" } else { "unknown login" }.into());
                tx.append_trace(&e).await?;
                tx.commit().await?;
                return Err(Error::InvalidCredentials);
            }
        };
        // A success is not a failure: give its attempt back, so the hourly cap only ever
        // counts failures (and attempts still in flight).
        t.attempts_in_window = (t.attempts_in_window - 1).max(0);
        t.consecutive_failures = 0;
        t.not_before = None;
        tx.save_throttle(&key, &t).await?;
        if account.status != AccountStatus::Active {
            let mut e = TraceEntry::new(now, "session.login", Outcome::Refused, client);
            stamp_account(&mut e, Some(&account));
            e.detail = Some(format!("account {}", account.status.as_str()));
            tx.append_trace(&e).await?;
            tx.commit().await?;
            return Err(Error::AccountDisabled);
        }
        let organisation = tx
            .organisation(account.organisation_id)
            .await?
            .ok_or_else(|| Error::Internal("account without organisation".into()))?;
        let token = token::new_token();
        let session = Session {
            id: SessionId::new(),
            account_id: account.id,
            organisation_id: organisation.id,
            token_hash: token::digest(&token),
            csrf_token: token::new_token(),
            created_at: now,
            last_seen_at: now,
            expires_at: now + self.sessions.absolute(),
            ended_at: None,
            end_reason: None,
            client_addr: client.addr.clone(),
            user_agent: client.user_agent.clone(),
        };
        tx.insert_session(&session).await?;
        tx.record_login(account.id, now).await?;
        let actor = Actor { account, organisation, session, acting_for: None };
        let mut e = TraceEntry::new(now, "session.login", Outcome::Success, client);
        actor.stamp(&mut e);
        tx.append_trace(&e).await?;
        tx.commit().await?;
        Ok(SignedIn { actor, token })
    }

    /// The person behind a session token, if the session is open and within its limits.
    /// A session found past its limits is ended (and its expiry traced) on the spot.
    pub async fn authenticate(&self, session_token: &str, client: &ClientInfo) -> Result<Actor> {
        let now = self.now();
        let mut tx = self.store.read().await?;
        let Some(session) = tx.session_by_token_hash(&token::digest(session_token)).await? else {
            return Err(Error::NotAuthenticated);
        };
        if session.ended_at.is_some() {
            return Err(Error::NotAuthenticated);
        }
        let account = tx.account(session.account_id).await?;
        let organisation = tx.organisation(session.organisation_id).await?;
        drop(tx);
        let overdue = if now >= session.expires_at {
            Some("absolute_timeout")
        } else if now - session.last_seen_at >= self.sessions.idle() {
            Some("idle_timeout")
        } else {
            None
        };
        let (Some(account), Some(organisation)) = (account, organisation) else {
            return Err(Error::NotAuthenticated);
        };
        let end_reason = overdue.or(if account.status != AccountStatus::Active { Some("account_disabled") } else { None });
        let actor = Actor { account, organisation, session, acting_for: None };
        if let Some(reason) = end_reason {
            self.end_session(&actor, reason, client).await?;
            return Err(Error::NotAuthenticated);
        }
        Ok(actor)
    }

    async fn end_session(&self, actor: &Actor, reason: &str, client: &ClientInfo) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if tx.end_session(actor.session.id, now, reason).await? {
            let action = if reason == "logout" { "session.logout" } else { "session.expire" };
            let mut e = TraceEntry::new(now, action, Outcome::Success, client);
            actor.stamp(&mut e);
            e.detail = Some(reason.to_string());
            tx.append_trace(&e).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Sign out: the session ends on the server.
    pub async fn logout(&self, actor: &Actor, client: &ClientInfo) -> Result<()> {
        self.end_session(actor, "logout", client).await
    }

    /// Trace one request of a signed-in person and note the activity on their session, in
    /// one transaction.
    pub async fn record_request(
        &self,
        actor: &Actor,
        action: &str,
        target: &str,
        outcome: Outcome,
        client: &ClientInfo,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.touch_session(actor.session.id, now).await?;
        let mut e = TraceEntry::new(now, action, outcome, client);
        actor.stamp(&mut e);
        e.target = Some(target.chars().take(512).collect());
        tx.append_trace(&e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Trace an event that has no signed-in person (a refused form, an unknown link…).
    pub async fn record_anonymous(&self, action: &str, target: &str, outcome: Outcome, client: &ClientInfo) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let mut e = TraceEntry::new(self.now(), action, outcome, client);
        e.target = Some(target.chars().take(512).collect());
        tx.append_trace(&e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// End the sessions that passed their idle or absolute limit without coming back, and
    /// trace each expiry. Returns how many were ended. Run periodically by the server.
    pub async fn expire_sessions(&self) -> Result<usize> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let overdue = tx.overdue_sessions(now, self.sessions.idle(), 500).await?;
        let mut n = 0;
        for s in overdue {
            let reason = if now >= s.expires_at { "absolute_timeout" } else { "idle_timeout" };
            if tx.end_session(s.id, now, reason).await? {
                let account = tx.account(s.account_id).await?;
                let mut e = TraceEntry::new(
                    now,
                    "session.expire",
                    Outcome::Success,
                    &ClientInfo { addr: s.client_addr.clone(), user_agent: s.user_agent.clone() },
                );
                stamp_account(&mut e, account.as_ref());
                e.session_id = Some(s.id);
                e.detail = Some(reason.into());
                tx.append_trace(&e).await?;
                n += 1;
            }
        }
        tx.commit().await?;
        Ok(n)
    }

    /// Create a one-time link for an account inside the caller's transaction; returns the
    /// token to put in the link (it is stored only as a digest).
    pub async fn issue_link<T: Transaction>(
        &self,
        tx: &mut T,
        account: AccountId,
        purpose: LinkPurpose,
    ) -> Result<String> {
        let now = self.now();
        let token = token::new_token();
        let link = PasswordLink {
            id: Uuid::now_v7(),
            account_id: account,
            token_hash: token::digest(&token),
            purpose,
            created_at: now,
            expires_at: now + Duration::hours(self.sessions.link_validity_hours),
            used_at: None,
        };
        tx.insert_password_link(&link).await?;
        Ok(token)
    }

    /// Whose one-time link this is, if it is still usable (for showing the form).
    pub async fn check_link(&self, link_token: &str) -> Result<Account> {
        let now = self.now();
        let mut tx = self.store.read().await?;
        let link = tx.password_link_by_token_hash(&token::digest(link_token)).await?.ok_or(Error::LinkInvalid)?;
        if link.used_at.is_some() || now >= link.expires_at {
            return Err(Error::LinkInvalid);
        }
        tx.account(link.account_id).await?.ok_or(Error::LinkInvalid)
    }

    /// Set a password through a one-time link. The link is used once; other sessions of
    /// the account end.
    pub async fn set_password_with_link(&self, link_token: &str, new_password: &str, client: &ClientInfo) -> Result<Account> {
        let account = match self.check_link(link_token).await {
            Ok(a) => a,
            Err(e) => {
                self.record_anonymous("password.set", "link", Outcome::Refused, client).await?;
                return Err(e);
            }
        };
        self.passwords
            .check(new_password, account.is_privileged(), &[&account.login, &account.display_name])
            .map_err(Error::PasswordRejected)?;
        let hash = self.hasher.hash(new_password).await?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let link = tx.password_link_by_token_hash(&token::digest(link_token)).await?.ok_or(Error::LinkInvalid)?;
        if now >= link.expires_at || !tx.use_password_link(link.id, now).await? {
            return Err(Error::LinkInvalid);
        }
        tx.set_password(account.id, &hash, false, now).await?;
        tx.end_sessions_of_account(account.id, None, now, "password_changed").await?;
        let mut e = TraceEntry::new(now, "password.set", Outcome::Success, client);
        stamp_account(&mut e, Some(&account));
        e.target = Some(account.login.clone());
        tx.append_trace(&e).await?;
        tx.commit().await?;
        Ok(account)
    }
}

impl<S: Store> App<S> {
    /// A signed-in person changes their own password: the current one is checked (failures
    /// count towards the sign-in throttle), the new one must meet the policy, and every
    /// other session of the account ends.
    pub async fn change_password(&self, actor: &Actor, current: &str, new_password: &str, client: &ClientInfo) -> Result<()> {
        let key = actor.account.login.clone();
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let t = tx.lock_throttle(&key).await?;
        drop(tx);
        if let Some(nb) = t.not_before.filter(|nb| *nb > now) {
            return Err(Error::Throttled { retry_after_secs: (nb - now).whole_seconds().max(1) as u64 });
        }
        let account = {
            let mut tx = self.store.read().await?;
            tx.account(actor.account.id).await?.ok_or(Error::NotAuthenticated)?
        };
        if !self.hasher.verify(current, account.password_hash.as_deref()).await? {
            let now = self.now();
            let mut tx = self.store.begin().await?;
            let mut t = tx.lock_throttle(&key).await?;
            t.consecutive_failures += 1;
            let delay = self.throttle.delay_after(t.consecutive_failures);
            t.not_before = if delay > Duration::ZERO { Some(now + delay) } else { None };
            tx.save_throttle(&key, &t).await?;
            let mut e = TraceEntry::new(now, "password.change", Outcome::Failure, client);
            actor.stamp(&mut e);
            e.detail = Some("wrong current password".into());
            tx.append_trace(&e).await?;
            tx.commit().await?;
            return Err(Error::InvalidCredentials);
        }
        self.passwords
            .check(new_password, account.is_privileged(), &[&account.login, &account.display_name])
            .map_err(Error::PasswordRejected)?;
        let hash = self.hasher.hash(new_password).await?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.set_password(account.id, &hash, false, now).await?;
        let ended = tx.end_sessions_of_account(account.id, Some(actor.session.id), now, "password_changed").await?;
        let mut e = TraceEntry::new(now, "password.change", Outcome::Success, client);
        actor.stamp(&mut e);
        e.detail = Some(format!("{ended} other session(s) ended"));
        tx.append_trace(&e).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn stamp_account(e: &mut TraceEntry, account: Option<&Account>) {
    if let Some(a) = account {
        e.actor_id = Some(a.id);
        e.actor_login = Some(a.login.clone());
        e.organisation_id = Some(a.organisation_id);
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
