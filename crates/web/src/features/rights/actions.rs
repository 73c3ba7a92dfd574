//! The forms of the rights page, each at its own path. The partner posts under
//! `/partner/…`; the caisse posts the same forms for a partner under
//! `/caisse/partners/{partner}/rights/…` (caisse-managed mode), plus its supervision
//! actions (R20–R22). Each path is registered from a typed list below: the router matches
//! the path, the handler receives the form or action it stands for.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use habilis_core::commands::{Holder, NewGrant, NewMandate, NewQuery, UserInput};
use habilis_core::records::{AccountId, Actor, GrantId, GroupId, MandateId, OrganisationId, QueryId, UserAction};
use uuid::Uuid;

use super::pages::{Section, rights_page, urls};
use super::person::{back_to_person, person_page};
use crate::confirm::Ask;
use crate::context::Ctx;
use crate::errors::WebError;
use crate::extract::{IdPath, SignedForm, Values, traced};
use crate::i18n::Texts;
use crate::state::AppState;

/// What to ask before `what`: (title, consequence, button, reason needed), or `None` for
/// an action that needs no confirmation.
fn confirmation(t: &Texts, what: RowAction) -> Option<Ask> {
    Some(match what {
        RowAction::RevokeGrant => (t.confirm_revoke_title, t.confirm_revoke_text, t.confirm_revoke_button, true),
        RowAction::SuspendGrant => (t.confirm_suspend_title, t.confirm_suspend_text, t.confirm_suspend_button, true),
        RowAction::WithdrawMandate => (t.confirm_withdraw_title, t.confirm_withdraw_text, t.confirm_withdraw_button, false),
        RowAction::DeleteGroup => (t.confirm_delete_group_title, t.confirm_delete_group_text, t.confirm_delete_group_button, false),
        RowAction::SuspendUser => (t.confirm_suspend_user_title, t.confirm_suspend_user_text, t.confirm_suspend_user_button, false),
        RowAction::ForcePasswordOfUser => (t.confirm_force_user_title, t.confirm_force_user_text, t.confirm_force_button, false),
        RowAction::LeaveOrganisation => (t.confirm_leave_title, t.confirm_leave_text, t.confirm_leave_button, false),
        _ => return None,
    })
}

/// The confirmation page for a posted form `v` to `action` about the record `about`, or
/// `None` once confirmed.
#[allow(clippy::too_many_arguments)]
async fn ask_first(state: &AppState, ctx: &Ctx, actor: &Actor, v: &Values, action: String, ask: Ask, about: Option<Uuid>, err: Option<WebError>) -> Option<Response> {
    if crate::confirm::confirmed(v) && err.is_none() {
        return None;
    }
    let what = match about {
        Some(id) => match state.app.describe_record(actor, id).await {
            Ok(w) => w.unwrap_or_default(),
            Err(e) => return Some(crate::respond::error_page(ctx.lang, &WebError::Core(e), Some(actor))),
        },
        None => String::new(),
    };
    Some(crate::confirm::page(ctx, actor, v, action, urls(actor).0, ask, what, err))
}

/// Who may post a form or an action: the partner, the caisse for a partner, or both.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Both,
    Partner,
    Caisse,
}

/// A form that creates something, posted to `/partner/{segment}` or
/// `/caisse/partners/{partner}/rights/{segment}`.
#[derive(Clone, Copy, Debug)]
enum Create {
    User,
    Grant,
    Group,
    Mandate,
    /// Every person of the partner must choose a new password (R22).
    ForcePassword,
}

impl Create {
    const ALL: [Create; 5] = [Create::User, Create::Grant, Create::Group, Create::Mandate, Create::ForcePassword];

    fn segment(self) -> &'static str {
        match self {
            Create::User => "users",
            Create::Grant => "grants",
            Create::Group => "groups",
            Create::Mandate => "mandates",
            Create::ForcePassword => "force-password",
        }
    }

    fn side(self) -> Side {
        match self {
            Create::ForcePassword => Side::Caisse,
            _ => Side::Both,
        }
    }

    /// The sub-page the form is on, where one lands after it.
    fn section(self) -> Section {
        match self {
            Create::User | Create::ForcePassword => Section::People,
            Create::Grant => Section::Grants,
            Create::Group => Section::Groups,
            Create::Mandate => Section::Mandates,
        }
    }

    /// The form reopened when it is refused (and named in `?ok=` when it succeeds).
    fn form(self) -> &'static str {
        match self {
            Create::User => "user",
            Create::Grant => "grant",
            Create::Group => "group",
            Create::Mandate => "mandate",
            Create::ForcePassword => "force",
        }
    }
}

