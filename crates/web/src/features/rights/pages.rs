//! The partner's page for its access rights: quotas (used / allowed), grants, users and
//! mandates, with their forms. Every rule is the core's; this only shows and submits.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use habilis_core::policy::abilities::{may_manage_rights_reaching, on_partner_rights};
use habilis_core::records::*;
use serde::Deserialize;

use crate::context::Ctx;
use crate::errors::{WebError, format_date};
use crate::extract::{IdPath, SignedIn, Values};
use crate::respond::error_page;
use crate::state::AppState;
use crate::view::{Choice, Chrome, render, role_label};

/// The sub-pages of the rights page (issue 17: one subject per page, with a navigation
/// that says where one is). The overview is the page's own address; the others are under it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Section {
    Overview,
    Grants,
    People,
    Groups,
    Mandates,
    Queries,
}

impl Section {
    pub(crate) const ALL: [Section; 6] = [Section::Overview, Section::Grants, Section::People, Section::Groups, Section::Mandates, Section::Queries];

    /// The last segment of the sub-page's address ("" for the overview).
    pub(crate) fn slug(self) -> &'static str {
        match self {
            Section::Overview => "",
            Section::Grants => "grants",
            Section::People => "people",
            Section::Groups => "groups",
            Section::Mandates => "mandates",
            Section::Queries => "queries",
        }
    }

    fn label(self, t: &crate::i18n::Texts) -> &'static str {
        match self {
            Section::Overview => t.rights_overview,
            Section::Grants => t.grants_title,
            Section::People => t.users_title,
            Section::Groups => t.groups_title,
            Section::Mandates => t.mandates_short,
            Section::Queries => t.queries_title,
        }
    }

    /// The sub-page's address under the page's `page_url`.
    pub(crate) fn url(self, page_url: &str) -> String {
        match self {
            Section::Overview => page_url.to_string(),
            s => format!("{page_url}/{}", s.slug()),
        }
    }
}

pub(crate) use crate::view::NavItem;

#[derive(Template)]
#[template(path = "rights.html")]
struct RightsPage {
    c: Chrome,
    /// The sub-page shown (`Section::slug`, "overview" for the overview).
    section: &'static str,
    nav: Vec<NavItem>,
    /// The overview's figures, each with the sub-page it leads to.
    counts: Vec<(String, String)>,
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
    /// The link to the directory's tokens (SCIM) is shown: the partner's administrators.
    scim: bool,
    /// Caisse supervision actions are shown (a caisse administrator).
    supervise: bool,
    /// The partner's administrators answer queries.
    answer: bool,
    quotas: Vec<QuotaRow>,
    grants: Vec<GrantRow>,
    /// The people a grant, a membership or a mandate may be given to.
    people: Vec<Choice>,
    /// Whom the grant form offers: the people whose rights the actor manages (core's
    /// `may_manage_rights_reaching`); the form is shown when there is anyone.
    grant_holders: Vec<Choice>,
    /// The roles the actor may grant (every role for the administrators; a delegated
    /// manager's mandate otherwise), as `SERVICE:ROLE`.
    roles: Vec<Choice>,
    /// What the actor's powers allow (core's `Powers`): users, groups, mandates.
    may_users: bool,
    may_groups: bool,
    may_delegate: bool,
    /// A delegated manager's mandate, in a sentence.
    mandate_text: Option<String>,
    users: Vec<UserRow>,
    mandates: Vec<MandateRow>,
    groups: Vec<GroupRow>,
    queries: Vec<QueryRow>,
    today: String,
    /// Every refused field of the form posted.
    problems: crate::view::Problems,
    /// The search typed on this sub-page, and what it found in a sentence (when searching).
    q: String,
    found: Option<String>,
    /// The pages of the long lists (people, grants).
    previous: Option<String>,
    next: Option<String>,
}

impl RightsPage {
    /// The sentence for a refused `field` of `form`, shown next to it.
    fn problem(&self, form: &str, field: &str) -> Option<String> {
        if self.form != form {
            return None;
        }
        self.problems.get(field)
    }
}

/// The prefix of the inputs' ids in a form of the rights page, for the summary's links.
fn anchor_prefix(form: &str) -> Option<&'static str> {
    match form {
        "user" => Some("u-"),
        "grant" => Some("g-"),
        "group" => Some("grp-"),
        _ => None,
    }
}

