//! Alerts on atypical use (R24) on both backends: the watch seeded from the trail at start,
//! alerts raised as sign-ins, failures and consultations are traced (once per person, rule
//! and period, even when two instances raise the same one), the caisse's rules, and what the
//! caisse does from an alert — qualify it, query the partner, suspend a grant.

use habilis_core::clock::to_micros;
use habilis_core::commands::{Holder, NewGrant, NewQuery};
use habilis_core::records::*;
use habilis_core::services::alerts::RulesInput;
use habilis_core::store::*;
use habilis_core::trace::{Outcome, TraceQuery};
use habilis_core::{Error, Refusal};
use habilis_store::testing::backends;
use time::Duration;
use uuid::Uuid;

use super::caisse::actor;
use super::{PASSWORD, client, env, second_instance, verify};

fn open_filter() -> AlertFilter {
    AlertFilter { status: Some(AlertStatus::Open), limit: 100, ..Default::default() }
}

async fn alerts_of(app: &habilis_core::app::App<habilis_store::Db>, caf: &Actor, rule: AlertRule) -> Vec<Alert> {
    let f = AlertFilter { rule: Some(rule), limit: 100, ..Default::default() };
    app.alerts(caf, &f).await.unwrap().into_iter().map(|l| l.alert).collect()
}

