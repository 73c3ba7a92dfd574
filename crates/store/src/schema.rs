//! What the migrations built: a plain description of the database's schema, read back from
//! the catalogue of either backend, so that the two migration folders (hand-kept twins) can
//! be compared. Everything is sorted, so that two descriptions compare with `==` and print
//! in a stable order.
//!
//! Left out on both backends: sqlx's `_sqlx_migrations`; SQLite's own `sqlite_%` objects;
//! on PostgreSQL, anything outside the connection's `current_schema()` and the partitions
//! of a partitioned table (the monthly `traces_YYYYMM` and `traces_default`: the
//! partitioned parent stands for them).
//!
//! Each column's type is reduced to a [`TypeFamily`]; raw texts that the backends spell
//! differently (defaults, index predicates, CHECK definitions) are kept as each backend
//! prints them, for the caller to normalise.

use std::collections::{BTreeMap, BTreeSet};

use habilis_core::store::StoreResult;
use sqlx::{PgPool, SqlitePool};

use crate::{Db, Pool, map_err};

/// Tables and views of one database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    pub tables: BTreeMap<String, Table>,
    pub views: BTreeSet<String>,
}

/// One table (on PostgreSQL, a plain or a partitioned table).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub columns: BTreeMap<String, Column>,
    /// The primary key's columns, in key order; empty if the table has none.
    pub primary_key: Vec<String>,
    pub foreign_keys: Vec<ForeignKey>,
    /// Column lists the database keeps unique over the whole table: UNIQUE constraints and
    /// unique indexes without a predicate (the primary key is not repeated here).
    pub uniques: BTreeSet<Vec<String>>,
    /// Indexes made by `CREATE [UNIQUE] INDEX`, by name (not those behind a constraint).
    pub indexes: BTreeMap<String, Index>,
    pub checks: Vec<Check>,
    /// Names of the table's triggers (not PostgreSQL's internal ones).
    pub triggers: BTreeSet<String>,
}

/// One column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Place in the table, from 0 (dropped PostgreSQL columns do not count).
    pub position: usize,
    /// The type as the backend names it (`BLOB`, `uuid`, `bigint`…).
    pub declared_type: String,
    pub family: TypeFamily,
    pub nullable: bool,
    /// The default expression as the backend prints it.
    pub default: Option<String>,
}

/// A column type reduced to a family both backends share.
///
/// | family    | SQLite declared type                           | PostgreSQL type          |
/// |-----------|------------------------------------------------|--------------------------|
/// | `Text`    | containing CHAR, CLOB or TEXT                  | text, varchar, char      |
/// | `Integer` | —                                              | smallint, integer        |
/// | `BigInt`  | containing INT (SQLite integers are 64-bit)    | bigint                   |
/// | `Real`    | containing REAL, FLOA or DOUB                  | real, double precision   |
/// | `Boolean` | BOOLEAN, BOOL                                  | boolean                  |
/// | `Blob`    | BLOB, or no type                               | bytea                    |
/// | `Uuid`    | UUID                                           | uuid                     |
/// | `Other`   | anything else, lower-cased                     | anything else            |
///
/// SQLite has no UUID type: the product stores UUIDs in `BLOB` columns (sqlx encodes a
/// `uuid::Uuid` as 16 bytes there), which this description reports as `Blob`, as it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum TypeFamily {
    Text,
    Integer,
    BigInt,
    Real,
    Boolean,
    Blob,
    Uuid,
    Other(String),
}

impl std::fmt::Display for TypeFamily {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TypeFamily::Text => f.write_str("text"),
            TypeFamily::Integer => f.write_str("integer"),
            TypeFamily::BigInt => f.write_str("bigint"),
            TypeFamily::Real => f.write_str("real"),
            TypeFamily::Boolean => f.write_str("boolean"),
            TypeFamily::Blob => f.write_str("blob"),
            TypeFamily::Uuid => f.write_str("uuid"),
            TypeFamily::Other(t) => write!(f, "other({t})"),
        }
    }
}

/// A foreign key: `columns` of this table reference `referenced_columns` of `references`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub references: String,
    pub referenced_columns: Vec<String>,
    /// `NO ACTION`, `RESTRICT`, `CASCADE`, `SET NULL` or `SET DEFAULT`.
    pub on_update: String,
    pub on_delete: String,
}

/// An index made by `CREATE INDEX`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    /// Key columns in order; `<expression>` for an indexed expression.
    pub columns: Vec<String>,
    pub unique: bool,
    /// The `WHERE` of a partial index, as the backend prints it.
    pub predicate: Option<String>,
}

