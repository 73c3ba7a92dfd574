//! Administrator change requests (Annex 3): the partner's form and the caisse's list, in
//! pages and in JSON.


use askama::Template;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use habilis_core::clock::format_paris;
use habilis_core::commands::*;
use habilis_core::records::*;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::context::Ctx;
use crate::errors::WebError;
use crate::extract::{ApiActor, ApiJson, IdPath, SignedForm, SignedIn, Values, traced};
use crate::i18n::Texts;
use crate::respond::error_page;
use crate::state::AppState;
use crate::view::{Choice, Chrome, render};

fn input_of(v: &Values) -> ChangeRequestInput {
    ChangeRequestInput {
        first_name: v.get("first_name").into(),
        last_name: v.get("last_name").into(),
        function: v.get("function").into(),
        slot: v.get("slot").into(),
        replaces: v.get("replaces").into(),
        phone: v.get("phone").into(),
        mobile: v.get("mobile").into(),
        email: v.get("email").into(),
    }
}

fn status_text(t: &Texts, s: RequestStatus) -> &'static str {
    match s {
        RequestStatus::Pending => t.request_pending,
        RequestStatus::Accepted => t.request_accepted,
        RequestStatus::Refused => t.request_refused,
    }
}

/// A change request the partner sent: when, for whom, where it stands.
struct SentRequest {
    sent: String,
    person: String,
    status: String,
}

#[derive(Template)]
#[template(path = "admin_change.html")]
struct AdminChangePage {
    c: Chrome,
    csrf: String,
    v: Values,
    error: Option<String>,
    notice: Option<String>,
    /// The administrators who may be replaced.
    admins: Vec<Choice>,
    requests: Vec<SentRequest>,
}

async fn admin_change_page(state: &AppState, ctx: &Ctx, actor: &Actor, v: Values, err: Option<WebError>, notice: Option<String>) -> Response {
    let t = ctx.lang.texts();
    let requests = match state.app.admin_change_requests(actor).await {
        Ok(r) => r,
        Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    };
    let file = match state.app.partner_file(actor, actor.organisation.id).await {
        Ok(f) => f,
        Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    };
    let admins = file
        .administrators
        .iter()
        .filter(|a| a.status != AccountStatus::Deactivated)
        .map(|a| {
            let seat = if a.roles.contains(&Role::PartnerAdmin) { t.role_partner_admin } else { t.role_partner_deputy };
            Choice { value: a.id.to_string(), label: format!("{} ({seat})", a.display_name) }
        })
        .collect();
    let page = AdminChangePage {
        c: Chrome::new(ctx.lang, None, Some(actor)),
        csrf: actor.session.csrf_token.clone(),
        v,
        error: err.as_ref().map(|e| e.message(t)),
        notice,
        admins,
        requests: requests
            .iter()
            .map(|r| SentRequest { sent: format_paris(r.created_at), person: format!("{} {}", r.first_name, r.last_name), status: status_text(t, r.status).to_string() })
            .collect(),
    };
    render(&page, err.map(|e| e.status()).unwrap_or(StatusCode::OK))
}

#[derive(Deserialize, Default)]
pub struct SentQuery {
    #[serde(default)]
    sent: Option<String>,
}

/// GET /partner/administrator-change
pub async fn admin_change_form(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, q: Result<Query<SentQuery>, QueryRejection>) -> Response {
    let actor = &actor;
    let notice = q.ok().and_then(|Query(q)| q.sent).map(|_| ctx.lang.texts().change_request_sent.to_string());
    admin_change_page(&state, &ctx, actor, Values::default(), None, notice).await
}

/// POST /partner/administrator-change
pub async fn admin_change_submit(State(state): State<AppState>, ctx: Ctx, SignedForm(actor, v): SignedForm) -> Response {
    match state.app.request_admin_change(&actor, &input_of(&v), &ctx.client).await {
        Ok(_) => traced(Redirect::to("/partner/administrator-change?sent=1").into_response()),
        Err(e) => admin_change_page(&state, &ctx, &actor, v, Some(WebError::Core(e)), None).await,
    }
}

/// One request as the caisse's list shows it.
pub struct RequestView {
    pub id: String,
    pub partner: String,
    pub person: String,
    pub seat: String,
    pub function: String,
    pub replaces: String,
    pub phones: String,
    pub email: String,
    pub when: String,
    pub status: String,
    pub pending: bool,
}

#[derive(Template)]
#[template(path = "requests.html")]
struct RequestsPage {
    c: Chrome,
    csrf: String,
    error: Option<String>,
    notice: Option<String>,
    requests: Vec<RequestView>,
}

