//! The yearly access review (contract Art. 2.2.2, R30–R31). The caisse opens a campaign
//! (year, due date) for all or some of its partners; each partner's administrators review
//! every grant in force (direct and through groups) and every mandate — keep or revoke,
//! with a comment, seeing who gave it and when it was last used; a revocation takes effect
//! at once (in the decision's transaction). Completing the review needs a decision on
//! everything in force and produces the proof: a plain-text report of every decision, its
//! SHA-256 digest and the portal's Ed25519 signature of it (the checkpoint key, whose public
//! half is published), sent to the caisse and kept with the review.

use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime};

use crate::app::App;
use crate::error::{Error, Result, Rule};
use crate::policy::powers::{derived_from, Powers};
use crate::reach::{caisse_admin_of, powers_of};
use crate::records::*;
use crate::shared::notify_partner_admins;
use crate::store::*;
use crate::trace::ClientInfo;
use crate::values::{ValueError, parse_date};

/// What the caisse types to open a campaign.
#[derive(Debug, Clone, Default)]
pub struct NewCampaign {
    pub year: String,
    pub due_on: String,
    /// The partners concerned; empty: all the caisse's partners.
    pub partners: Vec<OrganisationId>,
}

/// Where one partner's review stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    NotStarted,
    InProgress,
    Late,
    Done,
}

impl Progress {
    /// The stable code (API, filters).
    pub fn as_str(self) -> &'static str {
        match self {
            Progress::NotStarted => "not_started",
            Progress::InProgress => "in_progress",
            Progress::Late => "late",
            Progress::Done => "done",
        }
    }
}

/// One thing to review: a grant in force or a mandate, as the reviewer needs to judge it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReviewItem {
    pub subject: Subject,
    /// Who holds it: a person (name and login) or a group (its name and members).
    pub holder: String,
    /// For a grant: the service and role; for a mandate: what it allows.
    pub what: String,
    pub purpose: String,
    pub ends_on: Option<Date>,
    /// Who gave it, and when.
    pub given_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub given_at: OffsetDateTime,
    /// When its business service last used it (grants).
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    /// When its holder (or the last of a group's members) last signed in.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_sign_in: Option<OffsetDateTime>,
    pub decision: Option<Decision>,
    /// Whether the actor may revoke it here: not their own grant, not the administrators'
    /// rights (the caisse's alone) — what `decide` checks.
    pub may_revoke: bool,
}

/// A partner's review as its reviewers and the caisse see it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReviewSheet {
    pub review: Review,
    pub campaign: Campaign,
    pub partner: String,
    pub progress: Progress,
    pub items: Vec<ReviewItem>,
    /// Decisions taken on things no longer in force (a revoked grant stays in the proof).
    pub past: Vec<Decision>,
    pub decided: usize,
    /// Whether the actor may decide lines, complete the review and delegate parts of it.
    pub may_decide: bool,
    pub may_complete: bool,
    /// The managers lines are delegated to, and those they may be (their administrators'
    /// view only): id and "name (login)".
    pub delegates: Vec<(AccountId, String)>,
    pub candidates: Vec<(AccountId, String)>,
}

/// One partner's line in the caisse's view of a campaign.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CampaignLine {
    pub review_id: ReviewId,
    pub partner_id: OrganisationId,
    pub partner: String,
    pub progress: Progress,
    pub decisions: usize,
    #[serde(with = "time::serde::rfc3339::option")]
    pub completed_at: Option<OffsetDateTime>,
}

/// The message a proof's signature covers: a fixed prefix and the report's digest.
pub fn proof_message(digest_hex: &str) -> Vec<u8> {
    format!("habilis-review-proof-v1\n{digest_hex}").into_bytes()
}

/// The proof of `report`: its digest, signed by `key`.
pub fn sign_report(report: String, key: &crate::trace::CheckpointKey) -> Proof {
    let digest = hex::encode(Sha256::digest(report.as_bytes()));
    let (public_key, signature) = key.sign_message(&proof_message(&digest));
    Proof { report, digest, signature, public_key }
}

/// Check a proof: the digest is the report's, and the signature is `public_key_hex`'s.
pub fn verify_proof(proof: &Proof, public_key_hex: &str) -> bool {
    let digest = hex::encode(Sha256::digest(proof.report.as_bytes()));
    digest == proof.digest
        && crate::token::same_secret(&proof.public_key, public_key_hex.trim())
        && crate::trace::CheckpointVerifier::from_hex(public_key_hex).is_some_and(|k| k.check_message(&proof_message(&proof.digest), &proof.signature))
}

