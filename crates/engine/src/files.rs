//! Where uploaded files' bytes live: the data directory by default, or an S3-compatible bucket
//! (what several processes share). Callers never know which one it is.

use std::{io, path::PathBuf};

use enspace_domain::{files::sniff_mime, time::now_ms};
use enspace_integrations::object_storage::{Bucket, BucketSettings};
use enspace_store::{
    files::{FileRecord, NewFile},
    Db, StoreError,
};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

/// Why an upload failed.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("could not store the file's bytes: {0}")]
    Io(#[from] io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Stores an uploaded file: bytes first (durably), then its record, so a record never names
/// missing bytes; bytes whose record could not be written are removed again. The mime type is
/// sniffed from the content.
pub async fn upload(
    db: &Db,
    store: &FileStore,
    workspace_id: i64,
    user_id: i64,
    filename: &str,
    bytes: &[u8],
) -> Result<FileRecord, UploadError> {
    let sha256 = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect::<String>();
    let key = store.put(bytes).await?;
    let record = async {
        let mut tx = db.begin().await?;
        let record = enspace_store::files::insert(
            &mut tx,
            NewFile {
                workspace_id,
                user_id,
                filename,
                mime: sniff_mime(bytes),
                size: bytes.len() as i64,
                storage_key: &key,
                sha256: &sha256,
                now: now_ms(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok::<_, StoreError>(record)
    }
    .await;
    if record.is_err() {
        store.remove_all(std::slice::from_ref(&key)).await;
    }
    Ok(record?)
}

/// Undoes the uploads of a request that failed part-way: their records, then their bytes.
pub async fn discard(db: &Db, store: &FileStore, workspace_id: i64, files: &[FileRecord]) -> Result<(), StoreError> {
    if files.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = files.iter().map(|f| f.id).collect();
    let mut tx = db.begin().await?;
    let keys = enspace_store::files::remove_unattached(&mut tx, workspace_id, &ids).await?;
    tx.commit().await?;
    store.remove_all(&keys).await;
    Ok(())
}

#[derive(Debug, Clone)]
pub enum FileStore {
    /// `<data dir>/files/<2 hex>/<key>`: written to a temporary name, synced, then renamed, so a
    /// crash never leaves a half file under a key the database names.
    Local { root: PathBuf },
    /// `<prefix>/<key>` in a bucket: a PUT is atomic, so no half object is ever visible.
    Bucket(Bucket),
}

impl FileStore {
    pub fn local(data_dir: impl Into<PathBuf>) -> FileStore {
        FileStore::Local { root: data_dir.into().join("files") }
    }

    /// The bucket store, after checking that the bucket exists and takes writes (it writes the
    /// marker readiness looks for): a misconfigured bucket stops the start, not the first upload.
    pub async fn bucket(settings: &BucketSettings) -> io::Result<FileStore> {
        let bucket = Bucket::open(settings).map_err(io::Error::other)?;
        bucket.mark().await?;
        Ok(FileStore::Bucket(bucket))
    }

    /// Whether files written here are seen by other processes (not when local to this one).
    pub fn is_shared(&self) -> bool {
        matches!(self, FileStore::Bucket(_))
    }

    /// Readiness: the store answers (the bucket holds its marker; the directory exists).
    pub async fn check(&self) -> io::Result<()> {
        match self {
            FileStore::Local { root } => match tokio::fs::metadata(root).await {
                // Created with the first upload: before it, the data directory is what must be there.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    tokio::fs::metadata(root.parent().unwrap_or(root)).await.map(|_| ())
                }
                other => other.map(|_| ()),
            },
            FileStore::Bucket(bucket) => bucket.check().await,
        }
    }

    fn path(root: &std::path::Path, key: &str) -> PathBuf {
        root.join(&key[key.len().saturating_sub(2)..]).join(key)
    }

    /// Stores the bytes under a new key, durably, and returns the key.
    pub async fn put(&self, bytes: &[u8]) -> io::Result<String> {
        let key = ulid::Ulid::new().to_string().to_ascii_lowercase();
        match self {
            FileStore::Bucket(bucket) => {
                bucket.put(&key, bytes.to_vec()).await?;
                Ok(key)
            }
            FileStore::Local { root } => {
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
            FileStore::Bucket(bucket) => bucket.get(key).await,
        }
    }

    /// Removes the bytes of deleted files. Best effort: a leftover is only disk space, and is
    /// logged.
    pub async fn remove_all(&self, keys: &[String]) {
        for key in keys {
            let result = match self {
                FileStore::Local { root } => tokio::fs::remove_file(Self::path(root, key)).await,
                FileStore::Bucket(bucket) => bucket.delete(key).await,
            };
            if let Err(error) = result {
                if error.kind() != io::ErrorKind::NotFound {
                    tracing::warn!(%error, key, "could not remove a deleted file's bytes");
                }
            }
        }
    }
}
