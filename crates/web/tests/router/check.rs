//! The business services' API through the router (issue 13): a client registered by the
//! caisse asks, with its secret, whether a person may use its service now.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine as _;
use habilis_store::testing::backends;
use serde_json::{Value, json};

use super::{T, body, setup};

impl T {
    async fn as_service(&self, path: &str, id: &str, secret: &str) -> (StatusCode, Value) {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
        let r = Request::get(path).header(header::AUTHORIZATION, format!("Basic {basic}")).body(Body::empty()).unwrap();
        let resp = self.send(r).await;
        let status = resp.status();
        (status, serde_json::from_str(&body(resp).await).unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn a_registered_service_asks_whether_a_person_may_use_it_now() {
    for b in backends() {
        let t = setup(b).await;
        let caf = t.token("caf.admin").await;
        // Only a caisse administrator registers a client; the secret is shown once.
        let claire = t.token("mons.admin").await;
        let body_cdap = json!({"service": "CDAP", "client_id": "cdap", "name": "CDAP", "redirect_uris": ["https://cdap.example/callback"]});
        assert_eq!(t.api("POST", "/api/v1/clients", &claire, Some(body_cdap.clone())).await.0, StatusCode::FORBIDDEN, "{b:?}");
        let (s, v) = t.api("POST", "/api/v1/clients", &caf, Some(body_cdap.clone())).await;
        assert_eq!(s, StatusCode::CREATED, "{b:?} {v}");
        let secret = v["client_secret"].as_str().unwrap().to_string();
        let (s, v) = t.api("POST", "/api/v1/clients", &caf, Some(body_cdap)).await;
        assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("taken")), "{b:?}");
        let (s, v) = t.api("POST", "/api/v1/clients", &caf, Some(json!({"service": "CDAP", "client_id": "evil", "name": "X", "redirect_uris": ["http://evil.example/cb"]}))).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("redirect_uris")), "{b:?}: plain http only on the local machine");

        // Without the right secret: 401.
        assert_eq!(t.as_service("/api/v1/check?person=mons.agent&role=T1", "cdap", "wrong").await.0, StatusCode::UNAUTHORIZED, "{b:?}");
        let r = t.send(Request::get("/api/v1/check?person=mons.agent&role=T1").body(Body::empty()).unwrap()).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{b:?}");
        // No grant yet; then the partner grants T1.
        let (s, v) = t.as_service("/api/v1/check?person=mons.agent&role=T1", "cdap", &secret).await;
        assert_eq!((s, v["allowed"].as_bool(), v["reason"].as_str()), (StatusCode::OK, Some(false), Some("no_grant")), "{b:?} {v}");
        let (_, users) = t.api("GET", "/api/v1/users", &claire, None).await;
        let karim = users["users"].as_array().unwrap().iter().find(|u| u["login"] == "mons.agent").unwrap()["id"].as_str().unwrap().to_string();
        let (s, _) = t.api("POST", "/api/v1/grants", &claire, Some(json!({"holder": karim, "service": "CDAP", "role": "T1", "purpose": "Accueil"}))).await;
        assert_eq!(s, StatusCode::CREATED, "{b:?}");
        let (s, v) = t.as_service("/api/v1/check?person=mons.agent&role=T1", "cdap", &secret).await;
        assert_eq!((s, v["allowed"].as_bool()), (StatusCode::OK, Some(true)), "{b:?} {v}");
        let (_, v) = t.as_service("/api/v1/check/roles?person=mons.agent", "cdap", &secret).await;
        assert_eq!(v["roles"], json!(["T1"]), "{b:?}");
        // A question without a person or a role is refused with a sentence.
        let (s, v) = t.as_service("/api/v1/check?role=T1", "cdap", &secret).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("person")), "{b:?} {v}");
        let (s, _) = t.as_service("/api/v1/check?person=mons.agent", "cdap", &secret).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b:?}");
    }
}

/// The caisse registers a service from its page: the secret is shown once, never cached,
/// and works at once; a refused registration keeps what was typed.
#[tokio::test]
async fn the_caisse_registers_a_service_from_its_page() {
    use super::hidden;
    for b in backends() {
        let t = setup(b).await;
        let caf = t.sign_in("caf.admin").await;
        assert!(body(t.get("/", Some(&caf)).await).await.contains("href=\"/caisse/clients\""), "{b:?}: in the menu");
        let html = body(t.get("/caisse/clients", Some(&caf)).await).await;
        let csrf = hidden(&html, "csrf");
        let bad = t.post_form("/caisse/clients", Some(&caf), &format!("csrf={csrf}&service=CDAP&client_id=cdap&name=CDAP&redirect_uris=http%3A%2F%2Fevil.example%2Fcb")).await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b:?}");
        assert!(body(bad).await.contains("http://evil.example/cb"), "{b:?}: kept");
        let ok = t.post_form("/caisse/clients", Some(&caf), &format!("csrf={csrf}&service=CDAP&client_id=cdap&name=CDAP&redirect_uris=https%3A%2F%2Fcdap.example%2Fcb")).await;
        assert_eq!(ok.status(), StatusCode::OK, "{b:?}");
        assert_eq!(ok.headers().get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()), Some("no-store"), "{b:?}");
        let html = body(ok).await;
        let secret = html.split("id=\"new-client-secret\">").nth(1).unwrap().split('<').next().unwrap().to_string();
        assert_eq!(t.as_service("/api/v1/check/roles?person=mons.agent", "cdap", &secret).await.0, StatusCode::OK, "{b:?}");
        // Listed without its secret afterwards.
        let html = body(t.get("/caisse/clients", Some(&caf)).await).await;
        assert!(html.contains("https://cdap.example/cb") && !html.contains(&secret), "{b:?}");
        let auditor = t.sign_in("caf.auditor").await;
        assert_eq!(t.get("/caisse/clients", Some(&auditor)).await.status(), StatusCode::FORBIDDEN, "{b:?}");
    }
}
