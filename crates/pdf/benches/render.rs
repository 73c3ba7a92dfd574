//! Time to write a two-page document like the service contract (the size of the demo's).
//! Run: `cargo bench -p habilis-pdf --bench render`

use std::time::Instant;

use habilis_pdf::{Block, Document};

fn contract_like() -> Document {
    let mut d = Document::new("Contrat de service — Mairie de Mons-en-Barœul");
    d.push(Block::Title("Contrat de service « Mon Compte Partenaire »".into()));
    d.push(Block::Subtitle("Mode délégué — établi le 01/12/2026".into()));
    for h in 0..8 {
        d.push(Block::Heading(format!("Article {h} — Gestion des habilitations")));
        d.push(Block::Paragraph("En mode de gestion déléguée, la caisse gère les comptes de l'administrateur et de son suppléant ; le partenaire gère ses utilisateurs, groupes et habilitations dans la limite des quotas fixés par la caisse (annexe 2), sous le contrôle de la caisse.".into()));
        for r in 0..4 {
            d.push(Block::Row(format!("Fonction {r}"), "Sophie Durand, administratrice des habilitations, caf.admin@demo.habilis.invalid".into()));
        }
    }
    d
}

fn main() {
    let doc = contract_like();
    let bytes = doc.to_pdf();
    let n = 2000u32;
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(doc.to_pdf());
    }
    println!("contract-like document: {} bytes, {:.0} µs to write", bytes.len(), t.elapsed().as_secs_f64() * 1e6 / f64::from(n));
}
