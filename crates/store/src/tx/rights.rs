//! Grants, groups, mandates, and the holders that quotas count.

use habilis_core::clock::to_micros;
use habilis_core::records::*;
use habilis_core::store::{StoreResult, RightsTx};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Inner, Tx};
use crate::map_err;
use crate::rows::*;

/// Grants whose last use one statement writes (`record_grant_uses`): 400 parameters, the
/// size the sessions' touches measured fastest on SQLite.
const USES_PER_STATEMENT: usize = 200;

impl RightsTx for Tx {
    async fn holders(&mut self, org: OrganisationId, service: ServiceId, role: Option<ServiceRoleId>, today: time::Date) -> StoreResult<Vec<AccountId>> {
        const BY_SERVICE: &str = "SELECT h FROM (\
            SELECT holder_account_id AS h FROM grants WHERE organisation_id = $1 AND service_id = $2 AND state = 'active' \
              AND holder_account_id IS NOT NULL AND (ends_on IS NULL OR ends_on >= $3) \
            UNION SELECT m.account_id AS h FROM grants g JOIN group_members m ON m.group_id = g.holder_group_id \
              WHERE g.organisation_id = $1 AND g.service_id = $2 AND g.state = 'active' AND (g.ends_on IS NULL OR g.ends_on >= $3)\
            ) x";
        const BY_ROLE: &str = "SELECT h FROM (\
            SELECT holder_account_id AS h FROM grants WHERE organisation_id = $1 AND service_id = $2 AND service_role_id = $4 \
              AND state = 'active' AND holder_account_id IS NOT NULL AND (ends_on IS NULL OR ends_on >= $3) \
            UNION SELECT m.account_id AS h FROM grants g JOIN group_members m ON m.group_id = g.holder_group_id \
              WHERE g.organisation_id = $1 AND g.service_id = $2 AND g.service_role_id = $4 AND g.state = 'active' \
              AND (g.ends_on IS NULL OR g.ends_on >= $3)\
            ) x";
        let day = today.to_string();
        let rows: Vec<(Uuid,)> = match role {
            None => run!(self, c => sqlx::query_as(BY_SERVICE).bind(org.0).bind(service.0).bind(&day).fetch_all(&mut *c).await),
            Some(r) => run!(self, c => sqlx::query_as(BY_ROLE).bind(org.0).bind(service.0).bind(&day).bind(r.0).fetch_all(&mut *c).await),
        }
        .map_err(map_err)?;
        Ok(rows.into_iter().map(|(u,)| AccountId(u)).collect())
    }

