//! `enspace serve`: first run, background work, the HTTP server, graceful shutdown.

use std::time::Duration;

use anyhow::Context;
use enspace_api::{rate_limit::RateSettings, ApiConfig, AppState};
use enspace_domain::{list::Paging, secrets::Keyring};
use enspace_engine::request_log::{self, WriterSettings};
use enspace_store::Db;
use tokio::sync::watch;

use crate::config::ServeArgs;

pub async fn run(db: Db, args: &ServeArgs, data_dir: &std::path::Path, keyring: Keyring) -> anyhow::Result<()> {
    if let Some((user, secret)) = crate::users::first_run(&db, &args.admin_email).await? {
        // Printed once, to the terminal only, never through the logger.
        println!(
            "\n========================================================================\n\
             FIRST RUN: created the administrator {email}.\n\
             Its API key, shown only this once (every scope, every workspace):\n\n    {secret}\n\n\
             Try: curl -H \"x-api-key: {secret}\" http://{addr}/workspaces\n\
             ========================================================================\n",
            email = user.email,
            addr = args.addr,
        );
    }

    enspace_engine::indexes::resume(&db).await.context("queueing pending index builds")?;
    let (sink, writer) = request_log::start(db.clone(), WriterSettings::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let days = |n: u32| Duration::from_secs(u64::from(n) * 86_400);
    let retention = enspace_engine::retention::Retention {
        request_log: days(args.request_log_retention_days),
        events: days(args.event_retention_days),
    };
    let keyring = std::sync::Arc::new(keyring);
    let public_url =
        args.public_url.clone().unwrap_or_else(|| format!("http://{}", args.addr)).trim_end_matches('/').to_string();
    let twilio_account = match (&args.twilio_account_sid, &args.twilio_auth_token) {
        (Some(sid), Some(token)) => {
            Some(enspace_integrations::TwilioAccount { sid: sid.clone(), token: token.clone() })
        }
        _ => None,
    };
    let urls = enspace_integrations::ProviderUrls {
        sendgrid: args.sendgrid_url.clone(),
        twilio: args.twilio_url.clone(),
        openai: args.openai_url.clone(),
        certisign: args.certisign_url.clone(),
        d4sign: args.d4sign_url.clone(),
        clicksign: args.clicksign_url.clone(),
        docusign_auth: args.docusign_auth_url.clone(),
        adobe_sign: args.adobe_sign_url.clone(),
    };
    let providers = enspace_integrations::Providers::new(urls)
        .with_twilio_account(twilio_account)
        .with_sendgrid_activity_delay(Duration::from_secs(args.sendgrid_activity_delay_seconds));
    let files = match args.bucket() {
        Some(settings) => enspace_engine::files::FileStore::bucket(&settings)
            .await
            .with_context(|| format!("opening the file store {}", settings.url))?,
        None => enspace_engine::files::FileStore::local(data_dir),
    };
    if !files.is_shared() && db.backend() == enspace_store::db::Backend::Postgres {
        tracing::warn!(
            dir = %data_dir.join("files").display(),
            "files are kept in this process's data directory: other processes on this database will not find them \
             (set --file-store s3://<bucket>/<prefix> to share them)"
        );
    }
    let jobs = enspace_engine::jobs::Jobs::standard(
        &db,
        keyring.clone(),
        providers.clone(),
        files.clone(),
        &public_url,
        args.allow_private_webhooks,
    );
    let worker_settings = enspace_engine::jobs::WorkerSettings {
        lease: Duration::from_secs(args.job_lease_seconds.max(1)),
        ..enspace_engine::jobs::WorkerSettings::default()
    };
    let pruner = enspace_engine::retention::start(
        db.clone(),
        jobs.clone(),
        retention,
        Duration::from_secs(3600),
        stop_rx.clone(),
    );
    let dispatcher =
        enspace_engine::webhooks::start_dispatcher(db.clone(), jobs.clone(), Duration::from_secs(1), stop_rx.clone());
    let worker = jobs.clone().start(db.clone(), worker_settings, stop_rx);

    let config = ApiConfig {
        public_url,
        body_limit: args.body_limit,
        file_limit: args.file_size_limit,
        paging: Paging { default_limit: 100.min(args.page_size_max), max_limit: args.page_size_max },
        rate: RateSettings::per_second(args.rate_limit_per_second, args.rate_limit_burst),
        allow_private_webhooks: args.allow_private_webhooks,
    };
    let console = if args.console {
        match enspace_console::ConsoleSettings::new(&config.public_url, args.console_insecure_cookies) {
            Ok(settings) => Some(settings),
            Err(reason) => {
                tracing::warn!(%reason, "the web console is off");
                None
            }
        }
    } else {
        None
    };
    if console.is_some() {
        println!("Web console: {}/app", config.public_url);
    }
    let state = AppState::new(db.clone(), config, sink, files, keyring, jobs, providers);
    let stopping = state.stopping.clone();
    let app = enspace_api::router_with(state, console.map(enspace_console::router).unwrap_or_default());
    let listener = tokio::net::TcpListener::bind(args.addr).await.with_context(|| format!("binding {}", args.addr))?;
    tracing::info!(addr = %listener.local_addr()?, backend = ?db.backend(), "listening");

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let server = tokio::spawn(accept(listener, app, shutdown_rx));

    shutdown_signal().await;
    tracing::info!("shutting down: finishing in-flight requests");
    let _ = shutdown_tx.send(true);
    stopping.send_replace(true);
    match tokio::time::timeout(Duration::from_secs(args.shutdown_grace_seconds), server).await {
        Ok(result) => result??,
        Err(_) => tracing::warn!("in-flight requests did not finish in time"),
    }
    writer.shutdown().await;
    let _ = stop_tx.send(true);
    let _ = pruner.await;
    let _ = dispatcher.await;
    let _ = worker.await;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Headers hyper parses before refusing a request by itself. Its refusal is a bare 431 with no
/// body, so this sits well above the API's own limit (`enspace_api::middleware::MAX_HEADERS`), which
/// answers in the error shape; only a request past this one gets hyper's bare answer.
const PARSED_HEADERS_MAX: usize = 1000;

/// Serves connections until `stop`, then lets the open ones finish (the caller bounds the wait).
/// Our own loop rather than `axum::serve`, which cannot raise hyper's header limit.
async fn accept(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    use hyper_util::{
        rt::{TokioExecutor, TokioIo},
        server::{conn::auto::Builder, graceful::GracefulShutdown},
        service::TowerToHyperService,
    };
    use tower::ServiceExt;

    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().max_headers(PARSED_HEADERS_MAX);
    let graceful = GracefulShutdown::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = async { let _ = stop.wait_for(|stop| *stop).await; } => break,
        };
        let app = app.clone().map_request(move |mut request: axum::extract::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            request
        });
        let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(app));
        let connection = graceful.watch(connection.into_owned());
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
