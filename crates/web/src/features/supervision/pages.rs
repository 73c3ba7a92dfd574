//! The caisse's overview across its partners (R20): grants of a service, grants without an
//! end date, people not signed in for months, partners with an incomplete directory. One
//! page with a plain GET form of filters, and the same views in `/api/v1/supervision/…`.


use askama::Template;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use habilis_core::records::*;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::context::Ctx;
use crate::errors::{WebError, format_date};
use crate::extract::{ApiActor, SignedIn, Values};
use crate::i18n::Lang;
use crate::respond::error_page;
use crate::state::AppState;
use crate::view::{Choice, Chrome, function_label, render};

/// The filters, from the query string of the page or of the API.
#[derive(Deserialize, Default)]
pub struct Filters {
    #[serde(default)]
    view: Option<String>,
    #[serde(default)]
    service: Option<String>,
    #[serde(default)]
    partner: Option<String>,
    #[serde(default)]
    no_end_date: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    months: Option<String>,
    /// The page of the results (from 1).
    #[serde(default)]
    page: Option<usize>,
}

impl Filters {
    fn partner(&self) -> Result<Option<OrganisationId>, WebError> {
        match self.partner.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(raw) => Uuid::parse_str(raw).map(|u| Some(OrganisationId(u))).map_err(|_| WebError::NotFound),
        }
    }
    fn grant_filter(&self) -> Result<GrantFilter, WebError> {
        let state = match self.state.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(GrantState::parse(s).ok_or(WebError::Core(habilis_core::Error::invalid("state", habilis_core::values::ValueError::BadFormat)))?),
        };
        Ok(GrantFilter {
            service: self.service.clone(),
            partner: self.partner()?,
            no_end_date: matches!(self.no_end_date.as_deref(), Some("1" | "true" | "on")),
            state,
        })
    }
    fn months(&self) -> Result<u32, WebError> {
        match self.months.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(6),
            Some(m) => m.parse().map_err(|_| WebError::Core(habilis_core::Error::invalid("months", habilis_core::values::ValueError::OutOfRange))),
        }
    }
}

#[derive(Template)]
#[template(path = "supervision.html")]
struct SupervisionPage {
    c: Chrome,
    error: Option<String>,
    view: String,
    v: Values,
    partners: Vec<Choice>,
    services: Vec<String>,
    /// Partner id, partner, then the row's cells.
    rows: Vec<SupervisionRow>,
    headers: Vec<&'static str>,
    count: String,
    previous: Option<String>,
    next: Option<String>,
}

/// GET /caisse/supervision?view=grants|dormant|contacts&…
pub async fn page(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, q: Result<Query<Filters>, QueryRejection>) -> Response {
    let f = q.map(|Query(q)| q).unwrap_or_default();
    let t = ctx.lang.texts();
    let app = &state.app;
    let (partners, catalogue) = match (app.partners(&actor).await, app.catalogue().await) {
        (Ok(p), Ok(c)) => (p, c),
        (Err(e), _) | (_, Err(e)) => return error_page(ctx.lang, &WebError::Core(e), Some(&actor)),
    };
    let view = f.view.clone().filter(|v| matches!(v.as_str(), "grants" | "dormant" | "contacts")).unwrap_or_else(|| "grants".into());
    let mut v = Values::default();
    for (k, val) in [("service", &f.service), ("partner", &f.partner), ("no_end_date", &f.no_end_date), ("months", &f.months), ("state", &f.state)] {
        if let Some(val) = val {
            v.0.insert(k.into(), val.clone());
        }
    }
    let result = rows(&state, &actor, ctx.lang, &view, &f).await;
    let (headers, rows, error, status) = match result {
        Ok((h, r)) => (h, r, None, StatusCode::OK),
        Err(e) => (Vec::new(), Vec::new(), Some(e.message(t)), e.status()),
    };
    // The results, a page at a time, under the same filters.
    let mut here = format!("/caisse/supervision?view={view}");
    let mut filters: Vec<(&String, &String)> = v.0.iter().collect();
    filters.sort();
    for (k, val) in filters {
        here.push_str(&format!("&{k}={}", percent_encoding::utf8_percent_encode(val, percent_encoding::NON_ALPHANUMERIC)));
    }
    let count = t.results_count.replace("{n}", &rows.len().to_string());
    let (rows, previous, next) = crate::view::paged(rows, f.page.unwrap_or(1), &here, "");
    let page = SupervisionPage {
        c: Chrome::new(ctx.lang, None, Some(&actor)),
        error,
        view,
        v,
        previous,
        next,
        partners: partners.iter().map(|p| Choice { value: p.id.to_string(), label: p.name.clone() }).collect(),
        services: catalogue.iter().map(|(s, _)| s.code.clone()).collect(),
        count,
        rows,
        headers,
    };
    render(&page, status)
}

