//! The two migration folders, `migrations/sqlite` and `migrations/postgres`, are hand-kept
//! twins: after all migrations both databases must define the same schema — tables,
//! columns (order, type family, nullability, default), primary keys, foreign keys (with
//! their actions), unique constraints and unique indexes, named indexes (columns,
//! uniqueness, predicate), CHECK constraints (per table: the columns each reads and its
//! literals), triggers and views.
//!
//! Each schema is flattened into "facts" (`key → value`), normalised where the backends
//! legitimately spell the same thing differently (see [`facts`]), and the two sets are
//! compared; the few differences that are there by design are listed, with their reason,
//! in [`BY_DESIGN`] and must be there exactly as listed.
//!
//! Without `HABILIS_TEST_DATABASE_URL` only SQLite's schema is checked (see [`sane`]).

use std::collections::BTreeMap;

use habilis_core::store::Store;
use habilis_core::trace::TraceKey;
use habilis_store::testing::{fresh, postgres_url};
use habilis_store::{Backend, Schema, TypeFamily};
use time::OffsetDateTime;

/// Tables the product cannot work without; a schema missing one is not the product's.
const CORE_TABLES: &[&str] = &[
    "installation",
    "organisations",
    "accounts",
    "account_roles",
    "sessions",
    "services",
    "service_roles",
    "grants",
    "mandates",
    "traces",
    "trace_heads",
    "trace_checkpoints",
];

/// Differences between the twins that are there by design: the fact's key, its value on
/// SQLite and on PostgreSQL (`None`: absent on that side), and why. Each must be found
/// exactly so (a changed or vanished difference fails the test, so that this list does
/// not rot).
const BY_DESIGN: &[(&str, Option<&str>, Option<&str>, &str)] = &[
    (
        "primary key traces",
        Some("(chain_id, seq)"),
        Some("(chain_id, seq, at)"),
        "PostgreSQL partitions `traces` by month of `at` (postgres/0006_trail_at_scale.sql), and the \
         primary key of a partitioned table must include the partition key",
    ),
];

/// One side's schema as `key → value` facts, normalised so that what means the same on
/// both backends reads the same:
///
/// * type families: `uuid` (PostgreSQL) and `blob` (SQLite's UUID and byte columns, and
///   PostgreSQL's `bytea`) are both `blob|uuid`, since SQLite has no UUID type and the
///   product stores UUIDs there as 16-byte blobs; every other family must match as is
///   (`bigint` is SQLite's `INTEGER`, always 64-bit, and PostgreSQL's `BIGINT`; a
///   PostgreSQL `INTEGER` is the 32-bit `integer` and would not match);
/// * on SQLite a primary-key column counts as NOT NULL: in SQLite, unlike PostgreSQL, a
///   PRIMARY KEY that is not `INTEGER PRIMARY KEY` does not imply NOT NULL (a legacy
///   quirk, <https://www.sqlite.org/lang_createtable.html#the_primary_key>), and the
///   twins mean the PostgreSQL behaviour;
/// * defaults and index predicates: lower case, without PostgreSQL's `::type` casts and
///   parentheses, spaces collapsed (`(status = 'pending'::text)` is `status = 'pending'`);
/// * CHECK constraints: the columns each reads and its literals, not its text, which
///   PostgreSQL rewrites (`x IN ('a', 'b')` becomes `x = ANY (ARRAY['a'::text, …])`).
///
/// Constraint names are not compared (SQLite names them `sqlite_autoindex_…`); index names
/// are.
fn facts(s: &Schema, backend: Backend) -> BTreeMap<String, String> {
    let mut f = BTreeMap::new();
    for name in &s.views {
        f.insert(format!("view {name}"), String::new());
    }
    for (t, table) in &s.tables {
        f.insert(format!("table {t}"), String::new());
        let mut order: Vec<(&usize, &String)> = table.columns.iter().map(|(c, col)| (&col.position, c)).collect();
        order.sort();
        f.insert(format!("column order {t}"), order.iter().map(|(_, c)| c.as_str()).collect::<Vec<_>>().join(", "));
        for (c, col) in &table.columns {
            let family = match &col.family {
                TypeFamily::Uuid | TypeFamily::Blob => "blob|uuid".to_string(),
                other => other.to_string(),
            };
            let in_pk = table.primary_key.contains(c);
            let nullable = col.nullable && !(backend == Backend::Sqlite && in_pk);
            let mut v = format!("{family} {}", if nullable { "null" } else { "not null" });
            if let Some(d) = &col.default {
                v.push_str(&format!(" default {}", normalise(d)));
            }
            f.insert(format!("column {t}.{c}"), v);
        }
        if !table.primary_key.is_empty() {
            f.insert(format!("primary key {t}"), format!("({})", table.primary_key.join(", ")));
        }
        for fk in &table.foreign_keys {
            f.insert(
                format!("foreign key {t} ({})", fk.columns.join(", ")),
                format!(
                    "references {} ({}) on update {} on delete {}",
                    fk.references,
                    fk.referenced_columns.join(", "),
                    fk.on_update.to_lowercase(),
                    fk.on_delete.to_lowercase()
                ),
            );
        }
        for u in &table.uniques {
            f.insert(format!("unique {t} ({})", u.join(", ")), String::new());
        }
        for (name, ix) in &table.indexes {
            let mut v = format!("on {t} ({})", ix.columns.join(", "));
            if ix.unique {
                v.push_str(" unique");
            }
            if let Some(p) = &ix.predicate {
                v.push_str(&format!(" where {}", normalise(p)));
            }
            f.insert(format!("index {name}"), v);
        }
        // Several checks may read the same columns: number them (both sides sort them alike).
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for ch in &table.checks {
            let cols = ch.columns.join(", ");
            let n = seen.entry(cols.clone()).or_default();
            *n += 1;
            let key = if *n == 1 { format!("check {t} on ({cols})") } else { format!("check {t} on ({cols}) #{n}") };
            f.insert(key, format!("literals [{}]", ch.literals.join(", ")));
        }
        for tg in &table.triggers {
            f.insert(format!("trigger {t}.{tg}"), String::new());
        }
    }
    f
}

