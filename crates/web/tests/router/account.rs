//! The portal's own pages and API: sign-in and sign-out, sessions, passwords, one-time
//! links, the browser policy, security headers, operator endpoints, and errors answered
//! in the request's language.

use super::*;

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
        let report = habilis_core::services::audit::verify(&t.state.app.store, &t.key, None, None).await.unwrap();
        assert!(report.finding.is_none());
    }
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
    assert!(traces.iter().any(|r| r.entry.action == "session.expire" && r.entry.detail.as_deref() == Some("inactivité prolongée (idle_timeout)")));
    // Signing in again while the browser still sends the expired cookie: the new session's
    // cookie is the only session cookie of the answer (a clearing one after it would win).
    let page = t.get("/login", None).await;
    let csrf_cookie = set_cookie(&page, "habilis_csrf").unwrap();
    let csrf = hidden(&body(page).await, "csrf");
    let cookies = format!("{csrf_cookie}; {session}");
    let resp = t.post_form("/login", Some(&cookies), &format!("csrf={csrf}&login=mons.agent&password={PASSWORD}")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let sessions: Vec<_> = resp
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|v| v.starts_with("habilis_session="))
        .collect();
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert!(!sessions[0].starts_with("habilis_session=;"), "{sessions:?}");
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
        second_factor: habilis_core::app::SecondFactorPolicy::none(),
        view: habilis_core::view::RightsView::shared(),
        oidc: habilis_core::services::oidc::Provider::shared(),
        presence: habilis_core::presence::Presence::shared(),
        watch: habilis_core::watch::Watch::shared(),
        desk: habilis_core::calendar::DeskPolicy::default(),
        signer: Some(std::sync::Arc::new(habilis_core::trace::CheckpointKey::generate())),
        traces: habilis_core::batch::TraceBatcher::shared(),
    };
    let init = app.init_first_admin("caf.chef", "chef@caf.fr", "Anne Chef", "Caf du Nord").await.unwrap();
    let t = T { state: AppState::new(app, Arc::new(WebConfig::default()), Arc::new(Metrics::default())), clock: SimulatedClock::new(datetime!(2026-11-27 09:00 UTC)), key: TraceKey::generate() };
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
    let m = body(t.get("/metrics", None).await).await;
    assert!(m.contains("habilis_trace_wait_seconds_count 0\n"), "{m}");
    let session = t.sign_in("mons.admin").await;
    // A page read is traced through the trace writer: its wait is counted.
    assert_eq!(t.get("/", Some(&session)).await.status(), StatusCode::OK);
    let m = body(t.get("/metrics", None).await).await;
    assert!(m.contains("habilis_logins_total{outcome=\"success\"} 1"), "{m}");
    assert!(m.contains("habilis_http_responses_total{class=\"2xx\"}"));
    let count = |name: &str| -> u64 {
        m.lines().find_map(|l| l.strip_prefix(name)?.trim().parse().ok()).unwrap_or_else(|| panic!("{name} missing: {m}"))
    };
    let waits = count("habilis_trace_wait_seconds_count");
    assert!(waits >= 1, "{m}");
    assert_eq!(count("habilis_trace_wait_seconds_bucket{le=\"+Inf\"}"), waits);
    assert!(count("habilis_trace_wait_seconds_bucket{le=\"1\"}") <= waits);
    assert!((1..=waits).contains(&count("habilis_trace_batches_total")), "{m}");
    assert_eq!(count("habilis_trace_stale_heads_total{path=\"batch\"}"), 0, "one writer on SQLite: {m}");
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

/// Issue 17, point 7: a page opened without a session is opened once signed in.
#[tokio::test]
async fn the_deep_link_is_kept_across_sign_in() {
    let t = setup(habilis_store::Backend::Sqlite).await;
    let resp = t.get("/caisse/alerts?status=all", None).await;
    assert_eq!((resp.status(), location(&resp)), (StatusCode::SEE_OTHER, "/login"));
    let remembered = set_cookie(&resp, "habilis_return").expect("the page is remembered");
    let page = t.get("/login", Some(&remembered)).await;
    let csrf_cookie = set_cookie(&page, "habilis_csrf").unwrap();
    let csrf = hidden(&body(page).await, "csrf");
    let cookies = format!("{remembered}; {csrf_cookie}");
    let resp = t.post_form("/login", Some(&cookies), &format!("csrf={csrf}&login=caf.admin&password={PASSWORD}")).await;
    assert_eq!((resp.status(), location(&resp)), (StatusCode::SEE_OTHER, "/caisse/alerts?status=all"));
    // A form posted without a session is not remembered.
    let resp = t.post_form("/incidents", None, "csrf=x").await;
    assert!(set_cookie(&resp, "habilis_return").is_none());
}
