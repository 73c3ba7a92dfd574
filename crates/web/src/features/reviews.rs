//! The yearly access review (Art. 2.2.2, R30–R31), in pages and in JSON: the caisse opens
//! a campaign and follows each partner; the partner's administrators keep or revoke each
//! grant and mandate with a comment and send the signed proof.

use askama::Template;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use habilis_core::clock::format_paris;
use habilis_core::records::*;
use habilis_core::services::reviews::{NewCampaign, Progress, ReviewSheet};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::context::Ctx;
use crate::errors::{WebError, format_date};
use crate::extract::{ApiActor, ApiJson, IdPath, SignedForm, SignedIn, Values, traced};
use crate::i18n::Texts;
use crate::respond::error_page;
use crate::state::AppState;
use crate::view::{Choice, Chrome, render};

fn progress_text(t: &Texts, p: Progress) -> &'static str {
    match p {
        Progress::NotStarted => t.progress_not_started,
        Progress::InProgress => t.progress_in_progress,
        Progress::Late => t.progress_late,
        Progress::Done => t.progress_done,
    }
}

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    done: Option<String>,
    /// How many partners a campaign just opened concerns (its notice is written here, not
    /// taken from the address).
    #[serde(default)]
    opened: Option<u32>,
}

// --- the caisse ------------------------------------------------------------------------------

/// One campaign in the caisse's list.
struct CampaignView {
    id: String,
    year: i32,
    due: String,
    opened: String,
}

/// One partner's line in a campaign.
struct LineView {
    review_id: String,
    partner_id: String,
    partner: String,
    progress: &'static str,
    late: bool,
    decisions: usize,
    completed: String,
    done: bool,
}

#[derive(Template)]
#[template(path = "review_campaigns.html")]
struct CampaignsPage {
    c: Chrome,
    csrf: String,
    v: Values,
    error: Option<String>,
    notice: Option<String>,
    campaigns: Vec<CampaignView>,
    /// The campaign shown, with its partners.
    shown: Option<(CampaignView, Vec<LineView>)>,
}

async fn campaigns_page(state: &AppState, ctx: &Ctx, actor: &Actor, uri: Option<&Uri>, shown: Option<CampaignId>, v: Values, err: Option<WebError>, opened: Option<u32>) -> Response {
    let t = ctx.lang.texts();
    let view = |c: &Campaign| CampaignView { id: c.id.to_string(), year: c.year, due: format_date(c.due_on), opened: format_paris(c.opened_at) };
    let campaigns = match state.app.campaigns(actor).await {
        Ok(l) => l,
        Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    };
    let wanted = shown.or(campaigns.first().map(|c| c.id));
    let shown = match wanted {
        Some(id) => match state.app.campaign_lines(actor, id).await {
            Ok((c, lines)) => Some((
                view(&c),
                lines
                    .into_iter()
                    .map(|l| LineView {
                        review_id: l.review_id.to_string(),
                        partner_id: l.partner_id.to_string(),
                        partner: l.partner,
                        progress: progress_text(t, l.progress),
                        late: l.progress == Progress::Late,
                        decisions: l.decisions,
                        completed: l.completed_at.map(format_paris).unwrap_or_default(),
                        done: l.progress == Progress::Done,
                    })
                    .collect(),
            )),
            Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(actor)),
        },
        None => None,
    };
    let notice = opened.zip(shown.as_ref()).map(|(n, (c, _))| t.review_opened.replace("{year}", &c.year.to_string()).replace("{n}", &n.to_string()));
    let page = CampaignsPage {
        c: Chrome::new(ctx.lang, uri, Some(actor)),
        csrf: actor.session.csrf_token.clone(),
        v,
        error: err.as_ref().map(|e| e.message(t)),
        notice,
        campaigns: campaigns.iter().map(view).collect(),
        shown,
    };
    render(&page, err.map(|e| e.status()).unwrap_or(StatusCode::OK))
}

/// GET /caisse/reviews
pub async fn campaigns(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, uri: Uri) -> Response {
    campaigns_page(&state, &ctx, &actor, Some(&uri), None, Values::default(), None, None).await
}

/// GET /caisse/reviews/{id}
pub async fn campaign(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, uri: Uri, IdPath(id): IdPath<CampaignId>, q: Result<Query<NoticeQuery>, QueryRejection>) -> Response {
    let opened = q.ok().and_then(|Query(q)| q.opened);
    campaigns_page(&state, &ctx, &actor, Some(&uri), Some(id), Values::default(), None, opened).await
}

