//! Opening the database with the configuration, the demo data, and serving the portal
//! with its background work (outbox delivery, query deadlines, sweeps, daily purge).

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use habilis_core::app::App;
use habilis_core::clock::SystemClock;
use habilis_core::password::PasswordHasher;
use habilis_core::services::setup::DEMO_ACCOUNTS;
use habilis_core::store::Store as _;
use habilis_core::trace::TraceKey;
use habilis_store::Db;
use habilis_web::{AppState, metrics::Metrics, router};

use crate::config::Config;
use crate::keys::*;
use crate::explain;
use crate::mail;

pub(crate) async fn connect(config: &Config, key: TraceKey) -> anyhow::Result<Db> {
    if let Some(path) = config.database_url.strip_prefix("sqlite://") {
        let path = path.split('?').next().unwrap_or(path);
        if let Some(dir) = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("création du dossier {}", dir.display()))?;
        }
    }
    Db::connect(&config.database_url, key, config.database_max_connections)
        .await
        .map_err(|e| anyhow!("connexion à la base {} impossible : {e}", habilis_store::redact(&config.database_url)))
}

pub(crate) async fn open(config: &Config, create_key: bool) -> anyhow::Result<App<Db>> {
    open_with(config, create_key, false).await
}

/// `open`; when `serving`, the hashing threads join `[hashing] idle_cgroup` (other commands
/// hash a password or two and leave it alone).
async fn open_with(config: &Config, create_key: bool, serving: bool) -> anyhow::Result<App<Db>> {
    let key = if create_key {
        load_or_create_key(&config.trace_key_file)?
    } else {
        read_key(&config.trace_key_file)?.ok_or_else(|| anyhow!("clé de scellement introuvable"))?
    };
    let db = connect(config, key).await?;
    db.migrate().await.map_err(|e| anyhow!("{e}"))?;
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let mut hashing = config.hashing.clone();
    if !serving {
        hashing.idle_cgroup = None;
    }
    let hasher = PasswordHasher::new(hashing, cores).map_err(|e| anyhow!(e))?;
    Ok(App {
        store: db,
        clock: Arc::new(SystemClock),
        hasher,
        passwords: config.passwords,
        sessions: config.sessions,
        throttle: config.throttle,
        second_factor: config.second_factor.clone(),
        view: habilis_core::view::RightsView::shared(),
        oidc: habilis_core::services::oidc::Provider::new(config.oidc),
        presence: habilis_core::presence::Presence::shared(),
        watch: habilis_core::watch::Watch::shared(),
        desk: config.desk.clone(),
        traces: habilis_core::batch::TraceBatcher::shared(),
        // The server makes the key at start if it is missing; other commands only read it.
        signer: if create_key {
            Some(Arc::new(load_or_create_checkpoint_key(&config.checkpoint_key_file)?))
        } else {
            read_checkpoint_key(&config.checkpoint_key_file)?.map(Arc::new)
        },
    })
}

pub(crate) fn demo_password(app: &App<Db>) -> anyhow::Result<(String, bool)> {
    if let Ok(p) = std::env::var("HABILIS_DEMO_PASSWORD") {
        return Ok((p, false));
    }
    for _ in 0..20 {
        let random: String = habilis_core::token::new_token().chars().filter(char::is_ascii_alphanumeric).take(12).collect();
        let candidate = format!("Demo-{random}-26");
        let ok = DEMO_ACCOUNTS.iter().all(|a| app.passwords.check(&candidate, true, &[a.login, a.name]).is_ok());
        if ok {
            return Ok((candidate, true));
        }
    }
    bail!("impossible de générer un mot de passe de démonstration")
}

