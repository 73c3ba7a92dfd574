//! The caisse's JSON API for its partners: the partners and their file, conventions,
//! contracts, amendments, subscriptions, administrators and directory contacts.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use habilis_core::Error;
use habilis_core::commands::*;
use habilis_core::records::*;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::forms::SeatAction;
use crate::context::{Ctx, Traced};
use crate::errors::WebError;
use crate::extract::{ApiActor, ApiJson, IdPath};
use crate::respond::{created, no_content};
use crate::state::AppState;

fn partner_json(p: &Organisation) -> Value {
    json!({ "id": p.id, "name": p.name, "siret": p.siret, "address": p.address, "city": p.city })
}

/// GET /api/v1/partners
pub async fn list_partners(State(state): State<AppState>, ApiActor(ref a): ApiActor) -> Result<Response, WebError> {
    let ps = state.app.partners(a).await?;
    Ok(Json(json!({ "partners": ps.iter().map(partner_json).collect::<Vec<_>>() })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerBody {
    name: String,
    siret: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    city: String,
}

impl PartnerBody {
    fn input(self) -> PartnerInput {
        PartnerInput { name: self.name, siret: self.siret, address: self.address, city: self.city }
    }
}

/// POST /api/v1/partners
pub async fn create_partner(State(state): State<AppState>, ctx: Ctx, ApiActor(ref a): ApiActor, ApiJson(body): ApiJson<PartnerBody>) -> Result<Response, WebError> {
    let p = state.app.create_partner(a, &body.input(), &ctx.client).await?;
    Ok(created(partner_json(&p)))
}

/// PUT /api/v1/partners/{id}
pub async fn update_partner(
    State(state): State<AppState>,
    ctx: Ctx, ApiActor(ref a): ApiActor,
    IdPath(id): IdPath<OrganisationId>,
    ApiJson(body): ApiJson<PartnerBody>,
) -> Result<Response, WebError> {
    let p = state.app.update_partner(a, id, &body.input(), &ctx.client).await?;
    let mut r = Json(partner_json(&p)).into_response();
    r.extensions_mut().insert(Traced);
    Ok(r)
}

/// GET /api/v1/partners/{id}
pub async fn partner_file(State(state): State<AppState>, ApiActor(ref a): ApiActor, IdPath(id): IdPath<Uuid>) -> Result<Response, WebError> {
    let f = state.app.partner_file(a, OrganisationId(id)).await?;
    let services: Vec<Value> = f
        .services
        .iter()
        .map(|(s, sub, missing)| json!({ "code": s.code, "label": s.label, "subscription": sub, "open": missing.is_empty(), "missing": missing }))
        .collect();
    let admins: Vec<Value> = f
        .administrators
        .iter()
        .map(|a| json!({ "id": a.id, "login": a.login, "name": a.display_name, "roles": a.roles, "status": a.status }))
        .collect();
    let contacts: Vec<Value> =
        f.contacts.iter().map(|c| json!({ "function": c.function, "name": c.name, "title": c.title })).collect();
    Ok(Json(json!({
        "partner": partner_json(&f.partner),
        "mode": f.mode,
        "conventions": f.conventions,
        "contracts": f.contracts,
        "amendments": f.amendments,
        "services": services,
        "administrators": admins,
        "contacts": contacts,
        "missing_contacts": f.missing_contacts,
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConventionBody {
    number: String,
    signed_on: String,
    signatories: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractBody {
    convention_id: Uuid,
    mode: String,
    signed_on: String,
    signatories: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmendmentBody {
    contract_id: Uuid,
    mode: String,
    signed_on: String,
    effective_on: String,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionBody {
    service: String,
    #[serde(default)]
    signed_on: Option<String>,
    #[serde(default)]
    formalities_reference: Option<String>,
    #[serde(default)]
    formalities_on: Option<String>,
    #[serde(default)]
    available_from: Option<String>,
    #[serde(default)]
    max_holders: Option<u32>,
    #[serde(default)]
    role_quotas: BTreeMap<String, u32>,
    /// The date of the amendment changing a signed subscription (Art. 6).
    #[serde(default)]
    amendment_signed_on: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdministratorBody {
    slot: String,
    first_name: String,
    last_name: String,
    function: String,
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    login: String,
}

macro_rules! partner_post {
    ($name:ident, $body:ty, |$app:ident, $a:ident, $p:ident, $b:ident, $ctx:ident, $state:ident| $call:expr) => {
        /// A record under a partner (see the route table).
        pub async fn $name(
            State($state): State<AppState>,
            $ctx: Ctx,
            ApiActor(ref $a): ApiActor,
            IdPath(id): IdPath<Uuid>,
            ApiJson($b): ApiJson<$body>,
        ) -> Result<Response, WebError> {
            let $p = OrganisationId(id);
            let $app = &$state.app;
            let v = $call?;
            Ok(created(serde_json::to_value(v).unwrap_or(Value::Null)))
        }
    };
}

partner_post!(add_convention, ConventionBody, |app, a, p, b, ctx, state| app
    .record_convention(a, p, &NewConvention { number: b.number.clone(), signed_on: b.signed_on.clone(), signatories: b.signatories.clone() }, &ctx.client)
    .await);
partner_post!(add_contract, ContractBody, |app, a, p, b, ctx, state| app
    .record_contract(a, p, &NewContract { convention: ConventionId(b.convention_id), mode: b.mode.clone(), signed_on: b.signed_on.clone(), signatories: b.signatories.clone() }, &ctx.client)
    .await);
partner_post!(add_amendment, AmendmentBody, |app, a, p, b, ctx, state| app
    .record_amendment(a, p, &NewAmendment { contract: ContractId(b.contract_id), mode: b.mode.clone(), signed_on: b.signed_on.clone(), effective_on: b.effective_on.clone(), reason: b.reason.clone() }, &ctx.client)
    .await);
partner_post!(add_subscription, SubscriptionBody, |app, a, p, b, ctx, state| {
    let input = SubscriptionInput {
        service_code: b.service,
        signed_on: b.signed_on.unwrap_or_default(),
        formalities_reference: b.formalities_reference.unwrap_or_default(),
        formalities_on: b.formalities_on.unwrap_or_default(),
        available_from: b.available_from.unwrap_or_default(),
        max_holders: b.max_holders.map(|m| m.to_string()).unwrap_or_default(),
        role_quotas: b.role_quotas.into_iter().map(|(k, v)| (k, v.to_string())).collect(),
        amendment_signed_on: b.amendment_signed_on.unwrap_or_default(),
    };
    app.record_subscription(a, p, &input, &ctx.client).await
});
partner_post!(add_administrator, AdministratorBody, |app, a, p, b, ctx, state| {
    match Slot::parse(&b.slot) {
        None => Err(Error::invalid("slot", habilis_core::values::ValueError::BadFormat)),
        Some(slot) => {
            let input = AdministratorInput {
                first_name: b.first_name,
                last_name: b.last_name,
                function: b.function,
                email: b.email,
                phone: b.phone,
                login: b.login,
            };
            app.issue_administrator(a, p, slot, &input, &state.config.public_url, &ctx.client)
                .await
                .map(|acc| json!({ "id": acc.id, "login": acc.login, "name": acc.display_name, "roles": acc.roles }))
        }
    }
});

/// POST /api/v1/administrators/{id}/{suspend|reactivate|deactivate}
pub async fn administrator_status(State(state): State<AppState>, ctx: Ctx, ApiActor(ref a): ApiActor, IdPath(id): IdPath<AccountId>, what: SeatAction) -> Result<Response, WebError> {
    let account = id;
    let result = match what {
        SeatAction::Suspend => state.app.suspend_administrator(a, account, &ctx.client).await,
        SeatAction::Reactivate => state.app.reactivate_administrator(a, account, &ctx.client).await,
        SeatAction::Deactivate => state.app.deactivate_administrator(a, account, &ctx.client).await,
    };
    result?;
    Ok(no_content())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    function: String,
    name: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
}

partner_post!(add_contact, ContactBody, |app, a, p, b, ctx, state| {
    let input = habilis_core::commands::ContactInput { function: b.function, name: b.name, title: b.title, email: b.email, phone: b.phone };
    app.add_contact(a, p, &input, &ctx.client)
        .await
        .map(|c| json!({ "id": c.id, "function": c.function, "name": c.name, "title": c.title, "email": c.email, "phone": c.phone }))
});

/// DELETE /api/v1/contacts/{id}
pub async fn delete_contact(State(state): State<AppState>, ctx: Ctx, ApiActor(ref a): ApiActor, IdPath(id): IdPath<ContactId>) -> Result<Response, WebError> {
    state.app.remove_contact(a, id, &ctx.client).await?;
    Ok(no_content())
}

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{delete, get, post};
    axum::Router::new()
        .route("/api/v1/partners", get(list_partners).post(create_partner))
        .route("/api/v1/partners/{id}", get(partner_file).put(update_partner))
        .route("/api/v1/partners/{id}/conventions", post(add_convention))
        .route("/api/v1/partners/{id}/contracts", post(add_contract))
        .route("/api/v1/partners/{id}/amendments", post(add_amendment))
        .route("/api/v1/partners/{id}/subscriptions", post(add_subscription))
        .route("/api/v1/partners/{id}/administrators", post(add_administrator))
        .route("/api/v1/partners/{id}/contacts", post(add_contact))
        .route("/api/v1/contacts/{id}", delete(delete_contact))
        .merge(SeatAction::ALL.iter().fold(axum::Router::new(), |r, &what| {
            r.route(
                &format!("/api/v1/administrators/{{id}}/{}", what.as_str()),
                post(move |state: State<AppState>, ctx: Ctx, a: ApiActor, id: IdPath<AccountId>| administrator_status(state, ctx, a, id, what)),
            )
        }))
}
