//! A page per person of a partner (issue 17): who they are, what they hold (grants, directly
//! or through a group, groups, mandates), the actions one may take on them, and their
//! history; and the history of one grant or one mandate. Every rule is the core's: the
//! page shows what `people_actor_may_manage`, `Powers` and `may_manage_rights_reaching`
//! allow, and the history is what `read_traces` lets the reader read (the reading traced).

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use habilis_core::policy::abilities::{may_manage_rights_reaching, may_reset_second_factor, on_partner_rights};
use habilis_core::records::*;
use habilis_core::services::trail::TraceFilter;
use serde::Deserialize;
use uuid::Uuid;

use super::pages::{NavItem, Section, urls};
use crate::context::Ctx;
use crate::errors::{WebError, format_date};
use crate::extract::{IdPath, SignedIn, Values, traced};
use crate::features::traces::trail::{Row, organisations, trace_rows};
use crate::respond::error_page;
use crate::state::AppState;
use crate::view::{Chrome, render, role_label};

/// The person whose page a form was posted from (`back` = their id), when that person is
/// of the page's partner: the action then lands back on their page. Only an id is taken,
/// never an address, so `back` cannot send anyone elsewhere.
pub(super) fn back_to_person(v: &Values) -> Option<AccountId> {
    AccountId::parse(v.get("back"))
}

/// A grant as the person's page lists it.
struct HeldGrant {
    id: String,
    role: String,
    /// "directe" or the group it comes through.
    through: String,
    purpose: String,
    ends: String,
    given_by: String,
    state: String,
    state_code: &'static str,
    caisse_reason: Option<String>,
    last_used: String,
    /// Its suspend, resume and revoke buttons are offered (core's rules).
    manageable: bool,
}

struct HeldMandate {
    id: String,
    scope: String,
    state: String,
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    c: Chrome,
    csrf: String,
    error: Option<String>,
    notice: Option<String>,
    form: &'static str,
    v: Values,
    /// The rights page (its people sub-page is the way back) and the forms' prefix.
    people_url: String,
    page_url: String,
    base: String,
    partner_name: Option<String>,
    /// "file" or "history".
    tab: &'static str,
    tabs: Vec<NavItem>,
    id: String,
    name: String,
    login: String,
    email: String,
    function: String,
    first_name: String,
    last_name: String,
    roles: String,
    status: String,
    status_code: &'static str,
    last_login: String,
    /// Actions on the person are offered (core's `people_actor_may_manage`).
    actions: bool,
    /// Their identity may be changed here (actions, and the power to manage users).
    editable: bool,
    reset_factor: bool,
    /// Their departure may be recorded (core's `departures_actor_may_record`).
    may_leave: bool,
    supervise: bool,
    grants: Vec<HeldGrant>,
    groups: Vec<String>,
    mandates: Vec<HeldMandate>,
    /// The history: rows, the next page's cursor, or why it cannot be read.
    rows: Vec<Row>,
    next: Option<String>,
    history_refused: bool,
    /// Every refused field of the form posted.
    problems: crate::view::Problems,
}

#[derive(Deserialize, Default)]
pub struct PersonQuery {
    #[serde(default)]
    ok: Option<String>,
    #[serde(default)]
    id: Option<String>,
    /// The history's cursor.
    #[serde(default)]
    after: Option<String>,
}

/// The person's page for `actor` (their file, or their history with `after` as cursor).
#[allow(clippy::too_many_arguments)]
pub(super) async fn person_page(state: &AppState, ctx: &Ctx, actor: &Actor, id: AccountId, form: &'static str, v: Values, err: Option<WebError>, notice: Option<String>) -> Response {
    render_person(state, ctx, actor, id, "file", None, form, v, err, notice).await
}