/// A CHECK constraint. The backends print the same condition differently (PostgreSQL
/// rewrites `x IN ('a', 'b')` as `x = ANY (ARRAY['a'::text, 'b'::text])`), so it is also
/// described by what survives the rewriting: the columns it reads and its literals.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Check {
    /// The table's columns the condition reads, sorted.
    pub columns: Vec<String>,
    /// The string and number literals in the condition, sorted.
    pub literals: Vec<String>,
    /// The condition as the backend prints it.
    pub definition: String,
}

/// sqlx's own bookkeeping table, not part of the product's schema.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// What an indexed expression is called in [`Index::columns`].
const EXPRESSION: &str = "<expression>";

impl Db {
    /// The schema as the database has it now (after [`Db::migrate`], what the migrations
    /// built). On PostgreSQL, only the connection's current schema.
    pub async fn schema(&self) -> StoreResult<Schema> {
        match &self.pool {
            Pool::Sqlite(p) => sqlite_schema(p).await,
            Pool::Postgres(p) => postgres_schema(p).await,
        }
    }
}

fn finish(mut schema: Schema) -> Schema {
    for t in schema.tables.values_mut() {
        t.foreign_keys.sort();
        t.checks.sort();
    }
    schema
}

// ---------------------------------------------------------------------------------------
// SQLite: `sqlite_master` and the table-valued pragmas. CHECK constraints are in no
// catalogue, so they are read from the `CREATE TABLE` text.

/// `pragma_foreign_key_list`: id, seq, table, from, to, on_update, on_delete.
type SqliteForeignKeyRow = (i64, i64, String, String, Option<String>, String, String);

