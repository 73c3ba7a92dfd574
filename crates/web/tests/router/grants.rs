//! Quotas under concurrency, through the router: 200 simultaneous grant requests for 200
//! distinct users against a quota of 10.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use habilis_core::commands::{NewContract, NewConvention};
use habilis_core::commands::{Holder, NewGrant};
use habilis_core::commands::UserInput;
use habilis_store::testing::backends;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{PASSWORD, body, setup};

/// POST every payload to `path` at once, each from its own task and router; the answers.
pub(super) async fn all_at_once(t: &super::T, path: &str, token: &str, payloads: Vec<Value>) -> Vec<(StatusCode, String)> {
    let mut tasks = Vec::new();
    for payload in payloads {
        let router = habilis_web::router(t.state.clone());
        let (token, path) = (token.to_string(), path.to_string());
        tasks.push(tokio::spawn(async move {
            let req = Request::post(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(payload.to_string()))
                .unwrap();
            let resp = router.oneshot(req).await.unwrap();
            let status = resp.status();
            (status, body(resp).await)
        }));
    }
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_simultaneous_grants_against_a_quota_of_ten() {
    for b in backends() {
        let t = setup(b).await;
        let claire = t.state.app.login("mons.admin", PASSWORD, &Default::default()).await.unwrap();
        let mut users = Vec::new();
        for i in 0..200 {
            let input = UserInput { first_name: "Agent".into(), last_name: format!("C{i}"), email: format!("c{i}@mairie.invalid"), ..Default::default() };
            users.push(t.state.app.create_user(&claire.actor, &input, "https://h", &Default::default()).await.unwrap().id);
        }
        let token = claire.token.clone();
        for round in 0..2 {
            let payloads = users
                .iter()
                .enumerate()
                .map(|(i, u)| json!({"holder": u, "service": "CDAP", "role": if round == 0 { "T1" } else { "T2" }, "purpose": format!("Dossier {i}")}))
                .collect();
            let answers = all_at_once(&t, "/api/v1/grants", &token, payloads).await;
            let (mut created, mut refused) = (0, 0);
            for (status, text) in answers {
                match status {
                    StatusCode::CREATED => created += 1,
                    StatusCode::CONFLICT => {
                        let v: Value = serde_json::from_str(&text).unwrap();
                        assert_eq!(v["error"]["code"], "quota_exceeded", "{text}");
                        assert!(v["error"]["message"].as_str().unwrap().contains("sur 10"), "{text}");
                        refused += 1;
                    }
                    other => panic!("{b:?}: unexpected {other}: {text}"),
                }
            }
            // Round 0: exactly 10 people get CDAP. Round 1 (another role): only those 10
            // may get it too, since the service quota counts people, not grants.
            assert_eq!((created, refused), (10, 190), "{b:?} round {round}");
        }
        let list = t.state.app.grants(&claire.actor).await.unwrap();
        let mut people: Vec<_> = list.iter().map(|g| g.holder_account_id).collect();
        people.sort();
        people.dedup();
        assert_eq!(people.len(), 10, "{b:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_simultaneous_additions_to_a_granted_group() {
    for b in backends() {
        let t = setup(b).await;
        let claire = t.state.app.login("mons.admin", PASSWORD, &Default::default()).await.unwrap();
        let group = t.state.app.create_group(&claire.actor, "Accueil", &Default::default()).await.unwrap();
        t.state.app.grant(&claire.actor, &NewGrant { holder: Holder::Group(group.id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil du public".into(), ends_on: "".into() }, &Default::default()).await.unwrap();
        let mut users = Vec::new();
        for i in 0..200 {
            let input = UserInput { first_name: "Agent".into(), last_name: format!("G{i}"), email: format!("g{i}@mairie.invalid"), ..Default::default() };
            users.push(t.state.app.create_user(&claire.actor, &input, "https://h", &Default::default()).await.unwrap().id);
        }
        let token = Arc::new(claire.token.clone());
        let mut tasks = Vec::new();
        for u in users {
            let router = habilis_web::router(t.state.clone());
            let token = token.clone();
            let path = format!("/api/v1/groups/{}/members", group.id);
            tasks.push(tokio::spawn(async move {
                let req = Request::post(path)
                    .header(header::AUTHORIZATION, format!("Bearer {token}"))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(json!({ "account": u }).to_string()))
                    .unwrap();
                let resp = router.oneshot(req).await.unwrap();
                let status = resp.status();
                (status, body(resp).await)
            }));
        }
        let (mut added, mut refused) = (0, 0);
        for task in tasks {
            let (status, text) = task.await.unwrap();
            match status {
                StatusCode::NO_CONTENT => added += 1,
                StatusCode::CONFLICT if text.contains("quota_exceeded") => refused += 1,
                other => panic!("{b:?}: unexpected {other}: {text}"),
            }
        }
        assert_eq!((added, refused), (10, 190), "{b:?}");
        let groups = t.state.app.groups(&claire.actor).await.unwrap();
        assert_eq!(groups[0].1.len(), 10, "{b:?}");
    }
}

#[tokio::test]
async fn the_rights_page_designates_a_manager_who_grants_within_the_mandate() {
    use super::hidden;
    let t = setup(habilis_store::Backend::Sqlite).await;
    let claire = t.sign_in("mons.admin").await;
    let html = t.rights("/partner/rights", Some(&claire)).await;
    assert!(html.contains("CDAP") && html.contains("0 / 10"), "{html}");
    let csrf = hidden(&html, "csrf");
    let karim = html.split("<option value=\"").find(|s| s.contains("Karim Haddad")).unwrap().split('"').next().unwrap().to_string();
    let resp = t.post_form("/partner/mandates", Some(&claire), &format!("csrf={csrf}&holder={karim}&scope_CDAP%3AT1=1&may_manage_users=1")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);

    let k = t.sign_in("mons.agent").await;
    let html = t.rights("/partner/rights", Some(&k)).await;
    let csrf = hidden(&html, "csrf");
    let resp = t.post_form("/partner/users", Some(&k), &format!("csrf={csrf}&first_name=L%C3%A9a&last_name=Roux&email=lea%40mairie.invalid&function=")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let html = t.rights("/partner/rights", Some(&k)).await;
    let lea = html.split("<option value=\"").find(|s| s.contains("Léa Roux")).unwrap().split('"').next().unwrap().to_string();
    let resp = t.post_form("/partner/grants", Some(&k), &format!("csrf={csrf}&holder={lea}&service_role=CDAP%3AT1&purpose=Accueil+des+familles&ends_on=")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let html = t.rights("/partner/rights", Some(&k)).await;
    assert!(html.contains("1 / 10"), "the quota figure moved");
    let resp = t.post_form("/partner/grants", Some(&k), &format!("csrf={csrf}&holder={lea}&service_role=CDAP%3AT2&purpose=Instruction&ends_on=")).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let html = body(resp).await;
    assert!(html.contains("Votre mandat ne couvre pas cette action") && html.contains("value=\"Instruction\""), "{html}");
    // A forged form token is refused.
    let resp = t.post_form("/partner/grants", Some(&claire), &format!("csrf=forged&holder={lea}&service_role=CDAP%3AT1&purpose=x")).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

/// Caisse-side and partner-side API routes × eight kinds of person (anonymous, caisse
/// staff, the partner's administrator, its delegated manager, its user, another partner's
/// administrator, another caisse's administrator): the expected answer, and no leak.
#[tokio::test]
async fn authorization_matrix() {
    use habilis_core::commands::PartnerInput;
    use habilis_core::records::{Account, AccountId, AccountStatus, Organisation, OrganisationId, OrganisationKind, Role};
    use habilis_core::{commands::AdministratorInput, records::Slot};
    use habilis_core::store::*;

    let t = setup(habilis_store::Backend::Sqlite).await;
    let app = &t.state.app;
    let cl = Default::default();
    let caf = app.login("caf.admin", PASSWORD, &cl).await.unwrap().actor;
    // Another partner of the same caisse, in delegated mode, with its own administrator.
    let lomme = app
        .create_partner(&caf, &PartnerInput { name: "CCAS de Lomme".into(), siret: "73282932000074".into(), ..Default::default() }, &cl)
        .await
        .unwrap();
    let conv = app.record_convention(&caf, lomme.id, &NewConvention { number: "2024-73282932000074".into(), signed_on: "2024-01-15".into(), signatories: "Le maire".into() }, &cl).await.unwrap();
    app.record_contract(&caf, lomme.id, &NewContract { convention: conv.id, mode: "delegated".into(), signed_on: "2024-01-15".into(), signatories: "Le maire".into() }, &cl).await.unwrap();
    let input = AdministratorInput { first_name: "Léon".into(), last_name: "Lomme".into(), function: "Directeur".into(), email: "l@lomme.invalid".into(), ..Default::default() };
    app.issue_administrator(&caf, lomme.id, Slot::Principal, &input, "https://h", &cl).await.unwrap();
    let msg = app.outbox(&caf, 10).await.unwrap().into_iter().find(|m| m.to_address == "l@lomme.invalid").unwrap();
    let token = msg.body.split("token=").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    app.set_password_with_link(&token, PASSWORD, &cl).await.unwrap();
    // Another caisse.
    let mut tx = app.store.begin().await.unwrap();
    let sud = Organisation { id: OrganisationId::new(), kind: OrganisationKind::Caisse, name: "Caf du Sud".into(), parent_id: None, siret: None, city: None, address: None };
    tx.insert_organisation(&sud, time::OffsetDateTime::now_utc()).await.unwrap();
    tx.insert_account(&Account {
        id: AccountId::new(),
        organisation_id: sud.id,
        login: "sud.admin".into(),
        display_name: "Admin Sud".into(),
        email: "a@sud.invalid".into(),
        function: None,
        status: AccountStatus::Active,
        password_hash: Some(app.hasher.hash(PASSWORD).await.unwrap()),
        must_change_password: false,
        roles: vec![Role::CaisseAdmin],
        last_login_at: None,
        created_at: app.now(),
    })
    .await
    .unwrap();
    let mons = tx.account_by_login("mons.admin").await.unwrap().unwrap().organisation_id;
    let karim = tx.account_by_login("mons.agent").await.unwrap().unwrap().id;
    let deputy = tx.account_by_login("mons.deputy").await.unwrap().unwrap().id;
    tx.commit().await.unwrap();

    // Fixtures of the Mairie, made by its administrator.
    let claire = app.login("mons.admin", PASSWORD, &cl).await.unwrap().actor;
    let grant = app.grant(&claire, &NewGrant { holder: Holder::Person(karim), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil".into(), ends_on: "".into() }, &cl).await.unwrap().id;
    let group = app.create_group(&claire, "Accueil", &cl).await.unwrap().id;
    let lea = app
        .create_user(&claire, &UserInput { first_name: "Léa".into(), last_name: "Roux".into(), email: "lea@m.invalid".into(), ..Default::default() }, "https://h", &cl)
        .await
        .unwrap()
        .id;
    let julie_mandate = app.mandates(&claire).await.unwrap().into_iter().find(|m| m.withdrawn_at.is_none()).unwrap().id;

    let people = ["", "caf.admin", "caf.auditor", "mons.admin", "mons.manager", "mons.agent", "lomme.leon.lomme", "sud.admin"];
    let mut tokens = vec![String::new()];
    for p in &people[1..] {
        let r = app.login(p, PASSWORD, &cl).await.unwrap();
        tokens.push(r.token);
    }
    use StatusCode as S;
    let (ok, created, e401, e403, e404, e409) = (S::OK, S::CREATED, S::UNAUTHORIZED, S::FORBIDDEN, S::NOT_FOUND, S::CONFLICT);
    let rows: Vec<(&str, String, Option<Value>, [StatusCode; 8])> = vec![
        //                                                                   anon  caf.admin caf.audit mons.adm mons.mgr mons.agent lomme.adm sud.adm
        ("GET", "/api/v1/partners".into(), None, [e401, ok, ok, e403, e403, e403, e403, ok]),
        ("GET", format!("/api/v1/partners/{mons}"), None, [e401, ok, ok, ok, ok, e404, e404, e404]),
        ("POST", format!("/api/v1/partners/{mons}/conventions"), Some(json!({"number": "2030-21590410300011", "signed_on": "2030-01-01", "signatories": "x"})), [e401, created, e403, e403, e403, e403, e403, e404]),
        ("POST", format!("/api/v1/partners/{mons}/administrators"), Some(json!({"slot": "deputy", "first_name": "a", "last_name": "b", "function": "c", "email": "d@e.fr"})), [e401, e409, e403, e403, e403, e403, e403, e404]),
        ("GET", "/api/v1/grants".into(), None, [e401, e403, e403, ok, ok, e403, ok, e403]),
        // Karim holds CDAP T1 already: one grant per holder, service and profile (issue 12).
        ("POST", "/api/v1/grants".into(), Some(json!({"holder": karim, "service": "CDAP", "role": "T1", "purpose": "Accueil"})), [e401, e403, e403, e409, e409, e403, e404, e403]),
        ("POST", "/api/v1/grants".into(), Some(json!({"holder": lea, "service": "CDAP", "role": "T1", "purpose": "Accueil"})), [e401, e403, e403, created, e409, e403, e404, e403]),
        // One e-mail address per live account of an organisation (issue 12).
        ("POST", "/api/v1/users".into(), Some(json!({"first_name": "N", "last_name": "U", "email": "n@u.invalid"})), [e401, e403, e403, created, e409, e403, created, e403]),
        ("GET", "/api/v1/mandates".into(), None, [e401, e403, e403, ok, ok, e403, ok, e403]),
        ("GET", "/api/v1/outbox".into(), None, [e401, ok, e403, e403, e403, e403, e403, ok]),
        ("POST", "/api/v1/groups".into(), Some(json!({"name": "Accueil 2"})), [e401, e403, e403, created, e403, e403, created, e403]),
        ("GET", "/api/v1/users".into(), None, [e401, e403, e403, ok, ok, e403, ok, e403]),
        ("GET", format!("/api/v1/users/{karim}"), None, [e401, e403, e403, ok, ok, e403, e404, e403]),
        ("PUT", format!("/api/v1/users/{karim}"), Some(json!({"first_name": "Karim", "last_name": "Haddad", "email": "k@m.invalid"})), [e401, e403, e403, ok, ok, e403, e404, e403]),
        ("POST", format!("/api/v1/users/{karim}/reset-password"), None, [e401, e403, e403, S::NO_CONTENT, S::NO_CONTENT, e403, e404, e403]),
        ("GET", "/api/v1/groups".into(), None, [e401, e403, e403, ok, ok, e403, ok, e403]),
        ("POST", format!("/api/v1/groups/{group}/members"), Some(json!({"account": lea})), [e401, e403, e403, S::NO_CONTENT, e403, e403, e404, e403]),
        ("POST", format!("/api/v1/grants/{grant}/suspend"), None, [e401, e403, e403, S::NO_CONTENT, e409, e403, e404, e403]),
        ("PUT", format!("/api/v1/grants/{grant}/end"), Some(json!({"ends_on": "2099-12-31"})), [e401, e403, e403, S::NO_CONTENT, S::NO_CONTENT, e403, e404, e403]),
        ("PUT", format!("/api/v1/groups/{group}"), Some(json!({"name": "Accueil renommé"})), [e401, e403, e403, S::NO_CONTENT, e403, e403, e404, e403]),
        ("POST", format!("/api/v1/groups/{group}/grants"), Some(json!({"service": "CDAP", "role": "T2", "purpose": "Accueil"})), [e401, e403, e403, created, e403, e403, e404, e403]),
        ("POST", format!("/api/v1/users/{lea}/suspend"), None, [e401, e403, e403, S::NO_CONTENT, e409, e403, e404, e403]),
        ("POST", "/api/v1/mandates".into(), Some(json!({"holder": lea, "scope": [{"service": "CDAP", "role": "T1"}]})), [e401, e403, e403, created, e403, e403, e404, e403]),
        ("POST", format!("/api/v1/partners/{mons}/subscriptions"), Some(json!({"service": "CDAP", "signed_on": "2017-05-11", "formalities_reference": "R", "formalities_on": "2017-04-28", "available_from": "2017-05-11", "max_holders": 10, "amendment_signed_on": "2026-01-15"})), [e401, created, e403, e403, e403, e403, e403, e404]),
        ("POST", format!("/api/v1/partners/{mons}/contacts"), Some(json!({"function": "director", "name": "Directeur"})), [e401, created, e403, created, e403, e403, e404, e404]),
        ("POST", "/api/v1/services".into(), Some(json!({"code": "MATRIX", "label": "Test"})), [e401, created, e403, e403, e403, e403, e403, e409]),
        ("GET", "/api/v1/admin-change-requests".into(), None, [e401, ok, e403, ok, e403, e403, ok, ok]),
        ("POST", "/api/v1/admin-change-requests".into(), Some(json!({"first_name": "A", "last_name": "B", "function": "C", "slot": "deputy", "mobile": "0600000000", "email": "ab@m.invalid"})), [e401, e403, e403, e409, e403, e403, created, e403]),
        ("GET", format!("/api/v1/partners/{mons}/grants"), None, [e401, ok, ok, e403, e403, e404, e404, e404]),
        ("POST", format!("/api/v1/supervision/grants/{grant}/suspend"), Some(json!({"reason": "Usage atypique"})), [e401, S::NO_CONTENT, e403, e403, e403, e403, e403, e404]),
        ("POST", format!("/api/v1/grants/{grant}/resume"), None, [e401, e403, e403, e403, e403, e403, e404, e403]),
        ("POST", format!("/api/v1/supervision/partners/{mons}/force-password-change"), Some(json!({"account": lea})), [e401, ok, e403, e403, e403, e403, e403, e404]),
        ("POST", format!("/api/v1/mandates/{julie_mandate}/withdraw"), None, [e401, e403, e403, ok, e403, e403, e404, e403]),
        // Supervision across partners, and acting for a partner (delegated: read only).
        ("GET", "/api/v1/supervision/grants?service=CDAP".into(), None, [e401, ok, ok, e403, e403, e403, e403, ok]),
        ("GET", "/api/v1/supervision/dormant-accounts?months=6".into(), None, [e401, ok, ok, e403, e403, e403, e403, ok]),
        ("GET", "/api/v1/supervision/incomplete-partners".into(), None, [e401, ok, ok, e403, e403, e403, e403, ok]),
        ("GET", format!("/api/v1/users?partner={mons}"), None, [e401, ok, ok, e403, e403, e403, e403, e404]),
        ("GET", format!("/api/v1/grants?partner={mons}"), None, [e401, ok, ok, e403, e403, e403, e403, e404]),
        // Traces: partner administrators and trace auditors only; the right of access for
        // anyone at a partner.
        ("GET", "/api/v1/traces".into(), None, [e401, e403, ok, ok, e403, e403, ok, e403]),
        ("GET", "/api/v1/traces/export?format=json".into(), None, [e401, e403, ok, ok, e403, e403, ok, e403]),
        ("GET", format!("/api/v1/traces?organisation={mons}"), None, [e401, e403, ok, ok, e403, e403, e404, e403]),
        ("GET", "/api/v1/access-requests".into(), None, [e401, e403, e403, ok, ok, ok, ok, e403]),
        ("POST", format!("/api/v1/users?partner={mons}"), Some(json!({"first_name": "N", "last_name": "V", "email": "n@v.invalid"})), [e401, e403, e403, e403, e403, e403, e403, e404]),
        // The caisse's own staff (issue 12): its administrators only, each their own caisse.
        ("GET", "/api/v1/staff".into(), None, [e401, ok, e403, e403, e403, e403, e403, ok]),
        ("POST", "/api/v1/staff".into(), Some(json!({"first_name": "M", "last_name": "X", "email": "m@x.invalid", "roles": ["service_desk"]})), [e401, created, e403, e403, e403, e403, e403, created]),
        // A lost second factor (issue 11): the principal administrator for the partner's
        // people, the caisse for the partner's administrators; others' are not found.
        ("DELETE", format!("/api/v1/users/{lea}/second-factor"), None, [e401, e403, e403, S::NO_CONTENT, e403, e403, e404, e404]),
        ("DELETE", format!("/api/v1/users/{deputy}/second-factor"), None, [e401, S::NO_CONTENT, e403, e403, e403, e403, e404, e404]),
    ];
    let mut failures = Vec::new();
    for (method, path, payload, expected) in rows {
        for (i, who) in people.iter().enumerate() {
            let (status, v) = t.api(method, &path, &tokens[i], payload.clone()).await;
            if status != expected[i] {
                failures.push(format!("{method} {path} as {}: expected {}, got {status} {v}", if who.is_empty() { "anonymous" } else { who }, expected[i]));
            }
            // Nothing of the Mairie leaks to those who may not see it.
            if [e403, e404].contains(&status) {
                assert!(!v.to_string().contains("Mons-en-Bar"), "{method} {path} as {who}: {v}");
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn groups_on_the_rights_page() {
    use super::hidden;
    let t = setup(habilis_store::Backend::Sqlite).await;
    let claire = t.sign_in("mons.admin").await;
    let html = t.rights("/partner/rights", Some(&claire)).await;
    let csrf = hidden(&html, "csrf");
    let resp = t.post_form("/partner/groups", Some(&claire), &format!("csrf={csrf}&name=Accueil+du+public")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let resp = t.post_form("/partner/groups", Some(&claire), &format!("csrf={csrf}&name=Accueil+du+public")).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT, "names are unique, and the page says so");
    let html = t.rights("/partner/rights", Some(&claire)).await;
    let group = html.split("action=\"/partner/groups/").nth(1).unwrap().split('/').next().unwrap().to_string();
    let karim = html.split("<option value=\"").find(|s| s.contains("Karim Haddad")).unwrap().split('"').next().unwrap().to_string();
    let resp = t.post_form(&format!("/partner/groups/{group}/add"), Some(&claire), &format!("csrf={csrf}&holder={karim}")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let resp = t.post_form(&format!("/partner/groups/{group}/grant"), Some(&claire), &format!("csrf={csrf}&service_role=CDAP%3AT1&purpose=Accueil")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let html = t.rights("/partner/rights", Some(&claire)).await;
    assert!(html.contains("Membres : Karim Haddad"), "{html}");
    let found = body(t.get("/partner/rights/people?q=haddad", Some(&claire)).await).await;
    let users = found.split("id=\"users-title\"").nth(1).unwrap().split("</table>").next().unwrap();
    assert!(users.contains("mons.agent") && !users.contains("mons.deputy"), "search filters the list: {users}");
    assert!(users.contains("Accueil du public"), "each person's groups are listed");
    assert!(html.contains("« Accueil du public »") && html.contains("1 / 10"), "the group's grant counts its member");
    // Karim's file shows the grant he holds through the group, and the group.
    let token = t.token("mons.admin").await;
    let (s, v) = t.api("GET", &format!("/api/v1/users/{karim}"), &token, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["groups"][0]["name"], "Accueil du public");
    assert_eq!(v["grants"].as_array().unwrap().len(), 1);
    assert!(v["last_login_at"].is_null());
    // Grants listed with filters.
    let (_, v) = t.api("GET", "/api/v1/grants?service=CDAP&role=T1&state=active", &token, None).await;
    assert_eq!(v["grants"].as_array().unwrap().len(), 1);
    let (_, v) = t.api("GET", "/api/v1/grants?role=T2", &token, None).await;
    assert_eq!(v["grants"].as_array().unwrap().len(), 0);
    let (_, v) = t.api("GET", &format!("/api/v1/grants?holder={group}"), &token, None).await;
    assert_eq!(v["grants"].as_array().unwrap().len(), 1);
    let (s, _) = t.api("PUT", &format!("/api/v1/groups/{group}"), &token, Some(json!({"name": "Accueil des familles"}))).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // Deleting asks first (issue 17, point 4), saying what it is about and what follows.
    let resp = t.post_form(&format!("/partner/groups/{group}/delete"), Some(&claire), &format!("csrf={csrf}")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let ask = body(resp).await;
    assert!(ask.contains("Supprimer ce groupe ?") && ask.contains("groupe Accueil des familles (1 membre)") && ask.contains("name=\"confirm\" value=\"yes\""), "{ask}");
    let resp = t.post_form(&format!("/partner/groups/{group}/delete"), Some(&claire), &format!("csrf={csrf}&confirm=yes")).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert!(body(resp).await.contains("détient encore des habilitations"));
    // Revoking asks for a reason, keeps it when refused, and traces it.
    let (_, v) = t.api("GET", &format!("/api/v1/grants?holder={group}"), &token, None).await;
    let grant = v["grants"][0]["grant"]["id"].as_str().unwrap().to_string();
    let path = format!("/partner/grants/{grant}/revoke");
    let ask = body(t.post_form(&path, Some(&claire), &format!("csrf={csrf}")).await).await;
    assert!(ask.contains("Retirer cette habilitation ?") && ask.contains("CDAP T1") && ask.contains("name=\"reason\""), "{ask}");
    let resp = t.post_form(&path, Some(&claire), &format!("csrf={csrf}&confirm=yes&reason=+")).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let again = body(resp).await;
    assert!(again.contains("role=\"alert\"") && again.contains("Retirer cette habilitation ?") && again.contains("Motif") && again.contains("aria-invalid=\"true\""), "{again}");
    let resp = t.post_form(&path, Some(&claire), &format!("csrf={csrf}&confirm=yes&reason=Fin+de+la+mission+d%27accueil")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    // The page says what was done, naming it (issue 17, point 5).
    let done = body(t.get(super::location(&resp), Some(&claire)).await).await;
    assert!(done.contains("Habilitation retirée : CDAP T1") && done.contains("groupe Accueil des familles"), "{done}");
    let traces = t.traces("mons.admin").await;
    assert!(traces.iter().any(|r| r.entry.action == "grant.revoke" && r.entry.detail.as_deref() == Some("motif : Fin de la mission d'accueil")));
}

/// Issue 12, item 2, on the pages: the caisse gives the deputy CDAP T1 from the partner's
/// rights page although the Mairie is in delegated mode, and manages that grant only; the
/// partner's grant form does not offer its administrators, nor their grants' buttons.
#[tokio::test]
async fn the_caisse_manages_the_administrators_rights_from_the_pages() {
    use super::hidden;
    use habilis_core::store::*;
    for b in habilis_store::testing::backends() {
        let t = setup(b).await;
        let mons = {
            let mut tx = t.state.app.store.read().await.unwrap();
            tx.account_by_login("mons.admin").await.unwrap().unwrap().organisation_id
        };
        let hugo = {
            let mut tx = t.state.app.store.read().await.unwrap();
            tx.account_by_login("mons.deputy").await.unwrap().unwrap().id
        };
        let caf = t.sign_in("caf.admin").await;
        let page = format!("/caisse/partners/{mons}/rights");
        let html = t.rights(&page, Some(&caf)).await;
        let form = html.split("id=\"g-holder\"").nth(1).unwrap_or_else(|| panic!("{b:?}: the caisse has a grant form")).split("</select>").next().unwrap();
        assert!(form.contains("Hugo Lefebvre") && form.contains("Claire Martin"), "{b:?}: the administrators are offered: {form}");
        assert!(!form.contains("Karim Haddad"), "{b:?}: not the partner's other people (delegated mode): {form}");
        let csrf = hidden(&html, "csrf");
        let resp = t.post_form(&format!("{page}/grants"), Some(&caf), &format!("csrf={csrf}&holder={hugo}&service_role=CDAP%3AT1&purpose=Accueil&ends_on=")).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{b:?}");
        let html = t.rights(&page, Some(&caf)).await;
        assert!(html.contains("/grants/") && html.contains("/revoke"), "{b:?}: the caisse may revoke the deputy's grant");

        let claire = t.sign_in("mons.admin").await;
        let html = t.rights("/partner/rights", Some(&claire)).await;
        let form = html.split("id=\"g-holder\"").nth(1).unwrap().split("</select>").next().unwrap();
        assert!(form.contains("Karim Haddad") && !form.contains("Hugo Lefebvre"), "{b:?}: {form}");
        let grants = html.split("id=\"grants-title\"").nth(1).unwrap().split("</table>").next().unwrap();
        assert!(grants.contains("Hugo Lefebvre") && !grants.contains("/revoke"), "{b:?}: the deputy's grant is listed without buttons: {grants}");
        // And a forged post is refused with the contract's sentence.
        let csrf = hidden(&html, "csrf");
        let resp = t.post_form("/partner/grants", Some(&claire), &format!("csrf={csrf}&holder={hugo}&service_role=CDAP%3AT2&purpose=Accueil&ends_on=")).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{b:?}");
        assert!(body(resp).await.contains("gérées exclusivement par la caisse"), "{b:?}");
    }
}

/// Issue 12, item 9, on the page: a second overlapping mandate is refused with a sentence;
/// the one in force is edited from its row.
#[tokio::test]
async fn a_mandate_is_edited_from_its_row_rather_than_doubled() {
    use super::hidden;
    for b in habilis_store::testing::backends() {
        let t = setup(b).await;
        let claire = t.sign_in("mons.admin").await;
        let html = t.rights("/partner/rights", Some(&claire)).await;
        let csrf = hidden(&html, "csrf");
        let julie = html.split("<option value=\"").find(|s| s.contains("Julie Petit")).unwrap().split('"').next().unwrap().to_string();
        let resp = t.post_form("/partner/mandates", Some(&claire), &format!("csrf={csrf}&holder={julie}&scope_CDAP%3AT1=1")).await;
        assert_eq!(resp.status(), StatusCode::CONFLICT, "{b:?}");
        assert!(body(resp).await.contains("modifiez ce mandat"), "{b:?}");
        let mandate = html.split("/partner/mandates/").nth(1).unwrap().split('/').next().unwrap().to_string();
        assert!(html.contains(&format!("/partner/mandates/{mandate}/edit")), "{b:?}: an edit form on the row");
        let resp = t.post_form(&format!("/partner/mandates/{mandate}/edit"), Some(&claire), &format!("csrf={csrf}&scope_CDAP%3AT1=1&scope_CDAP%3AT2=1&may_manage_users=1")).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{b:?}");
        let token = t.token("mons.admin").await;
        let (_, v) = t.api("GET", "/api/v1/mandates", &token, None).await;
        let live: Vec<_> = v["mandates"].as_array().unwrap().iter().filter(|m| m["withdrawn_at"].is_null()).collect();
        assert_eq!(live.len(), 1, "{b:?}: still one mandate: {v}");
        assert_eq!(live[0]["scope"].as_array().map(|s| s.len()), Some(2), "{b:?}: {v}");
    }
}

/// A delegated manager is offered the withdraw and edit forms only on the mandates they
/// gave (core's `mandates_actor_may_change`), never on their own nor on others'.
#[tokio::test]
async fn a_manager_is_offered_only_the_mandates_they_may_change() {
    use habilis_core::commands::{NewMandate, UserInput};
    let t = setup(habilis_store::Backend::Sqlite).await;
    let app = &t.state.app;
    let cl = Default::default();
    let claire = app.login("mons.admin", PASSWORD, &cl).await.unwrap().actor;
    let julie = app.login("mons.manager", PASSWORD, &cl).await.unwrap().actor;
    // Julie may delegate T1; she gives Léa a T1 mandate; Claire gives Paul one.
    let hers = app.mandates(&claire).await.unwrap().into_iter().find(|m| m.holder_id == julie.account.id).unwrap();
    let t1 = || NewMandate { scope: vec![("CDAP".into(), "T1".into())], may_manage_users: true, may_delegate: true, ..Default::default() };
    app.edit_mandate(&claire, hers.id, &t1(), &cl).await.unwrap();
    let mk = |n: &str| UserInput { first_name: n.into(), last_name: "Test".into(), email: format!("{n}@m.invalid"), ..Default::default() };
    let lea = app.create_user(&claire, &mk("Lea"), "https://h", &cl).await.unwrap();
    let paul = app.create_user(&claire, &mk("Paul"), "https://h", &cl).await.unwrap();
    let julie = app.login("mons.manager", PASSWORD, &cl).await.unwrap().actor;
    let given = app.give_mandate(&julie, lea.id, &NewMandate { scope: vec![("CDAP".into(), "T1".into())], ..Default::default() }, &cl).await.unwrap();
    let other = app.give_mandate(&claire, paul.id, &NewMandate { scope: vec![("CDAP".into(), "T2".into())], ..Default::default() }, &cl).await.unwrap();
    let session = t.sign_in("mons.manager").await;
    let html = t.rights("/partner/rights", Some(&session)).await;
    assert!(html.contains(&format!("/partner/mandates/{}/withdraw", given.id)), "the one she gave");
    assert!(!html.contains(&format!("/partner/mandates/{}/withdraw", hers.id)), "not her own");
    assert!(!html.contains(&format!("/partner/mandates/{}/edit", other.id)), "not one given by someone else");
}

/// Issue 17, point 2: a delegated manager is offered only what their mandate allows (CDAP
/// T1 and users in the demo), and the page states the mandate; the administrator is
/// offered everything.
#[tokio::test]
async fn the_rights_page_offers_only_what_the_mandate_allows() {
    let t = setup(habilis_store::Backend::Sqlite).await;
    let julie = t.sign_in("mons.manager").await;
    let html = t.rights("/partner/rights", Some(&julie)).await;
    assert!(html.contains("Votre mandat : vous pouvez donner CDAP T1 ; gérer les utilisateurs : oui ; gérer les groupes : non ; confier des mandats : non."), "{html}");
    assert!(html.contains("value=\"CDAP:T1\"") && !html.contains("value=\"CDAP:T2\"") && !html.contains("value=\"CDAP:T5\""), "only T1 to give");
    assert!(html.contains("action=\"/partner/users\""), "users: yes");
    assert!(!html.contains("action=\"/partner/groups\"") && !html.contains("action=\"/partner/mandates\""), "groups and mandates: no");
    let claire = t.sign_in("mons.admin").await;
    let html = t.rights("/partner/rights", Some(&claire)).await;
    assert!(!html.contains("id=\"my-mandate\"") && html.contains("value=\"CDAP:T5\"") && html.contains("action=\"/partner/groups\"") && html.contains("action=\"/partner/mandates\""));
}

/// Issue 17, point 2: the caisse's trace auditor reads a partner's file without its edit
/// forms; the caisse's administrator gets them.
#[tokio::test]
async fn a_trace_auditor_reads_the_partner_file_without_edit_forms() {
    let t = setup(habilis_store::Backend::Sqlite).await;
    let cl = habilis_core::trace::ClientInfo::default();
    let partner = t.state.app.login("mons.admin", super::PASSWORD, &cl).await.unwrap().actor.organisation.id;
    let auditor = t.sign_in("caf.auditor").await;
    let html = t.partner_file(&partner.to_string(), Some(&auditor)).await;
    assert!(html.contains("Mairie de Mons"), "the file is read");
    assert!(!html.contains(&format!("action=\"/caisse/partners/{partner}/")) && !html.contains("action=\"/caisse/administrators/") && !html.contains("action=\"/caisse/contacts/"), "no edit form");
    let caf = t.sign_in("caf.admin").await;
    let html = t.partner_file(&partner.to_string(), Some(&caf)).await;
    assert!(html.contains(&format!("action=\"/caisse/partners/{partner}/conventions\"")) && html.contains("action=\"/caisse/administrators/"));
}
