//! Administrator change requests (contract Annex 3): a partner administrator asks the
//! caisse to name a new administrator or deputy, possibly replacing one; the caisse
//! accepts (the new account is issued and the replaced one deactivated, in one
//! transaction, its sessions ended) or refuses with a reason. Both sides are told through
//! the outbox.


use crate::app::App;
use crate::commands::*;
use crate::error::{Error, Result};
use crate::reach::{caisse_admin_of, partner_to_manage};
use crate::records::*;
use crate::shared::*;
use crate::store::*;
use crate::trace::*;
use crate::values::*;


impl<S: Store> App<S> {
    /// A partner administrator or deputy asks the caisse to change an administrator.
    pub async fn request_admin_change(&self, actor: &Actor, input: &ChangeRequestInput, client: &ClientInfo) -> Result<ChangeRequest> {
        let is_partner_admin = actor.organisation.kind == OrganisationKind::Partner
            && actor.account.roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy));
        if !is_partner_admin {
            return Err(Error::Forbidden);
        }
        let first = field("first_name", DisplayName::parse(&input.first_name))?;
        let last = field("last_name", DisplayName::parse(&input.last_name))?;
        let function = field("function", DisplayName::parse(&input.function))?;
        let slot = Slot::parse(&input.slot).ok_or(Error::invalid("slot", ValueError::BadFormat))?;
        let email = field("email", Email::parse(&input.email))?;
        let phone = field("phone", optional_text(&input.phone, 40))?;
        let mobile = field("mobile", optional_text(&input.mobile, 40))?;
        if phone.is_none() && mobile.is_none() {
            return Err(Error::invalid("phone", ValueError::Empty));
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let replaces = if input.replaces.trim().is_empty() {
            None
        } else {
            let id = AccountId::parse(&input.replaces).ok_or(Error::invalid("replaces", ValueError::BadFormat))?;
            let a = tx.account(id).await?.ok_or(Error::invalid("replaces", ValueError::BadFormat))?;
            // The person replaced must hold the seat asked for: "replace the deputy by a
            // new principal" would silently drop the principal.
            if a.organisation_id != actor.organisation.id || !a.roles.contains(&slot.role()) {
                return Err(Error::invalid("replaces", ValueError::BadFormat));
            }
            Some(a.id)
        };
        // Say it now rather than at the caisse's decision: a taken seat needs its holder
        // named as the one replaced.
        let seat_taken = tx
            .accounts_of(actor.organisation.id)
            .await?
            .iter()
            .any(|a| a.status != AccountStatus::Deactivated && a.roles.contains(&slot.role()) && Some(a.id) != replaces);
        if seat_taken {
            return Err(Error::Rule(crate::Rule::AdministratorSlotTaken));
        }
        let req = ChangeRequest {
            id: ChangeRequestId::new(),
            partner_id: actor.organisation.id,
            requested_by: actor.account.id,
            first_name: first.as_str().into(),
            last_name: last.as_str().into(),
            function: function.as_str().into(),
            slot,
            replaces,
            phone,
            mobile,
            email: email.as_str().into(),
            status: RequestStatus::Pending,
            decided_by: None,
            decided_at: None,
            decision_reason: None,
            created_at: now,
        };
        tx.insert_change_request(&req).await?;
        // Tell the caisse's habilitation administrators (its directory, Annex 1, and
        // their accounts).
        if let Some(caisse) = actor.organisation.parent_id {
            let body = format!(
                "{partner} demande la désignation de {first} {last} ({function}) comme {seat}.\n\
                 Demande faite par {by}. À traiter dans Habilis, rubrique « Demandes ».\n",
                partner = actor.organisation.name,
                first = req.first_name,
                last = req.last_name,
                function = req.function,
                seat = if slot == Slot::Principal { "administrateur" } else { "administrateur suppléant" },
                by = actor.account.display_name,
            );
            for to in crate::shared::notification_addresses(&mut tx, caisse, &[Role::CaisseAdmin], &["administrator"]).await? {
                tx.insert_outbox(&OutboxMessage::pending(Some(actor.organisation.id), &to, "Habilis — demande de changement d'administrateur", body.clone(), now))
                    .await?;
            }
        }
        self.trace_action(&mut tx, actor, "admin_change.request", format!("{} {}", req.first_name, req.last_name), Some(req.slot.as_str().into()), client)
            .await?;
        tx.commit().await?;
        Ok(req)
    }

    /// The requests of the caisse's partners (pending first), for caisse administrators;
    /// a partner administrator sees its own organisation's.
    pub async fn admin_change_requests(&self, actor: &Actor) -> Result<Vec<ChangeRequest>> {
        let mut tx = self.store.read().await?;
        if let Ok(caisse) = caisse_admin_of(actor) {
            return Ok(tx.change_requests_of_caisse(caisse).await?);
        }
        if actor.organisation.kind == OrganisationKind::Partner
            && actor.account.roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy))
        {
            return Ok(tx.change_requests_of_partner(actor.organisation.id).await?);
        }
        Err(Error::Forbidden)
    }

    /// Accept or refuse a pending request (caisse only). Accepting issues the new account,
    /// deactivates the replaced one and ends its sessions, all in one transaction.
    pub async fn decide_admin_change(
        &self,
        actor: &Actor,
        id: ChangeRequestId,
        accept: bool,
        reason: &str,
        public_url: &str,
        client: &ClientInfo,
    ) -> Result<ChangeRequest> {
        let reason = field("reason", optional_text(reason, 500))?;
        if !accept && reason.is_none() {
            return Err(Error::invalid("reason", ValueError::Empty));
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let first_read = tx.change_request(id).await?.ok_or(Error::NotFound)?;
        let partner = partner_to_manage(&mut tx, actor, first_read.partner_id).await?;
        // Two agents deciding at once: the second waits here, then finds it decided.
        tx.lock_organisation(partner.id).await?;
        let mut req = tx.change_request(id).await?.ok_or(Error::NotFound)?;
        if req.status != RequestStatus::Pending {
            return Err(Error::Refused(crate::Refusal::AlreadyDecided));
        }
        let requester = tx.account(req.requested_by).await?;
        if accept {
            if let Some(old) = req.replaces {
                tx.set_account_status(old, AccountStatus::Deactivated).await?;
                tx.end_sessions_of_account(old, None, now, "account_replaced").await?;
                // The replaced administrator's rights end with their account (issue 12).
                crate::shared::end_rights_of(&mut tx, partner.id, old, actor.account.id, now).await?;
            }
            let slot = req.slot;
            let input = AdministratorInput {
                first_name: req.first_name.clone(),
                last_name: req.last_name.clone(),
                function: req.function.clone(),
                email: req.email.clone(),
                phone: req.phone.clone().or(req.mobile.clone()).unwrap_or_default(),
                login: String::new(),
            };
            self.issue_administrator_in(&mut tx, actor, partner.id, slot, &input, public_url, client).await?;
            // Annex 1 follows Annex 3: the seat's directory entry names the new person.
            let function = match slot {
                crate::records::Slot::Principal => "administrator",
                crate::records::Slot::Deputy => "deputy",
            };
            for c in tx.contacts(partner.id).await?.into_iter().filter(|c| c.function == function) {
                tx.delete_contact(c.id).await?;
            }
            tx.insert_contact(&crate::records::Contact {
                id: crate::records::ContactId::new(),
                organisation_id: partner.id,
                function: function.into(),
                name: format!("{} {}", req.first_name, req.last_name),
                title: Some(req.function.clone()),
                email: Some(req.email.clone()),
                phone: req.phone.clone().or(req.mobile.clone()),
            })
            .await?;
        }
        req.status = if accept { RequestStatus::Accepted } else { RequestStatus::Refused };
        req.decided_by = Some(actor.account.id);
        req.decided_at = Some(now);
        req.decision_reason = reason.clone();
        tx.save_change_request_decision(&req).await?;
        if let Some(r) = requester {
            let body = if accept {
                format!("Votre demande de désignation de {} {} est acceptée. Le compte est créé ; la personne reçoit un lien pour choisir son mot de passe.\n", req.first_name, req.last_name)
            } else {
                format!("Votre demande de désignation de {} {} est refusée.\nMotif : {}\n", req.first_name, req.last_name, reason.clone().unwrap_or_default())
            };
            tx.insert_outbox(&OutboxMessage::pending(Some(partner.id), &r.email, "Habilis — réponse à votre demande", body, now)).await?;
        }
        let action = if accept { "admin_change.accept" } else { "admin_change.refuse" };
        self.trace_action(&mut tx, actor, action, format!("{} {} ({})", req.first_name, req.last_name, partner.name), reason, client).await?;
        tx.commit().await?;
        Ok(req)
    }
}
