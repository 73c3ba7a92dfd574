//! What each traced action means, in French and in English, for the people who read the
//! trail (trace auditors, the partner's administrators, a person asking for their own
//! traces): the viewer, its CSV export and the right-of-access export show these words; the
//! action's code stays beside them as data.

/// (code, French, English) for every action the portal traces.
pub const ACTIONS: &[(&str, &str, &str)] = &[
    ("session.login", "Connexion au portail", "Sign-in to the portal"),
    ("session.second_factor", "Second facteur de connexion", "Second sign-in factor"),
    ("session.logout", "Déconnexion", "Sign-out"),
    ("session.expire", "Fin de session (délai dépassé)", "Session ended (time limit)"),
    ("http.get", "Consultation d'une page", "Page viewed"),
    ("http.head", "Consultation d'une page", "Page viewed"),
    ("http.post", "Envoi d'un formulaire", "Form sent"),
    ("http.put", "Modification par l'API", "Change through the API"),
    ("http.delete", "Suppression par l'API", "Deletion through the API"),
    ("password.set", "Mot de passe choisi (lien à usage unique)", "Password set (one-time link)"),
    ("password.change", "Changement de mot de passe", "Password change"),
    ("password.force_change", "Changement de mot de passe imposé par la caisse", "Password change required by the caisse"),
    ("second_factor.enrol", "Enrôlement du second facteur", "Second factor enrolled"),
    ("second_factor.reset", "Réinitialisation du second facteur", "Second factor reset"),
    ("installation.init", "Installation : premier administrateur", "Installation: first administrator"),
    ("installation.demo", "Installation : données de démonstration", "Installation: demo data"),
    ("partner.create", "Création d'un partenaire", "Partner created"),
    ("partner.update", "Modification d'un partenaire", "Partner updated"),
    ("convention.create", "Convention d'accès enregistrée", "Access agreement recorded"),
    ("contract.create", "Contrat de service enregistré", "Service contract recorded"),
    ("amendment.create", "Avenant enregistré", "Amendment recorded"),
    ("subscription.save", "Bulletin d'adhésion enregistré", "Subscription recorded"),
    ("service.create", "Service ajouté au catalogue", "Service added to the catalogue"),
    ("service_role.create", "Profil ajouté à un service", "Role added to a service"),
    ("administrator.issue", "Compte d'administrateur créé", "Administrator account issued"),
    ("administrator.suspend", "Administrateur suspendu", "Administrator suspended"),
    ("administrator.reactivate", "Administrateur réactivé", "Administrator reactivated"),
    ("administrator.deactivate", "Administrateur désactivé", "Administrator deactivated"),
    ("admin_change.request", "Demande de changement d'administrateur", "Administrator change requested"),
    ("admin_change.accept", "Changement d'administrateur accepté", "Administrator change accepted"),
    ("admin_change.refuse", "Changement d'administrateur refusé", "Administrator change refused"),
    ("staff.appoint", "Nomination d'un membre du personnel", "Staff member appointed"),
    ("staff.roles", "Rôles d'un membre du personnel modifiés", "Staff member's roles changed"),
    ("staff.suspend", "Membre du personnel suspendu", "Staff member suspended"),
    ("staff.reactivate", "Membre du personnel réactivé", "Staff member reactivated"),
    ("staff.deactivate", "Membre du personnel désactivé", "Staff member deactivated"),
    ("contact.create", "Interlocuteur ajouté à l'annuaire", "Contact added to the directory"),
    ("contact.delete", "Interlocuteur retiré de l'annuaire", "Contact removed from the directory"),
    ("user.create", "Création d'un utilisateur", "User created"),
    ("user.update", "Modification d'un utilisateur", "User updated"),
    ("user.suspend", "Utilisateur suspendu", "User suspended"),
    ("user.reactivate", "Utilisateur réactivé", "User reactivated"),
    ("user.leave", "Départ de l'organisme (compte désactivé, droits retirés)", "Left the organisation (account deactivated, rights ended)"),
    ("user.reset_password", "Nouveau lien de mot de passe envoyé", "New password link sent"),
    ("group.create", "Création d'un groupe", "Group created"),
    ("group.rename", "Groupe renommé", "Group renamed"),
    ("group.external_id", "Identifiant du groupe dans l'annuaire de l'organisme modifié (SCIM)", "Group's identifier in the organisation's directory changed (SCIM)"),
    ("user.external_id", "Identifiant de la personne dans l'annuaire de l'organisme modifié (SCIM)", "Person's identifier in the organisation's directory changed (SCIM)"),
    ("scim.token.create", "Jeton d'annuaire (SCIM) créé", "Directory token (SCIM) created"),
    ("scim.token.revoke", "Jeton d'annuaire (SCIM) révoqué", "Directory token (SCIM) revoked"),
    ("scim.refused", "Annuaire (SCIM) : jeton refusé", "Directory (SCIM): token refused"),
    ("scim.get", "Annuaire (SCIM) : lecture", "Directory (SCIM): read"),
    ("scim.post", "Annuaire (SCIM) : création", "Directory (SCIM): creation"),
    ("scim.put", "Annuaire (SCIM) : remplacement", "Directory (SCIM): replacement"),
    ("scim.patch", "Annuaire (SCIM) : modification", "Directory (SCIM): change"),
    ("scim.delete", "Annuaire (SCIM) : suppression", "Directory (SCIM): deletion"),
    ("group.delete", "Groupe supprimé", "Group deleted"),
    ("group.add_member", "Membre ajouté à un groupe", "Member added to a group"),
    ("group.remove_member", "Membre retiré d'un groupe", "Member removed from a group"),
    ("grant.create", "Habilitation donnée", "Grant given"),
    ("grant.suspend", "Habilitation suspendue", "Grant suspended"),
    ("grant.resume", "Habilitation rétablie", "Grant resumed"),
    ("grant.revoke", "Habilitation retirée", "Grant revoked"),
    ("grant.end_date", "Date de fin d'une habilitation modifiée", "Grant end date changed"),
    ("grant.caisse_suspend", "Habilitation suspendue par la caisse", "Grant suspended by the caisse"),
    ("grant.caisse_lift", "Suspension par la caisse levée", "Caisse suspension lifted"),
    ("mandate.give", "Mandat confié à un responsable", "Mandate given"),
    ("mandate.edit", "Mandat modifié", "Mandate changed"),
    ("mandate.withdraw", "Mandat retiré", "Mandate withdrawn"),
    ("query.open", "Question de la caisse au partenaire", "Query from the caisse"),
    ("query.answer", "Réponse du partenaire à la caisse", "Partner's answer"),
    ("query.close", "Question close par la caisse", "Query closed"),
    ("trace.read", "Lecture des traces", "Traces read"),
    ("trace.export.csv", "Export des traces (CSV)", "Traces exported (CSV)"),
    ("trace.export.json", "Export des traces (JSON)", "Traces exported (JSON)"),
    ("access_request.create", "Demande d'accès à ses traces", "Request for one's own traces"),
    ("access_request.forward", "Demande d'accès transmise", "Access request forwarded"),
    ("access_request.export", "Traces extraites pour une demande d'accès", "Traces extracted for an access request"),
    ("access_request.answer", "Demande d'accès satisfaite", "Access request answered"),
    ("access_request.download", "Réponse à une demande d'accès téléchargée", "Access answer downloaded"),
    ("retention.purge", "Purge des données échues", "Purge of expired records"),
    ("client.register", "Service enregistré comme client", "Service registered as a client"),
    ("client.secret", "Secret d'un service renouvelé", "Service secret renewed"),
    ("oidc.key", "Clé de signature des jetons renouvelée", "Token signing key renewed"),
    ("service.signin", "Connexion à un service", "Sign-in to a service"),
    ("service.token", "Jeton délivré à un service", "Token issued to a service"),
    ("service.revoke", "Jeton d'un service révoqué", "Service token revoked"),
    ("service.check", "Vérification d'accès par un service", "Access check by a service"),
    ("review.open", "Revue annuelle ouverte pour le partenaire", "Annual review opened for the partner"),
    ("review.campaign.open", "Campagne de revue annuelle ouverte", "Annual review campaign opened"),
    ("review.decide", "Décision de revue annuelle", "Annual review decision"),
    ("review.complete", "Revue annuelle transmise (preuve signée)", "Annual review sent (signed proof)"),
    ("review.delegate", "Revue annuelle confiée à un responsable", "Annual review delegated"),
    ("review.undelegate", "Revue annuelle reprise", "Annual review taken back"),
    ("review.escalate", "Revue annuelle en retard : escalade", "Late annual review: escalation"),
    ("alert.raise", "Alerte d'usage inhabituel relevée", "Unusual use alert raised"),
    ("alert.acknowledge", "Alerte qualifiée", "Alert qualified"),
    ("alert.act", "Suite donnée à une alerte", "Action taken on an alert"),
    ("alert.rules", "Règles de détection modifiées", "Detection rules changed"),
    ("incident.open", "Incident signalé au centre de services", "Incident reported to the service desk"),
    ("incident.message", "Message sur un incident", "Message on an incident"),
    ("incident.qualify", "Incident qualifié et orienté", "Incident qualified and routed"),
    ("incident.national", "Incident transmis au niveau national", "Incident sent to the national level"),
    ("incident.urgent", "Incident marqué urgent", "Incident marked urgent"),
    ("incident.escalate", "Escalade d'un incident", "Incident escalation"),
    ("incident.close", "Incident clos", "Incident closed"),
    ("outage.announce", "Interruption programmée annoncée", "Planned outage announced"),
    ("outage.cancel", "Interruption programmée annulée", "Planned outage cancelled"),
];

