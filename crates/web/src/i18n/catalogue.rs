//! Every visible string of the portal, French then English. A missing or empty string,
//! or placeholders that differ between the two, fail `every_string_exists_in_both_languages`.

catalogue! {
    app_name: "Habilis", "Habilis";
    app_tagline: "Gestion déléguée des habilitations", "Delegated access-rights management";
    skip_to_content: "Aller au contenu", "Skip to content";
    switch_language: "English", "Français";
    switch_language_label: "Switch to English", "Passer en français";
    footer_text: "Habilis — portail des partenaires. Toutes les connexions et actions sont tracées (article 5.3 du contrat de service).",
        "Habilis — partner portal. Every connection and action is traced (article 5.3 of the service contract).";
    login_title: "Connexion", "Sign in";
    login_intro: "Connectez-vous avec l'identifiant que votre administrateur vous a remis.",
        "Sign in with the login your administrator gave you.";
    login_field: "Identifiant", "Login";
    password_field: "Mot de passe", "Password";
    login_submit: "Se connecter", "Sign in";
    logout_submit: "Se déconnecter", "Sign out";
    signed_in_as: "Connecté(e) :", "Signed in:";
    logged_out: "Vous êtes déconnecté(e).", "You are signed out.";
    session_ended: "Votre session a expiré ou a été fermée. Reconnectez-vous pour continuer.",
        "Your session expired or was closed. Sign in again to continue.";
    password_set_done: "Votre mot de passe est enregistré. Vous pouvez vous connecter.",
        "Your password is saved. You can sign in.";
    error_summary_title: "La demande n'a pas abouti", "The request did not go through";
    err_invalid_credentials: "Identifiant ou mot de passe incorrect.", "Wrong login or password.";
    err_throttled: "Trop de tentatives de connexion pour cet identifiant. Réessayez dans {n} secondes.",
        "Too many sign-in attempts for this login. Try again in {n} seconds.";
    err_account_disabled: "Ce compte est suspendu ou désactivé. Adressez-vous à votre administrateur.",
        "This account is suspended or deactivated. Contact your administrator.";
    err_not_authenticated: "Vous n'êtes pas connecté(e), ou votre session a expiré.",
        "You are not signed in, or your session expired.";
    err_forbidden: "Vous n'avez pas le droit de faire cette action.", "You are not allowed to do this.";
    err_link_invalid: "Ce lien n'est plus valable (déjà utilisé ou expiré). Demandez un nouveau lien à votre administrateur.",
        "This link is no longer valid (already used or expired). Ask your administrator for a new one.";
    err_already_initialised: "Cette installation a déjà des comptes : la création du premier administrateur n'est plus possible.",
        "This installation already has accounts: the first administrator can no longer be created.";
    err_not_demo_data: "Cette base contient des données réelles : les données de démonstration n'y sont pas chargées.",
        "This database holds real data: the demo data is not loaded into it.";
    err_taken: "Cette valeur est déjà utilisée : {what}.", "This value is already in use: {what}.";
    err_internal: "Le service rencontre un problème. Réessayez dans quelques instants ; si cela persiste, contactez le centre de services.",
        "The service has a problem. Try again in a moment; if it persists, contact the service desk.";
    err_csrf: "Le formulaire a expiré ou ne vient pas de ce site. Rechargez la page et recommencez.",
        "The form expired or did not come from this site. Reload the page and try again.";
    err_not_found: "Cette page n'existe pas.", "This page does not exist.";
    err_body_too_large: "La demande est trop volumineuse.", "The request is too large.";
    err_bad_json: "Le corps de la demande n'est pas un JSON valide : {detail}.", "The request body is not valid JSON: {detail}.";
    err_json_fields: "Le JSON ne correspond pas à ce qui est attendu : {detail}.", "The JSON does not match what is expected: {detail}.";
    err_json_content_type: "Cette adresse n'accepte que du JSON (Content-Type: application/json).",
        "This endpoint only accepts JSON (Content-Type: application/json).";
    err_bad_form: "Le formulaire envoyé est illisible ou incomplet.", "The form sent is unreadable or incomplete.";
    err_method: "Cette méthode n'est pas acceptée à cette adresse.", "This method is not allowed here.";
    err_field_empty: "Le champ « {field} » est obligatoire.", "The field “{field}” is required.";
    err_field_too_long: "Le champ « {field} » dépasse {n} caractères.", "The field “{field}” is longer than {n} characters.";
    err_field_too_short: "Le champ « {field} » doit compter au moins {n} caractères.", "The field “{field}” needs at least {n} characters.";
    err_field_characters: "Le champ « {field} » contient des caractères non autorisés.", "The field “{field}” contains characters that are not allowed.";
    err_field_format: "Le champ « {field} » n'a pas la forme attendue.", "The field “{field}” is not in the expected form.";
    err_siret_length: "Le SIRET doit compter exactement 14 chiffres.", "A SIRET has exactly 14 digits.";
    err_siret_checksum: "Ce SIRET est invalide : la clé de contrôle (algorithme de Luhn) ne correspond pas.",
        "This SIRET is invalid: its check digit (Luhn algorithm) does not match.";
    err_not_found_record: "Cet élément n'existe pas ou n'est pas accessible.", "This item does not exist or is out of your reach.";
    err_slot_taken: "Ce siège est déjà occupé : un partenaire a un seul administrateur et un seul suppléant. Désactivez d'abord le titulaire actuel.",
        "This seat is taken: a partner has one administrator and one deputy. Deactivate the current holder first.";
    err_convention_other_partner: "Le contrat de service doit relever d'une convention de ce partenaire.",
        "The service contract must come under a convention of this partner.";
    err_service_closed: "Ce service n'est pas ouvert pour ce partenaire : {missing}.", "This service is not open for this partner: {missing}.";
    err_role_quota_above: "Le quota d'un profil ne peut pas dépasser le quota du service.", "A role's quota cannot exceed the service's quota.";
    err_role_other_service: "Ce profil n'appartient pas à ce service.", "This role does not belong to this service.";
    err_convention_format: "Le numéro de convention s'écrit AAAA-SIRET, par exemple 2017-21590410300011.",
        "A convention number reads YYYY-SIRET, for example 2017-21590410300011.";
    err_convention_siret: "Le numéro de convention doit reprendre le SIRET de ce partenaire.", "The convention number must contain this partner's SIRET.";
    err_field_date: "Le champ « {field} » doit être une date (AAAA-MM-JJ).", "The field “{field}” must be a date (YYYY-MM-DD).";
    err_date_past: "La date du champ « {field} » ne peut pas être déjà passée.", "The date in “{field}” cannot be in the past.";
    err_date_before_start: "La date de fin de la recherche (« {field} ») précède sa date de début.", "The search's end date (“{field}”) comes before its start date.";
    err_date_end_before_start: "La fin (« {field} ») doit venir après le début.", "The end (“{field}”) must come after the start.";
    err_field_date_order: "La date du champ « {field} » ne peut pas précéder la date de signature.", "The date in “{field}” cannot come before the signature date.";
    err_field_range: "Le champ « {field} » doit être un nombre entier positif.", "The field “{field}” must be a whole positive number.";
    missing_convention: "aucune convention signée", "no signed convention";
    missing_contract: "aucun contrat de service signé", "no signed service contract";
    missing_subscription: "pas de bulletin d'adhésion", "no subscription";
    missing_subscription_signature: "bulletin d'adhésion non signé", "subscription not signed";
    missing_formalities: "formalités Informatique et Libertés non déclarées", "data-protection formalities not recorded";
    missing_availability: "date de mise à disposition non fixée", "availability date not set";
    missing_quota: "nombre maximal de titulaires non fixé par la caisse (article 2.2.1)", "maximum number of holders not set by the caisse (article 2.2.1)";
    missing_not_yet: "disponible seulement à partir du {date}", "available only from {date}";
    err_pw_short: "Le mot de passe est trop court : au moins {four} caractères avec minuscules, majuscules, chiffres et caractères spéciaux, ou {three} caractères avec trois de ces quatre types.",
        "The password is too short: at least {four} characters using lower case, upper case, digits and symbols, or {three} characters using three of these four kinds.";
    err_pw_classes: "Le mot de passe doit mélanger au moins trois types de caractères parmi : minuscules, majuscules, chiffres, caractères spéciaux.",
        "The password must mix at least three kinds of characters among lower case, upper case, digits and symbols.";
    err_pw_common: "Ce mot de passe est trop courant ou reprend votre identifiant ou votre nom. Choisissez-en un autre.",
        "This password is too common or built on your login or name. Choose another one.";
    err_pw_long: "Le mot de passe dépasse 256 caractères.", "The password is longer than 256 characters.";
    err_pw_same: "Le nouveau mot de passe doit être différent de l'actuel.", "The new password must differ from the current one.";
    err_pw_mismatch: "Les deux mots de passe saisis ne sont pas identiques.", "The two passwords typed differ.";
    browser_title: "Navigateur trop ancien", "Browser too old";
    browser_ie: "Internet Explorer n'est plus maintenu et n'offre plus les protections de sécurité exigées (article 2.1 du contrat de service). Habilis ne peut pas être utilisé avec ce navigateur.",
        "Internet Explorer is no longer maintained and lacks the required security protections (article 2.1 of the service contract). Habilis cannot be used with this browser.";
    browser_old: "Votre navigateur ({browser} {version}) est trop ancien pour garantir la sécurité de vos données : la version minimale acceptée est {minimum} (article 2.1 du contrat de service).",
        "Your browser ({browser} {version}) is too old to keep your data safe: the minimum accepted version is {minimum} (article 2.1 of the service contract).";
    browser_what_to_do: "Mettez votre navigateur à jour, ou utilisez une version récente de Firefox, Chrome, Edge ou Safari. En cas de difficulté, adressez-vous au service informatique de votre organisme.",
        "Update your browser, or use a recent version of Firefox, Chrome, Edge or Safari. If you need help, contact your organisation's IT department.";
    home_title: "Accueil", "Home";
    home_welcome: "Bonjour {name}", "Hello {name}";
    home_org: "Organisme", "Organisation";
    home_roles: "Rôle", "Role";
    home_last_login: "Connecté(e) depuis le", "Signed in since";
    home_session_ends: "Votre session se ferme après {idle} minutes d'inactivité, et au plus tard le {end}.",
        "Your session closes after {idle} minutes without activity, and at the latest on {end}.";
    home_caisse_admin: "Tableau de bord de la caisse : partenaires, conventions, services et supervision des habilitations.",
        "Caisse dashboard: partners, conventions, services and supervision of access rights.";
    home_partner_admin: "Administration de votre organisme : utilisateurs, groupes, habilitations et responsables d'habilitations.",
        "Administration of your organisation: users, groups, access rights and delegated managers.";
    home_delegated_manager: "Gestion des habilitations dans la limite de votre mandat.",
        "Management of access rights within your mandate.";
    home_user: "Vos services et vos habilitations.", "Your services and access rights.";
    home_staff: "Espace du personnel de la caisse.", "Caisse staff area.";
    home_empty: "Aucun élément pour le moment.", "Nothing here yet.";
    home_contacts: "Interlocuteurs de l'organisme", "Organisation contacts";
    role_caisse_admin: "Administrateur des habilitations de la caisse", "Caisse access-rights administrator";
    role_service_desk: "Agent du centre de services", "Service-desk agent";
    role_trace_auditor: "Auditeur des traces", "Trace auditor";
    role_security_officer: "Responsable de la sécurité", "Security officer";
    role_partner_admin: "Administrateur", "Administrator";
    role_partner_deputy: "Administrateur suppléant", "Deputy administrator";
    role_delegated_manager: "Responsable d'habilitations", "Delegated manager";
    role_user: "Utilisateur", "User";
    fn_administrator: "Administrateur", "Administrator";
    fn_deputy: "Suppléant", "Deputy";
    fn_security_officer: "Responsable sécurité", "Security officer";
    fn_data_protection_referent: "Référent Informatique et Libertés", "Data-protection referent";
    fn_escalation_1: "Escalade — premier contact", "Escalation — first contact";
    fn_escalation_2: "Escalade — deuxième contact", "Escalation — second contact";
    fn_escalation_3: "Escalade — troisième contact", "Escalation — third contact";
    fn_service_desk: "Centre de services", "Service desk";
    fn_director: "Directeur", "Director";
    set_password_title: "Choisir votre mot de passe", "Choose your password";
    set_password_intro: "Compte : {login}. Ce lien ne sert qu'une fois.", "Account: {login}. This link works once.";
    set_password_rules: "Au moins {four} caractères mêlant minuscules, majuscules, chiffres et caractères spéciaux, ou {three} caractères avec trois de ces types. Évitez les mots courants et votre nom.",
        "At least {four} characters mixing lower case, upper case, digits and symbols, or {three} characters with three of these kinds. Avoid common words and your name.";
    new_password_field: "Nouveau mot de passe", "New password";
    confirm_password_field: "Confirmez le mot de passe", "Confirm the password";
    set_password_submit: "Enregistrer le mot de passe", "Save the password";
    change_password_title: "Changer mon mot de passe", "Change my password";
    change_password_link: "Mon mot de passe", "My password";
    change_password_submit: "Changer le mot de passe", "Change the password";
    change_password_done: "Votre mot de passe est changé. Vos autres sessions ont été fermées.",
        "Your password is changed. Your other sessions were closed.";
    change_password_required: "Vous devez choisir un nouveau mot de passe avant de continuer.",
        "You must choose a new password before going on.";
    current_password_field: "Mot de passe actuel", "Current password";
    err_second_factor_invalid: "Ce code est incorrect, expiré ou déjà utilisé. Saisissez le code affiché maintenant par votre application, ou un code de secours.",
        "This code is wrong, expired or already used. Type the code your application shows now, or a recovery code.";
    second_factor_required: "Saisissez le code de votre application d'authentification pour terminer la connexion.",
        "Type the code of your authenticator application to finish signing in.";
    enrolment_required: "Votre rôle exige une double authentification : configurez votre application d'authentification avant de continuer.",
        "Your role requires two-step verification: set up your authenticator application before going on.";
    code_title: "Vérification en deux étapes", "Two-step verification";
    code_field: "Code à 6 chiffres", "6-digit code";
    code_hint: "Le code affiché par votre application d'authentification (il change toutes les 30 secondes). Vous pouvez aussi saisir un de vos codes de secours.",
        "The code your authenticator application shows (it changes every 30 seconds). You may also type one of your recovery codes.";
    code_submit: "Vérifier", "Verify";
    code_lost: "Application perdue et plus de codes de secours ? Votre administrateur principal (ou la caisse, pour un administrateur) peut réinitialiser votre double authentification.",
        "Lost your application and your recovery codes? Your principal administrator (or the caisse, for an administrator) can reset your two-step verification.";
    second_factor_title: "Double authentification", "Two-step verification";
    second_factor_link: "Double authentification", "Two-step verification";
    second_factor_enrolled: "Double authentification active depuis le {date}. Codes de secours restants : {n}.",
        "Two-step verification on since {date}. Recovery codes left: {n}.";
    second_factor_not_enrolled: "Aucune application d'authentification n'est configurée pour votre compte.",
        "No authenticator application is set up for your account.";
    second_factor_policy: "Elle est obligatoire pour votre rôle (article 5.2 du contrat de service).",
        "It is required for your role (article 5.2 of the service contract).";
    enrol_title: "Configurer une application d'authentification", "Set up an authenticator application";
    enrol_replace_title: "Remplacer mon application d'authentification", "Replace my authenticator application";
    enrol_step1: "Installez sur votre téléphone une application d'authentification (par exemple FreeOTP, Microsoft Authenticator ou Google Authenticator).",
        "Install an authenticator application on your phone (for example FreeOTP, Microsoft Authenticator or Google Authenticator).";
    enrol_step2: "Dans l'application, ajoutez un compte en scannant ce code QR, ou en saisissant la clé ci-dessous.",
        "In the application, add an account by scanning this QR code, or by typing the key below.";
    enrol_step3: "Saisissez le code à 6 chiffres que l'application affiche.", "Type the 6-digit code the application shows.";
    enrol_qr_alt: "Code QR de configuration de l'application d'authentification", "QR code that sets up the authenticator application";
    enrol_key: "Clé à saisir", "Key to type";
    enrol_open_link: "Ouvrir dans l'application (sur ce téléphone)", "Open in the application (on this phone)";
    enrol_submit: "Activer la double authentification", "Turn on two-step verification";
    recovery_title: "Vos codes de secours", "Your recovery codes";
    recovery_intro: "La double authentification est active. Notez ou imprimez ces 10 codes et gardez-les en lieu sûr : chacun permet une seule connexion si vous n'avez plus votre téléphone. Ils ne seront plus affichés.",
        "Two-step verification is on. Write down or print these 10 codes and keep them safe: each lets you sign in once if you no longer have your phone. They will not be shown again.";
    recovery_continue: "J'ai noté mes codes, continuer", "I have noted my codes, continue";
    reset_second_factor: "Réinitialiser la double authentification", "Reset two-step verification";
    reset_second_factor_done: "La double authentification de {name} est réinitialisée : ses sessions sont fermées et une nouvelle application lui sera demandée à sa prochaine connexion.",
        "{name}'s two-step verification is reset: their sessions are closed and a new application will be asked of them at their next sign-in.";
    err_wrong_current_password: "Le mot de passe actuel est incorrect.", "The current password is wrong.";
    main_menu: "Menu principal", "Main menu";
    partners_title: "Partenaires", "Partners";
    partners_caption: "Partenaires de la caisse", "The caisse's partners";
    partner_new: "Nouveau partenaire", "New partner";
    partner_edit: "Modifier le partenaire", "Edit the partner";
    partner_name: "Nom", "Name";
    partner_siret: "SIRET", "SIRET";
    partner_siret_hint: "14 chiffres ; les espaces sont acceptés.", "14 digits; spaces are accepted.";
    partner_address: "Adresse", "Address";
    partner_city: "Commune", "Town";
    partner_mode: "Mode de gestion", "Management mode";
    mode_delegated: "gestion déléguée", "delegated management";
    mode_caisse_managed: "gestion par la caisse", "managed by the caisse";
    mode_none: "aucun contrat de service", "no service contract";
    save: "Enregistrer", "Save";
    saved: "Enregistré.", "Saved.";
    amendment_signed_on: "Date de signature de l'avenant", "Date the amendment was signed";
    amendment_signed_on_hint: "Obligatoire pour modifier un bulletin déjà signé (article 6) : la modification est gardée dans l'historique de l'annexe 2.",
        "Required to change a bulletin already signed (article 6): the change is kept in Annex 2's history.";
    annex2_history: "Historique de l'annexe 2", "Annex 2 history";
    annex2_history_caption: "Modifications de l'annexe 2, par avenant", "Changes of Annex 2, by amendment";
    annex2_changed_at: "Enregistrée le", "Recorded on";
    annex2_signed_on: "Avenant signé le", "Amendment signed on";
    annex2_changes: "Modifications", "Changes";
    annex2_initial: "bulletin initial", "initial bulletin";
    directory_title: "Annuaire", "Directory";
    directory_intro: "Les interlocuteurs de l'organisme (annexe 1 du contrat de service). Les notifications partent vers leurs adresses ; un seul responsable de la sécurité par organisme (article 5.1).",
        "The organisation's contacts (Annex 1 of the service contract). Notifications go to their addresses; one security officer per organisation (article 5.1).";
    directory_caption: "Interlocuteurs de l'organisme", "The organisation's contacts";
    last_used: "Dernière utilisation", "Last used";
    never_used: "jamais", "never";
    clients_title: "Services clients", "Client services";
    clients_intro: "Les services métier (comme CDAP) qui s'appuient sur Habilis pour savoir si une personne peut les utiliser. Chacun s'authentifie avec son identifiant et son secret.",
        "The business services (such as CDAP) that rely on Habilis to know whether a person may use them. Each authenticates with its identifier and secret.";
    clients_caption: "Services enregistrés", "Registered services";
    client_id_field: "Identifiant du client", "Client identifier";
    client_id_hint: "Lettres minuscules, chiffres, points, tirets (par exemple cdap).", "Lower-case letters, digits, dots, dashes (for example cdap).";
    client_name: "Nom", "Name";
    client_redirects: "Adresses de retour", "Redirect addresses";
    client_redirects_hint: "Une par ligne, en https:// (http:// seulement sur la machine locale).", "One per line, https:// (http:// only on the local machine).";
    client_jwks: "Clés publiques du service (facultatif)", "The service's public keys (optional)";
    client_jwks_hint: "Pour un service qui s'authentifie par assertion signée (private_key_jwt) : son jeu de clés publiques JWKS, {\"keys\": [...]}, clés EC P-256 ou RSA, jamais de clé privée.", "For a service that authenticates with a signed assertion (private_key_jwt): its public JWKS, {\"keys\": [...]}, EC P-256 or RSA keys, never a private key.";
    client_auth: "Authentification", "Authentication";
    client_auth_secret: "secret", "secret";
    client_auth_keys: "secret ou assertion signée", "secret or signed assertion";
    client_oidc: "Connexion des personnes (OpenID Connect) : le service se configure avec l'adresse de découverte", "Signing people in (OpenID Connect): the service is configured with the discovery address";
    client_register: "Enregistrer un service", "Register a service";
    client_register_submit: "Enregistrer et afficher le secret", "Register and show the secret";
    client_registered: "Le service est enregistré. Copiez son secret maintenant : il ne sera plus affiché (la commande « habilis client rotate » en donne un nouveau).",
        "The service is registered. Copy its secret now: it will not be shown again (the command \"habilis client rotate\" gives a new one).";
    client_secret: "Secret", "Secret";
    staff_title: "Personnel de la caisse", "Caisse staff";
    staff_intro: "Les administrateurs des habilitations désignent ici le personnel de la caisse : administrateurs, auditeurs des traces (seuls à lire les traces, article 5.3.3), agents du centre de services et responsable de la sécurité. Chaque personne reçoit un lien pour choisir son mot de passe.",
        "Habilitation administrators appoint the caisse's staff here: administrators, trace auditors (the only ones who read traces, article 5.3.3), service-desk agents and the security officer. Each person receives a link to choose their password.";
    staff_caption: "Personnel de la caisse et ses rôles", "The caisse's staff and their roles";
    staff_change_roles: "Modifier les rôles", "Change the roles";
    staff_appoint: "Désigner une personne", "Appoint a person";
    staff_appoint_submit: "Désigner et envoyer le lien", "Appoint and send the link";
    staff_appointed: "La personne est désignée : elle reçoit un lien pour choisir son mot de passe.", "The person is appointed: they receive a link to choose their password.";
    contacts_missing: "Annuaire incomplet, fonctions sans interlocuteur :", "Directory incomplete, functions with nobody named:";
    services_title: "Services", "Services";
    service: "Service", "Service";
    quota: "Quota", "Quota";
    quota_none: "non fixé", "not set";
    quota_service: "Quota du service (nombre maximum de personnes habilitées)", "Service quota (most people holding it)";
    quota_roles: "Quotas par profil (facultatifs)", "Quotas per role (optional)";
    state: "État", "State";
    service_open: "ouvert", "open";
    service_closed: "fermé", "closed";
    subscription_add: "Enregistrer un bulletin d'adhésion", "Record a subscription";
    signed_on: "Date de signature", "Signature date";
    formalities_reference: "Référence des formalités Informatique et Libertés", "Data-protection formalities reference";
    formalities_on: "Date des formalités", "Formalities date";
    available_from: "Date de mise à disposition", "Available from";
    contract_history: "Convention, contrat de service et avenants", "Convention, service contract and amendments";
    document: "Document", "Document";
    detail: "Détail", "Detail";
    convention: "Convention", "Convention";
    convention_add: "Enregistrer une convention", "Record a convention";
    convention_number: "Numéro de convention", "Convention number";
    convention_number_hint: "Année, tiret, SIRET du partenaire : 2017-21590410300011.", "Year, dash, the partner's SIRET: 2017-21590410300011.";
    signatories: "Signataires", "Signatories";
    contract: "Contrat de service", "Service contract";
    contract_add: "Enregistrer un contrat de service", "Record a service contract";
    amendment: "Avenant", "Amendment";
    amendment_add: "Enregistrer un avenant", "Record an amendment";
    amendment_new_mode: "Nouveau mode de gestion", "New management mode";
    amendment_detail: "{mode} à compter du {date} — {reason}", "{mode} from {date} — {reason}";
    effective_on: "Date d'effet", "Effective date";
    reason: "Motif", "Reason";
    administrators_title: "Administrateurs du partenaire", "Partner administrators";
    administrators_none: "Aucun administrateur désigné.", "No administrator designated.";
    administrator_issue: "Désigner un administrateur ou un suppléant", "Designate an administrator or a deputy";
    administrator_issue_submit: "Créer le compte et envoyer le lien", "Create the account and send the link";
    seat: "Fonction dans Habilis", "Seat in Habilis";
    person: "Personne", "Person";
    actions: "Actions", "Actions";
    deactivate: "Désactiver", "Deactivate";
    first_name: "Prénom", "First name";
    last_name: "Nom", "Last name";
    function: "Fonction", "Function";
    email_personal: "Adresse électronique individuelle", "Individual email address";
    phone: "Téléphone", "Phone";
    status_active: "actif", "active";
    status_suspended: "suspendu", "suspended";
    status_deactivated: "désactivé", "deactivated";
    outbox_title: "Messages envoyés", "Outgoing messages";
    outbox_intro: "Les notifications écrites par Habilis (liens de création de mot de passe, réponses aux demandes). Sans serveur de messagerie configuré, elles restent consultables ici.",
        "Notifications written by Habilis (set-password links, answers to requests). With no mail server configured, they stay readable here.";
    outbox_when: "Date", "Date";
    outbox_to: "Destinataire", "To";
    outbox_subject: "Objet", "Subject";
    outbox_pending: "en attente d'envoi", "waiting";
    outbox_sent: "envoyé", "sent";
    outbox_failed: "échec", "failed";
    change_request_title: "Demander un changement d'administrateur", "Ask for a change of administrator";
    change_request_intro: "Formulaire de l'annexe 3 du contrat de service : la caisse valide la demande, crée le compte de la personne désignée et désactive celui qu'elle remplace.",
        "The form of Annex 3 of the service contract: the caisse validates the request, creates the designated person's account and deactivates the one it replaces.";
    change_request_submit: "Envoyer la demande à la caisse", "Send the request to the caisse";
    change_request_sent: "Votre demande est transmise à la caisse.", "Your request was sent to the caisse.";
    replaces: "Remplace", "Replaces";
    replaces_nobody: "personne (siège vacant)", "nobody (vacant seat)";
    mobile: "Téléphone portable", "Mobile phone";
    phone_hint: "Au moins un numéro de téléphone, fixe ou portable.", "At least one phone number, landline or mobile.";
    email_personal_hint: "Une adresse individuelle et nominative, pas une adresse de service.", "An individual, personal address, not a shared one.";
    requests_title: "Demandes de changement d'administrateur", "Administrator change requests";
    decision_reason: "Motif (obligatoire pour un refus)", "Reason (required to refuse)";
    accept: "Accepter", "Accept";
    refuse: "Refuser", "Refuse";
    request_pending: "en attente", "pending";
    request_accepted: "acceptée", "accepted";
    request_refused: "refusée", "refused";
    err_already_decided: "Cette demande a déjà été traitée.", "This request was already decided.";
    suspend: "Suspendre", "Suspend";
    reactivate: "Réactiver", "Reactivate";
    remove: "Retirer", "Remove";
    contact_add: "Ajouter un interlocuteur", "Add a contact";
    contact_name: "Nom et prénom (ou service)", "Name (or department)";
    contact_title: "Fonction ou service", "Title or department";
    contact_email: "Adresse électronique", "Email address";
    contract_document: "Contrat de service et annexes (document imprimable)", "Service contract and annexes (printable document)";
    catalogue_title: "Catalogue des services", "Service catalogue";
    service_code: "Code", "Code";
    service_label: "Libellé", "Label";
    service_description: "Description", "Description";
    service_roles: "Profils", "Roles";
    service_add: "Ajouter un service", "Add a service";
    role_add: "Ajouter un profil à un service", "Add a role to a service";
    role_code: "Code du profil", "Role code";
    role_label_field: "Libellé du profil", "Role label";
    field_generic: "valeur", "value";
    subscription_edit: "modifier", "edit";
    outbox_link_warning: "Tant qu'un message n'est pas envoyé, son lien à usage unique est visible ici : ne le transmettez qu'à son destinataire. Une fois le message envoyé, le lien est masqué.",
        "Until a message is sent, its one-time link is visible here: give it to its recipient only. Once the message is sent, the link is masked.";
    err_quota_service: "Quota atteint pour le service {service} : {used} personne(s) habilitée(s) sur {allowed} autorisée(s) par la caisse.",
        "Quota reached for the service {service}: {used} people hold it out of {allowed} allowed by the caisse.";
    err_quota_role: "Quota atteint pour le profil {role} du service {service} : {used} personne(s) sur {allowed} autorisée(s) par la caisse.",
        "Quota reached for the role {role} of the service {service}: {used} people out of {allowed} allowed by the caisse.";
    err_already_granted: "Cette habilitation existe déjà pour ce titulaire (même service et même profil). Modifiez-la plutôt que d'en donner une seconde.",
        "This holder already has this grant (same service and profile). Change it rather than give a second one.";
    err_empty_mandate: "Un mandat doit couvrir au moins un profil ou un pouvoir (gérer les utilisateurs, gérer les groupes).",
        "A mandate must cover at least one profile or one power (manage users, manage groups).";
    err_admin_rights_by_caisse: "Les habilitations de l'administrateur et de son suppléant sont gérées exclusivement par la caisse (article 2.2.1 du contrat).",
        "The administrator's and deputy's grants are managed exclusively by the caisse (article 2.2.1 of the contract).";
    err_self_auditor: "Un administrateur de la caisse ne peut pas se donner lui-même le rôle d'auditeur des traces (article 5.3.3) : un autre administrateur doit le faire.",
        "A caisse administrator cannot give himself the trace-auditor role (article 5.3.3): another administrator must do it.";
    err_last_caisse_admin: "La caisse doit garder au moins un administrateur des habilitations actif.",
        "The caisse must keep at least one active habilitation administrator.";
    err_role_other_side: "Ce rôle n'existe pas pour ce type d'organisme.", "This role does not exist for this kind of organisation.";
    err_single_security_officer: "L'organisme a déjà un responsable de la sécurité, son interlocuteur unique (article 5.1) : retirez-le de l'annuaire avant d'en nommer un autre.",
        "The organisation already has a security officer, its single point of contact (article 5.1): remove them from the directory before naming another.";
    err_review_incomplete: "La revue n'est pas terminée : chaque habilitation et chaque mandat en vigueur doit être conservé ou retiré avant de transmettre la preuve.",
        "The review is not finished: every grant and mandate in force must be kept or revoked before the proof is sent.";
    err_campaign_exists: "La caisse a déjà ouvert la revue annuelle de cette année.", "The caisse already opened this year's annual review.";
    err_not_exported: "Produisez d'abord l'export des traces de la personne : c'est la réponse à sa demande (article 5.3.4).",
        "Produce the export of the person's traces first: it is the answer to their request (article 5.3.4).";
    err_not_answered: "L'export sera disponible quand l'administrateur aura traité la demande.",
        "The export will be available once the administrator has answered the request.";
    access_download: "Télécharger mes traces", "Download my traces";
    err_overlapping_mandate: "Cette personne a déjà un mandat en vigueur qui couvre une partie de celui-ci : modifiez ce mandat plutôt que d'en donner un second.",
        "This person already holds a mandate in force that covers part of this one: edit that mandate rather than give a second one.";
    mandate_edit: "Modifier le mandat", "Edit the mandate";
    mandate_edit_submit: "Enregistrer le mandat", "Save the mandate";
    err_self_grant: "Un gestionnaire ne peut pas s'attribuer ni modifier ses propres habilitations.", "A manager cannot grant themselves anything nor change their own grants.";
    grant_purpose: "Motif de l'habilitation", "Purpose of the grant";
    grant_ends_on: "Date de fin", "End date";
    err_mandate_wider: "Un mandat ne peut pas dépasser celui de la personne qui le donne, et seul un mandat qui le permet peut être délégué.",
        "A mandate cannot exceed its giver's, and only a mandate that allows it can be delegated.";
    err_outside_mandate: "Votre mandat ne couvre pas cette action (service, profil, utilisateurs ou groupes).",
        "Your mandate does not cover this action (service, role, users or groups).";
    rights_title: "Habilitations de l'organisme", "The organisation's access rights";
    quotas_title: "Quotas fixés par la caisse", "Quotas set by the caisse";
    quota_used_allowed: "Utilisé / autorisé", "Used / allowed";
    grants_title: "Habilitations", "Grants";
    grant_add: "Habiliter une personne", "Grant a person a right";
    grant_submit: "Habiliter", "Grant";
    grant_purpose_hint: "Pourquoi cette personne a besoin de ce service (principe du moindre privilège).", "Why this person needs this service (least privilege).";
    service_and_role: "Service et profil", "Service and role";
    revoke: "Retirer", "Revoke";
    withdraw: "Retirer le mandat", "Withdraw";
    users_title: "Utilisateurs", "Users";
    user_add: "Créer un utilisateur", "Create a user";
    user_submit: "Créer le compte et envoyer le lien", "Create the account and send the link";
    mandates_title: "Mandats des responsables d'habilitations", "Delegated managers' mandates";
    mandate_add: "Donner un mandat", "Give a mandate";
    mandate_submit: "Donner le mandat", "Give the mandate";
    mandate_scope: "Services et profils qu'il peut attribuer", "Services and roles they may grant";
    mandate_rights: "Droits de gestion", "Management rights";
    mandate_users: "gérer les utilisateurs", "manage users";
    mandate_groups: "gérer les groupes", "manage groups";
    mandate_delegate: "déléguer à son tour", "delegate further";
    mandate_active: "en vigueur", "in force";
    mandate_withdrawn: "retiré", "withdrawn";
    grant_active: "active", "active";
    grant_suspended: "suspendue", "suspended";
    grant_revoked: "retirée", "revoked";
    no_end: "sans date de fin", "no end date";
    send_reset: "Envoyer un lien de mot de passe", "Send a password link";
    err_group_holds_grants: "Ce groupe détient encore des habilitations : retirez-les avant de le supprimer.",
        "This group still holds grants: revoke them before deleting it.";
    groups_title: "Groupes", "Groups";
    group_members: "Membres", "Members";
    group_add_member: "Ajouter", "Add";
    group_remove_member: "Retirer du groupe", "Remove from the group";
    group_grant: "Habiliter tout le groupe", "Grant the whole group";
    group_delete: "Supprimer le groupe", "Delete the group";
    group_create: "Créer un groupe", "Create a group";
    group_name: "Nom du groupe", "Group name";
    add: "Ajouter", "Add";
    last_sign_in: "Dernière connexion", "Last sign-in";
    active_grants: "Habilitations actives", "Active grants";
    never_signed_in: "jamais", "never";
    search_people: "Rechercher une personne (identifiant, nom ou adresse)", "Find a person (login, name or address)";
    search: "Rechercher", "Search";
    err_caisse_suspension: "La caisse a suspendu cette habilitation à titre conservatoire : seule la caisse peut lever la suspension.",
        "The caisse suspended this grant as a precaution: only the caisse can lift the suspension.";
    err_delegated_mode: "Ce partenaire est en gestion déléguée : ses propres gestionnaires gèrent ses comptes et habilitations. La caisse les consulte, les interroge ou les suspend, mais ne les gère qu'après un avenant de retour en gestion par la caisse.",
        "This partner is in delegated mode: its own managers run its accounts and grants. The caisse reads, queries or suspends them, but manages them only after an amendment back to caisse management.";
    err_manager_email: "Seul l'administrateur principal (ou la caisse, en gestion par la caisse) peut changer l'adresse électronique d'un gestionnaire.", "Only the principal administrator (or the caisse, when it manages the partner) may change a manager's e-mail address.";
    caisse_view_delegated: "Gestion déléguée : vous consultez ce partenaire. Ses propres gestionnaires gèrent ses comptes et habilitations ; la caisse peut interroger, suspendre une habilitation à titre conservatoire ou imposer un changement de mot de passe.",
        "Delegated mode: you are reading this partner. Its own managers run its accounts and grants; the caisse may query, suspend a grant as a precaution or force a password change.";
    caisse_view_managed: "Gestion par la caisse : vous gérez les comptes, groupes et habilitations de ce partenaire à sa place, dans ses quotas. Chaque action est tracée à votre nom.",
        "Caisse-managed: you run this partner's accounts, groups and grants in its stead, within its quotas. Every action is traced under your name.";
    partner_caisse_managed: "La caisse a repris la gestion de vos habilitations par avenant : vous pouvez les consulter, mais plus les modifier.",
        "The caisse has taken over the management of your access rights by amendment: you can read them but no longer change them.";
    manage_people: "Comptes, groupes et habilitations", "Accounts, groups and grants";
    suspended_by_caisse: "Suspendue par la caisse", "Suspended by the caisse";
    supervise: "Superviser", "Supervise";
    caisse_suspend: "Suspendre à titre conservatoire", "Suspend as a precaution";
    caisse_lift: "Lever la suspension de la caisse", "Lift the caisse's suspension";
    query_ask: "Interroger le partenaire", "Query the partner";
    query_question: "Question", "Question";
    query_due_on: "Réponse attendue au plus tard le", "Answer due by";
    query_auto_suspend: "Suspendre automatiquement l'habilitation si la question reste sans réponse à l'échéance",
        "Suspend the grant automatically if the question is still unanswered on the due date";
    queries_title: "Questions de la caisse", "Queries from the caisse";
    query_open: "en attente de réponse", "awaiting an answer";
    query_answered: "répondue", "answered";
    query_closed: "close", "closed";
    query_overdue: "en retard", "overdue";
    query_answer: "Réponse", "Answer";
    query_answer_submit: "Répondre", "Answer";
    query_close: "Clore la question", "Close the query";
    query_about: "Habilitation concernée", "Grant concerned";
    force_password_one: "Imposer un nouveau mot de passe", "Force a new password";
    force_password_all: "Imposer un nouveau mot de passe à toutes les personnes du partenaire", "Force a new password on everyone at the partner";
    force_password_done: "Changement de mot de passe imposé : les sessions sont fermées.", "Password change forced: sessions are closed.";
    supervision_title: "Supervision des partenaires", "Partner supervision";
    supervision_intro: "Vue d'ensemble, en lecture, des partenaires de la caisse. Choisissez une vue et ses filtres.",
        "A read-only overview of the caisse's partners. Choose a view and its filters.";
    view_grants: "Habilitations", "Grants";
    view_dormant: "Personnes sans connexion récente", "People not signed in recently";
    view_contacts: "Partenaires à l'annuaire incomplet", "Partners with an incomplete directory";
    filter_service: "Service (tous si vide)", "Service (all if empty)";
    filter_no_end: "Seulement sans date de fin", "Only without an end date";
    filter_months: "Sans connexion depuis (mois)", "Not signed in for (months)";
    filter_partner: "Partenaire", "Partner";
    filter_all: "Tous", "All";
    filter_apply: "Afficher", "Show";
    results_count: "{n} résultat(s)", "{n} result(s)";
    missing_functions: "Fonctions manquantes", "Missing functions";
    err_not_forwarded: "Cette demande doit d'abord être transmise par le supérieur de la personne.", "This request must first be forwarded by the person's superior.";
    traces_title: "Traces", "Traces";
    traces_intro: "Les connexions et actions enregistrées (conservées 6 mois). Chaque consultation et chaque export de traces est lui-même tracé.",
        "Recorded sign-ins and actions (kept 6 months). Every reading and export of traces is itself traced.";
    traces_filters: "Filtres", "Filters";
    filter_from: "Du (inclus)", "From (inclusive)";
    filter_to: "Au (inclus)", "To (inclusive)";
    filter_person: "Personne (identifiant)", "Person (login)";
    filter_action: "Action (ou début du nom, par exemple « grant. »)", "Action (or the start of its name, e.g. “grant.”)";
    filter_target: "Cible", "Target";
    filter_outcome: "Résultat", "Outcome";
    filter_session: "Session", "Session";
    filter_organisation: "Organisme", "Organisation";
    outcome_success: "réussi", "success";
    outcome_failure: "échoué", "failure";
    outcome_refused: "refusé", "refused";
    trace_when: "Date", "Date";
    trace_who: "Qui", "Who";
    trace_action: "Action", "Action";
    trace_address: "Adresse", "Address";
    trace_detail: "Détail", "Detail";
    next_page: "Page suivante (plus anciennes)", "Next page (older)";
    first_page: "Revenir aux plus récentes", "Back to the newest";
    export_csv: "Exporter en CSV", "Export as CSV";
    export_json: "Exporter en JSON", "Export as JSON";
    export_limit: "Un export contient au plus 100 000 traces ; affinez les filtres au-delà.", "An export holds at most 100,000 traces; narrow the filters beyond that.";
    no_traces: "Aucune trace ne correspond à ces filtres.", "No trace matches these filters.";
    access_title: "Droit d'accès à mes traces", "Right of access to my traces";
    access_intro: "Vous pouvez demander les traces de vos connexions et actions (RGPD, article 15). La demande passe par votre supérieur, qui la transmet aux administrateurs de votre organisme ; la réponse est due sous un mois.",
        "You may ask for the traces of your sign-ins and actions (GDPR, article 15). The request goes to your superior, who forwards it to your organisation's administrators; the answer is due within one month.";
    access_superior: "Votre supérieur", "Your superior";
    access_superior_default: "L'administrateur principal de l'organisme", "The organisation's principal administrator";
    access_reason: "Précision (facultatif)", "Details (optional)";
    access_submit: "Envoyer la demande", "Send the request";
    access_requester: "Demandeur", "Requester";
    access_due: "Échéance", "Due";
    access_status: "État", "Status";
    access_submitted: "chez le supérieur", "with the superior";
    access_forwarded: "transmise aux administrateurs", "forwarded to the administrators";
    access_answered: "traitée", "answered";
    access_late: "en retard", "late";
    access_forward: "Transmettre aux administrateurs", "Forward to the administrators";
    access_export: "Exporter ses traces (CSV)", "Export their traces (CSV)";
    access_answer: "Marquer comme traitée", "Mark as answered";
    access_sent: "Votre demande est envoyée.", "Your request has been sent.";
    not_found_title: "Page introuvable", "Page not found";
    back_home: "Retour à l'accueil", "Back to the home page";
    oidc_refused_title: "Connexion au service impossible", "Cannot sign in to the service";
    oidc_logout_title: "Se déconnecter", "Sign out";
    oidc_logout_intro: "Un service vous demande de vous déconnecter du portail. Vous serez déconnecté du portail et des services qui s'appuient sur lui.", "A service asks you to sign out of the portal. You will be signed out of the portal and of the services that rely on it.";
    oidc_logout_confirm: "Me déconnecter", "Sign me out";
    oidc_logout_cancel: "Rester connecté", "Stay signed in";
    reviews_title: "Revue annuelle", "Annual review";
    reviews_intro_caisse: "Chaque année, chaque partenaire revoit toutes ses habilitations et tous ses mandats, puis transmet la preuve signée à la caisse (convention, article 2.2.2). Ouvrez la campagne de l'année, puis suivez où en est chaque partenaire.",
        "Every year each partner reviews all its grants and mandates, then sends the signed proof to the caisse (agreement, article 2.2.2). Open the year's campaign, then follow where each partner stands.";
    reviews_intro_partner: "Chaque année, votre organisme revoit toutes ses habilitations et tous ses mandats : conservez ou retirez chacun, avec un commentaire, puis transmettez la preuve à la caisse (convention, article 2.2.2).",
        "Every year your organisation reviews all its grants and mandates: keep or revoke each, with a comment, then send the proof to the caisse (agreement, article 2.2.2).";
    review_open_title: "Ouvrir une campagne", "Open a campaign";
    review_year: "Année", "Year";
    review_due: "Date limite (AAAA-MM-JJ)", "Due date (YYYY-MM-DD)";
    review_all_partners: "La campagne concerne tous les partenaires de la caisse ; chacun de leurs administrateurs est prévenu par courriel.",
        "The campaign concerns all the caisse's partners; each of their administrators is told by e-mail.";
    review_open_submit: "Ouvrir la campagne", "Open the campaign";
    review_opened: "Campagne {year} ouverte : {n} partenaire(s) prévenu(s).", "Campaign {year} opened: {n} partner(s) told.";
    review_campaigns: "Campagnes", "Campaigns";
    review_none: "Aucune revue pour le moment.", "No review yet.";
    review_partner: "Partenaire", "Partner";
    review_progress: "Avancement", "Progress";
    review_decisions: "Décisions", "Decisions";
    review_completed_at: "Terminée le", "Completed on";
    review_open_link: "Voir la revue", "See the review";
    review_proof_link: "Lire la preuve", "Read the proof";
    progress_not_started: "Non commencée", "Not started";
    progress_in_progress: "En cours", "In progress";
    progress_late: "En retard", "Late";
    progress_done: "Terminée", "Done";
    review_sheet_title: "Revue annuelle {year} — {partner}", "Annual review {year} — {partner}";
    review_due_on: "À transmettre avant le {date}.", "To be sent before {date}.";
    review_counts: "{decided} décision(s) prise(s) sur {total}.", "{decided} decision(s) taken out of {total}.";
    review_item: "Habilitation ou mandat", "Grant or mandate";
    review_holder: "Titulaire", "Holder";
    review_given: "Donnée par", "Given by";
    review_last_use: "Dernière utilisation du service", "Last use of the service";
    review_last_sign_in: "Dernière connexion", "Last sign-in";
    review_never: "jamais", "never";
    review_no_end: "sans fin", "no end";
    review_decision: "Décision", "Decision";
    review_keep: "Conserver", "Keep";
    review_revoke: "Retirer", "Revoke";
    review_comment: "Commentaire (obligatoire pour retirer)", "Comment (required to revoke)";
    review_save: "Enregistrer la décision", "Save the decision";
    review_kept: "Conservée", "Kept";
    review_revoked: "Retirée", "Revoked";
    review_decided_notice: "Décision enregistrée.", "Decision saved.";
    review_complete_title: "Transmettre la preuve", "Send the proof";
    review_complete_intro: "Quand chaque ligne a sa décision, transmettez la preuve : le portail la signe et l'envoie à la caisse. La revue ne peut plus changer ensuite.",
        "When every line has its decision, send the proof: the portal signs it and sends it to the caisse. The review can no longer change afterwards.";
    review_complete_submit: "Signer et transmettre la preuve", "Sign and send the proof";
    review_completed_notice: "Revue terminée : la preuve signée est transmise à la caisse.", "Review completed: the signed proof is sent to the caisse.";
    review_proof_title: "Preuve de la revue", "Proof of the review";
    review_digest: "Empreinte SHA-256 du rapport", "SHA-256 digest of the report";
    review_signature: "Signature Ed25519 de l'empreinte", "Ed25519 signature of the digest";
    review_public_key: "Clé publique du portail", "The portal's public key";
    review_verify_hint: "Pour vérifier : habilis review verify preuve.json (la clé publique est celle du fichier de clé de points de contrôle).",
        "To verify: habilis review verify proof.json (the public key is that of the checkpoint key file).";
    review_download: "Télécharger la preuve (JSON)", "Download the proof (JSON)";
    review_delegate_title: "Confier une partie de la revue", "Delegate part of the review";
    review_delegate_intro: "Un gestionnaire délégué revoit les habilitations qui relèvent de ses mandats ; vous seul transmettez la preuve.",
        "A delegated manager reviews the grants within their mandates; only you send the proof.";
    review_delegate_to: "Gestionnaire", "Manager";
    review_delegate_submit: "Confier", "Delegate";
    review_delegated_to: "Confiée à", "Delegated to";
    review_undelegate: "Ne plus confier", "Stop delegating";
    review_supervise: "Interroger ou suspendre", "Query or suspend";
    review_past: "Décisions sur des droits qui ne sont plus en vigueur", "Decisions on rights no longer in force";
    comment_field: "Commentaire", "Comment";
    alerts_title: "Alertes d'usage", "Usage alerts";
    alerts_intro: "Habilis relève les usages inhabituels au fil des connexions et des consultations : connexion hors des heures, volume de consultations inhabituel pour la personne, réseau inconnu, échecs répétés, compte longtemps inactif. Qualifiez chaque alerte ; si besoin, interrogez le partenaire ou suspendez une habilitation à titre conservatoire.",
        "Habilis flags unusual use as sign-ins and consultations happen: sign-ins outside hours, an unusual volume of consultations for the person, an unknown network, repeated failures, a long-inactive account. Qualify each alert; if needed, query the partner or suspend a grant as a precaution.";
    alerts_open_count: "{n} alerte(s) à qualifier.", "{n} alert(s) to qualify.";
    alerts_none: "Aucune alerte ne correspond à ces critères.", "No alert matches these criteria.";
    alerts_filter: "Filtrer", "Filter";
    alerts_status: "État", "Status";
    alerts_rule: "Règle", "Rule";
    alerts_any: "Toutes", "All";
    alert_status_open: "À qualifier", "To qualify";
    alert_status_acknowledged: "Qualifiée", "Qualified";
    alert_rule_off_hours: "Connexion hors des heures", "Sign-in outside hours";
    alert_rule_volume: "Volume de consultations inhabituel", "Unusual volume of consultations";
    alert_rule_new_network: "Connexion depuis un réseau inconnu", "Sign-in from an unknown network";
    alert_rule_failures: "Échecs de connexion répétés", "Repeated failed sign-ins";
    alert_rule_dormant: "Compte longtemps inactif", "Long-inactive account";
    alert_when: "Relevée le", "Raised on";
    alert_person: "Personne", "Person";
    alert_organisation: "Organisme", "Organisation";
    alert_what: "Constat", "Finding";
    alert_open_link: "Voir l'alerte", "See the alert";
    alert_title: "Alerte — {rule}", "Alert — {rule}";
    alert_fact_off_hours: "Connexion le {time} (heure de Paris), en dehors des heures configurées.", "Signed in on {time} (Paris time), outside the configured hours.";
    alert_fact_volume: "{count} consultations dans la journée, pour {usual} d'habitude (seuil : {threshold}).", "{count} consultations in the day, against {usual} usually (threshold: {threshold}).";
    alert_fact_volume_new: "{count} consultations dans la journée, sans historique suffisant (seuil : {threshold}).", "{count} consultations in the day, without enough history (threshold: {threshold}).";
    alert_fact_new_network: "Connexion depuis le réseau {network}, jamais vu pour cette personne ni ses collègues ces derniers temps.", "Signed in from network {network}, not seen lately for this person or their colleagues.";
    alert_fact_failures: "{count} échecs de connexion en moins d'une heure (seuil : {threshold}).", "{count} failed sign-ins within an hour (threshold: {threshold}).";
    alert_fact_dormant: "Connexion après {days} jours sans connexion.", "Signed in after {days} days without signing in.";
    alert_evidence: "Traces à l'appui", "Supporting traces";
    alert_evidence_intro: "Identifiants des traces qui établissent le constat (consultables par les auditeurs de traces).", "Ids of the traces that establish the finding (readable by trace auditors).";
    alert_evidence_link: "Ouvrir dans le journal", "Open in the trail";
    alert_acknowledge_title: "Qualifier l'alerte", "Qualify the alert";
    alert_comment: "Commentaire (ce qui a été vérifié, ce qui a été fait)", "Comment (what was checked, what was done)";
    alert_acknowledge_submit: "Qualifier l'alerte", "Qualify the alert";
    alert_acknowledged_by: "Qualifiée par {name} le {date} :", "Qualified by {name} on {date}:";
    alert_acknowledged_notice: "Alerte qualifiée.", "Alert qualified.";
    alert_actions_title: "Agir sur les habilitations de la personne", "Act on the person's grants";
    alert_actions_intro: "Les administrateurs du partenaire sont prévenus par courriel de chaque question et de chaque suspension.", "The partner's administrators are told by e-mail of each query and each suspension.";
    alert_no_grants: "Cette personne ne détient aucune habilitation en vigueur.", "This person holds no grant in force.";
    alert_staff_person: "Cette personne fait partie du personnel de la caisse : les suites relèvent de la caisse elle-même.", "This person is on the caisse's staff: what follows is for the caisse itself.";
    alert_through_group: "par le groupe {group}", "through group {group}";
    alert_query_submit: "Interroger le partenaire", "Query the partner";
    alert_suspend_submit: "Suspendre à titre conservatoire", "Suspend as a precaution";
    alert_done_query: "Question envoyée au partenaire.", "Query sent to the partner.";
    alert_done_suspend: "Habilitation suspendue à titre conservatoire ; le partenaire est prévenu.", "Grant suspended as a precaution; the partner is told.";
    alert_actions_taken: "Suites données", "Actions taken";
    alert_action_query: "Question au partenaire", "Query to the partner";
    alert_action_suspend: "Suspension conservatoire", "Precautionary suspension";
    alert_action_line: "{what} — {grant}, par {name} le {date}", "{what} — {grant}, by {name} on {date}";
    alert_rules_title: "Règles de détection", "Detection rules";
    alert_rules_intro: "Les règles s'appliquent aux connexions et consultations de tous les partenaires de la caisse et de son personnel. Chaque changement est tracé.", "The rules apply to the sign-ins and consultations of every partner of the caisse and of its staff. Every change is traced.";
    alert_rules_on: "Règle active", "Rule on";
    alert_rules_hours: "Heures habituelles : de {start} h à {end} h (heure de Paris)", "Usual hours: from {start} to {end} (Paris time)";
    alert_rules_start: "Début de journée (heure, 0 à 23)", "Start of the day (hour, 0 to 23)";
    alert_rules_end: "Fin de journée (heure, 1 à 24)", "End of the day (hour, 1 to 24)";
    alert_rules_weekends: "Le samedi et le dimanche sont hors des heures", "Saturdays and Sundays are outside hours";
    alert_rules_factor: "Alerte au-delà de combien de fois la journée habituelle (2 à 50)", "Alert beyond how many times the usual day (2 to 50)";
    alert_rules_floor: "Et au moins combien de consultations (10 à 100 000)", "And at least how many consultations (10 to 100,000)";
    alert_rules_history: "Historique de référence, en jours (7 à 30)", "Reference history, in days (7 to 30)";
    alert_rules_network_days: "Un réseau non vu depuis combien de jours est inconnu (7 à 365)", "A network not seen for how many days is unknown (7 to 365)";
    alert_rules_failures_n: "Nombre d'échecs en une heure (3 à 50)", "Failures within an hour (3 to 50)";
    alert_rules_dormant_days: "Jours sans connexion (30 à 730)", "Days without signing in (30 to 730)";
    alert_rules_save: "Enregistrer les règles", "Save the rules";
    alert_rules_saved: "Règles enregistrées ; elles s'appliquent dès maintenant.", "Rules saved; they apply from now on.";
    alert_rules_link: "Régler les règles de détection", "Set the detection rules";
    incidents_title: "Incidents", "Incidents";
    incidents_intro: "Les gestionnaires d'habilitations du partenaire signalent les incidents au centre de services de la caisse, qui les qualifie, les oriente et y répond (convention, article 3). Sans réponse d'un côté dans les 10 jours ouvrés, ou dès qu'un incident est marqué urgent, la procédure d'escalade prévient les contacts prévus, dans leur ordre.",
        "The partner's access managers report incidents to the caisse's service desk, which qualifies, routes and answers them (agreement, article 3). Without an answer from one side within 10 business days, or as soon as an incident is marked urgent, the escalation procedure tells the named contacts, in their order.";
    desk_hours: "Le centre de services répond les jours ouvrés de {opens} à {closes}.", "The service desk answers on business days from {opens} to {closes}.";
    desk_closed_note: "Le centre de services est fermé en ce moment : une réponse peut être attendue à partir du {when}.", "The service desk is closed right now: an answer can be expected from {when}.";
    incidents_none: "Aucun incident en cours.", "No incident in progress.";
    incidents_show_closed: "Voir aussi les incidents clos", "Also show closed incidents";
    incidents_show_open: "Voir les incidents en cours", "Show incidents in progress";
    incident_reference: "Référence", "Reference";
    incident_subject: "Objet", "Subject";
    incident_partner: "Partenaire", "Partner";
    incident_status: "État", "Status";
    incident_awaiting: "Réponse attendue de", "Answer expected from";
    incident_due: "Échéance", "Due date";
    incident_level: "Escalade", "Escalation";
    incident_urgent_mark: "urgent", "urgent";
    incident_status_open: "Ouvert", "Open";
    incident_status_in_progress: "Pris en charge", "In progress";
    incident_status_closed: "Clos", "Closed";
    incident_side_partner: "le partenaire", "the partner";
    incident_side_desk: "le centre de services", "the service desk";
    incident_new_title: "Signaler un incident", "Report an incident";
    incident_service: "Service concerné", "Service concerned";
    incident_description: "Description (ce qui se passe, depuis quand, pour qui)", "Description (what happens, since when, for whom)";
    incident_urgent_field: "C'est urgent (l'escalade part aussitôt)", "It is urgent (escalation starts at once)";
    incident_submit: "Envoyer au centre de services", "Send to the service desk";
    incident_opened_notice: "Incident transmis au centre de services.", "Incident sent to the service desk.";
    incident_message_notice: "Message envoyé.", "Message sent.";
    incident_saved_notice: "Enregistré.", "Saved.";
    incident_opened_by: "Signalé par", "Reported by";
    incident_team: "Équipe", "Team";
    incident_national: "Transmis au niveau national", "Sent to the national level";
    incident_days_left: "{n} jour(s) ouvré(s) restant(s)", "{n} business day(s) left";
    incident_days_late: "en retard de {n} jour(s) ouvré(s)", "{n} business day(s) late";
    incident_level_value: "niveau {n}", "level {n}";
    incident_timeline: "Historique", "History";
    incident_reply: "Écrire un message", "Write a message";
    incident_message_field: "Message", "Message";
    incident_send: "Envoyer", "Send";
    incident_qualify_title: "Qualifier et orienter", "Qualify and route";
    incident_qualify_submit: "Orienter vers cette équipe", "Route to this team";
    incident_national_title: "Transmettre au niveau national", "Send to the national level";
    incident_note: "Note pour le niveau national", "Note for the national level";
    incident_national_submit: "Transmettre", "Send";
    incident_urgent_submit: "Marquer comme urgent", "Mark as urgent";
    incident_close_title: "Clore l'incident", "Close the incident";
    incident_resolution: "Ce qui a été fait", "What was done";
    incident_close_submit: "Clore", "Close";
    step_opened: "Incident signalé", "Incident reported";
    step_message: "Message", "Message";
    step_qualified: "Qualifié et orienté vers", "Qualified and routed to";
    step_national: "Transmis au niveau national", "Sent to the national level";
    step_urgent: "Marqué urgent", "Marked urgent";
    step_escalated: "Escalade", "Escalation";
    step_closed: "Clos", "Closed";
    step_portal: "Le portail", "The portal";
    help_title: "Assistance", "Help";
    help_intro: "En cas de difficulté, adressez-vous d'abord aux gestionnaires d'habilitations de votre organisme : ce sont eux qui signalent les incidents au centre de services de la caisse (convention, article 3).",
        "If something goes wrong, first contact your organisation's access managers: they report incidents to the caisse's service desk (agreement, article 3).";
    help_managers: "Vos interlocuteurs de premier niveau", "Your first-level contacts";
    help_desk: "Centre de services de la caisse", "The caisse's service desk";
    help_none: "Aucun gestionnaire n'est désigné pour le moment.", "No manager is designated yet.";
    outages_title: "Interruptions programmées", "Planned outages";
    outages_intro: "Annoncez à l'avance l'interruption d'un service : les administrateurs des partenaires qui y ont souscrit sont prévenus par courriel ; pendant la fenêtre, le service est indiqué indisponible (API de vérification et connexion au service). Le portail Habilis, lui, reste disponible.",
        "Announce a service's outage ahead of time: the administrators of the partners subscribed to it are told by e-mail; during the window the service is reported unavailable (check API and sign-in to the service). The Habilis portal itself stays available.";
    outages_none: "Aucune interruption annoncée.", "No outage announced.";
    outage_service: "Service", "Service";
    outage_starts: "Début (AAAA-MM-JJTHH:MM, heure de Paris)", "Start (YYYY-MM-DDTHH:MM, Paris time)";
    outage_ends: "Fin (AAAA-MM-JJTHH:MM, heure de Paris)", "End (YYYY-MM-DDTHH:MM, Paris time)";
    outage_reason: "Motif", "Reason";
    outage_from: "Du", "From";
    outage_to: "Au", "To";
    outage_announce: "Annoncer l'interruption", "Announce the outage";
    outage_cancel: "Annuler l'interruption", "Cancel the outage";
    outage_announced: "Interruption annoncée ; les partenaires concernés sont prévenus.", "Outage announced; the partners concerned are told.";
    outage_cancelled: "Interruption annulée.", "Outage cancelled.";
    outage_in_progress: "en cours", "in progress";
    outage_now: "Le service {service} est interrompu jusqu'au {to} ({reason}).", "The service {service} is down until {to} ({reason}).";
    outage_coming: "Le service {service} sera interrompu du {from} au {to} ({reason}).", "The service {service} will be down from {from} to {to} ({reason}).";
    service_down_until: "indisponible jusqu'au {until} : interruption programmée", "unavailable until {until}: planned outage";
    my_rights_title: "Mes habilitations", "My access rights";
    my_rights_none: "Vous ne détenez aucune habilitation en vigueur. Adressez-vous à un gestionnaire d'habilitations de votre organisme (rubrique « Assistance »).", "You hold no access right in force. Ask one of your organisation's access managers (see “Help”).";
    my_rights_service: "Service et profil", "Service and role";
    my_rights_how: "Comment", "How";
    my_rights_until: "Jusqu'au", "Until";
    my_rights_state: "État", "State";
    my_rights_given: "Donnée par", "Given by";
    my_rights_direct: "À titre personnel", "Personally";
    my_rights_group: "Par le groupe {group}", "Through group {group}";
    my_rights_active: "En vigueur", "In force";
    my_rights_from: "À partir du {date}", "From {date}";
    pagination: "Pages", "Pages";
    my_rights_suspended: "Suspendue", "Suspended";
    my_rights_caisse_suspended: "Suspendue par la caisse", "Suspended by the caisse";
    trace_show: "Quelles traces", "Which traces";
    trace_show_changes: "Les actions seulement (sans les consultations ni les connexions)", "Actions only (no page views nor sign-ins)";
    trace_show_all: "Tout, y compris les consultations et les connexions", "Everything, page views and sign-ins included";
    trace_acting_for: "{name} ({login}, {org}) pour le compte de {for}", "{name} ({login}, {org}) on behalf of {for}";
    trace_by_portal: "Le portail — {org}", "The portal — {org}";
    confirm_reason: "Motif (obligatoire)", "Reason (required)";
    confirm_cancel: "Annuler", "Cancel";
    confirm_revoke_title: "Retirer cette habilitation ?", "Revoke this grant?";
    confirm_revoke_text: "La personne (ou chaque membre du groupe) perd l'accès au service dès maintenant, et sa place dans le quota est libérée. Le retrait est définitif : pour rendre l'accès, il faudra donner une nouvelle habilitation. Le motif est enregistré dans les traces.", "The person (or each member of the group) loses access to the service now, and the quota place is freed. Revocation is final: to give access back, a new grant is needed. The reason is recorded in the traces.";
    confirm_revoke_button: "Retirer l'habilitation", "Revoke the grant";
    confirm_suspend_title: "Suspendre cette habilitation ?", "Suspend this grant?";
    confirm_suspend_text: "La personne (ou chaque membre du groupe) ne peut plus utiliser le service jusqu'à ce que l'habilitation soit rétablie. Le motif est enregistré dans les traces.", "The person (or each member of the group) can no longer use the service until the grant is resumed. The reason is recorded in the traces.";
    confirm_suspend_button: "Suspendre l'habilitation", "Suspend the grant";
    confirm_withdraw_title: "Retirer ce mandat ?", "Withdraw this mandate?";
    confirm_withdraw_text: "Le responsable ne pourra plus donner ni gérer d'habilitations au titre de ce mandat, ni les mandats qu'il a lui-même confiés. Les habilitations déjà données restent en vigueur.", "The manager can no longer give or manage grants under this mandate, nor the mandates they gave in turn. Grants already given stay in force.";
    confirm_withdraw_button: "Retirer le mandat", "Withdraw the mandate";
    confirm_delete_group_title: "Supprimer ce groupe ?", "Delete this group?";
    confirm_delete_group_text: "Les membres perdent les habilitations que le groupe leur donnait. L'historique des appartenances est conservé.", "The members lose the grants the group gave them. The history of memberships is kept.";
    confirm_delete_group_button: "Supprimer le groupe", "Delete the group";
    confirm_suspend_user_title: "Suspendre ce compte ?", "Suspend this account?";
    confirm_suspend_user_text: "La personne est déconnectée et ne peut plus se connecter ni utiliser aucun service jusqu'à sa réactivation.", "The person is signed out and can no longer sign in nor use any service until reactivated.";
    confirm_suspend_user_button: "Suspendre le compte", "Suspend the account";
    confirm_force_user_title: "Imposer un nouveau mot de passe à cette personne ?", "Require a new password from this person?";
    confirm_force_user_text: "Ses sessions sont fermées ; à sa prochaine connexion, elle devra choisir un nouveau mot de passe avant toute autre chose.", "Their sessions are closed; at their next sign-in they must choose a new password before anything else.";
    confirm_force_all_title: "Imposer un nouveau mot de passe à tout le partenaire ?", "Require a new password from the whole partner?";
    confirm_force_all_text: "Toutes les personnes du partenaire sont déconnectées ; à leur prochaine connexion, chacune devra choisir un nouveau mot de passe.", "Everyone at the partner is signed out; at their next sign-in, each must choose a new password.";
    confirm_deactivate_admin_title: "Désactiver ce compte d'administrateur ?", "Deactivate this administrator account?";
    confirm_deactivate_admin_text: "La personne perd définitivement l'accès au portail et la place d'administrateur se libère : vous pourrez y nommer quelqu'un d'autre. Ses habilitations ne lui donnent plus accès à aucun service.", "The person loses access to the portal for good and the administrator seat is freed: you can appoint someone else. Their grants no longer give access to any service.";
    confirm_deactivate_admin_button: "Désactiver le compte", "Deactivate the account";
    confirm_suspend_admin_title: "Suspendre ce compte d'administrateur ?", "Suspend this administrator account?";
    confirm_suspend_admin_text: "La personne est déconnectée et ne peut plus se connecter jusqu'à ce que la caisse réactive son compte.", "The person is signed out and cannot sign in until the caisse reactivates the account.";
    confirm_suspend_admin_button: "Suspendre le compte", "Suspend the account";
    confirm_force_button: "Imposer le changement", "Require the change";
    home_change_requests: "{n} demande(s) de changement d'administrateur à traiter.", "{n} administrator change request(s) to decide.";
    home_queries: "{n} question(s) de la caisse attendent votre réponse.", "{n} query(ies) from the caisse await your answer.";
    home_review_open: "Revue annuelle {year} à transmettre avant le {date}.", "Annual review {year} to send before {date}.";
    home_review_late: "Revue annuelle {year} en retard (échéance du {date}).", "Annual review {year} late (due {date}).";
    home_access_requests: "{n} demande(s) d'accès aux traces à traiter.", "{n} request(s) for traces to handle.";
    home_grants_ending: "{n} habilitation(s) prennent fin dans les 30 jours.", "{n} grant(s) end within 30 days.";
    yes: "oui", "yes";
    no: "non", "no";
    my_mandate: "Votre mandat : vous pouvez donner {roles} ; gérer les utilisateurs : {users} ; gérer les groupes : {groups} ; confier des mandats : {delegate}. Le reste de cette page est en lecture seule pour vous.", "Your mandate: you may give {roles}; manage users: {users}; manage groups: {groups}; give mandates: {delegate}. The rest of this page is read-only for you.";
    review_download_pdf: "Lire la preuve (PDF)", "Read the proof (PDF)";
    done_grant: "Habilitation donnée : {what}.", "Grant given: {what}.";
    done_user: "Compte créé : {what} ; le lien pour choisir le mot de passe lui est envoyé.", "Account created: {what}; the link to choose a password is sent.";
    done_group: "Groupe créé : {what}.", "Group created: {what}.";
    done_mandate: "Mandat confié : {what}.", "Mandate given: {what}.";
    done_grant_suspended: "Habilitation suspendue : {what}.", "Grant suspended: {what}.";
    done_grant_resumed: "Habilitation rétablie : {what}.", "Grant resumed: {what}.";
    done_grant_revoked: "Habilitation retirée : {what}.", "Grant revoked: {what}.";
    done_mandate_withdrawn: "Mandat retiré : {what}.", "Mandate withdrawn: {what}.";
    done_user_suspended: "Compte suspendu : {what}.", "Account suspended: {what}.";
    done_user_reactivated: "Compte réactivé : {what}.", "Account reactivated: {what}.";
    done_user_left: "{what} a quitté l'organisme : compte désactivé, habilitations, groupes et mandats retirés.", "{what} left the organisation: account deactivated, grants, groups and mandates ended.";
    confirm_leave_title: "Enregistrer le départ de cette personne ?", "Record this person's departure?";
    confirm_leave_text: "Son compte est désactivé et ses sessions fermées ; toutes ses habilitations sont retirées (les places de quota se libèrent), elle quitte ses groupes et ses mandats sont retirés, avec ceux qu'elle a confiés. C'est définitif ; l'historique est conservé.", "Their account is deactivated and their sessions closed; all their grants are revoked (quota places are freed), they leave their groups and their mandates are withdrawn, with those they gave. This is final; the history is kept.";
    confirm_leave_button: "Enregistrer le départ", "Record the departure";
    leave_organisation: "Départ de l'organisme", "Leaves the organisation";
    done_grant_end: "Date de fin enregistrée : {what}.", "End date saved: {what}.";
    grant_end_edit: "Modifier la date de fin", "Change the end date";
    grant_end_save: "Enregistrer la date de fin", "Save the end date";
    export_lists: "Exporter pour un tableur :", "Export for a spreadsheet:";
    partners_search: "Rechercher (nom, SIRET ou commune)", "Search (name, SIRET or town)";
    following_page: "Page suivante", "Next page";
    partners_none_found: "Aucun partenaire ne correspond à « {q} ».", "No partner matches “{q}”.";
    partners_found: "{n} partenaire(s) sur {total}.", "{n} partner(s) out of {total}.";
    previous_page: "Page précédente", "Previous page";
    home_alerts: "{n} alerte(s) d'usage à qualifier.", "{n} usage alert(s) to qualify.";
    home_incidents: "{n} incident(s) en cours.", "{n} incident(s) in progress.";
    error_title: "Erreur", "Error";
    rights_overview: "Vue d'ensemble", "Overview";
    rights_sections: "Parties de la page des habilitations", "Parts of the access-rights page";
    mandates_short: "Mandats", "Mandates";
    count_people: "personne(s) (comptes actifs ou suspendus)", "person(s) (active or suspended accounts)";
    count_active_grants: "habilitation(s) active(s)", "active grant(s)";
    count_suspended_grants: "habilitation(s) suspendue(s)", "suspended grant(s)";
    count_groups: "groupe(s)", "group(s)";
    count_mandates: "mandat(s) en vigueur", "mandate(s) in force";
    count_open_queries: "question(s) de la caisse en attente de réponse", "query(ies) from the caisse awaiting an answer";
    person_file: "Fiche", "File";
    person_sections: "Parties de la fiche de la personne", "Parts of the person's file";
    person_identity: "Identité et compte", "Identity and account";
    person_edit: "Modifier l'identité", "Change the identity";
    person_edit_submit: "Enregistrer les modifications", "Save the changes";
    person_no_grant: "Cette personne ne détient aucune habilitation.", "This person holds no grant.";
    person_no_group: "Cette personne n'est membre d'aucun groupe.", "This person is a member of no group.";
    person_no_mandate: "Cette personne n'a reçu aucun mandat.", "This person has received no mandate.";
    person_open: "Fiche de {name}", "File of {name}";
    grant_through: "Origine", "Through";
    grant_given_by: "Donnée par", "Given by";
    direct_grant: "directe", "direct";
    through_group: "par le groupe « {group} »", "through the group “{group}”";
    given_by_caisse: "la caisse", "the caisse";
    history_title: "Historique", "History";
    history_intro: "Les actions enregistrées dans le journal de traces, de la plus récente à la plus ancienne (la consultation de cet historique est elle-même tracée).",
        "The actions recorded in the trail, newest first (reading this history is itself traced).";
    history_empty: "Aucune action enregistrée.", "No action recorded.";
    history_not_readable: "L'historique se lit dans le journal de traces, réservé aux administrateurs du partenaire et aux auditeurs de traces de la caisse.",
        "The history is read in the trail, which the partner's administrators and the caisse's trace auditors read.";
    grant_history_title: "Historique de l'habilitation", "History of the grant";
    mandate_history_title: "Historique du mandat", "History of the mandate";
    done_user_edited: "Identité enregistrée : {what}.", "Identity saved: {what}.";
    search_none: "Aucun résultat pour « {q} ».", "Nothing matches “{q}”.";
    search_found: "Résultats pour « {q} » :", "Results for “{q}”:";
    partner_overview: "Identité et services", "Identity and services";
    partner_sections: "Parties du dossier du partenaire", "Parts of the partner's file";
    search_incidents: "Rechercher (référence, objet, partenaire)", "Search (reference, subject, partner)";
    search_grants: "Rechercher (personne, service, motif)", "Search (person, service, purpose)";
    import_title: "Importer depuis un tableur (CSV)", "Import from a spreadsheet (CSV)";
    import_title_dry: "Essai d'import : ce que le fichier ferait", "Trial import: what the file would do";
    import_title_done: "Import effectué : rapport", "Import done: report";
    import_link: "Importer depuis un tableur (CSV)", "Import from a spreadsheet (CSV)";
    import_intro: "L'import se fait en deux temps : un essai d'abord, qui ne modifie rien et dit pour chaque ligne ce qu'elle ferait, puis l'import pour de bon, ligne par ligne, avec les mêmes règles que les formulaires (mandats, quotas, services ouverts). Une ligne refusée ne laisse rien derrière elle ; ce qui existe déjà est laissé tel quel.",
        "Importing takes two steps: a trial first, which changes nothing and says what each line would do, then the real import, line by line, under the same rules as the forms (mandates, quotas, open services). A refused line leaves nothing behind; what already exists is left as it is.";
    import_kind: "Ce que contient le fichier (une ligne par…)", "What the file holds (one line per…)";
    import_kind_users: "personne", "person";
    import_kind_groups: "groupe, avec ses membres", "group, with its members";
    import_kind_grants: "habilitation", "grant";
    import_columns_users: "Colonnes : prénom, nom, courriel (obligatoires) ; fonction, identifiant, groupes (facultatives, groupes séparés par des virgules). Une personne déjà présente (même identifiant, ou même courriel) est laissée telle quelle ; elle rejoint les groupes nommés.",
        "Columns: prénom (first name), nom (last name), courriel (email) (required); fonction, identifiant (login), groupes (optional, groups separated by commas). A person already present (same login, or same email) is left as is; they join the groups named.";
    import_columns_groups: "Colonnes : groupe (obligatoire) ; membres (identifiants séparés par des virgules). Un groupe absent est créé.",
        "Columns: groupe (required); membres (logins separated by commas). A missing group is created.";
    import_columns_grants: "Colonnes : service, profil, titulaire (identifiant, ou « groupe » suivi du nom du groupe), motif (obligatoires) ; fin (AAAA-MM-JJ, facultative). Le fichier exporté des habilitations convient.",
        "Columns: service, profil (role), titulaire (login, or “groupe” followed by the group's name), motif (purpose) (required); fin (YYYY-MM-DD, optional). The exported grants file fits.";
    import_file: "Fichier CSV", "CSV file";
    import_file_hint: "Séparateur point-virgule ou virgule, première ligne d'en-têtes ; UTF-8 ou Windows-1252 (reconnu seul). Au plus 20 000 lignes.",
        "Semicolon or comma separated, a header line first; UTF-8 or Windows-1252 (recognised). At most 20,000 lines.";
    import_check: "Essayer (rien n'est modifié)", "Try (nothing is changed)";
    import_run_intro: "Rien n'a encore été modifié. Lancer l'import applique les lignes qui ne sont pas refusées, avec les règles en vigueur à ce moment-là.",
        "Nothing has been changed yet. Running the import applies the lines that are not refused, under the rules in force at that moment.";
    import_run: "Importer pour de bon", "Run the import";
    import_report_title: "Rapport ligne par ligne", "Report line by line";
    import_report_download: "Télécharger le rapport", "Download the report";
    import_line: "Ligne", "Line";
    import_outcome: "Résultat", "Outcome";
    import_detail: "Détail", "Detail";
    import_another: "Importer un autre fichier", "Import another file";
    import_summary_dry: "{n} ligne(s) : {done} seraient faites, {partly} en partie, {unchanged} déjà en place, {refused} refusée(s).",
        "{n} line(s): {done} would be done, {partly} in part, {unchanged} already in place, {refused} refused.";
    import_summary_run: "{n} ligne(s) : {done} faites, {partly} en partie, {unchanged} déjà en place, {refused} refusée(s).",
        "{n} line(s): {done} done, {partly} in part, {unchanged} already in place, {refused} refused.";
    import_file_info: "Fichier lu en {encoding}, séparateur « {separator} ».", "File read as {encoding}, separator “{separator}”.";
    import_ignored: "Colonnes laissées de côté : {columns}.", "Columns left aside: {columns}.";
    import_stopped: "La base de données a cessé de répondre à la ligne {line} : cette ligne et les suivantes n'ont pas été traitées ; les lignes faites avant elle sont enregistrées. Réessayez plus tard avec le même fichier : ce qui est fait sera reconnu.",
        "The database stopped answering at line {line}: it and the lines after it were not processed; the lines done before it are saved. Try again later with the same file: what is done will be recognised.";
    import_nothing_to_run: "Aucune ligne n'aurait d'effet : il n'y a rien à importer.", "No line would have any effect: there is nothing to import.";
    line_done: "faite", "done";
    line_done_dry: "serait faite", "would be done";
    line_partly: "en partie", "in part";
    line_unchanged: "déjà en place", "already in place";
    line_refused: "refusée", "refused";
    step_account_created: "création du compte {login}, avec son lien d'activation par courriel", "account {login} created, with its activation link by email";
    step_account_found: "compte {login} déjà présent, laissé tel quel", "account {login} already present, left as is";
    step_group_created: "création du groupe « {group} »", "group “{group}” created";
    step_group_found: "groupe « {group} » déjà présent", "group “{group}” already present";
    step_joined: "ajout de {login} au groupe « {group} »", "{login} added to group “{group}”";
    step_already_member: "{login} déjà membre du groupe « {group} »", "{login} already a member of group “{group}”";
    step_granted: "habilitation {service} / {role} pour {holder}", "grant {service} / {role} for {holder}";
    step_already_granted: "{holder} a déjà l'habilitation {service} / {role}", "{holder} already holds {service} / {role}";
    err_import_empty: "Le fichier est vide : il faut une ligne d'en-têtes puis une ligne par élément.", "The file is empty: it needs a header line, then one line per item.";
    err_import_unterminated: "Le fichier est mal formé : un guillemet ouvert à la ligne {line} n'est jamais fermé.", "The file is malformed: a quote opened on line {line} is never closed.";
    err_import_too_many: "Le fichier a trop de lignes : au plus {most} par import. Coupez-le en plusieurs fichiers.", "The file has too many lines: at most {most} per import. Split it into several files.";
    err_import_missing_column: "La colonne « {column} » manque dans la ligne d'en-têtes.", "The column “{column}” is missing from the header line.";
    err_import_duplicate_column: "La colonne « {column} » figure deux fois dans la ligne d'en-têtes.", "The column “{column}” appears twice in the header line.";
    err_import_missing_value: "La colonne « {column} » est vide sur cette ligne.", "The column “{column}” is empty on this line.";
    err_import_unknown_group: "Aucun groupe ne s'appelle « {group} » dans votre organisation.", "No group of your organisation is called “{group}”.";
    err_import_unknown_person: "Aucune personne de votre organisation n'a l'identifiant « {login} ».", "No person of your organisation has the login “{login}”.";
    err_import_not_active: "Cette habilitation n'est pas en vigueur (« {state} ») : seules les habilitations actives s'importent.", "This grant is not in force (“{state}”): only active grants are imported.";
    err_import_other_email: "L'identifiant {login} existe déjà avec une autre adresse électronique : la ligne ne peut pas le désigner.", "The login {login} already exists with another email address: the line cannot name it.";
    err_csv_content_type: "Cette adresse n'accepte qu'un fichier CSV (Content-Type: text/csv).", "This address only accepts a CSV file (Content-Type: text/csv).";
    err_import_not_a_file: "Choisissez un fichier CSV et ce qu'il contient.", "Choose a CSV file and what it holds.";
    err_stale: "Cet élément a changé depuis la version indiquée (If-Match) : relisez-le puis recommencez.", "This item changed since the version given (If-Match): read it again, then retry.";
    err_field_fixed: "Le champ « {field} » ne peut plus être modifié une fois créé.", "The field “{field}” cannot be changed once created.";
    err_scim_token: "Jeton d'annuaire absent, inconnu, expiré ou révoqué.", "Directory token missing, unknown, expired or revoked.";
    err_scim_filter: "Le filtre n'est pas compris : {detail}.", "The filter is not understood: {detail}.";
    err_scim_path: "Le chemin d'attribut n'est pas compris ou ne peut pas être modifié : {detail}.", "The attribute path is not understood or cannot be changed: {detail}.";
    err_scim_syntax: "La requête n'est pas du JSON SCIM valide : {detail}.", "The request is not valid SCIM JSON: {detail}.";
    err_scim_value: "Valeur refusée pour « {detail} ».", "Value refused for “{detail}”.";
    err_scim_no_target: "Aucune valeur ne correspond au filtre du chemin : {detail}.", "No value matches the path's filter: {detail}.";
    err_scim_media_type: "Cette adresse attend du JSON (Content-Type: application/scim+json).", "This address expects JSON (Content-Type: application/scim+json).";
    scim_title: "Annuaire de l'organisme (SCIM)", "Organisation's directory (SCIM)";
    scim_intro: "Votre annuaire (Active Directory, Entra ID, Okta…) peut créer, modifier et retirer les comptes et les groupes de votre organisme par le protocole SCIM 2.0, avec les mêmes règles que ce portail : quotas, mandats, traces. Il agit en votre nom avec le jeton que vous créez ici.", "Your directory (Active Directory, Entra ID, Okta…) can create, change and remove your organisation's accounts and groups through SCIM 2.0, under the same rules as this portal: quotas, mandates, traces. It acts in your name with the token you create here.";
    scim_endpoint: "Adresse de base à donner à l'annuaire :", "Base address to give the directory:";
    scim_tokens_heading: "Jetons d'annuaire", "Directory tokens";
    scim_new_heading: "Créer un jeton", "Create a token";
    scim_label: "Nom du jeton (pour le reconnaître)", "Token name (to recognise it)";
    scim_days: "Durée de validité en jours (1 à 365)", "Validity in days (1 to 365)";
    scim_create: "Créer le jeton", "Create the token";
    scim_secret_intro: "Voici le jeton. Copiez-le maintenant dans votre annuaire : il ne sera plus jamais affiché.", "Here is the token. Copy it into your directory now: it will never be shown again.";
    scim_none: "Aucun jeton n'a encore été créé.", "No token has been created yet.";
    scim_col_label: "Nom", "Name";
    scim_col_created: "Créé le", "Created";
    scim_col_expires: "Expire le", "Expires";
    scim_col_used: "Dernier usage", "Last used";
    scim_col_state: "État", "State";
    scim_state_active: "Actif", "Active";
    scim_state_revoked: "Révoqué", "Revoked";
    scim_state_expired: "Expiré", "Expired";
    scim_state_issuer_gone: "Inactif : la personne qui l'a créé n'est plus administrateur de l'organisme", "Inactive: the person who created it is no longer an administrator of the organisation";
    scim_col_issuer: "Créé par", "Created by";
    scim_never: "jamais", "never";
    scim_revoke: "Révoquer", "Revoke";
    scim_revoked_done: "Le jeton est révoqué : il n'ouvre plus rien.", "The token is revoked: it opens nothing any more.";
    scim_link: "Annuaire de l'organisme (SCIM)", "Organisation's directory (SCIM)";
}
