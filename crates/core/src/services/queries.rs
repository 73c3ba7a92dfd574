//! Queries (interroger, R20): the caisse asks a partner about a grant, with a due date;
//! the partner's administrators answer; the caisse closes. A query left unanswered past its
//! due date is flagged, and, if the caisse asked for it, suspends the grant by itself.


use crate::app::App;
use crate::commands::*;
use crate::error::{Error, Result};
use crate::reach::{caisse_admin_of, partner_to_manage};
use crate::records::*;
use crate::store::*;
use crate::trace::*;
use crate::values::*;


impl<S: Store> App<S> {
    /// Ask a partner about one of its grants (caisse administrators).
    pub async fn open_query(&self, actor: &Actor, cmd: &NewQuery, client: &ClientInfo) -> Result<Query> {
        let mut tx = self.store.begin().await?;
        let q = self.open_query_in(&mut tx, actor, cmd, client).await?;
        tx.commit().await?;
        Ok(q)
    }

    /// `open_query` inside `tx` (an alert's action records itself in the same transaction).
    pub(crate) async fn open_query_in<T: Transaction>(&self, tx: &mut T, actor: &Actor, cmd: &NewQuery, client: &ClientInfo) -> Result<Query> {
        let question = optional_text(&cmd.question, 2000).map_err(|p| Error::invalid("question", p))?.ok_or(Error::invalid("question", ValueError::Empty))?;
        let due_on = parse_date(&cmd.due_on).map_err(|p| Error::invalid("due_on", p))?;
        if due_on < self.today() {
            return Err(Error::invalid("due_on", ValueError::DateOrder));
        }
        let now = self.now();
        let g = tx.grant(cmd.grant).await?.ok_or(Error::NotFound)?;
        let partner = partner_to_manage(tx, actor, g.organisation_id).await?;
        let q = Query {
            id: QueryId::new(),
            grant_id: g.id,
            partner_id: partner.id,
            question,
            due_on,
            auto_suspend: cmd.auto_suspend,
            status: QueryStatus::Open,
            answer: None,
            answered_by: None,
            answered_at: None,
            created_by: actor.account.id,
            created_at: now,
            closed_at: None,
            auto_suspended_at: None,
        };
        tx.insert_query(&q).await?;
        let body = format!(
            "La caisse vous interroge sur une habilitation de {} :\n\n{}\n\nRéponse attendue avant le {}.{}\n",
            partner.name,
            q.question,
            q.due_on,
            if cmd.auto_suspend { " Sans réponse à cette date, l'habilitation sera suspendue." } else { "" }
        );
        crate::shared::notify_partner_admins(tx, partner.id, "Habilis — question de la caisse", &body, now).await?;
        self.trace_action(tx, &actor.clone().acting_for(partner.id), "query.open", g.id.to_string(), Some(format!("réponse attendue le {due_on}{}", if cmd.auto_suspend { ", suspension automatique sans réponse" } else { "" })), client).await?;
        Ok(q)
    }

    /// The partner's administrators answer a query.
    pub async fn answer_query(&self, actor: &Actor, id: QueryId, answer: &str, client: &ClientInfo) -> Result<Query> {
        let answer = DisplayName::parse(answer).map_err(|p| Error::invalid("answer", p))?;
        let is_admin = actor.organisation.kind == OrganisationKind::Partner
            && actor.account.roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy));
        if !is_admin {
            return Err(Error::Forbidden);
        }
        let mut tx = self.store.begin().await?;
        let mut q = tx.query(id).await?.filter(|q| q.partner_id == actor.organisation.id).ok_or(Error::NotFound)?;
        if q.status == QueryStatus::Closed {
            return Err(Error::Refused(crate::Refusal::AlreadyDecided));
        }
        q.status = QueryStatus::Answered;
        q.answer = Some(answer.as_str().into());
        q.answered_by = Some(actor.account.id);
        q.answered_at = Some(self.now());
        tx.save_query(&q).await?;
        self.trace_action(&mut tx, actor, "query.answer", q.grant_id.to_string(), None, client).await?;
        tx.commit().await?;
        Ok(q)
    }

    /// The caisse closes a query.
    pub async fn close_query(&self, actor: &Actor, id: QueryId, client: &ClientInfo) -> Result<Query> {
        let mut tx = self.store.begin().await?;
        let mut q = tx.query(id).await?.ok_or(Error::NotFound)?;
        partner_to_manage(&mut tx, actor, q.partner_id).await?;
        if q.status == QueryStatus::Closed {
            return Err(Error::Refused(crate::Refusal::AlreadyDecided));
        }
        q.status = QueryStatus::Closed;
        q.closed_at = Some(self.now());
        tx.save_query(&q).await?;
        self.trace_action(&mut tx, &actor.clone().acting_for(q.partner_id), "query.close", q.grant_id.to_string(), None, client).await?;
        tx.commit().await?;
        Ok(q)
    }

    /// Queries in reach: the caisse's partners' (caisse administrators), or one's own
    /// partner's (its administrators). Newest first.
    pub async fn queries(&self, actor: &Actor) -> Result<Vec<Query>> {
        let mut tx = self.store.read().await?;
        if let Ok(caisse) = caisse_admin_of(actor) {
            return Ok(tx.queries_of_caisse(caisse).await?);
        }
        if actor.organisation.kind == OrganisationKind::Partner
            && actor.account.roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy))
        {
            return Ok(tx.queries_of_partner(actor.organisation.id).await?);
        }
        Err(Error::Forbidden)
    }

    /// Suspend the grants whose query asked for it and is still open past its due date.
    /// Run by the server every hour, and idempotent. Returns how many grants it suspended.
    pub async fn enforce_query_deadlines(&self) -> Result<usize> {
        let today = self.today();
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let due = tx.queries_to_enforce(today).await?;
        let mut n = 0;
        for mut q in due {
            if let Some(g) = tx.grant(q.grant_id).await?
                && g.state != GrantState::Revoked && g.caisse_suspension.is_none() {
                    tx.set_caisse_suspension(g.id, Some("question de la caisse restée sans réponse à l'échéance")).await?;
                    tx.set_grant_state(g.id, GrantState::Suspended, None).await?;
                    let mut e = TraceEntry::new(now, "grant.caisse_suspend", Outcome::Success, &ClientInfo::default());
                    e.organisation_id = Some(q.partner_id);
                    e.target = Some(g.id.to_string());
                    e.detail = Some(format!("automatique : question {} restée sans réponse au {}", q.id, q.due_on));
                    tx.append_trace(&e).await?;
                    n += 1;
                }
            q.auto_suspended_at = Some(now);
            tx.save_query(&q).await?;
        }
        tx.commit().await?;
        Ok(n)
    }
}
