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

/// A signed document of the contract: what, when, by whom (and in which mode).
struct Signed {
    what: String,
    on: String,
    detail: String,
}

/// A person of a directory: function, name, title and how to reach them.
struct DirectoryLine {
    function: String,
    name: String,
    reach: String,
}

/// A service of Annex 2: its roles, opening date, quota and whether it is open.
struct AnnexService {
    name: String,
    roles: String,
    available_from: String,
    quota: String,
    state: String,
}

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
    conventions: Vec<Signed>,
    contracts: Vec<Signed>,
    amendments: Vec<Signed>,
    caisse_contacts: Vec<DirectoryLine>,
    partner_contacts: Vec<DirectoryLine>,
    missing: String,
    services: Vec<AnnexService>,
    annex2: Vec<crate::view::Annex2Row>,
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
                DirectoryLine { function: function_label(t, &c.function), name: c.name.clone(), reach: [c.title.clone().unwrap_or_default(), reach].join(" ").trim().to_string() }
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
        conventions: f.conventions.iter().map(|c| Signed { what: c.number.clone(), on: format_date(c.signed_on), detail: c.signatories.clone() }).collect(),
        contracts: f.contracts.iter().map(|k| Signed { what: mode_label(t, Some(k.mode)), on: format_date(k.signed_on), detail: k.signatories.clone() }).collect(),
        amendments: f
            .amendments
            .iter()
            .map(|a| {
                let d = t.amendment_detail.replace("{mode}", &mode_label(t, Some(a.mode))).replace("{date}", &format_date(a.effective_on)).replace("{reason}", &a.reason);
                Signed { what: t.amendment.into(), on: format_date(a.signed_on), detail: d }
            })
            .collect(),
        caisse_contacts: contacts(&cf.caisse_contacts),
        partner_contacts: contacts(&f.contacts),
        missing: f.missing_contacts.iter().map(|m| function_label(t, m)).collect::<Vec<_>>().join(", "),
        annex2: crate::view::annex2_rows(t, f),
        services: f
            .services
            .iter()
            .zip(cf.roles.iter())
            .map(|((s, sub, missing), roles)| {
                AnnexService {
                    name: format!("{} — {}", s.code, s.label),
                    roles: roles.iter().map(|r| r.code.clone()).collect::<Vec<_>>().join(", "),
                    available_from: sub.available_from.map(format_date).unwrap_or_else(|| t.quota_none.into()),
                    quota: sub.max_holders.map(|m| m.to_string()).unwrap_or_else(|| t.quota_none.into()),
                    state: if missing.is_empty() { t.service_open.to_string() } else { t.service_closed.to_string() },
                }
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
