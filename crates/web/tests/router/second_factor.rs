//! The second factor through the router (issue 11, R51): enrolment required by the policy,
//! the code after the password on pages and the API, codes accepted once, recovery codes,
//! and the reset of a lost factor by whom the contract names.

use axum::http::StatusCode;
use habilis_core::app::SecondFactorPolicy;
use habilis_core::store::*;
use habilis_core::totp;
use habilis_store::testing::backends;
use serde_json::json;
use time::Duration;

use super::{PASSWORD, T, body, hidden, location, set_cookie, setup};

/// The code an authenticator application would show now for a base32 secret.
fn code_now(t: &T, base32_secret: &str) -> String {
    let secret = base32_decode(base32_secret);
    format!("{:06}", totp::code_at(&secret, totp::step_of(t.state.app.now().unix_timestamp())))
}

fn base32_decode(s: &str) -> Vec<u8> {
    let (mut buffer, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for c in s.chars().filter(|c| !c.is_whitespace()) {
        let v = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".find(c).unwrap() as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push((buffer >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    out
}

fn attr(html: &str, marker: &str) -> String {
    let start = html.find(marker).unwrap_or_else(|| panic!("no {marker} in {html}")) + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

impl T {
    /// Sign in with the password only; returns the cookie and where the portal sends us.
    async fn password_step(&self, login: &str) -> (String, String) {
        let page = self.get("/login", None).await;
        let csrf_cookie = set_cookie(&page, "habilis_csrf").unwrap();
        let csrf = hidden(&body(page).await, "csrf");
        let resp = self.post_form("/login", Some(&csrf_cookie), &format!("csrf={csrf}&login={login}&password={PASSWORD}")).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "sign-in of {login}");
        (set_cookie(&resp, "habilis_session").unwrap(), location(&resp).to_string())
    }

    /// Enrol from the enrolment page; returns the secret and the recovery codes.
    async fn enrol(&self, cookie: &str) -> (String, Vec<String>) {
        let html = body(self.get("/account/second-factor", Some(cookie)).await).await;
        assert!(html.contains("<svg") && html.contains("otpauth://totp/Habilis:"), "QR code and address shown");
        let secret = attr(&html, "data-secret=\"");
        let csrf = hidden(&html, "csrf");
        let wrong = self.post_form("/account/second-factor", Some(cookie), &format!("csrf={csrf}&code=000000")).await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        assert!(body(wrong).await.contains("incorrect, expiré ou déjà utilisé"));
        let ok = self.post_form("/account/second-factor", Some(cookie), &format!("csrf={csrf}&code={}", code_now(self, &secret))).await;
        assert_eq!(ok.status(), StatusCode::OK);
        let html = body(ok).await;
        let codes: Vec<String> = html.split("<li><code>").skip(1).map(|s| s.split('<').next().unwrap().to_string()).collect();
        assert_eq!(codes.len(), 10, "{html}");
        (secret, codes)
    }

    /// Type a code on the code page; returns the status.
    async fn code_step(&self, cookie: &str, code: &str) -> StatusCode {
        let html = body(self.get("/login/code", Some(cookie)).await).await;
        let csrf = hidden(&html, "csrf");
        self.post_form("/login/code", Some(cookie), &format!("csrf={csrf}&code={code}")).await.status()
    }
}

#[tokio::test]
async fn the_policy_requires_enrolment_then_a_code_at_every_sign_in() {
    for b in backends() {
        let mut t = setup(b).await;
        t.state.app_mut().expect("not shared yet").second_factor = SecondFactorPolicy::default();

        // A manager's first sign-in: nothing opens before the enrolment.
        let (cookie, next) = t.password_step("mons.manager").await;
        assert_eq!(next, "/account/second-factor");
        let home = t.get("/", Some(&cookie)).await;
        assert_eq!((home.status(), location(&home)), (StatusCode::SEE_OTHER, "/account/second-factor"), "{b:?}");
        let (s, v) = t.api("GET", "/api/v1/grants", cookie.split('=').nth(1).unwrap(), None).await;
        assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("second_factor_enrolment_required")), "{b:?} {v}");
        let (secret, codes) = t.enrol(&cookie).await;
        assert_eq!(t.get("/", Some(&cookie)).await.status(), StatusCode::OK, "{b:?}: open once enrolled");

        // A plain user is not asked (the policy names roles).
        let (_, next) = t.password_step("mons.agent").await;
        assert_eq!(next, "/", "{b:?}");

        // Next sign-in: the code, accepted once.
        t.clock.advance(Duration::seconds(30));
        let (cookie, next) = t.password_step("mons.manager").await;
        assert_eq!(next, "/login/code", "{b:?}");
        assert_eq!(location(&t.get("/partner/rights", Some(&cookie)).await), "/login/code", "{b:?}");
        let (s, v) = t.api("GET", "/api/v1/me", cookie.split('=').nth(1).unwrap(), None).await;
        assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("second_factor_required")), "{b:?} {v}");
        let code = code_now(&t, &secret);
        assert_eq!(t.code_step(&cookie, "123").await, StatusCode::UNAUTHORIZED, "{b:?}");
        assert_eq!(t.code_step(&cookie, &code).await, StatusCode::SEE_OTHER, "{b:?}");
        assert_eq!(t.get("/", Some(&cookie)).await.status(), StatusCode::OK, "{b:?}");
        // The same code again (a replay, in the same 30 s) is refused.
        let (again, _) = t.password_step("mons.manager").await;
        assert_eq!(t.code_step(&again, &code).await, StatusCode::UNAUTHORIZED, "{b:?}: a code works once");
        // A recovery code works once, in any case and with or without its dashes.
        assert_eq!(t.code_step(&again, &codes[0].to_lowercase().replace('-', "")).await, StatusCode::SEE_OTHER, "{b:?}");
        let (third, _) = t.password_step("mons.manager").await;
        assert_eq!(t.code_step(&third, &codes[0]).await, StatusCode::UNAUTHORIZED, "{b:?}: a recovery code works once");

        // Through the API: the password, then the code; or both in one request.
        t.clock.advance(Duration::seconds(30));
        let r = t.post_json("/api/v1/session", &json!({"login": "mons.manager", "password": PASSWORD}).to_string(), "fr").await;
        let v: serde_json::Value = serde_json::from_str(&body(r).await).unwrap();
        assert_eq!(v["pending_step"], "second_factor", "{b:?} {v}");
        let token = v["token"].as_str().unwrap().to_string();
        let (s, _) = t.api("POST", "/api/v1/session/code", &token, Some(json!({"code": code_now(&t, &secret)}))).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{b:?}");
        assert_eq!(t.api("GET", "/api/v1/me", &token, None).await.0, StatusCode::OK, "{b:?}");
        t.clock.advance(Duration::seconds(30));
        let r = t.post_json("/api/v1/session", &json!({"login": "mons.manager", "password": PASSWORD, "code": "999999"}).to_string(), "en").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{b:?}");
        assert!(body(r).await.contains("wrong, expired or already used"), "{b:?}");
        let r = t.post_json("/api/v1/session", &json!({"login": "mons.manager", "password": PASSWORD, "code": code_now(&t, &secret)}).to_string(), "fr").await;
        let v: serde_json::Value = serde_json::from_str(&body(r).await).unwrap();
        assert_eq!(v["pending_step"], serde_json::Value::Null, "{b:?} {v}");

        // Every step is traced.
        let traces = t.traces("mons.manager").await;
        let actions: Vec<(&str, _)> = traces.iter().map(|r| (r.entry.action.as_str(), r.entry.outcome)).collect();
        use habilis_core::trace::Outcome::*;
        for expected in [("second_factor.enrol", Success), ("second_factor.enrol", Failure), ("session.second_factor", Success), ("session.second_factor", Failure)] {
            assert!(actions.contains(&expected), "{b:?}: {expected:?} in {actions:?}");
        }
    }
}

