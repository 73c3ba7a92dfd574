//! Extractors that do a handler's preamble once: who is signed in (or "sign in first"),
//! a path id that must parse (or "not found"), a JSON body (or a sentence saying why it
//! cannot be read), a form whose anti-forgery token matches (with the values typed, to
//! give back if the form is refused). Each refuses with a [`WebError`], which the session
//! middleware renders in the request's language and format.

use std::collections::HashMap;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Form, FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::response::Response;
use axum::Json;
use habilis_core::records::{Actor, OrganisationId, OrganisationKind};
use habilis_core::token;
use serde::Deserialize;

use crate::context::{Ctx, Traced};
use crate::errors::WebError;
use crate::respond::rejection_error;

/// The signed-in person; anyone else is sent to the sign-in page (JSON: 401).
pub(crate) struct SignedIn(pub Actor);

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, WebError> {
        parts.extensions.get::<Ctx>().and_then(|c| c.actor.clone()).map(SignedIn).ok_or(WebError::SignInRequired)
    }
}

/// The signed-in person of a JSON request; anyone else gets 401 with a sentence.
///
/// `?partner=<id>` on a partner-side route (users, groups, grants, mandates) makes a
/// caisse member act for that partner: caisse staff read it, and a caisse administrator
/// manages it while its contract is in caisse-managed mode (R23). Whether they may is the
/// core's decision, on every action.
pub(crate) struct ApiActor(pub Actor);

#[derive(Deserialize)]
struct PartnerParam {
    #[serde(default)]
    partner: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for ApiActor {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, WebError> {
        let SignedIn(actor) = SignedIn::from_request_parts(parts, state).await?;
        let partner = axum::extract::Query::<PartnerParam>::try_from_uri(&parts.uri).ok().and_then(|q| q.0.partner);
        match partner {
            None => Ok(ApiActor(actor)),
            // Only the caisse acts for a partner.
            Some(_) if actor.organisation.kind != OrganisationKind::Caisse => Err(WebError::Core(habilis_core::Error::Forbidden)),
            Some(raw) => OrganisationId::parse(&raw).map(|id| ApiActor(actor.acting_for(id))).ok_or(WebError::NotFound),
        }
    }
}

/// A path parameter (typically a typed id); one that does not parse is "not found" for a
/// signed-in person, and "sign in first" for anyone else (every route with an id needs a
/// signed-in person, and path extractors run before the form's checks).
pub(crate) struct IdPath<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> FromRequestParts<S> for IdPath<T> {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, WebError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(IdPath(v)),
            Err(_) if parts.extensions.get::<Ctx>().and_then(|c| c.actor.as_ref()).is_none() => Err(WebError::SignInRequired),
            Err(_) => Err(WebError::NotFound),
        }
    }
}

/// A JSON body, or a 4xx saying in a sentence why it cannot be read.
pub(crate) struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = WebError;
    async fn from_request(req: Request, state: &S) -> Result<Self, WebError> {
        json_body(Json::<T>::from_request(req, state).await).map(ApiJson)
    }
}

/// Read a JSON body, or explain in a sentence why it cannot be read.
pub(crate) fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, WebError> {
    match body {
        Ok(Json(v)) => Ok(v),
        Err(r) => Err(match r {
            JsonRejection::MissingJsonContentType(_) => WebError::JsonContentType,
            JsonRejection::JsonSyntaxError(e) => WebError::BadJson(serde_detail(&e.body_text())),
            JsonRejection::JsonDataError(e) => WebError::JsonFields(serde_detail(&e.body_text())),
            other => rejection_error(other.status()),
        }),
    }
}

/// Keep serde's own explanation (which names the field), without axum's preamble.
fn serde_detail(text: &str) -> String {
    let s = text.rsplit_once(": ").map(|(_, d)| d).unwrap_or(text);
    s.chars().take(200).collect()
}

/// Submitted form values, given back to the page when the form is refused.
#[derive(Debug, Default)]
pub struct Values(pub(crate) HashMap<String, String>);

impl Values {
    /// The value typed in `key`, or "".
    pub fn get(&self, key: &str) -> &str {
        self.0.get(key).map(String::as_str).unwrap_or("")
    }
}

/// A form posted by the signed-in person, whose anti-forgery token matches their
/// session's (compared in constant time), with the values typed.
pub(crate) struct SignedForm(pub Actor, pub Values);

impl<S: Send + Sync> FromRequest<S> for SignedForm {
    type Rejection = WebError;
    async fn from_request(req: Request, state: &S) -> Result<Self, WebError> {
        let actor = req.extensions().get::<Ctx>().and_then(|c| c.actor.clone()).ok_or(WebError::SignInRequired)?;
        let Form(map) = Form::<HashMap<String, String>>::from_request(req, state).await.map_err(|r| rejection_error(r.status()))?;
        let sent = map.get("csrf").map(String::as_str).unwrap_or("");
        if !token::same_secret(&actor.session.csrf_token, sent) {
            return Err(WebError::Csrf);
        }
        Ok(SignedForm(actor, Values(map)))
    }
}

/// Mark a response whose handler traced the request in its own transaction.
pub(crate) fn traced(mut r: Response) -> Response {
    r.extensions_mut().insert(Traced);
    r
}
