//! The OpenID Connect provider through the router (issue 13), on both backends: a service
//! registered by the caisse signs a person in with the code flow and PKCE, renews with a
//! rotating refresh token, loses a revoked grant at the next token, and logs out.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine as _;
use habilis_core::clock::Clock;
use habilis_core::jose::{self, SigningKey};
use habilis_store::testing::backends;
use serde_json::{Value, json};

use super::{T, body, location, set_cookie, setup};

const ISS: &str = "http://127.0.0.1:8080";
const CB: &str = "https://cdap.example/cb";
const VERIFIER: &str = "a-long-enough-code-verifier-for-pkce-0123456789-abcdef";

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn authorize_path(client: &str, state: &str) -> String {
    format!(
        "/oidc/authorize?response_type=code&client_id={client}&redirect_uri={}&scope=openid%20profile&state={state}&nonce=n-{state}&code_challenge={}&code_challenge_method=S256",
        enc(CB),
        jose::pkce_s256(VERIFIER)
    )
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned())
    })
}

impl T {
    async fn token_request(&self, auth: Option<(&str, &str)>, form: &str) -> (StatusCode, Value) {
        let mut r = Request::post("/oidc/token").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some((id, secret)) = auth {
            let basic = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
            r = r.header(header::AUTHORIZATION, format!("Basic {basic}"));
        }
        let resp = self.send(r.body(Body::from(form.to_string())).unwrap()).await;
        let status = resp.status();
        assert_eq!(resp.headers().get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()), Some("no-store"));
        (status, serde_json::from_str(&body(resp).await).unwrap_or(Value::Null))
    }

    /// The code the provider sends back to the service for a signed-in `session`.
    async fn code_for(&self, session: &str, client: &str, state: &str) -> String {
        let resp = self.get(&authorize_path(client, state), Some(session)).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        let to = location(&resp).to_string();
        assert!(to.starts_with(CB), "{to}");
        assert_eq!(query_param(&to, "state").as_deref(), Some(state));
        assert_eq!(query_param(&to, "iss").as_deref(), Some(ISS));
        query_param(&to, "code").unwrap()
    }

    async fn jwks_keys(&self) -> Vec<Value> {
        let resp = self.get("/oidc/jwks", None).await;
        let v: Value = serde_json::from_str(&body(resp).await).unwrap();
        v["keys"].as_array().unwrap().clone()
    }
}

/// `cdap-web` registered by the caisse, Karim holding CDAP T1 and signed in on the portal:
/// the client's secret and his session cookie.
async fn karim_signed_in_with_t1(t: &T) -> (String, String) {
    let caf = t.token("caf.admin").await;
    let (_, v) = t.api("POST", "/api/v1/clients", &caf, Some(json!({"service": "CDAP", "client_id": "cdap-web", "name": "CDAP", "redirect_uris": [CB]}))).await;
    let secret = v["client_secret"].as_str().unwrap().to_string();
    let claire = t.token("mons.admin").await;
    let (_, users) = t.api("GET", "/api/v1/users", &claire, None).await;
    let karim = users["users"].as_array().unwrap().iter().find(|u| u["login"] == "mons.agent").unwrap()["id"].as_str().unwrap().to_string();
    let (s, _) = t.api("POST", "/api/v1/grants", &claire, Some(json!({"holder": karim, "service": "CDAP", "role": "T1", "purpose": "Accueil"}))).await;
    assert_eq!(s, StatusCode::CREATED);
    (secret, t.sign_in("mons.agent").await)
}

fn verified(token: &str, keys: &[Value]) -> Value {
    jose::decode(token).unwrap().verify_with_any(keys).expect("signed by a published key").clone()
}

