//! The JSON API under `/api/v1`, and the operator endpoints (`/healthz`, `/readyz`,
//! `/metrics`). JSON endpoints accept only JSON bodies, refuse unknown fields, and answer
//! every error with `{"error": {"code", "message", "field"}}` in the request's language.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use habilis_core::Error;
use habilis_core::records::Role;
use habilis_core::store::Store;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::format_description::well_known::Rfc3339;

use crate::state::AppState;
use crate::context::{Ctx, Traced, clear_session_cookie};
use crate::errors::WebError;
use crate::extract::{SignedIn, json_body};
use crate::respond::error_response;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    login: String,
    password: String,
}

#[derive(Serialize)]
struct Me {
    account_id: String,
    login: String,
    display_name: String,
    email: String,
    roles: Vec<Role>,
    organisation: OrganisationView,
    session: SessionView,
}

#[derive(Serialize)]
struct OrganisationView {
    id: String,
    name: String,
    kind: habilis_core::records::OrganisationKind,
}

#[derive(Serialize)]
struct SessionView {
    id: String,
    created_at: String,
    expires_at: String,
    idle_timeout_minutes: i64,
}

pub(crate) fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

fn me_of(state: &AppState, a: &habilis_core::records::Actor) -> Me {
    Me {
        account_id: a.account.id.to_string(),
        login: a.account.login.clone(),
        display_name: a.account.display_name.clone(),
        email: a.account.email.clone(),
        roles: a.account.roles.clone(),
        organisation: OrganisationView {
            id: a.organisation.id.to_string(),
            name: a.organisation.name.clone(),
            kind: a.organisation.kind,
        },
        session: SessionView {
            id: a.session.id.to_string(),
            created_at: rfc3339(a.session.created_at),
            expires_at: rfc3339(a.session.expires_at),
            idle_timeout_minutes: state.app.sessions.idle_minutes,
        },
    }
}

/// POST /api/v1/session — sign in. Answers the session token (for `Authorization:
/// Bearer`) and sets the session cookie.
pub async fn create_session(
    State(state): State<AppState>,
    ctx: Ctx,
    body: Result<Json<SessionRequest>, JsonRejection>,
) -> Response {
    let req = match json_body(body) {
        Ok(r) => r,
        Err(e) => return error_response(ctx.api_lang, &e),
    };
    match state.app.login(&req.login, &req.password, &ctx.client).await {
        Ok(signed) => {
            state.metrics.login("success");
            let body = json!({ "token": signed.token, "me": me_of(&state, &signed.actor) });
            let mut resp = (StatusCode::CREATED, Json(body)).into_response();
            let secure = if state.config.secure() { "; Secure" } else { "" };
            let cookie = format!("{}={}; Path=/; HttpOnly; SameSite=Lax{secure}", state.config.session_cookie(), signed.token);
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            resp
        }
        Err(e) => {
            state.metrics.login(if matches!(e, Error::Throttled { .. }) { "throttled" } else { "failure" });
            error_response(ctx.api_lang, &WebError::Core(e))
        }
    }
}

/// DELETE /api/v1/session — sign out.
pub async fn delete_session(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx) -> Response {
    let actor = &actor;
    if let Err(e) = state.app.logout(actor, &ctx.client).await {
        return error_response(ctx.api_lang, &WebError::Core(e));
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&clear_session_cookie(&state.config)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp.extensions_mut().insert(Traced);
    resp
}

/// GET /api/v1/me — who is signed in, for which organisation, with which roles.
pub async fn me(State(state): State<AppState>, ctx: Ctx) -> Response {
    match ctx.actor.as_ref() {
        Some(a) => Json(me_of(&state, a)).into_response(),
        None => error_response(ctx.api_lang, &WebError::Core(Error::NotAuthenticated)),
    }
}

/// GET /healthz — the process is up.
pub async fn healthz() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

/// GET /readyz — the database answers.
pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.app.store.ping().await {
        Ok(()) => Json(json!({ "status": "ready" })).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "database not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "database unreachable" }))).into_response()
        }
    }
}

/// GET /metrics — Prometheus text.
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"))],
        state.metrics.render(),
    )
        .into_response()
}

/// GET /api/v1/openapi.json — the API's description (kept in `crates/web/api/openapi.json`;
/// a router test checks that every path it documents is served).
pub async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        include_str!("../api/openapi.json"),
    )
        .into_response()
}
