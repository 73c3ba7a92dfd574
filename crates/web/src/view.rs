//! What every page is made of: the chrome around the content (language switch, the
//! signed-in person's bar and menu), rendering a template, the message page, and the
//! labels pages share.

use askama::Template;
use time::format_description::well_known::Rfc3339;
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use habilis_core::policy::abilities::abilities;
use habilis_core::records::{AccountStatus, Actor, ManagementMode, Role};

use crate::i18n::{Lang, Texts};

/// What every page shows around its content.
pub struct Chrome {
    pub lang: &'static str,
    pub other_lang: &'static str,
    pub t: &'static Texts,
    pub switch_href: String,
    pub user: Option<UserBar>,
}

/// The signed-in person in the header, with the token of the sign-out form.
pub struct UserBar {
    pub name: String,
    pub organisation: String,
    pub csrf: String,
    /// Links of the main menu for this person.
    pub menu: Vec<MenuLink>,
}

/// One link of the main menu.
pub struct MenuLink {
    pub href: &'static str,
    pub label: &'static str,
}

impl Chrome {
    pub(crate) fn new(lang: Lang, uri: Option<&Uri>, actor: Option<&Actor>) -> Chrome {
        let path = uri.map(|u| u.path()).unwrap_or("/");
        let kept: Vec<&str> = uri
            .and_then(|u| u.query())
            .map(|q| q.split('&').filter(|kv| !kv.starts_with("lang=") && !kv.is_empty()).collect())
            .unwrap_or_default();
        let mut switch_href = format!("{path}?");
        for kv in kept {
            switch_href.push_str(kv);
            switch_href.push('&');
        }
        switch_href.push_str("lang=");
        switch_href.push_str(lang.other().code());
        Chrome {
            lang: lang.code(),
            other_lang: lang.other().code(),
            t: lang.texts(),
            switch_href,
            user: actor.map(|a| {
                let t = lang.texts();
                // The sections come from the core's abilities: a link is shown only where
                // the page will open.
                let can = abilities(a);
                let links = [
                    (true, "/", t.home_title),
                    (can.partners, "/caisse/partners", t.partners_title),
                    (can.supervision, "/caisse/supervision", t.supervision_title),
                    (can.catalogue, "/caisse/services", t.catalogue_title),
                    (can.change_requests, "/caisse/requests", t.requests_title),
                    (can.outbox, "/caisse/outbox", t.outbox_title),
                    (can.staff, "/caisse/staff", t.staff_title),
                    (can.directory, "/directory", t.directory_title),
                    (can.clients, "/caisse/clients", t.clients_title),
                    (can.review_campaigns, "/caisse/reviews", t.reviews_title),
                    (can.alerts, "/caisse/alerts", t.alerts_title),
                    (can.incidents, "/incidents", t.incidents_title),
                    (can.outages, "/caisse/outages", t.outages_title),
                    (can.partner_rights, "/partner/rights", t.rights_title),
                    (can.own_contract, "/partner/contract", t.contract_document),
                    (can.admin_change, "/partner/administrator-change", t.change_request_title),
                    (can.reviews, "/partner/reviews", t.reviews_title),
                    (can.traces, "/traces", t.traces_title),
                    (can.access_requests, "/access-requests", t.access_title),
                    (can.help, "/help", t.help_title),
                ];
                let menu = links.into_iter().filter(|(shown, _, _)| *shown).map(|(_, href, label)| MenuLink { href, label }).collect();
                UserBar {
                    name: a.account.display_name.clone(),
                    organisation: a.organisation.name.clone(),
                    csrf: a.session.csrf_token.clone(),
                    menu,
                }
            }),
        }
    }
}

/// A template as an HTML answer with `status` (a template that fails is logged; the
/// person gets a 500 without detail).
pub(crate) fn render(t: &impl Template, status: StatusCode) -> Response {
    match t.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
pub(crate) struct MessagePage {
    pub c: Chrome,
    pub title: String,
    pub paragraphs: Vec<String>,
    pub is_error: bool,
    pub show_home_link: bool,
}

/// The label of a role.
pub fn role_label(t: &Texts, r: Role) -> &'static str {
    match r {
        Role::CaisseAdmin => t.role_caisse_admin,
        Role::ServiceDesk => t.role_service_desk,
        Role::TraceAuditor => t.role_trace_auditor,
        Role::SecurityOfficer => t.role_security_officer,
        Role::PartnerAdmin => t.role_partner_admin,
        Role::PartnerDeputy => t.role_partner_deputy,
        Role::DelegatedManager => t.role_delegated_manager,
        Role::User => t.role_user,
    }
}

