//! Bulk import from CSV (issue 18, R15): the form, the trial's report with the button that
//! runs the import for real, the report downloadable as CSV; and the same through the API
//! (`POST /api/v1/import/{users|groups|grants}?dry_run=true`, body `text/csv`).

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use habilis_core::records::Actor;
use habilis_core::services::imports::{ImportKind, ImportReport, LineOutcome, Step};
use serde::Deserialize;
use serde_json::json;

use crate::context::Ctx;
use crate::errors::WebError;
use crate::extract::{ApiActor, SignedForm, SignedIn, traced};
use crate::i18n::Texts;
use crate::state::AppState;
use crate::view::{Chrome, render};

/// The largest file taken (20,000 lines of a few hundred bytes, sent again as base64 by
/// the trial's form).
const MOST_BYTES: usize = 16 * 1024 * 1024;
const BASE: &str = "/partner/rights/import";

/// A kind offered by the form.
struct KindChoice {
    value: &'static str,
    label: &'static str,
    columns: &'static str,
    checked: bool,
}

/// A line of the report as shown.
struct LineRow {
    line: usize,
    outcome: String,
    class: &'static str,
    detail: String,
}

/// The report as shown.
struct ReportView {
    summary: String,
    file_info: String,
    ignored: Option<String>,
    stopped: Option<String>,
    can_run: bool,
    /// The file, base64, carried by the form that runs the import for real.
    content: String,
    download: String,
    download_name: String,
    lines: Vec<LineRow>,
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    c: Chrome,
    title: String,
    error: Option<String>,
    csrf: String,
    base: &'static str,
    rights_url: &'static str,
    kind: &'static str,
    kinds: Vec<KindChoice>,
    report: Option<ReportView>,
}

fn kinds(t: &Texts, chosen: Option<ImportKind>) -> Vec<KindChoice> {
    let chosen = chosen.unwrap_or(ImportKind::Users);
    [
        (ImportKind::Users, t.import_kind_users, t.import_columns_users),
        (ImportKind::Groups, t.import_kind_groups, t.import_columns_groups),
        (ImportKind::Grants, t.import_kind_grants, t.import_columns_grants),
    ]
    .into_iter()
    .map(|(k, label, columns)| KindChoice { value: k.as_str(), label, columns, checked: k == chosen })
    .collect()
}

/// What a step says, in the reader's language.
fn step_words(t: &Texts, s: &Step) -> String {
    match s {
        Step::AccountCreated(l) => t.step_account_created.replace("{login}", l),
        Step::AccountFound(l) => t.step_account_found.replace("{login}", l),
        Step::GroupCreated(g) => t.step_group_created.replace("{group}", g),
        Step::GroupFound(g) => t.step_group_found.replace("{group}", g),
        Step::Joined { group, login } => t.step_joined.replace("{group}", group).replace("{login}", login),
        Step::AlreadyMember { group, login } => t.step_already_member.replace("{group}", group).replace("{login}", login),
        Step::Granted { service, role, holder } => t.step_granted.replace("{service}", service).replace("{role}", role).replace("{holder}", holder),
        Step::AlreadyGranted { service, role, holder } => {
            t.step_already_granted.replace("{service}", service).replace("{role}", role).replace("{holder}", holder)
        }
    }
}

fn outcome_words(t: &Texts, o: LineOutcome, dry_run: bool) -> &'static str {
    match o {
        LineOutcome::Done if dry_run => t.line_done_dry,
        LineOutcome::Done => t.line_done,
        LineOutcome::Partly => t.line_partly,
        LineOutcome::Unchanged => t.line_unchanged,
        LineOutcome::Refused => t.line_refused,
    }
}

/// A line's detail: what it does (or would do), or why it is refused.
fn detail(t: &Texts, l: &habilis_core::services::imports::LineReport) -> String {
    match &l.error {
        Some(e) => WebError::Core(e.clone()).message(t),
        None => l.steps.iter().map(|s| step_words(t, s)).collect::<Vec<_>>().join(" ; "),
    }
}

fn summary(t: &Texts, r: &ImportReport) -> String {
    let template = if r.dry_run { t.import_summary_dry } else { t.import_summary_run };
    template
        .replace("{n}", &r.lines.len().to_string())
        .replace("{done}", &r.count(LineOutcome::Done).to_string())
        .replace("{partly}", &r.count(LineOutcome::Partly).to_string())
        .replace("{unchanged}", &r.count(LineOutcome::Unchanged).to_string())
        .replace("{refused}", &r.count(LineOutcome::Refused).to_string())
}

