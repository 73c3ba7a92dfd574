//! The audit trail (R60–R64): what a trace says, and how each record is sealed to the one
//! before it so that any edit, deletion or reordering is detected.
//!
//! Records form one chain per organisation (plus one for events without an organisation),
//! so appending never serialises all traffic behind a single lock. Each record's seal is
//! HMAC-SHA256(key, previous seal ‖ canonical bytes of the record); without the key, a
//! person with write access to the database cannot forge a consistent chain.

use hmac::{KeyInit, Mac};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::clock::to_micros;
use crate::records::{AccountId, Actor, OrganisationId, SessionId};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// How an action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Done.
    Success,
    /// Attempted and failed (wrong password, invalid input…).
    Failure,
    /// Refused by a rule (forbidden, throttled, CSRF…).
    Refused,
}

impl Outcome {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Refused => "refused",
        }
    }
}

/// Where a request came from.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub addr: Option<String>,
    pub user_agent: Option<String>,
}

/// One event to record: when, who, organisation, session, address, browser, action,
/// target, outcome (R60).
#[derive(Debug, Clone)]
pub struct TraceEntry {
    pub id: Uuid,
    pub at: OffsetDateTime,
    pub actor_id: Option<AccountId>,
    pub actor_login: Option<String>,
    pub organisation_id: Option<OrganisationId>,
    pub session_id: Option<SessionId>,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
    /// Dotted name, e.g. `session.login`, `http.read`, `account.create`.
    pub action: String,
    pub target: Option<String>,
    pub outcome: Outcome,
    /// Free detail, never a secret.
    pub detail: Option<String>,
}

impl TraceEntry {
    /// A new entry with no actor yet.
    pub fn new(at: OffsetDateTime, action: &str, outcome: Outcome, client: &ClientInfo) -> Self {
        TraceEntry {
            id: Uuid::now_v7(),
            at,
            actor_id: None,
            actor_login: None,
            organisation_id: None,
            session_id: None,
            client_addr: client.addr.clone(),
            user_agent: client.user_agent.as_ref().map(|u| truncate(u, 512)),
            action: action.to_string(),
            target: None,
            outcome,
            detail: None,
        }
    }
    /// Fill the "who" part of the entry with `actor`, in the actor's own organisation's
    /// chain. (Actions taken for a partner go to the partner's chain through
    /// `App::trace_action`, which checks that the partner is really in reach.)
    pub fn stamp(&mut self, actor: &Actor) {
        self.actor_id = Some(actor.account.id);
        self.actor_login = Some(actor.account.login.clone());
        self.organisation_id = Some(actor.organisation.id);
        self.session_id = Some(actor.session.id);
    }

    /// The chain this entry belongs to: its organisation's, or the nil chain.
    pub fn chain_id(&self) -> Uuid {
        self.organisation_id.map(|o| o.0).unwrap_or(Uuid::nil())
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// A stored record: the entry, its place in its chain and its seal.
#[derive(Debug, Clone)]
pub struct TraceRecord {
    pub entry: TraceEntry,
    pub chain_id: Uuid,
    pub seq: i64,
    pub prev_seal: Vec<u8>,
    pub seal: Vec<u8>,
}

/// The seal of the (empty) start of every chain.
pub const GENESIS_SEAL: [u8; 32] = [0u8; 32];

/// The secret that seals the trail. Keep it off the database host.
#[derive(Clone)]
pub struct TraceKey([u8; 32]);

impl std::fmt::Debug for TraceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TraceKey(…)")
    }
}

