//! Installation: the first caisse administrator (`habilis init`) and the contract's
//! example as demo data (`habilis serve --demo`).


use crate::app::App;
use crate::error::{Error, Refusal, Result};
use crate::records::*;
use crate::store::*;
use crate::trace::*;
use crate::values::*;


/// The installation setting that marks demo data.
const DEMO_KEY: &str = "demo_data";

/// What `init` created: the account and the token of its one-time link.
#[derive(Debug)]
pub struct Initialised {
    pub account: Account,
    pub link_token: String,
}

/// One demo account, for printing.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub login: &'static str,
    pub name: &'static str,
    pub organisation: &'static str,
    pub role: Role,
}

/// The demo accounts (the contract's example, Annex 1).
pub const DEMO_ACCOUNTS: [DemoAccount; 6] = [
    DemoAccount { login: "caf.admin", name: "Sophie Durand", organisation: "Caf du Nord", role: Role::CaisseAdmin },
    DemoAccount { login: "caf.auditor", name: "Marc Leroy", organisation: "Caf du Nord", role: Role::TraceAuditor },
    DemoAccount { login: "mons.admin", name: "Claire Martin", organisation: MONS, role: Role::PartnerAdmin },
    DemoAccount { login: "mons.deputy", name: "Hugo Lefebvre", organisation: MONS, role: Role::PartnerDeputy },
    DemoAccount { login: "mons.manager", name: "Julie Petit", organisation: MONS, role: Role::DelegatedManager },
    DemoAccount { login: "mons.agent", name: "Karim Haddad", organisation: MONS, role: Role::User },
];

const MONS: &str = "Mairie de Mons-en-Barœul";

/// The demo's organisations: the Cnaf, the Caf du Nord and the Mairie.
const DEMO_ORGANISATIONS: i64 = 3;

/// What `load_demo` did.
#[derive(Debug)]
pub struct DemoReport {
    /// False when the demo data was already there (passwords were reset to the given one).
    pub created: bool,
    pub accounts: Vec<DemoAccount>,
}

impl<S: Store> App<S> {
    /// Create the first caisse habilitation administrator on an empty database, with a
    /// one-time set-password link. Refused if any account exists.
    pub async fn init_first_admin(
        &self,
        login: &str,
        email: &str,
        name: &str,
        caisse_name: &str,
    ) -> Result<Initialised> {
        let login = Login::parse(login).map_err(|p| Error::invalid("login", p))?;
        let email = Email::parse(email).map_err(|p| Error::invalid("email", p))?;
        let name = DisplayName::parse(name).map_err(|p| Error::invalid("name", p))?;
        let caisse_name = DisplayName::parse(caisse_name).map_err(|p| Error::invalid("caisse_name", p))?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if tx.count_accounts().await? > 0 {
            return Err(Error::Refused(Refusal::AlreadyInitialised));
        }
        let caisse = match tx.organisation_by_name(caisse_name.as_str()).await? {
            Some(o) => o,
            None => {
                let o = Organisation {
                    id: OrganisationId::new(),
                    kind: OrganisationKind::Caisse,
                    name: caisse_name.as_str().to_string(),
                    parent_id: None,
                    siret: None,
                    city: None,
                    address: None,
                };
                tx.insert_organisation(&o, now).await?;
                o
            }
        };
        let account = Account {
            id: AccountId::new(),
            organisation_id: caisse.id,
            login: login.as_str().to_string(),
            display_name: name.as_str().to_string(),
            email: email.as_str().to_string(),
            function: None,
            status: AccountStatus::Active,
            password_hash: None,
            must_change_password: false,
            roles: vec![Role::CaisseAdmin],
            last_login_at: None,
            created_at: now,
        };
        tx.insert_account(&account).await?;
        let link_token = self.issue_link(&mut tx, account.id, LinkPurpose::SetPassword).await?;
        let mut e = TraceEntry::new(now, "installation.init", Outcome::Success, &ClientInfo::default());
        e.organisation_id = Some(caisse.id);
        e.target = Some(account.login.clone());
        e.detail = Some("premier administrateur de la caisse, créé en ligne de commande".into());
        tx.append_trace(&e).await?;
        tx.commit().await?;
        Ok(Initialised { account, link_token })
    }

