//! Layers every request goes through: security headers, the browser policy, the
//! cross-site check, the session, and the trace of every signed-in request.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use habilis_core::Error;
use habilis_core::records::PendingStep;
use habilis_core::browser::BrowserVerdict;
use habilis_core::trace::{ClientInfo, Outcome};

use crate::state::AppState;
use crate::context::{Ctx, Traced, clear_session_cookie, cookie};
use crate::errors::WebError;
use crate::i18n::Lang;
use crate::respond::{Audience, browser_refused, error_page, error_response, render_deferred};

const LANG_COOKIE: &str = "habilis_lang";

fn is_html_path(path: &str) -> bool {
    !(path.starts_with("/api/")
        || path.starts_with("/scim/")
        || path.starts_with("/static/")
        || path == "/healthz"
        || path == "/readyz"
        || path == "/metrics")
}

fn header_str(req: &Request, name: HeaderName) -> &str {
    req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// The language asked for by the switch (`?lang=`), if any.
fn lang_from_query(req: &Request) -> Option<Lang> {
    req.uri().query()?.split('&').find_map(|kv| kv.strip_prefix("lang=").and_then(Lang::parse))
}

/// The page language: the switch, then the cookie it set, then French.
pub(crate) fn page_lang(req: &Request) -> Lang {
    lang_from_query(req)
        .or_else(|| cookie(header_str(req, header::COOKIE), LANG_COOKIE).and_then(Lang::parse))
        .unwrap_or(Lang::Fr)
}

/// Whether an unsafe request comes from another site.
fn cross_site(req: &Request, state: &AppState) -> bool {
    // Browsers that send Fetch Metadata say where the request comes from; trust that
    // first (a form posted under `Referrer-Policy: no-referrer` carries `Origin: null`).
    match header_str(req, HeaderName::from_static("sec-fetch-site")) {
        "same-origin" | "none" => return false,
        "cross-site" | "same-site" => return true,
        _ => {}
    }
    let origin = header_str(req, header::ORIGIN);
    if origin.is_empty() {
        return false;
    }
    let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
    let host = header_str(req, header::HOST);
    let public = state.config.public_url.trim_end_matches('/');
    !(origin_host == host || origin == public)
}

/// Security headers, browser policy and cross-site refusal.
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let html = is_html_path(&path);
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let lang = page_lang(&req);
    let mut resp = if html && !matches!(state.config.browsers.judge(header_str(&req, header::USER_AGENT)), BrowserVerdict::Accepted) {
        let verdict = state.config.browsers.judge(header_str(&req, header::USER_AGENT));
        browser_refused(lang, &verdict)
    } else if unsafe_method && path != "/oidc/authorize" && cross_site(&req, &state) {
        let api_lang = Lang::from_accept_language(header_str(&req, header::ACCEPT_LANGUAGE));
        if html { error_page(lang, &WebError::Csrf, None) } else { error_response(api_lang, &WebError::Csrf) }
    } else {
        next.run(req).await
    };
    state.metrics.response(resp.status().as_u16());
    // A sign-in form that resumes a service's request submits into a redirect to that
    // service: its origin (checked against the client's registration) joins form-action.
    let also = resp.extensions().get::<crate::features::oidc::FormTarget>().map(|t| t.0.clone());
    let h = resp.headers_mut();
    let csp = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    match also.and_then(|o| HeaderValue::from_str(&csp.replace("form-action 'self'", &format!("form-action 'self' {o}"))).ok()) {
        Some(v) => h.insert(header::CONTENT_SECURITY_POLICY, v),
        None => h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp)),
    };
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin"));
    if !path.starts_with("/static/") {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.config.secure() {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    resp
}

fn client_info(req: &Request, state: &AppState) -> ClientInfo {
    let forwarded = state
        .config
        .trust_forwarded_for
        .then(|| header_str(req, HeaderName::from_static("x-forwarded-for")).split(',').next().map(str::trim))
        .flatten()
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let addr = forwarded.or_else(|| req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()));
    let ua = header_str(req, header::USER_AGENT);
    ClientInfo { addr, user_agent: (!ua.is_empty()).then(|| ua.to_string()) }
}

fn outcome_of(status: StatusCode) -> Outcome {
    if status.is_success() || status.is_redirection() {
        Outcome::Success
    } else if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS) {
        Outcome::Refused
    } else {
        Outcome::Failure
    }
}

