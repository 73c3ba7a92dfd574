//! The HTML pages: sign-in, home, sign-out, set-password, and the refusal pages.


use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::header::{self, HeaderValue};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use habilis_core::Error;
use habilis_core::records::*;
use habilis_core::token;
use serde::Deserialize;

use crate::context::{Ctx, Traced, clear_session_cookie, csrf_cookie_header, session_cookie_header};
use crate::errors::{WebError, password_message};
use crate::extract::SignedIn;
use crate::i18n::Texts;
use crate::respond::{error_page, rejection_error};
use crate::state::AppState;
use crate::view::{Chrome, render};

// --- sign-in ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    csrf: String,
    login: String,
    error: Option<String>,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    #[serde(default)]
    bye: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

fn login_page(
    state: &AppState,
    ctx: &Ctx,
    uri: Option<&Uri>,
    login: String,
    error: Option<String>,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    // Reuse the browser's anti-forgery cookie if it has one, so two open tabs both work.
    let csrf = ctx.csrf_cookie.clone().filter(|c| c.len() == 43).unwrap_or_else(token::new_token);
    let page = LoginPage { c: Chrome::new(ctx.lang, uri, None), csrf: csrf.clone(), login, error, notice };
    let mut resp = render(&page, status);
    if let Ok(v) = HeaderValue::from_str(&csrf_cookie_header(&state.config, &csrf)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// GET /login
pub async fn login_form(State(state): State<AppState>, ctx: Ctx, uri: Uri, q: Result<Query<LoginQuery>, QueryRejection>) -> Response {
    if ctx.actor.is_some() {
        return Redirect::to("/").into_response();
    }
    let t = ctx.lang.texts();
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let notice = if q.bye.is_some() {
        Some(t.logged_out.to_string())
    } else if q.done.is_some() {
        Some(t.password_set_done.to_string())
    } else if ctx.session_ended {
        Some(t.session_ended.to_string())
    } else {
        None
    };
    let page = login_page(&state, &ctx, Some(&uri), String::new(), None, notice, StatusCode::OK);
    crate::features::oidc::allow_resumed_target(&state, &ctx, page).await
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
}

/// POST /login
pub async fn login_submit(State(state): State<AppState>, ctx: Ctx, form: Result<Form<LoginForm>, FormRejection>) -> Response {
    let Form(form) = match form {
        Ok(f) => f,
        Err(r) => return error_page(ctx.lang, &rejection_error(r.status()), None),
    };
    let t = ctx.lang.texts();
    let csrf_ok = ctx.csrf_cookie.as_deref().is_some_and(|c| !c.is_empty() && token::same_secret(c, &form.csrf));
    if !csrf_ok {
        let _ = state.app.record_anonymous("session.login", "/login", habilis_core::trace::Outcome::Refused, &ctx.client).await;
        let err = WebError::Csrf;
        return login_page(&state, &ctx, None, form.login, Some(err.message(t)), None, err.status());
    }
    match state.app.login(&form.login, &form.password, &ctx.client).await {
        Ok(signed) => {
            // The password is right; a second factor or its enrolment may still be owed.
            let mut resp = match signed.actor.session.pending_step {
                Some(PendingStep::SecondFactor) => Redirect::to("/login/code").into_response(),
                Some(PendingStep::Enrolment) => Redirect::to("/account/second-factor").into_response(),
                None => {
                    state.metrics.login("success");
                    crate::context::after_sign_in(&state.config, &ctx)
                }
            };
            if let Ok(v) = HeaderValue::from_str(&session_cookie_header(&state.config, &signed.token)) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            resp
        }
        Err(e) => {
            state.metrics.login(if matches!(e, Error::Throttled { .. }) { "throttled" } else { "failure" });
            let err = WebError::Core(e);
            let page = login_page(&state, &ctx, None, form.login, Some(err.message(t)), None, err.status());
            crate::features::oidc::allow_resumed_target(&state, &ctx, page).await
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// POST /logout
pub async fn logout(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, form: Result<Form<CsrfForm>, FormRejection>) -> Response {
    let actor = &actor;
    let Ok(Form(form)) = form else {
        return error_page(ctx.lang, &WebError::BadForm, Some(actor));
    };
    if !token::same_secret(&actor.session.csrf_token, &form.csrf) {
        return error_page(ctx.lang, &WebError::Csrf, Some(actor));
    }
    if let Err(e) = state.app.logout(actor, &ctx.client).await {
        return error_page(ctx.lang, &WebError::Core(e), Some(actor));
    }
    let mut resp = Redirect::to("/login?bye=1").into_response();
    if let Ok(v) = HeaderValue::from_str(&clear_session_cookie(&state.config)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp.extensions_mut().insert(Traced);
    resp
}

// --- set password through a one-time link ------------------------------------------------

#[derive(Template)]
#[template(path = "set_password.html")]
struct SetPasswordPage {
    c: Chrome,
    token: String,
    intro: String,
    rules: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// The set-password page for the holder of a valid link (`account`), with the rules that
/// apply to them and, after a refusal, why.
fn set_password_page(state: &AppState, ctx: &Ctx, uri: Option<&Uri>, token: String, account: &Account, error: Option<String>, status: StatusCode) -> Response {
    let t = ctx.lang.texts();
    let (login, privileged) = (account.login.as_str(), account.is_privileged());
    let page = SetPasswordPage {
        c: Chrome::new(ctx.lang, uri, None),
        token,
        intro: t.set_password_intro.replace("{login}", login),
        rules: password_rules(state, t, privileged),
        error,
    };
    render(&page, status)
}

/// GET /set-password?token=…
pub async fn set_password_form(State(state): State<AppState>, ctx: Ctx, uri: Uri, q: Result<Query<TokenQuery>, QueryRejection>) -> Response {
    let token = q.map(|Query(q)| q.token).unwrap_or_default();
    match state.app.check_link(&token).await {
        Ok(account) => {
            set_password_page(&state, &ctx, Some(&uri), token, &account, None, StatusCode::OK)
        }
        Err(e) => error_page(ctx.lang, &WebError::Core(e), None),
    }
}

#[derive(Deserialize)]
pub struct SetPasswordForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// POST /set-password. The one-time token in the form is the anti-forgery proof.
pub async fn set_password_submit(State(state): State<AppState>, ctx: Ctx, form: Result<Form<SetPasswordForm>, FormRejection>) -> Response {
    let Form(form) = match form {
        Ok(f) => f,
        Err(r) => return error_page(ctx.lang, &rejection_error(r.status()), None),
    };
    let t = ctx.lang.texts();
    let account = match state.app.check_link(&form.token).await {
        Ok(a) => a,
        Err(e) => return error_page(ctx.lang, &WebError::Core(e), None),
    };
    let refuse = |err: WebError| {
        set_password_page(&state, &ctx, None, form.token.clone(), &account, Some(err.message(t)), err.status())
    };
    if form.password != form.confirm {
        return refuse(WebError::PasswordMismatch);
    }
    match state.app.set_password_with_link(&form.token, &form.password, &ctx.client).await {
        Ok(_) => Redirect::to("/login?done=1").into_response(),
        Err(Error::PasswordRejected(p)) => {
            let msg = password_message(t, p);
            set_password_page(&state, &ctx, None, form.token.clone(), &account, Some(msg), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => refuse(WebError::Core(e)),
    }
}

// --- change my password ------------------------------------------------------------------

#[derive(Template)]
#[template(path = "change_password.html")]
struct ChangePasswordPage {
    c: Chrome,
    csrf: String,
    rules: String,
    error: Option<String>,
    notice: Option<String>,
}

fn password_rules(state: &AppState, t: &Texts, privileged: bool) -> String {
    let p = state.app.passwords;
    let extra = if privileged { p.privileged_extra } else { 0 };
    t.set_password_rules
        .replace("{four}", &(p.min_length_four_classes + extra).to_string())
        .replace("{three}", &(p.min_length_three_classes + extra).to_string())
}

fn change_password_page(state: &AppState, ctx: &Ctx, actor: &Actor, error: Option<String>, notice: Option<String>, status: StatusCode) -> Response {
    let t = ctx.lang.texts();
    let page = ChangePasswordPage {
        c: Chrome::new(ctx.lang, None, Some(actor)),
        csrf: actor.session.csrf_token.clone(),
        rules: password_rules(state, t, actor.account.is_privileged()),
        error,
        notice,
    };
    render(&page, status)
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

/// GET /password
pub async fn change_password_form(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, q: Result<Query<DoneQuery>, QueryRejection>) -> Response {
    let actor = &actor;
    let t = ctx.lang.texts();
    let done = q.map(|Query(q)| q.done.is_some()).unwrap_or(false);
    let notice = if done {
        Some(t.change_password_done.to_string())
    } else if actor.account.must_change_password {
        Some(t.change_password_required.to_string())
    } else {
        None
    };
    change_password_page(&state, &ctx, actor, None, notice, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct ChangePasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// POST /password
pub async fn change_password_submit(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, form: Result<Form<ChangePasswordForm>, FormRejection>) -> Response {
    let actor = &actor;
    let Form(form) = match form {
        Ok(f) => f,
        Err(r) => return error_page(ctx.lang, &rejection_error(r.status()), Some(actor)),
    };
    if !token::same_secret(&actor.session.csrf_token, &form.csrf) {
        return error_page(ctx.lang, &WebError::Csrf, Some(actor));
    }
    let t = ctx.lang.texts();
    if form.password != form.confirm {
        let err = WebError::PasswordMismatch;
        return change_password_page(&state, &ctx, actor, Some(err.message(t)), None, err.status());
    }
    let mut resp = match state.app.change_password(actor, &form.current, &form.password, &ctx.client).await {
        Ok(()) => Redirect::to("/password?done=1").into_response(),
        Err(Error::InvalidCredentials) => {
            change_password_page(&state, &ctx, actor, Some(t.err_wrong_current_password.into()), None, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => {
            let err = WebError::Core(e);
            return change_password_page(&state, &ctx, actor, Some(err.message(t)), None, err.status());
        }
    };
    resp.extensions_mut().insert(Traced);
    resp
}

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/login", get(login_form).post(login_submit))
        .route("/logout", post(logout))
        .route("/password", get(change_password_form).post(change_password_submit))
        .route("/set-password", get(set_password_form).post(set_password_submit))
}
