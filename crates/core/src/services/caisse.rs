//! The caisse side (R1–R6, R14): partners, conventions, service contracts, amendments,
//! subscriptions with their quotas, the opening gate of a service, and the partner's two
//! administrators, who only the caisse issues.

use serde::Serialize;
use time::Date;
use uuid::Uuid;

use crate::auth::{Actor, App};
use crate::error::{Error, Result, Rule};
use crate::model::{Account, AccountStatus, Organisation, OrganisationId, OrganisationKind, Role, Service, ServiceId, ServiceRoleId};
use crate::store::{Store, Transaction};
use crate::trace::{ClientInfo, Outcome, TraceEntry};
use crate::values::{ConventionNumber, DisplayName, Siret, ValueError, optional_text};

/// Who manages the partner's users, groups and grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ManagementMode {
    /// The partner's managers, inside the caisse's limits (gestion déléguée).
    Delegated,
    /// The caisse itself.
    CaisseManaged,
}

impl ManagementMode {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ManagementMode::Delegated => "delegated",
            ManagementMode::CaisseManaged => "caisse_managed",
        }
    }
    /// Parse the stored (or submitted) name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "delegated" => Some(ManagementMode::Delegated),
            "caisse_managed" => Some(ManagementMode::CaisseManaged),
            _ => None,
        }
    }
}

/// A convention d'accès.
#[derive(Debug, Clone, Serialize)]
pub struct Convention {
    pub id: Uuid,
    pub partner_id: OrganisationId,
    pub number: String,
    pub signed_on: Date,
    pub signatories: String,
}

/// A contrat de service under a convention.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceContract {
    pub id: Uuid,
    pub convention_id: Uuid,
    pub partner_id: OrganisationId,
    pub mode: ManagementMode,
    pub signed_on: Date,
    pub signatories: String,
}

/// An avenant: a signed change of mode, effective from a date.
#[derive(Debug, Clone, Serialize)]
pub struct Amendment {
    pub id: Uuid,
    pub contract_id: Uuid,
    pub partner_id: OrganisationId,
    pub mode: ManagementMode,
    pub signed_on: Date,
    pub effective_on: Date,
    pub reason: String,
}

/// A bulletin d'adhésion: a partner's enrolment to one service, with its quotas.
#[derive(Debug, Clone, Serialize)]
pub struct Subscription {
    pub id: Uuid,
    pub partner_id: OrganisationId,
    pub service_id: ServiceId,
    pub signed_on: Option<Date>,
    pub formalities_reference: Option<String>,
    pub formalities_on: Option<Date>,
    pub available_from: Option<Date>,
    /// Most people who may hold the service (through any grant); `None`: no limit set.
    pub max_holders: Option<i64>,
    /// Per-role maximums.
    pub role_quotas: Vec<(ServiceRoleId, i64)>,
}

/// What keeps a service closed for a partner (R2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "missing")]
pub enum Missing {
    /// No signed convention.
    Convention,
    /// No signed service contract.
    ServiceContract,
    /// No subscription to this service.
    Subscription,
    /// The subscription is not signed.
    SubscriptionSignature,
    /// The data-protection formalities are not recorded.
    DataProtectionFormalities,
    /// No availability date set.
    AvailabilityDate,
    /// Available only from this date.
    NotYetAvailable { from: Date },
}

/// What is missing for `service` to be open for a partner on `today` (empty: open).
pub fn gate(conventions: &[Convention], contracts: &[ServiceContract], sub: Option<&Subscription>, today: Date) -> Vec<Missing> {
    let mut m = Vec::new();
    if conventions.is_empty() {
        m.push(Missing::Convention);
    }
    if contracts.is_empty() {
        m.push(Missing::ServiceContract);
    }
    match sub {
        None => m.push(Missing::Subscription),
        Some(s) => {
            if s.signed_on.is_none() {
                m.push(Missing::SubscriptionSignature);
            }
            if s.formalities_reference.is_none() || s.formalities_on.is_none() {
                m.push(Missing::DataProtectionFormalities);
            }
            match s.available_from {
                None => m.push(Missing::AvailabilityDate),
                Some(from) if from > today => m.push(Missing::NotYetAvailable { from }),
                Some(_) => {}
            }
        }
    }
    m
}

