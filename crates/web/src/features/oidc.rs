//! The OpenID Connect provider's endpoints (issue 13): discovery, keys, authorization (the
//! portal's own sign-in, then a one-time code), tokens, userinfo, logout and revocation.
//! The rules live in `habilis_core::services::oidc`; this file speaks HTTP.

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use habilis_core::services::oidc::{AuthorizeRequest, ClientAuth, OidcError, TokenGrant};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::context::Ctx;
use crate::state::AppState;

/// On a page whose form leads, through redirects, to a service's address: that address's
/// origin, which the guard adds to the page's `form-action` (browsers apply it to every
/// redirect after a form is sent).
#[derive(Clone, Debug)]
pub(crate) struct FormTarget(pub String);

fn origin_of(uri: &str) -> Option<String> {
    let scheme_end = uri.find("://")? + 3;
    let end = uri[scheme_end..].find(['/', '?', '#']).map(|i| scheme_end + i).unwrap_or(uri.len());
    let o = &uri[..end];
    let safe = o.len() > scheme_end && o.bytes().all(|b| b.is_ascii_alphanumeric() || b".:/-[]".contains(&b));
    safe.then(|| o.to_string())
}

/// Let the page's forms lead to `uri`'s origin.
pub(crate) fn allow_form_target(mut resp: Response, uri: Option<&str>) -> Response {
    if let Some(o) = uri.and_then(origin_of) {
        resp.extensions_mut().insert(FormTarget(o));
    }
    resp
}

/// A sign-in or second-factor page that will resume a service's authorization request: its
/// form may lead to the service's registered address.
pub(crate) async fn allow_resumed_target(state: &AppState, ctx: &Ctx, page: Response) -> Response {
    let target = resumed_redirect(state, ctx).await;
    allow_form_target(page, target.as_deref())
}

/// The service address a remembered authorization request will end at, if it is one the
/// client registered.
async fn resumed_redirect(state: &AppState, ctx: &Ctx) -> Option<String> {
    let query = ctx.return_to.as_deref()?.strip_prefix("/oidc/authorize?")?;
    let req: AuthorizeRequest = authorize_request_from(query)?;
    state.app.oidc_client_for(&req.client_id, &req.redirect_uri).await.ok()?;
    Some(req.redirect_uri)
}

fn authorize_request_from(query: &str) -> Option<AuthorizeRequest> {
    let uri: Uri = format!("/?{query}").parse().ok()?;
    Query::<AuthorizeRequest>::try_from_uri(&uri).ok().map(|Query(q)| q)
}

fn issuer(state: &AppState) -> String {
    state.config.public_url.trim_end_matches('/').to_string()
}