/// POST /caisse/reviews
pub async fn open(State(state): State<AppState>, ctx: Ctx, SignedForm(actor, v): SignedForm) -> Response {
    let input = NewCampaign { year: v.get("year").into(), due_on: v.get("due_on").into(), partners: vec![] };
    match state.app.open_campaign(&actor, &input, &ctx.client).await {
        Ok((c, n)) => traced(Redirect::to(&format!("/caisse/reviews/{}?opened={n}", c.id)).into_response()),
        Err(e) => campaigns_page(&state, &ctx, &actor, None, None, v, Some(WebError::Core(e)), None).await,
    }
}

// --- the partner -----------------------------------------------------------------------------

struct MyReview {
    id: String,
    year: i32,
    due: String,
    progress: &'static str,
    late: bool,
}

#[derive(Template)]
#[template(path = "reviews.html")]
struct MyReviewsPage {
    c: Chrome,
    reviews: Vec<MyReview>,
}

/// GET /partner/reviews
pub async fn mine(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, uri: Uri) -> Response {
    let t = ctx.lang.texts();
    match state.app.my_reviews(&actor).await {
        Ok(list) => render(
            &MyReviewsPage {
                c: Chrome::new(ctx.lang, Some(&uri), Some(&actor)),
                reviews: list
                    .into_iter()
                    .map(|(r, c, p)| MyReview { id: r.id.to_string(), year: c.year, due: format_date(c.due_on), progress: progress_text(t, p), late: p == Progress::Late })
                    .collect(),
            },
            StatusCode::OK,
        ),
        Err(e) => error_page(ctx.lang, &WebError::Core(e), Some(&actor)),
    }
}

/// One line to decide.
#[derive(Default)]
struct ItemView {
    kind: &'static str,
    id: String,
    what: String,
    holder: String,
    purpose: String,
    ends: String,
    given: String,
    last_use: String,
    last_sign_in: String,
    /// "keep", "revoke" or "".
    verdict: &'static str,
    comment: String,
    /// Whether "revoke" is offered (core's `ReviewItem::may_revoke`).
    may_revoke: bool,
}

#[derive(Template)]
#[template(path = "review.html")]
struct SheetPage {
    c: Chrome,
    csrf: String,
    title: String,
    due: String,
    counts: String,
    progress: &'static str,
    id: String,
    /// The partner's administrators (and managers, on their lines) decide while the review
    /// is open; the caisse reads.
    editable: bool,
    may_complete: bool,
    completed: bool,
    delegates: Vec<Choice>,
    candidates: Vec<Choice>,
    items: Vec<ItemView>,
    past: Vec<ItemView>,
    error: Option<String>,
    /// The line the error is about.
    error_on: String,
    notice: Option<String>,
    proof: Option<Proof>,
}

fn item_views(t: &Texts, sheet: &ReviewSheet) -> (Vec<ItemView>, Vec<ItemView>) {
    let when = |d: Option<time::OffsetDateTime>| d.map(format_paris).unwrap_or_else(|| t.review_never.to_string());
    let verdict = |d: Option<&Decision>| match d.map(|d| d.verdict) {
        Some(Verdict::Keep) => "keep",
        Some(Verdict::Revoke) => "revoke",
        None => "",
    };
    let items = sheet
        .items
        .iter()
        .map(|i| ItemView {
            kind: i.subject.kind(),
            id: i.subject.uuid().to_string(),
            what: i.what.clone(),
            holder: i.holder.clone(),
            purpose: i.purpose.clone(),
            ends: i.ends_on.map(format_date).unwrap_or_else(|| t.review_no_end.to_string()),
            given: format!("{} — {}", i.given_by, format_paris(i.given_at)),
            last_use: when(i.last_used_at),
            last_sign_in: when(i.last_sign_in),
            verdict: verdict(i.decision.as_ref()),
            comment: i.decision.as_ref().map(|d| d.comment.clone()).unwrap_or_default(),
            may_revoke: i.may_revoke,
        })
        .collect();
    let past = sheet
        .past
        .iter()
        .map(|d| ItemView {
            kind: d.subject.kind(),
            id: d.subject.uuid().to_string(),
            verdict: verdict(Some(d)),
            comment: d.comment.clone(),
            ..Default::default()
        })
        .collect();
    (items, past)
}

