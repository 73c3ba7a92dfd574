//! The service catalogue (caisse administrators): services and their roles, page and API.


use askama::Template;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use habilis_core::records::*;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::context::Ctx;
use crate::errors::WebError;
use crate::extract::{ApiActor, ApiJson, IdPath, SignedForm, SignedIn, Values, traced};
use crate::respond::{created, error_page};
use crate::state::AppState;
use crate::view::{Chrome, render};

/// A service of the catalogue with its roles.
struct CatalogueRow {
    code: String,
    label: String,
    description: String,
    roles: String,
    /// "Unavailable until …" during a planned outage.
    down: Option<String>,
}

#[derive(Template)]
#[template(path = "services.html")]
struct ServicesPage {
    c: Chrome,
    csrf: String,
    error: Option<String>,
    notice: Option<String>,
    v: Values,
    services: Vec<CatalogueRow>,
}

async fn services_page(state: &AppState, ctx: &Ctx, actor: &Actor, v: Values, err: Option<WebError>, notice: Option<String>) -> Response {
    let t = ctx.lang.texts();
    if let Err(e) = habilis_core::reach::caisse_admin_of(actor) {
        return error_page(ctx.lang, &WebError::Core(e), Some(actor));
    }
    let cat = match state.app.catalogue().await {
        Ok(c) => c,
        Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    };
    let down = state.app.services_down(actor).await.unwrap_or_default();
    let page = ServicesPage {
        c: Chrome::new(ctx.lang, None, Some(actor)),
        csrf: actor.session.csrf_token.clone(),
        error: err.as_ref().map(|e| e.message(t)),
        notice,
        v,
        services: cat
            .iter()
            .map(|(s, roles)| {
                let r = roles.iter().map(|r| format!("{} ({})", r.code, r.label)).collect::<Vec<_>>().join(" ; ");
                let down = down.get(&s.id).map(|until| t.service_down_until.replace("{until}", &habilis_core::clock::format_paris(*until)));
                CatalogueRow { code: s.code.clone(), label: s.label.clone(), description: s.description.clone(), roles: r, down }
            })
            .collect(),
    };
    render(&page, err.map(|e| e.status()).unwrap_or(StatusCode::OK))
}

/// GET /caisse/services
pub async fn services(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, q: Result<Query<DoneQuery>, QueryRejection>) -> Response {
    let actor = &actor;
    let notice = q.ok().and_then(|Query(q)| q.ok).map(|_| ctx.lang.texts().saved.to_string());
    services_page(&state, &ctx, actor, Values::default(), None, notice).await
}

/// POST /caisse/services and /caisse/services/roles
pub async fn services_post(State(state): State<AppState>, ctx: Ctx, uri: Uri, SignedForm(actor, v): SignedForm) -> Response {
    let result = if uri.path().ends_with("/roles") {
        state.app.add_service_role(&actor, v.get("service_code"), v.get("role_code"), v.get("role_label"), &ctx.client).await.map(|_| ())
    } else {
        state.app.create_service(&actor, v.get("code"), v.get("label"), v.get("description"), &ctx.client).await.map(|_| ())
    };
    match result {
        Ok(()) => traced(Redirect::to("/caisse/services?ok=1").into_response()),
        Err(e) => services_page(&state, &ctx, &actor, v, Some(WebError::Core(e)), None).await,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceBody {
    code: String,
    label: String,
    #[serde(default)]
    description: String,
}

/// POST /api/v1/services
pub async fn create_service(State(state): State<AppState>, ctx: Ctx, ApiActor(ref a): ApiActor, ApiJson(b): ApiJson<ServiceBody>) -> Result<Response, WebError> {
    let s = state.app.create_service(a, &b.code, &b.label, &b.description, &ctx.client).await?;
    Ok(created(json!({ "id": s.id, "code": s.code, "label": s.label, "description": s.description })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    code: String,
    label: String,
}

/// POST /api/v1/services/{code}/roles
pub async fn add_role(
    State(state): State<AppState>,
    ctx: Ctx, ApiActor(ref a): ApiActor,
    IdPath(code): IdPath<String>,
    ApiJson(b): ApiJson<RoleBody>,
) -> Result<Response, WebError> {
    let r = state.app.add_service_role(a, &code, &b.code, &b.label, &ctx.client).await?;
    Ok(created(json!({ "id": r.id, "code": r.code, "label": r.label })))
}

/// GET /api/v1/services
pub async fn api_services(State(state): State<AppState>, ApiActor(ref actor): ApiActor) -> Result<Response, WebError> {
    let cat = state.app.catalogue().await?;
    let down = state.app.services_down(actor).await?;
    let list: Vec<Value> = cat
        .iter()
        .map(|(s, roles)| {
            json!({ "id": s.id, "code": s.code, "label": s.label, "description": s.description,
                    "available": !down.contains_key(&s.id), "unavailable_until": down.get(&s.id).map(|t| t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()),
                    "roles": roles.iter().map(|r| json!({ "id": r.id, "code": r.code, "label": r.label })).collect::<Vec<_>>() })
        })
        .collect();
    Ok(Json(json!({ "services": list })).into_response())
}

/// `?ok=…` after a saved form.
#[derive(Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    ok: Option<String>,
}

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/caisse/services", get(services).post(services_post))
        .route("/caisse/services/roles", post(services_post))
        .route("/api/v1/services", get(api_services).post(create_service))
        .route("/api/v1/services/{code}/roles", post(add_role))
}
