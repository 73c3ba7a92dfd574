//! The right of access (R63): a person asks for their own traces, their superior
//! forwards, an administrator exports and answers; pages and API.


use askama::Template;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use habilis_core::policy::abilities::on_access_request;
use habilis_core::records::*;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::trail::{TraceParams, download, export_format};
use crate::context::Ctx;
use crate::errors::{WebError, format_date};
use crate::extract::{ApiActor, ApiJson, IdPath, SignedForm, SignedIn, Values, traced};
use crate::respond::error_page;
use crate::state::AppState;
use crate::view::{Choice, Chrome, render};

// --- the right of access ------------------------------------------------------------------

/// A request, with what the person looking may do with it (core's abilities).
struct RequestRow {
    id: String,
    requester: String,
    superior: String,
    created: String,
    due: String,
    status: String,
    late: bool,
    may_forward: bool,
    may_answer: bool,
    may_close: bool,
    may_download: bool,
}

#[derive(Template)]
#[template(path = "access_requests.html")]
struct AccessPage {
    c: Chrome,
    csrf: String,
    error: Option<String>,
    notice: Option<String>,
    v: Values,
    superiors: Vec<Choice>,
    rows: Vec<RequestRow>,
}

async fn access_page(state: &AppState, ctx: &Ctx, actor: &Actor, v: Values, err: Option<WebError>, notice: Option<String>) -> Response {
    let t = ctx.lang.texts();
    let app = &state.app;
    let loaded = async { Ok::<_, habilis_core::Error>((app.possible_superiors(actor).await?, app.access_requests_named(actor).await?)) }.await;
    let (superiors, requests) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    };
    let today = app.today();
    let status = |r: &AccessRequest| match r.status {
        AccessStatus::Submitted => t.access_submitted,
        AccessStatus::Forwarded => t.access_forwarded,
        AccessStatus::Answered => t.access_answered,
    };
    let page = AccessPage {
        c: Chrome::new(ctx.lang, None, Some(actor)),
        csrf: actor.session.csrf_token.clone(),
        error: err.as_ref().map(|e| e.message(t)),
        notice,
        v,
        superiors: superiors.iter().map(|a| Choice { value: a.id.to_string(), label: format!("{} ({})", a.display_name, a.login) }).collect(),
        rows: requests
            .iter()
            .map(|(r, requester, superior)| {
                let may = on_access_request(actor, r);
                RequestRow {
                    id: r.id.to_string(),
                    requester: requester.clone(),
                    superior: superior.clone(),
                    created: habilis_core::clock::format_paris(r.created_at),
                    due: format_date(r.due_on),
                    status: status(r).to_string(),
                    late: r.late(today),
                    may_forward: may.forward,
                    may_answer: may.answer,
                    may_close: may.close,
                    may_download: may.download,
                }
            })
            .collect(),
    };
    render(&page, err.map(|e| e.status()).unwrap_or(StatusCode::OK))
}

#[derive(Deserialize, Default)]
pub struct SentQuery {
    #[serde(default)]
    ok: Option<String>,
}

/// GET /access-requests
pub async fn access(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, q: Result<Query<SentQuery>, QueryRejection>) -> Response {
    let notice = q.ok().and_then(|Query(q)| q.ok).map(|_| ctx.lang.texts().saved.to_string());
    access_page(&state, &ctx, &actor, Values::default(), None, notice).await
}

/// POST /access-requests
pub async fn access_create(State(state): State<AppState>, ctx: Ctx, SignedForm(actor, v): SignedForm) -> Response {
    let superior = match v.get("superior") {
        "" => None,
        raw => Some(AccountId(Uuid::parse_str(raw).unwrap_or(Uuid::nil()))),
    };
    match state.app.request_access(&actor, superior, v.get("reason"), &ctx.client).await {
        Ok(_) => traced(Redirect::to("/access-requests?ok=sent").into_response()),
        Err(e) => access_page(&state, &ctx, &actor, v, Some(WebError::Core(e)), None).await,
    }
}

verbs!(
    /// The steps of a request: the superior forwards it, an administrator answers it.
    AccessStep { Forward => "forward", Answer => "answer" }
);

/// POST /access-requests/{id}/{forward|answer}
pub async fn access_action(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<AccessRequestId>, SignedForm(actor, _): SignedForm, what: AccessStep) -> Response {
    let r = match what {
        AccessStep::Forward => state.app.forward_access_request(&actor, id, &ctx.client).await,
        AccessStep::Answer => state.app.answer_access_request(&actor, id, &ctx.client).await,
    };
    match r {
        Ok(_) => traced(Redirect::to("/access-requests?ok=done").into_response()),
        Err(e) => access_page(&state, &ctx, &actor, Values::default(), Some(WebError::Core(e)), None).await,
    }
}

