//! Reading the trail (R62, Art. 5.3.3–5.3.4): who may read which traces, the viewer's
//! filters and pages, and exports. A partner's administrator and deputy read all and only
//! their organisation's chain; caisse staff read only with the trace auditor role (their
//! caisse's chain, its partners' and the chain of events without an organisation). Every
//! reading and export is itself traced, before the records are returned.

use serde::Serialize;
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

use crate::app::App;
use crate::error::{Error, Result};
use crate::records::*;
use crate::store::*;
use crate::clock::to_micros;
use crate::trace::*;
use crate::values::*;


/// The viewer's filters as typed (dates `YYYY-MM-DD`, inclusive, in Paris time).
#[derive(Debug, Clone, Default)]
pub struct TraceFilter {
    pub from: String,
    pub to: String,
    /// A login.
    pub person: String,
    /// An action or its prefix.
    pub action: String,
    pub target: String,
    /// Any of these targets: the history of a record (set by the pages, not typed).
    pub targets: Vec<String>,
    /// `success`, `failure` or `refused`.
    pub outcome: String,
    /// A session id.
    pub session: String,
    /// For trace auditors: one organisation of their reach.
    pub organisation: Option<OrganisationId>,
    /// Leave out consultations and connections (the viewer's default).
    pub changes_only: bool,
    /// The cursor of the next page, as given with the previous one.
    pub after: String,
}

/// One page of traces, newest first, and the cursor of the next one.
#[derive(Debug, Clone)]
pub struct TracePage {
    pub records: Vec<TraceRecord>,
    pub next: Option<String>,
}

/// One trace as the viewer and the exports show it.
#[derive(Debug, Clone, Serialize)]
pub struct TraceView {
    pub id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor_login: Option<String>,
    pub organisation_id: Option<OrganisationId>,
    pub session_id: Option<SessionId>,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub outcome: &'static str,
    pub detail: Option<String>,
    pub chain_id: Uuid,
    pub seq: i64,
}

impl From<&TraceRecord> for TraceView {
    fn from(r: &TraceRecord) -> Self {
        let e = &r.entry;
        TraceView {
            id: e.id,
            at: e.at,
            actor_login: e.actor_login.clone(),
            organisation_id: e.organisation_id,
            session_id: e.session_id,
            client_addr: e.client_addr.clone(),
            user_agent: e.user_agent.clone(),
            action: e.action.clone(),
            target: e.target.clone(),
            outcome: e.outcome.as_str(),
            detail: e.detail.clone(),
            chain_id: r.chain_id,
            seq: r.seq,
        }
    }
}

/// Names for a page of traces (`App::trace_names`).
#[derive(Debug, Clone, Default)]
pub struct TraceNames {
    /// Who acted: their name, their organisation and its name.
    pub actors: std::collections::HashMap<AccountId, (String, OrganisationId, String)>,
    /// Targets that are ids, in words.
    pub targets: std::collections::HashMap<String, String>,
}

/// At most this many records per export (a narrower filter gets the rest).
pub const EXPORT_LIMIT: i64 = 100_000;

/// Midnight of `d` in Paris.
fn paris_midnight(d: Date) -> OffsetDateTime {
    let utc = d.midnight().assume_utc();
    let offset = crate::clock::to_paris(utc).offset();
    utc - Duration::seconds(i64::from(offset.whole_seconds()))
}

fn text(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_string())
}

