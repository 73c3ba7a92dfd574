//! What went wrong, as a status and a sentence in the person's language. The HTTP status
//! of every domain error is chosen here, by an exhaustive match.

use axum::http::StatusCode;
use habilis_core::records::Missing;
use habilis_core::{Error, Refusal, Rule};
use habilis_core::error::ImportProblem;
use habilis_core::password::PasswordProblem;
use habilis_core::values::ValueError;

use crate::i18n::Texts;

/// An error as the web layer answers it.
#[derive(Debug)]
pub enum WebError {
    /// A domain error.
    Core(Error),
    /// The form's anti-forgery token is missing or wrong, or the request came from another site.
    Csrf,
    /// No such page or resource.
    NotFound,
    /// Method not allowed.
    Method,
    /// The body is over the size limit.
    BodyTooLarge,
    /// The body is not JSON.
    BadJson(String),
    /// JSON of the wrong shape (unknown field, wrong type…).
    JsonFields(String),
    /// A JSON endpoint got another content type.
    JsonContentType,
    /// A form that cannot be read.
    BadForm,
    /// The import form lacks its file or what the file holds.
    ImportForm,
    /// A CSV endpoint got another content type.
    CsvContentType,
    /// The two passwords typed differ.
    PasswordMismatch,
    /// The person must set a new password before anything else.
    PasswordChangeRequired,
    /// The session still owes its second factor's code.
    SecondFactorRequired,
    /// The person must enrol a second factor before anything else.
    EnrolmentRequired,
    /// A page or route that needs a signed-in person was asked anonymously (pages go to the
    /// sign-in page; JSON clients get 401).
    SignInRequired,
}

impl From<Error> for WebError {
    fn from(e: Error) -> Self {
        WebError::Core(e)
    }
}

