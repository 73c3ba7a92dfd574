//! Delegated management, first part (R10, R11, R13): a partner's managers create users and
//! grant them a service in a role, for a stated purpose, within the caisse's quotas.
//!
//! The quota counts distinct people holding the service (and the role, where the role has
//! its own quota), directly or through a group. Every path that can add a holder takes the
//! partner's row lock first, then counts, then writes: two requests at once line up, so
//! the quota is never exceeded.

use time::Date;

use crate::app::App;
use crate::commands::*;
use crate::error::{Error, Result, Rule};
use crate::reach::{caisse_reads, powers_of, readable_org};
use crate::records::*;
use crate::shared::*;
use crate::store::*;
use crate::trace::*;
use crate::values::*;


impl<S: Store> App<S> {
    /// Create a user of the manager's organisation; a one-time link goes to the outbox.
    pub async fn create_user(&self, actor: &Actor, input: &UserInput, public_url: &str, client: &ClientInfo) -> Result<Account> {
        let first = DisplayName::parse(&input.first_name).map_err(|p| Error::invalid("first_name", p))?;
        let last = DisplayName::parse(&input.last_name).map_err(|p| Error::invalid("last_name", p))?;
        let email = Email::parse(&input.email).map_err(|p| Error::invalid("email", p))?;
        let function = optional_text(&input.function, 200).map_err(|p| Error::invalid("function", p))?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let (org, powers) = powers_of(&mut tx, actor, self.today()).await?;
        if !powers.may_manage_users() {
            return Err(Error::Rule(Rule::OutsideMandate));
        }
        let wanted = match input.login.trim() {
            "" => None,
            raw => Some(Login::parse(raw).map_err(|p| Error::invalid("login", p))?),
        };
        let login = crate::shared::unique_login(&mut tx, wanted.as_ref(), first.as_str(), last.as_str()).await?;
        let account = Account {
            id: AccountId::new(),
            organisation_id: org,
            login,
            display_name: format!("{} {}", first.as_str(), last.as_str()),
            email: email.as_str().into(),
            function,
            status: AccountStatus::Active,
            password_hash: None,
            must_change_password: false,
            roles: vec![Role::User],
            last_login_at: None,
            created_at: now,
        };
        tx.insert_account(&account).await.map_err(|e| match e {
            crate::StoreError::Conflict(_) => Error::Taken("identifiant"),
            other => Error::Store(other),
        })?;
        let token = self.issue_link(&mut tx, account.id, LinkPurpose::SetPassword).await?;
        let org_name = tx.organisation(org).await?.map(|o| o.name).unwrap_or_default();
        let body = format!(
            "Bonjour {},\n\n{} vous a créé un compte sur le portail Habilis pour « {} ».\nVotre identifiant : {}\n\n\
             Choisissez votre mot de passe avec ce lien, valable {} heures et utilisable une seule fois :\n{}/set-password?token={}\n",
            account.display_name,
            actor.account.display_name,
            org_name,
            account.login,
            self.sessions.link_validity_hours,
            public_url.trim_end_matches('/'),
            token
        );
        tx.insert_outbox(&OutboxMessage::pending(Some(org), &account.email, "Habilis — votre compte", body, now)).await?;
        self.trace_action(&mut tx, actor, "user.create", account.login.clone(), None, client).await?;
        tx.commit().await?;
        Ok(account)
    }

