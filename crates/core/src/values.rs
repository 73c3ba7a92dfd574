//! Value types that can only exist once parsed: a `Login`, an `Email`, a `Siret`.

use std::fmt;

/// Why a value was refused; the web layer turns each into a sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueError {
    /// Nothing was given.
    Empty,
    /// Longer than the given number of characters.
    TooLong(usize),
    /// Shorter than the given number of characters.
    TooShort(usize),
    /// Contains characters outside the allowed set.
    BadCharacters,
    /// Not in the expected shape (e.g. an email without `@`).
    BadFormat,
    /// A SIRET must have exactly 14 digits.
    SiretLength,
    /// The SIRET's Luhn checksum does not hold.
    SiretChecksum,
    /// A convention number is `YYYY-` followed by the 14 digits of the SIRET.
    ConventionFormat,
    /// The convention number's SIRET is not the partner's.
    ConventionSiretMismatch,
    /// Not a date (expected YYYY-MM-DD).
    BadDate,
    /// A date before another that it must follow (e.g. effect before signature).
    DateOrder,
    /// A number out of range.
    OutOfRange,
    /// A value that cannot be changed once set (a login).
    Fixed,
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

/// A sign-in name: 2 to 64 characters among lower-case ASCII letters, digits, `.`, `-`,
/// `_` and `@`; stored lower-case so that `Claire.Martin` and `claire.martin` are one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Login(String);

impl Login {
    /// Parse a login typed by a person (surrounding spaces ignored, case folded).
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let s = raw.trim().to_lowercase();
        if s.is_empty() {
            return Err(ValueError::Empty);
        }
        if s.chars().count() > 64 {
            return Err(ValueError::TooLong(64));
        }
        if s.chars().count() < 2 {
            return Err(ValueError::TooShort(2));
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_@".contains(c))
        {
            return Err(ValueError::BadCharacters);
        }
        Ok(Login(s))
    }
    /// The normalised text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An email address, checked for shape only (one `@`, a dot in the domain, no spaces).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Parse an address typed by a person.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(ValueError::Empty);
        }
        if s.len() > 254 {
            return Err(ValueError::TooLong(254));
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err(ValueError::BadFormat);
        };
        let ok = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && !s.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>');
        if !ok {
            return Err(ValueError::BadFormat);
        }
        Ok(Email(s.to_string()))
    }
    /// The address as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's or organisation's display name: 1 to 200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Parse a name typed by a person.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let s = raw.trim();
        // A name of zero-width characters only shows as nothing: it is empty.
        if s.chars().all(|c| c.is_whitespace() || is_invisible(c)) {
            return Err(ValueError::Empty);
        }
        if s.chars().count() > 200 {
            return Err(ValueError::TooLong(200));
        }
        if s.chars().any(|c| c.is_control() || is_bidi_control(c)) {
            return Err(ValueError::BadCharacters);
        }
        Ok(DisplayName(s.to_string()))
    }
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A French establishment number: 14 digits whose Luhn checksum holds.
///
/// La Poste's establishments (SIREN 356000000) follow another rule (digit sum divisible
/// by 5), which is accepted too.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Siret(String);

impl Siret {
    /// Parse a SIRET, ignoring spaces typed between digit groups.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let s: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        if s.is_empty() {
            return Err(ValueError::Empty);
        }
        if s.len() != 14 || !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(ValueError::SiretLength);
        }
        let digits: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
        let luhn_ok = luhn_sum(&digits).is_multiple_of(10);
        let la_poste_ok = s.starts_with("356000000") && digits.iter().sum::<u32>().is_multiple_of(5);
        if !(luhn_ok || la_poste_ok) {
            return Err(ValueError::SiretChecksum);
        }
        Ok(Siret(s))
    }
    /// The 14 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn luhn_sum(digits: &[u32]) -> u32 {
    digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siret_of_the_contract_example_is_valid() {
        assert!(Siret::parse("21590410300011").is_ok());
        assert!(Siret::parse("215 904 103 00011").is_ok());
    }

    #[test]
    fn siret_rules_are_told_apart() {
        assert_eq!(Siret::parse("21590410300012"), Err(ValueError::SiretChecksum));
        assert_eq!(Siret::parse("2159041030001"), Err(ValueError::SiretLength));
        assert_eq!(Siret::parse("2159041030001A"), Err(ValueError::SiretLength));
        assert_eq!(Siret::parse(""), Err(ValueError::Empty));
    }

    #[test]
    fn login_is_folded_and_checked() {
        assert_eq!(Login::parse("  Mons.Admin ").map(|l| l.0), Ok("mons.admin".into()));
        assert_eq!(Login::parse("a b"), Err(ValueError::BadCharacters));
        assert_eq!(Login::parse("x"), Err(ValueError::TooShort(2)));
        assert_eq!(Login::parse(""), Err(ValueError::Empty));
    }

    #[test]
    fn email_shape() {
        assert!(Email::parse("claire.martin@mairie-mons.fr").is_ok());
        assert_eq!(Email::parse("claire"), Err(ValueError::BadFormat));
        assert_eq!(Email::parse("a@b"), Err(ValueError::BadFormat));
        assert_eq!(Email::parse("a b@c.fr"), Err(ValueError::BadFormat));
    }
}

/// A convention number: the year, a dash, and the partner's SIRET (`2017-21590410300011`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConventionNumber(String);