/// The chains `actor` may read: their partner's (administrators), or their caisse's reach
/// (trace auditors); none for anyone else.
async fn readable_chains<T: Transaction>(tx: &mut T, actor: &Actor, only: Option<OrganisationId>) -> Result<Vec<Uuid>> {
    // Roles read afresh: a withdrawn right stops the next reading.
    let account = tx.account(actor.account.id).await?.ok_or(Error::NotAuthenticated)?;
    let org = &actor.organisation;
    let chains = match org.kind {
        OrganisationKind::Partner if account.roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy)) => vec![org.id.0],
        OrganisationKind::Caisse if account.roles.contains(&Role::TraceAuditor) => {
            let mut v = vec![org.id.0, Uuid::nil()];
            v.extend(tx.partners_of(org.id).await?.into_iter().map(|p| p.id.0));
            v
        }
        // The national level's auditors read every caisse's reach (Art. 5.3.3 "Caf et Cnaf").
        OrganisationKind::National if account.roles.contains(&Role::TraceAuditor) => {
            let mut v = vec![org.id.0, Uuid::nil()];
            for caisse in tx.caisses_of(org.id).await? {
                v.push(caisse.id.0);
                v.extend(tx.partners_of(caisse.id).await?.into_iter().map(|p| p.id.0));
            }
            v
        }
        _ => return Err(Error::Forbidden),
    };
    match only {
        None => Ok(chains),
        Some(o) if chains.contains(&o.0) => Ok(vec![o.0]),
        Some(_) => Err(Error::NotFound),
    }
}

impl TraceFilter {
    fn query(&self, chains: Vec<Uuid>, limit: i64) -> Result<TraceQuery> {
        let day = |field: &'static str, v: &str| -> Result<Option<Date>> {
            match text(v) {
                None => Ok(None),
                Some(s) => parse_date(&s).map(Some).map_err(|p| Error::invalid(field, p)),
            }
        };
        let from = day("from", &self.from)?;
        let to = day("to", &self.to)?;
        if let (Some(a), Some(b)) = (from, to)
            && b < a {
                return Err(Error::invalid("to", ValueError::DateOrder));
            }
        let outcome = match text(&self.outcome).as_deref() {
            None => None,
            Some("success") => Some(Outcome::Success),
            Some("failure") => Some(Outcome::Failure),
            Some("refused") => Some(Outcome::Refused),
            Some(_) => return Err(Error::invalid("outcome", ValueError::BadFormat)),
        };
        let session = match text(&self.session) {
            None => None,
            Some(s) => Some(SessionId(Uuid::parse_str(&s).map_err(|_| Error::invalid("session", ValueError::BadFormat))?)),
        };
        let before = match text(&self.after) {
            None => None,
            Some(c) => {
                let (at, id) = c.split_once('.').ok_or(Error::invalid("after", ValueError::BadFormat))?;
                let at = at.parse::<i64>().map_err(|_| Error::invalid("after", ValueError::BadFormat))?;
                let id = Uuid::parse_str(id).map_err(|_| Error::invalid("after", ValueError::BadFormat))?;
                Some((at, id))
            }
        };
        Ok(TraceQuery {
            chains,
            from: from.map(|d| to_micros(paris_midnight(d))),
            to: to.and_then(|d| d.next_day()).map(|d| to_micros(paris_midnight(d))),
            actor_login: text(&self.person).map(|s| s.to_lowercase()),
            actor_id: None,
            action: text(&self.action),
            target: text(&self.target),
            targets: self.targets.clone(),
            outcome,
            session,
            before,
            changes_only: self.changes_only,
            limit,
        })
    }

    /// The filter in words, for the trace of the reading itself.
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (k, v) in [("du", &self.from), ("au", &self.to), ("personne", &self.person), ("action", &self.action), ("cible", &self.target), ("résultat", &self.outcome), ("session", &self.session)] {
            if let Some(v) = text(v) {
                parts.push(format!("{k} {v}"));
            }
        }
        if let Some(o) = self.organisation {
            parts.push(format!("organisation {o}"));
        }
        if !self.targets.is_empty() {
            parts.push(format!("historique de {}", self.targets.join(" / ")));
        }
        if self.changes_only {
            parts.push("actions seulement".into());
        }
        if parts.is_empty() { "sans filtre".into() } else { parts.join(", ") }
    }
}

