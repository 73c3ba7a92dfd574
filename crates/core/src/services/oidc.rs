//! The OpenID Connect provider (issue 13, R70): business services sign people in through
//! the portal (authorization code with PKCE S256), get ID and access tokens carrying the
//! person, their organisation and the roles they hold *on that service, now*, renew them
//! with rotating refresh tokens, and get service-to-service tokens (client credentials).
//!
//! The person signs in on the portal's own pages (password policy, throttle, second factor,
//! traces); this module starts where a signed-in portal session exists. Roles come from the
//! in-memory rights view (`Snapshot::decide`), as for the check API, so a grant revoked is
//! absent from the next token as from the next check. Refresh tokens live as long as the
//! portal session that signed the person in: its sign-out, expiry, or the end of the person's
//! rights ends them.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::app::App;
pub use crate::provider::{OidcError, OidcPolicy, Provider};
use crate::provider::{Keys, OResult, RefreshJob, Unsigned};
use crate::error::{Error, Result};
use crate::jose::{self, SigningKey};
use crate::records::*;
use crate::store::*;
use crate::token;
use crate::trace::*;
use crate::view::Denial;

/// The writer of renewals: what arrived while the previous batch was written goes in one
/// transaction.
async fn refresh_batches<S: Store>(app: App<S>, mut rx: tokio::sync::mpsc::Receiver<RefreshJob>) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < 256 {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        match app.refresh_batch(&jobs).await {
            Ok(answers) => {
                for (job, answer) in jobs.into_iter().zip(answers) {
                    let _ = job.done.send(answer);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "a batch of renewals failed");
                for job in jobs {
                    let _ = job.done.send(Err(OidcError::Internal(Error::Internal("renewal failed".into()))));
                }
            }
        }
    }
}

/// What `/oidc/authorize` asked for.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuthorizeRequest {
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub redirect_uri: String,
    #[serde(default)]
    pub response_type: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub code_challenge: Option<String>,
    #[serde(default)]
    pub code_challenge_method: Option<String>,
    #[serde(default)]
    pub prompt: Option<String>,
}

/// How a client authenticates at the token, revocation and introspection endpoints.
#[derive(Debug, Clone)]
pub enum ClientAuth {
    /// `client_secret_basic` or `client_secret_post`.
    Secret { client_id: String, secret: String },
    /// `private_key_jwt`: an assertion signed with one of the client's registered keys.
    Assertion { client_id: Option<String>, assertion: String },
    /// No authentication (refused: every client is confidential).
    None { client_id: Option<String> },
}

/// What the token endpoint was asked.
#[derive(Debug, Clone)]
pub enum TokenGrant {
    AuthorizationCode { code: String, redirect_uri: String, code_verifier: String },
    RefreshToken { refresh_token: String },
    ClientCredentials { scope: Option<String> },
    Other(String),
}

/// The token endpoint's answer.
#[derive(Debug, Clone, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

/// Commit what a token request did (the code or token spent, the trace of a refusal) unless
/// it failed inside; then answer.
async fn finish<T: Transaction, R>(tx: T, r: OResult<R>) -> OResult<R> {
    match r {
        Err(OidcError::Internal(e)) => Err(OidcError::Internal(e)),
        r => {
            tx.commit().await?;
            r
        }
    }
}

/// Whether `asked` is the registered redirect address `registered`: the same text, except
/// that a loopback address (`http://127.0.0.1`, `http://[::1]`) may name any port
/// (RFC 8252 §7.3, for services tried on a workstation).
pub fn redirect_matches(registered: &str, asked: &str) -> bool {
    if registered == asked {
        return true;
    }
    let strip = |u: &str| -> Option<(String, String)> {
        for host in ["http://127.0.0.1", "http://[::1]"] {
            if let Some(rest) = u.strip_prefix(host) {
                let rest = match rest.strip_prefix(':') {
                    Some(r) => r.trim_start_matches(|c: char| c.is_ascii_digit()),
                    None => rest,
                };
                return Some((host.to_string(), rest.to_string()));
            }
        }
        None
    };
    matches!((strip(registered), strip(asked)), (Some(a), Some(b)) if a == b)
}

fn origin(u: &str) -> Option<&str> {
    let scheme_end = u.find("://")? + 3;
    let end = u[scheme_end..].find('/').map(|i| scheme_end + i).unwrap_or(u.len());
    Some(&u[..end])
}

/// Whether two addresses share their origin (a loopback origin with any port, as above).
fn same_origin(registered: &str, asked: &str) -> bool {
    match (origin(registered), origin(asked)) {
        (Some(a), Some(b)) => a == b || redirect_matches(a, b),
        _ => false,
    }
}

fn scope_of(asked: &str) -> OResult<String> {
    let words: Vec<&str> = asked.split_whitespace().collect();
    if !words.contains(&"openid") {
        return Err(OidcError::InvalidScope);
    }
    // What the provider knows; other words are dropped (RFC 6749 §3.3).
    let known = ["openid", "profile", "email", "roles", "organisation"];
    Ok(known.iter().filter(|k| words.contains(k)).copied().collect::<Vec<_>>().join(" "))
}

