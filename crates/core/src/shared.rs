//! Steps several services take inside their transaction: naming a new login, issuing a
//! one-time link or an administrator, telling a partner's administrators, resolving a
//! service and role by code, checking quotas, reading a date field.

use time::{Date, Duration, OffsetDateTime};

use crate::StoreError;
use crate::app::App;
use crate::commands::AdministratorInput;
use crate::error::{Error, Result, Rule};
use crate::policy::gate::gate;
use crate::policy::quotas::would_exceed;
use crate::reach::partner_to_manage;
use crate::records::{GrantState, MandateId, Organisation, 
    Account, AccountId, AccountStatus, Actor, Grant, LinkId, LinkPurpose, OrganisationId, OutboxMessage, PasswordLink,
    QuotaExceeded, Role, Service, ServiceRole, ServiceRoleId, Slot,
};
use crate::store::*;
use crate::token;
use crate::trace::ClientInfo;
use crate::values::{DisplayName, Email, Login, ValueError, optional_text, parse_date};

/// A parsed field, or the error naming it.
pub(crate) fn field<T>(name: &'static str, r: std::result::Result<T, ValueError>) -> Result<T> {
    r.map_err(|p| Error::invalid(name, p))
}

/// A uniqueness conflict of the store as "already taken" (`what` names it to the user).
pub(crate) fn conflict_as_taken(e: StoreError, what: &'static str) -> Error {
    match e {
        StoreError::Conflict(_) => Error::Taken(what),
        other => Error::Store(other),
    }
}

/// Refuse if adding `new_people` as holders of `service` (in `role`) would pass a quota.
/// The caller holds the partner's lock.
pub(crate) async fn check_quotas<T: Transaction>(
    tx: &mut T,
    org: OrganisationId,
    service: &Service,
    role: &ServiceRole,
    new_people: &[AccountId],
    today: Date,
) -> Result<()> {
    let sub = tx.subscription(org, service.id).await?.ok_or(Error::NotFound)?;
    let mut limits: Vec<(Option<ServiceRoleId>, i64)> = Vec::new();
    if let Some(m) = sub.max_holders {
        limits.push((None, m));
    }
    if let Some((_, m)) = sub.role_quotas.iter().find(|(r, _)| *r == role.id) {
        limits.push((Some(role.id), *m));
    }
    for (scope, allowed) in limits {
        let holders = tx.holders(org, service.id, scope, today).await?;
        if would_exceed(&holders, new_people, allowed).is_some() {
            return Err(Error::Quota(QuotaExceeded {
                service: service.code.clone(),
                role: scope.map(|_| role.code.clone()),
                used: holders.len() as i64,
                allowed,
            }));
        }
    }
    Ok(())
}

/// An optional end date (`YYYY-MM-DD`, empty for none), not before `today`.
pub(crate) fn end_date(raw: &str, today: Date) -> Result<Option<Date>> {
    let d = match raw.trim() {
        "" => return Ok(None),
        raw => parse_date(raw).map_err(|p| Error::invalid("ends_on", p))?,
    };
    if d < today {
        return Err(Error::invalid("ends_on", ValueError::DateOrder));
    }
    Ok(Some(d))
}

/// A service and one of its roles, by their codes.
pub(crate) async fn by_codes<T: Transaction>(tx: &mut T, service_code: &str, role_code: &str) -> Result<(Service, ServiceRole)> {
    let service = tx.service_by_code(service_code.trim()).await?.ok_or(Error::invalid("service", ValueError::BadFormat))?;
    let role = tx
        .service_roles(service.id)
        .await?
        .into_iter()
        .find(|r| r.code == role_code.trim())
        .ok_or(Error::Rule(Rule::RoleOfAnotherService))?;
    Ok((service, role))
}

/// Check that resuming `g` keeps its partner within the open services and quotas.
pub(crate) async fn check_resume<T: Transaction>(tx: &mut T, g: &Grant, today: Date) -> Result<()> {
    let people = people_of(tx, g).await?;
    let conventions = tx.conventions(g.organisation_id).await?;
    let contracts = tx.contracts(g.organisation_id).await?;
    let sub = tx.subscription(g.organisation_id, g.service_id).await?;
    let missing = gate(&conventions, &contracts, sub.as_ref(), today);
    if !missing.is_empty() {
        return Err(Error::Rule(Rule::ServiceClosed(missing)));
    }
    let (service, role) = service_and_role(tx, g).await?;
    check_quotas(tx, g.organisation_id, &service, &role, &people, today).await
}

