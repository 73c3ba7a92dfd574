//! The caisse's own staff (issue 12, item 1; Art. 2.2.1, 3, 5.1, 5.3.3): its habilitation
//! administrators appoint the caisse's administrators, trace auditors, service-desk agents
//! and security officer, with the same one-time link as everyone, suspend, reactivate and
//! deactivate them, and change their roles. Nobody gives himself the trace-auditor role;
//! the caisse always keeps an active administrator. The national level (Cnaf) has trace
//! auditors and service-desk agents, appointed by the operator (`habilis staff add`).

use crate::app::App;
use crate::commands::StaffInput;
use crate::error::{Error, Result, Rule};
use crate::reach::caisse_admin_of;
use crate::records::*;
use crate::shared::{ensure_email_free, field, unique_login};
use crate::store::*;
use crate::trace::*;
use crate::values::*;

/// The roles an organisation of `kind` gives its staff.
pub fn staff_roles(kind: OrganisationKind) -> &'static [Role] {
    match kind {
        OrganisationKind::Caisse => &[Role::CaisseAdmin, Role::TraceAuditor, Role::ServiceDesk, Role::SecurityOfficer],
        OrganisationKind::National => &[Role::TraceAuditor, Role::ServiceDesk],
        OrganisationKind::Partner => &[],
    }
}

/// The roles named, each one known and given by organisations of `kind`; at least one.
fn parse_roles(kind: OrganisationKind, names: &[String]) -> Result<Vec<Role>> {
    let mut roles = Vec::new();
    for n in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        let role = Role::parse(n).ok_or(Error::invalid("roles", ValueError::BadFormat))?;
        if !staff_roles(kind).contains(&role) {
            return Err(Error::Rule(Rule::RoleOfAnotherSide));
        }
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    if roles.is_empty() {
        return Err(Error::invalid("roles", ValueError::Empty));
    }
    Ok(roles)
}

/// A change of a staff member's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffAction {
    Suspend,
    Reactivate,
    Deactivate,
}

impl<S: Store> App<S> {
    /// The staff of the actor's caisse (its administrators), deactivated ones included.
    pub async fn staff(&self, actor: &Actor) -> Result<Vec<Account>> {
        let caisse = caisse_admin_of(actor)?;
        let mut tx = self.store.read().await?;
        let mut people = tx.accounts_of(caisse).await?;
        people.sort_by(|a, b| (a.status == AccountStatus::Deactivated, &a.display_name).cmp(&(b.status == AccountStatus::Deactivated, &b.display_name)));
        Ok(people)
    }

    /// Appoint a member of the actor's caisse: the account and the link to choose a
    /// password, sent by e-mail, in one transaction with its trace.
    pub async fn appoint_staff(&self, actor: &Actor, input: &StaffInput, public_url: &str, client: &ClientInfo) -> Result<Account> {
        let caisse = caisse_admin_of(actor)?;
        let mut tx = self.store.begin().await?;
        let org = tx.organisation(caisse).await?.ok_or(Error::NotFound)?;
        // Nobody appoints himself: a new account is never the actor.
        let (account, _) = self.appoint_in(&mut tx, &org, Some(actor.account.id), input, public_url).await?;
        self.trace_action(&mut tx, actor, "staff.appoint", account.login.clone(), Some(roles_text(&account.roles)), client).await?;
        tx.commit().await?;
        Ok(account)
    }

    /// Appoint a member of `org` (a caisse or the national level) inside `tx`: parse,
    /// check, create, send the link (returned too). `by` is who appoints (None: the
    /// operator's CLI).
    pub(crate) async fn appoint_in<T: Transaction>(&self, tx: &mut T, org: &Organisation, by: Option<AccountId>, input: &StaffInput, public_url: &str) -> Result<(Account, String)> {
        let first = field("first_name", DisplayName::parse(&input.first_name))?;
        let last = field("last_name", DisplayName::parse(&input.last_name))?;
        let email = field("email", Email::parse(&input.email))?;
        let function = crate::values::optional_text(&input.function, 200).map_err(|p| Error::invalid("function", p))?;
        let roles = parse_roles(org.kind, &input.roles)?;
        let wanted = match input.login.trim() {
            "" => None,
            raw => Some(field("login", Login::parse(raw))?),
        };
        ensure_email_free(tx, org.id, email.as_str(), None).await?;
        let login = unique_login(tx, org, wanted.as_ref(), first.as_str(), last.as_str()).await?;
        let now = self.now();
        let name = format!("{} {}", first.as_str(), last.as_str());
        let account = crate::shared::insert_new_account(tx, org.id, login, name, email.as_str(), function, roles, now).await?;
        let token = self.issue_link(tx, account.id, LinkPurpose::SetPassword).await?;
        let appointer = match by {
            Some(id) => tx.account(id).await?.map(|a| a.display_name).unwrap_or_default(),
            None => "L'exploitant du portail".into(),
        };
        let body = format!(
            "Bonjour {},\n\n{} vous a désigné(e) sur le portail Habilis pour « {} » ({}).\nVotre identifiant : {}\n\n\
             Choisissez votre mot de passe avec ce lien, valable {} heures et utilisable une seule fois :\n{}/set-password?token={}\n",
            account.display_name,
            appointer,
            org.name,
            roles_text(&account.roles),
            account.login,
            self.sessions.link_validity_hours,
            public_url.trim_end_matches('/'),
            token
        );
        tx.insert_outbox(&OutboxMessage::pending(Some(org.id), &account.email, "Habilis — votre compte", body, now)).await?;
        Ok((account, token))
    }

