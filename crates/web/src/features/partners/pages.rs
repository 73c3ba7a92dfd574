//! The caisse's pages: its partners, each partner's file (contracts, services and their
//! opening, administrators, contacts), and the outbox.

use std::collections::HashMap;

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use habilis_core::commands::*;
use habilis_core::records::*;
use serde::Deserialize;
use uuid::Uuid;

use crate::context::Ctx;
use crate::errors::{WebError, format_date, missing_text};
use crate::extract::{IdPath, SignedForm, SignedIn, Values, traced};
use crate::respond::error_page;
use crate::state::AppState;
use crate::view::{Choice, Chrome, function_label, mode_label, render, role_label, status_label};

// --- the list ---------------------------------------------------------------------------

/// A partner in the caisse's list.
struct PartnerRow {
    id: String,
    name: String,
    siret: String,
    city: String,
}

#[derive(Template)]
#[template(path = "partners.html")]
struct PartnersPage {
    c: Chrome,
    partners: Vec<PartnerRow>,
}

/// GET /caisse/partners
pub async fn partners(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, uri: Uri) -> Response {
    let actor = &actor;
    match state.app.partners(actor).await {
        Ok(list) => {
            let partners = list
                .into_iter()
                .map(|p| PartnerRow { id: p.id.to_string(), name: p.name, siret: p.siret.unwrap_or_default(), city: p.city.unwrap_or_default() })
                .collect();
            render(&PartnersPage { c: Chrome::new(ctx.lang, Some(&uri), Some(actor)), partners }, StatusCode::OK)
        }
        Err(e) => error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    }
}

// --- create and edit ---------------------------------------------------------------------

#[derive(Template)]
#[template(path = "partner_form.html")]
struct PartnerFormPage {
    c: Chrome,
    title: String,
    action: String,
    csrf: String,
    v: Values,
    error: Option<String>,
    bad: &'static str,
}

fn partner_form(ctx: &Ctx, actor: &Actor, title: &str, action: String, v: Values, err: Option<&WebError>) -> Response {
    let t = ctx.lang.texts();
    let page = PartnerFormPage {
        c: Chrome::new(ctx.lang, None, Some(actor)),
        title: title.into(),
        action,
        csrf: actor.session.csrf_token.clone(),
        v,
        error: err.map(|e| e.message(t)),
        bad: err.and_then(WebError::field).unwrap_or(""),
    };
    render(&page, err.map(WebError::status).unwrap_or(StatusCode::OK))
}

fn partner_input(v: &Values) -> PartnerInput {
    PartnerInput { name: v.get("name").into(), siret: v.get("siret").into(), address: v.get("address").into(), city: v.get("city").into() }
}

/// GET /caisse/partners/new
pub async fn partner_new(SignedIn(actor): SignedIn, ctx: Ctx) -> Response {
    let actor = &actor;
    if let Err(e) = habilis_core::reach::caisse_admin_of(actor) {
        return error_page(ctx.lang, &WebError::Core(e), Some(actor));
    }
    partner_form(&ctx, actor, ctx.lang.texts().partner_new, "/caisse/partners/new".into(), Values::default(), None)
}

/// POST /caisse/partners/new
pub async fn partner_create(State(state): State<AppState>, ctx: Ctx, SignedForm(actor, v): SignedForm) -> Response {
    match state.app.create_partner(&actor, &partner_input(&v), &ctx.client).await {
        Ok(p) => traced(Redirect::to(&format!("/caisse/partners/{}?ok=created", p.id)).into_response()),
        Err(e) => partner_form(&ctx, &actor, ctx.lang.texts().partner_new, "/caisse/partners/new".into(), v, Some(&WebError::Core(e))),
    }
}