#[allow(clippy::too_many_arguments)]
async fn render_person(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    id: AccountId,
    tab: &'static str,
    after: Option<String>,
    form: &'static str,
    v: Values,
    err: Option<WebError>,
    notice: Option<String>,
) -> Response {
    let t = ctx.lang.texts();
    let app = &state.app;
    let org = actor.managed_organisation();
    let loaded = async {
        let file = app.partner_file(actor, org).await?;
        let people = app.partner_people(actor).await?;
        let grants = app.grants(actor).await?;
        let catalogue = app.catalogue().await?;
        let mandates = app.mandates(actor).await?;
        let groups = app.groups(actor).await?;
        let manageable = app.people_actor_may_manage(actor).await?;
        let departures = app.departures_actor_may_record(actor).await?;
        let powers = app.my_powers(actor).await?;
        Ok::<_, habilis_core::Error>((file, people, grants, catalogue, mandates, groups, (manageable, departures), powers))
    }
    .await;
    let (file, people, grants, catalogue, mandates, groups, (manageable, departures), powers) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    };
    let Some(person) = people.iter().find(|p| p.id == id) else {
        return error_page(ctx.lang, &WebError::NotFound, Some(actor));
    };
    let (page_url, base) = urls(actor);
    let person_url = format!("{page_url}/people/{id}");
    let name_of = |a: AccountId| people.iter().find(|p| p.id == a).map(|p| p.display_name.clone());
    let role_name = |rid| {
        catalogue
            .iter()
            .find_map(|(s, rs)| rs.iter().find(|r| r.id == rid).map(|r| format!("{} {}", s.code, r.code)))
            .unwrap_or_default()
    };
    let my_groups: Vec<&(Group, Vec<AccountId>)> = groups.iter().filter(|(_, m)| m.contains(&id)).collect();
    let is_administrator = |a: AccountId| people.iter().any(|p| p.id == a && p.roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy)));
    let may = on_partner_rights(actor, file.mode);
    let held: Vec<&Grant> = grants
        .iter()
        .filter(|g| g.holder_account_id == Some(id) || g.holder_group_id.is_some_and(|gr| my_groups.iter().any(|(x, _)| x.id == gr)))
        .collect();
    // The history: what was done to the person, to their grants and to their mandates.
    let (rows, next, history_refused) = if tab == "history" {
        let mut targets = vec![person.login.clone(), id.to_string()];
        targets.extend(held.iter().filter(|g| g.holder_account_id == Some(id)).map(|g| g.id.to_string()));
        targets.extend(mandates.iter().filter(|m| m.holder_id == id).map(|m| m.id.to_string()));
        match history(state, ctx, actor, org, targets, after).await {
            Ok(h) => h,
            Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(actor)),
        }
    } else {
        (Vec::new(), None, false)
    };
    let (first_name, last_name) = person.display_name.split_once(' ').map(|(a, b)| (a.to_string(), b.to_string())).unwrap_or((person.display_name.clone(), String::new()));
    let actions = manageable.contains(&id) && may.manage;
    let page = PersonPage {
        problems: crate::view::Problems::of(err.as_ref(), t, |f| format!("pe-{f}")),
        c: Chrome::new(ctx.lang, None, Some(actor)),
        csrf: actor.session.csrf_token.clone(),
        error: err.as_ref().map(|e| e.message(t)),
        notice,
        form,
        people_url: Section::People.url(&page_url),
        tabs: vec![
            NavItem { href: person_url.clone(), label: t.person_file, current: tab == "file" },
            NavItem { href: format!("{person_url}/history"), label: t.history_title, current: tab == "history" },
        ],
        page_url,
        base,
        partner_name: actor.acting_for.map(|_| file.partner.name.clone()),
        tab,
        id: id.to_string(),
        name: person.display_name.clone(),
        login: person.login.clone(),
        email: person.email.clone(),
        function: person.function.clone().unwrap_or_default(),
        first_name: if v.0.contains_key("first_name") { v.get("first_name").to_string() } else { first_name },
        last_name: if v.0.contains_key("last_name") { v.get("last_name").to_string() } else { last_name },
        roles: person.roles.iter().map(|r| role_label(t, *r)).collect::<Vec<_>>().join(", "),
        status: match person.status {
            AccountStatus::Active => t.status_active,
            AccountStatus::Suspended => t.status_suspended,
            AccountStatus::Deactivated => t.status_deactivated,
        }
        .to_string(),
        status_code: person.status.as_str(),
        last_login: person.last_login_at.map(habilis_core::clock::format_paris).unwrap_or_else(|| t.never_signed_in.into()),
        actions,
        editable: actions && person.status != AccountStatus::Deactivated && powers.as_ref().is_none_or(|p| p.may_manage_users()),
        reset_factor: may_reset_second_factor(actor, person, &file.partner),
        may_leave: actions && departures.contains(&id),
        supervise: may.supervise,
        grants: held
            .iter()
            .map(|g| {
                let through = match g.holder_group_id.and_then(|gr| groups.iter().find(|(x, _)| x.id == gr)) {
                    Some((x, _)) => t.through_group.replace("{group}", &x.name),
                    None => t.direct_grant.to_string(),
                };
                let reaches_administrator = match g.holder_group_id {
                    Some(gr) => groups.iter().any(|(x, m)| x.id == gr && m.iter().any(|a| is_administrator(*a))),
                    None => is_administrator(id),
                };
                HeldGrant {
                    id: g.id.to_string(),
                    role: role_name(g.service_role_id),
                    through,
                    purpose: g.purpose.clone(),
                    ends: g.ends_on.map(format_date).unwrap_or_else(|| t.no_end.into()),
                    given_by: name_of(g.created_by).unwrap_or_else(|| t.given_by_caisse.into()),
                    state: match g.state {
                        GrantState::Active => t.grant_active,
                        GrantState::Suspended => t.grant_suspended,
                        GrantState::Revoked => t.grant_revoked,
                    }
                    .to_string(),
                    state_code: g.state.as_str(),
                    caisse_reason: g.caisse_suspension.clone(),
                    last_used: g.last_used_at.map(habilis_core::clock::format_paris).unwrap_or_else(|| t.never_used.into()),
                    // Only a direct grant is changed from here (a group's belongs to the group).
                    manageable: g.holder_account_id == Some(id)
                        && may.manage
                        && may_manage_rights_reaching(actor, file.mode, reaches_administrator)
                        && powers.as_ref().is_none_or(|p| p.may_grant(g.service_role_id)),
                }
            })
            .collect(),
        groups: my_groups.iter().map(|(g, _)| g.name.clone()).collect(),
        mandates: mandates
            .iter()
            .filter(|m| m.holder_id == id)
            .map(|m| HeldMandate {
                id: m.id.to_string(),
                scope: m.scope.iter().map(|r| role_name(*r)).collect::<Vec<_>>().join(", "),
                state: if m.withdrawn_at.is_some() { t.mandate_withdrawn } else { t.mandate_active }.to_string(),
            })
            .collect(),
        rows,
        next,
        history_refused,
        v,
    };
    match err {
        Some(e) => crate::respond::noted(render(&page, e.status()), &e),
        None if tab == "history" && !history_refused => traced(render(&page, StatusCode::OK)),
        None => render(&page, StatusCode::OK),
    }
}

