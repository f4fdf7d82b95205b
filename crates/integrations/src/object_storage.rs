//! An S3-compatible bucket for uploaded files' bytes (`--file-store s3://<bucket>/<prefix>`):
//! Amazon S3, or a self-hosted store (MinIO, Garage, Ceph…) at `--s3-endpoint`, reached with
//! path-style addressing. Objects are `<prefix>/<key>`; a marker object `<prefix>/.enspace`,
//! written at startup, is what readiness looks for.

use std::{io, sync::Arc, time::Duration};

use object_store::{
    aws::{AmazonS3, AmazonS3Builder},
    path::Path,
    ClientOptions, ObjectStore, PutPayload, RetryConfig,
};

/// The marker object's name under the prefix.
const MARKER: &str = ".enspace";

/// Where the bucket is and how to reach it (from `enspace serve`'s configuration).
#[derive(Clone, Default)]
pub struct BucketSettings {
    /// `s3://<bucket>/<prefix>`; the prefix may be empty.
    pub url: String,
    /// A self-hosted store's address (`http://` allowed); Amazon S3 when absent.
    pub endpoint: Option<String>,
    pub region: String,
    /// Static credentials; without them the standard AWS chain applies (web identity, the
    /// container's or the instance's role).
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for BucketSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret, not even in a debug print of the configuration.
        f.debug_struct("BucketSettings")
            .field("url", &self.url)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// `s3://<bucket>/<prefix>` split into the bucket and the prefix (no slashes at its ends).
pub fn parse_url(url: &str) -> Result<(String, String), String> {
    let rest = url.strip_prefix("s3://").ok_or_else(|| format!("{url:?} is not an s3://<bucket>/<prefix> URL"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    // S3's bucket naming rules: 3 to 63 lowercase letters, digits, dots and hyphens.
    let valid = (3..=63).contains(&bucket.len())
        && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    if !valid {
        return Err(format!("{bucket:?} is not a bucket name (3 to 63 lowercase letters, digits, dots and hyphens)"));
    }
    let prefix = prefix.trim_matches('/');
    if prefix.split('/').any(|part| part == "." || part == "..") || prefix.contains("//") {
        return Err(format!("the prefix {prefix:?} has an empty, `.` or `..` part"));
    }
    Ok((bucket.to_string(), prefix.to_string()))
}

/// A bucket (and prefix) holding files' bytes.
#[derive(Clone)]
pub struct Bucket {
    store: Arc<AmazonS3>,
    prefix: String,
    /// `s3://bucket/prefix`, for messages.
    name: String,
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bucket").field("name", &self.name).finish_non_exhaustive()
    }
}

impl Bucket {
    /// The client for the bucket; nothing is sent yet ([`Bucket::mark`] is the first call).
    pub fn open(settings: &BucketSettings) -> Result<Bucket, String> {
        let (bucket, prefix) = parse_url(&settings.url)?;
        // Each attempt is bounded, and so are the retries: an upload waits at most about half a
        // minute for a store that is down, rather than object_store's default three.
        let options = ClientOptions::new()
            .with_connect_timeout(Duration::from_secs(5))
            .with_timeout(Duration::from_secs(60))
            .with_allow_http(settings.endpoint.as_deref().is_some_and(|e| e.starts_with("http://")));
        let retry = RetryConfig { max_retries: 3, retry_timeout: Duration::from_secs(30), ..RetryConfig::default() };
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&bucket)
            .with_region(&settings.region)
            .with_client_options(options)
            .with_retry(retry);
        if let Some(endpoint) = &settings.endpoint {
            // Self-hosted stores answer at one address for every bucket: path-style addressing.
            builder = builder.with_endpoint(endpoint.trim_end_matches('/')).with_virtual_hosted_style_request(false);
        }
        match (&settings.access_key_id, &settings.secret_access_key) {
            (Some(id), Some(secret)) => {
                builder = builder.with_access_key_id(id).with_secret_access_key(secret);
                if let Some(token) = &settings.session_token {
                    builder = builder.with_token(token);
                }
            }
            (None, None) => {}
            _ => return Err("set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither".into()),
        }
        let store = builder.build().map_err(|e| format!("{}: {e}", settings.url))?;
        let name = format!("s3://{bucket}/{prefix}");
        Ok(Bucket { store: Arc::new(store), prefix, name })
    }

    fn path(&self, key: &str) -> Path {
        if self.prefix.is_empty() {
            Path::from(key)
        } else {
            Path::from(format!("{}/{key}", self.prefix))
        }
    }

    /// Writes the object (an S3 PUT is atomic: readers see all of it or none).
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> io::Result<()> {
        self.store.put(&self.path(key), PutPayload::from(bytes)).await.map(|_| ()).map_err(to_io)
    }

    pub async fn get(&self, key: &str) -> io::Result<Vec<u8>> {
        let object = self.store.get(&self.path(key)).await.map_err(to_io)?;
        Ok(object.bytes().await.map_err(to_io)?.to_vec())
    }

    /// Deletes the object; deleting a missing one succeeds (as S3 answers).
    pub async fn delete(&self, key: &str) -> io::Result<()> {
        self.store.delete(&self.path(key)).await.map_err(to_io)
    }

    /// Writes the marker object: at startup, proves the bucket exists and takes writes.
    pub async fn mark(&self) -> io::Result<()> {
        self.put(MARKER, b"enspace file store\n".to_vec()).await
    }

    /// Whether the bucket answers and still holds the marker (readiness): one HEAD request.
    pub async fn check(&self) -> io::Result<()> {
        self.store.head(&self.path(MARKER)).await.map(|_| ()).map_err(to_io)
    }
}

fn to_io(error: object_store::Error) -> io::Error {
    match error {
        object_store::Error::NotFound { .. } => io::Error::new(io::ErrorKind::NotFound, error.to_string()),
        other => io::Error::other(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_a_bucket_and_a_prefix() {
        assert_eq!(parse_url("s3://files"), Ok(("files".into(), "".into())));
        assert_eq!(parse_url("s3://files/"), Ok(("files".into(), "".into())));
        assert_eq!(parse_url("s3://acme-files/enspace/prod/"), Ok(("acme-files".into(), "enspace/prod".into())));
        assert_eq!(
            parse_url("https://files/x"),
            Err("\"https://files/x\" is not an s3://<bucket>/<prefix> URL".to_string())
        );
        assert_eq!(
            parse_url("s3://Files/x"),
            Err("\"Files\" is not a bucket name (3 to 63 lowercase letters, digits, dots and hyphens)".to_string())
        );
        assert!(parse_url("s3://ab").is_err());
        assert_eq!(parse_url("s3://files/a/../b"), Err("the prefix \"a/../b\" has an empty, `.` or `..` part".into()));
        assert!(parse_url("s3://files/a//b").is_err());
    }

    #[test]
    fn the_secret_never_shows_in_a_debug_print() {
        let settings = BucketSettings {
            url: "s3://files".into(),
            access_key_id: Some("AKIDEXAMPLE".into()),
            secret_access_key: Some("wJalrXUtnFEMI/K7MDENG".into()),
            session_token: Some("token-value".into()),
            ..BucketSettings::default()
        };
        let printed = format!("{settings:?}");
        assert!(printed.contains("AKIDEXAMPLE") && !printed.contains("wJalr") && !printed.contains("token-value"));
    }

    #[test]
    fn half_a_credential_is_refused() {
        let settings = BucketSettings {
            url: "s3://files".into(),
            region: "us-east-1".into(),
            access_key_id: Some("AKIDEXAMPLE".into()),
            ..BucketSettings::default()
        };
        assert_eq!(
            Bucket::open(&settings).unwrap_err(),
            "set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither"
        );
    }
}
