//! The right of access to one's own traces (Art. 5.3.4; GDPR art. 15, loi 78-17): a person
//! asks; the request goes to their superior (named on the request, or else the partner's
//! principal administrator), who forwards it to the partner's administrators; an
//! administrator exports that person's traces and marks the request answered. The legal
//! due date is one month after the request; a request still open after it is late. Every
//! step is traced and the people concerned are told through the outbox.


use crate::app::App;
use crate::error::{Error, Result};
use crate::records::*;
use crate::store::*;
use crate::trace::*;
use crate::values::*;


fn is_admin(roles: &[Role]) -> bool {
    roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy))
}

impl<S: Store> App<S> {
    /// Ask for one's own traces. `superior`: the person the request goes to (of one's
    /// organisation); `None` sends it to the partner's principal administrator.
    pub async fn request_access(&self, actor: &Actor, superior: Option<AccountId>, reason: &str, client: &ClientInfo) -> Result<AccessRequest> {
        if actor.organisation.kind != OrganisationKind::Partner {
            return Err(Error::Forbidden);
        }
        let reason = optional_text(reason, 1000).map_err(|p| Error::invalid("reason", p))?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let people = tx.accounts_of(actor.organisation.id).await?;
        let superior = match superior {
            // Any person of the organisation may be the superior (Art. 5.3.4 "supérieur
            // hiérarchique"): the hierarchy is not the portal's roles.
            Some(id) => people
                .iter()
                .find(|a| a.id == id && a.id != actor.account.id && a.status == AccountStatus::Active)
                .ok_or(Error::NotFound)?,
            None => people
                .iter()
                .filter(|a| a.status == AccountStatus::Active && a.id != actor.account.id)
                .find(|a| a.roles.contains(&Role::PartnerAdmin))
                .or_else(|| people.iter().find(|a| a.status == AccountStatus::Active && a.id != actor.account.id && a.roles.contains(&Role::PartnerDeputy)))
                .ok_or(Error::NotFound)?,
        };
        let r = AccessRequest {
            id: AccessRequestId::new(),
            organisation_id: actor.organisation.id,
            requester_id: actor.account.id,
            superior_id: superior.id,
            reason,
            status: AccessStatus::Submitted,
            due_on: one_month_after(now.date()),
            created_at: now,
            forwarded_at: None,
            answered_by: None,
            answered_at: None,
            exported_at: None,
            exported_by: None,
        };
        tx.insert_access_request(&r).await?;
        let body = format!(
            "{} demande à accéder aux traces de ses connexions et actions (droit d'accès).\nMerci de transmettre la demande aux administrateurs de l'organisme depuis le portail.\nÉchéance légale : {}.\n",
            actor.account.display_name,
            crate::clock::format_date_fr(r.due_on)
        );
        tx.insert_outbox(&OutboxMessage::pending(Some(r.organisation_id), &superior.email, "Habilis — demande de droit d'accès", body, now)).await?;
        self.trace_action(&mut tx, actor, "access_request.create", r.id.to_string(), Some(format!("supérieur {}", superior.login)), client).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// The people of `actor`'s organisation a request may go to: anyone active but `actor`
    /// (the superior is a person of the hierarchy, whatever their role in the portal).
    pub async fn possible_superiors(&self, actor: &Actor) -> Result<Vec<crate::records::Account>> {
        if actor.organisation.kind != OrganisationKind::Partner {
            return Err(Error::Forbidden);
        }
        let mut tx = self.store.read().await?;
        Ok(tx
            .accounts_of(actor.organisation.id)
            .await?
            .into_iter()
            .filter(|a| a.id != actor.account.id && a.status == AccountStatus::Active)
            .collect())
    }

    /// The requests `actor` sees: their own, those sent to them, and (administrators) all
    /// of their organisation's. Newest first.
    pub async fn access_requests(&self, actor: &Actor) -> Result<Vec<AccessRequest>> {
        if actor.organisation.kind != OrganisationKind::Partner {
            return Err(Error::Forbidden);
        }
        let mut tx = self.store.read().await?;
        let all = tx.access_requests_of(actor.organisation.id).await?;
        let admin = is_admin(&actor.account.roles);
        Ok(all.into_iter().filter(|r| admin || r.requester_id == actor.account.id || r.superior_id == actor.account.id).collect())
    }

    /// The same requests with the names of their requester and superior.
    pub async fn access_requests_named(&self, actor: &Actor) -> Result<Vec<(AccessRequest, String, String)>> {
        let list = self.access_requests(actor).await?;
        let mut tx = self.store.read().await?;
        let people = tx.accounts_of(actor.organisation.id).await?;
        let name = |id: AccountId| people.iter().find(|a| a.id == id).map(|a| format!("{} ({})", a.display_name, a.login)).unwrap_or_default();
        Ok(list.into_iter().map(|r| {
            let (a, b) = (name(r.requester_id), name(r.superior_id));
            (r, a, b)
        }).collect())
    }

    /// The superior forwards the request to the partner's administrators.
    pub async fn forward_access_request(&self, actor: &Actor, id: AccessRequestId, client: &ClientInfo) -> Result<AccessRequest> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let mut r = tx.access_request(id).await?.filter(|r| r.organisation_id == actor.organisation.id).ok_or(Error::NotFound)?;
        if r.superior_id != actor.account.id {
            return Err(Error::Forbidden);
        }
        if r.status != AccessStatus::Submitted {
            return Err(Error::Refused(crate::Refusal::AlreadyDecided));
        }
        r.status = AccessStatus::Forwarded;
        r.forwarded_at = Some(now);
        tx.save_access_request(&r).await?;
        crate::shared::notify_partner_admins(
            &mut tx,
            r.organisation_id,
            "Habilis — demande de droit d'accès à traiter",
            &format!(
                "{} vous transmet une demande de droit d'accès aux traces.\nProduisez l'export des traces de la personne depuis le portail, puis marquez la demande comme traitée.\nÉchéance légale : {}.\n",
                actor.account.display_name,
                crate::clock::format_date_fr(r.due_on)
            ),
            now,
        )
        .await?;
        self.trace_action(&mut tx, actor, "access_request.forward", r.id.to_string(), None, client).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// An administrator's export of the requester's traces (every one still kept: their
    /// actions and consultations, with dates and purposes). Traced.
    pub async fn access_request_export(&self, actor: &Actor, id: AccessRequestId, client: &ClientInfo) -> Result<(AccessRequest, Vec<TraceRecord>)> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let mut r = self.request_for_admin(&mut tx, actor, id).await?;
        let login = tx.account(r.requester_id).await?.map(|a| a.login).unwrap_or_default();
        // The export is what the requester receives: its instant bounds their download.
        if r.status != AccessStatus::Answered {
            r.exported_at = Some(now);
            r.exported_by = Some(actor.account.id);
            tx.save_access_request(&r).await?;
        }
        self.trace_action(&mut tx, actor, "access_request.export", r.id.to_string(), None, client).await?;
        tx.commit().await?;
        let records = self.person_traces(r.organisation_id, r.requester_id, &login).await?;
        let until = r.exported_at.unwrap_or(now);
        Ok((r, records.into_iter().filter(|x| x.entry.at <= until).collect()))
    }

