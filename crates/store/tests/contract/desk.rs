//! The service desk on both backends (Art. 3, 4; R40–R42): an incident's life from the
//! partner's manager to its closing, escalation after 10 business days (weekends and
//! Christmas counted out on the simulated clock) and at once when urgent, two instances
//! escalating once, and a planned outage that the check API honours during its window.

use habilis_core::Error;
use habilis_core::commands::{Holder, NewGrant};
use habilis_core::records::*;
use habilis_core::services::check::{CheckAnswer, ClientInput};
use habilis_core::services::desk::{NewIncident, NewOutage};
use habilis_core::store::*;
use habilis_core::trace::TraceQuery;
use habilis_core::view::Denial;
use habilis_store::testing::backends;
use time::macros::{date, datetime};

use super::caisse::actor;
use super::{PASSWORD, client, env, second_instance, verify};

async fn mails_to(app: &habilis_core::app::App<habilis_store::Db>, prefix: &str, subject: &str) -> usize {
    let mut tx = app.store.read().await.unwrap();
    tx.outbox_all(500).await.unwrap().iter().filter(|m| m.to_address.starts_with(prefix) && m.subject.contains(subject)).count()
}

#[tokio::test]
async fn an_incident_lives_escalates_in_business_days_and_closes() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        // Friday 27 November 2026, 10:00 in Paris: the desk is open.
        assert!(e.app.reception().open, "{b:?}");
        let claire = actor(&e, "mons.admin").await;
        let karim = actor(&e, "mons.agent").await;
        let caf = actor(&e, "caf.admin").await;
        let auditor = actor(&e, "caf.auditor").await;

        // Only a partner's managers open incidents, with a subject, a description and a
        // service of the catalogue.
        let cmd = NewIncident { service_code: "CDAP".into(), subject: "Accès refusé à CDAP".into(), description: "Depuis ce matin, Karim ne peut plus ouvrir CDAP.".into(), urgent: false };
        assert!(matches!(e.app.open_incident(&karim, &cmd, &client()).await, Err(Error::Forbidden)), "{b:?}: a plain user");
        assert!(matches!(e.app.open_incident(&caf, &cmd, &client()).await, Err(Error::Forbidden)), "{b:?}: the caisse");
        let empty = NewIncident { description: " ".into(), ..cmd.clone() };
        assert!(matches!(e.app.open_incident(&claire, &empty, &client()).await, Err(Error::Invalid { field: "description", .. })), "{b:?}");
        let unknown = NewIncident { service_code: "NOPE".into(), ..cmd.clone() };
        assert!(matches!(e.app.open_incident(&claire, &unknown, &client()).await, Err(Error::Invalid { field: "service", .. })), "{b:?}");
        let inc = e.app.open_incident(&claire, &cmd, &client()).await.unwrap();
        assert!(inc.reference.starts_with("INC-") && inc.reference.len() == 12, "{b:?}: {}", inc.reference);
        // Ten business days: 30 Nov–4 Dec, then 7–11 Dec.
        assert_eq!((inc.awaiting, inc.due_on, inc.escalation_level), (Some(Side::Desk), Some(date!(2026 - 12 - 11)), 0), "{b:?}");
        assert_eq!(mails_to(&e.app, "comelec@", "nouvel incident").await, 1, "{b:?}: the desk's address in the directory");

        // Who sees it: the partner's managers and the desk; not a user, not an auditor.
        assert_eq!(e.app.incidents(&claire, false).await.unwrap().len(), 1, "{b:?}");
        assert_eq!(e.app.incidents(&caf, false).await.unwrap().len(), 1, "{b:?}");
        assert!(matches!(e.app.incidents(&karim, false).await, Err(Error::Forbidden)), "{b:?}");
        assert!(matches!(e.app.incident_file(&auditor, inc.id).await, Err(Error::NotFound)), "{b:?}");
        let file = e.app.incident_file(&caf, inc.id).await.unwrap();
        assert_eq!(file.days_left, Some(10), "{b:?}");
        assert!(file.may.qualify && file.may.close && file.may.national, "{b:?}");
        assert!(!e.app.incident_file(&claire, inc.id).await.unwrap().may.close, "{b:?}: only the desk closes");

        // The desk qualifies and routes it; the partner is told. The desk still owes an answer.
        e.app.qualify_incident(&caf, inc.id, "Équipe habilitations", &client()).await.unwrap();
        assert!(matches!(e.app.qualify_incident(&claire, inc.id, "x", &client()).await, Err(Error::Forbidden)), "{b:?}");
        assert!(mails_to(&e.app, "mons.admin@", "pris en charge").await >= 1, "{b:?}");

        // On the due date nothing escalates; the next business day (Monday 14th) it does,
        // once, to the caisse (no escalation contact named: its administrators).
        e.clock.advance(datetime!(2026-12-11 16:00 UTC) - e.app.now());
        assert_eq!(e.app.escalate_overdue_incidents().await.unwrap(), 0, "{b:?}");
        e.clock.advance(datetime!(2026-12-14 08:00 UTC) - e.app.now());
        assert_eq!(e.app.escalate_overdue_incidents().await.unwrap(), 1, "{b:?}");
        assert_eq!(e.app.escalate_overdue_incidents().await.unwrap(), 0, "{b:?}: once per delay");
        let mut tx = e.app.store.read().await.unwrap();
        let now = tx.incident(inc.id).await.unwrap().unwrap();
        drop(tx);
        // Next due date: 10 business days after Monday 14 December, Christmas off: the 29th.
        assert_eq!((now.escalation_level, now.due_on), (1, Some(date!(2026 - 12 - 29))), "{b:?}");
        assert_eq!(mails_to(&e.app, "caf.admin@", "escalade de l'incident").await, 1, "{b:?}");

        // The desk answers: the partner now owes the answer, from today.
        let answered = e.app.post_incident_message(&caf, inc.id, "Le compte de Karim était suspendu ; pouvez-vous confirmer son poste ?", &client()).await.unwrap();
        assert_eq!((answered.awaiting, answered.due_on), (Some(Side::Partner), Some(date!(2026 - 12 - 29))), "{b:?}");
        assert!(mails_to(&e.app, "mons.admin@", "nouveau message").await >= 1, "{b:?}");

        // The partner marks it urgent: it escalates at once, to the partner's side.
        let urgent = e.app.mark_incident_urgent(&claire, inc.id, &client()).await.unwrap();
        assert_eq!((urgent.urgent, urgent.escalation_level), (true, 2), "{b:?}");
        assert!(matches!(e.app.mark_incident_urgent(&caf, inc.id, &client()).await, Err(Error::Refused(_))), "{b:?}: already urgent");
        assert_eq!(mails_to(&e.app, "caf.admin@", "escalade de l'incident").await, 2, "{b:?}: urgent for the partner: the desk's side is told");
        // The desk writing again while the partner owes the answer is a reminder: the
        // partner's delay does not start over.
        e.clock.advance(datetime!(2026-12-16 09:00 UTC) - e.app.now());
        let reminded = e.app.post_incident_message(&caf, inc.id, "Pouvez-vous répondre ?", &client()).await.unwrap();
        assert_eq!((reminded.awaiting, reminded.due_on), (Some(Side::Partner), Some(date!(2026 - 12 - 29))), "{b:?}");
        // A former delegated manager (mandate withdrawn, role kept) no longer reads it.
        let manager = actor(&e, "mons.manager").await;
        for m in e.app.store.read().await.unwrap().mandates_of(claire.organisation.id).await.unwrap() {
            if m.holder_id == manager.account.id {
                e.app.withdraw_mandate(&claire, m.id, &client()).await.unwrap();
            }
        }
        assert!(matches!(e.app.incident_file(&manager, inc.id).await, Err(Error::NotFound)), "{b:?}");
        assert!(matches!(e.app.incidents(&manager, false).await, Err(Error::Forbidden)), "{b:?}");

        // Two instances past the next due date escalate it once between them.
        e.clock.advance(datetime!(2027-01-12 08:00 UTC) - e.app.now());
        let other = second_instance(&e).await;
        let (a, c) = tokio::join!(e.app.escalate_overdue_incidents(), other.escalate_overdue_incidents());
        assert_eq!(a.unwrap() + c.unwrap(), 1, "{b:?}");
        let mut tx = e.app.store.read().await.unwrap();
        assert_eq!(tx.incident(inc.id).await.unwrap().unwrap().escalation_level, 3, "{b:?}");
        drop(tx);

        // National level, then closed; nothing more is written on it.
        e.app.escalate_to_national(&caf, inc.id, "Anomalie du référentiel national", &client()).await.unwrap();
        let closed = e.app.close_incident(&caf, inc.id, "Compte réactivé par la mairie ; accès rétabli.", &client()).await.unwrap();
        assert_eq!((closed.status, closed.awaiting, closed.due_on), (IncidentStatus::Closed, None, None), "{b:?}");
        assert!(matches!(e.app.post_incident_message(&claire, inc.id, "Merci", &client()).await, Err(Error::Refused(_))), "{b:?}");
        let file = e.app.incident_file(&claire, inc.id).await.unwrap();
        let kinds: Vec<StepKind> = file.steps.iter().map(|(s, _)| s.kind).collect();
        assert_eq!(kinds, vec![StepKind::Opened, StepKind::Qualified, StepKind::Escalated, StepKind::Message, StepKind::Urgent, StepKind::Escalated, StepKind::Message, StepKind::Escalated, StepKind::National, StepKind::Closed], "{b:?}");
        assert!(e.app.incidents(&claire, false).await.unwrap().is_empty() && e.app.incidents(&claire, true).await.unwrap().len() == 1, "{b:?}");

        // Every step is in the partner's chain.
        let traced = e.app.store.trace_search(&TraceQuery { chains: vec![claire.organisation.id.0], target: Some(inc.reference.clone()), limit: 50, ..Default::default() }).await.unwrap();
        let mut actions: Vec<String> = traced.iter().map(|r| r.entry.action.clone()).collect();
        actions.sort();
        actions.dedup();
        assert_eq!(actions, ["incident.close", "incident.escalate", "incident.message", "incident.national", "incident.open", "incident.qualify", "incident.urgent"], "{b:?}");
        assert!(verify(&e).await.finding.is_none(), "{b:?}");
    }
}