#[tokio::test]
async fn atypical_use_raises_alerts_as_traces_are_written_and_the_caisse_acts_on_them() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        // Friday 27 November 2026, 10:00 in Paris.
        let caf = actor(&e, "caf.admin").await;
        let auditor = actor(&e, "caf.auditor").await;
        let claire = actor(&e, "mons.admin").await;
        let manager = actor(&e, "mons.manager").await;
        let karim = actor(&e, "mons.agent").await;
        let grant = |holder, role: &str| NewGrant { holder: Holder::Person(holder), service_code: "CDAP".into(), role_code: role.into(), purpose: "Accueil".into(), ends_on: "".into() };
        let t1 = e.app.grant(&claire, &grant(karim.account.id, "T1"), &client()).await.unwrap();
        let t2 = e.app.grant(&claire, &grant(karim.account.id, "T2"), &client()).await.unwrap();
        let other = e.app.grant(&claire, &grant(manager.account.id, "T1"), &client()).await.unwrap();

        // Karim's history, as the trail holds it: 60 consultations on each of ten days (the
        // trail's time only moves forward: the clock goes through those days).
        for _ in 0..10 {
            for _ in 0..60 {
                e.clock.advance(Duration::seconds(1));
                e.app.record_request(&karim, "http.get", "/", Outcome::Success, &client()).await.unwrap();
            }
            e.clock.advance(Duration::days(1) - Duration::seconds(60));
        }
        // Monday 7 December, 10:00 in Paris.
        let now = e.app.now();
        assert_eq!(now, time::macros::datetime!(2026-12-07 09:00 UTC));

        // An instance started now seeds its watch from that trail: his usual day is 60, so
        // the 241st consultation today (4 × 60 + 1) raises one alert, and only one.
        let app2 = second_instance(&e).await;
        let k2 = app2.login("mons.agent", PASSWORD, &client()).await.unwrap().actor;
        assert!(app2.alerts(&caf, &open_filter()).await.unwrap().is_empty(), "{b:?}: a colleague's network, in hours");
        for _ in 0..240 {
            app2.record_request(&k2, "http.get", "/", Outcome::Success, &client()).await.unwrap();
        }
        let early = alerts_of(&app2, &caf, AlertRule::Volume).await;
        assert!(early.is_empty(), "{b:?}: 240 is the threshold: {:?}", early.first().map(|a| &a.facts));
        app2.record_request(&k2, "http.get", "/", Outcome::Success, &client()).await.unwrap();
        app2.record_request(&k2, "http.get", "/", Outcome::Success, &client()).await.unwrap();
        let volume = alerts_of(&app2, &caf, AlertRule::Volume).await;
        assert_eq!(volume.len(), 1, "{b:?}");
        let alert = &volume[0];
        assert_eq!((alert.facts.count, alert.facts.usual, alert.facts.threshold), (Some(241), Some(60), Some(240)), "{b:?}");
        assert_eq!((alert.account_id, alert.organisation_id, alert.caisse_id), (karim.account.id, karim.organisation.id, caf.organisation.id));
        // The evidence is the last 50 of today's consultations, all in the trail.
        assert_eq!(alert.evidence.len(), 50, "{b:?}");
        let today: Vec<Uuid> = e
            .app
            .store
            .trace_search(&TraceQuery { chains: vec![karim.organisation.id.0], actor_id: Some(karim.account.id), from: Some(to_micros(now - Duration::hours(1))), limit: 500, ..Default::default() })
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.entry.id)
            .collect();
        assert!(alert.evidence.iter().all(|id| today.contains(id)), "{b:?}");
        // A third instance seeded from the same trail raises it again: the database keeps one.
        let app3 = second_instance(&e).await;
        app3.record_request(&k2, "http.get", "/", Outcome::Success, &client()).await.unwrap();
        assert_eq!(alerts_of(&app3, &caf, AlertRule::Volume).await.len(), 1, "{b:?}: once per person, rule and day");
        // Raised, traced in the caisse's chain, and told to the caisse (its administrators:
        // the demo's caisse has no security officer account).
        let mut tx = e.app.store.read().await.unwrap();
        assert!(tx.outbox_all(50).await.unwrap().iter().any(|m| m.subject.contains("alerte d'usage inhabituel") && m.to_address.starts_with("caf.admin@")), "{b:?}");
        drop(tx);
        let raised = e.app.store.trace_search(&TraceQuery { chains: vec![caf.organisation.id.0], action: Some("alert.raise".into()), limit: 10, ..Default::default() }).await.unwrap();
        assert_eq!(raised.len(), 1, "{b:?}");
        assert_eq!(raised[0].entry.target.as_deref(), Some(alert.id.to_string().as_str()));

        // Who reads and who handles: a partner reads nothing; an auditor reads, does not
        // qualify; the caisse's administrator qualifies with a comment, once.
        assert!(matches!(e.app.alerts(&claire, &open_filter()).await, Err(Error::Forbidden)), "{b:?}");
        assert_eq!(e.app.alerts(&auditor, &open_filter()).await.unwrap().len(), 1, "{b:?}");
        assert!(matches!(e.app.acknowledge_alert(&auditor, alert.id, "vu", &client()).await, Err(Error::Forbidden)), "{b:?}");
        assert!(matches!(e.app.acknowledge_alert(&caf, alert.id, "  ", &client()).await, Err(Error::Invalid { field: "comment", .. })), "{b:?}");

        // From the alert, the caisse suspends T1 as a precaution and queries T2; another
        // person's grant is not within this alert's reach.
        let sheet = e.app.alert_sheet(&caf, alert.id).await.unwrap();
        let held: Vec<GrantId> = sheet.grants.iter().map(|g| g.grant.id).collect();
        assert!(held.contains(&t1.id) && held.contains(&t2.id) && !held.contains(&other.id) && sheet.may_act, "{b:?}");
        assert!(matches!(e.app.alert_suspend(&caf, alert.id, other.id, "Volume anormal", &client()).await, Err(Error::NotFound)), "{b:?}");
        assert!(matches!(e.app.alert_suspend(&auditor, alert.id, t1.id, "Volume anormal", &client()).await, Err(Error::Forbidden)), "{b:?}");
        e.app.alert_suspend(&caf, alert.id, t1.id, "Volume anormal de consultations", &client()).await.unwrap();
        let due = (e.app.today() + Duration::days(10)).to_string();
        let q = NewQuery { grant: t2.id, question: "Pouvez-vous expliquer ce volume ?".into(), due_on: due, auto_suspend: false };
        e.app.alert_query(&caf, alert.id, &q, &client()).await.unwrap();
        let mut tx = e.app.store.read().await.unwrap();
        let g1 = tx.grant(t1.id).await.unwrap().unwrap();
        assert_eq!((g1.state, g1.caisse_suspension.as_deref()), (GrantState::Suspended, Some("Volume anormal de consultations")), "{b:?}");
        let mails = tx.outbox_all(50).await.unwrap();
        assert!(mails.iter().any(|m| m.subject.contains("habilitation suspendue par la caisse") && m.to_address.starts_with("mons.admin@")), "{b:?}");
        assert!(mails.iter().any(|m| m.subject.contains("question de la caisse")), "{b:?}");
        let stored = tx.alert(alert.id).await.unwrap().unwrap();
        assert_eq!(stored.actions.iter().map(|a| (a.kind.as_str(), a.grant_id)).collect::<Vec<_>>(), vec![("suspend", t1.id), ("query", t2.id)], "{b:?}");
        drop(tx);
        let done = e.app.acknowledge_alert(&caf, alert.id, "Pic d'activité confirmé par la mairie ; T1 suspendue en attendant la réponse.", &client()).await.unwrap();
        assert_eq!((done.status, done.acknowledged_by), (AlertStatus::Acknowledged, Some(caf.account.id)));
        assert!(matches!(e.app.acknowledge_alert(&caf, alert.id, "encore", &client()).await, Err(Error::Refused(Refusal::AlreadyDecided))), "{b:?}");
        assert!(e.app.alerts(&caf, &open_filter()).await.unwrap().is_empty(), "{b:?}");

        // Failures: the tenth wrong password within the hour raises one alert with the
        // failures as evidence.
        for _ in 0..10 {
            e.clock.advance(Duration::seconds(30));
            assert!(matches!(e.app.login("mons.deputy", "not-the-password", &client()).await, Err(Error::InvalidCredentials)), "{b:?}");
        }
        let failures = alerts_of(&e.app, &caf, AlertRule::Failures).await;
        assert_eq!(failures.len(), 1, "{b:?}");
        assert_eq!((failures[0].facts.count, failures[0].evidence.len()), (Some(10), 10), "{b:?}");

        // Saturday 12 December, 23:30 in Paris: outside the hours, raised in the sign-in's
        // own transaction; a second sign-in that night adds nothing.
        e.clock.advance(datetime_between(e.app.now(), time::macros::datetime!(2026-12-12 22:30 UTC)));
        e.app.login("mons.agent", PASSWORD, &client()).await.unwrap();
        e.app.login("mons.agent", PASSWORD, &client()).await.unwrap();
        let night = alerts_of(&e.app, &caf, AlertRule::OffHours).await;
        assert_eq!(night.len(), 1, "{b:?}");
        assert_eq!(night[0].facts.local_time.as_deref(), Some("2026-12-12 23:30"), "{b:?}");

        // The caisse switches that rule off (a wrong number first: refused, nothing saved);
        // the next night's sign-in raises nothing.
        let mut input = RulesInput::from_rules(&AlertRules::default());
        input.off_hours = false;
        input.dormant_days = "10".into();
        assert!(matches!(e.app.set_alert_rules(&caf, &input, &client()).await, Err(Error::Invalid { field: "dormant_days", .. })), "{b:?}");
        assert_eq!(e.app.alert_rules(&caf).await.unwrap(), AlertRules::default(), "{b:?}");
        assert!(matches!(e.app.set_alert_rules(&auditor, &input, &client()).await, Err(Error::Forbidden)), "{b:?}");
        input.dormant_days = "90".into();
        e.app.set_alert_rules(&caf, &input, &client()).await.unwrap();
        e.clock.advance(Duration::days(1));
        e.app.login("mons.agent", PASSWORD, &client()).await.unwrap();
        assert_eq!(alerts_of(&e.app, &caf, AlertRule::OffHours).await.len(), 1, "{b:?}: switched off");

        // A dormant account: the manager comes back after 100 days (a weekday, 10:00).
        e.clock.advance(datetime_between(e.app.now(), time::macros::datetime!(2027-03-09 09:00 UTC)));
        e.app.login("mons.manager", PASSWORD, &client()).await.unwrap();
        let dormant = alerts_of(&e.app, &caf, AlertRule::Dormant).await;
        assert_eq!(dormant.len(), 1, "{b:?}");
        assert!(dormant[0].facts.idle_days.is_some_and(|d| d >= 100), "{b:?}: {:?}", dormant[0].facts);

        assert!(verify(&e).await.finding.is_none(), "{b:?}");
    }
}

/// How far `to` is after `from`.
fn datetime_between(from: time::OffsetDateTime, to: time::OffsetDateTime) -> Duration {
    to - from
}
