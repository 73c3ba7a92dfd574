//! Caisse supervision through the router: its page of a partner (read, suspend with a
//! reason, query), what the partner then sees, caisse-managed mode through pages and
//! `?partner=` on the API (with the quota under concurrency), the cross-partner views.

use axum::http::StatusCode;
use habilis_core::commands::{Holder, NewGrant};
use habilis_core::commands::UserInput;
use habilis_store::testing::backends;
use serde_json::{Value, json};

use super::{PASSWORD, body, hidden, location, setup};

fn input(i: usize) -> UserInput {
    UserInput { first_name: "Agent".into(), last_name: format!("S{i}"), email: format!("s{i}@mairie.invalid"), ..Default::default() }
}

#[tokio::test]
async fn the_caisse_suspends_from_its_page_and_the_partner_sees_why_but_cannot_resume() {
    for b in backends() {
        let t = setup(b).await;
        let app = &t.state.app;
        let claire = app.login("mons.admin", PASSWORD, &Default::default()).await.unwrap().actor;
        let mons = claire.organisation.id;
        let u = app.create_user(&claire, &input(1), "https://h", &Default::default()).await.unwrap();
        let g = app.grant(&claire, &NewGrant { holder: Holder::Person(u.id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Instruction RSA".into(), ends_on: "".into() }, &Default::default()).await.unwrap().id;

        let caf = t.sign_in("caf.admin").await;
        let html = t.rights(&format!("/caisse/partners/{mons}/rights"), Some(&caf)).await;
        assert!(html.contains("Gestion déléguée : vous consultez ce partenaire"), "{b:?}");
        assert!(html.contains("Instruction RSA") && html.contains("Agent S1"), "{b:?}");
        // Read-only in delegated mode: no management form, but the supervision ones.
        assert!(!html.contains(&format!("action=\"/caisse/partners/{mons}/rights/users\"")), "{b:?}");
        assert!(!html.contains(&format!("/rights/grants/{g}/revoke")), "{b:?}");
        assert!(html.contains(&format!("/rights/grants/{g}/caisse-suspend")), "{b:?}");
        let csrf = hidden(&html, "csrf");

        // A missing reason is refused with a sentence, the form reopened.
        let resp = t.post_form(&format!("/caisse/partners/{mons}/rights/grants/{g}/caisse-suspend"), Some(&caf), &format!("csrf={csrf}&reason=")).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b:?}");
        let html = body(resp).await;
        assert!(html.contains("role=\"alert\"") && html.contains("Motif"), "{b:?}");
        let resp = t
            .post_form(&format!("/caisse/partners/{mons}/rights/grants/{g}/caisse-suspend"), Some(&caf), &format!("csrf={csrf}&reason=Consultations+atypiques+la+nuit"))
            .await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{b:?}");
        assert!(location(&resp).starts_with(&format!("/caisse/partners/{mons}/rights/grants?ok=")), "{b:?}");
        // A query with a due date, from the same page.
        let due = (app.today() + time::Duration::days(8)).to_string();
        let resp = t
            .post_form(&format!("/caisse/partners/{mons}/rights/grants/{g}/query"), Some(&caf), &format!("csrf={csrf}&question=Qui+consulte+la+nuit+%3F&due_on={due}"))
            .await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{b:?}");

        // The partner's administrator sees the suspension and why, has no resume button,
        // and is refused if they try anyway.
        let cl = t.sign_in("mons.admin").await;
        let html = t.rights("/partner/rights", Some(&cl)).await;
        assert!(html.contains("Suspendue par la caisse") && html.contains("Consultations atypiques la nuit"), "{b:?}");
        assert!(!html.contains(&format!("/partner/grants/{g}/resume")), "{b:?}");
        assert!(html.contains("Qui consulte la nuit ?") && html.contains("/answer"), "{b:?}: the query and its answer form");
        let csrf = hidden(&html, "csrf");
        let resp = t.post_form(&format!("/partner/grants/{g}/resume"), Some(&cl), &format!("csrf={csrf}")).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{b:?}");
        assert!(body(resp).await.contains("seule la caisse peut lever la suspension"), "{b:?}");
        // The suspension is in the partner's trail, with its reason.
        let traces = t.traces("mons.admin").await;
        assert!(traces.iter().any(|r| r.entry.action == "grant.caisse_suspend" && r.entry.detail.as_deref() == Some("Consultations atypiques la nuit")), "{b:?}");

        // Lifted by the caisse, the partner may manage it again.
        let html = t.rights(&format!("/caisse/partners/{mons}/rights"), Some(&caf)).await;
        let csrf = hidden(&html, "csrf");
        let resp = t.post_form(&format!("/caisse/partners/{mons}/rights/grants/{g}/lift"), Some(&caf), &format!("csrf={csrf}")).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{b:?}");
        let html = t.rights("/partner/rights", Some(&cl)).await;
        assert!(!html.contains("Suspendue par la caisse"), "{b:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_caisse_managed_mode_the_caisse_manages_through_the_same_screens_and_quotas_hold() {
    for b in backends() {
        let t = setup(b).await;
        let app = &t.state.app;
        let caf_actor = app.login("caf.admin", PASSWORD, &Default::default()).await.unwrap().actor;
        let mons = app.login("mons.admin", PASSWORD, &Default::default()).await.unwrap().actor.organisation.id;
        let caf = t.token("caf.admin").await;
        let manager = t.token("mons.manager").await;
        let new_user = json!({"first_name": "Nina", "last_name": "Vidal", "email": "nina@mairie.invalid"});

        // Delegated: refused with the reason, in the request's language.
        let (status, v) = t.api("POST", &format!("/api/v1/users?partner={mons}"), &caf, Some(new_user.clone())).await;
        assert_eq!((status, v["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("delegated_mode")), "{b:?}: {v}");
        assert!(v["error"]["message"].as_str().unwrap().contains("gestion déléguée"), "{v}");
        let (status, _) = t.api("GET", "/api/v1/users?partner=pas-un-identifiant", &caf, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // The amendment, through the API.
        let contract = app.partner_file(&caf_actor, mons).await.unwrap().contracts[0].id;
        let today = app.today().to_string();
        let (status, v) = t
            .api("POST", &format!("/api/v1/partners/{mons}/amendments"), &caf, Some(json!({"contract_id": contract, "mode": "caisse_managed", "signed_on": today, "effective_on": today, "reason": "Reprise"})))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{b:?}: {v}");
        // The manager's token from before cannot act; the caisse can.
        let (status, _) = t.api("POST", "/api/v1/users", &manager, Some(new_user.clone())).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{b:?}");
        let (status, v) = t.api("POST", &format!("/api/v1/users?partner={mons}"), &caf, Some(new_user)).await;
        assert_eq!(status, StatusCode::CREATED, "{b:?}: {v}");

        // The same page, now with its forms, posting under the caisse's address.
        let cookie = t.sign_in("caf.admin").await;
        let html = t.rights(&format!("/caisse/partners/{mons}/rights"), Some(&cookie)).await;
        assert!(html.contains("Gestion par la caisse"), "{b:?}");
        assert!(html.contains(&format!("action=\"/caisse/partners/{mons}/rights/groups\"")), "{b:?}");
        let csrf = hidden(&html, "csrf");
        let resp = t.post_form(&format!("/caisse/partners/{mons}/rights/groups"), Some(&cookie), &format!("csrf={csrf}&name=Accueil+du+soir")).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{b:?}");
        let groups = app.groups(&caf_actor.clone().acting_for(mons)).await.unwrap();
        assert!(groups.iter().any(|(g, _)| g.name == "Accueil du soir" && g.organisation_id == mons), "{b:?}");
        // The partner's administrator reads, with a sentence saying why there are no forms.
        let cl = t.sign_in("mons.admin").await;
        let html = t.rights("/partner/rights", Some(&cl)).await;
        assert!(html.contains("La caisse a repris la gestion") && html.contains("Accueil du soir"), "{b:?}");
        assert!(!html.contains("action=\"/partner/groups\""), "{b:?}");

        // 200 simultaneous grants by the caisse through `?partner=`: the quota of 10 holds.
        let for_mons = caf_actor.clone().acting_for(mons);
        let mut users = Vec::new();
        for i in 0..200 {
            users.push(app.create_user(&for_mons, &input(i), "https://h", &Default::default()).await.unwrap().id);
        }
        let already = app.quota_use(&caf_actor, mons).await.unwrap().iter().find(|q| q.service == "CDAP" && q.role.is_none()).unwrap().used;
        let payloads = users.iter().enumerate().map(|(i, u)| json!({"holder": u, "service": "CDAP", "role": "T1", "purpose": format!("Dossier {i}")})).collect();
        let answers = super::grants::all_at_once(&t, &format!("/api/v1/grants?partner={mons}"), &caf, payloads).await;
        let (mut created, mut refused) = (0, 0);
        for (status, text) in answers {
            match status {
                StatusCode::CREATED => created += 1,
                StatusCode::CONFLICT => {
                    let v: Value = serde_json::from_str(&text).unwrap();
                    assert_eq!(v["error"]["code"], "quota_exceeded", "{text}");
                    refused += 1;
                }
                other => panic!("{b:?}: unexpected {other}: {text}"),
            }
        }
        assert_eq!((created, refused), (10 - already, 190 + already), "{b:?}");
    }
}

#[tokio::test]
async fn the_supervision_page_filters_across_partners() {
    for b in backends() {
        let t = setup(b).await;
        let app = &t.state.app;
        let claire = app.login("mons.admin", PASSWORD, &Default::default()).await.unwrap().actor;
        let u = app.create_user(&claire, &input(1), "https://h", &Default::default()).await.unwrap();
        let v = app.create_user(&claire, &input(2), "https://h", &Default::default()).await.unwrap();
        app.grant(&claire, &NewGrant { holder: Holder::Person(u.id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Sans fin".into(), ends_on: "".into() }, &Default::default()).await.unwrap();
        app.grant(&claire, &NewGrant { holder: Holder::Person(v.id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Avec fin".into(), ends_on: "2027-03-31".into() }, &Default::default()).await.unwrap();

        let caf = t.sign_in("caf.admin").await;
        let resp = t.get("/caisse/supervision?view=grants&service=CDAP&no_end_date=1", Some(&caf)).await;
        assert_eq!(resp.status(), StatusCode::OK, "{b:?}");
        let html = body(resp).await;
        assert!(html.contains("Sans fin") && !html.contains("Avec fin"), "{b:?}");
        assert!(html.contains("checked"), "{b:?}: the filters stay as chosen");
        let html = body(t.get("/caisse/supervision?view=dormant&months=6", Some(&caf)).await).await;
        assert!(html.contains("0 résultat(s)"), "{b:?}");
        let resp = t.get("/caisse/supervision?view=dormant&months=abc", Some(&caf)).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b:?}");
        assert!(body(resp).await.contains("role=\"alert\""));
        let cl = t.sign_in("mons.admin").await;
        assert_eq!(t.get("/caisse/supervision", Some(&cl)).await.status(), StatusCode::FORBIDDEN, "{b:?}");

        let token = t.token("caf.admin").await;
        let (status, v) = t.api("GET", "/api/v1/supervision/grants?no_end_date=true", &token, None).await;
        assert_eq!(status, StatusCode::OK);
        let list = v["grants"].as_array().unwrap();
        assert!(list.iter().any(|g| g["purpose"] == "Sans fin") && !list.iter().any(|g| g["purpose"] == "Avec fin"), "{b:?}: {v}");
        let (status, v) = t.api("GET", "/api/v1/supervision/grants?state=perhaps", &token, None).await;
        assert_eq!((status, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("state")), "{v}");
        t.clock.advance(time::Duration::days(200));
        let token = t.token("caf.admin").await;
        let (_, v) = t.api("GET", "/api/v1/supervision/dormant-accounts", &token, None).await;
        assert!(v["accounts"].as_array().unwrap().iter().any(|a| a["login"] == "mons.agent"), "{b:?}: {v}");
    }
}
