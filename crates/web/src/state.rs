//! What the web layer is configured with, and what every handler can reach.

use std::sync::Arc;

use habilis_core::app::App;
use habilis_core::browser::BrowserPolicy;
use habilis_store::Db;
use serde::Deserialize;

use crate::metrics::Metrics;

/// Settings of the web layer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    /// The address people use to reach the portal (links in messages, cookie security).
    /// With `https://`, cookies get the `__Host-` prefix and `Secure`, and HSTS is sent.
    pub public_url: String,
    /// Take the client address from the first `X-Forwarded-For` entry (behind a proxy).
    pub trust_forwarded_for: bool,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Minimum browser versions.
    pub browsers: BrowserPolicy,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            public_url: "http://127.0.0.1:8080".into(),
            trust_forwarded_for: false,
            max_body_bytes: 64 * 1024,
            browsers: BrowserPolicy::default(),
        }
    }
}

impl WebConfig {
    /// Whether the portal is served over HTTPS.
    pub fn secure(&self) -> bool {
        self.public_url.starts_with("https://")
    }
    /// The session cookie's name.
    pub fn session_cookie(&self) -> &'static str {
        if self.secure() { "__Host-habilis_session" } else { "habilis_session" }
    }
    /// The pre-session anti-forgery cookie's name.
    pub fn csrf_cookie(&self) -> &'static str {
        if self.secure() { "__Host-habilis_csrf" } else { "habilis_csrf" }
    }
    /// A full link to a path of the portal.
    pub fn link(&self, path_and_query: &str) -> String {
        format!("{}{}", self.public_url.trim_end_matches('/'), path_and_query)
    }
}

/// What every handler can reach. One `Arc`: axum clones the state for each middleware
/// and each handler of every request, and cloning the `App` itself (a dozen shared
/// counters, two allocations) took a fifth of the check API's time in a profile.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The state behind `AppState`.
pub struct Shared {
    pub app: App<Db>,
    pub config: Arc<WebConfig>,
    pub metrics: Arc<Metrics>,
}

impl AppState {
    pub fn new(app: App<Db>, config: Arc<WebConfig>, metrics: Arc<Metrics>) -> AppState {
        AppState(Arc::new(Shared { app, config, metrics }))
    }
    /// The app, to adjust before serving (tests), while this state is not shared yet.
    pub fn app_mut(&mut self) -> Option<&mut App<Db>> {
        Arc::get_mut(&mut self.0).map(|s| &mut s.app)
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}
