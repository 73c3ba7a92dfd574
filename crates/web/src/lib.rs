//! The web face of Habilis: HTML pages with plain forms (French first), the JSON API under
//! `/api/v1`, health and metrics. Handlers turn a request into a call to a core service and
//! its result into a page or a JSON answer; no rule of the product lives here.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

mod confirm;
pub mod context;
pub mod errors;
mod extract;
mod features;
pub mod i18n;
pub mod metrics;
mod middleware;
mod respond;
mod multipart;
mod state;
mod view;

use axum::Router;
use axum::extract::DefaultBodyLimit;

pub use state::{AppState, WebConfig};

/// The whole HTTP interface.
pub fn router(state: AppState) -> Router {
    let limit = state.config.max_body_bytes;
    features::routes()
        .fallback(features::ops::not_found)
        .method_not_allowed_fallback(features::ops::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::session))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::guard))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}