#[tokio::test]
async fn a_service_signs_a_person_in_with_code_and_pkce_renews_and_logs_out() {
    for b in backends() {
        let t = setup(b).await;
        let caf = t.token("caf.admin").await;
        let (s, v) = t.api("POST", "/api/v1/clients", &caf, Some(json!({"service": "CDAP", "client_id": "cdap-web", "name": "CDAP", "redirect_uris": [CB]}))).await;
        assert_eq!(s, StatusCode::CREATED, "{b:?} {v}");
        let secret = v["client_secret"].as_str().unwrap().to_string();
        let me = Some(("cdap-web", secret.as_str()));

        // Discovery names this portal's endpoints; PKCE S256 only.
        let d: Value = serde_json::from_str(&body(t.get("/.well-known/openid-configuration", None).await).await).unwrap();
        assert_eq!((d["issuer"].as_str(), d["token_endpoint"].as_str()), (Some(ISS), Some("http://127.0.0.1:8080/oidc/token")));
        assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]));

        // The partner gives Karim CDAP T1 and T2.
        let claire = t.token("mons.admin").await;
        let (_, users) = t.api("GET", "/api/v1/users", &claire, None).await;
        let karim = users["users"].as_array().unwrap().iter().find(|u| u["login"] == "mons.agent").unwrap()["id"].as_str().unwrap().to_string();
        let mut grants = vec![];
        for role in ["T1", "T2"] {
            let (s, v) = t.api("POST", "/api/v1/grants", &claire, Some(json!({"holder": karim, "service": "CDAP", "role": role, "purpose": "Accueil"}))).await;
            assert_eq!(s, StatusCode::CREATED, "{b:?} {v}");
            grants.push(v["id"].as_str().unwrap().to_string());
        }

        // Not signed in: the portal's sign-in page, then back to the authorization.
        let resp = t.get(&authorize_path("cdap-web", "s1"), None).await;
        assert_eq!((resp.status(), location(&resp)), (StatusCode::SEE_OTHER, "/login"), "{b:?}");
        let back = set_cookie(&resp, "habilis_return").expect("the request is remembered");
        let page = t.get("/login", None).await;
        let csrf_cookie = set_cookie(&page, "habilis_csrf").unwrap();
        let csrf = super::hidden(&body(page).await, "csrf");
        let resp = t
            .post_form("/login", Some(&format!("{csrf_cookie}; {back}")), &format!("csrf={csrf}&login=mons.agent&password={}", super::PASSWORD))
            .await;
        assert_eq!(location(&resp), authorize_path("cdap-web", "s1"), "{b:?}: back to the service's request");
        let session = set_cookie(&resp, "habilis_session").unwrap();
        let code = t.code_for(&session, "cdap-web", "s1").await;

        // The code, with the verifier, for tokens: signed ES256 with a published key.
        let form = |code: &str, verifier: &str| format!("grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={verifier}", enc(CB));
        assert_eq!(t.token_request(Some(("cdap-web", "wrong")), &form(&code, VERIFIER)).await.0, StatusCode::UNAUTHORIZED, "{b:?}");
        let (s, tok) = t.token_request(me, &form(&code, VERIFIER)).await;
        assert_eq!(s, StatusCode::OK, "{b:?} {tok}");
        let keys = t.jwks_keys().await;
        let id = verified(tok["id_token"].as_str().unwrap(), &keys);
        assert_eq!((id["aud"].as_str(), id["nonce"].as_str(), id["iss"].as_str()), (Some("cdap-web"), Some("n-s1"), Some(ISS)), "{b:?}");
        assert_eq!((id["sub"].as_str(), id["preferred_username"].as_str()), (Some(karim.as_str()), Some("mons.agent")));
        assert_eq!(id["roles"], json!(["T1", "T2"]), "{b:?}");
        assert_eq!(id["organisation"]["siret"], json!("21590410300011"), "{b:?}");
        let access = tok["access_token"].as_str().unwrap();
        assert_eq!(jose::decode(access).unwrap().header["typ"], "at+jwt");

        // The code is used once: a replay is refused and what it gave is revoked.
        let (s, v) = t.token_request(me, &form(&code, VERIFIER)).await;
        assert_eq!((s, v["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{b:?}");
        let refresh0 = tok["refresh_token"].as_str().unwrap();
        let (_, v) = t.token_request(me, &format!("grant_type=refresh_token&refresh_token={refresh0}")).await;
        assert_eq!(v["error"].as_str(), Some("invalid_grant"), "{b:?}: the replayed code's tokens are revoked");

        // Two exchanges of one code at once: exactly one gets tokens.
        let code = t.code_for(&session, "cdap-web", "race").await;
        let (f1, f2) = (form(&code, VERIFIER), form(&code, VERIFIER));
        let (x, y) = tokio::join!(t.token_request(me, &f1), t.token_request(me, &f2));
        let winners = [&x, &y].iter().filter(|(s, _)| *s == StatusCode::OK).count();
        assert_eq!(winners, 1, "{b:?}: {x:?} {y:?}");

        // A wrong verifier spends the code for nothing.
        let code = t.code_for(&session, "cdap-web", "s2").await;
        let (_, v) = t.token_request(me, &form(&code, "x".repeat(43).as_str())).await;
        assert_eq!(v["error"].as_str(), Some("invalid_grant"), "{b:?}");
        assert_eq!(t.token_request(me, &form(&code, VERIFIER)).await.1["error"].as_str(), Some("invalid_grant"), "{b:?}");

        // A fresh sign-in; userinfo; refresh rotates.
        let code = t.code_for(&session, "cdap-web", "s3").await;
        let (_, tok) = t.token_request(me, &form(&code, VERIFIER)).await;
        let r = Request::get("/oidc/userinfo").header(header::AUTHORIZATION, format!("Bearer {}", tok["access_token"].as_str().unwrap())).body(Body::empty()).unwrap();
        let resp = t.send(r).await;
        assert_eq!(resp.status(), StatusCode::OK, "{b:?}");
        let info: Value = serde_json::from_str(&body(resp).await).unwrap();
        assert_eq!((info["sub"].as_str(), &info["roles"]), (Some(karim.as_str()), &json!(["T1", "T2"])), "{b:?}");
        // An ID token is not an access token.
        let r = Request::get("/oidc/userinfo").header(header::AUTHORIZATION, format!("Bearer {}", tok["id_token"].as_str().unwrap())).body(Body::empty()).unwrap();
        assert_eq!(t.send(r).await.status(), StatusCode::UNAUTHORIZED, "{b:?}");
        let r1 = tok["refresh_token"].as_str().unwrap().to_string();
        let (s, tok2) = t.token_request(me, &format!("grant_type=refresh_token&refresh_token={r1}")).await;
        assert_eq!(s, StatusCode::OK, "{b:?} {tok2}");
        let r2 = tok2["refresh_token"].as_str().unwrap().to_string();
        assert_ne!(r1, r2);

        // Revoked T1 is absent from the next token.
        let (s, _) = t.api("POST", &format!("/api/v1/grants/{}/revoke", grants[0]), &claire, None).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{b:?}");
        let (_, tok3) = t.token_request(me, &format!("grant_type=refresh_token&refresh_token={r2}")).await;
        assert_eq!(verified(tok3["id_token"].as_str().unwrap(), &keys)["roles"], json!(["T2"]), "{b:?}");
        let r3 = tok3["refresh_token"].as_str().unwrap().to_string();

        // Reuse of an old refresh token ends the whole family, the newest included.
        let (_, v) = t.token_request(me, &format!("grant_type=refresh_token&refresh_token={r2}")).await;
        assert_eq!(v["error"].as_str(), Some("invalid_grant"), "{b:?}");
        let (_, v) = t.token_request(me, &format!("grant_type=refresh_token&refresh_token={r3}")).await;
        assert_eq!(v["error"].as_str(), Some("invalid_grant"), "{b:?}: the family ended");

        // Without any grant left, no sign-in: the service is told access_denied.
        let (s, _) = t.api("POST", &format!("/api/v1/grants/{}/revoke", grants[1]), &claire, None).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let resp = t.get(&authorize_path("cdap-web", "s4"), Some(&session)).await;
        assert_eq!(query_param(location(&resp), "error").as_deref(), Some("access_denied"), "{b:?}");

        // Each token issued and the refusals are in the partner's chain.
        let traces = t.traces("mons.agent").await;
        assert!(traces.iter().any(|r| r.entry.action == "service.token" && r.entry.actor_login.as_deref() == Some("mons.agent")), "{b:?}");
        assert!(traces.iter().any(|r| r.entry.action == "service.signin" && r.entry.outcome == habilis_core::trace::Outcome::Refused), "{b:?}");
    }
}