/// A new refresh token of `family`: the family's id, then a secret.
fn refresh_token_of(family: Uuid) -> String {
    format!("{}.{}", family.simple(), token::new_token())
}

/// The family a refresh token names, if it has the form `<32 hex>.<secret>`.
fn family_of(refresh_token: &str) -> Option<Uuid> {
    let (f, secret) = refresh_token.split_once('.')?;
    if f.len() != 32 || secret.is_empty() {
        return None;
    }
    Uuid::try_parse(f).ok()
}

fn ts(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

fn denial_sentence(d: &Denial) -> &'static str {
    match d {
        Denial::UnknownPerson => "Cette personne n'a aucune habilitation auprès des services de la caisse.",
        Denial::PersonInactive => "Ce compte est suspendu ou désactivé.",
        Denial::ServiceClosed(_) => "Ce service n'est pas ouvert pour l'organisme de la personne (convention, contrat ou souscription).",
        Denial::UnknownRole => "Ce profil n'existe pas pour ce service.",
        Denial::NoGrant => "La personne ne détient aucune habilitation en vigueur sur ce service.",
        Denial::Outage { .. } => "Le service est indisponible pour une interruption programmée ; réessayez après la fin annoncée.",
    }
}

impl<S: Store> App<S> {
    // --- keys ----------------------------------------------------------------------------

    async fn oidc_keys(&self) -> OResult<Arc<Keys>> {
        if let Some(k) = self.oidc.keys.read().unwrap_or_else(|e| e.into_inner()).as_ref()
            && k.loaded.elapsed() < std::time::Duration::from_secs(60)
        {
            return Ok(k.clone());
        }
        let now = self.now();
        let policy = self.oidc.policy;
        let mut stored = self.store.read().await?.oidc_keys().await?;
        // None yet (first start), or the one signing is due for rotation: make the next.
        let signing_created = stored.iter().filter(|k| k.active_from <= now && k.retired_at.is_none_or(|r| r > now)).map(|k| k.created_at).max();
        let pending = stored.iter().any(|k| k.active_from > now);
        let due = signing_created.is_some_and(|c| now - c >= Duration::days(policy.key_rotation_days)) && !pending;
        if signing_created.is_none() || due {
            self.make_oidc_key(signing_created.is_some()).await?;
            stored = self.store.read().await?.oidc_keys().await?;
        }
        // The instant the first key was made is now in the past.
        let now = self.now();
        let grace = Duration::seconds(policy.token_seconds.max(0)) + Duration::hours(1);
        let signing = stored
            .iter()
            .filter(|k| k.active_from <= now && k.retired_at.is_none_or(|r| r > now))
            .max_by_key(|k| k.active_from)
            .and_then(|k| SigningKey::from_pkcs8(&k.kid, &k.private_der))
            .ok_or_else(|| OidcError::Internal(Error::Internal("no usable signing key".into())))?;
        let published = stored
            .iter()
            .filter(|k| k.retired_at.is_none_or(|r| r + grace > now))
            .filter_map(|k| SigningKey::from_pkcs8(&k.kid, &k.private_der))
            .map(|k| k.public_jwk())
            .collect();
        let keys = Arc::new(Keys { signing: Arc::new(signing), published, loaded: std::time::Instant::now() });
        *self.oidc.keys.write().unwrap_or_else(|e| e.into_inner()) = Some(keys.clone());
        Ok(keys)
    }

    /// A new signing key: the first one signs at once; a next one is published first and
    /// signs after `key_publish_minutes`, when the others retire. Traced.
    async fn make_oidc_key(&self, next: bool) -> Result<String> {
        let now = self.now();
        let (kid, der) = SigningKey::generate().ok_or_else(|| Error::Internal("key generation failed".into()))?;
        let active_from = if next { now + Duration::minutes(self.oidc.policy.key_publish_minutes) } else { now };
        let mut tx = self.store.begin().await?;
        tx.insert_oidc_key(&OidcKey { kid: kid.clone(), private_der: der, created_at: now, active_from, retired_at: None }).await?;
        tx.retire_oidc_keys(&kid, active_from).await?;
        tx.remove_oidc_keys(now - Duration::days(1)).await?;
        let mut e = TraceEntry::new(now, "oidc.key", Outcome::Success, &ClientInfo::default());
        e.target = Some(kid.clone());
        e.detail = Some(format!("nouvelle clé de signature, utilisée à partir de {active_from}"));
        tx.append_trace(&e).await?;
        tx.commit().await?;
        self.oidc.forget_keys();
        Ok(kid)
    }

    /// Rotate the signing key now (the operator, `habilis oidc rotate-key`): the new key is
    /// published at once and signs after `key_publish_minutes`. Returns its id.
    pub async fn rotate_oidc_key_as_operator(&self) -> Result<String> {
        let any = !self.store.read().await?.oidc_keys().await?.is_empty();
        self.make_oidc_key(any).await
    }

    /// The public keys (JWKS document).
    pub async fn oidc_jwks(&self) -> Result<Value> {
        let keys = self.oidc_keys().await.map_err(|e| match e {
            OidcError::Internal(e) => e,
            other => Error::Internal(other.code().into()),
        })?;
        Ok(json!({ "keys": keys.published }))
    }

