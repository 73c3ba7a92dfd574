//! The trace viewer (R62) and the right of access (Art. 5.3.4), as pages and JSON. Who
//! may read what is the core's decision; each reading is traced there.


use habilis_core::services::trail::{TraceFilter, TraceView, to_csv};
use habilis_core::trace::TraceRecord;
use askama::Template;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header::{self};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use habilis_core::records::*;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::context::Ctx;
use crate::errors::WebError;
use crate::extract::{ApiActor, SignedIn, Values, traced};
use crate::respond::error_page;
use crate::state::AppState;
use crate::view::{Choice, Chrome, render};

/// The viewer's query string (pages and API).
#[derive(Deserialize, Default, Clone)]
pub struct TraceParams {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    session: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    after: String,
    /// `changes` (actions only: the page's default) or `all` (with consultations and
    /// connections: the API's and the exports' default).
    #[serde(default)]
    show: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    limit: Option<i64>,
}

impl TraceParams {
    /// Whether consultations and connections are left out: `show`, or `page_default` —
    /// unless an action is asked for by name (then it is shown, whatever it is).
    fn changes_only(&self, page_default: bool) -> bool {
        match self.show.as_str() {
            "changes" => true,
            "all" => false,
            _ => page_default && self.action.trim().is_empty(),
        }
    }
    fn filter(&self) -> Result<TraceFilter, WebError> {
        self.filter_with(false)
    }
    fn filter_with(&self, page_default: bool) -> Result<TraceFilter, WebError> {
        let organisation = match self.organisation.trim() {
            "" => None,
            raw => Some(OrganisationId(Uuid::parse_str(raw).map_err(|_| WebError::NotFound)?)),
        };
        Ok(TraceFilter {
            from: self.from.clone(),
            to: self.to.clone(),
            person: self.person.clone(),
            action: self.action.clone(),
            target: self.target.clone(),
            targets: Vec::new(),
            outcome: self.outcome.clone(),
            session: self.session.clone(),
            organisation,
            after: self.after.clone(),
            changes_only: self.changes_only(page_default),
        })
    }
    /// The filters as a query string (without the cursor), for links.
    fn query_string(&self) -> String {
        let enc = |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
        let show = if self.changes_only(true) { "changes".to_string() } else { "all".to_string() };
        [("from", &self.from), ("to", &self.to), ("person", &self.person), ("action", &self.action), ("target", &self.target), ("outcome", &self.outcome), ("session", &self.session), ("organisation", &self.organisation), ("show", &show)]
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", enc(v.trim())))
            .collect::<Vec<_>>()
            .join("&")
    }
    fn values(&self) -> Values {
        let mut v = Values::default();
        for (k, val) in [("from", &self.from), ("to", &self.to), ("person", &self.person), ("action", &self.action), ("target", &self.target), ("outcome", &self.outcome), ("session", &self.session), ("organisation", &self.organisation)] {
            v.0.insert(k.into(), val.clone());
        }
        v.0.insert("show".into(), if self.changes_only(true) { "changes".into() } else { "all".into() });
        v
    }
}

/// One trace as the viewer shows it: words first, codes kept beside them.
pub(crate) struct Row {
    pub(crate) when: String,
    pub(crate) who: String,
    pub(crate) action: String,
    pub(crate) code: String,
    pub(crate) target: String,
    pub(crate) outcome: String,
    pub(crate) refused: bool,
    pub(crate) address: String,
    pub(crate) detail: String,
}

#[derive(Template)]
#[template(path = "traces.html")]
struct TracesPage {
    c: Chrome,
    error: Option<String>,
    v: Values,
    organisations: Vec<Choice>,
    rows: Vec<Row>,
    next: Option<String>,
    paged: bool,
    filters: String,
}