impl TraceKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        TraceKey(bytes)
    }
    /// A key from 64 hexadecimal characters (surrounding whitespace ignored).
    pub fn from_hex(s: &str) -> Option<Self> {
        let v = hex::decode(s.trim()).ok()?;
        let arr: [u8; 32] = v.try_into().ok()?;
        Some(TraceKey(arr))
    }
    /// A fresh random key.
    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        rand::fill(&mut k);
        TraceKey(k)
    }
    /// The key as hexadecimal, for writing the key file.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The seal of `entry` at position `seq` of `chain_id`, after `prev_seal`.
    pub fn seal(&self, chain_id: Uuid, seq: i64, prev_seal: &[u8], entry: &TraceEntry) -> Vec<u8> {
        let mut mac = match HmacSha256::new_from_slice(&self.0) {
            Ok(m) => m,
            // A 32-byte key is always accepted by HMAC; keep a defined result regardless.
            Err(_) => return Vec::new(),
        };
        let mut put = |b: Option<&[u8]>| match b {
            Some(b) => {
                mac.update(&(b.len() as u64).to_be_bytes());
                mac.update(b);
            }
            None => mac.update(&u64::MAX.to_be_bytes()),
        };
        put(Some(b"habilis-trace-v1"));
        put(Some(prev_seal));
        put(Some(chain_id.as_bytes()));
        put(Some(&seq.to_be_bytes()));
        put(Some(entry.id.as_bytes()));
        put(Some(&to_micros(entry.at).to_be_bytes()));
        put(entry.actor_id.as_ref().map(|a| a.0.as_bytes().as_slice()));
        put(entry.actor_login.as_deref().map(str::as_bytes));
        put(entry.organisation_id.as_ref().map(|o| o.0.as_bytes().as_slice()));
        put(entry.session_id.as_ref().map(|s| s.0.as_bytes().as_slice()));
        put(entry.client_addr.as_deref().map(str::as_bytes));
        put(entry.user_agent.as_deref().map(str::as_bytes));
        put(Some(entry.action.as_bytes()));
        put(entry.target.as_deref().map(str::as_bytes));
        put(Some(entry.outcome.as_str().as_bytes()));
        put(entry.detail.as_deref().map(str::as_bytes));
        mac.finalize().into_bytes().to_vec()
    }

    /// Whether `record`'s seal is the one this key gives, compared in constant time.
    pub fn check(&self, record: &TraceRecord) -> bool {
        use subtle::ConstantTimeEq;
        let expected = self.seal(record.chain_id, record.seq, &record.prev_seal, &record.entry);
        expected.ct_eq(&record.seal).into()
    }
}


/// What the trace viewer asks for (R62). Empty fields do not filter; results come newest
/// first, `limit` at a time, after the `before` cursor.
#[derive(Debug, Clone, Default)]
pub struct TraceQuery {
    /// The chains (organisations; nil for events without one) the reader may see. Never
    /// empty when built by the viewer: the reader's rights decide it.
    pub chains: Vec<Uuid>,
    /// From this instant (micros, inclusive) to that one (exclusive).
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// Who acted: a login (exact).
    pub actor_login: Option<String>,
    /// Who acted: an account (the right of access reads one person's traces).
    pub actor_id: Option<AccountId>,
    /// An action name or its prefix (`grant.` for every grant action).
    pub action: Option<String>,
    /// A target (exact).
    pub target: Option<String>,
    /// Any of these targets (a record's history: a person's login and id, their grants…);
    /// empty for no such filter.
    pub targets: Vec<String>,
    pub outcome: Option<Outcome>,
    pub session: Option<SessionId>,
    /// The (at micros, id) of the last record of the previous page.
    pub before: Option<(i64, Uuid)>,
    /// Leave out consultations and connections (`labels::CONSULTATION_PREFIXES`).
    pub changes_only: bool,
    pub limit: i64,
}

/// The mark a purge leaves in a chain: "records 1..=seq were removed; the last one's seal
/// was `seal`", signed with the Ed25519 checkpoint key so that verification can resume
/// after the cut and nobody without the key can pretend a deletion was a purge (R64).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checkpoint {
    pub id: Uuid,
    pub chain_id: Uuid,
    pub seq: i64,
    #[serde(with = "hex_bytes")]
    pub seal: Vec<u8>,
    /// How many records this purge removed from the chain.
    pub removed: i64,
    /// Records older than this instant (micros) were due.
    pub cutoff_at: i64,
    pub created_at: i64,
    #[serde(with = "hex_bytes")]
    pub public_key: Vec<u8>,
    #[serde(with = "hex_bytes")]
    pub signature: Vec<u8>,
}

mod hex_bytes {
    use serde::Deserialize as _;

    pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        hex::decode(text).map_err(serde::de::Error::custom)
    }
}

