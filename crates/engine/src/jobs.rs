//! The job worker: claims due jobs from the database queue (`store::jobs`), runs each with the
//! handler registered for its kind, and records the outcome: done, queued again after a backoff
//! (or the provider's `Retry-After`), or failed for good with its last error.
//!
//! Several processes may run workers on one PostgreSQL database; each job is claimed by one of
//! them at a time, under a lease that a crashed process lets expire.

use std::{collections::HashMap, future::Future, pin::Pin, sync::Arc, time::Duration};

use enspace_domain::{jobs::retry_delay_ms, secrets::Keyring, time::now_ms};
use enspace_integrations::{ProviderError, Providers};
use enspace_store::{jobs::JobRecord, Db};
use tokio::{
    sync::{watch, Notify},
    task::JoinHandle,
};

/// How a run went wrong.
#[derive(Debug, Clone, PartialEq)]
pub enum JobError {
    /// Worth another attempt (a timeout, a 5xx, a 429), optionally not before `after`.
    Retry { message: String, after: Option<Duration> },
    /// No attempt will succeed (bad credentials, a refused request): failed now.
    Fatal(String),
}

impl JobError {
    /// The message of a failed attempt, and whether it ends the job (fatal, or the last
    /// attempt): what a handler writes on the row it sends for.
    pub fn outcome(&self, job: &JobRecord) -> (&str, bool) {
        match self {
            JobError::Fatal(message) => (message, true),
            JobError::Retry { message, .. } => (message, job.attempts >= job.max_attempts),
        }
    }
}

/// A database failure is worth another attempt.
impl From<enspace_store::StoreError> for JobError {
    fn from(e: enspace_store::StoreError) -> Self {
        JobError::Retry { message: format!("database: {e}"), after: None }
    }
}

impl From<ProviderError> for JobError {
    fn from(e: ProviderError) -> Self {
        match e {
            ProviderError::Retry { message, retry_after, .. } => JobError::Retry { message, after: retry_after },
            ProviderError::Fatal { message } => JobError::Fatal(message),
        }
    }
}

pub type JobFuture<'a> = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send + 'a>>;

/// What runs the jobs of one kind.
pub trait Handler: Send + Sync {
    fn run<'a>(&'a self, job: &'a JobRecord) -> JobFuture<'a>;
}

#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Identifies this process's claims (`locked_by`).
    pub worker_id: String,
    /// How long a claim holds before another worker may take the job.
    pub lease: Duration,
    /// Jobs claimed at once.
    pub batch: i64,
    /// The longest sleep between looks at the queue (jobs enqueued by another process, or due
    /// later, are picked up within it).
    pub poll: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings {
            worker_id: format!("{}-{}", std::process::id(), ulid::Ulid::new()),
            lease: Duration::from_secs(300),
            batch: 16,
            poll: Duration::from_secs(1),
        }
    }
}

/// The handlers by kind, and a bell that wakes the worker when this process enqueues.
#[derive(Clone, Default)]
pub struct Jobs {
    handlers: Arc<HashMap<&'static str, Arc<dyn Handler>>>,
    wake: Arc<Notify>,
}

impl Jobs {
    /// Every handler the server has, for `enspace serve` and the tests alike. `public_url` is
    /// where providers call back; `allow_private_webhooks` lets webhooks call private addresses.
    pub fn standard(
        db: &Db,
        keyring: Arc<Keyring>,
        providers: Providers,
        files: crate::files::FileStore,
        public_url: &str,
        allow_private_webhooks: bool,
    ) -> Jobs {
        let send_email =
            crate::emails::SendEmail { db: db.clone(), keyring: keyring.clone(), providers: providers.clone() };
        let deliver = crate::webhooks::Deliver {
            db: db.clone(),
            keyring: keyring.clone(),
            allow_private: allow_private_webhooks,
        };
        let whatsapp: Arc<dyn Handler> =
            Arc::new(crate::whatsapp::WhatsApp { db: db.clone(), keyring, providers, public_url: public_url.into() });
        let purge: Arc<dyn Handler> = Arc::new(crate::purge::Purge { db: db.clone(), files });
        let mut handlers: Vec<(&'static str, Arc<dyn Handler>)> = vec![
            (crate::emails::KIND, Arc::new(send_email) as Arc<dyn Handler>),
            (crate::whatsapp::SEND, whatsapp.clone()),
            (crate::whatsapp::WARN, whatsapp.clone()),
            (crate::whatsapp::CLOSE, whatsapp),
            (crate::purge::WORKSPACE, purge.clone()),
            (crate::purge::TYPE, purge.clone()),
            (crate::purge::FIELD, purge),
            (crate::webhooks::DELIVER, Arc::new(deliver)),
            (crate::indexes::BUILD, Arc::new(crate::indexes::BuildIndex { db: db.clone() })),
            (crate::retention::PRUNE, Arc::new(crate::retention::Prune { db: db.clone() })),
        ];
        handlers.extend(crate::notifications::handlers(db));
        Jobs::new(handlers)
    }