/// The mode in force on `today`: the latest amendment already effective, else the latest
/// contract's own mode; `None` without a contract.
pub fn mode_on(contracts: &[ServiceContract], amendments: &[Amendment], today: Date) -> Option<ManagementMode> {
    let base = contracts.iter().max_by_key(|c| c.signed_on)?;
    let amended = amendments
        .iter()
        .filter(|a| a.contract_id == base.id && a.effective_on <= today)
        .max_by_key(|a| (a.effective_on, a.signed_on));
    Some(amended.map(|a| a.mode).unwrap_or(base.mode))
}

/// The functions every partner's directory must fill (Annex 1).
pub const REQUIRED_FUNCTIONS: [&str; 4] = ["administrator", "deputy", "security_officer", "data_protection_referent"];

/// A partner as typed in the form.
#[derive(Debug, Clone, Default)]
pub struct PartnerInput {
    pub name: String,
    pub siret: String,
    pub address: String,
    pub city: String,
}

/// Everything the caisse sees of a partner on its page.
#[derive(Debug, Clone)]
pub struct PartnerFile {
    pub partner: Organisation,
    pub conventions: Vec<Convention>,
    pub contracts: Vec<ServiceContract>,
    pub amendments: Vec<Amendment>,
    pub mode: Option<ManagementMode>,
    /// Each subscribed service with what keeps it closed (empty when open).
    pub services: Vec<(Service, Subscription, Vec<Missing>)>,
    pub administrators: Vec<Account>,
    pub contacts: Vec<crate::model::Contact>,
    /// Required directory functions with nobody named.
    pub missing_contacts: Vec<&'static str>,
}

/// Everything the service contract document is made from.
#[derive(Debug, Clone)]
pub struct ContractFile {
    pub file: PartnerFile,
    pub caisse: Organisation,
    pub caisse_contacts: Vec<crate::model::Contact>,
    /// The roles of each service of `file.services`, in the same order.
    pub roles: Vec<Vec<crate::model::ServiceRole>>,
}

/// The caisse whose habilitation administrator `actor` is.
pub fn caisse_admin_of(actor: &Actor) -> Result<OrganisationId> {
    if actor.organisation.kind == OrganisationKind::Caisse && actor.account.roles.contains(&Role::CaisseAdmin) {
        Ok(actor.organisation.id)
    } else {
        Err(Error::Forbidden)
    }
}

/// Caisse staff may read their caisse's partners; a partner's own people their partner.
pub(crate) async fn partner_in_reach<T: Transaction>(tx: &mut T, actor: &Actor, id: OrganisationId) -> Result<Organisation> {
    let o = tx.organisation(id).await?.ok_or(Error::NotFound)?;
    let caisse_side = actor.organisation.kind == OrganisationKind::Caisse
        && actor.account.roles.iter().any(|r| r.is_caisse_staff())
        && o.parent_id == Some(actor.organisation.id);
    // A partner's own managers read its file; its plain users do not.
    let own_side = actor.organisation.id == o.id && actor.account.roles.iter().any(|r| r.is_manager());
    if o.kind != OrganisationKind::Partner || !(caisse_side || own_side) {
        return Err(Error::NotFound);
    }
    Ok(o)
}

/// The partner `id`, if it belongs to the caisse `actor` administers.
pub(crate) async fn partner_to_manage<T: Transaction>(tx: &mut T, actor: &Actor, id: OrganisationId) -> Result<Organisation> {
    caisse_admin_of(actor)?;
    partner_in_reach(tx, actor, id).await
}

fn field<T>(name: &'static str, r: std::result::Result<T, ValueError>) -> Result<T> {
    r.map_err(|p| Error::invalid(name, p))
}

fn conflict_as_taken(e: crate::StoreError, what: &'static str) -> Error {
    match e {
        crate::StoreError::Conflict(_) => Error::Taken(what),
        other => Error::Store(other),
    }
}

