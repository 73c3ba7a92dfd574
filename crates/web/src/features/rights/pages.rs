//! The partner's page for its access rights: quotas (used / allowed), grants, users and
//! mandates, with their forms. Every rule is the core's; this only shows and submits.


use askama::Template;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use habilis_core::commands::*;
use habilis_core::records::*;
use serde::Deserialize;
use uuid::Uuid;

use crate::context::Ctx;
use crate::errors::{WebError, format_date};
use crate::extract::{SignedForm, SignedIn, Values, traced};
use crate::respond::error_page;
use crate::state::AppState;
use crate::view::{Chrome, render, role_label};

#[derive(Template)]
#[template(path = "rights.html")]
struct RightsPage {
    c: Chrome,
    csrf: String,
    error: Option<String>,
    notice: Option<String>,
    form: &'static str,
    v: Values,
    /// Where this page lives, and the prefix its forms post under.
    page_url: String,
    base: String,
    /// The partner's name, when a caisse member looks at it.
    partner_name: Option<String>,
    /// A sentence on who manages what here.
    banner: Option<&'static str>,
    /// Management forms are shown.
    manage: bool,
    /// Caisse supervision actions are shown (a caisse administrator).
    supervise: bool,
    /// The partner's administrators answer queries.
    answer: bool,
    quotas: Vec<(String, String)>,
    grants: Vec<GrantRow>,
    people: Vec<(String, String)>,
    roles: Vec<(String, String)>,
    users: Vec<(String, String, String, String, String, &'static str, bool, String, usize, String)>,
    mandates: Vec<(String, String, String, String, bool)>,
    groups: Vec<(String, String, String)>,
    queries: Vec<QueryRow>,
    today: String,
}

struct GrantRow {
    id: String,
    holder: String,
    role: String,
    purpose: String,
    ends: String,
    state: String,
    state_code: &'static str,
    caisse_reason: Option<String>,
}

struct QueryRow {
    id: String,
    about: String,
    question: String,
    due: String,
    status: String,
    open: bool,
    answered: bool,
    overdue: bool,
    answer: String,
}

/// The page's address and form prefix for `actor`: the partner's own, or the caisse's view
/// of one partner.
fn urls(actor: &Actor) -> (String, String) {
    match actor.acting_for {
        Some(p) => (format!("/caisse/partners/{p}/rights"), format!("/caisse/partners/{p}/rights")),
        None => ("/partner/rights".into(), "/partner".into()),
    }
}

async fn rights_page(state: &AppState, ctx: &Ctx, actor: &Actor, form: &'static str, v: Values, err: Option<WebError>, notice: Option<String>) -> Response {
    let t = ctx.lang.texts();
    let app = &state.app;
    let org = actor.managed_organisation();
    let caisse_admin = habilis_core::reach::caisse_admin_of(actor).is_ok();
    let loaded = async {
        let file = app.partner_file(actor, org).await?;
        let people = app.partner_people(actor).await?;
        let grants = app.grants(actor).await?;
        let quotas = app.quota_use(actor, org).await?;
        let catalogue = app.catalogue().await?;
        let mandates = app.mandates(actor).await?;
        let groups = app.groups(actor).await?;
        let queries = match app.queries(actor).await {
            Ok(q) => q.into_iter().filter(|q| q.partner_id == org).collect(),
            Err(habilis_core::Error::Forbidden) => Vec::new(),
            Err(e) => return Err(e),
        };
        Ok::<_, habilis_core::Error>((file, people, grants, quotas, catalogue, mandates, groups, queries))
    }
    .await;
    let (file, people, grants, quotas, catalogue, mandates, groups, queries) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    };
    let caisse_managed = file.mode == Some(habilis_core::records::ManagementMode::CaisseManaged);
    let (manage, banner, partner_name) = match actor.acting_for {
        Some(_) if caisse_managed => (caisse_admin, Some(t.caisse_view_managed), Some(file.partner.name.clone())),
        Some(_) => (false, Some(t.caisse_view_delegated), Some(file.partner.name.clone())),
        None if caisse_managed => (false, Some(t.partner_caisse_managed), None),
        None => (true, None, None),
    };
    let (page_url, base) = urls(actor);
    let today = app.today();
    let name_of = |id: AccountId| people.iter().find(|p| p.id == id).map(|p| p.display_name.clone()).unwrap_or_else(|| id.to_string());
    let role_name = |id| {
        catalogue
            .iter()
            .find_map(|(s, rs)| rs.iter().find(|r| r.id == id).map(|r| format!("{} {}", s.code, r.code)))
            .unwrap_or_default()
    };
    let holder_of_grant = |g: &habilis_core::records::Grant| match (g.holder_account_id, g.holder_group_id) {
        (Some(a), _) => name_of(a),
        (None, Some(gr)) => groups.iter().find(|(x, _)| x.id == gr).map(|(x, _)| format!("« {} »", x.name)).unwrap_or_default(),
        _ => String::new(),
    };
    let search = v.get("q").to_string();
    let page = RightsPage {
        c: Chrome::new(ctx.lang, None, Some(actor)),
        csrf: actor.session.csrf_token.clone(),
        error: err.as_ref().map(|e| e.message(t)),
        notice,
        form,
        v,
        page_url,
        base,
        partner_name,
        banner,
        manage,
        supervise: actor.acting_for.is_some() && caisse_admin,
        answer: actor.acting_for.is_none() && actor.account.roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy)),
        quotas: quotas
            .iter()
            .map(|q| {
                let what = match &q.role {
                    Some(r) => format!("{} — {r}", q.service),
                    None => q.service.clone(),
                };
                (what, format!("{} / {}", q.used, q.allowed.map(|a| a.to_string()).unwrap_or_else(|| t.quota_none.into())))
            })
            .collect(),
        grants: grants
            .iter()
            .map(|g| {
                let state = match g.state {
                    GrantState::Active => t.grant_active,
                    GrantState::Suspended => t.grant_suspended,
                    GrantState::Revoked => t.grant_revoked,
                };
                GrantRow {
                    id: g.id.to_string(),
                    holder: holder_of_grant(g),
                    role: role_name(g.service_role_id),
                    purpose: g.purpose.clone(),
                    ends: g.ends_on.map(format_date).unwrap_or_else(|| t.no_end.into()),
                    state: state.to_string(),
                    state_code: g.state.as_str(),
                    caisse_reason: g.caisse_suspension.clone(),
                }
            })
            .collect(),
        people: people
            .iter()
            .filter(|p| p.id != actor.account.id && p.status == AccountStatus::Active)
            .map(|p| (p.id.to_string(), format!("{} ({})", p.display_name, p.login)))
            .collect(),
        roles: catalogue
            .iter()
            .flat_map(|(s, rs)| rs.iter().map(move |r| (format!("{}:{}", s.code, r.code), format!("{} {} — {}", s.code, r.code, r.label))))
            .collect(),
        users: people
            .iter()
            .filter(|p| {
                let q = search.trim().to_lowercase();
                q.is_empty() || p.login.contains(&q) || p.display_name.to_lowercase().contains(&q) || p.email.to_lowercase().contains(&q)
            })
            .map(|p| {
                let roles = p.roles.iter().map(|r| role_label(t, *r)).collect::<Vec<_>>().join(", ");
                let status = match p.status {
                    AccountStatus::Active => t.status_active,
                    AccountStatus::Suspended => t.status_suspended,
                    AccountStatus::Deactivated => t.status_deactivated,
                };
                let manageable = p.id != actor.account.id && !p.roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy));
                let last = p.last_login_at.map(habilis_core::clock::format_paris).unwrap_or_else(|| t.never_signed_in.into());
                let held = grants
                    .iter()
                    .filter(|g| g.state == GrantState::Active)
                    .filter(|g| {
                        g.holder_account_id == Some(p.id)
                            || g.holder_group_id.is_some_and(|x| groups.iter().any(|(gr, m)| gr.id == x && m.contains(&p.id)))
                    })
                    .count();
                let in_groups = groups.iter().filter(|(_, m)| m.contains(&p.id)).map(|(g, _)| g.name.clone()).collect::<Vec<_>>().join(", ");
                (p.display_name.clone(), p.login.clone(), roles, status.to_string(), p.id.to_string(), p.status.as_str(), manageable, last, held, in_groups)
            })
            .collect(),
        mandates: mandates
            .iter()
            .map(|m| {
                let scope = m.scope.iter().map(|r| role_name(*r)).collect::<Vec<_>>().join(", ");
                let mut rights = Vec::new();
                if m.may_manage_users {
                    rights.push(t.mandate_users);
                }
                if m.may_manage_groups {
                    rights.push(t.mandate_groups);
                }
                if m.may_delegate {
                    rights.push(t.mandate_delegate);
                }
                let scope = if rights.is_empty() { scope } else { format!("{scope} ; {}", rights.join(", ")) };
                let state = if m.withdrawn_at.is_some() { t.mandate_withdrawn } else { t.mandate_active };
                (m.id.to_string(), name_of(m.holder_id), scope, state.to_string(), m.withdrawn_at.is_none())
            })
            .collect(),
        groups: groups
            .iter()
            .map(|(g, members)| (g.id.to_string(), g.name.clone(), members.iter().map(|m| name_of(*m)).collect::<Vec<_>>().join(", ")))
            .collect(),
        queries: queries
            .iter()
            .map(|q| {
                let about = grants
                    .iter()
                    .find(|g| g.id == q.grant_id)
                    .map(|g| format!("{} — {} — {}", holder_of_grant(g), role_name(g.service_role_id), g.purpose))
                    .unwrap_or_default();
                let status = match q.status.as_str() {
                    "open" => t.query_open,
                    "answered" => t.query_answered,
                    _ => t.query_closed,
                };
                QueryRow {
                    id: q.id.to_string(),
                    about,
                    question: q.question.clone(),
                    due: format_date(q.due_on),
                    status: status.to_string(),
                    open: q.status == QueryStatus::Open,
                    answered: q.status == QueryStatus::Answered,
                    overdue: q.overdue(today),
                    answer: q.answer.clone().unwrap_or_default(),
                }
            })
            .collect(),
        today: (today + time::Duration::days(15)).to_string(),
    };
    render(&page, err.map(|e| e.status()).unwrap_or(StatusCode::OK))
}

