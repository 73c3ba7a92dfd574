pub(crate) mod api;
pub(crate) mod pages;
pub(crate) mod second_factor;

use crate::state::AppState;

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    axum::Router::new().merge(api::routes()).merge(pages::routes()).merge(second_factor::routes())
}
