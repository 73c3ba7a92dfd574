//! The second factor's pages and API (R51): the code asked after the password, enrolling
//! an authenticator application (QR code, key, recovery codes), and the reset of a lost
//! factor by whoever the core allows.

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use habilis_core::Error;
use habilis_core::records::*;
use serde::Deserialize;

use crate::context::Ctx;
use crate::errors::WebError;
use crate::extract::{ApiJson, IdPath, SignedForm, SignedIn, traced};
use crate::state::AppState;
use crate::view::{Chrome, MessagePage, render};

// --- the code after the password ---------------------------------------------------------

#[derive(Template)]
#[template(path = "second_factor_code.html")]
struct CodePage {
    c: Chrome,
    csrf: String,
    error: Option<String>,
}

fn code_page(ctx: &Ctx, actor: &Actor, error: Option<String>, status: StatusCode) -> Response {
    // No menu: nothing else opens before the code.
    let page = CodePage { c: Chrome::new(ctx.lang, None, None), csrf: actor.session.csrf_token.clone(), error };
    render(&page, status)
}

/// GET /login/code
pub async fn code_form(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx) -> Response {
    if actor.session.pending_step != Some(PendingStep::SecondFactor) {
        return Redirect::to("/").into_response();
    }
    crate::features::oidc::allow_resumed_target(&state, &ctx, code_page(&ctx, &actor, None, StatusCode::OK)).await
}

/// POST /login/code
pub async fn code_submit(State(state): State<AppState>, ctx: Ctx, SignedForm(actor, v): SignedForm) -> Result<Response, WebError> {
    if actor.session.pending_step != Some(PendingStep::SecondFactor) {
        return Ok(Redirect::to("/").into_response());
    }
    match state.app.verify_second_factor(&actor, v.get("code"), &ctx.client).await {
        Ok(()) => {
            state.metrics.login("success");
            Ok(traced(crate::context::after_sign_in(&state.config, &ctx)))
        }
        Err(e @ (Error::SecondFactorInvalid | Error::Throttled { .. })) => {
            state.metrics.login(if matches!(e, Error::Throttled { .. }) { "throttled" } else { "failure" });
            let err = WebError::Core(e);
            let page = code_page(&ctx, &actor, Some(err.message(ctx.lang.texts())), err.status());
            let resp = crate::features::oidc::allow_resumed_target(&state, &ctx, page).await;
            Ok(traced(resp))
        }
        Err(e) => Err(e.into()),
    }
}

// --- enrolment -----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "second_factor.html")]
struct FactorPage {
    c: Chrome,
    csrf: String,
    pending: bool,
    enrolled: bool,
    required: bool,
    status: String,
    secret: String,
    secret_grouped: String,
    uri: String,
    qr_svg: String,
    error: Option<String>,
    recovery: Vec<String>,
}

/// The QR code of the enrolment address, as inline SVG (no script, no image request).
fn qr_svg(uri: &str) -> String {
    let Ok(code) = qrcode::QrCode::new(uri.as_bytes()) else {
        return String::new();
    };
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    // Keep the <svg> element only (the XML declaration is not for an HTML page).
    svg.find("<svg").map(|i| svg[i..].to_string()).unwrap_or_default()
}

