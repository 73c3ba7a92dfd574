//! The home page: who is signed in, for which organisation, and their directory.


use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use habilis_core::clock::format_paris;
use habilis_core::records::*;

use crate::context::Ctx;
use crate::errors::WebError;
use crate::extract::SignedIn;
use crate::respond::error_page;
use crate::state::AppState;
use crate::view::{Chrome, function_label, render, role_label};

/// One of the signed-in person's rights.
struct RightLine {
    what: String,
    label: String,
    through: String,
    ends: String,
    state: String,
    suspended: bool,
    given: String,
}

/// A person of the organisation's directory.
struct ContactLine {
    function: String,
    name: String,
    title: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    welcome: String,
    organisation: String,
    roles: String,
    last_login: String,
    session_note: String,
    dashboard_title: String,
    /// Things to see or do now: (sentence, link).
    todo: Vec<(String, String)>,
    outages: Vec<String>,
    /// "Mes habilitations" (people of a partner).
    rights: Option<Vec<RightLine>>,
    contacts: Vec<ContactLine>,
}

/// GET /
pub async fn home(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, uri: Uri) -> Response {
    let actor = &actor;
    let t = ctx.lang.texts();
    let roles = &actor.account.roles;
    let dashboard_title = if roles.contains(&Role::CaisseAdmin) {
        t.home_caisse_admin
    } else if roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy)) {
        t.home_partner_admin
    } else if roles.contains(&Role::DelegatedManager) {
        t.home_delegated_manager
    } else if roles.iter().any(|r| r.is_caisse_staff()) {
        t.home_staff
    } else {
        t.home_user
    };
    let contacts = match state.app.own_directory(actor).await {
        Ok(cs) => cs.into_iter().map(|c| ContactLine { function: function_label(t, &c.function), name: c.name, title: c.title.unwrap_or_default() }).collect(),
        Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    };
    let can = habilis_core::policy::abilities::abilities(actor);
    let mut todo = Vec::new();
    if can.alerts
        && let Ok(n) = state.app.open_alerts(actor).await
        && n > 0
    {
        todo.push((t.home_alerts.replace("{n}", &n.to_string()), "/caisse/alerts".to_string()));
    }
    if can.incidents
        && let Ok(list) = state.app.incidents(actor, false).await
        && !list.is_empty()
    {
        todo.push((t.home_incidents.replace("{n}", &list.len().to_string()), "/incidents".to_string()));
    }
    if can.change_requests
        && let Ok(list) = state.app.admin_change_requests(actor).await
    {
        let n = list.iter().filter(|r| r.status == RequestStatus::Pending).count();
        if n > 0 {
            todo.push((t.home_change_requests.replace("{n}", &n.to_string()), "/caisse/requests".to_string()));
        }
    }
    let partner_admin = actor.organisation.kind == OrganisationKind::Partner && roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy));
    if partner_admin
        && let Ok(list) = state.app.queries(actor).await
    {
        let n = list.iter().filter(|q| q.status == QueryStatus::Open).count();
        if n > 0 {
            todo.push((t.home_queries.replace("{n}", &n.to_string()), "/partner/rights".to_string()));
        }
    }
    if can.reviews
        && let Ok(list) = state.app.my_reviews(actor).await
    {
        for (_, c, p) in list.iter().filter(|(_, _, p)| *p != habilis_core::services::reviews::Progress::Done) {
            let text = if *p == habilis_core::services::reviews::Progress::Late { t.home_review_late } else { t.home_review_open };
            todo.push((text.replace("{year}", &c.year.to_string()).replace("{date}", &crate::errors::format_date(c.due_on)), "/partner/reviews".to_string()));
        }
    }
    if can.access_requests
        && let Ok(list) = state.app.access_requests(actor).await
    {
        let me = actor.account.id;
        let n = list
            .iter()
            .filter(|r| (r.status == AccessStatus::Submitted && r.superior_id == me) || (partner_admin && r.status == AccessStatus::Forwarded))
            .count();
        if n > 0 {
            todo.push((t.home_access_requests.replace("{n}", &n.to_string()), "/access-requests".to_string()));
        }
    }
    if can.partner_rights
        && let Ok(grants) = state.app.grants(actor).await
    {
        let soon = state.app.today() + time::Duration::days(30);
        let today = state.app.today();
        let n = grants.iter().filter(|g| g.state != GrantState::Revoked && g.ends_on.is_some_and(|e| e >= today && e <= soon)).count();
        if n > 0 {
            todo.push((t.home_grants_ending.replace("{n}", &n.to_string()), "/partner/rights".to_string()));
        }
    }
    let outages = crate::features::desk::outage_lines(&state, &ctx, actor).await;
    let rights = if actor.organisation.kind == OrganisationKind::Partner {
        match state.app.my_rights(actor).await {
            Ok(list) => Some(
                list.into_iter()
                    .map(|r| RightLine {
                        what: r.what,
                        label: format!("{} — {}", r.service, r.role),
                        through: r.through.map(|g| t.my_rights_group.replace("{group}", &g)).unwrap_or_else(|| t.my_rights_direct.to_string()),
                        ends: r.ends_on.map(crate::errors::format_date).unwrap_or_else(|| t.review_no_end.to_string()),
                        state: if r.caisse_suspended {
                            t.my_rights_caisse_suspended.to_string()
                        } else if r.later {
                            t.my_rights_from.replace("{date}", &crate::errors::format_date(r.starts_on))
                        } else if r.state == GrantState::Suspended {
                            t.my_rights_suspended.to_string()
                        } else {
                            t.my_rights_active.to_string()
                        },
                        suspended: r.state == GrantState::Suspended,
                        given: format!("{} — {}", r.given_by, format_paris(r.given_at)),
                    })
                    .collect(),
            ),
            Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(actor)),
        }
    } else {
        None
    };
    let page = HomePage {
        c: Chrome::new(ctx.lang, Some(&uri), Some(actor)),
        welcome: t.home_welcome.replace("{name}", &actor.account.display_name),
        organisation: actor.organisation.name.clone(),
        roles: roles.iter().map(|r| role_label(t, *r)).collect::<Vec<_>>().join(", "),
        last_login: format_paris(actor.session.created_at),
        session_note: t
            .home_session_ends
            .replace("{idle}", &state.app.sessions.idle_minutes.to_string())
            .replace("{end}", &format_paris(actor.session.expires_at)),
        dashboard_title: dashboard_title.into(),
        todo,
        outages,
        rights,
        contacts,
    };
    render(&page, StatusCode::OK)
}

/// GET /api/v1/me/rights — the signed-in person's rights now.
pub async fn api_my_rights(State(state): State<AppState>, crate::extract::ApiActor(ref actor): crate::extract::ApiActor) -> Result<Response, WebError> {
    use axum::response::IntoResponse;
    Ok(axum::Json(serde_json::json!({ "rights": state.app.my_rights(actor).await? })).into_response())
}

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get};
    axum::Router::new()
        .route("/", get(home))
        .route("/api/v1/me/rights", get(api_my_rights))
}