async fn sqlite_schema(p: &SqlitePool) -> StoreResult<Schema> {
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
fn sqlite_family(declared: &str) -> TypeFamily {
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
fn sqlite_checks(create: &str, columns: &BTreeMap<String, Column>) -> Vec<Check> {
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
fn sqlite_index_predicate(create: &str) -> Option<String> {
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

// ---------------------------------------------------------------------------------------
// PostgreSQL: the `pg_catalog`, restricted to `current_schema()`.

/// The tables described: plain and partitioned tables of the current schema, not their
/// partitions, not sqlx's.
macro_rules! pg_tables {
    () => {
        "WITH t AS (SELECT c.oid, c.relname::text AS name FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
         AND c.relname <> '_sqlx_migrations') "
    };
}

/// A `pg_constraint` action code → its SQL words.
macro_rules! pg_action {
    ($col:literal) => {
        concat!(
            "CASE ", $col, " WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE' ",
            "WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' ELSE ", $col, "::text END"
        )
    };
}

/// Table, kind (p, u, f, c), columns, referenced table and columns, on update, on delete,
/// definition.
type PgConstraintRow = (String, String, Vec<String>, Option<String>, Vec<String>, String, String, String);

/// Table, index, unique, behind a constraint, key columns, predicate.
type PgIndexRow = (String, String, bool, bool, Vec<String>, Option<String>);

async fn postgres_schema(p: &PgPool) -> StoreResult<Schema> {
    let mut c = p.acquire().await.map_err(map_err)?;
    let mut schema = Schema::default();

    let tables: Vec<(String,)> = sqlx::query_as(concat!(pg_tables!(), "SELECT name FROM t"))
        .fetch_all(&mut *c)
        .await
        .map_err(map_err)?;
    for (name,) in tables {
        schema.tables.insert(name, Table::default());
    }

    let views: Vec<(String,)> = sqlx::query_as(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND c.relkind IN ('v', 'm')",
    )
    .fetch_all(&mut *c)
    .await
    .map_err(map_err)?;
    schema.views = views.into_iter().map(|(v,)| v).collect();

    let columns: Vec<(String, String, String, String, bool, Option<String>)> = sqlx::query_as(concat!(
        pg_tables!(),
        "SELECT t.name, a.attname::text, format_type(a.atttypid, a.atttypmod), ty.typname::text, a.attnotnull, \
         pg_get_expr(d.adbin, d.adrelid) \
         FROM t JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped \
         JOIN pg_type ty ON ty.oid = a.atttypid \
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         ORDER BY t.name, a.attnum"
    ))
    .fetch_all(&mut *c)
    .await
    .map_err(map_err)?;
    for (table, col, declared, typname, notnull, default) in columns {
        if let Some(t) = schema.tables.get_mut(&table) {
            let position = t.columns.len();
            let family = postgres_family(&typname, &declared);
            t.columns.insert(col, Column { position, declared_type: declared, family, nullable: !notnull, default });
        }
    }

    let constraints: Vec<PgConstraintRow> =
        sqlx::query_as(concat!(
            pg_tables!(),
            "SELECT t.name, con.contype::text, \
             ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(num, ord) \
                   JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.ord), \
             r.relname::text, \
             ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(num, ord) \
                   JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.ord), ",
            pg_action!("con.confupdtype"),
            ", ",
            pg_action!("con.confdeltype"),
            ", pg_get_constraintdef(con.oid) \
             FROM t JOIN pg_constraint con ON con.conrelid = t.oid \
             LEFT JOIN pg_class r ON r.oid = con.confrelid \
             WHERE con.contype IN ('p', 'u', 'f', 'c') \
             ORDER BY t.name, con.conname"
        ))
        .fetch_all(&mut *c)
        .await
        .map_err(map_err)?;
    for (table, kind, cols, references, referenced_columns, on_update, on_delete, definition) in constraints {
        let Some(t) = schema.tables.get_mut(&table) else { continue };
        match kind.as_str() {
            "p" => t.primary_key = cols,
            "u" => {
                t.uniques.insert(cols);
            }
            "f" => t.foreign_keys.push(ForeignKey {
                columns: cols,
                references: references.unwrap_or_default(),
                referenced_columns,
                on_update,
                on_delete,
            }),
            _ => {
                let mut cols = cols;
                cols.sort();
                cols.dedup();
                let literals = literals(&tokens(&definition, false));
                t.checks.push(Check { columns: cols, literals, definition });
            }
        }
    }

    let indexes: Vec<PgIndexRow> = sqlx::query_as(concat!(
        pg_tables!(),
        "SELECT t.name, ic.relname::text, i.indisunique, \
         i.indisprimary OR EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid \
                                   AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')), \
         ARRAY(SELECT COALESCE(a.attname::text, '<expression>') FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(num, ord) \
               LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.num \
               WHERE k.ord <= i.indnkeyatts ORDER BY k.ord), \
         pg_get_expr(i.indpred, i.indrelid) \
         FROM t JOIN pg_index i ON i.indrelid = t.oid JOIN pg_class ic ON ic.oid = i.indexrelid"
    ))
    .fetch_all(&mut *c)
    .await
    .map_err(map_err)?;
    for (table, index, unique, behind_constraint, cols, predicate) in indexes {
        let Some(t) = schema.tables.get_mut(&table) else { continue };
        // Indexes behind a constraint are described by the constraint.
        if behind_constraint {
            continue;
        }
        if unique && predicate.is_none() {
            t.uniques.insert(cols.clone());
        }
        t.indexes.insert(index, Index { columns: cols, unique, predicate });
    }

    let triggers: Vec<(String, String)> = sqlx::query_as(concat!(
        pg_tables!(),
        "SELECT t.name, tg.tgname::text FROM t JOIN pg_trigger tg ON tg.tgrelid = t.oid WHERE NOT tg.tgisinternal"
    ))
    .fetch_all(&mut *c)
    .await
    .map_err(map_err)?;
    for (table, trigger) in triggers {
        if let Some(t) = schema.tables.get_mut(&table) {
            t.triggers.insert(trigger);
        }
    }
    Ok(finish(schema))
}

/// PostgreSQL's type (`pg_type.typname`) → family.
fn postgres_family(typname: &str, declared: &str) -> TypeFamily {
    match typname {
        "text" | "varchar" | "bpchar" => TypeFamily::Text,
        "int2" | "int4" => TypeFamily::Integer,
        "int8" => TypeFamily::BigInt,
        "float4" | "float8" => TypeFamily::Real,
        "bool" => TypeFamily::Boolean,
        "bytea" => TypeFamily::Blob,
        "uuid" => TypeFamily::Uuid,
        _ => TypeFamily::Other(declared.to_string()),
    }
}

// ---------------------------------------------------------------------------------------
// A small SQL tokenizer, enough to find CHECK conditions and index predicates in SQLite's
// `CREATE` texts and the literals in both backends' conditions.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// A bare word: keyword or unquoted identifier.
    Word(String),
    /// A quoted identifier ("x", `x`, and on SQLite [x]).
    Ident(String),
    /// A string literal, unquoted.
    Str(String),
    Num(String),
    Punct(char),
}

/// The tokens of `sql` with their byte ranges; comments and spaces dropped. `brackets`:
/// `[x]` quotes an identifier (SQLite), rather than being punctuation (PostgreSQL arrays).
fn tokens(sql: &str, brackets: bool) -> Vec<(usize, usize, Tok)> {
    let mut out = Vec::new();
    let mut it = sql.char_indices().peekable();
    while let Some((start, ch)) = it.next() {
        let next = it.peek().map(|&(_, c)| c);
        let tok = match ch {
            c if c.is_whitespace() => continue,
            '-' if next == Some('-') => {
                for (_, c) in it.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                continue;
            }
            '/' if next == Some('*') => {
                it.next();
                let mut prev = ' ';
                for (_, c) in it.by_ref() {
                    if prev == '*' && c == '/' {
                        break;
                    }
                    prev = c;
                }
                continue;
            }
            '\'' => Tok::Str(quoted(&mut it, '\'')),
            '"' => Tok::Ident(quoted(&mut it, '"')),
            '`' => Tok::Ident(quoted(&mut it, '`')),
            '[' if brackets => Tok::Ident(quoted(&mut it, ']')),
            c if c.is_ascii_digit() => {
                let mut s = String::from(c);
                while let Some(&(_, c)) = it.peek() {
                    if !(c.is_ascii_alphanumeric() || c == '.') {
                        break;
                    }
                    s.push(c);
                    it.next();
                }
                Tok::Num(s)
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut s = String::from(c);
                while let Some(&(_, c)) = it.peek() {
                    if !(c.is_alphanumeric() || c == '_' || c == '$') {
                        break;
                    }
                    s.push(c);
                    it.next();
                }
                Tok::Word(s)
            }
            c => Tok::Punct(c),
        };
        let end = it.peek().map_or(sql.len(), |&(i, _)| i);
        out.push((start, end, tok));
    }
    out
}

/// The rest of a quoted token, after its opening quote; a doubled quote stands for itself.
fn quoted(it: &mut std::iter::Peekable<std::str::CharIndices<'_>>, close: char) -> String {
    let mut s = String::new();
    while let Some((_, c)) = it.next() {
        if c == close {
            if close != ']' && it.peek().map(|&(_, c)| c) == Some(close) {
                it.next();
                s.push(c);
                continue;
            }
            break;
        }
        s.push(c);
    }
    s
}

/// The string and number literals among `toks`, sorted.
fn literals(toks: &[(usize, usize, Tok)]) -> Vec<String> {
    let mut out: Vec<String> = toks
        .iter()
        .filter_map(|(_, _, t)| match t {
            Tok::Str(s) | Tok::Num(s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(position: usize) -> Column {
        Column { position, declared_type: "TEXT".into(), family: TypeFamily::Text, nullable: false, default: None }
    }

    #[test]
    fn checks_are_found_in_create_table_text() {
        let sql = "CREATE TABLE g (\n  -- a CHECK (in a comment) is not one\n  kind TEXT CHECK (kind IN ('a', 'it''s')),\n  \"Check\" TEXT,\n  n INTEGER CHECK (n IS NULL OR (n >= 0)),\n  CONSTRAINT both CHECK ((kind IS NULL) <> (\"Check\" IS NULL))\n)";
        let columns: BTreeMap<String, Column> = [("kind".to_string(), col(0)), ("Check".to_string(), col(1)), ("n".to_string(), col(2))].into();
        let checks = sqlite_checks(sql, &columns);
        assert_eq!(checks.len(), 3, "{checks:?}");
        assert_eq!(checks[0].columns, ["kind"]);
        assert_eq!(checks[0].literals, ["a", "it's"]);
        assert_eq!(checks[0].definition, "CHECK (kind IN ('a', 'it''s'))");
        assert_eq!(checks[1].columns, ["n"]);
        assert_eq!(checks[1].literals, ["0"]);
        assert_eq!(checks[2].columns, ["Check", "kind"]);
    }

    #[test]
    fn postgres_literals_survive_its_rewriting() {
        let def = "CHECK ((kind = ANY (ARRAY['national'::text, 'caisse'::text])))";
        assert_eq!(literals(&tokens(def, false)), ["caisse", "national"]);
    }

    #[test]
    fn index_predicates_are_found() {
        assert_eq!(
            sqlite_index_predicate("CREATE INDEX o ON outbox(next_attempt_at) WHERE status = 'pending'").as_deref(),
            Some("status = 'pending'")
        );
        assert_eq!(sqlite_index_predicate("CREATE INDEX o ON outbox(next_attempt_at)"), None);
    }

    #[test]
    fn sqlite_types_follow_affinity() {
        assert_eq!(sqlite_family("INTEGER"), TypeFamily::BigInt);
        assert_eq!(sqlite_family("bigint"), TypeFamily::BigInt);
        assert_eq!(sqlite_family("VARCHAR(20)"), TypeFamily::Text);
        assert_eq!(sqlite_family("BLOB"), TypeFamily::Blob);
        assert_eq!(sqlite_family(""), TypeFamily::Blob);
        assert_eq!(sqlite_family("BOOLEAN"), TypeFamily::Boolean);
        assert_eq!(sqlite_family("DATE"), TypeFamily::Other("date".into()));
    }
}