/// One page of the changes made to `targets` in `org`'s trail, newest first, if `actor` may
/// read it (the reading is traced by the core): (rows, next cursor, refused).
/// Only a refusal to read the trail is said on the page; any other error (a spoilt cursor,
/// the database) is the caller's to answer.
async fn history(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    org: OrganisationId,
    targets: Vec<String>,
    after: Option<String>,
) -> Result<(Vec<Row>, Option<String>, bool), habilis_core::Error> {
    let filter = TraceFilter { targets, organisation: Some(org), changes_only: true, after: after.unwrap_or_default(), ..Default::default() };
    match state.app.read_traces(actor, &filter, 50, &ctx.client).await {
        Ok(page) => {
            let orgs = organisations(state, actor).await;
            Ok((trace_rows(state, ctx, actor, &orgs, &page.records).await, page.next, false))
        }
        Err(habilis_core::Error::Forbidden) => Ok((Vec::new(), None, true)),
        Err(e) => Err(e),
    }
}

/// The history of one grant or mandate.
#[derive(Template)]
#[template(path = "record_history.html")]
struct RecordHistory {
    c: Chrome,
    title: String,
    back_url: String,
    back_label: &'static str,
    rows: Vec<Row>,
    next: Option<String>,
    history_refused: bool,
}

/// Which record's history.
#[derive(Clone, Copy)]
enum Kind {
    Grant,
    Mandate,
}

async fn record_history(state: &AppState, ctx: &Ctx, actor: &Actor, kind: Kind, id: Uuid, after: Option<String>) -> Response {
    let t = ctx.lang.texts();
    let org = actor.managed_organisation();
    // The record must be one of the partner's, as the reader sees them.
    let what = match kind {
        Kind::Grant => state.app.grants(actor).await.map(|gs| gs.iter().any(|g| g.id.0 == id)),
        Kind::Mandate => state.app.mandates(actor).await.map(|ms| ms.iter().any(|m| m.id.0 == id)),
    };
    match what {
        Ok(true) => {}
        Ok(false) => return error_page(ctx.lang, &WebError::NotFound, Some(actor)),
        Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    }
    let named = state.app.describe_record(actor, id).await.ok().flatten().unwrap_or_default();
    let (rows, next, history_refused) = match history(state, ctx, actor, org, vec![id.to_string()], after).await {
        Ok(h) => h,
        Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    };
    let (page_url, _) = urls(actor);
    let (head, section) = match kind {
        Kind::Grant => (t.grant_history_title, Section::Grants),
        Kind::Mandate => (t.mandate_history_title, Section::Mandates),
    };
    let page = RecordHistory {
        c: Chrome::new(ctx.lang, None, Some(actor)),
        title: format!("{head} — {named}"),
        back_url: section.url(&page_url),
        back_label: match kind {
            Kind::Grant => t.grants_title,
            Kind::Mandate => t.mandates_short,
        },
        rows,
        next,
        history_refused,
    };
    if history_refused { render(&page, StatusCode::OK) } else { traced(render(&page, StatusCode::OK)) }
}