/// The people a grant gives its right to: its holder, or its group's members.
pub(crate) async fn people_of<T: Transaction>(tx: &mut T, g: &Grant) -> Result<Vec<AccountId>> {
    Ok(match (g.holder_account_id, g.holder_group_id) {
        (Some(a), _) => vec![a],
        (None, Some(grp)) => tx.members(grp).await?,
        (None, None) => Vec::new(),
    })
}

/// Write a message to every active administrator and deputy of `partner`, in `tx`.
pub(crate) async fn notify_partner_admins<T: Transaction>(tx: &mut T, partner: OrganisationId, subject: &str, body: &str, now: OffsetDateTime) -> Result<()> {
    for to in notification_addresses(tx, partner, &[Role::PartnerAdmin, Role::PartnerDeputy], &["administrator", "deputy"]).await? {
        tx.insert_outbox(&OutboxMessage::pending(Some(partner), &to, subject, body.to_string(), now)).await?;
    }
    Ok(())
}

/// Where a notification for `org`'s people in charge goes (Annex 1): the addresses its
/// directory gives for `functions`, and those of its active accounts holding one of
/// `roles`, each address once (compared without case).
pub(crate) async fn notification_addresses<T: Transaction>(tx: &mut T, org: OrganisationId, roles: &[Role], functions: &[&str]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |email: &str| {
        if !email.is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(email)) {
            out.push(email.to_string());
        }
    };
    for c in tx.contacts(org).await? {
        if functions.contains(&c.function.as_str()) {
            if let Some(e) = &c.email {
                add(e);
            }
        }
    }
    for a in tx.accounts_of(org).await? {
        if a.status == AccountStatus::Active && a.roles.iter().any(|r| roles.contains(r)) {
            add(&a.email);
        }
    }
    Ok(out)
}

/// The grants of `org` that `person` holds: directly, and through the groups they belong
/// to now (with the group's name). Revoked and ended ones included: callers choose.
pub(crate) async fn held_grants<T: Transaction>(tx: &mut T, org: OrganisationId, person: AccountId) -> Result<Vec<(Grant, Option<String>)>> {
    let mut held: Vec<(Grant, Option<String>)> = tx.grants_of(org).await?.into_iter().filter(|g| g.holder_account_id == Some(person)).map(|g| (g, None)).collect();
    for m in tx.memberships_of(person).await? {
        if m.removed_at.is_none() {
            for g in tx.grants_of_group(m.group_id).await? {
                if g.organisation_id == org {
                    held.push((g, Some(m.group_name.clone())));
                }
            }
        }
    }
    Ok(held)
}

/// A grant in words, as people say it: `CDAP T1 — Karim Haddad` (or `— groupe Accueil`).
pub(crate) async fn grant_in_words<T: Transaction>(tx: &mut T, g: &Grant) -> Result<String> {
    let (service, role) = service_and_role(tx, g).await?;
    let holder = match (g.holder_account_id, g.holder_group_id) {
        (Some(a), _) => tx.account(a).await?.map(|a| a.display_name).unwrap_or_default(),
        (None, Some(grp)) => tx.group(grp).await?.map(|x| format!("groupe {}", x.name)).unwrap_or_default(),
        _ => String::new(),
    };
    Ok(format!("{} {} — {holder}", service.code, role.code))
}

/// Whom the escalation procedure (Annex 1, Art. 3.3) tells at `level` for `org`: the
/// directory's `escalation_<level>` contact (1 to 3; the third for any later level), or,
/// when none is named, the accounts holding one of `fallback` roles.
pub(crate) async fn escalation_addresses<T: Transaction>(tx: &mut T, org: OrganisationId, level: i32, fallback: &[Role]) -> Result<Vec<String>> {
    let function = format!("escalation_{}", level.clamp(1, 3));
    let to = notification_addresses(tx, org, &[], &[function.as_str()]).await?;
    if !to.is_empty() {
        return Ok(to);
    }
    notification_addresses(tx, org, fallback, &[]).await
}

