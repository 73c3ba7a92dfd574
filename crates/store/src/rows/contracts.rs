//! Rows of the catalogue and of each partner's convention, contracts, amendments and
//! subscriptions.

use habilis_core::records::*;
use habilis_core::store::StoreResult;
use uuid::Uuid;

use super::{date, mode, opt_date};

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
pub(crate) struct ClientRow {
    id: uuid::Uuid,
    client_id: String,
    name: String,
    service_id: uuid::Uuid,
    secret_digest: Vec<u8>,
    redirect_uris: String,
    jwks: Option<String>,
    created_at: i64,
    disabled_at: Option<i64>,
}

impl ClientRow {
    pub(crate) fn into_domain(self) -> ServiceClient {
        ServiceClient {
            id: ClientId(self.id),
            client_id: self.client_id,
            name: self.name,
            service_id: ServiceId(self.service_id),
            secret_digest: self.secret_digest,
            redirect_uris: self.redirect_uris.lines().map(str::to_string).filter(|l| !l.is_empty()).collect(),
            jwks: self.jwks,
            created_at: habilis_core::clock::from_micros(self.created_at),
            disabled_at: self.disabled_at.map(habilis_core::clock::from_micros),
        }
    }
}
