//! The caisse's service desk (contract Art. 3, 4; R40–R42). Only a partner's managers open
//! incidents; the desk (its agents, and the caisse's administrators) qualifies, routes to a
//! team, escalates to the national level, answers and closes; both sides write on the
//! incident. The side that must answer has 10 business days (French public holidays
//! excluded, `calendar`); past them — or at once when either side marks the incident
//! urgent — the silent side's escalation contacts are told in their order (Annex 1,
//! `escalation_1` to `escalation_3`, the administrators when none is named). Every step is
//! traced in the partner's chain and told by e-mail.
//!
//! The desk also announces planned outages of a service (window, reason) to the partners
//! subscribed to it; during the window the check API, the sign-in to the service and the
//! services list say it is unavailable.

use time::{Duration, OffsetDateTime, PrimitiveDateTime};

use crate::app::App;
use crate::calendar::{add_business_days, business_days_between};
use crate::clock::to_paris;
use crate::reach::partner_manager_now;
use crate::error::{Error, Result};
use crate::reach::caisse_of;
use crate::records::*;
use crate::shared::notification_addresses;
use crate::store::*;
use crate::trace::*;
use crate::values::*;

/// An incident as typed by a partner's manager.
#[derive(Debug, Clone, Default)]
pub struct NewIncident {
    pub service_code: String,
    pub subject: String,
    pub description: String,
    pub urgent: bool,
}

/// A planned outage as typed by the desk: dates and times in Paris, `YYYY-MM-DDTHH:MM`.
#[derive(Debug, Clone, Default)]
pub struct NewOutage {
    pub service_code: String,
    pub starts: String,
    pub ends: String,
    pub reason: String,
}

/// What the desk's office hours mean for a message sent now (Art. 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reception {
    /// Whether the desk is open now.
    pub open: bool,
    /// When it opens next (Paris time), if it is closed.
    pub expected_from: Option<PrimitiveDateTime>,
}

/// What the person reading an incident may do with it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IncidentAbilities {
    pub reply: bool,
    pub qualify: bool,
    pub national: bool,
    pub urgent: bool,
    pub close: bool,
}

/// An incident with names, its counters and timeline.
#[derive(Debug, Clone)]
pub struct IncidentFile {
    pub incident: Incident,
    pub partner: String,
    pub service: String,
    pub opened_by: String,
    /// Business days left before the due date (0 on the day; negative when late).
    pub days_left: Option<i64>,
    /// The timeline, each step with its author's name.
    pub steps: Vec<(IncidentStep, String)>,
    pub may: IncidentAbilities,
}

/// The side `actor` is on for `incident`, if any: the partner's managers, or the desk of
/// the incident's caisse (its agents and administrators).
fn side_of(actor: &Actor, incident: &Incident) -> Option<Side> {
    if actor.acting_for.is_some() {
        return None;
    }
    let roles = &actor.account.roles;
    match actor.organisation.kind {
        OrganisationKind::Partner if actor.organisation.id == incident.partner_id && roles.iter().any(|r| r.is_manager()) => Some(Side::Partner),
        OrganisationKind::Caisse if actor.organisation.id == incident.caisse_id && is_desk(actor) => Some(Side::Desk),
        _ => None,
    }
}

/// Whether `actor` works the caisse's desk: its agents and administrators.
fn is_desk(actor: &Actor) -> bool {
    actor.organisation.kind == OrganisationKind::Caisse && actor.account.roles.iter().any(|r| matches!(r, Role::ServiceDesk | Role::CaisseAdmin))
}

/// Whether `actor` is a manager of a partner (administrator, deputy, delegated manager).
fn is_partner_manager(actor: &Actor) -> bool {
    actor.acting_for.is_none() && actor.organisation.kind == OrganisationKind::Partner && actor.account.roles.iter().any(|r| r.is_manager())
}

