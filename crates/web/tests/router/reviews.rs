//! The yearly review through the pages, without JavaScript (both backends): the caisse
//! opens the campaign, the partner's administrator decides every line with plain forms (a
//! refused revocation keeps the page and names the line), sends the signed proof, and the
//! caisse sees it done; the JSON API answers the same review.

use axum::http::StatusCode;
use habilis_core::records::Proof;
use habilis_core::services::reviews::verify_proof;
use habilis_store::testing::backends;
use serde_json::Value;

use super::{body, hidden, location, setup};

/// Every (kind, subject) pair of the decision forms of a review page.
fn lines(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("name=\"kind\" value=\"") {
        rest = &rest[i + 19..];
        let kind = rest.split('"').next().unwrap().to_string();
        let j = rest.find("name=\"subject\" value=\"").unwrap();
        rest = &rest[j + 22..];
        out.push((kind, rest.split('"').next().unwrap().to_string()));
    }
    out
}

#[tokio::test]
async fn a_review_is_taken_and_proven_through_plain_forms() {
    for b in backends() {
        let t = setup(b).await;
        let caf = t.sign_in("caf.admin").await;
        let page = body(t.get("/caisse/reviews", Some(&caf)).await).await;
        assert!(page.contains("Revue annuelle") && page.contains("href=\"/caisse/reviews\""), "{b:?}: in the caisse's menu");
        let csrf = hidden(&page, "csrf");
        // A due date in the past: refused in a sentence, the year typed kept.
        let resp = t.post_form("/caisse/reviews", Some(&caf), &format!("csrf={csrf}&year=2026&due_on=2020-01-01")).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b:?}");
        let html = body(resp).await;
        assert!(html.contains("role=\"alert\"") && html.contains("value=\"2026\""), "{b:?}");
        let resp = t.post_form("/caisse/reviews", Some(&caf), &format!("csrf={csrf}&year=2026&due_on=2027-01-15")).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{b:?}");
        let campaign = location(&resp).to_string();
        assert!(body(t.get(&campaign, Some(&caf)).await).await.contains("Campagne 2026 ouverte : 1 partenaire(s) prévenu(s)."), "{b:?}");

        let claire = t.sign_in("mons.admin").await;
        let mine = body(t.get("/partner/reviews", Some(&claire)).await).await;
        let start = mine.find("href=\"/reviews/").expect("a review to take") + 6;
        let review = mine[start..].split('"').next().unwrap().to_string();
        let page = body(t.get(&review, Some(&claire)).await).await;
        let csrf = hidden(&page, "csrf");
        // The administrator delegates the manager's lines with the form; the manager finds it.
        assert!(page.contains("Confier une partie de la revue"), "{b:?}");
        let start = page.find("<option value=\"").expect("a manager to choose") + 15;
        let manager = page[start..].split('"').next().unwrap().to_string();
        let resp = t.post_form(&format!("{review}/delegate"), Some(&claire), &format!("csrf={csrf}&manager={manager}")).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{b:?}");
        let page = body(t.get(&review, Some(&claire)).await).await;
        assert!(page.contains("Confiée à") && page.contains("mons.manager"), "{b:?}");
        let mgr = t.sign_in("mons.manager").await;
        assert!(body(t.get("/partner/reviews", Some(&mgr)).await).await.contains(&format!("href=\"{review}\"")), "{b:?}: the manager finds it");
        let todo = lines(&page);
        assert!(!todo.is_empty(), "{b:?}: the demo's mandate at least: {todo:?}");
        // Revoking without a comment: refused, the page kept, the line marked.
        let (kind, subject) = &todo[0];
        let resp = t.post_form(&format!("{review}/decide"), Some(&claire), &format!("csrf={csrf}&kind={kind}&subject={subject}&verdict=revoke&comment=")).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b:?}");
        let html = body(resp).await;
        assert!(html.contains("aria-invalid=\"true\""), "{b:?}");
        assert!(html.contains("value=\"revoke\" checked"), "{b:?}: the choice typed is kept");
        // Sending the proof too early: refused with the reason.
        let resp = t.post_form(&format!("{review}/complete"), Some(&claire), &format!("csrf={csrf}")).await;
        assert_eq!(resp.status(), StatusCode::CONFLICT, "{b:?}");
        assert!(body(resp).await.contains("chaque habilitation et chaque mandat"), "{b:?}");
        for (kind, subject) in &todo {
            let resp = t.post_form(&format!("{review}/decide"), Some(&claire), &format!("csrf={csrf}&kind={kind}&subject={subject}&verdict=keep&comment=Toujours+utile")).await;
            assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{b:?}: {kind} {subject}");
        }
        let resp = t.post_form(&format!("{review}/complete"), Some(&claire), &format!("csrf={csrf}")).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{b:?}");
        let done = body(t.get(location(&resp), Some(&claire)).await).await;
        assert!(done.contains("la preuve signée est transmise") && done.contains("REVUE ANNUELLE DES HABILITATIONS 2026"), "{b:?}");
        // The proof file verifies with the portal's public key.
        let file: Value = serde_json::from_str(&body(t.get(&format!("{review}/proof.json"), Some(&claire)).await).await).unwrap();
        let proof = Proof {
            report: file["report"].as_str().unwrap().into(),
            digest: file["digest"].as_str().unwrap().into(),
            signature: file["signature"].as_str().unwrap().into(),
            public_key: file["public_key"].as_str().unwrap().into(),
        };
        assert!(verify_proof(&proof, &t.state.app.signer.as_ref().unwrap().public_hex()), "{b:?}");
        // The same proof as a PDF: the report, its digest, the signature and the key.
        let pdf = super::pdf_text(t.get(&format!("{review}/proof.pdf"), Some(&claire)).await).await;
        assert!(pdf.contains("Preuve de revue annuelle des habilitations") && pdf.contains("REVUE ANNUELLE DES HABILITATIONS 2026"), "{b:?}: {pdf}");
        assert!(pdf.contains(&proof.digest[..32]) && pdf.contains("habilis review verify"), "{b:?}: {pdf}");
        // The caisse sees it done and reads the proof; a plain user sees nothing of it.
        assert!(body(t.get(&campaign, Some(&caf)).await).await.contains("Terminée"), "{b:?}");
        assert!(body(t.get(&review, Some(&caf)).await).await.contains(&proof.digest), "{b:?}");
        let agent = t.sign_in("mons.agent").await;
        assert_eq!(t.get(&review, Some(&agent)).await.status(), StatusCode::FORBIDDEN, "{b:?}");
        assert!(!body(t.get("/", Some(&agent)).await).await.contains("/partner/reviews"), "{b:?}: not in a user's menu");
        // The API: a completed review refuses another decision with its code.
        let signed: Value = serde_json::from_str(&body(t.post_json("/api/v1/session", &format!("{{\"login\":\"mons.admin\",\"password\":\"{}\"}}", super::PASSWORD), "fr").await).await).unwrap();
        let token = signed["token"].as_str().unwrap();
        let api = format!("/api/v1{review}/decisions");
        let req = axum::http::Request::post(&api)
            .header(axum::http::header::AUTHORIZATION, format!("Bearer {token}"))
            .header(axum::http::header::CONTENT_TYPE, "application/json")
            .body(axum::body::Body::from(format!("{{\"kind\":\"{}\",\"id\":\"{}\",\"verdict\":\"keep\"}}", todo[0].0, todo[0].1)))
            .unwrap();
        let resp = t.send(req).await;
        assert_eq!(resp.status(), StatusCode::CONFLICT, "{b:?}");
        assert!(body(resp).await.contains("\"code\":\"refused\""), "{b:?}");
    }
}
