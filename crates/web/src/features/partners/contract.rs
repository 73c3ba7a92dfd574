//! The service contract as a document (R6), for the caisse and for the partner.


use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use habilis_core::records::*;
use uuid::Uuid;

use crate::context::Ctx;
use crate::errors::{WebError, format_date};
use crate::extract::{IdPath, SignedIn};
use crate::respond::error_page;
use crate::state::AppState;
use crate::view::{function_label, mode_label, render};

/// A signed document of the contract: what, when, by whom (and in which mode).
struct Signed {
    what: String,
    on: String,
    detail: String,
}

/// A person of a directory: function, name, title and how to reach them.
struct DirectoryLine {
    function: String,
    name: String,
    reach: String,
}

/// A service of Annex 2: its roles, opening date, quota and whether it is open.
struct AnnexService {
    name: String,
    roles: String,
    available_from: String,
    quota: String,
    state: String,
}

#[derive(Template)]
#[template(path = "contract.html")]
struct ContractPage {
    back: String,
    /// The same document as PDF.
    pdf: String,
    today: String,
    mode: String,
    caisse: String,
    partner: String,
    siret: String,
    address: String,
    conventions: Vec<Signed>,
    contracts: Vec<Signed>,
    amendments: Vec<Signed>,
    caisse_contacts: Vec<DirectoryLine>,
    partner_contacts: Vec<DirectoryLine>,
    missing: String,
    services: Vec<AnnexService>,
    annex2: Vec<crate::view::Annex2Row>,
}

async fn contract_document(state: &AppState, ctx: &Ctx, actor: &Actor, id: OrganisationId, back: String) -> Response {
    contract_as(state, ctx, actor, id, back, false).await
}

/// The contract as PDF (issue 18, R6): the same content as the page, through `habilis-pdf`.
fn contract_pdf(p: &ContractPage) -> Vec<u8> {
    use habilis_pdf::{Block, Document};
    let mut d = Document::new(&format!("Contrat de service — {}", p.partner));
    d.push(Block::Title("Contrat de service « Mon Compte Partenaire »".into()));
    d.push(Block::Subtitle(format!("Mode {} — établi le {} à partir des données enregistrées dans Habilis", p.mode, p.today)));
    d.push(Block::Heading("Entre les soussignés".into()));
    d.push(Block::Paragraph(format!("{}, ci-après « la caisse »,", p.caisse)));
    let address = if p.address.is_empty() { String::new() } else { format!(", {}", p.address) };
    d.push(Block::Paragraph(format!("et {}, SIRET {}{address}, ci-après « le partenaire ».", p.partner, p.siret)));
    d.push(Block::Heading("Références".into()));
    for c in &p.conventions {
        d.push(Block::Bullet(format!("Convention d'accès n° {}, signée le {} par {}.", c.what, c.on, c.detail)));
    }
    for k in &p.contracts {
        d.push(Block::Bullet(format!("Contrat de service signé le {} par {}, mode initial : {}.", k.on, k.detail, k.what)));
    }
    for a in &p.amendments {
        d.push(Block::Bullet(format!("Avenant signé le {} : {}.", a.on, a.detail)));
    }
    if p.conventions.is_empty() {
        d.push(Block::Bullet("Aucune convention enregistrée.".into()));
    }
    d.push(Block::Heading("Article 2 — Gestion des habilitations".into()));
    d.push(Block::Paragraph("En mode de gestion déléguée, la caisse gère les comptes de l'administrateur et de son suppléant ; le partenaire gère ses utilisateurs, groupes et habilitations dans la limite des quotas fixés par la caisse (annexe 2), sous le contrôle de la caisse, qui peut interroger, suspendre une habilitation, imposer un changement de mot de passe ou retirer la délégation par avenant. Chaque année, le partenaire procède à la revue de toutes ses habilitations et en transmet la preuve à la caisse.".into()));
    d.push(Block::Heading("Article 3 — Centre de services".into()));
    d.push(Block::Paragraph("Les incidents sont déclarés par les gestionnaires du partenaire au centre de services de la caisse ; sans réponse sous dix jours ouvrés, la procédure d'escalade s'applique.".into()));
    d.push(Block::Heading("Article 5 — Sécurité et traçabilité".into()));
    d.push(Block::Paragraph("Toutes les connexions et actions sont tracées et conservées six mois ; les données d'habilitation sont conservées six ans après la fin de l'habilitation. L'administrateur et son suppléant consultent les traces de leur organisme.".into()));
    d.push(Block::Heading("Annexe 1 — Interlocuteurs".into()));
    d.push(Block::Subheading("Pour la caisse".into()));
    for r in &p.caisse_contacts {
        d.push(Block::Row(r.function.clone(), format!("{} {}", r.name, r.reach).trim().to_string()));
    }
    d.push(Block::Subheading("Pour le partenaire".into()));
    for r in &p.partner_contacts {
        d.push(Block::Row(r.function.clone(), format!("{} {}", r.name, r.reach).trim().to_string()));
    }
    if !p.missing.is_empty() {
        d.push(Block::Paragraph(format!("Fonctions sans interlocuteur : {}.", p.missing)));
    }
    d.push(Block::Heading("Annexe 2 — Services mis à disposition".into()));
    for s in &p.services {
        d.push(Block::Row(s.name.clone(), format!("profils {} ; mise à disposition : {} ; quota : {} ; {}", s.roles, s.available_from, s.quota, s.state)));
    }
    if !p.annex2.is_empty() {
        d.push(Block::Subheading("Modifications de l'annexe 2 (article 6)".into()));
        for a in &p.annex2 {
            d.push(Block::Bullet(format!("{} — avenant signé le {} : {} (enregistrée le {})", a.service, a.signed_on, a.changes, a.changed_at)));
        }
    }
    d.push(Block::Heading("Annexe 3 — Demande de changement d'administrateur".into()));
    d.push(Block::Paragraph("À remplir par le partenaire (ou en ligne : « Demander un changement d'administrateur ») et à valider par la caisse.".into()));
    for label in ["Fonction dans Habilis", "Nom et prénom", "Fonction", "Remplace", "Téléphone fixe / portable (au moins un)", "Adresse électronique individuelle", "Date et signature du représentant du partenaire"] {
        let blank = if label == "Fonction dans Habilis" { "☐ Administrateur   ☐ Administrateur suppléant" } else { "……………………………………………………" };
        d.push(Block::Row(label.into(), blank.into()));
    }
    d.to_pdf()
}