#[derive(Deserialize, Default)]
pub struct OkQuery {
    #[serde(default)]
    ok: Option<String>,
    /// Filter of the users list (login, name or email).
    #[serde(default)]
    q: Option<String>,
}

/// GET /partner/rights
pub async fn rights(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, q: Result<Query<OkQuery>, QueryRejection>) -> Response {
    show(&state, &ctx, &actor, q).await
}

/// GET /caisse/partners/{id}/rights: the same page, for the caisse (R20, R23).
pub async fn caisse_rights(SignedIn(actor): SignedIn, 
    State(state): State<AppState>,
    ctx: Ctx,
    id: Result<Path<Uuid>, PathRejection>,
    q: Result<Query<OkQuery>, QueryRejection>,
) -> Response {
    let Ok(Path(id)) = id else {
        return error_page(ctx.lang, &WebError::NotFound, Some(&actor));
    };
    show(&state, &ctx, &actor.acting_for(OrganisationId(id)), q).await
}

async fn show(state: &AppState, ctx: &Ctx, actor: &Actor, q: Result<Query<OkQuery>, QueryRejection>) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let t = ctx.lang.texts();
    let notice = q.ok.map(|what| if what == "force" { t.force_password_done.to_string() } else { t.saved.to_string() });
    let mut v = Values::default();
    if let Some(search) = q.q {
        v.0.insert("q".into(), search);
    }
    rights_page(state, ctx, actor, "", v, None, notice).await
}