/// GET /caisse/partners/{id}/edit
pub async fn partner_edit(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<Uuid>) -> Response {
    let actor = &actor;
    match state.app.partner_file(actor, OrganisationId(id)).await {
        Ok(f) => {
            let mut m = HashMap::new();
            m.insert("name".to_string(), f.partner.name.clone());
            m.insert("siret".to_string(), f.partner.siret.clone().unwrap_or_default());
            m.insert("address".to_string(), f.partner.address.clone().unwrap_or_default());
            m.insert("city".to_string(), f.partner.city.clone().unwrap_or_default());
            partner_form(&ctx, actor, ctx.lang.texts().partner_edit, format!("/caisse/partners/{id}/edit"), Values(m), None)
        }
        Err(e) => error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    }
}

/// POST /caisse/partners/{id}/edit
pub async fn partner_update(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<Uuid>, SignedForm(actor, v): SignedForm) -> Response {
    match state.app.update_partner(&actor, OrganisationId(id), &partner_input(&v), &ctx.client).await {
        Ok(_) => traced(Redirect::to(&format!("/caisse/partners/{id}?ok=updated")).into_response()),
        Err(e) => partner_form(&ctx, &actor, ctx.lang.texts().partner_edit, format!("/caisse/partners/{id}/edit"), v, Some(&WebError::Core(e))),
    }
}

// --- the partner's file --------------------------------------------------------------------

/// What the partner page shows of the partner itself.
pub struct PartnerView {
    pub id: String,
    pub name: String,
    pub siret: String,
    pub address: String,
    pub city: String,
    pub mode: String,
}

/// A subscribed service: its quota use and what keeps it closed (empty: open).
struct ServiceRow {
    name: String,
    quota: String,
    missing: String,
    code: String,
}

/// The quota field of one role in the subscription form.
struct QuotaField {
    id: String,
    label: String,
    field: String,
}

/// A line of the contractual history: convention, contract or amendment.
struct HistoryRow {
    what: String,
    date: String,
    detail: String,
}

/// One of the partner's two administrators, with what the caisse may do to the seat.
struct AdminRow {
    id: String,
    name: String,
    login: String,
    role: String,
    status: String,
    status_code: &'static str,
}

/// A person of the partner's directory (Annex 1).
struct ContactRow {
    id: String,
    function: String,
    name: String,
    title: String,
}

#[derive(Template)]
#[template(path = "partner.html")]
struct PartnerPage {
    c: Chrome,
    p: PartnerView,
    csrf: String,
    error: Option<String>,
    notice: Option<String>,
    form: &'static str,
    v: Values,
    services: Vec<ServiceRow>,
    /// The catalogue's services (code, label) for the subscription form.
    catalogue: Vec<Choice>,
    roles: Vec<QuotaField>,
    history: Vec<HistoryRow>,
    conventions: Vec<Choice>,
    contracts: Vec<Choice>,
    admins: Vec<AdminRow>,
    contact_rows: Vec<ContactRow>,
    missing_contacts: String,
}