async fn factor_page(state: &AppState, ctx: &Ctx, uri: Option<&Uri>, actor: &Actor, error: Option<WebError>, recovery: Vec<String>) -> Result<Response, WebError> {
    let t = ctx.lang.texts();
    let pending = actor.session.pending_step == Some(PendingStep::Enrolment);
    let status = state.app.second_factor_status(actor).await?;
    let enrolment = state.app.second_factor_enrolment(actor).await?;
    let status_text = match status.confirmed_at.filter(|_| status.enrolled) {
        Some(at) => t
            .second_factor_enrolled
            .replace("{date}", &habilis_core::clock::format_paris(at))
            .replace("{n}", &status.recovery_codes_left.to_string()),
        None => t.second_factor_not_enrolled.to_string(),
    };
    let grouped = enrolment.secret.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ");
    let code = error.as_ref().map_or(StatusCode::OK, WebError::status);
    let page = FactorPage {
        // While the enrolment is owed, no menu: nothing else opens before it.
        c: Chrome::new(ctx.lang, uri, if pending { None } else { Some(actor) }),
        csrf: actor.session.csrf_token.clone(),
        pending,
        enrolled: status.enrolled,
        required: status.required,
        status: status_text,
        qr_svg: qr_svg(&enrolment.uri),
        secret: enrolment.secret,
        secret_grouped: grouped,
        uri: enrolment.uri,
        error: error.map(|e| e.message(t)),
        recovery,
    };
    Ok(render(&page, code))
}

/// GET /account/second-factor
pub async fn factor_form(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, uri: Uri) -> Result<Response, WebError> {
    factor_page(&state, &ctx, Some(&uri), &actor, None, Vec::new()).await
}

/// POST /account/second-factor: confirm the new application with one of its codes.
pub async fn factor_submit(State(state): State<AppState>, ctx: Ctx, SignedForm(actor, v): SignedForm) -> Result<Response, WebError> {
    match state.app.confirm_second_factor(&actor, v.get("code"), &ctx.client).await {
        Ok(codes) => {
            let mut actor = actor;
            actor.session.pending_step = None;
            Ok(traced(factor_page(&state, &ctx, None, &actor, None, codes).await?))
        }
        Err(e @ Error::SecondFactorInvalid) => Ok(traced(factor_page(&state, &ctx, None, &actor, Some(e.into()), Vec::new()).await?)),
        Err(e) => Err(e.into()),
    }
}

/// POST /people/{id}/second-factor/reset
pub async fn reset_submit(
    IdPath(id): IdPath<AccountId>,
    State(state): State<AppState>,
    ctx: Ctx,
    SignedForm(actor, _): SignedForm,
) -> Result<Response, WebError> {
    let person = state.app.reset_second_factor(&actor, id, &ctx.client).await?;
    let t = ctx.lang.texts();
    let page = MessagePage {
        c: Chrome::new(ctx.lang, None, Some(&actor)),
        title: t.reset_second_factor.into(),
        paragraphs: vec![t.reset_second_factor_done.replace("{name}", &person.display_name)],
        is_error: false,
        show_home_link: true,
    };
    Ok(traced(render(&page, StatusCode::OK)))
}

// --- API ---------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    code: String,
}

/// POST /api/v1/session/code — the second factor of a session signed in with its password.
pub async fn api_code(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, ApiJson(req): ApiJson<CodeRequest>) -> Result<Response, WebError> {
    match state.app.verify_second_factor(&actor, &req.code, &ctx.client).await {
        Ok(()) => Ok(traced(StatusCode::NO_CONTENT.into_response())),
        Err(e @ (Error::SecondFactorInvalid | Error::Throttled { .. })) => {
            let err = WebError::Core(e);
            Ok(traced(crate::respond::error_response(ctx.api_lang, &err)))
        }
        Err(e) => Err(e.into()),
    }
}

/// DELETE /api/v1/users/{id}/second-factor — reset a lost factor.
pub async fn api_reset(IdPath(id): IdPath<AccountId>, State(state): State<AppState>, ctx: Ctx, SignedIn(actor): SignedIn) -> Result<Response, WebError> {
    state.app.reset_second_factor(&actor, id, &ctx.client).await?;
    Ok(traced(StatusCode::NO_CONTENT.into_response()))
}

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{delete, get, post};
    axum::Router::new()
        .route("/login/code", get(code_form).post(code_submit))
        .route("/account/second-factor", get(factor_form).post(factor_submit))
        .route("/people/{id}/second-factor/reset", post(reset_submit))
        .route("/api/v1/session/code", post(api_code))
        .route("/api/v1/users/{id}/second-factor", delete(api_reset))
}
