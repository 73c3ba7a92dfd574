//! Alerts on atypical use (R24): the caisse's rules, the alerts the watch raises as the
//! traces of sign-ins and consultations are written, and what the caisse does with them —
//! acknowledge with a comment, query the partner about a grant, suspend a grant as a
//! precaution (the partner's administrators are told by the query or the suspension).

use time::Duration;
use uuid::Uuid;

use crate::app::App;
use crate::clock::{from_micros, to_micros};
use crate::commands::NewQuery;
use crate::error::{Error, Result};
use crate::reach::caisse_of;
use crate::records::*;
use crate::shared::notification_addresses;
use crate::store::*;
use crate::trace::*;
use crate::values::*;
use crate::watch::{Observation, Raise, Seen};

/// The longest history the rules may use, in days (what the seeding reads).
const MAX_HISTORY_DAYS: i64 = 30;
/// The longest memory of networks, in days.
const MAX_NETWORK_DAYS: i64 = 365;

/// An alert with the names a reader needs.
#[derive(Debug, Clone)]
pub struct AlertLine {
    pub alert: Alert,
    pub person: String,
    pub login: String,
    pub organisation: String,
    pub partner: bool,
}

/// A grant of the person an alert names, on which the caisse may act.
#[derive(Debug, Clone)]
pub struct AlertGrant {
    pub grant: Grant,
    /// The service's and the role's codes, as people say them: `CDAP T1`.
    pub what: String,
    /// The role's label.
    pub role: String,
    /// The group it comes through, for a group's grant.
    pub through: Option<String>,
}

/// One alert with what the caisse may do about it.
#[derive(Debug, Clone)]
pub struct AlertSheet {
    pub line: AlertLine,
    /// The person's grants in force (direct and through groups): empty for the caisse's
    /// own staff.
    pub grants: Vec<AlertGrant>,
    /// Query or suspend from here (the caisse's administrators, for a partner's person).
    pub may_act: bool,
    /// Acknowledge it (the caisse's administrators and security officers, while open).
    pub may_acknowledge: bool,
    /// Who acknowledged it, and who took each action (names).
    pub acknowledged_by: Option<String>,
    pub action_by: Vec<String>,
}

/// The rules as typed in the form: switches, and numbers as text.
#[derive(Debug, Clone, Default)]
pub struct RulesInput {
    pub off_hours: bool,
    pub office_start_hour: String,
    pub office_end_hour: String,
    pub weekends_off: bool,
    pub volume: bool,
    pub volume_factor: String,
    pub volume_floor: String,
    pub volume_history_days: String,
    pub new_network: bool,
    pub network_days: String,
    pub failures: bool,
    pub failures_per_hour: String,
    pub dormant: bool,
    pub dormant_days: String,
}

impl RulesInput {
    /// The form filled with `r`.
    pub fn from_rules(r: &AlertRules) -> Self {
        RulesInput {
            off_hours: r.off_hours,
            office_start_hour: r.office_start_hour.to_string(),
            office_end_hour: r.office_end_hour.to_string(),
            weekends_off: r.weekends_off,
            volume: r.volume,
            volume_factor: r.volume_factor.to_string(),
            volume_floor: r.volume_floor.to_string(),
            volume_history_days: r.volume_history_days.to_string(),
            new_network: r.new_network,
            network_days: r.network_days.to_string(),
            failures: r.failures,
            failures_per_hour: r.failures_per_hour.to_string(),
            dormant: r.dormant,
            dormant_days: r.dormant_days.to_string(),
        }
    }

