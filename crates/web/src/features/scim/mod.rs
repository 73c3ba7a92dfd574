//! SCIM 2.0 (RFC 7643/7644, R71): a partner's own directory provisions its people and
//! groups at `/scim/v2`, with a token its administrator created (`page.rs`). The JSON,
//! filters, paging, PATCH and ETags are here; every change goes through core's
//! `directory_*` services, which take the portal's own steps (quotas, mandates, isolation,
//! traces) in one transaction.

mod filter;
mod page;
mod patch;
mod schema;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use habilis_core::Error;
use habilis_core::records::{AccountId, Actor, GroupId};
use habilis_core::services::scim::{DirectoryGroup, DirectoryPerson};
use habilis_core::trace::Outcome;
use serde_json::{Value, json};
use std::future::Future;

use self::filter::{AttrPath, Filter, get_ci};
use self::patch::PatchError;
use self::schema::*;
use crate::context::Ctx;
use crate::errors::WebError;
use crate::i18n::Lang;
use crate::state::AppState;

const PREFIX: &str = "/scim/v2";
/// A group of a few thousand members fits.
const MOST_BYTES: usize = 4 * 1024 * 1024;
/// How many times a PATCH is applied again when the resource changed meanwhile.
const PATCH_ATTEMPTS: usize = 3;

/// What a SCIM request may run into, beyond the core's errors.
enum ScimError {
    Core(Error),
    Token,
    Filter(String),
    Path(String),
    Syntax(String),
    NoTarget(String),
    Mutability(String),
    Value(String),
    NotFound,
    Method,
}

impl From<Error> for ScimError {
    fn from(e: Error) -> Self {
        ScimError::Core(e)
    }
}

impl From<PatchError> for ScimError {
    fn from(e: PatchError) -> Self {
        match e {
            PatchError::Syntax(s) => ScimError::Syntax(s),
            PatchError::Path(s) => ScimError::Path(s),
            PatchError::NoTarget(s) => ScimError::NoTarget(s),
            PatchError::Mutability(s) => ScimError::Mutability(s),
            PatchError::Filter(s) => ScimError::Filter(s),
        }
    }
}

fn scim_json(status: StatusCode, v: &Value) -> Response {
    let mut r = (status, v.to_string()).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/scim+json"));
    r
}

impl ScimError {
    /// The status, the SCIM error type and the sentence, in the client's language.
    fn response(&self, lang: Lang) -> Response {
        let t = lang.texts();
        let (status, kind, detail) = match self {
            ScimError::Core(e) => {
                let web = WebError::Core(e.clone());
                web.log();
                let kind = match e {
                    Error::Invalid { problem: habilis_core::values::ValueError::Fixed, .. } => Some("mutability"),
                    Error::Invalid { .. } | Error::InvalidFields(_) => Some("invalidValue"),
                    Error::Taken(_) => Some("uniqueness"),
                    _ => None,
                };
                // SCIM has no 422: a value refused is a 400 with its type.
                let status = if web.status() == StatusCode::UNPROCESSABLE_ENTITY { StatusCode::BAD_REQUEST } else { web.status() };
                (status, kind, web.message(t))
            }
            ScimError::Token => (StatusCode::UNAUTHORIZED, None, t.err_scim_token.to_string()),
            ScimError::Filter(d) => (StatusCode::BAD_REQUEST, Some("invalidFilter"), t.err_scim_filter.replace("{detail}", d)),
            ScimError::Path(d) => (StatusCode::BAD_REQUEST, Some("invalidPath"), t.err_scim_path.replace("{detail}", d)),
            ScimError::Syntax(d) => (StatusCode::BAD_REQUEST, Some("invalidSyntax"), t.err_scim_syntax.replace("{detail}", d)),
            ScimError::NoTarget(d) => (StatusCode::BAD_REQUEST, Some("noTarget"), t.err_scim_no_target.replace("{detail}", d)),
            ScimError::Mutability(d) => (StatusCode::BAD_REQUEST, Some("mutability"), t.err_scim_path.replace("{detail}", d)),
            ScimError::Value(d) => (StatusCode::BAD_REQUEST, Some("invalidValue"), t.err_scim_value.replace("{detail}", d)),
            ScimError::NotFound => (StatusCode::NOT_FOUND, None, WebError::NotFound.message(t)),
            ScimError::Method => (StatusCode::METHOD_NOT_ALLOWED, None, WebError::Method.message(t)),
        };
        let mut v = json!({"schemas": [ERROR], "status": status.as_u16().to_string(), "detail": detail});
        if let Some(k) = kind {
            schema::put(&mut v, "scimType", json!(k));
        }
        let mut r = scim_json(status, &v);
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"habilis-scim\""));
        }
        r
    }
}

