//! The partner side of the JSON API (first part): users and grants.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use habilis_core::Error;
use habilis_core::grants::UserInput;
use habilis_core::model::AccountId;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::AppState;
use crate::api::{error_response, json_body};
use crate::caisse_pages::traced;
use crate::context::Ctx;
use crate::errors::WebError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserBody {
    first_name: String,
    last_name: String,
    email: String,
    #[serde(default)]
    function: String,
    #[serde(default)]
    login: String,
}

/// POST /api/v1/users
pub async fn create_user(State(state): State<AppState>, ctx: Ctx, body: Result<Json<UserBody>, JsonRejection>) -> Response {
    let Some(actor) = ctx.actor.as_ref() else {
        return error_response(ctx.api_lang, &WebError::Core(Error::NotAuthenticated));
    };
    let b = match json_body(body) {
        Ok(b) => b,
        Err(e) => return error_response(ctx.api_lang, &e),
    };
    let input = UserInput { first_name: b.first_name, last_name: b.last_name, email: b.email, function: b.function, login: b.login };
    match state.app.create_user(actor, &input, &state.config.public_url, &ctx.client).await {
        Ok(a) => traced((StatusCode::CREATED, Json(json!({ "id": a.id, "login": a.login, "name": a.display_name, "roles": a.roles }))).into_response()),
        Err(e) => error_response(ctx.api_lang, &WebError::Core(e)),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    holder: Uuid,
    service: String,
    role: String,
    purpose: String,
    #[serde(default)]
    ends_on: String,
}

/// POST /api/v1/grants
pub async fn create_grant(State(state): State<AppState>, ctx: Ctx, body: Result<Json<GrantBody>, JsonRejection>) -> Response {
    let Some(actor) = ctx.actor.as_ref() else {
        return error_response(ctx.api_lang, &WebError::Core(Error::NotAuthenticated));
    };
    let b = match json_body(body) {
        Ok(b) => b,
        Err(e) => return error_response(ctx.api_lang, &e),
    };
    match state.app.grant(actor, AccountId(b.holder), &b.service, &b.role, &b.purpose, &b.ends_on, &ctx.client).await {
        Ok(g) => traced((StatusCode::CREATED, Json(g)).into_response()),
        Err(e) => error_response(ctx.api_lang, &WebError::Core(e)),
    }
}

/// GET /api/v1/grants
pub async fn list_grants(State(state): State<AppState>, ctx: Ctx) -> Response {
    let Some(actor) = ctx.actor.as_ref() else {
        return error_response(ctx.api_lang, &WebError::Core(Error::NotAuthenticated));
    };
    match state.app.grants(actor).await {
        Ok(list) => Json(json!({ "grants": list })).into_response(),
        Err(e) => error_response(ctx.api_lang, &WebError::Core(e)),
    }
}

/// POST /api/v1/grants/{id}/revoke
pub async fn revoke_grant(State(state): State<AppState>, ctx: Ctx, id: Result<Path<Uuid>, PathRejection>) -> Response {
    let Some(actor) = ctx.actor.as_ref() else {
        return error_response(ctx.api_lang, &WebError::Core(Error::NotAuthenticated));
    };
    let Ok(Path(id)) = id else {
        return error_response(ctx.api_lang, &WebError::NotFound);
    };
    match state.app.revoke_grant(actor, id, &ctx.client).await {
        Ok(()) => traced(StatusCode::NO_CONTENT.into_response()),
        Err(e) => error_response(ctx.api_lang, &WebError::Core(e)),
    }
}