/// The routes of the person pages and the record histories, for the partner and for the
/// caisse looking at one partner.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::get;
    let person = |tab: &'static str| {
        move |SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<AccountId>, q: Result<Query<PersonQuery>, QueryRejection>| async move {
            let q = q.map(|Query(q)| q).unwrap_or_default();
            let notice = done(&state, &ctx, &actor, &q).await;
            render_person(&state, &ctx, &actor, id, tab, q.after, "", Values::default(), None, notice).await
        }
    };
    let caisse_person = |tab: &'static str| {
        move |SignedIn(actor): SignedIn,
              State(state): State<AppState>,
              ctx: Ctx,
              IdPath((partner, id)): IdPath<(OrganisationId, AccountId)>,
              q: Result<Query<PersonQuery>, QueryRejection>| async move {
            let actor = actor.acting_for(partner);
            let q = q.map(|Query(q)| q).unwrap_or_default();
            let notice = done(&state, &ctx, &actor, &q).await;
            render_person(&state, &ctx, &actor, id, tab, q.after, "", Values::default(), None, notice).await
        }
    };
    let record = |kind: Kind| {
        move |SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<Uuid>, q: Result<Query<PersonQuery>, QueryRejection>| async move {
            let q = q.map(|Query(q)| q).unwrap_or_default();
            record_history(&state, &ctx, &actor, kind, id, q.after).await
        }
    };
    let caisse_record = |kind: Kind| {
        move |SignedIn(actor): SignedIn,
              State(state): State<AppState>,
              ctx: Ctx,
              IdPath((partner, id)): IdPath<(OrganisationId, Uuid)>,
              q: Result<Query<PersonQuery>, QueryRejection>| async move {
            let q = q.map(|Query(q)| q).unwrap_or_default();
            record_history(&state, &ctx, &actor.acting_for(partner), kind, id, q.after).await
        }
    };
    axum::Router::new()
        .route("/partner/rights/people/{id}", get(person("file")))
        .route("/partner/rights/people/{id}/history", get(person("history")))
        .route("/caisse/partners/{id}/rights/people/{target}", get(caisse_person("file")))
        .route("/caisse/partners/{id}/rights/people/{target}/history", get(caisse_person("history")))
        .route("/partner/rights/grants/{id}", get(record(Kind::Grant)))
        .route("/partner/rights/mandates/{id}", get(record(Kind::Mandate)))
        .route("/caisse/partners/{id}/rights/grants/{target}", get(caisse_record(Kind::Grant)))
        .route("/caisse/partners/{id}/rights/mandates/{target}", get(caisse_record(Kind::Mandate)))
}

/// The sentence saying what was just done on the person's page.
async fn done(state: &AppState, ctx: &Ctx, actor: &Actor, q: &PersonQuery) -> Option<String> {
    let t = ctx.lang.texts();
    let what = q.ok.as_deref()?;
    let named = match q.id.as_deref().and_then(|i| Uuid::parse_str(i).ok()) {
        Some(id) => state.app.describe_record(actor, id).await.ok().flatten(),
        None => None,
    };
    let sentence = match what {
        "grants-suspend" => t.done_grant_suspended,
        "grants-resume" => t.done_grant_resumed,
        "grants-revoke" => t.done_grant_revoked,
        "grants-end-date" => t.done_grant_end,
        "users-suspend" => t.done_user_suspended,
        "users-reactivate" => t.done_user_reactivated,
        "users-leave" => t.done_user_left,
        "users-edit" => t.done_user_edited,
        _ => return Some(t.saved.to_string()),
    };
    Some(match named {
        Some(n) => sentence.replace("{what}", &n),
        None => t.saved.to_string(),
    })
}
