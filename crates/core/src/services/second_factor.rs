//! The second factor (R51, contract Art. 5.2): enrolling an authenticator application
//! (TOTP, RFC 6238) with recovery codes, the code asked after the password, and the reset
//! of a lost factor — by the caisse for a partner's administrators and its own staff, by
//! the principal administrator for the partner's managers and users. Every step is traced.

use time::Duration;

use crate::app::App;
use crate::error::{Error, Result};
use crate::records::*;
use crate::policy::abilities::may_reset_second_factor;
use crate::reach::partner_in_reach;
use crate::store::*;
use crate::token;
use crate::totp;
use crate::trace::*;

/// What a person needs to add the portal to their authenticator application.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// The secret in base32, to type by hand.
    pub secret: String,
    /// The `otpauth://` address, for a link or a QR code.
    pub uri: String,
}

/// Where a person's second factor stands, for their account page.
#[derive(Debug, Clone)]
pub struct SecondFactorStatus {
    pub enrolled: bool,
    pub confirmed_at: Option<time::OffsetDateTime>,
    pub recovery_codes_left: i64,
    pub required: bool,
}

impl<S: Store> App<S> {
    /// The step the sign-in still owes for `account`: its code once it has a factor
    /// (`enrolled`: a confirmed secret), an enrolment when the policy requires one,
    /// nothing otherwise.
    pub(crate) fn pending_step(&self, enrolled: bool, account: &Account) -> Option<PendingStep> {
        if enrolled {
            Some(PendingStep::SecondFactor)
        } else if self.second_factor.requires(account) {
            Some(PendingStep::Enrolment)
        } else {
            None
        }
    }

    /// Check the code of a session that owes its second factor: a code of the person's
    /// application (each accepted once) or one of their recovery codes (each usable once).
    /// Failures count towards the sign-in throttle of the login, like wrong passwords.
    pub async fn verify_second_factor(&self, actor: &Actor, code: &str, client: &ClientInfo) -> Result<()> {
        if actor.session.pending_step != Some(PendingStep::SecondFactor) {
            return Err(Error::Forbidden);
        }
        let key = actor.account.login.clone();
        self.reserve_attempt(&key).await?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let secret = tx.second_factor(actor.account.id).await?.and_then(|f| f.secret);
        let how = match secret.as_deref().and_then(|s| totp::matching_step(s, code, now.unix_timestamp())) {
            Some(step) => tx.use_totp_step(actor.account.id, step).await?.then(|| "application".to_string()),
            None => {
                let rc = totp::normalise_recovery_code(code);
                if rc.len() == 10 && tx.use_recovery_code(actor.account.id, &token::digest(&rc), now).await? {
                    let left = tx.unused_recovery_codes(actor.account.id).await?;
                    Some(format!("code de secours, {left} restant(s)"))
                } else {
                    None
                }
            }
        };
        let mut e = TraceEntry::new(now, "session.second_factor", Outcome::Success, client);
        e.stamp(actor);
        match how {
            Some(detail) => {
                tx.give_back_attempt(&key).await?;
                tx.set_session_step(actor.session.id, None).await?;
                e.detail = Some(detail);
                tx.append_trace(&e).await?;
                tx.commit().await?;
                Ok(())
            }
            None => {
                let mut t = tx.lock_throttle(&key).await?;
                let delay = self.throttle.delay_after(t.consecutive_failures);
                t.not_before = if delay > Duration::ZERO { Some(now + delay) } else { None };
                tx.save_throttle(&key, &t).await?;
                e.outcome = Outcome::Failure;
                e.detail = Some("code erroné ou déjà utilisé".into());
                tx.append_trace(&e).await?;
                tx.commit().await?;
                Err(Error::SecondFactorInvalid)
            }
        }
    }

    /// The secret being enrolled by the signed-in person (a new one, or the one shown
    /// before if they reload the page). Not while the session still owes its code.
    pub async fn second_factor_enrolment(&self, actor: &Actor) -> Result<Enrolment> {
        if actor.session.pending_step == Some(PendingStep::SecondFactor) {
            return Err(Error::Forbidden);
        }
        let mut tx = self.store.begin().await?;
        let mut f = tx.second_factor(actor.account.id).await?.unwrap_or(SecondFactor {
            account_id: actor.account.id,
            secret: None,
            pending_secret: None,
            confirmed_at: None,
            last_step: 0,
        });
        let secret = match &f.pending_secret {
            Some(s) => s.clone(),
            None => {
                let s = totp::new_secret();
                f.pending_secret = Some(s.clone());
                tx.save_second_factor(&f, self.now()).await?;
                s
            }
        };
        tx.commit().await?;
        Ok(Enrolment { secret: totp::base32(&secret), uri: totp::uri(&self.second_factor.issuer, &actor.account.login, &secret) })
    }

