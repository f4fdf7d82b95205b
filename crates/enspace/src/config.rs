//! The server's configuration: one typed struct from flags and `ENSPACE_*` environment
//! variables, built once in `main` and passed down. Nothing else reads the environment.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "enspace", version, about = "A server for the Enspace API", propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Where the embedded database and other local state live.
    #[arg(long, env = "ENSPACE_DATA_DIR", default_value = "./enspace-data", global = true)]
    pub data_dir: PathBuf,
    /// `postgres://user@host/db` for PostgreSQL; default: `sqlite://<data-dir>/enspace.db`.
    #[arg(long, env = "ENSPACE_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Database connections per process (PostgreSQL pool; SQLite readers).
    #[arg(long, env = "ENSPACE_DB_MAX_CONNECTIONS", default_value_t = 10, global = true)]
    pub db_max_connections: u32,
    /// Log line format.
    #[arg(long, env = "ENSPACE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    /// Log filter, in tracing's `EnvFilter` syntax (`info`, `enspace_api=debug`, …).
    #[arg(long, env = "ENSPACE_LOG", default_value = "info", global = true)]
    pub log: String,
    /// The file holding the master key that seals integration secrets (64 hex digits); created
    /// with owner-only permissions on first start. Default: `<data-dir>/master.key`.
    #[arg(long, env = "ENSPACE_MASTER_KEY_FILE", global = true)]
    pub master_key_file: Option<PathBuf>,
    /// The master key itself (64 hex digits), instead of the file: what several processes on
    /// one PostgreSQL database share. Set it in the environment, not on the command line.
    #[arg(long, env = "ENSPACE_MASTER_KEY", hide_env_values = true, global = true)]
    pub master_key: Option<String>,
    /// During a rotation with `ENSPACE_MASTER_KEY`: the key being replaced, so that rows not yet
    /// re-sealed still open.
    #[arg(long, env = "ENSPACE_PREVIOUS_MASTER_KEY", hide_env_values = true, global = true)]
    pub previous_master_key: Option<String>,
}

