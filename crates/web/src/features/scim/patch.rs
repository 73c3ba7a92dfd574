//! SCIM PATCH (RFC 7644 §3.5.2): `add`, `remove` and `replace` applied to the resource's
//! JSON, which then goes through the same replacement as a PUT. So a PATCH meets every rule
//! a PUT meets, and a PATCH of several operations is whole or nothing.

use serde_json::{Map, Value};

use super::filter::{AttrPath, Filter, Op, get_ci};
use super::schema::writable;

/// Why a PATCH cannot apply: the SCIM error type and what it is about.
#[derive(Debug, PartialEq)]
pub(crate) enum PatchError {
    Syntax(String),
    Path(String),
    NoTarget(String),
    Mutability(String),
    Filter(String),
}

/// A path: an attribute, a filter on its values, a sub-attribute.
struct PatchPath {
    attr: String,
    filter: Option<Filter>,
    sub: Option<String>,
}

fn parse_path(raw: &str) -> Result<PatchPath, PatchError> {
    let bad = || PatchError::Path(raw.to_string());
    if let Some(open) = raw.find('[') {
        let close = raw.rfind(']').ok_or_else(bad)?;
        if close < open {
            return Err(bad());
        }
        let head = AttrPath::parse(&raw[..open]).ok_or_else(bad)?;
        if head.sub.is_some() {
            return Err(bad());
        }
        let filter = Filter::parse(&raw[open + 1..close]).map_err(PatchError::Filter)?;
        let rest = raw[close + 1..].trim();
        let sub = match rest.strip_prefix('.') {
            Some(s) if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '$') => Some(s.to_ascii_lowercase()),
            Some(_) => return Err(bad()),
            None if rest.is_empty() => None,
            None => return Err(bad()),
        };
        return Ok(PatchPath { attr: head.attr, filter: Some(filter), sub });
    }
    let p = AttrPath::parse(raw).ok_or_else(bad)?;
    Ok(PatchPath { attr: p.attr, filter: None, sub: p.sub })
}

/// The canonical spelling of an attribute, for the keys this module writes.
fn canonical(attr: &str) -> String {
    match attr {
        "username" => "userName",
        "displayname" => "displayName",
        "externalid" => "externalId",
        "givenname" => "givenName",
        "familyname" => "familyName",
        "emails" => "emails",
        "members" => "members",
        other => other,
    }
    .to_string()
}

fn obj(v: &mut Value) -> &mut Map<String, Value> {
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    match v {
        Value::Object(m) => m,
        _ => unreachable!("made an object above"),
    }
}

/// The member named `name` (letter case aside), created as `Null` when absent.
fn slot<'a>(doc: &'a mut Value, name: &str) -> &'a mut Value {
    let m = obj(doc);
    let key = m.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned().unwrap_or_else(|| canonical(name));
    m.entry(key).or_insert(Value::Null)
}

fn remove_key(doc: &mut Value, name: &str) {
    if let Value::Object(m) = doc {
        m.retain(|k, _| !k.eq_ignore_ascii_case(name));
    }
}

