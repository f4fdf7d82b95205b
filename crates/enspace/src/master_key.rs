//! The master key of integration secrets: loaded from `ENSPACE_MASTER_KEY` or the key file
//! (generated on first start, owner-only), and rotated by `enspace secrets rotate`.
//!
//! A file rotation writes the new key beside the old one (`<file>.next`) before re-sealing, and
//! renames it over the old one after the re-sealing commits; a server started in between knows
//! both keys, and running the rotation again finishes it.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use anyhow::{bail, Context};
use enspace_domain::secrets::{Keyring, MasterKey};
use enspace_store::{integrations::IntegrationRecord, Db};

use crate::config::GlobalArgs;

fn next_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".next");
    path.with_file_name(name)
}

fn read_key(path: &Path) -> anyhow::Result<MasterKey> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading the master key {}", path.display()))?;
    MasterKey::from_hex(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Writes a key file readable by its owner only, synced to disk before it is relied upon.
fn write_key(path: &Path, key: &MasterKey) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).with_context(|| format!("creating the master key {}", path.display()))?;
    file.write_all(format!("{}\n", key.to_hex()).as_bytes())?;
    file.sync_all()?;
    Ok(())
}

fn from_env(text: &str, name: &str) -> anyhow::Result<MasterKey> {
    MasterKey::from_hex(text).map_err(|e| anyhow::anyhow!("{name}: {e}"))
}

/// The keys this process opens secrets with.
pub fn load(global: &GlobalArgs) -> anyhow::Result<Keyring> {
    if let Some(text) = &global.master_key {
        let previous = global.previous_master_key.as_deref().map(|t| from_env(t, "ENSPACE_PREVIOUS_MASTER_KEY"));
        return Ok(Keyring { current: from_env(text, "ENSPACE_MASTER_KEY")?, previous: previous.transpose()? });
    }
    let path = global.master_key_path();
    if !path.exists() {
        write_key(&path, &MasterKey::generate())?;
        tracing::info!(path = %path.display(), "generated the master key of integration secrets (back it up with the database)");
    }
    let current = read_key(&path)?;
    let next = next_path(&path);
    let previous = if next.exists() { Some(read_key(&next)?) } else { None };
    Ok(Keyring { current, previous })
}

/// Re-seals every secret under a new key; answers what to tell the operator.
pub async fn rotate(db: &Db, global: &GlobalArgs) -> anyhow::Result<String> {
    let (old, new, file) = if let Some(text) = &global.master_key {
        (from_env(text, "ENSPACE_MASTER_KEY")?, MasterKey::generate(), None)
    } else {
        let path = global.master_key_path();
        if !path.exists() {
            bail!("no master key at {}: nothing is sealed yet", path.display());
        }
        let next = next_path(&path);
        let new = if next.exists() {
            read_key(&next)?
        } else {
            let new = MasterKey::generate();
            write_key(&next, &new)?;
            new
        };
        (read_key(&path)?, new, Some((path, next)))
    };
    let ring = Keyring { current: new.clone(), previous: Some(old) };
    // A key from an earlier, unfinished rotation still opens what it sealed.
    let earlier = match global.previous_master_key.as_deref() {
        Some(text) if global.master_key.is_some() => Some(Keyring::new(from_env(text, "ENSPACE_PREVIOUS_MASTER_KEY")?)),
        _ => None,
    };
    let mut tx = db.begin().await?;
    let rows = enspace_store::integrations::all_sealed(&mut tx).await?;
    let mut resealed = 0;
    for (id, workspace_id, sealed) in rows {
        if ring.is_current(&sealed) {
            continue;
        }
        let aad = IntegrationRecord::aad(workspace_id, id);
        let plain = ring
            .open(&sealed, &aad)
            .or_else(|e| earlier.as_ref().map_or(Err(e), |k| k.open(&sealed, &aad)))
            .with_context(|| format!("opening the secrets of integration {id}"))?;
        enspace_store::integrations::set_secrets(&mut tx, workspace_id, id, Some(&ring.seal(&plain, &aad))).await?;
        resealed += 1;
    }
    tx.commit().await?;
    Ok(match file {
        Some((path, next)) => {
            std::fs::rename(&next, &path).with_context(|| format!("replacing {}", path.display()))?;
            format!(
                "re-sealed {resealed} integration(s) under master key {}; {} now holds it",
                new.fingerprint(),
                path.display()
            )
        }
        None => format!(
            "re-sealed {resealed} integration(s). Set ENSPACE_MASTER_KEY to the new key below, and \
             ENSPACE_PREVIOUS_MASTER_KEY to the old one until every process has restarted:\n{}",
            new.to_hex()
        ),
    })
}
