//! Signing in and out, sessions, one-time links and the trace of every request (R51, R60).


use time::Duration;

use crate::app::App;
use crate::error::{Error, Result};
use crate::records::*;
use crate::store::*;
use crate::token;
use crate::trace::*;
use crate::values::*;


impl<S: Store> App<S> {

    /// Sign in with a login and a password. Unknown logins and wrong passwords get the
    /// same answer after the same work; every attempt is traced.
    pub async fn login(&self, raw_login: &str, password: &str, client: &ClientInfo) -> Result<SignedIn> {
        let now = self.now();
        // Throttle on the folded text, valid login or not, so nothing tells them apart.
        let key: String = raw_login.trim().to_lowercase().chars().take(128).collect();
        let parsed = Login::parse(raw_login).ok();

        // 1. Count the attempt, or refuse it, before any password work. The throttle and
        // the account are read in one statement and the reservation saved in another, each
        // on its own (a compare-and-set, see `reserve`).
        let (account, wait) = self.reserve(&key, parsed.as_ref().map(|l| l.as_str()), now).await?;
        if let Some(wait) = wait {
            let mut tx = self.store.begin().await?;
            // A trace: nobody signed in needs to be read again.
            tx.quiet();
            let mut e = TraceEntry::new(now, "session.login", Outcome::Refused, client);
            stamp_account(&mut e, account.as_ref());
            e.detail = Some("trop de tentatives : connexion retardée".into());
            tx.append_trace(&e).await?;
            tx.commit().await?;
            let secs = wait.whole_seconds().max(1) as u64;
            return Err(Error::Throttled { retry_after_secs: secs });
        }

        // 2. The expensive part, outside any transaction.
        let hash = account.as_ref().and_then(|a| a.password_hash.as_deref());
        let matches = self.hasher.verify(password, hash).await?;

        // 3. Record the outcome. The watch for atypical use is seeded from the trail first
        // (normally done at start), so that it does not count this attempt twice.
        if let Err(e) = self.watch_ready().await {
            tracing::warn!(error = %e, "seeding the watch for atypical use failed");
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        // Throttle, a new session (its token is in no cache), the last sign-in date and
        // a trace: nobody already signed in needs to be read again.
        tx.quiet();
        let account = match (matches, account) {
            (true, Some(a)) => a,
            (_, account) => {
                let mut t = tx.lock_throttle(&key).await?;
                // Counted when reserved; the delay runs from the failure itself.
                let delay = self.throttle.delay_after(t.consecutive_failures);
                t.not_before = if delay > Duration::ZERO { Some(now + delay) } else { None };
                tx.save_throttle(&key, &t).await?;
                let mut e = TraceEntry::new(now, "session.login", Outcome::Failure, client);
                stamp_account(&mut e, account.as_ref());
                e.detail = Some(if account.is_some() { "mot de passe erroné" } else { "identifiant inconnu" }.into());
                tx.append_trace(&e).await?;
                tx.commit().await?;
                if let Some(a) = &account {
                    self.watch_sign_in(a, None, now, e.id, crate::watch::Seen::Failure).await;
                }
                return Err(Error::InvalidCredentials);
            }
        };
        // A success is not a failure: give its attempt back, so the hourly cap only ever
        // counts failures (and attempts still in flight).
        // With the organisation and whether a second factor is enrolled: one statement.
        let read = tx.give_back_attempt_reading(&key, account.organisation_id, account.id).await?;
        if account.status != AccountStatus::Active {
            let mut e = TraceEntry::new(now, "session.login", Outcome::Refused, client);
            stamp_account(&mut e, Some(&account));
            e.detail = Some(format!("compte {}", match account.status { AccountStatus::Suspended => "suspendu", AccountStatus::Deactivated => "désactivé", AccountStatus::Active => "actif" }));
            tx.append_trace(&e).await?;
            tx.commit().await?;
            return Err(Error::AccountDisabled);
        }
        let (organisation, enrolled) = read.ok_or_else(|| Error::Internal("account without organisation".into()))?;
        let pending_step = self.pending_step(enrolled, &account);
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
            pending_step,
        };
        tx.insert_signed_in_session(&session).await?;
        let previous = account.last_login_at.or(Some(account.created_at));
        let actor = Actor { account, organisation, session, acting_for: None };
        let mut e = TraceEntry::new(now, "session.login", Outcome::Success, client);
        e.stamp(&actor);
        e.detail = actor.session.pending_step.map(|p| format!("mot de passe vérifié ; étape restante : {}", p.as_str()));
        tx.append_trace(&e).await?;
        tx.commit().await?;
        let network = client.addr.as_deref().and_then(crate::watch::network_of);
        self.watch_sign_in(&actor.account, Some(&actor.organisation), now, e.id, crate::watch::Seen::SignIn { network, previous }).await;
        Ok(SignedIn { actor, token })
    }