impl GlobalArgs {
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("enspace.db").display()),
        }
    }

    pub fn uses_sqlite(&self) -> bool {
        !self.database_url().starts_with("postgres")
    }

    pub fn master_key_path(&self) -> PathBuf {
        self.master_key_file.clone().unwrap_or_else(|| self.data_dir.join("master.key"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (applies pending migrations first).
    Serve(Box<ServeArgs>),
    /// Apply pending migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Print the OpenAPI document.
    Openapi,
    /// Manage the master key of integration secrets.
    #[command(subcommand)]
    Secrets(SecretsCommand),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "ENSPACE_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// The URL clients and providers reach this server at (webhook addresses are built from it).
    #[arg(long, env = "ENSPACE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Serve the web console at `/app` (`false` for an API-only server).
    #[arg(long, env = "ENSPACE_CONSOLE", default_value_t = true, action = clap::ArgAction::Set)]
    pub console: bool,
    /// Let the console's session cookie travel over plain HTTP to a non-loopback address (a
    /// closed network). Without it, such a public URL turns the console off with a warning.
    #[arg(long, env = "ENSPACE_CONSOLE_INSECURE_COOKIES")]
    pub console_insecure_cookies: bool,
    /// Email of the user created on the first start of an empty database.
    #[arg(long, env = "ENSPACE_ADMIN_EMAIL", default_value = "admin@localhost")]
    pub admin_email: String,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "ENSPACE_BODY_LIMIT", default_value_t = 1024 * 1024)]
    pub body_limit: usize,
    /// Largest uploaded file, in bytes (each file of a `POST /ws/files`; at most 10 per request).
    #[arg(long, env = "ENSPACE_FILE_SIZE_LIMIT", default_value_t = enspace_domain::files::DEFAULT_FILE_LIMIT)]
    pub file_size_limit: usize,
    /// Largest `_limit` a list accepts (larger is a 400).
    #[arg(long, env = "ENSPACE_PAGE_SIZE_MAX", default_value_t = 1000)]
    pub page_size_max: u32,
    /// Requests per second allowed per API key (and per address for unauthenticated routes).
    #[arg(long, env = "ENSPACE_RATE_LIMIT_PER_SECOND", default_value_t = 50)]
    pub rate_limit_per_second: u32,
    /// Requests allowed in a burst above the steady rate.
    #[arg(long, env = "ENSPACE_RATE_LIMIT_BURST", default_value_t = 100)]
    pub rate_limit_burst: u32,
    /// Days request-log rows are kept.
    #[arg(long, env = "ENSPACE_REQUEST_LOG_RETENTION_DAYS", default_value_t = 90)]
    pub request_log_retention_days: u32,
    /// Days events are kept in the log (at least 2: webhook retries must find their events). An
    /// item's events are its history and stay as long as the item.
    #[arg(long, env = "ENSPACE_EVENT_RETENTION_DAYS", default_value_t = 30,
        value_parser = clap::value_parser!(u32).range(i64::from(enspace_engine::retention::EVENT_RETENTION_MIN_DAYS)..))]
    pub event_retention_days: u32,
    /// Let webhooks call loopback, private, link-local and metadata addresses, and `http://`
    /// URLs (for tests and closed networks; never on a server reachable from outside).
    #[arg(long, env = "ENSPACE_ALLOW_PRIVATE_WEBHOOKS")]
    pub allow_private_webhooks: bool,
    /// SendGrid's API base URL (an on-premise relay, or a local fake in tests).
    #[arg(long, env = "ENSPACE_SENDGRID_URL", default_value = "https://api.sendgrid.com")]
    pub sendgrid_url: String,
    /// Seconds SendGrid's Email Activity may take to show an accepted email: a send interrupted
    /// by a crash or a timeout is looked up there (not sent again) no sooner than this after it
    /// started.
    #[arg(long, env = "ENSPACE_SENDGRID_ACTIVITY_DELAY_SECONDS", default_value_t = 120)]
    pub sendgrid_activity_delay_seconds: u64,
    /// OpenAI's API root (`/v1` included); an integration's `base_url` overrides it.
    #[arg(long, env = "ENSPACE_OPENAI_URL", default_value = "https://api.openai.com/v1")]
    pub openai_url: String,
    /// Twilio's API base URL.
    #[arg(long, env = "ENSPACE_TWILIO_URL", default_value = "https://api.twilio.com")]
    pub twilio_url: String,
    /// Certisign's API root, replacing both the sandbox and the live address (default: by the
    /// integration's environment, `https://api[-sbx].portaldeassinaturas.com.br/api/v2`).
    #[arg(long, env = "ENSPACE_CERTISIGN_URL")]
    pub certisign_url: Option<String>,
    /// D4Sign's API root (default: `https://{sandbox|secure}.d4sign.com.br/api/v1`).
    #[arg(long, env = "ENSPACE_D4SIGN_URL")]
    pub d4sign_url: Option<String>,
    /// Clicksign's API root (default: `https://{sandbox|app}.clicksign.com/api/v3`).
    #[arg(long, env = "ENSPACE_CLICKSIGN_URL")]
    pub clicksign_url: Option<String>,
    /// Docusign's authentication service (default: `https://account[-d].docusign.com`).
    #[arg(long, env = "ENSPACE_DOCUSIGN_AUTH_URL")]
    pub docusign_auth_url: Option<String>,
    /// Adobe Acrobat Sign's API access point when an integration sets none (default:
    /// `https://api.na1.adobesign[sandbox].com`).
    #[arg(long, env = "ENSPACE_ADOBE_SIGN_URL")]
    pub adobe_sign_url: Option<String>,
    /// The server-wide Twilio account, for WhatsApp integrations installed without their own.
    #[arg(long, env = "ENSPACE_TWILIO_ACCOUNT_SID")]
    pub twilio_account_sid: Option<String>,
    /// Its auth token (set it in the environment, not on the command line).
    #[arg(long, env = "ENSPACE_TWILIO_AUTH_TOKEN", hide_env_values = true)]
    pub twilio_auth_token: Option<String>,
    /// Seconds a background job stays claimed by a process before another may take it over (a
    /// crashed process's jobs resume after this).
    #[arg(long, env = "ENSPACE_JOB_LEASE_SECONDS", default_value_t = 300)]
    pub job_lease_seconds: u64,
    /// Where uploaded files' bytes are kept: `s3://<bucket>/<prefix>` for an S3-compatible
    /// bucket, which every process on one PostgreSQL database must share; default: the data
    /// directory (`<data-dir>/files`), which only this process sees.
    #[arg(long, env = "ENSPACE_FILE_STORE")]
    pub file_store: Option<String>,
    /// A self-hosted S3-compatible store's address (MinIO, Garage, Ceph…), reached with
    /// path-style addressing; Amazon S3 when unset.
    #[arg(long, env = "ENSPACE_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
    /// The bucket's region (what requests are signed for).
    #[arg(long, env = "ENSPACE_S3_REGION", default_value = "us-east-1")]
    pub s3_region: String,
    /// The bucket's access key id. Without it, the standard AWS chain (web identity, the
    /// container's or the instance's role) provides credentials.
    #[arg(long, env = "AWS_ACCESS_KEY_ID")]
    pub s3_access_key_id: Option<String>,
    /// Its secret (set it in the environment, not on the command line).
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub s3_secret_access_key: Option<String>,
    /// A session token with temporary credentials.
    #[arg(long, env = "AWS_SESSION_TOKEN", hide_env_values = true)]
    pub s3_session_token: Option<String>,
    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT.
    #[arg(long, env = "ENSPACE_SHUTDOWN_GRACE_SECONDS", default_value_t = 30)]
    pub shutdown_grace_seconds: u64,
}