    /// Change the roles of a member of the actor's caisse. A caisse administrator never
    /// gives himself the trace-auditor role, and the caisse keeps an active administrator.
    pub async fn set_staff_roles(&self, actor: &Actor, id: AccountId, roles: &[String], client: &ClientInfo) -> Result<Account> {
        let caisse = caisse_admin_of(actor)?;
        let mut tx = self.store.begin().await?;
        // Two administrators changing roles at once line up here.
        tx.lock_organisation(caisse).await?;
        let mut target = tx.account(id).await?.filter(|a| a.organisation_id == caisse).ok_or(Error::NotFound)?;
        let roles = parse_roles(OrganisationKind::Caisse, roles)?;
        if target.id == actor.account.id && roles.contains(&Role::TraceAuditor) && !target.roles.contains(&Role::TraceAuditor) {
            return Err(Error::Rule(Rule::SelfAuditor));
        }
        if target.roles.contains(&Role::CaisseAdmin) && !roles.contains(&Role::CaisseAdmin) {
            ensure_another_admin(&mut tx, caisse, target.id).await?;
        }
        let before = roles_text(&target.roles);
        target.roles = roles;
        tx.set_account_roles(target.id, &target.roles).await?;
        let detail = format!("{before} → {}", roles_text(&target.roles));
        self.trace_action(&mut tx, actor, "staff.roles", target.login.clone(), Some(detail), client).await?;
        tx.commit().await?;
        Ok(target)
    }

    /// Suspend, reactivate or deactivate a member of the actor's caisse (never oneself).
    /// Their sessions end when they stop.
    pub async fn staff_action(&self, actor: &Actor, id: AccountId, action: StaffAction, client: &ClientInfo) -> Result<()> {
        let caisse = caisse_admin_of(actor)?;
        let mut tx = self.store.begin().await?;
        tx.lock_organisation(caisse).await?;
        let target = tx.account(id).await?.filter(|a| a.organisation_id == caisse).ok_or(Error::NotFound)?;
        if target.id == actor.account.id {
            return Err(Error::Forbidden);
        }
        let to = match (target.status, action) {
            (AccountStatus::Active, StaffAction::Suspend) => AccountStatus::Suspended,
            (AccountStatus::Suspended, StaffAction::Reactivate) => AccountStatus::Active,
            (AccountStatus::Active | AccountStatus::Suspended, StaffAction::Deactivate) => AccountStatus::Deactivated,
            _ => return Err(Error::Refused(crate::Refusal::AlreadyDecided)),
        };
        if to != AccountStatus::Active && target.roles.contains(&Role::CaisseAdmin) {
            ensure_another_admin(&mut tx, caisse, target.id).await?;
        }
        let now = self.now();
        tx.set_account_status(target.id, to).await?;
        if to != AccountStatus::Active {
            let reason = if to == AccountStatus::Suspended { "account_suspended" } else { "account_deactivated" };
            tx.end_sessions_of_account(target.id, None, now, reason).await?;
        }
        if to == AccountStatus::Deactivated {
            // Deactivating anyone ends whatever rights they hold (issue 12, item 6).
            crate::shared::end_rights_of(&mut tx, caisse, target.id, actor.account.id, now).await?;
        }
        let verb = match action {
            StaffAction::Suspend => "staff.suspend",
            StaffAction::Reactivate => "staff.reactivate",
            StaffAction::Deactivate => "staff.deactivate",
        };
        self.trace_action(&mut tx, actor, verb, target.login.clone(), None, client).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The operator appoints a member of any caisse or of the national level, by the
    /// organisation's exact name (`habilis staff add`). Returns the account and the link.
    pub async fn appoint_staff_as_operator(&self, organisation: &str, input: &StaffInput, public_url: &str) -> Result<(Account, String)> {
        let mut tx = self.store.begin().await?;
        let org = tx.organisation_by_name(organisation.trim()).await?.ok_or(Error::NotFound)?;
        if org.kind == OrganisationKind::Partner {
            return Err(Error::Rule(Rule::RoleOfAnotherSide));
        }
        // The link goes to the outbox; the operator also gets it, as with `init`.
        let (account, token) = self.appoint_in(&mut tx, &org, None, input, public_url).await?;
        let mut e = TraceEntry::new(self.now(), "staff.appoint", Outcome::Success, &ClientInfo::default());
        e.organisation_id = Some(org.id);
        e.target = Some(account.login.clone());
        e.detail = Some(format!("{} (par l'exploitant)", roles_text(&account.roles)));
        tx.append_trace(&e).await?;
        tx.commit().await?;
        Ok((account, token))
    }
}

/// Refuse to leave the caisse without another active habilitation administrator.
async fn ensure_another_admin<T: Transaction>(tx: &mut T, caisse: OrganisationId, leaving: AccountId) -> Result<()> {
    let others = tx
        .accounts_of(caisse)
        .await?
        .into_iter()
        .any(|a| a.id != leaving && a.status == AccountStatus::Active && a.roles.contains(&Role::CaisseAdmin));
    if others { Ok(()) } else { Err(Error::Rule(Rule::LastCaisseAdmin)) }
}

/// The roles as stored names, for traces and messages.
fn roles_text(roles: &[Role]) -> String {
    roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
}