/// Resolve the session, run the handler, and trace the request of a signed-in person.
pub async fn session(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let is_api = path.starts_with("/api/") || path.starts_with("/scim/");
    let lang = page_lang(&req);
    let switched = lang_from_query(&req);
    let api_lang = Lang::from_accept_language(header_str(&req, header::ACCEPT_LANGUAGE));
    let client = client_info(&req, &state);
    let cookies = header_str(&req, header::COOKIE).to_string();
    // A bearer token under /oidc/ is a service's access token, under /scim/ a directory's
    // token (features::scim reads it): not a portal session.
    let bearer = header_str(&req, header::AUTHORIZATION)
        .strip_prefix("Bearer ")
        .filter(|_| !path.starts_with("/oidc/") && !path.starts_with("/scim/"))
        .map(|s| s.trim().to_string());
    let from_cookie = cookie(&cookies, state.config.session_cookie()).map(str::to_string);
    let token = bearer.or_else(|| from_cookie.clone());
    let mut session_ended = false;
    // Static files need nobody and leave no trace.
    let is_static = path.starts_with("/static/") || path == "/favicon.ico";
    let actor = match token.filter(|t| !t.is_empty() && path != "/healthz" && !is_static) {
        None => None,
        Some(t) => match state.app.authenticate(&t, &client).await {
            Ok(a) => Some(a),
            Err(Error::NotAuthenticated) => {
                session_ended = true;
                None
            }
            Err(e) => {
                let err = WebError::Core(e);
                err.log();
                return if is_api { error_response(api_lang, &err) } else { error_page(lang, &err, None) };
            }
        },
    };
    // A session that still owes its second factor, or an enrolment its role requires, or
    // a new password, opens nothing else (R51): pages go to the step, the API answers with
    // a sentence, and the refusal is traced.
    if let Some((a, (allowed, page, err))) = actor.as_ref().and_then(|a| owed_step(a).map(|s| (a, s)))
        && !allowed.contains(&path.as_str())
    {
        let mut resp = if is_api { error_response(api_lang, &err) } else { axum::response::Redirect::to(page).into_response() };
        // A service's sign-in request resumes once the step is taken.
        if path == "/oidc/authorize"
            && let Some(pq) = req.uri().path_and_query()
        {
            resp = crate::context::remember_return(&state.config, resp, pq.as_str());
        }
        let action = format!("http.{}", method.as_str().to_ascii_lowercase());
        if let Err(e) = Box::pin(state.app.record_request(a, &action, &path, Outcome::Refused, &client)).await {
            let err = WebError::Core(e);
            err.log();
            return error_response(api_lang, &err);
        }
        return resp;
    }
    let ctx = Ctx {
        lang,
        api_lang,
        client: client.clone(),
        actor: actor.clone(),
        session_ended,
        csrf_cookie: cookie(&cookies, state.config.csrf_cookie()).map(str::to_string),
        is_api,
        return_to: cookie(&cookies, crate::context::RETURN_COOKIE).and_then(crate::context::return_path),
    };
    req.extensions_mut().insert(ctx);
    // A page asked for without a session is remembered, to be opened once signed in.
    let deep_link = (method == axum::http::Method::GET && !is_api && actor.is_none())
        .then(|| req.uri().path_and_query().map(|p| p.as_str().to_string()))
        .flatten();
    let resp = next.run(req).await;
    // A handler that answered with an error gets it rendered here, where the language,
    // the format and the signed-in person are known.
    let audience = Audience { is_api, lang, api_lang, actor: actor.as_ref() };
    let mut resp = render_deferred(resp, &audience);
    if let Some(link) = deep_link
        && resp.status().is_redirection()
        && resp.headers().get(header::LOCATION).is_some_and(|l| l == "/login")
        && link != "/"
    {
        resp = crate::context::remember_return(&state.config, resp, &link);
    }

    if let Some(l) = switched {
        let v = format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", l.code());
        if let Ok(v) = HeaderValue::from_str(&v) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    // Clear an ended session's cookie, unless the answer sets a new one (a sign-in made
    // with an expired cookie still in the browser): the later header would win.
    let sets_session = resp.headers().get_all(header::SET_COOKIE).iter().any(|v| {
        v.to_str().is_ok_and(|v| v.starts_with(&format!("{}=", state.config.session_cookie())))
    });
    if session_ended && from_cookie.is_some() && !sets_session
        && let Ok(v) = HeaderValue::from_str(&clear_session_cookie(&state.config)) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    if let Some(actor) = actor
        && resp.extensions().get::<Traced>().is_none() && !is_static {
            let action = format!("http.{}", method.as_str().to_ascii_lowercase());
            let outcome = outcome_of(resp.status());
            // A refused or failed request says what it ran into.
            let why = (outcome != Outcome::Success).then(|| resp.extensions().get::<crate::context::Refusal>().map(|r| r.0.clone())).flatten();
            if let Err(e) = state.app.record_request_noted(&actor, &action, &path, outcome, why, &client).await {
                // No trace, no answer: the contract requires every action to be traced.
                state.metrics.trace_failure();
                let err = WebError::Core(e);
                err.log();
                return if is_api { error_response(api_lang, &err) } else { error_page(lang, &err, None) };
            }
        }
    resp
}

/// The step a signed-in person must take before anything else, if any: the paths it
/// leaves open, the page that takes it, and what the API says.
fn owed_step(a: &habilis_core::records::Actor) -> Option<(&'static [&'static str], &'static str, WebError)> {
    const CODE: &[&str] = &["/login/code", "/api/v1/session/code", "/logout", "/static/habilis.css", "/api/v1/session"];
    const ENROL: &[&str] = &["/account/second-factor", "/logout", "/static/habilis.css", "/api/v1/session"];
    const PASSWORD: &[&str] = &["/password", "/api/v1/me", "/logout", "/static/habilis.css", "/api/v1/session"];
    match a.session.pending_step {
        Some(PendingStep::SecondFactor) => Some((CODE, "/login/code", WebError::SecondFactorRequired)),
        Some(PendingStep::Enrolment) => Some((ENROL, "/account/second-factor", WebError::EnrolmentRequired)),
        None if a.account.must_change_password => Some((PASSWORD, "/password", WebError::PasswordChangeRequired)),
        None => None,
    }
}