fn no_store(mut resp: Response) -> Response {
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    resp
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// An error of the token, userinfo or revocation endpoint, as RFC 6749 §5.2 shapes it.
fn oauth_error(e: &OidcError) -> Response {
    if let OidcError::Internal(inner) = e {
        tracing::error!(error = %inner, "OpenID Connect request failed");
    }
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut resp = no_store(json_response(status, &json!({ "error": e.code(), "error_description": e.description() })));
    if status == StatusCode::UNAUTHORIZED {
        let v = if matches!(e, OidcError::InvalidToken) { r#"Bearer error="invalid_token""# } else { r#"Basic realm="habilis""# };
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(v));
    }
    resp
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// `uri` with `params` added to its query.
fn with_query(uri: &str, params: &[(&str, &str)]) -> String {
    let mut out = uri.to_string();
    let mut sep = if uri.contains('?') { '&' } else { '?' };
    for (k, v) in params {
        out.push(sep);
        out.push_str(k);
        out.push('=');
        out.push_str(&enc(v));
        sep = '&';
    }
    out
}

/// GET /.well-known/openid-configuration
pub async fn discovery(State(state): State<AppState>) -> Response {
    let iss = issuer(&state);
    let body = json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/oidc/authorize"),
        "token_endpoint": format!("{iss}/oidc/token"),
        "userinfo_endpoint": format!("{iss}/oidc/userinfo"),
        "jwks_uri": format!("{iss}/oidc/jwks"),
        "end_session_endpoint": format!("{iss}/oidc/end_session"),
        "revocation_endpoint": format!("{iss}/oidc/revoke"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["ES256", "RS256"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "profile", "email", "roles", "organisation"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "sid", "azp", "name", "preferred_username", "email", "organisation", "roles"],
        "authorization_response_iss_parameter_supported": true,
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "ui_locales_supported": ["fr", "en"],
    });
    let mut resp = json_response(StatusCode::OK, &body);
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    resp
}

/// GET /oidc/jwks
pub async fn jwks(State(state): State<AppState>) -> Response {
    match state.app.oidc_jwks().await {
        Ok(body) => {
            let mut resp = json_response(StatusCode::OK, &body);
            resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
            resp
        }
        Err(e) => oauth_error(&OidcError::Internal(e)),
    }
}

// --- authorization ---------------------------------------------------------------------

/// A refusal the portal shows itself: the service's address is unknown or not its own, so
/// the person is not sent anywhere.
fn refusal_page(ctx: &Ctx, e: &OidcError) -> Response {
    let t = ctx.lang.texts();
    crate::respond::message_page(ctx.lang, ctx.actor.as_ref(), StatusCode::BAD_REQUEST, t.oidc_refused_title, e.description())
}

async fn authorize(state: AppState, ctx: Ctx, uri: Uri, req: AuthorizeRequest) -> Response {
    let client = match state.app.oidc_client_for(&req.client_id, &req.redirect_uri).await {
        Ok(c) => c,
        Err(e) => return refusal_page(&ctx, &e),
    };
    let iss = issuer(&state);
    let back = |e: &OidcError| -> Response {
        let mut params = vec![("error", e.code()), ("error_description", e.description())];
        if let Some(s) = req.state.as_deref() {
            params.push(("state", s));
        }
        params.push(("iss", iss.as_str()));
        Redirect::to(&with_query(&req.redirect_uri, &params)).into_response()
    };
    let Some(actor) = ctx.actor.as_ref() else {
        if req.prompt.as_deref().is_some_and(|p| p.split_whitespace().any(|w| w == "none")) {
            return back(&OidcError::LoginRequired);
        }
        // Sign in on the portal's own page, then come back here.
        let to_login = Redirect::to("/login").into_response();
        return match uri.path_and_query() {
            Some(pq) => crate::context::remember_return(&state.config, to_login, pq.as_str()),
            None => to_login,
        };
    };
    match state.app.oidc_authorize(actor, &client, &req, &ctx.client).await {
        Ok(code) => {
            let mut params = vec![("code", code.as_str())];
            if let Some(s) = req.state.as_deref() {
                params.push(("state", s));
            }
            params.push(("iss", iss.as_str()));
            no_store(Redirect::to(&with_query(&req.redirect_uri, &params)).into_response())
        }
        Err(OidcError::Internal(e)) => crate::respond::error_page(ctx.lang, &crate::errors::WebError::Core(e), Some(actor)),
        Err(e) => back(&e),
    }
}

/// GET /oidc/authorize
pub async fn authorize_get(State(state): State<AppState>, ctx: Ctx, uri: Uri, q: Result<Query<AuthorizeRequest>, QueryRejection>) -> Response {
    match q {
        Ok(Query(req)) => authorize(state, ctx, uri, req).await,
        Err(_) => refusal_page(&ctx, &OidcError::InvalidRequest("La demande de connexion est mal formée.")),
    }
}

/// POST /oidc/authorize (the same request sent as a form, OpenID Connect Core §3.1.2.1).
pub async fn authorize_post(State(state): State<AppState>, ctx: Ctx, f: Result<Form<AuthorizeRequest>, FormRejection>) -> Response {
    match f {
        Ok(Form(req)) => {
            // Resumed after sign-in as a GET with the same parameters.
            let query = authorize_query(&req);
            let uri: Uri = format!("/oidc/authorize?{query}").parse().unwrap_or_else(|_| Uri::from_static("/oidc/authorize"));
            authorize(state, ctx, uri, req).await
        }
        Err(_) => refusal_page(&ctx, &OidcError::InvalidRequest("La demande de connexion est mal formée.")),
    }
}

fn authorize_query(r: &AuthorizeRequest) -> String {
    let mut pairs: Vec<(&str, &str)> = vec![
        ("client_id", &r.client_id),
        ("redirect_uri", &r.redirect_uri),
        ("response_type", &r.response_type),
        ("scope", &r.scope),
    ];
    for (k, v) in [
        ("state", &r.state),
        ("nonce", &r.nonce),
        ("code_challenge", &r.code_challenge),
        ("code_challenge_method", &r.code_challenge_method),
        ("prompt", &r.prompt),
    ] {
        if let Some(v) = v {
            pairs.push((k, v));
        }
    }
    pairs.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect::<Vec<_>>().join("&")
}

// --- token, userinfo, revocation -------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct TokenForm {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    code_verifier: String,
    #[serde(default)]
    refresh_token: String,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    client_assertion_type: Option<String>,
    #[serde(default)]
    client_assertion: Option<String>,
    #[serde(default)]
    token: String,
}

