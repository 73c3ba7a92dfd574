//! The yearly access review on both backends (Art. 2.2.2, R30–R31): a campaign opened by
//! the caisse, decisions that take effect at once, the signed proof, lateness across the
//! year boundary on the simulated clock, and completion racing itself.

use std::sync::Arc;

use habilis_core::commands::{Holder, NewGrant};
use habilis_core::records::*;
use habilis_core::services::reviews::{NewCampaign, Progress, verify_proof};
use habilis_core::store::*;
use habilis_core::{Error, Rule};
use habilis_store::testing::backends;
use time::Duration;

use super::caisse::actor;
use super::{Env, PASSWORD, client, env, verify};

/// The demo with Karim holding CDAP T1 and T2, given by Claire, the Mairie's administrator.
struct Scene {
    e: Env,
    caf: Actor,
    claire: Actor,
    manager: Actor,
    t1: Grant,
    t2: Grant,
    karim: AccountId,
}

async fn scene(b: habilis_store::Backend) -> Scene {
    let e = env(b).await;
    e.app.load_demo(PASSWORD).await.unwrap();
    let caf = actor(&e, "caf.admin").await;
    let claire = actor(&e, "mons.admin").await;
    let manager = actor(&e, "mons.manager").await;
    let karim = actor(&e, "mons.agent").await.account.id;
    let grant = |role: &str| NewGrant { holder: Holder::Person(karim), service_code: "CDAP".into(), role_code: role.into(), purpose: "Accueil".into(), ends_on: "".into() };
    let t1 = e.app.grant(&claire, &grant("T1"), &client()).await.unwrap();
    let t2 = e.app.grant(&claire, &grant("T2"), &client()).await.unwrap();
    Scene { e, caf, claire, manager, t1, t2, karim }
}

