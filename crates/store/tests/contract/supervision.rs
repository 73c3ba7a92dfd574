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
