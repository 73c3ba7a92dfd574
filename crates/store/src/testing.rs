//! Fresh, isolated databases for tests: a new SQLite file, or a new PostgreSQL schema.

use std::str::FromStr;

use habilis_core::StoreError;
use habilis_core::store::StoreResult;
use habilis_core::trace::TraceKey;
use sqlx::postgres::PgConnectOptions;
use sqlx::Connection as _;

use crate::{Backend, Db, map_err};

/// The PostgreSQL URL for tests, from `HABILIS_TEST_DATABASE_URL`, if set.
pub fn postgres_url() -> Option<String> {
    std::env::var("HABILIS_TEST_DATABASE_URL").ok().filter(|u| Backend::of_url(u) == Some(Backend::Postgres))
}

/// The backends to run a contract test on: SQLite always, PostgreSQL when its URL is set.
pub fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    if postgres_url().is_some() {
        v.push(Backend::Postgres);
    }
    v
}

/// A new empty, migrated database of the given backend, sealed with `key`.
pub async fn fresh(backend: Backend, key: TraceKey) -> StoreResult<Db> {
    let name = format!("t{}", uuid::Uuid::now_v7().simple());
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join("habilis-tests");
            std::fs::create_dir_all(&dir).map_err(|e| StoreError::Unavailable(e.to_string()))?;
            let url = format!("sqlite://{}", dir.join(format!("{name}.db")).display());
            let db = Db::connect(&url, key, 8).await?;
            db.migrate().await?;
            Ok(db)
        }
        Backend::Postgres => {
            let url = postgres_url().ok_or_else(|| StoreError::Unavailable("HABILIS_TEST_DATABASE_URL not set".into()))?;
            let opts = PgConnectOptions::from_str(&url).map_err(map_err)?;
            let mut admin = sqlx::PgConnection::connect_with(&opts).await.map_err(map_err)?;
            let create = sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}"));
            sqlx::raw_sql(create).execute(&mut admin).await.map_err(map_err)?;
            admin.close().await.map_err(map_err)?;
            let opts = opts.options([("search_path", name.as_str())]);
            let db = Db::from_pg(Db::pg_pool(opts, 8).await?, key);
            db.migrate().await?;
            Ok(db)
        }
    }
}
