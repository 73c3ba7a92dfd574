//! Provisioning by a partner's own directory (SCIM 2.0, R71). The protocol (JSON, filters,
//! PATCH) is the web layer's; here are its tokens and what a directory reads and changes,
//! each change through the same steps as the portal's forms (`*_in`), in one transaction
//! with its traces, under the partner's lock.
//!
//! A token is issued by the partner's administrator (or deputy) and acts as them: their
//! powers are read afresh at every request, so a token dies with its issuer's role.

use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::app::App;
use crate::commands::*;
use crate::error::{Error, Result};
use crate::reach::readable_org;
use crate::records::*;
use crate::store::*;
use crate::trace::*;
use crate::values::*;

/// How long a new token opens the endpoint, unless the administrator chooses less.
pub const SCIM_TOKEN_DAYS: i64 = 365;

/// A person as a directory sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryPerson {
    pub id: AccountId,
    pub login: String,
    pub given_name: String,
    pub family_name: String,
    pub display_name: String,
    pub email: String,
    pub title: Option<String>,
    pub active: bool,
    pub external_id: Option<String>,
    /// The groups they are a member of: id and name.
    pub groups: Vec<(GroupId, String)>,
    pub created_at: OffsetDateTime,
}

impl DirectoryPerson {
    /// A short digest of everything the directory reads: the resource's version (ETag).
    pub fn version(&self) -> String {
        let mut h = Sha256::new();
        for part in [&self.login, &self.given_name, &self.family_name, &self.display_name, &self.email] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        h.update(self.title.as_deref().unwrap_or("\u{1}").as_bytes());
        h.update([0, u8::from(self.active), 0]);
        h.update(self.external_id.as_deref().unwrap_or("\u{1}").as_bytes());
        for (g, name) in &self.groups {
            h.update(g.0.as_bytes());
            h.update(name.as_bytes());
        }
        hex::encode(h.finalize().get(..8).unwrap_or_default())
    }
}

/// A group as a directory sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryGroup {
    pub id: GroupId,
    pub name: String,
    pub external_id: Option<String>,
    /// Its members: id and login.
    pub members: Vec<(AccountId, String)>,
}

impl DirectoryGroup {
    /// A short digest of everything the directory reads: the resource's version (ETag).
    pub fn version(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.name.as_bytes());
        h.update([0]);
        h.update(self.external_id.as_deref().unwrap_or("\u{1}").as_bytes());
        for (m, _) in &self.members {
            h.update(m.0.as_bytes());
        }
        hex::encode(h.finalize().get(..8).unwrap_or_default())
    }
}

/// A person as a directory wants them (a creation or a replacement).
#[derive(Debug, Clone, Default)]
pub struct PersonChange {
    /// The login (`userName`), with or without the organisation's prefix.
    pub login: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub title: Option<String>,
    /// `None` keeps the person's state (active on creation).
    pub active: Option<bool>,
    pub external_id: Option<String>,
}

/// A group as a directory wants it.
#[derive(Debug, Clone, Default)]
pub struct GroupChange {
    pub name: String,
    pub external_id: Option<String>,
    pub members: Vec<AccountId>,
}

/// A token as its organisation's administrators see it listed.
#[derive(Debug, Clone)]
pub struct ListedScimToken {
    pub token: ScimToken,
    /// The issuer's name.
    pub issuer: String,
    /// Whether the issuer is still an active administrator (or deputy) of the organisation.
    pub issuer_may: bool,
}

impl ListedScimToken {
    /// Whether the token opens the endpoint at `now`: not revoked, not expired, its issuer
    /// still in place.
    pub fn usable(&self, now: OffsetDateTime) -> bool {
        self.token.is_usable(now) && self.issuer_may
    }
}

/// A token just issued: the record, and its secret, shown once.
#[derive(Debug, Clone)]
pub struct IssuedScimToken {
    pub token: ScimToken,
    pub secret: String,
}