/// An action on one row of the page, posted to `…/{kind}/{id}/{verb}`.
#[derive(Clone, Copy, Debug)]
enum RowAction {
    SuspendGrant,
    ResumeGrant,
    RevokeGrant,
    WithdrawMandate,
    EditMandate,
    SuspendUser,
    ReactivateUser,
    ResetPassword,
    AddMember,
    RemoveMember,
    DeleteGroup,
    GrantToGroup,
    AnswerQuery,
    // The caisse's supervision, in any mode.
    CaisseSuspendGrant,
    LiftSuspension,
    AskQuery,
    CloseQuery,
    ForcePasswordOfUser,
    /// The person leaves the organisation: deactivated, every right ended.
    LeaveOrganisation,
    /// A grant's end date changed (or removed).
    GrantEndDate,
    /// A person's identity changed (from their page).
    EditUser,
}

impl RowAction {
    const ALL: [RowAction; 21] = [
        RowAction::EditUser,
        RowAction::SuspendGrant,
        RowAction::ResumeGrant,
        RowAction::RevokeGrant,
        RowAction::WithdrawMandate,
        RowAction::EditMandate,
        RowAction::SuspendUser,
        RowAction::ReactivateUser,
        RowAction::ResetPassword,
        RowAction::AddMember,
        RowAction::RemoveMember,
        RowAction::DeleteGroup,
        RowAction::GrantToGroup,
        RowAction::AnswerQuery,
        RowAction::CaisseSuspendGrant,
        RowAction::LiftSuspension,
        RowAction::AskQuery,
        RowAction::CloseQuery,
        RowAction::ForcePasswordOfUser,
        RowAction::LeaveOrganisation,
        RowAction::GrantEndDate,
    ];

    /// (kind, verb) of the path `…/{kind}/{id}/{verb}`.
    fn path(self) -> (&'static str, &'static str) {
        match self {
            RowAction::SuspendGrant => ("grants", "suspend"),
            RowAction::ResumeGrant => ("grants", "resume"),
            RowAction::RevokeGrant => ("grants", "revoke"),
            RowAction::WithdrawMandate => ("mandates", "withdraw"),
            RowAction::EditMandate => ("mandates", "edit"),
            RowAction::SuspendUser => ("users", "suspend"),
            RowAction::ReactivateUser => ("users", "reactivate"),
            RowAction::ResetPassword => ("users", "reset"),
            RowAction::AddMember => ("groups", "add"),
            RowAction::RemoveMember => ("groups", "remove"),
            RowAction::DeleteGroup => ("groups", "delete"),
            RowAction::GrantToGroup => ("groups", "grant"),
            RowAction::AnswerQuery => ("queries", "answer"),
            RowAction::CaisseSuspendGrant => ("grants", "caisse-suspend"),
            RowAction::LiftSuspension => ("grants", "lift"),
            RowAction::AskQuery => ("grants", "query"),
            RowAction::CloseQuery => ("queries", "close"),
            RowAction::ForcePasswordOfUser => ("users", "force-password"),
            RowAction::LeaveOrganisation => ("users", "leave"),
            RowAction::GrantEndDate => ("grants", "end-date"),
            RowAction::EditUser => ("users", "edit"),
        }
    }

    /// The sub-page the action's row is on, where one lands after it.
    fn section(self) -> Section {
        match self.path().0 {
            "grants" => Section::Grants,
            "mandates" => Section::Mandates,
            "users" => Section::People,
            "groups" => Section::Groups,
            _ => Section::Queries,
        }
    }

    fn side(self) -> Side {
        match self {
            RowAction::AnswerQuery => Side::Partner,
            RowAction::CaisseSuspendGrant
            | RowAction::LiftSuspension
            | RowAction::AskQuery
            | RowAction::CloseQuery
            | RowAction::ForcePasswordOfUser => Side::Caisse,
            _ => Side::Both,
        }
    }

    /// The form reopened when the action is refused ("" for a row button).
    fn form(self) -> &'static str {
        match self {
            RowAction::AnswerQuery => "answer",
            RowAction::CaisseSuspendGrant | RowAction::AskQuery => "supervise",
            RowAction::ForcePasswordOfUser => "force",
            RowAction::EditMandate => "mandate_edit",
            RowAction::GrantEndDate => "end_date",
            RowAction::EditUser => "user_edit",
            _ => "",
        }
    }
}

fn split_role(v: &str) -> (String, String) {
    let (s, r) = v.split_once(':').unwrap_or(("", ""));
    (s.to_string(), r.to_string())
}

/// A person's identity as typed in the user forms (create, edit).
fn user_input(v: &Values) -> UserInput {
    UserInput {
        first_name: v.get("first_name").into(),
        last_name: v.get("last_name").into(),
        email: v.get("email").into(),
        function: v.get("function").into(),
        login: String::new(),
    }
}

fn person(v: &Values) -> AccountId {
    AccountId::parse(v.get("holder")).unwrap_or(AccountId(Uuid::nil()))
}

