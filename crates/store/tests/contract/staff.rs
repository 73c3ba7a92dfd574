//! The caisse's own staff on both backends (issue 12, item 1; Art. 5.3.3): appointments
//! with the one-time link, roles, suspension, the rules nobody may bend (no self-given
//! trace-auditor role, an administrator always left), and the national level's auditors.

use habilis_core::commands::StaffInput;
use habilis_core::records::{AccountStatus, Role};
use habilis_core::services::staff::StaffAction;
use habilis_core::services::trail::TraceFilter;
use habilis_core::values::ValueError;
use habilis_core::{Error, Rule};
use habilis_store::testing::backends;

use super::caisse::actor;
use super::{Env, PASSWORD, client, env};

fn person(first: &str, roles: &[&str]) -> StaffInput {
    StaffInput {
        first_name: first.into(),
        last_name: "Nord".into(),
        email: format!("{}@caf-nord.invalid", first.to_lowercase()),
        function: "Agent".into(),
        login: String::new(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
    }
}

/// Follow the link the outbox holds for `email` and choose the password.
async fn onboard(e: &Env, email: &str) {
    let caf = actor(e, "caf.admin").await;
    let msg = e.app.outbox(&caf, 50).await.unwrap().into_iter().find(|m| m.to_address == email).expect("link sent");
    let token = msg.body.split("token=").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    e.app.set_password_with_link(&token, PASSWORD, &client()).await.unwrap();
}

#[tokio::test]
async fn caisse_administrators_appoint_and_manage_the_caisse_s_staff() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let cl = client();
        let caf = actor(&e, "caf.admin").await;

        // Appointed with the one-time link, in the caisse's namespace; the auditor reads.
        let paul = e.app.appoint_staff(&caf, &person("Paul", &["trace_auditor"]), "https://h", &cl).await.unwrap();
        assert_eq!((paul.login.as_str(), paul.roles.as_slice()), ("caf.paul.nord", &[Role::TraceAuditor][..]), "{b:?}");
        onboard(&e, "paul@caf-nord.invalid").await;
        let paul_actor = actor(&e, "caf.paul.nord").await;
        assert!(e.app.read_traces(&paul_actor, &TraceFilter::default(), 10, &cl).await.is_ok(), "{b:?}");

        // Roles of the caisse only, at least one.
        let err = e.app.appoint_staff(&caf, &person("Zoé", &["partner_admin"]), "https://h", &cl).await.unwrap_err();
        assert!(matches!(err, Error::Rule(Rule::RoleOfAnotherSide)), "{b:?}: {err:?}");
        let err = e.app.appoint_staff(&caf, &person("Zoé", &[]), "https://h", &cl).await.unwrap_err();
        assert!(matches!(err, Error::Invalid { field: "roles", problem: ValueError::Empty }), "{b:?}: {err:?}");
        // Only a caisse administrator appoints.
        for who in ["caf.auditor", "mons.admin"] {
            let a = actor(&e, who).await;
            assert!(matches!(e.app.appoint_staff(&a, &person("Zoé", &["service_desk"]), "https://h", &cl).await, Err(Error::Forbidden)), "{b:?} {who}");
            assert!(matches!(e.app.staff(&a).await, Err(Error::Forbidden)), "{b:?} {who}");
        }

        // Nobody gives himself the auditor role; another administrator may give it.
        let err = e.app.set_staff_roles(&caf, caf.account.id, &["caisse_admin".into(), "trace_auditor".into()], &cl).await.unwrap_err();
        assert!(matches!(err, Error::Rule(Rule::SelfAuditor)), "{b:?}: {err:?}");
        let anne = e.app.appoint_staff(&caf, &person("Anne", &["caisse_admin"]), "https://h", &cl).await.unwrap();
        onboard(&e, "anne@caf-nord.invalid").await;
        let anne_actor = actor(&e, &anne.login).await;
        let caf_after = e.app.set_staff_roles(&anne_actor, caf.account.id, &["caisse_admin".into(), "trace_auditor".into()], &cl).await.unwrap();
        assert!(caf_after.roles.contains(&Role::TraceAuditor), "{b:?}");

        // Suspension ends the sessions; one never suspends oneself; an administrator is kept.
        assert!(matches!(e.app.staff_action(&caf, caf.account.id, StaffAction::Suspend, &cl).await, Err(Error::Forbidden)), "{b:?}");
        let session = e.app.login("caf.paul.nord", PASSWORD, &cl).await.unwrap();
        e.app.staff_action(&caf, paul.id, StaffAction::Suspend, &cl).await.unwrap();
        assert!(e.app.authenticate(&session.token, &cl).await.is_err(), "{b:?}");
        assert!(matches!(e.app.login("caf.paul.nord", PASSWORD, &cl).await, Err(Error::AccountDisabled)), "{b:?}");
        e.app.staff_action(&caf, paul.id, StaffAction::Reactivate, &cl).await.unwrap();
        e.app.staff_action(&caf, anne.id, StaffAction::Deactivate, &cl).await.unwrap();
        let err = e.app.set_staff_roles(&caf, caf.account.id, &["trace_auditor".into()], &cl).await.unwrap_err();
        assert!(matches!(err, Error::Rule(Rule::LastCaisseAdmin)), "{b:?}: {err:?}");
        let listed = e.app.staff(&caf).await.unwrap();
        assert!(listed.iter().any(|a| a.id == anne.id && a.status == AccountStatus::Deactivated), "{b:?}");
        assert!(listed.iter().all(|a| a.organisation_id == caf.organisation.id), "{b:?}: only the caisse's people");
        // Every step is traced in the caisse's chain.
        let auditor = actor(&e, "caf.auditor").await;
        let traces = e.app.read_traces(&auditor, &TraceFilter { action: "staff.".into(), ..TraceFilter::default() }, 50, &cl).await.unwrap();
        let actions: Vec<&str> = traces.records.iter().map(|r| r.entry.action.as_str()).collect();
        for a in ["staff.appoint", "staff.roles", "staff.suspend", "staff.reactivate", "staff.deactivate"] {
            assert!(actions.contains(&a), "{b:?}: {a} in {actions:?}");
        }
    }
}

#[tokio::test]
async fn the_national_level_s_auditors_read_every_caisse() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let cl = client();
        let mons = actor(&e, "mons.agent").await.organisation.id;
        let caf = actor(&e, "caf.admin").await.organisation.id;
        let input = StaffInput { first_name: "Nina".into(), last_name: "Cnaf".into(), email: "nina@cnaf.invalid".into(), roles: vec!["trace_auditor".into()], ..Default::default() };
        let (nina, token) = e.app.appoint_staff_as_operator("Cnaf", &input, "https://h").await.unwrap();
        assert_eq!(nina.login, "cnaf.nina.cnaf", "{b:?}");
        e.app.set_password_with_link(&token, PASSWORD, &cl).await.unwrap();
        let reader = actor(&e, "cnaf.nina.cnaf").await;
        let seen = e.app.read_traces(&reader, &TraceFilter::default(), 500, &cl).await.unwrap();
        assert!(seen.records.iter().any(|r| r.chain_id == mons.0) && seen.records.iter().any(|r| r.chain_id == caf.0), "{b:?}");
        // A partner is no place for staff, and the operator names an existing organisation.
        assert!(matches!(e.app.appoint_staff_as_operator("Mairie de Mons-en-Barœul", &input, "https://h").await, Err(Error::Rule(Rule::RoleOfAnotherSide))), "{b:?}");
        assert!(matches!(e.app.appoint_staff_as_operator("Nulle part", &input, "https://h").await, Err(Error::NotFound)), "{b:?}");
    }
}
