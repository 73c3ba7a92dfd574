//! The business services' API (issue 13, R70): a service, authenticated as the client the
//! caisse registered (`Authorization: Basic client_id:secret`), asks whether a person may
//! use it now, in a role, or which roles they hold on it. The caisse registers clients.

use axum::Json;
use std::borrow::Cow;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use habilis_core::records::ServiceClient;
use habilis_core::services::check::{CheckAnswer, ClientInput, denial_code};
use serde::Deserialize;
use serde_json::json;

use crate::context::Ctx;
use crate::errors::WebError;
use crate::extract::{ApiActor, ApiJson};
use crate::respond::created;
use crate::state::AppState;

/// The business service calling, authenticated with its client secret.
pub(crate) struct ServiceCaller(pub std::sync::Arc<ServiceClient>);

impl FromRequestParts<AppState> for ServiceCaller {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let raw = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
        // Decoded on the stack: this runs for every call of a service.
        let mut buf = [0u8; 384];
        let decoded = raw
            .strip_prefix("Basic ")
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode_slice(b.trim(), &mut buf).ok())
            .and_then(|n| buf.get(..n).and_then(|b| std::str::from_utf8(b).ok()));
        let Some((id, secret)) = decoded.and_then(|d| d.split_once(':')) else {
            return Err(WebError::Core(habilis_core::Error::NotAuthenticated));
        };
        Ok(ServiceCaller(state.app.authenticate_client(id, secret).await?))
    }
}

/// `person` and `role` of the query string, decoded without copying when they need no
/// decoding (the hot path of the services).
pub struct CheckQuery<'a> {
    person: Cow<'a, str>,
    role: Option<Cow<'a, str>>,
}

fn decode(v: &str) -> Option<Cow<'_, str>> {
    if v.contains('+') {
        let spaced = v.replace('+', " ");
        return percent_encoding::percent_decode_str(&spaced).decode_utf8().ok().map(|c| Cow::Owned(c.into_owned()));
    }
    percent_encoding::percent_decode_str(v).decode_utf8().ok()
}

fn query(uri: &Uri) -> Result<CheckQuery<'_>, WebError> {
    let bad = |field| WebError::Core(habilis_core::Error::invalid(field, habilis_core::values::ValueError::Empty));
    let (mut person, mut role) = (None, None);
    for pair in uri.query().unwrap_or("").split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "person" => person = Some(decode(v).ok_or_else(|| bad("person"))?),
            "role" => role = Some(decode(v).ok_or_else(|| bad("role"))?),
            _ => {}
        }
    }
    let person = person.filter(|p| !p.trim().is_empty()).ok_or_else(|| bad("person"))?;
    Ok(CheckQuery { person, role })
}

/// The answer of `/api/v1/check`.
#[derive(serde::Serialize)]
struct Answer<'a> {
    allowed: bool,
    person: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    organisation: Option<habilis_core::records::OrganisationId>,
    role: &'a str,
    roles: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
}

