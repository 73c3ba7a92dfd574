//! Alerts on atypical use (R24), in pages and in JSON: the caisse lists and filters them,
//! reads one with its facts and evidence, qualifies it with a comment, queries the partner
//! or suspends a grant from it, and sets its detection rules.

use askama::Template;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use habilis_core::clock::{format_paris, to_paris};
use habilis_core::commands::NewQuery;
use habilis_core::records::*;
use habilis_core::services::alerts::{AlertLine, AlertSheet, RulesInput};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::context::Ctx;
use crate::errors::WebError;
use crate::extract::{ApiActor, ApiJson, IdPath, SignedForm, SignedIn, Values, traced};
use crate::i18n::Texts;
use crate::respond::error_page;
use crate::state::AppState;
use crate::view::{Choice, Chrome, render};

const PAGE: i64 = 50;

/// A rule's name for people.
pub(crate) fn rule_label(t: &Texts, r: AlertRule) -> &'static str {
    match r {
        AlertRule::OffHours => t.alert_rule_off_hours,
        AlertRule::Volume => t.alert_rule_volume,
        AlertRule::NewNetwork => t.alert_rule_new_network,
        AlertRule::Failures => t.alert_rule_failures,
        AlertRule::Dormant => t.alert_rule_dormant,
    }
}

fn status_label(t: &Texts, s: AlertStatus) -> &'static str {
    match s {
        AlertStatus::Open => t.alert_status_open,
        AlertStatus::Acknowledged => t.alert_status_acknowledged,
    }
}

/// What was found, in a sentence.
fn finding(t: &Texts, a: &Alert) -> String {
    let f = &a.facts;
    let n = |x: Option<u32>| x.map(|x| x.to_string()).unwrap_or_default();
    match a.rule {
        AlertRule::OffHours => t.alert_fact_off_hours.replace("{time}", &french_time(f.local_time.as_deref().unwrap_or(""))),
        AlertRule::Volume if f.usual.is_none() => t.alert_fact_volume_new.replace("{count}", &n(f.count)).replace("{threshold}", &n(f.threshold)),
        AlertRule::Volume => t.alert_fact_volume.replace("{count}", &n(f.count)).replace("{usual}", &n(f.usual)).replace("{threshold}", &n(f.threshold)),
        AlertRule::NewNetwork => t.alert_fact_new_network.replace("{network}", f.network.as_deref().unwrap_or("")),
        AlertRule::Failures => t.alert_fact_failures.replace("{count}", &n(f.count)).replace("{threshold}", &n(f.threshold)),
        AlertRule::Dormant => t.alert_fact_dormant.replace("{days}", &f.idle_days.unwrap_or_default().to_string()),
    }
}

/// `2026-11-28 23:30` → `28/11/2026 23:30`, as the portal writes instants elsewhere.
fn french_time(iso: &str) -> String {
    match (iso.get(0..4), iso.get(5..7), iso.get(8..10), iso.get(10..)) {
        (Some(y), Some(m), Some(d), Some(rest)) => format!("{d}/{m}/{y}{rest}"),
        _ => iso.to_string(),
    }
}

/// The list's query string.
#[derive(Deserialize, Default, Clone)]
pub struct ListParams {
    #[serde(default)]
    status: String,
    #[serde(default)]
    rule: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    page: Option<i64>,
}

impl ListParams {
    fn filter(&self) -> AlertFilter {
        AlertFilter {
            // Open alerts unless asked otherwise: they are the ones to act on.
            status: match self.status.as_str() {
                "" => Some(AlertStatus::Open),
                "all" => None,
                s => AlertStatus::parse(s),
            },
            rule: AlertRule::parse(&self.rule),
            organisation: OrganisationId::parse(&self.organisation),
            account: None,
            limit: PAGE + 1,
            offset: (self.page.unwrap_or(1).clamp(1, 10_000) - 1) * PAGE,
        }
    }
    fn with_page(&self, page: i64) -> String {
        format!("/caisse/alerts?status={}&rule={}&organisation={}&page={page}", self.status, self.rule, self.organisation)
    }
}

struct AlertRow {
    id: String,
    when: String,
    rule: &'static str,
    person: String,
    organisation: String,
    finding: String,
    status: &'static str,
    open: bool,
}

