//! The caisse's list of partners, and the form that creates or edits one.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use habilis_core::commands::*;
use habilis_core::records::*;
use uuid::Uuid;

use crate::context::Ctx;
use crate::errors::WebError;
use crate::extract::{IdPath, SignedForm, SignedIn, Values, traced};
use crate::respond::error_page;
use crate::state::AppState;
use crate::view::folded;
use crate::view::{Chrome, render};

/// A partner in the caisse's list.
struct PartnerRow {
    id: String,
    name: String,
    siret: String,
    city: String,
}

#[derive(Template)]
#[template(path = "partners.html")]
struct PartnersPage {
    c: Chrome,
    partners: Vec<PartnerRow>,
    /// The search as typed, how many partners in all, and how many match.
    q: String,
    total: usize,
    found: usize,
    previous: Option<String>,
    next: Option<String>,
    /// The caisse's administrators create partners; its other staff read.
    may_create: bool,
}

/// Partners a page.
const PAGE: usize = 50;

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<usize>,
}


/// GET /caisse/partners?q=&page= — searched by name, SIRET or city, 50 a page.
pub async fn partners(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, uri: Uri, q: Result<axum::extract::Query<ListQuery>, axum::extract::rejection::QueryRejection>) -> Response {
    let actor = &actor;
    let q = q.map(|axum::extract::Query(q)| q).unwrap_or_default();
    match state.app.partners(actor).await {
        Ok(list) => {
            let total = list.len();
            let wanted = folded(q.q.trim());
            let matching: Vec<Organisation> = list
                .into_iter()
                .filter(|p| wanted.is_empty() || [Some(p.name.clone()), p.siret.clone(), p.city.clone()].into_iter().flatten().any(|f| folded(&f).contains(&wanted)))
                .collect();
            let found = matching.len();
            let page = q.page.unwrap_or(1).clamp(1, found.div_ceil(PAGE).max(1));
            let link = |n: usize| format!("/caisse/partners?q={}&page={n}", percent_encoding::utf8_percent_encode(q.q.trim(), percent_encoding::NON_ALPHANUMERIC));
            let partners = matching
                .into_iter()
                .skip((page - 1) * PAGE)
                .take(PAGE)
                .map(|p| PartnerRow { id: p.id.to_string(), name: p.name, siret: p.siret.unwrap_or_default(), city: p.city.unwrap_or_default() })
                .collect();
            let page_view = PartnersPage {
                c: Chrome::new(ctx.lang, Some(&uri), Some(actor)),
                partners,
                q: q.q.trim().to_string(),
                total,
                found,
                previous: (page > 1).then(|| link(page - 1)),
                next: (page * PAGE < found).then(|| link(page + 1)),
                may_create: habilis_core::reach::caisse_admin_of(actor).is_ok(),
            };
            render(&page_view, StatusCode::OK)
        }
        Err(e) => error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    }
}

#[derive(Template)]
#[template(path = "partner_form.html")]
struct PartnerFormPage {
    c: Chrome,
    title: String,
    action: String,
    csrf: String,
    v: Values,
    error: Option<String>,
    /// Every refused field of the form posted.
    problems: crate::view::Problems,
}

fn partner_form(ctx: &Ctx, actor: &Actor, title: &str, action: String, v: Values, err: Option<&WebError>) -> Response {
    let t = ctx.lang.texts();
    let page = PartnerFormPage {
        c: Chrome::new(ctx.lang, None, Some(actor)),
        title: title.into(),
        action,
        csrf: actor.session.csrf_token.clone(),
        v,
        error: err.map(|e| e.message(t)),
        problems: crate::view::Problems::of(err, t, str::to_string),
    };
    match err {
        Some(e) => crate::respond::noted(render(&page, e.status()), e),
        None => render(&page, StatusCode::OK),
    }
}

fn partner_input(v: &Values) -> PartnerInput {
    PartnerInput { name: v.get("name").into(), siret: v.get("siret").into(), address: v.get("address").into(), city: v.get("city").into() }
}

/// GET /caisse/partners/new
pub async fn partner_new(SignedIn(actor): SignedIn, ctx: Ctx) -> Response {
    let actor = &actor;
    if let Err(e) = habilis_core::reach::caisse_admin_of(actor) {
        return error_page(ctx.lang, &WebError::Core(e), Some(actor));
    }
    partner_form(&ctx, actor, ctx.lang.texts().partner_new, "/caisse/partners/new".into(), Values::default(), None)
}

/// POST /caisse/partners/new
pub async fn partner_create(State(state): State<AppState>, ctx: Ctx, SignedForm(actor, v): SignedForm) -> Response {
    match state.app.create_partner(&actor, &partner_input(&v), &ctx.client).await {
        Ok(p) => traced(Redirect::to(&format!("/caisse/partners/{}?ok=created", p.id)).into_response()),
        Err(e) => partner_form(&ctx, &actor, ctx.lang.texts().partner_new, "/caisse/partners/new".into(), v, Some(&WebError::Core(e))),
    }
}

/// GET /caisse/partners/{id}/edit
pub async fn partner_edit(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<Uuid>) -> Response {
    let actor = &actor;
    match state.app.partner_file(actor, OrganisationId(id)).await {
        Ok(f) => {
            let mut m = HashMap::new();
            m.insert("name".to_string(), f.partner.name.clone());
            m.insert("siret".to_string(), f.partner.siret.clone().unwrap_or_default());
            m.insert("address".to_string(), f.partner.address.clone().unwrap_or_default());
            m.insert("city".to_string(), f.partner.city.clone().unwrap_or_default());
            partner_form(&ctx, actor, ctx.lang.texts().partner_edit, format!("/caisse/partners/{id}/edit"), Values(m), None)
        }
        Err(e) => error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    }
}

/// POST /caisse/partners/{id}/edit
pub async fn partner_update(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<Uuid>, SignedForm(actor, v): SignedForm) -> Response {
    match state.app.update_partner(&actor, OrganisationId(id), &partner_input(&v), &ctx.client).await {
        Ok(_) => traced(Redirect::to(&format!("/caisse/partners/{id}?ok=updated")).into_response()),
        Err(e) => partner_form(&ctx, &actor, ctx.lang.texts().partner_edit, format!("/caisse/partners/{id}/edit"), v, Some(&WebError::Core(e))),
    }
}

/// The list and the partner form.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/caisse/partners", get(partners))
        .route("/caisse/partners/new", get(partner_new).post(partner_create))
        .route("/caisse/partners/{id}/edit", get(partner_edit).post(partner_update))
}
