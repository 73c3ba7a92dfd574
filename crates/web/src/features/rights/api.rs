//! The partner side of the JSON API: users, groups, grants and mandates (`?partner=` for
//! the caisse acting for a partner).


use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use habilis_core::commands::*;
use habilis_core::records::*;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::context::Ctx;
use crate::errors::WebError;
use crate::extract::{ApiActor, ApiJson, IdPath, traced};
use crate::respond::no_content;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserBody {
    first_name: String,
    last_name: String,
    email: String,
    #[serde(default)]
    function: String,
    #[serde(default)]
    login: String,
}

/// POST /api/v1/users
pub async fn create_user(State(state): State<AppState>, ctx: Ctx, ApiActor(ref actor): ApiActor, ApiJson(b): ApiJson<UserBody>) -> Result<Response, WebError> {
    let input = UserInput { first_name: b.first_name, last_name: b.last_name, email: b.email, function: b.function, login: b.login };
    let a = state.app.create_user(actor, &input, &state.config.public_url, &ctx.client).await?;
    Ok(traced((StatusCode::CREATED, Json(json!({ "id": a.id, "login": a.login, "name": a.display_name, "roles": a.roles }))).into_response()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    holder: Uuid,
    service: String,
    role: String,
    purpose: String,
    #[serde(default)]
    ends_on: String,
}

/// POST /api/v1/grants
pub async fn create_grant(State(state): State<AppState>, ctx: Ctx, ApiActor(ref actor): ApiActor, ApiJson(b): ApiJson<GrantBody>) -> Result<Response, WebError> {
    let g = state.app.grant(actor, &NewGrant { holder: Holder::Person(AccountId(b.holder)), service_code: b.service.clone(), role_code: b.role.clone(), purpose: b.purpose.clone(), ends_on: b.ends_on.clone() }, &ctx.client).await?;
    Ok(traced((StatusCode::CREATED, Json(g)).into_response()))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct GrantFilter {
    #[serde(default)]
    service: Option<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    holder: Option<Uuid>,
    #[serde(default)]
    state: Option<String>,
    /// Read by [`crate::extract::ApiActor`] (a caisse member acting for a partner).
    #[serde(default)]
    #[allow(dead_code)]
    partner: Option<Uuid>,
}

/// GET /api/v1/grants?service=CDAP&role=T1&holder=…&state=active[&partner=…]
pub async fn list_grants(
    State(state): State<AppState>,
    ApiActor(ref actor): ApiActor,
    filter: Result<axum::extract::Query<GrantFilter>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebError> {
    let Ok(axum::extract::Query(f)) = filter else {
        return Err(WebError::BadForm);
    };
    let (grants, catalogue) = (state.app.grants(actor).await?, state.app.catalogue().await?);
    let codes = |g: &habilis_core::records::Grant| {
        catalogue.iter().find(|(s, _)| s.id == g.service_id).map(|(s, rs)| {
            (s.code.clone(), rs.iter().find(|r| r.id == g.service_role_id).map(|r| r.code.clone()).unwrap_or_default())
        })
    };
    let list: Vec<_> = grants
        .into_iter()
        .filter_map(|g| {
            let (service, role) = codes(&g)?;
            let keep = f.service.as_deref().is_none_or(|s| s == service)
                && f.role.as_deref().is_none_or(|r| r == role)
                && f.holder.is_none_or(|h| g.holder_account_id.map(|a| a.0) == Some(h) || g.holder_group_id.map(|x| x.0) == Some(h))
                && f.state.as_deref().is_none_or(|s| s == g.state.as_str());
            keep.then(|| json!({ "grant": g, "service": service, "role": role }))
        })
        .collect();
    Ok(Json(json!({ "grants": list })).into_response())
}

/// PUT /api/v1/groups/{id} {"name"}: rename.
pub async fn rename_group(
    State(state): State<AppState>,
    ctx: Ctx, ApiActor(ref actor): ApiActor,
    IdPath(id): IdPath<GroupId>,
    ApiJson(b): ApiJson<GroupBody>,
) -> Result<Response, WebError> {
    state.app.rename_group(actor, id, &b.name, &ctx.client).await?;
    Ok(no_content())
}

/// DELETE /api/v1/groups/{id}
pub async fn delete_group(State(state): State<AppState>, ctx: Ctx, ApiActor(ref actor): ApiActor, IdPath(id): IdPath<GroupId>) -> Result<Response, WebError> {
    state.app.delete_group(actor, id, &ctx.client).await?;
    Ok(no_content())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndBody {
    #[serde(default)]
    ends_on: String,
}

/// PUT /api/v1/grants/{id}/end {"ends_on"}: move (or clear) the end date.
pub async fn set_grant_end(
    State(state): State<AppState>,
    ctx: Ctx, ApiActor(ref actor): ApiActor,
    IdPath(id): IdPath<GrantId>,
    ApiJson(b): ApiJson<EndBody>,
) -> Result<Response, WebError> {
    state.app.set_grant_end(actor, id, &b.ends_on, &ctx.client).await?;
    Ok(no_content())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupBody {
    name: String,
}

/// POST /api/v1/groups
pub async fn create_group(State(state): State<AppState>, ctx: Ctx, ApiActor(ref actor): ApiActor, ApiJson(b): ApiJson<GroupBody>) -> Result<Response, WebError> {
    let g = state.app.create_group(actor, &b.name, &ctx.client).await?;
    Ok(traced((StatusCode::CREATED, Json(g)).into_response()))
}

/// GET /api/v1/groups
pub async fn list_groups(State(state): State<AppState>, ApiActor(ref actor): ApiActor) -> Result<Response, WebError> {
    let list = state.app.groups(actor).await?;
    let v: Vec<_> = list.into_iter().map(|(g, m)| json!({ "id": g.id, "name": g.name, "members": m })).collect();
    Ok(Json(json!({ "groups": v })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberBody {
    account: Uuid,
}

/// POST /api/v1/groups/{id}/members
pub async fn add_member(
    State(state): State<AppState>,
    ctx: Ctx, ApiActor(ref actor): ApiActor,
    IdPath(id): IdPath<GroupId>,
    ApiJson(b): ApiJson<MemberBody>,
) -> Result<Response, WebError> {
    state.app.add_member(actor, id, AccountId(b.account), &ctx.client).await?;
    Ok(no_content())
}

/// DELETE /api/v1/groups/{id}/members/{account}
pub async fn remove_member(State(state): State<AppState>, ctx: Ctx, ApiActor(ref actor): ApiActor, IdPath((group, account)): IdPath<(Uuid, Uuid)>) -> Result<Response, WebError> {
    state.app.remove_member(actor, GroupId(group), AccountId(account), &ctx.client).await?;
    Ok(no_content())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupGrantBody {
    service: String,
    role: String,
    purpose: String,
    #[serde(default)]
    ends_on: String,
}

/// POST /api/v1/groups/{id}/grants
pub async fn grant_to_group(
    State(state): State<AppState>,
    ctx: Ctx, ApiActor(ref actor): ApiActor,
    IdPath(id): IdPath<GroupId>,
    ApiJson(b): ApiJson<GroupGrantBody>,
) -> Result<Response, WebError> {
    let g = state.app.grant(actor, &NewGrant { holder: Holder::Group(id), service_code: b.service.clone(), role_code: b.role.clone(), purpose: b.purpose.clone(), ends_on: b.ends_on.clone() }, &ctx.client).await?;
    Ok(traced((StatusCode::CREATED, Json(g)).into_response()))
}

verbs!(
    /// What a manager does to a grant: `/api/v1/grants/{id}/{verb}`.
    GrantVerb { Suspend => "suspend", Resume => "resume", Revoke => "revoke" }
);

verbs!(
    /// What a manager does to a person's account: `/api/v1/users/{id}/{verb}`.
    UserVerb { Suspend => "suspend", Reactivate => "reactivate", ResetPassword => "reset-password" }
);

/// POST /api/v1/grants/{id}/{suspend|resume|revoke}
pub async fn grant_state(State(state): State<AppState>, ctx: Ctx, ApiActor(ref actor): ApiActor, IdPath(id): IdPath<GrantId>, what: GrantVerb) -> Result<Response, WebError> {
    let result = match what {
        GrantVerb::Suspend => state.app.suspend_grant(actor, id, &ctx.client).await,
        GrantVerb::Resume => state.app.resume_grant(actor, id, &ctx.client).await,
        GrantVerb::Revoke => state.app.revoke_grant(actor, id, &ctx.client).await,
    };
    result?;
    Ok(no_content())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeItem {
    service: String,
    role: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MandateBody {
    /// Whom it is given to (not for an edit).
    #[serde(default)]
    holder: Option<Uuid>,
    scope: Vec<ScopeItem>,
    #[serde(default)]
    may_manage_users: bool,
    #[serde(default)]
    may_manage_groups: bool,
    #[serde(default)]
    may_delegate: bool,
}

/// POST /api/v1/mandates
pub async fn give_mandate(State(state): State<AppState>, ctx: Ctx, ApiActor(ref actor): ApiActor, ApiJson(b): ApiJson<MandateBody>) -> Result<Response, WebError> {
    let holder = b.holder.ok_or(habilis_core::Error::invalid("holder", habilis_core::values::ValueError::Empty))?;
    let m = state.app.give_mandate(actor, AccountId(holder), &b.input(), &ctx.client).await?;
    Ok(traced((StatusCode::CREATED, Json(m)).into_response()))
}

impl MandateBody {
    fn input(self) -> habilis_core::commands::NewMandate {
        habilis_core::commands::NewMandate {
            scope: self.scope.into_iter().map(|s| (s.service, s.role)).collect(),
            may_manage_users: self.may_manage_users,
            may_manage_groups: self.may_manage_groups,
            may_delegate: self.may_delegate,
        }
    }
}

/// PUT /api/v1/mandates/{id} — edit a mandate in force (issue 12: rather than a second).
pub async fn edit_mandate(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiActor(ref actor): ApiActor,
    IdPath(id): IdPath<MandateId>,
    ApiJson(b): ApiJson<MandateBody>,
) -> Result<Response, WebError> {
    let m = state.app.edit_mandate(actor, id, &b.input(), &ctx.client).await?;
    Ok(traced(Json(m).into_response()))
}

/// GET /api/v1/mandates
pub async fn list_mandates(State(state): State<AppState>, ApiActor(ref actor): ApiActor) -> Result<Response, WebError> {
    let list = state.app.mandates(actor).await?;
    Ok(Json(json!({ "mandates": list })).into_response())
}

/// POST /api/v1/mandates/{id}/withdraw
pub async fn withdraw_mandate(State(state): State<AppState>, ctx: Ctx, ApiActor(ref actor): ApiActor, IdPath(id): IdPath<MandateId>) -> Result<Response, WebError> {
    let n = state.app.withdraw_mandate(actor, id, &ctx.client).await?;
    Ok(traced(Json(json!({ "withdrawn": n })).into_response()))
}

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// GET /api/v1/users?q=…
pub async fn list_users(
    State(state): State<AppState>,
    ApiActor(ref actor): ApiActor,
    q: Result<axum::extract::Query<SearchQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebError> {
    let q = q.map(|axum::extract::Query(q)| q.q).unwrap_or_default();
    let list = state.app.search_people(actor, &q).await?;
    let v: Vec<_> = list
        .iter()
        .map(|a| json!({ "id": a.id, "login": a.login, "name": a.display_name, "email": a.email, "roles": a.roles,
                         "status": a.status, "last_login_at": a.last_login_at.map(crate::view::rfc3339) }))
        .collect();
    Ok(Json(json!({ "users": v })).into_response())
}

/// PUT /api/v1/users/{id}
pub async fn update_user(
    State(state): State<AppState>,
    ctx: Ctx, ApiActor(ref actor): ApiActor,
    IdPath(id): IdPath<Uuid>,
    ApiJson(b): ApiJson<UserBody>,
) -> Result<Response, WebError> {
    let input = UserInput { first_name: b.first_name, last_name: b.last_name, email: b.email, function: b.function, login: b.login };
    let a = state.app.update_user(actor, AccountId(id), &input, &ctx.client).await?;
    Ok(traced(Json(json!({ "id": a.id, "login": a.login, "name": a.display_name, "email": a.email })).into_response()))
}

/// POST /api/v1/users/{id}/{suspend|reactivate|reset-password}
pub async fn user_action(State(state): State<AppState>, ctx: Ctx, ApiActor(ref actor): ApiActor, IdPath(id): IdPath<AccountId>, what: UserVerb) -> Result<Response, WebError> {
    use habilis_core::records::UserAction;
    let action = match what {
        UserVerb::Suspend => UserAction::Suspend,
        UserVerb::Reactivate => UserAction::Reactivate,
        UserVerb::ResetPassword => UserAction::ResetPassword,
    };
    state.app.user_action(actor, id, action, &state.config.public_url, &ctx.client).await?;
    Ok(no_content())
}

/// GET /api/v1/users/{id}: the person with their grants (direct or through a group),
/// groups and last sign-in.
pub async fn user_file(State(state): State<AppState>, ApiActor(ref actor): ApiActor, IdPath(id): IdPath<Uuid>) -> Result<Response, WebError> {
    let f = state.app.person_file(actor, AccountId(id)).await?;
    Ok(Json(json!({
    "id": f.account.id,
    "login": f.account.login,
    "name": f.account.display_name,
    "email": f.account.email,
    "roles": f.account.roles,
    "status": f.account.status,
    "last_login_at": f.account.last_login_at.map(crate::view::rfc3339),
    "grants": f.grants,
    "groups": f.groups,
    "memberships": f.memberships.iter().map(|m| json!({
        "group_id": m.group_id,
        "group_name": m.group_name,
        "added_at": crate::view::rfc3339(m.added_at),
        "added_by": m.added_by,
        "removed_at": m.removed_at.map(crate::view::rfc3339),
        "removed_by": m.removed_by,
    })).collect::<Vec<_>>(),
}))
.into_response())
}

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{delete, get, post, put};
    axum::Router::new()
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{id}", get(user_file).put(update_user))
        .merge(UserVerb::ALL.iter().fold(axum::Router::new(), |r, &what| {
            r.route(
                &format!("/api/v1/users/{{id}}/{}", what.as_str()),
                post(move |state: State<AppState>, ctx: Ctx, a: ApiActor, id: IdPath<AccountId>| user_action(state, ctx, a, id, what)),
            )
        }))
        .route("/api/v1/grants", get(list_grants).post(create_grant))
        .merge(GrantVerb::ALL.iter().fold(axum::Router::new(), |r, &what| {
            r.route(
                &format!("/api/v1/grants/{{id}}/{}", what.as_str()),
                post(move |state: State<AppState>, ctx: Ctx, a: ApiActor, id: IdPath<GrantId>| grant_state(state, ctx, a, id, what)),
            )
        }))
        .route("/api/v1/groups", get(list_groups).post(create_group))
        .route("/api/v1/mandates", get(list_mandates).post(give_mandate))
        .route("/api/v1/mandates/{id}/withdraw", post(withdraw_mandate))
        .route("/api/v1/mandates/{id}", put(edit_mandate))
        .route("/api/v1/groups/{id}", put(rename_group).delete(delete_group))
        .route("/api/v1/grants/{id}/end", put(set_grant_end))
        .route("/api/v1/groups/{id}/members", post(add_member))
        .route("/api/v1/groups/{id}/members/{account}", delete(remove_member))
        .route("/api/v1/groups/{id}/grants", post(grant_to_group))
}