/// GET /access-requests/{id}/download — the requester's own export, once answered (CSV).
pub async fn access_download(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<AccessRequestId>) -> Response {
    match state.app.access_request_download(&actor, id, &ctx.client).await {
        Ok((r, records)) => traced(download(&records, None, "csv", &format!("mes-traces-{}", r.created_at.date()))),
        Err(e) => error_page(ctx.lang, &WebError::Core(e), Some(&actor)),
    }
}

/// GET /access-requests/{id}/export (CSV of the requester's traces)
pub async fn access_export(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<AccessRequestId>) -> Response {
    match state.app.access_request_export(&actor, id, &ctx.client).await {
        Ok((r, records)) => traced(download(&records, None, "csv", &format!("droit-acces-{}", r.created_at.date()))),
        Err(e) => error_page(ctx.lang, &WebError::Core(e), Some(&actor)),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessBody {
    #[serde(default)]
    superior: Option<Uuid>,
    #[serde(default)]
    reason: String,
}

/// GET /api/v1/access-requests
pub async fn api_access_list(State(state): State<AppState>, ApiActor(actor): ApiActor) -> Result<Response, WebError> {
    let today = state.app.today();
    let list = state.app.access_requests(&actor).await?;
    let v: Vec<_> = list.iter().map(|r| json!({ "request": r, "late": r.late(today) })).collect();
    Ok(Json(json!({ "requests": v })).into_response())
}

/// POST /api/v1/access-requests {"superior"?, "reason"?}
pub async fn api_access_create(State(state): State<AppState>, ctx: Ctx, ApiActor(actor): ApiActor, ApiJson(b): ApiJson<AccessBody>) -> Result<Response, WebError> {
    let r = state.app.request_access(&actor, b.superior.map(AccountId), &b.reason, &ctx.client).await?;
    Ok(traced((StatusCode::CREATED, Json(json!(r))).into_response()))
}

/// POST /api/v1/access-requests/{id}/{forward|answer}
pub async fn api_access_action(State(state): State<AppState>, ctx: Ctx, ApiActor(actor): ApiActor, IdPath(id): IdPath<AccessRequestId>, what: AccessStep) -> Result<Response, WebError> {
    let r = match what {
        AccessStep::Forward => state.app.forward_access_request(&actor, id, &ctx.client).await,
        AccessStep::Answer => state.app.answer_access_request(&actor, id, &ctx.client).await,
    };
    let r = r?;
    Ok(traced(Json(json!(r)).into_response()))
}

/// GET /api/v1/access-requests/{id}/export?format=csv|json
pub async fn api_access_export(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiActor(actor): ApiActor,
    IdPath(id): IdPath<AccessRequestId>,
    q: Result<Query<TraceParams>, QueryRejection>,
) -> Result<Response, WebError> {
    let p = q.map(|Query(p)| p).unwrap_or_default();
    let Some(format) = export_format(&p) else {
        return Err(WebError::Core(habilis_core::Error::invalid("format", habilis_core::values::ValueError::BadFormat)));
    };
    let (r, records) = state.app.access_request_export(&actor, id, &ctx.client).await?;
    Ok(traced(download(&records, None, format, &format!("droit-acces-{}", r.created_at.date()))))
}

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/access-requests", get(access).post(access_create))
        .route("/access-requests/{id}/export", get(access_export))
        .route("/access-requests/{id}/download", get(access_download))
        .merge(AccessStep::ALL.iter().fold(axum::Router::new(), |r, &what| {
            r.route(
                &format!("/access-requests/{{id}}/{}", what.as_str()),
                post(move |state: State<AppState>, ctx: Ctx, id: IdPath<AccessRequestId>, form: SignedForm| access_action(state, ctx, id, form, what)),
            )
        }))
        .route("/api/v1/access-requests", get(api_access_list).post(api_access_create))
        .route("/api/v1/access-requests/{id}/export", get(api_access_export))
        .merge(AccessStep::ALL.iter().fold(axum::Router::new(), |r, &what| {
            r.route(
                &format!("/api/v1/access-requests/{{id}}/{}", what.as_str()),
                post(move |state: State<AppState>, ctx: Ctx, a: ApiActor, id: IdPath<AccessRequestId>| api_access_action(state, ctx, a, id, what)),
            )
        }))
}