#[tokio::test]
async fn the_provider_refuses_what_it_cannot_trust() {
    for b in backends() {
        let t = setup(b).await;
        let caf = t.token("caf.admin").await;
        let (_, v) = t.api("POST", "/api/v1/clients", &caf, Some(json!({"service": "CDAP", "client_id": "cdap-web", "name": "CDAP", "redirect_uris": [CB]}))).await;
        let secret = v["client_secret"].as_str().unwrap().to_string();
        let session = t.sign_in("mons.agent").await;

        // An address the caisse did not register: the portal says so and sends no one there.
        let evil = authorize_path("cdap-web", "x").replace(&enc(CB), &enc("https://evil.example/cb"));
        let resp = t.get(&evil, Some(&session)).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{b:?}");
        assert!(body(resp).await.contains("adresse de retour"), "{b:?}");
        let resp = t.get(&authorize_path("nobody", "x"), Some(&session)).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{b:?}");
        // Without PKCE, or with `plain`: back to the service with invalid_request.
        let no_pkce = authorize_path("cdap-web", "x").replace("&code_challenge_method=S256", "&code_challenge_method=plain");
        let resp = t.get(&no_pkce, Some(&session)).await;
        assert_eq!(query_param(location(&resp), "error").as_deref(), Some("invalid_request"), "{b:?}");
        // prompt=none without a session: login_required, at once.
        let resp = t.get(&format!("{}&prompt=none", authorize_path("cdap-web", "x")), None).await;
        assert_eq!(query_param(location(&resp), "error").as_deref(), Some("login_required"), "{b:?}");
        // Unknown grant types and missing client authentication.
        let (s, v) = t.token_request(Some(("cdap-web", &secret)), "grant_type=password&username=a&password=b").await;
        assert_eq!((s, v["error"].as_str()), (StatusCode::BAD_REQUEST, Some("unsupported_grant_type")), "{b:?}");
        let (s, v) = t.token_request(None, "grant_type=client_credentials&client_id=cdap-web").await;
        assert_eq!((s, v["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")), "{b:?}");
        // A forged access token is refused by userinfo.
        let (kid, der) = SigningKey::generate().unwrap();
        let forged = SigningKey::from_pkcs8(&kid, &der).unwrap().sign("at+jwt", &json!({"iss": ISS, "sub": "x", "exp": 4_000_000_000i64})).unwrap();
        let r = Request::get("/oidc/userinfo").header(header::AUTHORIZATION, format!("Bearer {forged}")).body(Body::empty()).unwrap();
        assert_eq!(t.send(r).await.status(), StatusCode::UNAUTHORIZED, "{b:?}");
    }
}

