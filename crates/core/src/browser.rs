//! Refusal of obsolete browsers (contract Art. 2.1). The minimum versions are
//! configuration; the defaults refuse Internet Explorer and browsers about two years
//! behind the current releases (November 2026: Chrome/Edge 156, Firefox 157, Safari 26).

use serde::Deserialize;

/// Minimum accepted major versions.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct BrowserPolicy {
    pub min_chrome: u32,
    pub min_edge: u32,
    pub min_firefox: u32,
    pub min_safari: u32,
}

impl Default for BrowserPolicy {
    fn default() -> Self {
        // Chrome 130 and Firefox 128 (an ESR line) date from autumn 2024; Safari 18 from
        // September 2024.
        BrowserPolicy { min_chrome: 130, min_edge: 130, min_firefox: 128, min_safari: 18 }
    }
}

/// What the policy says of a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrowserVerdict {
    /// Recent enough, or not a browser we can judge (API clients, unknown engines).
    Accepted,
    /// Internet Explorer: never accepted.
    InternetExplorer,
    /// A known browser older than the minimum.
    TooOld { browser: &'static str, version: u32, minimum: u32 },
}

fn major_after(ua: &str, marker: &str) -> Option<u32> {
    let start = ua.find(marker)? + marker.len();
    let digits: String = ua.get(start..)?.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

impl BrowserPolicy {
    /// Judge a `User-Agent` header.
    pub fn judge(&self, user_agent: &str) -> BrowserVerdict {
        let ua = user_agent;
        if ua.contains("MSIE ") || ua.contains("Trident/") {
            return BrowserVerdict::InternetExplorer;
        }
        // Order matters: Edge and Opera also say "Chrome/", Chrome also says "Safari/".
        let found = if let Some(v) = major_after(ua, "Edg/").or_else(|| major_after(ua, "Edge/")) {
            Some(("Microsoft Edge", v, self.min_edge))
        } else if let Some(v) = major_after(ua, "Firefox/") {
            Some(("Firefox", v, self.min_firefox))
        } else if let Some(v) = major_after(ua, "Chrome/").or_else(|| major_after(ua, "CriOS/")) {
            Some(("Chrome", v, self.min_chrome))
        } else if ua.contains("Safari/") {
            major_after(ua, "Version/").map(|v| ("Safari", v, self.min_safari))
        } else {
            None
        };
        match found {
            Some((browser, version, minimum)) if version < minimum => {
                BrowserVerdict::TooOld { browser, version, minimum }
            }
            _ => BrowserVerdict::Accepted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judges_common_browsers() {
        let p = BrowserPolicy::default();
        let ie = "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko";
        assert_eq!(p.judge(ie), BrowserVerdict::InternetExplorer);
        let old_chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36";
        assert_eq!(p.judge(old_chrome), BrowserVerdict::TooOld { browser: "Chrome", version: 109, minimum: 130 });
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36";
        assert_eq!(p.judge(chrome), BrowserVerdict::Accepted);
        let edge = "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0";
        assert_eq!(p.judge(edge), BrowserVerdict::TooOld { browser: "Microsoft Edge", version: 120, minimum: 130 });
        let firefox_esr = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(p.judge(firefox_esr), BrowserVerdict::Accepted);
        let safari = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.6 Safari/605.1.15";
        assert_eq!(p.judge(safari), BrowserVerdict::TooOld { browser: "Safari", version: 15, minimum: 18 });
        assert_eq!(p.judge("curl/8.5.0"), BrowserVerdict::Accepted);
        assert_eq!(p.judge(""), BrowserVerdict::Accepted);
    }
}
