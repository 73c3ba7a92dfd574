//! Exports of a partner's users, groups and grants as CSV (issue 18, R15): the format a
//! French office opens (UTF-8 with a BOM, `;`, CRLF), every cell a spreadsheet would run as
//! a formula defused. Who may read the rights page may export it.

use crate::app::App;
use crate::error::Result;
use crate::records::*;
use crate::store::*;
use crate::values::csv_line;

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    Users,
    Groups,
    Grants,
}

impl Export {
    /// From the file name asked for (`users`, `groups`, `grants`).
    pub fn parse(s: &str) -> Option<Export> {
        match s {
            "users" => Some(Export::Users),
            "groups" => Some(Export::Groups),
            "grants" => Some(Export::Grants),
            _ => None,
        }
    }
}

impl<S: Store> App<S> {
    /// The partner's users, groups or grants (the organisation `actor` manages or reads)
    /// as CSV.
    pub async fn export_csv(&self, actor: &Actor, what: Export) -> Result<String> {
        let people = self.partner_people(actor).await?;
        let login = |id: AccountId| people.iter().find(|p| p.id == id).map(|p| p.login.clone()).unwrap_or_default();
        let date = |d: time::Date| d.to_string();
        let instant = |t: time::OffsetDateTime| crate::clock::format_paris(t);
        let groups = self.groups(actor).await?;
        let mut out = String::from("\u{feff}");
        match what {
            Export::Users => {
                out.push_str(&csv_line(&["identifiant", "nom", "courriel", "fonction", "rôles", "état", "dernière connexion", "groupes"]));
                for p in &people {
                    let roles = p.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ");
                    let in_groups = groups.iter().filter(|(_, m)| m.contains(&p.id)).map(|(g, _)| g.name.clone()).collect::<Vec<_>>().join(", ");
                    out.push_str(&csv_line(&[
                        p.login.clone(),
                        p.display_name.clone(),
                        p.email.clone(),
                        p.function.clone().unwrap_or_default(),
                        roles,
                        p.status.as_str().to_string(),
                        p.last_login_at.map(instant).unwrap_or_default(),
                        in_groups,
                    ]));
                }
            }
            Export::Groups => {
                out.push_str(&csv_line(&["groupe", "membres"]));
                for (g, members) in &groups {
                    out.push_str(&csv_line(&[g.name.clone(), members.iter().map(|m| login(*m)).collect::<Vec<_>>().join(", ")]));
                }
            }
            Export::Grants => {
                let catalogue = self.catalogue().await?;
                let role = |id: ServiceRoleId| catalogue.iter().find_map(|(s, rs)| rs.iter().find(|r| r.id == id).map(|r| (s.code.clone(), r.code.clone()))).unwrap_or_default();
                out.push_str(&csv_line(&["service", "profil", "titulaire", "motif", "début", "fin", "état", "donnée par", "le", "dernière utilisation"]));
                for g in self.grants(actor).await? {
                    let holder = match (g.holder_account_id, g.holder_group_id) {
                        (Some(a), _) => login(a),
                        (None, Some(grp)) => groups.iter().find(|(x, _)| x.id == grp).map(|(x, _)| format!("groupe {}", x.name)).unwrap_or_default(),
                        _ => String::new(),
                    };
                    let (service, r) = role(g.service_role_id);
                    out.push_str(&csv_line(&[
                        service,
                        r,
                        holder,
                        g.purpose.clone(),
                        date(g.starts_on),
                        g.ends_on.map(date).unwrap_or_default(),
                        g.state.as_str().to_string(),
                        login(g.created_by),
                        instant(g.created_at),
                        g.last_used_at.map(instant).unwrap_or_default(),
                    ]));
                }
            }
        }
        Ok(out)
    }
}