fn split_role(v: &str) -> (String, String) {
    let (s, r) = v.split_once(':').unwrap_or(("", ""));
    (s.to_string(), r.to_string())
}

/// POST /partner/{what}: users, grants, groups, mandates.
pub async fn rights_post(State(state): State<AppState>, ctx: Ctx, what: Result<Path<String>, PathRejection>, SignedForm(actor, v): SignedForm) -> Response {
    let Ok(Path(what)) = what else {
        return error_page(ctx.lang, &WebError::NotFound, Some(&actor));
    };
    post(&state, &ctx, actor, v, &what).await
}

/// POST /caisse/partners/{id}/rights/{what}: the same, by the caisse (caisse-managed mode),
/// and `force-password` for everyone at the partner (R22).
pub async fn caisse_rights_post(State(state): State<AppState>, ctx: Ctx, path: Result<Path<(Uuid, String)>, PathRejection>, SignedForm(actor, v): SignedForm) -> Response {
    let Ok(Path((id, what))) = path else {
        return error_page(ctx.lang, &WebError::NotFound, Some(&actor));
    };
    post(&state, &ctx, actor.acting_for(OrganisationId(id)), v, &what).await
}

async fn post(state: &AppState, ctx: &Ctx, actor: Actor, v: Values, what: &str) -> Response {
    let app = &state.app;
    let c = &ctx.client;
    let holder = AccountId(Uuid::parse_str(v.get("holder")).unwrap_or(Uuid::nil()));
    let (form, result): (&'static str, Result<(), habilis_core::Error>) = match (what, actor.acting_for) {
        ("users", _) => {
            let input = UserInput {
                first_name: v.get("first_name").into(),
                last_name: v.get("last_name").into(),
                email: v.get("email").into(),
                function: v.get("function").into(),
                login: String::new(),
            };
            ("user", app.create_user(&actor, &input, &state.config.public_url, c).await.map(|_| ()))
        }
        ("grants", _) => {
            let (service, role) = split_role(v.get("service_role"));
            ("grant", app.grant(&actor, &NewGrant { holder: Holder::Person(holder), service_code: service.to_string(), role_code: role.to_string(), purpose: v.get("purpose").into(), ends_on: v.get("ends_on").into() }, c).await.map(|_| ()))
        }
        ("groups", _) => ("group", app.create_group(&actor, v.get("name"), c).await.map(|_| ())),
        ("mandates", _) => {
            let scope = v.0.keys().filter_map(|k| k.strip_prefix("scope_")).map(split_role).collect();
            let input = NewMandate {
                scope,
                may_manage_users: !v.get("may_manage_users").is_empty(),
                may_manage_groups: !v.get("may_manage_groups").is_empty(),
                may_delegate: !v.get("may_delegate").is_empty(),
            };
            ("mandate", app.give_mandate(&actor, holder, &input, c).await.map(|_| ()))
        }
        ("force-password", Some(partner)) => ("force", app.force_password_change(&actor, partner, None, c).await.map(|_| ())),
        _ => return error_page(ctx.lang, &WebError::NotFound, Some(&actor)),
    };
    let (page, _) = urls(&actor);
    match result {
        Ok(()) => traced(Redirect::to(&format!("{page}?ok={form}")).into_response()),
        Err(e) => rights_page(state, ctx, &actor, form, v, Some(WebError::Core(e)), None).await,
    }
}

