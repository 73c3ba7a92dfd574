//! Quotas under concurrency, through the router: 200 simultaneous grant requests for 200
//! distinct users against a quota of 10.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use habilis_core::grants::UserInput;
use habilis_store::testing::backends;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{PASSWORD, body, setup};

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
        let token = Arc::new(claire.token.clone());
        for round in 0..2 {
            let mut tasks = Vec::new();
            for (i, u) in users.iter().enumerate() {
                let router = habilis_web::router(t.state.clone());
                let token = token.clone();
                let payload = json!({"holder": u, "service": "CDAP", "role": if round == 0 { "T1" } else { "T2" }, "purpose": format!("Dossier {i}")});
                tasks.push(tokio::spawn(async move {
                    let req = Request::post("/api/v1/grants")
                        .header(header::AUTHORIZATION, format!("Bearer {token}"))
                        .header(header::CONTENT_TYPE, "application/json")
                        .body(Body::from(payload.to_string()))
                        .unwrap();
                    let resp = router.oneshot(req).await.unwrap();
                    let status = resp.status();
                    (status, body(resp).await)
                }));
            }
            let (mut created, mut refused) = (0, 0);
            for task in tasks {
                let (status, text) = task.await.unwrap();
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
        t.state.app.grant_to_group(&claire.actor, group.id, "CDAP", "T1", "Accueil du public", "", &Default::default()).await.unwrap();
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
    let html = body(t.get("/partner/rights", Some(&claire)).await).await;
    assert!(html.contains("CDAP") && html.contains("0 / 10"), "{html}");
    let csrf = hidden(&html, "csrf");
    let karim = html.split("<option value=\"").find(|s| s.contains("Karim Haddad")).unwrap().split('"').next().unwrap().to_string();
    let resp = t.post_form("/partner/mandates", Some(&claire), &format!("csrf={csrf}&holder={karim}&scope_CDAP%3AT1=1&may_manage_users=1")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);

    let k = t.sign_in("mons.agent").await;
    let html = body(t.get("/partner/rights", Some(&k)).await).await;
    let csrf = hidden(&html, "csrf");
    let resp = t.post_form("/partner/users", Some(&k), &format!("csrf={csrf}&first_name=L%C3%A9a&last_name=Roux&email=lea%40mairie.invalid&function=")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let html = body(t.get("/partner/rights", Some(&k)).await).await;
    let lea = html.split("<option value=\"").find(|s| s.contains("Léa Roux")).unwrap().split('"').next().unwrap().to_string();
    let resp = t.post_form("/partner/grants", Some(&k), &format!("csrf={csrf}&holder={lea}&service_role=CDAP%3AT1&purpose=Accueil+des+familles&ends_on=")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let html = body(t.get("/partner/rights", Some(&k)).await).await;
    assert!(html.contains("1 / 10"), "the quota figure moved");
    let resp = t.post_form("/partner/grants", Some(&k), &format!("csrf={csrf}&holder={lea}&service_role=CDAP%3AT2&purpose=Instruction&ends_on=")).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let html = body(resp).await;
    assert!(html.contains("Votre mandat ne couvre pas cette action") && html.contains("value=\"Instruction\""), "{html}");
    // A forged form token is refused.
    let resp = t.post_form("/partner/grants", Some(&claire), &format!("csrf=forged&holder={lea}&service_role=CDAP%3AT1&purpose=x")).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}
