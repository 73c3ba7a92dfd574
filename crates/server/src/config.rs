//! The one typed configuration: defaults → TOML file → `HABILIS_*` environment → flags.
//! Unknown keys in the file are errors, so a typo never silently falls back to a default.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use habilis_core::app::{SecondFactorPolicy, SessionPolicy, ThrottlePolicy};
use habilis_core::password::{HashingParams, PasswordPolicy};
use habilis_web::WebConfig;
use serde::Deserialize;

/// Everything an operator can set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `sqlite://path` (embedded default) or `postgres://…`.
    pub database_url: String,
    /// Connections in the pool.
    pub database_max_connections: u32,
    /// Address to listen on.
    pub listen: String,
    /// `text` or `json`.
    pub log_format: String,
    /// A `tracing` filter, e.g. `info` or `habilis=debug,info`.
    pub log_level: String,
    /// File holding the 64-hex-digit key that seals the audit trail. Created (mode 0600)
    /// by `serve`, `init` and `demo` when missing; keep a copy off the database host.
    pub trace_key_file: PathBuf,
    /// File holding the Ed25519 secret (64 hex digits) that signs purge checkpoints.
    /// Created (mode 0600) when missing; its public half (`habilis audit checkpoints`)
    /// verifies a copy of the checkpoints off the database host.
    pub checkpoint_key_file: PathBuf,
    /// File where `serve` keeps the trail's signed anchor (the tip of every chain, signed
    /// with the checkpoint key), rewritten every `anchor_interval_secs` when the trail has
    /// grown; `habilis audit verify` checks the trail against it. Keep it, or a copy, off
    /// the database host: it is what shows a truncated trail or a deleted chain.
    pub anchor_file: PathBuf,
    /// Seconds between two anchors (1 to 3600).
    pub anchor_interval_secs: u64,
    /// How long traces and records of rights are kept (Art. 5.3.2).
    pub retention: habilis_core::services::retention::RetentionPolicy,
    pub web: WebConfig,
    pub passwords: PasswordPolicy,
    pub hashing: HashingParams,
    pub sessions: SessionPolicy,
    pub throttle: ThrottlePolicy,
    /// Who must sign in with a second factor (default: every role but the plain user).
    pub second_factor: SecondFactorPolicy,
    /// Lifetimes of the OpenID Connect provider's codes, tokens and signing keys.
    pub oidc: habilis_core::services::oidc::OidcPolicy,
    /// Mail relay; without it, messages stay in the outbox (readable, nothing lost).
    pub smtp: Option<crate::mail::SmtpConfig>,
    /// The service desk: calendar (`france` or `alsace_moselle`), office hours, the delay
    /// before an unanswered incident escalates.
    pub desk: habilis_core::calendar::DeskPolicy,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: "sqlite://./data/habilis.db".into(),
            database_max_connections: 16,
            listen: "127.0.0.1:8080".into(),
            log_format: "text".into(),
            log_level: "info".into(),
            trace_key_file: PathBuf::from("./data/trace.key"),
            checkpoint_key_file: PathBuf::from("./data/checkpoint.key"),
            anchor_file: PathBuf::from("./data/trail-anchor.json"),
            anchor_interval_secs: 60,
            retention: habilis_core::services::retention::RetentionPolicy::default(),
            web: WebConfig::default(),
            passwords: PasswordPolicy::default(),
            hashing: HashingParams::default(),
            sessions: SessionPolicy::default(),
            throttle: ThrottlePolicy::default(),
            second_factor: SecondFactorPolicy::default(),
            oidc: habilis_core::services::oidc::OidcPolicy::default(),
            smtp: None,
            desk: habilis_core::calendar::DeskPolicy::default(),
        }
    }
}

/// Values given on the command line or in `HABILIS_*` variables (clap reads both).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub public_url: Option<String>,
    pub log_format: Option<String>,
    pub trace_key_file: Option<PathBuf>,
}

