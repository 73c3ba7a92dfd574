//! Issue 17 through the router: the rights page's sub-pages and their navigation, a page per
//! person (what they hold, the actions one may take, their identity changed), the history
//! of a person, a grant and a mandate, and a refused form naming every refused field.

use axum::http::StatusCode;
use habilis_core::commands::{Holder, NewGrant, UserInput};
use habilis_store::testing::backends;
use serde_json::{Value, json};

use super::{PASSWORD, body, hidden, location, setup};

/// The value of the first link to a person's page in `html` for `name`.
fn person_link(html: &str, name: &str) -> String {
    html.split("href=\"")
        .find(|s| s.contains(&format!(">{name}<")) && s.contains("/people/"))
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no link to {name}'s page in {html}"))
        .to_string()
}

#[tokio::test]
async fn the_rights_page_is_split_into_sub_pages_that_say_where_one_is() {
    for b in backends() {
        let t = setup(b).await;
        let claire = t.sign_in("mons.admin").await;
        for (path, current) in [
            ("/partner/rights", "Vue d&#39;ensemble"),
            ("/partner/rights/grants", "Habilitations"),
            ("/partner/rights/people", "Utilisateurs"),
            ("/partner/rights/groups", "Groupes"),
            ("/partner/rights/mandates", "Mandats"),
        ] {
            let resp = t.get(path, Some(&claire)).await;
            assert_eq!(resp.status(), StatusCode::OK, "{b:?} {path}");
            let html = body(resp).await;
            assert!(html.contains(&format!("href=\"{path}\" aria-current=\"page\">{current}<")), "{b:?} {path}: the navigation says where one is");
            assert_eq!(html.matches("aria-current=\"page\"").count(), 1, "{b:?} {path}: one current entry");
        }
        // Each subject on its own page: the user form is not on the grants page, and so on.
        let grants = body(t.get("/partner/rights/grants", Some(&claire)).await).await;
        assert!(grants.contains("action=\"/partner/grants\"") && !grants.contains("action=\"/partner/users\""), "{b:?}");
        let people = body(t.get("/partner/rights/people", Some(&claire)).await).await;
        assert!(people.contains("action=\"/partner/users\"") && !people.contains("action=\"/partner/grants\""), "{b:?}");
        // The overview counts what each sub-page holds and leads there.
        let overview = body(t.get("/partner/rights", Some(&claire)).await).await;
        assert!(overview.contains("href=\"/partner/rights/people\">4 personne(s)"), "{b:?}: {overview}");
        // After a form, one lands on the sub-page it belongs to, told what was done.
        let csrf = hidden(&people, "csrf");
        let resp = t.post_form("/partner/users", Some(&claire), &format!("csrf={csrf}&first_name=L%C3%A9a&last_name=Roux&email=lea.roux%40mairie.invalid&function=")).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{b:?}");
        assert!(location(&resp).starts_with("/partner/rights/people?ok=user&id="), "{b:?}: {}", location(&resp));
        // The caisse's view of the partner has the same sub-pages.
        let caf = t.sign_in("caf.admin").await;
        let mons = t.state.app.login("mons.admin", PASSWORD, &Default::default()).await.unwrap().actor.organisation.id;
        let resp = t.get(&format!("/caisse/partners/{mons}/rights/people"), Some(&caf)).await;
        assert_eq!(resp.status(), StatusCode::OK, "{b:?}");
        assert!(body(resp).await.contains("Léa Roux"), "{b:?}");
    }
}