type Answer = Result<Response, ScimError>;

/// The public base of the endpoint (resources' `location`, members' `$ref`).
fn base(state: &AppState) -> String {
    format!("{}{PREFIX}", state.config.public_url.trim_end_matches('/'))
}

fn header_text(h: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// Authenticate the directory's token, run the handler, trace the request. A change the
/// core made is traced by the core, with the token's id as the session; reads and refusals
/// are traced here. An unknown token's attempt is traced without a person.
async fn serve<F, Fut>(state: &AppState, ctx: &Ctx, method: &Method, uri: &Uri, headers: &HeaderMap, run: F) -> Response
where
    F: FnOnce(Actor) -> Fut,
    Fut: std::future::Future<Output = Answer>,
{
    let lang = ctx.api_lang;
    let path = uri.path().to_string();
    let secret = header_text(headers, header::AUTHORIZATION).and_then(|a| a.strip_prefix("Bearer ").or_else(|| a.strip_prefix("bearer "))).map(str::trim);
    let actor = match secret.filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match state.app.scim_actor(s, &ctx.client).await {
            Ok(a) => Some(a),
            Err(Error::NotAuthenticated) => None,
            Err(e) => return ScimError::Core(e).response(lang),
        },
    };
    let Some(actor) = actor else {
        // A token that opens nothing is an attempt worth the trail; no token at all is not.
        if secret.is_some_and(|s| !s.is_empty())
            && let Err(e) = state.app.record_anonymous("scim.refused", &path, Outcome::Refused, &ctx.client).await
        {
            return ScimError::Core(e).response(lang);
        }
        return ScimError::Token.response(lang);
    };
    let (resp, refusal) = match run(actor.clone()).await {
        Ok(r) => (r, None),
        Err(e) => {
            let r = e.response(lang);
            let why = match &e {
                ScimError::Core(c) => format!("{} ({})", WebError::Core(c.clone()).message(Lang::Fr.texts()), WebError::Core(c.clone()).code()),
                _ => r.status().to_string(),
            };
            (r, Some(why))
        }
    };
    let status = resp.status();
    // A change that went through is in the trail already, by the core's own trace.
    if resp.extensions().get::<Changed>().is_none() {
        let outcome = if status.is_success() || status == StatusCode::NOT_MODIFIED {
            Outcome::Success
        } else if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            Outcome::Refused
        } else {
            Outcome::Failure
        };
        let action = format!("scim.{}", method.as_str().to_ascii_lowercase());
        let detail = if outcome == Outcome::Success { None } else { refusal };
        if let Err(e) = state.app.record_request_noted(&actor, &action, &path, outcome, detail, &ctx.client).await {
            return ScimError::Core(e).response(lang);
        }
    }
    // Traced here (or by the core): not again by the portal's session middleware.
    crate::extract::traced(resp)
}

/// Set on the answer to a change the core made, and traced.
#[derive(Clone, Copy)]
struct Changed;

fn changes(mut r: Response, changed: bool) -> Response {
    if changed {
        r.extensions_mut().insert(Changed);
    }
    r
}

/// Read a JSON body.
fn body_json(body: &Bytes) -> Result<Value, ScimError> {
    serde_json::from_slice(body).map_err(|e| ScimError::Syntax(e.to_string()))
}

/// The query's parameters, names without letter case.
struct Params(Vec<(String, String)>);

