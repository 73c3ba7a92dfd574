//! What the SCIM endpoint publishes of itself (RFC 7643 §5–7: ServiceProviderConfig,
//! ResourceTypes, Schemas) and the JSON of its two resources. The schemas say exactly what
//! Habilis keeps: a directory that reads them knows which attributes round-trip.

use habilis_core::services::scim::{DirectoryGroup, DirectoryPerson, GroupChange, PersonChange};
use habilis_core::records::AccountId;
use serde_json::{Value, json};

use super::filter::get_ci;

pub(crate) const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub(crate) const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub(crate) const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub(crate) const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
#[cfg(test)]
pub(crate) const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SPC: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// The most resources one page returns.
pub(crate) const MAX_RESULTS: usize = 500;

/// One attribute's definition. `mutability`, `returned`, `uniqueness` as the RFC spells them.
struct A {
    name: &'static str,
    kind: &'static str,
    multi: bool,
    required: bool,
    case_exact: bool,
    mutability: &'static str,
    returned: &'static str,
    uniqueness: &'static str,
    description: &'static str,
    refs: &'static [&'static str],
    subs: Vec<A>,
}

fn a(name: &'static str, kind: &'static str, description: &'static str) -> A {
    A { name, kind, multi: false, required: false, case_exact: false, mutability: "readWrite", returned: "default", uniqueness: "none", description, refs: &[], subs: Vec::new() }
}

impl A {
    fn multi(mut self) -> A {
        self.multi = true;
        self
    }
    fn required(mut self) -> A {
        self.required = true;
        self
    }
    fn exact(mut self) -> A {
        self.case_exact = true;
        self
    }
    fn mutability(mut self, m: &'static str) -> A {
        self.mutability = m;
        self
    }
    fn unique(mut self, u: &'static str) -> A {
        self.uniqueness = u;
        self
    }
    fn refs(mut self, r: &'static [&'static str]) -> A {
        self.refs = r;
        self
    }
    fn subs(mut self, s: Vec<A>) -> A {
        self.subs = s;
        self
    }
    fn json(&self) -> Value {
        let mut v = json!({
            "name": self.name, "type": self.kind, "multiValued": self.multi, "description": self.description,
            "required": self.required, "caseExact": self.case_exact, "mutability": self.mutability,
            "returned": self.returned, "uniqueness": self.uniqueness,
        });
        if let Some(o) = v.as_object_mut() {
            if !self.refs.is_empty() {
                o.insert("referenceTypes".into(), json!(self.refs));
            }
            if !self.subs.is_empty() {
                o.insert("subAttributes".into(), Value::Array(self.subs.iter().map(A::json).collect()));
            }
        }
        v
    }
}

fn schema(base: &str, id: &str, name: &str, description: &str, attrs: Vec<A>) -> Value {
    json!({
        "schemas": [SCHEMA], "id": id, "name": name, "description": description,
        "attributes": attrs.iter().map(A::json).collect::<Vec<_>>(),
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")},
    })
}

fn user_schema(base: &str) -> Value {
    schema(base, USER, "User", "Une personne de l'organisme / A person of the organisation", vec![
        a("userName", "string", "Identifiant Habilis ; donné sans le préfixe de l'organisme, il le reçoit / Habilis login; given without the organisation's prefix, it receives it")
            .required().mutability("immutable").unique("server"),
        a("name", "complex", "Nom / Name").required().subs(vec![
            a("givenName", "string", "Prénom / Given name").required(),
            a("familyName", "string", "Nom de famille / Family name").required(),
        ]),
        a("displayName", "string", "Prénom et nom / Given and family name").mutability("readOnly"),
        a("title", "string", "Fonction / Function"),
        a("emails", "complex", "Adresse électronique (une seule) / Email address (one)").multi().required().subs(vec![
            a("value", "string", "Adresse / Address").required(),
        ]),
        a("active", "boolean", "Faux : compte suspendu / False: account suspended").required(),
        a("groups", "complex", "Groupes de la personne / The person's groups").multi().mutability("readOnly").subs(vec![
            a("value", "string", "Identifiant du groupe / Group id").mutability("readOnly"),
            a("$ref", "reference", "Adresse du groupe / Group URI").mutability("readOnly").refs(&["Group"]),
            a("display", "string", "Nom du groupe / Group name").mutability("readOnly"),
        ]),
    ])
}

fn group_schema(base: &str) -> Value {
    schema(base, GROUP, "Group", "Un groupe de l'organisme / A group of the organisation", vec![
        a("displayName", "string", "Nom du groupe / Group name").required().unique("server"),
        a("members", "complex", "Membres / Members").multi().subs(vec![
            a("value", "string", "Identifiant de la personne / Person id").mutability("immutable"),
            a("$ref", "reference", "Adresse de la personne / Person URI").mutability("immutable").refs(&["User"]),
        ]),
    ])
}

