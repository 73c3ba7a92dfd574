//! The trace viewer and the right of access through the router: pages, exports, the
//! caisse administrator without the auditor right refused, the request's path.

use axum::http::{StatusCode, header};
use habilis_store::testing::backends;
use serde_json::Value;

use super::{body, hidden, location, setup};

#[tokio::test]
async fn the_partner_administrator_reads_filters_and_exports_their_traces() {
    for b in backends() {
        let t = setup(b).await;
        t.sign_in("mons.agent").await;
        let cl = t.sign_in("mons.admin").await;
        // By default the actions only: Karim only signed in.
        let resp = t.get("/traces?person=mons.agent", Some(&cl)).await;
        assert_eq!(resp.status(), StatusCode::OK, "{b:?}");
        assert!(!body(resp).await.contains("session.login"), "{b:?}: connections left out by default");
        let resp = t.get("/traces?person=mons.agent&show=all", Some(&cl)).await;
        let html = body(resp).await;
        assert!(html.contains("Connexion au portail") && html.contains("<code>session.login</code>") && html.contains("Karim Haddad (mons.agent) — Mairie de Mons"), "{b:?}");
        assert!(html.contains("value=\"mons.agent\""), "{b:?}: the filter stays as typed");
        assert!(!html.contains("caf.admin"), "{b:?}: nothing of the caisse's yet");
        // Names instead of ids, and who acted for whom: the caisse suspends Karim's grant.
        let app = &t.state.app;
        let none = habilis_core::trace::ClientInfo::default();
        let claire = app.login("mons.admin", super::PASSWORD, &none).await.unwrap().actor;
        let sophie = app.login("caf.admin", super::PASSWORD, &none).await.unwrap().actor;
        let karim = app.login("mons.agent", super::PASSWORD, &none).await.unwrap().actor.account;
        let g = habilis_core::commands::NewGrant { holder: habilis_core::commands::Holder::Person(karim.id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil".into(), ends_on: "".into() };
        let grant = app.grant(&claire, &g, &none).await.unwrap();
        app.caisse_suspend_grant(&sophie, grant.id, "Contrôle", &none).await.unwrap();
        let html = body(t.get("/traces", Some(&cl)).await).await;
        assert!(html.contains("Habilitation suspendue par la caisse") && html.contains("Sophie Durand (caf.admin, Caf du Nord) pour le compte de Mairie de Mons-en-Barœul"), "{b:?}");
        assert!(html.contains("CDAP T1 — Karim Haddad") && html.contains("Habilitation donnée"), "{b:?}: the grant in words");
        // A bad date is refused with a sentence, the rest kept.
        let resp = t.get("/traces?from=27%2F11%2F2026&person=mons.agent", Some(&cl)).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b:?}");
        let html = body(resp).await;
        assert!(html.contains("role=\"alert\"") && html.contains("value=\"mons.agent\""), "{b:?}");

        // Exports: CSV for spreadsheets, JSON for tools; both traced.
        let resp = t.get("/traces/export?format=csv&person=mons.agent", Some(&cl)).await;
        assert_eq!(resp.status(), StatusCode::OK, "{b:?}");
        assert!(resp.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
        assert!(resp.headers()[header::CONTENT_DISPOSITION].to_str().unwrap().contains("traces-2026-11-27.csv"));
        let csv = body(resp).await;
        assert!(csv.lines().count() >= 2 && csv.lines().skip(1).all(|l| l.contains(";mons.agent;")), "{b:?}: {csv}");
        let resp = t.get("/traces/export?format=json", Some(&cl)).await;
        let v: Value = serde_json::from_str(&body(resp).await).unwrap();
        assert!(v["traces"].as_array().unwrap().iter().any(|x| x["action"] == "trace.export.csv"), "{b:?}");
        assert_eq!(t.get("/traces/export?format=xls", Some(&cl)).await.status(), StatusCode::BAD_REQUEST);

        // The caisse administrator without the auditor right is refused; the auditor reads.
        let caf = t.sign_in("caf.admin").await;
        assert_eq!(t.get("/traces", Some(&caf)).await.status(), StatusCode::FORBIDDEN, "{b:?}");
        assert_eq!(t.get("/traces/export", Some(&caf)).await.status(), StatusCode::FORBIDDEN, "{b:?}");
        let auditor = t.sign_in("caf.auditor").await;
        let html = body(t.get("/traces?action=trace.", Some(&auditor)).await).await;
        assert!(html.contains("id=\"t-org\"") && html.contains("trace.export.csv"), "{b:?}");
        // The refusal of caf.admin is in the caisse's trail.
        let traces = t.traces("caf.admin").await;
        assert!(traces.iter().any(|r| r.entry.actor_login.as_deref() == Some("caf.admin") && r.entry.outcome.as_str() == "refused"), "{b:?}");
    }
}

#[tokio::test]
async fn a_right_of_access_request_goes_through_the_superior_to_the_administrator() {
    for b in backends() {
        let t = setup(b).await;
        let agent = t.sign_in("mons.agent").await;
        let html = body(t.get("/access-requests", Some(&agent)).await).await;
        let csrf = hidden(&html, "csrf");
        let julie = html.split("<option value=\"").find(|s| s.contains("Julie Petit")).unwrap().split('"').next().unwrap().to_string();
        let resp = t.post_form("/access-requests", Some(&agent), &format!("csrf={csrf}&superior={julie}&reason=Mes+connexions")).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{b:?}");
        assert_eq!(location(&resp), "/access-requests?ok=sent");
        // A superior from elsewhere is refused, what was typed kept.
        let resp = t.post_form("/access-requests", Some(&agent), &format!("csrf={csrf}&superior=00000000-0000-0000-0000-000000000000&reason=Gard%C3%A9")).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{b:?}");
        assert!(body(resp).await.contains("Gardé"), "{b:?}");

        let manager = t.sign_in("mons.manager").await;
        let html = body(t.get("/access-requests", Some(&manager)).await).await;
        assert!(html.contains("Karim Haddad") && html.contains("Transmettre aux administrateurs"), "{b:?}");
        let id = html.split("/access-requests/").nth(1).unwrap().split('/').next().unwrap().to_string();
        let csrf = hidden(&html, "csrf");
        let resp = t.post_form(&format!("/access-requests/{id}/forward"), Some(&manager), &format!("csrf={csrf}")).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{b:?}");

        let admin = t.sign_in("mons.admin").await;
        let resp = t.get(&format!("/access-requests/{id}/export"), Some(&admin)).await;
        assert_eq!(resp.status(), StatusCode::OK, "{b:?}");
        let csv = body(resp).await;
        assert!(csv.lines().skip(1).all(|l| l.contains(";mons.agent;")) && csv.contains("session.login"), "{b:?}");
        // The agent cannot export it for themselves.
        assert_eq!(t.get(&format!("/access-requests/{id}/export"), Some(&agent)).await.status(), StatusCode::FORBIDDEN);
        let html = body(t.get("/access-requests", Some(&admin)).await).await;
        let csrf = hidden(&html, "csrf");
        let resp = t.post_form(&format!("/access-requests/{id}/answer"), Some(&admin), &format!("csrf={csrf}")).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{b:?}");
        let html = body(t.get("/access-requests", Some(&agent)).await).await;
        assert!(html.contains("traitée"), "{b:?}");
        // Issue 12, item 8: the export reaches the requester in the portal.
        assert!(html.contains(&format!("/access-requests/{id}/download")) && html.contains("Télécharger mes traces"), "{b:?}");
        let resp = t.get(&format!("/access-requests/{id}/download"), Some(&agent)).await;
        assert_eq!(resp.status(), StatusCode::OK, "{b:?}");
        let mine = body(resp).await;
        assert!(mine.contains("session.login") && mine.lines().skip(1).all(|l| l.contains(";mons.agent;")), "{b:?}");
        assert_eq!(t.get(&format!("/access-requests/{id}/download"), Some(&admin)).await.status(), StatusCode::NOT_FOUND, "{b:?}: the requester's own");
    }
}
