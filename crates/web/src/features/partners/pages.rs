//! A partner's file, as the caisse sees it: contracts, services and their opening,
//! administrators, directory.


use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use habilis_core::records::*;
use serde::Deserialize;

use crate::context::Ctx;
use crate::errors::{WebError, format_date, missing_text};
use crate::extract::{IdPath, SignedIn, Values};
use crate::respond::error_page;
use crate::state::AppState;
use crate::view::{Choice, Chrome, function_label, mode_label, render, role_label, status_label};


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
    /// `CDAP T1`, as people say it.
    code: String,
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
    /// A lost second factor may be reset here (core's `may_reset_second_factor`).
    reset_factor: bool,
}

/// A person of the partner's directory (Annex 1).
struct ContactRow {
    id: String,
    function: String,
    name: String,
    title: String,
}

/// The sub-pages of a partner's file (issue 17): the overview with its services, the
/// convention and contract, the administrators, the directory.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum PartnerSection {
    Overview,
    Agreements,
    Administrators,
    Contacts,
}

impl PartnerSection {
    pub(crate) const ALL: [PartnerSection; 4] = [PartnerSection::Overview, PartnerSection::Agreements, PartnerSection::Administrators, PartnerSection::Contacts];

    fn slug(self) -> &'static str {
        match self {
            PartnerSection::Overview => "overview",
            PartnerSection::Agreements => "agreements",
            PartnerSection::Administrators => "administrators",
            PartnerSection::Contacts => "contacts",
        }
    }

    /// The sub-page's address for the partner `id`.
    pub(crate) fn url(self, id: impl std::fmt::Display) -> String {
        match self {
            PartnerSection::Overview => format!("/caisse/partners/{id}"),
            s => format!("/caisse/partners/{id}/{}", s.slug()),
        }
    }

    /// The sub-page a form of the file belongs to (by its name in `?ok=`).
    pub(crate) fn of_form(form: &str) -> PartnerSection {
        match form {
            "convention" | "contract" | "amendment" => PartnerSection::Agreements,
            "administrator" | "suspend" | "reactivate" | "deactivate" => PartnerSection::Administrators,
            "contact" => PartnerSection::Contacts,
            _ => PartnerSection::Overview,
        }
    }

    fn label(self, t: &crate::i18n::Texts) -> &'static str {
        match self {
            PartnerSection::Overview => t.partner_overview,
            PartnerSection::Agreements => t.contract_history,
            PartnerSection::Administrators => t.administrators_title,
            PartnerSection::Contacts => t.home_contacts,
        }
    }
}

#[derive(Template)]
#[template(path = "partner.html")]
struct PartnerPage {
    c: Chrome,
    /// The sub-page shown (`PartnerSection::slug`) and the navigation between them.
    section: &'static str,
    nav: Vec<crate::view::NavItem>,
    p: PartnerView,
    /// The edit forms are shown: the caisse's administrators (its other staff read).
    edit: bool,
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
    annex2: Vec<crate::view::Annex2Row>,
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn partner_page(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    id: OrganisationId,
    section: PartnerSection,
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
        section: section.slug(),
        nav: PartnerSection::ALL
            .iter()
            .map(|s| crate::view::NavItem { href: s.url(id), label: s.label(t), current: *s == section })
            .collect(),
        edit: habilis_core::reach::caisse_admin_of(actor).is_ok(),
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
                rs.iter().map(move |r| QuotaField { id: format!("{}_{}", s.code, r.code), code: format!("{} {}", s.code, r.code), label: r.label.clone(), field: format!("quota_{}_{}", s.code, r.code) })
            })
            .collect(),
        history,
        annex2: crate::view::annex2_rows(t, &file),
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
                    reset_factor: habilis_core::policy::abilities::may_reset_second_factor(actor, a, &file.partner),
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
    match err {
        Some(e) => crate::respond::noted(render(&page, e.status()), &e),
        None => render(&page, StatusCode::OK),
    }
}

#[derive(Deserialize, Default)]
pub struct OkQuery {
    #[serde(default)]
    ok: Option<String>,
    /// A service code whose subscription the form should be filled with.
    #[serde(default)]
    subscription: Option<String>,
}

/// GET /caisse/partners/{id}[/{agreements|administrators|contacts}]
async fn partner(
    actor: Actor,
    state: AppState,
    ctx: Ctx,
    id: OrganisationId,
    section: PartnerSection,
    q: Result<Query<OkQuery>, QueryRejection>,
) -> Response {
    let actor = &actor;
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let notice = q.ok.map(|_| ctx.lang.texts().saved.to_string());
    let mut values = Values::default();
    let mut form = "";
    if let Some(code) = q.subscription {
        // Fill the form with what is recorded, so that changing one figure keeps the rest.
        if let Ok(file) = state.app.partner_file(actor, id).await
            && let Some((service, sub, _)) = file.services.iter().find(|(s, _, _)| s.code == code) {
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
    partner_page(&state, &ctx, actor, id, section, form, values, None, notice).await
}

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::get;
    let mut r = axum::Router::new();
    for section in PartnerSection::ALL {
        r = r.route(
            &section.url("{id}"),
            get(move |SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<OrganisationId>, q: Result<Query<OkQuery>, QueryRejection>| async move {
                partner(actor, state, ctx, id, section, q).await
            }),
        );
    }
    r
}