impl Answer<'_> {
    fn into_response(self) -> Response {
        let mut bytes = Vec::with_capacity(192);
        match serde_json::to_writer(&mut bytes, &self) {
            Ok(()) => ([(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
            Err(_) => axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        }
    }
}

/// GET /api/v1/check?person=…&role=… — may the person use the calling service in this role now?
pub async fn check(State(state): State<AppState>, ctx: Ctx, ServiceCaller(client): ServiceCaller, uri: Uri) -> Result<Response, WebError> {
    let q = query(&uri)?;
    let Some(role) = q.role.as_deref().filter(|r| !r.trim().is_empty()) else {
        return Err(WebError::Core(habilis_core::Error::invalid("role", habilis_core::values::ValueError::Empty)));
    };
    // A typed answer, serialised directly: this is the hot path of the services.
    let body = match state.app.check_access(&client, &q.person, Some(role), &ctx.client).await? {
        CheckAnswer::Allowed(h) => Answer {
            allowed: true,
            person: &h.login,
            organisation: Some(h.organisation),
            role,
            roles: h.roles.iter().map(|(c, _)| c.as_str()).collect(),
            reason: None,
        }
        .into_response(),
        CheckAnswer::Refused(d) => Answer { allowed: false, person: &q.person, organisation: None, role, roles: vec![], reason: Some(denial_code(&d)) }.into_response(),
    };
    Ok(body)
}

/// GET /api/v1/check/roles?person=… — which roles does the person hold on the calling service now?
pub async fn roles(State(state): State<AppState>, ctx: Ctx, ServiceCaller(client): ServiceCaller, uri: Uri) -> Result<Response, WebError> {
    let q = query(&uri)?;
    let body = match state.app.check_access(&client, &q.person, None, &ctx.client).await? {
        CheckAnswer::Allowed(h) => json!({ "person": h.login, "organisation": h.organisation, "roles": h.roles.iter().map(|(c, _)| c).collect::<Vec<_>>() }),
        CheckAnswer::Refused(d) => json!({ "person": q.person, "roles": [], "reason": denial_code(&d) }),
    };
    Ok(Json(body).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientBody {
    service: String,
    client_id: String,
    name: String,
    #[serde(default)]
    redirect_uris: Vec<String>,
    /// Public keys for `private_key_jwt` (a JWKS object).
    #[serde(default)]
    jwks: Option<serde_json::Value>,
}

/// POST /api/v1/clients — the caisse registers a business service; the secret is shown once.
pub async fn register(State(state): State<AppState>, ctx: Ctx, ApiActor(ref a): ApiActor, ApiJson(b): ApiJson<ClientBody>) -> Result<Response, WebError> {
    let input = ClientInput {
        service_code: b.service,
        client_id: b.client_id,
        name: b.name,
        redirect_uris: b.redirect_uris,
        jwks: b.jwks.map(|j| j.to_string()).unwrap_or_default(),
    };
    let (c, secret) = state.app.register_client(a, &input, &ctx.client).await?;
    Ok(created(json!({ "client_id": c.client_id, "client_secret": secret, "name": c.name, "redirect_uris": c.redirect_uris })))
}

// --- the caisse's page of clients --------------------------------------------------------

struct ClientRow {
    client_id: String,
    name: String,
    service: String,
    redirects: String,
    /// Whether it registered public keys (private_key_jwt).
    keys: bool,
}

#[derive(askama::Template)]
#[template(path = "clients.html")]
struct ClientsPage {
    c: crate::view::Chrome,
    csrf: String,
    error: Option<String>,
    v: crate::extract::Values,
    /// The client just registered and its secret, shown this once.
    secret: Option<(String, String)>,
    rows: Vec<ClientRow>,
    services: Vec<crate::view::Choice>,
    /// The discovery document's address, for the services' configuration.
    discovery: String,
}

async fn clients_page(
    state: &AppState,
    ctx: &Ctx,
    actor: &habilis_core::records::Actor,
    v: crate::extract::Values,
    err: Option<WebError>,
    secret: Option<(String, String)>,
) -> Response {
    let t = ctx.lang.texts();
    let loaded = async { Ok::<_, habilis_core::Error>((state.app.clients(actor).await?, state.app.catalogue().await?)) }.await;
    let (clients, catalogue) = match loaded {
        Ok(x) => x,
        Err(e) => return crate::respond::error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    };
    let page = ClientsPage {
        c: crate::view::Chrome::new(ctx.lang, None, Some(actor)),
        csrf: actor.session.csrf_token.clone(),
        error: err.as_ref().map(|e| e.message(t)),
        v,
        secret,
        rows: clients
            .into_iter()
            .map(|(c, service)| ClientRow { keys: c.jwks.is_some(), client_id: c.client_id, name: c.name, service, redirects: c.redirect_uris.join(" ") })
            .collect(),
        services: catalogue.iter().map(|(s, _)| crate::view::Choice { value: s.code.clone(), label: s.label.clone() }).collect(),
        discovery: format!("{}/.well-known/openid-configuration", state.config.public_url.trim_end_matches('/')),
    };
    crate::view::render(&page, err.map(|e| e.status()).unwrap_or(axum::http::StatusCode::OK))
}

/// GET /caisse/clients
pub async fn clients_form(crate::extract::SignedIn(actor): crate::extract::SignedIn, State(state): State<AppState>, ctx: Ctx) -> Response {
    clients_page(&state, &ctx, &actor, crate::extract::Values::default(), None, None).await
}

/// POST /caisse/clients — register; the page shows the secret once (no redirect, so that
/// it never sits in a URL or a history entry).
pub async fn clients_submit(State(state): State<AppState>, ctx: Ctx, crate::extract::SignedForm(actor, v): crate::extract::SignedForm) -> Response {
    let input = ClientInput {
        service_code: v.get("service").into(),
        client_id: v.get("client_id").into(),
        name: v.get("name").into(),
        redirect_uris: v.get("redirect_uris").split_whitespace().map(str::to_string).collect(),
        jwks: v.get("jwks").into(),
    };
    match state.app.register_client(&actor, &input, &ctx.client).await {
        Ok((c, secret)) => {
            let mut resp = clients_page(&state, &ctx, &actor, crate::extract::Values::default(), None, Some((c.client_id, secret))).await;
            // Never cached: the secret is in this page.
            resp.headers_mut().insert(header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
            crate::extract::traced(resp)
        }
        Err(e) => clients_page(&state, &ctx, &actor, v, Some(WebError::Core(e)), None).await,
    }
}

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/api/v1/check", get(check))
        .route("/api/v1/check/roles", get(roles))
        .route("/api/v1/clients", post(register))
        .route("/caisse/clients", get(clients_form).post(clients_submit))
}