impl Params {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// What a list (GET or POST `.search`) asks for.
#[derive(Default)]
struct ListQuery {
    filter: Option<Filter>,
    start: usize,
    count: usize,
    sort_by: Option<AttrPath>,
    descending: bool,
    attributes: Vec<AttrPath>,
    excluded: Vec<AttrPath>,
}

fn paths(list: &str) -> Result<Vec<AttrPath>, ScimError> {
    list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| AttrPath::parse(s).ok_or_else(|| ScimError::Path(s.to_string()))).collect()
}

fn number(raw: Option<&str>, name: &str) -> Result<Option<i64>, ScimError> {
    raw.map(|s| s.trim().parse::<i64>().map_err(|_| ScimError::Value(name.to_string()))).transpose()
}

impl ListQuery {
    fn from_params(p: &Params) -> Result<ListQuery, ScimError> {
        Self::build(p.get("filter"), number(p.get("startIndex"), "startIndex")?, number(p.get("count"), "count")?, p.get("sortBy"), p.get("sortOrder"), p.get("attributes"), p.get("excludedAttributes"))
    }

    fn from_search(v: &Value) -> Result<ListQuery, ScimError> {
        let s = |n: &str| get_ci(v, n).and_then(Value::as_str).map(str::to_string);
        let n = |n: &str| get_ci(v, n).and_then(Value::as_i64);
        let list = |n: &str| match get_ci(v, n) {
            Some(Value::Array(a)) => Some(a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(",")),
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        Self::build(s("filter").as_deref(), n("startIndex"), n("count"), s("sortBy").as_deref(), s("sortOrder").as_deref(), list("attributes").as_deref(), list("excludedAttributes").as_deref())
    }

    fn build(filter: Option<&str>, start: Option<i64>, count: Option<i64>, sort_by: Option<&str>, order: Option<&str>, attributes: Option<&str>, excluded: Option<&str>) -> Result<ListQuery, ScimError> {
        let filter = filter.map(str::trim).filter(|f| !f.is_empty()).map(|f| Filter::parse(f).map_err(ScimError::Filter)).transpose()?;
        let sort_by = sort_by.map(str::trim).filter(|s| !s.is_empty()).map(|s| AttrPath::parse(s).ok_or_else(|| ScimError::Path(s.to_string()))).transpose()?;
        Ok(ListQuery {
            filter,
            // RFC 7644 §3.4.2.4: below 1 is 1; a negative count is 0.
            start: usize::try_from(start.unwrap_or(1).max(1)).unwrap_or(1),
            count: usize::try_from(count.unwrap_or(MAX_RESULTS as i64).clamp(0, MAX_RESULTS as i64)).unwrap_or(MAX_RESULTS),
            sort_by,
            descending: order.is_some_and(|o| o.eq_ignore_ascii_case("descending")),
            attributes: paths(attributes.unwrap_or(""))?,
            excluded: paths(excluded.unwrap_or(""))?,
        })
    }

    /// The page of `all` (each a resource's JSON) the query selects, as a ListResponse.
    fn answer(&self, all: Vec<Value>) -> Response {
        let mut hits: Vec<Value> = all.into_iter().filter(|d| self.filter.as_ref().is_none_or(|f| f.matches(d))).collect();
        if let Some(by) = &self.sort_by {
            let key = |d: &Value| sort_key(d, by);
            hits.sort_by(|a, b| {
                let (ka, kb) = (key(a), key(b));
                // Resources without the attribute come last, whatever the order.
                match (ka, kb) {
                    (None, None) => std::cmp::Ordering::Equal,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (Some(x), Some(y)) if self.descending => y.cmp(&x),
                    (Some(x), Some(y)) => x.cmp(&y),
                }
            });
        }
        let total = hits.len();
        let page: Vec<Value> = hits.into_iter().skip(self.start - 1).take(self.count).map(|d| project(d, &self.attributes, &self.excluded)).collect();
        scim_json(StatusCode::OK, &json!({"schemas": [LIST], "totalResults": total, "startIndex": self.start, "itemsPerPage": page.len(), "Resources": page}))
    }
}

fn sort_key(doc: &Value, by: &AttrPath) -> Option<String> {
    let v = get_ci(doc, &by.attr)?;
    let v = match v {
        Value::Array(a) => a.iter().find(|x| get_ci(x, "primary").and_then(Value::as_bool) == Some(true)).or(a.first())?,
        other => other,
    };
    let v = match (&by.sub, v) {
        (Some(s), _) => get_ci(v, s)?,
        (None, Value::Object(_)) => get_ci(v, "value")?,
        (None, x) => x,
    };
    Some(match v {
        Value::String(s) => s.to_lowercase(),
        other => other.to_string(),
    })
}

/// The resource with only the attributes asked for, or without those excluded (`id` and
/// `schemas` always stay).
fn project(doc: Value, attributes: &[AttrPath], excluded: &[AttrPath]) -> Value {
    let Value::Object(map) = doc else { return doc };
    let always = |k: &str| k == "id" || k == "schemas";
    let mut out = serde_json::Map::new();
    for (k, v) in map {
        let key = k.to_ascii_lowercase();
        let v = if !attributes.is_empty() && !always(&key) {
            let wanted: Vec<&AttrPath> = attributes.iter().filter(|p| p.attr == key).collect();
            if wanted.is_empty() {
                continue;
            }
            if wanted.iter().any(|p| p.sub.is_none()) { v } else { keep_subs(v, &wanted) }
        } else {
            v
        };
        let gone: Vec<&AttrPath> = excluded.iter().filter(|p| p.attr == key).collect();
        if !always(&key) && gone.iter().any(|p| p.sub.is_none()) {
            continue;
        }
        let v = if gone.is_empty() { v } else { drop_subs(v, &gone) };
        out.insert(k, v);
    }
    Value::Object(out)
}

fn keep_subs(v: Value, wanted: &[&AttrPath]) -> Value {
    let keep = |o: Value| match o {
        Value::Object(m) => Value::Object(m.into_iter().filter(|(k, _)| wanted.iter().any(|p| p.sub.as_deref() == Some(&k.to_ascii_lowercase()))).collect()),
        x => x,
    };
    match v {
        Value::Array(a) => Value::Array(a.into_iter().map(keep).collect()),
        o => keep(o),
    }
}

fn drop_subs(v: Value, gone: &[&AttrPath]) -> Value {
    let drop = |o: Value| match o {
        Value::Object(m) => Value::Object(m.into_iter().filter(|(k, _)| !gone.iter().any(|p| p.sub.as_deref() == Some(&k.to_ascii_lowercase()))).collect()),
        x => x,
    };
    match v {
        Value::Array(a) => Value::Array(a.into_iter().map(drop).collect()),
        o => drop(o),
    }
}

/// One resource, with its `ETag` and, on creation, its `Location`.
fn resource(status: StatusCode, doc: Value, version: &str) -> Response {
    let location = doc.get("meta").and_then(|m| m.get("location")).and_then(Value::as_str).map(str::to_string);
    let mut r = scim_json(status, &doc);
    if let Ok(v) = HeaderValue::from_str(&etag(version)) {
        r.headers_mut().insert(header::ETAG, v);
    }
    if status == StatusCode::CREATED
        && let Some(l) = location.and_then(|l| HeaderValue::from_str(&l).ok())
    {
        r.headers_mut().insert(header::LOCATION, l);
    }
    r
}

/// `If-None-Match` naming the current version: 304.
fn not_modified(headers: &HeaderMap, version: &str) -> bool {
    header_text(headers, header::IF_NONE_MATCH).is_some_and(|h| h.split(',').any(|v| v.trim() == "*" || v.trim().trim_start_matches("W/").trim_matches('"') == version))
}

fn single(headers: &HeaderMap, params: &Params, doc: Value, version: &str) -> Answer {
    if not_modified(headers, version) {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        if let Ok(v) = HeaderValue::from_str(&etag(version)) {
            r.headers_mut().insert(header::ETAG, v);
        }
        return Ok(r);
    }
    let attributes = paths(params.get("attributes").unwrap_or(""))?;
    let excluded = paths(params.get("excludedAttributes").unwrap_or(""))?;
    Ok(resource(StatusCode::OK, project(doc, &attributes, &excluded), version))
}

fn user_id(id: &str) -> Result<AccountId, ScimError> {
    AccountId::parse(id).ok_or(ScimError::NotFound)
}

fn group_id(id: &str) -> Result<GroupId, ScimError> {
    GroupId::parse(id).ok_or(ScimError::NotFound)
}

fn if_match(headers: &HeaderMap) -> Option<String> {
    header_text(headers, header::IF_MATCH).map(str::to_string)
}

/// The person's JSON a PATCH works on: the address marked as the work one, so that the
/// paths directories write (`emails[type eq "work"].value`) find it.
fn person_doc_for_patch(p: &DirectoryPerson, b: &str) -> Value {
    let mut doc = person_json(p, b);
    if let Some(first) = doc.get_mut("emails").and_then(Value::as_array_mut).and_then(|a| a.first_mut()) {
        schema::put(first, "type", json!("work"));
    }
    doc
}

/// The resource types' handlers, written once for people and groups.
trait Kind {
    const NAME: &'static str;
    type Id: Copy + Send;
    type Item: Send;
    fn id(raw: &str) -> Result<Self::Id, ScimError>;
    fn json(item: &Self::Item, base: &str) -> Value;
    fn patch_doc(item: &Self::Item, base: &str) -> Value {
        Self::json(item, base)
    }
    fn version(item: &Self::Item) -> String;
    fn all(state: &AppState, actor: &Actor) -> impl Future<Output = Result<Vec<Self::Item>, Error>> + Send;
    fn one(state: &AppState, actor: &Actor, id: Self::Id) -> impl Future<Output = Result<Self::Item, Error>> + Send;
    fn create(state: &AppState, ctx: &Ctx, actor: &Actor, doc: &Value) -> impl Future<Output = Result<Self::Item, ScimError>> + Send;
    /// The resource as replaced, and whether anything changed (then the core traced it).
    fn replace(state: &AppState, ctx: &Ctx, actor: &Actor, id: Self::Id, doc: &Value, if_match: Option<&str>) -> impl Future<Output = Result<(Self::Item, bool), ScimError>> + Send;
    fn delete(state: &AppState, ctx: &Ctx, actor: &Actor, id: Self::Id, if_match: Option<&str>) -> impl Future<Output = Result<(), Error>> + Send;
}

struct Users;
struct Groups;

fn unreadable(u: Unreadable) -> ScimError {
    ScimError::Value(u.0)
}

impl Kind for Users {
    const NAME: &'static str = "User";
    type Id = AccountId;
    type Item = DirectoryPerson;
    fn id(raw: &str) -> Result<AccountId, ScimError> {
        user_id(raw)
    }
    fn json(item: &DirectoryPerson, base: &str) -> Value {
        person_json(item, base)
    }
    fn patch_doc(item: &DirectoryPerson, base: &str) -> Value {
        person_doc_for_patch(item, base)
    }
    fn version(item: &DirectoryPerson) -> String {
        item.version()
    }
    async fn all(state: &AppState, actor: &Actor) -> Result<Vec<DirectoryPerson>, Error> {
        state.app.directory_people(actor).await
    }
    async fn one(state: &AppState, actor: &Actor, id: AccountId) -> Result<DirectoryPerson, Error> {
        state.app.directory_person(actor, id).await
    }
    async fn create(state: &AppState, ctx: &Ctx, actor: &Actor, doc: &Value) -> Result<DirectoryPerson, ScimError> {
        let change = person_change(doc).map_err(unreadable)?;
        Ok(state.app.directory_create_person(actor, &change, &state.config.public_url, &ctx.client).await?)
    }
    async fn replace(state: &AppState, ctx: &Ctx, actor: &Actor, id: AccountId, doc: &Value, if_match: Option<&str>) -> Result<(DirectoryPerson, bool), ScimError> {
        let change = person_change(doc).map_err(unreadable)?;
        Ok(state.app.directory_replace_person(actor, id, &change, if_match, &state.config.public_url, &ctx.client).await?)
    }
    async fn delete(state: &AppState, ctx: &Ctx, actor: &Actor, id: AccountId, if_match: Option<&str>) -> Result<(), Error> {
        state.app.directory_delete_person(actor, id, if_match, &ctx.client).await
    }
}

impl Kind for Groups {
    const NAME: &'static str = "Group";
    type Id = GroupId;
    type Item = DirectoryGroup;
    fn id(raw: &str) -> Result<GroupId, ScimError> {
        group_id(raw)
    }
    fn json(item: &DirectoryGroup, base: &str) -> Value {
        group_json(item, base)
    }
    fn version(item: &DirectoryGroup) -> String {
        item.version()
    }
    async fn all(state: &AppState, actor: &Actor) -> Result<Vec<DirectoryGroup>, Error> {
        state.app.directory_groups(actor).await
    }
    async fn one(state: &AppState, actor: &Actor, id: GroupId) -> Result<DirectoryGroup, Error> {
        state.app.directory_group(actor, id).await
    }
    async fn create(state: &AppState, ctx: &Ctx, actor: &Actor, doc: &Value) -> Result<DirectoryGroup, ScimError> {
        let change = group_change(doc).map_err(unreadable)?;
        Ok(state.app.directory_create_group(actor, &change, &ctx.client).await?)
    }
    async fn replace(state: &AppState, ctx: &Ctx, actor: &Actor, id: GroupId, doc: &Value, if_match: Option<&str>) -> Result<(DirectoryGroup, bool), ScimError> {
        let change = group_change(doc).map_err(unreadable)?;
        Ok(state.app.directory_replace_group(actor, id, &change, if_match, &ctx.client).await?)
    }
    async fn delete(state: &AppState, ctx: &Ctx, actor: &Actor, id: GroupId, if_match: Option<&str>) -> Result<(), Error> {
        state.app.directory_delete_group(actor, id, if_match, &ctx.client).await
    }
}

async fn list_of<K: Kind>(state: &AppState, actor: &Actor, q: ListQuery) -> Answer {
    let b = base(state);
    let all = K::all(state, actor).await?.iter().map(|i| K::json(i, &b)).collect();
    Ok(q.answer(all))
}

/// GET /scim/v2/{Users|Groups}
async fn list<K: Kind>(State(state): State<AppState>, ctx: Ctx, method: Method, uri: Uri, headers: HeaderMap, Query(p): Query<Vec<(String, String)>>) -> Response {
    let (state, ctx) = (&state, &ctx);
    let headers = &headers;
    serve(state, ctx, &method, &uri, headers, |actor| async move { list_of::<K>(state, &actor, ListQuery::from_params(&Params(p))?).await }).await
}

/// POST /scim/v2/{Users|Groups}/.search
async fn search<K: Kind>(State(state): State<AppState>, ctx: Ctx, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    // A search changes nothing: traced as a read.
    let (state, ctx) = (&state, &ctx);
    let headers = &headers;
    serve(state, ctx, &Method::GET, &uri, headers, |actor| async move {
        let q = ListQuery::from_search(&body_json(&body)?)?;
        list_of::<K>(state, &actor, q).await
    })
    .await
}

/// GET /scim/v2/{Users|Groups}/{id}
async fn read<K: Kind>(State(state): State<AppState>, ctx: Ctx, method: Method, uri: Uri, headers: HeaderMap, Path(id): Path<String>, Query(p): Query<Vec<(String, String)>>) -> Response {
    let (state, ctx) = (&state, &ctx);
    let headers = &headers;
    serve(state, ctx, &method, &uri, headers, |actor| async move {
        let item = K::one(state, &actor, K::id(&id)?).await?;
        single(headers, &Params(p), K::json(&item, &base(state)), &K::version(&item))
    })
    .await
}

/// POST /scim/v2/{Users|Groups}
async fn create<K: Kind>(State(state): State<AppState>, ctx: Ctx, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let (state, ctx) = (&state, &ctx);
    let headers = &headers;
    serve(state, ctx, &method, &uri, headers, |actor| async move {
        let doc = body_json(&body)?;
        let item = K::create(state, ctx, &actor, &doc).await?;
        Ok(changes(resource(StatusCode::CREATED, K::json(&item, &base(state)), &K::version(&item)), true))
    })
    .await
}

/// PUT /scim/v2/{Users|Groups}/{id}
async fn put<K: Kind>(State(state): State<AppState>, ctx: Ctx, method: Method, uri: Uri, headers: HeaderMap, Path(id): Path<String>, body: Bytes) -> Response {
    let (state, ctx) = (&state, &ctx);
    let headers = &headers;
    serve(state, ctx, &method, &uri, headers, |actor| async move {
        let id = K::id(&id)?;
        let doc = body_json(&body)?;
        let (item, changed) = K::replace(state, ctx, &actor, id, &doc, if_match(headers).as_deref()).await?;
        Ok(changes(resource(StatusCode::OK, K::json(&item, &base(state)), &K::version(&item)), changed))
    })
    .await
}

/// PATCH /scim/v2/{Users|Groups}/{id}: the operations applied to the resource as read, then
/// replaced under the version read (or the client's `If-Match`). When someone else changed
/// the resource in between, it is read and patched again.
async fn patch<K: Kind>(State(state): State<AppState>, ctx: Ctx, method: Method, uri: Uri, headers: HeaderMap, Path(id): Path<String>, body: Bytes) -> Response {
    let (state, ctx) = (&state, &ctx);
    let headers = &headers;
    serve(state, ctx, &method, &uri, headers, |actor| async move {
        let id = K::id(&id)?;
        let ops = body_json(&body)?;
        let b = base(state);
        let theirs = if_match(headers);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let current = K::one(state, &actor, id).await?;
            let version = K::version(&current);
            let mut doc = K::patch_doc(&current, &b);
            patch::apply(&mut doc, &ops, K::NAME)?;
            let expected = theirs.clone().unwrap_or_else(|| version.clone());
            match K::replace(state, ctx, &actor, id, &doc, Some(&expected)).await {
                Ok((item, changed)) => return Ok(changes(resource(StatusCode::OK, K::json(&item, &b), &K::version(&item)), changed)),
                Err(ScimError::Core(Error::Stale)) if theirs.is_none() && attempt < PATCH_ATTEMPTS => continue,
                Err(e) => return Err(e),
            }
        }
    })
    .await
}

