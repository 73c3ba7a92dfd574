//! The page where a partner's administrator (or deputy) issues, lists and revokes the
//! tokens of their directory (`/partner/directory-sync`). A token's secret is shown once,
//! on the page that answers its creation; only its digest is kept.

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use habilis_core::records::{Actor, ScimTokenId};
use habilis_core::services::scim::{SCIM_TOKEN_DAYS, may_manage_scim_tokens};

use crate::context::Ctx;
use crate::errors::WebError;
use crate::extract::{ApiActor, ApiJson, IdPath, SignedForm, SignedIn, Values, traced};
use crate::state::AppState;
use crate::view::{Chrome, render};

pub(crate) const BASE: &str = "/partner/directory-sync";

/// A token as listed.
struct TokenRow {
    id: String,
    label: String,
    issuer: String,
    created: String,
    expires: String,
    used: String,
    state: &'static str,
    revocable: bool,
}

#[derive(Template)]
#[template(path = "scim_tokens.html")]
struct TokensPage {
    c: Chrome,
    error: Option<String>,
    notice: Option<String>,
    csrf: String,
    base: &'static str,
    endpoint: String,
    secret: Option<String>,
    tokens: Vec<TokenRow>,
    label: String,
    days: String,
}

async fn page(state: &AppState, ctx: &Ctx, uri: &Uri, actor: &Actor, error: Option<&WebError>, notice: Option<String>, secret: Option<String>, typed: Option<&Values>) -> Response {
    let t = ctx.lang.texts();
    let now = state.app.now();
    let tokens = match state.app.scim_tokens(actor).await {
        Ok(list) => list,
        Err(e) => return crate::respond::error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    };
    let day = |d: time::OffsetDateTime| habilis_core::clock::format_paris(d);
    let rows = tokens
        .into_iter()
        .map(|l| TokenRow {
            id: l.token.id.to_string(),
            label: l.token.label.clone(),
            issuer: l.issuer.clone(),
            created: day(l.token.created_at),
            expires: day(l.token.expires_at),
            used: l.token.last_used_at.map(day).unwrap_or_else(|| t.scim_never.to_string()),
            state: if l.token.revoked_at.is_some() {
                t.scim_state_revoked
            } else if !l.token.is_usable(now) {
                t.scim_state_expired
            } else if !l.issuer_may {
                t.scim_state_issuer_gone
            } else {
                t.scim_state_active
            },
            // Revoking stays offered while the token could open anything again.
            revocable: l.token.revoked_at.is_none() && l.token.is_usable(now),
        })
        .collect();
    let status = error.map(WebError::status).unwrap_or(if secret.is_some() { StatusCode::CREATED } else { StatusCode::OK });
    render(
        &TokensPage {
            c: Chrome::new(ctx.lang, Some(uri), Some(actor)),
            error: error.map(|e| e.message(t)),
            notice,
            csrf: actor.session.csrf_token.clone(),
            base: BASE,
            endpoint: format!("{}/scim/v2", state.config.public_url.trim_end_matches('/')),
            secret,
            tokens: rows,
            label: typed.map(|v| v.get("label").to_string()).unwrap_or_default(),
            days: typed.map(|v| v.get("days").to_string()).unwrap_or_else(|| SCIM_TOKEN_DAYS.to_string()),
        },
        status,
    )
}

/// GET /partner/directory-sync
async fn show(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, uri: Uri) -> Response {
    if !may_manage_scim_tokens(&actor) {
        return crate::respond::error_page(ctx.lang, &WebError::Core(habilis_core::Error::Forbidden), Some(&actor));
    }
    page(&state, &ctx, &uri, &actor, None, None, None, None).await
}

