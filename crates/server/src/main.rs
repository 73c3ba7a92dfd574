//! `habilis`: the portal's one binary. Subcommands: serve, init, demo, migrate, audit.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

mod config;
mod keys;
mod mail;
mod serve;

// A request allocates and frees many small buffers on two threads at once; glibc's malloc
// spent a fifth of a signed-in request's time consolidating (profile, issue 14).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Give memory back to the system a quarter of a second after it is freed (at once made
/// every request fault its pages back in: a signed-in read was ~20 % slower), and commit
/// arenas only as they are used: an Argon2id hash takes 19 MiB for a moment, which
/// mimalloc would otherwise keep. `serve` also calls `release_idle_memory` every 2 s.
/// Transparent huge pages are turned off: they kept whole 2 MiB pages resident for a few
/// live blocks (idle memory about twice as large, `small_pages_only`).
fn tune_allocator() {
    // Option numbers from mimalloc.h (v2): mi_option_arena_eager_commit, mi_option_purge_delay.
    const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: plain option setters of the allocator, called before any thread starts.
    unsafe {
        libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 250);
    }
    habilis_core::password::small_pages_only();
}

/// Return to the system what was freed more than the purge delay ago (cheap when there is
/// nothing to return).
pub(crate) fn release_idle_memory() {
    // SAFETY: a plain call into the allocator, allowed from any thread at any time.
    unsafe {
        libmimalloc_sys::mi_collect(false);
    }
}

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use clap::{Parser, Subcommand};
use habilis_core::store::Store as _;
use habilis_core::trace::TraceKey;
use habilis_core::services::audit;
use habilis_core::{Error, Refusal};

use crate::config::{Config, Overrides};
use crate::keys::*;
use crate::serve::*;

/// Habilis — gestion déléguée des habilitations.
#[derive(Parser)]
#[command(name = "habilis", version, about)]
struct Cli {
    /// Configuration file (TOML). Default: ./habilis.toml if present.
    #[arg(long, global = true, env = "HABILIS_CONFIG")]
    config: Option<PathBuf>,
    /// Database: sqlite://path (default sqlite://./data/habilis.db) or postgres://…
    #[arg(long, global = true, env = "HABILIS_DATABASE_URL")]
    database_url: Option<String>,
    /// File with the key that seals the audit trail (default ./data/trace.key).
    #[arg(long, global = true, env = "HABILIS_TRACE_KEY_FILE")]
    trace_key_file: Option<PathBuf>,
    /// Log format: text or json.
    #[arg(long, global = true, env = "HABILIS_LOG_FORMAT")]
    log_format: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the portal.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long, env = "HABILIS_LISTEN")]
        listen: Option<String>,
        /// Public URL used in links (default http://LISTEN).
        #[arg(long, env = "HABILIS_PUBLIC_URL")]
        public_url: Option<String>,
        /// Load the contract's example as demo data first (password from
        /// HABILIS_DEMO_PASSWORD, or generated and printed).
        #[arg(long)]
        demo: bool,
    },
    /// Create the first caisse habilitation administrator on an empty database and print
    /// a one-time set-password link.
    Init {
        #[arg(long)]
        admin_login: String,
        #[arg(long)]
        email: String,
        /// The administrator's full name.
        #[arg(long, default_value = "Administrateur des habilitations")]
        name: String,
        /// The caisse's name.
        #[arg(long, default_value = "Caisse")]
        caisse_name: String,
        /// Public URL used in the link (default http://127.0.0.1:8080).
        #[arg(long, env = "HABILIS_PUBLIC_URL")]
        public_url: Option<String>,
    },
    /// Load the demo data without serving.
    Demo,
    /// Apply pending database migrations and exit.
    Migrate,
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The yearly access review (Art. 2.2.2).
    Review {
        #[command(subcommand)]
        command: ReviewCommand,
    },
    /// Apply the retention rules once (traces older than 6 months, grants and mandates 6
    /// years after they ended) and print what was removed. The server also does it daily.
    Purge {
        /// Say what would be removed, remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// The mail outbox.
    Outbox {
        #[command(subcommand)]
        command: OutboxCommand,
    },
    /// Business services as clients of Habilis (check API, sign-in).
    Client {
        #[command(subcommand)]
        command: ClientCommand,
    },
    /// Staff of a caisse or of the national level (Cnaf).
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// French business days, as the service desk counts them (Saturdays, Sundays and public
    /// holidays excluded).
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Print the date N business days after DATE (YYYY-MM-DD).
    AddBusinessDays {
        /// The start date, YYYY-MM-DD.
        date: String,
        /// How many business days (0 to 10000).
        n: String,
        /// `france` or `alsace_moselle`; default: the configuration's desk.calendar.
        #[arg(long)]
        calendar: Option<String>,
    },
    /// List the public holidays of YEAR.
    Holidays {
        /// The year (1583 to 9999).
        year: String,
        /// `france` or `alsace_moselle`; default: the configuration's desk.calendar.
        #[arg(long)]
        calendar: Option<String>,
    },
}

