//! Bulk import of a partner's people, group memberships and grants from CSV (issue 18,
//! R15), in the format of the exports: a dry run that reports what each line would do,
//! then the real run, under the rules of the forms.
//!
//! Every line goes through the services' own steps (`create_user_in`, `create_group_in`,
//! `add_member_in`, `grant_in`): mandates, quotas, the gate, uniqueness and isolation are
//! the forms' own, checked line by line inside the import's transaction. A line is whole or
//! nothing: it runs after a mark of the transaction and is undone to it when any of its
//! steps is refused, so a refused line leaves nothing behind. What a line finds already in
//! place (the person, the membership, the grant) is left as it is and said.
//!
//! The dry run runs every line in **one** transaction and rolls it back: each line sees
//! what the lines before it would have done (quotas counted across the file, two lines
//! giving the same login) and what other people committed. The real run commits every
//! `CHUNK` lines; its quota checks take the partner's lock like every other path, so
//! concurrent work lines up with it.

use crate::app::App;
use crate::commands::*;
use crate::error::{Error, ImportProblem, Result, Rule};
use crate::reach::powers_of;
use crate::records::*;
use crate::sheet::{Encoding, Sheet, column_key};
use crate::store::*;
use crate::trace::*;
use crate::values::*;

/// The most lines a file may hold (after its header).
pub const MOST_LINES: usize = 20_000;
/// Lines committed together by the real run.
const CHUNK: usize = 250;

/// What a file holds: one person, one group or one grant per line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Users,
    Groups,
    Grants,
}

impl ImportKind {
    /// From the name in a URL or a form (`users`, `groups`, `grants`).
    pub fn parse(s: &str) -> Option<ImportKind> {
        match s {
            "users" => Some(ImportKind::Users),
            "groups" => Some(ImportKind::Groups),
            "grants" => Some(ImportKind::Grants),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Users => "users",
            ImportKind::Groups => "groups",
            ImportKind::Grants => "grants",
        }
    }

    /// The columns of this kind: (French name, names recognised, required).
    fn columns(self) -> &'static [(&'static str, &'static [&'static str], bool)] {
        match self {
            ImportKind::Users => &[
                ("prénom", &["prenom", "first name", "firstname", "given name"], true),
                ("nom", &["nom", "nom de famille", "last name", "lastname", "family name", "surname"], true),
                ("courriel", &["courriel", "email", "e mail", "mail", "adresse electronique", "adresse mail", "adresse courriel"], true),
                ("fonction", &["fonction", "function", "poste", "job title"], false),
                ("identifiant", &["identifiant", "login", "username", "user name"], false),
                ("groupes", &["groupes", "groupe", "groups", "group"], false),
            ],
            ImportKind::Groups => &[
                ("groupe", &["groupe", "group", "nom du groupe", "group name"], true),
                ("membres", &["membres", "membre", "members", "member", "identifiants", "identifiant", "logins", "login"], false),
            ],
            ImportKind::Grants => &[
                ("service", &["service"], true),
                ("profil", &["profil", "profile", "role"], true),
                ("titulaire", &["titulaire", "holder", "identifiant", "login", "personne"], true),
                ("motif", &["motif", "purpose", "objet"], true),
                ("fin", &["fin", "date de fin", "ends on", "end", "end date"], false),
                ("état", &["etat", "state", "status"], false),
            ],
        }
    }
}

/// One thing a line did, or found already done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    AccountCreated(String),
    AccountFound(String),
    GroupCreated(String),
    GroupFound(String),
    Joined { group: String, login: String },
    AlreadyMember { group: String, login: String },
    Granted { service: String, role: String, holder: String },
    AlreadyGranted { service: String, role: String, holder: String },
}

impl Step {
    /// Whether the step found its work already done (nothing was changed).
    pub fn already(&self) -> bool {
        matches!(self, Step::AccountFound(_) | Step::GroupFound(_) | Step::AlreadyMember { .. } | Step::AlreadyGranted { .. })
    }
}

/// What became of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineOutcome {
    /// Everything the line asks for was done.
    Done,
    /// Part of it was done; the rest was already in place.
    Partly,
    /// Everything it asks for was already in place: nothing changed.
    Unchanged,
    /// Nothing was done; the error says why.
    Refused,
}

