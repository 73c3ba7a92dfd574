//! The service desk through the pages, without JavaScript, and the API (both backends): a
//! partner's administrator reports an incident (a refused form keeps what was typed), the
//! desk qualifies, answers and closes it, a plain user finds whom to turn to, and a planned
//! outage announced by the desk shows on the partner's home page.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use habilis_store::testing::backends;
use serde_json::Value;

use super::{PASSWORD, body, hidden, location, setup};

#[tokio::test]
async fn an_incident_goes_from_the_partner_to_the_desk_and_back_with_plain_forms() {
    for b in backends() {
        let t = setup(b).await;
        let claire = t.sign_in("mons.admin").await;
        let page = body(t.get("/incidents", Some(&claire)).await).await;
        assert!(page.contains("href=\"/incidents\"") && page.contains("Signaler un incident"), "{b:?}: in the menu, with the form");
        assert!(page.contains("de 08:30 à 17:30"), "{b:?}: the desk's hours");
        let csrf = hidden(&page, "csrf");
        // No description: refused in a sentence naming the field, the subject kept.
        let resp = t.post_form("/incidents", Some(&claire), &format!("csrf={csrf}&service=CDAP&subject=CDAP+inaccessible&description=")).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b:?}");
        let html = body(resp).await;
        assert!(html.contains("role=\"alert\"") && html.contains("Description") && html.contains("value=\"CDAP inaccessible\""), "{b:?}");
        let resp = t.post_form("/incidents", Some(&claire), &format!("csrf={csrf}&service=CDAP&subject=CDAP+inaccessible&description=Karim+ne+peut+plus+se+connecter.")).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{b:?}");
        let path = location(&resp).split('?').next().unwrap().to_string();
        let page = body(t.get(location(&resp), Some(&claire)).await).await;
        assert!(page.contains("Incident transmis au centre de services.") && page.contains("10 jour(s) ouvré(s) restant(s)"), "{b:?}");
        assert!(!page.contains("Clore l&#39;incident") && !page.contains("Clore l'incident"), "{b:?}: the partner does not close");

        // A plain user: no incidents, but whom to turn to.
        let karim = t.sign_in("mons.agent").await;
        assert_eq!(t.get("/incidents", Some(&karim)).await.status(), StatusCode::FORBIDDEN, "{b:?}");
        let help = body(t.get("/help", Some(&karim)).await).await;
        assert!(help.contains("Claire Martin") && help.contains("Service COMELEC") && help.contains("href=\"/help\""), "{b:?}");

        // The desk qualifies, answers and closes.
        let caf = t.sign_in("caf.admin").await;
        let list = body(t.get("/incidents", Some(&caf)).await).await;
        assert!(list.contains(&path) && list.contains("Mairie de Mons"), "{b:?}");
        let page = body(t.get(&path, Some(&caf)).await).await;
        let csrf = hidden(&page, "csrf");
        let resp = t.post_form(&format!("{path}/qualify"), Some(&caf), &format!("csrf={csrf}&team=Habilitations")).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{b:?}");
        let resp = t.post_form(&format!("{path}/message"), Some(&caf), &format!("csrf={csrf}&message=Le+compte+est+suspendu.")).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{b:?}");
        let seen = body(t.get(&path, Some(&claire)).await).await;
        assert!(seen.contains("Le compte est suspendu.") && seen.contains("Pris en charge") && seen.contains("Habilitations"), "{b:?}");
        let resp = t.post_form(&format!("{path}/close"), Some(&caf), &format!("csrf={csrf}&resolution=")).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b:?}");
        let resp = t.post_form(&format!("{path}/close"), Some(&caf), &format!("csrf={csrf}&resolution=Compte+r%C3%A9activ%C3%A9.")).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{b:?}");
        let closed = body(t.get(&path, Some(&claire)).await).await;
        assert!(closed.contains("Compte réactivé.") && !closed.contains("Écrire un message"), "{b:?}");

        // Planned outage: announced by the desk (a window backwards is refused, the typed
        // values kept), shown on the partner's home page.
        let page = body(t.get("/caisse/outages", Some(&caf)).await).await;
        let csrf = hidden(&page, "csrf");
        let resp = t.post_form("/caisse/outages", Some(&caf), &format!("csrf={csrf}&service=CDAP&starts=2026-12-02T12:00&ends=2026-12-02T08:00&reason=Mise+%C3%A0+jour")).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b:?}");
        let html = body(resp).await;
        assert!(html.contains("value=\"2026-12-02T12:00\"") && html.contains("doit venir après le début"), "{b:?}: the sentence fits the field");
        let resp = t.post_form("/caisse/outages", Some(&caf), &format!("csrf={csrf}&service=CDAP&starts=2026-12-02T08:00&ends=2026-12-02T12:00&reason=Mise+%C3%A0+jour")).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{b:?}");
        let home = body(t.get("/", Some(&claire)).await).await;
        assert!(home.contains("sera interrompu du 02/12/2026 08:00 au 02/12/2026 12:00 (Mise à jour)"), "{b:?}");
        assert_eq!(t.get("/caisse/outages", Some(&claire)).await.status(), StatusCode::FORBIDDEN, "{b:?}");

        // The API: a manager opens one; the answer says whether the desk is open.
        let signed: Value = serde_json::from_str(&body(t.post_json("/api/v1/session", &format!("{{\"login\":\"mons.admin\",\"password\":\"{PASSWORD}\"}}"), "fr").await).await).unwrap();
        let token = signed["token"].as_str().unwrap();
        let req = Request::post("/api/v1/incidents")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"service":"CDAP","subject":"Lenteurs","description":"Pages lentes depuis midi.","urgent":true}"#))
            .unwrap();
        let resp = t.send(req).await;
        assert_eq!(resp.status(), StatusCode::CREATED, "{b:?}");
        let v: Value = serde_json::from_str(&body(resp).await).unwrap();
        assert_eq!((v["desk_open"].as_bool(), v["incident"]["urgent"].as_bool(), v["incident"]["escalation_level"].as_i64()), (Some(true), Some(true), Some(1)), "{b:?}");
    }
}

