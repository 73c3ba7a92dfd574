//! The one place where an error becomes a response, in the request's language: an HTML
//! page that says what went wrong in a sentence, or `{"error": {"code", "message",
//! "field"}}` for JSON clients.
//!
//! A handler may simply return a [`WebError`] (`?` works): its response carries the error,
//! and the session middleware, which knows the request's language, format and signed-in
//! person, renders it (see [`render_deferred`]).

use std::sync::Arc;

use axum::Json;
use axum::http::StatusCode;
use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use habilis_core::Error;
use habilis_core::browser::BrowserVerdict;
use habilis_core::records::Actor;
use serde_json::{Value, json};

use crate::context::Traced;

use crate::errors::WebError;
use crate::i18n::Lang;
use crate::view::{Chrome, MessagePage, render};

/// A page that says what went wrong, in a sentence.
pub fn error_page(lang: Lang, err: &WebError, actor: Option<&Actor>) -> Response {
    err.log();
    let t = lang.texts();
    let page = MessagePage {
        c: Chrome::new(lang, None, actor),
        title: t.error_title.into(),
        paragraphs: vec![err.message(t)],
        is_error: true,
        show_home_link: true,
    };
    render(&page, err.status())
}

/// A page with a title and one sentence, for a refusal that is not an error of the portal.
pub(crate) fn message_page(lang: Lang, actor: Option<&Actor>, status: StatusCode, title: &str, sentence: &str) -> Response {
    let page = MessagePage {
        c: Chrome::new(lang, None, actor),
        title: title.into(),
        paragraphs: vec![sentence.into()],
        is_error: true,
        show_home_link: true,
    };
    render(&page, status)
}

/// The refusal page for an obsolete browser (contract Art. 2.1): no login form.
pub fn browser_refused(lang: Lang, verdict: &BrowserVerdict) -> Response {
    let t = lang.texts();
    let why = match verdict {
        BrowserVerdict::InternetExplorer | BrowserVerdict::Accepted => t.browser_ie.to_string(),
        BrowserVerdict::TooOld { browser, version, minimum } => t
            .browser_old
            .replace("{browser}", browser)
            .replace("{version}", &version.to_string())
            .replace("{minimum}", &minimum.to_string()),
    };
    let page = MessagePage {
        c: Chrome::new(lang, None, None),
        title: t.browser_title.into(),
        paragraphs: vec![why, t.browser_what_to_do.into()],
        is_error: true,
        show_home_link: false,
    };
    render(&page, StatusCode::FORBIDDEN)
}

/// The JSON answer for an error.
pub fn error_response(lang: Lang, err: &WebError) -> Response {
    err.log();
    let t = lang.texts();
    // Every refused field, each with its sentence (one entry for a single field).
    let fields: Vec<serde_json::Value> = err.problems(t).into_iter().map(|(f, m)| json!({ "field": f, "message": m })).collect();
    let body = json!({
        "error": {
            "code": err.code(),
            "message": err.message(t),
            "field": err.field(),
            "fields": fields,
        }
    });
    let mut resp = (err.status(), Json(body)).into_response();
    if let WebError::Core(Error::Throttled { retry_after_secs }) = err
        && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
    resp
}

/// Turn an axum rejection status into our error.
pub(crate) fn rejection_error(status: StatusCode) -> WebError {
    if status == StatusCode::PAYLOAD_TOO_LARGE { WebError::BodyTooLarge } else { WebError::BadForm }
}

/// The error a response stands for, until the session middleware renders it.
#[derive(Clone)]
struct Deferred(Arc<WebError>);

/// A handler's error: the status now, the body once the request's language and format are
/// known ([`render_deferred`]).
impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let mut resp = self.status().into_response();
        resp.extensions_mut().insert(Deferred(Arc::new(self)));
        resp
    }
}

/// How the request that failed wants its answer.
pub(crate) struct Audience<'a> {
    /// Under `/api/`: JSON in `api_lang`; otherwise a page in `lang`.
    pub is_api: bool,
    pub lang: Lang,
    pub api_lang: Lang,
    pub actor: Option<&'a Actor>,
}

/// The answer for `err`, as the audience wants it. A page that needs a signed-in person
/// sends an anonymous one to the sign-in page.
pub(crate) fn respond(to: &Audience<'_>, err: &WebError) -> Response {
    match (to.is_api, err) {
        (true, _) => error_response(to.api_lang, err),
        (false, WebError::SignInRequired) => Redirect::to("/login").into_response(),
        (false, _) => error_page(to.lang, err, to.actor),
    }
}

/// `resp`, marked with why its request was refused (for the request's trace).
pub(crate) fn noted(mut resp: Response, err: &WebError) -> Response {
    let t = crate::i18n::Lang::Fr.texts();
    resp.extensions_mut().insert(crate::context::Refusal(format!("{} ({})", err.message(t), err.code())));
    resp
}

/// Render the error a handler returned (if it did), keeping the headers it set.
pub(crate) fn render_deferred(mut resp: Response, to: &Audience<'_>) -> Response {
    let Some(Deferred(err)) = resp.extensions_mut().remove::<Deferred>() else {
        return resp;
    };
    let mut rendered = noted(respond(to, &err), &err);
    for (name, value) in resp.headers() {
        if name == header::SET_COOKIE {
            rendered.headers_mut().append(name, value.clone());
        }
    }
    rendered
}

/// 204, traced by the service that did the work.
pub(crate) fn no_content() -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.extensions_mut().insert(Traced);
    r
}

/// 201 with the created record, traced by the service that did the work.
pub(crate) fn created(v: Value) -> Response {
    let mut r = (StatusCode::CREATED, Json(v)).into_response();
    r.extensions_mut().insert(Traced);
    r
}
