//! The in-memory view of rights the check API answers from (issue 13, R70): for every
//! partner, its people, contracts, subscriptions, grants (direct and through groups) and
//! group memberships, indexed by person. Built at start; kept coherent by the store's
//! announcements of committed changes (one organisation reloaded at a time; PostgreSQL
//! carries other instances' changes with LISTEN/NOTIFY); a check waits for this process's
//! own committed changes first (read-your-writes), at most one second.
//!
//! The decision itself (`decide`) is a pure function of a snapshot and a date.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use time::Date;
use tokio::sync::{Notify, OnceCell};

use crate::error::Result;
use crate::policy::gate::gate;
use crate::records::*;
use crate::store::*;

/// One grant as the check needs it.
#[derive(Debug, Clone)]
struct GrantEntry {
    id: GrantId,
    service: ServiceId,
    role: ServiceRoleId,
    starts_on: Date,
    ends_on: Option<Date>,
    active: bool,
}

/// One partner as the check needs it.
#[derive(Debug, Default)]
struct OrgEntry {
    /// The caisse the partner belongs to (its outages are the ones that apply).
    caisse: Option<OrganisationId>,
    conventions: Vec<Convention>,
    contracts: Vec<ServiceContract>,
    subscriptions: HashMap<ServiceId, Subscription>,
    direct: HashMap<AccountId, Vec<GrantEntry>>,
    by_group: HashMap<GroupId, Vec<GrantEntry>>,
    member_of: HashMap<AccountId, Vec<GroupId>>,
    people: Vec<AccountId>,
}

#[derive(Debug, Clone)]
struct PersonEntry {
    org: OrganisationId,
    login: String,
    active: bool,
}

/// Everything the check reads, at one instant.
#[derive(Debug, Default)]
pub struct Snapshot {
    logins: HashMap<String, AccountId>,
    people: HashMap<AccountId, PersonEntry>,
    orgs: HashMap<OrganisationId, OrgEntry>,
    roles: HashMap<ServiceRoleId, (ServiceId, String)>,
    clients: HashMap<String, Arc<ServiceClient>>,
    /// Planned outages announced and not over when last loaded (with the catalogue).
    outages: Vec<crate::records::Outage>,
}

/// Why a person may not use a service now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// No such person at any partner.
    UnknownPerson,
    /// The person's account is suspended or deactivated.
    PersonInactive,
    /// The service is not open for the person's organisation (gate).
    ServiceClosed(Vec<Missing>),
    /// The role asked for is not one of this service's.
    UnknownRole,
    /// No grant in force gives the person this service (or this role).
    NoGrant,
    /// The service is down for a planned outage until this instant (Art. 3.1, 4).
    Outage { until: time::OffsetDateTime },
}

impl Denial {
    /// The refusal in French words with its code in brackets, for the trail's detail.
    pub fn words(&self) -> String {
        let words = match self {
            Denial::UnknownPerson => "personne inconnue",
            Denial::PersonInactive => "compte ou organisme inactif",
            Denial::ServiceClosed(_) => "service fermé à ce partenaire",
            Denial::UnknownRole => "profil inconnu",
            Denial::NoGrant => "aucune habilitation en vigueur",
            Denial::Outage { .. } => "service indisponible (interruption programmée)",
        };
        format!("{words} ({})", self.code())
    }

    /// A stable code for a refusal (API and traces).
    pub fn code(&self) -> &'static str {
        match self {
            Denial::UnknownPerson => "unknown_person",
            Denial::PersonInactive => "person_inactive",
            Denial::ServiceClosed(_) => "service_closed",
            Denial::UnknownRole => "unknown_role",
            Denial::NoGrant => "no_grant",
            Denial::Outage { .. } => "service_unavailable",
        }
    }
}

/// What the check found: the person and the roles they hold on the service now, each with
/// a grant that gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    pub person: AccountId,
    pub organisation: OrganisationId,
    pub login: String,
    pub roles: Vec<(String, GrantId)>,
}

