//! What the middleware learns about a request and hands to the handlers.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use habilis_core::records::Actor;
use habilis_core::trace::ClientInfo;

use crate::state::WebConfig;
use crate::i18n::Lang;

/// The request as the handlers see it: language, client, and the signed-in person if any.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The language of pages (switch, cookie; French by default).
    pub lang: Lang,
    /// The language of JSON messages (`Accept-Language`; French by default).
    pub api_lang: Lang,
    pub client: ClientInfo,
    pub actor: Option<Actor>,
    /// A session cookie was sent but its session is over (show "session expired").
    pub session_ended: bool,
    /// The pre-session anti-forgery cookie, if the browser sent one.
    pub csrf_cookie: Option<String>,
    /// Whether the path is under `/api/`.
    pub is_api: bool,
    /// Where to go once signed in (a page of the portal, e.g. a service's authorization
    /// request), from the return cookie.
    pub return_to: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Ctx>().cloned().unwrap_or_else(|| Ctx {
            lang: Lang::Fr,
            api_lang: Lang::Fr,
            client: ClientInfo::default(),
            actor: None,
            session_ended: false,
            csrf_cookie: None,
            is_api: false,
            return_to: None,
        }))
    }
}

/// Set on a response whose handler already traced the request in its own transaction, so
/// the middleware does not trace it twice.
#[derive(Debug, Clone, Copy)]
pub struct Traced;

/// Why a request was refused, in French with its code ("Votre mandat ne couvre pas cette
/// action. (outside_mandate)"): set on an error's response, written in the request's trace
/// so that the trail says what a refused attempt ran into.
#[derive(Debug, Clone)]
pub struct Refusal(pub String);

/// Read one cookie from a `Cookie` header.
pub fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// A `Set-Cookie` value that removes the session cookie.
pub fn clear_session_cookie(config: &WebConfig) -> String {
    let secure = if config.secure() { "; Secure" } else { "" };
    format!("{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}", config.session_cookie())
}

/// The anti-forgery cookie of the sign-in form (there is no session yet).
pub(crate) fn csrf_cookie_header(config: &WebConfig, value: &str) -> String {
    let secure = if config.secure() { "; Secure" } else { "" };
    format!("{}={value}; Path=/; HttpOnly; SameSite=Strict{secure}", config.csrf_cookie())
}

/// The session cookie carrying `token`.
pub(crate) fn session_cookie_header(config: &WebConfig, token: &str) -> String {
    let secure = if config.secure() { "; Secure" } else { "" };
    format!("{}={token}; Path=/; HttpOnly; SameSite=Lax{secure}", config.session_cookie())
}

/// The cookie that remembers where to go once signed in.
pub(crate) const RETURN_COOKIE: &str = "habilis_return";

/// A path of the portal worth returning to: relative, one leading slash, printable ASCII.
fn returnable(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && path.len() <= 4096
        && path.bytes().all(|b| b.is_ascii_graphic())
}

/// The `Set-Cookie` value remembering `path` (for ten minutes), if it may be returned to.
fn return_cookie_header(config: &WebConfig, path: &str) -> Option<String> {
    use base64::Engine as _;
    if !returnable(path) {
        return None;
    }
    let secure = if config.secure() { "; Secure" } else { "" };
    let v = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(path);
    Some(format!("{RETURN_COOKIE}={v}; Path=/; HttpOnly; SameSite=Lax; Max-Age=600{secure}"))
}

/// Add to `resp` the cookie remembering `path`, if it may be returned to.
pub(crate) fn remember_return(config: &WebConfig, mut resp: axum::response::Response, path: &str) -> axum::response::Response {
    if let Some(v) = return_cookie_header(config, path)
        && let Ok(v) = axum::http::HeaderValue::from_str(&v)
    {
        resp.headers_mut().append(axum::http::header::SET_COOKIE, v);
    }
    resp
}

/// The `Set-Cookie` value that forgets the return path.
pub(crate) fn clear_return_cookie(config: &WebConfig) -> String {
    let secure = if config.secure() { "; Secure" } else { "" };
    format!("{RETURN_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
}

/// The return path a cookie value holds, if it is one.
pub(crate) fn return_path(value: &str) -> Option<String> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(value).ok()?;
    String::from_utf8(bytes).ok().filter(|p| returnable(p))
}

/// Where a person who just finished signing in goes: the remembered page, or home; the
/// redirect forgets the remembered page.
pub(crate) fn after_sign_in(config: &WebConfig, ctx: &Ctx) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut resp = axum::response::Redirect::to(ctx.return_to.as_deref().unwrap_or("/")).into_response();
    if ctx.return_to.is_some()
        && let Ok(v) = axum::http::HeaderValue::from_str(&clear_return_cookie(config))
    {
        resp.headers_mut().append(axum::http::header::SET_COOKIE, v);
    }
    resp
}
