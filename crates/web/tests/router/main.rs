//! Router tests: the real router through `oneshot`, on a fresh database per test (SQLite,
//! and PostgreSQL too when `HABILIS_TEST_DATABASE_URL` is set).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use habilis_core::app::{App, SessionPolicy, ThrottlePolicy};
use habilis_core::clock::SimulatedClock;
use habilis_core::password::{PasswordHasher, PasswordPolicy};
use habilis_core::store::*;
use habilis_core::trace::TraceKey;
use habilis_store::testing::{backends, fresh};
use habilis_store::{Backend, Db};
use habilis_web::{AppState, WebConfig, metrics::Metrics, router};
use time::{Duration, macros::datetime};
use tower::ServiceExt;

const PASSWORD: &str = "Tournesol-Bleu-42-Lille";
const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
const IE11: &str = "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko";

struct T {
    state: AppState,
    clock: SimulatedClock,
    key: TraceKey,
}

async fn setup_with(b: Backend, web: WebConfig) -> T {
    let key = TraceKey::generate();
    let db = fresh(b, key.clone()).await.unwrap();
    let clock = SimulatedClock::new(datetime!(2026-11-27 09:00 UTC));
    let app = App {
        store: db,
        clock: Arc::new(clock.clone()),
        hasher: PasswordHasher::insecure_for_tests(),
        passwords: PasswordPolicy::default(),
        sessions: SessionPolicy::default(),
        throttle: ThrottlePolicy::default(),
    };
    app.load_demo(PASSWORD).await.unwrap();
    T { state: AppState { app, config: Arc::new(web), metrics: Arc::new(Metrics::default()) }, clock, key }
}

async fn setup(b: Backend) -> T {
    setup_with(b, WebConfig::default()).await
}

impl T {
    async fn send(&self, req: Request<Body>) -> Response<Body> {
        router(self.state.clone()).oneshot(req).await.unwrap()
    }
    async fn get(&self, path: &str, cookie: Option<&str>) -> Response<Body> {
        let mut r = Request::get(path).header(header::USER_AGENT, CHROME);
        if let Some(c) = cookie {
            r = r.header(header::COOKIE, c);
        }
        self.send(r.body(Body::empty()).unwrap()).await
    }
    async fn post_form(&self, path: &str, cookie: Option<&str>, body: &str) -> Response<Body> {
        let mut r = Request::post(path)
            .header(header::USER_AGENT, CHROME)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            r = r.header(header::COOKIE, c);
        }
        self.send(r.body(Body::from(body.to_string())).unwrap()).await
    }
    async fn post_json(&self, path: &str, body: &str, lang: &str) -> Response<Body> {
        let r = Request::post(path)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT_LANGUAGE, lang)
            .body(Body::from(body.to_string()))
            .unwrap();
        self.send(r).await
    }
    /// Sign in through the HTML form; returns the session cookie pair.
    async fn sign_in(&self, login: &str) -> String {
        let page = self.get("/login", None).await;
        let csrf_cookie = set_cookie(&page, "habilis_csrf").unwrap();
        let html = body(page).await;
        let csrf = hidden(&html, "csrf");
        let resp = self
            .post_form("/login", Some(&csrf_cookie), &format!("csrf={csrf}&login={login}&password={PASSWORD}"))
            .await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "sign-in of {login}");
        set_cookie(&resp, "habilis_session").unwrap()
    }
    async fn traces(&self, login: &str) -> Vec<habilis_core::trace::TraceRecord> {
        let mut tx = self.state.app.store.read().await.unwrap();
        let account = tx.account_by_login(login).await.unwrap().unwrap();
        tx.recent_traces(Some(account.organisation_id), 50).await.unwrap()
    }
}

/// The `name=value` pair of a `Set-Cookie` header.
fn set_cookie(resp: &Response<Body>, name: &str) -> Option<String> {
    resp.headers().get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
        let pair = v.split(';').next()?;
        pair.starts_with(&format!("{name}=")).then(|| pair.to_string())
    })
}

