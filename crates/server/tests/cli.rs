//! The `habilis` binary as an operator uses it: exit codes and sentences.

use std::path::Path;
use std::process::{Command, Output};

use habilis_core::trace::TraceKey;
use habilis_store::Db;

/// The binary in `dir`, with none of the caller's settings.
fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_habilis"));
    c.current_dir(dir)
        .args(args)
        .env_remove("HABILIS_DATABASE_URL")
        .env_remove("HABILIS_CONFIG")
        .env("HABILIS_DEMO_PASSWORD", "Tournesol-Bleu-42-Lille");
    c
}

fn habilis(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn tempdir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("habilis-cli-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[tokio::test]
async fn init_demo_and_audit_verify() {
    let dir = tempdir();
    let out = habilis(&dir, &["init", "--admin-login", "caf.chef", "--email", "chef@caf.fr"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("http://127.0.0.1:8080/set-password?token="), "{}", text(&out));
    assert!(dir.join("data/habilis.db").exists() && dir.join("data/trace.key").exists());

    // Nothing twice, and no demo on a real installation.
    let again = habilis(&dir, &["init", "--admin-login", "other", "--email", "o@caf.fr"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again).contains("refusé"), "{}", text(&again));
    let demo = habilis(&dir, &["demo"]);
    assert_eq!(demo.status.code(), Some(1));
    assert!(text(&demo).contains("rien n'a été modifié"), "{}", text(&demo));

    let ok = habilis(&dir, &["audit", "verify"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert!(text(&ok).contains("Traces intègres"));

    // Edit one trace directly in the database: verify names it and exits 2.
    let key = TraceKey::from_hex(&std::fs::read_to_string(dir.join("data/trace.key")).unwrap()).unwrap();
    let url = format!("sqlite://{}", dir.join("data/habilis.db").display());
    let db = Db::connect(&url, key, 2).await.unwrap();
    db.execute_raw("UPDATE traces SET detail = 'nothing happened'").await.unwrap();
    db.close().await;
    let bad = habilis(&dir, &["audit", "verify"]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(text(&bad).contains("TRACES ALTÉRÉES") && text(&bad).contains("SealMismatch"), "{}", text(&bad));
}

#[test]
fn demo_is_idempotent() {
    let dir = tempdir();
    let first = habilis(&dir, &["demo"]);
    assert!(first.status.success(), "{}", text(&first));
    assert!(text(&first).contains("mons.admin") && text(&first).contains("Claire Martin"));
    let second = habilis(&dir, &["demo"]);
    assert!(second.status.success(), "{}", text(&second));
    assert!(text(&second).contains("déjà présentes"));
}

#[test]
fn bad_settings_get_a_sentence_and_exit_1() {
    let dir = tempdir();
    std::fs::write(dir.join("habilis.toml"), "listen = \"127.0.0.1:9\"\nlisten_port = 9\n").unwrap();
    let out = habilis(&dir, &["migrate"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("listen_port"), "{}", text(&out));
    std::fs::remove_file(dir.join("habilis.toml")).unwrap();
    let out = habilis(&dir, &["migrate", "--database-url", "mysql://x"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("non reconnue"), "{}", text(&out));
    let out = habilis(&dir, &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("clé de scellement introuvable"), "{}", text(&out));
    // A control group for the hashing threads that is not there: `serve` refuses, names
    // it, and has touched nothing (no key, no database); other commands do not use it.
    let dir = tempdir();
    let missing = dir.join("no-such-cgroup");
    std::fs::write(dir.join("habilis.toml"), format!("[hashing]\nidle_cgroup = \"{}\"\n", missing.display())).unwrap();
    let mut child = command(&dir, &["serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("serve started with a control group that does not exist");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("introuvable") && text(&out).contains("no-such-cgroup"), "{}", text(&out));
    assert!(!dir.join("data").exists(), "a refused start created files");
    let out = habilis(&dir, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
}

/// A minimal SMTP server on loopback that keeps what it receives: enough of RFC 5321 for
/// lettre (EHLO, MAIL, RCPT, DATA, QUIT).
async fn smtp_server() -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let store = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = store.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let kept = kept.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                w.write_all(b"220 test ESMTP\r\n").await.unwrap();
                let mut data = String::new();
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            kept.lock().unwrap().push(std::mem::take(&mut data));
                            w.write_all(b"250 OK queued\r\n").await.unwrap();
                        } else {
                            data.push_str(&line);
                            data.push('\n');
                        }
                        continue;
                    }
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250-test\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("DATA") {
                        in_data = true;
                        b"354 go ahead\r\n"
                    } else if upper.starts_with("QUIT") {
                        let _ = w.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        b"250 OK\r\n"
                    };
                    w.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, store)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_outbox_is_delivered_by_smtp_and_kept_when_the_relay_is_down() {
    let dir = tempdir();
    let out = habilis(&dir, &["demo"]);
    assert!(out.status.success(), "{}", text(&out));
    // Issue an administrator through the store so there is a message with a link.
    let init = habilis(&dir, &["outbox", "list"]);
    assert!(text(&init).contains("vide"), "{}", text(&init));

    let key = TraceKey::from_hex(&std::fs::read_to_string(dir.join("data/trace.key")).unwrap()).unwrap();
    let url = format!("sqlite://{}", dir.join("data/habilis.db").display());
    let db = Db::connect(&url, key, 2).await.unwrap();
    db.execute_raw(
        "INSERT INTO outbox (id, organisation_id, to_address, subject, body, status, attempts, next_attempt_at, created_at) \
         VALUES (X'0190000000007000800000000000abcd', NULL, 'claire.martin@mairie.invalid', 'Habilis — test', \
         'Lien : http://127.0.0.1:8080/set-password?token=abc', 'pending', 0, 0, 0)",
    )
    .await
    .unwrap();
    db.close().await;

    // Relay down: the attempt is counted, the message stays.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    std::fs::write(dir.join("habilis.toml"), format!("[smtp]\nhost = \"127.0.0.1\"\nport = {closed}\nfrom = \"Habilis <habilis@caf.invalid>\"\ntls = \"none\"\ntimeout_secs = 2\n")).unwrap();
    let out = habilis(&dir, &["outbox", "deliver"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("à réessayer : 1"), "{}", text(&out));
    let list = habilis(&dir, &["outbox", "list"]);
    assert!(text(&list).contains("pending") && text(&list).contains("tentatives : 1") && text(&list).contains("dernière erreur"), "{}", text(&list));

    // Relay up: delivered once the retry is due (the first retry waits 2 minutes, so move
    // the message's next attempt back instead of waiting).
    let (port, received) = smtp_server().await;
    std::fs::write(dir.join("habilis.toml"), format!("[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nfrom = \"Habilis <habilis@caf.invalid>\"\ntls = \"none\"\n")).unwrap();
    let key = TraceKey::from_hex(&std::fs::read_to_string(dir.join("data/trace.key")).unwrap()).unwrap();
    let db = Db::connect(&url, key, 2).await.unwrap();
    db.execute_raw("UPDATE outbox SET next_attempt_at = 0").await.unwrap();
    db.close().await;
    let out = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || habilis(&dir, &["outbox", "deliver"])
    })
    .await
    .unwrap();
    assert!(text(&out).contains("Envoyés : 1"), "{}", text(&out));
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert!(got[0].contains("claire.martin@mairie.invalid") && got[0].contains("set-password?token=abc"), "{}", got[0]);
    let list = habilis(&dir, &["outbox", "list"]);
    assert!(text(&list).contains(" sent "), "{}", text(&list));
    assert!(!text(&list).contains("token=abc") && text(&list).contains("masqué"), "{}", text(&list));
}

#[tokio::test]
async fn purge_leaves_signed_checkpoints_that_verify_and_export() {
    use habilis_core::store::*;
    use habilis_core::trace::{ClientInfo, Outcome, TraceEntry};
    let dir = tempdir();
    assert!(habilis(&dir, &["demo"]).status.success());
    // Three traces of 2020 and one of today in an organisation's chain.
    let key = TraceKey::from_hex(&std::fs::read_to_string(dir.join("data/trace.key")).unwrap()).unwrap();
    let url = format!("sqlite://{}", dir.join("data/habilis.db").display());
    let db = Db::connect(&url, key, 2).await.unwrap();
    let org = habilis_core::records::OrganisationId::new();
    for at in [time::macros::datetime!(2020-01-01 10:00 UTC), time::macros::datetime!(2020-02-01 10:00 UTC), time::macros::datetime!(2020-03-01 10:00 UTC), time::OffsetDateTime::now_utc()] {
        let mut tx = db.begin().await.unwrap();
        let mut e = TraceEntry::new(at, "test.old", Outcome::Success, &ClientInfo::default());
        e.organisation_id = Some(org);
        tx.append_trace(&e).await.unwrap();
        tx.commit().await.unwrap();
    }
    db.close().await;

    let dry = habilis(&dir, &["purge", "--dry-run"]);
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry));
    assert!(text(&dry).contains(": 3 enregistrements seraient supprimés dans 1 chaînes"), "{}", text(&dry));
    let done = habilis(&dir, &["purge"]);
    assert_eq!(done.status.code(), Some(0), "{}", text(&done));
    assert!(text(&done).contains(": 3 enregistrements supprimés") && text(&done).contains("1 points de contrôle signés"), "{}", text(&done));
    assert!(dir.join("data/checkpoint.key").exists());
    let ok = habilis(&dir, &["audit", "verify"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));

    // The export: the public key first, then one line per checkpoint; it verifies alone.
    let out = habilis(&dir, &["audit", "checkpoints", "--out", "checkpoints.jsonl"]);
    assert!(out.status.success(), "{}", text(&out));
    let exported = std::fs::read_to_string(dir.join("checkpoints.jsonl")).unwrap();
    let lines: Vec<&str> = exported.lines().collect();
    assert_eq!(lines.len(), 2, "{exported}");
    let public = serde_json::from_str::<serde_json::Value>(lines[0]).unwrap()["public_key"].as_str().unwrap().to_string();
    let ok = habilis(&dir, &["audit", "verify", "--checkpoint-public-key", &public]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    let other = habilis_core::trace::CheckpointKey::generate().public_hex();
    let bad = habilis(&dir, &["audit", "verify", "--checkpoint-public-key", &other]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(text(&bad).contains("CheckpointSignature"), "{}", text(&bad));
    let nonsense = habilis(&dir, &["audit", "verify", "--checkpoint-public-key", "zz"]);
    assert_eq!(nonsense.status.code(), Some(1), "{}", text(&nonsense));
    assert!(text(&nonsense).contains("64 chiffres hexadécimaux"));

    // Shorter than the contract's six months is refused with a sentence.
    std::fs::write(dir.join("habilis.toml"), "[retention]\ntraces_months = 3\n").unwrap();
    let refused = habilis(&dir, &["purge"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused).contains("au moins 6"), "{}", text(&refused));
}

/// Issue 11, finding 3, through the binary: `audit anchor` signs the trail's tip;
/// `audit verify` then finds a whole chain deleted with its head, which it cannot see
/// without the anchor.
#[tokio::test]
async fn audit_verify_checks_the_trail_against_the_signed_anchor() {
    let dir = tempdir();
    let out = habilis(&dir, &["init", "--admin-login", "caf.chef", "--email", "chef@caf.fr"]);
    assert!(out.status.success(), "{}", text(&out));
    let anchored = habilis(&dir, &["audit", "anchor"]);
    assert_eq!(anchored.status.code(), Some(0), "{}", text(&anchored));
    assert!(dir.join("data/trail-anchor.json").exists(), "{}", text(&anchored));
    let ok = habilis(&dir, &["audit", "verify"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert!(text(&ok).contains("Conformes à l'ancre signée"), "{}", text(&ok));

    let key = TraceKey::from_hex(&std::fs::read_to_string(dir.join("data/trace.key")).unwrap()).unwrap();
    let url = format!("sqlite://{}", dir.join("data/habilis.db").display());
    let db = Db::connect(&url, key, 2).await.unwrap();
    db.execute_raw("DELETE FROM traces").await.unwrap();
    db.execute_raw("DELETE FROM trace_heads").await.unwrap();
    db.close().await;
    let bad = habilis(&dir, &["audit", "verify"]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(text(&bad).contains("ChainMissing"), "{}", text(&bad));
    // Moved away, the anchor is missed, and verify says what it cannot see.
    std::fs::rename(dir.join("data/trail-anchor.json"), dir.join("anchor.json")).unwrap();
    let blind = habilis(&dir, &["audit", "verify"]);
    assert_eq!(blind.status.code(), Some(0), "{}", text(&blind));
    assert!(text(&blind).contains("Sans ancre"), "{}", text(&blind));
    let again = habilis(&dir, &["audit", "verify", "--anchor", "anchor.json"]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
}

/// Issue 12, item 1: the operator appoints the national level's trace auditor (and any
/// caisse's staff) from the command line, with a sentence and exit 1 when refused.
#[test]
fn staff_add_appoints_national_and_caisse_staff() {
    let dir = tempdir();
    let demo = habilis(&dir, &["demo"]);
    assert!(demo.status.success(), "{}", text(&demo));
    let ok = habilis(&dir, &["staff", "add", "--organisation", "Cnaf", "--first-name", "Nina", "--last-name", "Cnaf", "--email", "nina@cnaf.invalid", "--role", "trace_auditor"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert!(text(&ok).contains("cnaf.nina.cnaf") && text(&ok).contains("/set-password?token="), "{}", text(&ok));
    let bad_role = habilis(&dir, &["staff", "add", "--organisation", "Cnaf", "--first-name", "Léo", "--last-name", "X", "--email", "leo@cnaf.invalid", "--role", "caisse_admin"]);
    assert_eq!(bad_role.status.code(), Some(1), "{}", text(&bad_role));
    assert!(text(&bad_role).contains("ce rôle n'existe pas pour cet organisme"), "{}", text(&bad_role));
    let nowhere = habilis(&dir, &["staff", "add", "--organisation", "Caf du Sud", "--first-name", "Léo", "--last-name", "X", "--email", "leo@x.invalid", "--role", "trace_auditor"]);
    assert_eq!(nowhere.status.code(), Some(1), "{}", text(&nowhere));
    assert!(text(&nowhere).contains("introuvable"), "{}", text(&nowhere));
}

/// Issue 13: the demo registers CDAP as a client and prints its secret; the operator
/// registers another service and rotates a secret.
#[test]
fn clients_are_registered_and_rotated_from_the_command_line() {
    let dir = tempdir();
    let demo = habilis(&dir, &["demo"]);
    assert!(demo.status.success(), "{}", text(&demo));
    assert!(text(&demo).contains("identifiant « cdap », secret :"), "{}", text(&demo));
    let add = habilis(&dir, &["client", "add", "--service", "CDAP", "--client-id", "cdap-test", "--name", "CDAP recette", "--redirect-uri", "https://cdap.example/cb"]);
    assert_eq!(add.status.code(), Some(0), "{}", text(&add));
    assert!(text(&add).contains("Secret (affiché une seule fois)"), "{}", text(&add));
    let again = habilis(&dir, &["client", "add", "--service", "CDAP", "--client-id", "cdap-test", "--name", "CDAP recette"]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    assert!(text(&again).contains("déjà utilisé"), "{}", text(&again));
    let rotate = habilis(&dir, &["client", "rotate", "--client-id", "cdap-test"]);
    assert_eq!(rotate.status.code(), Some(0), "{}", text(&rotate));
    let nobody = habilis(&dir, &["client", "rotate", "--client-id", "personne"]);
    assert_eq!(nobody.status.code(), Some(1), "{}", text(&nobody));
}

/// Issue 15: a review's proof file is checked from the command line, with the portal's key
/// file or a public key given; an edited report or another key fails with exit code 2.
#[test]
fn review_proofs_are_verified_from_the_command_line() {
    let dir = tempdir();
    let key = habilis_core::trace::CheckpointKey::generate();
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(dir.join("data/checkpoint.key"), key.to_hex()).unwrap();
    let proof = habilis_core::services::reviews::sign_report("REVUE ANNUELLE 2026\nHabilitation … CONSERVÉ\n".into(), &key);
    let write = |name: &str, report: &str, public: &str| {
        let v = serde_json::json!({ "report": report, "digest": proof.digest, "signature": proof.signature, "public_key": public });
        std::fs::write(dir.join(name), v.to_string()).unwrap();
    };
    write("ok.json", &proof.report, &proof.public_key);
    write("edited.json", &proof.report.replace("CONSERVÉ", "RETIRÉ"), &proof.public_key);
    let ok = habilis(&dir, &["review", "verify", "ok.json"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert!(text(&ok).contains("Preuve valide"), "{}", text(&ok));
    let edited = habilis(&dir, &["review", "verify", "edited.json"]);
    assert_eq!(edited.status.code(), Some(2), "{}", text(&edited));
    assert!(text(&edited).contains("NON valide"), "{}", text(&edited));
    let other = habilis_core::trace::CheckpointKey::generate().public_hex();
    let wrong_key = habilis(&dir, &["review", "verify", "ok.json", "--public-key", &other]);
    assert_eq!(wrong_key.status.code(), Some(2), "{}", text(&wrong_key));
    let missing = habilis(&dir, &["review", "verify", "absent.json"]);
    assert_eq!(missing.status.code(), Some(1), "{}", text(&missing));
    assert!(text(&missing).contains("lecture de absent.json"), "{}", text(&missing));
}

#[test]
fn the_business_day_calendar_answers_operators() {
    let dir = tempdir();
    // Friday 24 April 2026 + 10 business days: 1 May and 8 May (Fridays) are off.
    let out = habilis(&dir, &["calendar", "add-business-days", "2026-04-24", "10"]);
    assert_eq!((out.status.code(), String::from_utf8_lossy(&out.stdout).trim()), (Some(0), "2026-05-12"), "{}", text(&out));
    // The configured calendar: Alsace-Moselle adds 26 December (and Good Friday).
    std::fs::write(dir.join("habilis.toml"), "[desk]\ncalendar = \"alsace_moselle\"\n").unwrap();
    let out = habilis(&dir, &["calendar", "add-business-days", "2025-12-24", "1"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2025-12-29", "{}", text(&out));
    let out = habilis(&dir, &["calendar", "add-business-days", "2025-12-24", "1", "--calendar", "france"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2025-12-26", "{}", text(&out));
    let out = habilis(&dir, &["calendar", "holidays", "2026"]);
    let listed = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(listed.lines().count(), 13, "{listed}");
    assert!(listed.contains("2026-04-03  Vendredi saint") && listed.contains("2026-05-25  Lundi de Pentecôte"), "{listed}");
    // Bad input: a sentence and exit code 2.
    let out = habilis(&dir, &["calendar", "add-business-days", "24/04/2026", "10"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("AAAA-MM-JJ"), "{}", text(&out));
    let out = habilis(&dir, &["calendar", "add-business-days", "2026-04-24", "-3"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = habilis(&dir, &["calendar", "holidays", "deux-mille"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("l'année doit être"), "{}", text(&out));
    std::fs::write(dir.join("habilis.toml"), "[desk]\ncalendar = \"mars\"\n").unwrap();
    let out = habilis(&dir, &["calendar", "holidays", "2026"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

/// Issue 17, point 8: `serve --demo` changes nothing when it cannot start (the port is
/// taken), nor on a demo database that people added to.
#[tokio::test]
async fn the_demo_passwords_are_reset_only_on_the_demo_and_only_once_listening() {
    let dir = tempdir();
    assert!(habilis(&dir, &["demo"]).status.success());
    let key = TraceKey::from_hex(&std::fs::read_to_string(dir.join("data/trace.key")).unwrap()).unwrap();
    let url = format!("sqlite://{}", dir.join("data/habilis.db").display());
    let hash = || {
        let (url, key) = (url.clone(), key.clone());
        async move {
            use habilis_core::store::*;
            let db = Db::connect(&url, key, 1).await.unwrap();
            let mut tx = db.read().await.unwrap();
            let h = tx.account_by_login("mons.admin").await.unwrap().unwrap().password_hash;
            drop(tx);
            db.close().await;
            h
        }
    };
    let before = hash().await;
    let other_password = |args: &[&str]| {
        command(&dir, args).env("HABILIS_DEMO_PASSWORD", "Autre-Passe-Lens-2026-xyz").output().unwrap()
    };
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = format!("127.0.0.1:{}", busy.local_addr().unwrap().port());
    let out = other_password(&["serve", "--demo", "--listen", &listen]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("impossible d'écouter"), "{}", text(&out));
    assert_eq!(hash().await, before, "the port is taken: nothing reset");
    // Someone added an account to the demo: refused with a sentence, nothing reset.
    let db = Db::connect(&url, key.clone(), 1).await.unwrap();
    db.execute_raw(
        "INSERT INTO accounts (id, organisation_id, login, display_name, email, status, created_at) \
         SELECT randomblob(16), organisation_id, 'mons.nouveau', 'Nouvel Agent', 'nouveau@mons.invalid', 'active', created_at FROM accounts WHERE login = 'mons.agent'",
    )
    .await
    .unwrap();
    db.close().await;
    let out = other_password(&["demo"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("rien n'a été modifié") && text(&out).contains("sans --demo"), "{}", text(&out));
    assert_eq!(hash().await, before, "more than the demo: nothing reset");
    drop(busy);
}