/// POST /partner/directory-sync (csrf, label, days): a new token, shown once.
async fn issue(State(state): State<AppState>, ctx: Ctx, uri: Uri, SignedForm(actor, v): SignedForm) -> Response {
    let days = v.get("days").trim().parse::<i64>().unwrap_or(0);
    match state.app.issue_scim_token(&actor, v.get("label"), days, &ctx.client).await {
        Ok(issued) => traced(page(&state, &ctx, &uri, &actor, None, None, Some(issued.secret), None).await),
        Err(habilis_core::Error::Forbidden) => crate::respond::error_page(ctx.lang, &WebError::Core(habilis_core::Error::Forbidden), Some(&actor)),
        Err(e) => {
            let e = WebError::Core(e);
            e.log();
            page(&state, &ctx, &uri, &actor, Some(&e), None, None, Some(&v)).await
        }
    }
}

/// POST /partner/directory-sync/{id}/revoke
async fn revoke(State(state): State<AppState>, ctx: Ctx, uri: Uri, IdPath(id): IdPath<ScimTokenId>, SignedForm(actor, _): SignedForm) -> Response {
    match state.app.revoke_scim_token(&actor, id, &ctx.client).await {
        Ok(()) => traced(page(&state, &ctx, &uri, &actor, None, Some(ctx.lang.texts().scim_revoked_done.to_string()), None, None).await),
        Err(e @ (habilis_core::Error::Forbidden | habilis_core::Error::NotFound)) => crate::respond::error_page(ctx.lang, &WebError::Core(e), Some(&actor)),
        Err(e) => {
            let e = WebError::Core(e);
            e.log();
            page(&state, &ctx, &uri, &actor, Some(&e), None, None, None).await
        }
    }
}

fn token_json(k: &habilis_core::records::ScimToken, issuer: &str, usable: bool) -> serde_json::Value {
    let at = |d: time::OffsetDateTime| crate::view::rfc3339(d);
    json!({
        "id": k.id, "label": k.label, "issuer": issuer, "created_at": at(k.created_at), "expires_at": at(k.expires_at),
        "last_used_at": k.last_used_at.map(at), "revoked_at": k.revoked_at.map(at), "usable": usable,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    label: String,
    #[serde(default = "default_days")]
    days: i64,
}

fn default_days() -> i64 {
    SCIM_TOKEN_DAYS
}

/// GET /api/v1/scim-tokens
async fn api_list(State(state): State<AppState>, ApiActor(ref actor): ApiActor) -> Result<Response, WebError> {
    let now = state.app.now();
    let list: Vec<_> = state.app.scim_tokens(actor).await?.iter().map(|l| token_json(&l.token, &l.issuer, l.usable(now))).collect();
    Ok(Json(json!({ "tokens": list, "endpoint": format!("{}/scim/v2", state.config.public_url.trim_end_matches('/')) })).into_response())
}

/// POST /api/v1/scim-tokens {label, days}: the secret is in this answer only.
async fn api_issue(State(state): State<AppState>, ctx: Ctx, ApiActor(ref actor): ApiActor, ApiJson(b): ApiJson<TokenBody>) -> Result<Response, WebError> {
    let issued = state.app.issue_scim_token(actor, &b.label, b.days, &ctx.client).await?;
    let mut v = token_json(&issued.token, &actor.account.display_name, true);
    if let Some(o) = v.as_object_mut() {
        o.insert("token".into(), json!(issued.secret));
    }
    Ok(traced((StatusCode::CREATED, Json(v)).into_response()))
}

/// POST /api/v1/scim-tokens/{id}/revoke
async fn api_revoke(State(state): State<AppState>, ctx: Ctx, ApiActor(ref actor): ApiActor, IdPath(id): IdPath<ScimTokenId>) -> Result<Response, WebError> {
    state.app.revoke_scim_token(actor, id, &ctx.client).await?;
    Ok(traced(crate::respond::no_content()))
}

pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route(BASE, get(show).post(issue))
        .route(&format!("{BASE}/{{id}}/revoke"), post(revoke))
        .route("/api/v1/scim-tokens", get(api_list).post(api_issue))
        .route("/api/v1/scim-tokens/{id}/revoke", post(api_revoke))
}