    fn parse(&self) -> Result<AlertRules> {
        fn num(raw: &str, lo: u32, hi: u32) -> std::result::Result<u32, ValueError> {
            let n: u32 = raw.trim().parse().map_err(|_| if raw.trim().is_empty() { ValueError::Empty } else { ValueError::BadFormat })?;
            if n < lo || n > hi { Err(ValueError::OutOfRange) } else { Ok(n) }
        }
        // Every figure checked before any is refused: the form names every problem.
        let mut c = crate::error::FieldChecks::default();
        let start = c.check("office_start_hour", num(&self.office_start_hour, 0, 23));
        let end = c.check("office_end_hour", num(&self.office_end_hour, 1, 24));
        let volume_factor = c.check("volume_factor", num(&self.volume_factor, 2, 50));
        let volume_floor = c.check("volume_floor", num(&self.volume_floor, 10, 100_000));
        let volume_history_days = c.check("volume_history_days", num(&self.volume_history_days, 7, MAX_HISTORY_DAYS as u32));
        let network_days = c.check("network_days", num(&self.network_days, 7, MAX_NETWORK_DAYS as u32));
        let failures_per_hour = c.check("failures_per_hour", num(&self.failures_per_hour, 3, crate::watch::MAX_EVIDENCE as u32));
        let dormant_days = c.check("dormant_days", num(&self.dormant_days, 30, 730));
        let (Some(start), Some(end), Some(volume_factor), Some(volume_floor), Some(volume_history_days), Some(network_days), Some(failures_per_hour), Some(dormant_days)) =
            (start, end, volume_factor, volume_floor, volume_history_days, network_days, failures_per_hour, dormant_days)
        else {
            return Err(c.error());
        };
        if end <= start {
            return Err(Error::invalid("office_end_hour", ValueError::OutOfRange));
        }
        Ok(AlertRules {
            off_hours: self.off_hours,
            office_start_hour: start as u8,
            office_end_hour: end as u8,
            weekends_off: self.weekends_off,
            volume: self.volume,
            volume_factor,
            volume_floor,
            volume_history_days,
            new_network: self.new_network,
            network_days,
            failures: self.failures,
            failures_per_hour,
            dormant: self.dormant,
            dormant_days,
        })
    }
}

/// The caisse of `actor` if they may read its alerts: its administrators, security
/// officers and trace auditors.
fn alert_reader(actor: &Actor) -> Result<OrganisationId> {
    let ok = actor.organisation.kind == OrganisationKind::Caisse
        && actor.account.roles.iter().any(|r| matches!(r, Role::CaisseAdmin | Role::SecurityOfficer | Role::TraceAuditor));
    if ok { Ok(actor.organisation.id) } else { Err(Error::Forbidden) }
}

/// Whether `actor` may acknowledge alerts and set the rules: the caisse's administrators
/// and security officers.
fn may_handle(actor: &Actor) -> bool {
    actor.organisation.kind == OrganisationKind::Caisse && actor.account.roles.iter().any(|r| matches!(r, Role::CaisseAdmin | Role::SecurityOfficer))
}

impl<S: Store> App<S> {
    /// Seed the watch from the trail, once per process: the consultations of the longest
    /// history, the sign-ins of the longest memory of networks, the failures of the last
    /// hour — three aggregated reads. Every observation waits for it.
    pub async fn watch_ready(&self) -> Result<()> {
        if self.watch.seeded.initialized() {
            return Ok(());
        }
        // Boxed: the seeding reads are a large future, once per process.
        Box::pin(self.seed_watch()).await
    }

    async fn seed_watch(&self) -> Result<()> {
        self.watch
            .seeded
            .get_or_try_init(|| async {
                let now = self.now();
                let mut tx = self.store.read().await?;
                let consultations = tx.consultations_since(to_micros(now - Duration::days(MAX_HISTORY_DAYS + 1))).await?;
                let sign_ins = tx.sign_ins_since(to_micros(now - Duration::days(MAX_NETWORK_DAYS))).await?;
                let failures = tx.failures_since(to_micros(now - Duration::HOUR)).await?;
                drop(tx);
                for (account, hour, n) in consultations {
                    let at = from_micros(hour.saturating_mul(3_600_000_000));
                    self.watch.seed_consultations(account, at, u32::try_from(n).unwrap_or(u32::MAX), MAX_HISTORY_DAYS as u32);
                }
                for (account, org, addr, at) in sign_ins {
                    self.watch.seed_sign_in(account, org, from_micros(at), addr.as_deref());
                }
                for (account, at, trace) in failures {
                    self.watch.seed_failure(account, from_micros(at), trace);
                }
                Ok::<(), Error>(())
            })
            .await?;
        Ok(())
    }