    /// Load the contract's example (REQUIREMENTS.md, last section) with every demo account
    /// set to `password`. Idempotent: on a database that already holds the demo it only
    /// resets the demo passwords. Refused — nothing changed — on a database that holds
    /// anything else, the demo included once people added to it.
    pub async fn load_demo(&self, password: &str) -> Result<DemoReport> {
        for a in DEMO_ACCOUNTS {
            self.passwords
                .check(password, a.role.is_manager() || a.role.is_caisse_staff(), &[a.login, a.name])
                .map_err(Error::PasswordRejected)?;
        }
        let hash = self.hasher.hash(password).await?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let created = match tx.meta(DEMO_KEY).await? {
            // The demo, and only the demo: its three organisations and its accounts. A
            // database people went on to fill is not reset to known passwords (issue 17).
            Some(_) if tx.count_organisations().await? > DEMO_ORGANISATIONS || tx.count_accounts().await? > DEMO_ACCOUNTS.len() as i64 => {
                return Err(Error::Refused(Refusal::NotDemoData));
            }
            Some(_) => false,
            None if tx.count_organisations().await? > 0 || tx.count_accounts().await? > 0 => {
                return Err(Error::Refused(Refusal::NotDemoData));
            }
            None => {
                self.create_demo(&mut tx, &hash).await?;
                tx.set_meta(DEMO_KEY, "loaded").await?;
                true
            }
        };
        if !created {
            for a in DEMO_ACCOUNTS {
                if let Some(acc) = tx.account_by_login(a.login).await? {
                    tx.set_password(acc.id, &hash, false, now).await?;
                }
            }
        }
        let mut e = TraceEntry::new(now, "installation.demo", Outcome::Success, &ClientInfo::default());
        e.detail = Some(if created { "données de démonstration chargées" } else { "mots de passe de démonstration réinitialisés" }.into());
        tx.append_trace(&e).await?;
        tx.commit().await?;
        Ok(DemoReport { created, accounts: DEMO_ACCOUNTS.to_vec() })
    }

