//! `enspace`: the Enspace API server, one binary. The command line lives here as a library so
//! that the benchmark (`src/bin/enspace-bench`) runs the very same server in its child process.

mod config;
mod master_key;
mod serve;
mod users;

/// For every binary of this package (the server and the benchmark's child server).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::Context;
use clap::Parser;
use config::{Cli, Command, GlobalArgs, LogFormat, SecretsCommand, UserCommand};
use enspace_store::{Db, DbOptions};
use tracing_subscriber::EnvFilter;

fn init_logging(global: &GlobalArgs) {
    let filter = EnvFilter::try_new(&global.log).unwrap_or_else(|_| EnvFilter::new("info"));
    // Colour codes only for a person at a terminal: in a file or a log collector they are noise.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    match global.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// Opens the configured database (creating the data directory for SQLite) and migrates it.
async fn open_database(global: &GlobalArgs) -> anyhow::Result<Db> {
    if global.uses_sqlite() {
        std::fs::create_dir_all(&global.data_dir)
            .with_context(|| format!("creating data directory {}", global.data_dir.display()))?;
    }
    let db = Db::connect(&DbOptions { url: global.database_url(), max_connections: global.db_max_connections })
        .await
        .context("opening the database")?;
    enspace_store::migrate::run(&db).await.context("applying migrations")?;
    Ok(db)
}

/// The `enspace` command with these arguments (the first is the program name).
pub fn main_with(args: impl IntoIterator<Item = std::ffi::OsString>) -> std::process::ExitCode {
    let cli = Cli::parse_from(args);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: starting the runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // The chain of causes, one line, without a backtrace: this is for an operator.
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Openapi => {
            println!("{}", serde_json::to_string_pretty(&enspace_api::openapi())?);
        }
        Command::Migrate => {
            init_logging(&cli.global);
            open_database(&cli.global).await?.close().await;
            tracing::info!("migrations applied");
        }
        Command::User(UserCommand::Create(args)) => {
            init_logging(&cli.global);
            let password = if args.password { Some(users::read_new_password(&args.email)?) } else { None };
            let db = open_database(&cli.global).await?;
            let result = users::create(&db, &args, password.as_deref()).await;
            db.close().await;
            println!("{}", result?);
        }
        Command::User(UserCommand::SetPassword(args)) => {
            init_logging(&cli.global);
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            let db = open_database(&cli.global).await?;
            let result = users::set_password(&db, &args.email, line.trim_end_matches(['\r', '\n'])).await;
            db.close().await;
            result?;
            eprintln!("password set for {}", args.email);
        }
        Command::Secrets(SecretsCommand::Rotate) => {
            init_logging(&cli.global);
            let db = open_database(&cli.global).await?;
            let result = master_key::rotate(&db, &cli.global).await;
            db.close().await;
            println!("{}", result?);
        }
        Command::Serve(args) => {
            init_logging(&cli.global);
            let keyring = master_key::load(&cli.global)?;
            let db = open_database(&cli.global).await?;
            serve::run(db, &args, &cli.global.data_dir, keyring).await?;
        }
    }
    Ok(())
}