/// A signed tip of the whole trail (R64): at `created_at`, the list of every chain with
/// its last sequence number (its count of records since genesis) and that record's seal,
/// signed with the Ed25519 checkpoint key. Exported periodically off the database, it lets
/// `audit verify` find what the seals alone cannot: the newest records of a chain removed
/// with its head rewound, or a whole chain deleted with its head. Nobody without the
/// signing key can make an older tip pass for a newer one, nor drop a chain from the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    pub created_at: i64,
    pub chains: Vec<AnchoredChain>,
    #[serde(with = "hex_bytes")]
    pub public_key: Vec<u8>,
    #[serde(with = "hex_bytes")]
    pub signature: Vec<u8>,
}

/// One chain as an anchor saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnchoredChain {
    pub chain_id: Uuid,
    pub seq: i64,
    #[serde(with = "hex_bytes")]
    pub seal: Vec<u8>,
}

impl Anchor {
    /// The bytes the signature covers: the instant, then every chain in `chain_id` order.
    pub fn message(&self) -> Vec<u8> {
        let mut m = b"habilis-anchor-v1".to_vec();
        m.extend_from_slice(&self.created_at.to_be_bytes());
        m.extend_from_slice(&(self.chains.len() as u64).to_be_bytes());
        for c in &self.chains {
            m.extend_from_slice(c.chain_id.as_bytes());
            m.extend_from_slice(&c.seq.to_be_bytes());
            m.extend_from_slice(&(c.seal.len() as u64).to_be_bytes());
            m.extend_from_slice(&c.seal);
        }
        m
    }
}

impl Checkpoint {
    /// The bytes the signature covers.
    pub fn message(&self) -> Vec<u8> {
        let mut m = b"habilis-checkpoint-v1".to_vec();
        m.extend_from_slice(self.id.as_bytes());
        m.extend_from_slice(self.chain_id.as_bytes());
        m.extend_from_slice(&self.seq.to_be_bytes());
        m.extend_from_slice(&(self.seal.len() as u64).to_be_bytes());
        m.extend_from_slice(&self.seal);
        m.extend_from_slice(&self.removed.to_be_bytes());
        m.extend_from_slice(&self.cutoff_at.to_be_bytes());
        m.extend_from_slice(&self.created_at.to_be_bytes());
        m
    }
}

/// The Ed25519 key that signs checkpoints. Its public half verifies them, also on a copy
/// of the checkpoints kept off the database host.
#[derive(Clone)]
pub struct CheckpointKey(ed25519_dalek::SigningKey);

impl std::fmt::Debug for CheckpointKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CheckpointKey(public {})", self.public_hex())
    }
}

impl CheckpointKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        rand::fill(&mut k);
        CheckpointKey(ed25519_dalek::SigningKey::from_bytes(&k))
    }
    /// A key from its 32-byte secret as hexadecimal (surrounding whitespace ignored).
    pub fn from_hex(s: &str) -> Option<Self> {
        let v = hex::decode(s.trim()).ok()?;
        let arr: [u8; 32] = v.try_into().ok()?;
        Some(CheckpointKey(ed25519_dalek::SigningKey::from_bytes(&arr)))
    }
    /// The secret as hexadecimal, for writing the key file.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.to_bytes())
    }
    /// The public key as hexadecimal.
    pub fn public_hex(&self) -> String {
        hex::encode(self.0.verifying_key().to_bytes())
    }
    /// The public half.
    pub fn public(&self) -> CheckpointVerifier {
        CheckpointVerifier(self.0.verifying_key())
    }
    /// Fill in the public key and the signature of `c`.
    pub fn sign(&self, c: &mut Checkpoint) {
        (c.public_key, c.signature) = self.sign_bytes(&c.message());
    }
    /// Fill in the public key and the signature of `a`.
    pub fn sign_anchor(&self, a: &mut Anchor) {
        a.chains.sort_by_key(|c| c.chain_id);
        (a.public_key, a.signature) = self.sign_bytes(&a.message());
    }
    /// Sign any message: (public key, signature), hexadecimal (the proofs of reviews).
    pub fn sign_message(&self, message: &[u8]) -> (String, String) {
        let (k, s) = self.sign_bytes(message);
        (hex::encode(k), hex::encode(s))
    }
    fn sign_bytes(&self, message: &[u8]) -> (Vec<u8>, Vec<u8>) {
        use ed25519_dalek::Signer;
        (self.0.verifying_key().to_bytes().to_vec(), self.0.sign(message).to_bytes().to_vec())
    }
}

/// The public key that checks checkpoints.
#[derive(Debug, Clone)]
pub struct CheckpointVerifier(ed25519_dalek::VerifyingKey);

