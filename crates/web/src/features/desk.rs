//! The service desk in pages and JSON (Art. 3, 4; R40–R42): a partner's managers open and
//! follow incidents, the desk qualifies, answers, escalates and closes them; plain users
//! see whom to turn to; the desk announces planned outages.

use askama::Template;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use habilis_core::clock::format_paris;
use habilis_core::records::*;
use habilis_core::services::desk::{IncidentFile, NewIncident, NewOutage, Reception};
use serde::Deserialize;
use serde_json::json;

use crate::context::Ctx;
use crate::errors::{WebError, format_date};
use crate::extract::{ApiActor, ApiJson, IdPath, SignedForm, SignedIn, Values, traced};
use crate::i18n::Texts;
use crate::respond::error_page;
use crate::state::AppState;
use crate::view::{Choice, Chrome, function_label, render};

fn status_label(t: &Texts, s: IncidentStatus) -> &'static str {
    match s {
        IncidentStatus::Open => t.incident_status_open,
        IncidentStatus::InProgress => t.incident_status_in_progress,
        IncidentStatus::Closed => t.incident_status_closed,
    }
}

fn side_label(t: &Texts, s: Side) -> &'static str {
    match s {
        Side::Partner => t.incident_side_partner,
        Side::Desk => t.incident_side_desk,
    }
}

/// What the desk's hours mean, in a sentence, when it is closed.
fn reception_note(t: &Texts, r: Reception) -> Option<String> {
    r.expected_from.map(|at| t.desk_closed_note.replace("{when}", &format!("{:02}/{:02}/{} {:02}:{:02}", at.day(), u8::from(at.month()), at.year(), at.hour(), at.minute())))
}

#[derive(Deserialize, Default)]
pub struct ListParams {
    #[serde(default)]
    closed: String,
    #[serde(default)]
    done: String,
    /// A search on the reference, the subject or the partner.
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<usize>,
}

struct Line {
    id: String,
    reference: String,
    subject: String,
    partner: String,
    status: &'static str,
    awaiting: String,
    due: String,
    level: i32,
    urgent: bool,
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct ListPage {
    c: Chrome,
    csrf: String,
    lines: Vec<Line>,
    closed: bool,
    /// The form to open one (the partner's managers).
    may_open: bool,
    services: Vec<Choice>,
    v: Values,
    error: Option<String>,
    desk_note: Option<String>,
    desk_hours: String,
    outages: Vec<String>,
    /// Every refused field of the form posted.
    problems: crate::view::Problems,
    /// The search, what it found, and the pages of the list.
    q: String,
    found: Option<String>,
    previous: Option<String>,
    next: Option<String>,
}

async fn list_page(state: &AppState, ctx: &Ctx, actor: &Actor, uri: Option<&Uri>, closed: bool, v: Values, err: Option<WebError>) -> Response {
    let t = ctx.lang.texts();
    let list = match state.app.incidents(actor, closed).await {
        Ok(l) => l,
        Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    };
    let may_open = actor.organisation.kind == OrganisationKind::Partner;
    let services = if may_open {
        match state.app.catalogue().await {
            Ok(c) => c.into_iter().map(|(s, _)| Choice { value: s.code.clone(), label: format!("{} — {}", s.code, s.label) }).collect(),
            Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(actor)),
        }
    } else {
        Vec::new()
    };
    let outages = outage_lines(state, ctx, actor).await;
    let desk = &state.app.desk;
    let q = v.get("q").trim().to_string();
    let wanted = crate::view::folded(&q);
    let lines: Vec<Line> = list
            .into_iter()
            .filter(|(i, partner)| wanted.is_empty() || crate::view::folded(&format!("{} {} {partner}", i.reference, i.subject)).contains(&wanted))
            .map(|(i, partner)| Line {
                id: i.id.to_string(),
                reference: i.reference.clone(),
                subject: i.subject.clone(),
                partner,
                status: status_label(t, i.status),
                awaiting: i.awaiting.map(|s| side_label(t, s).to_string()).unwrap_or_default(),
                due: i.due_on.map(format_date).unwrap_or_default(),
                level: i.escalation_level,
                urgent: i.urgent,
            })
            .collect();
    let here = if closed { "/incidents?closed=1" } else { "/incidents" };
    let (lines, previous, next) = crate::view::paged(lines, v.get("page").parse().unwrap_or(1), here, &q);
    let found = (!q.is_empty()).then(|| if lines.is_empty() { t.search_none.replace("{q}", &q) } else { t.search_found.replace("{q}", &q) });
    let page = ListPage {
        c: Chrome::new(ctx.lang, uri, Some(actor)),
        csrf: actor.session.csrf_token.clone(),
        lines,
        problems: crate::view::Problems::of(err.as_ref(), t, |f| format!("in-{f}")),
        q,
        found,
        previous,
        next,
        closed,
        may_open,
        services,
        v,
        error: err.as_ref().map(|e| e.message(t)),
        desk_note: reception_note(t, state.app.reception()),
        desk_hours: t.desk_hours.replace("{opens}", &desk.opens).replace("{closes}", &desk.closes),
        outages,
    };
    match err {
        Some(e) => crate::respond::noted(render(&page, e.status()), &e),
        None => render(&page, StatusCode::OK),
    }
}

