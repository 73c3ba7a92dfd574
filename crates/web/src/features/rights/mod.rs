pub(crate) mod actions;
pub(crate) mod api;
pub(crate) mod pages;

use crate::state::AppState;

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    axum::Router::new().merge(actions::routes()).merge(api::routes()).merge(pages::routes())
}
