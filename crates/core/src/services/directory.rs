//! The contact directory of each organisation (Annex 1, R5): named people with a function,
//! used by notifications and escalation. The caisse keeps its own and its partners'; a
//! partner's administrators keep their own.


use crate::app::App;
use crate::commands::*;
use crate::error::{Error, Result};
use crate::reach::caisse_admin_of;
use crate::records::*;
use crate::store::*;
use crate::trace::*;
use crate::values::*;


/// The functions a directory knows.
/// `escalation_1` to `escalation_3` are the escalation procedure's contacts, in their order
/// (Art. 3.3): an incident left unanswered goes to the first, then the next.
pub const FUNCTIONS: [&str; 9] = [
    "administrator",
    "deputy",
    "security_officer",
    "data_protection_referent",
    "service_desk",
    "director",
    "escalation_1",
    "escalation_2",
    "escalation_3",
];

/// Whether `actor` may change `org`'s directory.
async fn may_edit<T: Transaction>(tx: &mut T, actor: &Actor, org: OrganisationId) -> Result<()> {
    if let Ok(caisse) = caisse_admin_of(actor) {
        if org == caisse {
            return Ok(());
        }
        let o = tx.organisation(org).await?.ok_or(Error::NotFound)?;
        return if o.kind == OrganisationKind::Partner && o.parent_id == Some(caisse) { Ok(()) } else { Err(Error::NotFound) };
    }
    let partner_admin = actor.account.roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy));
    if partner_admin && actor.organisation.id == org {
        return Ok(());
    }
    if partner_admin { Err(Error::NotFound) } else { Err(Error::Forbidden) }
}

impl<S: Store> App<S> {
    /// Add a person to an organisation's directory.
    pub async fn add_contact(&self, actor: &Actor, org: OrganisationId, input: &ContactInput, client: &ClientInfo) -> Result<Contact> {
        let function = input.function.trim();
        if !FUNCTIONS.contains(&function) {
            return Err(Error::invalid("function", ValueError::BadFormat));
        }
        let name = DisplayName::parse(&input.name).map_err(|p| Error::invalid("name", p))?;
        let title = optional_text(&input.title, 200).map_err(|p| Error::invalid("title", p))?;
        let email = match input.email.trim() {
            "" => None,
            e => Some(Email::parse(e).map_err(|p| Error::invalid("email", p))?.as_str().to_string()),
        };
        let phone = optional_text(&input.phone, 40).map_err(|p| Error::invalid("phone", p))?;
        let mut tx = self.store.begin().await?;
        may_edit(&mut tx, actor, org).await?;
        // Art. 5.1: one security officer per side, the single point of contact.
        if function == "security_officer" {
            tx.lock_organisation(org).await?;
            if tx.contacts(org).await?.iter().any(|c| c.function == "security_officer") {
                return Err(Error::Rule(crate::error::Rule::SingleSecurityOfficer));
            }
        }
        let c = Contact { id: ContactId::new(), organisation_id: org, function: function.into(), name: name.as_str().into(), title, email, phone };
        tx.insert_contact(&c).await?;
        self.trace_action(&mut tx, actor, "contact.create", format!("{} ({})", c.name, c.function), None, client).await?;
        tx.commit().await?;
        Ok(c)
    }

    /// Remove a person from a directory.
    pub async fn remove_contact(&self, actor: &Actor, id: ContactId, client: &ClientInfo) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let c = tx.contact(id).await?.ok_or(Error::NotFound)?;
        may_edit(&mut tx, actor, c.organisation_id).await?;
        tx.delete_contact(id).await?;
        self.trace_action(&mut tx, actor, "contact.delete", format!("{} ({})", c.name, c.function), None, client).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl<S: Store> App<S> {
    /// The directory of the actor's own organisation, for those who keep it: the caisse's
    /// administrators, the partner's administrator and deputy.
    pub async fn editable_directory(&self, actor: &Actor) -> Result<Vec<Contact>> {
        let mut tx = self.store.read().await?;
        may_edit(&mut tx, actor, actor.organisation.id).await?;
        Ok(tx.contacts(actor.organisation.id).await?)
    }

    /// The directory (Annex 1) of the actor's own organisation, for its managers (a
    /// caisse's administrators, a partner's administrators and delegated managers); anyone
    /// else gets an empty list.
    pub async fn own_directory(&self, actor: &Actor) -> Result<Vec<Contact>> {
        if !actor.account.roles.iter().any(|r| r.is_manager()) {
            return Ok(Vec::new());
        }
        let mut tx = self.store.read().await?;
        Ok(tx.contacts(actor.organisation.id).await?)
    }
}
