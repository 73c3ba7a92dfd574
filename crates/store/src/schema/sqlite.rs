//! Reading the schema back from SQLite's catalogue (`sqlite_master` and the
//! table-valued pragmas). CHECK constraints are in no catalogue, so they are read from the
//! `CREATE TABLE` text.

use std::collections::BTreeMap;

use habilis_core::store::StoreResult;
use sqlx::SqlitePool;

use super::*;
use crate::map_err;

/// `pragma_foreign_key_list`: id, seq, table, from, to, on_update, on_delete.
type SqliteForeignKeyRow = (i64, i64, String, String, Option<String>, String, String);

pub(super) async fn sqlite_schema(p: &SqlitePool) -> StoreResult<Schema> {
    let mut c = p.acquire().await.map_err(map_err)?;
    let objects: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )
    .fetch_all(&mut *c)
    .await
    .map_err(map_err)?;
    let sql_of = |name: &str| objects.iter().find(|o| o.1 == name).and_then(|o| o.3.clone()).unwrap_or_default();

    let mut schema = Schema::default();
    for (kind, name, _, _) in &objects {
        if kind == "view" {
            schema.views.insert(name.clone());
        }
    }
    for (kind, name, _, create) in &objects {
        if kind != "table" || name == MIGRATIONS_TABLE {
            continue;
        }
        let mut t = Table::default();

        let cols: Vec<(i64, String, String, bool, Option<String>, i64)> =
            sqlx::query_as("SELECT cid, name, type, \"notnull\", dflt_value, pk FROM pragma_table_info($1) ORDER BY cid")
                .bind(name)
                .fetch_all(&mut *c)
                .await
                .map_err(map_err)?;
        let mut pk: Vec<(i64, String)> = Vec::new();
        for (position, (_, col, declared, notnull, default, in_pk)) in cols.into_iter().enumerate() {
            if in_pk > 0 {
                pk.push((in_pk, col.clone()));
            }
            let family = sqlite_family(&declared);
            t.columns.insert(col, Column { position, declared_type: declared, family, nullable: !notnull, default });
        }
        pk.sort();
        t.primary_key = pk.into_iter().map(|(_, col)| col).collect();

        let fks: Vec<SqliteForeignKeyRow> = sqlx::query_as(
            "SELECT id, seq, \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list($1) ORDER BY id, seq",
        )
        .bind(name)
        .fetch_all(&mut *c)
        .await
        .map_err(map_err)?;
        let mut by_id: BTreeMap<i64, (ForeignKey, bool)> = BTreeMap::new();
        for (id, _, references, from, to, on_update, on_delete) in fks {
            let (fk, implicit) = by_id.entry(id).or_insert_with(|| {
                let fk = ForeignKey { columns: Vec::new(), references, referenced_columns: Vec::new(), on_update, on_delete };
                (fk, false)
            });
            fk.columns.push(from);
            match to {
                Some(to) => fk.referenced_columns.push(to),
                // `REFERENCES t` without columns: t's primary key, filled in below.
                None => *implicit = true,
            }
        }
        for (mut fk, implicit) in by_id.into_values() {
            if implicit {
                let target: Vec<(String, i64)> =
                    sqlx::query_as("SELECT name, pk FROM pragma_table_info($1) WHERE pk > 0 ORDER BY pk")
                        .bind(&fk.references)
                        .fetch_all(&mut *c)
                        .await
                        .map_err(map_err)?;
                fk.referenced_columns = target.into_iter().map(|(col, _)| col).collect();
            }
            t.foreign_keys.push(fk);
        }

        let indexes: Vec<(String, bool, String, bool)> =
            sqlx::query_as("SELECT name, \"unique\", origin, partial FROM pragma_index_list($1)")
                .bind(name)
                .fetch_all(&mut *c)
                .await
                .map_err(map_err)?;
        for (index, unique, origin, partial) in indexes {
            let cols: Vec<(Option<String>,)> =
                sqlx::query_as("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                    .bind(&index)
                    .fetch_all(&mut *c)
                    .await
                    .map_err(map_err)?;
            let cols: Vec<String> = cols.into_iter().map(|(n,)| n.unwrap_or_else(|| EXPRESSION.to_string())).collect();
            match origin.as_str() {
                // Behind the primary key: described by `primary_key`.
                "pk" => {}
                // Behind a UNIQUE constraint.
                "u" => {
                    t.uniques.insert(cols);
                }
                // CREATE INDEX.
                _ => {
                    if unique && !partial {
                        t.uniques.insert(cols.clone());
                    }
                    let predicate = if partial { sqlite_index_predicate(&sql_of(&index)) } else { None };
                    t.indexes.insert(index, Index { columns: cols, unique, predicate });
                }
            }
        }

        t.checks = sqlite_checks(create.as_deref().unwrap_or_default(), &t.columns);
        t.triggers = objects
            .iter()
            .filter(|(kind, _, table, _)| kind == "trigger" && table == name)
            .map(|(_, trigger, _, _)| trigger.clone())
            .collect();
        schema.tables.insert(name.clone(), t);
    }
    Ok(finish(schema))
}