fn parse_local(field: &'static str, raw: &str) -> Result<PrimitiveDateTime> {
    let raw = raw.trim();
    let (d, t) = raw.split_once(['T', ' ']).ok_or(Error::invalid(field, if raw.is_empty() { ValueError::Empty } else { ValueError::BadDate }))?;
    let date = parse_date(d).map_err(|p| Error::invalid(field, p))?;
    let (h, m) = t.split_once(':').ok_or(Error::invalid(field, ValueError::BadDate))?;
    let time = time::Time::from_hms(h.parse().map_err(|_| Error::invalid(field, ValueError::BadDate))?, m.get(..2).unwrap_or(m).parse().map_err(|_| Error::invalid(field, ValueError::BadDate))?, 0)
        .map_err(|_| Error::invalid(field, ValueError::BadDate))?;
    Ok(PrimitiveDateTime::new(date, time))
}

/// The instant of a Paris wall-clock time: the offset (+2 in summer, +1 in winter) whose
/// instant reads back as that time in Paris. The hour repeated in October is taken at its
/// first occurrence (summer time); the hour skipped in March has no instant (`None`).
pub fn from_paris(local: PrimitiveDateTime) -> Option<OffsetDateTime> {
    [2, 1].into_iter().find_map(|h| {
        let offset = time::UtcOffset::from_hms(h, 0, 0).ok()?;
        let t = local.assume_offset(offset).to_offset(time::UtcOffset::UTC);
        let back = to_paris(t);
        (back.date() == local.date() && back.time() == local.time()).then_some(t)
    })
}

impl<S: Store> App<S> {
    /// What the desk's hours mean for a message sent now.
    pub fn reception(&self) -> Reception {
        let desk = &self.desk;
        let local = to_paris(self.now());
        let local = PrimitiveDateTime::new(local.date(), local.time());
        let open = desk.is_open(local);
        Reception { open, expected_from: if open { None } else { desk.next_opening(local) } }
    }

    /// A partner's manager opens an incident with the caisse's desk.
    pub async fn open_incident(&self, actor: &Actor, cmd: &NewIncident, client: &ClientInfo) -> Result<Incident> {
        if !is_partner_manager(actor) {
            return Err(Error::Forbidden);
        }
        // Both fields checked before either is refused: the form names every problem.
        let mut checks = crate::error::FieldChecks::default();
        let subject = checks.check("subject", DisplayName::parse(&cmd.subject));
        let description = checks.check("description", optional_text(&cmd.description, 5000).and_then(|d| d.ok_or(ValueError::Empty)));
        let (Some(subject), Some(description)) = (subject, description) else {
            return Err(checks.error());
        };
        let caisse = actor.organisation.parent_id.ok_or(Error::Forbidden)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if !partner_manager_now(&mut tx, actor).await? {
            return Err(Error::Forbidden);
        }
        let service = tx.service_by_code(cmd.service_code.trim()).await?.ok_or(Error::invalid("service", ValueError::BadFormat))?;
        let id = IncidentId::new();
        let mut incident = Incident {
            id,
            reference: Incident::reference_of(id),
            caisse_id: caisse,
            partner_id: actor.organisation.id,
            service_id: service.id,
            opened_by: actor.account.id,
            subject: subject.as_str().into(),
            description: description.clone(),
            urgent: false,
            status: IncidentStatus::Open,
            team: None,
            national: false,
            awaiting: Some(Side::Desk),
            awaiting_since: now,
            due_on: add_business_days(self.today(), self.desk.answer_business_days, self.desk.calendar),
            escalation_level: 0,
            created_at: now,
            closed_at: None,
        };
        tx.insert_incident(&incident).await?;
        step(&mut tx, &incident, StepKind::Opened, Some(actor), Some(Side::Partner), Some(description), now).await?;
        let body = format!(
            "{} a ouvert l'incident {} pour {} ({}).\n\nObjet : {}\n\n{}\n",
            actor.account.display_name, incident.reference, actor.organisation.name, service.label, incident.subject, incident.description
        );
        tell_side(&mut tx, &incident, Side::Desk, &format!("Habilis — nouvel incident {}", incident.reference), &body, now).await?;
        self.trace_action(&mut tx, actor, "incident.open", incident.reference.clone(), Some(format!("service {}", service.code)), client).await?;
        if cmd.urgent {
            self.mark_urgent_in(&mut tx, actor, &mut incident, client).await?;
        }
        tx.commit().await?;
        Ok(incident)
    }