impl ConventionNumber {
    /// Parse a number and check that it names this partner's SIRET.
    pub fn parse(raw: &str, partner_siret: &str) -> Result<Self, ValueError> {
        let s: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        if s.is_empty() {
            return Err(ValueError::Empty);
        }
        let Some((year, siret)) = s.split_once('-') else {
            return Err(ValueError::ConventionFormat);
        };
        let year_ok = year.len() == 4 && year.chars().all(|c| c.is_ascii_digit()) && year >= "1990";
        if !year_ok || Siret::parse(siret).is_err() {
            return Err(ValueError::ConventionFormat);
        }
        if siret != partner_siret {
            return Err(ValueError::ConventionSiretMismatch);
        }
        Ok(ConventionNumber(s))
    }
    /// The number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Parse a calendar date typed as `YYYY-MM-DD` (the format of HTML date inputs).
pub fn parse_date(raw: &str) -> Result<time::Date, ValueError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(ValueError::Empty);
    }
    let d = time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).map_err(|_| ValueError::BadDate)?;
    // Dates of this product's world only (and far from the calendar's ends).
    if !(1900..=2999).contains(&d.year()) {
        return Err(ValueError::BadDate);
    }
    Ok(d)
}

/// Parse an optional free text: trimmed, `None` when empty, at most `max` characters.
pub fn optional_text(raw: &str, max: usize) -> Result<Option<String>, ValueError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.chars().count() > max {
        return Err(ValueError::TooLong(max));
    }
    if s.chars().any(|c| (c.is_control() && c != '\n' && c != '\r' && c != '\t') || is_bidi_control(c)) {
        return Err(ValueError::BadCharacters);
    }
    if s.chars().all(|c| c.is_whitespace() || is_invisible(c)) {
        return Ok(None);
    }
    Ok(Some(s.to_string()))
}

/// Characters that show as nothing (zero-width space, joiners, word joiner, BOM).
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// Bidirectional embeddings, overrides and isolates: they reorder what is displayed after
/// them (a name, a login in a trace), so that a text reads other than it is.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod more_tests {
    use super::*;

    #[test]
    fn invisible_names_and_bidi_overrides_are_refused() {
        assert_eq!(DisplayName::parse("\u{200B}\u{200D} \u{FEFF}"), Err(ValueError::Empty));
        assert_eq!(DisplayName::parse("Claire \u{202E}nimda"), Err(ValueError::BadCharacters));
        assert_eq!(DisplayName::parse("a\u{2066}b"), Err(ValueError::BadCharacters));
        assert_eq!(optional_text("x\u{202D}y", 50), Err(ValueError::BadCharacters));
        assert_eq!(optional_text("\u{200B}", 50), Ok(None));
        // Letters of any script, and joiners inside a word, stay.
        assert!(DisplayName::parse("Hélène d'Argent").is_ok());
        assert!(DisplayName::parse("نور\u{200C}الدين").is_ok());
    }

    #[test]
    fn convention_numbers_name_the_partner() {
        assert!(ConventionNumber::parse("2017-21590410300011", "21590410300011").is_ok());
        assert_eq!(
            ConventionNumber::parse("2017-21590410300011", "73282932000074"),
            Err(ValueError::ConventionSiretMismatch)
        );
        assert_eq!(ConventionNumber::parse("17-21590410300011", "21590410300011"), Err(ValueError::ConventionFormat));
        assert_eq!(ConventionNumber::parse("2017-21590410300012", "21590410300011"), Err(ValueError::ConventionFormat));
        assert_eq!(ConventionNumber::parse("2017", "21590410300011"), Err(ValueError::ConventionFormat));
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("2017-05-11").map(|d| d.to_string()), Ok("2017-05-11".into()));
        assert_eq!(parse_date("11/05/2017"), Err(ValueError::BadDate));
        assert_eq!(parse_date("2017-02-30"), Err(ValueError::BadDate));
        assert_eq!(optional_text("  ", 10), Ok(None));
        assert_eq!(optional_text("abcdefghijk", 10), Err(ValueError::TooLong(10)));
    }
}

/// Why a new password was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    /// Too short for the account's kind; carries the minimum that applies with the classes
    /// used (so the message can say "at least N characters").
    TooShort { min_four_classes: usize, min_three_classes: usize },
    /// Uses fewer than three character classes.
    TooFewClasses,
    /// Appears in the list of common passwords, or is built on the login or the name.
    TooCommon,
    /// Longer than 256 characters.
    TooLong,
    /// The same as the current password: a change (forced or not) must change it.
    SameAsCurrent,
}

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, a tab or a carriage
/// return first, in either width) starts with an apostrophe instead.
pub fn defuse(v: &str) -> String {
    if v.starts_with(['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠']) { format!("'{v}") } else { v.to_string() }
}

/// One CSV line as French spreadsheets read it: `;`-separated, cells defused, quoted when
/// they hold a separator, a quote or a line break; ended by CRLF.
pub fn csv_line<S: AsRef<str>>(cells: &[S]) -> String {
    let mut line = cells
        .iter()
        .map(|c| {
            let v = defuse(c.as_ref());
            if v.contains([';', '"', '\n', '\r']) { format!("\"{}\"", v.replace('"', "\"\"")) } else { v }
        })
        .collect::<Vec<_>>()
        .join(";");
    line.push_str("\r\n");
    line
}