/// `Hélène d'Argent` → `helene.dargent`: ASCII letters and digits only.
pub(crate) fn login_part(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .flat_map(|c| match c {
            'æ' => vec!['a', 'e'],
            'œ' => vec!['o', 'e'],
            'ß' => vec!['s', 's'],
            other => vec![other],
        })
        .map(|c| match c {
            'à' | 'â' | 'ä' | 'á' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' => 'i',
            'ô' | 'ö' | 'ó' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ç' => 'c',
            'ø' => 'o',
            'ÿ' => 'y',
            other => other,
        })
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

/// Refuse an e-mail address another live account of `org` already has (one address, one
/// person: reset links and notifications must reach the right one).
pub(crate) async fn ensure_email_free<T: Transaction>(tx: &mut T, org: OrganisationId, email: &str, except: Option<AccountId>) -> Result<()> {
    // Two requests giving the same address at once line up here: the second sees the first.
    tx.lock_organisation(org).await?;
    let taken = tx.account_with_email(org, email, except).await?.is_some();
    if taken { Err(Error::Taken("adresse électronique")) } else { Ok(()) }
}

/// Record a new active account without a password (it is chosen through a one-time
/// link); a login taken meanwhile says so.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_new_account<T: Transaction>(
    tx: &mut T,
    org: OrganisationId,
    login: String,
    display_name: String,
    email: &str,
    function: Option<String>,
    roles: Vec<Role>,
    now: time::OffsetDateTime,
) -> Result<Account> {
    let account = Account {
        id: AccountId::new(),
        organisation_id: org,
        login,
        display_name,
        email: email.into(),
        function,
        status: AccountStatus::Active,
        password_hash: None,
        must_change_password: false,
        roles,
        last_login_at: None,
        created_at: now,
    };
    tx.insert_account(&account).await.map_err(|e| match e {
        crate::StoreError::Conflict(_) => Error::Taken("identifiant"),
        other => Error::Store(other),
    })?;
    Ok(account)
}

/// What deactivating a person ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RightsEnded {
    pub grants: usize,
    pub memberships: usize,
    pub mandates: usize,
}

/// End everything a person holds in `org`, inside the caller's transaction (with the
/// deactivation it follows): their grants are revoked (by `by`, now), they leave every
/// group (the periods are kept), and their mandates are withdrawn with every mandate
/// derived from them. Their seats stop counting against the quotas at once.
pub(crate) async fn end_rights_of<T: Transaction>(tx: &mut T, org: OrganisationId, person: AccountId, by: AccountId, now: time::OffsetDateTime) -> Result<RightsEnded> {
    let mut ended = RightsEnded::default();
    for g in tx.grants_of(org).await? {
        if g.holder_account_id == Some(person) && g.state != GrantState::Revoked {
            tx.set_grant_state(g.id, GrantState::Revoked, Some((now, by))).await?;
            if g.caisse_suspension.is_some() {
                tx.set_caisse_suspension(g.id, None).await?;
            }
            ended.grants += 1;
        }
    }
    for group in tx.groups_of(org).await? {
        if tx.remove_member(group.id, person, by, now).await? {
            ended.memberships += 1;
        }
    }
    let mandates = tx.mandates_of(org).await?;
    let live: Vec<(MandateId, Option<MandateId>)> = mandates.iter().filter(|m| m.withdrawn_at.is_none()).map(|m| (m.id, m.parent_id)).collect();
    let mut cut: Vec<MandateId> = Vec::new();
    for m in mandates.iter().filter(|m| m.holder_id == person && m.withdrawn_at.is_none()) {
        for id in crate::policy::powers::derived_from(m.id, &live) {
            if !cut.contains(&id) {
                cut.push(id);
            }
        }
    }
    if !cut.is_empty() {
        tx.withdraw_mandates(&cut, now).await?;
    }
    ended.mandates = cut.len();
    Ok(ended)
}