/// What `action` means, in French (`english` false) or English; `None` for an unknown code.
pub fn action_label(action: &str, english: bool) -> Option<&'static str> {
    ACTIONS.iter().find(|(code, _, _)| *code == action).map(|(_, fr, en)| if english { *en } else { *fr })
}

/// Whether `action` is a consultation or a connection rather than an action on the data:
/// what the trail's "changes only" view leaves out (pages viewed, sign-ins and sign-outs,
/// the reading of traces itself).
pub fn is_consultation(action: &str) -> bool {
    CONSULTATION_PREFIXES.iter().any(|p| action.starts_with(p))
}

/// The prefixes of the actions `is_consultation` names (the store filters on them).
pub const CONSULTATION_PREFIXES: [&str; 4] = ["http.get", "http.head", "session.", "trace."];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every action code written in the services has its words: the trail never shows a
    /// bare code to its readers.
    #[test]
    fn every_traced_action_has_words_in_both_languages() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut sources = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(dir)];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let p = entry.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|e| e == "rs") && !p.ends_with("labels.rs") {
                    sources.push(std::fs::read_to_string(&p).unwrap());
                }
            }
        }
        let families = ["session", "password", "second_factor", "installation", "partner", "convention", "contract", "amendment", "subscription", "service", "service_role",
            "administrator", "admin_change", "staff", "contact", "user", "group", "grant", "mandate", "query", "trace", "access_request", "retention", "client", "oidc",
            "review", "alert", "incident", "outage", "scim"];
        let mut missing = Vec::new();
        for src in &sources {
            for piece in src.split('"').skip(1).step_by(2) {
                let Some((family, rest)) = piece.split_once('.') else { continue };
                let code_like = !rest.is_empty() && piece.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == '.');
                if code_like && families.contains(&family) && action_label(piece, false).is_none() && !missing.contains(&piece.to_string()) {
                    missing.push(piece.to_string());
                }
            }
        }
        assert!(missing.is_empty(), "actions without words: {missing:?}");
        for (code, fr, en) in ACTIONS {
            assert!(!fr.is_empty() && !en.is_empty(), "{code}");
        }
        assert!(is_consultation("http.get") && is_consultation("session.login") && !is_consultation("grant.create") && !is_consultation("http.post"));
    }
}

/// Why a session ended, in French words with its code kept in brackets (the code is what
/// `sessions.end_reason` stores): for the trail's `detail`, read by non-technical auditors.
pub fn session_end_words(code: &str) -> String {
    let words = match code {
        "logout" => "déconnexion",
        "idle_timeout" => "inactivité prolongée",
        "absolute_timeout" => "durée maximale de la session atteinte",
        "account_disabled" => "compte suspendu ou désactivé",
        "account_suspended" => "compte suspendu",
        "account_deactivated" => "compte désactivé",
        "account_replaced" => "compte remplacé",
        "password_changed" => "mot de passe changé",
        "password_change_forced" => "changement de mot de passe imposé",
        "second_factor_changed" => "double authentification changée",
        "second_factor_reset" => "double authentification réinitialisée",
        _ => return code.to_string(),
    };
    format!("{words} ({code})")
}