    pub fn new(handlers: Vec<(&'static str, Arc<dyn Handler>)>) -> Jobs {
        Jobs { handlers: Arc::new(handlers.into_iter().collect()), wake: Arc::default() }
    }

    /// Call after committing an enqueue, so the job runs now rather than at the next poll.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Claims and runs one batch of due jobs; answers how many ran.
    pub async fn run_due(&self, db: &Db, settings: &WorkerSettings) -> enspace_store::Result<usize> {
        self.run_due_at(db, settings, now_ms()).await
    }

    /// [`run_due`](Self::run_due) as if the time were `at`: the jobs due by then (tests move
    /// the worker's clock forward to reach timed work, such as deadline notifications).
    pub async fn run_due_at(&self, db: &Db, settings: &WorkerSettings, at: i64) -> enspace_store::Result<usize> {
        let lease_ms = settings.lease.as_millis() as i64;
        let jobs = enspace_store::jobs::claim(db, &settings.worker_id, at, lease_ms, settings.batch).await?;
        if jobs.is_empty() {
            return Ok(0);
        }
        // While the batch runs, its leases are renewed every third of a lease: a claim expires
        // only when this process has stopped (or lost the database for that long).
        let heartbeat = async {
            // (At least 100 ms: an interval of zero would panic.)
            let mut tick = tokio::time::interval((settings.lease / 3).max(Duration::from_millis(100)));
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(error) =
                    enspace_store::jobs::extend_leases(db, &settings.worker_id, now_ms() + lease_ms).await
                {
                    tracing::warn!(%error, "could not renew the leases of running jobs");
                }
            }
        };
        tokio::select! {
            result = self.run_claimed(db, settings, &jobs) => result?,
            () = heartbeat => {}
        }
        Ok(jobs.len())
    }

    async fn run_claimed(&self, db: &Db, settings: &WorkerSettings, jobs: &[JobRecord]) -> enspace_store::Result<()> {
        for job in jobs {
            let outcome = match self.handlers.get(job.kind.as_str()) {
                Some(handler) => handler.run(job).await,
                None => Err(JobError::Fatal(format!("no handler for jobs of kind {:?}", job.kind))),
            };
            let now = now_ms();
            let recorded = match outcome {
                Ok(()) => enspace_store::jobs::complete(db, job.id, &settings.worker_id, now).await?,
                Err(error) => {
                    let (message, retry_at) = match error {
                        JobError::Retry { message, .. } if job.attempts >= job.max_attempts => (message, None),
                        JobError::Retry { message, after } => {
                            let wait =
                                after.map(|d| d.as_millis() as i64).unwrap_or(0).max(retry_delay_ms(job.attempts));
                            (message, Some(now + wait))
                        }
                        JobError::Fatal(message) => (message, None),
                    };
                    tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, retry_at, error = %message, "job attempt failed");
                    enspace_store::jobs::fail(db, job.id, &settings.worker_id, &message, retry_at, now).await?
                }
            };
            if !recorded {
                tracing::warn!(
                    job = job.id,
                    "job outcome not recorded: its lease expired and another worker claimed it"
                );
            }
        }
        Ok(())
    }

    /// Runs the worker until `stop` changes: a batch, then (when the queue had nothing) a sleep
    /// until the next due job, the poll interval, or a wake.
    pub fn start(self, db: Db, settings: WorkerSettings, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                let ran = match self.run_due(&db, &settings).await {
                    Ok(n) => n,
                    Err(error) => {
                        tracing::warn!(%error, "job queue unavailable");
                        0
                    }
                };
                if ran > 0 {
                    continue;
                }
                let until_due = match enspace_store::jobs::next_due(&db).await {
                    Ok(Some(at)) => Duration::from_millis((at - now_ms()).max(0) as u64),
                    _ => settings.poll,
                };
                tokio::select! {
                    _ = tokio::time::sleep(until_due.min(settings.poll)) => {}
                    _ = self.wake.notified() => {}
                    _ = stop.changed() => break,
                }
            }
        })
    }
}
