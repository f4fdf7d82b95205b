//! Where uploaded files' bytes live. The data directory by default; the enum is the interface
//! a bucket (S3-compatible) joins as another variant, so callers never know which one it is.

use std::{io, path::PathBuf};

use tokio::io::AsyncWriteExt;

#[derive(Debug, Clone)]
pub enum FileStore {
    /// `<data dir>/files/<2 hex>/<key>`: written to a temporary name, synced, then renamed, so a
    /// crash never leaves a half file under a key the database names.
    Local { root: PathBuf },
}

impl FileStore {
    pub fn local(data_dir: impl Into<PathBuf>) -> FileStore {
        FileStore::Local { root: data_dir.into().join("files") }
    }

    fn path(root: &std::path::Path, key: &str) -> PathBuf {
        root.join(&key[key.len().saturating_sub(2)..]).join(key)
    }

    /// Stores the bytes under a new key, durably, and returns the key.
    pub async fn put(&self, bytes: &[u8]) -> io::Result<String> {
        match self {
            FileStore::Local { root } => {
                let key = ulid::Ulid::new().to_string().to_ascii_lowercase();
                let path = Self::path(root, &key);
                let dir = path.parent().map(PathBuf::from).unwrap_or_else(|| root.clone());
                tokio::fs::create_dir_all(&dir).await?;
                let temp = dir.join(format!("{key}.partial"));
                let mut file = tokio::fs::File::create(&temp).await?;
                file.write_all(bytes).await?;
                file.sync_all().await?;
                drop(file);
                tokio::fs::rename(&temp, &path).await?;
                Ok(key)
            }
        }
    }

    pub async fn read(&self, key: &str) -> io::Result<Vec<u8>> {
        match self {
            FileStore::Local { root } => tokio::fs::read(Self::path(root, key)).await,
        }
    }

    /// Removes the bytes of deleted files. Best effort: a leftover is only disk space, and is
    /// logged.
    pub async fn remove_all(&self, keys: &[String]) {
        for key in keys {
            let result = match self {
                FileStore::Local { root } => tokio::fs::remove_file(Self::path(root, key)).await,
            };
            if let Err(error) = result {
                if error.kind() != io::ErrorKind::NotFound {
                    tracing::warn!(%error, key, "could not remove a deleted file's bytes");
                }
            }
        }
    }
}
