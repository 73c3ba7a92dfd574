//! SCIM 2.0 through the router (issue 18, R71): the token a partner's administrator
//! creates, and the directory's requests meeting the portal's rules — isolation, who may
//! act on whom, the quotas of a group that holds grants (also under concurrency), versions,
//! the trail. The protocol as a whole is checked by scim2-tester (`scim/conformance.py`).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use habilis_core::commands::{Holder, NewGrant};
use habilis_store::testing::backends;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{CHROME, PASSWORD, T, body, hidden, setup};

impl T {
    /// A SCIM request with the directory's token: status, headers, JSON.
    async fn scim(&self, method: &str, path: &str, token: &str, payload: Option<Value>, extra: &[(&str, &str)]) -> (StatusCode, HeaderMap, Value) {
        let mut r = Request::builder().method(method).uri(format!("/scim/v2{path}")).header(header::AUTHORIZATION, format!("Bearer {token}"));
        for (k, v) in extra {
            r = r.header(*k, *v);
        }
        let b = match payload {
            Some(v) => {
                r = r.header(header::CONTENT_TYPE, "application/scim+json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        let resp = self.send(r.body(b).unwrap()).await;
        let (status, headers) = (resp.status(), resp.headers().clone());
        let text = body(resp).await;
        (status, headers, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A directory token created by `login` through the API.
    async fn scim_token(&self, login: &str) -> String {
        let session = self.token(login).await;
        let (s, v) = self.api("POST", "/api/v1/scim-tokens", &session, Some(json!({"label": "Annuaire de test", "days": 30}))).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v["token"].as_str().unwrap().to_string()
    }
}

fn user(login: &str, given: &str, family: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": login, "name": {"givenName": given, "familyName": family},
        "emails": [{"value": format!("{login}@mairie.invalid"), "type": "work", "primary": true}], "active": true, "externalId": format!("ext-{login}")})
}

#[tokio::test]
async fn the_administrator_creates_a_token_on_the_page_and_revokes_it() {
    let t = setup(habilis_store::Backend::Sqlite).await;
    let claire = t.sign_in("mons.admin").await;
    assert!(super::body(t.get("/partner/rights", Some(&claire)).await).await.contains("href=\"/partner/directory-sync\""));
    let page = body(t.get("/partner/directory-sync", Some(&claire)).await).await;
    assert!(page.contains("/scim/v2") && page.contains("Aucun jeton"), "{page}");
    let csrf = hidden(&page, "csrf");
    // A refused form keeps what was typed and says why.
    let resp = t.post_form("/partner/directory-sync", Some(&claire), &format!("csrf={csrf}&label=Entra+ID&days=400")).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = body(resp).await;
    assert!(refused.contains("value=\"Entra ID\"") && refused.contains("value=\"400\""), "{refused}");
    let resp = t.post_form("/partner/directory-sync", Some(&claire), &format!("csrf=forged&label=Entra+ID&days=30")).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    let resp = t.post_form("/partner/directory-sync", Some(&claire), &format!("csrf={csrf}&label=Entra+ID&days=30")).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let shown = body(resp).await;
    let secret = shown.split("<code>").nth(1).unwrap().split("</code>").next().unwrap().to_string();
    assert!(secret.starts_with("scim_"), "{shown}");
    let (s, _, v) = t.scim("GET", "/Users?filter=userName%20eq%20%22mons.agent%22", &secret, None, &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["totalResults"], 1, "{v}");
    // The secret is shown once: the list has the token, never its secret.
    let list = body(t.get("/partner/directory-sync", Some(&claire)).await).await;
    assert!(list.contains("Entra ID") && !list.contains(&secret), "{list}");
    let id = list.split("/partner/directory-sync/").nth(1).unwrap().split('/').next().unwrap().to_string();
    let resp = t.post_form(&format!("/partner/directory-sync/{id}/revoke"), Some(&claire), &format!("csrf={csrf}")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(body(resp).await.contains("Révoqué"));
    let (s, h, v) = t.scim("GET", "/Users", &secret, None, &[]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    assert!(h.get(header::WWW_AUTHENTICATE).is_some());
    assert_eq!(v["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error");
    assert!(v["detail"].as_str().unwrap().contains("révoqué"), "{v}");
    // Both are in the partner's trail; a refused token's attempt is traced too.
    let traces = t.traces("mons.admin").await;
    for action in ["scim.token.create", "scim.token.revoke"] {
        assert!(traces.iter().any(|r| r.entry.action == action && r.entry.target.as_deref() == Some("Entra ID")), "{action}");
    }

    // The deputy's token stops when the deputy is no longer one (here the caisse has made
    // them a plain user), and the page says why.
    let deputy_token = t.scim_token("mons.deputy").await;
    assert_eq!(t.scim("GET", "/Users?count=1", &deputy_token, None, &[]).await.0, StatusCode::OK);
    {
        use habilis_core::store::{OrganisationTx, Store, Transaction};
        let mut tx = t.state.app.store.begin().await.unwrap();
        let deputy = tx.account_by_login("mons.deputy").await.unwrap().unwrap();
        tx.set_account_roles(deputy.id, &[habilis_core::records::Role::User]).await.unwrap();
        tx.commit().await.unwrap();
    }
    assert_eq!(t.scim("GET", "/Users?count=1", &deputy_token, None, &[]).await.0, StatusCode::UNAUTHORIZED);
    let list = body(t.get("/partner/directory-sync", Some(&claire)).await).await;
    assert!(list.contains("Hugo Lefebvre") && list.contains(&"Inactif : la personne qui l'a créé n'est plus administrateur".replace('\'', "&#39;")), "{list}");

    // Only the partner's administrators issue tokens.
    for login in ["mons.manager", "caf.admin"] {
        let cookie = t.sign_in(login).await;
        assert_eq!(t.get("/partner/directory-sync", Some(&cookie)).await.status(), StatusCode::FORBIDDEN, "{login}");
        let session = t.token(login).await;
        let (s, _) = t.api("POST", "/api/v1/scim-tokens", &session, Some(json!({"label": "x"}))).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{login}");
    }
    let _ = CHROME;
}

#[tokio::test]
async fn a_directory_provisions_people_and_groups_under_the_portals_rules() {
    for b in backends() {
        let t = setup(b).await;
        let token = t.scim_token("mons.admin").await;

        // Created as the form creates: the organisation's prefix, a one-time link by mail.
        let (s, h, v) = t.scim("POST", "/Users", &token, Some(user("lmoreau", "Léa", "Moreau Dupont")), &[]).await;
        assert_eq!(s, StatusCode::CREATED, "{b:?} {v}");
        assert_eq!(v["userName"], "mons.lmoreau");
        assert_eq!(v["name"]["familyName"], "Moreau Dupont", "the halves of a name come back as given");
        assert_eq!(v["externalId"], "ext-lmoreau");
        let lea = v["id"].as_str().unwrap().to_string();
        assert_eq!(h.get(header::LOCATION).unwrap().to_str().unwrap(), v["meta"]["location"].as_str().unwrap());
        let etag = h.get(header::ETAG).unwrap().to_str().unwrap().to_string();
        assert_eq!(etag, v["meta"]["version"].as_str().unwrap());
        // The same login twice: uniqueness.
        let (s, _, v) = t.scim("POST", "/Users", &token, Some(user("lmoreau", "Léa", "Moreau")), &[]).await;
        assert_eq!((s, v["scimType"].as_str()), (StatusCode::CONFLICT, Some("uniqueness")), "{v}");
        // A value the form refuses is refused with the form's sentence, in the client's language.
        let mut bad = user("jdoe", "J", "Doe");
        bad["emails"] = json!([{"value": "pas-une-adresse"}]);
        let (s, _, v) = t.scim("POST", "/Users", &token, Some(bad.clone()), &[("accept-language", "en")]).await;
        assert_eq!((s, v["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidValue")), "{v}");
        assert!(v["detail"].as_str().unwrap().contains("mail"), "{v}");

        // Versions: 304 for the same, 412 for a stale one.
        let (s, _, _) = t.scim("GET", &format!("/Users/{lea}"), &token, None, &[("if-none-match", &etag)]).await;
        assert_eq!(s, StatusCode::NOT_MODIFIED);
        let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "title", "value": "Agent d'accueil"}]});
        let (s, h, v) = t.scim("PATCH", &format!("/Users/{lea}"), &token, Some(patch.clone()), &[("if-match", &etag)]).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["title"], "Agent d'accueil");
        assert_ne!(h.get(header::ETAG).unwrap().to_str().unwrap(), etag);
        let (s, _, v) = t.scim("PATCH", &format!("/Users/{lea}"), &token, Some(patch), &[("if-match", &etag)]).await;
        assert_eq!(s, StatusCode::PRECONDITION_FAILED, "{v}");
        // A change of the directory's own identifier alone is traced; a PUT that changes
        // nothing is traced as the request it is.
        let mut again = user("lmoreau", "Léa", "Moreau Dupont");
        again["externalId"] = json!("ext-2");
        again["title"] = json!("Agent d'accueil");
        for _ in 0..2 {
            let (s, _, v) = t.scim("PUT", &format!("/Users/{lea}"), &token, Some(again.clone()), &[]).await;
            assert_eq!((s, &v["externalId"]), (StatusCode::OK, &json!("ext-2")), "{v}");
        }
        let traces = t.traces("mons.admin").await;
        assert_eq!(traces.iter().filter(|r| r.entry.action == "user.external_id").count(), 1, "{b:?}");
        assert!(traces.iter().any(|r| r.entry.action == "scim.put" && r.entry.outcome == habilis_core::trace::Outcome::Success), "{b:?}");
        // The same name cut differently into first and last name is a change, traced.
        let mut cut = again.clone();
        cut["name"] = json!({"givenName": "Léa Moreau", "familyName": "Dupont"});
        let (s, _, v) = t.scim("PUT", &format!("/Users/{lea}"), &token, Some(cut), &[]).await;
        assert_eq!((s, &v["name"]["givenName"]), (StatusCode::OK, &json!("Léa Moreau")), "{v}");
        let traces = t.traces("mons.admin").await;
        assert!(traces.iter().any(|r| r.entry.action == "user.update" && r.entry.detail.as_deref().is_some_and(|d| d.contains("Léa Moreau"))), "{b:?}");
        // The login cannot change; what nobody writes cannot be patched.
        let rename = json!({"Operations": [{"op": "replace", "path": "userName", "value": "mons.autre"}]});
        let (s, _, v) = t.scim("PATCH", &format!("/Users/{lea}"), &token, Some(rename), &[]).await;
        assert_eq!((s, v["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("mutability")), "{v}");

        // Suspension as Entra ID writes it; the session of the person ends.
        let off = json!({"Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
        let (s, _, v) = t.scim("PATCH", &format!("/Users/{lea}"), &token, Some(off), &[]).await;
        assert_eq!((s, &v["active"]), (StatusCode::OK, &json!(false)), "{v}");

        // Who may act on whom: the administrator's token does not touch the deputy (only the
        // caisse manages the administrators), nor anyone of another organisation.
        let (_, _, v) = t.scim("GET", "/Users?filter=userName%20eq%20%22mons.deputy%22", &token, None, &[]).await;
        let deputy = v["Resources"][0]["id"].as_str().unwrap().to_string();
        let (s, _, v) = t.scim("PATCH", &format!("/Users/{deputy}"), &token, Some(json!({"Operations": [{"op": "replace", "path": "active", "value": false}]})), &[]).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        let (s, _, _) = t.scim("DELETE", &format!("/Users/{deputy}"), &token, None, &[]).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let caf = {
            let mut tx = t.state.app.store.read().await.unwrap();
            use habilis_core::store::{OrganisationTx, Store};
            tx.account_by_login("caf.admin").await.unwrap().unwrap().id
        };
        for (m, payload) in [("GET", None), ("PUT", Some(user("caf.admin", "Sophie", "Durand"))), ("DELETE", None)] {
            let (s, _, v) = t.scim(m, &format!("/Users/{caf}"), &token, payload, &[]).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{m} {v}");
        }
        let (_, _, v) = t.scim("GET", "/Users?count=500", &token, None, &[]).await;
        assert!(v["Resources"].as_array().unwrap().iter().all(|u| u["userName"].as_str().unwrap().starts_with("mons.")), "{v}");

        // The directory finds the person by the login it sent, without the prefix.
        let (_, _, v) = t.scim("GET", "/Users?filter=userName%20eq%20%22LMOREAU%22", &token, None, &[]).await;
        assert_eq!((v["totalResults"].as_u64(), v["Resources"][0]["id"].as_str()), (Some(1), Some(lea.as_str())), "{v}");
        // Filters, paging and sorting.
        let (s, _, v) = t.scim("GET", "/Users?filter=userName%20sw%20%22mons.%22%20and%20active%20eq%20true&sortBy=userName&sortOrder=descending&startIndex=2&count=2&attributes=userName", &token, None, &[]).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!((v["startIndex"].as_u64(), v["itemsPerPage"].as_u64()), (Some(2), Some(2)), "{v}");
        let names: Vec<&str> = v["Resources"].as_array().unwrap().iter().map(|u| u["userName"].as_str().unwrap()).collect();
        assert!(names[0] > names[1], "{names:?}");
        assert!(v["Resources"][0].get("emails").is_none(), "only the attributes asked for");
        let (s, _, v) = t.scim("GET", "/Users?filter=userName%20zz%20%22x%22", &token, None, &[]).await;
        assert_eq!((s, v["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidFilter")), "{v}");

        // Deleting a person is their departure: gone from the directory, kept in the trail.
        let (s, _, _) = t.scim("DELETE", &format!("/Users/{lea}"), &token, None, &[]).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, _, _) = t.scim("GET", &format!("/Users/{lea}"), &token, None, &[]).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // Someone who left joins no group, whatever the path: SCIM (a value it does not know)
        // or the API (the domain's own rule).
        let (s, _, g) = t.scim("POST", "/Groups", &token, Some(json!({"displayName": "Anciens", "members": [{"value": lea}]})), &[]).await;
        assert_eq!((s, g["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidValue")), "{b:?} {g}");
        let (_, _, g) = t.scim("POST", "/Groups", &token, Some(json!({"displayName": "Anciens"})), &[]).await;
        let session = t.token("mons.admin").await;
        let (s, _) = t.api("POST", &format!("/api/v1/groups/{}/members", g["id"].as_str().unwrap()), &session, Some(json!({"account": lea}))).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{b:?}");
        // A person is named by the directory: no login is made up for one that has none.
        let mut nameless = user("x", "Sans", "Identifiant");
        nameless.as_object_mut().unwrap().remove("userName");
        let (s, _, v) = t.scim("POST", "/Users", &token, Some(nameless), &[]).await;
        assert_eq!((s, v["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidValue")), "{v}");

        // Every change is the portal's own action in the partner's trail, made in the
        // administrator's name with the token as the session; refusals are traced too.
        let traces = t.traces("mons.admin").await;
        for action in ["user.create", "user.update", "user.suspend", "user.leave"] {
            let e = traces.iter().find(|r| r.entry.action == action && r.entry.target.as_deref() == Some("mons.lmoreau"));
            assert!(e.is_some_and(|e| e.entry.actor_login.as_deref() == Some("mons.admin")), "{b:?} {action}");
        }
        assert!(traces.iter().any(|r| r.entry.action == "scim.patch" && r.entry.outcome == habilis_core::trace::Outcome::Refused), "{b:?}");
        let report = habilis_core::services::audit::verify(&t.state.app.store, &t.key, None, None).await.unwrap();
        assert!(report.finding.is_none(), "{b:?} {report:?}");
        // A token ends with its validity (30 days here).
        t.clock.advance(time::Duration::days(31));
        let (s, _, _) = t.scim("GET", "/Users", &token, None, &[]).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{b:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_that_holds_grants_gains_members_within_the_quotas_even_at_once() {
    for b in backends() {
        let t = setup(b).await;
        let token = Arc::new(t.scim_token("mons.admin").await);
        let claire = t.state.app.login("mons.admin", PASSWORD, &Default::default()).await.unwrap();
        // A group that holds CDAP T1 (at most 10 holders for CDAP in the demo).
        let (s, _, g) = t.scim("POST", "/Groups", &token, Some(json!({"displayName": "Accueil", "externalId": "grp-1"})), &[]).await;
        assert_eq!(s, StatusCode::CREATED, "{g}");
        let gid = habilis_core::records::GroupId::parse(g["id"].as_str().unwrap()).unwrap();
        // A search across both types finds it, and only it, by its name.
        let (s, _, found) = t.scim("POST", "/.search", &token, Some(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "displayName eq \"Accueil\""})), &[]).await;
        assert_eq!((s, found["totalResults"].as_u64(), found["Resources"][0]["id"].as_str()), (StatusCode::OK, Some(1), g["id"].as_str()), "{found}");
        t.state.app.grant(&claire.actor, &NewGrant { holder: Holder::Group(gid), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Accueil du public".into(), ends_on: "".into() }, &Default::default()).await.unwrap();
        // People who hold CDAP now, as the quotas count them.
        let holders_now = t.state.app.quota_use(&claire.actor, claire.actor.organisation.id).await.unwrap().into_iter()
            .find(|q| q.service == "CDAP" && q.role.is_none()).map(|q| q.used).unwrap_or(0) as usize;
        let mut people = Vec::new();
        for i in 0..12 {
            let (s, _, v) = t.scim("POST", "/Users", &token, Some(user(&format!("agent{i}"), "Agent", &format!("N{i}"))), &[]).await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            people.push(v["id"].as_str().unwrap().to_string());
        }
        // All twelve at once go over the quota: refused as a whole, with the figures.
        let all: Vec<Value> = people.iter().map(|p| json!({"value": p})).collect();
        let (s, _, v) = t.scim("PATCH", &format!("/Groups/{gid}"), &token, Some(json!({"Operations": [{"op": "add", "path": "members", "value": all}]})), &[]).await;
        assert_eq!(s, StatusCode::CONFLICT, "{b:?} {v}");
        let (_, _, v) = t.scim("GET", &format!("/Groups/{gid}"), &token, None, &[]).await;
        assert!(v.get("members").is_none(), "nothing of a refused PATCH stays: {v}");

        // Two directories' requests at once, each within the quota alone, not together.
        let room = 10usize.saturating_sub(holders_now.min(10));
        assert!(room >= 2, "room {room}");
        let half = room / 2 + 1;
        let (a, c) = (people[..half].to_vec(), people[half..2 * half].to_vec());
        let mut tasks = Vec::new();
        for list in [a, c] {
            let router = habilis_web::router(t.state.clone());
            let token = token.clone();
            let path = format!("/scim/v2/Groups/{gid}");
            tasks.push(tokio::spawn(async move {
                let members: Vec<Value> = list.iter().map(|p| json!({"value": p})).collect();
                let r = Request::builder().method("PATCH").uri(path).header(header::AUTHORIZATION, format!("Bearer {token}"))
                    .header(header::CONTENT_TYPE, "application/scim+json")
                    .body(Body::from(json!({"Operations": [{"op": "add", "path": "members", "value": members}]}).to_string())).unwrap();
                router.oneshot(r).await.unwrap().status()
            }));
        }
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.unwrap());
        }
        statuses.sort();
        assert_eq!(statuses, vec![StatusCode::OK, StatusCode::CONFLICT], "{b:?}");
        let (_, _, v) = t.scim("GET", &format!("/Groups/{gid}"), &token, None, &[]).await;
        assert_eq!(v["members"].as_array().unwrap().len(), half, "{b:?} {v}");

        // The token is its issuer: an administrator's own rights come from the caisse only,
        // so the directory cannot put the administrator in a group that holds grants.
        let (s, _, refused) = t.scim("PATCH", &format!("/Groups/{gid}"), &token, Some(json!({"Operations": [{"op": "add", "path": "members", "value": [{"value": claire.actor.account.id.to_string()}]}]})), &[]).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{b:?} {refused}");
        // A group that holds grants is not deleted (revoke them first), as on the page.
        let (s, _, _) = t.scim("DELETE", &format!("/Groups/{gid}"), &token, None, &[]).await;
        assert_eq!(s, StatusCode::CONFLICT);
        // Members are removed as Entra ID asks.
        let first = v["members"][0]["value"].as_str().unwrap().to_string();
        let (s, _, v) = t.scim("PATCH", &format!("/Groups/{gid}"), &token, Some(json!({"Operations": [{"op": "Remove", "path": format!("members[value eq \"{first}\"]")}]})), &[]).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["members"].as_array().unwrap().len(), half - 1);
        // The person's side names the group.
        let (_, _, p) = t.scim("GET", &format!("/Users/{}", v["members"][0]["value"].as_str().unwrap()), &token, None, &[]).await;
        assert_eq!(p["groups"][0]["display"], "Accueil", "{p}");
    }
}