/// An SQL expression in a comparable spelling (see [`facts`]).
fn normalise(expr: &str) -> String {
    let mut out = String::new();
    let mut chars = expr.chars().peekable();
    let mut in_str = false;
    while let Some(c) = chars.next() {
        if in_str {
            out.push(c);
            in_str = c != '\'';
            continue;
        }
        match c {
            '\'' => {
                in_str = true;
                out.push(c);
            }
            // A PostgreSQL cast: `::type` or `::character varying`; drop the type name.
            ':' if chars.peek() == Some(&':') => {
                chars.next();
                while chars.peek().is_some_and(|c| c.is_alphanumeric() || *c == '_' || *c == ' ') {
                    if chars.peek() == Some(&' ') {
                        // Only multi-word type names go on past a space.
                        let rest: String = chars.clone().collect();
                        if !rest.trim_start().starts_with("varying") && !rest.trim_start().starts_with("precision") {
                            break;
                        }
                    }
                    chars.next();
                }
            }
            '(' | ')' => out.push(' '),
            c => out.extend(c.to_lowercase()),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What is wrong with one schema on its own: empty, a core table missing, a key or index
/// naming a column that does not exist, a foreign key whose target is not a table's
/// primary key or unique columns (SQLite then refuses every write, "foreign key mismatch")
/// or whose columns' type differs from the target's.
fn sane(s: &Schema) -> Vec<String> {
    let mut problems = Vec::new();
    if s.tables.is_empty() {
        problems.push("no tables at all".to_string());
    }
    for t in CORE_TABLES {
        if !s.tables.contains_key(*t) {
            problems.push(format!("core table {t} missing"));
        }
    }
    for (t, table) in &s.tables {
        if table.columns.is_empty() {
            problems.push(format!("{t} has no columns"));
        }
        if table.primary_key.is_empty() {
            problems.push(format!("{t} has no primary key"));
        }
        let named = |what: &str, cols: &[String], problems: &mut Vec<String>| {
            for c in cols {
                if c != "<expression>" && !table.columns.contains_key(c) {
                    problems.push(format!("{what} of {t} names a missing column {c}"));
                }
            }
        };
        named("the primary key", &table.primary_key, &mut problems);
        for u in &table.uniques {
            named("a unique constraint", u, &mut problems);
        }
        for (name, ix) in &table.indexes {
            named(&format!("index {name}"), &ix.columns, &mut problems);
        }
        for fk in &table.foreign_keys {
            let what = format!("foreign key {t} ({}) → {} ({})", fk.columns.join(", "), fk.references, fk.referenced_columns.join(", "));
            named(&what, &fk.columns, &mut problems);
            let Some(target) = s.tables.get(&fk.references) else {
                problems.push(format!("{what}: no table {}", fk.references));
                continue;
            };
            if fk.columns.len() != fk.referenced_columns.len() {
                problems.push(format!("{what}: not as many columns on both ends"));
            }
            for (c, r) in fk.columns.iter().zip(&fk.referenced_columns) {
                match (table.columns.get(c), target.columns.get(r)) {
                    (_, None) => problems.push(format!("{what}: {} has no column {r}", fk.references)),
                    (Some(from), Some(to)) if from.family != to.family => {
                        problems.push(format!("{what}: {c} is {} but {r} is {}", from.family, to.family))
                    }
                    _ => {}
                }
            }
            let keyed = target.primary_key == fk.referenced_columns || target.uniques.contains(&fk.referenced_columns);
            if !keyed {
                problems.push(format!("{what}: the target is neither a primary key nor unique"));
            }
        }
    }
    problems
}

/// A fresh database of `backend`, migrated, with its schema (on PostgreSQL with the trail's
/// monthly partitions prepared, so that leaving them out is tested too).
async fn migrated_schema(backend: Backend) -> Schema {
    let db = fresh(backend, TraceKey::generate()).await.unwrap();
    let made = db.prepare_trace_partitions(OffsetDateTime::now_utc(), 2).await.unwrap();
    if backend == Backend::Postgres {
        assert_eq!(made, 3, "this month's partition and the next two");
    }
    let schema = db.schema().await.unwrap();
    db.close().await;
    let problems = sane(&schema);
    assert!(problems.is_empty(), "{backend:?} schema:\n  {}", problems.join("\n  "));
    if backend == Backend::Postgres {
        let partitions: Vec<&String> = schema.tables.keys().filter(|t| t.starts_with("traces_")).collect();
        assert!(partitions.is_empty(), "partitions of traces described as tables: {partitions:?}");
    }
    schema
}

#[tokio::test]
async fn sqlite_and_postgres_migrations_define_the_same_schema() {
    let sqlite = migrated_schema(Backend::Sqlite).await;
    if postgres_url().is_none() {
        eprintln!("HABILIS_TEST_DATABASE_URL not set: only the SQLite schema was checked, not compared");
        return;
    }
    let postgres = migrated_schema(Backend::Postgres).await;
    let (mut s, mut p) = (facts(&sqlite, Backend::Sqlite), facts(&postgres, Backend::Postgres));

    let mut problems = Vec::new();
    for (key, on_sqlite, on_postgres, why) in BY_DESIGN {
        let found = (s.remove(*key), p.remove(*key));
        let expected = (on_sqlite.map(str::to_string), on_postgres.map(str::to_string));
        if found != expected {
            problems.push(format!(
                "by-design difference {key:?} ({why}) is no longer as listed: SQLite {:?}, PostgreSQL {:?}, listed {:?}, {:?}",
                found.0, found.1, expected.0, expected.1
            ));
        }
    }

    let only = |a: &BTreeMap<String, String>, b: &BTreeMap<String, String>| -> Vec<String> {
        a.iter().filter(|(k, _)| !b.contains_key(*k)).map(|(k, v)| format!("    {k}{}{v}", if v.is_empty() { "" } else { ": " })).collect()
    };
    let only_sqlite = only(&s, &p);
    let only_postgres = only(&p, &s);
    let differ: Vec<String> = s
        .iter()
        .filter_map(|(k, v)| p.get(k).filter(|w| *w != v).map(|w| format!("    {k}:\n        SQLite:     {v}\n        PostgreSQL: {w}")))
        .collect();
    for (title, lines) in [
        ("only in SQLite (migrations/sqlite)", only_sqlite),
        ("only in PostgreSQL (migrations/postgres)", only_postgres),
        ("different", differ),
    ] {
        if !lines.is_empty() {
            problems.push(format!("{title}:\n{}", lines.join("\n")));
        }
    }
    assert!(
        problems.is_empty(),
        "the SQLite and PostgreSQL migrations define different schemas (types and expressions normalised as in \
         tests/contract/schema.rs):\n{}",
        problems.join("\n")
    );
}

#[test]
fn expressions_normalise_alike() {
    assert_eq!(normalise("(status = 'pending'::text)"), normalise("status = 'pending'"));
    assert_eq!(normalise("(ended_at IS NULL)"), normalise("ended_at IS NULL"));
    assert_eq!(normalise("'A b'::character varying"), "'A b'");
    assert_eq!(normalise("FALSE"), normalise("false"));
}