fn row(t: &Texts, l: &AlertLine) -> AlertRow {
    AlertRow {
        id: l.alert.id.to_string(),
        when: format_paris(l.alert.raised_at),
        rule: rule_label(t, l.alert.rule),
        person: format!("{} ({})", l.person, l.login),
        organisation: l.organisation.clone(),
        finding: finding(t, &l.alert),
        status: status_label(t, l.alert.status),
        open: l.alert.status == AlertStatus::Open,
    }
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<AlertRow>,
    statuses: Vec<Choice>,
    rules: Vec<Choice>,
    status: String,
    rule: String,
    organisation: String,
    previous: Option<String>,
    next: Option<String>,
    may_set_rules: bool,
}

fn may_set_rules(actor: &Actor) -> bool {
    actor.account.roles.iter().any(|r| matches!(r, Role::CaisseAdmin | Role::SecurityOfficer))
}

/// GET /caisse/alerts
pub async fn list(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, uri: Uri, q: Result<Query<ListParams>, QueryRejection>) -> Response {
    let t = ctx.lang.texts();
    let p = q.map(|Query(q)| q).unwrap_or_default();
    let mut lines = match state.app.alerts(&actor, &p.filter()).await {
        Ok(l) => l,
        Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(&actor)),
    };
    let more = lines.len() as i64 > PAGE;
    lines.truncate(PAGE as usize);
    let page = p.page.unwrap_or(1).clamp(1, 10_000);
    let statuses = vec![
        Choice { value: String::new(), label: t.alert_status_open.into() },
        Choice { value: "acknowledged".into(), label: t.alert_status_acknowledged.into() },
        Choice { value: "all".into(), label: t.alerts_any.into() },
    ];
    let mut rules = vec![Choice { value: String::new(), label: t.alerts_any.into() }];
    rules.extend(AlertRule::ALL.iter().map(|r| Choice { value: r.as_str().into(), label: rule_label(t, *r).into() }));
    render(
        &ListPage {
            c: Chrome::new(ctx.lang, Some(&uri), Some(&actor)),
            rows: lines.iter().map(|l| row(t, l)).collect(),
            statuses,
            rules,
            status: p.status.clone(),
            rule: p.rule.clone(),
            organisation: p.organisation.clone(),
            previous: (page > 1).then(|| p.with_page(page - 1)),
            next: more.then(|| p.with_page(page + 1)),
            may_set_rules: may_set_rules(&actor),
        },
        StatusCode::OK,
    )
}

struct GrantChoice {
    id: String,
    label: String,
    suspended: bool,
}

struct ActionView {
    line: String,
}

#[derive(Template)]
#[template(path = "alert.html")]
struct SheetPage {
    c: Chrome,
    csrf: String,
    id: String,
    title: String,
    status: &'static str,
    open: bool,
    when: String,
    person: String,
    organisation: String,
    finding: String,
    evidence: Vec<String>,
    trail_link: Option<String>,
    acknowledged: Option<(String, String)>,
    may_acknowledge: bool,
    may_act: bool,
    staff_person: bool,
    grants: Vec<GrantChoice>,
    actions: Vec<ActionView>,
    error: Option<String>,
    /// Which form the error is about: "ack", "query-<grant>" or "suspend-<grant>".
    error_on: String,
    /// Which field.
    error_field: &'static str,
    notice: Option<String>,
    v: Values,
    due_default: String,
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    done: String,
}

fn grant_label(t: &Texts, g: &habilis_core::services::alerts::AlertGrant) -> String {
    let mut s = format!("{} — {}", g.what, g.role);
    if let Some(group) = &g.through {
        s.push_str(&format!(" ({})", t.alert_through_group.replace("{group}", group)));
    }
    s
}

