//! Rows of organisations, accounts, sessions, one-time links and directory contacts.

use habilis_core::clock::from_micros;
use habilis_core::records::*;
use habilis_core::store::StoreResult;
use uuid::Uuid;

use super::corrupt;

#[derive(sqlx::FromRow)]
pub(crate) struct OrganisationRow {
    id: Uuid,
    kind: String,
    name: String,
    parent_id: Option<Uuid>,
    siret: Option<String>,
    city: Option<String>,
    address: Option<String>,
}

impl OrganisationRow {
    pub(crate) fn into_domain(self) -> StoreResult<Organisation> {
        Ok(Organisation {
            id: OrganisationId(self.id),
            kind: OrganisationKind::parse(&self.kind).ok_or_else(|| corrupt("organisation kind", &self.kind))?,
            name: self.name,
            parent_id: self.parent_id.map(OrganisationId),
            siret: self.siret,
            city: self.city,
            address: self.address,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AccountRow {
    id: Uuid,
    organisation_id: Uuid,
    login: String,
    display_name: String,
    email: String,
    function: Option<String>,
    status: String,
    password_hash: Option<String>,
    must_change_password: bool,
    last_login_at: Option<i64>,
    created_at: i64,
}

impl AccountRow {
    pub(crate) fn id(&self) -> Uuid {
        self.id
    }
    pub(crate) fn into_domain(self, roles: Vec<String>) -> StoreResult<Account> {
        let roles = roles
            .iter()
            .map(|r| Role::parse(r).ok_or_else(|| corrupt("role", r)))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Account {
            id: AccountId(self.id),
            organisation_id: OrganisationId(self.organisation_id),
            login: self.login,
            display_name: self.display_name,
            email: self.email,
            function: self.function,
            status: AccountStatus::parse(&self.status).ok_or_else(|| corrupt("account status", &self.status))?,
            password_hash: self.password_hash,
            must_change_password: self.must_change_password,
            roles,
            last_login_at: self.last_login_at.map(from_micros),
            created_at: from_micros(self.created_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    id: Uuid,
    token_hash: Vec<u8>,
    account_id: Uuid,
    organisation_id: Uuid,
    csrf_token: String,
    created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    ended_at: Option<i64>,
    end_reason: Option<String>,
    client_addr: Option<String>,
    user_agent: Option<String>,
    pending_step: Option<String>,
}

impl SessionRow {
    pub(crate) fn into_domain(self) -> Session {
        Session {
            id: SessionId(self.id),
            account_id: AccountId(self.account_id),
            organisation_id: OrganisationId(self.organisation_id),
            token_hash: self.token_hash,
            csrf_token: self.csrf_token,
            created_at: from_micros(self.created_at),
            last_seen_at: from_micros(self.last_seen_at),
            expires_at: from_micros(self.expires_at),
            ended_at: self.ended_at.map(from_micros),
            end_reason: self.end_reason,
            client_addr: self.client_addr,
            user_agent: self.user_agent,
            pending_step: self.pending_step.as_deref().and_then(PendingStep::parse),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SecondFactorRow {
    account_id: Uuid,
    secret: Option<Vec<u8>>,
    pending_secret: Option<Vec<u8>>,
    confirmed_at: Option<i64>,
    last_step: i64,
}

impl SecondFactorRow {
    pub(crate) fn into_domain(self) -> SecondFactor {
        SecondFactor {
            account_id: AccountId(self.account_id),
            secret: self.secret,
            pending_secret: self.pending_secret,
            confirmed_at: self.confirmed_at.map(from_micros),
            last_step: self.last_step,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct LinkRow {
    id: Uuid,
    account_id: Uuid,
    token_hash: Vec<u8>,
    purpose: String,
    created_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
}

impl LinkRow {
    pub(crate) fn into_domain(self) -> StoreResult<PasswordLink> {
        let purpose = match self.purpose.as_str() {
            "set_password" => LinkPurpose::SetPassword,
            "reset_password" => LinkPurpose::ResetPassword,
            other => return Err(corrupt("link purpose", other)),
        };
        Ok(PasswordLink {
            id: LinkId(self.id),
            account_id: AccountId(self.account_id),
            token_hash: self.token_hash,
            purpose,
            created_at: from_micros(self.created_at),
            expires_at: from_micros(self.expires_at),
            used_at: self.used_at.map(from_micros),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ContactRow {
    id: Uuid,
    organisation_id: Uuid,
    function: String,
    name: String,
    title: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

impl ContactRow {
    pub(crate) fn into_domain(self) -> Contact {
        Contact {
            id: ContactId(self.id),
            organisation_id: OrganisationId(self.organisation_id),
            function: self.function,
            name: self.name,
            title: self.title,
            email: self.email,
            phone: self.phone,
        }
    }
}