#[tokio::test]
async fn a_yearly_review_runs_from_the_campaign_to_a_signed_proof_and_a_late_one_shows() {
    for b in backends() {
        let Scene { e, caf, claire, manager, t1, t2, karim: _ } = scene(b).await;

        // The caisse opens the 2026 campaign (clock: 2026-11-27), due 2027-01-15.
        let input = NewCampaign { year: "2026".into(), due_on: "2027-01-15".into(), partners: vec![] };
        assert!(matches!(e.app.open_campaign(&claire, &input, &client()).await, Err(Error::Forbidden)), "{b:?}: only the caisse");
        let bad = NewCampaign { due_on: "2026-01-15".into(), ..input.clone() };
        assert!(matches!(e.app.open_campaign(&caf, &bad, &client()).await, Err(Error::Invalid { field: "due_on", .. })), "{b:?}");
        let (campaign, n) = e.app.open_campaign(&caf, &input, &client()).await.unwrap();
        assert_eq!(n, 1, "{b:?}: the demo's one partner");
        assert!(matches!(e.app.open_campaign(&caf, &input, &client()).await, Err(Error::Rule(Rule::CampaignExists))), "{b:?}");
        let mut tx = e.app.store.read().await.unwrap();
        assert!(tx.outbox_all(20).await.unwrap().iter().any(|m| m.subject.contains("revue annuelle des habilitations 2026")), "{b:?}: administrators told");
        drop(tx);

        // The partner's administrator sees every grant and the manager's mandate.
        let mine = e.app.my_reviews(&claire).await.unwrap();
        assert_eq!(mine.len(), 1);
        let (review, _, progress) = &mine[0];
        assert_eq!(*progress, Progress::NotStarted);
        let sheet = e.app.review_sheet(&claire, review.id).await.unwrap();
        let subjects: Vec<Subject> = sheet.items.iter().map(|i| i.subject).collect();
        assert!(subjects.contains(&Subject::Grant(t1.id)) && subjects.contains(&Subject::Grant(t2.id)), "{b:?}");
        let mandate = subjects.iter().find_map(|s| if let Subject::Mandate(m) = s { Some(*m) } else { None }).expect("the demo's mandate");
        let item = sheet.items.iter().find(|i| i.subject == Subject::Grant(t1.id)).unwrap();
        assert!(item.holder.contains("mons.agent") && item.what == "CDAP T1" && item.given_by.contains("mons.admin"), "{b:?}: {item:?}");
        // The caisse reads it; a delegated manager neither reads nor decides.
        e.app.review_sheet(&caf, review.id).await.unwrap();
        assert!(e.app.review_sheet(&manager, review.id).await.is_err(), "{b:?}");
        assert!(e.app.decide(&manager, review.id, Subject::Grant(t1.id), Verdict::Keep, "", &client()).await.is_err(), "{b:?}");
        assert!(e.app.decide(&caf, review.id, Subject::Grant(t1.id), Verdict::Keep, "", &client()).await.is_err(), "{b:?}");

        // Not complete before every decision; revoking needs a comment.
        assert!(matches!(e.app.complete_review(&claire, review.id, &client()).await, Err(Error::Rule(Rule::ReviewIncomplete))), "{b:?}");
        assert!(matches!(e.app.decide(&claire, review.id, Subject::Grant(t2.id), Verdict::Revoke, " ", &client()).await, Err(Error::Invalid { field: "comment", .. })), "{b:?}");
        e.app.decide(&claire, review.id, Subject::Grant(t1.id), Verdict::Keep, "Accueil du public", &client()).await.unwrap();
        e.app.decide(&claire, review.id, Subject::Grant(t2.id), Verdict::Revoke, "Plus au service social", &client()).await.unwrap();
        // The revocation took effect at once.
        let mut tx = e.app.store.read().await.unwrap();
        assert_eq!(tx.grant(t2.id).await.unwrap().unwrap().state, GrantState::Revoked, "{b:?}");
        drop(tx);
        let rest: Vec<Subject> = e.app.review_sheet(&claire, review.id).await.unwrap().items.iter().filter(|i| i.decision.is_none()).map(|i| i.subject).collect();
        for s in rest {
            e.app.decide(&claire, review.id, s, Verdict::Keep, "", &client()).await.unwrap();
        }
        assert_eq!(e.app.review_sheet(&claire, review.id).await.unwrap().progress, Progress::InProgress, "{b:?}");

        // Two completions at once: one proof.
        let (a1, a2) = (e.app.clone(), e.app.clone());
        let (c1, c2) = (Arc::new(claire.clone()), Arc::new(claire.clone()));
        let id = review.id;
        let (r1, r2) = tokio::join!(
            tokio::spawn(async move { a1.complete_review(&c1, id, &client()).await }),
            tokio::spawn(async move { a2.complete_review(&c2, id, &client()).await })
        );
        let (r1, r2) = (r1.unwrap(), r2.unwrap());
        assert!(r1.is_ok() != r2.is_ok(), "{b:?}: exactly one completes ({r1:?}, {r2:?})");
        let proof = r1.or(r2).unwrap();
        let public = e.app.signer.as_ref().unwrap().public_hex();
        assert!(verify_proof(&proof, &public), "{b:?}: the proof verifies with the portal's public key");
        assert!(proof.report.contains("Plus au service social") && proof.report.contains("RETIRÉ") && proof.report.contains("CONSERVÉ"), "{b:?}");
        let mut forged = proof.clone();
        forged.report = forged.report.replace("RETIRÉ", "CONSERVÉ");
        assert!(!verify_proof(&forged, &public), "{b:?}: an edited report fails");
        assert!(!verify_proof(&proof, &habilis_core::trace::CheckpointKey::generate().public_hex()), "{b:?}: another key fails");
        assert_eq!(e.app.review_proof(&caf, review.id).await.unwrap(), proof, "{b:?}: the caisse reads the proof");
        assert!(matches!(
            e.app.decide(&claire, review.id, Subject::Grant(t1.id), Verdict::Revoke, "trop tard", &client()).await,
            Err(Error::Refused(habilis_core::Refusal::AlreadyDecided))
        ), "{b:?}: a completed review no longer changes");
        let (_, lines) = e.app.campaign_lines(&caf, campaign.id).await.unwrap();
        assert_eq!(lines[0].progress, Progress::Done, "{b:?}");
        let mut tx = e.app.store.read().await.unwrap();
        assert!(tx.outbox_all(30).await.unwrap().iter().any(|m| m.subject.contains("revue 2026 terminée")), "{b:?}: the caisse is told");
        drop(tx);

        // Across the year boundary: the 2027 campaign, due 2027-01-10, is late on the 11th;
        // the revoked grant is no longer there to review.
        e.clock.advance(Duration::days(37));
        let (c2027, _) = e.app.open_campaign(&caf, &NewCampaign { year: "2027".into(), due_on: "2027-01-10".into(), partners: vec![claire.organisation.id] }, &client()).await.unwrap();
        let (_, lines) = e.app.campaign_lines(&caf, c2027.id).await.unwrap();
        assert_eq!(lines[0].progress, Progress::NotStarted, "{b:?}");
        e.clock.advance(Duration::days(8));
        let (_, lines) = e.app.campaign_lines(&caf, c2027.id).await.unwrap();
        assert_eq!(lines[0].progress, Progress::Late, "{b:?}: past its due date");
        let sheet = e.app.review_sheet(&claire, lines[0].review_id).await.unwrap();
        assert!(sheet.items.iter().all(|i| i.subject != Subject::Grant(t2.id)) && sheet.items.iter().any(|i| i.subject == Subject::Grant(t1.id)), "{b:?}");
        assert!(sheet.items.iter().any(|i| i.subject == Subject::Mandate(mandate)), "{b:?}");
        assert!(verify(&e).await.finding.is_none(), "{b:?}");
        let mut tx = e.app.store.read().await.unwrap();
        let traces = tx.recent_traces(Some(claire.organisation.id), 50).await.unwrap();
        assert!(traces.iter().any(|t| t.entry.action == "review.complete"), "{b:?}");
        assert!(traces.iter().any(|t| t.entry.action == "review.revoke_grant" && t.entry.detail.as_deref() == Some("Plus au service social")), "{b:?}");
    }
}