/// The report as CSV (the exports' format: BOM, `;`, CRLF, formulas defused).
fn report_csv(t: &Texts, r: &ImportReport) -> String {
    let mut out = String::from("\u{feff}");
    out.push_str(&habilis_core::values::csv_line(&[t.import_line, t.import_outcome, t.import_detail]));
    for l in &r.lines {
        out.push_str(&habilis_core::values::csv_line(&[l.line.to_string(), outcome_words(t, l.outcome, r.dry_run).to_string(), detail(t, l)]));
    }
    out
}

fn report_view(t: &Texts, r: &ImportReport, file: &[u8], today: &str) -> ReportView {
    let separator = match r.separator {
        '\t' => "tab".to_string(),
        c => c.to_string(),
    };
    ReportView {
        summary: summary(t, r),
        file_info: t.import_file_info.replace("{encoding}", r.encoding.name()).replace("{separator}", &separator),
        ignored: (!r.ignored.is_empty()).then(|| t.import_ignored.replace("{columns}", &r.ignored.join(", "))),
        stopped: r.stopped_at.map(|n| t.import_stopped.replace("{line}", &n.to_string())),
        can_run: r.dry_run && r.stopped_at.is_none() && r.lines.iter().any(|l| matches!(l.outcome, LineOutcome::Done | LineOutcome::Partly)),
        content: if r.dry_run { STANDARD.encode(file) } else { String::new() },
        download: format!("data:text/csv;charset=utf-8;base64,{}", STANDARD.encode(report_csv(t, r))),
        download_name: format!("rapport-import-{}-{today}.csv", r.kind.as_str()),
        lines: r
            .lines
            .iter()
            .map(|l| LineRow { line: l.line, outcome: outcome_words(t, l.outcome, r.dry_run).to_string(), class: l.outcome.as_str(), detail: detail(t, l) })
            .collect(),
    }
}

fn page(ctx: &Ctx, uri: &Uri, actor: &Actor, kind: Option<ImportKind>, error: Option<&WebError>, report: Option<ReportView>, dry_run: bool) -> Response {
    let t = ctx.lang.texts();
    let title = match &report {
        None => t.import_title,
        Some(_) if dry_run => t.import_title_dry,
        Some(_) => t.import_title_done,
    };
    let status = error.map(WebError::status).unwrap_or(StatusCode::OK);
    render(
        &ImportPage {
            c: Chrome::new(ctx.lang, Some(uri), Some(actor)),
            title: title.to_string(),
            error: error.map(|e| e.message(t)),
            csrf: actor.session.csrf_token.clone(),
            base: BASE,
            rights_url: "/partner/rights",
            kind: kind.unwrap_or(ImportKind::Users).as_str(),
            kinds: kinds(t, kind),
            report,
        },
        status,
    )
}

/// GET /partner/rights/import
/// Offered only to whom the core gives powers on an organisation's rights.
pub async fn form(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, uri: Uri) -> Response {
    match state.app.my_powers(&actor).await {
        Ok(Some(_)) => page(&ctx, &uri, &actor, None, None, None, true),
        Ok(None) => crate::respond::error_page(ctx.lang, &WebError::Core(habilis_core::Error::Forbidden), Some(&actor)),
        Err(e) => crate::respond::error_page(ctx.lang, &WebError::Core(e), Some(&actor)),
    }
}

async fn run(state: &AppState, ctx: &Ctx, uri: &Uri, actor: &Actor, kind: ImportKind, file: &[u8], dry_run: bool) -> Response {
    let t = ctx.lang.texts();
    match state.app.import_csv(actor, kind, file, dry_run, &state.config.public_url, &ctx.client).await {
        Ok(r) => {
            let view = report_view(t, &r, file, &state.app.today().to_string());
            let resp = page(ctx, uri, actor, Some(kind), None, Some(view), dry_run);
            if dry_run { resp } else { traced(resp) }
        }
        Err(e) => {
            let e = WebError::Core(e);
            e.log();
            page(ctx, uri, actor, Some(kind), Some(&e), None, dry_run)
        }
    }
}

