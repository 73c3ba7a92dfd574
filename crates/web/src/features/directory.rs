//! The directory (Annex 1) of one's own organisation: the caisse's (director,
//! habilitation administrators, security officer, service desk with its address) for its
//! administrators, a partner's for its administrators. Notifications go to its addresses.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use habilis_core::commands::ContactInput;
use habilis_core::records::*;
use serde::Deserialize;

use crate::context::Ctx;
use crate::errors::WebError;
use crate::extract::{IdPath, SignedForm, SignedIn, Values, traced};
use crate::respond::error_page;
use crate::state::AppState;
use crate::view::{Chrome, function_label, render};

struct Line {
    id: String,
    function: String,
    name: String,
    title: String,
    reach: String,
}

#[derive(Template)]
#[template(path = "directory.html")]
struct DirectoryPage {
    c: Chrome,
    csrf: String,
    error: Option<String>,
    notice: Option<String>,
    v: Values,
    organisation: String,
    lines: Vec<Line>,
    /// The functions this side's directory names.
    functions: Vec<(&'static str, String)>,
}

async fn directory_page(state: &AppState, ctx: &Ctx, actor: &Actor, v: Values, err: Option<WebError>, notice: Option<String>) -> Response {
    let t = ctx.lang.texts();
    let contacts = match state.app.editable_directory(actor).await {
        Ok(c) => c,
        Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    };
    let functions: &[&'static str] = match actor.organisation.kind {
        OrganisationKind::Partner => &["administrator", "deputy", "security_officer", "data_protection_referent", "director", "escalation_1", "escalation_2", "escalation_3"],
        _ => &["director", "administrator", "security_officer", "service_desk", "data_protection_referent", "escalation_1", "escalation_2", "escalation_3"],
    };
    let page = DirectoryPage {
        c: Chrome::new(ctx.lang, None, Some(actor)),
        csrf: actor.session.csrf_token.clone(),
        error: err.as_ref().map(|e| e.message(t)),
        notice,
        v,
        organisation: actor.organisation.name.clone(),
        lines: contacts
            .iter()
            .map(|c| Line {
                id: c.id.to_string(),
                function: function_label(t, &c.function),
                name: c.name.clone(),
                title: c.title.clone().unwrap_or_default(),
                reach: [c.email.clone(), c.phone.clone()].into_iter().flatten().collect::<Vec<_>>().join(" — "),
            })
            .collect(),
        functions: functions.iter().map(|f| (*f, function_label(t, f))).collect(),
    };
    render(&page, err.map(|e| e.status()).unwrap_or(StatusCode::OK))
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    ok: Option<String>,
}

/// GET /directory
pub async fn page(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, q: Result<Query<DoneQuery>, QueryRejection>) -> Response {
    let notice = q.ok().and_then(|Query(q)| q.ok).map(|_| ctx.lang.texts().saved.to_string());
    directory_page(&state, &ctx, &actor, Values::default(), None, notice).await
}

/// POST /directory
pub async fn add(State(state): State<AppState>, ctx: Ctx, SignedForm(actor, v): SignedForm) -> Response {
    let input = ContactInput {
        function: v.get("function").into(),
        name: v.get("name").into(),
        title: v.get("title").into(),
        email: v.get("email").into(),
        phone: v.get("phone").into(),
    };
    match state.app.add_contact(&actor, actor.organisation.id, &input, &ctx.client).await {
        Ok(_) => traced(Redirect::to("/directory?ok=1").into_response()),
        Err(e) => directory_page(&state, &ctx, &actor, v, Some(WebError::Core(e)), None).await,
    }
}

/// POST /directory/{id}/delete
pub async fn remove(IdPath(id): IdPath<ContactId>, State(state): State<AppState>, ctx: Ctx, SignedForm(actor, _): SignedForm) -> Response {
    match state.app.remove_contact(&actor, id, &ctx.client).await {
        Ok(()) => traced(Redirect::to("/directory?ok=1").into_response()),
        Err(e) => directory_page(&state, &ctx, &actor, Values::default(), Some(WebError::Core(e)), None).await,
    }
}

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new().route("/directory", get(page).post(add)).route("/directory/{id}/delete", post(remove))
}
