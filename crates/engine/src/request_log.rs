use std::time::Duration;

use enspace_store::{request_logs::RequestLog, Db};
use tokio::{
    sync::{mpsc, oneshot},
    task::JoinHandle,
    time::Instant,
};

/// Where requests hand their log rows; cheap to clone, never blocks a response.
#[derive(Clone)]
pub struct RequestLogSink {
    tx: mpsc::Sender<RequestLog>,
}

impl RequestLogSink {
    /// Queues a row. When the queue is full (the database cannot keep up) the row is dropped
    /// rather than slowing the response; returns whether it was queued.
    pub fn record(&self, log: RequestLog) -> bool {
        self.tx.try_send(log).is_ok()
    }
}

#[derive(Debug, Clone, Copy)]
pub struct WriterSettings {
    /// Rows written per transaction at most.
    pub batch_size: usize,
    /// How long a row may wait for its batch to fill.
    pub max_delay: Duration,
    /// Rows waiting at most before new ones are dropped.
    pub queue_capacity: usize,
}

impl Default for WriterSettings {
    fn default() -> Self {
        WriterSettings { batch_size: 500, max_delay: Duration::from_millis(250), queue_capacity: 20_000 }
    }
}

/// The running writer; [`RequestLogWriter::shutdown`] flushes what is queued and stops it.
pub struct RequestLogWriter {
    stop: oneshot::Sender<()>,
    flush: mpsc::Sender<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

pub fn start(db: Db, settings: WriterSettings) -> (RequestLogSink, RequestLogWriter) {
    let (tx, rx) = mpsc::channel(settings.queue_capacity);
    let (stop_tx, stop_rx) = oneshot::channel();
    let (flush_tx, flush_rx) = mpsc::channel(16);
    let task = tokio::spawn(run(db, settings, rx, stop_rx, flush_rx));
    (RequestLogSink { tx }, RequestLogWriter { stop: stop_tx, flush: flush_tx, task })
}

impl RequestLogWriter {
    /// Writes every row queued so far, and returns once they are in the database.
    pub async fn flush(&self) {
        let (ack_tx, ack_rx) = oneshot::channel();
        if self.flush.send(ack_tx).await.is_ok() {
            let _ = ack_rx.await;
        }
    }

    /// Writes every queued row, then returns.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        if let Err(error) = self.task.await {
            tracing::error!(%error, "request log writer failed");
        }
    }
}

async fn write(db: &Db, batch: &mut Vec<RequestLog>) {
    if batch.is_empty() {
        return;
    }
    // A failed batch is retried once; the log is telemetry, so a second failure drops it
    // with an error rather than holding memory without bound.
    for attempt in 0..2 {
        match enspace_store::request_logs::insert_batch(db, batch).await {
            Ok(()) => break,
            Err(error) if attempt == 0 => {
                tracing::warn!(%error, rows = batch.len(), "request log batch failed; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(error) => tracing::error!(%error, rows = batch.len(), "request log batch dropped"),
        }
    }
    batch.clear();
}

async fn run(
    db: Db,
    settings: WriterSettings,
    mut rx: mpsc::Receiver<RequestLog>,
    mut stop: oneshot::Receiver<()>,
    mut flush: mpsc::Receiver<oneshot::Sender<()>>,
) {
    let mut batch = Vec::with_capacity(settings.batch_size);
    // When the oldest row of the current batch must be written by.
    let mut due = Instant::now();
    loop {
        tokio::select! {
            biased;
            _ = &mut stop => break,
            Some(ack) = flush.recv() => {
                while let Ok(log) = rx.try_recv() {
                    batch.push(log);
                    if batch.len() >= settings.batch_size {
                        write(&db, &mut batch).await;
                    }
                }
                write(&db, &mut batch).await;
                let _ = ack.send(());
            }
            _ = tokio::time::sleep_until(due), if !batch.is_empty() => write(&db, &mut batch).await,
            received = rx.recv() => {
                let Some(log) = received else { break };
                if batch.is_empty() {
                    due = Instant::now() + settings.max_delay;
                }
                batch.push(log);
                if batch.len() >= settings.batch_size {
                    write(&db, &mut batch).await;
                }
            }
        }
    }
    // Flush: whatever is queued when the server stops is written before it exits.
    rx.close();
    while let Some(log) = rx.recv().await {
        batch.push(log);
        if batch.len() >= settings.batch_size {
            write(&db, &mut batch).await;
        }
    }
    write(&db, &mut batch).await;
}
