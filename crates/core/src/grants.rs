//! Delegated management, first part (R10, R11, R13): a partner's managers create users and
//! grant them a service in a role, for a stated purpose, within the caisse's quotas.
//!
//! The quota counts distinct people holding the service (and the role, where the role has
//! its own quota), directly or through a group. Every path that can add a holder takes the
//! partner's row lock first, then counts, then writes: two requests at once line up, so
//! the quota is never exceeded.

use serde::Serialize;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::auth::{Actor, App};
use crate::caisse::{ManagementMode, mode_on};
use crate::error::{Error, Result, Rule};
use crate::model::{Account, AccountId, AccountStatus, LinkPurpose, OrganisationId, OrganisationKind, OutboxMessage, Role, ServiceId, ServiceRoleId};
use crate::store::{Store, Transaction};
use crate::trace::ClientInfo;
use crate::values::{DisplayName, Email, Login, ValueError, optional_text, parse_date};

/// Where a grant stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantState {
    Active,
    Suspended,
    Revoked,
}

impl GrantState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantState::Active => "active",
            GrantState::Suspended => "suspended",
            GrantState::Revoked => "revoked",
        }
    }
    /// Parse the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(GrantState::Active),
            "suspended" => Some(GrantState::Suspended),
            "revoked" => Some(GrantState::Revoked),
            _ => None,
        }
    }
}

/// A right for one person (groups come next) to use one service in one role.
#[derive(Debug, Clone, Serialize)]
pub struct Grant {
    pub id: Uuid,
    pub organisation_id: OrganisationId,
    pub service_id: ServiceId,
    pub service_role_id: ServiceRoleId,
    pub holder_account_id: AccountId,
    pub purpose: String,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
    pub state: GrantState,
    pub created_by: AccountId,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub ended_at: Option<OffsetDateTime>,
}

/// Which quota refused, with its figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuotaExceeded {
    pub service: String,
    /// `None` for the service's own quota.
    pub role: Option<String>,
    pub used: i64,
    pub allowed: i64,
}

/// A user as typed by a manager.
#[derive(Debug, Clone, Default)]
pub struct UserInput {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub function: String,
    pub login: String,
}

/// The partner whose management `actor` may do: a partner administrator or deputy of a
/// partner in delegated mode. (Delegated managers act under mandates: next step.)
async fn managed_partner<T: Transaction>(tx: &mut T, actor: &Actor, today: Date) -> Result<OrganisationId> {
    let admin = actor.account.roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy));
    if actor.organisation.kind != OrganisationKind::Partner || !admin {
        return Err(Error::Forbidden);
    }
    let contracts = tx.contracts(actor.organisation.id).await?;
    let amendments = tx.amendments(actor.organisation.id).await?;
    if mode_on(&contracts, &amendments, today) != Some(ManagementMode::Delegated) {
        return Err(Error::Forbidden);
    }
    Ok(actor.organisation.id)
}

impl<S: Store> App<S> {
    /// Create a user of the manager's organisation; a one-time link goes to the outbox.
    pub async fn create_user(&self, actor: &Actor, input: &UserInput, public_url: &str, client: &ClientInfo) -> Result<Account> {
        let first = DisplayName::parse(&input.first_name).map_err(|p| Error::invalid("first_name", p))?;
        let last = DisplayName::parse(&input.last_name).map_err(|p| Error::invalid("last_name", p))?;
        let email = Email::parse(&input.email).map_err(|p| Error::invalid("email", p))?;
        let function = optional_text(&input.function, 200).map_err(|p| Error::invalid("function", p))?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let org = managed_partner(&mut tx, actor, self.today()).await?;
        let login = if input.login.trim().is_empty() {
            let base = format!("{}.{}", crate::onboarding::login_part(first.as_str()), crate::onboarding::login_part(last.as_str()));
            let base: String = base.chars().take(56).collect();
            let base = Login::parse(&base).map_err(|p| Error::invalid("login", p))?.as_str().to_string();
            let mut candidate = base.clone();
            let mut n = 1;
            while tx.account_by_login(&candidate).await?.is_some() {
                n += 1;
                candidate = format!("{base}{n}");
            }
            candidate
        } else {
            let l = Login::parse(&input.login).map_err(|p| Error::invalid("login", p))?;
            if tx.account_by_login(l.as_str()).await?.is_some() {
                return Err(Error::Taken("identifiant"));
            }
            l.as_str().to_string()
        };
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
        let body = format!(
            "Bonjour {},\n\n{} vous a créé un compte sur le portail Habilis pour « {} ».\nVotre identifiant : {}\n\n\
             Choisissez votre mot de passe avec ce lien, valable {} heures et utilisable une seule fois :\n{}/set-password?token={}\n",
            account.display_name,
            actor.account.display_name,
            actor.organisation.name,
            account.login,
            self.sessions.link_validity_hours,
            public_url.trim_end_matches('/'),
            token
        );
        tx.insert_outbox(&OutboxMessage {
            id: Uuid::now_v7(),
            organisation_id: Some(org),
            to_address: account.email.clone(),
            subject: "Habilis — votre compte".into(),
            body,
            status: "pending".into(),
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            created_at: now,
            sent_at: None,
        })
        .await?;
        self.trace_action(&mut tx, actor, "user.create", account.login.clone(), None, client).await?;
        tx.commit().await?;
        Ok(account)
    }