#[tokio::test]
async fn a_planned_outage_is_announced_and_the_check_honours_its_window() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let (cdap, _) = e
            .app
            .register_client_as_operator(&ClientInput { service_code: "CDAP".into(), client_id: "cdap".into(), name: "CDAP".into(), redirect_uris: vec!["https://cdap.example/cb".into()], ..Default::default() })
            .await
            .unwrap();
        let claire = actor(&e, "mons.admin").await;
        let caf = actor(&e, "caf.admin").await;
        let karim = actor(&e, "mons.agent").await;
        let grant = NewGrant { holder: Holder::Person(karim.account.id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil".into(), ends_on: "".into() };
        e.app.grant(&claire, &grant, &client()).await.unwrap();
        let allowed = |a: &CheckAnswer| matches!(a, CheckAnswer::Allowed(_));

        // Monday 30 November, 08:00–12:00 in Paris. A window that ends before it starts, or
        // an announcement by a partner, is refused.
        let bad = NewOutage { service_code: "CDAP".into(), starts: "2026-11-30T12:00".into(), ends: "2026-11-30T08:00".into(), reason: "Mise à jour".into() };
        assert!(matches!(e.app.announce_outage(&caf, &bad, &client()).await, Err(Error::Invalid { field: "ends", .. })), "{b:?}");
        let cmd = NewOutage { starts: "2026-11-30T08:00".into(), ends: "2026-11-30T12:00".into(), ..bad };
        assert!(matches!(e.app.announce_outage(&claire, &cmd, &client()).await, Err(Error::Forbidden)), "{b:?}");
        let outage = e.app.announce_outage(&caf, &cmd, &client()).await.unwrap();
        assert_eq!((outage.starts_at, outage.ends_at), (datetime!(2026-11-30 07:00 UTC), datetime!(2026-11-30 11:00 UTC)), "{b:?}: Paris time");
        let mut tx = e.app.store.read().await.unwrap();
        assert!(tx.outbox_all(50).await.unwrap().iter().any(|m| m.to_address.starts_with("mons.admin@") && m.subject.contains("interruption programmée")), "{b:?}");
        drop(tx);
        assert_eq!(e.app.outages(&claire).await.unwrap().len(), 1, "{b:?}: the partner sees it coming");

        // Before, during and after the window.
        assert!(allowed(&e.app.check_access(&cdap, "mons.agent", Some("T1"), &client()).await.unwrap()), "{b:?}");
        e.clock.advance(datetime!(2026-11-30 08:00 UTC) - e.app.now());
        let during = e.app.check_access(&cdap, "mons.agent", Some("T1"), &client()).await.unwrap();
        assert!(matches!(during, CheckAnswer::Refused(Denial::Outage { until }) if until == datetime!(2026-11-30 11:00 UTC)), "{b:?}: {during:?}");
        assert_eq!(e.app.services_down(&claire).await.unwrap().get(&outage.service_id), Some(&datetime!(2026-11-30 11:00 UTC)), "{b:?}: the services list says so");
        // Another instance, started during the window, knows it from the database.
        let other = second_instance(&e).await;
        assert!(!allowed(&other.check_access(&cdap, "mons.agent", Some("T1"), &client()).await.unwrap()), "{b:?}");
        // Cancelled: available again at once.
        e.app.cancel_outage(&caf, outage.id, &client()).await.unwrap();
        assert!(allowed(&e.app.check_access(&cdap, "mons.agent", Some("T1"), &client()).await.unwrap()), "{b:?}");
        assert!(e.app.outages(&claire).await.unwrap().is_empty(), "{b:?}");
        assert!(e.app.services_down(&claire).await.unwrap().is_empty(), "{b:?}");
        assert!(matches!(e.app.cancel_outage(&caf, outage.id, &client()).await, Err(Error::Refused(_))), "{b:?}");
        // Another caisse's outage of the same service concerns its partners only.
        let other = super::caisse::other_caisse_admin(&e).await;
        let theirs = NewOutage { service_code: "CDAP".into(), starts: "2026-11-30T08:30".into(), ends: "2026-11-30T11:00".into(), reason: "Leur maintenance".into() };
        e.app.announce_outage(&other, &theirs, &client()).await.unwrap();
        assert!(allowed(&e.app.check_access(&cdap, "mons.agent", Some("T1"), &client()).await.unwrap()), "{b:?}: not our caisse's outage");
        assert!(e.app.services_down(&claire).await.unwrap().is_empty() && e.app.outages(&claire).await.unwrap().is_empty(), "{b:?}");
        assert_eq!(e.app.services_down(&other).await.unwrap().len(), 1, "{b:?}");
        assert!(matches!(e.app.cancel_outage(&other, outage.id, &client()).await, Err(Error::NotFound)), "{b:?}: not theirs to cancel");
        assert!(verify(&e).await.finding.is_none(), "{b:?}");
    }
}