impl<S: Store> App<S> {
    /// Append a trace of `actor`'s action on `target` inside `tx`.
    pub(crate) async fn trace_action<T: Transaction>(
        &self,
        tx: &mut T,
        actor: &Actor,
        action: &str,
        target: String,
        detail: Option<String>,
        client: &ClientInfo,
    ) -> Result<()> {
        let mut e = TraceEntry::new(self.now(), action, Outcome::Success, client);
        actor.stamp(&mut e);
        // An action taken for a partner of the actor's caisse goes to that partner's chain,
        // so that its administrators read what was done in their organisation, by whom.
        // A partner named by anyone else (a stray `?partner=`) changes nothing.
        if let Some(p) = actor.acting_for {
            if actor.organisation.kind == OrganisationKind::Caisse
                && tx.organisation(p).await?.is_some_and(|o| o.kind == OrganisationKind::Partner && o.parent_id == Some(actor.organisation.id))
            {
                e.organisation_id = Some(p);
            }
        }
        e.target = Some(target);
        e.detail = detail;
        tx.append_trace(&e).await?;
        Ok(())
    }

    /// Today's date in Paris, the date contracts speak of.
    pub fn today(&self) -> Date {
        crate::clock::to_paris(self.now()).date()
    }

    /// Create a partner of the actor's caisse.
    pub async fn create_partner(&self, actor: &Actor, input: &PartnerInput, client: &ClientInfo) -> Result<Organisation> {
        let caisse = caisse_admin_of(actor)?;
        let name = field("name", DisplayName::parse(&input.name))?;
        let siret = field("siret", Siret::parse(&input.siret))?;
        let address = field("address", optional_text(&input.address, 500))?;
        let city = field("city", optional_text(&input.city, 200))?;
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
        tx.insert_organisation(&partner).await.map_err(|e| conflict_as_taken(e, "SIRET"))?;
        let mut e = TraceEntry::new(self.now(), "partner.create", Outcome::Success, client);
        actor.stamp(&mut e);
        e.target = Some(format!("{} ({})", partner.name, siret.as_str()));
        tx.append_trace(&e).await?;
        tx.commit().await?;
        Ok(partner)
    }

