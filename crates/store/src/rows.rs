//! Row shapes as stored, and their conversion to domain records.

use habilis_core::StoreError;
use habilis_core::clock::from_micros;
use habilis_core::records::*;
use habilis_core::store::StoreResult;
use habilis_core::trace::{Outcome, TraceEntry, TraceRecord};
use uuid::Uuid;

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("unknown {what} {value:?}"))
}

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
pub(crate) struct ServiceRow {
    id: Uuid,
    code: String,
    label: String,
    description: String,
}

impl ServiceRow {
    pub(crate) fn into_domain(self) -> Service {
        Service { id: ServiceId(self.id), code: self.code, label: self.label, description: self.description }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ServiceRoleRow {
    id: Uuid,
    service_id: Uuid,
    code: String,
    label: String,
}

impl ServiceRoleRow {
    pub(crate) fn into_domain(self) -> ServiceRole {
        ServiceRole { id: ServiceRoleId(self.id), service_id: ServiceId(self.service_id), code: self.code, label: self.label }
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

#[derive(sqlx::FromRow)]
pub(crate) struct TraceRow {
    chain_id: Uuid,
    seq: i64,
    id: Uuid,
    at: i64,
    actor_id: Option<Uuid>,
    actor_login: Option<String>,
    organisation_id: Option<Uuid>,
    session_id: Option<Uuid>,
    client_addr: Option<String>,
    user_agent: Option<String>,
    action: String,
    target: Option<String>,
    outcome: String,
    detail: Option<String>,
    prev_seal: Vec<u8>,
    seal: Vec<u8>,
}

impl TraceRow {
    pub(crate) fn into_record(self) -> StoreResult<TraceRecord> {
        let outcome = match self.outcome.as_str() {
            "success" => Outcome::Success,
            "failure" => Outcome::Failure,
            "refused" => Outcome::Refused,
            other => return Err(corrupt("outcome", other)),
        };
        Ok(TraceRecord {
            entry: TraceEntry {
                id: self.id,
                at: from_micros(self.at),
                actor_id: self.actor_id.map(AccountId),
                actor_login: self.actor_login,
                organisation_id: self.organisation_id.map(OrganisationId),
                session_id: self.session_id.map(SessionId),
                client_addr: self.client_addr,
                user_agent: self.user_agent,
                action: self.action,
                target: self.target,
                outcome,
                detail: self.detail,
            },
            chain_id: self.chain_id,
            seq: self.seq,
            prev_seal: self.prev_seal,
            seal: self.seal,
        })
    }
}

fn date(s: &str) -> StoreResult<time::Date> {
    habilis_core::values::parse_date(s).map_err(|_| corrupt("date", s))
}

fn opt_date(s: Option<String>) -> StoreResult<Option<time::Date>> {
    s.as_deref().map(date).transpose()
}

fn mode(s: &str) -> StoreResult<ManagementMode> {
    ManagementMode::parse(s).ok_or_else(|| corrupt("mode", s))
}

#[derive(sqlx::FromRow)]
pub(crate) struct ConventionRow {
    id: Uuid,
    partner_id: Uuid,
    number: String,
    signed_on: String,
    signatories: String,
}

impl ConventionRow {
    pub(crate) fn into_domain(self) -> StoreResult<Convention> {
        Ok(Convention {
            id: ConventionId(self.id),
            partner_id: OrganisationId(self.partner_id),
            number: self.number,
            signed_on: date(&self.signed_on)?,
            signatories: self.signatories,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ContractRow {
    id: Uuid,
    convention_id: Uuid,
    partner_id: Uuid,
    mode: String,
    signed_on: String,
    signatories: String,
}

impl ContractRow {
    pub(crate) fn into_domain(self) -> StoreResult<ServiceContract> {
        Ok(ServiceContract {
            id: ContractId(self.id),
            convention_id: ConventionId(self.convention_id),
            partner_id: OrganisationId(self.partner_id),
            mode: mode(&self.mode)?,
            signed_on: date(&self.signed_on)?,
            signatories: self.signatories,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AmendmentRow {
    id: Uuid,
    contract_id: Uuid,
    partner_id: Uuid,
    mode: String,
    signed_on: String,
    effective_on: String,
    reason: String,
}

impl AmendmentRow {
    pub(crate) fn into_domain(self) -> StoreResult<Amendment> {
        Ok(Amendment {
            id: AmendmentId(self.id),
            contract_id: ContractId(self.contract_id),
            partner_id: OrganisationId(self.partner_id),
            mode: mode(&self.mode)?,
            signed_on: date(&self.signed_on)?,
            effective_on: date(&self.effective_on)?,
            reason: self.reason,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SubscriptionRow {
    id: Uuid,
    partner_id: Uuid,
    service_id: Uuid,
    signed_on: Option<String>,
    formalities_reference: Option<String>,
    formalities_on: Option<String>,
    available_from: Option<String>,
    max_holders: Option<i64>,
}

impl SubscriptionRow {
    pub(crate) fn id(&self) -> Uuid {
        self.id
    }
    pub(crate) fn into_domain(self, quotas: Vec<(Uuid, i64)>) -> StoreResult<Subscription> {
        Ok(Subscription {
            id: SubscriptionId(self.id),
            partner_id: OrganisationId(self.partner_id),
            service_id: ServiceId(self.service_id),
            signed_on: opt_date(self.signed_on)?,
            formalities_reference: self.formalities_reference,
            formalities_on: opt_date(self.formalities_on)?,
            available_from: opt_date(self.available_from)?,
            max_holders: self.max_holders,
            role_quotas: quotas.into_iter().map(|(r, n)| (ServiceRoleId(r), n)).collect(),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct OutboxRow {
    id: Uuid,
    organisation_id: Option<Uuid>,
    to_address: String,
    subject: String,
    body: String,
    status: String,
    attempts: i64,
    next_attempt_at: i64,
    last_error: Option<String>,
    created_at: i64,
    sent_at: Option<i64>,
}

impl OutboxRow {
    pub(crate) fn into_domain(self) -> OutboxMessage {
        OutboxMessage {
            id: MessageId(self.id),
            organisation_id: self.organisation_id.map(OrganisationId),
            to_address: self.to_address,
            subject: self.subject,
            body: self.body,
            status: self.status,
            attempts: self.attempts,
            next_attempt_at: from_micros(self.next_attempt_at),
            last_error: self.last_error,
            created_at: from_micros(self.created_at),
            sent_at: self.sent_at.map(from_micros),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ChangeRequestRow {
    id: Uuid,
    partner_id: Uuid,
    requested_by: Uuid,
    first_name: String,
    last_name: String,
    function: String,
    slot: String,
    replaces_account_id: Option<Uuid>,
    phone: Option<String>,
    mobile: Option<String>,
    email: String,
    status: String,
    decided_by: Option<Uuid>,
    decided_at: Option<i64>,
    decision_reason: Option<String>,
    created_at: i64,
}

impl ChangeRequestRow {
    pub(crate) fn into_domain(self) -> StoreResult<ChangeRequest> {
        Ok(ChangeRequest {
            id: ChangeRequestId(self.id),
            partner_id: OrganisationId(self.partner_id),
            requested_by: AccountId(self.requested_by),
            first_name: self.first_name,
            last_name: self.last_name,
            function: self.function,
            slot: Slot::parse(&self.slot).ok_or_else(|| corrupt("slot", &self.slot))?,
            replaces: self.replaces_account_id.map(AccountId),
            phone: self.phone,
            mobile: self.mobile,
            email: self.email,
            status: RequestStatus::parse(&self.status).ok_or_else(|| corrupt("request status", &self.status))?,
            decided_by: self.decided_by.map(AccountId),
            decided_at: self.decided_at.map(from_micros),
            decision_reason: self.decision_reason,
            created_at: from_micros(self.created_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct GrantRow {
    id: Uuid,
    organisation_id: Uuid,
    service_id: Uuid,
    service_role_id: Uuid,
    holder_account_id: Option<Uuid>,
    purpose: String,
    starts_on: String,
    ends_on: Option<String>,
    state: String,
    created_by: Uuid,
    created_at: i64,
    ended_at: Option<i64>,
    holder_group_id: Option<Uuid>,
    created_under: Option<Uuid>,
    suspension_reason: Option<String>,
}

impl GrantRow {
    pub(crate) fn into_domain(self) -> StoreResult<Grant> {
        Ok(Grant {
            id: GrantId(self.id),
            organisation_id: OrganisationId(self.organisation_id),
            service_id: ServiceId(self.service_id),
            service_role_id: ServiceRoleId(self.service_role_id),
            holder_account_id: self.holder_account_id.map(AccountId),
            holder_group_id: self.holder_group_id.map(habilis_core::records::GroupId),
            created_under: self.created_under.map(MandateId),
            purpose: self.purpose,
            starts_on: date(&self.starts_on)?,
            ends_on: opt_date(self.ends_on)?,
            state: GrantState::parse(&self.state).ok_or_else(|| corrupt("grant state", &self.state))?,
            created_by: AccountId(self.created_by),
            created_at: from_micros(self.created_at),
            ended_at: self.ended_at.map(from_micros),
            caisse_suspension: self.suspension_reason,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct MandateRow {
    id: Uuid,
    organisation_id: Uuid,
    holder_id: Uuid,
    given_by: Uuid,
    parent_mandate_id: Option<Uuid>,
    may_manage_users: bool,
    may_manage_groups: bool,
    may_delegate: bool,
    scope: String,
    created_at: i64,
    withdrawn_at: Option<i64>,
}

impl MandateRow {
    pub(crate) fn into_domain(self) -> StoreResult<habilis_core::records::Mandate> {
        let scope = self
            .scope
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| Uuid::parse_str(s).map(ServiceRoleId).map_err(|_| corrupt("mandate scope", s)))
            .collect::<StoreResult<_>>()?;
        Ok(habilis_core::records::Mandate {
            id: MandateId(self.id),
            organisation_id: OrganisationId(self.organisation_id),
            holder_id: AccountId(self.holder_id),
            given_by: AccountId(self.given_by),
            parent_id: self.parent_mandate_id.map(MandateId),
            scope,
            may_manage_users: self.may_manage_users,
            may_manage_groups: self.may_manage_groups,
            may_delegate: self.may_delegate,
            created_at: from_micros(self.created_at),
            withdrawn_at: self.withdrawn_at.map(from_micros),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct QueryRow {
    id: Uuid,
    grant_id: Uuid,
    partner_id: Uuid,
    question: String,
    due_on: String,
    auto_suspend: bool,
    status: String,
    answer: Option<String>,
    answered_by: Option<Uuid>,
    answered_at: Option<i64>,
    created_by: Uuid,
    created_at: i64,
    closed_at: Option<i64>,
    auto_suspended_at: Option<i64>,
}

impl QueryRow {
    pub(crate) fn into_domain(self) -> StoreResult<habilis_core::records::Query> {
        Ok(habilis_core::records::Query {
            id: QueryId(self.id),
            grant_id: GrantId(self.grant_id),
            partner_id: OrganisationId(self.partner_id),
            question: self.question,
            due_on: date(&self.due_on)?,
            auto_suspend: self.auto_suspend,
            status: QueryStatus::parse(&self.status).ok_or_else(|| corrupt("query status", &self.status))?,
            answer: self.answer,
            answered_by: self.answered_by.map(AccountId),
            answered_at: self.answered_at.map(from_micros),
            created_by: AccountId(self.created_by),
            created_at: from_micros(self.created_at),
            closed_at: self.closed_at.map(from_micros),
            auto_suspended_at: self.auto_suspended_at.map(from_micros),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AccessRequestRow {
    id: Uuid,
    organisation_id: Uuid,
    requester_id: Uuid,
    superior_id: Uuid,
    reason: Option<String>,
    status: String,
    due_on: String,
    created_at: i64,
    forwarded_at: Option<i64>,
    answered_by: Option<Uuid>,
    answered_at: Option<i64>,
}

impl AccessRequestRow {
    pub(crate) fn into_domain(self) -> StoreResult<habilis_core::records::AccessRequest> {
        Ok(habilis_core::records::AccessRequest {
            id: AccessRequestId(self.id),
            organisation_id: OrganisationId(self.organisation_id),
            requester_id: AccountId(self.requester_id),
            superior_id: AccountId(self.superior_id),
            reason: self.reason,
            status: AccessStatus::parse(&self.status).ok_or_else(|| corrupt("request status", &self.status))?,
            due_on: date(&self.due_on)?,
            created_at: from_micros(self.created_at),
            forwarded_at: self.forwarded_at.map(from_micros),
            answered_by: self.answered_by.map(AccountId),
            answered_at: self.answered_at.map(from_micros),
        })
    }
}
