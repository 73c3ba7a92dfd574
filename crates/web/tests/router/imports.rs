//! The CSV import through the router (issue 18, R15): the form posted as a browser does
//! (multipart, with its anti-forgery token), the trial's report, the real run from the
//! trial's own form, and the API.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use habilis_store::Backend;
use serde_json::Value;

use super::{CHROME, T, body, hidden, setup};

const BOUNDARY: &str = "----habilisTestBoundary";

impl T {
    /// The import form as a browser posts it.
    async fn post_import(&self, cookie: &str, csrf: &str, kind: &str, file: &[u8]) -> axum::http::Response<Body> {
        let mut b = Vec::new();
        b.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n").as_bytes());
        b.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n").as_bytes());
        b.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"agents.csv\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes());
        b.extend_from_slice(file);
        b.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let r = Request::post("/partner/rights/import")
            .header(header::USER_AGENT, CHROME)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
            .header(header::COOKIE, cookie)
            .body(Body::from(b))
            .unwrap();
        self.send(r).await
    }
}

fn escaped(s: &str) -> String {
    s.replace('\'', "&#39;")
}

#[tokio::test]
async fn a_manager_tries_a_file_then_imports_it_and_downloads_the_report() {
    let t = setup(Backend::Sqlite).await;
    let claire = t.sign_in("mons.admin").await;
    // The rights page leads to the import; the form says what each kind of file holds.
    assert!(body(t.get("/partner/rights", Some(&claire)).await).await.contains("href=\"/partner/rights/import\""));
    let form = body(t.get("/partner/rights/import", Some(&claire)).await).await;
    assert!(form.contains("enctype=\"multipart/form-data\"") && form.contains(&escaped("Colonnes : prénom, nom, courriel")), "{form}");
    let csrf = hidden(&form, "csrf");

    let file = "Prénom;Nom;Courriel\nLéa;Moreau;lea.moreau@mairie.invalid\nJean;Sans;pas-une-adresse\n".as_bytes();
    // Without the anti-forgery token, nothing happens.
    let resp = t.post_import(&claire, "forged", "users", file).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    let resp = t.post_import(&claire, &csrf, "users", file).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let trial = body(resp).await;
    assert!(trial.contains(&escaped("2 ligne(s) : 1 seraient faites, 0 en partie, 0 déjà en place, 1 refusée(s).")), "{trial}");
    assert!(trial.contains("serait faite") && trial.contains("refusée"), "{trial}");
    assert!(trial.contains(&escaped("Adresse électronique")), "the refused line says why: {trial}");
    assert!(trial.contains("download=\"rapport-import-users-"), "{trial}");
    let app = &t.state.app;
    let cl = habilis_core::trace::ClientInfo::default();
    let actor = app.login("mons.admin", super::PASSWORD, &cl).await.unwrap().actor;
    let count = |people: Vec<habilis_core::records::Account>| people.iter().filter(|a| a.email == "lea.moreau@mairie.invalid").count();
    assert_eq!(count(app.partner_people(&actor).await.unwrap()), 0, "a trial creates nobody");

    // The trial's own form runs it for real.
    let content = hidden(&trial, "content");
    let encoded = content.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D");
    let resp = t.post_form("/partner/rights/import/run", Some(&claire), &format!("csrf={csrf}&kind=users&content={encoded}")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let done = body(resp).await;
    assert!(done.contains(&escaped("2 ligne(s) : 1 faites, 0 en partie, 0 déjà en place, 1 refusée(s).")), "{done}");
    assert!(!done.contains("name=\"content\""), "a real run offers no second run");
    assert_eq!(count(app.partner_people(&actor).await.unwrap()), 1);
    // The run is traced with its figures.
    let traces = t.traces("mons.admin").await;
    assert!(traces.iter().any(|r| r.entry.action == "import.run" && r.entry.detail.as_deref().is_some_and(|d| d.contains("1 faites"))));

    // A file without a column it needs is refused with a sentence, the kind kept.
    let resp = t.post_import(&claire, &csrf, "groups", b"membres\nx\n").await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = body(resp).await;
    assert!(page.contains(&escaped("La colonne « groupe » manque")) && page.contains("value=\"groups\" aria-describedby=\"kind-groups-hint\" checked"), "{page}");
    // A user who manages nothing cannot import.
    let agent = t.sign_in("mons.agent").await;
    // The form is not offered to them; posting to it anyway is refused by the core.
    let resp = t.get("/partner/rights/import", Some(&agent)).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let agent_csrf = hidden(&body(resp).await, "csrf");
    assert_eq!(t.post_import(&agent, &agent_csrf, "users", file).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn files_larger_than_a_form_go_through_and_the_api_reports_in_json() {
    let t = setup(Backend::Sqlite).await;
    let claire = t.sign_in("mons.admin").await;
    let csrf = hidden(&body(t.get("/partner/rights/import", Some(&claire)).await).await, "csrf");
    // 2,000 lines (about 120 KB: above the 64 KB of ordinary forms).
    let mut file = String::from("prénom;nom;courriel;fonction\n");
    for i in 0..2000 {
        file.push_str(&format!("Agent;Numéro{i};agent{i}@mairie.invalid;Agent d'accueil du service population\n"));
    }
    assert!(file.len() > 64 * 1024);
    let resp = t.post_import(&claire, &csrf, "users", file.as_bytes()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(body(resp).await.contains(&escaped("2000 ligne(s) : 2000 seraient faites")));

    // The real run's form carries the file as base64: it is read above the upload's
    // 16 MiB (the forged token then refuses it), and refused above twice that.
    let big = format!("csrf=forged&kind=users&content={}", "A".repeat(20 * 1024 * 1024));
    assert_eq!(t.post_form("/partner/rights/import/run", Some(&claire), &big).await.status(), StatusCode::FORBIDDEN);
    let huge = format!("csrf=forged&kind=users&content={}", "A".repeat(33 * 1024 * 1024));
    assert_eq!(t.post_form("/partner/rights/import/run", Some(&claire), &huge).await.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // The API: a CSV body, the report in JSON; anything but text/csv is refused.
    let token = t.token("mons.admin").await;
    let send = |ct: &'static str, path: &'static str, b: &'static str| {
        Request::post(path).header(header::AUTHORIZATION, format!("Bearer {token}")).header(header::CONTENT_TYPE, ct).body(Body::from(b)).unwrap()
    };
    let resp = t.send(send("text/plain", "/api/v1/import/groups?dry_run=true", "groupe\nA\n")).await;
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let resp = t.send(send("text/csv", "/api/v1/import/groups?dry_run=true", "groupe;membres\nAccueil;mons.agent\nVide;nobody.here\n")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let v: Value = serde_json::from_str(&body(resp).await).unwrap();
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["counts"]["done"], 1);
    assert_eq!(v["lines"][1]["outcome"], "refused");
    assert_eq!(v["lines"][1]["error"]["code"], "import_line");
    let resp = t.send(send("text/csv", "/api/v1/import/groups", "groupe;membres\nAccueil;mons.agent\n")).await;
    let v: Value = serde_json::from_str(&body(resp).await).unwrap();
    assert_eq!((v["dry_run"].as_bool(), v["counts"]["done"].as_u64()), (Some(false), Some(1)), "{v}");
    let resp = t.send(send("text/csv", "/api/v1/import/passwords", "x\n")).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}
