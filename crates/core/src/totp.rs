//! One-time codes of the second factor (R51, contract Art. 5.2): TOTP as RFC 6238 defines
//! it with the parameters every authenticator application understands (HMAC-SHA1, 6
//! digits, 30-second steps), the `otpauth://` address that enrols an application, and the
//! single-use recovery codes given at enrolment.

use hmac::{KeyInit, Mac};
use subtle::ConstantTimeEq;

type HmacSha1 = hmac::Hmac<sha1::Sha1>;

/// Seconds per step.
pub const STEP_SECS: i64 = 30;
/// Digits per code.
pub const DIGITS: u32 = 6;
/// Steps accepted either side of now (clock drift of the person's phone).
pub const WINDOW: i64 = 1;
/// Recovery codes given at enrolment.
pub const RECOVERY_CODES: usize = 10;

/// A new random secret (160 bits, the size RFC 4226 recommends).
pub fn new_secret() -> Vec<u8> {
    let mut s = [0u8; 20];
    rand::fill(&mut s);
    s.to_vec()
}

/// The step an instant (Unix seconds) falls in.
pub fn step_of(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(STEP_SECS)
}

/// The code of `secret` for `step` (RFC 4226 HOTP with the step as counter).
pub fn code_at(secret: &[u8], step: i64) -> u32 {
    // HMAC accepts a key of any length; the fallback is never taken.
    let Ok(mut mac) = <HmacSha1 as KeyInit>::new_from_slice(secret) else {
        return 0;
    };
    mac.update(&(step as u64).to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = h.last().map_or(0, |b| (b & 0x0f) as usize);
    let word: [u8; 4] = h.get(offset..offset + 4).and_then(|w| w.try_into().ok()).unwrap_or([0; 4]);
    (u32::from_be_bytes(word) & 0x7fff_ffff) % 10u32.pow(DIGITS)
}

/// The step within the window around `unix_secs` whose code is `code` (6 digits, spaces
/// ignored), if any. Every candidate is compared, in constant time.
pub fn matching_step(secret: &[u8], code: &str, unix_secs: i64) -> Option<i64> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != DIGITS as usize || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let now = step_of(unix_secs);
    let mut found = None;
    for step in now - WINDOW..=now + WINDOW {
        let expected = format!("{:0width$}", code_at(secret, step), width = DIGITS as usize);
        if bool::from(expected.as_bytes().ct_eq(digits.as_bytes())) {
            found = Some(step);
        }
    }
    found
}

/// RFC 4648 base32 without padding: how applications take the secret by hand.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | b as u32;
        bits += 8;
        while bits >= 5 {
            out.push(letter(ALPHABET, buffer >> (bits - 5)));
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(letter(ALPHABET, buffer << (5 - bits)));
    }
    out
}

/// The letter of `alphabet` (32 letters) for the low five bits of `v`.
fn letter(alphabet: &[u8; 32], v: u32) -> char {
    alphabet.get((v & 31) as usize).map_or('A', |b| *b as char)
}

/// The `otpauth://` address an application reads (from a link or a QR code).
pub fn uri(issuer: &str, login: &str, secret: &[u8]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
                other => format!("%{other:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        enc(issuer),
        enc(login),
        base32(secret),
        enc(issuer)
    )
}

/// New recovery codes, as shown once to the person: ten groups `XXXX-XXXX-XX` of letters
/// and digits without the ambiguous ones (about 50 bits each).
pub fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut raw = [0u8; 10];
            rand::fill(&mut raw);
            let mut code = String::with_capacity(12);
            for (i, b) in raw.iter().enumerate() {
                if i == 4 || i == 8 {
                    code.push('-');
                }
                code.push(letter(ALPHABET, *b as u32));
            }
            code
        })
        .collect()
}

/// What a recovery code is compared as: letters and digits only, upper case.
pub fn normalise_recovery_code(code: &str) -> String {
    code.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B (SHA-1 rows), truncated to 6 digits as applications show them.
    #[test]
    fn rfc6238_vectors() {
        let secret = b"12345678901234567890";
        for (t, eight_digits) in [
            (59, 94287082u32),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ] {
            assert_eq!(code_at(secret, step_of(t)), eight_digits % 1_000_000, "t = {t}");
        }
    }

    #[test]
    fn the_window_accepts_one_step_of_drift_and_no_more() {
        let secret = new_secret();
        let now = 1_800_000_000;
        let code = |s: i64| format!("{:06}", code_at(&secret, s));
        let here = step_of(now);
        assert_eq!(matching_step(&secret, &code(here), now), Some(here));
        assert_eq!(matching_step(&secret, &code(here - 1), now), Some(here - 1));
        assert_eq!(matching_step(&secret, &code(here + 1), now), Some(here + 1));
        let far = code(here - 2);
        if ![code(here - 1), code(here), code(here + 1)].contains(&far) {
            assert_eq!(matching_step(&secret, &far, now), None);
        }
        assert_eq!(matching_step(&secret, "12345", now), None);
        assert_eq!(matching_step(&secret, "abcdef", now), None);
        let spaced = format!("{} {}", &code(here)[..3], &code(here)[3..]);
        assert_eq!(matching_step(&secret, &spaced, now), Some(here));
    }

    #[test]
    fn base32_and_the_enrolment_address() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"12345678901234567890"), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        let u = uri("Habilis Caf", "mons.admin", b"12345678901234567890");
        assert_eq!(
            u,
            "otpauth://totp/Habilis%20Caf:mons.admin?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Habilis%20Caf&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn recovery_codes_are_distinct_and_normalise() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), RECOVERY_CODES);
        assert_eq!(normalise_recovery_code(" abcd-efgh-jk "), "ABCDEFGHJK");
    }
}