/// DELETE /scim/v2/{Users|Groups}/{id}
async fn delete<K: Kind>(State(state): State<AppState>, ctx: Ctx, method: Method, uri: Uri, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let (state, ctx) = (&state, &ctx);
    let headers = &headers;
    serve(state, ctx, &method, &uri, headers, |actor| async move {
        K::delete(state, ctx, &actor, K::id(&id)?, if_match(headers).as_deref()).await?;
        Ok(changes(StatusCode::NO_CONTENT.into_response(), true))
    })
    .await
}

/// GET /scim/v2/ServiceProviderConfig
async fn provider_config(State(state): State<AppState>, ctx: Ctx, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let (state, ctx) = (&state, &ctx);
    let headers = &headers;
    serve(state, ctx, &method, &uri, headers, |_| async move {
        let docs = format!("{}/api/v1/openapi.json", state.config.public_url.trim_end_matches('/'));
        Ok(scim_json(StatusCode::OK, &service_provider_config(&base(state), &docs)))
    })
    .await
}

fn listed(items: Vec<Value>) -> Response {
    let n = items.len();
    scim_json(StatusCode::OK, &json!({"schemas": [LIST], "totalResults": n, "startIndex": 1, "itemsPerPage": n, "Resources": items}))
}

/// GET /scim/v2/ResourceTypes
async fn types(State(state): State<AppState>, ctx: Ctx, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let (state, ctx) = (&state, &ctx);
    let headers = &headers;
    serve(state, ctx, &method, &uri, headers, |_| async move { Ok(listed(resource_types(&base(state)))) }).await
}

