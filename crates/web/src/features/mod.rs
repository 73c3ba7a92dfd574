//! The portal's features, one module (or folder) each, with its pages and API side by
//! side and its own routes.

pub(crate) mod account;
pub(crate) mod catalogue;
pub(crate) mod home;
pub(crate) mod ops;
pub(crate) mod outbox;
pub(crate) mod partners;
pub(crate) mod requests;
pub(crate) mod rights;
pub(crate) mod supervision;
pub(crate) mod traces;

use crate::state::AppState;

/// Every route of the portal.
pub(crate) fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .merge(account::routes())
        .merge(home::routes())
        .merge(partners::routes())
        .merge(catalogue::routes())
        .merge(outbox::routes())
        .merge(requests::routes())
        .merge(rights::routes())
        .merge(supervision::routes())
        .merge(traces::routes())
        .merge(ops::routes())
}