#[tokio::test]
async fn services_get_their_own_tokens_with_a_secret_or_a_signed_assertion() {
    for b in backends() {
        let t = setup(b).await;
        let caf = t.token("caf.admin").await;
        let (kid, der) = SigningKey::generate().unwrap();
        let service_key = SigningKey::from_pkcs8(&kid, &der).unwrap();
        let jwks = json!({"keys": [service_key.public_jwk()]});
        let (s, v) = t.api("POST", "/api/v1/clients", &caf, Some(json!({"service": "CDAP", "client_id": "cdap-batch", "name": "CDAP traitements", "jwks": jwks}))).await;
        assert_eq!(s, StatusCode::CREATED, "{b:?} {v}");
        let secret = v["client_secret"].as_str().unwrap().to_string();
        // A private key is never accepted as the service's "public" keys.
        let mut private = service_key.public_jwk();
        private["d"] = json!("AAAA");
        let (s, v) = t.api("POST", "/api/v1/clients", &caf, Some(json!({"service": "CDAP", "client_id": "cdap-x", "name": "X", "jwks": {"keys": [private]}}))).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("jwks")), "{b:?}");

        // With its secret.
        let (s, tok) = t.token_request(Some(("cdap-batch", &secret)), "grant_type=client_credentials").await;
        assert_eq!(s, StatusCode::OK, "{b:?} {tok}");
        assert!(tok.get("refresh_token").is_none() && tok.get("id_token").is_none());
        let claims = verified(tok["access_token"].as_str().unwrap(), &t.jwks_keys().await);
        assert_eq!((claims["sub"].as_str(), claims["scope"].as_str()), (Some("cdap-batch"), Some("check")), "{b:?}");

        // With an assertion signed by its key: accepted once; a replay or another key is not.
        let assertion = |jti: &str, key: &SigningKey| {
            key.sign("JWT", &json!({"iss": "cdap-batch", "sub": "cdap-batch", "aud": format!("{ISS}/oidc/token"), "jti": jti, "exp": t.clock.now().unix_timestamp() + 60}))
                .unwrap()
        };
        let form = |a: &str| format!("grant_type=client_credentials&client_assertion_type={}&client_assertion={a}", enc("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"));
        let a1 = assertion("j1", &service_key);
        let (s, v) = t.token_request(None, &form(&a1)).await;
        assert_eq!(s, StatusCode::OK, "{b:?} {v}");
        assert_eq!(t.token_request(None, &form(&a1)).await.0, StatusCode::UNAUTHORIZED, "{b:?}: replayed assertion");
        let (kid2, der2) = SigningKey::generate().unwrap();
        let other = SigningKey::from_pkcs8(&kid2, &der2).unwrap();
        assert_eq!(t.token_request(None, &form(&assertion("j2", &other))).await.0, StatusCode::UNAUTHORIZED, "{b:?}: not its key");
    }
}

