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
        }))
    }
}

/// Set on a response whose handler already traced the request in its own transaction, so
/// the middleware does not trace it twice.
#[derive(Debug, Clone, Copy)]
pub struct Traced;

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