    /// The person behind a session token, if the session is open and within its limits.
    /// A session found past its limits is ended (and its expiry traced) on the spot.
    pub async fn authenticate(&self, session_token: &str, client: &ClientInfo) -> Result<Actor> {
        let now = self.now();
        let digest = token::digest(session_token);
        // Other instances' sign-outs and suspensions reach this one's cache through it.
        self.store.listen_to_other_instances().await?;
        // Read before the database: a change committed meanwhile makes the entry stale.
        let epoch = self.store.identity_epoch();
        if let Some(actor) = self.presence.get(&digest, epoch)
            && self.overdue(&actor.session, now).is_none()
        {
            return Ok(actor);
        }
        // Boxed: the reads and a possible sign-out are a large future, which every request's
        // middleware would otherwise carry (and copy) even when the cache answers.
        Box::pin(self.authenticate_from_store(digest, epoch, now, client)).await
    }

    /// `authenticate` when the cache does not answer: the session, account and organisation
    /// read from the database; a session past its limits, or of an account no longer
    /// active, is ended.
    async fn authenticate_from_store(&self, digest: Vec<u8>, epoch: u64, now: time::OffsetDateTime, client: &ClientInfo) -> Result<Actor> {
        // One statement: the session, its account with roles, its organisation.
        let Some((session, account, organisation)) = self.store.signed_in(&digest).await? else {
            return Err(Error::NotAuthenticated);
        };
        if session.ended_at.is_some() {
            self.presence.forget(&digest);
            return Err(Error::NotAuthenticated);
        }
        let mut actor = Actor { account, organisation, session, acting_for: None };
        self.presence.later_touch(&mut actor);
        let overdue = self.overdue(&actor.session, now);
        let end_reason = overdue.or(if actor.account.status != AccountStatus::Active { Some("account_disabled") } else { None });
        if let Some(reason) = end_reason {
            self.presence.forget(&digest);
            self.end_session(&actor, reason, client).await?;
            return Err(Error::NotAuthenticated);
        }
        self.presence.put(digest, &actor, epoch);
        Ok(actor)
    }