/// Apply the PATCH request `body` to the resource `doc` (of type `resource`).
pub(crate) fn apply(doc: &mut Value, body: &Value, resource: &str) -> Result<(), PatchError> {
    let ops = match get_ci(body, "Operations") {
        Some(Value::Array(ops)) if !ops.is_empty() => ops,
        _ => return Err(PatchError::Syntax("Operations".into())),
    };
    for op in ops {
        let name = get_ci(op, "op").and_then(Value::as_str).map(str::to_ascii_lowercase).ok_or_else(|| PatchError::Syntax("op".into()))?;
        let value = get_ci(op, "value").cloned();
        let path = get_ci(op, "path").and_then(Value::as_str).map(str::trim).filter(|p| !p.is_empty());
        match (name.as_str(), path) {
            ("add" | "replace", None) => {
                let Some(Value::Object(values)) = value else {
                    return Err(PatchError::Syntax("value".into()));
                };
                for (k, v) in values {
                    // Attributes Habilis does not keep, or that nobody writes, are left
                    // aside here as in a PUT: a client may send back what it read.
                    let Some(p) = AttrPath::parse(&k) else { continue };
                    if writable(resource, &p.attr) != Some(true) {
                        continue;
                    }
                    let single = resource == "User" && p.attr == "emails";
                    let path = PatchPath { attr: p.attr, filter: None, sub: p.sub };
                    if name == "add" && !single { add(doc, &path, v)? } else if single { replace(doc, &path, as_list(v))? } else { replace(doc, &path, v)? }
                }
            }
            ("remove", None) => return Err(PatchError::NoTarget("path".into())),
            (verb @ ("add" | "replace" | "remove"), Some(raw)) => {
                let path = parse_path(raw)?;
                match writable(resource, &path.attr) {
                    // An attribute Habilis does not keep (a directory's default mappings
                    // send phone numbers, addresses, enterprise attributes…), or a person's
                    // display name, which is made of their name: left aside, as in a PUT.
                    None => continue,
                    Some(false) if resource == "User" && path.attr == "displayname" => continue,
                    Some(false) => return Err(PatchError::Mutability(raw.to_string())),
                    Some(true) => {}
                }
                // Habilis keeps one address: adding one replaces it.
                let single = resource == "User" && path.attr == "emails" && path.filter.is_none() && path.sub.is_none();
                match verb {
                    "add" if single => replace(doc, &path, as_list(value.ok_or_else(|| PatchError::Syntax("value".into()))?))?,
                    "add" => add(doc, &path, value.ok_or_else(|| PatchError::Syntax("value".into()))?)?,
                    "replace" => replace(doc, &path, value.ok_or_else(|| PatchError::Syntax("value".into()))?)?,
                    _ => remove(doc, &path, value)?,
                }
            }
            _ => return Err(PatchError::Syntax(format!("op {name}"))),
        }
    }
    Ok(())
}

fn add(doc: &mut Value, p: &PatchPath, value: Value) -> Result<(), PatchError> {
    if p.filter.is_some() {
        return with_filter(doc, p, value, true);
    }
    let target = slot(doc, &p.attr);
    match (&p.sub, target) {
        (None, target @ Value::Array(_)) => {
            let Value::Array(list) = target else { unreachable!("matched an array") };
            let new = match value {
                Value::Array(v) => v,
                one => vec![one],
            };
            let mut seen: std::collections::HashSet<String> = list.iter().map(identity).collect();
            for v in new {
                if seen.insert(identity(&v)) {
                    list.push(v);
                }
            }
        }
        (None, target) => merge_or_set(target, value),
        (Some(sub), target) => set_sub(target, sub, value),
    }
    Ok(())
}

fn replace(doc: &mut Value, p: &PatchPath, value: Value) -> Result<(), PatchError> {
    if p.filter.is_some() {
        return with_filter(doc, p, value, false);
    }
    let target = slot(doc, &p.attr);
    match &p.sub {
        None if !target.is_array() => merge_or_set(target, value),
        None => *target = value,
        Some(sub) => set_sub(target, sub, value),
    }
    Ok(())
}

/// A complex attribute given as an object keeps the sub-attributes the value does not
/// name (RFC 7644 §3.5.2.1, §3.5.2.3); anything else is set.
fn merge_or_set(target: &mut Value, value: Value) {
    match (target, value) {
        (t @ Value::Object(_), Value::Object(m)) => {
            for (k, v) in m {
                *slot(t, &k) = v;
            }
        }
        (t, v) => *t = v,
    }
}

/// One value given for a multi-valued attribute, as the list of it.
fn as_list(v: Value) -> Value {
    match v {
        Value::Array(_) | Value::Null => v,
        one => Value::Array(vec![one]),
    }
}

/// What tells two values of a multi-valued attribute apart: their `value`, or the whole.
fn identity(v: &Value) -> String {
    match get_ci(v, "value") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => v.to_string(),
    }
}

/// Set a sub-attribute: of the complex attribute, or of each of its values.
fn set_sub(target: &mut Value, sub: &str, value: Value) {
    match target {
        Value::Array(list) if !list.is_empty() => {
            for item in list {
                *slot(item, sub) = value.clone();
            }
        }
        other => *slot(other, sub) = value,
    }
}