async fn create(state: &AppState, ctx: &Ctx, actor: Actor, v: Values, what: Create) -> Response {
    let app = &state.app;
    let c = &ctx.client;
    if let Create::ForcePassword = what {
        let t = ctx.lang.texts();
        let ask = (t.confirm_force_all_title, t.confirm_force_all_text, t.confirm_force_button, false);
        let action = format!("{}/{}", urls(&actor).1, what.segment());
        if let Some(page) = ask_first(state, ctx, &actor, &v, action, ask, None, None).await {
            return page;
        }
    }
    let result = match what {
        Create::User => {
            let input = user_input(&v);
            app.create_user(&actor, &input, &state.config.public_url, c).await.map(|a| Some(a.id.0))
        }
        Create::Grant => {
            let (service_code, role_code) = split_role(v.get("service_role"));
            let cmd = NewGrant {
                holder: Holder::Person(person(&v)),
                service_code,
                role_code,
                purpose: v.get("purpose").into(),
                ends_on: v.get("ends_on").into(),
            };
            app.grant(&actor, &cmd, c).await.map(|g| Some(g.id.0))
        }
        Create::Group => app.create_group(&actor, v.get("name"), c).await.map(|g| Some(g.id.0)),
        Create::Mandate => {
            let cmd = NewMandate {
                scope: v.0.keys().filter_map(|k| k.strip_prefix("scope_")).map(split_role).collect(),
                may_manage_users: !v.get("may_manage_users").is_empty(),
                may_manage_groups: !v.get("may_manage_groups").is_empty(),
                may_delegate: !v.get("may_delegate").is_empty(),
            };
            app.give_mandate(&actor, person(&v), &cmd, c).await.map(|m| Some(m.id.0))
        }
        Create::ForcePassword => match actor.acting_for {
            Some(partner) => app.force_password_change(&actor, partner, None, c).await.map(|_| None),
            None => return WebError::NotFound.into_response(),
        },
    };
    let page = what.section().url(&urls(&actor).0);
    match result {
        // The page then says what was done, naming it.
        Ok(Some(id)) => traced(Redirect::to(&format!("{page}?ok={}&id={id}", what.form())).into_response()),
        Ok(None) => traced(Redirect::to(&format!("{page}?ok={}", what.form())).into_response()),
        Err(e) => rights_page(state, ctx, &actor, what.section(), what.form(), v, Some(WebError::Core(e)), None).await,
    }
}