    async fn insert_grant(&mut self, g: &Grant) -> StoreResult<()> {
        self.touch(Some(g.organisation_id));
        const Q: &str = "INSERT INTO grants (id, organisation_id, service_id, service_role_id, holder_account_id, purpose, \
                         starts_on, ends_on, state, created_by, created_at, ended_at, holder_group_id, created_under) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";
        run!(self, c => sqlx::query(Q).bind(g.id.0).bind(g.organisation_id.0).bind(g.service_id.0).bind(g.service_role_id.0)
            .bind(g.holder_account_id.map(|a| a.0)).bind(&g.purpose).bind(g.starts_on.to_string()).bind(g.ends_on.map(|d| d.to_string()))
            .bind(g.state.as_str()).bind(g.created_by.0).bind(to_micros(g.created_at)).bind(g.ended_at.map(to_micros))
            .bind(g.holder_group_id.map(|x| x.0)).bind(g.created_under.map(|v| v.0))
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn grant(&mut self, id: GrantId) -> StoreResult<Option<Grant>> {
        const Q: &str = "SELECT id, organisation_id, service_id, service_role_id, holder_account_id, purpose, starts_on, ends_on, \
                         state, created_by, created_at, ended_at, holder_group_id, created_under, suspension_reason, ended_by, last_used_at FROM grants WHERE id = $1";
        let row: Option<GrantRow> = run!(self, c => sqlx::query_as(Q).bind(id.0).fetch_optional(&mut *c).await).map_err(map_err)?;
        row.map(GrantRow::into_domain).transpose()
    }

    async fn grants_of(&mut self, org: OrganisationId) -> StoreResult<Vec<Grant>> {
        const Q: &str = "SELECT id, organisation_id, service_id, service_role_id, holder_account_id, purpose, starts_on, ends_on, \
                         state, created_by, created_at, ended_at, holder_group_id, created_under, suspension_reason, ended_by, last_used_at FROM grants \
                         WHERE organisation_id = $1 ORDER BY created_at DESC";
        let rows: Vec<GrantRow> = run!(self, c => sqlx::query_as(Q).bind(org.0).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(GrantRow::into_domain).collect()
    }

    async fn set_grant_state(&mut self, id: GrantId, state: GrantState, ended: Option<(OffsetDateTime, AccountId)>) -> StoreResult<()> {
        self.touch_row("grants", id.0).await?;
        const Q: &str = "UPDATE grants SET state = $2, ended_at = $3, ended_by = $4 WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(id.0).bind(state.as_str()).bind(ended.map(|e| to_micros(e.0))).bind(ended.map(|e| e.1.0))
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn insert_group(&mut self, g: &Group, at: OffsetDateTime) -> StoreResult<()> {
        const Q: &str = "INSERT INTO groups (id, organisation_id, name, created_at) VALUES ($1, $2, $3, $4)";
        run!(self, c => sqlx::query(Q).bind(g.id.0).bind(g.organisation_id.0).bind(&g.name).bind(to_micros(at))
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn group(&mut self, id: GroupId) -> StoreResult<Option<Group>> {
        const Q: &str = "SELECT id, organisation_id, name FROM groups WHERE id = $1";
        let row: Option<(Uuid, Uuid, String)> = run!(self, c => sqlx::query_as(Q).bind(id.0).fetch_optional(&mut *c).await).map_err(map_err)?;
        Ok(row.map(|(id, org, name)| Group { id: GroupId(id), organisation_id: OrganisationId(org), name }))
    }

    async fn groups_of(&mut self, org: OrganisationId) -> StoreResult<Vec<Group>> {
        const Q: &str = "SELECT id, organisation_id, name FROM groups WHERE organisation_id = $1 ORDER BY name";
        let rows: Vec<(Uuid, Uuid, String)> = run!(self, c => sqlx::query_as(Q).bind(org.0).fetch_all(&mut *c).await).map_err(map_err)?;
        Ok(rows.into_iter().map(|(id, org, name)| Group { id: GroupId(id), organisation_id: OrganisationId(org), name }).collect())
    }

    async fn members(&mut self, group: GroupId) -> StoreResult<Vec<AccountId>> {
        const Q: &str = "SELECT account_id FROM group_members WHERE group_id = $1 ORDER BY added_at";
        let rows: Vec<(Uuid,)> = run!(self, c => sqlx::query_as(Q).bind(group.0).fetch_all(&mut *c).await).map_err(map_err)?;
        Ok(rows.into_iter().map(|(u,)| AccountId(u)).collect())
    }

    async fn add_member(&mut self, group: GroupId, member: AccountId, by: AccountId, at: OffsetDateTime) -> StoreResult<()> {
        self.touch_row("groups", group.0).await?;
        const Q: &str = "INSERT INTO group_members (group_id, account_id, added_at, added_by) VALUES ($1, $2, $3, $4)";
        // The period of membership, kept after it ends (Art. 5.3.2).
        const PERIOD: &str = "INSERT INTO group_memberships (id, organisation_id, group_id, group_name, account_id, added_at, added_by) \
                              SELECT $1, organisation_id, id, name, $2, $3, $4 FROM groups WHERE id = $5";
        run!(self, c => sqlx::query(Q).bind(group.0).bind(member.0).bind(to_micros(at)).bind(by.0)
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        run!(self, c => sqlx::query(PERIOD).bind(Uuid::now_v7()).bind(member.0).bind(to_micros(at)).bind(by.0).bind(group.0)
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn remove_member(&mut self, group: GroupId, member: AccountId, by: AccountId, at: OffsetDateTime) -> StoreResult<bool> {
        self.touch_row("groups", group.0).await?;
        const Q: &str = "DELETE FROM group_members WHERE group_id = $1 AND account_id = $2";
        const PERIOD: &str = "UPDATE group_memberships SET removed_at = $3, removed_by = $4 \
                              WHERE group_id = $1 AND account_id = $2 AND removed_at IS NULL";
        let n = run!(self, c => sqlx::query(Q).bind(group.0).bind(member.0).execute(&mut *c).await.map(|x| x.rows_affected()))
            .map_err(map_err)?;
        run!(self, c => sqlx::query(PERIOD).bind(group.0).bind(member.0).bind(to_micros(at)).bind(by.0)
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(n == 1)
    }

    async fn memberships_of(&mut self, account: AccountId) -> StoreResult<Vec<Membership>> {
        const Q: &str = "SELECT group_id, group_name, account_id, added_at, added_by, removed_at, removed_by \
                         FROM group_memberships WHERE account_id = $1 ORDER BY added_at";
        let rows: Vec<MembershipRow> = run!(self, c => sqlx::query_as(Q).bind(account.0).fetch_all(&mut *c).await).map_err(map_err)?;
        Ok(rows.into_iter().map(MembershipRow::into_domain).collect())
    }

    async fn grants_of_group(&mut self, group: GroupId) -> StoreResult<Vec<Grant>> {
        const Q: &str = "SELECT id, organisation_id, service_id, service_role_id, holder_account_id, purpose, starts_on, ends_on, \
                         state, created_by, created_at, ended_at, holder_group_id, created_under, suspension_reason, ended_by, last_used_at FROM grants WHERE holder_group_id = $1";
        let rows: Vec<GrantRow> = run!(self, c => sqlx::query_as(Q).bind(group.0).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(GrantRow::into_domain).collect()
    }

    async fn insert_mandate(&mut self, m: &Mandate) -> StoreResult<()> {
        const Q: &str = "INSERT INTO mandates (id, organisation_id, holder_id, given_by, parent_mandate_id, may_manage_users, \
                         may_manage_groups, may_delegate, scope, created_at, withdrawn_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
        let scope = m.scope.iter().map(|r| r.0.to_string()).collect::<Vec<_>>().join(",");
        run!(self, c => sqlx::query(Q).bind(m.id.0).bind(m.organisation_id.0).bind(m.holder_id.0).bind(m.given_by.0).bind(m.parent_id.map(|v| v.0))
            .bind(m.may_manage_users).bind(m.may_manage_groups).bind(m.may_delegate).bind(&scope)
            .bind(to_micros(m.created_at)).bind(m.withdrawn_at.map(to_micros))
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn mandates_of(&mut self, org: OrganisationId) -> StoreResult<Vec<Mandate>> {
        const Q: &str = "SELECT id, organisation_id, holder_id, given_by, parent_mandate_id, may_manage_users, may_manage_groups, \
                         may_delegate, scope, created_at, withdrawn_at FROM mandates WHERE organisation_id = $1 ORDER BY created_at";
        let rows: Vec<MandateRow> = run!(self, c => sqlx::query_as(Q).bind(org.0).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(MandateRow::into_domain).collect()
    }

    async fn record_grant_uses(&mut self, uses: &[(GrantId, OffsetDateTime)]) -> StoreResult<()> {
        // Not a change of rights: nothing to announce. One statement per
        // `USES_PER_STATEMENT` grants, as the sessions' touches (`touch_sessions`): one per
        // grant held the writer ~36 ms of each second under renewals on SQLite, and was a
        // round trip per grant on PostgreSQL. A use never moves a grant's last use back.
        let pairs: Vec<(Uuid, OffsetDateTime)> = uses.iter().map(|(g, at)| (g.0, *at)).collect();
        self.write_instants(&pairs, USES_PER_STATEMENT, |lite, rows| {
            if lite {
                // Found by key through `IN` (SQLite 3.51 scans the table for `UPDATE … FROM`).
                format!(
                    "WITH v(gid, at) AS (VALUES {rows}) UPDATE grants SET last_used_at = (SELECT at FROM v WHERE v.gid = grants.id) \
                     WHERE id IN (SELECT gid FROM v) AND (last_used_at IS NULL OR last_used_at < (SELECT at FROM v WHERE v.gid = grants.id))"
                )
            } else {
                format!(
                    "WITH v(gid, at) AS (VALUES {rows}) UPDATE grants SET last_used_at = v.at FROM v \
                     WHERE grants.id = v.gid AND (grants.last_used_at IS NULL OR grants.last_used_at < v.at)"
                )
            }
        })
        .await
    }

    async fn update_mandate(&mut self, m: &Mandate) -> StoreResult<()> {
        const Q: &str = "UPDATE mandates SET parent_mandate_id = $2, may_manage_users = $3, may_manage_groups = $4, may_delegate = $5, scope = $6 \
                         WHERE id = $1";
        let scope = m.scope.iter().map(|r| r.0.to_string()).collect::<Vec<_>>().join(",");
        run!(self, c => sqlx::query(Q).bind(m.id.0).bind(m.parent_id.map(|v| v.0)).bind(m.may_manage_users).bind(m.may_manage_groups)
            .bind(m.may_delegate).bind(&scope)
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn withdraw_mandates(&mut self, ids: &[MandateId], at: OffsetDateTime) -> StoreResult<()> {
        const Q: &str = "UPDATE mandates SET withdrawn_at = $2 WHERE id = $1 AND withdrawn_at IS NULL";
        for id in ids {
            run!(self, c => sqlx::query(Q).bind(id.0).bind(to_micros(at)).execute(&mut *c).await.map(|x| x.rows_affected()))
                .map_err(map_err)?;
        }
        Ok(())
    }

    async fn rename_group(&mut self, id: GroupId, name: &str) -> StoreResult<()> {
        const Q: &str = "UPDATE groups SET name = $2 WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(id.0).bind(name).execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn delete_group(&mut self, id: GroupId, by: AccountId, at: OffsetDateTime) -> StoreResult<()> {
        self.touch_row("groups", id.0).await?;
        const PERIODS: &str = "UPDATE group_memberships SET removed_at = $2, removed_by = $3 WHERE group_id = $1 AND removed_at IS NULL";
        run!(self, c => sqlx::query(PERIODS).bind(id.0).bind(to_micros(at)).bind(by.0).execute(&mut *c).await.map(|x| x.rows_affected()))
            .map_err(map_err)?;
        const MEMBERS: &str = "DELETE FROM group_members WHERE group_id = $1";
        const GROUP: &str = "DELETE FROM groups WHERE id = $1";
        run!(self, c => sqlx::query(MEMBERS).bind(id.0).execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        run!(self, c => sqlx::query(GROUP).bind(id.0).execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn set_grant_end(&mut self, id: GrantId, ends_on: Option<time::Date>) -> StoreResult<()> {
        self.touch_row("grants", id.0).await?;
        const Q: &str = "UPDATE grants SET ends_on = $2 WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(id.0).bind(ends_on.map(|d| d.to_string())).execute(&mut *c).await.map(|x| x.rows_affected()))
            .map_err(map_err)?;
        Ok(())
    }

    async fn set_caisse_suspension(&mut self, grant: GrantId, reason: Option<&str>) -> StoreResult<()> {
        self.touch_row("grants", grant.0).await?;
        // Setting remembers the state the grant had; clearing forgets it.
        const Q: &str = "UPDATE grants SET suspended_by_caisse = $2, suspension_reason = $3, \
                         state_before_caisse = CASE WHEN $2 THEN state ELSE NULL END WHERE id = $1";
        run!(self, c => sqlx::query(Q).bind(grant.0).bind(reason.is_some()).bind(reason)
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn state_before_caisse(&mut self, grant: GrantId) -> StoreResult<Option<GrantState>> {
        const Q: &str = "SELECT state_before_caisse FROM grants WHERE id = $1 AND suspended_by_caisse";
        let row: Option<(Option<String>,)> = run!(self, c => sqlx::query_as(Q).bind(grant.0).fetch_optional(&mut *c).await).map_err(map_err)?;
        Ok(row.and_then(|(s,)| s).and_then(|s| GrantState::parse(&s)))
    }
}
