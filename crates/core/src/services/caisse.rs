//! The caisse side (R1–R6, R14): partners, conventions, service contracts, amendments,
//! subscriptions with their quotas, the opening gate of a service, and the partner's two
//! administrators, who only the caisse issues.


use crate::app::App;
use crate::commands::*;
use crate::error::{Error, Result, Rule};
use crate::reach::{caisse_admin_of, partner_in_reach, partner_to_manage};
use crate::records::*;
use crate::shared::*;
use crate::store::*;
use crate::policy::gate::{gate, mode_on};
use crate::trace::*;
use crate::values::*;


impl<S: Store> App<S> {

    /// Create a partner of the actor's caisse.
    pub async fn create_partner(&self, actor: &Actor, input: &PartnerInput, client: &ClientInfo) -> Result<Organisation> {
        let caisse = caisse_admin_of(actor)?;
        let (name, siret, address, city) = partner_fields(input)?;
        let partner = Organisation {
            id: OrganisationId::new(),
            kind: OrganisationKind::Partner,
            name: name.as_str().to_string(),
            parent_id: Some(caisse),
            siret: Some(siret.as_str().to_string()),
            city,
            address,
        };
        let mut tx = self.store.begin().await?;
        tx.insert_organisation(&partner, self.now()).await.map_err(|e| conflict_as_taken(e, "SIRET"))?;
        let mut e = TraceEntry::new(self.now(), "partner.create", Outcome::Success, client);
        e.stamp(actor);
        e.target = Some(format!("{} ({})", partner.name, siret.as_str()));
        tx.append_trace(&e).await?;
        tx.commit().await?;
        Ok(partner)
    }

    /// Change a partner's name, SIRET or address.
    pub async fn update_partner(&self, actor: &Actor, id: OrganisationId, input: &PartnerInput, client: &ClientInfo) -> Result<Organisation> {
        let (name, siret, address, city) = partner_fields(input)?;
        let mut tx = self.store.begin().await?;
        let mut partner = partner_to_manage(&mut tx, actor, id).await?;
        partner.name = name.as_str().to_string();
        partner.siret = Some(siret.as_str().to_string());
        partner.address = address;
        partner.city = city;
        tx.update_organisation(&partner).await.map_err(|e| conflict_as_taken(e, "SIRET"))?;
        self.trace_action(&mut tx, actor, "partner.update", partner.name.clone(), None, client).await?;
        tx.commit().await?;
        Ok(partner)
    }

    /// The partners of the actor's caisse (caisse staff only).
    pub async fn partners(&self, actor: &Actor) -> Result<Vec<Organisation>> {
        if actor.organisation.kind != OrganisationKind::Caisse || !actor.account.roles.iter().any(|r| r.is_caisse_staff()) {
            return Err(Error::Forbidden);
        }
        let mut tx = self.store.read().await?;
        Ok(tx.partners_of(actor.organisation.id).await?)
    }

    /// The service catalogue with each service's roles (any signed-in person may read it).
    pub async fn catalogue(&self) -> Result<Vec<(Service, Vec<crate::records::ServiceRole>)>> {
        let mut tx = self.store.read().await?;
        let mut out = Vec::new();
        for s in tx.services().await? {
            let roles = tx.service_roles(s.id).await?;
            out.push((s, roles));
        }
        Ok(out)
    }

    /// What the contract document shows: the partner's file, its caisse and the caisse's
    /// directory, and the roles of each subscribed service.
    pub async fn contract_file(&self, actor: &Actor, id: OrganisationId) -> Result<ContractFile> {
        let file = self.partner_file(actor, id).await?;
        let mut tx = self.store.read().await?;
        let caisse_id = file.partner.parent_id.ok_or(Error::NotFound)?;
        let caisse = tx.organisation(caisse_id).await?.ok_or(Error::NotFound)?;
        let caisse_contacts = tx.contacts(caisse_id).await?;
        let mut roles = Vec::new();
        for (s, _, _) in &file.services {
            roles.push(tx.service_roles(s.id).await?);
        }
        Ok(ContractFile { file, caisse, caisse_contacts, roles })
    }

