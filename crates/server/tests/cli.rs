//! The `habilis` binary as an operator uses it: exit codes and sentences.

use std::path::Path;
use std::process::{Command, Output};

use habilis_core::trace::TraceKey;
use habilis_store::Db;

fn habilis(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_habilis"))
        .current_dir(dir)
        .args(args)
        .env_remove("HABILIS_DATABASE_URL")
        .env_remove("HABILIS_CONFIG")
        .env("HABILIS_DEMO_PASSWORD", "Tournesol-Bleu-42-Lille")
        .output()
        .unwrap()
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
    assert!(text(&demo).contains("pas celles de la démonstration"), "{}", text(&demo));

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
}
