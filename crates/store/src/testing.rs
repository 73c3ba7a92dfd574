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
            remove_stale_files(&dir);
            let url = format!("sqlite://{}", dir.join(format!("{name}.db")).display());
            let db = Db::connect(&url, key, 8).await?;
            db.migrate().await?;
            Ok(db)
        }
        Backend::Postgres => {
            let url = postgres_url().ok_or_else(|| StoreError::Unavailable("HABILIS_TEST_DATABASE_URL not set".into()))?;
            let opts = PgConnectOptions::from_str(&url).map_err(map_err)?;
            let mut admin = sqlx::PgConnection::connect_with(&opts).await.map_err(map_err)?;
            drop_stale_schemas(&mut admin).await?;
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

/// Test schemas are named after a UUID v7, whose first 48 bits are the creation time in
/// milliseconds: drop those older than an hour, so repeated runs do not pile them up.
async fn drop_stale_schemas(admin: &mut sqlx::PgConnection) -> StoreResult<()> {
    let names: Vec<(String,)> =
        sqlx::query_as("SELECT nspname::text FROM pg_namespace WHERE nspname ~ '^t[0-9a-f]{32}$'")
            .fetch_all(&mut *admin)
            .await
            .map_err(map_err)?;
    let now_ms = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    for (name,) in names {
        let created_ms = name.get(1..13).and_then(|h| i64::from_str_radix(h, 16).ok()).unwrap_or(now_ms);
        if now_ms - created_ms > 3_600_000 {
            let drop = sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {name} CASCADE"));
            // Another test process may drop it at the same moment: ignore failures.
            let _ = sqlx::raw_sql(drop).execute(&mut *admin).await;
        }
    }
    Ok(())
}

/// Remove test database files older than an hour.
fn remove_stale_files(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age.as_secs() > 3600);
        if old {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Remove a database made by [`fresh`] once done with it (its SQLite file, or its
/// PostgreSQL schema), for benchmarks that fill it with millions of rows.
pub async fn discard(db: Db) -> StoreResult<()> {
    match &db.pool {
        crate::Pool::Sqlite(p) => {
            let files: Vec<(i64, String, String)> = sqlx::query_as("PRAGMA database_list").fetch_all(p).await.map_err(map_err)?;
            db.close().await;
            for (_, _, file) in files.into_iter().filter(|(_, _, f)| !f.is_empty()) {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{file}{suffix}"));
                }
            }
        }
        crate::Pool::Postgres(p) => {
            sqlx::raw_sql("DO $$ BEGIN EXECUTE 'DROP SCHEMA ' || quote_ident(current_schema()) || ' CASCADE'; END $$;")
                .execute(p)
                .await
                .map_err(map_err)?;
            db.close().await;
        }
    }
    Ok(())
}
