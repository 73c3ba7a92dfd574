//! Supervision by the caisse (R20–R23), first part: suspending a grant as a precaution
//! (only the caisse lifts it) and forcing password changes.

use uuid::Uuid;

use crate::auth::{Actor, App};
use crate::caisse::partner_to_manage;
use crate::error::{Error, Result, Rule};
use crate::grants::GrantState;
use crate::model::{AccountId, AccountStatus, OrganisationId, OutboxMessage, Role};
use crate::store::{Store, Transaction};
use crate::trace::ClientInfo;
use crate::values::DisplayName;

impl<S: Store> App<S> {
    /// Suspend a partner's grant as a precaution, with a reason (R21). The holders lose
    /// the right at once; the partner sees it and why, and cannot lift it.
    pub async fn caisse_suspend_grant(&self, actor: &Actor, id: Uuid, reason: &str, client: &ClientInfo) -> Result<()> {
        let reason = DisplayName::parse(reason).map_err(|p| Error::invalid("reason", p))?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let g = tx.grant(id).await?.ok_or(Error::NotFound)?;
        let partner = partner_to_manage(&mut tx, actor, g.organisation_id).await?;
        tx.lock_organisation(partner.id).await?;
        let g = tx.grant(id).await?.ok_or(Error::NotFound)?;
        if g.state == GrantState::Revoked || tx.caisse_suspension(id).await?.is_some() {
            return Err(Error::Refused(crate::Refusal::AlreadyDecided));
        }
        tx.set_caisse_suspension(id, Some(reason.as_str())).await?;
        tx.set_grant_state(id, GrantState::Suspended, None).await?;
        self.notify_partner_admins(&mut tx, partner.id, "Habilis — habilitation suspendue par la caisse", &format!(
            "La caisse a suspendu une habilitation de {} à titre conservatoire.\nMotif : {}\nSeule la caisse peut lever cette suspension.\n",
            partner.name,
            reason.as_str()
        ), now)
        .await?;
        self.trace_action(&mut tx, actor, "grant.caisse_suspend", id.to_string(), Some(reason.as_str().into()), client).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Lift a caisse suspension; the grant becomes active again if the quotas allow it.
    pub async fn caisse_lift_suspension(&self, actor: &Actor, id: Uuid, client: &ClientInfo) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let g = tx.grant(id).await?.ok_or(Error::NotFound)?;
        let partner = partner_to_manage(&mut tx, actor, g.organisation_id).await?;
        tx.lock_organisation(partner.id).await?;
        if tx.caisse_suspension(id).await?.is_none() {
            return Err(Error::Refused(crate::Refusal::AlreadyDecided));
        }
        crate::grants::check_resume(&mut tx, &g, self.today()).await?;
        tx.set_caisse_suspension(id, None).await?;
        tx.set_grant_state(id, GrantState::Active, None).await?;
        self.trace_action(&mut tx, actor, "grant.caisse_lift", id.to_string(), None, client).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Force a password change for one person of a partner, or all of them (R22): their
    /// sessions end, and at the next sign-in they must choose a new password first.
    pub async fn force_password_change(
        &self,
        actor: &Actor,
        partner: OrganisationId,
        account: Option<AccountId>,
        client: &ClientInfo,
    ) -> Result<usize> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let p = partner_to_manage(&mut tx, actor, partner).await?;
        let people: Vec<_> = tx
            .accounts_of(p.id)
            .await?
            .into_iter()
            .filter(|a| a.status != AccountStatus::Deactivated && account.is_none_or(|id| id == a.id))
            .collect();
        if account.is_some() && people.is_empty() {
            return Err(Error::NotFound);
        }
        for a in &people {
            tx.force_password_change(a.id).await?;
            tx.end_sessions_of_account(a.id, None, now, "password_change_forced").await?;
        }
        let target = match account {
            Some(_) => people.first().map(|a| a.login.clone()).unwrap_or_default(),
            None => format!("tous les comptes de {}", p.name),
        };
        self.trace_action(&mut tx, actor, "password.force_change", target, Some(format!("{} compte(s)", people.len())), client).await?;
        tx.commit().await?;
        Ok(people.len())
    }

    async fn notify_partner_admins<T: Transaction>(&self, tx: &mut T, partner: OrganisationId, subject: &str, body: &str, now: time::OffsetDateTime) -> Result<()> {
        for a in tx.accounts_of(partner).await? {
            if a.status == AccountStatus::Active && a.roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy)) {
                tx.insert_outbox(&OutboxMessage::pending(Some(partner), &a.email, subject, body.to_string(), now)).await?;
            }
        }
        Ok(())
    }
}

/// Refuse a partner's own resume of a grant the caisse suspended.
pub(crate) async fn refuse_if_caisse_suspended<T: Transaction>(tx: &mut T, id: Uuid) -> Result<()> {
    match tx.caisse_suspension(id).await? {
        Some(_) => Err(Error::Rule(Rule::CaisseSuspension)),
        None => Ok(()),
    }
}

impl<S: Store> App<S> {
    /// A partner's grants, for the caisse (R20: read-only unless an action above is used).
    pub async fn partner_grants(&self, actor: &Actor, partner: OrganisationId) -> Result<Vec<(crate::grants::Grant, Option<String>)>> {
        let mut tx = self.store.read().await?;
        let p = crate::caisse::partner_in_reach(&mut tx, actor, partner).await?;
        if !actor.account.roles.iter().any(|r| r.is_caisse_staff()) {
            return Err(Error::Forbidden);
        }
        let mut out = Vec::new();
        for g in tx.grants_of(p.id).await? {
            let why = tx.caisse_suspension(g.id).await?;
            out.push((g, why));
        }
        Ok(out)
    }
}