/// Reminders a week before the due date and a late notice once past it, each sent once,
/// none once the review is done (simulated clock, across the year boundary).
#[tokio::test]
async fn reviews_are_reminded_before_their_due_date_and_reported_late_once() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let caf = actor(&e, "caf.admin").await;
        let mails = |subject: &'static str| {
            let store = e.app.store.clone();
            async move {
                let mut tx = store.read().await.unwrap();
                tx.outbox_all(200).await.unwrap().iter().filter(|m| m.subject.contains(subject)).count()
            }
        };
        e.app.open_campaign(&caf, &NewCampaign { year: "2026".into(), due_on: "2027-01-15".into(), partners: vec![] }, &client()).await.unwrap();
        assert_eq!(e.app.review_notices().await.unwrap(), (0, 0), "{b:?}: nothing yet on 2026-11-27");
        e.clock.advance(Duration::days(43)); // 2027-01-09
        assert_eq!(e.app.review_notices().await.unwrap(), (1, 0), "{b:?}: a week before");
        assert_eq!(e.app.review_notices().await.unwrap(), (0, 0), "{b:?}: once");
        assert!(mails("rappel : revue annuelle 2026").await >= 1, "{b:?}");
        e.clock.advance(Duration::days(6)); // 2027-01-15: due today, not late
        assert_eq!(e.app.review_notices().await.unwrap(), (0, 0), "{b:?}");
        e.clock.advance(Duration::days(1)); // 2027-01-16
        assert_eq!(e.app.review_notices().await.unwrap(), (0, 1), "{b:?}: late");
        assert_eq!(e.app.review_notices().await.unwrap(), (0, 0), "{b:?}: once");
        let late = mails("revue annuelle 2026 en retard").await;
        assert!(late >= 2, "{b:?}: the partner's and the caisse's administrators ({late})");
        // A campaign whose review is done gets nothing.
        let claire = actor(&e, "mons.admin").await;
        let (c27, _) = e.app.open_campaign(&caf, &NewCampaign { year: "2027".into(), due_on: "2027-01-20".into(), partners: vec![] }, &client()).await.unwrap();
        let (_, lines) = e.app.campaign_lines(&caf, c27.id).await.unwrap();
        let sheet = e.app.review_sheet(&claire, lines[0].review_id).await.unwrap();
        for i in &sheet.items {
            e.app.decide(&claire, lines[0].review_id, i.subject, Verdict::Keep, "", &client()).await.unwrap();
        }
        e.app.complete_review(&claire, lines[0].review_id, &client()).await.unwrap();
        e.clock.advance(Duration::days(10));
        assert_eq!(e.app.review_notices().await.unwrap(), (0, 0), "{b:?}: a completed review is left alone");

        // The 2026 review, still not sent, escalates like an unanswered incident: once the
        // 10th business day after its due date (15 January 2027: the 29th) has passed, once;
        // 10 more, again.
        let escalations = || mails("escalade : revue annuelle 2026");
        assert_eq!(escalations().await, 0, "{b:?}: 26 January, 7 business days late");
        e.clock.advance(Duration::days(3)); // 2027-01-29: the 10th business day itself
        e.app.review_notices().await.unwrap();
        assert_eq!(escalations().await, 0, "{b:?}: not before it has passed");
        e.clock.advance(Duration::days(1)); // 2027-01-30
        e.app.review_notices().await.unwrap();
        e.app.review_notices().await.unwrap();
        let first = escalations().await;
        assert!(first >= 2, "{b:?}: the partner's administrators (no escalation contact named) and the caisse's ({first})");
        let mut tx = e.app.store.read().await.unwrap();
        let r = tx.reviews_of_organisation(claire.organisation.id).await.unwrap().into_iter().find(|r| r.completed_at.is_none()).unwrap();
        assert_eq!(r.escalation_level, 1, "{b:?}");
        drop(tx);
        e.clock.advance(Duration::days(14)); // 2027-02-13
        e.app.review_notices().await.unwrap();
        assert_eq!(escalations().await, first * 2, "{b:?}: level 2, to the same people");
        let traced = e.app.store.trace_search(&habilis_core::trace::TraceQuery { chains: vec![claire.organisation.id.0], action: Some("review.escalate".into()), limit: 10, ..Default::default() }).await.unwrap();
        assert_eq!(traced.len(), 2, "{b:?}");
    }
}