impl WebError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::Core(e) => match e {
                Error::Store(_) | Error::Internal(_) => StatusCode::SERVICE_UNAVAILABLE,
                Error::Invalid { .. } | Error::InvalidFields(_) | Error::PasswordRejected(_) | Error::Import(_) => StatusCode::UNPROCESSABLE_ENTITY,
                Error::InvalidCredentials | Error::NotAuthenticated | Error::SecondFactorInvalid => StatusCode::UNAUTHORIZED,
                Error::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
                Error::AccountDisabled | Error::Forbidden => StatusCode::FORBIDDEN,
                Error::LinkInvalid => StatusCode::GONE,
                Error::Refused(_) | Error::Taken(_) => StatusCode::CONFLICT,
                Error::Stale => StatusCode::PRECONDITION_FAILED,
                Error::NotFound => StatusCode::NOT_FOUND,
                // Acting outside one's mandate, or on oneself, is a matter of rights: 403.
                Error::Quota(_) => StatusCode::CONFLICT,
                // Every rule named: a new one must be given its status here.
                Error::Rule(r) => match r {
                    Rule::OutsideMandate
                    | Rule::MandateWiderThanGiver
                    | Rule::SelfGrant
                    | Rule::CaisseSuspension
                    | Rule::DelegatedMode
                    | Rule::ManagerEmail
                    | Rule::AdministratorsRightsByCaisse
                    | Rule::SelfAuditor => {
                        StatusCode::FORBIDDEN
                    }
                    Rule::AdministratorSlotTaken
                    | Rule::ConventionOfAnotherPartner
                    | Rule::ServiceClosed(_)
                    | Rule::RoleQuotaAboveServiceQuota
                    | Rule::RoleOfAnotherService
                    | Rule::GroupHoldsGrants
                    | Rule::AlreadyGranted
                    | Rule::LastCaisseAdmin
                    | Rule::SingleSecurityOfficer
                    | Rule::ReviewIncomplete
                    | Rule::CampaignExists
                    | Rule::OverlappingMandate => StatusCode::CONFLICT,
                    Rule::RoleOfAnotherSide => StatusCode::UNPROCESSABLE_ENTITY,
                    Rule::EmptyMandate => StatusCode::UNPROCESSABLE_ENTITY,
                },
            },
            WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Method => StatusCode::METHOD_NOT_ALLOWED,
            WebError::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::BadJson(_) | WebError::BadForm => StatusCode::BAD_REQUEST,
            WebError::JsonFields(_) | WebError::PasswordMismatch => StatusCode::UNPROCESSABLE_ENTITY,
            WebError::PasswordChangeRequired | WebError::EnrolmentRequired => StatusCode::FORBIDDEN,
            WebError::SecondFactorRequired => StatusCode::UNAUTHORIZED,
            WebError::SignInRequired => StatusCode::UNAUTHORIZED,
            WebError::JsonContentType | WebError::CsvContentType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            WebError::ImportForm => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            WebError::Core(e) => match e {
                Error::Store(_) | Error::Internal(_) => "unavailable",
                Error::Invalid { .. } => "invalid_field",
                Error::InvalidFields(_) => "invalid_fields",
                Error::Import(ImportProblem::File(_)) => "import_file",
                Error::Import(_) => "import_line",
                Error::PasswordRejected(_) => "password_rejected",
                Error::InvalidCredentials => "invalid_credentials",
                Error::SecondFactorInvalid => "second_factor_invalid",
                Error::NotAuthenticated => "not_authenticated",
                Error::Throttled { .. } => "throttled",
                Error::AccountDisabled => "account_disabled",
                Error::Forbidden => "forbidden",
                Error::LinkInvalid => "link_invalid",
                Error::Refused(_) => "refused",
                Error::Taken(_) => "taken",
                Error::Stale => "stale",
                Error::NotFound => "not_found",
                Error::Quota(_) => "quota_exceeded",
                Error::Rule(r) => match r {
                    Rule::AdministratorSlotTaken => "administrator_slot_taken",
                    Rule::ConventionOfAnotherPartner => "convention_of_another_partner",
                    Rule::ServiceClosed(_) => "service_closed",
                    Rule::RoleQuotaAboveServiceQuota => "role_quota_above_service_quota",
                    Rule::RoleOfAnotherService => "role_of_another_service",
                    Rule::SelfGrant => "self_grant",
                    Rule::MandateWiderThanGiver => "mandate_wider_than_giver",
                    Rule::OutsideMandate => "outside_mandate",
                    Rule::GroupHoldsGrants => "group_holds_grants",
                    Rule::CaisseSuspension => "caisse_suspension",
                    Rule::DelegatedMode => "delegated_mode",
                    Rule::ManagerEmail => "manager_email",
                    Rule::AlreadyGranted => "already_granted",
                    Rule::EmptyMandate => "empty_mandate",
                    Rule::OverlappingMandate => "overlapping_mandate",
                    Rule::AdministratorsRightsByCaisse => "administrators_rights_by_caisse",
                    Rule::SelfAuditor => "self_auditor",
                    Rule::LastCaisseAdmin => "last_caisse_admin",
                    Rule::RoleOfAnotherSide => "role_of_another_side",
                    Rule::SingleSecurityOfficer => "single_security_officer",
                    Rule::ReviewIncomplete => "review_incomplete",
                    Rule::CampaignExists => "campaign_exists",
                },
            },
            WebError::Csrf => "csrf",
            WebError::NotFound => "not_found",
            WebError::Method => "method_not_allowed",
            WebError::BodyTooLarge => "body_too_large",
            WebError::BadJson(_) => "bad_json",
            WebError::JsonFields(_) => "json_shape",
            WebError::JsonContentType => "json_content_type",
            WebError::CsvContentType => "csv_content_type",
            WebError::ImportForm => "import_form",
            WebError::BadForm => "bad_form",
            WebError::PasswordMismatch => "password_mismatch",
            WebError::PasswordChangeRequired => "password_change_required",
            WebError::SecondFactorRequired => "second_factor_required",
            WebError::EnrolmentRequired => "second_factor_enrolment_required",
            WebError::SignInRequired => "not_authenticated",
        }
    }

    /// The field concerned, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            WebError::Core(Error::Invalid { field, .. }) => Some(field),
            WebError::Core(Error::InvalidFields(list)) => list.first().map(|(f, _)| *f),
            WebError::Core(Error::PasswordRejected(_)) | WebError::PasswordMismatch => Some("password"),
            _ => None,
        }
    }

    /// Every refused field with its sentence (issue 17: a form names all its errors); empty
    /// when the error is not about fields.
    pub fn problems(&self, t: &Texts) -> Vec<(&'static str, String)> {
        match self {
            WebError::Core(Error::Invalid { field, problem }) => vec![(*field, value_message(t, field, *problem))],
            WebError::Core(Error::InvalidFields(list)) => list.iter().map(|(f, p)| (*f, value_message(t, f, *p))).collect(),
            _ => Vec::new(),
        }
    }

    /// The sentence for the person. Internal details never appear here (they are logged).
    pub fn message(&self, t: &Texts) -> String {
        match self {
            WebError::Core(e) => match e {
                Error::Store(_) | Error::Internal(_) => t.err_internal.into(),
                Error::Invalid { field, problem } => value_message(t, field, *problem),
                Error::InvalidFields(list) => list.iter().map(|(f, p)| value_message(t, f, *p)).collect::<Vec<_>>().join(" "),
                Error::PasswordRejected(p) => password_message(t, *p),
                Error::InvalidCredentials => t.err_invalid_credentials.into(),
                Error::SecondFactorInvalid => t.err_second_factor_invalid.into(),
                Error::Throttled { retry_after_secs } => t.err_throttled.replace("{n}", &retry_after_secs.to_string()),
                Error::AccountDisabled => t.err_account_disabled.into(),
                Error::NotAuthenticated => t.err_not_authenticated.into(),
                Error::Forbidden => t.err_forbidden.into(),
                Error::LinkInvalid => t.err_link_invalid.into(),
                Error::Refused(Refusal::AlreadyInitialised) => t.err_already_initialised.into(),
                Error::Refused(Refusal::NotDemoData) => t.err_not_demo_data.into(),
                Error::Refused(Refusal::AlreadyDecided) => t.err_already_decided.into(),
                Error::Refused(Refusal::NotForwarded) => t.err_not_forwarded.into(),
                Error::Refused(Refusal::NotExported) => t.err_not_exported.into(),
                Error::Refused(Refusal::NotAnswered) => t.err_not_answered.into(),
                Error::Taken(what) => t.err_taken.replace("{what}", what),
                Error::Import(p) => import_message(t, p),
                Error::Stale => t.err_stale.to_string(),
                Error::NotFound => t.err_not_found_record.into(),
                Error::Quota(q) => match &q.role {
                    None => t.err_quota_service.replace("{service}", &q.service),
                    Some(role) => t.err_quota_role.replace("{service}", &q.service).replace("{role}", role),
                }
                .replace("{used}", &q.used.to_string())
                .replace("{allowed}", &q.allowed.to_string()),
                Error::Rule(r) => match r {
                    Rule::AdministratorSlotTaken => t.err_slot_taken.into(),
                    Rule::ConventionOfAnotherPartner => t.err_convention_other_partner.into(),
                    Rule::ServiceClosed(missing) => t
                        .err_service_closed
                        .replace("{missing}", &missing.iter().map(|m| missing_text(t, m)).collect::<Vec<_>>().join(" ; ")),
                    Rule::RoleQuotaAboveServiceQuota => t.err_role_quota_above.into(),
                    Rule::RoleOfAnotherService => t.err_role_other_service.into(),
                    Rule::SelfGrant => t.err_self_grant.into(),
                    Rule::MandateWiderThanGiver => t.err_mandate_wider.into(),
                    Rule::OutsideMandate => t.err_outside_mandate.into(),
                    Rule::GroupHoldsGrants => t.err_group_holds_grants.into(),
                    Rule::CaisseSuspension => t.err_caisse_suspension.into(),
                    Rule::DelegatedMode => t.err_delegated_mode.into(),
                    Rule::ManagerEmail => t.err_manager_email.into(),
                    Rule::AlreadyGranted => t.err_already_granted.into(),
                    Rule::EmptyMandate => t.err_empty_mandate.into(),
                    Rule::OverlappingMandate => t.err_overlapping_mandate.into(),
                    Rule::AdministratorsRightsByCaisse => t.err_admin_rights_by_caisse.into(),
                    Rule::SelfAuditor => t.err_self_auditor.into(),
                    Rule::LastCaisseAdmin => t.err_last_caisse_admin.into(),
                    Rule::RoleOfAnotherSide => t.err_role_other_side.into(),
                    Rule::SingleSecurityOfficer => t.err_single_security_officer.into(),
                    Rule::ReviewIncomplete => t.err_review_incomplete.into(),
                    Rule::CampaignExists => t.err_campaign_exists.into(),
                },
            },
            WebError::Csrf => t.err_csrf.into(),
            WebError::NotFound => t.err_not_found.into(),
            WebError::Method => t.err_method.into(),
            WebError::BodyTooLarge => t.err_body_too_large.into(),
            WebError::BadJson(d) => t.err_bad_json.replace("{detail}", d),
            WebError::JsonFields(d) => t.err_json_fields.replace("{detail}", d),
            WebError::JsonContentType => t.err_json_content_type.into(),
            WebError::CsvContentType => t.err_csv_content_type.into(),
            WebError::ImportForm => t.err_import_not_a_file.into(),
            WebError::BadForm => t.err_bad_form.into(),
            WebError::PasswordMismatch => t.err_pw_mismatch.into(),
            WebError::PasswordChangeRequired => t.change_password_required.into(),
            WebError::SecondFactorRequired => t.second_factor_required.into(),
            WebError::EnrolmentRequired => t.enrolment_required.into(),
            WebError::SignInRequired => t.err_not_authenticated.into(),
        }
    }

    /// Log what the person is not told.
    pub fn log(&self) {
        if let WebError::Core(e @ (Error::Store(_) | Error::Internal(_))) = self {
            tracing::error!(error = %e, "request failed");
        }
    }
}

