//! Caisse supervision on both backends (first part): suspension only the caisse lifts,
//! forced password changes.

use habilis_core::grants::{GrantState, UserInput};
use habilis_core::{Error, Rule};
use habilis_store::testing::backends;

use super::{PASSWORD, client, env};

#[tokio::test]
async fn only_the_caisse_lifts_its_suspension_and_it_forces_password_changes() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let caf = e.app.login("caf.admin", PASSWORD, &client()).await.unwrap().actor;
        let claire = e.app.login("mons.admin", PASSWORD, &client()).await.unwrap().actor;
        let u = e
            .app
            .create_user(&claire, &UserInput { first_name: "A".into(), last_name: "B".into(), email: "ab@m.invalid".into(), ..Default::default() }, "https://h", &client())
            .await
            .unwrap();
        let g = e.app.grant(&claire, u.id, "CDAP", "T1", "Accueil", "", &client()).await.unwrap();
        // The partner cannot suspend on the caisse's behalf; a reason is required.
        assert!(matches!(e.app.caisse_suspend_grant(&claire, g.id, "x", &client()).await, Err(Error::Forbidden)));
        assert!(matches!(e.app.caisse_suspend_grant(&caf, g.id, " ", &client()).await, Err(Error::Invalid { field: "reason", .. })));
        e.app.caisse_suspend_grant(&caf, g.id, "Consultations atypiques la nuit", &client()).await.unwrap();
        let seen = e.app.partner_grants(&caf, claire.organisation.id).await.unwrap();
        let (grant, why) = seen.iter().find(|(x, _)| x.id == g.id).unwrap();
        assert_eq!(grant.state, GrantState::Suspended, "{b:?}: the person loses the right at once");
        assert_eq!(why.as_deref(), Some("Consultations atypiques la nuit"));
        // The partner sees it and cannot resume it.
        let err = e.app.resume_grant(&claire, g.id, &client()).await.unwrap_err();
        assert!(matches!(err, Error::Rule(Rule::CaisseSuspension)), "{b:?}: {err:?}");
        assert!(e.app.outbox(&caf, 10).await.unwrap().iter().any(|m| m.subject.contains("suspendue par la caisse")));
        e.app.caisse_lift_suspension(&caf, g.id, &client()).await.unwrap();
        let seen = e.app.partner_grants(&caf, claire.organisation.id).await.unwrap();
        assert_eq!(seen.iter().find(|(x, _)| x.id == g.id).unwrap().0.state, GrantState::Active);

        // Forced change for everyone: sessions end, the next sign-in must change first.
        let hugo = e.app.login("mons.deputy", PASSWORD, &client()).await.unwrap();
        let n = e.app.force_password_change(&caf, claire.organisation.id, None, &client()).await.unwrap();
        assert!(n >= 5, "{b:?}: {n}");
        assert!(matches!(e.app.authenticate(&hugo.token, &client()).await, Err(Error::NotAuthenticated)));
        let again = e.app.login("mons.deputy", PASSWORD, &client()).await.unwrap();
        assert!(again.actor.account.must_change_password);
        // The partner cannot force it on its own people.
        assert!(matches!(e.app.force_password_change(&claire, claire.organisation.id, None, &client()).await, Err(Error::Forbidden)));
    }
}

#[tokio::test]
async fn a_query_unanswered_past_its_due_date_suspends_the_grant_when_asked() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let caf = e.app.login("caf.admin", PASSWORD, &client()).await.unwrap().actor;
        let claire = e.app.login("mons.admin", PASSWORD, &client()).await.unwrap().actor;
        let mut grants = Vec::new();
        for i in 0..2 {
            let u = e
                .app
                .create_user(&claire, &UserInput { first_name: "Q".into(), last_name: format!("N{i}"), email: format!("q{i}@m.invalid"), ..Default::default() }, "https://h", &client())
                .await
                .unwrap();
            grants.push(e.app.grant(&claire, u.id, "CDAP", "T1", "Accueil", "", &client()).await.unwrap().id);
        }
        let today = e.app.today();
        let due = (today + time::Duration::days(10)).to_string();
        assert!(matches!(e.app.open_query(&claire, grants[0], "?", &due, true, &client()).await, Err(Error::Forbidden)));
        assert!(matches!(e.app.open_query(&caf, grants[0], "?", "2000-01-01", true, &client()).await, Err(Error::Invalid { field: "due_on", .. })));
        let answered = e.app.open_query(&caf, grants[0], "Pourquoi 40 consultations la nuit ?", &due, true, &client()).await.unwrap();
        let silent = e.app.open_query(&caf, grants[1], "Cette personne est-elle toujours en poste ?", &due, true, &client()).await.unwrap();
        assert!(e.app.outbox(&caf, 10).await.unwrap().iter().any(|m| m.subject.contains("question de la caisse")));
        e.app.answer_query(&claire, answered.id, "Permanence de nuit du service social", &client()).await.unwrap();

        // Before the due date nothing happens; the day after, the silent one suspends.
        e.clock.advance(time::Duration::days(10));
        assert_eq!(e.app.enforce_query_deadlines().await.unwrap(), 0, "{b:?}");
        e.clock.advance(time::Duration::days(1));
        let listed = e.app.queries(&caf).await.unwrap();
        assert!(listed.iter().find(|q| q.id == silent.id).unwrap().overdue(e.app.today()), "flagged overdue");
        assert_eq!(e.app.enforce_query_deadlines().await.unwrap(), 1, "{b:?}");
        assert_eq!(e.app.enforce_query_deadlines().await.unwrap(), 0, "idempotent");
        let seen = e.app.partner_grants(&caf, claire.organisation.id).await.unwrap();
        let state = |id| seen.iter().find(|(g, _)| g.id == id).map(|(g, why)| (g.state, why.is_some())).unwrap();
        assert_eq!(state(grants[1]), (GrantState::Suspended, true), "{b:?}");
        assert_eq!(state(grants[0]), (GrantState::Active, false), "answered in time: untouched");
        assert!(matches!(e.app.resume_grant(&claire, grants[1], &client()).await, Err(Error::Rule(Rule::CaisseSuspension))));
        e.app.close_query(&caf, silent.id, &client()).await.unwrap();
        assert!(super::verify(&e).await.finding.is_none());
    }
}