fn meta_schemas(base: &str) -> Vec<Value> {
    let ro = |n, k, d| a(n, k, d).mutability("readOnly");
    vec![
        schema(base, SPC, "ServiceProviderConfig", "Ce que le service prend en charge / What the service supports", vec![
            ro("documentationUri", "reference", "Documentation").refs(&["external"]),
            ro("patch", "complex", "PATCH").required().subs(vec![ro("supported", "boolean", "Supported").required()]),
            ro("bulk", "complex", "Bulk").required().subs(vec![
                ro("supported", "boolean", "Supported").required(),
                ro("maxOperations", "integer", "Max operations").required(),
                ro("maxPayloadSize", "integer", "Max payload").required(),
            ]),
            ro("filter", "complex", "Filter").required().subs(vec![ro("supported", "boolean", "Supported").required(), ro("maxResults", "integer", "Max results").required()]),
            ro("changePassword", "complex", "Change password").required().subs(vec![ro("supported", "boolean", "Supported").required()]),
            ro("sort", "complex", "Sort").required().subs(vec![ro("supported", "boolean", "Supported").required()]),
            ro("etag", "complex", "ETag").required().subs(vec![ro("supported", "boolean", "Supported").required()]),
            ro("authenticationSchemes", "complex", "Authentication schemes").multi().required().subs(vec![
                ro("type", "string", "Type").required(),
                ro("name", "string", "Name").required(),
                ro("description", "string", "Description").required(),
            ]),
        ]),
        schema(base, RESOURCE_TYPE, "ResourceType", "Un type de ressource / A resource type", vec![
            ro("id", "string", "Id"),
            ro("name", "string", "Name").required(),
            ro("description", "string", "Description"),
            ro("endpoint", "reference", "Endpoint").required().refs(&["uri"]),
            ro("schema", "reference", "Schema").required().exact().refs(&["uri"]),
            ro("schemaExtensions", "complex", "Extensions").multi().subs(vec![
                ro("schema", "reference", "Schema").required().exact().refs(&["uri"]),
                ro("required", "boolean", "Required").required(),
            ]),
        ]),
        schema(base, SCHEMA, "Schema", "Un schéma / A schema", vec![
            ro("id", "string", "Id").required(),
            ro("name", "string", "Name"),
            ro("description", "string", "Description"),
            ro("attributes", "complex", "Attributes").multi().required().subs(vec![
                ro("name", "string", "Name").required(),
                ro("type", "string", "Type").required(),
                ro("multiValued", "boolean", "Multi-valued").required(),
                ro("description", "string", "Description"),
                ro("required", "boolean", "Required"),
                ro("caseExact", "boolean", "Case exact"),
                ro("mutability", "string", "Mutability"),
                ro("returned", "string", "Returned"),
                ro("uniqueness", "string", "Uniqueness"),
                ro("referenceTypes", "string", "Reference types").multi(),
                ro("subAttributes", "complex", "Sub-attributes").multi(),
            ]),
        ]),
    ]
}

/// Every schema published.
pub(crate) fn schemas(base: &str) -> Vec<Value> {
    let mut all = vec![user_schema(base), group_schema(base)];
    all.extend(meta_schemas(base));
    all
}

