//! The caisse's own staff (caisse administrators): appoint, change roles, suspend,
//! reactivate, deactivate — page and API. Whether each action is allowed is the core's
//! decision (`services::staff`).

use askama::Template;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use habilis_core::commands::StaffInput;
use habilis_core::records::*;
use habilis_core::services::staff::{StaffAction, staff_roles};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::context::Ctx;
use crate::errors::WebError;
use crate::extract::{ApiActor, ApiJson, IdPath, SignedForm, SignedIn, Values, traced};
use crate::respond::{created, error_page};
use crate::state::AppState;
use crate::view::{Chrome, render, rfc3339, role_label};

verbs!(
    /// What may be done to a member of staff.
    StaffVerb { Suspend => "suspend", Reactivate => "reactivate", Deactivate => "deactivate" }
);

impl StaffVerb {
    fn action(self) -> StaffAction {
        match self {
            StaffVerb::Suspend => StaffAction::Suspend,
            StaffVerb::Reactivate => StaffAction::Reactivate,
            StaffVerb::Deactivate => StaffAction::Deactivate,
        }
    }
}

/// A role offered as a checkbox, with whether the person holds it.
struct RoleBox {
    code: &'static str,
    label: &'static str,
    held: bool,
}

/// A member of staff, with what the page offers on them.
struct StaffRow {
    id: String,
    name: String,
    login: String,
    roles: String,
    status: &'static str,
    status_code: &'static str,
    last_login: String,
    boxes: Vec<RoleBox>,
    /// Not oneself: one does not suspend or deactivate oneself.
    actions: bool,
    /// A lost second factor may be reset here (core's `may_reset_second_factor`).
    reset_factor: bool,
}

#[derive(Template)]
#[template(path = "staff.html")]
struct StaffPage {
    c: Chrome,
    csrf: String,
    error: Option<String>,
    notice: Option<String>,
    v: Values,
    rows: Vec<StaffRow>,
    new_boxes: Vec<RoleBox>,
}

fn status_label(t: &crate::i18n::Texts, s: AccountStatus) -> &'static str {
    match s {
        AccountStatus::Active => t.status_active,
        AccountStatus::Suspended => t.status_suspended,
        AccountStatus::Deactivated => t.status_deactivated,
    }
}

async fn staff_page(state: &AppState, ctx: &Ctx, actor: &Actor, v: Values, err: Option<WebError>, notice: Option<String>) -> Response {
    let t = ctx.lang.texts();
    let people = match state.app.staff(actor).await {
        Ok(p) => p,
        Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    };
    let offered = staff_roles(OrganisationKind::Caisse);
    let boxes = |held: &dyn Fn(Role) -> bool| -> Vec<RoleBox> {
        offered.iter().map(|r| RoleBox { code: r.as_str(), label: role_label(t, *r), held: held(*r) }).collect()
    };
    let rows = people
        .iter()
        .map(|p| StaffRow {
            id: p.id.to_string(),
            name: p.display_name.clone(),
            login: p.login.clone(),
            roles: p.roles.iter().map(|r| role_label(t, *r)).collect::<Vec<_>>().join(", "),
            status: status_label(t, p.status),
            status_code: p.status.as_str(),
            last_login: p.last_login_at.map(habilis_core::clock::format_paris).unwrap_or_else(|| t.never_signed_in.into()),
            boxes: boxes(&|r| p.roles.contains(&r)),
            actions: p.id != actor.account.id,
            reset_factor: habilis_core::policy::abilities::may_reset_second_factor(actor, p, &actor.organisation),
        })
        .collect();
    let new_boxes = boxes(&|r| !v.get(&format!("role_{}", r.as_str())).is_empty());
    let page = StaffPage {
        c: Chrome::new(ctx.lang, None, Some(actor)),
        csrf: actor.session.csrf_token.clone(),
        error: err.as_ref().map(|e| e.message(t)),
        notice,
        v,
        rows,
        new_boxes,
    };
    render(&page, err.map(|e| e.status()).unwrap_or(StatusCode::OK))
}

/// `?ok=…` after a saved form.
#[derive(Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    ok: Option<String>,
}

/// GET /caisse/staff
pub async fn page(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, q: Result<Query<DoneQuery>, QueryRejection>) -> Response {
    let t = ctx.lang.texts();
    let notice = q.ok().and_then(|Query(q)| q.ok).map(|what| match what.as_str() {
        "appointed" => t.staff_appointed.to_string(),
        _ => t.saved.to_string(),
    });
    staff_page(&state, &ctx, &actor, Values::default(), None, notice).await
}

/// The roles ticked in a form (`role_<name>` checkboxes).
fn ticked(v: &Values) -> Vec<String> {
    staff_roles(OrganisationKind::Caisse)
        .iter()
        .filter(|r| !v.get(&format!("role_{}", r.as_str())).is_empty())
        .map(|r| r.as_str().to_string())
        .collect()
}