/// One quota: what it limits, and "used / allowed".
struct QuotaRow {
    what: String,
    figures: String,
}

/// A person of the organisation, with what the page may offer on them.
struct UserRow {
    id: String,
    name: String,
    login: String,
    roles: String,
    status: String,
    /// `active`, `suspended` or `deactivated`: which actions apply.
    status_code: &'static str,
    /// The actions on this person are offered (core's `people_actor_may_manage`).
    actions: bool,
    last_login: String,
    /// Active grants held, directly or through groups.
    grants_held: usize,
    groups: String,
    /// A lost second factor may be reset here (core's `may_reset_second_factor`).
    reset_factor: bool,
    /// Their departure may be recorded (core's `departures_actor_may_record`).
    may_leave: bool,
}

/// A mandate: whose, what it covers, whether it is still in force.
struct MandateRow {
    id: String,
    holder: String,
    scope: String,
    state: String,
    /// Its withdraw and edit forms are offered (core's `mandates_actor_may_change`).
    changeable: bool,
    /// Its profiles as `SERVICE:ROLE`, and its powers, to fill the edit form.
    codes: Vec<String>,
    users: bool,
    groups: bool,
    delegate: bool,
}

/// A group and its members.
struct GroupRow {
    id: String,
    name: String,
    members: String,
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
    /// When its business service last used it (or "never").
    last_used: String,
    /// Its suspend, resume and revoke buttons are offered (core's `may_manage_rights_reaching`).
    manageable: bool,
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
pub(super) fn urls(actor: &Actor) -> (String, String) {
    match actor.acting_for {
        Some(p) => (format!("/caisse/partners/{p}/rights"), format!("/caisse/partners/{p}/rights")),
        None => ("/partner/rights".into(), "/partner".into()),
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn rights_page(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    section: Section,
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
        let quotas = app.quota_use(actor, org).await?;
        let catalogue = app.catalogue().await?;
        let mandates = app.mandates(actor).await?;
        let groups = app.groups(actor).await?;
        let manageable = app.people_actor_may_manage(actor).await?;
        let departures = app.departures_actor_may_record(actor).await?;
        let powers = app.my_powers(actor).await?;
        let changeable = app.mandates_actor_may_change(actor).await?;
        let queries = match app.queries(actor).await {
            Ok(q) => q.into_iter().filter(|q| q.partner_id == org).collect(),
            Err(habilis_core::Error::Forbidden) => Vec::new(),
            Err(e) => return Err(e),
        };
        Ok::<_, habilis_core::Error>((file, people, grants, quotas, catalogue, mandates, groups, queries, (manageable, changeable, powers, departures)))
    }
    .await;
    let (file, people, grants, quotas, catalogue, mandates, groups, queries, (manageable, changeable, powers, departures)) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    };
    // What may be done here is the core's decision; the page only shows it.
    let may = on_partner_rights(actor, file.mode);
    let caisse_managed = file.mode == Some(ManagementMode::CaisseManaged);
    let (banner, partner_name) = match actor.acting_for {
        Some(_) if caisse_managed => (Some(t.caisse_view_managed), Some(file.partner.name.clone())),
        Some(_) => (Some(t.caisse_view_delegated), Some(file.partner.name.clone())),
        None if caisse_managed => (Some(t.partner_caisse_managed), None),
        None => (None, None),
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
    let search = v.get("q").trim().to_string();
    let wanted = crate::view::folded(&search);
    let page_number: usize = v.get("page").parse().unwrap_or(1);
    let is_administrator = |id: AccountId| people.iter().any(|p| p.id == id && p.roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy)));
    let reaches_administrator = |g: &habilis_core::records::Grant| match (g.holder_account_id, g.holder_group_id) {
        (Some(a), _) => is_administrator(a),
        (None, Some(gr)) => groups.iter().any(|(x, m)| x.id == gr && m.iter().any(|id| is_administrator(*id))),
        _ => false,
    };
    // The queries' sub-page is offered to those who ask or answer them, or when there are some.
    let with_queries = may.supervise || may.answer_queries || !queries.is_empty();
    let nav = Section::ALL
        .iter()
        .filter(|s| **s != Section::Queries || with_queries)
        .map(|s| NavItem { href: s.url(&page_url), label: s.label(t), current: *s == section })
        .collect();
    let count = |n: usize, what: &str, s: Section| (format!("{n} {what}"), s.url(&page_url));
    let mut counts = vec![
        count(people.iter().filter(|p| p.status != AccountStatus::Deactivated).count(), t.count_people, Section::People),
        count(grants.iter().filter(|g| g.state == GrantState::Active).count(), t.count_active_grants, Section::Grants),
        count(grants.iter().filter(|g| g.state == GrantState::Suspended).count(), t.count_suspended_grants, Section::Grants),
        count(groups.len(), t.count_groups, Section::Groups),
        count(mandates.iter().filter(|m| m.withdrawn_at.is_none()).count(), t.count_mandates, Section::Mandates),
    ];
    if with_queries {
        counts.push(count(queries.iter().filter(|q| q.status == QueryStatus::Open).count(), t.count_open_queries, Section::Queries));
    }
    let page = RightsPage {
        // The row forms name their one field next to it; the summary links only the
        // forms whose inputs it knows.
        problems: match anchor_prefix(form) {
            Some(prefix) => crate::view::Problems::of(err.as_ref(), t, |f| format!("{prefix}{f}")),
            None => crate::view::Problems::default(),
        },
        c: Chrome::new(ctx.lang, None, Some(actor)),
        section: if section == Section::Overview { "overview" } else { section.slug() },
        nav,
        counts,
        csrf: actor.session.csrf_token.clone(),
        error: err.as_ref().map(|e| e.message(t)),
        notice,
        form,
        v,
        page_url,
        base,
        partner_name,
        banner,
        manage: may.manage,
        scim: habilis_core::services::scim::may_manage_scim_tokens(actor),
        supervise: may.supervise,
        answer: may.answer_queries,
        quotas: quotas
            .iter()
            .map(|q| {
                let what = match &q.role {
                    Some(r) => format!("{} — {r}", q.service),
                    None => q.service.clone(),
                };
                QuotaRow { what, figures: format!("{} / {}", q.used, q.allowed.map(|a| a.to_string()).unwrap_or_else(|| t.quota_none.into())) }
            })
            .collect(),
        grants: grants
            .iter()
            .filter(|g| {
                wanted.is_empty() || section != Section::Grants || {
                    let text = format!("{} {} {}", holder_of_grant(g), role_name(g.service_role_id), g.purpose);
                    crate::view::folded(&text).contains(&wanted)
                }
            })
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
                    last_used: g.last_used_at.map(habilis_core::clock::format_paris).unwrap_or_else(|| t.never_used.into()),
                    manageable: may_manage_rights_reaching(actor, file.mode, reaches_administrator(g)) && powers.as_ref().is_none_or(|p| p.may_grant(g.service_role_id)),
                }
            })
            .collect(),
        people: people
            .iter()
            .filter(|p| p.id != actor.account.id && p.status == AccountStatus::Active)
            .map(|p| Choice { value: p.id.to_string(), label: format!("{} ({})", p.display_name, p.login) })
            .collect(),
        grant_holders: people
            .iter()
            .filter(|p| p.id != actor.account.id && p.status == AccountStatus::Active)
            .filter(|p| may_manage_rights_reaching(actor, file.mode, is_administrator(p.id)))
            .map(|p| Choice { value: p.id.to_string(), label: format!("{} ({})", p.display_name, p.login) })
            .collect(),
        roles: catalogue
            .iter()
            .flat_map(|(s, rs)| rs.iter().map(move |r| (s, r)))
            .filter(|(_, r)| powers.as_ref().is_none_or(|p| p.may_grant(r.id)))
            .map(|(s, r)| Choice { value: format!("{}:{}", s.code, r.code), label: format!("{} {} — {}", s.code, r.code, r.label) })
            .collect(),
        may_users: powers.as_ref().is_none_or(|p| p.may_manage_users()),
        may_groups: powers.as_ref().is_none_or(|p| p.may_manage_groups()),
        may_delegate: powers.as_ref().is_none_or(|p| p.may_delegate()),
        mandate_text: match &powers {
            Some(habilis_core::policy::powers::Powers::Mandated { scope, users, groups, delegate, .. }) => {
                let yes_no = |b: bool| if b { t.yes } else { t.no };
                let roles: Vec<String> = scope.iter().map(|id| role_name(*id)).collect();
                Some(
                    t.my_mandate
                        .replace("{roles}", &roles.join(", "))
                        .replace("{users}", yes_no(*users))
                        .replace("{groups}", yes_no(*groups))
                        .replace("{delegate}", yes_no(*delegate)),
                )
            }
            _ => None,
        },
        users: people
            .iter()
            .filter(|p| wanted.is_empty() || [&p.login, &p.display_name, &p.email].iter().any(|x| crate::view::folded(x).contains(&wanted)))
            .map(|p| {
                let roles = p.roles.iter().map(|r| role_label(t, *r)).collect::<Vec<_>>().join(", ");
                let status = match p.status {
                    AccountStatus::Active => t.status_active,
                    AccountStatus::Suspended => t.status_suspended,
                    AccountStatus::Deactivated => t.status_deactivated,
                };
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
                UserRow {
                    id: p.id.to_string(),
                    name: p.display_name.clone(),
                    login: p.login.clone(),
                    roles,
                    status: status.to_string(),
                    status_code: p.status.as_str(),
                    actions: manageable.contains(&p.id),
                    last_login: last,
                    grants_held: held,
                    groups: in_groups,
                    reset_factor: habilis_core::policy::abilities::may_reset_second_factor(actor, p, &file.partner),
                    may_leave: departures.contains(&p.id),
                }
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
                let codes = catalogue
                    .iter()
                    .flat_map(|(s, rs)| rs.iter().filter(|r| m.scope.contains(&r.id)).map(move |r| format!("{}:{}", s.code, r.code)))
                    .collect();
                MandateRow {
                    id: m.id.to_string(),
                    holder: name_of(m.holder_id),
                    scope,
                    state: state.to_string(),
                    changeable: changeable.contains(&m.id),
                    codes,
                    users: m.may_manage_users,
                    groups: m.may_manage_groups,
                    delegate: m.may_delegate,
                }
            })
            .collect(),
        groups: groups
            .iter()
            .map(|(g, members)| GroupRow {
                id: g.id.to_string(),
                name: g.name.clone(),
                members: members.iter().map(|m| name_of(*m)).collect::<Vec<_>>().join(", "),
            })
            .collect(),
        queries: queries
            .iter()
            .map(|q| {
                let about = grants
                    .iter()
                    .find(|g| g.id == q.grant_id)
                    .map(|g| format!("{} — {} — {}", holder_of_grant(g), role_name(g.service_role_id), g.purpose))
                    .unwrap_or_default();
                let status = match q.status {
                    QueryStatus::Open => t.query_open,
                    QueryStatus::Answered => t.query_answered,
                    QueryStatus::Closed => t.query_closed,
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
        q: search.clone(),
        found: None,
        previous: None,
        next: None,
    };
    // The long lists, a page at a time, under the search typed.
    let mut page = page;
    let here = section.url(&page.page_url);
    match section {
        Section::People => {
            let (rows, previous, next) = crate::view::paged(std::mem::take(&mut page.users), page_number, &here, &search);
            (page.users, page.previous, page.next) = (rows, previous, next);
        }
        Section::Grants => {
            let (rows, previous, next) = crate::view::paged(std::mem::take(&mut page.grants), page_number, &here, &search);
            (page.grants, page.previous, page.next) = (rows, previous, next);
        }
        _ => {}
    }
    if !search.is_empty() {
        let n = if section == Section::Grants { page.grants.len() } else { page.users.len() };
        page.found = Some(if n == 0 { t.search_none.replace("{q}", &search) } else { t.search_found.replace("{q}", &search) });
    }
    match err {
        Some(e) => crate::respond::noted(render(&page, e.status()), &e),
        None => render(&page, StatusCode::OK),
    }
}

#[derive(Deserialize, Default)]
pub struct OkQuery {
    #[serde(default)]
    ok: Option<String>,
    /// The record it was done to, named in the notice.
    #[serde(default)]
    id: Option<String>,
    /// Filter of the users list (login, name or email) or of the grants list (person,
    /// service and role, purpose).
    #[serde(default)]
    q: Option<String>,
    /// The page of the list (from 1).
    #[serde(default)]
    page: Option<usize>,
}

async fn show(state: &AppState, ctx: &Ctx, actor: &Actor, section: Section, q: Result<Query<OkQuery>, QueryRejection>) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let t = ctx.lang.texts();
    // What was done, in a sentence naming it ("Habilitation CDAP T1 … — Karim Haddad donnée").
    let named = match q.id.as_deref().and_then(|i| uuid::Uuid::parse_str(i).ok()) {
        Some(id) => state.app.describe_record(actor, id).await.ok().flatten(),
        None => None,
    };
    let notice = q.ok.map(|what| {
        let sentence = match what.as_str() {
            "force" => return t.force_password_done.to_string(),
            "grant" => t.done_grant,
            "user" => t.done_user,
            "group" => t.done_group,
            "mandate" => t.done_mandate,
            "grants-suspend" => t.done_grant_suspended,
            "grants-resume" => t.done_grant_resumed,
            "grants-revoke" => t.done_grant_revoked,
            "mandates-withdraw" => t.done_mandate_withdrawn,
            "users-suspend" => t.done_user_suspended,
            "users-reactivate" => t.done_user_reactivated,
            "users-leave" => t.done_user_left,
            "grants-end-date" => t.done_grant_end,
            _ => return t.saved.to_string(),
        };
        match &named {
            Some(n) => sentence.replace("{what}", n),
            None => t.saved.to_string(),
        }
    });
    let mut v = Values::default();
    if let Some(search) = q.q {
        v.0.insert("q".into(), search);
    }
    if let Some(n) = q.page {
        v.0.insert("page".into(), n.to_string());
    }
    rights_page(state, ctx, actor, section, "", v, None, notice).await
}