    /// Change a partner's name, SIRET or address.
    pub async fn update_partner(&self, actor: &Actor, id: OrganisationId, input: &PartnerInput, client: &ClientInfo) -> Result<Organisation> {
        let name = field("name", DisplayName::parse(&input.name))?;
        let siret = field("siret", Siret::parse(&input.siret))?;
        let address = field("address", optional_text(&input.address, 500))?;
        let city = field("city", optional_text(&input.city, 200))?;
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
    pub async fn catalogue(&self) -> Result<Vec<(Service, Vec<crate::model::ServiceRole>)>> {
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
    pub async fn add_service_role(&self, actor: &Actor, service_code: &str, code: &str, label: &str, client: &ClientInfo) -> Result<crate::model::ServiceRole> {
        caisse_admin_of(actor)?;
        let code = catalogue_code("role_code", code, 20)?;
        let label = field("role_label", DisplayName::parse(label))?;
        let mut tx = self.store.begin().await?;
        let service = tx.service_by_code(service_code.trim()).await?.ok_or(Error::NotFound)?;
        let role = crate::model::ServiceRole { id: ServiceRoleId::new(), service_id: service.id, code, label: label.as_str().into() };
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
        Ok(PartnerFile { partner, conventions, contracts, amendments, mode, services, administrators, contacts, missing_contacts })
    }

    /// Record a signed convention; its number must be `YYYY-` and the partner's SIRET.
    pub async fn record_convention(
        &self,
        actor: &Actor,
        partner: OrganisationId,
        number: &str,
        signed_on: &str,
        signatories: &str,
        client: &ClientInfo,
    ) -> Result<Convention> {
        let signed_on = field("signed_on", crate::values::parse_date(signed_on))?;
        let signatories = field("signatories", DisplayName::parse(signatories))?;
        let mut tx = self.store.begin().await?;
        let p = partner_to_manage(&mut tx, actor, partner).await?;
        let number = field("number", ConventionNumber::parse(number, p.siret.as_deref().unwrap_or("")))?;
        let c = Convention {
            id: Uuid::now_v7(),
            partner_id: partner,
            number: number.as_str().to_string(),
            signed_on,
            signatories: signatories.as_str().to_string(),
        };
        tx.insert_convention(&c).await.map_err(|e| conflict_as_taken(e, "numéro de convention"))?;
        self.trace_action(&mut tx, actor, "convention.create", format!("{} — {}", p.name, c.number), None, client).await?;
        tx.commit().await?;
        Ok(c)
    }

    /// Record a signed service contract under one of the partner's conventions.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_contract(
        &self,
        actor: &Actor,
        partner: OrganisationId,
        convention: Uuid,
        mode: &str,
        signed_on: &str,
        signatories: &str,
        client: &ClientInfo,
    ) -> Result<ServiceContract> {
        let mode = ManagementMode::parse(mode).ok_or(Error::invalid("mode", ValueError::BadFormat))?;
        let signed_on = field("signed_on", crate::values::parse_date(signed_on))?;
        let signatories = field("signatories", DisplayName::parse(signatories))?;
        let mut tx = self.store.begin().await?;
        let p = partner_to_manage(&mut tx, actor, partner).await?;
        if !tx.conventions(partner).await?.iter().any(|c| c.id == convention) {
            return Err(Error::Rule(Rule::ConventionOfAnotherPartner));
        }
        let c = ServiceContract {
            id: Uuid::now_v7(),
            convention_id: convention,
            partner_id: partner,
            mode,
            signed_on,
            signatories: signatories.as_str().to_string(),
        };
        tx.insert_contract(&c).await?;
        self.trace_action(&mut tx, actor, "contract.create", p.name.clone(), Some(format!("mode {}", mode.as_str())), client)
            .await?;
        tx.commit().await?;
        Ok(c)
    }

    /// Record an amendment changing the mode from `effective_on` (not before signature).
    #[allow(clippy::too_many_arguments)]
    pub async fn record_amendment(
        &self,
        actor: &Actor,
        partner: OrganisationId,
        contract: Uuid,
        mode: &str,
        signed_on: &str,
        effective_on: &str,
        reason: &str,
        client: &ClientInfo,
    ) -> Result<Amendment> {
        let mode = ManagementMode::parse(mode).ok_or(Error::invalid("mode", ValueError::BadFormat))?;
        let signed_on = field("signed_on", crate::values::parse_date(signed_on))?;
        let effective_on = field("effective_on", crate::values::parse_date(effective_on))?;
        if effective_on < signed_on {
            return Err(Error::invalid("effective_on", ValueError::DateOrder));
        }
        let reason = field("reason", DisplayName::parse(reason))?;
        let mut tx = self.store.begin().await?;
        let p = partner_to_manage(&mut tx, actor, partner).await?;
        if !tx.contracts(partner).await?.iter().any(|c| c.id == contract) {
            return Err(Error::NotFound);
        }
        let a = Amendment {
            id: Uuid::now_v7(),
            contract_id: contract,
            partner_id: partner,
            mode,
            signed_on,
            effective_on,
            reason: reason.as_str().to_string(),
        };
        tx.insert_amendment(&a).await?;
        let body = match mode {
            ManagementMode::CaisseManaged => format!(
                "La caisse a enregistré un avenant : à compter du {}, la gestion des habilitations de {} est reprise par la caisse.\n\
                 Vos administrateurs et gestionnaires délégués ne peuvent plus gérer les comptes, groupes et habilitations.\nMotif : {}\n",
                crate::clock::format_date_fr(effective_on), p.name, a.reason),
            ManagementMode::Delegated => format!(
                "La caisse a enregistré un avenant : à compter du {}, {} gère de nouveau ses habilitations (gestion déléguée).\nMotif : {}\n",
                crate::clock::format_date_fr(effective_on), p.name, a.reason),
        };
        crate::supervision::notify_partner_admins(&mut tx, p.id, "Habilis — avenant au contrat de service", &body, self.now()).await?;
        let detail = format!("mode {} from {}", mode.as_str(), effective_on);
        self.trace_action(&mut tx, actor, "amendment.create", p.name.clone(), Some(detail), client).await?;
        tx.commit().await?;
        Ok(a)
    }

    /// Whether `service` is open for `partner` today; the error lists what is missing.
    /// Every path that grants a right calls this inside its own transaction.
    pub async fn ensure_open<T: Transaction>(&self, tx: &mut T, partner: OrganisationId, service: ServiceId) -> Result<()> {
        let conventions = tx.conventions(partner).await?;
        let contracts = tx.contracts(partner).await?;
        let sub = tx.subscription(partner, service).await?;
        let missing = gate(&conventions, &contracts, sub.as_ref(), self.today());
        if missing.is_empty() { Ok(()) } else { Err(Error::Rule(Rule::ServiceClosed(missing))) }
    }

    /// Deactivate a partner administrator or deputy (caisse only, R14); their sessions end
    /// and the seat is free. Deactivation is final.
    pub async fn deactivate_administrator(&self, actor: &Actor, account: crate::model::AccountId, client: &ClientInfo) -> Result<()> {
        self.administrator_status(actor, account, AccountStatus::Deactivated, client).await
    }

    /// Suspend a partner administrator or deputy (caisse only); their sessions end, the
    /// seat stays theirs.
    pub async fn suspend_administrator(&self, actor: &Actor, account: crate::model::AccountId, client: &ClientInfo) -> Result<()> {
        self.administrator_status(actor, account, AccountStatus::Suspended, client).await
    }

    /// Lift the suspension of a partner administrator or deputy (caisse only).
    pub async fn reactivate_administrator(&self, actor: &Actor, account: crate::model::AccountId, client: &ClientInfo) -> Result<()> {
        self.administrator_status(actor, account, AccountStatus::Active, client).await
    }

    async fn administrator_status(&self, actor: &Actor, account: crate::model::AccountId, to: AccountStatus, client: &ClientInfo) -> Result<()> {
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
        let action = match to {
            AccountStatus::Active => "administrator.reactivate",
            AccountStatus::Suspended => "administrator.suspend",
            AccountStatus::Deactivated => "administrator.deactivate",
        };
        self.trace_action(&mut tx, actor, action, a.login.clone(), None, client).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn conv() -> Convention {
        Convention { id: Uuid::nil(), partner_id: OrganisationId(Uuid::nil()), number: "n".into(), signed_on: date!(2017 - 05 - 11), signatories: "x".into() }
    }
    fn contract(mode: ManagementMode) -> ServiceContract {
        ServiceContract { id: Uuid::nil(), convention_id: Uuid::nil(), partner_id: OrganisationId(Uuid::nil()), mode, signed_on: date!(2017 - 05 - 11), signatories: "x".into() }
    }

    #[test]
    fn the_gate_lists_what_is_missing() {
        let today = date!(2026 - 11 - 27);
        assert_eq!(gate(&[], &[], None, today), vec![Missing::Convention, Missing::ServiceContract, Missing::Subscription]);
        let mut sub = Subscription {
            id: Uuid::nil(),
            partner_id: OrganisationId(Uuid::nil()),
            service_id: ServiceId(Uuid::nil()),
            signed_on: Some(date!(2017 - 05 - 11)),
            formalities_reference: None,
            formalities_on: None,
            available_from: Some(date!(2027 - 01 - 01)),
            max_holders: Some(10),
            role_quotas: vec![],
        };
        assert_eq!(
            gate(&[conv()], &[contract(ManagementMode::Delegated)], Some(&sub), today),
            vec![Missing::DataProtectionFormalities, Missing::NotYetAvailable { from: date!(2027 - 01 - 01) }]
        );
        sub.formalities_reference = Some("CNIL 1234567".into());
        sub.formalities_on = Some(date!(2017 - 04 - 01));
        sub.available_from = Some(date!(2017 - 05 - 11));
        assert!(gate(&[conv()], &[contract(ManagementMode::Delegated)], Some(&sub), today).is_empty());
    }

    #[test]
    fn amendments_change_the_mode_from_their_date() {
        let c = contract(ManagementMode::Delegated);
        let a = Amendment {
            id: Uuid::nil(),
            contract_id: c.id,
            partner_id: c.partner_id,
            mode: ManagementMode::CaisseManaged,
            signed_on: date!(2026 - 11 - 20),
            effective_on: date!(2026 - 12 - 01),
            reason: "retrait".into(),
        };
        assert_eq!(mode_on(&[], &[], date!(2026 - 11 - 27)), None);
        assert_eq!(mode_on(&[c.clone()], &[a.clone()], date!(2026 - 11 - 27)), Some(ManagementMode::Delegated));
        assert_eq!(mode_on(&[c], &[a], date!(2026 - 12 - 01)), Some(ManagementMode::CaisseManaged));
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