impl LineOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            LineOutcome::Done => "done",
            LineOutcome::Partly => "partly",
            LineOutcome::Unchanged => "unchanged",
            LineOutcome::Refused => "refused",
        }
    }
}

/// A line's report.
#[derive(Debug)]
pub struct LineReport {
    /// Its number in the file (the header is line 1).
    pub line: usize,
    pub outcome: LineOutcome,
    pub steps: Vec<Step>,
    pub error: Option<Error>,
}

/// An import's report, line by line.
#[derive(Debug)]
pub struct ImportReport {
    pub kind: ImportKind,
    pub dry_run: bool,
    pub encoding: Encoding,
    pub separator: char,
    /// Header columns this kind does not use (kept out of the import, named in the report).
    pub ignored: Vec<String>,
    pub lines: Vec<LineReport>,
    /// The database failed at this line: it and the lines after it were not run (the lines
    /// before it that were committed stay).
    pub stopped_at: Option<usize>,
}

impl ImportReport {
    /// How many lines ended with `outcome`.
    pub fn count(&self, outcome: LineOutcome) -> usize {
        self.lines.iter().filter(|l| l.outcome == outcome).count()
    }
}

/// A line's cells by column.
struct Line<'a> {
    cells: &'a [String],
    at: &'a [Option<usize>],
}

impl Line<'_> {
    /// The cell of column `i` of the kind's list (empty when absent).
    fn get(&self, i: usize) -> &str {
        self.at.get(i).copied().flatten().and_then(|c| self.cells.get(c)).map(String::as_str).unwrap_or("")
    }
}

/// Which header column holds each of the kind's columns; the header's unused columns.
fn map_columns(kind: ImportKind, header: &[String]) -> Result<(Vec<Option<usize>>, Vec<String>)> {
    // Each header column with its compared name, and whether a column of the kind took it.
    let mut keys: Vec<(String, bool)> = header.iter().map(|h| (column_key(h), false)).collect();
    let mut at = Vec::new();
    for (name, aliases, required) in kind.columns() {
        let found: Vec<usize> = keys.iter().enumerate().filter(|(_, (k, used))| !*used && aliases.contains(&k.as_str())).map(|(i, _)| i).collect();
        match found.as_slice() {
            [] if *required => return Err(Error::Import(ImportProblem::File(crate::sheet::SheetProblem::MissingColumn(name)))),
            [] => at.push(None),
            [i] => {
                if let Some(slot) = keys.get_mut(*i) {
                    slot.1 = true;
                }
                at.push(Some(*i));
            }
            [_, second, ..] => {
                let twice = header.get(*second).cloned().unwrap_or_default();
                return Err(Error::Import(ImportProblem::File(crate::sheet::SheetProblem::DuplicateColumn(twice))));
            }
        }
    }
    let ignored = header.iter().zip(&keys).filter(|(h, (_, used))| !*used && !h.is_empty()).map(|(h, _)| h.clone()).collect();
    Ok((at, ignored))
}