    /// The incidents `actor` follows: their partner's (its managers) or all of the
    /// caisse's partners' (its desk). Closed ones too when asked.
    pub async fn incidents(&self, actor: &Actor, closed: bool) -> Result<Vec<(Incident, String)>> {
        let mut tx = self.store.read().await?;
        let list = if is_partner_manager(actor) {
            if !partner_manager_now(&mut tx, actor).await? {
                return Err(Error::Forbidden);
            }
            let caisse = actor.organisation.parent_id.ok_or(Error::Forbidden)?;
            tx.incidents_of(caisse, Some(actor.organisation.id), closed).await?
        } else if is_desk(actor) && actor.acting_for.is_none() {
            tx.incidents_of(actor.organisation.id, None, closed).await?
        } else {
            return Err(Error::Forbidden);
        };
        let mut names = std::collections::HashMap::new();
        let mut out = Vec::with_capacity(list.len());
        for i in list {
            let name = match names.get(&i.partner_id) {
                Some(n) => String::clone(n),
                None => {
                    let n = tx.organisation(i.partner_id).await?.map(|o| o.name).unwrap_or_default();
                    names.insert(i.partner_id, n.clone());
                    n
                }
            };
            out.push((i, name));
        }
        Ok(out)
    }

    /// One incident, with its timeline and what `actor` may do.
    pub async fn incident_file(&self, actor: &Actor, id: IncidentId) -> Result<IncidentFile> {
        let mut tx = self.store.read().await?;
        let incident = tx.incident(id).await?.ok_or(Error::NotFound)?;
        let Some(side) = side_of(actor, &incident) else { return Err(Error::NotFound) };
        if side == Side::Partner && !partner_manager_now(&mut tx, actor).await? {
            return Err(Error::NotFound);
        }
        let partner = tx.organisation(incident.partner_id).await?.map(|o| o.name).unwrap_or_default();
        let service = tx.service(incident.service_id).await?.map(|s| s.label).unwrap_or_default();
        let opened_by = tx.account(incident.opened_by).await?.map(|a| a.display_name).unwrap_or_default();
        let mut steps = Vec::new();
        let mut names: std::collections::HashMap<AccountId, String> = std::collections::HashMap::new();
        for s in tx.steps(id).await? {
            let name = match s.author_id {
                Some(a) => match names.get(&a) {
                    Some(n) => n.clone(),
                    None => {
                        let n = tx.account(a).await?.map(|x| x.display_name).unwrap_or_default();
                        names.insert(a, n.clone());
                        n
                    }
                },
                None => String::new(),
            };
            steps.push((s, name));
        }
        let today = self.today();
        let days_left = incident.due_on.map(|due| {
            if due >= today {
                i64::from(business_days_between(today, due, self.desk.calendar))
            } else {
                -i64::from(business_days_between(due, today, self.desk.calendar))
            }
        });
        let open = incident.status != IncidentStatus::Closed;
        let may = IncidentAbilities {
            reply: open,
            qualify: open && side == Side::Desk,
            national: open && side == Side::Desk && !incident.national,
            urgent: open && !incident.urgent,
            close: open && side == Side::Desk,
        };
        Ok(IncidentFile { incident, partner, service, opened_by, days_left, steps, may })
    }