async fn contract_as(state: &AppState, ctx: &Ctx, actor: &Actor, id: OrganisationId, back: String, pdf: bool) -> Response {
    let t = crate::i18n::Lang::Fr.texts();
    let cf = match state.app.contract_file(actor, id).await {
        Ok(c) => c,
        Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    };
    let f = &cf.file;
    let contacts = |cs: &[habilis_core::records::Contact]| {
        cs.iter()
            .map(|c| {
                let reach = [c.email.clone(), c.phone.clone()].into_iter().flatten().collect::<Vec<_>>().join(" · ");
                DirectoryLine { function: function_label(t, &c.function), name: c.name.clone(), reach: [c.title.clone().unwrap_or_default(), reach].join(" ").trim().to_string() }
            })
            .collect::<Vec<_>>()
    };
    let page = ContractPage {
        pdf: if actor.organisation.id == id { "/partner/contract.pdf".to_string() } else { format!("/caisse/partners/{id}/contract.pdf") },
        back,
        today: format_date(state.app.today()),
        mode: mode_label(t, f.mode),
        caisse: cf.caisse.name.clone(),
        partner: f.partner.name.clone(),
        siret: f.partner.siret.clone().unwrap_or_default(),
        address: [f.partner.address.clone(), f.partner.city.clone()].into_iter().flatten().collect::<Vec<_>>().join(", "),
        conventions: f.conventions.iter().map(|c| Signed { what: c.number.clone(), on: format_date(c.signed_on), detail: c.signatories.clone() }).collect(),
        contracts: f.contracts.iter().map(|k| Signed { what: mode_label(t, Some(k.mode)), on: format_date(k.signed_on), detail: k.signatories.clone() }).collect(),
        amendments: f
            .amendments
            .iter()
            .map(|a| {
                let d = t.amendment_detail.replace("{mode}", &mode_label(t, Some(a.mode))).replace("{date}", &format_date(a.effective_on)).replace("{reason}", &a.reason);
                Signed { what: t.amendment.into(), on: format_date(a.signed_on), detail: d }
            })
            .collect(),
        caisse_contacts: contacts(&cf.caisse_contacts),
        partner_contacts: contacts(&f.contacts),
        missing: f.missing_contacts.iter().map(|m| function_label(t, m)).collect::<Vec<_>>().join(", "),
        annex2: crate::view::annex2_rows(t, f),
        services: f
            .services
            .iter()
            .zip(cf.roles.iter())
            .map(|((s, sub, missing), roles)| {
                AnnexService {
                    name: format!("{} — {}", s.code, s.label),
                    roles: roles.iter().map(|r| r.code.clone()).collect::<Vec<_>>().join(", "),
                    available_from: sub.available_from.map(format_date).unwrap_or_else(|| t.quota_none.into()),
                    quota: sub.max_holders.map(|m| m.to_string()).unwrap_or_else(|| t.quota_none.into()),
                    state: if missing.is_empty() { t.service_open.to_string() } else { t.service_closed.to_string() },
                }
            })
            .collect(),
    };
    if pdf {
        let name = format!("contrat-{}.pdf", page.siret);
        return (
            [(axum::http::header::CONTENT_TYPE, "application/pdf".to_string()), (axum::http::header::CONTENT_DISPOSITION, format!("inline; filename=\"{name}\""))],
            contract_pdf(&page),
        )
            .into_response();
    }
    render(&page, StatusCode::OK)
}

/// GET /caisse/partners/{id}/contract.pdf
pub async fn contract_file(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<Uuid>) -> Response {
    contract_as(&state, &ctx, &actor, OrganisationId(id), String::new(), true).await
}

/// GET /partner/contract.pdf
pub async fn own_contract_file(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx) -> Response {
    let id = actor.organisation.id;
    contract_as(&state, &ctx, &actor, id, String::new(), true).await
}

/// GET /caisse/partners/{id}/contract
pub async fn contract(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<Uuid>) -> Response {
    let actor = &actor;
    contract_document(&state, &ctx, actor, OrganisationId(id), format!("/caisse/partners/{id}")).await
}

/// GET /partner/contract — the partner's own contract.
pub async fn own_contract(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx) -> Response {
    let actor = &actor;
    contract_document(&state, &ctx, actor, actor.organisation.id, "/".into()).await
}

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get};
    axum::Router::new()
        .route("/caisse/partners/{id}/contract", get(contract))
        .route("/partner/contract", get(own_contract))
        .route("/caisse/partners/{id}/contract.pdf", get(contract_file))
        .route("/partner/contract.pdf", get(own_contract_file))
}