fn progress(review: &Review, decided: usize, due_on: Date, today: Date) -> Progress {
    if review.completed_at.is_some() {
        Progress::Done
    } else if today > due_on {
        Progress::Late
    } else if decided > 0 {
        Progress::InProgress
    } else {
        Progress::NotStarted
    }
}

impl<S: Store> App<S> {
    /// Open the yearly review campaign of `year` for the caisse's partners (all, or those
    /// listed), due on `due_on`; each partner's administrators are told by e-mail.
    pub async fn open_campaign(&self, actor: &Actor, input: &NewCampaign, client: &ClientInfo) -> Result<(Campaign, usize)> {
        let caisse = caisse_admin_of(actor)?;
        let year: i32 = input.year.trim().parse().map_err(|_| Error::invalid("year", ValueError::BadFormat))?;
        let today = self.today();
        if !(2000..=2100).contains(&year) {
            return Err(Error::invalid("year", ValueError::OutOfRange));
        }
        let due_on = parse_date(&input.due_on).map_err(|e| Error::invalid("due_on", e))?;
        if due_on < today {
            return Err(Error::invalid("due_on", ValueError::DateOrder));
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if tx.campaign_of_year(caisse, year).await?.is_some() {
            return Err(Error::Rule(Rule::CampaignExists));
        }
        let all = tx.partners_of(caisse).await?;
        let partners: Vec<Organisation> = if input.partners.is_empty() {
            all
        } else {
            let chosen: Vec<Organisation> = all.into_iter().filter(|p| input.partners.contains(&p.id)).collect();
            if chosen.len() != input.partners.len() {
                return Err(Error::NotFound);
            }
            chosen
        };
        if partners.is_empty() {
            return Err(Error::invalid("partners", ValueError::Empty));
        }
        let campaign = Campaign { id: CampaignId::new(), caisse_id: caisse, year, due_on, opened_by: actor.account.id, opened_at: now };
        tx.insert_campaign(&campaign).await?;
        let body = format!(
            "La caisse ouvre la revue annuelle des habilitations {year} (convention, art. 2.2.2).\n\n\
             Votre administrateur principal revoit chaque habilitation et chaque mandat de votre organisme \
             dans le portail (menu « Revue annuelle »), les conserve ou les retire avec un commentaire, \
             puis transmet la preuve à la caisse avant le {}.",
            crate::clock::format_date_fr(due_on)
        );
        for p in &partners {
            let review = Review {
                id: ReviewId::new(),
                campaign_id: campaign.id,
                organisation_id: p.id,
                completed_at: None,
                completed_by: None,
                proof: None,
                reminded_at: None,
                late_notice_at: None,
                escalation_level: 0,
            };
            tx.insert_review(&review).await?;
            notify_partner_admins(&mut tx, p.id, &format!("Habilis — revue annuelle des habilitations {year}"), &body, now).await?;
            let mut partner_actor = actor.clone();
            partner_actor.acting_for = Some(p.id);
            self.trace_action(&mut tx, &partner_actor, "review.open", format!("revue {year}"), Some(format!("échéance {due_on}")), client).await?;
        }
        self.trace_action(&mut tx, actor, "review.campaign.open", format!("campagne {year}"), Some(format!("{} partenaire(s), échéance {due_on}", partners.len())), client).await?;
        tx.commit().await?;
        Ok((campaign, partners.len()))
    }

    /// The caisse's campaigns, newest first.
    pub async fn campaigns(&self, actor: &Actor) -> Result<Vec<Campaign>> {
        let caisse = caisse_admin_of(actor)?;
        let mut tx = self.store.read().await?;
        Ok(tx.campaigns_of(caisse).await?)
    }

    /// Where each partner of a campaign stands.
    pub async fn campaign_lines(&self, actor: &Actor, id: CampaignId) -> Result<(Campaign, Vec<CampaignLine>)> {
        let caisse = caisse_admin_of(actor)?;
        let mut tx = self.store.read().await?;
        let campaign = tx.campaign(id).await?.filter(|c| c.caisse_id == caisse).ok_or(Error::NotFound)?;
        let today = self.today();
        // Two reads for the whole campaign, however many partners: names and counts.
        let names: std::collections::HashMap<OrganisationId, String> = tx.partners_of(caisse).await?.into_iter().map(|p| (p.id, p.name)).collect();
        let counts: std::collections::HashMap<ReviewId, usize> = tx.decision_counts(id).await?.into_iter().collect();
        let mut lines = Vec::new();
        for r in tx.reviews_of_campaign(id).await? {
            let decisions = counts.get(&r.id).copied().unwrap_or(0);
            let partner = names.get(&r.organisation_id).cloned().unwrap_or_default();
            lines.push(CampaignLine {
                review_id: r.id,
                partner_id: r.organisation_id,
                partner,
                progress: progress(&r, decisions, campaign.due_on, today),
                decisions,
                completed_at: r.completed_at,
            });
        }
        lines.sort_by(|a, b| a.partner.cmp(&b.partner));
        Ok((campaign, lines))
    }

    /// The reviews the actor takes: their organisation's (its administrators), or those
    /// delegated to them (a manager), newest first.
    pub async fn my_reviews(&self, actor: &Actor) -> Result<Vec<(Review, Campaign, Progress)>> {
        let mut tx = self.store.read().await?;
        let today = self.today();
        let (org, powers) = powers_of(&mut tx, actor, today).await?;
        let reviews = match powers {
            Powers::Full => tx.reviews_of_organisation(org).await?,
            Powers::Mandated { .. } => tx.reviews_delegated_to(actor.account.id).await?.into_iter().filter(|r| r.organisation_id == org).collect(),
        };
        let mut out = Vec::new();
        for r in reviews {
            let Some(c) = tx.campaign(r.campaign_id).await? else { continue };
            let decided = tx.decisions_of(r.id).await?.len();
            let p = progress(&r, decided, c.due_on, today);
            out.push((r, c, p));
        }
        Ok(out)
    }

    /// Delegate (or stop delegating) to a manager the lines of a review within their
    /// mandates; the manager is told by e-mail. The partner's administrators only.
    pub async fn delegate_review(&self, actor: &Actor, id: ReviewId, manager: AccountId, on: bool, client: &ClientInfo) -> Result<()> {
        let today = self.today();
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let (review, org) = review_to_change(&mut tx, actor, id, today).await?;
        let person = tx.account(manager).await?.filter(|a| a.organisation_id == org).ok_or(Error::NotFound)?;
        if on {
            let mandated = tx.mandates_of(org).await?.iter().any(|m| m.holder_id == manager && m.withdrawn_at.is_none());
            if !mandated || person.status != AccountStatus::Active {
                return Err(Error::Rule(Rule::OutsideMandate));
            }
        }
        tx.set_review_delegate(review.id, manager, on, actor.account.id, now).await?;
        if on {
            let campaign = tx.campaign(review.campaign_id).await?.ok_or(Error::NotFound)?;
            let body = format!(
                "{} vous confie la revue annuelle {} des habilitations qui relèvent de vos mandats : \
                 conservez ou retirez chacune dans le portail (menu « Revue annuelle ») avant le {}.",
                actor.account.display_name,
                campaign.year,
                crate::clock::format_date_fr(campaign.due_on)
            );
            tx.insert_outbox(&OutboxMessage::pending(Some(org), &person.email, &format!("Habilis — revue annuelle {} à faire", campaign.year), body, now)).await?;
        }
        let action = if on { "review.delegate" } else { "review.undelegate" };
        self.trace_action(&mut tx, actor, action, person.login.clone(), None, client).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A review with everything to decide: for the partner's administrators, and for the
    /// caisse's administrators (read only).
    pub async fn review_sheet(&self, actor: &Actor, id: ReviewId) -> Result<ReviewSheet> {
        let mut tx = self.store.read().await?;
        let review = tx.review(id).await?.ok_or(Error::NotFound)?;
        let part = part_in(&mut tx, actor, &review, self.today()).await?;
        sheet(&mut tx, actor, review, self.today(), &part).await
    }

    /// Keep or revoke one grant or mandate with a comment (a comment is required to revoke).
    /// A revocation takes effect at once, in the same transaction as the decision and its
    /// trace; a mandate's withdrawal takes the mandates derived from it along.
    pub async fn decide(&self, actor: &Actor, id: ReviewId, subject: Subject, verdict: Verdict, comment: &str, client: &ClientInfo) -> Result<()> {
        let comment = comment.trim();
        if comment.chars().count() > 1000 {
            return Err(Error::invalid("comment", ValueError::TooLong(1000)));
        }
        if verdict == Verdict::Revoke && comment.is_empty() {
            return Err(Error::invalid("comment", ValueError::Empty));
        }
        let today = self.today();
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let review = tx.lock_review(id).await?.ok_or(Error::NotFound)?;
        let part = part_in(&mut tx, actor, &review, today).await?;
        if matches!(part, Part::Caisse) {
            return Err(Error::Forbidden);
        }
        if review.completed_at.is_some() {
            return Err(Error::Refused(crate::Refusal::AlreadyDecided));
        }
        let org = review.organisation_id;
        let (label, action) = match subject {
            Subject::Grant(g) => {
                let grant = tx.grant(g).await?.filter(|x| x.organisation_id == org && in_force(x, today)).ok_or(Error::NotFound)?;
                // Revoking meets the rules of a revocation (the administrators' own rights are
                // the caisse's alone, Art. 2.2.1); a manager decides only the lines within
                // their mandates, even to keep them.
                let delegated = matches!(part, Part::Delegated(_));
                if verdict == Verdict::Revoke || delegated {
                    let reached = crate::shared::people_of(&mut tx, &grant).await?;
                    let powers = match crate::reach::rights_powers(&mut tx, actor, today, &reached).await {
                        Ok((_, p)) => p,
                        Err(_) if delegated => return Err(Error::NotFound),
                        Err(e) => return Err(e),
                    };
                    if !powers.may_grant(grant.service_role_id) {
                        return Err(if delegated { Error::NotFound } else { Error::Rule(Rule::OutsideMandate) });
                    }
                }
                if verdict == Verdict::Revoke {
                    if grant.holder_account_id == Some(actor.account.id) {
                        return Err(Error::Rule(Rule::SelfGrant));
                    }
                    tx.set_grant_state(g, GrantState::Revoked, Some((now, actor.account.id))).await?;
                    if grant.caisse_suspension.is_some() {
                        tx.set_caisse_suspension(g, None).await?;
                    }
                }
                (format!("habilitation {g}"), "grant")
            }
            Subject::Mandate(m) => {
                if !matches!(part, Part::Full) {
                    return Err(Error::NotFound);
                }
                let all = tx.mandates_of(org).await?;
                all.iter().find(|x| x.id == m && x.withdrawn_at.is_none()).ok_or(Error::NotFound)?;
                if verdict == Verdict::Revoke {
                    let active: Vec<(MandateId, Option<MandateId>)> = all.iter().filter(|x| x.withdrawn_at.is_none()).map(|x| (x.id, x.parent_id)).collect();
                    tx.withdraw_mandates(&derived_from(m, &active), now).await?;
                }
                (format!("mandat {m}"), "mandate")
            }
        };
        tx.save_decision(&Decision { review_id: id, subject, verdict, comment: comment.to_string(), decided_by: actor.account.id, decided_at: now }).await?;
        let what = match verdict {
            Verdict::Keep => format!("review.keep_{action}"),
            Verdict::Revoke => format!("review.revoke_{action}"),
        };
        self.trace_action(&mut tx, actor, &what, label, (!comment.is_empty()).then(|| comment.to_string()), client).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Complete the review: every grant and mandate in force has its decision. The proof
    /// (report, digest, signature) is stored with the review, the caisse's administrators
    /// are told, and the review can no longer change. Returns the proof.
    pub async fn complete_review(&self, actor: &Actor, id: ReviewId, client: &ClientInfo) -> Result<Proof> {
        let signer = self.signer.clone().ok_or_else(|| Error::Internal("no signing key for the proofs of reviews".into()))?;
        let today = self.today();
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let (review, org) = review_to_change(&mut tx, actor, id, today).await?;
        let sheet = sheet(&mut tx, actor, review, today, &Part::Full).await?;
        if sheet.items.iter().any(|i| i.decision.is_none()) {
            return Err(Error::Rule(Rule::ReviewIncomplete));
        }
        let proof = sign_report(report(&sheet, actor, now), &signer);
        if !tx.complete_review(id, now, actor.account.id, &proof).await? {
            return Err(Error::Refused(crate::Refusal::AlreadyDecided));
        }
        let caisse = tx.organisation(org).await?.and_then(|o| o.parent_id).ok_or(Error::NotFound)?;
        let body = format!(
            "{} a terminé sa revue annuelle des habilitations {} : {} décision(s).\n\
             Empreinte SHA-256 du rapport : {}\nLa preuve signée se lit dans le portail (Revue annuelle).",
            sheet.partner, sheet.campaign.year, sheet.decided, proof.digest
        );
        for to in crate::shared::notification_addresses(&mut tx, caisse, &[Role::CaisseAdmin], &[]).await? {
            tx.insert_outbox(&OutboxMessage::pending(Some(org), &to, &format!("Habilis — revue {} terminée : {}", sheet.campaign.year, sheet.partner), body.clone(), now)).await?;
        }
        self.trace_action(&mut tx, actor, "review.complete", format!("revue {}", sheet.campaign.year), Some(format!("empreinte {}", proof.digest)), client).await?;
        tx.commit().await?;
        Ok(proof)
    }

    /// Remind the partners whose review is due within a week, and report the reviews past
    /// their due date to the partner's and the caisse's administrators; each once (run every
    /// minute by `serve`). Returns (reminders, late notices) sent now.
    pub async fn review_notices(&self) -> Result<(usize, usize)> {
        let today = self.today();
        let now = self.now();
        // A late review escalates like an unanswered incident (Art. 3.3): level L once the
        // L × `answer_business_days`-th business day after its due date has passed, at most 3.
        let level_of = |c: &Campaign| {
            let n = self.desk.answer_business_days.max(1);
            (1..=3).take_while(|l| crate::calendar::add_business_days(c.due_on, n * l, self.desk.calendar).is_some_and(|d| today > d)).count() as i32
        };
        // Read first: most minutes nothing is due, and no write transaction is opened.
        let due: Vec<(Review, Campaign)> = {
            let mut tx = self.store.read().await?;
            tx.open_reviews().await?
                .into_iter()
                .filter(|(r, c)| {
                    if today > c.due_on {
                        r.late_notice_at.is_none() || level_of(c) > r.escalation_level
                    } else {
                        r.reminded_at.is_none() && c.due_on - time::Duration::days(7) <= today
                    }
                })
                .collect()
        };
        if due.is_empty() {
            return Ok((0, 0));
        }
        let mut tx = self.store.begin().await?;
        // Outbox messages and the reviews' notice dates: nobody signed in is affected.
        tx.quiet();
        let (mut reminded, mut late) = (0, 0);
        for (r, c) in due {
            let Some(partner) = tx.organisation(r.organisation_id).await? else { continue };
            let due = crate::clock::format_date_fr(c.due_on);
            if today > c.due_on {
                if tx.mark_review_notice(r.id, ReviewNotice::Late, now).await? {
                    let body = format!(
                        "La revue annuelle des habilitations {} de {} devait être transmise le {due} et ne l'est pas. \
                         Terminez-la dans le portail (menu « Revue annuelle ») : la caisse en est informée.",
                        c.year, partner.name
                    );
                    let subject = format!("Habilis — revue annuelle {} en retard : {}", c.year, partner.name);
                    notify_partner_admins(&mut tx, partner.id, &subject, &body, now).await?;
                    for to in crate::shared::notification_addresses(&mut tx, c.caisse_id, &[Role::CaisseAdmin], &[]).await? {
                        tx.insert_outbox(&OutboxMessage::pending(Some(partner.id), &to, &subject, body.clone(), now)).await?;
                    }
                    late += 1;
                }
                // One level at a time (a review found far behind climbs a level a minute).
                let level = level_of(&c).min(r.escalation_level + 1);
                if level > r.escalation_level && tx.mark_review_escalation(r.id, level).await? {
                    self.escalate_late_review(&mut tx, &r, &c, &partner, level).await?;
                }
            } else if c.due_on - time::Duration::days(7) <= today && tx.mark_review_notice(r.id, ReviewNotice::Reminder, now).await? {
                let body = format!(
                    "Rappel : la revue annuelle des habilitations {} de {} est à transmettre à la caisse avant le {due} \
                     (menu « Revue annuelle » du portail).",
                    c.year, partner.name
                );
                notify_partner_admins(&mut tx, partner.id, &format!("Habilis — rappel : revue annuelle {} avant le {due}", c.year), &body, now).await?;
                reminded += 1;
            }
        }
        tx.commit().await?;
        Ok((reminded, late))
    }

    /// Tell the partner's escalation contact of `level` (its administrators when none is
    /// named) and the caisse's administrators that a review is still not sent, and trace it.
    async fn escalate_late_review<T: Transaction>(&self, tx: &mut T, r: &Review, c: &Campaign, partner: &Organisation, level: i32) -> Result<()> {
        let now = self.now();
        let mut to = crate::shared::escalation_addresses(tx, partner.id, level, &[Role::PartnerAdmin, Role::PartnerDeputy]).await?;
        for a in crate::shared::notification_addresses(tx, c.caisse_id, &[Role::CaisseAdmin], &[]).await? {
            if !to.iter().any(|t| t.eq_ignore_ascii_case(&a)) {
                to.push(a);
            }
        }
        let days = level as u32 * self.desk.answer_business_days;
        let body = format!(
            "Procédure d'escalade (convention, articles 2.2.2 et 3.3), niveau {level} : la revue annuelle des habilitations {} de {} \
             devait être transmise le {} ; elle ne l'est toujours pas après {days} jours ouvrés.\n",
            c.year,
            partner.name,
            crate::clock::format_date_fr(c.due_on)
        );
        let subject = format!("Habilis — escalade : revue annuelle {} de {} (niveau {level})", c.year, partner.name);
        for address in to {
            tx.insert_outbox(&OutboxMessage::pending(Some(partner.id), &address, &subject, body.clone(), now)).await?;
        }
        let mut e = crate::trace::TraceEntry::new(now, "review.escalate", crate::trace::Outcome::Success, &ClientInfo::default());
        e.organisation_id = Some(partner.id);
        e.target = Some(r.id.to_string());
        e.detail = Some(format!("niveau {level}, {days} jours ouvrés de retard"));
        tx.append_trace(&e).await?;
        Ok(())
    }

    /// The proof of a completed review (its partner's administrators and the caisse).
    pub async fn review_proof(&self, actor: &Actor, id: ReviewId) -> Result<Proof> {
        let mut tx = self.store.read().await?;
        let review = tx.review(id).await?.ok_or(Error::NotFound)?;
        part_in(&mut tx, actor, &review, self.today()).await?;
        review.proof.ok_or(Error::NotFound)
    }
}

/// Whether a grant is still in force (not revoked, not past its end).
fn in_force(g: &Grant, today: Date) -> bool {
    g.state != GrantState::Revoked && g.ends_on.is_none_or(|d| d >= today)
}

/// The organisation whose reviews the actor takes: its administrators' (full powers).
async fn reviewer_org<T: Transaction>(tx: &mut T, actor: &Actor, today: Date) -> Result<OrganisationId> {
    let (org, powers) = powers_of(tx, actor, today).await?;
    if powers != Powers::Full {
        return Err(Error::Forbidden);
    }
    Ok(org)
}

/// A review the actor's organisation is taking, locked, still open; with that organisation.
async fn review_to_change<T: Transaction>(tx: &mut T, actor: &Actor, id: ReviewId, today: Date) -> Result<(Review, OrganisationId)> {
    let review = tx.lock_review(id).await?.ok_or(Error::NotFound)?;
    let org = reviewer_org(tx, actor, today).await?;
    if review.organisation_id != org {
        return Err(Error::NotFound);
    }
    if review.completed_at.is_some() {
        return Err(Error::Refused(crate::Refusal::AlreadyDecided));
    }
    Ok((review, org))
}

/// How the actor takes part in a review.
enum Part {
    /// The partner's administrators (or the caisse acting for a caisse-managed partner).
    Full,
    /// A manager it was delegated to: the grants within their mandates.
    Delegated(Powers),
    /// An administrator of the partner's caisse: reads.
    Caisse,
}

/// The actor's part in `review`; a review out of their reach is "not found".
async fn part_in<T: Transaction>(tx: &mut T, actor: &Actor, review: &Review, today: Date) -> Result<Part> {
    if actor.acting_for.is_none()
        && let Ok(caisse) = caisse_admin_of(actor)
    {
        let partner = tx.organisation(review.organisation_id).await?;
        return if partner.is_some_and(|p| p.parent_id == Some(caisse)) { Ok(Part::Caisse) } else { Err(Error::NotFound) };
    }
    let (org, powers) = powers_of(tx, actor, today).await?;
    if org != review.organisation_id {
        return Err(Error::NotFound);
    }
    match powers {
        Powers::Full => Ok(Part::Full),
        p @ Powers::Mandated { .. } if tx.review_delegates(review.id).await?.contains(&actor.account.id) => Ok(Part::Delegated(p)),
        Powers::Mandated { .. } => Err(Error::Forbidden),
    }
}

async fn sheet<T: Transaction>(tx: &mut T, actor: &Actor, review: Review, today: Date, part: &Part) -> Result<ReviewSheet> {
    let campaign = tx.campaign(review.campaign_id).await?.ok_or(Error::NotFound)?;
    let partner = tx.organisation(review.organisation_id).await?.ok_or(Error::NotFound)?;
    let org = partner.id;
    let people: std::collections::HashMap<AccountId, Account> = tx.accounts_of(org).await?.into_iter().map(|a| (a.id, a)).collect();
    let name = |id: &AccountId| people.get(id).map(|a| format!("{} ({})", a.display_name, a.login)).unwrap_or_else(|| id.to_string());
    let groups: std::collections::HashMap<GroupId, Group> = tx.groups_of(org).await?.into_iter().map(|g| (g.id, g)).collect();
    let administrator = |id: &AccountId| people.get(id).is_some_and(|a| a.roles.iter().any(|r| matches!(r, Role::PartnerAdmin | Role::PartnerDeputy)));
    let mut decisions: std::collections::HashMap<Subject, Decision> = tx.decisions_of(review.id).await?.into_iter().map(|d| (d.subject, d)).collect();
    let mut roles = std::collections::HashMap::new();
    for s in tx.services().await? {
        for r in tx.service_roles(s.id).await? {
            roles.insert(r.id, format!("{} {}", s.code, r.code));
        }
    }
    let mut items = Vec::new();
    // When the review is completed, what it decided is what counts: nothing new is added.
    let frozen = review.completed_at;
    for g in tx.grants_of(org).await? {
        let decision = decisions.remove(&Subject::Grant(g.id));
        if frozen.is_some() && decision.is_none() || frozen.is_none() && !in_force(&g, today) {
            if let Some(d) = decision {
                decisions.insert(d.subject, d);
            }
            continue;
        }
        let members = match g.holder_group_id {
            Some(gr) => tx.members(gr).await?,
            None => Vec::new(),
        };
        // A manager sees the lines within their mandates: roles they may grant, people
        // who are not the partner's administrators.
        let reaches_administrator = g.holder_account_id.iter().chain(members.iter()).any(administrator);
        if let Part::Delegated(powers) = part
            && (!powers.may_grant(g.service_role_id) || reaches_administrator)
        {
            if let Some(d) = decision {
                decisions.insert(d.subject, d);
            }
            continue;
        }
        let (holder, last_sign_in) = match (g.holder_account_id, g.holder_group_id) {
            (Some(a), _) => (name(&a), people.get(&a).and_then(|p| p.last_login_at)),
            (None, Some(gr)) => {
                let last = members.iter().filter_map(|m| people.get(m).and_then(|p| p.last_login_at)).max();
                let group = groups.get(&gr).map(|x| x.name.clone()).unwrap_or_else(|| gr.to_string());
                (format!("groupe « {group} » ({} membre(s))", members.len()), last)
            }
            (None, None) => (String::new(), None),
        };
        let may_revoke = !matches!(part, Part::Caisse)
            && g.holder_account_id != Some(actor.account.id)
            && (!reaches_administrator || actor.acting_for.is_some());
        items.push(ReviewItem {
            subject: Subject::Grant(g.id),
            holder,
            what: roles.get(&g.service_role_id).cloned().unwrap_or_default(),
            purpose: g.purpose.clone(),
            ends_on: g.ends_on,
            given_by: name(&g.created_by),
            given_at: g.created_at,
            last_used_at: g.last_used_at,
            last_sign_in,
            decision,
            may_revoke,
        });
    }
    let mandates = if matches!(part, Part::Delegated(_)) { Vec::new() } else { tx.mandates_of(org).await? };
    for m in mandates {
        let decision = decisions.remove(&Subject::Mandate(m.id));
        if frozen.is_some() && decision.is_none() || frozen.is_none() && m.withdrawn_at.is_some() {
            if let Some(d) = decision {
                decisions.insert(d.subject, d);
            }
            continue;
        }
        let mut scope: Vec<String> = m.scope.iter().filter_map(|r| roles.get(r).cloned()).collect();
        scope.sort();
        let mut what = format!("mandat : {}", if scope.is_empty() { "aucun profil".into() } else { scope.join(", ") });
        for (on, label) in [(m.may_manage_users, "utilisateurs"), (m.may_manage_groups, "groupes"), (m.may_delegate, "délégation")] {
            if on {
                what.push_str(&format!(", {label}"));
            }
        }
        items.push(ReviewItem {
            subject: Subject::Mandate(m.id),
            holder: name(&m.holder_id),
            what,
            purpose: String::new(),
            ends_on: None,
            given_by: name(&m.given_by),
            given_at: m.created_at,
            last_used_at: None,
            last_sign_in: people.get(&m.holder_id).and_then(|p| p.last_login_at),
            decision,
            may_revoke: matches!(part, Part::Full),
        });
    }
    let mut past: Vec<Decision> = if matches!(part, Part::Delegated(_)) { Vec::new() } else { decisions.into_values().collect() };
    past.sort_by_key(|d| d.decided_at);
    let decided = items.iter().filter(|i| i.decision.is_some()).count() + past.len();
    let progress = progress(&review, decided, campaign.due_on, today);
    let open = review.completed_at.is_none();
    let (mut delegates, mut candidates) = (Vec::new(), Vec::new());
    if matches!(part, Part::Full) {
        let chosen = tx.review_delegates(review.id).await?;
        delegates = chosen.iter().map(|a| (*a, name(a))).collect();
        let mut holders: Vec<AccountId> = tx.mandates_of(org).await?.iter().filter(|m| m.withdrawn_at.is_none()).map(|m| m.holder_id).collect();
        holders.sort_by_key(|a| name(a));
        holders.dedup();
        candidates = holders.into_iter().filter(|a| !chosen.contains(a)).map(|a| (a, name(&a))).collect();
    }
    Ok(ReviewSheet {
        review,
        campaign,
        partner: partner.name,
        progress,
        items,
        past,
        decided,
        may_decide: open && !matches!(part, Part::Caisse),
        may_complete: open && matches!(part, Part::Full),
        delegates,
        candidates,
    })
}

/// The proof's report: plain text, one block per decision, stable order.
fn report(sheet: &ReviewSheet, actor: &Actor, at: OffsetDateTime) -> String {
    let mut out = format!(
        "REVUE ANNUELLE DES HABILITATIONS {}\nPartenaire : {}\nCampagne ouverte le {}, échéance {}\nTerminée le {} par {} ({})\n",
        sheet.campaign.year,
        sheet.partner,
        sheet.campaign.opened_at.date(),
        sheet.campaign.due_on,
        crate::clock::to_paris(at).date(),
        actor.account.display_name,
        actor.account.login,
    );
    let mut lines: Vec<(String, String)> = Vec::new();
    for i in &sheet.items {
        let Some(d) = &i.decision else { continue };
        let verdict = match d.verdict {
            Verdict::Keep => "CONSERVÉ",
            Verdict::Revoke => "RETIRÉ",
        };
        let kind = match i.subject {
            Subject::Grant(_) => "Habilitation",
            Subject::Mandate(_) => "Mandat",
        };
        let block = format!(
            "{kind} {} — {} — {}\n  Titulaire : {}\n  Objet : {}\n  Fin : {}\n  Donnée par : {} le {}\n  Dernière utilisation : {}\n  Décision : {verdict} le {} — {}\n",
            i.subject.uuid(),
            i.what,
            i.holder,
            i.holder,
            if i.purpose.is_empty() { "—" } else { &i.purpose },
            i.ends_on.map(|d| d.to_string()).unwrap_or_else(|| "sans fin".into()),
            i.given_by,
            i.given_at.date(),
            i.last_used_at.map(|d| d.date().to_string()).unwrap_or_else(|| "jamais".into()),
            d.decided_at.date(),
            if d.comment.is_empty() { "sans commentaire" } else { &d.comment },
        );
        lines.push((format!("{}{}", i.subject.kind(), i.subject.uuid()), block));
    }
    for d in &sheet.past {
        let verdict = match d.verdict {
            Verdict::Keep => "CONSERVÉ",
            Verdict::Revoke => "RETIRÉ",
        };
        lines.push((
            format!("{}{}", d.subject.kind(), d.subject.uuid()),
            format!("{} {} (plus en vigueur)\n  Décision : {verdict} le {} — {}\n", d.subject.kind(), d.subject.uuid(), d.decided_at.date(), d.comment),
        ));
    }
    lines.sort();
    out.push_str(&format!("Décisions : {}\n\n", lines.len()));
    for (_, b) in lines {
        out.push_str(&b);
        out.push('\n');
    }
    out
}