    /// Either side writes on an open incident: the other side must now answer, within the
    /// delay; it is told by e-mail.
    pub async fn post_incident_message(&self, actor: &Actor, id: IncidentId, body: &str, client: &ClientInfo) -> Result<Incident> {
        let body = optional_text(body, 5000).map_err(|p| Error::invalid("message", p))?.ok_or(Error::invalid("message", ValueError::Empty))?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let (mut incident, side) = self.incident_to_act_on(&mut tx, actor, id).await?;
        // An answer hands the incident to the other side, whose delay starts now; a side
        // writing again while it waits (a reminder) leaves the other side's delay as it is.
        if incident.awaiting == Some(side) {
            incident.awaiting = Some(side.other());
            incident.awaiting_since = now;
            incident.due_on = add_business_days(self.today(), self.desk.answer_business_days, self.desk.calendar);
            tx.update_incident(&incident).await?;
        }
        step(&mut tx, &incident, StepKind::Message, Some(actor), Some(side), Some(body.clone()), now).await?;
        let mail = format!("{} a écrit sur l'incident {} ({}) :\n\n{}\n", actor.account.display_name, incident.reference, incident.subject, body);
        tell_side(&mut tx, &incident, side.other(), &format!("Habilis — incident {} : nouveau message", incident.reference), &mail, now).await?;
        self.trace_incident(&mut tx, actor, &incident, "incident.message", None, client).await?;
        tx.commit().await?;
        Ok(incident)
    }

    /// The desk qualifies an incident and routes it to a team.
    pub async fn qualify_incident(&self, actor: &Actor, id: IncidentId, team: &str, client: &ClientInfo) -> Result<Incident> {
        let team = DisplayName::parse(team).map_err(|p| Error::invalid("team", p))?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let (mut incident, side) = self.incident_to_act_on(&mut tx, actor, id).await?;
        if side != Side::Desk {
            return Err(Error::Forbidden);
        }
        incident.status = IncidentStatus::InProgress;
        incident.team = Some(team.as_str().into());
        tx.update_incident(&incident).await?;
        step(&mut tx, &incident, StepKind::Qualified, Some(actor), Some(side), Some(team.as_str().into()), now).await?;
        let mail = format!("L'incident {} ({}) est pris en charge par l'équipe {}.\n", incident.reference, incident.subject, team.as_str());
        tell_side(&mut tx, &incident, Side::Partner, &format!("Habilis — incident {} pris en charge", incident.reference), &mail, now).await?;
        self.trace_incident(&mut tx, actor, &incident, "incident.qualify", Some(team.as_str().into()), client).await?;
        tx.commit().await?;
        Ok(incident)
    }

    /// The desk escalates an incident to the national level (Cnaf), with a note.
    pub async fn escalate_to_national(&self, actor: &Actor, id: IncidentId, note: &str, client: &ClientInfo) -> Result<Incident> {
        let note = optional_text(note, 2000).map_err(|p| Error::invalid("note", p))?.ok_or(Error::invalid("note", ValueError::Empty))?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let (mut incident, side) = self.incident_to_act_on(&mut tx, actor, id).await?;
        if side != Side::Desk {
            return Err(Error::Forbidden);
        }
        if incident.national {
            return Err(Error::Refused(crate::Refusal::AlreadyDecided));
        }
        incident.national = true;
        tx.update_incident(&incident).await?;
        step(&mut tx, &incident, StepKind::National, Some(actor), Some(side), Some(note.clone()), now).await?;
        let mail = format!("La caisse a transmis l'incident {} ({}) au niveau national :\n\n{}\n", incident.reference, incident.subject, note);
        if let Some(national) = tx.organisation(incident.caisse_id).await?.and_then(|c| c.parent_id) {
            for to in notification_addresses(&mut tx, national, &[Role::ServiceDesk], &["service_desk"]).await? {
                tx.insert_outbox(&OutboxMessage::pending(Some(national), &to, &format!("Habilis — incident {} transmis au niveau national", incident.reference), mail.clone(), now)).await?;
            }
        }
        tell_side(&mut tx, &incident, Side::Partner, &format!("Habilis — incident {} transmis au niveau national", incident.reference), &mail, now).await?;
        self.trace_incident(&mut tx, actor, &incident, "incident.national", None, client).await?;
        tx.commit().await?;
        Ok(incident)
    }

    /// Either side marks an incident urgent: it escalates at once.
    pub async fn mark_incident_urgent(&self, actor: &Actor, id: IncidentId, client: &ClientInfo) -> Result<Incident> {
        let mut tx = self.store.begin().await?;
        let (mut incident, _) = self.incident_to_act_on(&mut tx, actor, id).await?;
        if incident.urgent {
            return Err(Error::Refused(crate::Refusal::AlreadyDecided));
        }
        self.mark_urgent_in(&mut tx, actor, &mut incident, client).await?;
        tx.commit().await?;
        Ok(incident)
    }