async fn sheet_page(state: &AppState, ctx: &Ctx, actor: &Actor, id: AlertId, err: Option<(WebError, String)>, notice: Option<String>, v: Values) -> Response {
    let t = ctx.lang.texts();
    let sheet: AlertSheet = match state.app.alert_sheet(actor, id).await {
        Ok(s) => s,
        Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    };
    let a = &sheet.line.alert;
    let day = to_paris(a.raised_at).date().to_string();
    let can_read_traces = habilis_core::policy::abilities::abilities(actor).traces;
    let trail_link = can_read_traces.then(|| format!("/traces?person={}&from={day}&to={day}&organisation={}", sheet.line.login, a.organisation_id));
    let grant_name = |gid: GrantId| sheet.grants.iter().find(|g| g.grant.id == gid).map(|g| grant_label(t, g)).unwrap_or_else(|| gid.to_string());
    let actions = a
        .actions
        .iter()
        .zip(sheet.action_by.iter())
        .map(|(x, by)| ActionView {
            line: t
                .alert_action_line
                .replace("{what}", if x.kind == "query" { t.alert_action_query } else { t.alert_action_suspend })
                .replace("{grant}", &grant_name(x.grant_id))
                .replace("{name}", by)
                .replace("{date}", &format_paris(x.at)),
        })
        .collect();
    let rule = rule_label(t, a.rule);
    let page = SheetPage {
        c: Chrome::new(ctx.lang, None, Some(actor)),
        csrf: actor.session.csrf_token.clone(),
        id: a.id.to_string(),
        title: t.alert_title.replace("{rule}", rule),
        status: status_label(t, a.status),
        open: a.status == AlertStatus::Open,
        when: format_paris(a.raised_at),
        person: format!("{} ({})", sheet.line.person, sheet.line.login),
        organisation: sheet.line.organisation.clone(),
        finding: finding(t, a),
        evidence: a.evidence.iter().map(Uuid::to_string).collect(),
        trail_link,
        acknowledged: match (&sheet.acknowledged_by, a.acknowledged_at) {
            (Some(name), Some(at)) => Some((t.alert_acknowledged_by.replace("{name}", name).replace("{date}", &format_paris(at)), a.comment.clone().unwrap_or_default())),
            _ => None,
        },
        may_acknowledge: sheet.may_acknowledge,
        may_act: sheet.may_act,
        staff_person: !sheet.line.partner,
        grants: sheet
            .grants
            .iter()
            .map(|g| GrantChoice { id: g.grant.id.to_string(), label: grant_label(t, g), suspended: g.grant.caisse_suspension.is_some() })
            .collect(),
        actions,
        error: err.as_ref().map(|(e, _)| e.message(t)),
        error_on: err.as_ref().map(|(_, on)| on.clone()).unwrap_or_default(),
        error_field: err.as_ref().and_then(|(e, _)| e.field()).unwrap_or(""),
        notice,
        v,
        due_default: (state.app.today() + time::Duration::days(15)).to_string(),
    };
    render(&page, err.map(|(e, _)| e.status()).unwrap_or(StatusCode::OK))
}

/// GET /caisse/alerts/{id}
pub async fn sheet(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<AlertId>, q: Result<Query<DoneQuery>, QueryRejection>) -> Response {
    let t = ctx.lang.texts();
    let notice = q.ok().and_then(|Query(q)| match q.done.as_str() {
        "acknowledged" => Some(t.alert_acknowledged_notice.to_string()),
        "query" => Some(t.alert_done_query.to_string()),
        "suspend" => Some(t.alert_done_suspend.to_string()),
        _ => None,
    });
    sheet_page(&state, &ctx, &actor, id, None, notice, Values::default()).await
}

/// POST /caisse/alerts/{id}/acknowledge
pub async fn acknowledge(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<AlertId>, SignedForm(actor, v): SignedForm) -> Response {
    match state.app.acknowledge_alert(&actor, id, v.get("comment"), &ctx.client).await {
        Ok(_) => traced(Redirect::to(&format!("/caisse/alerts/{id}?done=acknowledged")).into_response()),
        Err(e) => sheet_page(&state, &ctx, &actor, id, Some((WebError::Core(e), "ack".into())), None, v).await,
    }
}

/// POST /caisse/alerts/{id}/query
pub async fn query(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<AlertId>, SignedForm(actor, v): SignedForm) -> Response {
    let on = format!("query-{}", v.get("grant"));
    let Some(grant) = GrantId::parse(v.get("grant")) else {
        let e = WebError::Core(habilis_core::Error::NotFound);
        return sheet_page(&state, &ctx, &actor, id, Some((e, on)), None, v).await;
    };
    let cmd = NewQuery { grant, question: v.get("question").into(), due_on: v.get("due_on").into(), auto_suspend: v.get("auto_suspend") == "on" };
    match state.app.alert_query(&actor, id, &cmd, &ctx.client).await {
        Ok(_) => traced(Redirect::to(&format!("/caisse/alerts/{id}?done=query")).into_response()),
        Err(e) => sheet_page(&state, &ctx, &actor, id, Some((WebError::Core(e), on)), None, v).await,
    }
}