async fn sheet_page(state: &AppState, ctx: &Ctx, actor: &Actor, id: ReviewId, err: Option<(WebError, String)>, notice: Option<String>, typed: Option<&Values>) -> Response {
    let t = ctx.lang.texts();
    let sheet = match state.app.review_sheet(actor, id).await {
        Ok(s) => s,
        Err(e) => return error_page(ctx.lang, &WebError::Core(e), Some(actor)),
    };
    let (mut items, past) = item_views(t, &sheet);
    // A refused decision keeps what was typed on its line.
    if let (Some(v), Some((_, on))) = (typed, err.as_ref()) {
        for i in items.iter_mut().filter(|i| &format!("{}-{}", i.kind, i.id) == on) {
            i.verdict = match v.get("verdict") {
                "keep" => "keep",
                "revoke" => "revoke",
                _ => "",
            };
            i.comment = v.get("comment").to_string();
        }
    }
    let completed = sheet.review.completed_at.is_some();
    let choices = |l: &[(AccountId, String)]| l.iter().map(|(id, label)| Choice { value: id.to_string(), label: label.clone() }).collect();
    let total = sheet.items.len() + sheet.past.len();
    let page = SheetPage {
        c: Chrome::new(ctx.lang, None, Some(actor)),
        csrf: actor.session.csrf_token.clone(),
        title: t.review_sheet_title.replace("{year}", &sheet.campaign.year.to_string()).replace("{partner}", &sheet.partner),
        due: t.review_due_on.replace("{date}", &format_date(sheet.campaign.due_on)),
        counts: t.review_counts.replace("{decided}", &sheet.decided.to_string()).replace("{total}", &total.to_string()),
        progress: progress_text(t, sheet.progress),
        id: id.to_string(),
        editable: sheet.may_decide,
        may_complete: sheet.may_complete,
        completed,
        delegates: choices(&sheet.delegates),
        candidates: choices(&sheet.candidates),
        items,
        past,
        error: err.as_ref().map(|(e, _)| e.message(t)),
        error_on: err.as_ref().map(|(_, on)| on.clone()).unwrap_or_default(),
        notice,
        proof: sheet.review.proof.clone(),
    };
    render(&page, err.map(|(e, _)| e.status()).unwrap_or(StatusCode::OK))
}

/// GET /reviews/{id}
pub async fn sheet(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<ReviewId>, q: Result<Query<NoticeQuery>, QueryRejection>) -> Response {
    let t = ctx.lang.texts();
    let notice = q.ok().and_then(|Query(q)| q.done).map(|d| if d == "complete" { t.review_completed_notice } else { t.review_decided_notice }.to_string());
    sheet_page(&state, &ctx, &actor, id, None, notice, None).await
}

fn subject_of(kind: &str, id: &str) -> Option<Subject> {
    Subject::from_parts(kind, Uuid::parse_str(id.trim()).ok()?)
}

/// POST /reviews/{id}/decide
pub async fn decide(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<ReviewId>, SignedForm(actor, v): SignedForm) -> Response {
    let on = format!("{}-{}", v.get("kind"), v.get("subject"));
    let (Some(subject), Some(verdict)) = (subject_of(v.get("kind"), v.get("subject")), Verdict::parse(v.get("verdict"))) else {
        let e = WebError::Core(habilis_core::Error::invalid("verdict", habilis_core::values::ValueError::Empty));
        return sheet_page(&state, &ctx, &actor, id, Some((e, on)), None, Some(&v)).await;
    };
    match state.app.decide(&actor, id, subject, verdict, v.get("comment"), &ctx.client).await {
        Ok(()) => traced(Redirect::to(&format!("/reviews/{id}?done=decided#{on}")).into_response()),
        Err(e) => sheet_page(&state, &ctx, &actor, id, Some((WebError::Core(e), on)), None, Some(&v)).await,
    }
}

/// POST /reviews/{id}/complete
pub async fn complete(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<ReviewId>, SignedForm(actor, _v): SignedForm) -> Response {
    match state.app.complete_review(&actor, id, &ctx.client).await {
        Ok(_) => traced(Redirect::to(&format!("/reviews/{id}?done=complete")).into_response()),
        Err(e) => sheet_page(&state, &ctx, &actor, id, Some((WebError::Core(e), "complete".into())), None, None).await,
    }
}