/// How the client authenticated: HTTP Basic (RFC 6749 §2.3.1, form-encoded parts), the
/// secret in the body, or a signed assertion (RFC 7523).
fn client_auth(headers: &HeaderMap, f: &TokenForm) -> Result<ClientAuth, OidcError> {
    let basic = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Basic "));
    let methods = usize::from(basic.is_some()) + usize::from(f.client_secret.is_some()) + usize::from(f.client_assertion.is_some());
    if methods > 1 {
        return Err(OidcError::InvalidRequest("Une seule méthode d'authentification du service est admise par requête."));
    }
    if let Some(b) = basic {
        let decoded = base64::engine::general_purpose::STANDARD.decode(b.trim()).ok().and_then(|b| String::from_utf8(b).ok());
        let (id, secret) = decoded.as_deref().and_then(|d| d.split_once(':')).ok_or(OidcError::InvalidClient)?;
        let unescape = |s: &str| percent_encoding::percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned();
        return Ok(ClientAuth::Secret { client_id: unescape(id), secret: unescape(secret) });
    }
    if let Some(secret) = &f.client_secret {
        let client_id = f.client_id.clone().ok_or(OidcError::InvalidClient)?;
        return Ok(ClientAuth::Secret { client_id, secret: secret.clone() });
    }
    if let Some(assertion) = &f.client_assertion {
        if f.client_assertion_type.as_deref() != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") {
            return Err(OidcError::InvalidClient);
        }
        return Ok(ClientAuth::Assertion { client_id: f.client_id.clone(), assertion: assertion.clone() });
    }
    Ok(ClientAuth::None { client_id: f.client_id.clone() })
}

/// POST /oidc/token
pub async fn token(State(state): State<AppState>, ctx: Ctx, headers: HeaderMap, f: Result<Form<TokenForm>, FormRejection>) -> Response {
    let Ok(Form(f)) = f else {
        return oauth_error(&OidcError::InvalidRequest("La requête doit être un formulaire (application/x-www-form-urlencoded)."));
    };
    let auth = match client_auth(&headers, &f) {
        Ok(a) => a,
        Err(e) => return oauth_error(&e),
    };
    let grant = match f.grant_type.as_str() {
        "authorization_code" => TokenGrant::AuthorizationCode { code: f.code, redirect_uri: f.redirect_uri, code_verifier: f.code_verifier },
        "refresh_token" => TokenGrant::RefreshToken { refresh_token: f.refresh_token },
        "client_credentials" => TokenGrant::ClientCredentials { scope: f.scope },
        other => TokenGrant::Other(other.to_string()),
    };
    match state.app.oidc_token(&issuer(&state), &auth, grant, &ctx.client).await {
        Ok(t) => match serde_json::to_value(&t) {
            Ok(v) => no_store(json_response(StatusCode::OK, &v)),
            Err(_) => oauth_error(&OidcError::InvalidRequest("réponse impossible")),
        },
        Err(e) => oauth_error(&e),
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).map(str::trim)
}

/// GET or POST /oidc/userinfo
pub async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(t) = bearer(&headers) else {
        return oauth_error(&OidcError::InvalidToken);
    };
    match state.app.oidc_userinfo(&issuer(&state), t).await {
        Ok(v) => no_store(json_response(StatusCode::OK, &v)),
        Err(e) => oauth_error(&e),
    }
}

/// POST /oidc/revoke (RFC 7009)
pub async fn revoke(State(state): State<AppState>, ctx: Ctx, headers: HeaderMap, f: Result<Form<TokenForm>, FormRejection>) -> Response {
    let Ok(Form(f)) = f else {
        return oauth_error(&OidcError::InvalidRequest("La requête doit être un formulaire (application/x-www-form-urlencoded)."));
    };
    let auth = match client_auth(&headers, &f) {
        Ok(a) => a,
        Err(e) => return oauth_error(&e),
    };
    match state.app.oidc_revoke(&issuer(&state), &auth, &f.token, &ctx.client).await {
        Ok(()) => no_store(StatusCode::OK.into_response()),
        Err(e) => oauth_error(&e),
    }
}