    // --- clients -------------------------------------------------------------------------

    /// The client `client_id` if `redirect_uri` is one of its own; anything else is an
    /// error the portal shows (it never redirects to an address it does not know).
    pub async fn oidc_client_for(&self, client_id: &str, redirect_uri: &str) -> OResult<Arc<ServiceClient>> {
        self.view.ensure_started(&self.store).await?;
        let client = self.view.read(|s| s.client(client_id)).ok_or(OidcError::InvalidRequest("Ce service n'est pas enregistré auprès de la caisse."))?;
        if !client.redirect_uris.iter().any(|r| redirect_matches(r, redirect_uri)) {
            return Err(OidcError::InvalidRequest("L'adresse de retour n'est pas une de celles que la caisse a enregistrées pour ce service."));
        }
        Ok(client)
    }

    /// Authenticate a client at the token, revocation or introspection endpoint.
    pub async fn oidc_authenticate_client(&self, issuer: &str, auth: &ClientAuth) -> OResult<Arc<ServiceClient>> {
        match auth {
            ClientAuth::Secret { client_id, secret } => self.authenticate_client(client_id, secret).await.map_err(|_| OidcError::InvalidClient),
            ClientAuth::None { .. } => Err(OidcError::InvalidClient),
            ClientAuth::Assertion { client_id, assertion } => {
                self.view.ensure_started(&self.store).await?;
                let jwt = jose::decode(assertion).ok_or(OidcError::InvalidClient)?;
                let iss = jwt.claims.get("iss").and_then(Value::as_str).ok_or(OidcError::InvalidClient)?;
                if jwt.claims.get("sub").and_then(Value::as_str) != Some(iss) || client_id.as_deref().is_some_and(|c| c != iss) {
                    return Err(OidcError::InvalidClient);
                }
                let client = self.view.read(|s| s.client(iss)).ok_or(OidcError::InvalidClient)?;
                let keys: Vec<Value> = client
                    .jwks
                    .as_deref()
                    .and_then(|j| serde_json::from_str::<Value>(j).ok())
                    .and_then(|v| v.get("keys").and_then(Value::as_array).cloned())
                    .unwrap_or_default();
                let claims = jwt.verify_with_any(&keys).ok_or(OidcError::InvalidClient)?;
                let now = self.now();
                let token_url = format!("{issuer}/oidc/token");
                let aud_ok = match claims.get("aud") {
                    Some(Value::String(a)) => *a == token_url || a == issuer,
                    Some(Value::Array(a)) => a.iter().any(|x| x.as_str().is_some_and(|x| x == token_url || x == issuer)),
                    _ => false,
                };
                let exp = claims.get("exp").and_then(Value::as_i64).ok_or(OidcError::InvalidClient)?;
                let jti = claims.get("jti").and_then(Value::as_str).ok_or(OidcError::InvalidClient)?;
                // Valid now, for at most ten minutes, and once.
                if !aud_ok || exp <= ts(now) || exp > ts(now) + 600 {
                    return Err(OidcError::InvalidClient);
                }
                let mut seen = self.oidc.seen_assertions.lock().unwrap_or_else(|e| e.into_inner());
                seen.retain(|_, until| *until > now);
                if seen.insert(format!("{iss}\u{0}{jti}"), now + Duration::seconds(600)).is_some() {
                    return Err(OidcError::InvalidClient);
                }
                Ok(client)
            }
        }
    }

    // --- authorization -------------------------------------------------------------------

    /// `actor`, signed in on the portal, authorizes `client`: checks the request, that the
    /// person holds a role on the client's service now, and returns a one-time code.
    /// A refusal is traced.
    pub async fn oidc_authorize(&self, actor: &Actor, client: &ServiceClient, req: &AuthorizeRequest, info: &ClientInfo) -> OResult<String> {
        if req.response_type != "code" {
            return Err(OidcError::UnsupportedResponseType);
        }
        let scope = scope_of(&req.scope)?;
        let challenge = req.code_challenge.as_deref().unwrap_or("");
        if req.code_challenge_method.as_deref() != Some("S256") || challenge.len() != 43 {
            return Err(OidcError::InvalidRequest("PKCE est obligatoire : code_challenge (S256, 43 caractères) et code_challenge_method=S256."));
        }
        if req.nonce.as_deref().is_some_and(|n| n.len() > 512) || req.state.as_deref().is_some_and(|s| s.len() > 2048) {
            return Err(OidcError::InvalidRequest("Le paramètre nonce ou state est trop long."));
        }
        let roles = self.oidc_roles(actor.account.id, client).await;
        let now = self.now();
        if let Err(d) = roles {
            let mut e = TraceEntry::new(now, "service.signin", Outcome::Refused, info);
            e.stamp(actor);
            e.target = Some(client.client_id.clone());
            e.detail = Some(format!("client {} : {}", client.client_id, d.words()));
            self.traces.append(&self.store, e).await?;
            return Err(OidcError::AccessDenied(denial_sentence(&d)));
        }
        let code = token::new_token();
        let mut tx = self.store.begin().await?;
        tx.insert_auth_code(&AuthCode {
            digest: token::digest(&code),
            client_id: client.client_id.clone(),
            account_id: actor.account.id,
            session_id: actor.session.id,
            redirect_uri: req.redirect_uri.clone(),
            code_challenge: challenge.to_string(),
            nonce: req.nonce.clone(),
            scope,
            auth_time: actor.session.created_at,
            expires_at: now + Duration::seconds(self.oidc.policy.code_seconds),
            used_at: None,
            family: None,
        })
        .await?;
        let mut e = TraceEntry::new(now, "service.signin", Outcome::Success, info);
        e.stamp(actor);
        e.target = Some(client.client_id.clone());
        e.detail = Some(format!("connexion au service {}", client.name));
        tx.append_trace(&e).await?;
        tx.commit().await?;
        self.watch_consultation(actor, now, e.id).await;
        Ok(code)
    }