#[derive(Subcommand)]
enum ClientCommand {
    /// Register a business service of the catalogue as a client and print its secret
    /// (shown once; `rotate` gives a new one).
    Add {
        /// The service's code in the catalogue (e.g. CDAP).
        #[arg(long)]
        service: String,
        /// The client's public identifier (e.g. cdap).
        #[arg(long)]
        client_id: String,
        #[arg(long)]
        name: String,
        /// Where people come back after signing in; repeat for several.
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        /// A file holding the service's public keys (a JWKS), for `private_key_jwt`.
        #[arg(long = "jwks-file")]
        jwks_file: Option<std::path::PathBuf>,
    },
    /// Give a client a new secret and print it.
    Rotate {
        #[arg(long)]
        client_id: String,
    },
    /// Rotate the OpenID Connect signing key: the new key is published at once and signs
    /// after `oidc.key_publish_minutes`; the old one stays published until its tokens expire.
    RotateKey,
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Appoint a member of a caisse or of the national level (by the organisation's exact
    /// name) and print their one-time set-password link (also sent by e-mail). The
    /// national level's trace auditors read every caisse's traces (Art. 5.3.3).
    Add {
        #[arg(long)]
        organisation: String,
        #[arg(long)]
        first_name: String,
        #[arg(long)]
        last_name: String,
        #[arg(long)]
        email: String,
        /// A role: caisse_admin, trace_auditor, service_desk, security_officer (caisse);
        /// trace_auditor, service_desk (national). Repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        #[arg(long, default_value = "")]
        function: String,
        /// Wanted login (default: generated in the organisation's namespace).
        #[arg(long, default_value = "")]
        login: String,
        /// Public URL used in the link.
        #[arg(long, env = "HABILIS_PUBLIC_URL")]
        public_url: Option<String>,
    },
}

#[derive(Subcommand)]
enum OutboxCommand {
    /// Print the newest messages (the full text of each, links included).
    List {
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    /// Deliver the messages that are due, once, through `[smtp]`.
    Deliver,
}

#[derive(Subcommand)]
enum ReviewCommand {
    /// Check a review's proof (the JSON file downloaded from the review's page): its digest
    /// is the report's and its signature the portal's. Exit code 0 when it holds, 2 when not.
    Verify {
        /// The proof file.
        file: PathBuf,
        /// The portal's public key (64 hex digits); default: derived from checkpoint_key_file.
        #[arg(long)]
        public_key: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check that no trace was edited, deleted, inserted or reordered, and that every purge
    /// checkpoint is signed. Exit code 0 when intact, 2 when a bad record is found.
    Verify {
        /// The checkpoints' public key (64 hex digits); default: derived from
        /// checkpoint_key_file.
        #[arg(long)]
        checkpoint_public_key: Option<String>,
        /// The signed anchor to check the trail against (a copy kept off the database
        /// host); default: anchor_file, when it exists.
        #[arg(long)]
        anchor: Option<PathBuf>,
    },
    /// Sign the trail's tip now (every chain, its last record and seal) and write it as
    /// JSON: to anchor_file, or to --out.
    Anchor {
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Export the signed purge checkpoints as JSON lines (to keep a copy off the database
    /// host), preceded by the public key that verifies them.
    Checkpoints {
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    tune_allocator();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("erreur : impossible de démarrer : {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("erreur : {e:#}");
            ExitCode::from(1)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let (listen, public_url) = match &cli.command {
        Command::Serve { listen, public_url, .. } => (listen.clone(), public_url.clone()),
        Command::Init { public_url, .. } => (None, public_url.clone()),
        Command::Staff { command: StaffCommand::Add { public_url, .. } } => (None, public_url.clone()),
        _ => (None, None),
    };
    let config = Config::load(
        cli.config.as_deref(),
        Overrides {
            database_url: cli.database_url.clone(),
            listen,
            public_url,
            log_format: cli.log_format.clone(),
            trace_key_file: cli.trace_key_file.clone(),
        },
    )?;
    init_logs(&config);
    match cli.command {
        Command::Serve { demo, .. } => serve(config, demo).await,
        Command::Init { admin_login, email, name, caisse_name, .. } => {
            let app = open(&config, true).await?;
            let done = app
                .init_first_admin(&admin_login, &email, &name, &caisse_name)
                .await
                .map_err(|e| explain(e, "init"))?;
            println!("Administrateur des habilitations créé : {} ({})", done.account.login, done.account.email);
            println!("Lien à usage unique pour choisir son mot de passe (valable {} h) :", config.sessions.link_validity_hours);
            println!("{}", config.web.link(&format!("/set-password?token={}", done.link_token)));
            Ok(ExitCode::SUCCESS)
        }
        Command::Staff { command: StaffCommand::Add { organisation, first_name, last_name, email, roles, function, login, .. } } => {
            let app = open(&config, true).await?;
            let input = habilis_core::commands::StaffInput { first_name, last_name, email, function, login, roles };
            let (account, token) = app
                .appoint_staff_as_operator(&organisation, &input, &config.web.public_url)
                .await
                .map_err(|e| explain(e, "staff"))?;
            let roles: Vec<&str> = account.roles.iter().map(|r| r.as_str()).collect();
            println!("Désigné(e) : {} ({}) — {} — {}", account.display_name, account.login, organisation, roles.join(", "));
            println!("Lien à usage unique pour choisir son mot de passe (valable {} h) :", config.sessions.link_validity_hours);
            println!("{}", config.web.link(&format!("/set-password?token={token}")));
            Ok(ExitCode::SUCCESS)
        }
        Command::Client { command: ClientCommand::Add { service, client_id, name, redirect_uris, jwks_file } } => {
            let jwks = match jwks_file {
                Some(f) => std::fs::read_to_string(&f).with_context(|| format!("impossible de lire {}", f.display()))?,
                None => String::new(),
            };
            let app = open(&config, true).await?;
            let input = habilis_core::services::check::ClientInput { service_code: service, client_id, name, redirect_uris, jwks };
            let (c, secret) = app.register_client_as_operator(&input).await.map_err(|e| explain(e, "client"))?;
            println!("Client enregistré : {} ({})", c.client_id, c.name);
            println!("Secret (affiché une seule fois) : {secret}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Client { command: ClientCommand::Rotate { client_id } } => {
            let app = open(&config, true).await?;
            let secret = app.rotate_client_secret_as_operator(&client_id, None).await.map_err(|e| explain(e, "client"))?;
            println!("Nouveau secret de {client_id} (affiché une seule fois) : {secret}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Client { command: ClientCommand::RotateKey } => {
            let app = open(&config, true).await?;
            let kid = app.rotate_oidc_key_as_operator().await.map_err(|e| explain(e, "client"))?;
            println!("Nouvelle clé de signature : {kid} (publiée maintenant, utilisée dans {} minutes)", config.oidc.key_publish_minutes);
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo => {
            let app = open(&config, true).await?;
            load_demo(&app).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let db = connect(&config, TraceKey::generate()).await?;
            db.migrate().await.map_err(|e| anyhow!("{e}"))?;
            println!("Base de données à jour ({}).", habilis_store::redact(&config.database_url));
            Ok(ExitCode::SUCCESS)
        }
        Command::Outbox { command: OutboxCommand::List { limit } } => {
            let app = open(&config, true).await?;
            let list = app.outbox_all(limit).await.map_err(|e| explain(e, "outbox"))?;
            if list.is_empty() {
                println!("La file des messages est vide.");
            }
            for m in list {
                println!("--- {} · {} · {} (tentatives : {})", habilis_core::clock::format_paris(m.created_at), m.status, m.to_address, m.attempts);
                if let Some(e) = &m.last_error {
                    println!("dernière erreur : {e}");
                }
                println!("Objet : {}\n\n{}", m.subject, m.body);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Outbox { command: OutboxCommand::Deliver } => {
            let smtp = config.smtp.clone().ok_or_else(|| anyhow!("aucun serveur de messagerie configuré (section [smtp])"))?;
            let mailer = mail::SmtpMailer::new(&smtp)?;
            let app = open(&config, true).await?;
            let r = app.deliver_outbox(&mailer, 100).await.map_err(|e| explain(e, "outbox"))?;
            println!("Envoyés : {} ; à réessayer : {} ; abandonnés : {}", r.sent, r.retried, r.abandoned);
            Ok(ExitCode::SUCCESS)
        }
        Command::Purge { dry_run } => {
            let app = open(&config, false).await?;
            let key = load_or_create_checkpoint_key(&config.checkpoint_key_file)?;
            app.store.prepare_trace_partitions(app.now(), 2).await.map_err(|e| anyhow!("{e}"))?;
            let bar = |done: u64, total: u64| progress_bar(done, total);
            let r = app.purge(&config.retention, &key, dry_run, &bar).await.map_err(|e| explain(e, "purge"))?;
            let verb = if dry_run { "seraient supprimés" } else { "supprimés" };
            println!("Traces antérieures au {} : {} enregistrements {verb} dans {} chaînes ({} partitions mensuelles entières).",
                habilis_core::clock::format_paris(r.traces_cutoff), r.traces, r.chains, r.partitions_dropped);
            println!("Habilitations terminées avant le {} : {} {verb} ; mandats retirés : {} {verb} ; appartenances à un groupe terminées : {} {verb}.",
                habilis_core::clock::format_date_fr(r.rights_cutoff), r.grants, r.mandates, r.memberships);
            if !dry_run && r.chains > 0 {
                println!("{} points de contrôle signés enregistrés (clé publique {}).", r.chains, key.public_hex());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { command: AuditCommand::Checkpoints { out } } => {
            let db = connect(&config, TraceKey::generate()).await?;
            let cps = db.trace_checkpoints().await.map_err(|e| anyhow!("{e}"))?;
            let key = read_checkpoint_key(&config.checkpoint_key_file)?;
            let mut text = String::new();
            text.push_str(&serde_json::json!({ "public_key": key.map(|k| k.public_hex()) }).to_string());
            text.push('\n');
            for c in &cps {
                text.push_str(&serde_json::to_string(c)?);
                text.push('\n');
            }
            match out {
                Some(path) => {
                    std::fs::write(&path, text).with_context(|| format!("écriture de {}", path.display()))?;
                    eprintln!("{} points de contrôle exportés dans {}.", cps.len(), path.display());
                }
                None => print!("{text}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Calendar { command } => {
            use habilis_core::calendar::{Calendar, add_business_days, holidays};
            let pick = |c: &Option<String>| match c {
                None => Ok(config.desk.calendar),
                Some(name) => Calendar::parse(name).ok_or_else(|| anyhow!("calendrier inconnu « {name} » : attendu france ou alsace_moselle")),
            };
            match command {
                CalendarCommand::AddBusinessDays { date, n, calendar } => {
                    let calendar = pick(&calendar)?;
                    let Ok(start) = habilis_core::values::parse_date(&date) else {
                        eprintln!("erreur : « {date} » n'est pas une date au format AAAA-MM-JJ.");
                        return Ok(ExitCode::from(2));
                    };
                    let Some(n) = n.trim().parse::<u32>().ok().filter(|n| *n <= 10_000) else {
                        eprintln!("erreur : le nombre de jours ouvrés doit être un entier entre 0 et 10000 (reçu « {n} »).");
                        return Ok(ExitCode::from(2));
                    };
                    match add_business_days(start, n, calendar) {
                        Some(d) => println!("{d}"),
                        None => {
                            eprintln!("erreur : la date obtenue dépasse le calendrier pris en charge.");
                            return Ok(ExitCode::from(2));
                        }
                    }
                }
                CalendarCommand::Holidays { year, calendar } => {
                    let calendar = pick(&calendar)?;
                    let Some(year) = year.trim().parse::<i32>().ok().filter(|y| (1583..=9999).contains(y)) else {
                        eprintln!("erreur : l'année doit être un entier entre 1583 et 9999 (reçu « {year} »).");
                        return Ok(ExitCode::from(2));
                    };
                    for (d, name) in holidays(year, calendar) {
                        println!("{d}  {name}");
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Review { command: ReviewCommand::Verify { file, public_key } } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("lecture de {}", file.display()))?;
            let v: serde_json::Value = serde_json::from_str(&text).with_context(|| format!("{} n'est pas un fichier de preuve JSON", file.display()))?;
            let field = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string).ok_or_else(|| anyhow!("le fichier de preuve n'a pas de champ « {k} »"));
            let proof = habilis_core::records::Proof { report: field("report")?, digest: field("digest")?, signature: field("signature")?, public_key: field("public_key")? };
            let key = match public_key {
                Some(k) => k,
                None => read_checkpoint_key(&config.checkpoint_key_file)?
                    .map(|k| k.public_hex())
                    .ok_or_else(|| anyhow!("clé publique inconnue : donnez --public-key ou le fichier de clé de points de contrôle"))?,
            };
            if habilis_core::services::reviews::verify_proof(&proof, &key) {
                println!("Preuve valide : rapport intact (SHA-256 {}), signé par la clé {key}.", proof.digest);
                Ok(ExitCode::SUCCESS)
            } else {
                println!("Preuve NON valide : le rapport a changé, ou la signature n'est pas celle de la clé {key}.");
                Ok(ExitCode::from(2))
            }
        }
        Command::Audit { command: AuditCommand::Anchor { out } } => {
            let db = connect(&config, TraceKey::generate()).await?;
            let key = load_or_create_checkpoint_key(&config.checkpoint_key_file)?;
            let path = out.unwrap_or_else(|| config.anchor_file.clone());
            let a = write_anchor(&db, &key, &path).await?;
            println!("Ancre signée de {} chaînes écrite dans {} (clé publique {}).", a.chains.len(), path.display(), key.public_hex());
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { command: AuditCommand::Verify { checkpoint_public_key, anchor } } => {
            let key = read_key(&config.trace_key_file)?
                .ok_or_else(|| anyhow!("clé de scellement introuvable : {}", config.trace_key_file.display()))?;
            let verifier = match checkpoint_public_key {
                Some(hex) => Some(
                    habilis_core::trace::CheckpointVerifier::from_hex(&hex)
                        .ok_or_else(|| anyhow!("--checkpoint-public-key doit contenir 64 chiffres hexadécimaux d'une clé Ed25519"))?,
                ),
                None => read_checkpoint_key(&config.checkpoint_key_file)?.map(|k| k.public()),
            };
            let anchor_path = anchor.or_else(|| config.anchor_file.exists().then(|| config.anchor_file.clone()));
            let anchor = anchor_path.as_deref().map(read_anchor).transpose()?;
            let db = connect(&config, key.clone()).await?;
            let report = audit::verify(&db, &key, verifier.as_ref(), anchor.as_ref()).await.map_err(|e| explain(e, "audit"))?;
            match report.finding {
                None => {
                    println!("Traces intègres : {} enregistrements vérifiés dans {} chaînes.", report.records, report.chains);
                    match (&anchor, &anchor_path) {
                        (Some(a), Some(p)) => println!(
                            "Conformes à l'ancre signée du {} ({} chaînes, {}).",
                            habilis_core::clock::format_paris(habilis_core::clock::from_micros(a.created_at)),
                            a.chains.len(),
                            p.display()
                        ),
                        _ => println!(
                            "Sans ancre ({} absent) : la suppression des derniers enregistrements d'une chaîne, ou d'une chaîne entière, ne peut pas être détectée.",
                            config.anchor_file.display()
                        ),
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Some(f) => {
                    println!(
                        "TRACES ALTÉRÉES : chaîne {} , enregistrement n° {}{} : {:?}",
                        f.chain_id,
                        f.seq,
                        f.record_id.map(|id| format!(" (id {id})")).unwrap_or_default(),
                        f.problem
                    );
                    Ok(ExitCode::from(2))
                }
            }
        }
    }
}

fn init_logs(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HABILIS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&config.log_level));
    use std::io::IsTerminal as _;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    if config.log_format == "json" {
        let _ = builder.json().try_init();
    } else {
        let _ = builder.try_init();
    }
}

/// Turn a domain error into a sentence for the operator.
pub(crate) fn explain(e: Error, what: &str) -> anyhow::Error {
    match e {
        Error::Refused(Refusal::AlreadyInitialised) => {
            anyhow!("{what} refusé : la base contient déjà des comptes ; le premier administrateur existe déjà")
        }
        Error::Refused(Refusal::NotDemoData) => {
            anyhow!("{what} refusé, rien n'a été modifié : la base contient d'autres données que celles de la démonstration (organismes ou comptes ajoutés). Démarrez sans --demo pour la garder, ou indiquez une base neuve (--database-url)")
        }
        Error::Refused(Refusal::AlreadyDecided) => anyhow!("{what} refusé : déjà traité"),
        Error::Refused(Refusal::NotForwarded) => anyhow!("{what} refusé : la demande n'a pas encore été transmise"),
        Error::Invalid { field, problem } => anyhow!("{what} : valeur refusée pour --{field} ({problem})"),
        Error::InvalidFields(list) => {
            let each: Vec<String> = list.iter().map(|(field, problem)| format!("--{field} ({problem})")).collect();
            anyhow!("{what} : valeurs refusées pour {}", each.join(", "))
        }
        Error::PasswordRejected(p) => anyhow!("{what} : mot de passe refusé par la politique ({p:?})"),
        Error::NotFound => anyhow!("{what} : introuvable (vérifiez le nom exact de l'organisme, du service ou du client)"),
        Error::Taken(what_taken) => anyhow!("{what} refusé : déjà utilisé ({what_taken})"),
        Error::Rule(habilis_core::Rule::RoleOfAnotherSide) => {
            anyhow!("{what} refusé : ce rôle n'existe pas pour cet organisme (caisse : caisse_admin, trace_auditor, service_desk, security_officer ; national : trace_auditor, service_desk)")
        }
        other => anyhow!("{what} : {other}"),
    }
}

/// A progress bar on standard error for large purges, when it is a terminal.
fn progress_bar(done: u64, total: u64) {
    use std::io::IsTerminal as _;
    if total < 10_000 || !std::io::stderr().is_terminal() {
        return;
    }
    let width = 40u64;
    let filled = (done * width / total.max(1)) as usize;
    eprint!("\r[{}{}] {:>3} % {done}/{total}", "#".repeat(filled), " ".repeat(width as usize - filled), done * 100 / total.max(1));
    if done >= total {
        eprintln!();
    }
}