#[allow(clippy::too_many_arguments)]
async fn partner_page(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    id: OrganisationId,
    form: &'static str,
    v: Values,
    err: Option<WebError>,
    notice: Option<String>,
) -> Response {
    let t = ctx.lang.texts();
    let file: PartnerFile = match state.app.partner_file(actor, id).await {
        Ok(f) => f,
        Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    };
    let catalogue = match state.app.catalogue().await {
        Ok(c) => c,
        Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    };
    let uses = state.app.quota_use(actor, id).await.unwrap_or_default();
    let used = |service: &str, role: Option<&str>| {
        uses.iter().find(|u| u.service == service && u.role.as_deref() == role).map(|u| u.used).unwrap_or(0)
    };
    let services = file
        .services
        .iter()
        .map(|(s, sub, missing)| {
            let mut quota = format!(
                "{} / {}",
                used(&s.code, None),
                sub.max_holders.map(|m| m.to_string()).unwrap_or_else(|| t.quota_none.into())
            );
            for (role, n) in &sub.role_quotas {
                if let Some(r) = catalogue.iter().flat_map(|(_, rs)| rs).find(|r| r.id == *role) {
                    quota.push_str(&format!(" ; {} : {} / {n}", r.code, used(&s.code, Some(&r.code))));
                }
            }
            ServiceRow {
                name: format!("{} — {}", s.code, s.label),
                quota,
                missing: missing.iter().map(|m| missing_text(t, m)).collect::<Vec<_>>().join(" ; "),
                code: s.code.clone(),
            }
        })
        .collect();
    let mut history = Vec::new();
    for c in &file.conventions {
        history.push(HistoryRow { what: format!("{} n° {}", t.convention, c.number), date: format_date(c.signed_on), detail: c.signatories.clone() });
    }
    for k in &file.contracts {
        history.push(HistoryRow { what: t.contract.into(), date: format_date(k.signed_on), detail: format!("{} — {}", mode_label(t, Some(k.mode)), k.signatories) });
    }
    for a in &file.amendments {
        let detail = t
            .amendment_detail
            .replace("{mode}", &mode_label(t, Some(a.mode)))
            .replace("{date}", &format_date(a.effective_on))
            .replace("{reason}", &a.reason);
        history.push(HistoryRow { what: t.amendment.into(), date: format_date(a.signed_on), detail });
    }
    let page = PartnerPage {
        c: Chrome::new(ctx.lang, None, Some(actor)),
        p: PartnerView {
            id: file.partner.id.to_string(),
            name: file.partner.name.clone(),
            siret: file.partner.siret.clone().unwrap_or_default(),
            address: file.partner.address.clone().unwrap_or_default(),
            city: file.partner.city.clone().unwrap_or_default(),
            mode: mode_label(t, file.mode),
        },
        csrf: actor.session.csrf_token.clone(),
        error: err.as_ref().map(|e| e.message(t)),
        notice,
        form,
        v,
        services,
        catalogue: catalogue.iter().map(|(s, _)| Choice { value: s.code.clone(), label: s.label.clone() }).collect(),
        roles: catalogue
            .iter()
            .flat_map(|(s, rs)| {
                rs.iter().map(move |r| QuotaField { id: format!("{}_{}", s.code, r.code), label: r.label.clone(), field: format!("quota_{}_{}", s.code, r.code) })
            })
            .collect(),
        history,
        conventions: file.conventions.iter().map(|c| Choice { value: c.id.to_string(), label: c.number.clone() }).collect(),
        contracts: file
            .contracts
            .iter()
            .map(|k| Choice { value: k.id.to_string(), label: format!("{} {}", t.contract, format_date(k.signed_on)) })
            .collect(),
        admins: file
            .administrators
            .iter()
            .map(|a| {
                let role = a.roles.first().map(|r| role_label(t, *r)).unwrap_or("");
                AdminRow {
                    id: a.id.to_string(),
                    name: a.display_name.clone(),
                    login: a.login.clone(),
                    role: role.to_string(),
                    status: status_label(t, a.status).to_string(),
                    status_code: a.status.as_str(),
                }
            })
            .collect(),
        contact_rows: file
            .contacts
            .iter()
            .map(|c| ContactRow { id: c.id.to_string(), function: function_label(t, &c.function), name: c.name.clone(), title: c.title.clone().unwrap_or_default() })
            .collect(),
        missing_contacts: file.missing_contacts.iter().map(|f| function_label(t, f)).collect::<Vec<_>>().join(", "),
    };
    render(&page, err.map(|e| e.status()).unwrap_or(StatusCode::OK))
}

#[derive(Deserialize, Default)]
pub struct OkQuery {
    #[serde(default)]
    ok: Option<String>,
    /// A service code whose subscription the form should be filled with.
    #[serde(default)]
    subscription: Option<String>,
}