/// The current and coming outages `actor` should know of, in sentences.
pub(crate) async fn outage_lines(state: &AppState, ctx: &Ctx, actor: &Actor) -> Vec<String> {
    let t = ctx.lang.texts();
    let now = state.app.now();
    match state.app.outages(actor).await {
        Ok(list) => list
            .into_iter()
            .map(|(o, label)| {
                let template = if o.covers(now) { t.outage_now } else { t.outage_coming };
                template.replace("{service}", &label).replace("{from}", &format_paris(o.starts_at)).replace("{to}", &format_paris(o.ends_at)).replace("{reason}", &o.reason)
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// GET /incidents
pub async fn list(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, uri: Uri, q: Result<Query<ListParams>, QueryRejection>) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let closed = q.closed == "1";
    let mut v = Values::default();
    v.0.insert("q".into(), q.q);
    if let Some(n) = q.page {
        v.0.insert("page".into(), n.to_string());
    }
    list_page(&state, &ctx, &actor, Some(&uri), closed, v, None).await
}

/// POST /incidents
pub async fn open(State(state): State<AppState>, ctx: Ctx, SignedForm(actor, v): SignedForm) -> Response {
    let cmd = NewIncident { service_code: v.get("service").into(), subject: v.get("subject").into(), description: v.get("description").into(), urgent: v.get("urgent") == "on" };
    match state.app.open_incident(&actor, &cmd, &ctx.client).await {
        Ok(i) => traced(Redirect::to(&format!("/incidents/{}?done=opened", i.id)).into_response()),
        Err(e) => list_page(&state, &ctx, &actor, None, false, v, Some(WebError::Core(e))).await,
    }
}

struct StepView {
    when: String,
    who: String,
    what: String,
    body: String,
}

#[derive(Template)]
#[template(path = "incident.html")]
struct FilePage {
    c: Chrome,
    csrf: String,
    id: String,
    title: String,
    partner: String,
    service: String,
    opened_by: String,
    opened: String,
    status: &'static str,
    team: String,
    national: bool,
    urgent: bool,
    awaiting: String,
    due: String,
    days_left: String,
    late: bool,
    level: i32,
    description: String,
    steps: Vec<StepView>,
    may_reply: bool,
    may_qualify: bool,
    may_national: bool,
    may_urgent: bool,
    may_close: bool,
    error: Option<String>,
    error_on: String,
    error_field: &'static str,
    notice: Option<String>,
    v: Values,
}

fn step_text(t: &Texts, k: StepKind) -> &'static str {
    match k {
        StepKind::Opened => t.step_opened,
        StepKind::Message => t.step_message,
        StepKind::Qualified => t.step_qualified,
        StepKind::National => t.step_national,
        StepKind::Urgent => t.step_urgent,
        StepKind::Escalated => t.step_escalated,
        StepKind::Closed => t.step_closed,
    }
}

async fn file_page(state: &AppState, ctx: &Ctx, actor: &Actor, id: IncidentId, err: Option<(WebError, String)>, notice: Option<String>, v: Values) -> Response {
    let t = ctx.lang.texts();
    let f: IncidentFile = match state.app.incident_file(actor, id).await {
        Ok(f) => f,
        Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    };
    let i = &f.incident;
    let days_left = match f.days_left {
        Some(d) if d >= 0 => t.incident_days_left.replace("{n}", &d.to_string()),
        Some(d) => t.incident_days_late.replace("{n}", &(-d).to_string()),
        None => String::new(),
    };
    let page = FilePage {
        c: Chrome::new(ctx.lang, None, Some(actor)),
        csrf: actor.session.csrf_token.clone(),
        id: i.id.to_string(),
        title: format!("{} — {}", i.reference, i.subject),
        partner: f.partner.clone(),
        service: f.service.clone(),
        opened_by: f.opened_by.clone(),
        opened: format_paris(i.created_at),
        status: status_label(t, i.status),
        team: i.team.clone().unwrap_or_default(),
        national: i.national,
        urgent: i.urgent,
        awaiting: i.awaiting.map(|s| side_label(t, s).to_string()).unwrap_or_default(),
        due: i.due_on.map(format_date).unwrap_or_default(),
        days_left,
        late: f.days_left.is_some_and(|d| d < 0),
        level: i.escalation_level,
        description: i.description.clone(),
        steps: f
            .steps
            .iter()
            .map(|(s, who)| StepView {
                when: format_paris(s.at),
                who: if who.is_empty() { t.step_portal.to_string() } else { format!("{who} ({})", s.side.map(|x| side_label(t, x)).unwrap_or_default()) },
                what: step_text(t, s.kind).to_string(),
                body: if s.kind == StepKind::Opened { String::new() } else { s.body.clone().unwrap_or_default() },
            })
            .collect(),
        may_reply: f.may.reply,
        may_qualify: f.may.qualify,
        may_national: f.may.national,
        may_urgent: f.may.urgent,
        may_close: f.may.close,
        error: err.as_ref().map(|(e, _)| e.message(t)),
        error_on: err.as_ref().map(|(_, on)| on.clone()).unwrap_or_default(),
        error_field: err.as_ref().and_then(|(e, _)| e.field()).unwrap_or(""),
        notice,
        v,
    };
    render(&page, err.map(|(e, _)| e.status()).unwrap_or(StatusCode::OK))
}

/// GET /incidents/{id}
pub async fn file(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<IncidentId>, q: Result<Query<ListParams>, QueryRejection>) -> Response {
    let t = ctx.lang.texts();
    let done = q.map(|Query(q)| q.done).unwrap_or_default();
    let mut notice = match done.as_str() {
        "opened" => Some(t.incident_opened_notice.to_string()),
        "message" => Some(t.incident_message_notice.to_string()),
        "qualified" | "national" | "urgent" | "closed" => Some(t.incident_saved_notice.to_string()),
        _ => None,
    };
    // A message sent while the desk is closed: say when an answer can be expected.
    if matches!(done.as_str(), "opened" | "message")
        && actor.organisation.kind == OrganisationKind::Partner
        && let Some(n) = reception_note(t, state.app.reception())
    {
        notice = notice.map(|x| format!("{x} {n}"));
    }
    file_page(&state, &ctx, &actor, id, None, notice, Values::default()).await
}

async fn act(state: AppState, ctx: Ctx, actor: Actor, id: IncidentId, v: Values, on: &str, r: habilis_core::error::Result<Incident>) -> Response {
    match r {
        Ok(_) => traced(Redirect::to(&format!("/incidents/{id}?done={on}")).into_response()),
        Err(e) => file_page(&state, &ctx, &actor, id, Some((WebError::Core(e), on.to_string())), None, v).await,
    }
}

/// POST /incidents/{id}/message
pub async fn message(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<IncidentId>, SignedForm(actor, v): SignedForm) -> Response {
    let r = state.app.post_incident_message(&actor, id, v.get("message"), &ctx.client).await;
    act(state, ctx, actor, id, v, "message", r).await
}

/// POST /incidents/{id}/qualify
pub async fn qualify(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<IncidentId>, SignedForm(actor, v): SignedForm) -> Response {
    let r = state.app.qualify_incident(&actor, id, v.get("team"), &ctx.client).await;
    act(state, ctx, actor, id, v, "qualified", r).await
}

/// POST /incidents/{id}/national
pub async fn national(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<IncidentId>, SignedForm(actor, v): SignedForm) -> Response {
    let r = state.app.escalate_to_national(&actor, id, v.get("note"), &ctx.client).await;
    act(state, ctx, actor, id, v, "national", r).await
}

/// POST /incidents/{id}/urgent
pub async fn urgent(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<IncidentId>, SignedForm(actor, v): SignedForm) -> Response {
    let r = state.app.mark_incident_urgent(&actor, id, &ctx.client).await;
    act(state, ctx, actor, id, v, "urgent", r).await
}

/// POST /incidents/{id}/close
pub async fn close(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<IncidentId>, SignedForm(actor, v): SignedForm) -> Response {
    let r = state.app.close_incident(&actor, id, v.get("resolution"), &ctx.client).await;
    act(state, ctx, actor, id, v, "closed", r).await
}

struct PersonLine {
    name: String,
    role: String,
    email: String,
}

#[derive(Template)]
#[template(path = "help.html")]
struct HelpPage {
    c: Chrome,
    managers: Vec<PersonLine>,
    desk: Vec<PersonLine>,
    outages: Vec<String>,
}

/// GET /help — whom a partner's person turns to (Art. 3: their managers first).
pub async fn help(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, uri: Uri) -> Response {
    let t = ctx.lang.texts();
    let (managers, desk) = match state.app.first_contacts(&actor).await {
        Ok(x) => x,
        Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(&actor)),
    };
    let outages = outage_lines(&state, &ctx, &actor).await;
    let page = HelpPage {
        c: Chrome::new(ctx.lang, Some(&uri), Some(&actor)),
        managers: managers
            .into_iter()
            .map(|a| PersonLine {
                name: a.display_name.clone(),
                role: a.roles.iter().filter(|r| r.is_manager()).map(|r| crate::view::role_label(t, *r)).collect::<Vec<_>>().join(", "),
                email: a.email.clone(),
            })
            .collect(),
        desk: desk.into_iter().map(|c| PersonLine { name: c.name, role: function_label(t, &c.function), email: c.email.unwrap_or_default() }).collect(),
        outages,
    };
    render(&page, StatusCode::OK)
}

struct OutageRow {
    id: String,
    service: String,
    from: String,
    to: String,
    reason: String,
    now: bool,
}

#[derive(Template)]
#[template(path = "outages.html")]
struct OutagesPage {
    c: Chrome,
    csrf: String,
    rows: Vec<OutageRow>,
    services: Vec<Choice>,
    v: Values,
    error: Option<String>,
    /// Every refused field of the form posted.
    problems: crate::view::Problems,
    notice: Option<String>,
}

async fn outages_page(state: &AppState, ctx: &Ctx, actor: &Actor, uri: Option<&Uri>, v: Values, err: Option<WebError>, notice: Option<String>) -> Response {
    let t = ctx.lang.texts();
    let list = match state.app.outages(actor).await {
        Ok(l) => l,
        Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    };
    let services = match state.app.catalogue().await {
        Ok(c) => c.into_iter().map(|(s, _)| Choice { value: s.code.clone(), label: format!("{} — {}", s.code, s.label) }).collect(),
        Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    };
    let now = state.app.now();
    let page = OutagesPage {
        c: Chrome::new(ctx.lang, uri, Some(actor)),
        csrf: actor.session.csrf_token.clone(),
        rows: list
            .into_iter()
            .map(|(o, label)| OutageRow { id: o.id.to_string(), service: label, from: format_paris(o.starts_at), to: format_paris(o.ends_at), reason: o.reason.clone(), now: o.covers(now) })
            .collect(),
        services,
        v,
        error: err.as_ref().map(|e| e.message(t)),
        problems: crate::view::Problems::of(err.as_ref(), t, |f| format!("o-{f}")),
        notice,
    };
    match err {
        Some(e) => crate::respond::noted(render(&page, e.status()), &e),
        None => render(&page, StatusCode::OK),
    }
}

/// GET /caisse/outages
pub async fn outages(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, uri: Uri, q: Result<Query<ListParams>, QueryRejection>) -> Response {
    let t = ctx.lang.texts();
    let notice = match q.map(|Query(q)| q.done).unwrap_or_default().as_str() {
        "announced" => Some(t.outage_announced.to_string()),
        "cancelled" => Some(t.outage_cancelled.to_string()),
        _ => None,
    };
    if !habilis_core::policy::abilities::abilities(&actor).outages {
        return error_page(ctx.lang, &WebError::Core(habilis_core::Error::Forbidden), Some(&actor));
    }
    outages_page(&state, &ctx, &actor, Some(&uri), Values::default(), None, notice).await
}

/// POST /caisse/outages
pub async fn announce(State(state): State<AppState>, ctx: Ctx, SignedForm(actor, v): SignedForm) -> Response {
    let cmd = NewOutage { service_code: v.get("service").into(), starts: v.get("starts").into(), ends: v.get("ends").into(), reason: v.get("reason").into() };
    match state.app.announce_outage(&actor, &cmd, &ctx.client).await {
        Ok(_) => traced(Redirect::to("/caisse/outages?done=announced").into_response()),
        Err(e) => outages_page(&state, &ctx, &actor, None, v, Some(WebError::Core(e)), None).await,
    }
}

/// POST /caisse/outages/{id}/cancel
pub async fn cancel(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<OutageId>, SignedForm(actor, v): SignedForm) -> Response {
    match state.app.cancel_outage(&actor, id, &ctx.client).await {
        Ok(()) => traced(Redirect::to("/caisse/outages?done=cancelled").into_response()),
        Err(e) => outages_page(&state, &ctx, &actor, None, v, Some(WebError::Core(e)), None).await,
    }
}

// --- JSON ----------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentBody {
    service: String,
    subject: String,
    description: String,
    #[serde(default)]
    urgent: bool,
}

