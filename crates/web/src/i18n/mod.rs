//! Every visible string, in French (default) and English. The macro defines both
//! catalogues from one list, so a string missing in either language does not compile.

/// The interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Fr,
    En,
}

impl Lang {
    /// The `lang` attribute / code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }
    /// Parse a code (`fr`, `en`).
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("fr") => Some(Lang::Fr),
            Some("en") => Some(Lang::En),
            _ => None,
        }
    }
    /// The language an `Accept-Language` header prefers among ours (French by default).
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut it = part.split(';');
            let tag = it.next().unwrap_or("");
            let q = it
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.parse::<f32>().ok()))
                .unwrap_or(1.0);
            if let Some(l) = Lang::parse(tag)
                && best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, l));
                }
        }
        best.map(|(_, l)| l).unwrap_or(Lang::Fr)
    }
    /// The catalogue of this language.
    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Fr => &FR,
            Lang::En => &EN,
        }
    }
    /// The other language, for the switch.
    pub fn other(self) -> Lang {
        match self {
            Lang::Fr => Lang::En,
            Lang::En => Lang::Fr,
        }
    }
}

macro_rules! catalogue {
    ($($key:ident : $fr:expr , $en:expr ;)*) => {
        /// One language's strings.
        #[derive(Debug)]
        pub struct Texts { $(pub $key: &'static str,)* }
        /// French, the default.
        pub static FR: Texts = Texts { $($key: $fr,)* };
        /// English.
        pub static EN: Texts = Texts { $($key: $en,)* };
        #[cfg(test)]
        pub(crate) fn all_pairs() -> Vec<(&'static str, &'static str, &'static str)> {
            vec![$((stringify!($key), $fr, $en),)*]
        }
    };
}

mod catalogue;

pub use catalogue::{EN, FR, Texts};
#[cfg(test)]
use catalogue::all_pairs;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_string_exists_in_both_languages() {
        for (key, fr, en) in all_pairs() {
            assert!(!fr.trim().is_empty(), "{key}: French missing");
            assert!(!en.trim().is_empty(), "{key}: English missing");
            // Placeholders must match, or a message would lose its figures in one language.
            let holes = |s: &str| {
                let mut v: Vec<String> =
                    s.split('{').skip(1).filter_map(|p| p.split_once('}').map(|(h, _)| h.to_string())).collect();
                v.sort();
                v
            };
            assert_eq!(holes(fr), holes(en), "{key}: placeholders differ");
        }
    }

    #[test]
    fn accept_language_prefers_french_by_default() {
        assert_eq!(Lang::from_accept_language(""), Lang::Fr);
        assert_eq!(Lang::from_accept_language("en-GB,en;q=0.9"), Lang::En);
        assert_eq!(Lang::from_accept_language("de-DE, en;q=0.5, fr;q=0.8"), Lang::Fr);
        assert_eq!(Lang::from_accept_language("es"), Lang::Fr);
    }
}