    /// `caisse`'s rules (the defaults until it sets its own), read at most every
    /// `watch::RULES_TTL`.
    async fn rules_in<T: Transaction>(&self, tx: &mut T, caisse: OrganisationId) -> Result<AlertRules> {
        if let Some(r) = self.watch.cached_rules(caisse) {
            return Ok(r);
        }
        let r = tx.alert_rules(caisse).await?.unwrap_or_default();
        self.watch.keep_rules(caisse, r.clone());
        Ok(r)
    }

    /// Show the watch a sign-in or a failed sign-in of `account` whose trace `trace` is
    /// committed; the alerts it raises are recorded in their own (quiet) transaction. A
    /// failure is logged, not returned: the sign-in itself is done and traced.
    pub(crate) async fn watch_sign_in(&self, account: &Account, org: Option<&Organisation>, at: time::OffsetDateTime, trace: Uuid, seen: Seen) {
        let result = async {
            let org = match org {
                Some(o) => o.clone(),
                None => {
                    let mut tx = self.store.read().await?;
                    let Some(o) = tx.organisation(account.organisation_id).await? else { return Ok(()) };
                    o
                }
            };
            self.watch_event(account, &org, at, trace, seen).await
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "recording an alert on atypical use failed");
        }
    }

    /// Show the watch a consultation by `actor` whose trace is already written (logged, not
    /// returned, on failure: the consultation itself was traced).
    pub(crate) async fn watch_consultation(&self, actor: &Actor, at: time::OffsetDateTime, trace: Uuid) {
        if let Err(e) = self.watch_event(&actor.account, &actor.organisation, at, trace, Seen::Consultation).await {
            tracing::warn!(error = %e, "recording an alert on atypical use failed");
        }
    }

    async fn watch_event(&self, account: &Account, org: &Organisation, at: time::OffsetDateTime, trace: Uuid, seen: Seen) -> Result<()> {
        let Some(caisse) = caisse_of(org) else { return Ok(()) };
        self.watch_ready().await?;
        // The reads and writes below are rare (rules not cached, an alert raised) and boxed,
        // so that the future every signed-in request carries stays small.
        let rules = match self.watch.cached_rules(caisse) {
            Some(r) => r,
            None => {
                Box::pin(async {
                    let mut tx = self.store.read().await?;
                    self.rules_in(&mut tx, caisse).await
                })
                .await?
            }
        };
        let o = Observation { account: account.id, organisation: org.id, caisse, at, trace, seen };
        let raised = self.watch.observe(&rules, &o);
        if raised.is_empty() {
            return Ok(());
        }
        Box::pin(self.record_raised(raised, account)).await
    }

    /// Store the alerts `raised` by `account`'s activity, in one quiet transaction.
    async fn record_raised(&self, raised: Vec<Raise>, account: &Account) -> Result<()> {
        let mut tx = self.store.begin().await?;
        // Alerts change nobody's session.
        tx.quiet();
        self.record_raises(&mut tx, raised, &[account]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Record `raised` (each once: a second instance raising the same one changes
    /// nothing), trace each in the caisse's chain and tell the caisse's security officers
    /// (its administrators if it has none).
    async fn record_raises<T: Transaction>(&self, tx: &mut T, raised: Vec<Raise>, people: &[&Account]) -> Result<()> {
        let now = self.now();
        for r in raised {
            let alert = Alert {
                id: AlertId::new(),
                caisse_id: r.caisse,
                organisation_id: r.organisation,
                account_id: r.account,
                rule: r.rule,
                period: r.period,
                raised_at: now,
                facts: r.facts,
                evidence: r.evidence,
                status: AlertStatus::Open,
                acknowledged_by: None,
                acknowledged_at: None,
                comment: None,
                actions: Vec::new(),
            };
            if !tx.insert_alert(&alert).await? {
                continue;
            }
            let login = people.iter().find(|a| a.id == r.account).map(|a| a.login.clone()).unwrap_or_default();
            let mut e = TraceEntry::new(now, "alert.raise", Outcome::Success, &ClientInfo::default());
            e.organisation_id = Some(r.caisse);
            e.target = Some(alert.id.to_string());
            e.detail = Some(format!("{} ({}) : {login}", r.rule.words(), r.rule.as_str()));
            tx.append_trace(&e).await?;
            let mut to = notification_addresses(tx, r.caisse, &[Role::SecurityOfficer], &["security_officer"]).await?;
            if to.is_empty() {
                to = notification_addresses(tx, r.caisse, &[Role::CaisseAdmin], &[]).await?;
            }
            let body = format!(
                "Habilis a relevé un usage inhabituel du compte {login} ({}).\n\nConsultez l'alerte dans le portail, rubrique « Alertes », pour la qualifier et, si besoin, interroger le partenaire ou suspendre une habilitation à titre conservatoire.\n",
                rule_sentence(r.rule)
            );
            for address in to {
                tx.insert_outbox(&OutboxMessage::pending(Some(r.caisse), &address, "Habilis — alerte d'usage inhabituel", body.clone(), now)).await?;
            }
        }
        Ok(())
    }

    /// The rules of the caisse of `actor`.
    pub async fn alert_rules(&self, actor: &Actor) -> Result<AlertRules> {
        let caisse = alert_reader(actor)?;
        let mut tx = self.store.read().await?;
        Ok(tx.alert_rules(caisse).await?.unwrap_or_default())
    }

    /// Set the rules of the caisse (its administrators and security officers); traced
    /// with what changed. They apply at once on this instance, within
    /// `watch::RULES_TTL` on the others.
    pub async fn set_alert_rules(&self, actor: &Actor, input: &RulesInput, client: &ClientInfo) -> Result<AlertRules> {
        let caisse = alert_reader(actor)?;
        if !may_handle(actor) {
            return Err(Error::Forbidden);
        }
        let rules = input.parse()?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let before = tx.alert_rules(caisse).await?.unwrap_or_default();
        tx.save_alert_rules(caisse, &rules, actor.account.id, now).await?;
        let detail = changed_settings(&before, &rules);
        self.trace_action(&mut tx, actor, "alert.rules", caisse.to_string(), Some(detail), client).await?;
        tx.commit().await?;
        self.watch.keep_rules(caisse, rules.clone());
        Ok(rules)
    }

    /// The caisse's alerts matching `filter`, with names.
    pub async fn alerts(&self, actor: &Actor, filter: &AlertFilter) -> Result<Vec<AlertLine>> {
        let caisse = alert_reader(actor)?;
        let mut tx = self.store.read().await?;
        let alerts = tx.alerts_of(caisse, filter).await?;
        let mut out = Vec::with_capacity(alerts.len());
        let mut names: std::collections::HashMap<OrganisationId, (String, bool)> = std::collections::HashMap::new();
        for a in alerts {
            out.push(line_of(&mut tx, a, &mut names).await?);
        }
        Ok(out)
    }

    /// How many of the caisse's alerts are open (for its home page).
    pub async fn open_alerts(&self, actor: &Actor) -> Result<i64> {
        let caisse = alert_reader(actor)?;
        let mut tx = self.store.read().await?;
        Ok(tx.open_alert_count(caisse).await?)
    }

    /// One alert with the person's grants and what `actor` may do.
    pub async fn alert_sheet(&self, actor: &Actor, id: AlertId) -> Result<AlertSheet> {
        let caisse = alert_reader(actor)?;
        let mut tx = self.store.read().await?;
        let alert = tx.alert(id).await?.filter(|a| a.caisse_id == caisse).ok_or(Error::NotFound)?;
        let mut names = std::collections::HashMap::new();
        let line = line_of(&mut tx, alert, &mut names).await?;
        let grants = if line.partner { person_grants(&mut tx, &line.alert, self.today()).await? } else { Vec::new() };
        let may_act = line.partner && actor.account.roles.contains(&Role::CaisseAdmin);
        let may_acknowledge = may_handle(actor) && line.alert.status == AlertStatus::Open;
        let acknowledged_by = match line.alert.acknowledged_by {
            Some(by) => Some(name_of(&mut tx, by).await?),
            None => None,
        };
        let mut action_by = Vec::new();
        for a in &line.alert.actions {
            action_by.push(name_of(&mut tx, a.by).await?);
        }
        Ok(AlertSheet { line, grants, may_act, may_acknowledge, acknowledged_by, action_by })
    }

    /// Acknowledge an open alert with a comment (what was found, what was done).
    pub async fn acknowledge_alert(&self, actor: &Actor, id: AlertId, comment: &str, client: &ClientInfo) -> Result<Alert> {
        let caisse = alert_reader(actor)?;
        if !may_handle(actor) {
            return Err(Error::Forbidden);
        }
        let comment = optional_text(comment, 2000).map_err(|p| Error::invalid("comment", p))?.ok_or(Error::invalid("comment", ValueError::Empty))?;
        let mut tx = self.store.begin().await?;
        let mut alert = tx.lock_alert(id).await?.filter(|a| a.caisse_id == caisse).ok_or(Error::NotFound)?;
        if alert.status != AlertStatus::Open {
            return Err(Error::Refused(crate::Refusal::AlreadyDecided));
        }
        alert.status = AlertStatus::Acknowledged;
        alert.acknowledged_by = Some(actor.account.id);
        alert.acknowledged_at = Some(self.now());
        alert.comment = Some(comment);
        tx.update_alert(&alert).await?;
        self.trace_action(&mut tx, actor, "alert.acknowledge", alert.id.to_string(), Some(alert.rule.as_str().into()), client).await?;
        tx.commit().await?;
        Ok(alert)
    }

    /// From an alert, ask the partner about one of the person's grants (the partner's
    /// administrators are told by the query itself).
    pub async fn alert_query(&self, actor: &Actor, id: AlertId, cmd: &NewQuery, client: &ClientInfo) -> Result<Query> {
        let mut tx = self.store.begin().await?;
        let mut alert = self.alert_to_act_on(&mut tx, actor, id, cmd.grant).await?;
        let q = self.open_query_in(&mut tx, actor, cmd, client).await?;
        self.note_action(&mut tx, actor, &mut alert, "query", cmd.grant, client).await?;
        tx.commit().await?;
        Ok(q)
    }

    /// From an alert, suspend one of the person's grants as a precaution, with a reason
    /// (the partner's administrators are told by the suspension itself).
    pub async fn alert_suspend(&self, actor: &Actor, id: AlertId, grant: GrantId, reason: &str, client: &ClientInfo) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let mut alert = self.alert_to_act_on(&mut tx, actor, id, grant).await?;
        self.caisse_suspend_in(&mut tx, actor, grant, reason, client).await?;
        self.note_action(&mut tx, actor, &mut alert, "suspend", grant, client).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The alert `id`, locked, if `actor` may act on it about `grant`: a grant in force
    /// of the person it names (direct or through a group).
    async fn alert_to_act_on<T: Transaction>(&self, tx: &mut T, actor: &Actor, id: AlertId, grant: GrantId) -> Result<Alert> {
        let caisse = crate::reach::caisse_admin_of(actor)?;
        let alert = tx.lock_alert(id).await?.filter(|a| a.caisse_id == caisse).ok_or(Error::NotFound)?;
        let concerned = person_grants(tx, &alert, self.today()).await?.iter().any(|g| g.grant.id == grant);
        if !concerned {
            return Err(Error::NotFound);
        }
        Ok(alert)
    }

    async fn note_action<T: Transaction>(&self, tx: &mut T, actor: &Actor, alert: &mut Alert, kind: &str, grant: GrantId, client: &ClientInfo) -> Result<()> {
        alert.actions.push(AlertAction { kind: kind.into(), grant_id: grant, by: actor.account.id, at: self.now() });
        tx.update_alert(alert).await?;
        self.trace_action(tx, actor, "alert.act", alert.id.to_string(), Some(format!("{kind} {grant}")), client).await
    }
}

/// What a rule means, in a sentence (for the e-mail).
fn rule_sentence(rule: AlertRule) -> &'static str {
    match rule {
        AlertRule::OffHours => "connexion en dehors des heures habituelles",
        AlertRule::Volume => "nombre inhabituel de consultations dans la journée",
        AlertRule::NewNetwork => "connexion depuis un réseau inhabituel",
        AlertRule::Failures => "nombreux échecs de connexion en une heure",
        AlertRule::Dormant => "connexion d'un compte inactif depuis longtemps",
    }
}

/// The settings that differ between `a` and `b`, as `name: old → new`.
fn changed_settings(a: &AlertRules, b: &AlertRules) -> String {
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) = (serde_json::to_value(a), serde_json::to_value(b)) else {
        return String::new();
    };
    let changed: Vec<String> = b.iter().filter(|(k, v)| a.get(*k) != Some(*v)).map(|(k, v)| format!("{k}: {} → {v}", a.get(k).map(|x| x.to_string()).unwrap_or_default())).collect();
    if changed.is_empty() { "aucun changement".into() } else { changed.join(", ") }
}