impl Config {
    /// Load the file (if given, or `./habilis.toml` if present), then apply overrides.
    pub fn load(file: Option<&Path>, o: Overrides) -> anyhow::Result<Config> {
        let default_file = Path::new("habilis.toml");
        let path = match file {
            Some(p) => Some(p),
            None if default_file.exists() => Some(default_file),
            None => None,
        };
        let mut c = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("impossible de lire le fichier de configuration {}", p.display()))?;
                toml::from_str::<Config>(&text)
                    .with_context(|| format!("fichier de configuration {} invalide", p.display()))?
            }
            None => Config::default(),
        };
        if let Some(v) = o.database_url {
            c.database_url = v;
        }
        if let Some(v) = o.listen {
            c.listen = v;
        }
        if let Some(v) = o.public_url {
            c.web.public_url = v;
        } else if path.is_none_or(|_| c.web.public_url == WebConfig::default().public_url) {
            // Without an explicit public URL, links point at the address we listen on.
            c.web.public_url = format!("http://{}", c.listen);
        }
        if let Some(v) = o.log_format {
            c.log_format = v;
        }
        if let Some(v) = o.trace_key_file {
            c.trace_key_file = v;
        }
        c.validate()?;
        Ok(c)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if habilis_store::Backend::of_url(&self.database_url).is_none() {
            bail!(
                "adresse de base de données non reconnue « {} » : attendu sqlite://chemin ou postgres://…",
                habilis_store::redact(&self.database_url)
            );
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            bail!("log_format doit valoir « text » ou « json » (reçu « {} »)", self.log_format);
        }
        self.hashing.validate().map_err(|e| anyhow::anyhow!("paramètres Argon2id refusés : {e}"))?;
        self.desk.validate().map_err(|e| anyhow::anyhow!(e))?;
        if self.throttle.max_attempts_per_hour > 100 || self.throttle.max_attempts_per_hour < 1 {
            bail!("throttle.max_attempts_per_hour doit être entre 1 et 100");
        }
        if !(6..=1200).contains(&self.retention.traces_months) || !(6..=100).contains(&self.retention.rights_years) || self.retention.batch_size < 1 {
            bail!("retention : traces_months doit valoir au moins 6 et rights_years au moins 6 (article 5.3.2), au plus 1200 et 100, batch_size au moins 1");
        }
        if !(1..=3600).contains(&self.anchor_interval_secs) {
            bail!("anchor_interval_secs doit être entre 1 et 3600 secondes");
        }
        if self.sessions.idle_minutes < 1 || self.sessions.absolute_hours < 1 {
            bail!("les durées de session doivent être positives");
        }
        let o = &self.oidc;
        if !(10..=600).contains(&o.code_seconds)
            || !(30..=3600).contains(&o.token_seconds)
            || !(1..=720).contains(&o.refresh_hours)
            || !(1..=3650).contains(&o.key_rotation_days)
            || !(0..=1440).contains(&o.key_publish_minutes)
        {
            bail!("oidc : code_seconds entre 10 et 600, token_seconds entre 30 et 3600, refresh_hours entre 1 et 720, key_rotation_days entre 1 et 3650, key_publish_minutes entre 0 et 1440");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_refused() {
        let err = toml::from_str::<Config>("listen = \"0.0.0.0:80\"\nlisten_port = 80\n").unwrap_err();
        assert!(err.to_string().contains("listen_port"), "{err}");
        let ok: Config = toml::from_str("[sessions]\nidle_minutes = 15\n").unwrap();
        assert_eq!(ok.sessions.idle_minutes, 15);
        assert_eq!(ok.sessions.absolute_hours, 12);
    }

    #[test]
    fn retention_outside_its_bounds_is_refused() {
        for bad in ["[retention]\ntraces_months = 3\n", "[retention]\ntraces_months = 5000\n", "[retention]\nrights_years = 0\n", "[retention]\nrights_years = 5\n", "[retention]\nrights_years = 4000000000\n"] {
            let c: Config = toml::from_str(bad).unwrap();
            assert!(c.validate().is_err(), "{bad}");
        }
        let ok: Config = toml::from_str("[retention]\ntraces_months = 12\n").unwrap();
        assert!(ok.validate().is_ok());
    }

    #[test]
    fn weak_hashing_is_refused() {
        let c: Config = toml::from_str("[hashing]\nmemory_kib = 4096\n").unwrap();
        assert!(c.validate().is_err());
    }
}

#[cfg(test)]
mod example_file {
    use super::*;

    #[test]
    fn the_documented_example_is_the_defaults() {
        let c: Config = toml::from_str(include_str!("../../../docs/habilis.example.toml")).unwrap();
        let d = Config::default();
        assert_eq!(c.database_url, d.database_url);
        assert_eq!(c.web.browsers, d.web.browsers);
        assert_eq!(c.passwords, d.passwords);
        assert_eq!(c.hashing, d.hashing);
        assert_eq!(c.sessions, d.sessions);
        assert_eq!(c.throttle, d.throttle);
        assert_eq!(c.web.max_body_bytes, d.web.max_body_bytes);
        assert_eq!(c.retention, d.retention);
        assert_eq!(c.second_factor, d.second_factor);
        assert_eq!(c.checkpoint_key_file, d.checkpoint_key_file);
        assert_eq!(c.anchor_file, d.anchor_file);
        assert_eq!(c.anchor_interval_secs, d.anchor_interval_secs);
    }
}
