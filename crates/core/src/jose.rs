//! JSON Web Tokens and keys for the OpenID Connect provider (issue 13): ES256 signatures
//! (ECDSA P-256 with SHA-256, RFC 7518 §3.4) made with `ring`, which the TLS stack already
//! brings, so no other cryptographic library is compiled. Verification accepts ES256 and
//! RS256 (a business service's own keys for `private_key_jwt`); the algorithm must match
//! the key's type, and `none` is never accepted.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// base64url without padding.
pub fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

/// The PKCE S256 transformation (RFC 7636 §4.2): base64url(SHA-256(verifier)).
pub fn pkce_s256(verifier: &str) -> String {
    b64(&Sha256::digest(verifier.as_bytes()))
}

/// A signing key of the provider: its id, the key pair, its public JWK.
pub struct SigningKey {
    pub kid: String,
    pair: EcdsaKeyPair,
    rng: SystemRandom,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A new P-256 key: its id (derived from the public key) and its PKCS#8 document, which
    /// is what the database keeps.
    pub fn generate() -> Option<(String, Vec<u8>)> {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).ok()?;
        let key = Self::from_pkcs8_unnamed(doc.as_ref())?;
        let kid = b64(Sha256::digest(key.pair.public_key().as_ref()).get(..12)?);
        Some((kid, doc.as_ref().to_vec()))
    }

    fn from_pkcs8_unnamed(der: &[u8]) -> Option<Self> {
        let rng = SystemRandom::new();
        let pair = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der, &rng).ok()?;
        Some(SigningKey { kid: String::new(), pair, rng })
    }

    /// The key stored as `der` under `kid`.
    pub fn from_pkcs8(kid: &str, der: &[u8]) -> Option<Self> {
        let mut k = Self::from_pkcs8_unnamed(der)?;
        k.kid = kid.to_string();
        Some(k)
    }

    /// The public half as a JWK (RFC 7517), for the JWKS document.
    pub fn public_jwk(&self) -> Value {
        let point = self.pair.public_key().as_ref();
        // Uncompressed point: 0x04 ‖ x (32 bytes) ‖ y (32 bytes).
        json!({
            "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": self.kid,
            "x": point.get(1..33).map(b64), "y": point.get(33..65).map(b64),
        })
    }

    /// A signed JWT (compact form) of `claims`, typed `typ` (`JWT`, `at+jwt`…).
    pub fn sign(&self, typ: &str, claims: &Value) -> Option<String> {
        let header = json!({ "alg": "ES256", "typ": typ, "kid": self.kid });
        let mut input = b64(&serde_json::to_vec(&header).ok()?);
        input.push('.');
        input.push_str(&b64(&serde_json::to_vec(claims).ok()?));
        let sig = self.pair.sign(&self.rng, input.as_bytes()).ok()?;
        input.push('.');
        input.push_str(&b64(sig.as_ref()));
        Some(input)
    }
}

/// A JWT split into its parts, not yet verified.
pub struct Unverified<'a> {
    pub header: Value,
    pub claims: Value,
    signing_input: &'a str,
    signature: Vec<u8>,
}

/// Split a compact JWT; `None` if it is not one.
pub fn decode(jwt: &str) -> Option<Unverified<'_>> {
    if jwt.len() > 16 * 1024 {
        return None;
    }
    let mut parts = jwt.split('.');
    let (h, c, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: Value = serde_json::from_slice(&B64.decode(h).ok()?).ok()?;
    let claims: Value = serde_json::from_slice(&B64.decode(c).ok()?).ok()?;
    let signature = B64.decode(s).ok()?;
    Some(Unverified { header, claims, signing_input: &jwt[..h.len() + 1 + c.len()], signature })
}

