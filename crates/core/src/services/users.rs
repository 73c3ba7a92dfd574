//! A partner's people (R11): creating users with a one-time link, editing, suspending,
//! reactivating, new links, searching, and each person's file.

use crate::app::App;
use crate::commands::*;
use crate::error::{Error, Result, Rule};
use crate::policy::abilities::may_act_on_person;
use crate::policy::powers::{covers, mandated};
use crate::reach::{powers_of, readable_org};
use crate::records::*;
use crate::store::*;
use crate::trace::*;
use crate::values::*;

impl<S: Store> App<S> {
    /// Create a user of the manager's organisation; a one-time link goes to the outbox.
    pub async fn create_user(&self, actor: &Actor, input: &UserInput, public_url: &str, client: &ClientInfo) -> Result<Account> {
        let mut tx = self.store.begin().await?;
        let account = self.create_user_in(&mut tx, actor, input, public_url, client).await?;
        tx.commit().await?;
        Ok(account)
    }

    /// `create_user` inside the caller's transaction (an import's line).
    pub(crate) async fn create_user_in<T: Transaction>(&self, tx: &mut T, actor: &Actor, input: &UserInput, public_url: &str, client: &ClientInfo) -> Result<Account> {
        let (first, last, email, function) = user_fields(input)?;
        let now = self.now();
        let (org, powers) = powers_of(tx, actor, self.today()).await?;
        if !powers.may_manage_users() {
            return Err(Error::Rule(Rule::OutsideMandate));
        }
        let wanted = match input.login.trim() {
            "" => None,
            raw => Some(Login::parse(raw).map_err(|p| Error::invalid("login", p))?),
        };
        crate::shared::ensure_email_free(tx, org, email.as_str(), None).await?;
        let organisation = tx.organisation(org).await?.ok_or(Error::NotFound)?;
        let login = crate::shared::unique_login(tx, &organisation, wanted.as_ref(), first.as_str(), last.as_str()).await?;
        let name = format!("{} {}", first.as_str(), last.as_str());
        let account = crate::shared::insert_new_account(tx, org, login, name, email.as_str(), function, vec![Role::User], now).await?;
        let token = self.issue_link(tx, account.id, LinkPurpose::SetPassword).await?;
        let body = format!(
            "Bonjour {},\n\n{} vous a créé un compte sur le portail Habilis pour « {} ».\nVotre identifiant : {}\n\n\
             Choisissez votre mot de passe avec ce lien, valable {} heures et utilisable une seule fois :\n{}/set-password?token={}\n",
            account.display_name,
            actor.account.display_name,
            organisation.name,
            account.login,
            self.sessions.link_validity_hours,
            public_url.trim_end_matches('/'),
            token
        );
        tx.insert_outbox(&OutboxMessage::pending(Some(org), &account.email, "Habilis — votre compte", body, now)).await?;
        self.trace_action(tx, actor, "user.create", account.login.clone(), None, client).await?;
        Ok(account)
    }

    /// The people of the actor's organisation (its managers).
    pub async fn partner_people(&self, actor: &Actor) -> Result<Vec<Account>> {
        let mut tx = self.store.read().await?;
        let org = readable_org(&mut tx, actor, self.today()).await?;
        Ok(tx.accounts_of(org).await?)
    }

    /// The people of the actor's organisation whose login or name contains `query`.
    pub async fn search_people(&self, actor: &Actor, query: &str) -> Result<Vec<Account>> {
        let q = query.trim().to_lowercase();
        Ok(self
            .partner_people(actor)
            .await?
            .into_iter()
            .filter(|a| q.is_empty() || a.login.contains(&q) || a.display_name.to_lowercase().contains(&q) || a.email.to_lowercase().contains(&q))
            .collect())
    }