#[tokio::test]
async fn a_lost_factor_is_reset_only_by_the_caisse_or_the_principal_administrator() {
    for b in backends() {
        let mut t = setup(b).await;
        // Everyone concerned enrols first (the default policy asks all of them).
        t.state.app_mut().expect("not shared yet").second_factor = SecondFactorPolicy::default();
        let (mut tokens, mut secrets) = (std::collections::HashMap::new(), std::collections::HashMap::new());
        for login in ["mons.manager", "mons.deputy", "mons.admin", "caf.admin"] {
            let (cookie, _) = t.password_step(login).await;
            let (secret, _) = t.enrol(&cookie).await;
            tokens.insert(login, cookie.split('=').nth(1).unwrap().to_string());
            secrets.insert(login, secret);
        }
        let id_of = |login: &'static str| {
            let app = t.state.app.clone();
            async move { app.store.read().await.unwrap().account_by_login(login).await.unwrap().unwrap().id.to_string() }
        };
        let (manager, deputy, admin, caf) = (id_of("mons.manager").await, id_of("mons.deputy").await, id_of("mons.admin").await, id_of("caf.admin").await);
        let reset = |who: &'static str, whom: &str| {
            let path = format!("/api/v1/users/{whom}/second-factor");
            let token = tokens[who].clone();
            let t = &t;
            async move { t.api("DELETE", &path, &token, None).await.0 }
        };
        // The deputy is not the principal administrator; a manager resets no one; no one
        // resets their own; the partner does not reset its administrators; the caisse does
        // not reset a partner's managers.
        assert_eq!(reset("mons.deputy", &manager).await, StatusCode::FORBIDDEN, "{b:?}");
        assert_eq!(reset("mons.manager", &deputy).await, StatusCode::FORBIDDEN, "{b:?}");
        assert_eq!(reset("mons.admin", &admin).await, StatusCode::FORBIDDEN, "{b:?}");
        assert_eq!(reset("mons.admin", &deputy).await, StatusCode::FORBIDDEN, "{b:?}");
        assert_eq!(reset("caf.admin", &manager).await, StatusCode::FORBIDDEN, "{b:?}");
        // Another organisation's staff are not even found.
        assert_eq!(reset("mons.admin", &caf).await, StatusCode::NOT_FOUND, "{b:?}");
        // The principal administrator resets a manager; the caisse resets the deputy.
        assert_eq!(reset("mons.admin", &manager).await, StatusCode::NO_CONTENT, "{b:?}");
        assert_eq!(reset("caf.admin", &deputy).await, StatusCode::NO_CONTENT, "{b:?}");
        // Their sessions are closed, and they enrol again at their next sign-in.
        assert_eq!(t.api("GET", "/api/v1/me", &tokens["mons.manager"], None).await.0, StatusCode::UNAUTHORIZED, "{b:?}");
        let (_, next) = t.password_step("mons.deputy").await;
        assert_eq!(next, "/account/second-factor", "{b:?}");
        // The reset is traced in the partner's chain, naming who did it.
        let traces = t.traces("mons.deputy").await;
        let r = traces.iter().find(|r| r.entry.action == "second_factor.reset" && r.entry.target.as_deref() == Some("mons.deputy")).expect("traced");
        assert_eq!(r.entry.actor_login.as_deref(), Some("caf.admin"), "{b:?}");

        // The pages offer the reset only where the core allows it.
        t.clock.advance(Duration::seconds(30));
        let (cookie, _) = t.password_step("mons.admin").await;
        assert_eq!(t.code_step(&cookie, &code_now(&t, &secrets["mons.admin"])).await, StatusCode::SEE_OTHER, "{b:?}");
        let html = t.rights("/partner/rights", Some(&cookie)).await;
        assert!(html.contains(&format!("/people/{manager}/second-factor/reset")), "{b:?}: offered for a manager");
        assert!(!html.contains(&format!("/people/{deputy}/second-factor/reset")), "{b:?}: not for the deputy");
        assert!(!html.contains(&format!("/people/{admin}/second-factor/reset")), "{b:?}: not for oneself");
    }
}
