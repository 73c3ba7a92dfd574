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
        second_factor: habilis_core::app::SecondFactorPolicy::none(),
        view: habilis_core::view::RightsView::shared(),
        oidc: habilis_core::services::oidc::Provider::shared(),
        presence: habilis_core::presence::Presence::shared(),
        watch: habilis_core::watch::Watch::shared(),
        desk: habilis_core::calendar::DeskPolicy::default(),
        signer: Some(std::sync::Arc::new(habilis_core::trace::CheckpointKey::generate())),
        traces: habilis_core::batch::TraceBatcher::shared(),
    };
    app.load_demo(PASSWORD).await.unwrap();
    T { state: AppState::new(app, Arc::new(web), Arc::new(Metrics::default())), clock, key }
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
    /// Every sub-page of a rights page (`base` = `/partner/rights` or the caisse's view of a
    /// partner), one after the other: for what a test looks for wherever it is shown.
    async fn rights(&self, base: &str, cookie: Option<&str>) -> String {
        let mut all = String::new();
        for section in ["", "/grants", "/people", "/groups", "/mandates", "/queries"] {
            let resp = self.get(&format!("{base}{section}"), cookie).await;
            assert_eq!(resp.status(), StatusCode::OK, "{base}{section}");
            all.push_str(&body(resp).await);
        }
        all
    }
    /// Every sub-page of a partner's file at the caisse, one after the other.
    async fn partner_file(&self, id: &str, cookie: Option<&str>) -> String {
        let mut all = String::new();
        for section in ["", "/agreements", "/administrators", "/contacts"] {
            let resp = self.get(&format!("/caisse/partners/{id}{section}"), cookie).await;
            assert_eq!(resp.status(), StatusCode::OK, "/caisse/partners/{id}{section}");
            all.push_str(&body(resp).await);
        }
        all
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

/// The text of a PDF answer, as `pdftotext` (poppler-utils, installed by `.ci/run`) reads it.
async fn pdf_text(resp: Response<Body>) -> String {
    assert_eq!(resp.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()), Some("application/pdf"));
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 22).await.unwrap();
    assert!(bytes.starts_with(b"%PDF-1.4"));
    let file = std::env::temp_dir().join(format!("habilis-{}.pdf", uuid::Uuid::now_v7().simple()));
    std::fs::write(&file, &bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args([file.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) must be installed: .ci/run installs it");
    let _ = std::fs::remove_file(&file);
    assert!(out.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no hidden {name} in {html}")) + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

fn location(resp: &Response<Body>) -> &str {
    resp.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
}

mod account;
mod alerts;
mod caisse;
mod check;
mod desk;
mod grants;
mod imports;
mod oidc;
mod people;
mod reviews;
mod scim;
mod second_factor;
mod security;
mod supervision;
mod traces;
