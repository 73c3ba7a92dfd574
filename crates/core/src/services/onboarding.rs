//! Onboarding a partner: subscriptions with their quotas, the administrators the caisse
//! issues (with a one-time link sent through the outbox), and the outbox itself.

use time::Duration;

use crate::app::App;
use crate::commands::*;
use crate::error::{Error, Result, Rule};
use crate::reach::{caisse_admin_of, partner_to_manage};
use crate::records::*;
use crate::shared::*;
use crate::store::*;
use crate::trace::*;
use crate::values::*;


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
        let before = tx.subscription(partner, service.id).await?;
        let id = before.as_ref().map(|s| s.id).unwrap_or_else(SubscriptionId::new);
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
        // Annex 2 changes by amendment (Art. 6): once signed, a subscription changes only
        // with the date of the amendment that changes it, and every change is kept.
        let changes = annex2_diff(before.as_ref(), &sub, &roles);
        if before.is_some() && changes.is_empty() {
            // Nothing changes: nothing to sign, nothing to keep.
            return Ok(sub);
        }
        let amendment = optional_date("amendment_signed_on", &input.amendment_signed_on)?;
        let signed_before = before.as_ref().and_then(|b| b.signed_on);
        let amendment = match (signed_before, amendment) {
            (Some(_), None) => return Err(Error::invalid("amendment_signed_on", ValueError::Empty)),
            (Some(first), Some(d)) if d < first => return Err(Error::invalid("amendment_signed_on", ValueError::DateOrder)),
            (_, Some(d)) if d > self.today() => return Err(Error::invalid("amendment_signed_on", ValueError::DateOrder)),
            (None, _) => None,
            (Some(_), d) => d,
        };
        tx.save_subscription(&sub, self.now()).await?;
        tx.insert_subscription_change(&SubscriptionChange {
            partner_id: partner,
            service_id: service.id,
            changed_at: self.now(),
            changed_by: Some(actor.account.id),
            signed_on: amendment,
            changes: changes.join(" ; "),
        })
        .await?;
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
                    m.status = DeliveryStatus::Sent;
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
                        m.status = DeliveryStatus::Failed;
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

/// What a save changes in Annex 2, in words (French: it is printed in the contract).
fn annex2_diff(before: Option<&Subscription>, after: &Subscription, roles: &[ServiceRole]) -> Vec<String> {
    let date = |d: Option<time::Date>| d.map(crate::clock::format_date_fr).unwrap_or_else(|| "—".into());
    let num = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_else(|| "—".into());
    let text = |t: &Option<String>| t.clone().unwrap_or_else(|| "—".into());
    let mut out = Vec::new();
    let mut field = |label: &str, old: String, new: String| {
        if old != new {
            out.push(if before.is_some() { format!("{label} : {old} → {new}") } else { format!("{label} : {new}") });
        }
    };
    let b = before;
    field("Signature du bulletin", b.map(|b| date(b.signed_on)).unwrap_or_else(|| "—".into()), date(after.signed_on));
    field("Formalités", b.map(|b| text(&b.formalities_reference)).unwrap_or_else(|| "—".into()), text(&after.formalities_reference));
    field("Date des formalités", b.map(|b| date(b.formalities_on)).unwrap_or_else(|| "—".into()), date(after.formalities_on));
    field("Mise à disposition", b.map(|b| date(b.available_from)).unwrap_or_else(|| "—".into()), date(after.available_from));
    field("Nombre maximal de titulaires", b.map(|b| num(b.max_holders)).unwrap_or_else(|| "—".into()), num(after.max_holders));
    for r in roles {
        let quota = |s: &Subscription| s.role_quotas.iter().find(|(id, _)| *id == r.id).map(|(_, n)| *n);
        field(&format!("Profil {}", r.code), b.map(|b| num(quota(b))).unwrap_or_else(|| "—".into()), num(quota(after)));
    }
    out
}
