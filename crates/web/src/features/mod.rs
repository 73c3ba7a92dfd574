//! The portal's features, one module (or folder) each, with its pages and API side by
//! side and its own routes.

/// The last segment of a family of routes (`…/{id}/suspend`, `…/{id}/resume`): an enum
/// with every verb and its path text, so that each verb is registered as a path of its
/// own and handlers receive the enum, never a string to compare.
macro_rules! verbs {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum $name { $($variant),+ }
        impl $name {
            /// Every verb, each registered as its own path.
            pub(crate) const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The path segment.
            pub(crate) fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }
    };
}

pub(crate) mod account;
pub(crate) mod catalogue;
pub(crate) mod check;
pub(crate) mod directory;
pub(crate) mod home;
pub(crate) mod imports;
pub(crate) mod oidc;
pub(crate) mod ops;
pub(crate) mod outbox;
pub(crate) mod partners;
pub(crate) mod requests;
pub(crate) mod alerts;
pub(crate) mod desk;
pub(crate) mod reviews;
pub(crate) mod rights;
pub(crate) mod scim;
pub(crate) mod staff;
pub(crate) mod supervision;
pub(crate) mod traces;

use crate::state::AppState;

/// Every route of the portal.
pub(crate) fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .merge(account::routes())
        .merge(home::routes())
        .merge(imports::routes())
        .merge(partners::routes())
        .merge(catalogue::routes())
        .merge(check::routes())
        .merge(oidc::routes())
        .merge(directory::routes())
        .merge(outbox::routes())
        .merge(requests::routes())
        .merge(reviews::routes())
        .merge(alerts::routes())
        .merge(desk::routes())
        .merge(rights::routes())
        .merge(scim::routes())
        .merge(staff::routes())
        .merge(supervision::routes())
        .merge(traces::routes())
        .merge(ops::routes())
}
