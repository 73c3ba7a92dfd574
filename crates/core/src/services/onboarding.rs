//! Onboarding a partner: subscriptions with their quotas, the administrators the caisse
//! issues (with a one-time link sent through the outbox), and the outbox itself.

use time::Duration;
use uuid::Uuid;

use crate::auth::{Actor, App};
use crate::caisse::{Subscription, caisse_admin_of, partner_to_manage};
use crate::error::{Error, Result, Rule};
use crate::model::{
    Account, AccountId, AccountStatus, LinkPurpose, OrganisationId, OutboxMessage, Role, ServiceRoleId,
};
use crate::store::{Store, Transaction};
use crate::trace::ClientInfo;
use crate::values::{DisplayName, Email, Login, ValueError, optional_text, parse_date};

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
}

/// Which of the two administrator seats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Principal,
    Deputy,
}

impl Slot {
    /// Parse `principal` or `deputy`.
    pub fn parse(s: &str) -> Option<Slot> {
        match s {
            "principal" => Some(Slot::Principal),
            "deputy" => Some(Slot::Deputy),
            _ => None,
        }
    }
    /// The role held in this seat.
    pub fn role(self) -> Role {
        match self {
            Slot::Principal => Role::PartnerAdmin,
            Slot::Deputy => Role::PartnerDeputy,
        }
    }
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

fn field<T>(name: &'static str, r: std::result::Result<T, ValueError>) -> Result<T> {
    r.map_err(|p| Error::invalid(name, p))
}

fn optional_date(name: &'static str, raw: &str) -> Result<Option<time::Date>> {
    if raw.trim().is_empty() { Ok(None) } else { field(name, parse_date(raw)).map(Some) }
}

fn quota(name: &'static str, raw: &str) -> Result<Option<i64>> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<i64>() {
        Ok(n) if (0..=1_000_000).contains(&n) => Ok(Some(n)),
        _ => Err(Error::invalid(name, ValueError::OutOfRange)),
    }
}