/// The CSV of the page's users, groups or grants (issue 18, R15), for `actor`.
async fn export(state: &AppState, ctx: &Ctx, actor: &Actor, what: &str) -> Response {
    use axum::response::IntoResponse;
    let Some(kind) = habilis_core::services::exports::Export::parse(what) else {
        return error_page(ctx.lang, &WebError::NotFound, Some(actor));
    };
    match state.app.export_csv(actor, kind).await {
        Ok(csv) => {
            let name = match kind {
                habilis_core::services::exports::Export::Users => "utilisateurs",
                habilis_core::services::exports::Export::Groups => "groupes",
                habilis_core::services::exports::Export::Grants => "habilitations",
            };
            (
                [
                    (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (axum::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}-{}.csv\"", state.app.today())),
                ],
                csv,
            )
                .into_response()
        }
        Err(e) => error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    }
}

/// GET /partner/rights/export/{users|groups|grants}
pub async fn export_own(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, axum::extract::Path(what): axum::extract::Path<String>) -> Response {
    export(&state, &ctx, &actor, &what).await
}

/// GET /caisse/partners/{id}/rights/export/{users|groups|grants}
pub async fn export_for(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, axum::extract::Path((partner, what)): axum::extract::Path<(String, String)>) -> Response {
    let Some(partner) = OrganisationId::parse(&partner) else {
        return error_page(ctx.lang, &WebError::NotFound, Some(&actor));
    };
    export(&state, &ctx, &actor.acting_for(partner), &what).await
}

/// The routes of the page itself (its forms are in `actions`).
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::get;
    let mut r = axum::Router::new();
    for section in Section::ALL {
        // GET /partner/rights[/{section}], and the caisse's view of one partner (R20, R23).
        r = r
            .route(
                &section.url("/partner/rights"),
                get(move |SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, q: Result<Query<OkQuery>, QueryRejection>| async move {
                    show(&state, &ctx, &actor, section, q).await
                }),
            )
            .route(
                &section.url("/caisse/partners/{id}/rights"),
                get(
                    move |SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, IdPath(partner): IdPath<OrganisationId>, q: Result<Query<OkQuery>, QueryRejection>| async move {
                        show(&state, &ctx, &actor.acting_for(partner), section, q).await
                    },
                ),
            );
    }
    r.route("/partner/rights/export/{what}", get(export_own))
        .route("/caisse/partners/{id}/rights/export/{what}", get(export_for))
}