/// `add` or `replace` on the values a filter selects. An `add` that selects nothing, with
/// an equality filter, adds the value it describes (`emails[type eq "work"].value`).
fn with_filter(doc: &mut Value, p: &PatchPath, value: Value, is_add: bool) -> Result<(), PatchError> {
    let Some(filter) = &p.filter else { return Ok(()) };
    let target = slot(doc, &p.attr);
    if !target.is_array() {
        *target = Value::Array(Vec::new());
    }
    let Value::Array(list) = target else { unreachable!("made an array above") };
    let mut hit = false;
    for item in list.iter_mut().filter(|i| filter.matches(i)) {
        hit = true;
        match (&p.sub, &value) {
            (Some(sub), v) => *slot(item, sub) = v.clone(),
            (None, Value::Object(m)) => {
                for (k, v) in m {
                    *slot(item, k) = v.clone();
                }
            }
            (None, v) => *item = v.clone(),
        }
    }
    if hit {
        return Ok(());
    }
    match (is_add, filter) {
        (true, Filter::Compare(a, Op::Eq, v)) if a.sub.is_none() => {
            let mut item = Value::Object(Map::new());
            *slot(&mut item, &a.attr) = v.clone();
            match (&p.sub, value) {
                (Some(sub), v) => *slot(&mut item, sub) = v,
                (None, Value::Object(m)) => {
                    for (k, v) in m {
                        *slot(&mut item, &k) = v;
                    }
                }
                (None, _) => return Err(PatchError::NoTarget(p.attr.clone())),
            }
            list.push(item);
            Ok(())
        }
        _ => Err(PatchError::NoTarget(p.attr.clone())),
    }
}

fn remove(doc: &mut Value, p: &PatchPath, value: Option<Value>) -> Result<(), PatchError> {
    match (&p.filter, &p.sub) {
        (None, None) => {
            // `members` with a list of values to take out (as some directories send it).
            if let Some(Value::Array(gone)) = value
                && let Some(Value::Array(list)) = get_ci_mut(doc, &p.attr)
            {
                let gone: std::collections::HashSet<String> = gone.iter().map(identity).collect();
                list.retain(|x| !gone.contains(&identity(x)));
                return Ok(());
            }
            remove_key(doc, &p.attr);
        }
        (None, Some(sub)) => match get_ci_mut(doc, &p.attr) {
            Some(Value::Array(list)) => list.iter_mut().for_each(|i| remove_key(i, sub)),
            Some(v) => remove_key(v, sub),
            None => {}
        },
        (Some(f), sub) => {
            if let Some(Value::Array(list)) = get_ci_mut(doc, &p.attr) {
                match sub {
                    None => list.retain(|i| !f.matches(i)),
                    Some(s) => list.iter_mut().filter(|i| f.matches(i)).for_each(|i| remove_key(i, s)),
                }
            }
        }
    }
    Ok(())
}