async fn body(resp: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no hidden {name} in {html}")) + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

fn location(resp: &Response<Body>) -> &str {
    resp.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[tokio::test]
async fn login_page_is_french_with_an_english_switch() {
    let t = setup(Backend::Sqlite).await;
    let resp = t.get("/login", None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = body(resp).await;
    assert!(html.contains("<html lang=\"fr\">"));
    assert!(html.contains("<h1>Connexion</h1>"));
    assert!(html.contains("href=\"/login?lang=en\""));
    assert!(html.contains("autocomplete=\"current-password\""));

    let resp = t.get("/login?lang=en", None).await;
    assert_eq!(set_cookie(&resp, "habilis_lang").as_deref(), Some("habilis_lang=en"));
    let html = body(resp).await;
    assert!(html.contains("<html lang=\"en\">") && html.contains("<h1>Sign in</h1>"));
    // The choice sticks through its cookie.
    let html = body(t.get("/login", Some("habilis_lang=en")).await).await;
    assert!(html.contains("<h1>Sign in</h1>"));
}

#[tokio::test]
async fn sign_in_home_and_sign_out() {
    for b in backends() {
        let t = setup(b).await;
        let session = t.sign_in("mons.admin").await;
        let resp = t.get("/", Some(&session)).await;
        assert_eq!(resp.status(), StatusCode::OK, "{b:?}");
        let html = body(resp).await;
        assert!(html.contains("Bonjour Claire Martin"), "{b:?}");
        assert!(html.contains("Mairie de Mons-en-Barœul"));
        assert!(html.contains("Administrateur"));
        assert!(html.contains("Nadia Benali"), "contacts shown to the administrator");
        let csrf = hidden(&html, "csrf");

        // Sign-out needs the session's form token…
        let refused = t.post_form("/logout", Some(&session), "csrf=forged").await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert_eq!(t.get("/", Some(&session)).await.status(), StatusCode::OK, "still signed in");
        // …and then ends the session on the server.
        let out = t.post_form("/logout", Some(&session), &format!("csrf={csrf}")).await;
        assert_eq!(out.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&out), "/login?bye=1");
        let after = t.get("/", Some(&session)).await;
        assert_eq!(after.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&after), "/login");
        let actions: Vec<String> = t.traces("mons.admin").await.into_iter().map(|r| r.entry.action).collect();
        assert!(actions.contains(&"session.logout".to_string()), "{actions:?}");
        assert!(actions.contains(&"session.login".to_string()));
    }
}

#[tokio::test]
async fn each_role_gets_its_home() {
    let t = setup(Backend::Sqlite).await;
    for (login, expected) in [
        ("caf.admin", "Tableau de bord de la caisse"),
        ("mons.manager", "dans la limite de votre mandat"),
        ("mons.agent", "Vos services et vos habilitations"),
        ("caf.auditor", "Espace du personnel de la caisse"),
    ] {
        let session = t.sign_in(login).await;
        let html = body(t.get("/", Some(&session)).await).await;
        assert!(html.contains(expected), "{login}");
    }
}

#[tokio::test]
async fn a_new_session_id_at_every_login() {
    let t = setup(Backend::Sqlite).await;
    let a = t.sign_in("mons.admin").await;
    let b = t.sign_in("mons.admin").await;
    assert_ne!(a, b);
}

#[tokio::test]
async fn wrong_password_keeps_the_login_and_says_why() {
    let t = setup(Backend::Sqlite).await;
    let page = t.get("/login", None).await;
    let csrf_cookie = set_cookie(&page, "habilis_csrf").unwrap();
    let csrf = hidden(&body(page).await, "csrf");
    let resp = t.post_form("/login", Some(&csrf_cookie), &format!("csrf={csrf}&login=mons.admin&password=nope")).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookie(&resp, "habilis_session").is_none());
    let html = body(resp).await;
    assert!(html.contains("Identifiant ou mot de passe incorrect."));
    assert!(html.contains("value=\"mons.admin\""), "what was typed is kept");
    assert!(html.contains("role=\"alert\""));
    // Unknown login: the very same answer.
    let resp = t.post_form("/login", Some(&csrf_cookie), &format!("csrf={csrf}&login=personne&password=nope")).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(body(resp).await.contains("Identifiant ou mot de passe incorrect."));
}