/// A line of a supervision view: the partner (linked to its rights page) and the cells.
struct SupervisionRow {
    partner_id: String,
    partner: String,
    cells: Vec<String>,
}

/// The column headers and lines of a view.
type Rows = (Vec<&'static str>, Vec<SupervisionRow>);

async fn rows(state: &AppState, actor: &Actor, lang: Lang, view: &str, f: &Filters) -> Result<Rows, WebError> {
    let t = lang.texts();
    let app = &state.app;
    match view {
        "dormant" => {
            let list = app.dormant_accounts(actor, f.months()?, f.partner()?).await?;
            let rows = list
                .into_iter()
                .map(|d| {
                    let last = d.last_login_at.map(habilis_core::clock::format_paris).unwrap_or_else(|| t.never_signed_in.into());
                    SupervisionRow { partner_id: d.partner_id.to_string(), partner: d.partner, cells: vec![d.display_name, d.login, last] }
                })
                .collect();
            Ok((vec![t.person, t.login_field, t.last_sign_in], rows))
        }
        "contacts" => {
            let list = app.incomplete_partners(actor).await?;
            let rows = list
                .into_iter()
                .map(|p| {
                    let missing = p.missing.iter().map(|m| function_label(t, m)).collect::<Vec<_>>().join(", ");
                    SupervisionRow { partner_id: p.partner_id.to_string(), partner: p.partner, cells: vec![missing] }
                })
                .collect();
            Ok((vec![t.missing_functions], rows))
        }
        _ => {
            let list = app.supervised_grants(actor, &f.grant_filter()?).await?;
            let rows = list
                .into_iter()
                .map(|g| {
                    let state = match (&g.grant.caisse_suspension, g.grant.state) {
                        (Some(why), _) => format!("{} : {why}", t.suspended_by_caisse),
                        (None, GrantState::Active) => t.grant_active.into(),
                        (None, GrantState::Suspended) => t.grant_suspended.into(),
                        (None, GrantState::Revoked) => t.grant_revoked.into(),
                    };
                    let ends = g.grant.ends_on.map(format_date).unwrap_or_else(|| t.no_end.into());
                    SupervisionRow {
                        partner_id: g.partner_id.to_string(),
                        partner: g.partner,
                        cells: vec![g.holder, format!("{} {}", g.service, g.role), g.grant.purpose, ends, state],
                    }
                })
                .collect();
            Ok((vec![t.person, t.service_and_role, t.grant_purpose, t.grant_ends_on, t.state], rows))
        }
    }
}

/// GET /api/v1/supervision/grants?service=&partner=&no_end_date=true&state=
pub async fn api_grants(State(state): State<AppState>, ApiActor(actor): ApiActor, q: Result<Query<Filters>, QueryRejection>) -> Result<Response, WebError> {
    let Ok(Query(f)) = q else {
        return Err(WebError::BadForm);
    };
    let filter = f.grant_filter()?;
    let list = state.app.supervised_grants(&actor, &filter).await?;
    Ok(Json(json!({ "grants": list })).into_response())
}

/// GET /api/v1/supervision/dormant-accounts?months=6&partner=
pub async fn api_dormant(State(state): State<AppState>, ApiActor(actor): ApiActor, q: Result<Query<Filters>, QueryRejection>) -> Result<Response, WebError> {
    let Ok(Query(f)) = q else {
        return Err(WebError::BadForm);
    };
    let (months, partner) = (f.months()?, f.partner()?);
    let list = state.app.dormant_accounts(&actor, months, partner).await?;
    Ok(Json(json!({ "months": months, "accounts": list })).into_response())
}

/// GET /api/v1/supervision/incomplete-partners
pub async fn api_incomplete(State(state): State<AppState>, ApiActor(actor): ApiActor) -> Result<Response, WebError> {
    let list = state.app.incomplete_partners(&actor).await?;
    Ok(Json(json!({ "partners": list })).into_response())
}

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get};
    axum::Router::new()
        .route("/caisse/supervision", get(page))
        .route("/api/v1/supervision/grants", get(api_grants))
        .route("/api/v1/supervision/dormant-accounts", get(api_dormant))
        .route("/api/v1/supervision/incomplete-partners", get(api_incomplete))
}