    /// The roles `person` holds on `client`'s service now (at least one), with the grants
    /// giving them.
    async fn oidc_roles(&self, person: AccountId, client: &ServiceClient) -> std::result::Result<Vec<(String, GrantId)>, Denial> {
        if self.view.ensure_started(&self.store).await.is_err() {
            return Err(Denial::UnknownPerson);
        }
        self.view.catch_up(self.store.rights_version()).await;
        let now = self.now();
        let held = self.view.read(|s| s.decide_at(&person.to_string(), client.service_id, None, now))?;
        if held.roles.is_empty() { Err(Denial::NoGrant) } else { Ok(held.roles) }
    }

    // --- tokens --------------------------------------------------------------------------

    /// The token endpoint.
    pub async fn oidc_token(&self, issuer: &str, auth: &ClientAuth, grant: TokenGrant, info: &ClientInfo) -> OResult<TokenResponse> {
        let client = self.oidc_authenticate_client(issuer, auth).await?;
        match grant {
            TokenGrant::AuthorizationCode { code, redirect_uri, code_verifier } => self.exchange_code(issuer, &client, &code, &redirect_uri, &code_verifier, info).await,
            TokenGrant::RefreshToken { refresh_token } => self.refresh(issuer, client, &refresh_token, info).await,
            TokenGrant::ClientCredentials { scope } => self.client_credentials(issuer, &client, scope.as_deref(), info).await,
            TokenGrant::Other(_) => Err(OidcError::UnsupportedGrantType),
        }
    }

    async fn exchange_code(&self, issuer: &str, client: &ServiceClient, code: &str, redirect_uri: &str, verifier: &str, info: &ClientInfo) -> OResult<TokenResponse> {
        // Keys first: making the first one takes its own transaction.
        let keys = self.oidc_keys().await?;
        let now = self.now();
        let family = Uuid::now_v7();
        let mut tx = self.store.begin().await?;
        let c = match tx.take_auth_code(&token::digest(code), now, family).await? {
            Taken::Fresh(c) => c,
            Taken::Unknown => return Err(OidcError::InvalidGrant("Ce code d'autorisation est inconnu.")),
            Taken::Spent(f) => {
                // A replayed code: what its first exchange gave is revoked (RFC 6749 §4.1.2).
                if let Some(f) = f {
                    tx.revoke_refresh_family(f, now).await?;
                }
                let mut e = TraceEntry::new(now, "service.token", Outcome::Refused, info);
                e.target = Some(client.client_id.clone());
                e.detail = Some(format!("client {} : code d'autorisation rejoué, jetons révoqués", client.client_id));
                tx.append_trace(&e).await?;
                tx.commit().await?;
                return Err(OidcError::InvalidGrant("Ce code d'autorisation a déjà servi : les jetons obtenus avec lui sont révoqués."));
            }
        };
        // From here the code is spent whatever happens: a failed exchange is not retried.
        let verifier_ok = (43..=128).contains(&verifier.len()) && token::same_secret(&jose::pkce_s256(verifier), &c.code_challenge);
        let refused = if c.client_id != client.client_id || c.redirect_uri != redirect_uri {
            Some("Ce code d'autorisation n'a pas été délivré à ce service ou pour cette adresse de retour.")
        } else if c.expires_at <= now {
            Some("Ce code d'autorisation a expiré ; recommencez la connexion.")
        } else if !verifier_ok {
            Some("Le code_verifier ne correspond pas au code_challenge (PKCE).")
        } else {
            None
        };
        let issued = match (refused, tx.open_session(c.session_id).await?) {
            (Some(why), _) => Err(OidcError::InvalidGrant(why)),
            (None, None) => Err(OidcError::InvalidGrant("La session du portail qui a autorisé ce code est terminée.")),
            (None, Some(session)) => self.issue_for_person(&mut tx, issuer, client, &session, family, &c.scope, c.auth_time, c.nonce.as_deref(), "code", info).await,
        };
        self.signed(&keys, finish(tx, issued).await?)
    }

