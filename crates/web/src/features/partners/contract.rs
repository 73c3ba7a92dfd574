//! The service contract as a document (R6), for the caisse and for the partner.


use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use habilis_core::records::*;
use uuid::Uuid;

use crate::context::Ctx;
use crate::errors::{WebError, format_date};
use crate::extract::{IdPath, SignedIn};
use crate::respond::error_page;
use crate::state::AppState;
use crate::view::{function_label, mode_label, render};

#[derive(Template)]
#[template(path = "contract.html")]
struct ContractPage {
    back: String,
    today: String,
    mode: String,
    caisse: String,
    partner: String,
    siret: String,
    address: String,
    conventions: Vec<(String, String, String)>,
    contracts: Vec<(String, String, String)>,
    amendments: Vec<(String, String)>,
    caisse_contacts: Vec<(String, String, String)>,
    partner_contacts: Vec<(String, String, String)>,
    missing: String,
    services: Vec<(String, String, String, String, String)>,
}

async fn contract_document(state: &AppState, ctx: &Ctx, actor: &Actor, id: OrganisationId, back: String) -> Response {
    let t = crate::i18n::Lang::Fr.texts();
    let cf = match state.app.contract_file(actor, id).await {
        Ok(c) => c,
        Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    };
    let f = &cf.file;
    let contacts = |cs: &[habilis_core::records::Contact]| {
        cs.iter()
            .map(|c| {
                let reach = [c.email.clone(), c.phone.clone()].into_iter().flatten().collect::<Vec<_>>().join(" · ");
                (function_label(t, &c.function), c.name.clone(), [c.title.clone().unwrap_or_default(), reach].join(" ").trim().to_string())
            })
            .collect::<Vec<_>>()
    };
    let page = ContractPage {
        back,
        today: format_date(state.app.today()),
        mode: mode_label(t, f.mode),
        caisse: cf.caisse.name.clone(),
        partner: f.partner.name.clone(),
        siret: f.partner.siret.clone().unwrap_or_default(),
        address: [f.partner.address.clone(), f.partner.city.clone()].into_iter().flatten().collect::<Vec<_>>().join(", "),
        conventions: f.conventions.iter().map(|c| (c.number.clone(), format_date(c.signed_on), c.signatories.clone())).collect(),
        contracts: f.contracts.iter().map(|k| (format_date(k.signed_on), k.signatories.clone(), mode_label(t, Some(k.mode)))).collect(),
        amendments: f
            .amendments
            .iter()
            .map(|a| {
                let d = t.amendment_detail.replace("{mode}", &mode_label(t, Some(a.mode))).replace("{date}", &format_date(a.effective_on)).replace("{reason}", &a.reason);
                (format_date(a.signed_on), d)
            })
            .collect(),
        caisse_contacts: contacts(&cf.caisse_contacts),
        partner_contacts: contacts(&f.contacts),
        missing: f.missing_contacts.iter().map(|m| function_label(t, m)).collect::<Vec<_>>().join(", "),
        services: f
            .services
            .iter()
            .zip(cf.roles.iter())
            .map(|((s, sub, missing), roles)| {
                (
                    format!("{} — {}", s.code, s.label),
                    roles.iter().map(|r| r.code.clone()).collect::<Vec<_>>().join(", "),
                    sub.available_from.map(format_date).unwrap_or_else(|| t.quota_none.into()),
                    sub.max_holders.map(|m| m.to_string()).unwrap_or_else(|| t.quota_none.into()),
                    if missing.is_empty() { t.service_open.to_string() } else { t.service_closed.to_string() },
                )
            })
            .collect(),
    };
    render(&page, StatusCode::OK)
}

/// GET /caisse/partners/{id}/contract
pub async fn contract(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<Uuid>) -> Response {
    let actor = &actor;
    contract_document(&state, &ctx, actor, OrganisationId(id), format!("/caisse/partners/{id}")).await
}

/// GET /partner/contract — the partner's own contract.
pub async fn own_contract(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx) -> Response {
    let actor = &actor;
    contract_document(&state, &ctx, actor, actor.organisation.id, "/".into()).await
}

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get};
    axum::Router::new()
        .route("/caisse/partners/{id}/contract", get(contract))
        .route("/partner/contract", get(own_contract))
}