/// GET /scim/v2/ResourceTypes/{id}
async fn one_type(State(state): State<AppState>, ctx: Ctx, method: Method, uri: Uri, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let (state, ctx) = (&state, &ctx);
    let headers = &headers;
    serve(state, ctx, &method, &uri, headers, |_| async move {
        let t = resource_types(&base(state)).into_iter().find(|t| t["id"].as_str() == Some(id.as_str())).ok_or(ScimError::NotFound)?;
        Ok(scim_json(StatusCode::OK, &t))
    })
    .await
}

/// GET /scim/v2/Schemas
async fn all_schemas(State(state): State<AppState>, ctx: Ctx, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let (state, ctx) = (&state, &ctx);
    let headers = &headers;
    serve(state, ctx, &method, &uri, headers, |_| async move { Ok(listed(schemas(&base(state)))) }).await
}

/// GET /scim/v2/Schemas/{id}
async fn one_schema(State(state): State<AppState>, ctx: Ctx, method: Method, uri: Uri, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let (state, ctx) = (&state, &ctx);
    let headers = &headers;
    serve(state, ctx, &method, &uri, headers, |_| async move {
        let s = schemas(&base(state)).into_iter().find(|s| s["id"].as_str() == Some(id.as_str())).ok_or(ScimError::NotFound)?;
        Ok(scim_json(StatusCode::OK, &s))
    })
    .await
}