/// GET /caisse/partners/{id}
pub async fn partner(SignedIn(actor): SignedIn, 
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<Uuid>,
    q: Result<Query<OkQuery>, QueryRejection>,
) -> Response {
    let actor = &actor;
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let notice = q.ok.map(|_| ctx.lang.texts().saved.to_string());
    let mut values = Values::default();
    let mut form = "";
    if let Some(code) = q.subscription {
        // Fill the form with what is recorded, so that changing one figure keeps the rest.
        if let Ok(file) = state.app.partner_file(actor, OrganisationId(id)).await {
            if let Some((service, sub, _)) = file.services.iter().find(|(s, _, _)| s.code == code) {
                let d = |x: Option<time::Date>| x.map(|d| d.to_string()).unwrap_or_default();
                let m = &mut values.0;
                m.insert("service_code".into(), service.code.clone());
                m.insert("signed_on".into(), d(sub.signed_on));
                m.insert("formalities_reference".into(), sub.formalities_reference.clone().unwrap_or_default());
                m.insert("formalities_on".into(), d(sub.formalities_on));
                m.insert("available_from".into(), d(sub.available_from));
                m.insert("max_holders".into(), sub.max_holders.map(|n| n.to_string()).unwrap_or_default());
                if let Ok(cat) = state.app.catalogue().await {
                    for (role, n) in &sub.role_quotas {
                        if let Some(r) = cat.iter().flat_map(|(_, rs)| rs).find(|r| r.id == *role) {
                            m.insert(format!("quota_{}_{}", service.code, r.code), n.to_string());
                        }
                    }
                }
                form = "subscription";
            }
        }
    }
    partner_page(&state, &ctx, actor, OrganisationId(id), form, values, None, notice).await
}

verbs!(
    /// The forms of the partner page, each posted to `/caisse/partners/{id}/{form}`.
    PartnerForm {
        Conventions => "conventions",
        Contracts => "contracts",
        Amendments => "amendments",
        Subscriptions => "subscriptions",
        Administrators => "administrators",
        Contacts => "contacts",
    }
);

verbs!(
    /// What the caisse does to an administrator's account (R14).
    SeatAction { Suspend => "suspend", Reactivate => "reactivate", Deactivate => "deactivate" }
);

/// POST /caisse/partners/{id}/{form}: one of the forms of the partner page.
pub async fn partner_action(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<Uuid>,
    SignedForm(actor, v): SignedForm,
    what: PartnerForm,
) -> Response {
    let partner = OrganisationId(id);
    let app = &state.app;
    let c = &ctx.client;
    let uuid = |k: &str| Uuid::parse_str(v.get(k)).unwrap_or(Uuid::nil());
    let (form, result): (&'static str, Result<(), habilis_core::Error>) = match what {
        PartnerForm::Conventions => ("convention", app.record_convention(&actor, partner, &NewConvention { number: v.get("number").into(), signed_on: v.get("signed_on").into(), signatories: v.get("signatories").into() }, c).await.map(|_| ())),
        PartnerForm::Contracts => (
            "contract",
            app.record_contract(&actor, partner, &NewContract { convention: ConventionId(uuid("convention_id")), mode: v.get("mode").into(), signed_on: v.get("signed_on").into(), signatories: v.get("signatories").into() }, c).await.map(|_| ()),
        ),
        PartnerForm::Amendments => (
            "amendment",
            app.record_amendment(&actor, partner, &NewAmendment { contract: ContractId(uuid("contract_id")), mode: v.get("mode").into(), signed_on: v.get("signed_on").into(), effective_on: v.get("effective_on").into(), reason: v.get("reason").into() }, c)
                .await
                .map(|_| ()),
        ),
        PartnerForm::Subscriptions => {
            let code = v.get("service_code").to_string();
            let prefix = format!("quota_{code}_");
            let role_quotas = v.0.iter().filter_map(|(k, val)| k.strip_prefix(&prefix).map(|r| (r.to_string(), val.clone()))).collect();
            let input = SubscriptionInput {
                service_code: code,
                signed_on: v.get("signed_on").into(),
                formalities_reference: v.get("formalities_reference").into(),
                formalities_on: v.get("formalities_on").into(),
                available_from: v.get("available_from").into(),
                max_holders: v.get("max_holders").into(),
                role_quotas,
            };
            ("subscription", app.record_subscription(&actor, partner, &input, c).await.map(|_| ()))
        }
        PartnerForm::Administrators => {
            let slot = Slot::parse(v.get("slot")).unwrap_or(Slot::Principal);
            let input = AdministratorInput {
                first_name: v.get("first_name").into(),
                last_name: v.get("last_name").into(),
                function: v.get("function").into(),
                email: v.get("email").into(),
                phone: v.get("phone").into(),
                login: v.get("login").into(),
            };
            ("administrator", app.issue_administrator(&actor, partner, slot, &input, &state.config.public_url, c).await.map(|_| ()))
        }
        PartnerForm::Contacts => {
            let input = habilis_core::commands::ContactInput {
                function: v.get("function").into(),
                name: v.get("name").into(),
                title: v.get("title").into(),
                email: v.get("email").into(),
                phone: v.get("phone").into(),
            };
            ("contact", app.add_contact(&actor, partner, &input, c).await.map(|_| ()))
        }
    };
    match result {
        Ok(()) => traced(Redirect::to(&format!("/caisse/partners/{id}?ok={form}")).into_response()),
        Err(e) => partner_page(&state, &ctx, &actor, partner, form, v, Some(WebError::Core(e)), None).await,
    }
}

