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
        let mut held: Vec<(Grant, Option<String>)> = tx
            .grants_of(actor.organisation.id)
            .await?
            .into_iter()
            .filter(|g| g.holder_account_id == Some(me))
            .map(|g| (g, None))
            .collect();
        for m in tx.memberships_of(me).await? {
            if m.removed_at.is_none() {
                for g in tx.grants_of_group(m.group_id).await? {
                    held.push((g, Some(m.group_name.clone())));
                }
            }
        }
        let mut names: std::collections::HashMap<AccountId, String> = std::collections::HashMap::new();
        let mut out = Vec::new();
        for (g, through) in held {
            if g.state == GrantState::Revoked || g.organisation_id != actor.organisation.id || g.ends_on.is_some_and(|e| e < today) {
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