impl<S: Store> App<S> {
    /// Issue a token for the organisation's directory, valid `days` (1 to 365).
    pub async fn issue_scim_token(&self, actor: &Actor, label: &str, days: i64, client: &ClientInfo) -> Result<IssuedScimToken> {
        let org = scim_token_org(actor)?;
        let mut c = crate::error::FieldChecks::default();
        let label = c.check("label", DisplayName::parse(label));
        let days = c.check("days", if (1..=SCIM_TOKEN_DAYS).contains(&days) { Ok(days) } else { Err(ValueError::OutOfRange) });
        let (Some(label), Some(days)) = (label, days) else {
            return Err(c.error());
        };
        let now = self.now();
        let secret = format!("scim_{}", crate::token::new_token());
        let token = ScimToken {
            id: ScimTokenId::new(),
            organisation_id: org,
            issuer_id: actor.account.id,
            label: label.as_str().to_string(),
            token_hash: crate::token::digest(&secret),
            created_at: now,
            expires_at: now + Duration::days(days),
            last_used_at: None,
            revoked_at: None,
            revoked_by: None,
        };
        let mut tx = self.store.begin().await?;
        tx.insert_scim_token(&token).await?;
        self.trace_action(&mut tx, actor, "scim.token.create", token.label.clone(), Some(format!("{days} jour(s)")), client).await?;
        tx.commit().await?;
        Ok(IssuedScimToken { token, secret })
    }

    /// The organisation's directory tokens, newest first.
    pub async fn scim_tokens(&self, actor: &Actor) -> Result<Vec<ListedScimToken>> {
        let org = scim_token_org(actor)?;
        let mut tx = self.store.read().await?;
        let mut out = Vec::new();
        for token in tx.scim_tokens_of(org).await? {
            let issuer = tx.account(token.issuer_id).await?;
            // The token acts as its issuer: it opens nothing once they are no longer an
            // active administrator of the organisation (as `scim_actor` decides).
            let issuer_may = issuer.as_ref().is_some_and(|a| administers(a, org));
            out.push(ListedScimToken { issuer: issuer.map(|a| a.display_name).unwrap_or_default(), issuer_may, token });
        }
        Ok(out)
    }