    async fn mark_urgent_in<T: Transaction>(&self, tx: &mut T, actor: &Actor, incident: &mut Incident, client: &ClientInfo) -> Result<()> {
        let now = self.now();
        let side = if actor.organisation.kind == OrganisationKind::Partner { Side::Partner } else { Side::Desk };
        incident.urgent = true;
        step(tx, incident, StepKind::Urgent, Some(actor), Some(side), None, now).await?;
        self.trace_incident(tx, actor, incident, "incident.urgent", None, client).await?;
        // Urgent for the side that says so: the other side's contacts are told.
        self.escalate_in(tx, incident, side.other(), "urgent").await
    }

    /// The desk closes an incident with what was done.
    pub async fn close_incident(&self, actor: &Actor, id: IncidentId, resolution: &str, client: &ClientInfo) -> Result<Incident> {
        let resolution = optional_text(resolution, 5000).map_err(|p| Error::invalid("resolution", p))?.ok_or(Error::invalid("resolution", ValueError::Empty))?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let (mut incident, side) = self.incident_to_act_on(&mut tx, actor, id).await?;
        if side != Side::Desk {
            return Err(Error::Forbidden);
        }
        incident.status = IncidentStatus::Closed;
        incident.closed_at = Some(now);
        incident.awaiting = None;
        incident.due_on = None;
        tx.update_incident(&incident).await?;
        step(&mut tx, &incident, StepKind::Closed, Some(actor), Some(side), Some(resolution.clone()), now).await?;
        let mail = format!("L'incident {} ({}) est clos.\n\n{}\n", incident.reference, incident.subject, resolution);
        tell_side(&mut tx, &incident, Side::Partner, &format!("Habilis — incident {} clos", incident.reference), &mail, now).await?;
        self.trace_incident(&mut tx, actor, &incident, "incident.close", None, client).await?;
        tx.commit().await?;
        Ok(incident)
    }

    /// Escalate every incident whose silent side let its due date pass (run every minute by
    /// the server; each incident once per delay, two instances agreeing through the lock).
    /// Returns how many escalated.
    pub async fn escalate_overdue_incidents(&self) -> Result<usize> {
        let today = self.today();
        let mut tx = self.store.read().await?;
        let due = tx.overdue_incidents(today).await?;
        drop(tx);
        let mut n = 0;
        for i in due {
            let mut tx = self.store.begin().await?;
            let Some(mut incident) = tx.lock_incident(i.id).await? else { continue };
            if incident.status == IncidentStatus::Closed || incident.due_on.is_none_or(|d| d >= today) {
                continue;
            }
            let silent = incident.awaiting.unwrap_or(Side::Desk);
            self.escalate_in(&mut tx, &mut incident, silent, "délai").await?;
            tx.commit().await?;
            n += 1;
        }
        Ok(n)
    }