    /// The requester downloads the export of their answered request, inside the portal:
    /// their traces up to the administrators' export. Traced.
    pub async fn access_request_download(&self, actor: &Actor, id: AccessRequestId, client: &ClientInfo) -> Result<(AccessRequest, Vec<TraceRecord>)> {
        let mut tx = self.store.begin().await?;
        let r = tx.access_request(id).await?.filter(|r| r.requester_id == actor.account.id).ok_or(Error::NotFound)?;
        let (AccessStatus::Answered, Some(until)) = (r.status, r.exported_at) else {
            return Err(Error::Refused(crate::Refusal::NotAnswered));
        };
        self.trace_action(&mut tx, actor, "access_request.download", r.id.to_string(), None, client).await?;
        tx.commit().await?;
        let records = self.person_traces(r.organisation_id, r.requester_id, &actor.account.login).await?;
        Ok((r, records.into_iter().filter(|x| x.entry.at <= until).collect()))
    }

    /// An administrator marks the request answered; the requester is told.
    pub async fn answer_access_request(&self, actor: &Actor, id: AccessRequestId, client: &ClientInfo) -> Result<AccessRequest> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let mut r = self.request_for_admin(&mut tx, actor, id).await?;
        if r.status == AccessStatus::Answered {
            return Err(Error::Refused(crate::Refusal::AlreadyDecided));
        }
        // No answer without the export that is the answer.
        if r.exported_at.is_none() {
            return Err(Error::Refused(crate::Refusal::NotExported));
        }
        r.status = AccessStatus::Answered;
        r.answered_by = Some(actor.account.id);
        r.answered_at = Some(now);
        tx.save_access_request(&r).await?;
        if let Some(requester) = tx.account(r.requester_id).await? {
            let body = format!(
                "Votre demande d'accès aux traces du {} a été traitée par {}. Téléchargez l'export de vos traces depuis le portail, rubrique « Droit d'accès à mes traces ».\n",
                crate::clock::format_paris(r.created_at),
                actor.account.display_name
            );
            tx.insert_outbox(&OutboxMessage::pending(Some(r.organisation_id), &requester.email, "Habilis — votre demande de droit d'accès", body, now)).await?;
        }
        self.trace_action(&mut tx, actor, "access_request.answer", r.id.to_string(), None, client).await?;
        tx.commit().await?;
        Ok(r)
    }

    async fn request_for_admin<T: Transaction>(&self, tx: &mut T, actor: &Actor, id: AccessRequestId) -> Result<AccessRequest> {
        let r = tx.access_request(id).await?.filter(|r| r.organisation_id == actor.organisation.id).ok_or(Error::NotFound)?;
        let account = tx.account(actor.account.id).await?.ok_or(Error::NotAuthenticated)?;
        if actor.organisation.kind != OrganisationKind::Partner || !is_admin(&account.roles) {
            return Err(Error::Forbidden);
        }
        if r.status == AccessStatus::Submitted {
            // The superior forwards first (the contract's path).
            return Err(Error::Refused(crate::Refusal::NotForwarded));
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_due_date_is_one_month_later() {
        assert_eq!(one_month_after(date!(2026 - 11 - 27)), date!(2026 - 12 - 27));
        assert_eq!(one_month_after(date!(2026 - 12 - 15)), date!(2027 - 01 - 15));
        assert_eq!(one_month_after(date!(2027 - 01 - 31)), date!(2027 - 02 - 28));
    }
}
