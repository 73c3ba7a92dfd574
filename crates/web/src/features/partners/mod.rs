pub(crate) mod api;
pub(crate) mod contract;
pub(crate) mod forms;
pub(crate) mod list;
pub(crate) mod pages;



use crate::state::AppState;

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    axum::Router::new().merge(api::routes()).merge(contract::routes()).merge(forms::routes()).merge(list::routes()).merge(pages::routes())
}
