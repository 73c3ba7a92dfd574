//! The page that asks before an action that cannot be taken back (issue 17, point 4): what
//! it is about, what will happen, a reason where the contract expects one; its form posts
//! the same values again with `confirm=yes`. Plain HTML: it works without JavaScript.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use habilis_core::records::Actor;

use crate::context::Ctx;
use crate::errors::WebError;
use crate::extract::Values;
use crate::view::{Chrome, render};

/// What to ask: (title, what will happen, the button, whether a reason is required).
pub(crate) type Ask = (&'static str, &'static str, &'static str, bool);

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    c: Chrome,
    csrf: String,
    title: String,
    what: String,
    consequence: String,
    button: String,
    action: String,
    back: String,
    fields: Vec<(String, String)>,
    needs_reason: bool,
    reason: String,
    error: Option<String>,
}

/// Whether the posted form `v` was confirmed.
pub(crate) fn confirmed(v: &Values) -> bool {
    v.get("confirm") == "yes"
}

/// The confirmation page for the form `v` posted to `action` (`back`: where "cancel"
/// goes; `what`: the record in words; `err`: why a confirmed form was refused).
#[allow(clippy::too_many_arguments)]
pub(crate) fn page(ctx: &Ctx, actor: &Actor, v: &Values, action: String, back: String, ask: Ask, what: String, err: Option<WebError>) -> Response {
    let t = ctx.lang.texts();
    let (title, consequence, button, needs_reason) = ask;
    let mut fields: Vec<(String, String)> = v.0.iter().filter(|(k, _)| !matches!(k.as_str(), "csrf" | "confirm" | "reason")).map(|(k, v)| (k.clone(), v.clone())).collect();
    fields.sort();
    let status = err.as_ref().map(|e| e.status()).unwrap_or(StatusCode::OK);
    let page = ConfirmPage {
        c: Chrome::new(ctx.lang, None, Some(actor)),
        csrf: actor.session.csrf_token.clone(),
        title: title.into(),
        what,
        consequence: consequence.into(),
        button: button.into(),
        action,
        back,
        fields,
        needs_reason,
        reason: v.get("reason").into(),
        error: err.as_ref().map(|e| e.message(t)),
    };
    render(&page, status)
}