impl<S: Store> App<S> {
    /// One page of the traces `actor` may read, matching `filter` (R62). The reading is
    /// traced first.
    pub async fn read_traces(&self, actor: &Actor, filter: &TraceFilter, limit: i64, client: &ClientInfo) -> Result<TracePage> {
        let limit = limit.clamp(1, 500);
        // One more than asked for tells whether a next page exists.
        let q = self.trace_access(actor, filter, limit + 1, "trace.read", client).await?;
        let mut records = self.store.trace_search(&q).await?;
        let next = if records.len() as i64 > limit {
            records.truncate(limit as usize);
            records.last().map(|r| format!("{}.{}", to_micros(r.entry.at), r.entry.id))
        } else {
            None
        };
        Ok(TracePage { records, next })
    }

    /// Every trace `actor` may read matching `filter`, up to [`EXPORT_LIMIT`], newest first,
    /// for a CSV or JSON export. The export is traced first, with its format.
    pub async fn export_traces(&self, actor: &Actor, filter: &TraceFilter, format: &str, client: &ClientInfo) -> Result<Vec<TraceRecord>> {
        let q = self.trace_access(actor, filter, 1000, &format!("trace.export.{format}"), client).await?;
        self.collect_traces(q).await
    }

    /// Every record of `q`, page after page, up to [`EXPORT_LIMIT`].
    async fn collect_traces(&self, mut q: TraceQuery) -> Result<Vec<TraceRecord>> {
        let mut out = Vec::new();
        loop {
            let page = self.store.trace_search(&q).await?;
            let full = page.len() as i64 == q.limit;
            q.before = page.last().map(|r| (to_micros(r.entry.at), r.entry.id));
            out.extend(page);
            if !full || out.len() as i64 >= EXPORT_LIMIT {
                break;
            }
        }
        out.truncate(EXPORT_LIMIT as usize);
        Ok(out)
    }

    /// Check the reader's rights, trace the reading, and build the query (`limit` records).
    async fn trace_access(&self, actor: &Actor, filter: &TraceFilter, limit: i64, action: &str, client: &ClientInfo) -> Result<TraceQuery> {
        let mut tx = self.store.begin().await?;
        let chains = readable_chains(&mut tx, actor, filter.organisation).await?;
        let q = filter.query(chains, limit)?;
        self.trace_action(&mut tx, actor, action, "traces".into(), Some(filter.describe()), client).await?;
        tx.commit().await?;
        Ok(q)
    }

    /// Names for the ids a page of traces shows, within what `actor` may read: the people
    /// who acted (with their organisation, to show who acted for whom) and the targets that
    /// are ids of people, grants or organisations (said in words: "CDAP T1 — Karim Haddad").
    pub async fn trace_names(&self, actor: &Actor, records: &[TraceRecord]) -> Result<TraceNames> {
        let mut tx = self.store.read().await?;
        let chains = readable_chains(&mut tx, actor, None).await?;
        let readable = |org: OrganisationId| chains.contains(&org.0);
        let mut names = TraceNames::default();
        let mut org_names: std::collections::HashMap<OrganisationId, Option<String>> = std::collections::HashMap::new();
        for r in records {
            if let Some(a) = r.entry.actor_id
                && !names.actors.contains_key(&a)
                && let Some(acc) = tx.account(a).await?
            {
                let org = match org_names.get(&acc.organisation_id) {
                    Some(n) => n.clone(),
                    None => {
                        let n = tx.organisation(acc.organisation_id).await?.map(|o| o.name);
                        org_names.insert(acc.organisation_id, n.clone());
                        n
                    }
                };
                names.actors.insert(a, (acc.display_name, acc.organisation_id, org.unwrap_or_default()));
            }
            let Some(target) = r.entry.target.as_deref() else { continue };
            let Ok(id) = Uuid::parse_str(target) else { continue };
            if names.targets.contains_key(target) {
                continue;
            }
            let said = if let Some(acc) = tx.account(AccountId(id)).await?.filter(|a| readable(a.organisation_id)) {
                Some(format!("{} ({})", acc.display_name, acc.login))
            } else if let Some(g) = tx.grant(GrantId(id)).await?.filter(|g| readable(g.organisation_id)) {
                Some(crate::shared::grant_in_words(&mut tx, &g).await?)
            } else if let Some(o) = tx.organisation(OrganisationId(id)).await?.filter(|o| readable(o.id) || o.id == actor.organisation.id) {
                Some(o.name)
            } else {
                None
            };
            if let Some(said) = said {
                names.targets.insert(target.to_string(), said);
            }
        }
        Ok(names)
    }