/// POST /reviews/{id}/delegate
pub async fn delegate(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<ReviewId>, SignedForm(actor, v): SignedForm) -> Response {
    let Some(manager) = AccountId::parse(v.get("manager")) else {
        let e = WebError::Core(habilis_core::Error::invalid("manager", habilis_core::values::ValueError::Empty));
        return sheet_page(&state, &ctx, &actor, id, Some((e, "delegate".into())), None, None).await;
    };
    match state.app.delegate_review(&actor, id, manager, v.get("on") != "0", &ctx.client).await {
        Ok(()) => traced(Redirect::to(&format!("/reviews/{id}?done=decided")).into_response()),
        Err(e) => sheet_page(&state, &ctx, &actor, id, Some((WebError::Core(e), "delegate".into())), None, None).await,
    }
}

/// GET /reviews/{id}/proof.json — the proof as a file, for `habilis review verify`.
pub async fn proof_file(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<ReviewId>) -> Response {
    match state.app.review_proof(&actor, id).await {
        Ok(p) => (
            [(header::CONTENT_DISPOSITION, format!("attachment; filename=\"preuve-revue-{id}.json\""))],
            Json(proof_json(p)),
        )
            .into_response(),
        Err(e) => error_page(ctx.lang, &WebError::Core(e), Some(&actor)),
    }
}

/// GET /reviews/{id}/proof.pdf — the proof as a document (issue 15, through `habilis-pdf`):
/// the signed report, its digest, the signature and the key that verifies it.
pub async fn proof_pdf(SignedIn(actor): SignedIn, State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<ReviewId>) -> Response {
    use habilis_pdf::{Block, Document};
    match state.app.review_proof(&actor, id).await {
        Ok(p) => {
            let mut d = Document::new("Preuve de revue annuelle des habilitations");
            d.push(Block::Title("Preuve de revue annuelle des habilitations".into()));
            d.push(Block::Subtitle("Convention, article 2.2.2 — rapport signé par le portail Habilis".into()));
            d.push(Block::Heading("Rapport".into()));
            d.push(Block::Paragraph(p.report.trim_end().to_string()));
            d.push(Block::Heading("Vérification".into()));
            d.push(Block::Row("Empreinte SHA-256 du rapport".into(), p.digest.clone()));
            d.push(Block::Row("Signature Ed25519".into(), p.signature.clone()));
            d.push(Block::Row("Clé publique du portail".into(), p.public_key.clone()));
            d.push(Block::Small(format!("Pour vérifier : téléchargez le fichier de preuve (preuve-revue-{id}.json) depuis la revue, puis lancez « habilis review verify preuve.json » ; la commande confirme que le rapport est intact et signé par la clé ci-dessus.")));
            (
                [(header::CONTENT_TYPE, "application/pdf".to_string()), (header::CONTENT_DISPOSITION, format!("inline; filename=\"preuve-revue-{id}.pdf\""))],
                d.to_pdf(),
            )
                .into_response()
        }
        Err(e) => error_page(ctx.lang, &WebError::Core(e), Some(&actor)),
    }
}

// --- JSON ----------------------------------------------------------------------------------

