//! Signing in and out through the API, and who is signed in.


use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use habilis_core::Error;
use habilis_core::records::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::context::{Ctx, Traced, clear_session_cookie};
use crate::errors::WebError;
use crate::extract::{SignedIn, json_body};
use crate::respond::error_response;
use crate::state::AppState;
use crate::view::rfc3339;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    login: String,
    password: String,
    /// The second factor's code, to sign in in one request.
    #[serde(default)]
    code: Option<String>,
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
        Ok(mut signed) => {
            if let (Some(PendingStep::SecondFactor), Some(code)) = (signed.actor.session.pending_step, req.code.as_deref()) {
                if let Err(e) = state.app.verify_second_factor(&signed.actor, code, &ctx.client).await {
                    state.metrics.login("failure");
                    return error_response(ctx.api_lang, &WebError::Core(e));
                }
                signed.actor.session.pending_step = None;
            }
            state.metrics.login("success");
            // A session that owes a step says which; it opens nothing else until taken.
            let body = json!({
                "token": signed.token,
                "pending_step": signed.actor.session.pending_step,
                "me": me_of(&state, &signed.actor),
            });
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

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/api/v1/session", post(create_session).delete(delete_session))
        .route("/api/v1/me", get(me))
}