/// POST /caisse/administrators/{id}/{suspend|reactivate|deactivate}
pub async fn administrator_status(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<Uuid>,
    SignedForm(actor, v): SignedForm,
    what: SeatAction,
) -> Response {
    let partner = Uuid::parse_str(v.get("partner")).unwrap_or(Uuid::nil());
    let account = AccountId(id);
    let result = match what {
        SeatAction::Suspend => state.app.suspend_administrator(&actor, account, &ctx.client).await,
        SeatAction::Reactivate => state.app.reactivate_administrator(&actor, account, &ctx.client).await,
        SeatAction::Deactivate => state.app.deactivate_administrator(&actor, account, &ctx.client).await,
    };
    match result {
        Ok(()) => traced(Redirect::to(&format!("/caisse/partners/{partner}?ok={}", what.as_str())).into_response()),
        Err(e) => partner_page(&state, &ctx, &actor, OrganisationId(partner), "", Values::default(), Some(WebError::Core(e)), None).await,
    }
}

/// POST /caisse/contacts/{id}/delete
pub async fn delete_contact(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<Uuid>, SignedForm(actor, v): SignedForm) -> Response {
    let back = v.get("back");
    let back = if back.starts_with('/') && !back.starts_with("//") { back.to_string() } else { "/".to_string() };
    match state.app.remove_contact(&actor, ContactId(id), &ctx.client).await {
        Ok(()) => traced(Redirect::to(&back).into_response()),
        Err(e) => error_page(ctx.lang, &WebError::Core(e), Some(&actor)),
    }
}

// --- the outbox ----------------------------------------------------------------------------

// --- the contract as a document (R6) ------------------------------------------------------

// --- the catalogue --------------------------------------------------------------------------

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/caisse/partners", get(partners))
        .route("/caisse/partners/new", get(partner_new).post(partner_create))
        .route("/caisse/partners/{id}", get(partner))
        .route("/caisse/partners/{id}/edit", get(partner_edit).post(partner_update))
        .merge(form_routes())
        .route("/caisse/contacts/{id}/delete", post(delete_contact))
}

/// Each form of the partner page and each seat action at its own path.
fn form_routes() -> axum::Router<AppState> {
    use axum::routing::post;
    let mut r = axum::Router::new();
    for &what in PartnerForm::ALL {
        r = r.route(
            &format!("/caisse/partners/{{id}}/{}", what.as_str()),
            post(move |state: State<AppState>, ctx: Ctx, id: IdPath<Uuid>, form: SignedForm| partner_action(state, ctx, id, form, what)),
        );
    }
    for &what in SeatAction::ALL {
        r = r.route(
            &format!("/caisse/administrators/{{id}}/{}", what.as_str()),
            post(move |state: State<AppState>, ctx: Ctx, id: IdPath<Uuid>, form: SignedForm| administrator_status(state, ctx, id, form, what)),
        );
    }
    r
}