    /// The traces of one person of `actor`'s organisation (their actions and
    /// consultations), for a right-of-access answer: all of them still kept.
    pub(crate) async fn person_traces(&self, org: OrganisationId, person: AccountId, login: &str) -> Result<Vec<TraceRecord>> {
        // By login (indexed) and by account (a login is never given to someone else, but
        // the account is what the person is).
        let q = TraceQuery { chains: vec![org.0], actor_id: Some(person), actor_login: Some(login.to_string()), limit: 1000, ..Default::default() };
        self.collect_traces(q).await
    }
}

/// The records as CSV (UTF-8 with a BOM, `;`-separated as French spreadsheets expect; cells
/// that a spreadsheet would run as formulas are defused).
pub fn to_csv(records: &[TraceRecord]) -> String {
    to_csv_named(records, &TraceNames::default())
}

/// [`to_csv`] with the names the reader may read (`App::trace_names`) beside the ids: who
/// acted, and the target in words (issue 17: names instead of ids, the ids kept as data).
pub fn to_csv_named(records: &[TraceRecord], names: &TraceNames) -> String {
    let mut s = String::from("\u{feff}date;identifiant;personne;organisation;session;adresse;navigateur;action;libellé;cible;cible en clair;résultat;détail;chaîne;numéro\r\n");
    let cell = |v: &str| {
        let v = defuse(v);
        if v.contains([';', '"', '\n', '\r']) { format!("\"{}\"", v.replace('"', "\"\"")) } else { v }
    };
    for r in records {
        let e = &r.entry;
        let row = [
            crate::clock::to_paris(e.at).format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            e.actor_login.clone().unwrap_or_default(),
            e.actor_id.and_then(|a| names.actors.get(&a)).map(|(n, _, org)| format!("{n} — {org}")).unwrap_or_default(),
            e.organisation_id.map(|o| o.to_string()).unwrap_or_default(),
            e.session_id.map(|x| x.0.to_string()).unwrap_or_default(),
            e.client_addr.clone().unwrap_or_default(),
            e.user_agent.clone().unwrap_or_default(),
            e.action.clone(),
            crate::labels::action_label(&e.action, false).unwrap_or_default().to_string(),
            e.target.clone().unwrap_or_default(),
            e.target.as_deref().and_then(|t| names.targets.get(t)).cloned().unwrap_or_default(),
            e.outcome.as_str().to_string(),
            e.detail.clone().unwrap_or_default(),
            r.chain_id.to_string(),
            r.seq.to_string(),
        ];
        s.push_str(&row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(";"));
        s.push_str("\r\n");
    }
    s
}

/// A cell a spreadsheet would run as a formula, made text with a leading apostrophe. The
/// full-width signs count: spreadsheets fold them to their ASCII twins.
pub use crate::values::defuse;

#[cfg(test)]
mod tests {
    use super::defuse;

    #[test]
    fn formulas_are_defused_in_either_width() {
        for f in ["=1+1", "+1", "-1", "@SUM(A1)", "＝HYPERLINK(\"x\")", "＋1", "－1", "＠x"] {
            assert!(defuse(f).starts_with('\''), "{f}");
        }
        assert_eq!(defuse("Mairie de Mons"), "Mairie de Mons");
    }
}
