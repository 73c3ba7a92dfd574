//! Delivery of the outbox by SMTP (lettre), when `[smtp]` is configured.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, anyhow};
use habilis_core::records::OutboxMessage;
use habilis_core::services::onboarding::Mailer;
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Deserialize;

/// The `[smtp]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    #[serde(default = "default_port")]
    pub port: u16,
    /// The sender, e.g. `Habilis <habilis@caf-du-nord.fr>`.
    pub from: String,
    /// `none` (loopback relays only), `starttls` (default) or `tls`.
    #[serde(default = "default_tls")]
    pub tls: String,
    #[serde(default)]
    pub username: Option<String>,
    /// File holding the password (never in the TOML file itself).
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_port() -> u16 {
    25
}
fn default_tls() -> String {
    "starttls".into()
}
fn default_timeout() -> u64 {
    20
}

/// An SMTP relay.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// Build the transport from the configuration (nothing is contacted yet).
    pub fn new(c: &SmtpConfig) -> anyhow::Result<Self> {
        let from: Mailbox = c.from.parse().with_context(|| format!("smtp.from invalide : « {} »", c.from))?;
        let mut builder = match c.tls.as_str() {
            "none" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&c.host),
            "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&c.host).context("smtp.host")?,
            "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&c.host).context("smtp.host")?,
            other => return Err(anyhow!("smtp.tls doit valoir none, starttls ou tls (reçu « {other} »)")),
        };
        builder = builder.port(c.port).timeout(Some(Duration::from_secs(c.timeout_secs)));
        if let Some(user) = &c.username {
            let path = c.password_file.as_ref().ok_or_else(|| anyhow!("smtp.username demande smtp.password_file"))?;
            let password = std::fs::read_to_string(path).with_context(|| format!("lecture de {}", path.display()))?;
            builder = builder.credentials(Credentials::new(user.clone(), password.trim().to_string()));
        }
        Ok(SmtpMailer { transport: builder.build(), from })
    }
}

impl Mailer for SmtpMailer {
    async fn send(&self, m: &OutboxMessage) -> Result<(), String> {
        let to: Mailbox = m.to_address.parse().map_err(|e| format!("adresse invalide {}: {e}", m.to_address))?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(m.body.clone())
            .map_err(|e| e.to_string())?;
        self.transport.send(email).await.map(|_| ()).map_err(|e| e.to_string())
    }
}
