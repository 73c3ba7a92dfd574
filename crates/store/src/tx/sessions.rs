//! Sign-in throttling, sessions and one-time links.

use habilis_core::clock::{from_micros, to_micros};
use habilis_core::records::*;
use habilis_core::store::{StoreResult, SessionTx};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::{Inner, Tx};
use crate::map_err;
use crate::rows::*;

/// Sessions whose last activity one statement writes (`touch_sessions`): 400 parameters,
/// well under SQLite's limit (32,766); on SQLite each row's instant is looked up among
/// the statement's (measured with 4,400 sessions: chunks of 100-200 fastest, 50 and 400
/// about half as slow again).
const TOUCHES_PER_STATEMENT: usize = 200;

/// A new session's thirteen columns bound in order, `$1` to `$13`.
macro_rules! bind_session {
    ($q:expr, $s:expr) => {
        $q.bind($s.id.0).bind(&$s.token_hash).bind($s.account_id.0).bind($s.organisation_id.0).bind(&$s.csrf_token)
            .bind(to_micros($s.created_at)).bind(to_micros($s.last_seen_at)).bind(to_micros($s.expires_at))
            .bind($s.ended_at.map(to_micros)).bind(&$s.end_reason).bind(&$s.client_addr).bind(&$s.user_agent)
            .bind($s.pending_step.map(PendingStep::as_str))
    };
}

/// `Store::swap_throttle`'s statement, with `$from` (a `FROM` clause, or nothing) between
/// its values and its condition: an update of the row only while it is still `was` (`$6`
/// to `$9`), or, with no row yet (`insert`), an insert that a row made meanwhile turns into
/// nothing (`WHERE TRUE`: SQLite's parser needs it before `ON CONFLICT` after a `SELECT`).
macro_rules! swap_throttle_text {
    (update, $from:literal) => {
        concat!(
            "UPDATE login_throttle SET attempts_in_window = $2, window_started_at = $3, consecutive_failures = $4, \
             not_before = $5 ",
            $from,
            "WHERE login = $1 AND attempts_in_window = $6 AND window_started_at IS NOT DISTINCT FROM $7 \
             AND consecutive_failures = $8 AND not_before IS NOT DISTINCT FROM $9"
        )
    };
    (insert, $from:literal) => {
        concat!(
            "INSERT INTO login_throttle (login, attempts_in_window, window_started_at, consecutive_failures, not_before) \
             SELECT $1, $2, $3, $4, $5 ",
            $from,
            "WHERE TRUE ON CONFLICT (login) DO NOTHING"
        )
    };
}

/// `Store::swap_throttle`'s statement (`swap_throttle_text!`). On PostgreSQL (`pg`) its own
/// transaction commits without waiting for the disk (`set_config('synchronous_commit',
/// 'off', true)`, local to that transaction): a reservation alone is harmless to lose in a
/// crash of the database server, as before (see DECISIONS, "A sign-in's throttle"); the
/// next durable commit writes it too.
pub(crate) fn swap_throttle_sql(was: Option<&LoginThrottle>, pg: bool) -> &'static str {
    match (was.is_some(), pg) {
        (true, false) => swap_throttle_text!(update, ""),
        (true, true) => swap_throttle_text!(update, "FROM (SELECT set_config('synchronous_commit', 'off', true)) unsynced "),
        (false, false) => swap_throttle_text!(insert, ""),
        (false, true) => swap_throttle_text!(insert, "FROM (SELECT set_config('synchronous_commit', 'off', true)) unsynced "),
    }
}

/// A right password gives back its reserved attempt: one fewer attempt in the window (never
/// below zero), no failure in a row, no delay (`give_back_attempt`, and the `WITH` of
/// `give_back_attempt_reading`).
macro_rules! give_back_text {
    () => {
        "UPDATE login_throttle SET attempts_in_window = CASE WHEN attempts_in_window > 0 \
         THEN attempts_in_window - 1 ELSE 0 END, consecutive_failures = 0, not_before = NULL WHERE login = $1"
    };
}

/// The organisation `$2`, and whether the account `$3` has a second factor enrolled.
macro_rules! organisation_enrolled_text {
    () => {
        "SELECT o.id, o.kind, o.name, o.parent_id, o.siret, o.city, o.address, \
         EXISTS (SELECT 1 FROM second_factors f WHERE f.account_id = $3 AND f.secret IS NOT NULL) AS enrolled \
         FROM organisations o WHERE o.id = $2"
    };
}