    /// A renewal: sent to the writer of renewals, which takes every renewal waiting in one
    /// transaction (a few statements for the whole batch); signed here once committed.
    async fn refresh(&self, issuer: &str, client: Arc<ServiceClient>, refresh_token: &str, info: &ClientInfo) -> OResult<TokenResponse> {
        let keys = self.oidc_keys().await?;
        let sender = self
            .oidc
            .refreshes
            .get_or_init(|| async {
                let (tx, rx) = tokio::sync::mpsc::channel::<RefreshJob>(4096);
                tokio::spawn(refresh_batches(self.clone(), rx));
                tx
            })
            .await;
        let Some(family) = family_of(refresh_token) else {
            return Err(OidcError::InvalidGrant("Ce jeton de renouvellement est inconnu."));
        };
        let (done, wait) = tokio::sync::oneshot::channel();
        let job = RefreshJob { family, digest: token::digest(refresh_token), client, issuer: issuer.to_string(), info: info.clone(), done };
        let stopped = || OidcError::Internal(Error::Internal("refresh writer stopped".into()));
        sender.send(job).await.map_err(|_| stopped())?;
        let unsigned = wait.await.map_err(|_| stopped())??;
        self.signed(&keys, unsigned)
    }

    /// Renew a batch of refresh tokens in one transaction: each job's answer, or an error
    /// of the whole batch (nothing written).
    async fn refresh_batch(&self, jobs: &[RefreshJob]) -> Result<Vec<OResult<Unsigned>>> {
        let now = self.now();
        // The next token of each job, and which job asks for a family first: a second one
        // in the same batch is a replay.
        let nexts: Vec<String> = jobs.iter().map(|j| refresh_token_of(j.family)).collect();
        let mut seen = std::collections::HashSet::new();
        let mut rotations = Vec::with_capacity(jobs.len());
        let replayed: Vec<bool> = jobs
            .iter()
            .zip(&nexts)
            .map(|(j, next)| {
                let first = seen.insert(j.family);
                if first {
                    rotations.push(Rotation { family: j.family, current: j.digest.clone(), next: token::digest(next) });
                }
                !first
            })
            .collect();
        let mut tx = self.store.begin().await?;
        // Refresh-token families and traces only: no signed-in person needs to be read again.
        tx.quiet();
        let moved: HashMap<Uuid, RefreshFamily> = tx.rotate_refresh_families(&rotations, now).await?.into_iter().map(|f| (f.id, f)).collect();
        // Why the others did not move (revoked, expired, unknown, or not the current token).
        let mut others: Vec<Uuid> = jobs.iter().map(|j| j.family).filter(|f| !moved.contains_key(f)).collect();
        others.sort();
        others.dedup();
        let known: HashMap<Uuid, RefreshFamily> = tx.refresh_families(&others).await?.into_iter().map(|f| (f.id, f)).collect();
        let mut session_ids: Vec<SessionId> = moved.values().map(|f| f.session_id).collect();
        session_ids.sort_by_key(|s| s.0);
        session_ids.dedup();
        // The portal sessions must be open and within their limits (the idle one counted
        // from this process's touches too); renewing is activity on them.
        let sessions: HashMap<SessionId, (Session, TokenPerson)> =
            tx.open_sessions_with_people(&session_ids).await?.into_iter().map(|(s, p)| (s.id, (s, p))).collect();
        let idle_since = now - self.sessions.idle();

        let (mut traces, mut revoke, mut touched, mut answers) = (Vec::new(), Vec::new(), Vec::new(), Vec::with_capacity(jobs.len()));
        for ((job, replay), next) in jobs.iter().zip(replayed).zip(nexts) {
            let refused = |detail: String| {
                let mut e = TraceEntry::new(now, "service.token", Outcome::Refused, &job.info);
                e.target = Some(job.client.client_id.clone());
                e.detail = Some(format!("client {} : {detail}", job.client.client_id));
                e
            };
            // The family as this batch moved it, or as it is.
            let family = moved.get(&job.family).or_else(|| known.get(&job.family));
            let answer = match family {
                None => Err(OidcError::InvalidGrant("Ce jeton de renouvellement est inconnu.")),
                Some(f) if f.client_id != job.client.client_id => {
                    // Another service's token in this one's hands: it is not trusted any more.
                    revoke.push(f.id);
                    traces.push(refused(format!("jeton de renouvellement du client {} : famille révoquée", f.client_id)));
                    Err(OidcError::InvalidGrant("Ce jeton de renouvellement n'a pas été délivré à ce service."))
                }
                Some(f) if !replay && !moved.contains_key(&f.id) && f.revoked_at.is_none() && f.expires_at <= now => {
                    Err(OidcError::InvalidGrant("Ce jeton de renouvellement a expiré ; la personne doit se reconnecter."))
                }
                Some(f) if replay || !moved.contains_key(&f.id) => {
                    // Used twice, or a family already ended: someone holds a copy. The whole
                    // family ends (reuse detection).
                    revoke.push(f.id);
                    traces.push(refused("jeton de renouvellement déjà utilisé ou révoqué : famille révoquée".into()));
                    Err(OidcError::InvalidGrant("Ce jeton de renouvellement a déjà servi ou a été révoqué."))
                }
                Some(f) => match sessions.get(&f.session_id) {
                    Some((session, person)) if session.expires_at > now && self.presence.last_activity(session) > idle_since => {
                        match self.oidc_roles(person.id, &job.client).await {
                            Ok(roles) => {
                                let (u, e) = self.tokens_for(&job.issuer, &job.client, person, session, next, &f.scope, f.auth_time, None, &roles, "renouvellement", &job.info);
                                touched.push(session.id);
                                traces.push(e);
                                Ok(u)
                            }
                            Err(d) => {
                                // No right left on this service: no token, and the family ends.
                                revoke.push(f.id);
                                let mut e = refused(format!("(renouvellement) {}", d.words()));
                                e.actor_id = Some(person.id);
                                e.actor_login = Some(person.login.clone());
                                e.organisation_id = Some(person.organisation_id);
                                e.session_id = Some(session.id);
                                traces.push(e);
                                Err(OidcError::InvalidGrant(denial_sentence(&d)))
                            }
                        }
                    }
                    _ => {
                        revoke.push(f.id);
                        Err(OidcError::InvalidGrant("La session du portail est terminée ; la personne doit se reconnecter."))
                    }
                },
            };
            answers.push(answer);
        }
        revoke.sort();
        revoke.dedup();
        for f in revoke {
            tx.revoke_refresh_family(f, now).await?;
        }
        tx.append_traces(&traces).await?;
        tx.commit().await?;
        // Renewing is activity on the portal session (written within a second, with the
        // pages' touches).
        for session in touched {
            self.presence.touch(&self.store, session, now);
        }
        Ok(answers)
    }