impl Unverified<'_> {
    /// The claims, if the signature is one of `key`'s (a JWK) with the algorithm the header
    /// names, which must suit the key: ES256 with an EC P-256 key, RS256 with an RSA key.
    pub fn verify_with(&self, key: &Value) -> Option<&Value> {
        let alg = self.header.get("alg")?.as_str()?;
        if let Some(want) = key.get("alg").and_then(Value::as_str)
            && want != alg
        {
            return None;
        }
        let field = |name: &str| key.get(name).and_then(Value::as_str).and_then(|v| B64.decode(v).ok());
        let msg = self.signing_input.as_bytes();
        let ok = match (alg, key.get("kty").and_then(Value::as_str)?) {
            ("ES256", "EC") if key.get("crv").and_then(Value::as_str) == Some("P-256") => {
                let (x, y) = (field("x")?, field("y")?);
                if x.len() != 32 || y.len() != 32 {
                    return None;
                }
                let mut point = Vec::with_capacity(65);
                point.push(4);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point).verify(msg, &self.signature).is_ok()
            }
            ("RS256", "RSA") => {
                let (n, e) = (field("n")?, field("e")?);
                signature::RsaPublicKeyComponents { n, e }.verify(&signature::RSA_PKCS1_2048_8192_SHA256, msg, &self.signature).is_ok()
            }
            _ => false,
        };
        ok.then_some(&self.claims)
    }

    /// The claims, if signed by one of `keys` (the one named by `kid` when the header names
    /// one).
    pub fn verify_with_any<'k>(&self, keys: impl IntoIterator<Item = &'k Value>) -> Option<&Value> {
        let kid = self.header.get("kid").and_then(Value::as_str);
        keys.into_iter()
            .filter(|k| kid.is_none() || k.get("kid").and_then(Value::as_str) == kid)
            .find_map(|k| self.verify_with(k).map(|_| ()))
            .map(|()| &self.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_with_its_key_only() {
        let (kid, der) = SigningKey::generate().unwrap();
        let key = SigningKey::from_pkcs8(&kid, &der).unwrap();
        let jwt = key.sign("JWT", &json!({ "sub": "x", "n": 1 })).unwrap();
        let t = decode(&jwt).unwrap();
        assert_eq!(t.header["kid"], kid.as_str());
        assert_eq!(t.verify_with(&key.public_jwk()).unwrap()["sub"], "x");

        let (kid2, der2) = SigningKey::generate().unwrap();
        let other = SigningKey::from_pkcs8(&kid2, &der2).unwrap();
        assert!(t.verify_with(&other.public_jwk()).is_none());
        assert!(t.verify_with_any([&other.public_jwk(), &key.public_jwk()]).is_some());

        // A changed claim breaks the signature.
        let parts: Vec<&str> = jwt.split('.').collect();
        let forged = format!("{}.{}.{}", parts[0], b64(br#"{"sub":"y","n":1}"#), parts[2]);
        assert!(decode(&forged).unwrap().verify_with(&key.public_jwk()).is_none());
    }

    #[test]
    fn the_algorithm_must_suit_the_key_and_none_is_refused() {
        let (kid, der) = SigningKey::generate().unwrap();
        let key = SigningKey::from_pkcs8(&kid, &der).unwrap();
        let jwt = key.sign("JWT", &json!({ "sub": "x" })).unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        for alg in ["none", "RS256", "HS256"] {
            let h = b64(format!(r#"{{"alg":"{alg}","kid":"{kid}"}}"#).as_bytes());
            let t = format!("{h}.{}.{}", parts[1], parts[2]);
            assert!(decode(&t).unwrap().verify_with(&key.public_jwk()).is_none(), "{alg}");
        }
        let unsigned = format!("{}.{}.", b64(br#"{"alg":"none"}"#), parts[1]);
        assert!(decode(&unsigned).unwrap().verify_with(&key.public_jwk()).is_none());
        assert!(decode("a.b").is_none());
    }

    #[test]
    fn pkce_matches_the_rfc_example() {
        // RFC 7636, Appendix B.
        assert_eq!(pkce_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }
}