/// Binds `Store::swap_throttle`'s statement (`swap_throttle_sql`).
macro_rules! bind_swap_throttle {
    ($q:expr, $key:expr, $was:expr, $now:expr) => {{
        let q = $q
            .bind($key)
            .bind($now.attempts_in_window)
            .bind($now.window_started_at.map(habilis_core::clock::to_micros))
            .bind($now.consecutive_failures)
            .bind($now.not_before.map(habilis_core::clock::to_micros));
        match $was {
            Some(w) => q
                .bind(w.attempts_in_window)
                .bind(w.window_started_at.map(habilis_core::clock::to_micros))
                .bind(w.consecutive_failures)
                .bind(w.not_before.map(habilis_core::clock::to_micros)),
            None => q,
        }
    }};
}
pub(crate) use bind_swap_throttle;

impl SessionTx for Tx {
    async fn lock_throttle(&mut self, login: &str) -> StoreResult<LoginThrottle> {
        // The no-op update takes the row lock (PostgreSQL) or the write lock (SQLite), so
        // concurrent attempts on one login are counted one after the other.
        const Q: &str = "INSERT INTO login_throttle (login) VALUES ($1) \
                         ON CONFLICT (login) DO UPDATE SET login = excluded.login \
                         RETURNING attempts_in_window, window_started_at, consecutive_failures, not_before";
        let (attempts, window, failures, not_before): (i64, Option<i64>, i64, Option<i64>) =
            run!(self, c => sqlx::query_as(Q).bind(login).fetch_one(&mut *c).await).map_err(map_err)?;
        Ok(LoginThrottle {
            attempts_in_window: attempts,
            window_started_at: window.map(from_micros),
            consecutive_failures: failures,
            not_before: not_before.map(from_micros),
        })
    }

    async fn save_throttle(&mut self, login: &str, t: &LoginThrottle) -> StoreResult<()> {
        const Q: &str = "UPDATE login_throttle SET attempts_in_window = $2, window_started_at = $3, \
                         consecutive_failures = $4, not_before = $5 WHERE login = $1";
        run!(self, c => sqlx::query(Q)
            .bind(login).bind(t.attempts_in_window).bind(t.window_started_at.map(to_micros))
            .bind(t.consecutive_failures).bind(t.not_before.map(to_micros))
            .execute(&mut *c).await.map(|r| r.rows_affected()))
        .map_err(map_err)?;
        Ok(())
    }

