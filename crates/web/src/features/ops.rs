//! For operators and machines: health, readiness, metrics, the API description, the
//! stylesheet, and the answers for unknown paths and methods.


use axum::Json;
use axum::extract::State;
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use habilis_core::store::Store;
use serde_json::json;

use crate::context::Ctx;
use crate::errors::WebError;
use crate::respond::error_page;
use crate::state::AppState;
use crate::view::{Chrome, MessagePage, render};

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
        {
            let mut text = state.metrics.render();
            let store = &state.app.store;
            text.push_str(&crate::metrics::render_trail(&state.app.traces.waits(), store.stale_trace_commits(), store.stale_trace_batches()));
            text
        },
    )
        .into_response()
}

/// GET /api/v1/openapi.json — the API's description (kept in `crates/web/api/openapi.json`;
/// a router test checks that every path it documents is served).
pub async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        include_str!("../../api/openapi.json"),
    )
        .into_response()
}

/// 404 for pages and JSON alike.
pub async fn not_found(ctx: Ctx) -> Response {
    if ctx.is_api {
        return crate::respond::error_response(ctx.api_lang, &WebError::NotFound);
    }
    let t = ctx.lang.texts();
    let page = MessagePage {
        c: Chrome::new(ctx.lang, None, ctx.actor.as_ref()),
        title: t.not_found_title.into(),
        paragraphs: vec![t.err_not_found.into()],
        is_error: true,
        show_home_link: true,
    };
    render(&page, StatusCode::NOT_FOUND)
}

/// 405 for pages and JSON alike.
pub async fn method_not_allowed(ctx: Ctx) -> Response {
    if ctx.is_api {
        return crate::respond::error_response(ctx.api_lang, &WebError::Method);
    }
    error_page(ctx.lang, &WebError::Method, ctx.actor.as_ref())
}

/// The stylesheet, embedded in the binary.
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
        ],
        include_str!("../../static/habilis.css"),
    )
        .into_response()
}

/// The portal's icon (an SVG, also answered at `/favicon.ico`, which browsers ask for).
pub async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400")),
        ],
        include_str!("../../static/favicon.svg"),
    )
        .into_response()
}

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get};
    axum::Router::new()
        .route("/static/habilis.css", get(stylesheet))
        .route("/static/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}