impl Snapshot {
    /// The roles `person` (a login, or an account id) holds on `service` on `today`; with
    /// `role`, whether they hold that one. Grants count when active (neither the partner
    /// nor the caisse suspended them), started and not ended, given to the person or to a
    /// group they belong to; the person must be active and the service open for their
    /// organisation (the gate: convention, contract, signed subscription, formalities,
    /// availability, quota).
    /// `decide` at the instant `now`: a service down for a planned outage is unavailable
    /// to everyone the service knows (an unknown or inactive person is still told so).
    pub fn decide_at(&self, person: &str, service: ServiceId, role: Option<&str>, now: time::OffsetDateTime) -> std::result::Result<Holding, Denial> {
        let decided = self.decide(person, service, role, crate::clock::to_paris(now).date());
        if matches!(decided, Err(Denial::UnknownPerson | Denial::PersonInactive)) || !self.outages.iter().any(|o| o.service_id == service && o.covers(now)) {
            return decided;
        }
        // Only the outages of the person's own caisse apply to them.
        let caisse = self.organisation_of(person).and_then(|o| self.orgs.get(&o)).and_then(|o| o.caisse);
        match (&decided, self.outages.iter().find(|o| o.service_id == service && Some(o.caisse_id) == caisse && o.covers(now))) {
            (Err(Denial::UnknownPerson | Denial::PersonInactive), _) | (_, None) => decided,
            (_, Some(o)) => Err(Denial::Outage { until: o.ends_at }),
        }
    }

    pub fn decide(&self, person: &str, service: ServiceId, role: Option<&str>, today: Date) -> std::result::Result<Holding, Denial> {
        let folded: std::borrow::Cow<'_, str> = if person.bytes().any(|b| b.is_ascii_uppercase() || b == b' ') {
            person.trim().to_lowercase().into()
        } else {
            person.into()
        };
        let id = match self.logins.get(folded.as_ref()) {
            Some(id) => *id,
            None => AccountId::parse(person).filter(|id| self.people.contains_key(id)).ok_or(Denial::UnknownPerson)?,
        };
        let p = self.people.get(&id).ok_or(Denial::UnknownPerson)?;
        let org = self.orgs.get(&p.org).ok_or(Denial::UnknownPerson)?;
        if !p.active {
            return Err(Denial::PersonInactive);
        }
        let missing = gate(&org.conventions, &org.contracts, org.subscriptions.get(&service), today);
        if !missing.is_empty() {
            return Err(Denial::ServiceClosed(missing));
        }
        let wanted = match role {
            None => None,
            Some(code) => Some(
                self.roles
                    .iter()
                    .find(|(_, (s, c))| *s == service && c.eq_ignore_ascii_case(code.trim()))
                    .map(|(id, _)| *id)
                    .ok_or(Denial::UnknownRole)?,
            ),
        };
        let groups = org.member_of.get(&id).map(Vec::as_slice).unwrap_or(&[]);
        let held = org
            .direct
            .get(&id)
            .into_iter()
            .flatten()
            .chain(groups.iter().filter_map(|g| org.by_group.get(g)).flatten())
            .filter(|g| g.service == service && g.active && g.starts_on <= today && g.ends_on.is_none_or(|e| e >= today))
            .filter(|g| wanted.is_none_or(|w| w == g.role));
        let mut roles: Vec<(String, GrantId)> = Vec::new();
        for g in held {
            let code = self.roles.get(&g.role).map(|(_, c)| c.clone()).unwrap_or_default();
            if !roles.iter().any(|(c, _)| *c == code) {
                roles.push((code, g.id));
            }
        }
        roles.sort();
        if roles.is_empty() && wanted.is_some() {
            return Err(Denial::NoGrant);
        }
        Ok(Holding { person: id, organisation: p.org, login: p.login.clone(), roles })
    }

    /// The organisation of `person` (a login or an account id), if the view knows them.
    pub fn organisation_of(&self, person: &str) -> Option<OrganisationId> {
        let id = self.logins.get(&person.trim().to_lowercase()).copied().or_else(|| AccountId::parse(person))?;
        self.people.get(&id).map(|p| p.org)
    }

    /// The client registered as `client_id`, if it is enabled.
    pub fn client(&self, client_id: &str) -> Option<Arc<ServiceClient>> {
        self.clients.get(client_id).filter(|c| c.disabled_at.is_none()).cloned()
    }

    /// How many grants the view holds (for the benchmark's memory figure).
    pub fn grants(&self) -> usize {
        self.orgs.values().map(|o| o.direct.values().map(Vec::len).sum::<usize>() + o.by_group.values().map(Vec::len).sum::<usize>()).sum()
    }

    fn replace_org(&mut self, id: OrganisationId, entry: OrgEntry, people: Vec<Account>) {
        if let Some(old) = self.orgs.remove(&id) {
            for p in old.people {
                if let Some(e) = self.people.remove(&p) {
                    self.logins.remove(&e.login);
                }
            }
        }
        let mut entry = entry;
        entry.people = people.iter().map(|a| a.id).collect();
        for a in people {
            self.logins.insert(a.login.clone(), a.id);
            self.people.insert(a.id, PersonEntry { org: id, login: a.login, active: a.status == AccountStatus::Active });
        }
        self.orgs.insert(id, entry);
    }
}

