//! The web face of Habilis: HTML pages with plain forms (French first), the JSON API under
//! `/api/v1`, health and metrics. Handlers turn a request into a call to a core service and
//! its result into a page or a JSON answer; no rule of the product lives here.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

mod api;
mod api_caisse;
mod api_partner;
mod caisse_pages;
pub mod context;
pub mod errors;
mod extract;
pub mod i18n;
pub mod metrics;
mod middleware;
mod pages;
mod request_pages;
mod respond;
mod rights_pages;
mod state;
mod supervision_pages;
mod traces_pages;
mod view;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub use state::{AppState, WebConfig};

/// The whole HTTP interface.
pub fn router(state: AppState) -> Router {
    let limit = state.config.max_body_bytes;
    Router::new()
        .route("/", get(pages::home))
        .route("/login", get(pages::login_form).post(pages::login_submit))
        .route("/logout", post(pages::logout))
        .route("/password", get(pages::change_password_form).post(pages::change_password_submit))
        .route("/set-password", get(pages::set_password_form).post(pages::set_password_submit))
        .route("/static/habilis.css", get(pages::stylesheet))
        .route("/caisse/partners", get(caisse_pages::partners))
        .route("/caisse/partners/new", get(caisse_pages::partner_new).post(caisse_pages::partner_create))
        .route("/caisse/partners/{id}", get(caisse_pages::partner))
        .route("/caisse/partners/{id}/edit", get(caisse_pages::partner_edit).post(caisse_pages::partner_update))
        .route("/caisse/partners/{id}/{what}", post(caisse_pages::partner_action))
        .route("/caisse/administrators/{id}/{what}", post(caisse_pages::administrator_status))
        .route("/caisse/contacts/{id}/delete", post(caisse_pages::delete_contact))
        .route("/caisse/partners/{id}/contract", get(caisse_pages::contract))
        .route("/caisse/partners/{id}/rights", get(rights_pages::caisse_rights))
        .route("/caisse/partners/{id}/rights/{what}", post(rights_pages::caisse_rights_post))
        .route("/caisse/partners/{id}/rights/{kind}/{target}/{what}", post(rights_pages::caisse_rights_action))
        .route("/partner/contract", get(caisse_pages::own_contract))
        .route("/partner/rights", get(rights_pages::rights))
        .route("/partner/{what}", post(rights_pages::rights_post))
        .route("/partner/{kind}/{id}/{what}", post(rights_pages::rights_action))
        .route("/caisse/services", get(caisse_pages::services).post(caisse_pages::services_post))
        .route("/caisse/services/roles", post(caisse_pages::services_post))
        .route("/caisse/outbox", get(caisse_pages::outbox))
        .route("/caisse/supervision", get(supervision_pages::page))
        .route("/traces", get(traces_pages::page))
        .route("/traces/export", get(traces_pages::export))
        .route("/access-requests", get(traces_pages::access).post(traces_pages::access_create))
        .route("/access-requests/{id}/export", get(traces_pages::access_export))
        .route("/access-requests/{id}/{what}", post(traces_pages::access_action))
        .route("/api/v1/traces", get(traces_pages::api_list))
        .route("/api/v1/traces/export", get(traces_pages::api_export))
        .route("/api/v1/access-requests", get(traces_pages::api_access_list).post(traces_pages::api_access_create))
        .route("/api/v1/access-requests/{id}/export", get(traces_pages::api_access_export))
        .route("/api/v1/access-requests/{id}/{what}", post(traces_pages::api_access_action))
        .route("/api/v1/supervision/grants", get(supervision_pages::api_grants))
        .route("/api/v1/supervision/dormant-accounts", get(supervision_pages::api_dormant))
        .route("/api/v1/supervision/incomplete-partners", get(supervision_pages::api_incomplete))
        .route("/caisse/requests", get(request_pages::requests))
        .route("/caisse/requests/{id}", post(request_pages::decide))
        .route("/partner/administrator-change", get(request_pages::admin_change_form).post(request_pages::admin_change_submit))
        .route("/api/v1/admin-change-requests", get(request_pages::api_list).post(request_pages::api_create))
        .route("/api/v1/admin-change-requests/{id}/decision", post(request_pages::api_decide))
        .route("/api/v1/session", post(api::create_session).delete(api::delete_session))
        .route("/api/v1/me", get(api::me))
        .route("/api/v1/openapi.json", get(api::openapi))
        .route("/api/v1/partners", get(api_caisse::list_partners).post(api_caisse::create_partner))
        .route("/api/v1/partners/{id}", get(api_caisse::partner_file).put(api_caisse::update_partner))
        .route("/api/v1/partners/{id}/conventions", post(api_caisse::add_convention))
        .route("/api/v1/partners/{id}/contracts", post(api_caisse::add_contract))
        .route("/api/v1/partners/{id}/amendments", post(api_caisse::add_amendment))
        .route("/api/v1/partners/{id}/subscriptions", post(api_caisse::add_subscription))
        .route("/api/v1/partners/{id}/administrators", post(api_caisse::add_administrator))
        .route("/api/v1/partners/{id}/contacts", post(api_caisse::add_contact))
        .route("/api/v1/partners/{id}/grants", get(api_caisse::partner_grants))
        .route("/api/v1/supervision/grants/{id}/suspend", post(api_caisse::suspend_grant))
        .route("/api/v1/supervision/grants/{id}/lift", post(api_caisse::lift_suspension))
        .route("/api/v1/supervision/grants/{id}/queries", post(api_caisse::open_query))
        .route("/api/v1/queries", get(api_caisse::list_queries))
        .route("/api/v1/queries/{id}/answer", post(api_caisse::answer_query))
        .route("/api/v1/queries/{id}/close", post(api_caisse::close_query))
        .route("/api/v1/supervision/partners/{id}/force-password-change", post(api_caisse::force_password_change))
        .route("/api/v1/contacts/{id}", axum::routing::delete(api_caisse::delete_contact))
        .route("/api/v1/administrators/{id}/{what}", post(api_caisse::administrator_status))
        .route("/api/v1/services", get(api_caisse::services).post(api_caisse::create_service))
        .route("/api/v1/services/{code}/roles", post(api_caisse::add_role))
        .route("/api/v1/outbox", get(api_caisse::outbox))
        .route("/api/v1/users", get(api_partner::list_users).post(api_partner::create_user))
        .route("/api/v1/users/{id}", get(api_partner::user_file).put(api_partner::update_user))
        .route("/api/v1/users/{id}/{what}", post(api_partner::user_action))
        .route("/api/v1/grants", get(api_partner::list_grants).post(api_partner::create_grant))
        .route("/api/v1/grants/{id}/{what}", post(api_partner::grant_state))
        .route("/api/v1/groups", get(api_partner::list_groups).post(api_partner::create_group))
        .route("/api/v1/mandates", get(api_partner::list_mandates).post(api_partner::give_mandate))
        .route("/api/v1/mandates/{id}/withdraw", post(api_partner::withdraw_mandate))
        .route("/api/v1/groups/{id}", axum::routing::put(api_partner::rename_group).delete(api_partner::delete_group))
        .route("/api/v1/grants/{id}/end", axum::routing::put(api_partner::set_grant_end))
        .route("/api/v1/groups/{id}/members", post(api_partner::add_member))
        .route("/api/v1/groups/{id}/members/{account}", axum::routing::delete(api_partner::remove_member))
        .route("/api/v1/groups/{id}/grants", post(api_partner::grant_to_group))
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz))
        .route("/metrics", get(api::metrics))
        .fallback(pages::not_found)
        .method_not_allowed_fallback(pages::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::session))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::guard))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}