    /// Sign what a committed transaction issued (outside it: signing is the costly part),
    /// and note the grants it carries as used.
    fn signed(&self, keys: &Keys, u: Unsigned) -> OResult<TokenResponse> {
        let sign = |typ: &str, v: &Value| keys.signing.sign(typ, v).ok_or_else(|| OidcError::Internal(Error::Internal("signing failed".into())));
        let response = TokenResponse {
            access_token: sign("at+jwt", &u.access)?,
            token_type: "Bearer",
            expires_in: self.oidc.policy.token_seconds,
            scope: u.scope,
            refresh_token: Some(u.refresh),
            id_token: Some(sign("JWT", &u.id)?),
        };
        self.view.note_uses(u.grants, self.now());
        Ok(response)
    }

    /// ID token, access token and the next refresh token for the person of `session`, with
    /// the roles they hold on the client's service now; traced in `tx`.
    #[allow(clippy::too_many_arguments)]
    async fn issue_for_person(
        &self,
        tx: &mut S::Tx,
        issuer: &str,
        client: &ServiceClient,
        session: &Session,
        family: Uuid,
        scope: &str,
        auth_time: OffsetDateTime,
        nonce: Option<&str>,
        how: &str,
        info: &ClientInfo,
    ) -> OResult<Unsigned> {
        let person = tx.token_person(session.account_id).await?.ok_or(OidcError::InvalidGrant("Ce compte n'existe plus."))?;
        let roles = match self.oidc_roles(person.id, client).await {
            Ok(r) => r,
            Err(d) => {
                // No right left on this service: no token (and no family).
                let mut e = TraceEntry::new(self.now(), "service.token", Outcome::Refused, info);
                e.actor_id = Some(person.id);
                e.actor_login = Some(person.login.clone());
                e.organisation_id = Some(person.organisation_id);
                e.session_id = Some(session.id);
                e.target = Some(client.client_id.clone());
                e.detail = Some(format!("client {} ({how}) : {}", client.client_id, d.words()));
                tx.append_trace(&e).await?;
                return Err(OidcError::InvalidGrant(denial_sentence(&d)));
            }
        };
        let now = self.now();
        let refresh = refresh_token_of(family);
        tx.insert_refresh_family(&RefreshFamily {
            id: family,
            digest: token::digest(&refresh),
            client_id: client.client_id.clone(),
            account_id: person.id,
            session_id: session.id,
            scope: scope.to_string(),
            auth_time,
            created_at: now,
            rotated_at: now,
            rotations: 0,
            expires_at: (auth_time + Duration::hours(self.oidc.policy.refresh_hours)).min(session.expires_at),
            revoked_at: None,
        })
        .await?;
        let (u, e) = self.tokens_for(issuer, client, &person, session, refresh, scope, auth_time, nonce, &roles, how, info);
        tx.append_trace(&e).await?;
        Ok(u)
    }