#[tokio::test]
async fn a_person_has_a_page_with_what_they_hold_and_the_actions_one_may_take() {
    for b in backends() {
        let t = setup(b).await;
        let app = &t.state.app;
        let claire_actor = app.login("mons.admin", PASSWORD, &Default::default()).await.unwrap().actor;
        let claire = t.sign_in("mons.admin").await;
        let people = body(t.get("/partner/rights/people", Some(&claire)).await).await;
        let karim_page = person_link(&people, "Karim Haddad");
        let karim_id = karim_page.rsplit('/').next().unwrap().to_string();
        let karim = habilis_core::records::AccountId::parse(&karim_id).unwrap();
        // A direct grant, and one through a group he is a member of.
        let g = app
            .grant(&claire_actor, &NewGrant { holder: Holder::Person(karim), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil RSA".into(), ends_on: "".into() }, &Default::default())
            .await
            .unwrap();
        let group = app.create_group(&claire_actor, "Accueil du soir", &Default::default()).await.unwrap();
        app.add_member(&claire_actor, group.id, karim, &Default::default()).await.unwrap();
        app.grant(&claire_actor, &NewGrant { holder: Holder::Group(group.id), service_code: "CDAP".into(), role_code: "T2".into(), purpose: "Permanence".into(), ends_on: "".into() }, &Default::default())
            .await
            .unwrap();

        let resp = t.get(&karim_page, Some(&claire)).await;
        assert_eq!(resp.status(), StatusCode::OK, "{b:?}");
        let html = body(resp).await;
        assert!(html.contains("<h1>Karim Haddad</h1>") && html.contains("mons.agent"), "{b:?}");
        assert!(html.contains("Accueil RSA") && html.contains("directe"), "{b:?}: the direct grant");
        assert!(html.contains("Permanence") && html.contains("par le groupe « Accueil du soir »"), "{b:?}: the group's grant, said as such");
        assert!(html.contains("<li>Accueil du soir</li>"), "{b:?}: his groups");
        assert!(html.contains(&format!("href=\"/partner/rights/grants/{}\"", g.id)), "{b:?}: the grant's history is one click away");
        // Suspending his grant from his page lands back on it, saying what was done.
        let csrf = hidden(&html, "csrf");
        let resp = t.post_form(&format!("/partner/grants/{}/suspend", g.id), Some(&claire), &format!("csrf={csrf}&back={karim_id}&confirm=yes&reason=Absence+longue")).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{b:?}");
        assert!(location(&resp).starts_with(&format!("{karim_page}?ok=grants-suspend")), "{b:?}: {}", location(&resp));
        let html = body(t.get(location(&resp), Some(&claire)).await).await;
        assert!(html.contains("role=\"status\">Habilitation suspendue : CDAP T1") && html.contains(">suspendue<"), "{b:?}: {html}");
        // `back` names a person, never an address: anything else is ignored.
        let resp = t.post_form(&format!("/partner/grants/{}/resume", g.id), Some(&claire), &format!("csrf={csrf}&back=https%3A%2F%2Fevil.example")).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{b:?}");
        assert!(location(&resp).starts_with("/partner/rights/grants?ok=grants-resume"), "{b:?}: {}", location(&resp));

        // His identity is changed from his page; a refusal names every refused field, each
        // next to its input, and keeps what was typed.
        let resp = t
            .post_form(&format!("/partner/users/{karim_id}/edit"), Some(&claire), &format!("csrf={csrf}&back={karim_id}&first_name=&last_name=Haddad&email=pas-une-adresse&function=Accueil"))
            .await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b:?}");
        let html = body(resp).await;
        assert!(html.contains("href=\"#pe-first_name\"") && html.contains("href=\"#pe-email\""), "{b:?}: the summary lists both fields: {html}");
        assert!(html.contains("id=\"pe-first_name\" name=\"first_name\"") && html.contains("aria-describedby=\"pe-first_name-error\""), "{b:?}");
        assert_eq!(html.matches("aria-invalid=\"true\"").count(), 2, "{b:?}: two fields marked, no more");
        assert!(html.contains("value=\"pas-une-adresse\"") && html.contains("value=\"Accueil\""), "{b:?}: what was typed is kept");
        assert_eq!(app.partner_people(&claire_actor).await.unwrap().iter().find(|p| p.id == karim).unwrap().email, "mons.agent@demo.habilis.invalid", "{b:?}: nothing written");
        let resp = t
            .post_form(&format!("/partner/users/{karim_id}/edit"), Some(&claire), &format!("csrf={csrf}&back={karim_id}&first_name=Karim&last_name=Haddad-Benali&email=k.haddad%40mairie.invalid&function=Accueil"))
            .await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{b:?}");
        assert!(location(&resp).starts_with(&format!("{karim_page}?ok=users-edit")), "{b:?}");
        let html = body(t.get(&karim_page, Some(&claire)).await).await;
        assert!(html.contains("<h1>Karim Haddad-Benali</h1>") && html.contains("k.haddad@mairie.invalid"), "{b:?}");

        // The caisse's trace auditor reads his page through the caisse's view, without a form.
        let auditor = t.sign_in("caf.auditor").await;
        let mons = claire_actor.organisation.id;
        let resp = t.get(&format!("/caisse/partners/{mons}/rights/people/{karim_id}"), Some(&auditor)).await;
        assert_eq!(resp.status(), StatusCode::OK, "{b:?}");
        let html = body(resp).await;
        assert!(html.contains("Karim Haddad-Benali") && html.contains("Accueil RSA"), "{b:?}");
        assert_eq!(html.matches("method=\"post\"").count(), 1, "{b:?}: a read-only reader is offered no action (the one form is signing out): {html}");
        // Someone of another partner is not found here.
        let caf_admin = app.login("caf.admin", PASSWORD, &Default::default()).await.unwrap().actor;
        let resp = t.get(&format!("/partner/rights/people/{}", caf_admin.account.id), Some(&claire)).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{b:?}");
    }
}

#[tokio::test]
async fn the_history_of_a_person_a_grant_and_a_mandate_is_read_from_the_trail() {
    for b in backends() {
        let t = setup(b).await;
        let app = &t.state.app;
        let claire_actor = app.login("mons.admin", PASSWORD, &Default::default()).await.unwrap().actor;
        let u = app
            .create_user(&claire_actor, &UserInput { first_name: "Paul".into(), last_name: "Martin".into(), email: "paul.martin@mairie.invalid".into(), ..Default::default() }, "https://h", &Default::default())
            .await
            .unwrap();
        let g = app
            .grant(&claire_actor, &NewGrant { holder: Holder::Person(u.id), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Suivi RSA".into(), ends_on: "".into() }, &Default::default())
            .await
            .unwrap();
        app.suspend_grant_because(&claire_actor, g.id, Some("Congé"), &Default::default()).await.unwrap();
        let claire = t.sign_in("mons.admin").await;
        // The person's history: their creation, the grant given and suspended, in words.
        let resp = t.get(&format!("/partner/rights/people/{}/history", u.id), Some(&claire)).await;
        assert_eq!(resp.status(), StatusCode::OK, "{b:?}");
        let html = body(resp).await;
        assert!(html.contains("aria-current=\"page\">Historique<"), "{b:?}");
        for code in ["user.create", "grant.create", "grant.suspend"] {
            assert!(html.contains(&format!("<code>{code}</code>")), "{b:?}: {code} in the person's history: {html}");
        }
        assert!(!html.contains("<code>http.get</code>"), "{b:?}: changes only");
        // A spoilt cursor is said as such, not as a trail the reader may not read.
        let resp = t.get(&format!("/partner/rights/people/{}/history?after=nope", u.id), Some(&claire)).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b:?}");
        assert!(!body(resp).await.contains("réservé aux administrateurs"), "{b:?}");
        // The grant's own history, and the reading itself is traced.
        let resp = t.get(&format!("/partner/rights/grants/{}", g.id), Some(&claire)).await;
        assert_eq!(resp.status(), StatusCode::OK, "{b:?}");
        let html = body(resp).await;
        assert!(html.contains("<code>grant.create</code>") && html.contains("<code>grant.suspend</code>") && !html.contains("<code>user.create</code>"), "{b:?}: {html}");
        let token = t.token("mons.admin").await;
        let (_, read) = t.api("GET", "/api/v1/traces?action=trace.read", &token, None).await;
        assert!(read["traces"].as_array().unwrap().iter().any(|r| r["detail"].as_str().unwrap_or("").contains(&g.id.to_string())), "{b:?}: {read}");
        // The trail's CSV names the grant beside its id, and who acted beside their login.
        let csv = body(t.get(&format!("/traces/export?format=csv&target={}", g.id), Some(&claire)).await).await;
        assert!(csv.starts_with("\u{feff}date;identifiant;personne;organisation;"), "{b:?}: {csv}");
        let line = csv.lines().find(|l| l.contains("grant.create")).unwrap_or_else(|| panic!("{b:?}: {csv}"));
        assert!(line.contains(&format!(";{};CDAP T1", g.id)) && line.contains(";mons.admin;Claire Martin — "), "{b:?}: {line}");
        // A mandate's history.
        let julie = app.login("mons.manager", PASSWORD, &Default::default()).await.unwrap().actor;
        let m = app.mandates(&claire_actor).await.unwrap().into_iter().find(|m| m.holder_id == julie.account.id).unwrap();
        let resp = t.get(&format!("/partner/rights/mandates/{}", m.id), Some(&claire)).await;
        assert_eq!(resp.status(), StatusCode::OK, "{b:?}");
        // A delegated manager does not read the trail: the page says who does.
        let julie = t.sign_in("mons.manager").await;
        let html = body(t.get(&format!("/partner/rights/people/{}/history", u.id), Some(&julie)).await).await;
        assert!(html.contains("réservé aux administrateurs du partenaire") && !html.contains("<code>"), "{b:?}");
        // The caisse's trace auditor reads it through the caisse's view of the partner.
        let auditor = t.sign_in("caf.auditor").await;
        let mons = claire_actor.organisation.id;
        let html = body(t.get(&format!("/caisse/partners/{mons}/rights/people/{}/history", u.id), Some(&auditor)).await).await;
        assert!(html.contains("<code>grant.suspend</code>"), "{b:?}: {html}");
        // An id that is not one of the partner's grants is not found.
        let resp = t.get(&format!("/partner/rights/grants/{}", u.id), Some(&claire)).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{b:?}");
    }
}

#[tokio::test]
async fn the_api_names_every_refused_field() {
    for b in backends() {
        let t = setup(b).await;
        let token = t.token("mons.admin").await;
        let (status, v): (StatusCode, Value) = t.api("POST", "/api/v1/users", &token, Some(json!({ "first_name": "", "last_name": "Roux", "email": "nope" }))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b:?}");
        assert_eq!(v["error"]["code"], "invalid_fields", "{b:?}: {v}");
        let fields: Vec<&str> = v["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["first_name", "email"], "{b:?}: {v}");
        // One refused field keeps its single-field code, with the list of one.
        let (status, v): (StatusCode, Value) = t.api("POST", "/api/v1/users", &token, Some(json!({ "first_name": "Léa", "last_name": "Roux", "email": "nope" }))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b:?}");
        assert_eq!((v["error"]["code"].as_str(), v["error"]["field"].as_str(), v["error"]["fields"].as_array().map(|a| a.len())), (Some("invalid_field"), Some("email"), Some(1)), "{b:?}: {v}");
    }
}

#[tokio::test]
async fn long_lists_are_paged_and_searched() {
    let t = setup(habilis_store::Backend::Sqlite).await;
    let app = &t.state.app;
    let claire_actor = app.login("mons.admin", PASSWORD, &Default::default()).await.unwrap().actor;
    for i in 0..56 {
        let input = UserInput { first_name: "Agent".into(), last_name: format!("Numéro{i:02}"), email: format!("n{i}@mairie.invalid"), ..Default::default() };
        app.create_user(&claire_actor, &input, "https://h", &Default::default()).await.unwrap();
    }
    let claire = t.sign_in("mons.admin").await;
    // 60 people: 50 on the first page, the others on the second.
    let first = body(t.get("/partner/rights/people", Some(&claire)).await).await;
    assert_eq!(first.matches("href=\"/partner/rights/people/").count(), 50, "{first}");
    assert!(first.contains("href=\"/partner/rights/people?page=2\" rel=\"next\""), "{first}");
    let second = body(t.get("/partner/rights/people?page=2", Some(&claire)).await).await;
    assert_eq!(second.matches("href=\"/partner/rights/people/").count(), 10);
    assert!(second.contains("rel=\"prev\"") && !second.contains("rel=\"next\""));
    // A page beyond the last shows the last; the search forgives accents and keeps to its pages.
    let beyond = body(t.get("/partner/rights/people?page=99", Some(&claire)).await).await;
    assert_eq!(beyond.matches("href=\"/partner/rights/people/").count(), 10);
    let found = body(t.get("/partner/rights/people?q=numero0", Some(&claire)).await).await;
    assert_eq!(found.matches("href=\"/partner/rights/people/").count(), 10, "Numéro00…09");
    assert!(found.contains("Résultats pour « numero0 »") && !found.contains("rel=\"next\""));
    let none = body(t.get("/partner/rights/people?q=zzz", Some(&claire)).await).await;
    assert!(none.contains("Aucun résultat pour « zzz »."), "{none}");
    // The grants list is searched by person, service or purpose.
    let people = app.partner_people(&claire_actor).await.unwrap();
    let who = people.iter().find(|p| p.display_name == "Agent Numéro03").unwrap().id;
    app.grant(&claire_actor, &NewGrant { holder: Holder::Person(who), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Écoles".into(), ends_on: "".into() }, &Default::default()).await.unwrap();
    let html = body(t.get("/partner/rights/grants?q=ecoles", Some(&claire)).await).await;
    assert!(html.contains("<td data-label=\"Personne\">Agent Numéro03</td>") && html.contains("Résultats pour"), "{html}");
    let html = body(t.get("/partner/rights/grants?q=t2", Some(&claire)).await).await;
    assert!(html.contains("Aucun résultat pour « t2 ».") && !html.contains("<td data-label=\"Personne\">"), "{html}");
}

#[tokio::test]
async fn the_departure_is_offered_only_where_the_core_would_record_it() {
    for b in backends() {
        let t = setup(b).await;
        let app = &t.state.app;
        let claire_actor = app.login("mons.admin", PASSWORD, &Default::default()).await.unwrap().actor;
        let new_user = |last: &str| UserInput { first_name: "Agent".into(), last_name: last.into(), email: format!("{}@mairie.invalid", last.to_lowercase()), ..Default::default() };
        let t1 = app.create_user(&claire_actor, &new_user("Unpro"), "https://h", &Default::default()).await.unwrap();
        let t2 = app.create_user(&claire_actor, &new_user("Deuxpro"), "https://h", &Default::default()).await.unwrap();
        for (who, role) in [(t1.id, "T1"), (t2.id, "T2")] {
            app.grant(&claire_actor, &NewGrant { holder: Holder::Person(who), service_code: "CDAP".into(), role_code: role.into(), purpose: "Accueil".into(), ends_on: "".into() }, &Default::default())
                .await
                .unwrap();
        }
        // Julie's mandate covers CDAP T1 and users: she may record the first one's departure,
        // not the second's (his T2 is outside her mandate), and the page offers exactly that.
        let julie = t.sign_in("mons.manager").await;
        let html = body(t.get("/partner/rights/people", Some(&julie)).await).await;
        assert!(html.contains(&format!("/partner/users/{}/leave", t1.id)), "{b:?}");
        assert!(!html.contains(&format!("/partner/users/{}/leave", t2.id)), "{b:?}: not offered where the core refuses");
        let page = body(t.get(&format!("/partner/rights/people/{}", t2.id), Some(&julie)).await).await;
        assert!(!page.contains("/leave\""), "{b:?}");
        // Posted anyway, the core refuses it, and nothing changes.
        let csrf = hidden(&html, "csrf");
        let resp = t.post_form(&format!("/partner/users/{}/leave", t2.id), Some(&julie), &format!("csrf={csrf}&confirm=yes")).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{b:?}");
        // The trail says what the refused attempt ran into, in words.
        let token = t.token("mons.admin").await;
        let (_, v) = t.api("GET", "/api/v1/traces?outcome=refused&action=http.post", &token, None).await;
        let refused: Vec<&str> = v["traces"].as_array().unwrap().iter().filter(|r| r["target"].as_str().is_some_and(|x| x.ends_with("/leave"))).filter_map(|r| r["detail"].as_str()).collect();
        assert!(refused.iter().any(|d| d.contains("Votre mandat ne couvre pas cette action") && d.contains("(outside_mandate)")), "{b:?}: {v}");
        let resp = t.post_form(&format!("/partner/users/{}/leave", t1.id), Some(&julie), &format!("csrf={csrf}&confirm=yes")).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{b:?}");
        // Once gone, no departure is offered again.
        let html = body(t.get("/partner/rights/people", Some(&julie)).await).await;
        assert!(!html.contains(&format!("/partner/users/{}/leave", t1.id)), "{b:?}");
    }
}

#[tokio::test]
async fn the_partner_form_names_every_refused_field() {
    let t = setup(habilis_store::Backend::Sqlite).await;
    let caf = t.sign_in("caf.admin").await;
    let html = body(t.get("/caisse/partners/new", Some(&caf)).await).await;
    let csrf = hidden(&html, "csrf");
    let resp = t.post_form("/caisse/partners/new", Some(&caf), &format!("csrf={csrf}&name=&siret=123&address=&city=Lomme")).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body(resp).await;
    assert!(html.contains("href=\"#name\"") && html.contains("href=\"#siret\""), "{html}");
    assert!(html.contains("aria-describedby=\"siret-hint siret-error\"") && html.contains("id=\"name-error\""), "{html}");
    assert!(html.contains("value=\"Lomme\""), "what was typed is kept");
}

#[tokio::test]
async fn incidents_are_searched_and_paged_and_their_form_names_every_refused_field() {
    let t = setup(habilis_store::Backend::Sqlite).await;
    let app = &t.state.app;
    let claire_actor = app.login("mons.admin", PASSWORD, &Default::default()).await.unwrap().actor;
    for i in 0..52 {
        let cmd = habilis_core::services::desk::NewIncident { service_code: "CDAP".into(), subject: format!("Écran figé n°{i}"), description: "Depuis ce matin.".into(), urgent: false };
        app.open_incident(&claire_actor, &cmd, &Default::default()).await.unwrap();
    }
    let claire = t.sign_in("mons.admin").await;
    let html = body(t.get("/incidents", Some(&claire)).await).await;
    assert_eq!(html.matches("href=\"/incidents/").count(), 50, "{html}");
    assert!(html.contains("href=\"/incidents?page=2\" rel=\"next\""));
    let found = body(t.get("/incidents?q=ecran+fige+n%C2%B05", Some(&claire)).await).await;
    assert!(found.contains("Résultats pour") && found.matches("href=\"/incidents/").count() == 3, "n°5, n°50, n°51: {found}");
    let csrf = hidden(&html, "csrf");
    let resp = t.post_form("/incidents", Some(&claire), &format!("csrf={csrf}&service=CDAP&subject=&description=")).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body(resp).await;
    assert!(html.contains("href=\"#in-subject\"") && html.contains("href=\"#in-description\""), "{html}");
    assert!(html.contains("aria-describedby=\"in-description-error\""), "{html}");
}

#[tokio::test]
async fn the_caisse_supervision_views_are_paged_under_their_filters() {
    let t = setup(habilis_store::Backend::Sqlite).await;
    let app = &t.state.app;
    let claire_actor = app.login("mons.admin", PASSWORD, &Default::default()).await.unwrap().actor;
    for i in 0..55 {
        let input = UserInput { first_name: "Agent".into(), last_name: format!("Dormant{i:02}"), email: format!("d{i}@mairie.invalid"), ..Default::default() };
        app.create_user(&claire_actor, &input, "https://h", &Default::default()).await.unwrap();
    }
    // Seven months on, never having signed in, they are dormant.
    t.clock.advance(time::Duration::days(210));
    let caf = t.sign_in("caf.admin").await;
    let first = body(t.get("/caisse/supervision?view=dormant&months=6", Some(&caf)).await).await;
    let rows = |html: &str| html.matches("<tr><td><a href=\"/caisse/partners/").count();
    assert_eq!(rows(&first), 50, "{first}");
    let next = first.split("rel=\"next\"").next().unwrap().rsplit("href=\"").next().unwrap().split('"').next().unwrap().replace("&amp;", "&").replace("&#38;", "&");
    assert!(next.starts_with("/caisse/supervision?view=dormant&months=6&page=2"), "the filters are kept: {next}");
    let second = body(t.get(&next, Some(&caf)).await).await;
    assert!(rows(&second) >= 5 && rows(&second) < 50, "{second}");
    assert!(second.contains("rel=\"prev\""));
}

#[tokio::test]
async fn the_outage_form_names_every_refused_field() {
    let t = setup(habilis_store::Backend::Sqlite).await;
    let desk = t.sign_in("caf.admin").await;
    let page = t.get("/caisse/outages", Some(&desk)).await;
    assert_eq!(page.status(), StatusCode::OK);
    let csrf = hidden(&body(page).await, "csrf");
    let resp = t.post_form("/caisse/outages", Some(&desk), &format!("csrf={csrf}&service=CDAP&starts=demain&ends=&reason=")).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body(resp).await;
    for f in ["starts", "ends", "reason"] {
        assert!(html.contains(&format!("href=\"#o-{f}\"")) && html.contains(&format!("aria-describedby=\"o-{f}-error\"")), "{f}: {html}");
    }
    assert!(html.contains("value=\"demain\""), "what was typed is kept");
}

#[tokio::test]
async fn a_partner_file_is_split_into_sub_pages_and_forms_land_on_theirs() {
    let t = setup(habilis_store::Backend::Sqlite).await;
    let mons = t.state.app.login("mons.admin", PASSWORD, &Default::default()).await.unwrap().actor.organisation.id;
    let caf = t.sign_in("caf.admin").await;
    for (suffix, current) in [("", "Identité et services"), ("/agreements", "Convention, contrat de service et avenants"), ("/administrators", "Administrateurs du partenaire"), ("/contacts", "Interlocuteurs de l&#39;organisme")] {
        let path = format!("/caisse/partners/{mons}{suffix}");
        let resp = t.get(&path, Some(&caf)).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let html = body(resp).await;
        assert!(html.contains(&format!("href=\"{path}\" aria-current=\"page\">{current}<")), "{path}: {html}");
    }
    let html = body(t.get(&format!("/caisse/partners/{mons}/contacts"), Some(&caf)).await).await;
    assert!(html.contains(&format!("action=\"/caisse/partners/{mons}/contacts\"")) && !html.contains(&format!("action=\"/caisse/partners/{mons}/subscriptions\"")));
    let csrf = hidden(&html, "csrf");
    let resp = t.post_form(&format!("/caisse/partners/{mons}/contacts"), Some(&caf), &format!("csrf={csrf}&function=data_protection_referent&name=Anne+Leroy&title=DPO&email=dpo%40mairie.invalid&phone=")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), format!("/caisse/partners/{mons}/contacts?ok=contact"));
}

#[tokio::test]
async fn the_alert_rules_form_names_every_refused_figure() {
    let t = setup(habilis_store::Backend::Sqlite).await;
    let caf = t.sign_in("caf.admin").await;
    let html = body(t.get("/caisse/alerts/rules", Some(&caf)).await).await;
    let csrf = hidden(&html, "csrf");
    let form = format!(
        "csrf={csrf}&off_hours=on&office_start_hour=8&office_end_hour=19&volume=on&volume_factor=1&volume_floor=50&volume_history_days=30&new_network=on&network_days=90&failures=on&failures_per_hour=5&dormant=on&dormant_days=abc"
    );
    let resp = t.post_form("/caisse/alerts/rules", Some(&caf), &form).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body(resp).await;
    assert!(html.contains("href=\"#ru-factor\"") && html.contains("href=\"#ru-dordays\""), "{html}");
    assert_eq!(html.matches("aria-invalid=\"true\"").count(), 2, "{html}");
}