    /// Change a user's name, email and function.
    pub async fn update_user(&self, actor: &Actor, id: AccountId, input: &UserInput, client: &ClientInfo) -> Result<Account> {
        let mut tx = self.store.begin().await?;
        let target = self.update_user_in(&mut tx, actor, id, input, client).await?;
        tx.commit().await?;
        Ok(target)
    }

    /// `update_user` inside the caller's transaction (a directory's change, SCIM).
    pub(crate) async fn update_user_in<T: Transaction>(&self, tx: &mut T, actor: &Actor, id: AccountId, input: &UserInput, client: &ClientInfo) -> Result<Account> {
        let (first, last, email, function) = user_fields(input)?;
        let mut target = self.user_to_manage(tx, actor, id).await?;
        // A manager's e-mail receives their reset links: only the principal administrator,
        // or the caisse managing the partner, changes it.
        let is_manager = mandated(target.id, &tx.mandates_of(target.organisation_id).await?).is_some();
        let may_change_manager_email = actor.acting_for.is_some() || actor.account.roles.contains(&Role::PartnerAdmin);
        if is_manager && target.email != email.as_str() && !may_change_manager_email {
            return Err(Error::Rule(Rule::ManagerEmail));
        }
        crate::shared::ensure_email_free(tx, target.organisation_id, email.as_str(), Some(target.id)).await?;
        target.display_name = format!("{} {}", first.as_str(), last.as_str());
        target.email = email.as_str().into();
        target.function = function;
        tx.update_account(&target).await?;
        self.trace_action(tx, actor, "user.update", target.login.clone(), None, client).await?;
        Ok(target)
    }

    /// Suspend or reactivate a user, or send them a password-reset link.
    pub async fn user_action(&self, actor: &Actor, id: AccountId, action: UserAction, public_url: &str, client: &ClientInfo) -> Result<()> {
        let mut tx = self.store.begin().await?;
        self.user_action_in(&mut tx, actor, id, action, public_url, client).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `user_action` inside the caller's transaction (a directory's change, SCIM).
    pub(crate) async fn user_action_in<T: Transaction>(&self, tx: &mut T, actor: &Actor, id: AccountId, action: UserAction, public_url: &str, client: &ClientInfo) -> Result<()> {
        let now = self.now();
        let target = self.user_to_manage(tx, actor, id).await?;
        let name = match action {
            UserAction::Suspend => {
                if target.status != AccountStatus::Active {
                    return Err(Error::Refused(crate::Refusal::AlreadyDecided));
                }
                tx.set_account_status(target.id, AccountStatus::Suspended).await?;
                tx.end_sessions_of_account(target.id, None, now, "account_suspended").await?;
                "user.suspend"
            }
            UserAction::Reactivate => {
                if target.status != AccountStatus::Suspended {
                    return Err(Error::Refused(crate::Refusal::AlreadyDecided));
                }
                tx.set_account_status(target.id, AccountStatus::Active).await?;
                "user.reactivate"
            }
            UserAction::ResetPassword => {
                let token = self.issue_link(tx, target.id, LinkPurpose::ResetPassword).await?;
                let body = format!(
                    "Bonjour {},\n\n{} vous envoie un lien pour choisir un nouveau mot de passe Habilis (identifiant : {}).\n\
                     Ce lien est valable {} heures et ne sert qu'une fois :\n{}/set-password?token={}\n\n\
                     Si vous n'avez rien demandé, prévenez votre administrateur.\n",
                    target.display_name,
                    actor.account.display_name,
                    target.login,
                    self.sessions.link_validity_hours,
                    public_url.trim_end_matches('/'),
                    token
                );
                tx.insert_outbox(&OutboxMessage::pending(Some(target.organisation_id), &target.email, "Habilis — nouveau mot de passe", body, now)).await?;
                "user.reset_password"
            }
        };
        self.trace_action(tx, actor, name, target.login.clone(), None, client).await?;
        Ok(())
    }