/// `Hélène d'Argent` → `helene.dargent`: ASCII letters and digits only.
pub(crate) fn login_part(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .flat_map(|c| match c {
            'æ' => vec!['a', 'e'],
            'œ' => vec!['o', 'e'],
            'ß' => vec!['s', 's'],
            other => vec![other],
        })
        .map(|c| match c {
            'à' | 'â' | 'ä' | 'á' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' => 'i',
            'ô' | 'ö' | 'ó' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ç' => 'c',
            'ø' => 'o',
            'ÿ' => 'y',
            other => other,
        })
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

impl<S: Store> App<S> {
    /// Record (or replace) a partner's subscription to a service with its quotas.
    pub async fn record_subscription(
        &self,
        actor: &Actor,
        partner: OrganisationId,
        input: &SubscriptionInput,
        client: &ClientInfo,
    ) -> Result<Subscription> {
        let signed_on = optional_date("signed_on", &input.signed_on)?;
        let formalities_reference = field("formalities_reference", optional_text(&input.formalities_reference, 200))?;
        let formalities_on = optional_date("formalities_on", &input.formalities_on)?;
        let available_from = optional_date("available_from", &input.available_from)?;
        let max_holders = quota("max_holders", &input.max_holders)?;
        let mut tx = self.store.begin().await?;
        let p = partner_to_manage(&mut tx, actor, partner).await?;
        let service = tx.service_by_code(input.service_code.trim()).await?.ok_or(Error::invalid("service", ValueError::BadFormat))?;
        let roles = tx.service_roles(service.id).await?;
        let mut role_quotas: Vec<(ServiceRoleId, i64)> = Vec::new();
        for (code, raw) in &input.role_quotas {
            let role = roles.iter().find(|r| r.code == *code).ok_or(Error::Rule(Rule::RoleOfAnotherService))?;
            if let Some(n) = quota("role_quota", raw)? {
                if max_holders.is_some_and(|m| n > m) {
                    return Err(Error::Rule(Rule::RoleQuotaAboveServiceQuota));
                }
                role_quotas.push((role.id, n));
            }
        }
        let id = tx.subscription(partner, service.id).await?.map(|s| s.id).unwrap_or_else(Uuid::now_v7);
        let sub = Subscription {
            id,
            partner_id: partner,
            service_id: service.id,
            signed_on,
            formalities_reference,
            formalities_on,
            available_from,
            max_holders,
            role_quotas,
        };
        tx.save_subscription(&sub).await?;
        let detail = format!(
            "quota {}",
            max_holders.map(|m| m.to_string()).unwrap_or_else(|| "none".into())
        );
        self.trace_action(&mut tx, actor, "subscription.save", format!("{} — {}", p.name, service.code), Some(detail), client)
            .await?;
        tx.commit().await?;
        Ok(sub)
    }

    /// Issue a partner's administrator or deputy (caisse only, R3/R14): the account is
    /// created without a password, and a one-time link to set it is queued in the outbox,
    /// all in one transaction. `public_url` is the portal's address for the link.
    pub async fn issue_administrator(
        &self,
        actor: &Actor,
        partner: OrganisationId,
        slot: Slot,
        input: &AdministratorInput,
        public_url: &str,
        client: &ClientInfo,
    ) -> Result<Account> {
        let mut tx = self.store.begin().await?;
        let account = self.issue_administrator_in(&mut tx, actor, partner, slot, input, public_url, client).await?;
        tx.commit().await?;
        Ok(account)
    }

    /// `issue_administrator` inside the caller's transaction.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn issue_administrator_in<T: Transaction>(
        &self,
        tx: &mut T,
        actor: &Actor,
        partner: OrganisationId,
        slot: Slot,
        input: &AdministratorInput,
        public_url: &str,
        client: &ClientInfo,
    ) -> Result<Account> {
        let first = field("first_name", DisplayName::parse(&input.first_name))?;
        let last = field("last_name", DisplayName::parse(&input.last_name))?;
        let function = field("function", DisplayName::parse(&input.function))?;
        let email = field("email", Email::parse(&input.email))?;
        let phone = field("phone", optional_text(&input.phone, 40))?;
        let wanted = if input.login.trim().is_empty() {
            None
        } else {
            Some(field("login", Login::parse(&input.login))?)
        };
        let now = self.now();
        let p = partner_to_manage(tx, actor, partner).await?;
        // Two caisse agents filling the same seat at once: the second waits here, then
        // sees the first one's administrator.
        tx.lock_organisation(partner).await?;
        let holders = tx.accounts_of(partner).await?;
        if holders.iter().any(|a| a.status != AccountStatus::Deactivated && a.roles.contains(&slot.role())) {
            return Err(Error::Rule(Rule::AdministratorSlotTaken));
        }
        let login = unique_login(tx, wanted.as_ref(), first.as_str(), last.as_str()).await?;
        let account = Account {
            id: AccountId::new(),
            organisation_id: partner,
            login,
            display_name: format!("{} {}", first.as_str(), last.as_str()),
            email: email.as_str().to_string(),
            function: Some(function.as_str().to_string()),
            status: AccountStatus::Active,
            password_hash: None,
            must_change_password: false,
            roles: vec![slot.role()],
            last_login_at: None,
            created_at: now,
        };
        tx.insert_account(&account).await.map_err(|e| match e {
            crate::StoreError::Conflict(_) => Error::Taken("identifiant"),
            other => Error::Store(other),
        })?;
        if let Some(phone) = phone {
            tx.set_phone(account.id, &phone).await?;
        }
        let token = self.issue_link(tx, account.id, LinkPurpose::SetPassword).await?;
        let link = format!("{}/set-password?token={token}", public_url.trim_end_matches('/'));
        let seat = match slot {
            Slot::Principal => "administrateur",
            Slot::Deputy => "administrateur suppléant",
        };
        let body = format!(
            "Bonjour {name},\n\n{caisse} vous a désigné(e) {seat} de « {partner} » sur le portail Habilis.\n\n\
             Votre identifiant : {login}\n\nChoisissez votre mot de passe en suivant ce lien, valable {hours} heures \
             et utilisable une seule fois :\n{link}\n\nSi vous n'attendiez pas ce message, prévenez le centre de services \
             de votre caisse.\n",
            name = account.display_name,
            caisse = actor.organisation.name,
            partner = p.name,
            login = account.login,
            hours = self.sessions.link_validity_hours,
        );
        tx.insert_outbox(&OutboxMessage::pending(Some(partner), &account.email, "Habilis — votre compte d'administrateur", body, now))
            .await?;
        self.trace_action(tx, actor, "administrator.issue", format!("{} ({})", account.login, p.name), Some(seat.into()), client)
            .await?;
        Ok(account)
    }

    /// The outbox of the actor's caisse and its partners (caisse administrators only).
    pub async fn outbox(&self, actor: &Actor, limit: i64) -> Result<Vec<OutboxMessage>> {
        let caisse = caisse_admin_of(actor)?;
        let mut tx = self.store.read().await?;
        Ok(tx.outbox_of(caisse, limit).await?)
    }
}

/// How long to wait before the next delivery attempt after `attempts` failures.
pub fn retry_delay(attempts: i64) -> Duration {
    Duration::minutes((1i64 << attempts.clamp(0, 10)).min(360))
}