fn value_message(t: &Texts, field: &str, p: ValueError) -> String {
    let s = match p {
        ValueError::Empty => t.err_field_empty.to_string(),
        ValueError::TooLong(n) => t.err_field_too_long.replace("{n}", &n.to_string()),
        ValueError::TooShort(n) => t.err_field_too_short.replace("{n}", &n.to_string()),
        ValueError::BadCharacters => t.err_field_characters.to_string(),
        ValueError::BadFormat => t.err_field_format.to_string(),
        ValueError::SiretLength => t.err_siret_length.to_string(),
        ValueError::SiretChecksum => t.err_siret_checksum.to_string(),
        ValueError::ConventionFormat => t.err_convention_format.to_string(),
        ValueError::ConventionSiretMismatch => t.err_convention_siret.to_string(),
        ValueError::BadDate => t.err_field_date.to_string(),
        // What a date must follow depends on the field.
        ValueError::DateOrder => match field {
            "ends_on" | "due_on" => t.err_date_past.to_string(),
            "to" => t.err_date_before_start.to_string(),
            "ends" => t.err_date_end_before_start.to_string(),
            _ => t.err_field_date_order.to_string(),
        },
        ValueError::OutOfRange => t.err_field_range.to_string(),
        ValueError::Fixed => t.err_field_fixed.to_string(),
    };
    s.replace("{field}", field_label(t, field))
}