/// The organisations a reader may pick, with their names (for the filter and the column).
/// The rows of a table of traces, in words: who acted (and for whom), the action's label,
/// the target's name when the reader may read it.
pub(crate) async fn trace_rows(state: &AppState, ctx: &Ctx, actor: &Actor, orgs: &[Choice], records: &[TraceRecord]) -> Vec<Row> {
    let t = ctx.lang.texts();
    let name_of = |id: Option<OrganisationId>| id.and_then(|o| orgs.iter().find(|c| c.value == o.to_string()).map(|c| c.label.clone())).unwrap_or_default();
    let names = state.app.trace_names(actor, records).await.unwrap_or_default();
    let english = ctx.lang == crate::i18n::Lang::En;
    records
        .iter()
        .map(|r| {
            let e = &r.entry;
            let login = e.actor_login.clone().unwrap_or_default();
            // Who, and for whom: a caisse member acting on a partner's data is
            // written in the partner's trail under their own name.
            let who = match e.actor_id.and_then(|a| names.actors.get(&a)) {
                Some((name, org, org_name)) if Some(*org) != e.organisation_id && e.organisation_id.is_some() => {
                    t.trace_acting_for.replace("{name}", name).replace("{login}", &login).replace("{org}", org_name).replace("{for}", &name_of(e.organisation_id))
                }
                Some((name, _, org_name)) => format!("{name} ({login}) — {org_name}"),
                None if !login.is_empty() => format!("{login} — {}", name_of(e.organisation_id)),
                None => t.trace_by_portal.replace("{org}", &name_of(e.organisation_id)),
            };
            let target = e.target.clone().unwrap_or_default();
            Row {
                when: habilis_core::clock::format_paris(e.at),
                who,
                action: habilis_core::labels::action_label(&e.action, english).map(str::to_string).unwrap_or_else(|| e.action.clone()),
                code: e.action.clone(),
                target: names.targets.get(&target).cloned().unwrap_or(target),
                outcome: outcome_label(t, e.outcome.as_str()),
                refused: e.outcome != habilis_core::trace::Outcome::Success,
                address: e.client_addr.clone().unwrap_or_default(),
                detail: e.detail.clone().unwrap_or_default(),
            }
        })
        .collect()
}

/// The organisations whose names a table of traces may show: the reader's own and, for the
/// caisse, its partners.
pub(crate) async fn organisations(state: &AppState, actor: &Actor) -> Vec<Choice> {
    let mut out = vec![Choice { value: actor.organisation.id.to_string(), label: actor.organisation.name.clone() }];
    if actor.organisation.kind == OrganisationKind::Caisse
        && let Ok(ps) = state.app.partners(actor).await {
            out.extend(ps.into_iter().map(|p| Choice { value: p.id.to_string(), label: p.name }));
        }
    out
}

fn outcome_label(t: &crate::i18n::Texts, o: &str) -> String {
    match o {
        "success" => t.outcome_success.into(),
        "failure" => t.outcome_failure.into(),
        _ => t.outcome_refused.into(),
    }
}

/// GET /traces
pub async fn page(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, q: Result<Query<TraceParams>, QueryRejection>) -> Response {
    let p = q.map(|Query(p)| p).unwrap_or_default();
    let t = ctx.lang.texts();
    let orgs = organisations(&state, &actor).await;
    let result = match p.filter_with(true) {
        Ok(f) => state.app.read_traces(&actor, &f, 50, &ctx.client).await.map_err(WebError::Core),
        Err(e) => Err(e),
    };
    let (page, err) = match result {
        Ok(page) => (Some(page), None),
        Err(WebError::Core(habilis_core::Error::Forbidden)) => return error_page(ctx.lang, &WebError::Core(habilis_core::Error::Forbidden), Some(&actor)),
        Err(e) => (None, Some(e)),
    };
    let filters = p.query_string();
    let rows = match &page {
        Some(pg) => trace_rows(&state, &ctx, &actor, &orgs, &pg.records).await,
        None => Vec::new(),
    };
    let view = TracesPage {
        c: Chrome::new(ctx.lang, None, Some(&actor)),
        error: err.as_ref().map(|e| e.message(t)),
        v: p.values(),
        rows,
        next: page.as_ref().and_then(|pg| pg.next.clone()),
        paged: !p.after.trim().is_empty(),
        filters,
        organisations: if actor.organisation.kind == OrganisationKind::Caisse { orgs } else { Vec::new() },
    };
    // The core traced a successful reading; a refused one is traced by the middleware.
    match err {
        None => traced(render(&view, StatusCode::OK)),
        Some(e) => render(&view, e.status()),
    }
}

