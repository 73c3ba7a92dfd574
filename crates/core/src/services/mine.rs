//! What a person sees of their own rights ("Mes habilitations", issue 17): every grant they
//! hold now, directly or through a group, with the service and role, the group, the end
//! date, its state and who gave it.

use serde::Serialize;
use time::{Date, OffsetDateTime};

use crate::app::App;
use crate::error::Result;
use crate::records::*;
use crate::store::*;

/// One right of the signed-in person.
#[derive(Debug, Clone, Serialize)]
pub struct MyRight {
    pub grant_id: GrantId,
    /// `CDAP T1`.
    pub what: String,
    pub service: String,
    pub role: String,
    /// The group it comes through, for a group's grant.
    pub through: Option<String>,
    pub purpose: String,
    pub starts_on: Date,
    /// Given ahead of time: in force from `starts_on` only.
    pub later: bool,
    pub ends_on: Option<Date>,
    pub state: GrantState,
    /// Suspended by the caisse as a precaution.
    pub caisse_suspended: bool,
    pub given_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub given_at: OffsetDateTime,
}

impl<S: Store> App<S> {
    /// The rights `actor` holds in their organisation now (revoked and ended ones left
    /// out; suspended ones shown as such), by service then role.
    pub async fn my_rights(&self, actor: &Actor) -> Result<Vec<MyRight>> {
        let today = self.today();
        let me = actor.account.id;
        let mut tx = self.store.read().await?;
        let held = crate::shared::held_grants(&mut tx, actor.organisation.id, me).await?;
        let mut names: std::collections::HashMap<AccountId, String> = std::collections::HashMap::new();
        let mut out = Vec::new();
        for (g, through) in held {
            if g.state == GrantState::Revoked || g.ends_on.is_some_and(|e| e < today) {
                continue;
            }
            let (service, role) = crate::shared::service_and_role(&mut tx, &g).await?;
            let given_by = match names.get(&g.created_by) {
                Some(n) => n.clone(),
                None => {
                    let n = tx.account(g.created_by).await?.map(|a| a.display_name).unwrap_or_default();
                    names.insert(g.created_by, n.clone());
                    n
                }
            };
            out.push(MyRight {
                grant_id: g.id,
                what: format!("{} {}", service.code, role.code),
                service: service.label,
                role: role.label,
                through,
                purpose: g.purpose.clone(),
                starts_on: g.starts_on,
                later: g.starts_on > today,
                ends_on: g.ends_on,
                state: g.state,
                caisse_suspended: g.caisse_suspension.is_some(),
                given_by,
                given_at: g.created_at,
            });
        }
        out.sort_by(|a, b| a.what.cmp(&b.what));
        Ok(out)
    }
}

impl<S: Store> App<S> {
    /// What the record `id` of the organisation `actor` works on (their own, or the partner
    /// they act for, within reach) is, in words — for a confirmation page: a person, a
    /// grant, a group or a mandate. `None` for anything else.
    pub async fn describe_record(&self, actor: &Actor, id: uuid::Uuid) -> Result<Option<String>> {
        let mut tx = self.store.read().await?;
        let org = match actor.acting_for {
            Some(p) => crate::reach::partner_in_reach(&mut tx, actor, p).await?.id,
            None => actor.organisation.id,
        };
        if let Some(a) = tx.account(AccountId(id)).await?.filter(|a| a.organisation_id == org) {
            return Ok(Some(format!("{} ({})", a.display_name, a.login)));
        }
        if let Some(g) = tx.grant(GrantId(id)).await?.filter(|g| g.organisation_id == org) {
            return Ok(Some(crate::shared::grant_in_words(&mut tx, &g).await?));
        }
        if let Some(g) = tx.group(GroupId(id)).await?.filter(|g| g.organisation_id == org) {
            let n = tx.members(g.id).await?.len();
            return Ok(Some(format!("groupe {} ({n} membre{})", g.name, if n > 1 { "s" } else { "" })));
        }
        if let Some(m) = tx.mandates_of(org).await?.into_iter().find(|m| m.id.0 == id) {
            let holder = tx.account(m.holder_id).await?.map(|a| a.display_name).unwrap_or_default();
            return Ok(Some(format!("mandat de {holder}")));
        }
        Ok(None)
    }
}

impl<S: Store> App<S> {
    /// What `actor` may do on their organisation's rights now (or on the partner they act
    /// for in caisse-managed mode), for the pages to offer only that: `None` when they may
    /// manage nothing there.
    pub async fn my_powers(&self, actor: &Actor) -> Result<Option<crate::policy::powers::Powers>> {
        let mut tx = self.store.read().await?;
        match crate::reach::powers_of(&mut tx, actor, self.today()).await {
            Ok((_, p)) => Ok(Some(p)),
            Err(crate::error::Error::Forbidden | crate::error::Error::Rule(_) | crate::error::Error::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