/// Words of an organisation's name that say what it is rather than which one it is.
const GENERIC_WORDS: &[&str] = &[
    "mairie", "ville", "commune", "communal", "communale", "ccas", "cias", "centre", "intercommunal", "intercommunale",
    "caf", "caisse", "allocations", "familiales", "conseil", "departemental", "departement", "service", "services",
    "action", "sociale", "social", "association", "de", "du", "des", "la", "le", "les", "l", "d", "et", "en", "sur", "sous", "au", "aux",
];

/// The prefix derived from a name: its first distinctive word (`Mairie de Mons-en-Barœul`
/// → `mons`, `CCAS de Lomme` → `lomme`), or `org`.
pub(crate) fn derived_prefix(name: &str) -> String {
    name.split(|c: char| !c.is_alphanumeric())
        .map(login_part)
        .find(|w| w.len() >= 2 && !GENERIC_WORDS.contains(&w.as_str()))
        .map(|w| w.chars().take(16).collect())
        .unwrap_or_else(|| "org".to_string())
}

/// The organisation's login prefix, claimed on first use (the derived one, or with a
/// number when another organisation has it).
pub(crate) async fn login_prefix_of<T: Transaction>(tx: &mut T, org: &Organisation) -> Result<String> {
    if let Some(p) = tx.login_prefix(org.id).await? {
        return Ok(p);
    }
    let base = derived_prefix(&org.name);
    for n in 1..1000 {
        let candidate = if n == 1 { base.clone() } else { format!("{base}{n}") };
        if tx.claim_login_prefix(org.id, &candidate).await? {
            return Ok(candidate);
        }
        if let Some(p) = tx.login_prefix(org.id).await? {
            return Ok(p);
        }
    }
    Err(Error::Internal("no login prefix left".into()))
}

/// The login for a new account of `org`, always in the organisation's namespace
/// (`prefix.…`), so that a login taken elsewhere is never reported (issue 11, finding 8):
/// the one wanted (prefixed if it is not), refused if one of the organisation's own people
/// has it; otherwise `prefix.firstname.lastname` folded to ASCII, with a number added when
/// taken (`mons.helene.dubois2`). Names with no Latin letters left give no usable login:
/// the caller is asked for one.
pub(crate) async fn unique_login<T: Transaction>(tx: &mut T, org: &Organisation, wanted: Option<&Login>, first: &str, last: &str) -> Result<String> {
    let prefix = login_prefix_of(tx, org).await?;
    let in_namespace = |l: &str| if l.starts_with(&format!("{prefix}.")) { l.to_string() } else { format!("{prefix}.{l}") };
    if let Some(l) = wanted {
        let full = Login::parse(&in_namespace(l.as_str())).map_err(|p| Error::invalid("login", p))?;
        if tx.account_by_login(full.as_str()).await?.is_some() {
            return Err(Error::Taken("identifiant"));
        }
        return Ok(full.as_str().to_string());
    }
    let base = format!("{prefix}.{}.{}", login_part(first), login_part(last));
    let base: String = base.chars().take(56).collect();
    let base = Login::parse(&base).map_err(|p| Error::invalid("login", p))?.as_str().to_string();
    let mut candidate = base.clone();
    let mut n = 1;
    while tx.account_by_login(&candidate).await?.is_some() {
        n += 1;
        candidate = format!("{base}{n}");
    }
    Ok(candidate)
}

impl<S: Store> App<S> {
    /// Create a one-time link for an account inside the caller's transaction; returns the
    /// token to put in the link (it is stored only as a digest).
    pub async fn issue_link<T: Transaction>(
        &self,
        tx: &mut T,
        account: AccountId,
        purpose: LinkPurpose,
    ) -> Result<String> {
        let now = self.now();
        let token = token::new_token();
        let link = PasswordLink {
            id: LinkId::new(),
            account_id: account,
            token_hash: token::digest(&token),
            purpose,
            created_at: now,
            expires_at: now + Duration::hours(self.sessions.link_validity_hours),
            used_at: None,
        };
        tx.insert_password_link(&link).await?;
        Ok(token)
    }
}