/// Issue 17, first point: a person sees their own rights on the home page — direct and
/// through a group, with the end date and who gave it — and in the API.
#[tokio::test]
async fn a_person_sees_their_own_rights_on_the_home_page() {
    for b in backends() {
        let t = setup(b).await;
        let app = &t.state.app;
        let cl = habilis_core::trace::ClientInfo::default();
        let claire = app.login("mons.admin", PASSWORD, &cl).await.unwrap().actor;
        let karim = app.login("mons.agent", PASSWORD, &cl).await.unwrap().actor;
        let agent = t.sign_in("mons.agent").await;
        assert!(body(t.get("/", Some(&agent)).await).await.contains("Vous ne détenez aucune habilitation en vigueur"), "{b:?}");
        use habilis_core::commands::{Holder, NewGrant};
        let g = |holder, role: &str, ends: &str| NewGrant { holder, service_code: "CDAP".into(), role_code: role.into(), purpose: "Accueil".into(), ends_on: ends.into() };
        app.grant(&claire, &g(Holder::Person(karim.account.id), "T1", "2027-06-30"), &cl).await.unwrap();
        let accueil = app.create_group(&claire, "Accueil", &cl).await.unwrap();
        app.add_member(&claire, accueil.id, karim.account.id, &cl).await.unwrap();
        app.grant(&claire, &g(Holder::Group(accueil.id), "T2", ""), &cl).await.unwrap();
        let home = body(t.get("/", Some(&agent)).await).await;
        assert!(home.contains("Mes habilitations") && home.contains("CDAP T1") && home.contains("CDAP T2"), "{b:?}");
        assert!(home.contains("30/06/2027") && home.contains("Par le groupe Accueil") && home.contains("À titre personnel") && home.contains("Claire Martin"), "{b:?}");
        let signed: Value = serde_json::from_str(&body(t.post_json("/api/v1/session", &format!("{{\"login\":\"mons.agent\",\"password\":\"{PASSWORD}\"}}"), "fr").await).await).unwrap();
        let req = Request::get("/api/v1/me/rights").header(header::AUTHORIZATION, format!("Bearer {}", signed["token"].as_str().unwrap())).body(Body::empty()).unwrap();
        let v: Value = serde_json::from_str(&body(t.send(req).await).await).unwrap();
        let whats: Vec<&str> = v["rights"].as_array().unwrap().iter().map(|r| r["what"].as_str().unwrap()).collect();
        assert_eq!(whats, ["CDAP T1", "CDAP T2"], "{b:?}");
        assert_eq!(v["rights"][1]["through"], "Accueil", "{b:?}");
    }
}