/// The two resource types.
pub(crate) fn resource_types(base: &str) -> Vec<Value> {
    vec![
        json!({"schemas": [RESOURCE_TYPE], "id": "User", "name": "User", "endpoint": "/Users", "schema": USER,
            "description": "Personnes de l'organisme / People of the organisation",
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User")}}),
        json!({"schemas": [RESOURCE_TYPE], "id": "Group", "name": "Group", "endpoint": "/Groups", "schema": GROUP,
            "description": "Groupes de l'organisme / Groups of the organisation",
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group")}}),
    ]
}

/// What the endpoint supports.
pub(crate) fn service_provider_config(base: &str, docs: &str) -> Value {
    json!({
        "schemas": [SPC],
        "documentationUri": docs,
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken", "name": "Jeton d'annuaire / Directory token", "primary": true,
            "description": "Jeton créé par l'administrateur de l'organisme (Authorization: Bearer) / Token created by the organisation's administrator (Authorization: Bearer)",
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")},
    })
}

/// Set a member of a JSON object (nothing for anything else).
pub(crate) fn put(v: &mut Value, key: &str, value: Value) {
    if let Some(o) = v.as_object_mut() {
        o.insert(key.to_string(), value);
    }
}

/// The `ETag` of a version.
pub(crate) fn etag(version: &str) -> String {
    format!("W/\"{version}\"")
}

/// A person's JSON.
pub(crate) fn person_json(p: &DirectoryPerson, base: &str) -> Value {
    let mut v = json!({
        "schemas": [USER],
        "id": p.id.to_string(),
        "userName": p.login,
        "name": {"givenName": p.given_name, "familyName": p.family_name},
        "displayName": p.display_name,
        "emails": [{"value": p.email}],
        "active": p.active,
        "meta": {
            "resourceType": "User",
            "created": crate::view::rfc3339(p.created_at),
            "location": format!("{base}/Users/{}", p.id),
            "version": etag(&p.version()),
        },
    });
    if let Some(t) = &p.title {
        put(&mut v, "title", json!(t));
    }
    if let Some(x) = &p.external_id {
        put(&mut v, "externalId", json!(x));
    }
    if !p.groups.is_empty() {
        let groups = p.groups.iter().map(|(id, name)| json!({"value": id.to_string(), "$ref": format!("{base}/Groups/{id}"), "display": name})).collect();
        put(&mut v, "groups", Value::Array(groups));
    }
    v
}

/// A group's JSON.
pub(crate) fn group_json(g: &DirectoryGroup, base: &str) -> Value {
    let mut v = json!({
        "schemas": [GROUP],
        "id": g.id.to_string(),
        "displayName": g.name,
        "meta": {"resourceType": "Group", "location": format!("{base}/Groups/{}", g.id), "version": etag(&g.version())},
    });
    if let Some(x) = &g.external_id {
        put(&mut v, "externalId", json!(x));
    }
    if !g.members.is_empty() {
        let members = g.members.iter().map(|(id, _)| json!({"value": id.to_string(), "$ref": format!("{base}/Users/{id}")})).collect();
        put(&mut v, "members", Value::Array(members));
    }
    v
}

/// A string attribute; a number or a boolean is taken as its text.
fn text(doc: &Value, name: &str) -> Option<String> {
    match get_ci(doc, name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// What is wrong with a resource's JSON: the attribute, for the error's sentence.
pub(crate) struct Unreadable(pub String);

/// A boolean, also written as a string (`"False"`, as some directories send it).
pub(crate) fn boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// A person as the JSON describes them. Attributes Habilis does not keep are left aside;
/// a missing name is taken from `displayName`, a missing address from a `userName` that is
/// one.
pub(crate) fn person_change(doc: &Value) -> Result<PersonChange, Unreadable> {
    if !doc.is_object() {
        return Err(Unreadable("User".into()));
    }
    // The directory names the person: a login is not made up for it (RFC 7643 §4.1.1).
    let login = text(doc, "userName").filter(|l| !l.trim().is_empty()).ok_or_else(|| Unreadable("userName".into()))?;
    let name = get_ci(doc, "name");
    let mut given = name.and_then(|n| text(n, "givenName")).unwrap_or_default();
    let mut family = name.and_then(|n| text(n, "familyName")).unwrap_or_default();
    if given.trim().is_empty() && family.trim().is_empty()
        && let Some(d) = text(doc, "displayName")
        && let Some((g, f)) = d.trim().split_once(' ')
    {
        (given, family) = (g.to_string(), f.to_string());
    }
    let email = match get_ci(doc, "emails") {
        Some(Value::Array(list)) => {
            let primary = list.iter().find(|e| get_ci(e, "primary").and_then(boolean) == Some(true)).or(list.first());
            primary.and_then(|e| if e.is_string() { e.as_str().map(str::to_string) } else { text(e, "value") }).unwrap_or_default()
        }
        Some(Value::Null) | None => String::new(),
        Some(_) => return Err(Unreadable("emails".into())),
    };
    let email = if email.trim().is_empty() && login.contains('@') { login.clone() } else { email };
    let active = match get_ci(doc, "active") {
        None | Some(Value::Null) => None,
        Some(v) => Some(boolean(v).ok_or_else(|| Unreadable("active".into()))?),
    };
    Ok(PersonChange {
        login,
        given_name: given,
        family_name: family,
        email,
        title: text(doc, "title"),
        active,
        external_id: text(doc, "externalId"),
    })
}

/// The id a member entry names: its `value`, or the last segment of its `$ref`.
fn member_id(m: &Value) -> Option<AccountId> {
    if let Some(s) = m.as_str() {
        return AccountId::parse(s);
    }
    text(m, "value").and_then(|v| AccountId::parse(&v)).or_else(|| text(m, "$ref").and_then(|r| r.rsplit('/').next().and_then(AccountId::parse)))
}

/// A group as the JSON describes it.
pub(crate) fn group_change(doc: &Value) -> Result<GroupChange, Unreadable> {
    if !doc.is_object() {
        return Err(Unreadable("Group".into()));
    }
    let members = match get_ci(doc, "members") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list.iter().map(|m| member_id(m).ok_or_else(|| Unreadable("members".into()))).collect::<Result<_, _>>()?,
        Some(_) => return Err(Unreadable("members".into())),
    };
    Ok(GroupChange { name: text(doc, "displayName").unwrap_or_default(), external_id: text(doc, "externalId"), members })
}

/// The attributes a client may name in a PATCH path, for each resource type, and whether
/// it may change them.
pub(crate) fn writable(resource: &str, attr: &str) -> Option<bool> {
    let user = [("username", true), ("name", true), ("displayname", false), ("title", true), ("emails", true), ("active", true), ("externalid", true),
        ("groups", false), ("id", false), ("meta", false), ("schemas", false)];
    let group = [("displayname", true), ("members", true), ("externalid", true), ("id", false), ("meta", false), ("schemas", false)];
    let list: &[(&str, bool)] = if resource == "User" { &user } else { &group };
    list.iter().find(|(a, _)| *a == attr).map(|(_, w)| *w)
}