    /// Grant a person, or every member of a group, a service in a role, for a stated
    /// purpose and optionally until an end date (R13). Refused outside delegated mode, on a
    /// closed service, to oneself or a group one belongs to, or beyond a quota (the error
    /// says which, with figures); every member of a group counts for the quotas.
    pub async fn grant(&self, actor: &Actor, cmd: &NewGrant, client: &ClientInfo) -> Result<Grant> {
        let purpose = field("purpose", DisplayName::parse(&cmd.purpose))?;
        let today = self.today();
        let ends_on = end_date(&cmd.ends_on, today)?;
        if cmd.holder == Holder::Person(actor.account.id) {
            return Err(Error::Rule(Rule::SelfGrant));
        }
        let mut tx = self.store.begin().await?;
        let (org, powers) = powers_of(&mut tx, actor, today).await?;
        let (holder_account_id, holder_group_id, target) = match cmd.holder {
            Holder::Person(id) => {
                let person = tx.account(id).await?.filter(|a| a.organisation_id == org).ok_or(Error::NotFound)?;
                (Some(person.id), None, person.login)
            }
            Holder::Group(id) => {
                let g = tx.group(id).await?.filter(|g| g.organisation_id == org).ok_or(Error::NotFound)?;
                if tx.members(g.id).await?.contains(&actor.account.id) {
                    return Err(Error::Rule(Rule::SelfGrant));
                }
                (None, Some(g.id), format!("groupe {}", g.name))
            }
        };
        let (service, role) = by_codes(&mut tx, &cmd.service_code, &cmd.role_code).await?;
        if !powers.may_grant(role.id) {
            return Err(Error::Rule(Rule::OutsideMandate));
        }
        // Every path that adds a holder of this partner's rights lines up here.
        tx.lock_organisation(org).await?;
        self.ensure_open(&mut tx, org, service.id).await?;
        let people = match cmd.holder {
            Holder::Person(id) => vec![id],
            // Read again under the lock: a member added meanwhile counts.
            Holder::Group(id) => tx.members(id).await?,
        };
        check_quotas(&mut tx, org, &service, &role, &people, today).await?;
        let g = Grant {
            id: GrantId::new(),
            organisation_id: org,
            service_id: service.id,
            service_role_id: role.id,
            holder_account_id,
            holder_group_id,
            created_under: powers.mandate(),
            purpose: purpose.as_str().into(),
            starts_on: today,
            ends_on,
            state: GrantState::Active,
            created_by: actor.account.id,
            created_at: self.now(),
            ended_at: None,
            caisse_suspension: None,
        };
        tx.insert_grant(&g).await?;
        let detail = format!("{} {} — {}", service.code, role.code, g.purpose);
        self.trace_action(&mut tx, actor, "grant.create", target, Some(detail), client).await?;
        tx.commit().await?;
        Ok(g)
    }

    /// The grants of the actor's organisation (its managers), newest first.
    pub async fn grants(&self, actor: &Actor) -> Result<Vec<Grant>> {
        let mut tx = self.store.read().await?;
        let org = match actor.acting_for {
            Some(_) => caisse_reads(&mut tx, actor).await?,
            None if actor.organisation.kind != OrganisationKind::Partner || !actor.account.roles.iter().any(|r| r.is_manager()) => {
                return Err(Error::Forbidden);
            }
            None => actor.organisation.id,
        };
        Ok(tx.grants_of(org).await?)
    }

