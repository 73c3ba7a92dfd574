//! The caisse side through the router: pages and JSON, with the refusals the issue lists.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use habilis_store::Backend;
use habilis_store::testing::backends;
use serde_json::{Value, json};

use super::{CHROME, PASSWORD, T, body, hidden, location, setup};

impl T {
    pub(crate) async fn api(&self, method: &str, path: &str, token: &str, payload: Option<Value>) -> (StatusCode, Value) {
        let mut r = Request::builder().method(method).uri(path).header(header::AUTHORIZATION, format!("Bearer {token}"));
        let b = match payload {
            Some(v) => {
                r = r.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        let resp = self.send(r.body(b).unwrap()).await;
        let status = resp.status();
        let text = body(resp).await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
    pub(crate) async fn token(&self, login: &str) -> String {
        let r = self.post_json("/api/v1/session", &format!("{{\"login\":\"{login}\",\"password\":\"{PASSWORD}\"}}"), "fr").await;
        let v: Value = serde_json::from_str(&body(r).await).unwrap();
        v["token"].as_str().unwrap().to_string()
    }
}

#[tokio::test]
async fn the_caisse_onboards_a_partner_through_the_api() {
    for b in backends() {
        let t = setup(b).await;
        let caf = t.token("caf.admin").await;
        let (s, v) = t.api("GET", "/api/v1/partners", &caf, None).await;
        assert_eq!(s, StatusCode::OK);
        let mons_id = v["partners"][0]["id"].as_str().unwrap().to_string();

        let (s, v) = t.api("POST", "/api/v1/partners", &caf, Some(json!({"name": "CCAS de Lomme", "siret": "73282932000075"}))).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b:?}");
        assert_eq!(v["error"]["field"], "siret");
        assert!(v["error"]["message"].as_str().unwrap().contains("Luhn"));
        let (s, v) = t.api("POST", "/api/v1/partners", &caf, Some(json!({"name": "CCAS de Lomme", "siret": "73282932000074", "city": "Lomme"}))).await;
        assert_eq!(s, StatusCode::CREATED);
        let id = v["id"].as_str().unwrap().to_string();
        let (s, _) = t.api("POST", "/api/v1/partners", &caf, Some(json!({"name": "Doublon", "siret": "73282932000074"}))).await;
        assert_eq!(s, StatusCode::CONFLICT);

        let (s, v) = t.api("POST", &format!("/api/v1/partners/{id}/conventions"), &caf, Some(json!({"number": "2024-21590410300011", "signed_on": "2024-01-15", "signatories": "Le maire"}))).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["error"]["field"], "number");
        let (s, conv) = t.api("POST", &format!("/api/v1/partners/{id}/conventions"), &caf, Some(json!({"number": "2024-73282932000074", "signed_on": "2024-01-15", "signatories": "Le maire"}))).await;
        assert_eq!(s, StatusCode::CREATED);
        assert_eq!(conv["signed_on"], "2024-01-15");
        let (s, _) = t.api("POST", &format!("/api/v1/partners/{id}/contracts"), &caf, Some(json!({"convention_id": conv["id"], "mode": "delegated", "signed_on": "2024-01-15", "signatories": "Le maire"}))).await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, v) = t.api("POST", &format!("/api/v1/partners/{id}/subscriptions"), &caf, Some(json!({"service": "CDAP", "signed_on": "2024-01-20", "max_holders": 5, "role_quotas": {"T1": 3}}))).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (_, file) = t.api("GET", &format!("/api/v1/partners/{id}"), &caf, None).await;
        assert_eq!(file["services"][0]["open"], false);
        let missing: Vec<&str> = file["services"][0]["missing"].as_array().unwrap().iter().map(|m| m["missing"].as_str().unwrap()).collect();
        assert_eq!(missing, ["data_protection_formalities", "availability_date"]);
        let (s, _) = t.api("POST", &format!("/api/v1/partners/{id}/subscriptions"), &caf, Some(json!({"service": "CDAP", "signed_on": "2024-01-20", "formalities_reference": "Registre 12", "formalities_on": "2024-01-10", "available_from": "2024-02-01", "max_holders": 5}))).await;
        // The bulletin is signed: changing it takes an amendment, dated (Art. 6).
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let (s, v) = t.api("POST", &format!("/api/v1/partners/{id}/subscriptions"), &caf, Some(json!({"service": "CDAP", "signed_on": "2024-01-20", "formalities_reference": "Registre 12", "formalities_on": "2024-01-10", "available_from": "2024-02-01", "max_holders": 5, "amendment_signed_on": "2024-01-25"}))).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (_, file) = t.api("GET", &format!("/api/v1/partners/{id}"), &caf, None).await;
        assert_eq!(file["services"][0]["open"], true);

        let admin = json!({"slot": "principal", "first_name": "Hélène", "last_name": "Dubois", "function": "Directrice", "email": "h.dubois@ccas.invalid"});
        let (s, v) = t.api("POST", &format!("/api/v1/partners/{id}/administrators"), &caf, Some(admin.clone())).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (s, v) = t.api("POST", &format!("/api/v1/partners/{id}/administrators"), &caf, Some(admin.clone())).await;
        assert_eq!(s, StatusCode::CONFLICT);
        assert_eq!(v["error"]["code"], "administrator_slot_taken");
        let (_, v) = t.api("GET", "/api/v1/outbox", &caf, None).await;
        assert!(v["messages"][0]["body"].as_str().unwrap().contains("/set-password?token="));

        // A partner administrator cannot touch administrators, nor see the caisse's lists.
        let mons = t.token("mons.admin").await;
        let (s, _) = t.api("POST", &format!("/api/v1/partners/{mons_id}/administrators"), &mons, Some(admin.clone())).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = t.api("GET", "/api/v1/partners", &mons, None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = t.api("GET", &format!("/api/v1/partners/{id}"), &mons, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "another partner's file does not exist for Mons");
        let (s, v) = t.api("GET", &format!("/api/v1/partners/{mons_id}"), &mons, None).await;
        assert_eq!(s, StatusCode::OK, "its own file is readable");
        assert_eq!(v["conventions"][0]["number"], "2017-21590410300011");
        let (s, _) = t.api("GET", "/api/v1/partners/not-a-uuid", &caf, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, v) = t.api("GET", "/api/v1/services", &mons, None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["services"][0]["roles"].as_array().unwrap().len(), 3);
    }
}

#[tokio::test]
async fn the_caisse_pages_keep_what_was_typed_and_say_what_is_missing() {
    let t = setup(Backend::Sqlite).await;
    let session = t.sign_in("caf.admin").await;
    let html = body(t.get("/caisse/partners", Some(&session)).await).await;
    assert!(html.contains("Mairie de Mons-en-Barœul"));
    let html = body(t.get("/caisse/partners/new", Some(&session)).await).await;
    let csrf = hidden(&html, "csrf");

    let bad = t.post_form("/caisse/partners/new", Some(&session), &format!("csrf={csrf}&name=CCAS+de+Lomme&siret=73282932000075&address=&city=Lomme")).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body(bad).await;
    assert!(html.contains("clé de contrôle"), "says which rule failed");
    assert!(html.contains("value=\"CCAS de Lomme\"") && html.contains("value=\"73282932000075\""), "keeps what was typed");
    assert!(html.contains("aria-invalid=\"true\""));

    let unnamed = t.post_form("/caisse/partners/new", Some(&session), &format!("csrf={csrf}&name=&siret=73282932000074&address=&city=Lomme")).await;
    assert!(body(unnamed).await.contains("Le champ « Nom » est obligatoire."), "fields are named as in the form");
    let ok = t.post_form("/caisse/partners/new", Some(&session), &format!("csrf={csrf}&name=CCAS+de+Lomme&siret=73282932000074&address=&city=Lomme")).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let page = location(&ok).to_string();
    let id = page.trim_start_matches("/caisse/partners/").split('?').next().unwrap().to_string();
    let html = t.rights(&page, Some(&session)).await;
    assert!(html.contains("Enregistré."));
    assert!(html.contains("Annuaire incomplet"));
    assert!(html.contains("gestion") && html.contains("aucun contrat de service"));

    let bad = t.post_form(&format!("/caisse/partners/{id}/conventions"), Some(&session), &format!("csrf={csrf}&number=2024-21590410300011&signed_on=2024-01-15&signatories=Le+maire")).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body(bad).await;
    assert!(html.contains("doit reprendre le SIRET de ce partenaire"));
    assert!(html.contains("value=\"2024-21590410300011\""));
    let ok = t.post_form(&format!("/caisse/partners/{id}/conventions"), Some(&session), &format!("csrf={csrf}&number=2024-73282932000074&signed_on=2024-01-15&signatories=Le+maire")).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let ok = t.post_form(&format!("/caisse/partners/{id}/subscriptions"), Some(&session), &format!("csrf={csrf}&service_code=CDAP&signed_on=2024-01-20&max_holders=5&quota_CDAP_T1=2")).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let html = t.partner_file(&id.to_string(), Some(&session)).await;
    assert!(html.contains("fermé"));
    assert!(html.contains("aucun contrat de service signé") && html.contains("formalités Informatique et Libertés non déclarées"), "{html}");
    assert!(html.contains("0 / 5 ; T1 : 0 / 2"), "used / allowed shown to the caisse");

    let ok = t.post_form(&format!("/caisse/partners/{id}/administrators"), Some(&session), &format!("csrf={csrf}&slot=deputy&first_name=Paul&last_name=Roux&function=Adjoint&email=p.roux%40ccas.invalid&phone=")).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let html = body(t.get("/caisse/outbox", Some(&session)).await).await;
    assert!(html.contains("p.roux@ccas.invalid"));
    assert!(html.contains("en attente d&#39;envoi") || html.contains("en attente d'envoi"), "{html}");

    // Changing a subscription starts from what is recorded.
    let (_, list) = (0, body(t.get("/caisse/partners", Some(&session)).await).await);
    let mons = list.split("/caisse/partners/").find(|x| x.contains("Mairie de Mons")).unwrap().split('"').next().unwrap().to_string();
    let html = body(t.get(&format!("/caisse/partners/{mons}?subscription=CDAP"), Some(&session)).await).await;
    assert!(html.contains("value=\"Registre des traitements n° 2017-014\"") && html.contains("value=\"2017-05-11\"") && html.contains("value=\"10\""), "{html}");

    // Forged form token: refused, nothing written.
    let forged = t.post_form(&format!("/caisse/partners/{id}/conventions"), Some(&session), "csrf=forged&number=2025-73282932000074&signed_on=2025-01-15&signatories=x").await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(!t.partner_file(&id.to_string(), Some(&session)).await.contains("2025-73282932000074"));

    // A partner administrator has no caisse pages.
    let mons = t.sign_in("mons.admin").await;
    let resp = t.get("/caisse/partners", Some(&mons)).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = t.get(&format!("/caisse/partners/{id}"), Some(&mons)).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let req = Request::get("/caisse/partners/new").header(header::USER_AGENT, CHROME).header(header::COOKIE, &mons).body(Body::empty()).unwrap();
    assert_eq!(t.send(req).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_administrator_change_goes_from_the_partner_form_to_the_caisse_decision() {
    let t = setup(Backend::Sqlite).await;
    let hugo = t.sign_in("mons.deputy").await;
    let html = body(t.get("/partner/administrator-change", Some(&hugo)).await).await;
    assert!(html.contains("annexe 3"));
    let csrf = hidden(&html, "csrf");
    let claire_id = html.split("<option value=\"").nth(2).unwrap().split('"').next().unwrap().to_string();
    // No phone: refused, what was typed is kept.
    let form = format!("csrf={csrf}&slot=principal&replaces={claire_id}&first_name=In%C3%A8s&last_name=Moreau&function=Etat+civil&phone=&mobile=&email=ines%40mairie.invalid");
    let bad = t.post_form("/partner/administrator-change", Some(&hugo), &form).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body(bad).await;
    assert!(html.contains("est obligatoire") && html.contains("value=\"Moreau\""), "{html}");
    let ok = t.post_form("/partner/administrator-change", Some(&hugo), &form.replace("mobile=&", "mobile=0600000000&")).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);

    let caf = t.sign_in("caf.admin").await;
    let html = body(t.get("/caisse/requests", Some(&caf)).await).await;
    assert!(html.contains("Inès Moreau") && html.contains("Claire Martin"), "{html}");
    let csrf = hidden(&html, "csrf");
    let id = html.split("action=\"/caisse/requests/").nth(1).unwrap().split('"').next().unwrap().to_string();
    // Refusing without a reason is refused.
    let resp = t.post_form(&format!("/caisse/requests/{id}"), Some(&caf), &format!("csrf={csrf}&decision=refuse&reason=")).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let resp = t.post_form(&format!("/caisse/requests/{id}"), Some(&caf), &format!("csrf={csrf}&decision=accept&reason=")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let html = body(t.get("/caisse/requests", Some(&caf)).await).await;
    assert!(html.contains("acceptée"));
    // Claire Martin can no longer sign in; the new administrator got her link.
    let r = t.post_json("/api/v1/session", &format!("{{\"login\":\"mons.admin\",\"password\":\"{PASSWORD}\"}}"), "fr").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let html = body(t.get("/caisse/outbox", Some(&caf)).await).await;
    assert!(html.contains("ines@mairie.invalid"));
    // The partner's deputy cannot reach the caisse's list.
    assert_eq!(t.get("/caisse/requests", Some(&hugo)).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn catalogue_contacts_suspension_and_the_contract_document() {
    let t = setup(Backend::Sqlite).await;
    let caf = t.token("caf.admin").await;
    let (s, _) = t.api("POST", "/api/v1/services", &caf, Some(json!({"code": "AIDES", "label": "Aides financières"}))).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, v) = t.api("POST", "/api/v1/services/AIDES/roles", &caf, Some(json!({"code": "A1", "label": "Instruction"}))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = t.api("POST", "/api/v1/services", &caf, Some(json!({"code": "AIDES", "label": "Doublon"}))).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");

    let (_, list) = t.api("GET", "/api/v1/partners", &caf, None).await;
    let mons = list["partners"][0]["id"].as_str().unwrap().to_string();
    let (s, c) = t.api("POST", &format!("/api/v1/partners/{mons}/contacts"), &caf, Some(json!({"function": "director", "name": "Marie Durand"}))).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = t.api("DELETE", &format!("/api/v1/contacts/{}", c["id"].as_str().unwrap()), &caf, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    let (_, file) = t.api("GET", &format!("/api/v1/partners/{mons}"), &caf, None).await;
    let hugo = file["administrators"].as_array().unwrap().iter().find(|a| a["login"] == "mons.deputy").unwrap()["id"].as_str().unwrap().to_string();
    let (s, _) = t.api("POST", &format!("/api/v1/administrators/{hugo}/suspend"), &caf, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let r = t.post_json("/api/v1/session", &format!("{{\"login\":\"mons.deputy\",\"password\":\"{PASSWORD}\"}}"), "fr").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (s, _) = t.api("POST", &format!("/api/v1/administrators/{hugo}/reactivate"), &caf, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    // The printable contract, for the caisse and for the partner itself.
    let session = t.sign_in("caf.admin").await;
    let html = body(t.get(&format!("/caisse/partners/{mons}/contract"), Some(&session)).await).await;
    assert!(html.contains("Contrat de service") && html.contains("2017-21590410300011") && html.contains("11/05/2017"));
    assert!(html.contains("Annexe 1") && html.contains("Service COMELEC") && html.contains("Nadia Benali"));
    assert!(html.contains("Annexe 2") && html.contains("T1, T2, T5"));
    assert!(html.contains("Annexe 3"));
    let claire = t.sign_in("mons.admin").await;
    let html = body(t.get("/partner/contract", Some(&claire)).await).await;
    assert!(html.contains("Mairie de Mons-en-Barœul") && html.contains("gestion déléguée"));
    // The catalogue page lists what the API created.
    let html = body(t.get("/caisse/services", Some(&session)).await).await;
    assert!(html.contains("AIDES") && html.contains("A1 (Instruction)"));
    assert_eq!(t.get("/caisse/services", Some(&claire)).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn every_documented_api_path_is_served() {
    let t = setup(Backend::Sqlite).await;
    let resp = t.get("/api/v1/openapi.json", None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let doc: Value = serde_json::from_str(&body(resp).await).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 15);
    for (path, ops) in paths {
        // A `{what}` segment is documented with the list of its verbs: each one must be
        // served, and a verb outside the list must not.
        let verbs: Vec<String> = ops
            .as_object()
            .unwrap()
            .values()
            .flat_map(|op| op["parameters"].as_array().cloned().unwrap_or_default())
            .filter(|p| p["name"] == "what")
            .flat_map(|p| p["schema"]["enum"].as_array().cloned().unwrap_or_default())
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert!(!path.contains("{what}") || !verbs.is_empty(), "{path}: its verbs are not listed");
        let segments: Vec<String> = if path.contains("{what}") { verbs.clone() } else { vec![String::new()] };
        for verb in segments.iter().map(String::as_str).chain(path.contains("{what}").then_some("no-such-verb")) {
            let concrete = path
                .replace("{id}", "0190f000-0000-7000-8000-000000000000")
                .replace("{code}", "CDAP")
                .replace("{what}", verb)
                .replace("{account}", "0190f000-0000-7000-8000-000000000001");
            // A path the router knows answers 405 to a method it does not serve; an unknown
            // path answers 404.
            let req = Request::builder().method("TRACE").uri(&concrete).body(Body::empty()).unwrap();
            let status = t.send(req).await.status();
            if verb == "no-such-verb" {
                assert_eq!(status, StatusCode::NOT_FOUND, "{concrete} is served but not documented");
            } else {
                assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{concrete} is documented but not served");
            }
        }
        for method in ops.as_object().unwrap().keys() {
            assert!(["get", "post", "put", "delete"].contains(&method.as_str()), "{path} {method}");
        }
    }
}

#[tokio::test]
async fn another_caisse_gets_404_on_our_partners() {
    use habilis_core::records::{Account, AccountId, AccountStatus, Organisation, OrganisationId, OrganisationKind, Role};
    use habilis_core::store::*;
    for b in backends() {
        let t = setup(b).await;
        let hash = t.state.app.hasher.hash(PASSWORD).await.unwrap();
        let mut tx = t.state.app.store.begin().await.unwrap();
        let sud = Organisation { id: OrganisationId::new(), kind: OrganisationKind::Caisse, name: "Caf du Sud".into(), parent_id: None, siret: None, city: None, address: None };
        tx.insert_organisation(&sud, time::OffsetDateTime::now_utc()).await.unwrap();
        tx.insert_account(&Account {
            id: AccountId::new(),
            organisation_id: sud.id,
            login: "sud.admin".into(),
            display_name: "Admin Sud".into(),
            email: "a@sud.invalid".into(),
            function: None,
            status: AccountStatus::Active,
            password_hash: Some(hash),
            must_change_password: false,
            roles: vec![Role::CaisseAdmin],
            last_login_at: None,
            created_at: t.state.app.now(),
        })
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let caf = t.token("caf.admin").await;
        let (_, list) = t.api("GET", "/api/v1/partners", &caf, None).await;
        let mons = list["partners"][0]["id"].as_str().unwrap().to_string();
        let sud = t.token("sud.admin").await;
        let (s, v) = t.api("GET", "/api/v1/partners", &sud, None).await;
        assert_eq!((s, v["partners"].as_array().unwrap().len()), (StatusCode::OK, 0), "{b:?}");
        for (method, path, payload) in [
            ("GET", format!("/api/v1/partners/{mons}"), None),
            ("PUT", format!("/api/v1/partners/{mons}"), Some(json!({"name": "x", "siret": "21590410300011"}))),
            ("POST", format!("/api/v1/partners/{mons}/conventions"), Some(json!({"number": "2025-21590410300011", "signed_on": "2025-01-01", "signatories": "x"}))),
            ("POST", format!("/api/v1/partners/{mons}/administrators"), Some(json!({"slot": "deputy", "first_name": "a", "last_name": "b", "function": "c", "email": "d@e.fr"}))),
        ] {
            let (s, v) = t.api(method, &path, &sud, payload).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{b:?} {method} {path}: {v}");
            assert!(!v.to_string().contains("Mons"), "nothing of the partner leaks");
        }
    }
}

/// Issue 12, item 1, on the pages: the caisse's staff page for its administrators only,
/// an appointment through the form (a refused one keeps what was typed and says why),
/// and the same through the API.
#[tokio::test]
async fn the_caisse_appoints_its_staff_from_its_page_and_the_api() {
    for b in habilis_store::testing::backends() {
        let t = setup(b).await;
        let caf = t.sign_in("caf.admin").await;
        let home = body(t.get("/", Some(&caf)).await).await;
        assert!(home.contains("href=\"/caisse/staff\""), "{b:?}: the menu offers the staff page");
        let html = body(t.get("/caisse/staff", Some(&caf)).await).await;
        assert!(html.contains("caf.auditor") && html.contains("Personnel de la caisse"), "{b:?}");
        let csrf = hidden(&html, "csrf");
        // No role ticked: refused, with the values kept.
        let resp = t.post_form("/caisse/staff", Some(&caf), &format!("csrf={csrf}&first_name=Paul&last_name=Durand&email=paul%40caf.invalid&function=Agent")).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b:?}");
        let html = body(resp).await;
        assert!(html.contains("value=\"Durand\"") && html.contains("role=\"alert\""), "{b:?}");
        let resp = t.post_form("/caisse/staff", Some(&caf), &format!("csrf={csrf}&first_name=Paul&last_name=Durand&email=paul%40caf.invalid&function=Agent&role_service_desk=on")).await;
        assert_eq!((resp.status(), location(&resp)), (StatusCode::SEE_OTHER, "/caisse/staff?ok=appointed"), "{b:?}");
        let html = body(t.get("/caisse/staff?ok=appointed", Some(&caf)).await).await;
        assert!(html.contains("caf.paul.durand") && html.contains("reçoit un lien"), "{b:?}");
        // Giving oneself the auditor role is refused with the contract's sentence.
        let caf_token = t.token("caf.admin").await;
        let (_, me_json) = t.api("GET", "/api/v1/staff", &caf_token, None).await;
        let my_id = me_json["staff"].as_array().unwrap().iter().find(|p| p["login"] == "caf.admin").unwrap()["id"].as_str().unwrap().to_string();
        assert!(html.contains(&format!("action=\"/caisse/staff/{my_id}/roles\"")), "{b:?}: a roles form per person");
        let resp = t.post_form(&format!("/caisse/staff/{my_id}/roles"), Some(&caf), &format!("csrf={csrf}&role_caisse_admin=on&role_trace_auditor=on")).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{b:?}");
        assert!(body(resp).await.contains("ne peut pas se donner lui-même"), "{b:?}");
        // The auditor neither sees nor uses the page.
        let auditor = t.sign_in("caf.auditor").await;
        assert!(!body(t.get("/", Some(&auditor)).await).await.contains("href=\"/caisse/staff\""), "{b:?}");
        assert_eq!(t.get("/caisse/staff", Some(&auditor)).await.status(), StatusCode::FORBIDDEN, "{b:?}");
        // The API.
        let (s, v) = t.api("POST", "/api/v1/staff", &caf_token, Some(json!({"first_name": "Lina", "last_name": "Roy", "email": "lina@caf.invalid", "roles": ["security_officer"]}))).await;
        assert_eq!(s, StatusCode::CREATED, "{b:?} {v}");
        let lina = v["id"].as_str().unwrap().to_string();
        let (s, _) = t.api("POST", &format!("/api/v1/staff/{lina}/suspend"), &caf_token, None).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{b:?}");
        let (s, v) = t.api("PUT", &format!("/api/v1/staff/{lina}/roles"), &caf_token, Some(json!({"roles": ["partner_admin"]}))).await;
        assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("role_of_another_side")), "{b:?} {v}");
    }
}

/// Issue 12, item 7: each side keeps its own directory (Annex 1) from its page — one
/// security officer per side (Art. 5.1) — and the caisse's questions go to the addresses
/// the partner's directory gives.
#[tokio::test]
async fn each_side_keeps_its_directory_and_notifications_follow_it() {
    for b in habilis_store::testing::backends() {
        let t = setup(b).await;
        // The partner's administrator: the Mairie's directory, with its security officer.
        let claire = t.sign_in("mons.admin").await;
        let html = body(t.get("/directory", Some(&claire)).await).await;
        assert!(html.contains("Nadia Benali") && html.contains("Mairie de Mons"), "{b:?}");
        let csrf = hidden(&html, "csrf");
        let resp = t.post_form("/directory", Some(&claire), &format!("csrf={csrf}&function=security_officer&name=Jean+Second&title=DSI&email=&phone=")).await;
        assert_eq!(resp.status(), StatusCode::CONFLICT, "{b:?}");
        let html = body(resp).await;
        assert!(html.contains("interlocuteur unique") && html.contains("value=\"Jean Second\""), "{b:?}: says why, keeps what was typed");
        // A new address for the administrator's function: the caisse's questions reach it.
        let resp = t.post_form("/directory", Some(&claire), &format!("csrf={csrf}&function=administrator&name=Secr%C3%A9tariat&title=Accueil&email=secretariat%40mairie-mons.invalid&phone=")).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{b:?}");
        // Users have no directory page; the caisse's administrator has the caisse's.
        let karim = t.sign_in("mons.agent").await;
        assert_eq!(t.get("/directory", Some(&karim)).await.status(), StatusCode::FORBIDDEN, "{b:?}");
        let caf = t.sign_in("caf.admin").await;
        let html = body(t.get("/directory", Some(&caf)).await).await;
        assert!(html.contains("Service COMELEC") && html.contains("comelec@demo.habilis.invalid") && !html.contains("Nadia Benali"), "{b:?}");

        // A grant to ask about, then the caisse's question: it reaches the new address too.
        let app = &t.state.app;
        let claire_actor = app.login("mons.admin", PASSWORD, &Default::default()).await.unwrap().actor;
        let karim_id = app.partner_people(&claire_actor).await.unwrap().into_iter().find(|p| p.login == "mons.agent").unwrap().id;
        let grant = app
            .grant(&claire_actor, &habilis_core::commands::NewGrant { holder: habilis_core::commands::Holder::Person(karim_id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil".into(), ends_on: "".into() }, &Default::default())
            .await
            .unwrap();
        let caf_token = t.token("caf.admin").await;
        let (s, v) = t.api("POST", &format!("/api/v1/supervision/grants/{}/queries", grant.id), &caf_token, Some(json!({"question": "Pourquoi ?", "due_on": "2026-12-15"}))).await;
        assert_eq!(s, StatusCode::CREATED, "{b:?} {v}");
        let (_, out) = t.api("GET", "/api/v1/outbox", &caf_token, None).await;
        let to: Vec<&str> = out["messages"].as_array().unwrap().iter().filter(|m| m["subject"] == "Habilis — question de la caisse").filter_map(|m| m["to"].as_str()).collect();
        assert!(to.contains(&"secretariat@mairie-mons.invalid"), "{b:?}: {to:?}");
        assert_eq!(to.iter().filter(|a| **a == "mons.admin@demo.habilis.invalid").count(), 1, "{b:?}: each address once: {to:?}");
    }
}