pub(crate) async fn load_demo(app: &App<Db>) -> anyhow::Result<()> {
    let (password, generated) = demo_password(app)?;
    let report = app.load_demo(&password).await.map_err(|e| explain(e, "demo"))?;
    println!(
        "{}",
        if report.created { "Données de démonstration chargées (Caf du Nord, Mairie de Mons-en-Barœul, service CDAP)." }
        else { "Données de démonstration déjà présentes : mots de passe réinitialisés." }
    );
    println!("Comptes de démonstration :");
    for a in &report.accounts {
        println!("  {:<14} {:<16} {:<26} {}", a.login, a.name, a.organisation, a.role.as_str());
    }
    if generated {
        println!("Mot de passe (généré, commun aux comptes de démonstration) : {password}");
    } else {
        println!("Mot de passe : celui de HABILIS_DEMO_PASSWORD");
    }
    // CDAP as a business service: registered once, its secret renewed at each start
    // (HABILIS_DEMO_CLIENT_SECRET to choose it).
    let wanted = std::env::var("HABILIS_DEMO_CLIENT_SECRET").ok();
    let secret = match app.rotate_client_secret_as_operator("cdap", wanted.as_deref()).await {
        Ok(s) => s,
        Err(habilis_core::Error::NotFound) => {
            let input = habilis_core::services::check::ClientInput {
                service_code: "CDAP".into(),
                client_id: "cdap".into(),
                name: "CDAP — Consultation du dossier allocataire par les partenaires".into(),
                redirect_uris: vec!["http://localhost:8090/callback".into(), "http://127.0.0.1:8090/callback".into()],
                jwks: String::new(),
            };
            app.register_client_as_operator(&input).await.map_err(|e| explain(e, "demo"))?;
            app.rotate_client_secret_as_operator("cdap", wanted.as_deref()).await.map_err(|e| explain(e, "demo"))?
        }
        Err(e) => return Err(explain(e, "demo")),
    };
    println!("Service CDAP (client de Habilis) : identifiant « cdap », secret : {secret}");
    Ok(())
}