    /// Why a session is past its limits at `now`, if it is.
    fn overdue(&self, session: &Session, now: time::OffsetDateTime) -> Option<&'static str> {
        if now >= session.expires_at {
            Some("absolute_timeout")
        } else if now - session.last_seen_at >= self.sessions.idle() {
            Some("idle_timeout")
        } else {
            None
        }
    }

    async fn end_session(&self, actor: &Actor, reason: &str, client: &ClientInfo) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        // The services' refresh tokens live no longer than the portal session.
        tx.revoke_refresh_of_session(actor.session.id, now).await?;
        if tx.end_session(actor.session.id, now, reason).await? {
            let action = if reason == "logout" { "session.logout" } else { "session.expire" };
            let mut e = TraceEntry::new(now, action, Outcome::Success, client);
            e.stamp(actor);
            e.detail = Some(crate::labels::session_end_words(reason));
            tx.append_trace(&e).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Sign out: the session ends on the server.
    pub async fn logout(&self, actor: &Actor, client: &ClientInfo) -> Result<()> {
        self.end_session(actor, "logout", client).await
    }

    /// Trace one request of a signed-in person (group-committed with the other reads:
    /// `TraceBatcher`) and note the activity on their session (in memory, written in
    /// batches: `Presence`).
    pub async fn record_request(
        &self,
        actor: &Actor,
        action: &str,
        target: &str,
        outcome: Outcome,
        client: &ClientInfo,
    ) -> Result<()> {
        self.record_request_noted(actor, action, target, outcome, None, client).await
    }

    /// [`App::record_request`], with what a refused or failed request ran into (`detail`).
    pub async fn record_request_noted(
        &self,
        actor: &Actor,
        action: &str,
        target: &str,
        outcome: Outcome,
        detail: Option<String>,
        client: &ClientInfo,
    ) -> Result<()> {
        let now = self.now();
        // The activity is noted in memory and written within a second; the trace goes
        // with the others being appended now, and is durable before this returns.
        self.presence.touch(&self.store, actor.session.id, now);
        let mut e = TraceEntry::new(now, action, outcome, client);
        e.stamp(actor);
        e.target = Some(target.chars().take(512).collect());
        e.detail = detail.map(|d| d.chars().take(1000).collect());
        let id = e.id;
        self.traces.append(&self.store, e).await?;
        // A consultation, once traced, is counted by the watch for atypical use.
        if action == "http.get" && outcome == Outcome::Success {
            self.watch_consultation(actor, now, id).await;
        }
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
                e.detail = Some(crate::labels::session_end_words(reason));
                tx.append_trace(&e).await?;
                n += 1;
            }
        }
        tx.commit().await?;
        Ok(n)
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
        // As at sign-in: the attempt counts as a failure until the password is checked.
        self.reserve_attempt(&key).await?;
        let account = {
            let mut tx = self.store.read().await?;
            tx.account(actor.account.id).await?.ok_or(Error::NotAuthenticated)?
        };
        if !self.hasher.verify(current, account.password_hash.as_deref()).await? {
            let now = self.now();
            let mut tx = self.store.begin().await?;
            let mut t = tx.lock_throttle(&key).await?;
            let delay = self.throttle.delay_after(t.consecutive_failures);
            t.not_before = if delay > Duration::ZERO { Some(now + delay) } else { None };
            tx.save_throttle(&key, &t).await?;
            let mut e = TraceEntry::new(now, "password.change", Outcome::Failure, client);
            e.stamp(actor);
            e.detail = Some("mot de passe actuel erroné".into());
            tx.append_trace(&e).await?;
            tx.commit().await?;
            return Err(Error::InvalidCredentials);
        }
        // The right current password gives the reserved attempt back.
        let mut tx = self.store.begin().await?;
        // The throttle only: nobody signed in needs to be read again; harmless to lose.
        tx.quiet();
        tx.unsynced();
        tx.give_back_attempt(&key).await?;
        tx.commit().await?;
        // A forced change exists to replace a password the caisse no longer trusts.
        if token::same_secret(current, new_password) {
            return Err(Error::PasswordRejected(PasswordProblem::SameAsCurrent));
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
        e.stamp(actor);
        e.detail = Some(format!("{ended} autre(s) session(s) fermée(s)"));
        tx.append_trace(&e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Count an attempt on `key` as a failure before checking it (as at sign-in), or
    /// refuse it while the login is delayed or capped.
    pub(crate) async fn reserve_attempt(&self, key: &str) -> Result<()> {
        match self.reserve(key, None, self.now()).await? {
            (_, Some(wait)) => Err(Error::Throttled { retry_after_secs: wait.whole_seconds().max(1) as u64 }),
            (_, None) => Ok(()),
        }
    }

    /// Reserve an attempt on the throttle `key` as a failure, before any password work:
    /// concurrent guesses each meet the delay the earlier ones set, instead of all being
    /// hashed before the first failure is recorded; a success gives it back. Returns the
    /// account of `login` (read with the throttle, in the same statement), and how long
    /// to wait when the attempt is refused (then nothing is saved).
    ///
    /// The reservation is a compare-and-set (`Store::swap_throttle`): it is saved only if
    /// the throttle is still the one it was decided on, else read again and decided again.
    /// Two statements, each committed on its own, instead of a transaction that locked the
    /// row (five exchanges with PostgreSQL). Each failed swap means another attempt was
    /// reserved first, and those soon set a delay that refuses the rest without a swap; a
    /// key still fought over after `SWAP_TRIES` is refused for a second, never let through.
    async fn reserve(&self, key: &str, login: Option<&str>, now: time::OffsetDateTime) -> Result<(Option<Account>, Option<Duration>)> {
        const SWAP_TRIES: usize = 128;
        let mut last = None;
        for _ in 0..SWAP_TRIES {
            let (was, account) = self.store.sign_in_state(key, login).await?;
            match self.throttle_decision(was.clone().unwrap_or_default(), now) {
                Err(wait) => return Ok((account, Some(wait))),
                Ok(t) => {
                    if self.store.swap_throttle(key, was.as_ref(), &t).await? {
                        return Ok((account, None));
                    }
                    last = account;
                }
            }
        }
        tracing::warn!("a sign-in throttle kept changing under {SWAP_TRIES} attempts to reserve one: refused");
        Ok((last, Some(Duration::seconds(1))))
    }

    /// The throttle `t` with one more attempt reserved (counted as a failure, with the
    /// delay that failure sets) at `now`, or how long to wait when none may start now:
    /// during a delay, or once the hour's attempts are used up.
    fn throttle_decision(&self, mut t: LoginThrottle, now: time::OffsetDateTime) -> std::result::Result<LoginThrottle, Duration> {
        let window = Duration::hours(1);
        if t.window_started_at.is_none_or(|s| now - s >= window) {
            t.window_started_at = Some(now);
            t.attempts_in_window = 0;
        }
        if let Some(nb) = t.not_before.filter(|nb| *nb > now) {
            return Err(nb - now);
        }
        if let Some(ws) = t.window_started_at.filter(|_| t.attempts_in_window >= self.throttle.max_attempts_per_hour) {
            return Err(ws + window - now);
        }
        t.attempts_in_window += 1;
        t.consecutive_failures += 1;
        let delay = self.throttle.delay_after(t.consecutive_failures);
        t.not_before = if delay > Duration::ZERO { Some(now + delay) } else { None };
        Ok(t)
    }
}

fn stamp_account(e: &mut TraceEntry, account: Option<&Account>) {
    if let Some(a) = account {
        e.actor_id = Some(a.id);
        e.actor_login = Some(a.login.clone());
        e.organisation_id = Some(a.organisation_id);
    }
}