#[tokio::test]
async fn logout_from_the_service_ends_the_portal_session_and_its_refresh_tokens() {
    for b in backends() {
        let t = setup(b).await;
        let (secret, session) = karim_signed_in_with_t1(&t).await;
        let me = Some(("cdap-web", secret.as_str()));
        let code = t.code_for(&session, "cdap-web", "s").await;
        let (_, tok) = t
            .token_request(me, &format!("grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={VERIFIER}", enc(CB)))
            .await;
        let id_token = tok["id_token"].as_str().unwrap();

        // Without a hint the person is asked first (a link elsewhere cannot sign them out).
        let resp = t.get("/oidc/end_session", Some(&session)).await;
        assert_eq!(resp.status(), StatusCode::OK, "{b:?}");
        assert!(body(resp).await.contains("action=\"/oidc/end_session\""));
        // A return address that is not the service's is refused.
        let resp = t.get(&format!("/oidc/end_session?id_token_hint={id_token}&post_logout_redirect_uri={}", enc("https://evil.example/")), Some(&session)).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{b:?}");
        // With its ID token: signed out at once, back to the service with its state.
        let resp = t
            .get(&format!("/oidc/end_session?id_token_hint={id_token}&post_logout_redirect_uri={}&state=bye", enc("https://cdap.example/")), Some(&session))
            .await;
        assert_eq!((resp.status(), location(&resp)), (StatusCode::SEE_OTHER, "https://cdap.example/?state=bye"), "{b:?}");
        let resp = t.get("/partner/rights", Some(&session)).await;
        assert_eq!((resp.status(), location(&resp)), (StatusCode::SEE_OTHER, "/login"), "{b:?}: the portal session ended");
        let (_, v) = t.token_request(me, &format!("grant_type=refresh_token&refresh_token={}", tok["refresh_token"].as_str().unwrap())).await;
        assert_eq!(v["error"].as_str(), Some("invalid_grant"), "{b:?}");
    }
}