    /// Add a service to the catalogue (caisse administrators). The code is 2 to 20
    /// upper-case letters, digits or dashes (`CDAP`).
    pub async fn create_service(&self, actor: &Actor, code: &str, label: &str, description: &str, client: &ClientInfo) -> Result<Service> {
        caisse_admin_of(actor)?;
        let code = catalogue_code("code", code, 20)?;
        let label = field("label", DisplayName::parse(label))?;
        let description = field("description", optional_text(description, 2000))?.unwrap_or_default();
        let service = Service { id: ServiceId::new(), code, label: label.as_str().into(), description };
        let mut tx = self.store.begin().await?;
        tx.insert_service(&service).await.map_err(|e| conflict_as_taken(e, "code de service"))?;
        self.trace_action(&mut tx, actor, "service.create", service.code.clone(), None, client).await?;
        tx.commit().await?;
        Ok(service)
    }

    /// Add a role (profile) to a service of the catalogue (caisse administrators).
    pub async fn add_service_role(&self, actor: &Actor, service_code: &str, code: &str, label: &str, client: &ClientInfo) -> Result<crate::records::ServiceRole> {
        caisse_admin_of(actor)?;
        let code = catalogue_code("role_code", code, 20)?;
        let label = field("role_label", DisplayName::parse(label))?;
        let mut tx = self.store.begin().await?;
        let service = tx.service_by_code(service_code.trim()).await?.ok_or(Error::NotFound)?;
        let role = crate::records::ServiceRole { id: ServiceRoleId::new(), service_id: service.id, code, label: label.as_str().into() };
        tx.insert_service_role(&role).await.map_err(|e| conflict_as_taken(e, "code de profil"))?;
        self.trace_action(&mut tx, actor, "service_role.create", format!("{} {}", service.code, role.code), None, client).await?;
        tx.commit().await?;
        Ok(role)
    }