pub(crate) async fn serve(config: Config, demo: bool) -> anyhow::Result<ExitCode> {
    // The hashing threads' group is checked before the database is opened: a refused
    // start changes nothing.
    if let Some(dir) = &config.hashing.idle_cgroup {
        habilis_core::password::check_idle_cgroup(dir).map_err(|e| anyhow!(e))?;
    }
    let app = open_with(&config, true, true).await?;
    // The port first: a start that cannot listen changes nothing (the demo's passwords
    // included).
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("impossible d'écouter sur {}", config.listen))?;
    if demo {
        load_demo(&app).await?;
    }
    // The watch for atypical use is seeded from the trail now, not on the first sign-in.
    let seeding = app.clone();
    tokio::spawn(async move {
        if let Err(e) = seeding.watch_ready().await {
            tracing::warn!(error = %e, "seeding the watch for atypical use failed; it is tried again at the next sign-in");
        }
    });
    // The check API's in-memory view is built now, not on the first check.
    let starting = app.clone();
    tokio::spawn(async move {
        let t = std::time::Instant::now();
        match starting.view.ensure_started(&starting.store).await {
            Ok(()) => tracing::info!(grants = starting.view.read(|s| s.grants()), seconds = t.elapsed().as_secs_f64(), "rights view built"),
            Err(e) => tracing::warn!(error = %e, "building the rights view failed; it will be built on the first check"),
        }
    });
    // Every two seconds: memory freed more than the allocator's purge delay ago goes back
    // to the system, also when the portal falls idle (the allocator purges only when it
    // is called).
    tokio::spawn(async {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
        loop {
            tick.tick().await;
            crate::release_idle_memory();
        }
    });
    let state = AppState::new(app.clone(), Arc::new(config.web.clone()), Arc::new(Metrics::default()));
    // Every minute: end and trace sessions that timed out, enforce query deadlines.
    let sweeper = app.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            if let Err(e) = sweeper.expire_sessions().await {
                tracing::warn!(error = %e, "session sweep failed");
            }
            // Keep SQLite's write-ahead log from growing under constant traffic.
            if let Err(e) = sweeper.store.checkpoint_wal().await {
                tracing::warn!(error = %e, "write-ahead log checkpoint failed");
            }
            // Queries left unanswered past their due date suspend their grant when asked to.
            match sweeper.enforce_query_deadlines().await {
                Ok(n) if n > 0 => tracing::info!(suspended = n, "query deadlines enforced"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "query deadline enforcement failed"),
            }
            // Yearly reviews: a reminder a week before the due date, a notice once late.
            match sweeper.review_notices().await {
                Ok((r, l)) if r + l > 0 => tracing::info!(reminders = r, late = l, "review notices sent"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "review notices failed"),
            }
            // Incidents left unanswered past their due date escalate (Art. 3.3).
            match sweeper.escalate_overdue_incidents().await {
                Ok(n) if n > 0 => tracing::info!(escalated = n, "incidents escalated"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "incident escalation failed"),
            }
        }
    });
    // Daily: prepare the trail's coming monthly partitions, then apply the retention rules.
    let checkpoint_key = load_or_create_checkpoint_key(&config.checkpoint_key_file)?;
    let (keeper, retention) = (app.clone(), config.retention);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(24 * 3600));
        loop {
            tick.tick().await;
            if let Err(e) = keeper.store.prepare_trace_partitions(keeper.now(), 2).await {
                tracing::warn!(error = %e, "preparing trace partitions failed");
            }
            if let Err(e) = keeper.purge(&retention, &checkpoint_key, false, &|_, _| {}).await {
                tracing::warn!(error = %e, "retention purge failed");
            }
            if let Err(e) = keeper.purge_oidc().await {
                tracing::warn!(error = %e, "purging expired authorization codes and refresh tokens failed");
            }
        }
    });
    // Every anchor_interval_secs: sign the trail's tip and rewrite anchor_file when the
    // trail has grown (issue 11, finding 3). Each anchor is also logged, for a copy off
    // the host in the log collector.
    let anchor_key = load_or_create_checkpoint_key(&config.checkpoint_key_file)?;
    let (anchorer, anchor_file, every) = (app.clone(), config.anchor_file.clone(), config.anchor_interval_secs);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(every));
        let mut last: Option<Vec<habilis_core::trace::AnchoredChain>> = None;
        loop {
            tick.tick().await;
            let mut heads = match anchorer.store.trace_heads().await {
                Ok(h) => h.into_iter().map(|h| habilis_core::trace::AnchoredChain { chain_id: h.chain_id, seq: h.seq, seal: h.seal }).collect::<Vec<_>>(),
                Err(e) => {
                    tracing::warn!(error = %e, "reading the trail's heads for the anchor failed");
                    continue;
                }
            };
            heads.sort_by_key(|c| c.chain_id);
            if last.as_ref() == Some(&heads) {
                continue;
            }
            match write_anchor(&anchorer.store, &anchor_key, &anchor_file).await {
                Ok(a) => {
                    let records: i64 = a.chains.iter().map(|c| c.seq).sum();
                    tracing::info!(chains = a.chains.len(), records, signature = %hex::encode(&a.signature), "trail anchored");
                    last = Some(heads);
                }
                Err(e) => tracing::warn!(error = %e, "writing the trail's anchor failed"),
            }
        }
    });
    match config.smtp.as_ref().map(mail::SmtpMailer::new).transpose()? {
        Some(mailer) => {
            let worker = app.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_secs(15));
                loop {
                    tick.tick().await;
                    match worker.deliver_outbox(&mailer, 50).await {
                        Ok(r) if r.sent + r.retried + r.abandoned > 0 => tracing::info!(?r, "outbox delivered"),
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "outbox delivery failed"),
                    }
                }
            });
        }
        None => tracing::info!("no [smtp] configured: messages stay in the outbox"),
    }
    println!("Habilis écoute sur {} (base : {})", config.web.public_url, habilis_store::redact(&config.database_url));
    if habilis_store::UNTRACED {
        tracing::warn!("bench build: this server writes NO trace (--features habilis-store/untraced); never use it for real");
    }
    tracing::info!(listen = %config.listen, "serving");
    let service = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service).with_graceful_shutdown(shutdown()).await.context("serveur arrêté sur erreur")?;
    // The PostgreSQL listener keeps its connection for good: closing waits for the others
    // to come back, not for it.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(3), app.store.close()).await;
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