    /// The claims of the ID and access tokens, with the refresh token `refresh`, and the
    /// trace of their issue (pure: the caller writes them).
    #[allow(clippy::too_many_arguments)]
    fn tokens_for(
        &self,
        issuer: &str,
        client: &ServiceClient,
        person: &TokenPerson,
        session: &Session,
        refresh: String,
        scope: &str,
        auth_time: OffsetDateTime,
        nonce: Option<&str>,
        roles: &[(String, GrantId)],
        how: &str,
        info: &ClientInfo,
    ) -> (Unsigned, TraceEntry) {
        let now = self.now();
        let codes: Vec<&str> = roles.iter().map(|(c, _)| c.as_str()).collect();
        let mut e = TraceEntry::new(now, "service.token", Outcome::Success, info);
        e.actor_id = Some(person.id);
        e.actor_login = Some(person.login.clone());
        e.organisation_id = Some(person.organisation_id);
        e.session_id = Some(session.id);
        e.target = Some(client.client_id.clone());
        e.detail = Some(format!("client {} ({how}) : {}", client.client_id, codes.join(", ")));
        let exp = now + Duration::seconds(self.oidc.policy.token_seconds);
        let mut id = Map::new();
        id.insert("sub".into(), json!(person.id.to_string()));
        id.insert("name".into(), json!(person.display_name));
        id.insert("preferred_username".into(), json!(person.login));
        id.insert("email".into(), json!(person.email));
        id.insert("organisation".into(), json!({ "id": person.organisation_id.to_string(), "siret": person.siret, "name": person.organisation_name }));
        id.insert("roles".into(), json!(codes));
        id.insert("iss".into(), json!(issuer));
        id.insert("aud".into(), json!(client.client_id));
        id.insert("azp".into(), json!(client.client_id));
        id.insert("iat".into(), json!(ts(now)));
        id.insert("exp".into(), json!(ts(exp)));
        id.insert("auth_time".into(), json!(ts(auth_time)));
        id.insert("sid".into(), json!(session.id.to_string()));
        if let Some(n) = nonce {
            id.insert("nonce".into(), json!(n));
        }
        let access = json!({
            "iss": issuer, "sub": person.id.to_string(), "aud": client.client_id, "client_id": client.client_id,
            "iat": ts(now), "exp": ts(exp), "jti": Uuid::now_v7().to_string(), "scope": scope,
            "sid": session.id.to_string(), "roles": codes, "organisation": person.siret,
        });
        let u = Unsigned { id: Value::Object(id), access, refresh, scope: scope.to_string(), grants: roles.iter().map(|(_, g)| *g).collect() };
        (u, e)
    }

    async fn client_credentials(&self, issuer: &str, client: &ServiceClient, scope: Option<&str>, info: &ClientInfo) -> OResult<TokenResponse> {
        let now = self.now();
        let keys = self.oidc_keys().await?;
        let exp = now + Duration::seconds(self.oidc.policy.token_seconds);
        // Only the check API is offered to a service on its own behalf.
        let scope = match scope.map(str::trim).filter(|s| !s.is_empty()) {
            None | Some("check") => "check",
            Some(_) => return Err(OidcError::InvalidScope),
        };
        let access = json!({
            "iss": issuer, "sub": client.client_id, "aud": client.client_id, "client_id": client.client_id,
            "iat": ts(now), "exp": ts(exp), "jti": Uuid::now_v7().to_string(), "scope": scope,
        });
        let access_token = keys.signing.sign("at+jwt", &access).ok_or_else(|| OidcError::Internal(Error::Internal("signing failed".into())))?;
        let mut e = TraceEntry::new(now, "service.token", Outcome::Success, info);
        e.target = Some(client.client_id.clone());
        e.detail = Some(format!("client {} (client_credentials)", client.client_id));
        self.traces.append(&self.store, e).await?;
        Ok(TokenResponse { access_token, token_type: "Bearer", expires_in: self.oidc.policy.token_seconds, scope: scope.into(), refresh_token: None, id_token: None })
    }

    // --- userinfo, logout, revocation ----------------------------------------------------

    /// Verify a token the provider signed (any of its published keys) and return its claims;
    /// `expired_ok` for an `id_token_hint`.
    async fn own_token(&self, issuer: &str, jwt: &str, typ: &str, expired_ok: bool) -> OResult<Value> {
        let keys = self.oidc_keys().await?;
        let t = jose::decode(jwt).ok_or(OidcError::InvalidToken)?;
        // An ID token is not an access token, nor the other way round.
        if t.header.get("typ").and_then(Value::as_str) != Some(typ) {
            return Err(OidcError::InvalidToken);
        }
        let claims = t.verify_with_any(&keys.published).ok_or(OidcError::InvalidToken)?.clone();
        let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
        if claims.get("iss").and_then(Value::as_str) != Some(issuer) || (!expired_ok && exp <= ts(self.now())) {
            return Err(OidcError::InvalidToken);
        }
        Ok(claims)
    }

