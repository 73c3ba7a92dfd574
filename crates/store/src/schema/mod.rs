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

use crate::{Db, Pool};

mod postgres;
mod sql_text;
mod sqlite;

use postgres::postgres_schema;
use sqlite::sqlite_schema;
use sql_text::{Tok, literals, tokens};

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

#[cfg(test)]
mod tests {
    use super::sqlite::*;
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
