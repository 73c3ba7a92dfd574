//! The services: one file per feature, each an `impl App` block with one method per user
//! action. A service opens a transaction, checks reach and rules (`reach`, `policy`),
//! writes its change and its trace, and commits. Services never import one another: what
//! two of them need lives in `shared`, `reach` or `policy`.


pub mod access;
pub mod alerts;
pub mod audit;
pub mod auth;
pub mod caisse;
pub mod change_request;
pub mod check;
pub mod desk;
pub mod directory;
pub mod exports;
pub mod grants;
pub mod imports;
pub mod groups;
pub mod mandates;
pub mod mine;
pub mod oidc;
pub mod onboarding;
pub mod queries;
pub mod retention;
pub mod reviews;
pub mod scim;
pub mod second_factor;
pub mod setup;
pub mod staff;
pub mod supervision;
pub mod trail;
pub mod users;