    /// A person leaves the organisation (issue 17): their account is deactivated, their
    /// sessions end, and everything they hold ends in the same transaction — grants revoked,
    /// groups left (the periods are kept), mandates withdrawn with those derived from them.
    /// The actor must be able to end each of those: a delegated manager whose mandate does
    /// not cover one of the person's grants, or groups, is refused and nothing changes.
    pub async fn leave_organisation(&self, actor: &Actor, id: AccountId, client: &ClientInfo) -> Result<crate::shared::RightsEnded> {
        let mut tx = self.store.begin().await?;
        let ended = self.leave_organisation_in(&mut tx, actor, id, client).await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// `leave_organisation` inside the caller's transaction (a directory's deletion, SCIM).
    pub(crate) async fn leave_organisation_in<T: Transaction>(&self, tx: &mut T, actor: &Actor, id: AccountId, client: &ClientInfo) -> Result<crate::shared::RightsEnded> {
        let now = self.now();
        let target = self.user_to_manage(tx, actor, id).await?;
        if target.status == AccountStatus::Deactivated {
            return Err(Error::Refused(crate::Refusal::AlreadyDecided));
        }
        let (org, powers) = powers_of(tx, actor, self.today()).await?;
        tx.lock_organisation(org).await?;
        let in_group = tx.memberships_of(target.id).await?.iter().any(|m| m.removed_at.is_none());
        if !departure_covered(&powers, target.id, &tx.grants_of(org).await?, in_group, &tx.mandates_of(org).await?) {
            return Err(Error::Rule(Rule::OutsideMandate));
        }
        tx.set_account_status(target.id, AccountStatus::Deactivated).await?;
        tx.end_sessions_of_account(target.id, None, now, "account_deactivated").await?;
        let ended = crate::shared::end_rights_of(tx, org, target.id, actor.account.id, now).await?;
        let detail = format!("{} habilitation(s) retirée(s), {} groupe(s) quitté(s), {} mandat(s) retiré(s)", ended.grants, ended.memberships, ended.mandates);
        self.trace_action(tx, actor, "user.leave", target.login.clone(), Some(detail), client).await?;
        Ok(ended)
    }

    /// A person of the actor's organisation with their grants and groups.
    pub async fn person_file(&self, actor: &Actor, id: AccountId) -> Result<PersonFile> {
        let mut tx = self.store.read().await?;
        let org = readable_org(&mut tx, actor, self.today()).await?;
        let account = tx.account(id).await?.filter(|a| a.organisation_id == org).ok_or(Error::NotFound)?;
        let mut groups = Vec::new();
        for g in tx.groups_of(org).await? {
            if tx.members(g.id).await?.contains(&id) {
                groups.push(g);
            }
        }
        let grants = tx
            .grants_of(org)
            .await?
            .into_iter()
            .filter(|g| g.holder_account_id == Some(id) || g.holder_group_id.is_some_and(|x| groups.iter().any(|gr| gr.id == x)))
            .collect();
        let memberships = tx.memberships_of(id).await?;
        Ok(PersonFile { account, grants, groups, memberships })
    }
}

impl<S: Store> App<S> {
    /// A user of the actor's organisation that the actor may manage: with the users right,
    /// never oneself, never the administrator or deputy (only the caisse manages them, R14).
    pub(crate) async fn user_to_manage<T: Transaction>(&self, tx: &mut T, actor: &Actor, id: AccountId) -> Result<Account> {
        let (org, powers) = powers_of(tx, actor, self.today()).await?;
        if !powers.may_manage_users() {
            return Err(Error::Rule(Rule::OutsideMandate));
        }
        // Every change to the partner's people and rights holds the partner's lock, so that
        // a check made from what was read (a directory's If-Match, a quota) still holds
        // when the change is written.
        tx.lock_organisation(org).await?;
        let target = tx.account(id).await?.filter(|a| a.organisation_id == org).ok_or(Error::NotFound)?;
        if target.id == actor.account.id {
            return Err(Error::Rule(Rule::SelfGrant));
        }
        if target.roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy)) {
            return Err(Error::Forbidden);
        }
        // Nobody acts on a person wider than themselves (their mandates within the actor's):
        // editing their e-mail and sending them a link would hand over their powers.
        let theirs = mandated(target.id, &tx.mandates_of(org).await?);
        if !covers(&powers, theirs.as_ref()) {
            return Err(Error::Rule(Rule::OutsideMandate));
        }
        Ok(target)
    }

    /// The people whose departure `actor` may record (`leave_organisation` would not refuse
    /// it for their rights): managed by the actor, not yet deactivated, and everything they
    /// hold within the actor's powers. The pages offer *Départ* to these only.
    pub async fn departures_actor_may_record(&self, actor: &Actor) -> Result<Vec<AccountId>> {
        let managed = self.people_actor_may_manage(actor).await?;
        if managed.is_empty() {
            return Ok(managed);
        }
        let mut tx = self.store.read().await?;
        let (org, powers) = powers_of(&mut tx, actor, self.today()).await?;
        let (grants, mandates) = (tx.grants_of(org).await?, tx.mandates_of(org).await?);
        let mut in_groups = std::collections::HashSet::new();
        for g in tx.groups_of(org).await? {
            in_groups.extend(tx.members(g.id).await?);
        }
        let accounts = tx.accounts_of(org).await?;
        Ok(managed
            .into_iter()
            .filter(|id| accounts.iter().any(|a| a.id == *id && a.status != AccountStatus::Deactivated))
            .filter(|id| departure_covered(&powers, *id, &grants, in_groups.contains(id), &mandates))
            .collect())
    }

    /// The people of the actor's organisation the actor may act on now (edit, suspend,
    /// reactivate, send a link): what the rights page offers, by the rules the actions
    /// themselves check (`user_to_manage`). Empty for someone who manages nobody there.
    pub async fn people_actor_may_manage(&self, actor: &Actor) -> Result<Vec<AccountId>> {
        let mut tx = self.store.read().await?;
        let (org, powers) = match powers_of(&mut tx, actor, self.today()).await {
            Ok(x) => x,
            Err(Error::Forbidden | Error::Rule(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        if !powers.may_manage_users() {
            return Ok(Vec::new());
        }
        let mandates = tx.mandates_of(org).await?;
        Ok(tx
            .accounts_of(org)
            .await?
            .into_iter()
            .filter(|p| may_act_on_person(actor, p) && covers(&powers, mandated(p.id, &mandates).as_ref()))
            .map(|p| p.id)
            .collect())
    }

}

/// A user's typed fields, every one checked before any is refused.
fn user_fields(input: &UserInput) -> Result<(DisplayName, DisplayName, Email, Option<String>)> {
    let mut c = crate::error::FieldChecks::default();
    let first = c.check("first_name", DisplayName::parse(&input.first_name));
    let last = c.check("last_name", DisplayName::parse(&input.last_name));
    let email = c.check("email", Email::parse(&input.email));
    let function = c.check("function", optional_text(&input.function, 200));
    match (first, last, email, function) {
        (Some(a), Some(b), Some(e), Some(f)) => Ok((a, b, e, f)),
        _ => Err(c.error()),
    }
}

/// Whether `powers` reach everything `target` holds, so that their departure may end it:
/// every grant not revoked, their group memberships (`in_group`), their mandates in force.
fn departure_covered(powers: &crate::policy::powers::Powers, target: AccountId, grants: &[Grant], in_group: bool, mandates: &[Mandate]) -> bool {
    let grants_ok = grants.iter().all(|g| g.holder_account_id != Some(target) || g.state == GrantState::Revoked || powers.may_grant(g.service_role_id));
    // Their mandates end too: only someone who may give mandates ends them.
    let mandates_ok = powers.may_delegate() || !mandates.iter().any(|m| m.holder_id == target && m.withdrawn_at.is_none());
    grants_ok && (powers.may_manage_groups() || !in_group) && mandates_ok
}
