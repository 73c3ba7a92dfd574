//! The outbox: messages waiting or sent (caisse administrators), page and API.


use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use habilis_core::records::{DeliveryStatus};
use habilis_core::clock::format_paris;
use serde_json::{Value, json};

use crate::context::Ctx;
use crate::errors::WebError;
use crate::extract::{ApiActor, SignedIn};
use crate::respond::error_page;
use crate::state::AppState;
use crate::view::{Chrome, render};

/// A message of the outbox.
struct MessageRow {
    created: String,
    to: String,
    subject: String,
    body: String,
    status: String,
}

#[derive(Template)]
#[template(path = "outbox.html")]
struct OutboxPage {
    c: Chrome,
    messages: Vec<MessageRow>,
}

/// GET /caisse/outbox
pub async fn outbox(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, uri: Uri) -> Response {
    let actor = &actor;
    let t = ctx.lang.texts();
    match state.app.outbox(actor, 200).await {
        Ok(list) => {
            let messages = list
                .into_iter()
                .map(|m| {
                    let status = match m.status {
                        DeliveryStatus::Sent => t.outbox_sent,
                        DeliveryStatus::Failed => t.outbox_failed,
                        DeliveryStatus::Pending => t.outbox_pending,
                    };
                    MessageRow { created: format_paris(m.created_at), to: m.to_address, subject: m.subject, body: m.body, status: status.to_string() }
                })
                .collect();
            render(&OutboxPage { c: Chrome::new(ctx.lang, Some(&uri), Some(actor)), messages }, StatusCode::OK)
        }
        Err(e) => error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    }
}

/// GET /api/v1/outbox
pub async fn api_outbox(State(state): State<AppState>, ApiActor(ref a): ApiActor) -> Result<Response, WebError> {
    let list = state.app.outbox(a, 200).await?;
    let v: Vec<Value> = list
        .iter()
        .map(|m| json!({ "id": m.id, "to": m.to_address, "subject": m.subject, "body": m.body, "status": m.status,
                         "attempts": m.attempts, "created_at": crate::view::rfc3339(m.created_at) }))
        .collect();
    Ok(Json(json!({ "messages": v })).into_response())
}

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get};
    axum::Router::new()
        .route("/caisse/outbox", get(outbox))
        .route("/api/v1/outbox", get(api_outbox))
}