// --- logout ----------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct LogoutQuery {
    #[serde(default)]
    id_token_hint: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    post_logout_redirect_uri: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    csrf: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "oidc_logout.html")]
struct LogoutPage {
    c: crate::view::Chrome,
    csrf: String,
    id_token_hint: String,
    client_id: String,
    post_logout_redirect_uri: String,
    state: String,
}

fn back_after_logout(target: Option<String>, st: Option<&str>) -> Response {
    match target {
        Some(uri) => {
            let with_state = match st {
                Some(s) => with_query(&uri, &[("state", s)]),
                None => uri,
            };
            Redirect::to(&with_state).into_response()
        }
        None => Redirect::to("/login?bye=1").into_response(),
    }
}

fn signed_out(state: &AppState, resp: Response) -> Response {
    let mut resp = resp;
    if let Ok(v) = HeaderValue::from_str(&crate::context::clear_session_cookie(&state.config)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    crate::extract::traced(resp)
}

/// GET /oidc/end_session — RP-initiated logout. With an `id_token_hint` of the current
/// session the person is signed out at once; otherwise the portal asks them first (a form
/// with its anti-forgery token), so that a link elsewhere cannot sign anyone out.
pub async fn end_session(State(state): State<AppState>, ctx: Ctx, q: Result<Query<LogoutQuery>, QueryRejection>) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let target = state
        .app
        .oidc_logout_target(&issuer(&state), ctx.actor.as_ref(), q.id_token_hint.as_deref(), q.client_id.as_deref(), q.post_logout_redirect_uri.as_deref())
        .await;
    let (same, target) = match target {
        Ok(x) => x,
        Err(e) => return refusal_page(&ctx, &e),
    };
    let Some(actor) = ctx.actor.as_ref() else {
        return back_after_logout(target, q.state.as_deref());
    };
    if same {
        if let Err(e) = state.app.logout(actor, &ctx.client).await {
            return crate::respond::error_page(ctx.lang, &crate::errors::WebError::Core(e), Some(actor));
        }
        return signed_out(&state, back_after_logout(target, q.state.as_deref()));
    }
    let page = LogoutPage {
        c: crate::view::Chrome::new(ctx.lang, None, Some(actor)),
        csrf: actor.session.csrf_token.clone(),
        id_token_hint: q.id_token_hint.unwrap_or_default(),
        client_id: q.client_id.unwrap_or_default(),
        post_logout_redirect_uri: q.post_logout_redirect_uri.unwrap_or_default(),
        state: q.state.unwrap_or_default(),
    };
    allow_form_target(crate::view::render(&page, StatusCode::OK), target.as_deref())
}

/// POST /oidc/end_session — the person confirmed.
pub async fn end_session_confirm(State(state): State<AppState>, ctx: Ctx, f: Result<Form<LogoutQuery>, FormRejection>) -> Response {
    let q = f.map(|Form(q)| q).unwrap_or_default();
    let target = state
        .app
        .oidc_logout_target(&issuer(&state), ctx.actor.as_ref(), q.id_token_hint.as_deref(), q.client_id.as_deref(), q.post_logout_redirect_uri.as_deref())
        .await;
    let target = match target {
        Ok((_, t)) => t,
        Err(e) => return refusal_page(&ctx, &e),
    };
    let Some(actor) = ctx.actor.as_ref() else {
        return back_after_logout(target, q.state.as_deref());
    };
    if !q.csrf.as_deref().is_some_and(|c| habilis_core::token::same_secret(c, &actor.session.csrf_token)) {
        let err = crate::errors::WebError::Csrf;
        return crate::respond::error_page(ctx.lang, &err, Some(actor));
    }
    if let Err(e) = state.app.logout(actor, &ctx.client).await {
        return crate::respond::error_page(ctx.lang, &crate::errors::WebError::Core(e), Some(actor));
    }
    signed_out(&state, back_after_logout(target, q.state.as_deref()))
}

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/oidc/jwks", get(jwks))
        .route("/oidc/authorize", get(authorize_get).post(authorize_post))
        .route("/oidc/token", post(token))
        .route("/oidc/userinfo", get(userinfo).post(userinfo))
        .route("/oidc/revoke", post(revoke))
        .route("/oidc/end_session", get(end_session).post(end_session_confirm))
}
