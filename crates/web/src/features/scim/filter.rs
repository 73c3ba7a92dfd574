//! SCIM filters (RFC 7644 §3.4.2.2) and attribute paths (§3.5.2), read into a tree and
//! evaluated on a resource's JSON. Attribute names are compared without letter case, as
//! the RFC asks; string values too, but for `id` and `externalId` (caseExact).

use serde_json::Value;

/// An attribute path: `userName`, `name.givenName`, with any schema URN prefix removed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AttrPath {
    /// Lower-case attribute name.
    pub attr: String,
    /// Lower-case sub-attribute name.
    pub sub: Option<String>,
}

impl AttrPath {
    /// Read `[urn:…:]attr[.sub]`.
    pub(crate) fn parse(raw: &str) -> Option<AttrPath> {
        let raw = raw.trim();
        let local = if raw.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:")) { raw.rsplit(':').next()? } else { raw };
        let (attr, sub) = match local.split_once('.') {
            Some((a, s)) => (a, Some(s)),
            None => (local, None),
        };
        let ok = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$');
        if !ok(attr) || sub.is_some_and(|s| !ok(s)) {
            return None;
        }
        Some(AttrPath { attr: attr.to_ascii_lowercase(), sub: sub.map(str::to_ascii_lowercase) })
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

/// A filter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Filter {
    Compare(AttrPath, Op, Value),
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `emails[type eq "work"]`: some value of a multi-valued attribute matches.
    Values(AttrPath, Box<Filter>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    Word(String),
    Literal(Value),
}

fn tokens(s: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut it = s.char_indices().peekable();
    while let Some(&(start, c)) = it.peek() {
        let single = match c {
            '(' => Some(Tok::Open),
            ')' => Some(Tok::Close),
            '[' => Some(Tok::OpenBracket),
            ']' => Some(Tok::CloseBracket),
            _ => None,
        };
        if let Some(t) = single {
            out.push(t);
            it.next();
        } else if c.is_whitespace() {
            it.next();
        } else if c == '"' {
            it.next();
            let (mut end, mut escaped) = (None, false);
            for (i, ch) in it.by_ref() {
                if escaped {
                    escaped = false;
                } else if ch == '\\' {
                    escaped = true;
                } else if ch == '"' {
                    end = Some(i);
                    break;
                }
            }
            let text = end.and_then(|e| s.get(start..=e)).ok_or("guillemet non fermé / unclosed quote")?;
            let v: Value = serde_json::from_str(text).map_err(|_| format!("chaîne illisible / unreadable string {text}"))?;
            out.push(Tok::Literal(v));
        } else {
            let mut end = s.len();
            while let Some(&(i, ch)) = it.peek() {
                if ch.is_whitespace() || matches!(ch, '(' | ')' | '[' | ']' | '"') {
                    end = i;
                    break;
                }
                it.next();
            }
            out.push(Tok::Word(s.get(start..end).unwrap_or_default().to_string()));
        }
    }
    Ok(out)
}

/// The longest filter read, the deepest nesting and the most comparisons: a filter is a
/// directory's lookup, not a program (and the tree is walked recursively).
const MOST_CHARS: usize = 4096;
const MOST_DEPTH: usize = 16;
const MOST_TERMS: usize = 64;

struct Parser {
    toks: Vec<Tok>,
    at: usize,
    depth: usize,
    terms: usize,
}

impl Parser {
    fn peek_word(&self) -> Option<String> {
        match self.toks.get(self.at) {
            Some(Tok::Word(w)) => Some(w.to_ascii_lowercase()),
            _ => None,
        }
    }

    fn or(&mut self) -> Result<Filter, String> {
        let mut left = self.and()?;
        while self.peek_word().as_deref() == Some("or") {
            self.at += 1;
            let right = self.and()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, String> {
        let mut left = self.unary()?;
        while self.peek_word().as_deref() == Some("and") {
            self.at += 1;
            let right = self.unary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, String> {
        if self.peek_word().as_deref() == Some("not") && self.toks.get(self.at + 1) == Some(&Tok::Open) {
            self.at += 1;
            return Ok(Filter::Not(Box::new(self.group()?)));
        }
        if self.toks.get(self.at) == Some(&Tok::Open) {
            return self.group();
        }
        self.comparison()
    }

    fn group(&mut self) -> Result<Filter, String> {
        self.at += 1; // (
        self.depth += 1;
        if self.depth > MOST_DEPTH {
            return Err(format!("plus de {MOST_DEPTH} niveaux de parenthèses / more than {MOST_DEPTH} levels of parentheses"));
        }
        let f = self.or()?;
        self.depth -= 1;
        if self.toks.get(self.at) != Some(&Tok::Close) {
            return Err("parenthèse non fermée / unclosed parenthesis".into());
        }
        self.at += 1;
        Ok(f)
    }

    fn comparison(&mut self) -> Result<Filter, String> {
        self.terms += 1;
        if self.terms > MOST_TERMS {
            return Err(format!("plus de {MOST_TERMS} comparaisons / more than {MOST_TERMS} comparisons"));
        }
        let Some(Tok::Word(w)) = self.toks.get(self.at).cloned() else {
            return Err("attribut attendu / attribute expected".into());
        };
        self.at += 1;
        let path = AttrPath::parse(&w).ok_or_else(|| format!("attribut illisible / unreadable attribute {w}"))?;
        if self.toks.get(self.at) == Some(&Tok::OpenBracket) {
            self.at += 1;
            self.depth += 1;
            if self.depth > MOST_DEPTH {
                return Err(format!("plus de {MOST_DEPTH} niveaux de crochets / more than {MOST_DEPTH} levels of brackets"));
            }
            let inner = self.or()?;
            self.depth -= 1;
            if self.toks.get(self.at) != Some(&Tok::CloseBracket) {
                return Err("crochet non fermé / unclosed bracket".into());
            }
            self.at += 1;
            return Ok(Filter::Values(path, Box::new(inner)));
        }
        let op = self.peek_word().ok_or_else(|| format!("opérateur attendu après / operator expected after {w}"))?;
        self.at += 1;
        let op = match op.as_str() {
            "pr" => return Ok(Filter::Present(path)),
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "co" => Op::Co,
            "sw" => Op::Sw,
            "ew" => Op::Ew,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            other => return Err(format!("opérateur inconnu / unknown operator {other}")),
        };
        let value = match self.toks.get(self.at).cloned() {
            Some(Tok::Literal(v)) => v,
            Some(Tok::Word(w)) => match w.to_ascii_lowercase().as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                _ => serde_json::from_str::<serde_json::Number>(&w).map(Value::Number).map_err(|_| format!("valeur illisible / unreadable value {w}"))?,
            },
            _ => return Err("valeur attendue / value expected".into()),
        };
        self.at += 1;
        Ok(Filter::Compare(path, op, value))
    }
}

impl Filter {
    /// Read a filter; the error says what is wrong, in both languages.
    pub(crate) fn parse(s: &str) -> Result<Filter, String> {
        if s.chars().count() > MOST_CHARS {
            return Err(format!("plus de {MOST_CHARS} caractères / more than {MOST_CHARS} characters"));
        }
        let mut p = Parser { toks: tokens(s)?, at: 0, depth: 0, terms: 0 };
        if p.toks.is_empty() {
            return Err("filtre vide / empty filter".into());
        }
        let f = p.or()?;
        if p.at != p.toks.len() {
            return Err("texte en trop après le filtre / trailing text after the filter".into());
        }
        Ok(f)
    }

    /// Whether the resource (or a value of a multi-valued attribute) matches.
    pub(crate) fn matches(&self, doc: &Value) -> bool {
        match self {
            Filter::And(a, b) => a.matches(doc) && b.matches(doc),
            Filter::Or(a, b) => a.matches(doc) || b.matches(doc),
            Filter::Not(a) => !a.matches(doc),
            Filter::Present(p) => values_at(doc, p).iter().any(|v| !v.is_null() && v.as_str() != Some("") && v.as_array().is_none_or(|a| !a.is_empty())),
            Filter::Compare(p, op, want) => {
                let mut found = values_at(doc, p);
                // A person's login also reads without the organisation's prefix
                // (`martin` for `mons.martin`): what the directory sent at creation.
                let unprefixed;
                if p.attr == "username" && p.sub.is_none()
                    && let Some(rest) = found.first().and_then(|v| v.as_str()).and_then(|l| l.split_once('.')).map(|(_, r)| r.to_string())
                {
                    unprefixed = Value::String(rest);
                    found.push(&unprefixed);
                }
                if want.is_null() {
                    let absent = found.iter().all(|v| v.is_null());
                    return match op {
                        Op::Eq => absent,
                        Op::Ne => !absent,
                        _ => false,
                    };
                }
                let exact = matches!(p.attr.as_str(), "id" | "externalid") && p.sub.is_none();
                match op {
                    Op::Ne => !found.iter().any(|v| compare(v, Op::Eq, want, exact)),
                    _ => found.iter().any(|v| compare(v, *op, want, exact)),
                }
            }
            Filter::Values(p, inner) => {
                let Some(v) = get_ci(doc, &p.attr) else { return false };
                let items: Vec<&Value> = match v {
                    Value::Array(a) => a.iter().collect(),
                    other => vec![other],
                };
                items.iter().any(|item| match &p.sub {
                    Some(s) => get_ci(item, s).is_some_and(|x| inner.matches(x)),
                    None => inner.matches(item),
                })
            }
        }
    }
}

/// A member of an object by name, letter case aside.
pub(crate) fn get_ci<'a>(doc: &'a Value, name: &str) -> Option<&'a Value> {
    doc.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
}

/// The values a path designates: every value of a multi-valued attribute (its `value`
/// sub-attribute when no sub-attribute is named and the values are objects).
fn values_at<'a>(doc: &'a Value, p: &AttrPath) -> Vec<&'a Value> {
    let Some(v) = get_ci(doc, &p.attr) else { return Vec::new() };
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    items
        .into_iter()
        .filter_map(|item| match (&p.sub, item) {
            (Some(s), _) => get_ci(item, s),
            (None, Value::Object(_)) => get_ci(item, "value"),
            (None, _) => Some(item),
        })
        .collect()
}

fn compare(have: &Value, op: Op, want: &Value, exact: bool) -> bool {
    match (have, want) {
        (Value::String(h), Value::String(w)) => {
            let (h, w) = if exact { (h.clone(), w.clone()) } else { (h.to_lowercase(), w.to_lowercase()) };
            match op {
                Op::Eq => h == w,
                Op::Ne => h != w,
                Op::Co => h.contains(&w),
                Op::Sw => h.starts_with(&w),
                Op::Ew => h.ends_with(&w),
                Op::Gt => h > w,
                Op::Ge => h >= w,
                Op::Lt => h < w,
                Op::Le => h <= w,
            }
        }
        (Value::Bool(h), Value::Bool(w)) => match op {
            Op::Eq => h == w,
            Op::Ne => h != w,
            _ => false,
        },
        (Value::Bool(h), Value::String(w)) => match op {
            Op::Eq => w.eq_ignore_ascii_case(if *h { "true" } else { "false" }),
            _ => false,
        },
        (Value::Number(h), Value::Number(w)) => {
            let (h, w) = (h.as_f64().unwrap_or(f64::NAN), w.as_f64().unwrap_or(f64::NAN));
            match op {
                Op::Eq => h == w,
                Op::Ne => h != w,
                Op::Gt => h > w,
                Op::Ge => h >= w,
                Op::Lt => h < w,
                Op::Le => h <= w,
                _ => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_read_and_match_as_the_rfc_says() {
        let doc = json!({"userName": "Mons.Martin", "name": {"givenName": "Claire"}, "active": true,
            "emails": [{"value": "c.martin@mons.fr", "type": "work"}], "externalId": "AbC"});
        let yes = [
            r#"userName eq "mons.martin""#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "MONS.""#,
            r#"name.givenName co "lai" and active eq true"#,
            r#"emails[type eq "work" and value ew "@mons.fr"]"#,
            r#"emails co "martin""#,
            r#"not (userName eq "x") or title pr"#,
            r#"externalId eq "AbC""#,
            r#"title eq null"#,
        ];
        for f in yes {
            assert!(Filter::parse(f).unwrap().matches(&doc), "{f}");
        }
        let no = [r#"externalId eq "abc""#, r#"title pr"#, r#"active eq false"#, r#"userName eq "x" and active eq true"#];
        for f in no {
            assert!(!Filter::parse(f).unwrap().matches(&doc), "{f}");
        }
        for bad in ["", "userName", r#"userName zz "x""#, r#"(userName eq "x""#, r#"userName eq "x" foo"#, r#"userName eq "open"#, "é€ pr", "urn€ pr"] {
            assert!(Filter::parse(bad).is_err(), "{bad}");
        }
        // The login reads with or without its prefix, in negations too.
        assert!(Filter::parse(r#"userName eq "MARTIN""#).unwrap().matches(&doc));
        assert!(!Filter::parse(r#"userName ne "martin""#).unwrap().matches(&doc));
        assert!(!Filter::parse(r#"not (userName eq "martin")"#).unwrap().matches(&doc));
        // Hostile filters are refused before they cost anything.
        let deep = format!("{}userName pr{}", "(".repeat(20_000), ")".repeat(20_000));
        let long = vec!["userName pr"; 100].join(" or ");
        for bad in [deep.as_str(), long.as_str()] {
            assert!(Filter::parse(bad).is_err());
        }
        assert!(Filter::parse(&vec!["userName pr"; 60].join(" or ")).is_ok());
    }

    /// Whatever a client writes, reading and evaluating a filter answers (never panics):
    /// 50,000 texts drawn from the filter grammar's own pieces and stray characters.
    #[test]
    fn any_text_is_read_or_refused_without_panicking() {
        let pieces = ["userName", "emails", "name.givenName", "urn:ietf:params:scim:schemas:core:2.0:User:", "[", "]", "(", ")", " ", "eq", "ne", "co", "sw", "pr", "gt",
            "and", "or", "not", "\"", "\"x\"", "\\", "true", "null", "12", "-1e999", ".", "€", "é", "\u{0}", "value", "type"];
        let doc = serde_json::json!({"userName": "mons.a", "emails": [{"value": "a@b.fr", "type": "work"}], "name": {"givenName": "A"}});
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..50_000 {
            let n = (next() % 12) as usize;
            let text: String = (0..n).map(|_| pieces.get((next() % pieces.len() as u64) as usize).copied().unwrap_or("")).collect();
            if let Ok(f) = Filter::parse(&text) {
                let _ = f.matches(&doc);
            }
            let _ = AttrPath::parse(&text);
        }
    }
}