async fn requests_page(state: &AppState, ctx: &Ctx, actor: &Actor, uri: Option<&Uri>, err: Option<WebError>, notice: Option<String>) -> Response {
    let t = ctx.lang.texts();
    let list: Vec<ChangeRequest> = match state.app.admin_change_requests(actor).await {
        Ok(l) if habilis_core::reach::caisse_admin_of(actor).is_ok() => l,
        Ok(_) => return error_page(ctx.lang, &WebError::Core(habilis_core::Error::Forbidden), Some(actor)),
        Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    };
    let mut views = Vec::new();
    for r in list {
        let partner = state.app.partner_file(actor, r.partner_id).await.ok();
        let name_of = |id| {
            partner
                .as_ref()
                .and_then(|f| f.administrators.iter().find(|a| Some(a.id) == id).map(|a| a.display_name.clone()))
                .unwrap_or_else(|| t.replaces_nobody.to_string())
        };
        views.push(RequestView {
            id: r.id.to_string(),
            partner: partner.as_ref().map(|f| f.partner.name.clone()).unwrap_or_default(),
            person: format!("{} {}", r.first_name, r.last_name),
            seat: if r.slot == Slot::Principal { t.role_partner_admin.into() } else { t.role_partner_deputy.into() },
            function: r.function.clone(),
            replaces: name_of(r.replaces),
            phones: [r.phone.clone(), r.mobile.clone()].into_iter().flatten().collect::<Vec<_>>().join(" / "),
            email: r.email.clone(),
            when: format_paris(r.created_at),
            status: match &r.decision_reason {
                Some(reason) => format!("{} — {reason}", status_text(t, r.status)),
                None => status_text(t, r.status).to_string(),
            },
            pending: r.status == RequestStatus::Pending,
        });
    }
    let page = RequestsPage {
        c: Chrome::new(ctx.lang, uri, Some(actor)),
        csrf: actor.session.csrf_token.clone(),
        error: err.as_ref().map(|e| e.message(t)),
        notice,
        requests: views,
    };
    render(&page, err.map(|e| e.status()).unwrap_or(StatusCode::OK))
}

/// GET /caisse/requests
pub async fn requests(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, uri: Uri, q: Result<Query<SentQuery>, QueryRejection>) -> Response {
    let actor = &actor;
    let notice = q.ok().and_then(|Query(q)| q.sent).map(|_| ctx.lang.texts().saved.to_string());
    requests_page(&state, &ctx, actor, Some(&uri), None, notice).await
}

/// POST /caisse/requests/{id}
pub async fn decide(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<ChangeRequestId>, SignedForm(actor, v): SignedForm) -> Response {
    let accept = v.get("decision") == "accept";
    match state.app.decide_admin_change(&actor, id, accept, v.get("reason"), &state.config.public_url, &ctx.client).await {
        Ok(_) => traced(Redirect::to("/caisse/requests?sent=1").into_response()),
        Err(e) => requests_page(&state, &ctx, &actor, None, Some(WebError::Core(e)), None).await,
    }
}

// --- JSON ----------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    first_name: String,
    last_name: String,
    function: String,
    slot: String,
    #[serde(default)]
    replaces: Option<Uuid>,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    mobile: String,
    email: String,
}

/// POST /api/v1/admin-change-requests
pub async fn api_create(State(state): State<AppState>, ctx: Ctx, ApiActor(ref actor): ApiActor, ApiJson(b): ApiJson<RequestBody>) -> Result<Response, WebError> {
    let input = ChangeRequestInput {
        first_name: b.first_name,
        last_name: b.last_name,
        function: b.function,
        slot: b.slot,
        replaces: b.replaces.map(|u| u.to_string()).unwrap_or_default(),
        phone: b.phone,
        mobile: b.mobile,
        email: b.email,
    };
    let r = state.app.request_admin_change(actor, &input, &ctx.client).await?;
    Ok(traced((StatusCode::CREATED, Json(r)).into_response()))
}

/// GET /api/v1/admin-change-requests
pub async fn api_list(State(state): State<AppState>, ApiActor(ref actor): ApiActor) -> Result<Response, WebError> {
    let list = state.app.admin_change_requests(actor).await?;
    Ok(Json(json!({ "requests": list })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    accept: bool,
    #[serde(default)]
    reason: String,
}

/// POST /api/v1/admin-change-requests/{id}/decision
pub async fn api_decide(
    State(state): State<AppState>,
    ctx: Ctx, ApiActor(ref actor): ApiActor,
    IdPath(id): IdPath<ChangeRequestId>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> Result<Response, WebError> {
    let r = state.app.decide_admin_change(actor, id, b.accept, &b.reason, &state.config.public_url, &ctx.client).await?;
    Ok(traced(Json(r).into_response()))
}

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/caisse/requests", get(requests))
        .route("/caisse/requests/{id}", post(decide))
        .route("/partner/administrator-change", get(admin_change_form).post(admin_change_submit))
        .route("/api/v1/admin-change-requests", get(api_list).post(api_create))
        .route("/api/v1/admin-change-requests/{id}/decision", post(api_decide))
}
