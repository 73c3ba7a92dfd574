pub(crate) mod actions;
pub(crate) mod api;
pub(crate) mod pages;
pub(crate) mod person;

use crate::state::AppState;

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    axum::Router::new().merge(actions::routes()).merge(api::routes()).merge(pages::routes()).merge(person::routes())
}
