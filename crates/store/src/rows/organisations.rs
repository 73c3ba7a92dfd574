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

/// An account's roles as one column of a query on `accounts` (aliased `$a`): in order,
/// joined by commas, NULL for none (`string_agg`, in both PostgreSQL and SQLite ≥ 3.44).
/// Read with the account in one statement: one exchange with PostgreSQL instead of two.
macro_rules! roles_of {
    ($a:literal) => {
        concat!("(SELECT string_agg(role, ',' ORDER BY role) FROM account_roles r WHERE r.account_id = ", $a, ".id)")
    };
}
pub(crate) use roles_of;

/// An account and its roles (`roles_of!`) in one statement.
macro_rules! account_with_roles {
    () => {
        concat!(
            "SELECT id, organisation_id, login, display_name, email, function, status, password_hash, \
             must_change_password, last_login_at, created_at, ",
            roles_of!("accounts"),
            " AS roles FROM accounts"
        )
    };
}
pub(crate) use account_with_roles;

/// An account read with its roles in the same statement (`roles`: the roles in order,
/// joined by commas; none: NULL). Role names hold no comma.
#[derive(sqlx::FromRow)]
pub(crate) struct AccountRolesRow {
    #[sqlx(flatten)]
    account: AccountRow,
    roles: Option<String>,
}

impl AccountRolesRow {
    pub(crate) fn into_domain(self) -> StoreResult<Account> {
        let roles = self.roles.map(|r| r.split(',').map(str::to_owned).collect()).unwrap_or_default();
        self.account.into_domain(roles)
    }
}

/// An organisation, and whether an account has a second factor enrolled
/// (`give_back_attempt_reading`).
#[derive(sqlx::FromRow)]
pub(crate) struct OrganisationEnrolledRow {
    #[sqlx(flatten)]
    organisation: OrganisationRow,
    enrolled: bool,
}

impl OrganisationEnrolledRow {
    pub(crate) fn into_domain(self) -> StoreResult<(Organisation, bool)> {
        Ok((self.organisation.into_domain()?, self.enrolled))
    }
}

/// A sign-in's first read (`Store::sign_in_state`): a login's throttle, if it has one, and
/// the account of that login with its roles, if there is one, in one row.
pub(crate) struct SignInStateRow {
    throttle: Option<(i64, Option<i64>, i64, Option<i64>)>,
    account: Option<AccountRolesRow>,
}

impl SignInStateRow {
    /// `$1`: the throttle's key; `$2`: the login (NULL: no account is looked for). One row
    /// always, its columns NULL for what is not there.
    pub(crate) const QUERY: &'static str = concat!(
        "SELECT t.attempts_in_window AS t_attempts, t.window_started_at AS t_window, \
         t.consecutive_failures AS t_failures, t.not_before AS t_not_before, a.* \
         FROM (SELECT 1 AS one) k LEFT JOIN login_throttle t ON t.login = $1 LEFT JOIN (",
        account_with_roles!(),
        " WHERE login = $2) a ON TRUE"
    );

    pub(crate) fn into_domain(self) -> StoreResult<(Option<LoginThrottle>, Option<Account>)> {
        let throttle = self.throttle.map(|(attempts, window, failures, not_before)| LoginThrottle {
            attempts_in_window: attempts,
            window_started_at: window.map(from_micros),
            consecutive_failures: failures,
            not_before: not_before.map(from_micros),
        });
        Ok((throttle, self.account.map(AccountRolesRow::into_domain).transpose()?))
    }
}

impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for SignInStateRow
where
    &'r str: sqlx::ColumnIndex<R>,
    Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<Uuid>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    AccountRolesRow: sqlx::FromRow<'r, R>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        let attempts: Option<i64> = row.try_get("t_attempts")?;
        let failures: Option<i64> = row.try_get("t_failures")?;
        let throttle = match (attempts, failures) {
            (Some(a), Some(f)) => Some((a, row.try_get("t_window")?, f, row.try_get("t_not_before")?)),
            _ => None,
        };
        let id: Option<Uuid> = row.try_get("id")?;
        let account = if id.is_some() { Some(AccountRolesRow::from_row(row)?) } else { None };
        Ok(SignInStateRow { throttle, account })
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

/// A session with its account (and roles) and organisation, read in one statement
/// (`Store::signed_in`): the account's columns prefixed `a_`, the organisation's `o_`.
#[derive(sqlx::FromRow)]
pub(crate) struct SignedInRow {
    #[sqlx(flatten)]
    session: SessionRow,
    a_login: String,
    a_display_name: String,
    a_email: String,
    a_function: Option<String>,
    a_status: String,
    a_password_hash: Option<String>,
    a_must_change_password: bool,
    a_last_login_at: Option<i64>,
    a_created_at: i64,
    a_organisation_id: Uuid,
    a_roles: Option<String>,
    o_kind: String,
    o_name: String,
    o_parent_id: Option<Uuid>,
    o_siret: Option<String>,
    o_city: Option<String>,
    o_address: Option<String>,
}

impl SignedInRow {
    /// The session whose token has the digest `$1`, with its account and organisation.
    pub(crate) const QUERY: &'static str = concat!(
        "SELECT s.*, a.login AS a_login, a.display_name AS a_display_name, a.email AS a_email, \
         a.function AS a_function, a.status AS a_status, a.password_hash AS a_password_hash, \
         a.must_change_password AS a_must_change_password, a.last_login_at AS a_last_login_at, \
         a.created_at AS a_created_at, a.organisation_id AS a_organisation_id, ",
        roles_of!("a"),
        " AS a_roles, o.kind AS o_kind, o.name AS o_name, o.parent_id AS o_parent_id, o.siret AS o_siret, \
         o.city AS o_city, o.address AS o_address \
         FROM sessions s JOIN accounts a ON a.id = s.account_id JOIN organisations o ON o.id = s.organisation_id \
         WHERE s.token_hash = $1"
    );

    pub(crate) fn into_domain(self) -> StoreResult<(Session, Account, Organisation)> {
        let account = AccountRolesRow {
            account: AccountRow {
                id: self.session.account_id,
                organisation_id: self.a_organisation_id,
                login: self.a_login,
                display_name: self.a_display_name,
                email: self.a_email,
                function: self.a_function,
                status: self.a_status,
                password_hash: self.a_password_hash,
                must_change_password: self.a_must_change_password,
                last_login_at: self.a_last_login_at,
                created_at: self.a_created_at,
            },
            roles: self.a_roles,
        }
        .into_domain()?;
        let organisation = OrganisationRow {
            id: self.session.organisation_id,
            kind: self.o_kind,
            name: self.o_name,
            parent_id: self.o_parent_id,
            siret: self.o_siret,
            city: self.o_city,
            address: self.o_address,
        }
        .into_domain()?;
        Ok((self.session.into_domain(), account, organisation))
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
