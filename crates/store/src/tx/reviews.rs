//! The yearly access review: campaigns, reviews, decisions and proofs.

use habilis_core::clock::to_micros;
use habilis_core::records::*;
use habilis_core::store::{ReviewTx, StoreResult};
use time::OffsetDateTime;

use super::{Inner, Tx};
use crate::map_err;
use crate::rows::*;

impl ReviewTx for Tx {
    async fn insert_campaign(&mut self, c: &Campaign) -> StoreResult<()> {
        const Q: &str = "INSERT INTO review_campaigns (id, caisse_id, year, due_on, opened_by, opened_at) VALUES ($1, $2, $3, $4, $5, $6)";
        run!(self, c2 => sqlx::query(Q).bind(c.id.0).bind(c.caisse_id.0).bind(i64::from(c.year)).bind(c.due_on.to_string()).bind(c.opened_by.0)
            .bind(to_micros(c.opened_at)).execute(&mut *c2).await.map(|r| r.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn campaign(&mut self, id: CampaignId) -> StoreResult<Option<Campaign>> {
        const Q: &str = "SELECT * FROM review_campaigns WHERE id = $1";
        let row: Option<CampaignRow> = run!(self, c => sqlx::query_as(Q).bind(id.0).fetch_optional(&mut *c).await).map_err(map_err)?;
        row.map(CampaignRow::into_domain).transpose()
    }

    async fn campaign_of_year(&mut self, caisse: OrganisationId, year: i32) -> StoreResult<Option<Campaign>> {
        const Q: &str = "SELECT * FROM review_campaigns WHERE caisse_id = $1 AND year = $2";
        let row: Option<CampaignRow> = run!(self, c => sqlx::query_as(Q).bind(caisse.0).bind(i64::from(year)).fetch_optional(&mut *c).await).map_err(map_err)?;
        row.map(CampaignRow::into_domain).transpose()
    }

    async fn campaigns_of(&mut self, caisse: OrganisationId) -> StoreResult<Vec<Campaign>> {
        const Q: &str = "SELECT * FROM review_campaigns WHERE caisse_id = $1 ORDER BY year DESC";
        let rows: Vec<CampaignRow> = run!(self, c => sqlx::query_as(Q).bind(caisse.0).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(CampaignRow::into_domain).collect()
    }

    async fn insert_review(&mut self, r: &Review) -> StoreResult<()> {
        const Q: &str = "INSERT INTO reviews (id, campaign_id, organisation_id) VALUES ($1, $2, $3)";
        run!(self, c => sqlx::query(Q).bind(r.id.0).bind(r.campaign_id.0).bind(r.organisation_id.0)
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn lock_review(&mut self, id: ReviewId) -> StoreResult<Option<Review>> {
        // SQLite has no FOR UPDATE, and needs none (write transactions begin IMMEDIATE).
        self.write_deferred().await?;
        let row: Option<ReviewRow> = match &mut self.inner {
            Inner::Sqlite(t) => match t.conn() { Ok(c) => sqlx::query_as("SELECT * FROM reviews WHERE id = $1").bind(id.0).fetch_optional(c).await, Err(e) => Err(e) },
            Inner::Postgres(t) => match t.conn() { Ok(c) => sqlx::query_as("SELECT * FROM reviews WHERE id = $1 FOR UPDATE").bind(id.0).fetch_optional(c).await, Err(e) => Err(e) },
        }
        .map_err(map_err)?;
        row.map(ReviewRow::into_domain).transpose()
    }

    async fn review(&mut self, id: ReviewId) -> StoreResult<Option<Review>> {
        const Q: &str = "SELECT * FROM reviews WHERE id = $1";
        let row: Option<ReviewRow> = run!(self, c => sqlx::query_as(Q).bind(id.0).fetch_optional(&mut *c).await).map_err(map_err)?;
        row.map(ReviewRow::into_domain).transpose()
    }

    async fn reviews_of_campaign(&mut self, campaign: CampaignId) -> StoreResult<Vec<Review>> {
        const Q: &str = "SELECT * FROM reviews WHERE campaign_id = $1";
        let rows: Vec<ReviewRow> = run!(self, c => sqlx::query_as(Q).bind(campaign.0).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(ReviewRow::into_domain).collect()
    }

    async fn reviews_of_organisation(&mut self, org: OrganisationId) -> StoreResult<Vec<Review>> {
        const Q: &str = "SELECT r.* FROM reviews r JOIN review_campaigns c ON c.id = r.campaign_id \
                         WHERE r.organisation_id = $1 ORDER BY c.year DESC";
        let rows: Vec<ReviewRow> = run!(self, c => sqlx::query_as(Q).bind(org.0).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(ReviewRow::into_domain).collect()
    }

    async fn save_decision(&mut self, d: &Decision) -> StoreResult<()> {
        const Q: &str = "INSERT INTO review_decisions (review_id, subject_kind, subject_id, decision, comment, decided_by, decided_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (review_id, subject_kind, subject_id) DO UPDATE SET \
                         decision = excluded.decision, comment = excluded.comment, decided_by = excluded.decided_by, decided_at = excluded.decided_at";
        run!(self, c => sqlx::query(Q).bind(d.review_id.0).bind(d.subject.kind()).bind(d.subject.uuid()).bind(d.verdict.as_str())
            .bind(&d.comment).bind(d.decided_by.0).bind(to_micros(d.decided_at))
            .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(())
    }

    async fn decision_counts(&mut self, campaign: CampaignId) -> StoreResult<Vec<(ReviewId, usize)>> {
        const Q: &str = "SELECT d.review_id, COUNT(*) FROM review_decisions d JOIN reviews r ON r.id = d.review_id \
                         WHERE r.campaign_id = $1 GROUP BY d.review_id";
        let rows: Vec<(uuid::Uuid, i64)> = run!(self, c => sqlx::query_as(Q).bind(campaign.0).fetch_all(&mut *c).await).map_err(map_err)?;
        Ok(rows.into_iter().map(|(r, n)| (ReviewId(r), usize::try_from(n).unwrap_or(0))).collect())
    }

    async fn decisions_of(&mut self, review: ReviewId) -> StoreResult<Vec<Decision>> {
        const Q: &str = "SELECT * FROM review_decisions WHERE review_id = $1 ORDER BY decided_at, subject_id";
        let rows: Vec<DecisionRow> = run!(self, c => sqlx::query_as(Q).bind(review.0).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(DecisionRow::into_domain).collect()
    }

    async fn set_review_delegate(&mut self, review: ReviewId, account: AccountId, on: bool, by: AccountId, at: OffsetDateTime) -> StoreResult<()> {
        if on {
            const Q: &str = "INSERT INTO review_delegates (review_id, account_id, delegated_by, delegated_at) VALUES ($1, $2, $3, $4) \
                             ON CONFLICT (review_id, account_id) DO NOTHING";
            run!(self, c => sqlx::query(Q).bind(review.0).bind(account.0).bind(by.0).bind(to_micros(at))
                .execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        } else {
            const Q: &str = "DELETE FROM review_delegates WHERE review_id = $1 AND account_id = $2";
            run!(self, c => sqlx::query(Q).bind(review.0).bind(account.0).execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        }
        Ok(())
    }

    async fn review_delegates(&mut self, review: ReviewId) -> StoreResult<Vec<AccountId>> {
        const Q: &str = "SELECT account_id FROM review_delegates WHERE review_id = $1 ORDER BY delegated_at";
        let rows: Vec<(uuid::Uuid,)> = run!(self, c => sqlx::query_as(Q).bind(review.0).fetch_all(&mut *c).await).map_err(map_err)?;
        Ok(rows.into_iter().map(|(a,)| AccountId(a)).collect())
    }

    async fn reviews_delegated_to(&mut self, account: AccountId) -> StoreResult<Vec<Review>> {
        const Q: &str = "SELECT r.* FROM reviews r JOIN review_delegates d ON d.review_id = r.id \
                         JOIN review_campaigns c ON c.id = r.campaign_id WHERE d.account_id = $1 ORDER BY c.year DESC";
        let rows: Vec<ReviewRow> = run!(self, c => sqlx::query_as(Q).bind(account.0).fetch_all(&mut *c).await).map_err(map_err)?;
        rows.into_iter().map(ReviewRow::into_domain).collect()
    }

    async fn open_reviews(&mut self) -> StoreResult<Vec<(Review, Campaign)>> {
        const Q: &str = "SELECT * FROM reviews WHERE completed_at IS NULL";
        let rows: Vec<ReviewRow> = run!(self, c => sqlx::query_as(Q).fetch_all(&mut *c).await).map_err(map_err)?;
        let mut out = Vec::new();
        for r in rows {
            let r = r.into_domain()?;
            if let Some(c) = self.campaign(r.campaign_id).await? {
                out.push((r, c));
            }
        }
        Ok(out)
    }

    async fn mark_review_notice(&mut self, id: ReviewId, notice: ReviewNotice, at: OffsetDateTime) -> StoreResult<bool> {
        let q = match notice {
            ReviewNotice::Reminder => "UPDATE reviews SET reminded_at = $2 WHERE id = $1 AND reminded_at IS NULL AND completed_at IS NULL",
            ReviewNotice::Late => "UPDATE reviews SET late_notice_at = $2 WHERE id = $1 AND late_notice_at IS NULL AND completed_at IS NULL",
        };
        let n = run!(self, c => sqlx::query(q).bind(id.0).bind(to_micros(at)).execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(n == 1)
    }

    async fn mark_review_escalation(&mut self, id: ReviewId, level: i32) -> StoreResult<bool> {
        const Q: &str = "UPDATE reviews SET escalation_level = $2 WHERE id = $1 AND escalation_level < $2 AND completed_at IS NULL";
        let n = run!(self, c => sqlx::query(Q).bind(id.0).bind(i64::from(level)).execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(n == 1)
    }

    async fn complete_review(&mut self, id: ReviewId, at: OffsetDateTime, by: AccountId, proof: &Proof) -> StoreResult<bool> {
        const Q: &str = "UPDATE reviews SET completed_at = $2, completed_by = $3, report = $4, digest = $5, signature = $6, public_key = $7 \
                         WHERE id = $1 AND completed_at IS NULL";
        let n = run!(self, c => sqlx::query(Q).bind(id.0).bind(to_micros(at)).bind(by.0).bind(&proof.report).bind(&proof.digest)
            .bind(&proof.signature).bind(&proof.public_key).execute(&mut *c).await.map(|x| x.rows_affected())).map_err(map_err)?;
        Ok(n == 1)
    }
}