async fn act(state: &AppState, ctx: &Ctx, actor: Actor, v: Values, what: RowAction, id: Uuid) -> Response {
    let app = &state.app;
    let c = &ctx.client;
    let url = &state.config.public_url;
    let ask = confirmation(ctx.lang.texts(), what);
    let action = {
        let (kind, verb) = what.path();
        format!("{}/{kind}/{id}/{verb}", urls(&actor).1)
    };
    if let Some(ask) = ask
        && let Some(page) = ask_first(state, ctx, &actor, &v, action.clone(), ask, Some(id), None).await
    {
        return page;
    }
    let result = match what {
        RowAction::SuspendGrant => app.suspend_grant_because(&actor, GrantId(id), Some(v.get("reason")), c).await,
        RowAction::ResumeGrant => app.resume_grant(&actor, GrantId(id), c).await,
        RowAction::RevokeGrant => app.revoke_grant_because(&actor, GrantId(id), Some(v.get("reason")), c).await,
        RowAction::WithdrawMandate => app.withdraw_mandate(&actor, MandateId(id), c).await.map(|_| ()),
        RowAction::EditMandate => {
            let cmd = NewMandate {
                scope: v.0.keys().filter_map(|k| k.strip_prefix("scope_")).map(split_role).collect(),
                may_manage_users: !v.get("may_manage_users").is_empty(),
                may_manage_groups: !v.get("may_manage_groups").is_empty(),
                may_delegate: !v.get("may_delegate").is_empty(),
            };
            app.edit_mandate(&actor, MandateId(id), &cmd, c).await.map(|_| ())
        }
        RowAction::SuspendUser => app.user_action(&actor, AccountId(id), UserAction::Suspend, url, c).await,
        RowAction::ReactivateUser => app.user_action(&actor, AccountId(id), UserAction::Reactivate, url, c).await,
        RowAction::ResetPassword => app.user_action(&actor, AccountId(id), UserAction::ResetPassword, url, c).await,
        RowAction::AddMember => app.add_member(&actor, GroupId(id), person(&v), c).await,
        RowAction::RemoveMember => app.remove_member(&actor, GroupId(id), person(&v), c).await,
        RowAction::DeleteGroup => app.delete_group(&actor, GroupId(id), c).await,
        RowAction::GrantToGroup => {
            let (service_code, role_code) = split_role(v.get("service_role"));
            let cmd = NewGrant { holder: Holder::Group(GroupId(id)), service_code, role_code, purpose: v.get("purpose").into(), ends_on: v.get("ends_on").into() };
            app.grant(&actor, &cmd, c).await.map(|_| ())
        }
        RowAction::AnswerQuery => app.answer_query(&actor, QueryId(id), v.get("answer"), c).await.map(|_| ()),
        RowAction::CaisseSuspendGrant => app.caisse_suspend_grant(&actor, GrantId(id), v.get("reason"), c).await,
        RowAction::LiftSuspension => app.caisse_lift_suspension(&actor, GrantId(id), c).await,
        RowAction::AskQuery => {
            let cmd = NewQuery {
                grant: GrantId(id),
                question: v.get("question").into(),
                due_on: v.get("due_on").into(),
                auto_suspend: !v.get("auto_suspend").is_empty(),
            };
            app.open_query(&actor, &cmd, c).await.map(|_| ())
        }
        RowAction::CloseQuery => app.close_query(&actor, QueryId(id), c).await.map(|_| ()),
        RowAction::ForcePasswordOfUser => match actor.acting_for {
            Some(partner) => app.force_password_change(&actor, partner, Some(AccountId(id)), c).await.map(|_| ()),
            None => return WebError::NotFound.into_response(),
        },
        RowAction::LeaveOrganisation => app.leave_organisation(&actor, AccountId(id), c).await.map(|_| ()),
        RowAction::GrantEndDate => app.set_grant_end(&actor, GrantId(id), v.get("ends_on"), c).await,
        RowAction::EditUser => {
            let input = user_input(&v);
            app.update_user(&actor, AccountId(id), &input, c).await.map(|_| ())
        }
    };
    // Posted from a person's page: back there; otherwise to the sub-page of the row.
    let person = back_to_person(&v);
    let page = match person {
        Some(p) => format!("{}/people/{p}", urls(&actor).0),
        None => what.section().url(&urls(&actor).0),
    };
    match result {
        Ok(()) => {
            let done = if what.form() == "force" { "force".to_string() } else { format!("{}-{}", what.path().0, what.path().1) };
            traced(Redirect::to(&format!("{page}?ok={done}&id={id}")).into_response())
        }
        // A reason refused: the confirmation again, with what was typed and why.
        Err(e @ habilis_core::Error::Invalid { field: "reason", .. }) if ask.is_some_and(|a| a.3) => {
            let ask = ask.unwrap_or_default();
            ask_first(state, ctx, &actor, &v, action, ask, Some(id), Some(WebError::Core(e))).await.unwrap_or_else(|| WebError::NotFound.into_response())
        }
        Err(e) => {
            // The typed values come back with the refusal; the row's form is reopened.
            let mut v = v;
            v.0.insert("row".into(), id.to_string());
            match person {
                Some(p) => person_page(state, ctx, &actor, p, what.form(), v, Some(WebError::Core(e)), None).await,
                None => rights_page(state, ctx, &actor, what.section(), what.form(), v, Some(WebError::Core(e)), None).await,
            }
        }
    }
}

/// Every form and action of the page, at its own path, for the side(s) that may post it.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::post;
    let mut r = axum::Router::new();
    for what in Create::ALL {
        let segment = what.segment();
        if what.side() != Side::Caisse {
            r = r.route(
                &format!("/partner/{segment}"),
                post(move |State(state): State<AppState>, ctx: Ctx, SignedForm(actor, v): SignedForm| async move {
                    create(&state, &ctx, actor, v, what).await
                }),
            );
        }
        if what.side() != Side::Partner {
            r = r.route(
                &format!("/caisse/partners/{{id}}/rights/{segment}"),
                post(
                    move |State(state): State<AppState>, ctx: Ctx, IdPath(partner): IdPath<OrganisationId>, SignedForm(actor, v): SignedForm| async move {
                        create(&state, &ctx, actor.acting_for(partner), v, what).await
                    },
                ),
            );
        }
    }
    for what in RowAction::ALL {
        let (kind, verb) = what.path();
        if what.side() != Side::Caisse {
            r = r.route(
                &format!("/partner/{kind}/{{id}}/{verb}"),
                post(move |State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<Uuid>, SignedForm(actor, v): SignedForm| async move {
                    act(&state, &ctx, actor, v, what, id).await
                }),
            );
        }
        if what.side() != Side::Partner {
            r = r.route(
                &format!("/caisse/partners/{{id}}/rights/{kind}/{{target}}/{verb}"),
                post(
                    move |State(state): State<AppState>,
                          ctx: Ctx,
                          IdPath((partner, id)): IdPath<(OrganisationId, Uuid)>,
                          SignedForm(actor, v): SignedForm| async move {
                        act(&state, &ctx, actor.acting_for(partner), v, what, id).await
                    },
                ),
            );
        }
    }
    r
}