pub(crate) fn function_label(t: &Texts, f: &str) -> String {
    match f {
        "administrator" => t.fn_administrator,
        "deputy" => t.fn_deputy,
        "security_officer" => t.fn_security_officer,
        "data_protection_referent" => t.fn_data_protection_referent,
        "service_desk" => t.fn_service_desk,
        "director" => t.fn_director,
        "escalation_1" => t.fn_escalation_1,
        "escalation_2" => t.fn_escalation_2,
        "escalation_3" => t.fn_escalation_3,
        other => return other.to_string(),
    }
    .to_string()
}

/// An instant as RFC 3339 text (JSON answers).
pub(crate) fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// The management mode, in words.
pub(crate) fn mode_label(t: &Texts, m: Option<ManagementMode>) -> String {
    match m {
        Some(ManagementMode::Delegated) => t.mode_delegated.into(),
        Some(ManagementMode::CaisseManaged) => t.mode_caisse_managed.into(),
        None => t.mode_none.into(),
    }
}

/// An account status, in words.
pub(crate) fn status_label(t: &Texts, s: AccountStatus) -> &'static str {
    match s {
        AccountStatus::Active => t.status_active,
        AccountStatus::Suspended => t.status_suspended,
        AccountStatus::Deactivated => t.status_deactivated,
    }
}

/// An option of a list: the value sent, the label shown.
#[derive(Clone)]
pub(crate) struct Choice {
    pub value: String,
    pub label: String,
}

/// One change of Annex 2, as the partner's file and the printed contract show it.
pub(crate) struct Annex2Row {
    pub service: String,
    pub changed_at: String,
    pub signed_on: String,
    pub changes: String,
}

/// The Annex 2 history of a partner file, oldest first (service codes from the file).
pub(crate) fn annex2_rows(t: &Texts, file: &habilis_core::records::PartnerFile) -> Vec<Annex2Row> {
    file.annex2_changes
        .iter()
        .map(|c| Annex2Row {
            service: file.services.iter().find(|(s, _, _)| s.id == c.service_id).map(|(s, _, _)| s.code.clone()).unwrap_or_default(),
            changed_at: habilis_core::clock::format_paris(c.changed_at),
            signed_on: c.signed_on.map(crate::errors::format_date).unwrap_or_else(|| t.annex2_initial.to_string()),
            changes: c.changes.clone(),
        })
        .collect()
}

/// `s` in lower case without accents, for a search that forgives both.
pub(crate) fn folded(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.to_lowercase().chars() {
        match c {
            'à' | 'â' | 'ä' => out.push('a'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'î' | 'ï' => out.push('i'),
            'ô' | 'ö' => out.push('o'),
            'ù' | 'û' | 'ü' => out.push('u'),
            'ç' => out.push('c'),
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            other => out.push(other),
        }
    }
    out
}

/// Rows shown per page in the portal's long lists.
pub(crate) const PER_PAGE: usize = 50;

/// Page `page` (from 1) of `rows`, with the links to the previous and next pages of `url`
/// under the search `q`.
pub(crate) fn paged<T>(rows: Vec<T>, page: usize, url: &str, q: &str) -> (Vec<T>, Option<String>, Option<String>) {
    let link = |n: usize| {
        let q = percent_encoding::utf8_percent_encode(q, percent_encoding::NON_ALPHANUMERIC);
        let sep = if url.contains('?') { '&' } else { '?' };
        if q.to_string().is_empty() { format!("{url}{sep}page={n}") } else { format!("{url}{sep}q={q}&page={n}") }
    };
    let pages = rows.len().div_ceil(PER_PAGE).max(1);
    let page = page.clamp(1, pages);
    let previous = (page > 1).then(|| link(page - 1));
    let next = (page < pages).then(|| link(page + 1));
    (rows.into_iter().skip((page - 1) * PER_PAGE).take(PER_PAGE).collect(), previous, next)
}

/// Every refused field of a posted form (issue 17): each field's sentence, shown next to its
/// input, and the summary's links to the inputs.
#[derive(Default)]
pub(crate) struct Problems {
    fields: Vec<(&'static str, String)>,
    /// (input id, sentence), in the order the core checked them.
    pub(crate) summary: Vec<(String, String)>,
}

impl Problems {
    /// The problems of `err` (none without one), each field's input named by `input_id`.
    pub(crate) fn of(err: Option<&crate::errors::WebError>, t: &crate::i18n::Texts, input_id: impl Fn(&str) -> String) -> Problems {
        let fields = err.map(|e| e.problems(t)).unwrap_or_default();
        let summary = fields.iter().map(|(f, m)| (input_id(f), m.clone())).collect();
        Problems { fields, summary }
    }

    /// The sentence for a refused `field`, if it was refused.
    pub(crate) fn get(&self, field: &str) -> Option<String> {
        self.fields.iter().find(|(f, _)| *f == field).map(|(_, m)| m.clone())
    }
}

/// One entry of a sub-page navigation (`nav.subnav`; the current one is `aria-current`).
pub(crate) struct NavItem {
    pub(crate) href: String,
    pub(crate) label: &'static str,
    pub(crate) current: bool,
}