/// The names of a list cell (`a, b`, `a; b`, `a | b` or one per line).
fn list(cell: &str) -> Vec<String> {
    cell.split([',', ';', '|', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
}

fn required<'a>(value: &'a str, column: &'static str) -> Result<&'a str> {
    if value.trim().is_empty() { Err(Error::Import(ImportProblem::Missing(column))) } else { Ok(value.trim()) }
}

/// Whether an error is the database failing (the import stops) rather than a line refused.
fn is_failure(e: &Error) -> bool {
    matches!(e, Error::Store(crate::StoreError::Unavailable(_) | crate::StoreError::Corrupt(_)) | Error::Internal(_))
}

/// What every line of one import shares.
struct Importer<'a> {
    actor: &'a Actor,
    org: OrganisationId,
    public_url: &'a str,
    client: &'a ClientInfo,
}

impl<S: Store> App<S> {
    /// Import `bytes` (a CSV file of `kind`) for the organisation `actor` manages; with
    /// `dry_run`, report what each line would do and change nothing. If the database fails
    /// during a real run, the report ends with the last line committed (`stopped_at` names
    /// the first one that is not).
    pub async fn import_csv(&self, actor: &Actor, kind: ImportKind, bytes: &[u8], dry_run: bool, public_url: &str, client: &ClientInfo) -> Result<ImportReport> {
        let sheet: Sheet = crate::sheet::read(bytes, MOST_LINES).map_err(|p| Error::Import(ImportProblem::File(p)))?;
        let (at, ignored) = map_columns(kind, &sheet.header)?;
        let mut tx = self.store.begin().await?;
        // Only a manager of an organisation imports into it (each line checks again).
        let (org, _) = powers_of(&mut tx, actor, self.today()).await?;
        let run = Importer { actor, org, public_url, client };
        let mut report = ImportReport { kind, dry_run, encoding: sheet.encoding, separator: sheet.separator, ignored, lines: Vec::new(), stopped_at: None };
        // The lines of `report.lines` from this index on are not committed yet.
        let mut committed = 0usize;
        let mut open = Some(tx);
        for (i, (number, cells)) in sheet.rows.iter().enumerate() {
            let Some(tx) = open.as_mut() else { break };
            match self.import_line(tx, &run, kind, &Line { cells, at: &at }, *number).await {
                Ok(line) => report.lines.push(line),
                Err(e) => {
                    tracing::warn!(line = number, error = %e, "import stopped: the database failed");
                    report.stopped_at = Some(*number);
                    // The failing line is undone; the chunk's lines before it are kept if the
                    // database still takes them, and taken out of the report if not.
                    if let Some(mut tx) = open.take()
                        && !dry_run
                        && (tx.undo_to_mark().await.is_err() || tx.commit().await.is_err())
                    {
                        report.stopped_at = report.lines.get(committed).map(|l| l.line).or(Some(*number));
                        report.lines.truncate(committed);
                    }
                    break;
                }
            }
            if !dry_run && report.lines.len() - committed >= CHUNK {
                let next = sheet.rows.get(i + 1).map(|(n, _)| *n);
                open = self.commit_chunk(open.take(), &mut report, &mut committed, next).await;
            }
        }
        if dry_run {
            return Ok(report);
        }
        let mut detail = summary(&report);
        if let Some(n) = report.stopped_at {
            detail.push_str(&format!(" ; interrompu à la ligne {n}"));
        }
        // The run's trace closes its last chunk, or stands alone after a failure.
        let tx = match open {
            Some(tx) => Some(tx),
            None => self.store.begin().await.ok(),
        };
        let closed = match tx {
            Some(mut tx) => match self.trace_action(&mut tx, actor, "import.run", kind.as_str().to_string(), Some(detail), client).await {
                Ok(()) => tx.commit().await.map_err(Error::from),
                Err(e) => Err(e),
            },
            None => Err(Error::Store(crate::StoreError::Unavailable("no transaction for the import's trace".into()))),
        };
        if let Err(e) = closed {
            tracing::warn!(error = %e, "import: its last lines or its trace could not be committed");
            if report.lines.len() > committed {
                report.stopped_at = report.lines.get(committed).map(|l| l.line);
                report.lines.truncate(committed);
            }
        }
        Ok(report)
    }

    /// Commit the lines run since the last commit and begin the next chunk (for the line
    /// numbered `next`); when the database fails, the uncommitted lines leave the report
    /// and `None` stops the run.
    async fn commit_chunk(&self, tx: Option<S::Tx>, report: &mut ImportReport, committed: &mut usize, next: Option<usize>) -> Option<S::Tx> {
        let outcome = match tx {
            Some(tx) => tx.commit().await,
            None => return None,
        };
        match outcome {
            Ok(()) => *committed = report.lines.len(),
            Err(e) => {
                tracing::warn!(error = %e, "import stopped: a chunk could not be committed");
                report.stopped_at = report.lines.get(*committed).map(|l| l.line);
                report.lines.truncate(*committed);
                return None;
            }
        }
        match self.store.begin().await {
            Ok(tx) => Some(tx),
            Err(e) => {
                tracing::warn!(error = %e, "import stopped: no new transaction");
                report.stopped_at = next;
                None
            }
        }
    }

    /// One line, whole or nothing: its report, or `Err` when the database fails.
    async fn import_line(&self, tx: &mut S::Tx, run: &Importer<'_>, kind: ImportKind, line: &Line<'_>, number: usize) -> Result<LineReport> {
        tx.mark().await?;
        let mut steps = Vec::new();
        let result = match kind {
            ImportKind::Users => self.import_user(tx, run, line, &mut steps).await,
            ImportKind::Groups => self.import_group(tx, run, line, &mut steps).await,
            ImportKind::Grants => self.import_grant(tx, run, line, &mut steps).await,
        };
        match result {
            Ok(()) => {
                tx.keep_since_mark().await?;
                let outcome = if steps.iter().all(Step::already) {
                    LineOutcome::Unchanged
                } else if steps.iter().any(Step::already) {
                    LineOutcome::Partly
                } else {
                    LineOutcome::Done
                };
                Ok(LineReport { line: number, outcome, steps, error: None })
            }
            Err(e) if is_failure(&e) => Err(e),
            Err(e) => {
                tx.undo_to_mark().await?;
                Ok(LineReport { line: number, outcome: LineOutcome::Refused, steps: Vec::new(), error: Some(e) })
            }
        }
    }

    /// A person's line: the person (created, or found by login or address), then the
    /// groups they join.
    async fn import_user(&self, tx: &mut S::Tx, run: &Importer<'_>, line: &Line<'_>, steps: &mut Vec<Step>) -> Result<()> {
        let (actor, org, client) = (run.actor, run.org, run.client);
        let input = UserInput {
            first_name: line.get(0).to_string(),
            last_name: line.get(1).to_string(),
            email: line.get(2).to_string(),
            function: line.get(3).to_string(),
            login: line.get(4).to_string(),
        };
        // Groups named must exist before anything is done.
        let groups = self.groups_named(tx, org, &list(line.get(5))).await?;
        let existing = match input.login.trim() {
            "" => match Email::parse(&input.email) {
                Ok(e) => tx.account_with_email(org, e.as_str(), None).await?,
                Err(_) => None,
            },
            login => match self.person_by_login(tx, org, login).await? {
                Some(a) => {
                    let email = Email::parse(&input.email).map_err(|p| Error::invalid("email", p))?;
                    let account = tx.account(a).await?.ok_or(Error::NotFound)?;
                    if !account.email.eq_ignore_ascii_case(email.as_str()) {
                        return Err(Error::Import(ImportProblem::OtherEmail(account.login)));
                    }
                    Some(a)
                }
                None => None,
            },
        };
        let person = match existing {
            Some(id) => {
                let account = tx.account(id).await?.ok_or(Error::NotFound)?;
                steps.push(Step::AccountFound(account.login.clone()));
                account
            }
            None => {
                let account = self.create_user_in(tx, actor, &input, run.public_url, client).await?;
                steps.push(Step::AccountCreated(account.login.clone()));
                account
            }
        };
        for g in groups {
            if tx.members(g.id).await?.contains(&person.id) {
                steps.push(Step::AlreadyMember { group: g.name.clone(), login: person.login.clone() });
            } else {
                self.add_member_in(tx, actor, g.id, person.id, client).await?;
                steps.push(Step::Joined { group: g.name.clone(), login: person.login.clone() });
            }
        }
        Ok(())
    }

    /// A group's line: the group (created if it does not exist), then its members.
    async fn import_group(&self, tx: &mut S::Tx, run: &Importer<'_>, line: &Line<'_>, steps: &mut Vec<Step>) -> Result<()> {
        let (actor, org, client) = (run.actor, run.org, run.client);
        let name = required(line.get(0), "groupe")?;
        // Every member named must exist before anything is done.
        let mut members = Vec::new();
        for login in list(line.get(1)) {
            let id = self.person_by_login(tx, org, &login).await?.ok_or(Error::Import(ImportProblem::UnknownPerson(login.clone())))?;
            let account = tx.account(id).await?.ok_or(Error::NotFound)?;
            if !members.iter().any(|a: &Account| a.id == account.id) {
                members.push(account);
            }
        }
        let group = match self.group_named(tx, org, name).await? {
            Some(g) => {
                steps.push(Step::GroupFound(g.name.clone()));
                g
            }
            None => {
                let g = self.create_group_in(tx, actor, name, client).await?;
                steps.push(Step::GroupCreated(g.name.clone()));
                g
            }
        };
        let in_group = tx.members(group.id).await?;
        for person in members {
            if in_group.contains(&person.id) {
                steps.push(Step::AlreadyMember { group: group.name.clone(), login: person.login.clone() });
            } else {
                self.add_member_in(tx, actor, group.id, person.id, client).await?;
                steps.push(Step::Joined { group: group.name.clone(), login: person.login.clone() });
            }
        }
        Ok(())
    }

    /// A grant's line: to a person (by login) or a group (`groupe NAME`).
    async fn import_grant(&self, tx: &mut S::Tx, run: &Importer<'_>, line: &Line<'_>, steps: &mut Vec<Step>) -> Result<()> {
        let (actor, org, client) = (run.actor, run.org, run.client);
        let service = required(line.get(0), "service")?.to_uppercase();
        let role = required(line.get(1), "profil")?.to_uppercase();
        let holder_cell = required(line.get(2), "titulaire")?;
        let purpose = required(line.get(3), "motif")?;
        let state = line.get(5).trim();
        if !state.is_empty() && !["active", "actif", "active (en vigueur)", "en vigueur"].contains(&column_key(state).as_str()) {
            return Err(Error::Import(ImportProblem::NotActive(state.to_string())));
        }
        let group_name = holder_cell.strip_prefix("groupe ").or_else(|| holder_cell.strip_prefix("Groupe ")).or_else(|| holder_cell.strip_prefix("group "));
        let (holder, holder_name) = match group_name {
            Some(name) => {
                let g = self.group_named(tx, org, name.trim()).await?.ok_or(Error::Import(ImportProblem::UnknownGroup(name.trim().to_string())))?;
                (Holder::Group(g.id), format!("groupe {}", g.name))
            }
            None => {
                let id = self.person_by_login(tx, org, holder_cell).await?.ok_or(Error::Import(ImportProblem::UnknownPerson(holder_cell.to_string())))?;
                let login = tx.account(id).await?.map(|a| a.login).unwrap_or_default();
                (Holder::Person(id), login)
            }
        };
        let cmd = NewGrant { holder, service_code: service.clone(), role_code: role.clone(), purpose: purpose.to_string(), ends_on: line.get(4).trim().to_string() };
        match self.grant_in(tx, actor, &cmd, client).await {
            Ok(_) => steps.push(Step::Granted { service, role, holder: holder_name }),
            Err(Error::Rule(Rule::AlreadyGranted)) => steps.push(Step::AlreadyGranted { service, role, holder: holder_name }),
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// A person of `org` by login, written whole (`prefix.jdupont`) or without the
    /// organisation's prefix (`jdupont`).
    async fn person_by_login(&self, tx: &mut S::Tx, org: OrganisationId, raw: &str) -> Result<Option<AccountId>> {
        let Ok(login) = Login::parse(raw) else { return Ok(None) };
        if let Some(a) = tx.account_by_login(login.as_str()).await?.filter(|a| a.organisation_id == org) {
            return Ok(Some(a.id));
        }
        let Some(prefix) = tx.login_prefix(org).await? else { return Ok(None) };
        Ok(tx.account_by_login(&format!("{prefix}.{}", login.as_str())).await?.filter(|a| a.organisation_id == org).map(|a| a.id))
    }

    /// The group of `org` with this name (exactly, or else the only one equal without case).
    async fn group_named(&self, tx: &mut S::Tx, org: OrganisationId, name: &str) -> Result<Option<Group>> {
        let groups = tx.groups_of(org).await?;
        if let Some(g) = groups.iter().find(|g| g.name == name) {
            return Ok(Some(g.clone()));
        }
        let folded: Vec<&Group> = groups.iter().filter(|g| g.name.to_lowercase() == name.to_lowercase()).collect();
        Ok(match folded.as_slice() {
            [one] => Some((*one).clone()),
            _ => None,
        })
    }

    /// The groups named, each of which must exist.
    async fn groups_named(&self, tx: &mut S::Tx, org: OrganisationId, names: &[String]) -> Result<Vec<Group>> {
        let mut out: Vec<Group> = Vec::new();
        for name in names {
            let g = self.group_named(tx, org, name).await?.ok_or(Error::Import(ImportProblem::UnknownGroup(name.clone())))?;
            if !out.iter().any(|x| x.id == g.id) {
                out.push(g);
            }
        }
        Ok(out)
    }
}

/// The counts of a report, for its trace.
fn summary(r: &ImportReport) -> String {
    format!(
        "{} lignes : {} faites, {} en partie, {} déjà en place, {} refusées",
        r.lines.len(),
        r.count(LineOutcome::Done),
        r.count(LineOutcome::Partly),
        r.count(LineOutcome::Unchanged),
        r.count(LineOutcome::Refused)
    )
}
