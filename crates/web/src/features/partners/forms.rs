//! The forms of a partner's file (convention, contract, amendment, subscription,
//! administrator, contact) and the caisse's actions on the administrators' seats, each at
//! its own path.


use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use habilis_core::commands::*;
use habilis_core::records::*;
use uuid::Uuid;

use crate::context::Ctx;
use crate::errors::WebError;
use crate::extract::{IdPath, SignedForm, Values, traced};
use crate::respond::error_page;
use crate::state::AppState;
use super::pages::{PartnerSection, partner_page};

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
                amendment_signed_on: v.get("amendment_signed_on").into(),
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
        Ok(()) => traced(Redirect::to(&format!("{}?ok={form}", PartnerSection::of_form(form).url(id))).into_response()),
        Err(e) => partner_page(&state, &ctx, &actor, partner, PartnerSection::of_form(form), form, v, Some(WebError::Core(e)), None).await,
    }
}

/// POST /caisse/administrators/{id}/{suspend|reactivate|deactivate}
pub async fn administrator_status(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<AccountId>,
    SignedForm(actor, v): SignedForm,
    what: SeatAction,
) -> Response {
    let partner = Uuid::parse_str(v.get("partner")).unwrap_or(Uuid::nil());
    let account = id;
    if matches!(what, SeatAction::Suspend | SeatAction::Deactivate) && !crate::confirm::confirmed(&v) {
        let t = ctx.lang.texts();
        let ask = match what {
            SeatAction::Deactivate => (t.confirm_deactivate_admin_title, t.confirm_deactivate_admin_text, t.confirm_deactivate_admin_button, false),
            _ => (t.confirm_suspend_admin_title, t.confirm_suspend_admin_text, t.confirm_suspend_admin_button, false),
        };
        let what_name = state.app.describe_record(&actor.clone().acting_for(OrganisationId(partner)), id.0).await.ok().flatten().unwrap_or_default();
        let action = format!("/caisse/administrators/{id}/{}", what.as_str());
        return crate::confirm::page(&ctx, &actor, &v, action, PartnerSection::Administrators.url(partner), ask, what_name, None);
    }
    let result = match what {
        SeatAction::Suspend => state.app.suspend_administrator(&actor, account, &ctx.client).await,
        SeatAction::Reactivate => state.app.reactivate_administrator(&actor, account, &ctx.client).await,
        SeatAction::Deactivate => state.app.deactivate_administrator(&actor, account, &ctx.client).await,
    };
    match result {
        Ok(()) => traced(Redirect::to(&format!("{}?ok={}", PartnerSection::Administrators.url(partner), what.as_str())).into_response()),
        Err(e) => partner_page(&state, &ctx, &actor, OrganisationId(partner), PartnerSection::Administrators, "", Values::default(), Some(WebError::Core(e)), None).await,
    }
}

/// POST /caisse/contacts/{id}/delete
pub async fn delete_contact(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<ContactId>, SignedForm(actor, v): SignedForm) -> Response {
    let back = v.get("back");
    let back = if back.starts_with('/') && !back.starts_with("//") { back.to_string() } else { "/".to_string() };
    match state.app.remove_contact(&actor, id, &ctx.client).await {
        Ok(()) => traced(Redirect::to(&back).into_response()),
        Err(e) => error_page(ctx.lang, &WebError::Core(e), Some(&actor)),
    }
}

/// Each form of the partner page and each seat action at its own path.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::post;
    let mut r = axum::Router::new().route("/caisse/contacts/{id}/delete", post(delete_contact));
    for &what in PartnerForm::ALL {
        r = r.route(
            &format!("/caisse/partners/{{id}}/{}", what.as_str()),
            post(move |state: State<AppState>, ctx: Ctx, id: IdPath<Uuid>, form: SignedForm| partner_action(state, ctx, id, form, what)),
        );
    }
    for &what in SeatAction::ALL {
        r = r.route(
            &format!("/caisse/administrators/{{id}}/{}", what.as_str()),
            post(move |state: State<AppState>, ctx: Ctx, id: IdPath<AccountId>, form: SignedForm| administrator_status(state, ctx, id, form, what)),
        );
    }
    r
}