/// GET /api/v1/incidents?closed=1
pub async fn api_list(State(state): State<AppState>, ApiActor(ref actor): ApiActor, q: Result<Query<ListParams>, QueryRejection>) -> Result<Response, WebError> {
    let closed = q.map(|Query(q)| q.closed == "1").unwrap_or(false);
    let list = state.app.incidents(actor, closed).await?;
    let v: Vec<_> = list.into_iter().map(|(i, partner)| json!({ "incident": i, "partner": partner })).collect();
    Ok(Json(json!({ "incidents": v })).into_response())
}

/// POST /api/v1/incidents
pub async fn api_open(State(state): State<AppState>, ctx: Ctx, ApiActor(ref actor): ApiActor, ApiJson(b): ApiJson<IncidentBody>) -> Result<Response, WebError> {
    let cmd = NewIncident { service_code: b.service, subject: b.subject, description: b.description, urgent: b.urgent };
    let i = state.app.open_incident(actor, &cmd, &ctx.client).await?;
    let r = state.app.reception();
    let expected = r.expected_from.map(|at| format!("{}T{:02}:{:02}", at.date(), at.hour(), at.minute()));
    Ok(traced((StatusCode::CREATED, Json(json!({ "incident": i, "desk_open": r.open, "answer_expected_from": expected }))).into_response()))
}