/// POST /partner/grants/{id}/{suspend|resume|revoke}, /partner/mandates/{id}/withdraw,
/// /partner/queries/{id}/answer…
pub async fn rights_action(State(state): State<AppState>, ctx: Ctx, path: Result<Path<(String, Uuid, String)>, PathRejection>, SignedForm(actor, v): SignedForm) -> Response {
    let Ok(Path((kind, id, what))) = path else {
        return error_page(ctx.lang, &WebError::NotFound, Some(&actor));
    };
    action(&state, &ctx, actor, v, &kind, id, &what).await
}

/// POST /caisse/partners/{pid}/rights/{kind}/{id}/{what}: the same actions by the caisse,
/// and its supervision: `grants/{id}/caisse-suspend|lift|query`, `users/{id}/force-password`,
/// `queries/{id}/close`.
pub async fn caisse_rights_action(
    State(state): State<AppState>,
    ctx: Ctx,
    path: Result<Path<(Uuid, String, Uuid, String)>, PathRejection>,
    SignedForm(actor, v): SignedForm,
) -> Response {
    let Ok(Path((pid, kind, id, what))) = path else {
        return error_page(ctx.lang, &WebError::NotFound, Some(&actor));
    };
    action(&state, &ctx, actor.acting_for(OrganisationId(pid)), v, &kind, id, &what).await
}