    /// Revoke one of the organisation's directory tokens: it opens nothing from now on.
    pub async fn revoke_scim_token(&self, actor: &Actor, id: ScimTokenId, client: &ClientInfo) -> Result<()> {
        let org = scim_token_org(actor)?;
        let mut tx = self.store.begin().await?;
        let token = tx.scim_tokens_of(org).await?.into_iter().find(|t| t.id == id).ok_or(Error::NotFound)?;
        if !tx.revoke_scim_token(org, id, actor.account.id, self.now()).await? {
            return Err(Error::Refused(crate::Refusal::AlreadyDecided));
        }
        self.trace_action(&mut tx, actor, "scim.token.revoke", token.label, None, client).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The person a directory's token acts as, with a session that stands for the token
    /// (its id is the token's, so that the trail tells which token did what). Unknown,
    /// revoked or expired tokens, and tokens whose issuer is no longer an active
    /// administrator of the organisation, open nothing.
    pub async fn scim_actor(&self, secret: &str, client: &ClientInfo) -> Result<Actor> {
        let now = self.now();
        let mut tx = self.store.read().await?;
        let token = tx.scim_token_by_hash(&crate::token::digest(secret)).await?.filter(|t| t.is_usable(now)).ok_or(Error::NotAuthenticated)?;
        let account = tx.account(token.issuer_id).await?.ok_or(Error::NotAuthenticated)?;
        let organisation = tx.organisation(token.organisation_id).await?.ok_or(Error::NotAuthenticated)?;
        drop(tx);
        let session = Session {
            id: SessionId(token.id.0),
            account_id: account.id,
            organisation_id: organisation.id,
            token_hash: Vec::new(),
            csrf_token: String::new(),
            created_at: token.created_at,
            last_seen_at: now,
            expires_at: token.expires_at,
            ended_at: None,
            end_reason: None,
            client_addr: client.addr.clone(),
            user_agent: client.user_agent.clone(),
            pending_step: None,
        };
        let actor = Actor { account, organisation, session, acting_for: None };
        if !administers(&actor.account, token.organisation_id) || scim_token_org(&actor).is_err() {
            return Err(Error::NotAuthenticated);
        }
        // The page of tokens shows when each was last used; a minute's precision is enough.
        if token.last_used_at.is_none_or(|t| now - t > Duration::minutes(1)) {
            let mut tx = self.store.begin().await?;
            tx.quiet();
            tx.touch_scim_token(token.id, now).await?;
            tx.commit().await?;
        }
        Ok(actor)
    }

    /// The people of the actor's organisation as its directory sees them (those who left
    /// it are gone from the directory's view).
    pub async fn directory_people(&self, actor: &Actor) -> Result<Vec<DirectoryPerson>> {
        let mut tx = self.store.read().await?;
        let org = readable_org(&mut tx, actor, self.today()).await?;
        people_in(&mut tx, org, None).await
    }

    /// One person of the actor's organisation.
    pub async fn directory_person(&self, actor: &Actor, id: AccountId) -> Result<DirectoryPerson> {
        let mut tx = self.store.read().await?;
        let org = readable_org(&mut tx, actor, self.today()).await?;
        people_in(&mut tx, org, Some(id)).await?.pop().ok_or(Error::NotFound)
    }

    /// The groups of the actor's organisation with their members.
    pub async fn directory_groups(&self, actor: &Actor) -> Result<Vec<DirectoryGroup>> {
        let mut tx = self.store.read().await?;
        let org = readable_org(&mut tx, actor, self.today()).await?;
        groups_in(&mut tx, org, None).await
    }

    /// One group of the actor's organisation.
    pub async fn directory_group(&self, actor: &Actor, id: GroupId) -> Result<DirectoryGroup> {
        let mut tx = self.store.read().await?;
        let org = readable_org(&mut tx, actor, self.today()).await?;
        groups_in(&mut tx, org, Some(id)).await?.pop().ok_or(Error::NotFound)
    }

    /// Create a person as the directory describes them: the form's rules, its one-time link
    /// by mail, then their state and the directory's own words, in one transaction.
    pub async fn directory_create_person(&self, actor: &Actor, change: &PersonChange, public_url: &str, client: &ClientInfo) -> Result<DirectoryPerson> {
        let mut tx = self.store.begin().await?;
        let org = readable_org(&mut tx, actor, self.today()).await?;
        tx.lock_organisation(org).await?;
        let input = user_input(change);
        let account = self.create_user_in(&mut tx, actor, &input, public_url, client).await?;
        if change.active == Some(false) {
            self.user_action_in(&mut tx, actor, account.id, UserAction::Suspend, public_url, client).await?;
        }
        tx.set_scim_extra(org, account.id.0, &person_extra(change)).await?;
        let person = people_in(&mut tx, org, Some(account.id)).await?.pop().ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(person)
    }

    /// Make a person what the directory describes (a PUT, or a PATCH once applied): each
    /// difference through the form's own step, with its trace. `if_match` is the version the
    /// directory last read (`*` or `None`: any). Also says whether anything changed.
    pub async fn directory_replace_person(
        &self,
        actor: &Actor,
        id: AccountId,
        change: &PersonChange,
        if_match: Option<&str>,
        public_url: &str,
        client: &ClientInfo,
    ) -> Result<(DirectoryPerson, bool)> {
        let mut tx = self.store.begin().await?;
        let org = readable_org(&mut tx, actor, self.today()).await?;
        tx.lock_organisation(org).await?;
        let current = people_in(&mut tx, org, Some(id)).await?.pop().ok_or(Error::NotFound)?;
        ensure_version(if_match, &current.version())?;
        if !same_login(&current.login, &change.login) {
            return Err(Error::invalid("userName", ValueError::Fixed));
        }
        let extra = person_extra(change);
        let title = change.title.as_deref().map(str::trim).filter(|t| !t.is_empty());
        let display = format!("{} {}", change.given_name.trim(), change.family_name.trim());
        let fields_changed = display != current.display_name || !change.email.trim().eq_ignore_ascii_case(&current.email) || title != current.title.as_deref();
        let state_change = match change.active {
            Some(false) if current.active => Some(UserAction::Suspend),
            Some(true) if !current.active => Some(UserAction::Reactivate),
            _ => None,
        };
        let extra_changed = extra.external_id != current.external_id
            || extra.given_name.as_deref() != Some(current.given_name.as_str())
            || extra.family_name.as_deref() != Some(current.family_name.as_str());
        if !fields_changed && state_change.is_none() && !extra_changed {
            return Ok((current, false));
        }
        if fields_changed {
            self.update_user_in(&mut tx, actor, id, &user_input(change), client).await?;
        } else {
            // The directory's words about a person are changed by who may change the person.
            self.user_to_manage(&mut tx, actor, id).await?;
        }
        if let Some(action) = state_change {
            self.user_action_in(&mut tx, actor, id, action, public_url, client).await?;
        }
        if extra_changed {
            tx.set_scim_extra(org, id.0, &extra).await?;
            if extra.external_id != current.external_id {
                let detail = format!("externalId : {}", extra.external_id.as_deref().unwrap_or("—"));
                self.trace_action(&mut tx, actor, "user.external_id", current.login.clone(), Some(detail), client).await?;
            }
            // The same name cut elsewhere into first and last name: nothing else changed,
            // but what the directory reads did.
            let halves_changed = extra.given_name.as_deref() != Some(current.given_name.as_str()) || extra.family_name.as_deref() != Some(current.family_name.as_str());
            if halves_changed && !fields_changed {
                let detail = format!("prénom « {} », nom « {} » (annuaire)", change.given_name.trim(), change.family_name.trim());
                self.trace_action(&mut tx, actor, "user.update", current.login.clone(), Some(detail), client).await?;
            }
        }
        let person = people_in(&mut tx, org, Some(id)).await?.pop().ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok((person, true))
    }

    /// A person leaves the organisation because the directory deleted them: their account
    /// is deactivated and everything they hold ends (`leave_organisation`).
    pub async fn directory_delete_person(&self, actor: &Actor, id: AccountId, if_match: Option<&str>, client: &ClientInfo) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let org = readable_org(&mut tx, actor, self.today()).await?;
        tx.lock_organisation(org).await?;
        let current = people_in(&mut tx, org, Some(id)).await?.pop().ok_or(Error::NotFound)?;
        ensure_version(if_match, &current.version())?;
        self.leave_organisation_in(&mut tx, actor, id, client).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Create a group with its members (each one as if added on the group's page).
    pub async fn directory_create_group(&self, actor: &Actor, change: &GroupChange, client: &ClientInfo) -> Result<DirectoryGroup> {
        let mut tx = self.store.begin().await?;
        let org = readable_org(&mut tx, actor, self.today()).await?;
        tx.lock_organisation(org).await?;
        let group = self.create_group_in(&mut tx, actor, &change.name, client).await?;
        let people = present_people(&mut tx, org).await?;
        for m in unique(&change.members) {
            ensure_member_known(&people, m)?;
            self.add_member_in(&mut tx, actor, group.id, m, client).await?;
        }
        tx.set_scim_extra(org, group.id.0, &ScimExtra { external_id: clean(change.external_id.as_deref()), ..ScimExtra::default() }).await?;
        let g = groups_in(&mut tx, org, Some(group.id)).await?.pop().ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(g)
    }

    /// Make a group what the directory describes: renamed, members added (quotas of the
    /// grants it holds, mandates) and removed, each as on the group's page.
    pub async fn directory_replace_group(&self, actor: &Actor, id: GroupId, change: &GroupChange, if_match: Option<&str>, client: &ClientInfo) -> Result<(DirectoryGroup, bool)> {
        let mut tx = self.store.begin().await?;
        let org = readable_org(&mut tx, actor, self.today()).await?;
        tx.lock_organisation(org).await?;
        let current = groups_in(&mut tx, org, Some(id)).await?.pop().ok_or(Error::NotFound)?;
        ensure_version(if_match, &current.version())?;
        let mut changed = false;
        if change.name.trim() != current.name {
            self.rename_group_in(&mut tx, actor, id, &change.name, client).await?;
            changed = true;
        }
        let wanted = unique(&change.members);
        let wanted_set: std::collections::HashSet<AccountId> = wanted.iter().copied().collect();
        let present: std::collections::HashSet<AccountId> = current.members.iter().map(|(m, _)| *m).collect();
        for (m, _) in current.members.iter().filter(|(m, _)| !wanted_set.contains(m)) {
            self.remove_member_in(&mut tx, actor, id, *m, client).await?;
            changed = true;
        }
        let added: Vec<AccountId> = wanted.into_iter().filter(|m| !present.contains(m)).collect();
        if !added.is_empty() {
            let people = present_people(&mut tx, org).await?;
            for m in added {
                ensure_member_known(&people, m)?;
                self.add_member_in(&mut tx, actor, id, m, client).await?;
                changed = true;
            }
        }
        let external_id = clean(change.external_id.as_deref());
        if external_id != current.external_id {
            // The directory's words about a group are changed by who may manage groups.
            let (_, powers) = crate::reach::powers_of(&mut tx, actor, self.today()).await?;
            if !powers.may_manage_groups() {
                return Err(Error::Rule(crate::error::Rule::OutsideMandate));
            }
            let detail = format!("externalId : {}", external_id.as_deref().unwrap_or("—"));
            tx.set_scim_extra(org, id.0, &ScimExtra { external_id, ..ScimExtra::default() }).await?;
            self.trace_action(&mut tx, actor, "group.external_id", current.name.clone(), Some(detail), client).await?;
            changed = true;
        }
        let g = groups_in(&mut tx, org, Some(id)).await?.pop().ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok((g, changed))
    }

    /// Delete a group that holds no grant (as on the group's page).
    pub async fn directory_delete_group(&self, actor: &Actor, id: GroupId, if_match: Option<&str>, client: &ClientInfo) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let org = readable_org(&mut tx, actor, self.today()).await?;
        tx.lock_organisation(org).await?;
        let current = groups_in(&mut tx, org, Some(id)).await?.pop().ok_or(Error::NotFound)?;
        ensure_version(if_match, &current.version())?;
        self.delete_group_in(&mut tx, actor, id, client).await?;
        tx.set_scim_extra(org, id.0, &ScimExtra::default()).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Whether `account` is an active administrator (or deputy) of `org`: who issues tokens,
/// and whom a token goes on acting as.
fn administers(account: &Account, org: OrganisationId) -> bool {
    account.status == AccountStatus::Active
        && account.organisation_id == org
        && account.roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy))
}

/// The partner whose directory tokens `actor` manages: their own, if they are its
/// administrator or deputy.
fn scim_token_org(actor: &Actor) -> Result<OrganisationId> {
    if actor.acting_for.is_some() || actor.organisation.kind != OrganisationKind::Partner || !administers(&actor.account, actor.organisation.id) {
        return Err(Error::Forbidden);
    }
    Ok(actor.organisation.id)
}

/// The ids of the people still in `org`: who may be named a group's member.
async fn present_people<T: Transaction>(tx: &mut T, org: OrganisationId) -> Result<std::collections::HashSet<AccountId>> {
    Ok(tx.accounts_of(org).await?.into_iter().filter(|a| a.status != AccountStatus::Deactivated).map(|a| a.id).collect())
}

/// Whether `actor` may issue and revoke their organisation's directory tokens.
pub fn may_manage_scim_tokens(actor: &Actor) -> bool {
    scim_token_org(actor).is_ok()
}

/// The people of `org` still in it (or the one named), with their groups and the
/// directory's words.
async fn people_in<T: Transaction>(tx: &mut T, org: OrganisationId, only: Option<AccountId>) -> Result<Vec<DirectoryPerson>> {
    let accounts = match only {
        Some(id) => tx.account(id).await?.filter(|a| a.organisation_id == org).into_iter().collect(),
        None => tx.accounts_of(org).await?,
    };
    let accounts: Vec<Account> = accounts.into_iter().filter(|a| a.status != AccountStatus::Deactivated).collect();
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    let mut memberships: Vec<(GroupId, String, Vec<AccountId>)> = Vec::new();
    for g in tx.groups_of(org).await? {
        let members = tx.members(g.id).await?;
        memberships.push((g.id, g.name, members));
    }
    let extras: std::collections::HashMap<uuid::Uuid, ScimExtra> = tx.scim_extras_of(org).await?.into_iter().collect();
    Ok(accounts
        .into_iter()
        .map(|a| {
            let extra = extras.get(&a.id.0).cloned().unwrap_or_default();
            let (given_name, family_name) = name_halves(&a.display_name, &extra);
            let groups = memberships.iter().filter(|(_, _, m)| m.contains(&a.id)).map(|(g, n, _)| (*g, n.clone())).collect();
            DirectoryPerson {
                id: a.id,
                login: a.login,
                given_name,
                family_name,
                display_name: a.display_name,
                email: a.email,
                title: a.function,
                active: a.status == AccountStatus::Active,
                external_id: extra.external_id,
                groups,
                created_at: a.created_at,
            }
        })
        .collect())
}

/// The groups of `org` (or the one named) with their members still in the organisation.
async fn groups_in<T: Transaction>(tx: &mut T, org: OrganisationId, only: Option<GroupId>) -> Result<Vec<DirectoryGroup>> {
    let groups = match only {
        Some(id) => tx.group(id).await?.filter(|g| g.organisation_id == org).into_iter().collect(),
        None => tx.groups_of(org).await?,
    };
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let people: std::collections::HashMap<AccountId, String> =
        tx.accounts_of(org).await?.into_iter().filter(|a| a.status != AccountStatus::Deactivated).map(|a| (a.id, a.login)).collect();
    let extras: std::collections::HashMap<uuid::Uuid, ScimExtra> = tx.scim_extras_of(org).await?.into_iter().collect();
    let mut out = Vec::new();
    for g in groups {
        let mut members: Vec<(AccountId, String)> = tx.members(g.id).await?.into_iter().filter_map(|m| people.get(&m).map(|l| (m, l.clone()))).collect();
        members.sort();
        let external_id = extras.get(&g.id.0).and_then(|e| e.external_id.clone());
        out.push(DirectoryGroup { id: g.id, name: g.name, external_id, members });
    }
    Ok(out)
}

/// The two halves of a name the portal keeps as one: the directory's, while they still
/// make the name; otherwise split at the first space, as the portal's form does.
fn name_halves(display: &str, extra: &ScimExtra) -> (String, String) {
    if let (Some(g), Some(f)) = (&extra.given_name, &extra.family_name)
        && format!("{g} {f}") == display
    {
        return (g.clone(), f.clone());
    }
    match display.split_once(' ') {
        Some((g, f)) => (g.to_string(), f.to_string()),
        None => (display.to_string(), String::new()),
    }
}

fn user_input(change: &PersonChange) -> UserInput {
    UserInput {
        first_name: change.given_name.clone(),
        last_name: change.family_name.clone(),
        email: change.email.clone(),
        function: change.title.clone().unwrap_or_default(),
        login: change.login.clone(),
    }
}

fn person_extra(change: &PersonChange) -> ScimExtra {
    ScimExtra {
        external_id: clean(change.external_id.as_deref()),
        given_name: Some(change.given_name.trim().to_string()),
        family_name: Some(change.family_name.trim().to_string()),
    }
}

fn clean(s: Option<&str>) -> Option<String> {
    s.map(str::trim).filter(|s| !s.is_empty()).map(|s| s.chars().take(200).collect())
}

/// Whether the login a directory names is the person's: the same, or the same without the
/// organisation's prefix (`martin` for `mons.martin`), letter case aside.
fn same_login(login: &str, named: &str) -> bool {
    let named = named.trim().to_lowercase();
    login == named || login.split_once('.').is_some_and(|(_, rest)| rest == named)
}

fn ensure_version(if_match: Option<&str>, current: &str) -> Result<()> {
    match if_match {
        None => Ok(()),
        Some(v) if v.trim() == "*" => Ok(()),
        Some(v) if v.split(',').any(|one| one.trim().trim_start_matches("W/").trim_matches('"') == current) => Ok(()),
        Some(_) => Err(Error::Stale),
    }
}

fn ensure_member_known(people: &std::collections::HashSet<AccountId>, m: AccountId) -> Result<()> {
    if people.contains(&m) {
        Ok(())
    } else {
        Err(Error::invalid("members", ValueError::BadFormat))
    }
}

fn unique(ids: &[AccountId]) -> Vec<AccountId> {
    let mut seen = std::collections::HashSet::new();
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}