pub(super) fn download(records: &[TraceRecord], names: Option<&habilis_core::services::trail::TraceNames>, format: &str, name: &str) -> Response {
    let (body, kind, ext) = match format {
        "json" => {
            let list: Vec<TraceView> = records.iter().map(TraceView::from).collect();
            (serde_json::to_string_pretty(&json!({ "traces": list })).unwrap_or_default(), "application/json", "json")
        }
        _ => match names {
            Some(n) => (habilis_core::services::trail::to_csv_named(records, n), "text/csv; charset=utf-8", "csv"),
            None => (to_csv(records), "text/csv; charset=utf-8", "csv"),
        },
    };
    (
        [(header::CONTENT_TYPE, kind.to_string()), (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.{ext}\""))],
        body,
    )
        .into_response()
}

pub(super) fn export_format(p: &TraceParams) -> Option<&'static str> {
    match p.format.trim() {
        "" | "csv" => Some("csv"),
        "json" => Some("json"),
        _ => None,
    }
}

/// GET /traces/export?format=csv|json&… (the page's filters)
pub async fn export(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, q: Result<Query<TraceParams>, QueryRejection>) -> Response {
    let p = q.map(|Query(p)| p).unwrap_or_default();
    let Some(format) = export_format(&p) else {
        return error_page(ctx.lang, &WebError::BadForm, Some(&actor));
    };
    // Everything unless the page's link says otherwise (`show=changes`).
    let result = match p.filter() {
        Ok(f) => state.app.export_traces(&actor, &f, format, &ctx.client).await.map_err(WebError::Core),
        Err(e) => Err(e),
    };
    match result {
        Ok(records) => {
            let names = state.app.trace_names(&actor, &records).await.unwrap_or_default();
            traced(download(&records, Some(&names), format, &format!("traces-{}", state.app.today())))
        }
        Err(e) => error_page(ctx.lang, &e, Some(&actor)),
    }
}

/// GET /api/v1/traces?…&limit=
pub async fn api_list(State(state): State<AppState>, ctx: Ctx, ApiActor(actor): ApiActor, q: Result<Query<TraceParams>, QueryRejection>) -> Result<Response, WebError> {
    let Ok(Query(p)) = q else {
        return Err(WebError::BadForm);
    };
    let f = p.filter()?;
    let page = state.app.read_traces(&actor, &f, p.limit.unwrap_or(100), &ctx.client).await?;
    let list: Vec<TraceView> = page.records.iter().map(TraceView::from).collect();
    Ok(traced(Json(json!({ "traces": list, "next": page.next })).into_response()))
}

/// GET /api/v1/traces/export?format=csv|json&…
pub async fn api_export(State(state): State<AppState>, ctx: Ctx, ApiActor(actor): ApiActor, q: Result<Query<TraceParams>, QueryRejection>) -> Result<Response, WebError> {
    let Ok(Query(p)) = q else {
        return Err(WebError::BadForm);
    };
    let Some(format) = export_format(&p) else {
        return Err(WebError::Core(habilis_core::Error::invalid("format", habilis_core::values::ValueError::BadFormat)));
    };
    let f = p.filter()?;
    let records = state.app.export_traces(&actor, &f, format, &ctx.client).await?;
    let names = state.app.trace_names(&actor, &records).await.unwrap_or_default();
    Ok(traced(download(&records, Some(&names), format, &format!("traces-{}", state.app.today()))))
}

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get};
    axum::Router::new()
        .route("/traces", get(page))
        .route("/traces/export", get(export))
        .route("/api/v1/traces", get(api_list))
        .route("/api/v1/traces/export", get(api_export))
}