/// POST /caisse/staff — appoint.
pub async fn appoint(State(state): State<AppState>, ctx: Ctx, SignedForm(actor, v): SignedForm) -> Response {
    let input = StaffInput {
        first_name: v.get("first_name").into(),
        last_name: v.get("last_name").into(),
        email: v.get("email").into(),
        function: v.get("function").into(),
        login: v.get("login").into(),
        roles: ticked(&v),
    };
    match state.app.appoint_staff(&actor, &input, &state.config.public_url, &ctx.client).await {
        Ok(_) => traced(Redirect::to("/caisse/staff?ok=appointed").into_response()),
        Err(e) => staff_page(&state, &ctx, &actor, v, Some(WebError::Core(e)), None).await,
    }
}

/// POST /caisse/staff/{id}/roles
pub async fn roles(IdPath(id): IdPath<AccountId>, State(state): State<AppState>, ctx: Ctx, SignedForm(actor, v): SignedForm) -> Response {
    match state.app.set_staff_roles(&actor, id, &ticked(&v), &ctx.client).await {
        Ok(_) => traced(Redirect::to("/caisse/staff?ok=1").into_response()),
        Err(e) => staff_page(&state, &ctx, &actor, Values::default(), Some(WebError::Core(e)), None).await,
    }
}

async fn act(state: AppState, ctx: Ctx, actor: Actor, id: AccountId, verb: StaffVerb) -> Response {
    match state.app.staff_action(&actor, id, verb.action(), &ctx.client).await {
        Ok(()) => traced(Redirect::to("/caisse/staff?ok=1").into_response()),
        Err(e) => staff_page(&state, &ctx, &actor, Values::default(), Some(WebError::Core(e)), None).await,
    }
}

fn staff_json(a: &Account) -> Value {
    json!({
        "id": a.id,
        "login": a.login,
        "name": a.display_name,
        "email": a.email,
        "function": a.function,
        "roles": a.roles,
        "status": a.status,
        "last_login_at": a.last_login_at.map(rfc3339),
    })
}

/// GET /api/v1/staff
pub async fn api_list(State(state): State<AppState>, ApiActor(ref a): ApiActor) -> Result<Response, WebError> {
    let people = state.app.staff(a).await?;
    Ok(Json(json!({ "staff": people.iter().map(staff_json).collect::<Vec<_>>() })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffBody {
    first_name: String,
    last_name: String,
    email: String,
    #[serde(default)]
    function: String,
    #[serde(default)]
    login: String,
    roles: Vec<String>,
}

/// POST /api/v1/staff
pub async fn api_appoint(State(state): State<AppState>, ctx: Ctx, ApiActor(ref a): ApiActor, ApiJson(b): ApiJson<StaffBody>) -> Result<Response, WebError> {
    let input = StaffInput { first_name: b.first_name, last_name: b.last_name, email: b.email, function: b.function, login: b.login, roles: b.roles };
    let account = state.app.appoint_staff(a, &input, &state.config.public_url, &ctx.client).await?;
    Ok(traced(created(staff_json(&account))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolesBody {
    roles: Vec<String>,
}

/// PUT /api/v1/staff/{id}/roles
pub async fn api_roles(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiActor(ref a): ApiActor,
    IdPath(id): IdPath<AccountId>,
    ApiJson(b): ApiJson<RolesBody>,
) -> Result<Response, WebError> {
    let account = state.app.set_staff_roles(a, id, &b.roles, &ctx.client).await?;
    Ok(traced(Json(staff_json(&account)).into_response()))
}

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post, put};
    let mut r = axum::Router::new()
        .route("/caisse/staff", get(page).post(appoint))
        .route("/caisse/staff/{id}/roles", post(roles))
        .route("/api/v1/staff", get(api_list).post(api_appoint))
        .route("/api/v1/staff/{id}/roles", put(api_roles));
    for &verb in StaffVerb::ALL {
        r = r
            .route(
                &format!("/caisse/staff/{{id}}/{}", verb.as_str()),
                post(move |IdPath(id): IdPath<AccountId>, State(state): State<AppState>, ctx: Ctx, SignedForm(actor, _): SignedForm| act(state, ctx, actor, id, verb)),
            )
            .route(
                &format!("/api/v1/staff/{{id}}/{}", verb.as_str()),
                post(move |State(state): State<AppState>, ctx: Ctx, ApiActor(a): ApiActor, IdPath(id): IdPath<AccountId>| async move {
                    state.app.staff_action(&a, id, verb.action(), &ctx.client).await.map_err(WebError::from)?;
                    Ok::<_, WebError>(traced(StatusCode::NO_CONTENT.into_response()))
                }),
            );
    }
    r
}