/// The label a person saw for a field, so that messages name it as the form does.
pub fn field_label(t: &Texts, field: &str) -> &'static str {
    match field {
        "name" => t.partner_name,
        "siret" => t.partner_siret,
        "address" => t.partner_address,
        "city" => t.partner_city,
        "number" => t.convention_number,
        "signed_on" => t.signed_on,
        "signatories" => t.signatories,
        "mode" => t.partner_mode,
        "effective_on" => t.effective_on,
        "reason" => t.reason,
        "formalities_reference" => t.formalities_reference,
        "formalities_on" => t.formalities_on,
        "available_from" => t.available_from,
        "amendment_signed_on" => t.amendment_signed_on,
        "max_holders" => t.quota_service,
        "role_quota" => t.quota_roles,
        "first_name" => t.first_name,
        "last_name" => t.last_name,
        "function" => t.function,
        "email" => t.email_personal,
        "phone" => t.phone,
        "mobile" => t.mobile,
        "login" => t.login_field,
        "slot" => t.seat,
        "replaces" => t.replaces,
        "code" => t.service_code,
        "label" => t.service_label,
        "description" => t.service_description,
        "role_code" => t.role_code,
        "role_label" => t.role_label_field,
        "title" => t.contact_title,
        "service" => t.service,
        "password" => t.password_field,
        "purpose" => t.grant_purpose,
        "ends_on" => t.grant_ends_on,
        "question" => t.query_question,
        "answer" => t.query_answer,
        "due_on" => t.query_due_on,
        "months" => t.filter_months,
        "state" => t.state,
        "comment" => t.comment_field,
        "subject" => t.incident_subject,
        "message" => t.incident_message_field,
        "team" => t.incident_team,
        "note" => t.incident_note,
        "resolution" => t.incident_resolution,
        "starts" => t.outage_starts,
        "ends" => t.outage_ends,
        "office_start_hour" => t.alert_rules_start,
        "office_end_hour" => t.alert_rules_end,
        "volume_factor" => t.alert_rules_factor,
        "volume_floor" => t.alert_rules_floor,
        "volume_history_days" => t.alert_rules_history,
        "network_days" => t.alert_rules_network_days,
        "failures_per_hour" => t.alert_rules_failures_n,
        "dormant_days" => t.alert_rules_dormant_days,
        _ => t.field_generic,
    }
}

