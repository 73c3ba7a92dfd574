//! The business services' side (issue 13, R70): the caisse registers each service as a
//! client; a client authenticates with its secret and asks "may this person use my
//! service (in this role) now?". Answers come from the in-memory view (`crate::view`);
//! refusals are traced in the person's organisation's chain.

use subtle::ConstantTimeEq;

use crate::app::App;
use crate::error::{Error, Result};
use crate::reach::caisse_admin_of;
use crate::records::*;
use crate::store::*;
use crate::token;
use crate::trace::*;
use crate::values::*;
use crate::view::{Denial, Holding};

/// A client as the caisse types it.
#[derive(Debug, Clone, Default)]
pub struct ClientInput {
    pub service_code: String,
    /// The public identifier (`cdap`): lower-case letters, digits, `.`, `-`, `_`.
    pub client_id: String,
    pub name: String,
    /// Where the portal may send people back after signing in (absolute `https://`,
    /// or `http://` on the local machine).
    pub redirect_uris: Vec<String>,
    /// Its public keys (a JWKS) if it authenticates with signed assertions
    /// (`private_key_jwt`); empty for a secret only.
    pub jwks: String,
}

/// The answer of a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckAnswer {
    Allowed(Holding),
    Refused(Denial),
}

fn redirect_uri(raw: &str) -> Result<String> {
    let u = raw.trim();
    let local = ["http://localhost", "http://127.0.0.1"].iter().any(|p| u.starts_with(p));
    let ok = (u.starts_with("https://") || local) && !u.contains('#') && !u.contains(char::is_whitespace) && u.len() <= 2000;
    if ok { Ok(u.to_string()) } else { Err(Error::invalid("redirect_uris", ValueError::BadFormat)) }
}

/// A client's public keys as the caisse pasted them: a JWKS (`{"keys": [...]}`) of EC
/// P-256 or RSA public keys, none holding a private part. Kept as compact JSON.
fn public_jwks(raw: &str) -> Result<Option<String>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let bad = || Error::invalid("jwks", ValueError::BadFormat);
    let v: serde_json::Value = serde_json::from_str(raw).map_err(|_| bad())?;
    let keys = v.get("keys").and_then(serde_json::Value::as_array).ok_or_else(bad)?;
    let usable = |k: &serde_json::Value| {
        let kty = k.get("kty").and_then(serde_json::Value::as_str);
        let private = ["d", "p", "q", "dp", "dq", "qi", "k"].iter().any(|f| k.get(f).is_some());
        !private && (kty == Some("RSA") && k.get("n").is_some() && k.get("e").is_some()
            || kty == Some("EC") && k.get("crv").and_then(serde_json::Value::as_str) == Some("P-256") && k.get("x").is_some() && k.get("y").is_some())
    };
    if keys.is_empty() || keys.len() > 10 || !keys.iter().all(usable) {
        return Err(bad());
    }
    Ok(Some(serde_json::json!({ "keys": keys }).to_string()))
}

impl<S: Store> App<S> {
    /// Register a business service as a client (caisse administrators). Returns the client
    /// and its secret, shown this once.
    pub async fn register_client(&self, actor: &Actor, input: &ClientInput, client: &ClientInfo) -> Result<(ServiceClient, String)> {
        caisse_admin_of(actor)?;
        self.register_client_in(Some(actor), input, client).await
    }

    /// The registered clients with their service's code (caisse administrators).
    pub async fn clients(&self, actor: &Actor) -> Result<Vec<(ServiceClient, String)>> {
        caisse_admin_of(actor)?;
        let mut tx = self.store.read().await?;
        let services = tx.services().await?;
        Ok(tx
            .clients()
            .await?
            .into_iter()
            .map(|c| {
                let code = services.iter().find(|s| s.id == c.service_id).map(|s| s.code.clone()).unwrap_or_default();
                (c, code)
            })
            .collect())
    }

    /// The same for the operator (CLI) and the demo.
    pub async fn register_client_as_operator(&self, input: &ClientInput) -> Result<(ServiceClient, String)> {
        self.register_client_in(None, input, &ClientInfo::default()).await
    }