#[tokio::test]
async fn refreshing_keeps_the_portal_session_alive_and_idleness_ends_it() {
    for b in backends() {
        let t = setup(b).await;
        let (secret, session) = karim_signed_in_with_t1(&t).await;
        let me = Some(("cdap-web", secret.as_str()));
        let code = t.code_for(&session, "cdap-web", "s").await;
        let (_, tok) = t
            .token_request(me, &format!("grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={VERIFIER}", enc(CB)))
            .await;
        let mut refresh = tok["refresh_token"].as_str().unwrap().to_string();
        // Every 20 minutes for an hour: each renewal counts as activity (idle limit 30 min).
        for _ in 0..3 {
            t.clock.advance(time::Duration::minutes(20));
            let (s, v) = t.token_request(me, &format!("grant_type=refresh_token&refresh_token={refresh}")).await;
            assert_eq!(s, StatusCode::OK, "{b:?} {v}");
            refresh = v["refresh_token"].as_str().unwrap().to_string();
        }
        // Then 31 minutes without anything: the session is over, and so is the refresh.
        t.clock.advance(time::Duration::minutes(31));
        let (_, v) = t.token_request(me, &format!("grant_type=refresh_token&refresh_token={refresh}")).await;
        assert_eq!(v["error"].as_str(), Some("invalid_grant"), "{b:?}");
    }
}

#[tokio::test]
async fn renewals_at_once_are_each_answered_and_a_copy_sent_at_once_ends_its_family() {
    for b in backends() {
        let t = setup(b).await;
        let (secret, session) = karim_signed_in_with_t1(&t).await;
        let me = Some(("cdap-web", secret.as_str()));
        let mut refresh = vec![];
        for i in 0..8 {
            let code = t.code_for(&session, "cdap-web", &format!("s{i}")).await;
            let (_, tok) = t
                .token_request(me, &format!("grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={VERIFIER}", enc(CB)))
                .await;
            refresh.push(tok["refresh_token"].as_str().unwrap().to_string());
        }
        // Eight families renewed at once, plus a copy of the first sent with them.
        let forms: Vec<String> = refresh.iter().chain([&refresh[0]]).map(|r| format!("grant_type=refresh_token&refresh_token={r}")).collect();
        let answers = futures_join(&t, me, &forms).await;
        for (s, v) in &answers[1..8] {
            assert_eq!(*s, StatusCode::OK, "{b:?} {v}");
        }
        let first: Vec<_> = [&answers[0], &answers[8]].into_iter().collect();
        assert_eq!(first.iter().filter(|(s, _)| *s == StatusCode::OK).count(), 1, "{b:?}: one of the two copies wins: {first:?}");
        // ...and what it got is worthless: the family ended.
        let won = first.iter().find(|(s, _)| *s == StatusCode::OK).unwrap();
        let (_, v) = t.token_request(me, &format!("grant_type=refresh_token&refresh_token={}", won.1["refresh_token"].as_str().unwrap())).await;
        assert_eq!(v["error"].as_str(), Some("invalid_grant"), "{b:?}");
        // The others' new tokens work.
        let (s, _) = t.token_request(me, &format!("grant_type=refresh_token&refresh_token={}", answers[1].1["refresh_token"].as_str().unwrap())).await;
        assert_eq!(s, StatusCode::OK, "{b:?}");
    }
}

/// Send every form to the token endpoint at once.
async fn futures_join(t: &T, auth: Option<(&str, &str)>, forms: &[String]) -> Vec<(StatusCode, Value)> {
    use tower::ServiceExt;
    let (id, secret) = auth.unwrap();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
    let handles: Vec<_> = forms
        .iter()
        .map(|f| {
            let (state, f, basic) = (t.state.clone(), f.clone(), basic.clone());
            tokio::spawn(async move {
                let r = Request::post("/oidc/token")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::AUTHORIZATION, format!("Basic {basic}"))
                    .body(Body::from(f))
                    .unwrap();
                let resp = habilis_web::router(state).oneshot(r).await.unwrap();
                let status = resp.status();
                (status, serde_json::from_str(&body(resp).await).unwrap_or(Value::Null))
            })
        })
        .collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test]