    /// One level up: the silent side's next escalation contact is told, the desk too, and
    /// the delay starts again.
    async fn escalate_in<T: Transaction>(&self, tx: &mut T, incident: &mut Incident, silent: Side, why: &str) -> Result<()> {
        let now = self.now();
        incident.escalation_level += 1;
        incident.due_on = add_business_days(self.today(), self.desk.answer_business_days, self.desk.calendar);
        tx.update_incident(incident).await?;
        let level = incident.escalation_level;
        let reason = if why == "urgent" {
            "l'incident est marqué urgent".to_string()
        } else {
            format!("sans réponse depuis {} jours ouvrés", self.desk.answer_business_days)
        };
        step(tx, incident, StepKind::Escalated, None, Some(silent), Some(format!("niveau {level} : {reason}")), now).await?;
        let org = match silent {
            Side::Desk => incident.caisse_id,
            Side::Partner => incident.partner_id,
        };
        let fallback: &[Role] = match silent {
            Side::Desk => &[Role::CaisseAdmin],
            Side::Partner => &[Role::PartnerAdmin, Role::PartnerDeputy],
        };
        let to = crate::shared::escalation_addresses(tx, org, level, fallback).await?;
        let who = match silent {
            Side::Desk => "le centre de services de la caisse",
            Side::Partner => "le partenaire",
        };
        let mail = format!(
            "Procédure d'escalade (convention, article 3.3), niveau {level} : l'incident {} ({}) attend une réponse de {who} ; {reason}.\nÉchéance suivante : {}.\n",
            incident.reference,
            incident.subject,
            incident.due_on.map(|d| d.to_string()).unwrap_or_default()
        );
        let subject = format!("Habilis — escalade de l'incident {} (niveau {level})", incident.reference);
        for address in &to {
            tx.insert_outbox(&OutboxMessage::pending(Some(org), address, &subject, mail.clone(), now)).await?;
        }
        if silent == Side::Partner {
            tell_side(tx, incident, Side::Desk, &subject, &mail, now).await?;
        }
        let mut e = TraceEntry::new(now, "incident.escalate", Outcome::Success, &ClientInfo::default());
        e.organisation_id = Some(incident.partner_id);
        e.target = Some(incident.reference.clone());
        e.detail = Some(format!("niveau {level}, côté {}, {why}", silent.as_str()));
        tx.append_trace(&e).await?;
        Ok(())
    }

    /// The incident `id`, locked and open, with the side `actor` is on.
    async fn incident_to_act_on<T: Transaction>(&self, tx: &mut T, actor: &Actor, id: IncidentId) -> Result<(Incident, Side)> {
        let incident = tx.lock_incident(id).await?.ok_or(Error::NotFound)?;
        let side = side_of(actor, &incident).ok_or(Error::NotFound)?;
        if side == Side::Partner && !partner_manager_now(tx, actor).await? {
            return Err(Error::NotFound);
        }
        if incident.status == IncidentStatus::Closed {
            return Err(Error::Refused(crate::Refusal::AlreadyDecided));
        }
        Ok((incident, side))
    }

    /// Trace an action on `incident` in its partner's chain (the desk acts for it).
    async fn trace_incident<T: Transaction>(&self, tx: &mut T, actor: &Actor, incident: &Incident, action: &str, detail: Option<String>, client: &ClientInfo) -> Result<()> {
        let who = if actor.organisation.kind == OrganisationKind::Caisse { actor.clone().acting_for(incident.partner_id) } else { actor.clone() };
        self.trace_action(tx, &who, action, incident.reference.clone(), detail, client).await
    }