    async fn register_client_in(&self, actor: Option<&Actor>, input: &ClientInput, client: &ClientInfo) -> Result<(ServiceClient, String)> {
        let client_id = Login::parse(&input.client_id).map_err(|p| Error::invalid("client_id", p))?.as_str().to_string();
        let name = DisplayName::parse(&input.name).map_err(|p| Error::invalid("name", p))?;
        let uris = input.redirect_uris.iter().filter(|u| !u.trim().is_empty()).map(|u| redirect_uri(u)).collect::<Result<Vec<_>>>()?;
        let jwks = public_jwks(&input.jwks)?;
        let mut tx = self.store.begin().await?;
        let service = tx.service_by_code(input.service_code.trim()).await?.ok_or(Error::invalid("service", ValueError::BadFormat))?;
        if tx.client_by_client_id(&client_id).await?.is_some() {
            return Err(Error::Taken("identifiant de client"));
        }
        let secret = token::new_token();
        let c = ServiceClient {
            id: ClientId::new(),
            client_id,
            name: name.as_str().into(),
            service_id: service.id,
            secret_digest: token::digest(&secret),
            redirect_uris: uris,
            jwks,
            created_at: self.now(),
            disabled_at: None,
        };
        tx.insert_client(&c).await?;
        let detail = format!("{} — service {}", c.name, service.code);
        match actor {
            Some(a) => self.trace_action(&mut tx, a, "client.register", c.client_id.clone(), Some(detail), client).await?,
            None => {
                let mut e = TraceEntry::new(self.now(), "client.register", Outcome::Success, client);
                e.target = Some(c.client_id.clone());
                e.detail = Some(format!("{detail} (par l'exploitant)"));
                tx.append_trace(&e).await?;
            }
        }
        tx.commit().await?;
        Ok((c, secret))
    }

    /// Give a client a new secret (the operator; the demo at each start). `secret`: the one
    /// to set, or `None` for a new random one. Returns it. Traced.
    pub async fn rotate_client_secret_as_operator(&self, client_id: &str, secret: Option<&str>) -> Result<String> {
        let secret = secret.map(str::to_string).unwrap_or_else(token::new_token);
        let mut tx = self.store.begin().await?;
        if !tx.set_client_secret(client_id, &token::digest(&secret)).await? {
            return Err(Error::NotFound);
        }
        let mut e = TraceEntry::new(self.now(), "client.secret", Outcome::Success, &ClientInfo::default());
        e.target = Some(client_id.to_string());
        e.detail = Some("nouveau secret (par l'exploitant)".into());
        tx.append_trace(&e).await?;
        tx.commit().await?;
        Ok(secret)
    }

    /// The client `client_id` if `secret` is its own (compared in constant time); any
    /// other answer is "not authenticated".
    pub async fn authenticate_client(&self, client_id: &str, secret: &str) -> Result<std::sync::Arc<ServiceClient>> {
        self.view.ensure_started(&self.store).await?;
        let found = self.view.read(|s| s.client(client_id));
        let zero = [0u8; 32];
        let expected: &[u8] = found.as_ref().map(|c| c.secret_digest.as_slice()).unwrap_or(&zero);
        // The digest on the stack: this runs for every call of a service.
        let digest = <sha2::Sha256 as sha2::Digest>::digest(secret.as_bytes());
        let same: bool = digest.as_slice().ct_eq(expected).into();
        match found {
            Some(c) if same => Ok(c),
            _ => Err(Error::NotAuthenticated),
        }
    }

    /// May `person` (a login or an account id) use `client`'s service now in `role`? Without
    /// a role: which roles do they hold on it now (perhaps none)? A refusal is traced.
    pub async fn check_access(&self, client: &ServiceClient, person: &str, role: Option<&str>, info: &ClientInfo) -> Result<CheckAnswer> {
        self.view.ensure_started(&self.store).await?;
        // This process's committed changes are seen by the next check.
        self.view.catch_up(self.store.rights_version()).await;
        let now = self.now();
        let decided = self.view.read(|s| s.decide_at(person, client.service_id, role, now));
        match decided {
            // Without a role, the answer lists the roles held (perhaps none). Each grant
            // that answers is noted as used (written in batches).
            Ok(h) => {
                self.view.note_uses(h.roles.iter().map(|(_, g)| *g), self.now());
                Ok(CheckAnswer::Allowed(h))
            }
            Err(d) => {
                let org = self.view.read(|s| s.organisation_of(person));
                self.refused(client, person, org, d, info).await
            }
        }
    }

    async fn refused(&self, client: &ServiceClient, person: &str, org: Option<OrganisationId>, d: Denial, info: &ClientInfo) -> Result<CheckAnswer> {
        let mut e = TraceEntry::new(self.now(), "service.check", Outcome::Refused, info);
        e.organisation_id = org;
        e.target = Some(person.chars().take(128).collect());
        e.detail = Some(format!("client {} : {}", client.client_id, d.words()));
        // With the refusals of the same moment, in one transaction; answered once written.
        self.traces.append(&self.store, e).await?;
        Ok(CheckAnswer::Refused(d))
    }
}

/// A stable code for a refusal (API and traces).
pub fn denial_code(d: &Denial) -> &'static str {
    d.code()
}