/// POST /partner/rights/import (multipart: csrf, kind, file): the trial.
pub async fn check(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let Some(parts) = crate::multipart::parse(content_type, &body) else {
        return page(&ctx, &uri, &actor, None, Some(&WebError::BadForm), None, true);
    };
    if !habilis_core::token::same_secret(&actor.session.csrf_token, parts.text("csrf")) {
        return crate::respond::error_page(ctx.lang, &WebError::Csrf, Some(&actor));
    }
    let kind = ImportKind::parse(parts.text("kind"));
    match (kind, parts.file("file")) {
        (Some(kind), Some((_, data))) => run(&state, &ctx, &uri, &actor, kind, data, true).await,
        _ => {
            let e = WebError::ImportForm;
            page(&ctx, &uri, &actor, kind, Some(&e), None, true)
        }
    }
}

/// POST /partner/rights/import/run (csrf, kind, content): the import for real.
pub async fn run_for_real(State(state): State<AppState>, ctx: Ctx, uri: Uri, SignedForm(actor, v): SignedForm) -> Response {
    let kind = ImportKind::parse(v.get("kind"));
    let file = STANDARD.decode(v.get("content").as_bytes()).ok();
    match (kind, file) {
        (Some(kind), Some(file)) => run(&state, &ctx, &uri, &actor, kind, &file, false).await,
        (kind, _) => page(&ctx, &uri, &actor, kind, Some(&WebError::BadForm), None, false),
    }
}

#[derive(Deserialize)]
pub struct ImportQuery {
    #[serde(default)]
    dry_run: bool,
}

/// POST /api/v1/import/{users|groups|grants}[?dry_run=true], body `text/csv`: the report as
/// JSON, each refused line with its code and sentence.
async fn api(
    kind: ImportKind,
    state: AppState,
    ctx: Ctx,
    actor: &Actor,
    q: Result<Query<ImportQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let Ok(Query(q)) = q else { return Err(WebError::BadForm) };
    // Only what a cross-site form cannot send: a CSV body declared as such.
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.trim().to_ascii_lowercase().starts_with("text/csv") {
        return Err(WebError::CsvContentType);
    }
    let t = ctx.lang.texts();
    let r = state.app.import_csv(actor, kind, &body, q.dry_run, &state.config.public_url, &ctx.client).await?;
    let lines: Vec<serde_json::Value> = r
        .lines
        .iter()
        .map(|l| {
            let error = l.error.as_ref().map(|e| {
                let w = WebError::Core(e.clone());
                json!({ "code": w.code(), "message": w.message(t) })
            });
            json!({ "line": l.line, "outcome": l.outcome.as_str(), "steps": l.steps.iter().map(|s| step_words(t, s)).collect::<Vec<_>>(), "error": error })
        })
        .collect();
    let body = json!({
        "kind": kind.as_str(),
        "dry_run": r.dry_run,
        "encoding": r.encoding.name(),
        "separator": r.separator.to_string(),
        "ignored_columns": r.ignored,
        "counts": {
            "done": r.count(LineOutcome::Done), "partly": r.count(LineOutcome::Partly),
            "unchanged": r.count(LineOutcome::Unchanged), "refused": r.count(LineOutcome::Refused),
        },
        "stopped_at": r.stopped_at,
        "lines": lines,
    });
    let resp = Json(body).into_response();
    Ok(if r.dry_run { resp } else { traced(resp) })
}

/// The routes of this feature (files up to `MOST_BYTES`).
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    let mut r = axum::Router::new().route(BASE, get(form).post(check)).route(
        "/partner/rights/import/run",
        // The file comes back as base64 (4/3), percent-encoded where it has `+` or `/`.
        post(run_for_real).layer(DefaultBodyLimit::max(MOST_BYTES * 2)),
    );
    // One route per kind: any other path is "not found", not "method not allowed".
    for kind in [ImportKind::Users, ImportKind::Groups, ImportKind::Grants] {
        r = r.route(
            &format!("/api/v1/import/{}", kind.as_str()),
            post(
                move |State(state): State<AppState>,
                      ctx: Ctx,
                      ApiActor(actor): ApiActor,
                      q: Result<Query<ImportQuery>, axum::extract::rejection::QueryRejection>,
                      headers: HeaderMap,
                      body: Bytes| async move { api(kind, state, ctx, &actor, q, headers, body).await },
            ),
        );
    }
    r.layer(DefaultBodyLimit::max(MOST_BYTES))
}
