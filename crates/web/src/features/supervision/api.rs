//! The caisse's supervision through the API (R20–R22): a partner's grants, suspensions
//! and lifts, forced password changes, queries.


use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use habilis_core::commands::*;
use habilis_core::records::*;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::context::{Ctx, Traced};
use crate::errors::WebError;
use crate::extract::{ApiActor, ApiJson, IdPath};
use crate::respond::{created, no_content};
use crate::state::AppState;

/// GET /api/v1/partners/{id}/grants — a partner's grants, with any caisse suspension.
pub async fn partner_grants(State(state): State<AppState>, ApiActor(ref a): ApiActor, IdPath(id): IdPath<OrganisationId>) -> Result<Response, WebError> {
    let list = state.app.partner_grants(a, id).await?;
    let v: Vec<Value> = list.into_iter().map(|g| json!({ "caisse_suspension": g.caisse_suspension, "grant": g })).collect();
    Ok(Json(json!({ "grants": v })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    reason: String,
}

/// POST /api/v1/supervision/grants/{id}/suspend {"reason"} — a caisse suspension (R21).
pub async fn suspend_grant(
    State(state): State<AppState>,
    ctx: Ctx, ApiActor(ref a): ApiActor,
    IdPath(id): IdPath<GrantId>,
    ApiJson(b): ApiJson<ReasonBody>,
) -> Result<Response, WebError> {
    state.app.caisse_suspend_grant(a, id, &b.reason, &ctx.client).await?;
    Ok(no_content())
}

/// POST /api/v1/supervision/grants/{id}/lift — lift a caisse suspension.
pub async fn lift_suspension(State(state): State<AppState>, ctx: Ctx, ApiActor(ref a): ApiActor, IdPath(id): IdPath<GrantId>) -> Result<Response, WebError> {
    state.app.caisse_lift_suspension(a, id, &ctx.client).await?;
    Ok(no_content())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ForceBody {
    #[serde(default)]
    account: Option<Uuid>,
}

/// POST /api/v1/supervision/partners/{id}/force-password-change {"account"?} (R22).
pub async fn force_password_change(
    State(state): State<AppState>,
    ctx: Ctx, ApiActor(ref a): ApiActor,
    IdPath(id): IdPath<OrganisationId>,
    ApiJson(b): ApiJson<ForceBody>,
) -> Result<Response, WebError> {
    let n = state.app.force_password_change(a, id, b.account.map(AccountId), &ctx.client).await?;
    let mut r = Json(json!({ "accounts": n })).into_response();
    r.extensions_mut().insert(Traced);
    Ok(r)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryBody {
    question: String,
    due_on: String,
    #[serde(default)]
    auto_suspend: bool,
}

/// POST /api/v1/supervision/grants/{id}/queries — ask the partner about a grant.
pub async fn open_query(
    State(state): State<AppState>,
    ctx: Ctx, ApiActor(ref a): ApiActor,
    IdPath(id): IdPath<GrantId>,
    ApiJson(b): ApiJson<QueryBody>,
) -> Result<Response, WebError> {
    let q = state.app.open_query(a, &NewQuery { grant: id, question: b.question.clone(), due_on: b.due_on.clone(), auto_suspend: b.auto_suspend }, &ctx.client).await?;
    Ok(created(serde_json::to_value(q).unwrap_or(Value::Null)))
}

/// GET /api/v1/queries — with `overdue` computed for today.
pub async fn list_queries(State(state): State<AppState>, ApiActor(ref a): ApiActor) -> Result<Response, WebError> {
    let today = state.app.today();
    let list = state.app.queries(a).await?;
    let v: Vec<Value> = list.iter().map(|q| json!({ "query": q, "overdue": q.overdue(today) })).collect();
    Ok(Json(json!({ "queries": v })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    answer: String,
}

/// POST /api/v1/queries/{id}/answer — the partner's administrators answer.
pub async fn answer_query(
    State(state): State<AppState>,
    ctx: Ctx, ApiActor(ref a): ApiActor,
    IdPath(id): IdPath<QueryId>,
    ApiJson(b): ApiJson<AnswerBody>,
) -> Result<Response, WebError> {
    let q = state.app.answer_query(a, id, &b.answer, &ctx.client).await?;
    let mut r = Json(q).into_response();
    r.extensions_mut().insert(Traced);
    Ok(r)
}

/// POST /api/v1/queries/{id}/close — the caisse closes.
pub async fn close_query(State(state): State<AppState>, ctx: Ctx, ApiActor(ref a): ApiActor, IdPath(id): IdPath<QueryId>) -> Result<Response, WebError> {
    let q = state.app.close_query(a, id, &ctx.client).await?;
    let mut r = Json(q).into_response();
    r.extensions_mut().insert(Traced);
    Ok(r)
}

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/api/v1/partners/{id}/grants", get(partner_grants))
        .route("/api/v1/supervision/grants/{id}/suspend", post(suspend_grant))
        .route("/api/v1/supervision/grants/{id}/lift", post(lift_suspension))
        .route("/api/v1/supervision/grants/{id}/queries", post(open_query))
        .route("/api/v1/queries", get(list_queries))
        .route("/api/v1/queries/{id}/answer", post(answer_query))
        .route("/api/v1/queries/{id}/close", post(close_query))
        .route("/api/v1/supervision/partners/{id}/force-password-change", post(force_password_change))
}
