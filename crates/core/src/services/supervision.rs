//! Supervision by the caisse (R20–R23), first part: suspending a grant as a precaution
//! (only the caisse lifts it) and forcing password changes.


use crate::app::App;
use crate::error::{Error, Result};
use crate::reach::partner_to_manage;
use crate::records::*;
use crate::shared::*;
use crate::store::*;
use crate::trace::*;
use crate::values::*;


impl<S: Store> App<S> {
    /// Suspend a partner's grant as a precaution, with a reason (R21). The holders lose
    /// the right at once; the partner sees it and why, and cannot lift it.
    pub async fn caisse_suspend_grant(&self, actor: &Actor, id: GrantId, reason: &str, client: &ClientInfo) -> Result<()> {
        let mut tx = self.store.begin().await?;
        self.caisse_suspend_in(&mut tx, actor, id, reason, client).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `caisse_suspend_grant` inside `tx` (an alert's action records itself in the same
    /// transaction).
    pub(crate) async fn caisse_suspend_in<T: Transaction>(&self, tx: &mut T, actor: &Actor, id: GrantId, reason: &str, client: &ClientInfo) -> Result<()> {
        let reason = DisplayName::parse(reason).map_err(|p| Error::invalid("reason", p))?;
        let now = self.now();
        let g = tx.grant(id).await?.ok_or(Error::NotFound)?;
        let partner = partner_to_manage(tx, actor, g.organisation_id).await?;
        tx.lock_organisation(partner.id).await?;
        let g = tx.grant(id).await?.ok_or(Error::NotFound)?;
        if g.state == GrantState::Revoked || g.caisse_suspension.is_some() {
            return Err(Error::Refused(crate::Refusal::AlreadyDecided));
        }
        tx.set_caisse_suspension(id, Some(reason.as_str())).await?;
        tx.set_grant_state(id, GrantState::Suspended, None).await?;
        notify_partner_admins(tx, partner.id, "Habilis — habilitation suspendue par la caisse", &format!(
            "La caisse a suspendu une habilitation de {} à titre conservatoire.\nMotif : {}\nSeule la caisse peut lever cette suspension.\n",
            partner.name,
            reason.as_str()
        ), now)
        .await?;
        self.trace_action(tx, &actor.clone().acting_for(partner.id), "grant.caisse_suspend", id.to_string(), Some(reason.as_str().into()), client).await?;
        Ok(())
    }

    /// Lift a caisse suspension: the grant goes back to the state it had (active again if
    /// the quotas allow it; still suspended if its partner had suspended it).
    pub async fn caisse_lift_suspension(&self, actor: &Actor, id: GrantId, client: &ClientInfo) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let g = tx.grant(id).await?.ok_or(Error::NotFound)?;
        let partner = partner_to_manage(&mut tx, actor, g.organisation_id).await?;
        tx.lock_organisation(partner.id).await?;
        // Read again under the lock: it may have been revoked meanwhile.
        let g = tx.grant(id).await?.ok_or(Error::NotFound)?;
        if g.caisse_suspension.is_none() || g.state == GrantState::Revoked {
            return Err(Error::Refused(crate::Refusal::AlreadyDecided));
        }
        // Back to what it was: a grant the partner had suspended itself stays suspended.
        let back_to = tx.state_before_caisse(id).await?.unwrap_or(GrantState::Active);
        if back_to == GrantState::Active {
            crate::shared::check_resume(&mut tx, &g, self.today()).await?;
        }
        tx.set_caisse_suspension(id, None).await?;
        tx.set_grant_state(id, back_to, None).await?;
        notify_partner_admins(&mut tx, partner.id, "Habilis — suspension levée par la caisse", &format!(
            "La caisse a levé la suspension conservatoire d'une habilitation de {} : « {} ».\n", partner.name, g.purpose
        ), self.now())
        .await?;
        self.trace_action(&mut tx, &actor.clone().acting_for(partner.id), "grant.caisse_lift", id.to_string(), None, client).await?;
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
        notify_partner_admins(&mut tx, p.id, "Habilis — changement de mot de passe imposé par la caisse", &format!(
            "La caisse a imposé un changement de mot de passe ({}). Les sessions en cours sont fermées ; \
             à la prochaine connexion, chaque personne concernée choisit un nouveau mot de passe avant toute autre action.\n",
            target
        ), now)
        .await?;
        self.trace_action(&mut tx, &actor.clone().acting_for(p.id), "password.force_change", target, Some(format!("{} compte(s)", people.len())), client).await?;
        tx.commit().await?;
        Ok(people.len())
    }
}

impl<S: Store> App<S> {
    /// A partner's grants, for the caisse (R20: read-only unless an action above is used).
    /// Each grant carries its caisse suspension, if any.
    pub async fn partner_grants(&self, actor: &Actor, partner: OrganisationId) -> Result<Vec<crate::records::Grant>> {
        let mut tx = self.store.read().await?;
        let p = crate::reach::partner_in_reach(&mut tx, actor, partner).await?;
        if !actor.account.roles.iter().any(|r| r.is_caisse_staff()) {
            return Err(Error::Forbidden);
        }
        Ok(tx.grants_of(p.id).await?)
    }
}

impl<S: Store> App<S> {
    /// The caisse's partners a staff member looks across, or the one asked for.
    async fn supervised_partners<T: Transaction>(&self, tx: &mut T, actor: &Actor, only: Option<OrganisationId>) -> Result<Vec<crate::records::Organisation>> {
        if actor.organisation.kind != crate::records::OrganisationKind::Caisse || !actor.account.roles.iter().any(|r| r.is_caisse_staff()) {
            return Err(Error::Forbidden);
        }
        match only {
            Some(id) => Ok(vec![crate::reach::partner_in_reach(tx, actor, id).await?]),
            None => Ok(tx.partners_of(actor.organisation.id).await?),
        }
    }