/// Issue 17, point 4: the caisse suspending or deactivating a partner's administrator is
/// asked first, with the person named.
#[tokio::test]
async fn the_caisse_confirms_before_it_suspends_an_administrator() {
    let t = setup(habilis_store::Backend::Sqlite).await;
    let cl = habilis_core::trace::ClientInfo::default();
    let hugo = t.state.app.login("mons.deputy", PASSWORD, &cl).await.unwrap().actor;
    let partner = hugo.organisation.id;
    let caf = t.sign_in("caf.admin").await;
    let csrf = super::hidden(&body(t.get(&format!("/caisse/partners/{partner}"), Some(&caf)).await).await, "csrf");
    let path = format!("/caisse/administrators/{}/suspend", hugo.account.id);
    let resp = t.post_form(&path, Some(&caf), &format!("csrf={csrf}&partner={partner}")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let ask = body(resp).await;
    assert!(ask.contains("Suspendre ce compte d&#39;administrateur ?") || ask.contains("Suspendre ce compte d'administrateur ?"), "{ask}");
    assert!(ask.contains("Hugo Lefebvre (mons.deputy)") && ask.contains(&format!("value=\"{partner}\"")), "{ask}");
    assert!(t.state.app.login("mons.deputy", PASSWORD, &cl).await.is_ok(), "nothing done yet");
    let resp = t.post_form(&path, Some(&caf), &format!("csrf={csrf}&partner={partner}&confirm=yes")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(t.state.app.login("mons.deputy", PASSWORD, &cl).await.is_err(), "suspended once confirmed");
}

/// Issue 17, first point: the administrator's home lists what waits for them — a query
/// from the caisse, grants ending within 30 days, the year's review.
#[tokio::test]
async fn the_home_page_lists_what_waits_for_the_administrator() {
    let t = setup(habilis_store::Backend::Sqlite).await;
    let app = &t.state.app;
    let cl = habilis_core::trace::ClientInfo::default();
    let claire = app.login("mons.admin", PASSWORD, &cl).await.unwrap().actor;
    let sophie = app.login("caf.admin", PASSWORD, &cl).await.unwrap().actor;
    let karim = app.login("mons.agent", PASSWORD, &cl).await.unwrap().actor;
    let home = t.sign_in("mons.admin").await;
    assert!(body(t.get("/", Some(&home)).await).await.contains("Aucun élément pour le moment."));
    use habilis_core::commands::{Holder, NewGrant, NewQuery};
    let g = NewGrant { holder: Holder::Person(karim.account.id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Remplacement".into(), ends_on: "2026-12-15".into() };
    let grant = app.grant(&claire, &g, &cl).await.unwrap();
    app.open_query(&sophie, &NewQuery { grant: grant.id, question: "Pourquoi ?".into(), due_on: "2026-12-20".into(), auto_suspend: false }, &cl).await.unwrap();
    app.open_campaign(&sophie, &habilis_core::services::reviews::NewCampaign { year: "2026".into(), due_on: "2027-01-15".into(), partners: vec![] }, &cl).await.unwrap();
    let page = body(t.get("/", Some(&home)).await).await;
    assert!(page.contains("1 question(s) de la caisse attendent votre réponse."), "{page}");
    assert!(page.contains("1 habilitation(s) prennent fin dans les 30 jours."), "{page}");
    assert!(page.contains("Revue annuelle 2026 à transmettre avant le 15/01/2027."), "{page}");
}

/// Issue 18 (R6): the service contract as PDF, for the partner and for the caisse, read
/// back with pdftotext: the parties, the articles, the three annexes filled from the data,
/// French typography.
#[tokio::test]
async fn the_contract_is_a_pdf_with_its_articles_and_annexes() {
    let t = setup(habilis_store::Backend::Sqlite).await;
    let claire = t.sign_in("mons.admin").await;
    let started = std::time::Instant::now();
    let text = super::pdf_text(t.get("/partner/contract.pdf", Some(&claire)).await).await;
    println!("contract PDF answered in {:?}", started.elapsed());
    for part in ["Contrat de service « Mon Compte Partenaire »", "Caf du Nord, ci-après « la caisse »", "Mairie de Mons-en-Barœul, SIRET 21590410300011", "Article 2 — Gestion des habilitations", "Article 3 — Centre de services", "Article 5 — Sécurité et traçabilité", "Annexe 1 — Interlocuteurs", "Nadia Benali", "Annexe 2 — Services mis à disposition", "CDAP", "Annexe 3 — Demande de changement d'administrateur", "page 1 /"] {
        assert!(text.contains(part), "{part:?} missing in:\n{text}");
    }
    // French typography: no line starts with a colon or a closing guillemet.
    assert!(text.lines().all(|l| !l.trim_start().starts_with([':', ';', '»', '?'])), "{text}");
    let html = body(t.get("/partner/contract", Some(&claire)).await).await;
    assert!(html.contains("href=\"/partner/contract.pdf\""));
    // The caisse gets the same document; another partner's user does not.
    let cl = habilis_core::trace::ClientInfo::default();
    let partner = t.state.app.login("mons.admin", PASSWORD, &cl).await.unwrap().actor.organisation.id;
    let caf = t.sign_in("caf.admin").await;
    assert!(super::pdf_text(t.get(&format!("/caisse/partners/{partner}/contract.pdf"), Some(&caf)).await).await.contains("SIRET 21590410300011"));
    let agent = t.sign_in("mons.agent").await;
    assert_ne!(t.get("/partner/contract.pdf", Some(&agent)).await.status(), StatusCode::OK);
}

/// Issue 17, point 6: leaving the organisation from the rights page, confirmed first.
#[tokio::test]
async fn a_departure_is_recorded_from_the_rights_page() {
    let t = setup(habilis_store::Backend::Sqlite).await;
    let cl = habilis_core::trace::ClientInfo::default();
    let karim = t.state.app.login("mons.agent", PASSWORD, &cl).await.unwrap().actor.account.id;
    let claire = t.sign_in("mons.admin").await;
    let page = t.rights("/partner/rights", Some(&claire)).await;
    let path = format!("/partner/users/{karim}/leave");
    assert!(page.contains(&format!("action=\"{path}\"")), "offered");
    let csrf = super::hidden(&page, "csrf");
    let ask = body(t.post_form(&path, Some(&claire), &format!("csrf={csrf}")).await).await;
    assert!(ask.contains("Enregistrer le départ de cette personne ?") && ask.contains("Karim Haddad (mons.agent)"), "{ask}");
    let resp = t.post_form(&path, Some(&claire), &format!("csrf={csrf}&confirm=yes")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let done = body(t.get(super::location(&resp), Some(&claire)).await).await;
    assert!(done.contains("Karim Haddad (mons.agent) a quitté l&#39;organisme") || done.contains("Karim Haddad (mons.agent) a quitté l'organisme"), "{done}");
    assert!(t.state.app.login("mons.agent", PASSWORD, &cl).await.is_err());
}

/// Issue 17, point 6: a grant's end date changes from the rights page (a past date is
/// refused with its own sentence, what was typed kept), and a group's grant takes an end
/// date when given.
#[tokio::test]
async fn end_dates_are_set_from_the_rights_page() {
    let t = setup(habilis_store::Backend::Sqlite).await;
    let app = &t.state.app;
    let cl = habilis_core::trace::ClientInfo::default();
    let claire_actor = app.login("mons.admin", PASSWORD, &cl).await.unwrap().actor;
    let karim = app.login("mons.agent", PASSWORD, &cl).await.unwrap().actor.account.id;
    use habilis_core::commands::{Holder, NewGrant};
    let grant = app.grant(&claire_actor, &NewGrant { holder: Holder::Person(karim), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil".into(), ends_on: "".into() }, &cl).await.unwrap();
    let group = app.create_group(&claire_actor, "Accueil du soir", &cl).await.unwrap();
    let claire = t.sign_in("mons.admin").await;
    let page = t.rights("/partner/rights", Some(&claire)).await;
    let csrf = super::hidden(&page, "csrf");
    let path = format!("/partner/grants/{}/end-date", grant.id);
    assert!(page.contains(&format!("action=\"{path}\"")));
    let resp = t.post_form(&path, Some(&claire), &format!("csrf={csrf}&ends_on=2020-01-01")).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body(resp).await;
    assert!(html.contains("ne peut pas être déjà passée") && html.contains("value=\"2020-01-01\"") && html.contains("<details open>"), "{html}");
    let resp = t.post_form(&path, Some(&claire), &format!("csrf={csrf}&ends_on=2027-03-31")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let done = body(t.get(super::location(&resp), Some(&claire)).await).await;
    assert!(done.contains("Date de fin enregistrée : CDAP T1") && done.contains("31/03/2027"), "{done}");
    let resp = t.post_form(&format!("/partner/groups/{}/grant", group.id), Some(&claire), &format!("csrf={csrf}&service_role=CDAP%3AT2&purpose=Soir&ends_on=2027-06-30")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(t.rights("/partner/rights", Some(&claire)).await.contains("30/06/2027"), "the group's grant carries its end date");
}

/// Issue 18 (R15): users, groups and grants export as CSV a French spreadsheet opens —
/// BOM, `;`, CRLF — with formulas defused; the caisse exports a partner's too.
#[tokio::test]
async fn users_groups_and_grants_export_as_csv() {
    let t = setup(habilis_store::Backend::Sqlite).await;
    let app = &t.state.app;
    let cl = habilis_core::trace::ClientInfo::default();
    let claire_actor = app.login("mons.admin", PASSWORD, &cl).await.unwrap().actor;
    let input = habilis_core::commands::UserInput { first_name: "Léa".into(), last_name: "Roux".into(), email: "lea.roux@mons.invalid".into(), function: "=SOMME(A1:A9)".into(), login: String::new() };
    let lea = app.create_user(&claire_actor, &input, "http://x", &cl).await.unwrap();
    use habilis_core::commands::{Holder, NewGrant};
    app.grant(&claire_actor, &NewGrant { holder: Holder::Person(lea.id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil; familles".into(), ends_on: "2027-01-31".into() }, &cl).await.unwrap();
    let group = app.create_group(&claire_actor, "Accueil", &cl).await.unwrap();
    app.add_member(&claire_actor, group.id, lea.id, &cl).await.unwrap();
    let claire = t.sign_in("mons.admin").await;
    assert!(t.rights("/partner/rights", Some(&claire)).await.contains("href=\"/partner/rights/export/grants\""));
    let resp = t.get("/partner/rights/export/users", Some(&claire)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()[header::CONTENT_DISPOSITION].to_str().unwrap().contains("utilisateurs-2026-11-27.csv"));
    let users = body(resp).await;
    assert!(users.starts_with("\u{feff}identifiant;nom;courriel;fonction;"), "{users}");
    let line = users.lines().find(|l| l.contains(&lea.login)).unwrap();
    assert!(line.contains(";'=SOMME(A1:A9);") && line.contains(";Accueil") && users.contains("\r\n"), "{line}");
    let grants = body(t.get("/partner/rights/export/grants", Some(&claire)).await).await;
    let line = grants.lines().find(|l| l.contains(&lea.login)).unwrap();
    assert!(line.starts_with("CDAP;T1;") && line.contains(";\"Accueil; familles\";") && line.contains(";2027-01-31;active;mons.admin;"), "{line}");
    let groups = body(t.get("/partner/rights/export/groups", Some(&claire)).await).await;
    assert!(groups.contains(&format!("Accueil;{}", lea.login)), "{groups}");
    assert_eq!(t.get("/partner/rights/export/passwords", Some(&claire)).await.status(), StatusCode::NOT_FOUND);
    // The caisse exports its partner's; a plain user exports nothing.
    let caf = t.sign_in("caf.admin").await;
    let partner = claire_actor.organisation.id;
    assert!(body(t.get(&format!("/caisse/partners/{partner}/rights/export/users"), Some(&caf)).await).await.contains(&lea.login));
    let agent = t.sign_in("mons.agent").await;
    assert_ne!(t.get("/partner/rights/export/users", Some(&agent)).await.status(), StatusCode::OK);
}

/// Issue 17, point 6: the partners list searches (name, SIRET or town, accents forgiven),
/// says when nothing matches, pages by 50; only the caisse's administrators see "new".
#[tokio::test]
async fn the_partners_list_searches_and_pages() {
    let t = setup(habilis_store::Backend::Sqlite).await;
    let app = &t.state.app;
    let cl = habilis_core::trace::ClientInfo::default();
    let sophie = app.login("caf.admin", PASSWORD, &cl).await.unwrap().actor;
    // 55 more partners, with valid SIRETs (Luhn) built from a counter.
    fn luhn_siret(n: u32) -> String {
        let base = format!("1234{:09}", n);
        for last in 0..10 {
            let s = format!("{base}{last}");
            let sum: u32 = s.chars().rev().enumerate().map(|(i, c)| {
                let d = c.to_digit(10).unwrap();
                if i % 2 == 1 { let x = d * 2; if x > 9 { x - 9 } else { x } } else { d }
            }).sum();
            if sum % 10 == 0 {
                return s;
            }
        }
        unreachable!()
    }
    for i in 0..55 {
        let input = habilis_core::commands::PartnerInput { name: format!("CCAS numéro {i:02}"), siret: luhn_siret(i), address: String::new(), city: "Lille".into() };
        app.create_partner(&sophie, &input, &cl).await.unwrap();
    }
    let caf = t.sign_in("caf.admin").await;
    let first = body(t.get("/caisse/partners", Some(&caf)).await).await;
    assert!(first.contains("href=\"/caisse/partners/new\"") && first.contains("rel=\"next\""), "56 partners: two pages");
    assert_eq!(first.matches("<tr><td data-label").count(), 50);
    let found = body(t.get("/caisse/partners?q=barOEul", Some(&caf)).await).await;
    assert!(found.contains("Mairie de Mons-en-Barœul") && found.contains("1 partenaire(s) sur 56."), "{found}");
    let accents = body(t.get("/caisse/partners?q=numero+07", Some(&caf)).await).await;
    assert!(accents.contains("CCAS numéro 07"), "accents forgiven");
    let none = body(t.get("/caisse/partners?q=Roubaix", Some(&caf)).await).await;
    assert!(none.contains("Aucun partenaire ne correspond à « Roubaix »."), "{none}");
    let auditor = t.sign_in("caf.auditor").await;
    assert!(!body(t.get("/caisse/partners", Some(&auditor)).await).await.contains("href=\"/caisse/partners/new\""), "the auditor reads only");
}