/// POST /caisse/alerts/{id}/suspend
pub async fn suspend(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<AlertId>, SignedForm(actor, v): SignedForm) -> Response {
    let on = format!("suspend-{}", v.get("grant"));
    let Some(grant) = GrantId::parse(v.get("grant")) else {
        let e = WebError::Core(habilis_core::Error::NotFound);
        return sheet_page(&state, &ctx, &actor, id, Some((e, on)), None, v).await;
    };
    match state.app.alert_suspend(&actor, id, grant, v.get("reason"), &ctx.client).await {
        Ok(()) => traced(Redirect::to(&format!("/caisse/alerts/{id}?done=suspend")).into_response()),
        Err(e) => sheet_page(&state, &ctx, &actor, id, Some((WebError::Core(e), on)), None, v).await,
    }
}

#[derive(Template)]
#[template(path = "alert_rules.html")]
struct RulesPage {
    c: Chrome,
    csrf: String,
    r: RulesInput,
    editable: bool,
    error: Option<String>,
    /// Every refused field of the form posted.
    problems: crate::view::Problems,
    notice: Option<String>,
}

/// The input of the rules form for a field, for the error summary's links.
fn rules_input_id(field: &str) -> &'static str {
    match field {
        "office_start_hour" => "ru-start",
        "office_end_hour" => "ru-end",
        "volume_factor" => "ru-factor",
        "volume_floor" => "ru-floor",
        "volume_history_days" => "ru-hist",
        "network_days" => "ru-netdays",
        "failures_per_hour" => "ru-failn",
        "dormant_days" => "ru-dordays",
        _ => "ru-start",
    }
}

fn rules_page(ctx: &Ctx, actor: &Actor, r: RulesInput, err: Option<WebError>, notice: Option<String>) -> Response {
    let t = ctx.lang.texts();
    let page = RulesPage {
        c: Chrome::new(ctx.lang, None, Some(actor)),
        csrf: actor.session.csrf_token.clone(),
        r,
        editable: may_set_rules(actor),
        error: err.as_ref().map(|e| e.message(t)),
        problems: crate::view::Problems::of(err.as_ref(), t, |f| rules_input_id(f).to_string()),
        notice,
    };
    match err {
        Some(e) => crate::respond::noted(render(&page, e.status()), &e),
        None => render(&page, StatusCode::OK),
    }
}

/// GET /caisse/alerts/rules
pub async fn rules(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, q: Result<Query<DoneQuery>, QueryRejection>) -> Response {
    let notice = q.ok().filter(|Query(q)| q.done == "saved").map(|_| ctx.lang.texts().alert_rules_saved.to_string());
    match state.app.alert_rules(&actor).await {
        Ok(r) => rules_page(&ctx, &actor, RulesInput::from_rules(&r), None, notice),
        Err(e) => error_page(ctx.lang, &WebError::Core(e), Some(&actor)),
    }
}

fn input_of(v: &Values) -> RulesInput {
    let on = |k: &str| v.get(k) == "on";
    RulesInput {
        off_hours: on("off_hours"),
        office_start_hour: v.get("office_start_hour").into(),
        office_end_hour: v.get("office_end_hour").into(),
        weekends_off: on("weekends_off"),
        volume: on("volume"),
        volume_factor: v.get("volume_factor").into(),
        volume_floor: v.get("volume_floor").into(),
        volume_history_days: v.get("volume_history_days").into(),
        new_network: on("new_network"),
        network_days: v.get("network_days").into(),
        failures: on("failures"),
        failures_per_hour: v.get("failures_per_hour").into(),
        dormant: on("dormant"),
        dormant_days: v.get("dormant_days").into(),
    }
}

/// POST /caisse/alerts/rules
pub async fn save_rules(State(state): State<AppState>, ctx: Ctx, SignedForm(actor, v): SignedForm) -> Response {
    let input = input_of(&v);
    match state.app.set_alert_rules(&actor, &input, &ctx.client).await {
        Ok(_) => traced(Redirect::to("/caisse/alerts/rules?done=saved").into_response()),
        Err(e) => rules_page(&ctx, &actor, input, Some(WebError::Core(e)), None),
    }
}

// --- JSON ----------------------------------------------------------------------------------

fn alert_json(l: &AlertLine) -> serde_json::Value {
    json!({ "alert": l.alert, "person": { "name": l.person, "login": l.login }, "organisation": l.organisation })
}