/// SQLite's declared type → family, after SQLite's own affinity rules
/// (<https://www.sqlite.org/datatype3.html#determination_of_column_affinity>), with the
/// names the product uses for booleans and UUIDs first.
pub(super) fn sqlite_family(declared: &str) -> TypeFamily {
    let upper = declared.trim().to_ascii_uppercase();
    let base = upper.split('(').next().unwrap_or_default().trim();
    match base {
        "BOOLEAN" | "BOOL" => TypeFamily::Boolean,
        "UUID" => TypeFamily::Uuid,
        _ if base.contains("INT") => TypeFamily::BigInt,
        _ if ["CHAR", "CLOB", "TEXT"].iter().any(|w| base.contains(w)) => TypeFamily::Text,
        _ if base.is_empty() || base.contains("BLOB") => TypeFamily::Blob,
        _ if ["REAL", "FLOA", "DOUB"].iter().any(|w| base.contains(w)) => TypeFamily::Real,
        _ => TypeFamily::Other(declared.trim().to_ascii_lowercase()),
    }
}

/// The CHECK constraints written in a `CREATE TABLE` text (SQLite keeps the text, columns
/// added later by `ALTER TABLE … ADD COLUMN` included).
pub(super) fn sqlite_checks(create: &str, columns: &BTreeMap<String, Column>) -> Vec<Check> {
    let toks = tokens(create, true);
    let by_lower: BTreeMap<String, &String> = columns.keys().map(|c| (c.to_ascii_lowercase(), c)).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some((start, _, tok)) = toks.get(i) {
        let opens = matches!(toks.get(i + 1), Some((_, _, Tok::Punct('('))));
        if !(opens && matches!(tok, Tok::Word(w) if w.eq_ignore_ascii_case("CHECK"))) {
            i += 1;
            continue;
        }
        // The condition: from the parenthesis after CHECK to the one that closes it.
        let mut depth = 0usize;
        let mut j = i + 1;
        let mut end = create.len();
        while let Some((_, e, t)) = toks.get(j) {
            match t {
                Tok::Punct('(') => depth += 1,
                Tok::Punct(')') => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = *e;
                        break;
                    }
                }
                _ => {}
            }
            j += 1;
        }
        let body = toks.get(i + 2..j).unwrap_or_default();
        let mut cols: Vec<String> = body
            .iter()
            .filter_map(|(_, _, t)| match t {
                Tok::Word(w) | Tok::Ident(w) => by_lower.get(&w.to_ascii_lowercase()).map(|c| (*c).clone()),
                _ => None,
            })
            .collect();
        cols.sort();
        cols.dedup();
        let definition = create.get(*start..end).unwrap_or_default().to_string();
        out.push(Check { columns: cols, literals: literals(body), definition });
        i = j + 1;
    }
    out
}

/// The `WHERE` condition of a `CREATE INDEX` text, if any.
pub(super) fn sqlite_index_predicate(create: &str) -> Option<String> {
    let toks = tokens(create, true);
    let mut depth = 0usize;
    for (_, end, t) in &toks {
        match t {
            Tok::Punct('(') => depth += 1,
            Tok::Punct(')') => depth = depth.saturating_sub(1),
            Tok::Word(w) if depth == 0 && w.eq_ignore_ascii_case("WHERE") => {
                return create.get(*end..).map(|s| s.trim().trim_end_matches(';').trim().to_string());
            }
            _ => {}
        }
    }
    None
}