impl CheckpointVerifier {
    /// From 64 hexadecimal characters.
    pub fn from_hex(s: &str) -> Option<Self> {
        let v = hex::decode(s.trim()).ok()?;
        let arr: [u8; 32] = v.try_into().ok()?;
        ed25519_dalek::VerifyingKey::from_bytes(&arr).ok().map(CheckpointVerifier)
    }
    /// Whether `c` was signed by this key's secret, as it stands.
    pub fn check(&self, c: &Checkpoint) -> bool {
        self.check_bytes(&c.message(), &c.signature)
    }
    /// Whether `a` was signed by this key's secret, as it stands.
    pub fn check_anchor(&self, a: &Anchor) -> bool {
        self.check_bytes(&a.message(), &a.signature)
    }
    /// Whether `signature_hex` is this key's signature of `message`.
    pub fn check_message(&self, message: &[u8], signature_hex: &str) -> bool {
        hex::decode(signature_hex.trim()).is_ok_and(|s| self.check_bytes(message, &s))
    }
    fn check_bytes(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(sig) = <[u8; 64]>::try_from(signature) else {
            return false;
        };
        self.0.verify_strict(message, &ed25519_dalek::Signature::from_bytes(&sig)).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> TraceEntry {
        TraceEntry::new(OffsetDateTime::UNIX_EPOCH, "session.login", Outcome::Success, &ClientInfo::default())
    }

    #[test]
    fn seal_depends_on_every_field_and_position() {
        let key = TraceKey::from_bytes([7; 32]);
        let e = entry();
        let base = key.seal(Uuid::nil(), 1, &GENESIS_SEAL, &e);
        assert_eq!(base.len(), 32);
        assert_ne!(base, key.seal(Uuid::nil(), 2, &GENESIS_SEAL, &e));
        let mut e2 = e.clone();
        e2.outcome = Outcome::Failure;
        assert_ne!(base, key.seal(Uuid::nil(), 1, &GENESIS_SEAL, &e2));
        let mut e3 = e.clone();
        e3.target = Some(String::new());
        assert_ne!(base, key.seal(Uuid::nil(), 1, &GENESIS_SEAL, &e3), "None and empty differ");
        let other = TraceKey::from_bytes([8; 32]);
        assert_ne!(base, other.seal(Uuid::nil(), 1, &GENESIS_SEAL, &e));
    }

    #[test]
    fn checkpoints_verify_only_as_signed_and_with_the_right_key() {
        let key = CheckpointKey::generate();
        let mut c = Checkpoint { id: Uuid::now_v7(), chain_id: Uuid::nil(), seq: 41, seal: vec![9; 32], removed: 41, cutoff_at: 5, created_at: 6, public_key: vec![], signature: vec![] };
        key.sign(&mut c);
        assert!(key.public().check(&c));
        let again = CheckpointKey::from_hex(&key.to_hex()).unwrap();
        assert_eq!(again.public_hex(), key.public_hex());
        assert!(CheckpointVerifier::from_hex(&key.public_hex()).unwrap().check(&c));
        let mut moved = c.clone();
        moved.seq = 42;
        assert!(!key.public().check(&moved), "a moved cut no longer verifies");
        assert!(!CheckpointKey::generate().public().check(&c), "another key does not verify it");
    }

    #[test]
    fn anchors_verify_only_as_signed_and_survive_their_json_form() {
        let key = CheckpointKey::generate();
        let chain = |n: u8, seq| AnchoredChain { chain_id: Uuid::from_bytes([n; 16]), seq, seal: vec![n; 32] };
        let mut a = Anchor { created_at: 7, chains: vec![chain(2, 5), chain(1, 9)], public_key: vec![], signature: vec![] };
        key.sign_anchor(&mut a);
        assert!(key.public().check_anchor(&a));
        let back: Anchor = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert_eq!(back, a);
        let mut shorter = a.clone();
        shorter.chains[0].seq -= 1;
        assert!(!key.public().check_anchor(&shorter), "a rewound tip no longer verifies");
        let mut fewer = a.clone();
        fewer.chains.pop();
        assert!(!key.public().check_anchor(&fewer), "a dropped chain no longer verifies");
        assert!(!CheckpointKey::generate().public().check_anchor(&a), "another key does not verify it");
    }
}
