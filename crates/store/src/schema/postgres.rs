//! Reading the schema back from PostgreSQL's catalogue (`pg_catalog`, current schema only).


use habilis_core::store::StoreResult;
use sqlx::PgPool;

use super::*;
use crate::map_err;

/// Table, kind (p, u, f, c), columns, referenced table and columns, on update, on delete,
/// definition.
type PgConstraintRow = (String, String, Vec<String>, Option<String>, Vec<String>, String, String, String);

/// Table, index, unique, behind a constraint, key columns, predicate.
type PgIndexRow = (String, String, bool, bool, Vec<String>, Option<String>);

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

pub(super) async fn postgres_schema(p: &PgPool) -> StoreResult<Schema> {
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
pub(super) fn postgres_family(typname: &str, declared: &str) -> TypeFamily {
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