    /// Grants across the caisse's partners matching `filter` (R20), newest first.
    pub async fn supervised_grants(&self, actor: &Actor, filter: &GrantFilter) -> Result<Vec<SupervisedGrant>> {
        let mut tx = self.store.read().await?;
        let partners = self.supervised_partners(&mut tx, actor, filter.partner).await?;
        let catalogue = tx.services().await?;
        let service = match filter.service.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(code) => Some(catalogue.iter().find(|s| s.code.eq_ignore_ascii_case(code)).ok_or(Error::NotFound)?.id),
            None => None,
        };
        let mut roles = std::collections::HashMap::new();
        for s in &catalogue {
            for r in tx.service_roles(s.id).await? {
                roles.insert(r.id, (s.code.clone(), r.code));
            }
        }
        let mut out = Vec::new();
        for p in partners {
            let grants = tx.grants_of(p.id).await?;
            if grants.is_empty() {
                continue;
            }
            let people = tx.accounts_of(p.id).await?;
            let groups = tx.groups_of(p.id).await?;
            for g in grants {
                if service.is_some_and(|s| s != g.service_id)
                    || (filter.no_end_date && g.ends_on.is_some())
                    || filter.state.is_some_and(|s| s != g.state)
                {
                    continue;
                }
                let holder = match (g.holder_account_id, g.holder_group_id) {
                    (Some(a), _) => people.iter().find(|x| x.id == a).map(|x| format!("{} ({})", x.display_name, x.login)).unwrap_or_default(),
                    (None, Some(gr)) => groups.iter().find(|x| x.id == gr).map(|x| format!("« {} »", x.name)).unwrap_or_default(),
                    _ => String::new(),
                };
                let (service, role) = roles.get(&g.service_role_id).cloned().unwrap_or_default();
                out.push(SupervisedGrant { partner_id: p.id, partner: p.name.clone(), holder, service, role, grant: g });
            }
        }
        out.sort_by(|a, b| b.grant.created_at.cmp(&a.grant.created_at));
        Ok(out)
    }

    /// Active people of the caisse's partners with no sign-in for `months` months (never
    /// signed in counts, once the account is older than that), longest asleep first.
    pub async fn dormant_accounts(&self, actor: &Actor, months: u32, partner: Option<OrganisationId>) -> Result<Vec<DormantAccount>> {
        if !(1..=120).contains(&months) {
            return Err(Error::invalid("months", crate::values::ValueError::OutOfRange));
        }
        let cutoff = self.now() - time::Duration::days(i64::from(months) * 30);
        let mut tx = self.store.read().await?;
        let mut out = Vec::new();
        for p in self.supervised_partners(&mut tx, actor, partner).await? {
            for a in tx.accounts_of(p.id).await? {
                let asleep = match a.last_login_at {
                    Some(t) => t < cutoff,
                    None => a.created_at < cutoff,
                };
                if a.status == AccountStatus::Active && asleep {
                    out.push(DormantAccount {
                        partner_id: p.id,
                        partner: p.name.clone(),
                        account_id: a.id,
                        login: a.login,
                        display_name: a.display_name,
                        last_login_at: a.last_login_at,
                    });
                }
            }
        }
        out.sort_by_key(|d| d.last_login_at);
        Ok(out)
    }

    /// The caisse's partners whose directory lacks a required function (Annex 1).
    pub async fn incomplete_partners(&self, actor: &Actor) -> Result<Vec<IncompletePartner>> {
        let mut tx = self.store.read().await?;
        let mut out = Vec::new();
        for p in self.supervised_partners(&mut tx, actor, None).await? {
            let contacts = tx.contacts(p.id).await?;
            let missing: Vec<&'static str> =
                crate::records::REQUIRED_FUNCTIONS.into_iter().filter(|f| !contacts.iter().any(|c| c.function == *f)).collect();
            if !missing.is_empty() {
                out.push(IncompletePartner { partner_id: p.id, partner: p.name, missing });
            }
        }
        Ok(out)
    }
}