    /// The userinfo endpoint: the person's claims now, for a valid access token of one of
    /// their sign-ins (roles recomputed: a grant revoked since the token is absent).
    pub async fn oidc_userinfo(&self, issuer: &str, access_token: &str) -> OResult<Value> {
        let claims = self.own_token(issuer, access_token, "at+jwt", false).await?;
        let client_id = claims.get("client_id").and_then(Value::as_str).ok_or(OidcError::InvalidToken)?;
        let person = claims.get("sub").and_then(Value::as_str).and_then(AccountId::parse).ok_or(OidcError::InvalidToken)?;
        let session = claims.get("sid").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok()).map(SessionId).ok_or(OidcError::InvalidToken)?;
        let client = self.view.read(|s| s.client(client_id)).ok_or(OidcError::InvalidToken)?;
        let mut tx = self.store.read().await?;
        if tx.open_session(session).await?.is_none() {
            return Err(OidcError::InvalidToken);
        }
        let account = tx.token_person(person).await?.ok_or(OidcError::InvalidToken)?;
        drop(tx);
        let roles = self.oidc_roles(person, &client).await.unwrap_or_default();
        Ok(json!({
            "sub": account.id.to_string(), "name": account.display_name, "preferred_username": account.login,
            "email": account.email, "organisation": { "id": account.organisation_id.to_string(), "siret": account.siret, "name": account.organisation_name },
            "roles": roles.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(),
        }))
    }

    /// RP-initiated logout: whether `id_token_hint` names `actor`'s session (then the
    /// portal signs them out without asking), and the address to send them back to, if it
    /// is one the client registered (or on the same origin as one).
    pub async fn oidc_logout_target(
        &self,
        issuer: &str,
        actor: Option<&Actor>,
        id_token_hint: Option<&str>,
        client_id: Option<&str>,
        post_logout_redirect_uri: Option<&str>,
    ) -> OResult<(bool, Option<String>)> {
        let hint = match id_token_hint.filter(|h| !h.is_empty()) {
            Some(h) => Some(self.own_token(issuer, h, "JWT", true).await?),
            None => None,
        };
        let client_id = hint.as_ref().and_then(|c| c.get("aud").and_then(Value::as_str)).or(client_id);
        let same_session = match (actor, hint.as_ref().and_then(|c| c.get("sid").and_then(Value::as_str))) {
            (Some(a), Some(sid)) => a.session.id.to_string() == sid,
            _ => false,
        };
        let redirect = match (post_logout_redirect_uri.filter(|u| !u.is_empty()), client_id) {
            (Some(uri), Some(cid)) => {
                self.view.ensure_started(&self.store).await?;
                let client = self.view.read(|s| s.client(cid)).ok_or(OidcError::InvalidRequest("Ce service n'est pas enregistré auprès de la caisse."))?;
                let ok = client.redirect_uris.iter().any(|r| redirect_matches(r, uri) || same_origin(r, uri));
                if !ok {
                    return Err(OidcError::InvalidRequest("L'adresse de retour après déconnexion n'est pas une de celles de ce service."));
                }
                Some(uri.to_string())
            }
            (Some(_), None) => return Err(OidcError::InvalidRequest("L'adresse de retour après déconnexion demande client_id ou id_token_hint.")),
            _ => None,
        };
        Ok((same_session, redirect))
    }

    /// Token revocation (RFC 7009): a refresh token of the calling client ends with its
    /// whole family. Unknown tokens and access tokens (short-lived) are answered the same.
    pub async fn oidc_revoke(&self, issuer: &str, auth: &ClientAuth, token_value: &str, info: &ClientInfo) -> OResult<()> {
        let client = self.oidc_authenticate_client(issuer, auth).await?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let family = match family_of(token_value) {
            Some(f) => tx.refresh_families(&[f]).await?.pop(),
            None => None,
        };
        if let Some(t) = family
            && t.client_id == client.client_id
        {
            let n = tx.revoke_refresh_family(t.id, now).await?;
            let mut e = TraceEntry::new(now, "service.revoke", Outcome::Success, info);
            e.actor_id = Some(t.account_id);
            e.session_id = Some(t.session_id);
            e.organisation_id = tx.account(t.account_id).await?.map(|a| a.organisation_id);
            e.target = Some(client.client_id.clone());
            e.detail = Some(format!("client {} : {n} famille(s) de jetons de renouvellement révoquée(s)", client.client_id));
            tx.append_trace(&e).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Remove expired codes and refresh-token families (kept a day for replay detection).
    pub async fn purge_oidc(&self) -> Result<u64> {
        let mut tx = self.store.begin().await?;
        let n = tx.purge_oidc(self.now() - Duration::days(1)).await?;
        tx.commit().await?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_addresses_may_name_any_port_others_must_match_exactly() {
        assert!(redirect_matches("https://cdap.example/cb", "https://cdap.example/cb"));
        assert!(!redirect_matches("https://cdap.example/cb", "https://cdap.example/cb2"));
        assert!(!redirect_matches("https://cdap.example/cb", "https://cdap.example:444/cb"));
        assert!(redirect_matches("http://127.0.0.1:8090/callback", "http://127.0.0.1:51234/callback"));
        assert!(redirect_matches("http://127.0.0.1/callback", "http://127.0.0.1:51234/callback"));
        assert!(!redirect_matches("http://127.0.0.1:8090/callback", "http://127.0.0.1:51234/other"));
        assert!(!redirect_matches("http://127.0.0.1:8090/callback", "http://127.0.0.1.evil.example/callback"));
        assert!(!redirect_matches("http://localhost:8090/callback", "http://localhost:9999/callback"));
    }

    #[test]
    fn scopes_need_openid_and_keep_what_is_known() {
        assert!(scope_of("profile").is_err());
        assert_eq!(scope_of("openid email foo").unwrap(), "openid email");
        assert_eq!(origin("https://a.example:8443/x/y"), Some("https://a.example:8443"));
        assert!(same_origin("http://127.0.0.1:8090/callback", "http://127.0.0.1:5000/bye"));
        assert!(same_origin("https://cdap.example/cb", "https://cdap.example/"));
        assert!(!same_origin("https://cdap.example/cb", "https://cdap.example.evil/"));
        assert!(!same_origin("https://cdap.example/cb", "https://evil.example/cdap.example"));
    }
}