    /// Revoke a grant at once; the record stays (retention, R61).
    pub async fn revoke_grant(&self, actor: &Actor, id: GrantId, client: &ClientInfo) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let (org, powers) = powers_of(&mut tx, actor, self.today()).await?;
        let g = tx.grant(id).await?.filter(|g| g.organisation_id == org).ok_or(Error::NotFound)?;
        if !powers.may_grant(g.service_role_id) {
            return Err(Error::Rule(Rule::OutsideMandate));
        }
        if g.holder_account_id == Some(actor.account.id) {
            return Err(Error::Rule(Rule::SelfGrant));
        }
        if g.state == GrantState::Revoked {
            return Err(Error::Refused(crate::Refusal::AlreadyDecided));
        }
        tx.set_grant_state(id, GrantState::Revoked, Some(self.now())).await?;
        // Revoked is final: a caisse suspension has nothing left to lift.
        if g.caisse_suspension.is_some() {
            tx.set_caisse_suspension(id, None).await?;
        }
        self.trace_action(&mut tx, actor, "grant.revoke", id.to_string(), None, client).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl<S: Store> App<S> {
    /// Create a group in the manager's organisation.
    pub async fn create_group(&self, actor: &Actor, name: &str, client: &ClientInfo) -> Result<Group> {
        let name = DisplayName::parse(name).map_err(|p| Error::invalid("name", p))?;
        let mut tx = self.store.begin().await?;
        let (org, powers) = powers_of(&mut tx, actor, self.today()).await?;
        if !powers.may_manage_groups() {
            return Err(Error::Rule(Rule::OutsideMandate));
        }
        let g = Group { id: GroupId::new(), organisation_id: org, name: name.as_str().into() };
        tx.insert_group(&g, self.now()).await.map_err(|e| match e {
            crate::StoreError::Conflict(_) => Error::Taken("nom de groupe"),
            other => Error::Store(other),
        })?;
        self.trace_action(&mut tx, actor, "group.create", g.name.clone(), None, client).await?;
        tx.commit().await?;
        Ok(g)
    }

    /// The groups of the manager's organisation with their members.
    pub async fn groups(&self, actor: &Actor) -> Result<Vec<(Group, Vec<AccountId>)>> {
        let mut tx = self.store.read().await?;
        let org = match actor.acting_for {
            Some(_) => caisse_reads(&mut tx, actor).await?,
            None if actor.organisation.kind != OrganisationKind::Partner || !actor.account.roles.iter().any(|r| r.is_manager()) => {
                return Err(Error::Forbidden);
            }
            None => actor.organisation.id,
        };
        let mut out = Vec::new();
        for g in tx.groups_of(org).await? {
            let members = tx.members(g.id).await?;
            out.push((g, members));
        }
        Ok(out)
    }

    /// Add a person to a group. Each grant the group holds is checked against its quotas
    /// first; a manager cannot add themselves to a group that holds rights (R13).
    pub async fn add_member(&self, actor: &Actor, group: GroupId, member: AccountId, client: &ClientInfo) -> Result<()> {
        let today = self.today();
        let mut tx = self.store.begin().await?;
        let (org, powers) = powers_of(&mut tx, actor, today).await?;
        if !powers.may_manage_groups() {
            return Err(Error::Rule(Rule::OutsideMandate));
        }
        let g = tx.group(group).await?.filter(|g| g.organisation_id == org).ok_or(Error::NotFound)?;
        let person = tx.account(member).await?.filter(|a| a.organisation_id == org).ok_or(Error::NotFound)?;
        tx.lock_organisation(org).await?;
        let grants: Vec<Grant> = tx.grants_of_group(g.id).await?.into_iter().filter(|x| x.state == GrantState::Active).collect();
        if !grants.is_empty() && member == actor.account.id {
            return Err(Error::Rule(Rule::SelfGrant));
        }
        for grant in &grants {
            if grant.ends_on.is_some_and(|d| d < today) {
                continue;
            }
            // Joining a group is receiving its rights: the manager must be able to grant them.
            if !powers.may_grant(grant.service_role_id) {
                return Err(Error::Rule(Rule::OutsideMandate));
            }
            let (service, role) = service_and_role(&mut tx, grant).await?;
            check_quotas(&mut tx, org, &service, &role, &[person.id], today).await?;
        }
        tx.add_member(g.id, person.id, actor.account.id, self.now()).await.map_err(|e| match e {
            crate::StoreError::Conflict(_) => Error::Taken("membre du groupe"),
            other => Error::Store(other),
        })?;
        self.trace_action(&mut tx, actor, "group.add_member", format!("{} → {}", person.login, g.name), None, client).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Remove a person from a group (their rights through it end at once).
    pub async fn remove_member(&self, actor: &Actor, group: GroupId, member: AccountId, client: &ClientInfo) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let (org, powers) = powers_of(&mut tx, actor, self.today()).await?;
        if !powers.may_manage_groups() {
            return Err(Error::Rule(Rule::OutsideMandate));
        }
        let g = tx.group(group).await?.filter(|g| g.organisation_id == org).ok_or(Error::NotFound)?;
        if !tx.remove_member(g.id, member).await? {
            return Err(Error::NotFound);
        }
        self.trace_action(&mut tx, actor, "group.remove_member", format!("{member} ← {}", g.name), None, client).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Suspend a grant (the partner's own suspension; it may resume it).
    pub async fn suspend_grant(&self, actor: &Actor, id: GrantId, client: &ClientInfo) -> Result<()> {
        self.set_state(actor, id, GrantState::Suspended, client).await
    }

    /// Resume a suspended grant; its holders are checked against the quotas again.
    pub async fn resume_grant(&self, actor: &Actor, id: GrantId, client: &ClientInfo) -> Result<()> {
        self.set_state(actor, id, GrantState::Active, client).await
    }

    async fn set_state(&self, actor: &Actor, id: GrantId, to: GrantState, client: &ClientInfo) -> Result<()> {
        let today = self.today();
        let mut tx = self.store.begin().await?;
        let (org, g, people) = grant_to_change(&mut tx, actor, id, today).await?;
        match (g.state, to) {
            (GrantState::Active, GrantState::Suspended) => {}
            (GrantState::Suspended, GrantState::Active) => {
                // Only the caisse lifts its own suspension (R21).
                if g.caisse_suspension.is_some() {
                    return Err(Error::Rule(Rule::CaisseSuspension));
                }
                self.ensure_open(&mut tx, org, g.service_id).await?;
                let (service, role) = service_and_role(&mut tx, &g).await?;
                check_quotas(&mut tx, org, &service, &role, &people, today).await?;
            }
            _ => return Err(Error::Refused(crate::Refusal::AlreadyDecided)),
        }
        tx.set_grant_state(id, to, None).await?;
        let action = if to == GrantState::Active { "grant.resume" } else { "grant.suspend" };
        self.trace_action(&mut tx, actor, action, id.to_string(), None, client).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A grant of the actor's organisation they may change, under the partner's lock: within
/// their mandate, and not one that gives them anything (R13). With the people it gives its
/// right to.
async fn grant_to_change<T: Transaction>(tx: &mut T, actor: &Actor, id: GrantId, today: Date) -> Result<(OrganisationId, Grant, Vec<AccountId>)> {
    let (org, powers) = powers_of(tx, actor, today).await?;
    tx.lock_organisation(org).await?;
    let g = tx.grant(id).await?.filter(|g| g.organisation_id == org).ok_or(Error::NotFound)?;
    if !powers.may_grant(g.service_role_id) {
        return Err(Error::Rule(Rule::OutsideMandate));
    }
    let people = people_of(tx, &g).await?;
    if people.contains(&actor.account.id) {
        return Err(Error::Rule(Rule::SelfGrant));
    }
    Ok((org, g, people))
}

impl<S: Store> App<S> {
    /// The people of the actor's organisation (its managers).
    pub async fn partner_people(&self, actor: &Actor) -> Result<Vec<Account>> {
        let mut tx = self.store.read().await?;
        let org = readable_org(&mut tx, actor, self.today()).await?;
        Ok(tx.accounts_of(org).await?)
    }

    /// Every quota of a partner with its use today (its managers, or its caisse's staff).
    pub async fn quota_use(&self, actor: &Actor, partner: OrganisationId) -> Result<Vec<QuotaUse>> {
        let file = self.partner_file(actor, partner).await?;
        let today = self.today();
        let mut tx = self.store.read().await?;
        let mut out = Vec::new();
        for (service, sub, _) in &file.services {
            let used = tx.holders(partner, service.id, None, today).await?.len() as i64;
            out.push(QuotaUse { service: service.code.clone(), role: None, used, allowed: sub.max_holders });
            let roles = tx.service_roles(service.id).await?;
            for (role_id, allowed) in &sub.role_quotas {
                let used = tx.holders(partner, service.id, Some(*role_id), today).await?.len() as i64;
                let code = roles.iter().find(|r| r.id == *role_id).map(|r| r.code.clone());
                out.push(QuotaUse { service: service.code.clone(), role: code, used, allowed: Some(*allowed) });
            }
        }
        Ok(out)
    }
}

impl<S: Store> App<S> {
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
        let first = DisplayName::parse(&input.first_name).map_err(|p| Error::invalid("first_name", p))?;
        let last = DisplayName::parse(&input.last_name).map_err(|p| Error::invalid("last_name", p))?;
        let email = Email::parse(&input.email).map_err(|p| Error::invalid("email", p))?;
        let function = optional_text(&input.function, 200).map_err(|p| Error::invalid("function", p))?;
        let mut tx = self.store.begin().await?;
        let mut target = self.user_to_manage(&mut tx, actor, id).await?;
        target.display_name = format!("{} {}", first.as_str(), last.as_str());
        target.email = email.as_str().into();
        target.function = function;
        tx.update_account(&target).await?;
        self.trace_action(&mut tx, actor, "user.update", target.login.clone(), None, client).await?;
        tx.commit().await?;
        Ok(target)
    }

    /// Suspend or reactivate a user, or send them a password-reset link.
    pub async fn user_action(&self, actor: &Actor, id: AccountId, action: UserAction, public_url: &str, client: &ClientInfo) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let target = self.user_to_manage(&mut tx, actor, id).await?;
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
                let token = self.issue_link(&mut tx, target.id, LinkPurpose::ResetPassword).await?;
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
        self.trace_action(&mut tx, actor, name, target.login.clone(), None, client).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A user of the actor's organisation that the actor may manage: with the users right,
    /// never oneself, never the administrator or deputy (only the caisse manages them, R14).
    async fn user_to_manage<T: Transaction>(&self, tx: &mut T, actor: &Actor, id: AccountId) -> Result<Account> {
        let (org, powers) = powers_of(tx, actor, self.today()).await?;
        if !powers.may_manage_users() {
            return Err(Error::Rule(Rule::OutsideMandate));
        }
        let target = tx.account(id).await?.filter(|a| a.organisation_id == org).ok_or(Error::NotFound)?;
        if target.id == actor.account.id {
            return Err(Error::Rule(Rule::SelfGrant));
        }
        if target.roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy)) {
            return Err(Error::Forbidden);
        }
        Ok(target)
    }
}

impl<S: Store> App<S> {
    /// Rename a group.
    pub async fn rename_group(&self, actor: &Actor, group: GroupId, name: &str, client: &ClientInfo) -> Result<()> {
        let name = DisplayName::parse(name).map_err(|p| Error::invalid("name", p))?;
        let mut tx = self.store.begin().await?;
        let (org, powers) = powers_of(&mut tx, actor, self.today()).await?;
        if !powers.may_manage_groups() {
            return Err(Error::Rule(Rule::OutsideMandate));
        }
        let g = tx.group(group).await?.filter(|g| g.organisation_id == org).ok_or(Error::NotFound)?;
        tx.rename_group(g.id, name.as_str()).await.map_err(|e| match e {
            crate::StoreError::Conflict(_) => Error::Taken("nom de groupe"),
            other => Error::Store(other),
        })?;
        self.trace_action(&mut tx, actor, "group.rename", format!("{} → {}", g.name, name.as_str()), None, client).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Delete a group that holds no grant any more (revoke its grants first: nobody loses
    /// a right without a trace of the grant that gave it).
    pub async fn delete_group(&self, actor: &Actor, group: GroupId, client: &ClientInfo) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let (org, powers) = powers_of(&mut tx, actor, self.today()).await?;
        if !powers.may_manage_groups() {
            return Err(Error::Rule(Rule::OutsideMandate));
        }
        let g = tx.group(group).await?.filter(|g| g.organisation_id == org).ok_or(Error::NotFound)?;
        if !tx.grants_of_group(g.id).await?.is_empty() {
            return Err(Error::Rule(Rule::GroupHoldsGrants));
        }
        tx.delete_group(g.id).await?;
        self.trace_action(&mut tx, actor, "group.delete", g.name.clone(), None, client).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Move a grant's end date (or remove it). Bringing an ended grant back to life adds
    /// its holders again, so the quotas are checked.
    pub async fn set_grant_end(&self, actor: &Actor, id: GrantId, ends_on: &str, client: &ClientInfo) -> Result<()> {
        let today = self.today();
        let ends_on = end_date(ends_on, today)?;
        let mut tx = self.store.begin().await?;
        let (org, g, people) = grant_to_change(&mut tx, actor, id, today).await?;
        if g.state == GrantState::Revoked {
            return Err(Error::Refused(crate::Refusal::AlreadyDecided));
        }
        let was_ended = g.ends_on.is_some_and(|d| d < today);
        if was_ended && g.state == GrantState::Active {
            self.ensure_open(&mut tx, org, g.service_id).await?;
            let (service, role) = service_and_role(&mut tx, &g).await?;
            check_quotas(&mut tx, org, &service, &role, &people, today).await?;
        }
        tx.set_grant_end(id, ends_on).await?;
        let detail = ends_on.map(|d| d.to_string()).unwrap_or_else(|| "none".into());
        self.trace_action(&mut tx, actor, "grant.end_date", id.to_string(), Some(detail), client).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl<S: Store> App<S> {
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
        Ok(PersonFile { account, grants, groups })
    }
}