/// GET /api/v1/alerts?status=&rule=&organisation=&page=
pub async fn api_list(State(state): State<AppState>, ApiActor(ref actor): ApiActor, q: Result<Query<ListParams>, QueryRejection>) -> Result<Response, WebError> {
    let p = q.map(|Query(q)| q).unwrap_or_default();
    let mut lines = state.app.alerts(actor, &p.filter()).await?;
    let more = lines.len() as i64 > PAGE;
    lines.truncate(PAGE as usize);
    Ok(Json(json!({ "alerts": lines.iter().map(alert_json).collect::<Vec<_>>(), "more": more })).into_response())
}

/// GET /api/v1/alerts/{id}
pub async fn api_sheet(State(state): State<AppState>, ApiActor(ref actor): ApiActor, IdPath(id): IdPath<AlertId>) -> Result<Response, WebError> {
    let s = state.app.alert_sheet(actor, id).await?;
    let grants: Vec<_> = s.grants.iter().map(|g| json!({ "grant": g.grant, "what": g.what, "role": g.role, "through_group": g.through })).collect();
    let mut v = alert_json(&s.line);
    if let Some(o) = v.as_object_mut() {
        o.insert("grants".into(), json!(grants));
    }
    Ok(Json(v).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AckBody {
    comment: String,
}

/// POST /api/v1/alerts/{id}/acknowledge
pub async fn api_acknowledge(State(state): State<AppState>, ctx: Ctx, ApiActor(ref actor): ApiActor, IdPath(id): IdPath<AlertId>, ApiJson(b): ApiJson<AckBody>) -> Result<Response, WebError> {
    let a = state.app.acknowledge_alert(actor, id, &b.comment, &ctx.client).await?;
    Ok(traced(Json(json!({ "alert": a })).into_response()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryBody {
    grant: Uuid,
    question: String,
    due_on: String,
    #[serde(default)]
    auto_suspend: bool,
}

/// POST /api/v1/alerts/{id}/query
pub async fn api_query(State(state): State<AppState>, ctx: Ctx, ApiActor(ref actor): ApiActor, IdPath(id): IdPath<AlertId>, ApiJson(b): ApiJson<QueryBody>) -> Result<Response, WebError> {
    let cmd = NewQuery { grant: GrantId(b.grant), question: b.question, due_on: b.due_on, auto_suspend: b.auto_suspend };
    let q = state.app.alert_query(actor, id, &cmd, &ctx.client).await?;
    Ok(traced((StatusCode::CREATED, Json(json!({ "query": q }))).into_response()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuspendBody {
    grant: Uuid,
    reason: String,
}

/// POST /api/v1/alerts/{id}/suspend
pub async fn api_suspend(State(state): State<AppState>, ctx: Ctx, ApiActor(ref actor): ApiActor, IdPath(id): IdPath<AlertId>, ApiJson(b): ApiJson<SuspendBody>) -> Result<Response, WebError> {
    state.app.alert_suspend(actor, id, GrantId(b.grant), &b.reason, &ctx.client).await?;
    Ok(crate::respond::no_content())
}

/// GET /api/v1/alert-rules
pub async fn api_rules(State(state): State<AppState>, ApiActor(ref actor): ApiActor) -> Result<Response, WebError> {
    Ok(Json(state.app.alert_rules(actor).await?).into_response())
}

/// PUT /api/v1/alert-rules — the whole document (`GET`'s shape); missing fields take their
/// default.
pub async fn api_set_rules(State(state): State<AppState>, ctx: Ctx, ApiActor(ref actor): ApiActor, ApiJson(r): ApiJson<AlertRules>) -> Result<Response, WebError> {
    let saved = state.app.set_alert_rules(actor, &RulesInput::from_rules(&r), &ctx.client).await?;
    Ok(traced(Json(saved).into_response()))
}

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/caisse/alerts", get(list))
        .route("/caisse/alerts/rules", get(rules).post(save_rules))
        .route("/caisse/alerts/{id}", get(sheet))
        .route("/caisse/alerts/{id}/acknowledge", post(acknowledge))
        .route("/caisse/alerts/{id}/query", post(query))
        .route("/caisse/alerts/{id}/suspend", post(suspend))
        .route("/api/v1/alerts", get(api_list))
        .route("/api/v1/alerts/{id}", get(api_sheet))
        .route("/api/v1/alerts/{id}/acknowledge", post(api_acknowledge))
        .route("/api/v1/alerts/{id}/query", post(api_query))
        .route("/api/v1/alerts/{id}/suspend", post(api_suspend))
        .route("/api/v1/alert-rules", get(api_rules).put(api_set_rules))
}