    /// Grant `holder` the service `service_code` in the role `role_code`, for a stated
    /// purpose and optionally until `ends_on` (R13). Refused outside delegated mode, on a
    /// closed service, to oneself, or beyond a quota (the error says which, with figures).
    #[allow(clippy::too_many_arguments)]
    pub async fn grant(
        &self,
        actor: &Actor,
        holder: AccountId,
        service_code: &str,
        role_code: &str,
        purpose: &str,
        ends_on: &str,
        client: &ClientInfo,
    ) -> Result<Grant> {
        let purpose = DisplayName::parse(purpose).map_err(|p| Error::invalid("purpose", p))?;
        let today = self.today();
        let ends_on = match ends_on.trim() {
            "" => None,
            raw => Some(parse_date(raw).map_err(|p| Error::invalid("ends_on", p))?),
        };
        if ends_on.is_some_and(|d| d < today) {
            return Err(Error::invalid("ends_on", ValueError::DateOrder));
        }
        if holder == actor.account.id {
            return Err(Error::Rule(Rule::SelfGrant));
        }
        let mut tx = self.store.begin().await?;
        let org = managed_partner(&mut tx, actor, today).await?;
        let person = tx.account(holder).await?.filter(|a| a.organisation_id == org).ok_or(Error::NotFound)?;
        let service = tx.service_by_code(service_code.trim()).await?.ok_or(Error::invalid("service", ValueError::BadFormat))?;
        let role = tx
            .service_roles(service.id)
            .await?
            .into_iter()
            .find(|r| r.code == role_code.trim())
            .ok_or(Error::Rule(Rule::RoleOfAnotherService))?;
        // Every path that adds a holder of this partner's rights lines up here.
        tx.lock_organisation(org).await?;
        self.ensure_open(&mut tx, org, service.id).await?;
        let sub = tx.subscription(org, service.id).await?.ok_or(Error::NotFound)?;
        if let Some(allowed) = sub.max_holders {
            let holders = tx.holders(org, service.id, None, today).await?;
            if !holders.contains(&person.id.0) && holders.len() as i64 >= allowed {
                return Err(Error::Quota(QuotaExceeded { service: service.code.clone(), role: None, used: holders.len() as i64, allowed }));
            }
        }
        if let Some((_, allowed)) = sub.role_quotas.iter().find(|(r, _)| *r == role.id) {
            let holders = tx.holders(org, service.id, Some(role.id), today).await?;
            if !holders.contains(&person.id.0) && holders.len() as i64 >= *allowed {
                return Err(Error::Quota(QuotaExceeded {
                    service: service.code.clone(),
                    role: Some(role.code.clone()),
                    used: holders.len() as i64,
                    allowed: *allowed,
                }));
            }
        }
        let now = self.now();
        let g = Grant {
            id: Uuid::now_v7(),
            organisation_id: org,
            service_id: service.id,
            service_role_id: role.id,
            holder_account_id: person.id,
            purpose: purpose.as_str().into(),
            starts_on: today,
            ends_on,
            state: GrantState::Active,
            created_by: actor.account.id,
            created_at: now,
            ended_at: None,
        };
        tx.insert_grant(&g).await?;
        let detail = format!("{} {} — {}", service.code, role.code, g.purpose);
        self.trace_action(&mut tx, actor, "grant.create", person.login.clone(), Some(detail), client).await?;
        tx.commit().await?;
        Ok(g)
    }

    /// The grants of the actor's organisation (its managers), newest first.
    pub async fn grants(&self, actor: &Actor) -> Result<Vec<Grant>> {
        let mut tx = self.store.read().await?;
        if actor.organisation.kind != OrganisationKind::Partner || !actor.account.roles.iter().any(|r| r.is_manager()) {
            return Err(Error::Forbidden);
        }
        Ok(tx.grants_of(actor.organisation.id).await?)
    }

    /// Revoke a grant at once; the record stays (retention, R61).
    pub async fn revoke_grant(&self, actor: &Actor, id: Uuid, client: &ClientInfo) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let org = managed_partner(&mut tx, actor, self.today()).await?;
        let g = tx.grant(id).await?.filter(|g| g.organisation_id == org).ok_or(Error::NotFound)?;
        if g.holder_account_id == actor.account.id {
            return Err(Error::Rule(Rule::SelfGrant));
        }
        if g.state == GrantState::Revoked {
            return Err(Error::Refused(crate::Refusal::AlreadyDecided));
        }
        tx.set_grant_state(id, GrantState::Revoked, Some(self.now())).await?;
        self.trace_action(&mut tx, actor, "grant.revoke", id.to_string(), None, client).await?;
        tx.commit().await?;
        Ok(())
    }
}
