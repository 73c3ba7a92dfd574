//! The key files: the trail's sealing key and the checkpoints' signing key, created on
//! first start with mode 0600.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, anyhow};
use habilis_core::store::Store;
use habilis_core::trace::{Anchor, CheckpointKey, TraceKey};

pub(crate) fn read_key(path: &Path) -> anyhow::Result<Option<TraceKey>> {
    match std::fs::read_to_string(path) {
        Ok(text) => TraceKey::from_hex(&text)
            .map(Some)
            .ok_or_else(|| anyhow!("la clé de scellement {} doit contenir 64 chiffres hexadécimaux", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("lecture de {}", path.display())),
    }
}

pub(crate) fn read_checkpoint_key(path: &Path) -> anyhow::Result<Option<CheckpointKey>> {
    match std::fs::read_to_string(path) {
        Ok(text) => CheckpointKey::from_hex(&text)
            .map(Some)
            .ok_or_else(|| anyhow!("la clé des points de contrôle {} doit contenir 64 chiffres hexadécimaux", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("lecture de {}", path.display())),
    }
}

pub(crate) fn load_or_create_checkpoint_key(path: &Path) -> anyhow::Result<CheckpointKey> {
    if let Some(k) = read_checkpoint_key(path)? {
        return Ok(k);
    }
    let key = CheckpointKey::generate();
    write_secret(path, &key.to_hex())?;
    tracing::warn!(path = %path.display(), public = %key.public_hex(), "new checkpoint signing key created; keep its public key off the database host");
    Ok(key)
}

/// Write a new secret file readable by its owner only; never overwrite one.
pub(crate) fn write_secret(path: &Path, hex: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("création de {}", dir.display()))?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).with_context(|| format!("création de la clé {}", path.display()))?;
    writeln!(f, "{hex}")?;
    Ok(())
}

pub(crate) fn load_or_create_key(path: &Path) -> anyhow::Result<TraceKey> {
    if let Some(k) = read_key(path)? {
        return Ok(k);
    }
    let key = TraceKey::generate();
    write_secret(path, &key.to_hex())?;
    tracing::warn!(path = %path.display(), "new trace sealing key created; keep a copy off the database host");
    Ok(key)
}

/// Sign the trail's tip now and write it to `path` atomically (a temporary file renamed
/// over the old anchor), so that a reader never sees half an anchor.
pub(crate) async fn write_anchor<S: Store>(store: &S, key: &CheckpointKey, path: &Path) -> anyhow::Result<Anchor> {
    let now = habilis_core::clock::to_micros(time::OffsetDateTime::now_utc());
    let a = habilis_core::services::audit::anchor(store, key, now).await.map_err(|e| anyhow!("{e}"))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("création de {}", dir.display()))?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_string_pretty(&a)? + "\n").with_context(|| format!("écriture de {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("écriture de {}", path.display()))?;
    Ok(a)
}

pub(crate) fn read_anchor(path: &Path) -> anyhow::Result<Anchor> {
    let text = std::fs::read_to_string(path).with_context(|| format!("lecture de l'ancre {}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| anyhow!("l'ancre {} n'est pas lisible : {e}", path.display()))
}