async fn a_refresh_token_names_its_family_a_wrong_secret_ends_it_and_its_service_may_revoke_it() {
    for b in backends() {
        let t = setup(b).await;
        let (secret, session) = karim_signed_in_with_t1(&t).await;
        let me = Some(("cdap-web", secret.as_str()));
        let caf = t.token("caf.admin").await;
        let (_, v) = t.api("POST", "/api/v1/clients", &caf, Some(json!({"service": "CDAP", "client_id": "cdap-batch", "name": "CDAP lots", "redirect_uris": [CB]}))).await;
        let other_secret = v["client_secret"].as_str().unwrap().to_string();
        let other = Some(("cdap-batch", other_secret.as_str()));
        let exchange = |code: String| format!("grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={VERIFIER}", enc(CB));
        let renew = |r: &str| format!("grant_type=refresh_token&refresh_token={r}");

        // A token that is not of the form family.secret is unknown, and says so.
        let (s, v) = t.token_request(me, &renew("not-a-token")).await;
        assert_eq!((s, v["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{b:?} {v}");
        assert!(v["error_description"].as_str().unwrap().contains("inconnu"), "{b:?} {v}");

        // The family's id, then a secret; a wrong secret with a real family id can only
        // come from someone who saw one of its tokens: the family ends.
        let code = t.code_for(&session, "cdap-web", "a").await;
        let (_, tok) = t.token_request(me, &exchange(code)).await;
        let r1 = tok["refresh_token"].as_str().unwrap().to_string();
        let (family, _) = r1.split_once('.').expect("family.secret");
        assert_eq!(family.len(), 32, "{b:?} {r1}");
        let (s, v) = t.token_request(me, &renew(&format!("{family}.forged-secret"))).await;
        assert_eq!((s, v["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{b:?} {v}");
        let (_, v) = t.token_request(me, &renew(&r1)).await;
        assert_eq!(v["error"].as_str(), Some("invalid_grant"), "{b:?}: the genuine token died with its family: {v}");

        // Revocation (RFC 7009): another service cannot end this one's family, its own can.
        let code = t.code_for(&session, "cdap-web", "b").await;
        let (_, tok) = t.token_request(me, &exchange(code)).await;
        let r2 = tok["refresh_token"].as_str().unwrap().to_string();
        let revoke = |auth: (&str, &str), token: &str| {
            let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", auth.0, auth.1));
            Request::post("/oidc/revoke")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::AUTHORIZATION, format!("Basic {basic}"))
                .body(Body::from(format!("token={token}")))
                .unwrap()
        };
        assert_eq!(t.send(revoke(other.unwrap(), &r2)).await.status(), StatusCode::OK, "{b:?}");
        let (s, v) = t.token_request(me, &renew(&r2)).await;
        assert_eq!(s, StatusCode::OK, "{b:?}: another service's revocation changed nothing: {v}");
        let r3 = v["refresh_token"].as_str().unwrap().to_string();
        assert_eq!(r3.split_once('.').unwrap().0, r2.split_once('.').unwrap().0, "{b:?}: renewed within its family");
        assert_eq!(t.send(revoke(me.unwrap(), &r3)).await.status(), StatusCode::OK, "{b:?}");
        let (_, v) = t.token_request(me, &renew(&r3)).await;
        assert_eq!(v["error"].as_str(), Some("invalid_grant"), "{b:?}: revoked by its service: {v}");
        // Another service's token sent by this one ends its family too.
        let code = t.code_for(&session, "cdap-web", "c").await;
        let (_, tok) = t.token_request(me, &exchange(code)).await;
        let r4 = tok["refresh_token"].as_str().unwrap().to_string();
        let (_, v) = t.token_request(other, &renew(&r4)).await;
        assert!(v["error_description"].as_str().unwrap().contains("pas été délivré à ce service"), "{b:?} {v}");
        let (_, v) = t.token_request(me, &renew(&r4)).await;
        assert_eq!(v["error"].as_str(), Some("invalid_grant"), "{b:?} {v}");

        // The revocation is in the partner's chain, once: the other service's was nothing.
        let traces = t.traces("mons.agent").await;
        let revoked: Vec<_> = traces.iter().filter(|r| r.entry.action == "service.revoke").collect();
        assert_eq!(revoked.len(), 1, "{b:?}");
        assert!(revoked[0].entry.detail.as_deref().unwrap_or("").contains("1 famille"), "{b:?} {:?}", revoked[0].entry.detail);
    }
}