impl<S: Store> App<S> {
    /// `issue_administrator` inside the caller's transaction.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn issue_administrator_in<T: Transaction>(
        &self,
        tx: &mut T,
        actor: &Actor,
        partner: OrganisationId,
        slot: Slot,
        input: &AdministratorInput,
        public_url: &str,
        client: &ClientInfo,
    ) -> Result<Account> {
        let first = field("first_name", DisplayName::parse(&input.first_name))?;
        let last = field("last_name", DisplayName::parse(&input.last_name))?;
        let function = field("function", DisplayName::parse(&input.function))?;
        let email = field("email", Email::parse(&input.email))?;
        let phone = field("phone", optional_text(&input.phone, 40))?;
        let wanted = if input.login.trim().is_empty() {
            None
        } else {
            Some(field("login", Login::parse(&input.login))?)
        };
        let now = self.now();
        let p = partner_to_manage(tx, actor, partner).await?;
        // Two caisse agents filling the same seat at once: the second waits here, then
        // sees the first one's administrator.
        tx.lock_organisation(partner).await?;
        let holders = tx.accounts_of(partner).await?;
        if holders.iter().any(|a| a.status != AccountStatus::Deactivated && a.roles.contains(&slot.role())) {
            return Err(Error::Rule(Rule::AdministratorSlotTaken));
        }
        ensure_email_free(tx, partner, email.as_str(), None).await?;
        let login = unique_login(tx, &p, wanted.as_ref(), first.as_str(), last.as_str()).await?;
        let account = Account {
            id: AccountId::new(),
            organisation_id: partner,
            login,
            display_name: format!("{} {}", first.as_str(), last.as_str()),
            email: email.as_str().to_string(),
            function: Some(function.as_str().to_string()),
            status: AccountStatus::Active,
            password_hash: None,
            must_change_password: false,
            roles: vec![slot.role()],
            last_login_at: None,
            created_at: now,
        };
        tx.insert_account(&account).await.map_err(|e| match e {
            StoreError::Conflict(_) => Error::Taken("identifiant"),
            other => Error::Store(other),
        })?;
        if let Some(phone) = phone {
            tx.set_phone(account.id, &phone).await?;
        }
        let token = self.issue_link(tx, account.id, LinkPurpose::SetPassword).await?;
        let link = format!("{}/set-password?token={token}", public_url.trim_end_matches('/'));
        let seat = match slot {
            Slot::Principal => "administrateur",
            Slot::Deputy => "administrateur suppléant",
        };
        let body = format!(
            "Bonjour {name},\n\n{caisse} vous a désigné(e) {seat} de « {partner} » sur le portail Habilis.\n\n\
             Votre identifiant : {login}\n\nChoisissez votre mot de passe en suivant ce lien, valable {hours} heures \
             et utilisable une seule fois :\n{link}\n\nSi vous n'attendiez pas ce message, prévenez le centre de services \
             de votre caisse.\n",
            name = account.display_name,
            caisse = actor.organisation.name,
            partner = p.name,
            login = account.login,
            hours = self.sessions.link_validity_hours,
        );
        tx.insert_outbox(&OutboxMessage::pending(Some(partner), &account.email, "Habilis — votre compte d'administrateur", body, now))
            .await?;
        self.trace_action(tx, actor, "administrator.issue", format!("{} ({})", account.login, p.name), Some(seat.into()), client)
            .await?;
        Ok(account)
    }
}

pub(crate) async fn service_and_role<T: Transaction>(tx: &mut T, g: &Grant) -> Result<(Service, ServiceRole)> {
    let service = tx.service(g.service_id).await?.ok_or(Error::NotFound)?;
    let role = tx.service_roles(service.id).await?.into_iter().find(|r| r.id == g.service_role_id).ok_or(Error::NotFound)?;
    Ok((service, role))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_the_first_distinctive_word_of_the_name() {
        assert_eq!(derived_prefix("Mairie de Mons-en-Barœul"), "mons");
        assert_eq!(derived_prefix("CCAS de Lomme"), "lomme");
        assert_eq!(derived_prefix("Caf du Nord"), "nord");
        assert_eq!(derived_prefix("Mairie de Villeneuve-d'Ascq"), "villeneuve");
        assert_eq!(derived_prefix("Centre communal d'action sociale"), "org");
        assert_eq!(derived_prefix("Œuvre de l'Étoile"), "oeuvre");
    }
}