fn get_ci_mut<'a>(doc: &'a mut Value, name: &str) -> Option<&'a mut Value> {
    doc.as_object_mut()?.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patch(doc: &mut Value, ops: Value) -> Result<(), PatchError> {
        apply(doc, &json!({"schemas": [super::super::schema::PATCH_OP], "Operations": ops}), "User")
    }

    #[test]
    fn operations_change_the_json_as_the_rfc_says() {
        let mut u = json!({"userName": "mons.x", "name": {"givenName": "A", "familyName": "B"}, "emails": [{"value": "a@b.fr", "type": "work"}], "active": true});
        patch(&mut u, json!([
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "add", "path": "title", "value": "Agent"},
            {"op": "replace", "path": "name.familyName", "value": "C"},
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "c@d.fr"},
            {"op": "replace", "value": {"externalId": "42", "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName": "Z", "unknown": 1}},
        ])).unwrap();
        assert_eq!(u["active"], "False");
        assert_eq!(u["title"], "Agent");
        assert_eq!(u["name"]["familyName"], "C");
        assert_eq!(u["name"]["givenName"], "Z");
        assert_eq!(u["emails"][0]["value"], "c@d.fr");
        assert_eq!(u["externalId"], "42");
        assert!(u.get("unknown").is_none());
        patch(&mut u, json!([{"op": "remove", "path": "title"}])).unwrap();
        assert!(u.get("title").is_none());

        let mut g = json!({"displayName": "G", "members": [{"value": "1"}, {"value": "2"}]});
        let group = |doc: &mut Value, ops: Value| apply(doc, &json!({"Operations": ops}), "Group");
        group(&mut g, json!([{"op": "add", "path": "members", "value": [{"value": "2"}, {"value": "3"}]}])).unwrap();
        assert_eq!(g["members"].as_array().unwrap().len(), 3);
        group(&mut g, json!([{"op": "remove", "path": "members[value eq \"1\"]"}])).unwrap();
        group(&mut g, json!([{"op": "remove", "path": "members", "value": [{"value": "3"}]}])).unwrap();
        assert_eq!(g["members"], json!([{"value": "2"}]));

        assert_eq!(patch(&mut u, json!([{"op": "replace", "path": "groups", "value": []}])), Err(PatchError::Mutability("groups".into())));
        // What Habilis does not keep is left aside; a name given in part keeps the rest.
        let before = u.clone();
        patch(&mut u, json!([{"op": "replace", "path": "nickName", "value": "x"}, {"op": "add", "path": "phoneNumbers[type eq \"work\"].value", "value": "01"},
            {"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "RH"}, {"op": "replace", "path": "displayName", "value": "X"}])).unwrap();
        assert_eq!(u, before);
        patch(&mut u, json!([{"op": "replace", "value": {"name": {"givenName": "Y"}}}, {"op": "add", "path": "emails", "value": [{"value": "n@d.fr"}]}])).unwrap();
        assert_eq!((&u["name"]["givenName"], &u["name"]["familyName"]), (&json!("Y"), &json!("C")));
        assert_eq!(u["emails"], json!([{"value": "n@d.fr"}]), "one address: adding one replaces it");
        patch(&mut u, json!([{"op": "add", "path": "emails", "value": {"value": "o@d.fr"}}])).unwrap();
        assert_eq!(u["emails"], json!([{"value": "o@d.fr"}]), "one value given alone is a list of one");
        assert!(matches!(patch(&mut u, json!([{"op": "replace", "path": "emails[", "value": 1}])), Err(PatchError::Path(_))));
        assert_eq!(patch(&mut u, json!([{"op": "remove"}])), Err(PatchError::NoTarget("path".into())));
        assert!(matches!(patch(&mut u, json!([{"op": "move", "path": "title"}])), Err(PatchError::Syntax(_))));
        assert!(matches!(patch(&mut u, json!([{"op": "replace", "path": "emails[type eq]", "value": 1}])), Err(PatchError::Filter(_))));
        assert!(matches!(patch(&mut u, json!([{"op": "replace", "path": "emails[type eq \"home\"].value", "value": "x@y.fr"}])), Err(PatchError::NoTarget(_))));
        assert!(matches!(patch(&mut u, json!([])), Err(PatchError::Syntax(_))));
    }

    /// Whatever operations a client sends, applying them answers (never panics).
    #[test]
    fn any_operations_apply_or_are_refused_without_panicking() {
        let ops = ["add", "Remove", "replace", "move"];
        let paths = ["members", "members[value eq \"1\"]", "emails[type eq \"work\"].value", "name.givenName", "name", "title", "[", "a[b", "emails[].x", "groups", "", "urn:x:y:active"];
        let values = [json!(null), json!("x"), json!(1), json!([{"value": "1"}, "2", 3]), json!({"givenName": "G", "x": [1]}), json!([]), json!(true)];
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _ in 0..20_000 {
            let mut doc = json!({"userName": "mons.x", "name": {"givenName": "A"}, "emails": [{"value": "a@b.fr"}], "members": [{"value": "1"}], "title": ["odd"]});
            let count = next(4);
            let list: Vec<Value> = (0..count)
                .map(|_| {
                    let mut op = json!({"op": ops[next(ops.len())]});
                    if next(3) > 0 {
                        op["path"] = json!(paths[next(paths.len())]);
                    }
                    if next(3) > 0 {
                        op["value"] = values[next(values.len())].clone();
                    }
                    op
                })
                .collect();
            let resource = if next(2) == 0 { "User" } else { "Group" };
            let _ = apply(&mut doc, &json!({"Operations": list}), resource);
        }
    }
}