/// GET /api/v1/incidents/{id}
pub async fn api_file(State(state): State<AppState>, ApiActor(ref actor): ApiActor, IdPath(id): IdPath<IncidentId>) -> Result<Response, WebError> {
    let f = state.app.incident_file(actor, id).await?;
    let steps: Vec<_> = f.steps.iter().map(|(s, who)| json!({ "step": s, "author": who })).collect();
    Ok(Json(json!({ "incident": f.incident, "partner": f.partner, "service": f.service, "business_days_left": f.days_left, "steps": steps })).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TextBody {
    #[serde(default)]
    text: String,
}

fn api_done(r: habilis_core::error::Result<Incident>) -> Result<Response, WebError> {
    Ok(traced(Json(json!({ "incident": r? })).into_response()))
}

/// POST /api/v1/incidents/{id}/messages — `{"text": …}`
pub async fn api_message(State(state): State<AppState>, ctx: Ctx, ApiActor(ref actor): ApiActor, IdPath(id): IdPath<IncidentId>, ApiJson(b): ApiJson<TextBody>) -> Result<Response, WebError> {
    api_done(state.app.post_incident_message(actor, id, &b.text, &ctx.client).await)
}

/// POST /api/v1/incidents/{id}/qualify — `{"text": the team}`
pub async fn api_qualify(State(state): State<AppState>, ctx: Ctx, ApiActor(ref actor): ApiActor, IdPath(id): IdPath<IncidentId>, ApiJson(b): ApiJson<TextBody>) -> Result<Response, WebError> {
    api_done(state.app.qualify_incident(actor, id, &b.text, &ctx.client).await)
}

/// POST /api/v1/incidents/{id}/national — `{"text": the note}`
pub async fn api_national(State(state): State<AppState>, ctx: Ctx, ApiActor(ref actor): ApiActor, IdPath(id): IdPath<IncidentId>, ApiJson(b): ApiJson<TextBody>) -> Result<Response, WebError> {
    api_done(state.app.escalate_to_national(actor, id, &b.text, &ctx.client).await)
}

/// POST /api/v1/incidents/{id}/urgent — `{}`
pub async fn api_urgent(State(state): State<AppState>, ctx: Ctx, ApiActor(ref actor): ApiActor, IdPath(id): IdPath<IncidentId>, ApiJson(_b): ApiJson<TextBody>) -> Result<Response, WebError> {
    api_done(state.app.mark_incident_urgent(actor, id, &ctx.client).await)
}

/// POST /api/v1/incidents/{id}/close — `{"text": the resolution}`
pub async fn api_close(State(state): State<AppState>, ctx: Ctx, ApiActor(ref actor): ApiActor, IdPath(id): IdPath<IncidentId>, ApiJson(b): ApiJson<TextBody>) -> Result<Response, WebError> {
    api_done(state.app.close_incident(actor, id, &b.text, &ctx.client).await)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutageBody {
    service: String,
    starts: String,
    ends: String,
    reason: String,
}

/// GET /api/v1/outages — current and coming.
pub async fn api_outages(State(state): State<AppState>, ApiActor(ref actor): ApiActor) -> Result<Response, WebError> {
    let list = state.app.outages(actor).await?;
    let v: Vec<_> = list.into_iter().map(|(o, label)| json!({ "outage": o, "service": label })).collect();
    Ok(Json(json!({ "outages": v })).into_response())
}

/// POST /api/v1/outages
pub async fn api_announce(State(state): State<AppState>, ctx: Ctx, ApiActor(ref actor): ApiActor, ApiJson(b): ApiJson<OutageBody>) -> Result<Response, WebError> {
    let o = state.app.announce_outage(actor, &NewOutage { service_code: b.service, starts: b.starts, ends: b.ends, reason: b.reason }, &ctx.client).await?;
    Ok(traced((StatusCode::CREATED, Json(json!({ "outage": o }))).into_response()))
}

/// POST /api/v1/outages/{id}/cancel
pub async fn api_cancel(State(state): State<AppState>, ctx: Ctx, ApiActor(ref actor): ApiActor, IdPath(id): IdPath<OutageId>) -> Result<Response, WebError> {
    state.app.cancel_outage(actor, id, &ctx.client).await?;
    Ok(crate::respond::no_content())
}

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/incidents", get(list).post(open))
        .route("/incidents/{id}", get(file))
        .route("/incidents/{id}/message", post(message))
        .route("/incidents/{id}/qualify", post(qualify))
        .route("/incidents/{id}/national", post(national))
        .route("/incidents/{id}/urgent", post(urgent))
        .route("/incidents/{id}/close", post(close))
        .route("/help", get(help))
        .route("/caisse/outages", get(outages).post(announce))
        .route("/caisse/outages/{id}/cancel", post(cancel))
        .route("/api/v1/incidents", get(api_list).post(api_open))
        .route("/api/v1/incidents/{id}", get(api_file))
        .route("/api/v1/incidents/{id}/messages", post(api_message))
        .route("/api/v1/incidents/{id}/qualify", post(api_qualify))
        .route("/api/v1/incidents/{id}/national", post(api_national))
        .route("/api/v1/incidents/{id}/urgent", post(api_urgent))
        .route("/api/v1/incidents/{id}/close", post(api_close))
        .route("/api/v1/outages", get(api_outages).post(api_announce))
        .route("/api/v1/outages/{id}/cancel", post(api_cancel))
}
