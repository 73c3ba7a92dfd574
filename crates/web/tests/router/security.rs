//! Refusals: forged or cross-site forms, throttled sign-ins, obsolete browsers, bad input,
//! security headers, and errors answered in the request's language.

use super::*;

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
    // A malformed id does not tell an anonymous visitor anything but "sign in".
    let resp = t.get("/access-requests/not-an-id/export", None).await;
    assert_eq!((resp.status(), location(&resp)), (StatusCode::SEE_OTHER, "/login"));
    let claire = t.sign_in("mons.admin").await;
    let resp = t.get("/access-requests/not-an-id/export?lang=en", Some(&claire)).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let html = body(resp).await;
    assert!(html.contains("<html lang=\"en\">") && html.contains("This page does not exist."), "{html}");
    assert!(html.contains("/partner/rights"), "the signed-in menu is kept");
    let html = body(t.get("/access-requests/not-an-id/export", Some(&claire)).await).await;
    assert!(html.contains("<html lang=\"fr\">") && html.contains("Cette page n"));
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

fn json_req(body: &str, lang: &str) -> Request<Body> {
    Request::post("/api/v1/session")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT_LANGUAGE, lang)
        .body(Body::from(body.to_string()))
        .unwrap()
}