    /// The people a partner's user turns to first (Art. 3: only managers open incidents):
    /// their organisation's active managers, and the caisse's desk as its directory names it.
    pub async fn first_contacts(&self, actor: &Actor) -> Result<(Vec<Account>, Vec<Contact>)> {
        if actor.organisation.kind != OrganisationKind::Partner {
            return Err(Error::Forbidden);
        }
        let mut tx = self.store.read().await?;
        let mandated: Vec<AccountId> = tx.mandates_of(actor.organisation.id).await?.into_iter().filter(|m| m.withdrawn_at.is_none()).map(|m| m.holder_id).collect();
        let mut managers: Vec<Account> = tx
            .accounts_of(actor.organisation.id)
            .await?
            .into_iter()
            .filter(|a| {
                a.status == AccountStatus::Active
                    && (a.roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy)) || (a.roles.contains(&Role::DelegatedManager) && mandated.contains(&a.id)))
            })
            .collect();
        managers.sort_by_key(|a| if a.roles.contains(&Role::PartnerAdmin) { 0 } else if a.roles.contains(&Role::PartnerDeputy) { 1 } else { 2 });
        let desk = match actor.organisation.parent_id {
            Some(c) => tx.contacts(c).await?.into_iter().filter(|c| c.function == "service_desk").collect(),
            None => Vec::new(),
        };
        Ok((managers, desk))
    }

    /// The desk announces a planned outage of a service (Art. 3.1, 4): the administrators
    /// and directory contacts of every partner subscribed to it are told.
    pub async fn announce_outage(&self, actor: &Actor, cmd: &NewOutage, client: &ClientInfo) -> Result<Outage> {
        if !is_desk(actor) || actor.acting_for.is_some() {
            return Err(Error::Forbidden);
        }
        // Every field checked before any is refused: the form names every problem.
        let instant = |field, raw: &str| -> std::result::Result<OffsetDateTime, ValueError> {
            match parse_local(field, raw) {
                Ok(local) => from_paris(local).ok_or(ValueError::BadDate),
                Err(Error::Invalid { problem, .. }) => Err(problem),
                Err(_) => Err(ValueError::BadDate),
            }
        };
        let mut checks = crate::error::FieldChecks::default();
        let starts = checks.check("starts", instant("starts", &cmd.starts));
        let ends = checks.check("ends", instant("ends", &cmd.ends));
        let reason = checks.check("reason", DisplayName::parse(&cmd.reason));
        let (Some(starts), Some(ends), Some(reason)) = (starts, ends, reason) else {
            return Err(checks.error());
        };
        if ends <= starts {
            return Err(Error::invalid("ends", ValueError::DateOrder));
        }
        if ends <= self.now() || ends - starts > Duration::days(31) {
            return Err(Error::invalid("ends", ValueError::OutOfRange));
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let service = tx.service_by_code(cmd.service_code.trim()).await?.ok_or(Error::invalid("service", ValueError::BadFormat))?;
        let outage = Outage {
            id: OutageId::new(),
            caisse_id: actor.organisation.id,
            service_id: service.id,
            starts_at: starts,
            ends_at: ends,
            reason: reason.as_str().into(),
            announced_by: actor.account.id,
            announced_at: now,
            cancelled_at: None,
        };
        tx.insert_outage(&outage).await?;
        let mail = format!(
            "Le service {} sera indisponible du {} au {} (heure de Paris).\nMotif : {}\n\nLe portail Habilis reste disponible.\n",
            service.label,
            crate::clock::format_paris(starts),
            crate::clock::format_paris(ends),
            outage.reason
        );
        let mut told = 0;
        for p in tx.partners_of(actor.organisation.id).await? {
            if tx.subscription(p.id, service.id).await?.is_none() {
                continue;
            }
            for to in notification_addresses(&mut tx, p.id, &[Role::PartnerAdmin, Role::PartnerDeputy], &["administrator", "deputy"]).await? {
                tx.insert_outbox(&OutboxMessage::pending(Some(p.id), &to, &format!("Habilis — interruption programmée de {}", service.label), mail.clone(), now)).await?;
            }
            told += 1;
        }
        self.trace_action(&mut tx, actor, "outage.announce", service.code.clone(), Some(format!("{} → {}, {told} partenaire(s) prévenu(s)", crate::clock::format_paris(starts), crate::clock::format_paris(ends))), client).await?;
        tx.commit().await?;
        Ok(outage)
    }

    /// The desk cancels an announced outage.
    pub async fn cancel_outage(&self, actor: &Actor, id: OutageId, client: &ClientInfo) -> Result<()> {
        if !is_desk(actor) || actor.acting_for.is_some() {
            return Err(Error::Forbidden);
        }
        let mut tx = self.store.begin().await?;
        let o = tx.outage(id).await?.filter(|o| o.caisse_id == actor.organisation.id).ok_or(Error::NotFound)?;
        if !tx.cancel_outage(id, self.now()).await? {
            return Err(Error::Refused(crate::Refusal::AlreadyDecided));
        }
        let code = tx.service(o.service_id).await?.map(|s| s.code).unwrap_or_default();
        self.trace_action(&mut tx, actor, "outage.cancel", code, None, client).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The services down now for a planned outage of `actor`'s caisse, with the end of
    /// their window.
    pub async fn services_down(&self, actor: &Actor) -> Result<std::collections::HashMap<ServiceId, OffsetDateTime>> {
        let now = self.now();
        let Some(caisse) = caisse_of(&actor.organisation) else { return Ok(Default::default()) };
        let mut tx = self.store.read().await?;
        Ok(tx.outages_ending_after(now).await?.into_iter().filter(|o| o.caisse_id == caisse && o.covers(now)).map(|o| (o.service_id, o.ends_at)).collect())
    }

    /// The outages current or to come that `actor` should see, with the service's label:
    /// all of their caisse's for its staff, those of the services their organisation
    /// subscribes to for a partner.
    pub async fn outages(&self, actor: &Actor) -> Result<Vec<(Outage, String)>> {
        let mut tx = self.store.read().await?;
        let (caisse, partner) = match actor.organisation.kind {
            OrganisationKind::Caisse => (actor.organisation.id, None),
            OrganisationKind::Partner => (actor.organisation.parent_id.ok_or(Error::Forbidden)?, Some(actor.organisation.id)),
            _ => return Ok(Vec::new()),
        };
        let mut out = Vec::new();
        for o in tx.outages_ending_after(self.now()).await? {
            if o.caisse_id != caisse {
                continue;
            }
            if let Some(p) = partner
                && tx.subscription(p, o.service_id).await?.is_none()
            {
                continue;
            }
            let label = tx.service(o.service_id).await?.map(|s| s.label).unwrap_or_default();
            out.push((o, label));
        }
        Ok(out)
    }
}

/// Append a step to `incident`'s timeline.
async fn step<T: Transaction>(tx: &mut T, incident: &Incident, kind: StepKind, actor: Option<&Actor>, side: Option<Side>, body: Option<String>, at: OffsetDateTime) -> Result<()> {
    tx.add_step(&IncidentStep { incident_id: incident.id, seq: 0, kind, author_id: actor.map(|a| a.account.id), side, body, at }).await?;
    Ok(())
}

/// Tell one side of `incident` by e-mail: the desk (its agents, the directory's service
/// desk address) or the partner (who opened it, its administrators).
async fn tell_side<T: Transaction>(tx: &mut T, incident: &Incident, side: Side, subject: &str, body: &str, now: OffsetDateTime) -> Result<()> {
    let (org, mut to) = match side {
        Side::Desk => (incident.caisse_id, notification_addresses(tx, incident.caisse_id, &[Role::ServiceDesk], &["service_desk"]).await?),
        Side::Partner => (incident.partner_id, notification_addresses(tx, incident.partner_id, &[Role::PartnerAdmin, Role::PartnerDeputy], &["administrator"]).await?),
    };
    if side == Side::Partner
        && let Some(opener) = tx.account(incident.opened_by).await?
        && !to.iter().any(|t| t.eq_ignore_ascii_case(&opener.email))
    {
        to.push(opener.email);
    }
    for address in to {
        tx.insert_outbox(&OutboxMessage::pending(Some(org), &address, subject, body.to_string(), now)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn paris_times_become_instants_across_the_clock_changes() {
        assert_eq!(from_paris(datetime!(2026-07-01 10:00)), Some(datetime!(2026-07-01 08:00 UTC)));
        assert_eq!(from_paris(datetime!(2026-12-01 10:00)), Some(datetime!(2026-12-01 09:00 UTC)));
        // 29 March 2026: 02:00 becomes 03:00; 01:30 is still winter time, 02:30 never happens.
        assert_eq!(from_paris(datetime!(2026-03-29 01:30)), Some(datetime!(2026-03-29 00:30 UTC)));
        assert_eq!(from_paris(datetime!(2026-03-29 02:30)), None);
        assert_eq!(from_paris(datetime!(2026-03-29 03:30)), Some(datetime!(2026-03-29 01:30 UTC)));
        // 25 October 2026: 03:00 becomes 02:00 again; 02:30 is taken at its first (summer) time.
        assert_eq!(from_paris(datetime!(2026-10-25 01:30)), Some(datetime!(2026-10-24 23:30 UTC)));
        assert_eq!(from_paris(datetime!(2026-10-25 02:30)), Some(datetime!(2026-10-25 00:30 UTC)));
        assert_eq!(from_paris(datetime!(2026-10-25 03:30)), Some(datetime!(2026-10-25 02:30 UTC)));
    }
}