/// Read one partner's part of the view inside `tx`.
async fn load_org<T: Transaction>(tx: &mut T, org: OrganisationId) -> Result<(OrgEntry, Vec<Account>)> {
    let people = tx.accounts_of(org).await?;
    let mut e = OrgEntry {
        caisse: tx.organisation(org).await?.and_then(|o| o.parent_id),
        conventions: tx.conventions(org).await?,
        contracts: tx.contracts(org).await?,
        subscriptions: tx.subscriptions(org).await?.into_iter().map(|s| (s.service_id, s)).collect(),
        ..Default::default()
    };
    for g in tx.grants_of(org).await? {
        let entry = GrantEntry {
            id: g.id,
            service: g.service_id,
            role: g.service_role_id,
            starts_on: g.starts_on,
            ends_on: g.ends_on,
            active: g.state == GrantState::Active,
        };
        // Revoked grants can never answer yes: they are left out.
        if g.state == GrantState::Revoked {
            continue;
        }
        match (g.holder_account_id, g.holder_group_id) {
            (Some(a), _) => e.direct.entry(a).or_default().push(entry),
            (None, Some(gr)) => e.by_group.entry(gr).or_default().push(entry),
            _ => {}
        }
    }
    for group in tx.groups_of(org).await? {
        for m in tx.members(group.id).await? {
            e.member_of.entry(m).or_default().push(group.id);
        }
    }
    Ok((e, people))
}

async fn load_roles<T: Transaction>(tx: &mut T) -> Result<HashMap<ServiceRoleId, (ServiceId, String)>> {
    let mut roles = HashMap::new();
    for s in tx.services().await? {
        for r in tx.service_roles(s.id).await? {
            roles.insert(r.id, (s.id, r.code));
        }
    }
    Ok(roles)
}

/// The view, shared by the check API of one process.
#[derive(Debug, Default)]
pub struct RightsView {
    snapshot: RwLock<Snapshot>,
    /// Uses of grants not yet written (grant → latest instant), flushed in batches.
    uses: std::sync::Mutex<HashMap<GrantId, time::OffsetDateTime>>,
    /// The highest of this process's change versions applied.
    applied: AtomicU64,
    changed: Notify,
    started: OnceCell<()>,
}

impl RightsView {
    /// A new, empty view (built on first use).
    pub fn shared() -> Arc<RightsView> {
        Arc::new(RightsView::default())
    }

