pub(crate) mod access;
pub(crate) mod trail;

use crate::state::AppState;

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    axum::Router::new().merge(access::routes()).merge(trail::routes())
}
