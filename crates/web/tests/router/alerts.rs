//! Alerts on atypical use through the pages, without JavaScript, and the API (both
//! backends): a sign-in at night raises an alert the caisse finds in its menu, opens,
//! acts on (a refused form keeps what was typed) and qualifies; its rules are set with a
//! form an auditor only reads.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use habilis_core::commands::{Holder, NewGrant};
use habilis_core::trace::ClientInfo;
use habilis_store::testing::backends;
use serde_json::Value;
use time::Duration;

use super::{PASSWORD, body, hidden, location, setup};

#[tokio::test]
async fn the_caisse_reads_qualifies_and_acts_on_an_alert_with_plain_forms() {
    for b in backends() {
        let t = setup(b).await;
        let app = &t.state.app;
        let client = ClientInfo::default();
        let claire = app.login("mons.admin", PASSWORD, &client).await.unwrap().actor;
        let karim = app.login("mons.agent", PASSWORD, &client).await.unwrap().actor;
        let g = NewGrant { holder: Holder::Person(karim.account.id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil".into(), ends_on: "".into() };
        app.grant(&claire, &g, &client).await.unwrap();
        // Saturday 28 November 2026, 23:30 in Paris: Karim signs in.
        t.clock.advance(Duration::hours(37) + Duration::minutes(30));
        t.sign_in("mons.agent").await;

        let caf = t.sign_in("caf.admin").await;
        let list = body(t.get("/caisse/alerts", Some(&caf)).await).await;
        assert!(list.contains("href=\"/caisse/alerts\""), "{b:?}: in the caisse's menu");
        assert!(list.contains("Connexion hors des heures") && list.contains("Karim Haddad (mons.agent)") && list.contains("28/11/2026 23:30"), "{b:?}");
        // Everyone signed in that night has one (the caisse's own staff too): Karim's row.
        let row = list.find("Karim Haddad (mons.agent)").unwrap();
        let start = row + list[row..].find("data-alert=\"").expect("an alert") + 12;
        let id = list[start..].split('"').next().unwrap().to_string();
        let page_path = format!("/caisse/alerts/{id}");
        let page = body(t.get(&page_path, Some(&caf)).await).await;
        assert!(page.contains("Connexion le 28/11/2026 23:30 (heure de Paris)") && page.contains("CDAP T1 — "), "{b:?}");
        let csrf = hidden(&page, "csrf");
        let start = page.find("name=\"grant\" value=\"").unwrap() + 20;
        let grant = page[start..].split('"').next().unwrap().to_string();

        // A query without its question: refused in a sentence, the date typed kept.
        let resp = t.post_form(&format!("{page_path}/query"), Some(&caf), &format!("csrf={csrf}&grant={grant}&question=&due_on=2026-12-20")).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b:?}");
        let html = body(resp).await;
        assert!(html.contains("role=\"alert\"") && html.contains("value=\"2026-12-20\"") && html.contains("<details open>"), "{b:?}");
        // A precautionary suspension: done, said, listed on the alert.
        let resp = t.post_form(&format!("{page_path}/suspend"), Some(&caf), &format!("csrf={csrf}&grant={grant}&reason=Connexion+nocturne")).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{b:?}");
        let page = body(t.get(location(&resp), Some(&caf)).await).await;
        assert!(page.contains("Habilitation suspendue à titre conservatoire") && page.contains("Suspension conservatoire"), "{b:?}");
        // Qualifying needs a comment; then the alert leaves the default list.
        let resp = t.post_form(&format!("{page_path}/acknowledge"), Some(&caf), &format!("csrf={csrf}&comment=")).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b:?}");
        assert!(body(resp).await.contains("aria-invalid=\"true\""), "{b:?}");
        let resp = t.post_form(&format!("{page_path}/acknowledge"), Some(&caf), &format!("csrf={csrf}&comment=Astreinte+du+samedi+confirm%C3%A9e")).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{b:?}");
        let page = body(t.get(&page_path, Some(&caf)).await).await;
        assert!(page.contains("Qualifiée par Sophie Durand") && page.contains("Astreinte du samedi confirmée"), "{b:?}");
        assert!(!body(t.get("/caisse/alerts", Some(&caf)).await).await.contains(&id), "{b:?}: open ones by default");
        assert!(body(t.get("/caisse/alerts?status=all", Some(&caf)).await).await.contains(&id), "{b:?}");

        // The rules: a wrong number is refused with the field's name, what was typed kept.
        let rules = body(t.get("/caisse/alerts/rules", Some(&caf)).await).await;
        let csrf = hidden(&rules, "csrf");
        let form = "off_hours=on&office_start_hour=7&office_end_hour=20&weekends_off=on&volume=on&volume_floor=200&volume_history_days=30&new_network=on&network_days=90&failures=on&failures_per_hour=10&dormant=on&dormant_days=90";
        let resp = t.post_form("/caisse/alerts/rules", Some(&caf), &format!("csrf={csrf}&{form}&volume_factor=abc")).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b:?}");
        let html = body(resp).await;
        let summary = html.split("role=\"alert\"").nth(1).and_then(|s| s.split("</div>").next()).unwrap_or_default();
        assert!(summary.contains("journée habituelle") && html.contains("value=\"abc\""), "{b:?}: {summary}");
        let resp = t.post_form("/caisse/alerts/rules", Some(&caf), &format!("csrf={csrf}&{form}&volume_factor=6")).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{b:?}");
        let saved = body(t.get(location(&resp), Some(&caf)).await).await;
        assert!(saved.contains("Règles enregistrées") && saved.contains("value=\"6\""), "{b:?}");

        // The auditor reads the rules, cannot change them; a partner sees no alert.
        let auditor = t.sign_in("caf.auditor").await;
        let page = body(t.get("/caisse/alerts/rules", Some(&auditor)).await).await;
        assert!(page.contains("<fieldset disabled>") && !page.contains("Enregistrer les règles"), "{b:?}");
        let csrf = hidden(&page, "csrf");
        let resp = t.post_form("/caisse/alerts/rules", Some(&auditor), &format!("csrf={csrf}&{form}&volume_factor=5")).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{b:?}");
        let partner = t.sign_in("mons.admin").await;
        assert_eq!(t.get("/caisse/alerts", Some(&partner)).await.status(), StatusCode::FORBIDDEN, "{b:?}");
        assert!(!body(t.get("/", Some(&partner)).await).await.contains("/caisse/alerts"), "{b:?}: not in a partner's menu");

        // The API lists the same alerts, as JSON, to the caisse.
        let signed: Value = serde_json::from_str(&body(t.post_json("/api/v1/session", &format!("{{\"login\":\"caf.admin\",\"password\":\"{PASSWORD}\"}}"), "fr").await).await).unwrap();
        let token = signed["token"].as_str().unwrap();
        let req = Request::get("/api/v1/alerts?status=all").header(header::AUTHORIZATION, format!("Bearer {token}")).body(Body::empty()).unwrap();
        let resp = t.send(req).await;
        assert_eq!(resp.status(), StatusCode::OK, "{b:?}");
        let v: Value = serde_json::from_str(&body(resp).await).unwrap();
        let listed = v["alerts"].as_array().unwrap();
        let ours = listed.iter().find(|a| a["alert"]["id"] == id.as_str()).expect("listed");
        assert_eq!((ours["alert"]["rule"].as_str(), ours["alert"]["status"].as_str()), (Some("off_hours"), Some("acknowledged")), "{b:?}");
        assert_eq!(ours["alert"]["actions"][0]["kind"], "suspend", "{b:?}");
    }
}