    /// Build the view from the database and follow its changes, once per process.
    pub async fn ensure_started<S: Store>(self: &Arc<Self>, store: &S) -> Result<()> {
        self.started
            .get_or_try_init(|| async {
                // Listen first: a change committed while the view is built is applied after.
                let mut changes = store.rights_changes();
                store.listen_to_other_instances().await?;
                let version = store.rights_version();
                self.rebuild(store).await?;
                self.applied.fetch_max(version, Ordering::AcqRel);
                // Uses of grants are written every two seconds, in one transaction.
                let (flusher, flush_store) = (Arc::clone(self), store.clone());
                tokio::spawn(async move {
                    let mut tick = tokio::time::interval(Duration::from_secs(2));
                    loop {
                        tick.tick().await;
                        if let Err(e) = flusher.flush_uses(&flush_store).await {
                            tracing::warn!(error = %e, "writing the last uses of grants failed");
                        }
                    }
                });
                let view = Arc::clone(self);
                let store = store.clone();
                tokio::spawn(async move {
                    loop {
                        match changes.recv().await {
                            Ok(first) => {
                                // Everything already waiting is applied with it: each
                                // organisation reloaded once, however many changes it had.
                                let mut orgs: Vec<OrganisationId> = Vec::new();
                                let (mut all, mut catalogue, mut version) = (false, false, first.version);
                                let mut next = Some(first);
                                while let Some(change) = next.take() {
                                    version = version.max(change.version);
                                    all |= change.everything;
                                    match change.organisation {
                                        Some(org) if !orgs.contains(&org) => orgs.push(org),
                                        Some(_) => {}
                                        None => catalogue = true,
                                    }
                                    next = changes.try_recv().ok();
                                }
                                let done = if all {
                                    view.rebuild(&store).await
                                } else {
                                    // A client or a role registered reloads the catalogue
                                    // only, not every partner.
                                    let mut r = if catalogue { view.reload_catalogue(&store).await } else { Ok(()) };
                                    for org in orgs {
                                        r = r.and(view.reload_org(&store, org).await);
                                    }
                                    r
                                };
                                if let Err(e) = done {
                                    tracing::warn!(error = %e, "rights view: reload failed; rebuilding");
                                    let _ = view.rebuild(&store).await;
                                }
                                view.applied.fetch_max(version, Ordering::AcqRel);
                                view.changed.notify_waiters();
                            }
                            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                                let version = store.rights_version();
                                if let Err(e) = view.rebuild(&store).await {
                                    tracing::warn!(error = %e, "rights view: rebuild failed");
                                }
                                view.applied.fetch_max(version, Ordering::AcqRel);
                                view.changed.notify_waiters();
                            }
                            Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                        }
                    }
                });
                Ok::<(), crate::error::Error>(())
            })
            .await?;
        Ok(())
    }

    /// Note that the service used these grants at `at` (written by `flush_uses`).
    pub fn note_uses(&self, grants: impl IntoIterator<Item = GrantId>, at: time::OffsetDateTime) {
        let mut pending = self.uses.lock().unwrap_or_else(|e| e.into_inner());
        for g in grants {
            let e = pending.entry(g).or_insert(at);
            if *e < at {
                *e = at;
            }
        }
    }

    /// Write the pending uses in one transaction; returns how many grants.
    pub async fn flush_uses<S: Store>(&self, store: &S) -> Result<usize> {
        let mut batch: Vec<(GrantId, time::OffsetDateTime)> = std::mem::take(&mut *self.uses.lock().unwrap_or_else(|e| e.into_inner())).into_iter().collect();
        // In the grants' order: two instances' flushes lock their rows in the same order.
        batch.sort_unstable_by_key(|(g, _)| g.0);
        if batch.is_empty() {
            return Ok(0);
        }
        let mut tx = store.begin().await?;
        tx.quiet();
        tx.record_grant_uses(&batch).await?;
        tx.commit().await?;
        Ok(batch.len())
    }

    /// Wait (at most one second) until this process's changes up to `version` are applied.
    pub async fn catch_up(&self, version: u64) {
        if self.applied.load(Ordering::Acquire) >= version {
            return;
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.applied.load(Ordering::Acquire) >= version {
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return;
            }
        }
    }

    /// Read the view.
    pub fn read<R>(&self, f: impl FnOnce(&Snapshot) -> R) -> R {
        let guard = self.snapshot.read().unwrap_or_else(|e| e.into_inner());
        f(&guard)
    }

    async fn rebuild<S: Store>(&self, store: &S) -> Result<()> {
        let mut tx = store.read().await?;
        let mut fresh = Snapshot {
            roles: load_roles(&mut tx).await?,
            clients: tx.clients().await?.into_iter().map(|c| (c.client_id.clone(), Arc::new(c))).collect(),
            outages: tx.outages_ending_after(time::OffsetDateTime::now_utc() - time::Duration::days(400)).await?,
            ..Default::default()
        };
        for p in tx.all_partners().await? {
            let (entry, people) = load_org(&mut tx, p.id).await?;
            fresh.replace_org(p.id, entry, people);
        }
        drop(tx);
        *self.snapshot.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        Ok(())
    }

    async fn reload_catalogue<S: Store>(&self, store: &S) -> Result<()> {
        let mut tx = store.read().await?;
        let roles = load_roles(&mut tx).await?;
        let clients = tx.clients().await?.into_iter().map(|c| (c.client_id.clone(), Arc::new(c))).collect();
        let outages = tx.outages_ending_after(time::OffsetDateTime::now_utc() - time::Duration::days(400)).await?;
        drop(tx);
        let mut snapshot = self.snapshot.write().unwrap_or_else(|e| e.into_inner());
        snapshot.roles = roles;
        snapshot.clients = clients;
        snapshot.outages = outages;
        Ok(())
    }

    async fn reload_org<S: Store>(&self, store: &S, org: OrganisationId) -> Result<()> {
        let mut tx = store.read().await?;
        let is_partner = tx.organisation(org).await?.is_some_and(|o| o.kind == OrganisationKind::Partner);
        if !is_partner {
            return Ok(());
        }
        let (entry, people) = load_org(&mut tx, org).await?;
        drop(tx);
        self.snapshot.write().unwrap_or_else(|e| e.into_inner()).replace_org(org, entry, people);
        Ok(())
    }
}