async fn name_of<T: Transaction>(tx: &mut T, id: AccountId) -> Result<String> {
    Ok(tx.account(id).await?.map(|a| a.display_name).unwrap_or_default())
}

async fn line_of<T: Transaction>(tx: &mut T, alert: Alert, names: &mut std::collections::HashMap<OrganisationId, (String, bool)>) -> Result<AlertLine> {
    let (person, login) = tx.account(alert.account_id).await?.map(|a| (a.display_name, a.login)).unwrap_or_default();
    let (organisation, partner) = match names.get(&alert.organisation_id) {
        Some(n) => n.clone(),
        None => {
            let n = tx.organisation(alert.organisation_id).await?.map(|o| (o.name, o.kind == OrganisationKind::Partner)).unwrap_or_default();
            names.insert(alert.organisation_id, n.clone());
            n
        }
    };
    Ok(AlertLine { alert, person, login, organisation, partner })
}

/// The grants in force of the person `alert` names: direct, and through the groups they
/// belong to now.
async fn person_grants<T: Transaction>(tx: &mut T, alert: &Alert, today: time::Date) -> Result<Vec<AlertGrant>> {
    let mut out = Vec::new();
    for (g, through) in crate::shared::held_grants(tx, alert.organisation_id, alert.account_id).await? {
        if g.state == GrantState::Revoked || g.ends_on.is_some_and(|e| e < today) {
            continue;
        }
        let (service, role) = crate::shared::service_and_role(tx, &g).await?;
        out.push(AlertGrant { grant: g, what: format!("{} {}", service.code, role.code), role: role.label, through });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules_form_is_checked_field_by_field() {
        let mut input = RulesInput::from_rules(&AlertRules::default());
        assert_eq!(input.parse().ok(), Some(AlertRules::default()));
        input.office_end_hour = "6".into();
        assert!(matches!(input.parse(), Err(Error::Invalid { field: "office_end_hour", .. })), "the day ends after it starts");
        input.office_end_hour = "20".into();
        input.volume_factor = "deux".into();
        assert!(matches!(input.parse(), Err(Error::Invalid { field: "volume_factor", problem: ValueError::BadFormat })));
        input.volume_factor = "1".into();
        assert!(matches!(input.parse(), Err(Error::Invalid { field: "volume_factor", problem: ValueError::OutOfRange })));
        let changed = changed_settings(&AlertRules::default(), &AlertRules { dormant_days: 120, ..AlertRules::default() });
        assert_eq!(changed, "dormant_days: 90 → 120");
    }
}