    /// Everything about one partner, for its page.
    pub async fn partner_file(&self, actor: &Actor, id: OrganisationId) -> Result<PartnerFile> {
        let today = self.today();
        let mut tx = self.store.read().await?;
        let partner = partner_in_reach(&mut tx, actor, id).await?;
        let conventions = tx.conventions(id).await?;
        let contracts = tx.contracts(id).await?;
        let amendments = tx.amendments(id).await?;
        let mut services = Vec::new();
        for sub in tx.subscriptions(id).await? {
            if let Some(service) = tx.service(sub.service_id).await? {
                let missing = gate(&conventions, &contracts, Some(&sub), today);
                services.push((service, sub, missing));
            }
        }
        let administrators = tx
            .accounts_of(id)
            .await?
            .into_iter()
            .filter(|a| a.roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy)))
            .collect();
        let contacts = tx.contacts(id).await?;
        let missing_contacts =
            REQUIRED_FUNCTIONS.into_iter().filter(|f| !contacts.iter().any(|c| c.function == *f)).collect();
        let mode = mode_on(&contracts, &amendments, today);
        let annex2_changes = tx.subscription_changes(partner.id).await?;
        Ok(PartnerFile { partner, conventions, contracts, amendments, mode, services, administrators, contacts, missing_contacts, annex2_changes })
    }

    /// Record a signed convention; its number must be `YYYY-` and the partner's SIRET.
    pub async fn record_convention(&self, actor: &Actor, partner: OrganisationId, cmd: &NewConvention, client: &ClientInfo) -> Result<Convention> {
        let signed_on = field("signed_on", crate::values::parse_date(&cmd.signed_on))?;
        let signatories = field("signatories", DisplayName::parse(&cmd.signatories))?;
        let mut tx = self.store.begin().await?;
        let p = partner_to_manage(&mut tx, actor, partner).await?;
        let number = field("number", ConventionNumber::parse(&cmd.number, p.siret.as_deref().unwrap_or("")))?;
        let c = Convention {
            id: ConventionId::new(),
            partner_id: partner,
            number: number.as_str().to_string(),
            signed_on,
            signatories: signatories.as_str().to_string(),
        };
        tx.insert_convention(&c, self.now()).await.map_err(|e| conflict_as_taken(e, "numéro de convention"))?;
        self.trace_action(&mut tx, actor, "convention.create", format!("{} — {}", p.name, c.number), None, client).await?;
        tx.commit().await?;
        Ok(c)
    }

    /// Record a signed service contract under one of the partner's conventions.
    pub async fn record_contract(&self, actor: &Actor, partner: OrganisationId, cmd: &NewContract, client: &ClientInfo) -> Result<ServiceContract> {
        let convention = cmd.convention;
        let mode = ManagementMode::parse(&cmd.mode).ok_or(Error::invalid("mode", ValueError::BadFormat))?;
        let signed_on = field("signed_on", crate::values::parse_date(&cmd.signed_on))?;
        let signatories = field("signatories", DisplayName::parse(&cmd.signatories))?;
        let mut tx = self.store.begin().await?;
        let p = partner_to_manage(&mut tx, actor, partner).await?;
        if !tx.conventions(partner).await?.iter().any(|c| c.id == convention) {
            return Err(Error::Rule(Rule::ConventionOfAnotherPartner));
        }
        let c = ServiceContract {
            id: ContractId::new(),
            convention_id: convention,
            partner_id: partner,
            mode,
            signed_on,
            signatories: signatories.as_str().to_string(),
        };
        tx.insert_contract(&c, self.now()).await?;
        self.trace_action(&mut tx, actor, "contract.create", p.name.clone(), Some(format!("mode {}", mode.as_str())), client)
            .await?;
        tx.commit().await?;
        Ok(c)
    }

    /// Record an amendment changing the mode from `effective_on` (not before signature).
    pub async fn record_amendment(&self, actor: &Actor, partner: OrganisationId, cmd: &NewAmendment, client: &ClientInfo) -> Result<Amendment> {
        let contract = cmd.contract;
        let mode = ManagementMode::parse(&cmd.mode).ok_or(Error::invalid("mode", ValueError::BadFormat))?;
        let signed_on = field("signed_on", crate::values::parse_date(&cmd.signed_on))?;
        let effective_on = field("effective_on", crate::values::parse_date(&cmd.effective_on))?;
        if effective_on < signed_on {
            return Err(Error::invalid("effective_on", ValueError::DateOrder));
        }
        let reason = field("reason", DisplayName::parse(&cmd.reason))?;
        let mut tx = self.store.begin().await?;
        let p = partner_to_manage(&mut tx, actor, partner).await?;
        if !tx.contracts(partner).await?.iter().any(|c| c.id == contract) {
            return Err(Error::NotFound);
        }
        let a = Amendment {
            id: AmendmentId::new(),
            contract_id: contract,
            partner_id: partner,
            mode,
            signed_on,
            effective_on,
            reason: reason.as_str().to_string(),
        };
        tx.insert_amendment(&a, self.now()).await?;
        let body = match mode {
            ManagementMode::CaisseManaged => format!(
                "La caisse a enregistré un avenant : à compter du {}, la gestion des habilitations de {} est reprise par la caisse.\n\
                 Vos administrateurs et gestionnaires délégués ne peuvent plus gérer les comptes, groupes et habilitations.\nMotif : {}\n",
                crate::clock::format_date_fr(effective_on), p.name, a.reason),
            ManagementMode::Delegated => format!(
                "La caisse a enregistré un avenant : à compter du {}, {} gère de nouveau ses habilitations (gestion déléguée).\nMotif : {}\n",
                crate::clock::format_date_fr(effective_on), p.name, a.reason),
        };
        crate::shared::notify_partner_admins(&mut tx, p.id, "Habilis — avenant au contrat de service", &body, self.now()).await?;
        let detail = format!("mode {} from {}", mode.as_str(), effective_on);
        self.trace_action(&mut tx, actor, "amendment.create", p.name.clone(), Some(detail), client).await?;
        tx.commit().await?;
        Ok(a)
    }

    /// Deactivate a partner administrator or deputy (caisse only, R14); their sessions end
    /// and the seat is free. Deactivation is final.
    pub async fn deactivate_administrator(&self, actor: &Actor, account: crate::records::AccountId, client: &ClientInfo) -> Result<()> {
        self.administrator_status(actor, account, AccountStatus::Deactivated, client).await
    }

    /// Suspend a partner administrator or deputy (caisse only); their sessions end, the
    /// seat stays theirs.
    pub async fn suspend_administrator(&self, actor: &Actor, account: crate::records::AccountId, client: &ClientInfo) -> Result<()> {
        self.administrator_status(actor, account, AccountStatus::Suspended, client).await
    }

    /// Lift the suspension of a partner administrator or deputy (caisse only).
    pub async fn reactivate_administrator(&self, actor: &Actor, account: crate::records::AccountId, client: &ClientInfo) -> Result<()> {
        self.administrator_status(actor, account, AccountStatus::Active, client).await
    }

    async fn administrator_status(&self, actor: &Actor, account: crate::records::AccountId, to: AccountStatus, client: &ClientInfo) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let a = tx.account(account).await?.ok_or(Error::NotFound)?;
        partner_to_manage(&mut tx, actor, a.organisation_id).await?;
        tx.lock_organisation(a.organisation_id).await?;
        let a = tx.account(account).await?.ok_or(Error::NotFound)?;
        if !a.roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy)) {
            return Err(Error::NotFound);
        }
        let allowed = matches!(
            (a.status, to),
            (AccountStatus::Active, AccountStatus::Suspended | AccountStatus::Deactivated)
                | (AccountStatus::Suspended, AccountStatus::Active | AccountStatus::Deactivated)
        );
        if !allowed {
            return Err(Error::Refused(crate::Refusal::AlreadyDecided));
        }
        let now = self.now();
        tx.set_account_status(a.id, to).await?;
        if to != AccountStatus::Active {
            tx.end_sessions_of_account(a.id, None, now, if to == AccountStatus::Suspended { "account_suspended" } else { "account_deactivated" })
                .await?;
        }
        // Deactivated is final: the person's rights end with it (issue 12, item 6).
        let detail = if to == AccountStatus::Deactivated {
            let ended = crate::shared::end_rights_of(&mut tx, a.organisation_id, a.id, actor.account.id, now).await?;
            Some(format!("{} habilitation(s) retirée(s), {} groupe(s) quitté(s), {} mandat(s) retiré(s)", ended.grants, ended.memberships, ended.mandates))
        } else {
            None
        };
        let action = match to {
            AccountStatus::Active => "administrator.reactivate",
            AccountStatus::Suspended => "administrator.suspend",
            AccountStatus::Deactivated => "administrator.deactivate",
        };
        self.trace_action(&mut tx, actor, action, a.login.clone(), detail, client).await?;
        tx.commit().await?;
        Ok(())
    }
}


fn catalogue_code(name: &'static str, raw: &str, max: usize) -> Result<String> {
    let s = raw.trim().to_uppercase();
    if s.is_empty() {
        return Err(Error::invalid(name, ValueError::Empty));
    }
    if s.chars().count() > max {
        return Err(Error::invalid(name, ValueError::TooLong(max)));
    }
    if s.chars().count() < 2 {
        return Err(Error::invalid(name, ValueError::TooShort(2)));
    }
    if !s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-') {
        return Err(Error::invalid(name, ValueError::BadCharacters));
    }
    Ok(s)
}

/// A partner's typed fields, every one checked before any is refused.
fn partner_fields(input: &PartnerInput) -> Result<(DisplayName, Siret, Option<String>, Option<String>)> {
    let mut c = crate::error::FieldChecks::default();
    let name = c.check("name", DisplayName::parse(&input.name));
    let siret = c.check("siret", Siret::parse(&input.siret));
    let address = c.check("address", optional_text(&input.address, 500));
    let city = c.check("city", optional_text(&input.city, 200));
    match (name, siret, address, city) {
        (Some(n), Some(s), Some(a), Some(c)) => Ok((n, s, a, c)),
        _ => Err(c.error()),
    }
}