/// Something that delivers a message (SMTP in production).
pub trait Mailer: Send + Sync {
    /// Deliver one message; the error is a sentence for the log and the outbox page.
    fn send(&self, m: &OutboxMessage) -> impl std::future::Future<Output = std::result::Result<(), String>> + Send;
}

/// What one delivery round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: usize,
    /// Failed this time, to be retried later.
    pub retried: usize,
    /// Failed for the last time (after `MAX_ATTEMPTS`).
    pub abandoned: usize,
}

/// Attempts before a message is marked failed (it stays readable in the outbox).
pub const MAX_ATTEMPTS: i64 = 10;

impl<S: Store> App<S> {
    /// Deliver the messages that are due. Each is claimed first (its next attempt pushed
    /// 10 minutes ahead, in its own transaction), so two instances never send one twice;
    /// then sent outside any transaction; then marked sent, or rescheduled with a growing
    /// delay, or failed after `MAX_ATTEMPTS`.
    pub async fn deliver_outbox<M: Mailer>(&self, mailer: &M, limit: i64) -> Result<DeliveryReport> {
        let mut report = DeliveryReport::default();
        // One message at a time, so a lease never has to outlast a whole batch.
        for _ in 0..limit.max(0) {
            let now = self.now();
            let mut tx = self.store.begin().await?;
            let claimed = tx.claim_outbox(now, now + Duration::minutes(10), 1).await?;
            tx.commit().await?;
            let Some(mut m) = claimed.into_iter().next() else { break };
            let result = mailer.send(&m).await;
            let now = self.now();
            m.attempts += 1;
            match result {
                Ok(()) => {
                    m.status = "sent".into();
                    m.sent_at = Some(now);
                    m.last_error = None;
                    // Once delivered, the one-time link lives only in the recipient's
                    // mailbox: not in the database, its backups or the outbox page.
                    m.body = mask_links(&m.body);
                    report.sent += 1;
                }
                Err(e) => {
                    tracing::warn!(message = %m.id, attempts = m.attempts, error = %e, "mail delivery failed");
                    m.last_error = Some(e.chars().take(500).collect());
                    if m.attempts >= MAX_ATTEMPTS {
                        m.status = "failed".into();
                        report.abandoned += 1;
                    } else {
                        m.next_attempt_at = now + retry_delay(m.attempts);
                        report.retried += 1;
                    }
                }
            }
            let mut tx = self.store.begin().await?;
            tx.finish_outbox(&m).await?;
            tx.commit().await?;
        }
        Ok(report)
    }

    /// Every message of the outbox, newest first (for the operator's command line).
    pub async fn outbox_all(&self, limit: i64) -> Result<Vec<OutboxMessage>> {
        let mut tx = self.store.read().await?;
        Ok(tx.outbox_all(limit).await?)
    }
}

/// Replace the token of every one-time link in `text` with a mark.
pub fn mask_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("token=") {
        let (head, tail) = rest.split_at(i + "token=".len());
        out.push_str(head);
        out.push_str("[lien envoyé, masqué]");
        rest = tail.trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_masked_and_logins_folded() {
        let body = "Lien : https://h/set-password?token=AbC-_9x\nFin";
        assert_eq!(mask_links(body), "Lien : https://h/set-password?token=[lien envoyé, masqué]\nFin");
        assert_eq!(login_part("Lætitia"), "laetitia");
        assert_eq!(login_part("Søren"), "soren");
        assert_eq!(login_part("d'Argent-Œuvre"), "dargent-oeuvre");
    }
}

/// The login for a new account: the one wanted, if free; otherwise `firstname.lastname`
/// folded to ASCII, with a number added when taken (`helene.dubois2`). Names with no Latin
/// letters left give no usable login: the caller is asked for one.
pub(crate) async fn unique_login<T: Transaction>(tx: &mut T, wanted: Option<&Login>, first: &str, last: &str) -> Result<String> {
    if let Some(l) = wanted {
        if tx.account_by_login(l.as_str()).await?.is_some() {
            return Err(Error::Taken("identifiant"));
        }
        return Ok(l.as_str().to_string());
    }
    let base = format!("{}.{}", login_part(first), login_part(last));
    let base: String = base.chars().take(56).collect();
    let base = Login::parse(&base).map_err(|p| Error::invalid("login", p))?.as_str().to_string();
    let mut candidate = base.clone();
    let mut n = 1;
    while tx.account_by_login(&candidate).await?.is_some() {
        n += 1;
        candidate = format!("{base}{n}");
    }
    Ok(candidate)
}