    async fn give_back_attempt(&mut self, login: &str) -> StoreResult<()> {
        const Q: &str = give_back_text!();
        run!(self, c => sqlx::query(Q).bind(login).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn give_back_attempt_reading(&mut self, login: &str, organisation: OrganisationId, account: AccountId) -> StoreResult<Option<(Organisation, bool)>> {
        // PostgreSQL: the give-back rides in the read (a data-modifying `WITH` runs whether
        // or not it is read). SQLite has none: two statements in one text, on the writer
        // already held (one exchange; numbered parameters name the same values in both).
        const LITE: &str = concat!(give_back_text!(), "; ", organisation_enrolled_text!());
        const PG: &str = concat!("WITH g AS (", give_back_text!(), ") ", organisation_enrolled_text!());
        let q = if matches!(self.inner, Inner::Postgres(_)) { PG } else { LITE };
        let row: Option<OrganisationEnrolledRow> =
            run!(self, c => sqlx::query_as(q).bind(login).bind(organisation.0).bind(account.0).fetch_optional(&mut *c).await).map_err(map_err)?;
        row.map(OrganisationEnrolledRow::into_domain).transpose()
    }

    async fn insert_session(&mut self, s: &Session) -> StoreResult<()> {
        const Q: &str = "INSERT INTO sessions (id, token_hash, account_id, organisation_id, csrf_token, created_at, \
                         last_seen_at, expires_at, ended_at, end_reason, client_addr, user_agent, pending_step) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
        run!(self, c => bind_session!(sqlx::query(Q), s).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn insert_signed_in_session(&mut self, s: &Session) -> StoreResult<()> {
        // PostgreSQL: the session's insert and the account's update in one statement (a
        // round trip fewer per sign-in). SQLite has no data-modifying `WITH`: two
        // statements there, in one text, on the writer this sign-in already holds.
        const PG: &str = "WITH s AS (INSERT INTO sessions (id, token_hash, account_id, organisation_id, csrf_token, \
                          created_at, last_seen_at, expires_at, ended_at, end_reason, client_addr, user_agent, pending_step) \
                          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING account_id, created_at) \
                          UPDATE accounts SET last_login_at = s.created_at FROM s WHERE accounts.id = s.account_id";
        // SQLite: both statements in one text, one exchange (numbered parameters: `$3` is
        // the account, `$6` the session's start).
        const LITE: &str = "INSERT INTO sessions (id, token_hash, account_id, organisation_id, csrf_token, \
                            created_at, last_seen_at, expires_at, ended_at, end_reason, client_addr, user_agent, pending_step) \
                            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13); \
                            UPDATE accounts SET last_login_at = $6 WHERE id = $3";
        let q = if matches!(self.inner, Inner::Postgres(_)) { PG } else { LITE };
        run!(self, c => bind_session!(sqlx::query(q), s).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn session_by_token_hash(&mut self, hash: &[u8]) -> StoreResult<Option<Session>> {
        const Q: &str = "SELECT * FROM sessions WHERE token_hash = $1";
        let row: Option<SessionRow> = run!(self, c => sqlx::query_as(Q).bind(hash).fetch_optional(&mut *c).await).map_err(map_err)?;
        Ok(row.map(SessionRow::into_domain))
    }

    async fn touch_sessions(&mut self, touches: &[(SessionId, OffsetDateTime)]) -> StoreResult<()> {
        // One statement per `TOUCHES_PER_STATEMENT` sessions. One per session held the
        // writer for the whole flush: at ~4,000 renewals a second, each of its own session,
        // the flush took ~100-200 ms of every second from the token endpoint's batches.
        // SQLite (3.51) runs an `UPDATE … FROM v` by scanning the table (200,000 open
        // sessions: ~60 ms for 400); the sessions are found by key through `IN` instead,
        // each one's instant by a lookup in `v`. PostgreSQL joins `v` by key.
        let pairs: Vec<(Uuid, OffsetDateTime)> = touches.iter().map(|(s, at)| (s.0, *at)).collect();
        self.write_instants(&pairs, TOUCHES_PER_STATEMENT, |lite, rows| {
            if lite {
                format!(
                    "WITH v(sid, at) AS (VALUES {rows}) UPDATE sessions SET last_seen_at = (SELECT at FROM v WHERE v.sid = sessions.id) \
                     WHERE id IN (SELECT sid FROM v) AND ended_at IS NULL"
                )
            } else {
                format!(
                    "WITH v(sid, at) AS (VALUES {rows}) UPDATE sessions SET last_seen_at = v.at FROM v \
                     WHERE sessions.id = v.sid AND sessions.ended_at IS NULL"
                )
            }
        })
        .await
    }

    async fn end_session(&mut self, id: SessionId, at: OffsetDateTime, reason: &str) -> StoreResult<bool> {
        const Q: &str = "UPDATE sessions SET ended_at = $2, end_reason = $3 WHERE id = $1 AND ended_at IS NULL";
        let r = run!(self, c => sqlx::query(Q).bind(id.0).bind(to_micros(at)).bind(reason).execute(&mut *c).await.map(|r| r.rows_affected()))
            .map_err(map_err)?;
        Ok(r == 1)
    }

    async fn overdue_sessions(&mut self, now: OffsetDateTime, idle: Duration, limit: i64) -> StoreResult<Vec<Session>> {
        const Q: &str = "SELECT * FROM sessions WHERE ended_at IS NULL AND (expires_at <= $1 OR last_seen_at <= $2) \
                         ORDER BY last_seen_at LIMIT $3";
        let rows: Vec<SessionRow> = run!(self, c => sqlx::query_as(Q)
            .bind(to_micros(now)).bind(to_micros(now - idle)).bind(limit)
            .fetch_all(&mut *c).await)
        .map_err(map_err)?;
        Ok(rows.into_iter().map(SessionRow::into_domain).collect())
    }

    async fn end_sessions_of_account(
        &mut self,
        id: AccountId,
        keep: Option<SessionId>,
        at: OffsetDateTime,
        reason: &str,
    ) -> StoreResult<u64> {
        const Q: &str = "UPDATE sessions SET ended_at = $2, end_reason = $3 \
                         WHERE account_id = $1 AND ended_at IS NULL AND ($4 IS NULL OR id <> $4)";
        let keep = keep.map(|k| k.0);
        let r = run!(self, c => sqlx::query(Q).bind(id.0).bind(to_micros(at)).bind(reason).bind(keep).execute(&mut *c).await.map(|r| r.rows_affected()))
            .map_err(map_err)?;
        Ok(r)
    }

    async fn insert_password_link(&mut self, l: &PasswordLink) -> StoreResult<()> {
        const Q: &str = "INSERT INTO password_links (id, account_id, token_hash, purpose, created_at, expires_at, used_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)";
        run!(self, c => sqlx::query(Q)
            .bind(l.id.0).bind(l.account_id.0).bind(&l.token_hash).bind(l.purpose.as_str())
            .bind(to_micros(l.created_at)).bind(to_micros(l.expires_at)).bind(l.used_at.map(to_micros))
            .execute(&mut *c).await.map(|r| r.rows_affected()))
        .map_err(map_err)?;
        Ok(())
    }

    async fn password_link_by_token_hash(&mut self, hash: &[u8]) -> StoreResult<Option<PasswordLink>> {
        const Q: &str = "SELECT * FROM password_links WHERE token_hash = $1";
        let row: Option<LinkRow> = run!(self, c => sqlx::query_as(Q).bind(hash).fetch_optional(&mut *c).await).map_err(map_err)?;
        row.map(LinkRow::into_domain).transpose()
    }

    async fn use_password_link(&mut self, id: LinkId, at: OffsetDateTime) -> StoreResult<bool> {
        const Q: &str = "UPDATE password_links SET used_at = $2 WHERE id = $1 AND used_at IS NULL";
        let r = run!(self, c => sqlx::query(Q).bind(id.0).bind(to_micros(at)).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(r == 1)
    }

    async fn set_session_step(&mut self, id: SessionId, step: Option<PendingStep>) -> StoreResult<()> {
        const Q: &str = "UPDATE sessions SET pending_step = $2 WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(id.0).bind(step.map(PendingStep::as_str)).execute(&mut *c).await.map(|r| r.rows_affected()))
            .map_err(map_err)?;
        Ok(())
    }

    async fn second_factor(&mut self, account: AccountId) -> StoreResult<Option<SecondFactor>> {
        const Q: &str = "SELECT account_id, secret, pending_secret, confirmed_at, last_step FROM second_factors WHERE account_id = $1";
        let row: Option<SecondFactorRow> =
            run!(self, c => sqlx::query_as(Q).bind(account.0).fetch_optional(&mut *c).await).map_err(map_err)?;
        Ok(row.map(SecondFactorRow::into_domain))
    }

    async fn save_second_factor(&mut self, f: &SecondFactor, at: OffsetDateTime) -> StoreResult<()> {
        const Q: &str = "INSERT INTO second_factors (account_id, secret, pending_secret, confirmed_at, last_step, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (account_id) DO UPDATE SET secret = excluded.secret, pending_secret = excluded.pending_secret, \
                         confirmed_at = excluded.confirmed_at, last_step = excluded.last_step, updated_at = excluded.updated_at";
        run!(self, c => sqlx::query(Q)
            .bind(f.account_id.0).bind(&f.secret).bind(&f.pending_secret).bind(f.confirmed_at.map(to_micros))
            .bind(f.last_step).bind(to_micros(at))
            .execute(&mut *c).await.map(|r| r.rows_affected()))
        .map_err(map_err)?;
        Ok(())
    }

    async fn use_totp_step(&mut self, account: AccountId, step: i64) -> StoreResult<bool> {
        const Q: &str = "UPDATE second_factors SET last_step = $2 WHERE account_id = $1 AND last_step < $2 AND secret IS NOT NULL";
        let n = run!(self, c => sqlx::query(Q).bind(account.0).bind(step).execute(&mut *c).await.map(|r| r.rows_affected()))
            .map_err(map_err)?;
        Ok(n == 1)
    }

    async fn delete_second_factor(&mut self, account: AccountId) -> StoreResult<bool> {
        const CODES: &str = "DELETE FROM recovery_codes WHERE account_id = $1";
        const Q: &str = "DELETE FROM second_factors WHERE account_id = $1";
        run!(self, c => sqlx::query(CODES).bind(account.0).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        let n = run!(self, c => sqlx::query(Q).bind(account.0).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(n == 1)
    }

    async fn replace_recovery_codes(&mut self, account: AccountId, digests: &[Vec<u8>]) -> StoreResult<()> {
        const CODES: &str = "DELETE FROM recovery_codes WHERE account_id = $1";
        const Q: &str = "INSERT INTO recovery_codes (account_id, digest) VALUES ($1, $2)";
        run!(self, c => sqlx::query(CODES).bind(account.0).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        for d in digests {
            run!(self, c => sqlx::query(Q).bind(account.0).bind(d).execute(&mut *c).await.map(|r| r.rows_affected())).map_err(map_err)?;
        }
        Ok(())
    }

    async fn use_recovery_code(&mut self, account: AccountId, digest: &[u8], at: OffsetDateTime) -> StoreResult<bool> {
        const Q: &str = "UPDATE recovery_codes SET used_at = $3 WHERE account_id = $1 AND digest = $2 AND used_at IS NULL";
        let n = run!(self, c => sqlx::query(Q).bind(account.0).bind(digest).bind(to_micros(at)).execute(&mut *c).await.map(|r| r.rows_affected()))
            .map_err(map_err)?;
        Ok(n == 1)
    }

    async fn unused_recovery_codes(&mut self, account: AccountId) -> StoreResult<i64> {
        const Q: &str = "SELECT COUNT(*) FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL";
        let (n,): (i64,) = run!(self, c => sqlx::query_as(Q).bind(account.0).fetch_one(&mut *c).await).map_err(map_err)?;
        Ok(n)
    }
}