#[tokio::test]
async fn forms_without_their_token_or_from_another_site_are_refused() {
    let t = setup(Backend::Sqlite).await;
    // No anti-forgery cookie: refused, nothing signed in.
    let resp = t.post_form("/login", None, &format!("csrf=x&login=mons.admin&password={PASSWORD}")).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&resp, "habilis_session").is_none());
    // Cookie and field that differ: refused.
    let resp = t
        .post_form("/login", Some("habilis_csrf=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), &format!("csrf=b&login=mons.admin&password={PASSWORD}"))
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(body(resp).await.contains("Le formulaire a expiré ou ne vient pas de ce site"));
    // Another site's origin: refused before any handler.
    let req = Request::post("/login")
        .header(header::USER_AGENT, CHROME)
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::ORIGIN, "https://evil.example")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("csrf=x&login=a&password=b"))
        .unwrap();
    assert_eq!(t.send(req).await.status(), StatusCode::FORBIDDEN);
    let req = Request::post("/api/v1/session")
        .header("sec-fetch-site", "cross-site")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(format!("{{\"login\":\"mons.admin\",\"password\":\"{PASSWORD}\"}}")))
        .unwrap();
    assert_eq!(t.send(req).await.status(), StatusCode::FORBIDDEN);
    // A sibling site is not this site either.
    let req = Request::post("/logout")
        .header(header::USER_AGENT, CHROME)
        .header("sec-fetch-site", "same-site")
        .body(Body::empty())
        .unwrap();
    assert_eq!(t.send(req).await.status(), StatusCode::FORBIDDEN);
    // `Origin: null` with no Fetch Metadata cannot be vouched for.
    let req = Request::post("/api/v1/session")
        .header(header::ORIGIN, "null")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(format!("{{\"login\":\"mons.admin\",\"password\":\"{PASSWORD}\"}}")))
        .unwrap();
    assert_eq!(t.send(req).await.status(), StatusCode::FORBIDDEN);
    // What Chromium sends for a same-site form: `Origin: null` and `Sec-Fetch-Site:
    // same-origin`. It must pass (found by the browser test).
    let page = t.get("/login", None).await;
    let csrf_cookie = set_cookie(&page, "habilis_csrf").unwrap();
    let csrf = hidden(&body(page).await, "csrf");
    let req = Request::post("/login")
        .header(header::USER_AGENT, CHROME)
        .header(header::ORIGIN, "null")
        .header("sec-fetch-site", "same-origin")
        .header(header::COOKIE, &csrf_cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("csrf={csrf}&login=mons.admin&password={PASSWORD}")))
        .unwrap();
    assert_eq!(t.send(req).await.status(), StatusCode::SEE_OTHER);
    // Same origin passes.
    let req = Request::post("/api/v1/session")
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::ORIGIN, "http://127.0.0.1:8080")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(format!("{{\"login\":\"mons.admin\",\"password\":\"{PASSWORD}\"}}")))
        .unwrap();
    assert_eq!(t.send(req).await.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn api_session_me_and_logout() {
    for b in backends() {
        let t = setup(b).await;
        let resp = t.post_json("/api/v1/session", &format!("{{\"login\":\"mons.deputy\",\"password\":\"{PASSWORD}\"}}"), "fr").await;
        assert_eq!(resp.status(), StatusCode::CREATED, "{b:?}");
        let v: serde_json::Value = serde_json::from_str(&body(resp).await).unwrap();
        let token = v["token"].as_str().unwrap().to_string();
        let me = Request::get("/api/v1/me").header(header::AUTHORIZATION, format!("Bearer {token}")).body(Body::empty()).unwrap();
        let resp = t.send(me).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let v: serde_json::Value = serde_json::from_str(&body(resp).await).unwrap();
        assert_eq!(v["login"], "mons.deputy");
        assert_eq!(v["roles"], serde_json::json!(["partner_deputy"]));
        assert_eq!(v["organisation"]["name"], "Mairie de Mons-en-Barœul");
        assert_eq!(v["organisation"]["kind"], "partner");

        // The read is traced with who, session, address and browser.
        let traces = t.traces("mons.deputy").await;
        let read = traces.iter().find(|r| r.entry.action == "http.get").expect("read traced");
        assert_eq!(read.entry.target.as_deref(), Some("/api/v1/me"));
        assert_eq!(read.entry.actor_login.as_deref(), Some("mons.deputy"));
        assert!(read.entry.session_id.is_some());

        let del = Request::delete("/api/v1/session").header(header::AUTHORIZATION, format!("Bearer {token}")).body(Body::empty()).unwrap();
        assert_eq!(t.send(del).await.status(), StatusCode::NO_CONTENT);
        let me = Request::get("/api/v1/me").header(header::AUTHORIZATION, format!("Bearer {token}")).body(Body::empty()).unwrap();
        let resp = t.send(me).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        assert!(body(resp).await.contains("not_authenticated"));
        let report = habilis_core::services::audit::verify(&t.state.app.store, &t.key, None).await.unwrap();
        assert!(report.finding.is_none());
    }
}

#[tokio::test]
async fn throttling_answers_429_with_retry_after() {
    let t = setup(Backend::Sqlite).await;
    for _ in 0..6 {
        let r = t.post_json("/api/v1/session", "{\"login\":\"mons.admin\",\"password\":\"wrong\"}", "fr").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = t.post_json("/api/v1/session", &format!("{{\"login\":\"mons.admin\",\"password\":\"{PASSWORD}\"}}"), "en").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get(header::RETRY_AFTER).is_some());
    assert!(body(r).await.contains("Too many sign-in attempts"));
    t.clock.advance(Duration::seconds(2));
    let r = t.post_json("/api/v1/session", &format!("{{\"login\":\"mons.admin\",\"password\":\"{PASSWORD}\"}}"), "fr").await;
    assert_eq!(r.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn sessions_expire_on_the_simulated_clock() {
    let t = setup(Backend::Sqlite).await;
    let session = t.sign_in("mons.agent").await;
    t.clock.advance(Duration::minutes(29));
    assert_eq!(t.get("/", Some(&session)).await.status(), StatusCode::OK);
    t.clock.advance(Duration::minutes(29));
    assert_eq!(t.get("/", Some(&session)).await.status(), StatusCode::OK, "activity renews the idle limit");
    t.clock.advance(Duration::minutes(31));
    let resp = t.get("/login", Some(&session)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(set_cookie(&resp, "habilis_session").as_deref(), Some("habilis_session="), "cookie cleared");
    assert!(body(resp).await.contains("Votre session a expiré"));
    let traces = t.traces("mons.agent").await;
    assert!(traces.iter().any(|r| r.entry.action == "session.expire" && r.entry.detail.as_deref() == Some("idle_timeout")));
}

#[tokio::test]
async fn obsolete_browsers_get_a_page_saying_why() {
    let t = setup(Backend::Sqlite).await;
    let req = Request::get("/login").header(header::USER_AGENT, IE11).body(Body::empty()).unwrap();
    let resp = t.send(req).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let html = body(resp).await;
    assert!(html.contains("Navigateur trop ancien"));
    assert!(html.contains("Internet Explorer"));
    assert!(!html.contains("type=\"password\""), "no login form");
    let old = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36";
    let req = Request::get("/login?lang=en").header(header::USER_AGENT, old).body(Body::empty()).unwrap();
    let html = body(t.send(req).await).await;
    assert!(html.contains("Chrome 109") && html.contains("130"), "{html}");
    // The API and health endpoints are not pages: no browser check there.
    let req = Request::get("/healthz").header(header::USER_AGENT, IE11).body(Body::empty()).unwrap();
    assert_eq!(t.send(req).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn bad_input_gets_a_4xx_with_a_sentence() {
    let t = setup_with(Backend::Sqlite, WebConfig { max_body_bytes: 1024, ..WebConfig::default() }).await;
    let cases: Vec<(Request<Body>, StatusCode, &str)> = vec![
        (json_req("{\"login\":", "fr"), StatusCode::BAD_REQUEST, "n'est pas un JSON valide"),
        (json_req("{\"login\":\"a\",\"password\":\"b\",\"admin\":true}", "fr"), StatusCode::UNPROCESSABLE_ENTITY, "admin"),
        (json_req("{\"login\":1,\"password\":\"b\"}", "en"), StatusCode::UNPROCESSABLE_ENTITY, "does not match"),
        (json_req("{\"login\":\"a\"}", "fr"), StatusCode::UNPROCESSABLE_ENTITY, "password"),
        (json_req(&format!("{{\"login\":\"{}\",\"password\":\"b\"}}", "x".repeat(5000)), "fr"), StatusCode::PAYLOAD_TOO_LARGE, "trop volumineuse"),
        (
            Request::post("/api/v1/session").header(header::CONTENT_TYPE, "application/json").body(Body::from(vec![b'"', 0xff, 0xfe, b'"'])).unwrap(),
            StatusCode::BAD_REQUEST,
            "JSON",
        ),
        (
            Request::post("/api/v1/session").body(Body::from("login=a")).unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "application/json",
        ),
        (
            Request::post("/login")
                .header(header::USER_AGENT, CHROME)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(vec![b'l', b'o', b'g', b'i', b'n', b'=', 0xff, 0xfe]))
                .unwrap(),
            // Form decoding is lossy (invalid bytes become U+FFFD); the form then lacks
            // its token and is refused with a sentence.
            StatusCode::FORBIDDEN,
            "Le formulaire a expiré",
        ),
        (Request::get("/api/v1/nothing").body(Body::empty()).unwrap(), StatusCode::NOT_FOUND, "n'existe pas"),
        (Request::get("/nulle-part").header(header::USER_AGENT, CHROME).body(Body::empty()).unwrap(), StatusCode::NOT_FOUND, "Page introuvable"),
        (Request::put("/api/v1/me").body(Body::empty()).unwrap(), StatusCode::METHOD_NOT_ALLOWED, "méthode"),
        (Request::get("/set-password?token=forged").header(header::USER_AGENT, CHROME).body(Body::empty()).unwrap(), StatusCode::GONE, "plus valable"),
    ];
    for (i, (req, status, text)) in cases.into_iter().enumerate() {
        let resp = t.send(req).await;
        assert_eq!(resp.status(), status, "case {i}");
        let b = body(resp).await;
        assert!(b.contains(text), "case {i}: {b}");
    }
}

fn json_req(body: &str, lang: &str) -> Request<Body> {
    Request::post("/api/v1/session")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT_LANGUAGE, lang)
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn security_headers_and_secure_cookies_behind_tls() {
    let t = setup_with(Backend::Sqlite, WebConfig { public_url: "https://habilis.caf-du-nord.fr".into(), ..WebConfig::default() }).await;
    let resp = t.get("/login", None).await;
    let h = resp.headers();
    assert!(h[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert!(!h[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("unsafe-inline"));
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(h.get(header::STRICT_TRANSPORT_SECURITY).is_some());
    let csrf = h.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).find(|v| v.starts_with("__Host-habilis_csrf=")).unwrap();
    assert!(csrf.contains("Secure") && csrf.contains("HttpOnly") && csrf.contains("Path=/"));
    let cookie = csrf.split(';').next().unwrap().to_string();
    let token = hidden(&body(resp).await, "csrf");
    let resp = t.post_form("/login", Some(&cookie), &format!("csrf={token}&login=mons.admin&password={PASSWORD}")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let session = resp.headers().get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).find(|v| v.starts_with("__Host-habilis_session=")).unwrap();
    assert!(session.contains("Secure") && session.contains("HttpOnly") && session.contains("SameSite=Lax"));
    // Plain HTTP (local demo): no HSTS.
    let plain = setup(Backend::Sqlite).await;
    assert!(plain.get("/login", None).await.headers().get(header::STRICT_TRANSPORT_SECURITY).is_none());
}

#[tokio::test]
async fn set_password_through_the_one_time_link() {
    let key = TraceKey::generate();
    let db: Db = fresh(Backend::Sqlite, key).await.unwrap();
    let clock = SimulatedClock::new(datetime!(2026-11-27 09:00 UTC));
    let app = App {
        store: db,
        clock: Arc::new(clock),
        hasher: PasswordHasher::insecure_for_tests(),
        passwords: PasswordPolicy::default(),
        sessions: SessionPolicy::default(),
        throttle: ThrottlePolicy::default(),
    };
    let init = app.init_first_admin("caf.chef", "chef@caf.fr", "Anne Chef", "Caf du Nord").await.unwrap();
    let t = T { state: AppState { app, config: Arc::new(WebConfig::default()), metrics: Arc::new(Metrics::default()) }, clock: SimulatedClock::new(datetime!(2026-11-27 09:00 UTC)), key: TraceKey::generate() };
    let link = format!("/set-password?token={}", init.link_token);
    let html = body(t.get(&link, None).await).await;
    assert!(html.contains("caf.chef") && html.contains("14 caractères"), "privileged rule shown");
    let mismatch = t.post_form("/set-password", None, &format!("token={}&password={PASSWORD}&confirm=other", init.link_token)).await;
    assert_eq!(mismatch.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(mismatch).await.contains("ne sont pas identiques"));
    let weak = t.post_form("/set-password", None, &format!("token={}&password=Azerty1234567!x&confirm=Azerty1234567!x", init.link_token)).await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(weak).await.contains("trop courant"));
    let ok = t.post_form("/set-password", None, &format!("token={}&password={PASSWORD}&confirm={PASSWORD}", init.link_token)).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&ok), "/login?done=1");
    assert_eq!(t.get(&link, None).await.status(), StatusCode::GONE, "single use");
    let session = t.sign_in("caf.chef").await;
    assert!(body(t.get("/", Some(&session)).await).await.contains("Bonjour Anne Chef"));
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let t = setup(Backend::Sqlite).await;
    assert_eq!(t.get("/healthz", None).await.status(), StatusCode::OK);
    assert_eq!(t.get("/readyz", None).await.status(), StatusCode::OK);
    let _ = t.sign_in("mons.admin").await;
    let m = body(t.get("/metrics", None).await).await;
    assert!(m.contains("habilis_logins_total{outcome=\"success\"} 1"), "{m}");
    assert!(m.contains("habilis_http_responses_total{class=\"2xx\"}"));
    t.state.app.store.close().await;
    assert_eq!(t.get("/readyz", None).await.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn change_my_password_ends_my_other_sessions() {
    let t = setup(Backend::Sqlite).await;
    let a = t.sign_in("mons.agent").await;
    let b = t.sign_in("mons.agent").await;
    let html = body(t.get("/password", Some(&a)).await).await;
    assert!(html.contains("Mot de passe actuel"));
    let csrf = hidden(&html, "csrf");
    const NEW: &str = "Coquelicot-Rouge-17";
    let wrong = t.post_form("/password", Some(&a), &format!("csrf={csrf}&current=nope&password={NEW}&confirm={NEW}")).await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(wrong).await.contains("Le mot de passe actuel est incorrect."));
    let forged = t.post_form("/password", Some(&a), &format!("csrf=x&current={PASSWORD}&password={NEW}&confirm={NEW}")).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let weak = t.post_form("/password", Some(&a), &format!("csrf={csrf}&current={PASSWORD}&password=abc&confirm=abc")).await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let ok = t.post_form("/password", Some(&a), &format!("csrf={csrf}&current={PASSWORD}&password={NEW}&confirm={NEW}")).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(t.get("/", Some(&a)).await.status(), StatusCode::OK, "this session goes on");
    assert_eq!(location(&t.get("/", Some(&b)).await), "/login", "the other one is closed");
    let r = t.post_json("/api/v1/session", &format!("{{\"login\":\"mons.agent\",\"password\":\"{NEW}\"}}"), "fr").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = t.post_json("/api/v1/session", &format!("{{\"login\":\"mons.agent\",\"password\":\"{PASSWORD}\"}}"), "fr").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_forced_password_change_comes_before_anything_else() {
    let t = setup(Backend::Sqlite).await;
    let hash = t.state.app.hasher.hash(PASSWORD).await.unwrap();
    let mut tx = t.state.app.store.begin().await.unwrap();
    let acc = tx.account_by_login("mons.deputy").await.unwrap().unwrap();
    tx.set_password(acc.id, &hash, true, t.state.app.now()).await.unwrap();
    tx.commit().await.unwrap();
    let s = t.sign_in("mons.deputy").await;
    let home = t.get("/", Some(&s)).await;
    assert_eq!(home.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&home), "/password");
    let req = Request::get("/api/v1/other").header(header::COOKIE, &s).body(Body::empty()).unwrap();
    let resp = t.send(req).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(body(resp).await.contains("password_change_required"));
    let html = body(t.get("/password", Some(&s)).await).await;
    assert!(html.contains("Vous devez choisir un nouveau mot de passe"));
    let csrf = hidden(&html, "csrf");
    const NEW: &str = "Coquelicot-Rouge-17-Lys";
    let ok = t.post_form("/password", Some(&s), &format!("csrf={csrf}&current={PASSWORD}&password={NEW}&confirm={NEW}")).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    // The flag is read at each request from the database: the next one goes through.
    assert_eq!(t.get("/", Some(&s)).await.status(), StatusCode::OK);
}
mod caisse;
mod grants;
mod supervision;
mod traces;

#[tokio::test]
async fn errors_returned_by_handlers_speak_the_language_of_the_request() {
    let t = setup(Backend::Sqlite).await;
    // JSON: the extractor refuses an anonymous caller; the sentence follows Accept-Language.
    let en = t.post_json("/api/v1/grants", "{", "en").await;
    assert_eq!(en.status(), StatusCode::UNAUTHORIZED);
    let en: serde_json::Value = serde_json::from_str(&body(en).await).unwrap();
    assert_eq!(en["error"]["code"], "not_authenticated");
    let fr: serde_json::Value = serde_json::from_str(&body(t.post_json("/api/v1/grants", "{", "fr").await).await).unwrap();
    assert_ne!(en["error"]["message"], fr["error"]["message"], "one sentence per language");
    assert!(en["error"]["message"].as_str().unwrap().is_ascii(), "English: {}", en["error"]["message"]);
    // Pages: an anonymous visitor is sent to sign in; a path id that does not parse is a
    // 404 page in the visitor's language, with their menu.
    let resp = t.get("/partner/rights", None).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/login");
    let claire = t.sign_in("mons.admin").await;
    let resp = t.get("/access-requests/not-an-id/export?lang=en", Some(&claire)).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let html = body(resp).await;
    assert!(html.contains("<html lang=\"en\">") && html.contains("This page does not exist."), "{html}");
    assert!(html.contains("/partner/rights"), "the signed-in menu is kept");
    let html = body(t.get("/access-requests/not-an-id/export", Some(&claire)).await).await;
    assert!(html.contains("<html lang=\"fr\">") && html.contains("Cette page n"));
}