/// The administrator delegates the lines within a manager's mandates: the manager sees and
/// decides those only (CDAP T1 here, not T2 nor the mandates), cannot send the proof, and
/// loses the review when the delegation is withdrawn.
#[tokio::test]
async fn a_manager_reviews_only_the_lines_within_their_mandates() {
    for b in backends() {
        let Scene { e, caf, claire, manager, t1, t2, karim } = scene(b).await;
        // The deputy's right, given by the caisse (the administrators' rights are its alone).
        let hugo = actor(&e, "mons.deputy").await.account.id;
        let for_mons = caf.clone().acting_for(claire.organisation.id);
        let deputy_t1 = NewGrant { holder: Holder::Person(hugo), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil".into(), ends_on: "".into() };
        let hugo_t1 = e.app.grant(&for_mons, &deputy_t1, &client()).await.unwrap();
        let (campaign, _) = e.app.open_campaign(&caf, &NewCampaign { year: "2026".into(), due_on: "2027-01-15".into(), partners: vec![] }, &client()).await.unwrap();
        let (_, lines) = e.app.campaign_lines(&caf, campaign.id).await.unwrap();
        let id = lines[0].review_id;
        // The administrator reviews the deputy's right but may only keep it: no revoke
        // offered, and one posted anyway is refused with the rule, the grant untouched.
        let line = e.app.review_sheet(&claire, id).await.unwrap().items.into_iter().find(|i| i.subject == Subject::Grant(hugo_t1.id)).unwrap();
        assert!(!line.may_revoke, "{b:?}");
        assert!(matches!(
            e.app.decide(&claire, id, Subject::Grant(hugo_t1.id), Verdict::Revoke, "plus besoin", &client()).await,
            Err(Error::Rule(Rule::AdministratorsRightsByCaisse))
        ), "{b:?}");
        let mut tx = e.app.store.read().await.unwrap();
        assert_ne!(tx.grant(hugo_t1.id).await.unwrap().unwrap().state, GrantState::Revoked, "{b:?}");
        drop(tx);
        // Not delegated yet: the manager neither lists nor reads it.
        assert!(e.app.my_reviews(&manager).await.unwrap().is_empty(), "{b:?}");
        assert!(matches!(e.app.review_sheet(&manager, id).await, Err(Error::Forbidden)), "{b:?}");
        // Only to a manager holding a mandate.
        assert!(matches!(e.app.delegate_review(&claire, id, karim, true, &client()).await, Err(Error::Rule(Rule::OutsideMandate))), "{b:?}");
        assert!(e.app.delegate_review(&manager, id, manager.account.id, true, &client()).await.is_err(), "{b:?}: not by the manager");
        e.app.delegate_review(&claire, id, manager.account.id, true, &client()).await.unwrap();
        let admin_view = e.app.review_sheet(&claire, id).await.unwrap();
        assert_eq!(admin_view.delegates.len(), 1, "{b:?}");
        assert_eq!(e.app.my_reviews(&manager).await.unwrap().len(), 1, "{b:?}");
        let sheet = e.app.review_sheet(&manager, id).await.unwrap();
        let subjects: Vec<Subject> = sheet.items.iter().map(|i| i.subject).collect();
        assert_eq!(subjects, vec![Subject::Grant(t1.id)], "{b:?}: T1 only");
        assert!(sheet.may_decide && !sheet.may_complete, "{b:?}");
        e.app.decide(&manager, id, Subject::Grant(t1.id), Verdict::Keep, "Vu avec le service", &client()).await.unwrap();
        assert!(matches!(e.app.decide(&manager, id, Subject::Grant(t2.id), Verdict::Revoke, "non", &client()).await, Err(Error::NotFound)), "{b:?}: T2 is outside the mandate");
        let mandate = admin_view.items.iter().find_map(|i| if let Subject::Mandate(m) = i.subject { Some(m) } else { None }).unwrap();
        assert!(matches!(e.app.decide(&manager, id, Subject::Mandate(mandate), Verdict::Revoke, "non", &client()).await, Err(Error::NotFound)), "{b:?}");
        assert!(e.app.complete_review(&manager, id, &client()).await.is_err(), "{b:?}: only the administrator sends the proof");
        // The administrator sees the manager's decision and finishes.
        let admin_view = e.app.review_sheet(&claire, id).await.unwrap();
        let line = admin_view.items.iter().find(|i| i.subject == Subject::Grant(t1.id)).unwrap();
        assert_eq!(line.decision.as_ref().map(|d| d.decided_by), Some(manager.account.id), "{b:?}");
        e.app.delegate_review(&claire, id, manager.account.id, false, &client()).await.unwrap();
        assert!(matches!(e.app.review_sheet(&manager, id).await, Err(Error::Forbidden)), "{b:?}: delegation withdrawn");
        for i in admin_view.items.iter().filter(|i| i.decision.is_none()) {
            e.app.decide(&claire, id, i.subject, Verdict::Keep, "", &client()).await.unwrap();
        }
        let proof = e.app.complete_review(&claire, id, &client()).await.unwrap();
        assert!(proof.report.contains("Vu avec le service"), "{b:?}");
    }
}