async fn action(state: &AppState, ctx: &Ctx, actor: Actor, v: Values, kind: &str, id: Uuid, what: &str) -> Response {
    let app = &state.app;
    let c = &ctx.client;
    let caisse = actor.acting_for;
    let (form, result): (&'static str, Result<(), habilis_core::Error>) = match (kind, what, caisse) {
        ("grants", "suspend", _) => ("", app.suspend_grant(&actor, GrantId(id), c).await),
        ("grants", "resume", _) => ("", app.resume_grant(&actor, GrantId(id), c).await),
        ("grants", "revoke", _) => ("", app.revoke_grant(&actor, GrantId(id), c).await),
        ("mandates", "withdraw", _) => ("", app.withdraw_mandate(&actor, MandateId(id), c).await.map(|_| ())),
        ("users", "suspend", _) => ("", app.user_action(&actor, AccountId(id), UserAction::Suspend, &state.config.public_url, c).await),
        ("users", "reactivate", _) => ("", app.user_action(&actor, AccountId(id), UserAction::Reactivate, &state.config.public_url, c).await),
        ("users", "reset", _) => ("", app.user_action(&actor, AccountId(id), UserAction::ResetPassword, &state.config.public_url, c).await),
        ("groups", "add", _) => ("", app.add_member(&actor, GroupId(id), holder_of(&v), c).await),
        ("groups", "remove", _) => ("", app.remove_member(&actor, GroupId(id), holder_of(&v), c).await),
        ("groups", "delete", _) => ("", app.delete_group(&actor, GroupId(id), c).await),
        ("groups", "grant", _) => {
            let (service, role) = split_role(v.get("service_role"));
            ("", app.grant(&actor, &NewGrant { holder: Holder::Group(GroupId(id)), service_code: service.to_string(), role_code: role.to_string(), purpose: v.get("purpose").into(), ends_on: "".into() }, c).await.map(|_| ()))
        }
        ("queries", "answer", None) => ("answer", app.answer_query(&actor, QueryId(id), v.get("answer"), c).await.map(|_| ())),
        // Supervision by the caisse (R20–R22): its own actions, in any mode.
        ("grants", "caisse-suspend", Some(_)) => ("supervise", app.caisse_suspend_grant(&actor, GrantId(id), v.get("reason"), c).await),
        ("grants", "lift", Some(_)) => ("", app.caisse_lift_suspension(&actor, GrantId(id), c).await),
        ("grants", "query", Some(_)) => {
            let auto = !v.get("auto_suspend").is_empty();
            ("supervise", app.open_query(&actor, &NewQuery { grant: GrantId(id), question: v.get("question").into(), due_on: v.get("due_on").into(), auto_suspend: auto }, c).await.map(|_| ()))
        }
        ("queries", "close", Some(_)) => ("", app.close_query(&actor, QueryId(id), c).await.map(|_| ())),
        ("users", "force-password", Some(partner)) => ("force", app.force_password_change(&actor, partner, Some(AccountId(id)), c).await.map(|_| ())),
        _ => return error_page(ctx.lang, &WebError::NotFound, Some(&actor)),
    };
    let (page, _) = urls(&actor);
    match result {
        Ok(()) => traced(Redirect::to(&format!("{page}?ok={}", if form == "force" { "force" } else { what })).into_response()),
        Err(e) => {
            // The typed values come back with the refusal; the row's form is reopened.
            let mut v = v;
            v.0.insert("row".into(), id.to_string());
            rights_page(state, ctx, &actor, form, v, Some(WebError::Core(e)), None).await
        }
    }
}

fn holder_of(v: &Values) -> AccountId {
    AccountId(Uuid::parse_str(v.get("holder")).unwrap_or(Uuid::nil()))
}

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/caisse/partners/{id}/rights", get(caisse_rights))
        .route("/caisse/partners/{id}/rights/{what}", post(caisse_rights_post))
        .route("/caisse/partners/{id}/rights/{kind}/{target}/{what}", post(caisse_rights_action))
        .route("/partner/rights", get(rights))
        .route("/partner/{what}", post(rights_post))
        .route("/partner/{kind}/{id}/{what}", post(rights_action))
}