impl ServeArgs {
    /// The bucket's settings, when files go to object storage.
    pub fn bucket(&self) -> Option<enspace_integrations::object_storage::BucketSettings> {
        self.file_store.as_ref().map(|url| enspace_integrations::object_storage::BucketSettings {
            url: url.clone(),
            endpoint: self.s3_endpoint.clone(),
            region: self.s3_region.clone(),
            access_key_id: self.s3_access_key_id.clone(),
            secret_access_key: self.s3_secret_access_key.clone(),
            session_token: self.s3_session_token.clone(),
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Re-seal every integration secret under a new master key. With the key file, the new key
    /// replaces it (safe to re-run if interrupted); with `ENSPACE_MASTER_KEY`, the new key is
    /// printed for you to configure (keep the old one as `ENSPACE_PREVIOUS_MASTER_KEY` until
    /// every process runs with the new one).
    Rotate,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user if new, and print a fresh API key for it (once).
    Create(UserCreateArgs),
    /// Set a user's login password, read from the first line of standard input (never from
    /// an argument, which other local users could read in the process list).
    SetPassword(UserSetPasswordArgs),
}

#[derive(Debug, Args)]
pub struct UserSetPasswordArgs {
    #[arg(long)]
    pub email: String,
}

#[derive(Debug, Args)]
pub struct UserCreateArgs {
    #[arg(long)]
    pub email: String,
    #[arg(long)]
    pub fname: Option<String>,
    #[arg(long)]
    pub lname: Option<String>,
    #[arg(long, default_value = "Created from the command line")]
    pub key_description: String,
    /// Comma-separated subset of read, write, delete.
    #[arg(long, default_value = "read,write,delete", value_delimiter = ',')]
    pub scopes: Vec<String>,
    /// Comma-separated workspace references the user belongs to, or `*`.
    #[arg(long, default_value = "*", value_delimiter = ',')]
    pub workspaces: Vec<String>,
    /// Also set a login password (for the console), asked for on the terminal without echo, or
    /// read from the first line of standard input when that is not a terminal.
    #[arg(long)]
    pub password: bool,
    /// Accepted for the spec's spelling (`user create --email … --key`); a key is always issued.
    #[arg(long)]
    pub key: bool,
}