    async fn create_demo(&self, tx: &mut S::Tx, hash: &str) -> Result<()> {
        let now = self.now();
        let cnaf = org(OrganisationKind::National, "Cnaf", None, None, Some("Paris"));
        let caf = org(OrganisationKind::Caisse, "Caf du Nord", Some(cnaf.id), None, Some("Lille"));
        let mons = org(OrganisationKind::Partner, MONS, Some(caf.id), Some("21590410300011"), Some("Mons-en-Barœul"));
        for o in [&cnaf, &caf, &mons] {
            tx.insert_organisation(o, now).await?;
        }
        // The demo's logins are `caf.…` and `mons.…`: those are the organisations' prefixes.
        for (o, prefix) in [(&cnaf, "cnaf"), (&caf, "caf"), (&mons, "mons")] {
            tx.claim_login_prefix(o.id, prefix).await?;
        }
        for a in DEMO_ACCOUNTS {
            let org_id = if a.organisation == MONS { mons.id } else { caf.id };
            let email = format!("{}@demo.habilis.invalid", a.login);
            let function = match a.login {
                "mons.admin" => Some("Responsable du service petite enfance et scolaire"),
                "mons.deputy" => Some("Responsable du service accueil"),
                _ => None,
            };
            tx.insert_account(&Account {
                id: AccountId::new(),
                organisation_id: org_id,
                login: a.login.to_string(),
                display_name: a.name.to_string(),
                email,
                function: function.map(str::to_string),
                status: AccountStatus::Active,
                password_hash: Some(hash.to_string()),
                must_change_password: false,
                roles: vec![a.role],
                last_login_at: None,
                created_at: now,
            })
            .await?;
        }
        let cdap = Service {
            id: ServiceId::new(),
            code: "CDAP".into(),
            label: "Consultation du dossier allocataire par le partenaire".into(),
            description: "Consultation, par les agents habilités du partenaire, des informations du dossier \
                          des allocataires utiles à leurs missions."
                .into(),
        };
        tx.insert_service(&cdap).await?;
        for (code, label) in [
            ("T1", "Profil T1 — consultation des données administratives"),
            ("T2", "Profil T2 — consultation des ressources et prestations"),
            ("T5", "Profil T5 — consultation étendue (quotient familial)"),
        ] {
            tx.insert_service_role(&ServiceRole {
                id: ServiceRoleId::new(),
                service_id: cdap.id,
                code: code.into(),
                label: label.into(),
            })
            .await?;
        }
        // The contract's example: convention, service contract in delegated mode, and the
        // CDAP subscription, all signed on 2017-05-11 (formalities reference fictional).
        let signed = time::macros::date!(2017 - 05 - 11);
        let convention = Convention {
            id: ConventionId::new(),
            partner_id: mons.id,
            number: "2017-21590410300011".into(),
            signed_on: signed,
            signatories: "Le directeur de la Caf du Nord ; le maire de Mons-en-Barœul".into(),
        };
        tx.insert_convention(&convention, now).await?;
        tx.insert_contract(&ServiceContract {
            id: ContractId::new(),
            convention_id: convention.id,
            partner_id: mons.id,
            mode: ManagementMode::Delegated,
            signed_on: signed,
            signatories: "Le directeur de la Caf du Nord ; le maire de Mons-en-Barœul".into(),
        }, now)
        .await?;
        tx.save_subscription(&Subscription {
            id: SubscriptionId::new(),
            partner_id: mons.id,
            service_id: cdap.id,
            signed_on: Some(signed),
            formalities_reference: Some("Registre des traitements n° 2017-014".into()),
            formalities_on: Some(time::macros::date!(2017 - 04 - 28)),
            available_from: Some(signed),
            max_holders: Some(10),
            role_quotas: Vec::new(),
        }, now)
        .await?;
        tx.insert_subscription_change(&crate::records::SubscriptionChange {
            partner_id: mons.id,
            service_id: cdap.id,
            changed_at: now,
            changed_by: None,
            signed_on: None,
            changes: "Signature du bulletin : 11/05/2017 ; Formalités : Registre des traitements n° 2017-014 ; Date des formalités : 28/04/2017 ; \
                      Mise à disposition : 11/05/2017 ; Nombre maximal de titulaires : 10"
                .into(),
        })
        .await?;
        // The demo's delegated manager may grant CDAP T1 and manage users (R12).
        let t1 = tx.service_roles(cdap.id).await?.into_iter().find(|r| r.code == "T1");
        let admin = tx.account_by_login("mons.admin").await?;
        let manager = tx.account_by_login("mons.manager").await?;
        if let (Some(t1), Some(admin), Some(manager)) = (t1, admin, manager) {
            tx.insert_mandate(&crate::records::Mandate {
                id: MandateId::new(),
                organisation_id: mons.id,
                holder_id: manager.id,
                given_by: admin.id,
                parent_id: None,
                scope: [t1.id].into_iter().collect(),
                may_manage_users: true,
                may_manage_groups: false,
                may_delegate: false,
                created_at: now,
                withdrawn_at: None,
            })
            .await?;
        }
        // Annex 1 for both sides; the caisse's side names its service desk with its address.
        let contacts = [
            (mons.id, "administrator", "Claire Martin", "Responsable du service petite enfance et scolaire", Some("mons.admin@demo.habilis.invalid")),
            (mons.id, "deputy", "Hugo Lefebvre", "Responsable du service accueil", Some("mons.deputy@demo.habilis.invalid")),
            (mons.id, "security_officer", "Nadia Benali", "Service informatique", None),
            (mons.id, "data_protection_referent", "Paul Girard", "Secrétariat général", None),
            (caf.id, "director", "Direction de la Caf du Nord", "Directeur", None),
            (caf.id, "administrator", "Sophie Durand", "Administratrice des habilitations", Some("caf.admin@demo.habilis.invalid")),
            (caf.id, "security_officer", "Responsable de la sécurité des systèmes d'information", "Caf du Nord", None),
            (caf.id, "service_desk", "Service COMELEC", "Centre de services de la Caf du Nord", Some("comelec@demo.habilis.invalid")),
        ];
        for (org_id, function, name, title, email) in contacts {
            tx.insert_contact(&Contact {
                id: ContactId::new(),
                organisation_id: org_id,
                function: function.into(),
                name: name.into(),
                title: Some(title.into()),
                email: email.map(str::to_string),
                phone: None,
            })
            .await?;
        }
        Ok(())
    }
}

fn org(
    kind: OrganisationKind,
    name: &str,
    parent: Option<OrganisationId>,
    siret: Option<&str>,
    city: Option<&str>,
) -> Organisation {
    Organisation {
        id: OrganisationId::new(),
        kind,
        name: name.into(),
        parent_id: parent,
        siret: siret.map(str::to_string),
        city: city.map(str::to_string),
        address: None,
    }
}