/// The sentence for a file or a line an import cannot take as written.
pub fn import_message(t: &Texts, p: &ImportProblem) -> String {
    use habilis_core::sheet::SheetProblem;
    match p {
        ImportProblem::File(SheetProblem::Empty) => t.err_import_empty.into(),
        ImportProblem::File(SheetProblem::Unterminated { line }) => t.err_import_unterminated.replace("{line}", &line.to_string()),
        ImportProblem::File(SheetProblem::TooManyLines { most }) => t.err_import_too_many.replace("{most}", &most.to_string()),
        ImportProblem::File(SheetProblem::MissingColumn(c)) => t.err_import_missing_column.replace("{column}", c),
        ImportProblem::File(SheetProblem::DuplicateColumn(c)) => t.err_import_duplicate_column.replace("{column}", c),
        ImportProblem::Missing(c) => t.err_import_missing_value.replace("{column}", c),
        ImportProblem::UnknownGroup(g) => t.err_import_unknown_group.replace("{group}", g),
        ImportProblem::UnknownPerson(l) => t.err_import_unknown_person.replace("{login}", l),
        ImportProblem::NotActive(s) => t.err_import_not_active.replace("{state}", s),
        ImportProblem::OtherEmail(l) => t.err_import_other_email.replace("{login}", l),
    }
}

/// The sentence for a refused password.
pub fn password_message(t: &Texts, p: PasswordProblem) -> String {
    match p {
        PasswordProblem::TooShort { min_four_classes, min_three_classes } => t
            .err_pw_short
            .replace("{four}", &min_four_classes.to_string())
            .replace("{three}", &min_three_classes.to_string()),
        PasswordProblem::TooFewClasses => t.err_pw_classes.into(),
        PasswordProblem::TooCommon => t.err_pw_common.into(),
        PasswordProblem::TooLong => t.err_pw_long.into(),
        PasswordProblem::SameAsCurrent => t.err_pw_same.into(),
    }
}

/// One missing prerequisite of a service, in words.
pub fn missing_text(t: &Texts, m: &Missing) -> String {
    match m {
        Missing::Convention => t.missing_convention.into(),
        Missing::ServiceContract => t.missing_contract.into(),
        Missing::Subscription => t.missing_subscription.into(),
        Missing::SubscriptionSignature => t.missing_subscription_signature.into(),
        Missing::DataProtectionFormalities => t.missing_formalities.into(),
        Missing::AvailabilityDate => t.missing_availability.into(),
        Missing::NotYetAvailable { from } => t.missing_not_yet.replace("{date}", &format_date(*from)),
        Missing::Quota => t.missing_quota.into(),
    }
}

/// 11/05/2017
pub fn format_date(d: time::Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
}