/// A proof as its file holds it (what `habilis review verify` reads).
fn proof_json(p: Proof) -> serde_json::Value {
    json!({ "report": p.report, "digest": p.digest, "signature": p.signature, "public_key": p.public_key })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignBody {
    year: i32,
    due_on: String,
    #[serde(default)]
    partners: Vec<Uuid>,
}

/// POST /api/v1/review-campaigns
pub async fn api_open(State(state): State<AppState>, ctx: Ctx, ApiActor(ref actor): ApiActor, ApiJson(b): ApiJson<CampaignBody>) -> Result<Response, WebError> {
    let input = NewCampaign { year: b.year.to_string(), due_on: b.due_on, partners: b.partners.into_iter().map(OrganisationId).collect() };
    let (c, n) = state.app.open_campaign(actor, &input, &ctx.client).await?;
    Ok(traced((StatusCode::CREATED, Json(json!({ "campaign": c, "partners": n }))).into_response()))
}

/// GET /api/v1/review-campaigns
pub async fn api_campaigns(State(state): State<AppState>, ApiActor(ref actor): ApiActor) -> Result<Response, WebError> {
    Ok(Json(json!({ "campaigns": state.app.campaigns(actor).await? })).into_response())
}

/// GET /api/v1/review-campaigns/{id}
pub async fn api_campaign(State(state): State<AppState>, ApiActor(ref actor): ApiActor, IdPath(id): IdPath<CampaignId>) -> Result<Response, WebError> {
    let (c, lines) = state.app.campaign_lines(actor, id).await?;
    Ok(Json(json!({ "campaign": c, "partners": lines })).into_response())
}

/// GET /api/v1/reviews
pub async fn api_mine(State(state): State<AppState>, ApiActor(ref actor): ApiActor) -> Result<Response, WebError> {
    let list = state.app.my_reviews(actor).await?;
    let v: Vec<_> = list.into_iter().map(|(r, c, p)| json!({ "review": r, "year": c.year, "due_on": c.due_on.to_string(), "progress": p })).collect();
    Ok(Json(json!({ "reviews": v })).into_response())
}

/// GET /api/v1/reviews/{id}
pub async fn api_sheet(State(state): State<AppState>, ApiActor(ref actor): ApiActor, IdPath(id): IdPath<ReviewId>) -> Result<Response, WebError> {
    Ok(Json(state.app.review_sheet(actor, id).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    kind: String,
    id: Uuid,
    verdict: String,
    #[serde(default)]
    comment: String,
}

/// POST /api/v1/reviews/{id}/decisions
pub async fn api_decide(State(state): State<AppState>, ctx: Ctx, ApiActor(ref actor): ApiActor, IdPath(id): IdPath<ReviewId>, ApiJson(b): ApiJson<DecisionBody>) -> Result<Response, WebError> {
    let subject = Subject::from_parts(&b.kind, b.id).ok_or(WebError::Core(habilis_core::Error::invalid("kind", habilis_core::values::ValueError::BadFormat)))?;
    let verdict = Verdict::parse(&b.verdict).ok_or(WebError::Core(habilis_core::Error::invalid("verdict", habilis_core::values::ValueError::BadFormat)))?;
    state.app.decide(actor, id, subject, verdict, &b.comment, &ctx.client).await?;
    Ok(crate::respond::no_content())
}

/// POST /api/v1/reviews/{id}/complete
pub async fn api_complete(State(state): State<AppState>, ctx: Ctx, ApiActor(ref actor): ApiActor, IdPath(id): IdPath<ReviewId>) -> Result<Response, WebError> {
    let p = state.app.complete_review(actor, id, &ctx.client).await?;
    Ok(traced(Json(proof_json(p)).into_response()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelegateBody {
    account: Uuid,
    #[serde(default = "yes")]
    on: bool,
}

fn yes() -> bool {
    true
}

/// POST /api/v1/reviews/{id}/delegates
pub async fn api_delegate(State(state): State<AppState>, ctx: Ctx, ApiActor(ref actor): ApiActor, IdPath(id): IdPath<ReviewId>, ApiJson(b): ApiJson<DelegateBody>) -> Result<Response, WebError> {
    state.app.delegate_review(actor, id, AccountId(b.account), b.on, &ctx.client).await?;
    Ok(crate::respond::no_content())
}

/// GET /api/v1/reviews/{id}/proof
pub async fn api_proof(State(state): State<AppState>, ApiActor(ref actor): ApiActor, IdPath(id): IdPath<ReviewId>) -> Result<Response, WebError> {
    let p = state.app.review_proof(actor, id).await?;
    Ok(Json(proof_json(p)).into_response())
}

/// The routes of this feature.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/caisse/reviews", get(campaigns).post(open))
        .route("/caisse/reviews/{id}", get(campaign))
        .route("/partner/reviews", get(mine))
        .route("/reviews/{id}", get(sheet))
        .route("/reviews/{id}/decide", post(decide))
        .route("/reviews/{id}/complete", post(complete))
        .route("/reviews/{id}/delegate", post(delegate))
        .route("/reviews/{id}/proof.json", get(proof_file))
        .route("/reviews/{id}/proof.pdf", get(proof_pdf))
        .route("/api/v1/review-campaigns", get(api_campaigns).post(api_open))
        .route("/api/v1/review-campaigns/{id}", get(api_campaign))
        .route("/api/v1/reviews", get(api_mine))
        .route("/api/v1/reviews/{id}", get(api_sheet))
        .route("/api/v1/reviews/{id}/decisions", post(api_decide))
        .route("/api/v1/reviews/{id}/complete", post(api_complete))
        .route("/api/v1/reviews/{id}/delegates", post(api_delegate))
        .route("/api/v1/reviews/{id}/proof", get(api_proof))
}
