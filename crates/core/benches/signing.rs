//! Cost of one ES256 signature and one verification of an access token (the token
//! endpoint signs two per renewal). Run: `cargo bench -p habilis-core --bench signing`

use std::time::Instant;

use habilis_core::jose::{SigningKey, decode};
use serde_json::json;

fn main() {
    let (kid, der) = SigningKey::generate().expect("a P-256 key");
    let key = SigningKey::from_pkcs8(&kid, &der).expect("the key just made");
    let claims = json!({ "iss": "http://127.0.0.1:8080", "sub": "bench", "aud": "bench", "exp": 1, "iat": 1, "jti": "x", "scope": "check" });
    let n = 2000;
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(key.sign("at+jwt", &claims));
    }
    println!("ES256 sign: {:.1} µs", t.elapsed().as_secs_f64() * 1e6 / f64::from(n));
    let jwt = key.sign("at+jwt", &claims).expect("signed");
    let jwk = key.public_jwk();
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(decode(&jwt).and_then(|d| d.verify_with(&jwk).cloned()).is_some());
    }
    println!("ES256 verify: {:.1} µs", t.elapsed().as_secs_f64() * 1e6 / f64::from(n));
}