/// POST /scim/v2/.search: a search across both resource types (RFC 7644 §3.4.3).
async fn search_all(State(state): State<AppState>, ctx: Ctx, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let (state, ctx) = (&state, &ctx);
    let headers = &headers;
    // A search changes nothing: traced as a read.
    serve(state, ctx, &Method::GET, &uri, headers, |actor| async move {
        let q = ListQuery::from_search(&body_json(&body)?)?;
        let b = base(state);
        let mut all: Vec<Value> = Users::all(state, &actor).await?.iter().map(|p| Users::json(p, &b)).collect();
        all.extend(Groups::all(state, &actor).await?.iter().map(|g| Groups::json(g, &b)));
        Ok(q.answer(all))
    })
    .await
}

/// Anything else under /scim/v2: a SCIM error, 404 or 405.
async fn not_found(ctx: Ctx) -> Response {
    ScimError::NotFound.response(ctx.api_lang)
}

async fn method_not_allowed(ctx: Ctx) -> Response {
    ScimError::Method.response(ctx.api_lang)
}

fn kind_routes<K: Kind + 'static>(r: axum::Router<AppState>, path: &str) -> axum::Router<AppState> {
    r.route(path, get(list::<K>).post(create::<K>).fallback(method_not_allowed))
        .route(&format!("{path}/.search"), post(search::<K>).fallback(method_not_allowed))
        .route(&format!("{path}/{{id}}"), get(read::<K>).put(put::<K>).patch(patch::<K>).delete(delete::<K>).fallback(method_not_allowed))
}

pub(crate) fn routes() -> axum::Router<AppState> {
    let api = axum::Router::new()
        .route("/ServiceProviderConfig", get(provider_config).fallback(method_not_allowed))
        .route("/ResourceTypes", get(types).fallback(method_not_allowed))
        .route("/ResourceTypes/{id}", get(one_type).fallback(method_not_allowed))
        .route("/Schemas", get(all_schemas).fallback(method_not_allowed))
        .route("/Schemas/{id}", get(one_schema).fallback(method_not_allowed))
        .route("/.search", post(search_all).fallback(method_not_allowed));
    let api = kind_routes::<Users>(api, "/Users");
    let api = kind_routes::<Groups>(api, "/Groups").fallback(not_found).layer(DefaultBodyLimit::max(MOST_BYTES));
    axum::Router::new().nest(PREFIX, api).merge(page::routes())
}