    /// Confirm the enrolment with a code of the new secret: it becomes the person's factor
    /// (replacing any earlier one), their other sessions end, and ten recovery codes are
    /// returned — shown once, kept only as digests.
    pub async fn confirm_second_factor(&self, actor: &Actor, code: &str, client: &ClientInfo) -> Result<Vec<String>> {
        if actor.session.pending_step == Some(PendingStep::SecondFactor) {
            return Err(Error::Forbidden);
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let f = tx.second_factor(actor.account.id).await?;
        let pending = f.as_ref().and_then(|f| f.pending_secret.clone());
        let Some((secret, step)) = pending.and_then(|s| totp::matching_step(&s, code, now.unix_timestamp()).map(|step| (s, step))) else {
            let mut e = TraceEntry::new(now, "second_factor.enrol", Outcome::Failure, client);
            e.stamp(actor);
            e.detail = Some("code erroné".into());
            tx.append_trace(&e).await?;
            tx.commit().await?;
            return Err(Error::SecondFactorInvalid);
        };
        let replaced = f.as_ref().is_some_and(|f| f.secret.is_some());
        let factor = SecondFactor { account_id: actor.account.id, secret: Some(secret), pending_secret: None, confirmed_at: Some(now), last_step: step };
        tx.save_second_factor(&factor, now).await?;
        let codes = totp::new_recovery_codes();
        let digests: Vec<Vec<u8>> = codes.iter().map(|c| token::digest(&totp::normalise_recovery_code(c))).collect();
        tx.replace_recovery_codes(actor.account.id, &digests).await?;
        tx.set_session_step(actor.session.id, None).await?;
        let ended = tx.end_sessions_of_account(actor.account.id, Some(actor.session.id), now, "second_factor_changed").await?;
        let mut e = TraceEntry::new(now, "second_factor.enrol", Outcome::Success, client);
        e.stamp(actor);
        e.target = Some(actor.account.login.clone());
        e.detail = Some(format!(
            "{}{} codes de secours, {ended} autre(s) session(s) fermée(s)",
            if replaced { "remplacée ; " } else { "" },
            codes.len()
        ));
        tx.append_trace(&e).await?;
        tx.commit().await?;
        Ok(codes)
    }

    /// Where the signed-in person's second factor stands.
    pub async fn second_factor_status(&self, actor: &Actor) -> Result<SecondFactorStatus> {
        let mut tx = self.store.read().await?;
        let f = tx.second_factor(actor.account.id).await?;
        let left = tx.unused_recovery_codes(actor.account.id).await?;
        Ok(SecondFactorStatus {
            enrolled: f.as_ref().is_some_and(|f| f.secret.is_some()),
            confirmed_at: f.and_then(|f| f.confirmed_at),
            recovery_codes_left: left,
            required: self.second_factor.requires(&actor.account),
        })
    }

    /// Reset a lost second factor: it and its recovery codes are removed, the person's
    /// sessions end, and they enrol a new one at their next sign-in. Traced in the
    /// person's organisation's chain.
    pub async fn reset_second_factor(&self, actor: &Actor, target: AccountId, client: &ClientInfo) -> Result<Account> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let account = tx.account(target).await?.ok_or(Error::NotFound)?;
        // Someone outside the actor's organisation and its partners is not found.
        let org = if account.organisation_id == actor.organisation.id {
            tx.organisation(account.organisation_id).await?.ok_or(Error::NotFound)?
        } else {
            partner_in_reach(&mut tx, actor, account.organisation_id).await.map_err(|_| Error::NotFound)?
        };
        if !may_reset_second_factor(actor, &account, &org) {
            return Err(Error::Forbidden);
        }
        let had = tx.delete_second_factor(account.id).await?;
        let ended = tx.end_sessions_of_account(account.id, None, now, "second_factor_reset").await?;
        let mut e = TraceEntry::new(now, "second_factor.reset", Outcome::Success, client);
        e.stamp(actor);
        e.organisation_id = Some(account.organisation_id);
        e.target = Some(account.login.clone());
        e.detail = Some(format!("{}{ended} session(s) fermée(s)", if had { "" } else { "aucune n'était enregistrée ; " }));
        tx.append_trace(&e).await?;
        tx.commit().await?;
        Ok(account)
    }
}
