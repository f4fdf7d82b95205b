//! Grouped commits for SQLite's one writer.
//!
//! With `synchronous = FULL` every commit waits for the disk, so one transaction per create
//! caps creates at the disk's sync rate (about 700/s on the benchmark machine). Here concurrent
//! writes share one transaction: each runs in its own savepoint (its failure undoes only its
//! own work), then waits until a background flusher commits the batch, and only then answers.
//! Nothing is acknowledged before it is durable, and one sync covers every write of the batch.
//!
//! The flusher asks for the same fair (first-in, first-out) lock the writes take, so a batch
//! closes exactly after the writes that were already waiting when the first one finished.
//!
//! PostgreSQL needs none of this (its own group commit spans connections): there a batch is
//! a plain transaction.

use std::{
    collections::VecDeque,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

use tokio::sync::{watch, Mutex, Notify, OwnedMutexGuard};

use crate::{
    db::{Db, Tx},
    error::{Result, StoreError},
};

const SAVEPOINT: &str = "enspace_write";
/// Failed batches remembered for writers that see a later generation first.
const FAILURES_KEPT: usize = 64;

pub struct Group {
    state: Arc<Mutex<State>>,
    flush: Notify,
    committed: watch::Sender<Committed>,
    closed: AtomicBool,
}

#[derive(Default)]
struct State {
    tx: Option<Tx>,
    /// A writer's savepoint is open: its holder is working, or vanished (its request was
    /// cancelled) and the next holder undoes its work.
    savepoint_open: bool,
    /// Writes done in the open transaction, waiting for its commit.
    done: usize,
    generation: u64,
}

#[derive(Debug, Clone, Default)]
struct Committed {
    generation: u64,
    /// (generation, error) of batches whose commit failed.
    failures: VecDeque<(u64, String)>,
}

impl Group {
    pub(crate) fn start() -> Arc<Group> {
        let group = Arc::new(Group {
            state: Arc::new(Mutex::new(State::default())),
            flush: Notify::new(),
            committed: watch::Sender::new(Committed::default()),
            closed: AtomicBool::new(false),
        });
        tokio::spawn(flusher(group.clone()));
        group
    }

    /// Commits what is pending and stops the flusher (the database is closing).
    pub(crate) async fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.flush.notify_one();
        // Taking the lock waits for the flusher's last commit.
        let _ = self.state.lock().await;
    }
}

async fn flusher(group: Arc<Group>) {
    loop {
        group.flush.notified().await;
        let mut state = group.state.clone().lock_owned().await;
        undo_vanished(&mut state).await;
        if let Some(tx) = state.tx.take() {
            let failure = if state.done > 0 { tx.commit().await.err().map(|e| e.to_string()) } else { None };
            close_batch(&group, &mut state, failure);
        }
        if group.closed.load(Ordering::SeqCst) {
            return;
        }
    }
}

/// Undoes the work of a writer whose request was cancelled inside its savepoint.
async fn undo_vanished(state: &mut State) {
    if !state.savepoint_open {
        return;
    }
    state.savepoint_open = false;
    if let Some(tx) = state.tx.as_mut() {
        tx.events.clear();
        // "no such savepoint" means it was released before the cancellation: nothing to undo.
        let _ = tx.execute(&format!("ROLLBACK TO {SAVEPOINT}"), &[]).await;
        let _ = tx.execute(&format!("RELEASE {SAVEPOINT}"), &[]).await;
    }
}

fn close_batch(group: &Group, state: &mut State, failure: Option<String>) {
    state.done = 0;
    state.generation += 1;
    let generation = state.generation;
    group.committed.send_modify(|c| {
        c.generation = generation;
        if let Some(error) = failure {
            c.failures.push_back((generation, error));
            if c.failures.len() > FAILURES_KEPT {
                c.failures.pop_front();
            }
        }
    });
}

/// One write of a batch: [`Batch::tx`] to work, then [`Batch::finish`] with the outcome.
pub struct Batch(Inner);

enum Inner {
    Sqlite { guard: OwnedMutexGuard<State>, group: Arc<Group>, _wake: Wake },
    Postgres(Tx),
}

/// Wakes the flusher when a write ends in any way, including a cancelled request dropping it
/// mid-work, so that the open transaction never keeps the writer waiting.
struct Wake(Arc<Group>);

impl Drop for Wake {
    fn drop(&mut self) {
        self.0.flush.notify_one();
    }
}

impl Db {
    /// A write that may share its commit with concurrent ones (see the module). Use it for
    /// small, frequent writes (an item's create, update or delete); it answers only after the
    /// write is durable.
    pub async fn grouped(&self) -> Result<Batch> {
        let Some(group) = self.group() else { return Ok(Batch(Inner::Postgres(self.begin().await?))) };
        let mut guard = group.state.clone().lock_owned().await;
        undo_vanished(&mut guard).await;
        if guard.tx.is_none() {
            guard.tx = Some(self.begin().await?);
        }
        let tx = guard.tx.as_mut().expect("a batch holds its transaction");
        tx.execute(&format!("SAVEPOINT {SAVEPOINT}"), &[]).await?;
        guard.savepoint_open = true;
        Ok(Batch(Inner::Sqlite { guard, group: group.clone(), _wake: Wake(group.clone()) }))
    }
}

impl Batch {
    pub fn tx(&mut self) -> &mut Tx {
        match &mut self.0 {
            Inner::Sqlite { guard, .. } => guard.tx.as_mut().expect("a batch holds its transaction"),
            Inner::Postgres(tx) => tx,
        }
    }

    /// Keeps the write (`Ok`) or undoes it (`Err`), and for a kept one returns once it is
    /// committed; a failed commit turns the result into that error.
    pub async fn finish<T, E: From<StoreError>>(self, result: std::result::Result<T, E>) -> std::result::Result<T, E> {
        let (mut guard, group, wake) = match self.0 {
            Inner::Postgres(tx) => {
                if result.is_ok() {
                    tx.commit().await?;
                }
                return result;
            }
            Inner::Sqlite { guard, group, _wake } => (guard, group, _wake),
        };
        let tx = guard.tx.as_mut().expect("a batch holds its transaction");
        // The write's events go in its savepoint: the next writer's stay apart, and a write
        // whose events fail is undone like any failed write.
        let result = match result {
            Ok(value) => crate::events::flush(tx).await.map(|_| value).map_err(E::from),
            Err(e) => {
                tx.events.clear();
                Err(e)
            }
        };
        let ended = match &result {
            Ok(_) => tx.execute(&format!("RELEASE {SAVEPOINT}"), &[]).await.map(|_| ()),
            Err(_) => match tx.execute(&format!("ROLLBACK TO {SAVEPOINT}"), &[]).await {
                Ok(_) => tx.execute(&format!("RELEASE {SAVEPOINT}"), &[]).await.map(|_| ()),
                Err(e) => Err(e),
            },
        };
        guard.savepoint_open = false;
        if let Err(error) = ended {
            // The transaction cannot be trusted any more: the whole batch fails, and every
            // writer waiting for it hears so (none was answered yet).
            guard.tx = None;
            close_batch(&group, &mut guard, Some(error.to_string()));
            return Err(error.into());
        }
        // A failed write returns here; dropping it wakes the flusher, which ends the transaction.
        let value = result?;
        guard.done += 1;
        let generation = guard.generation;
        let mut committed = group.committed.subscribe();
        drop(guard);
        // Wakes the flusher now, once, rather than again after the commit.
        drop(wake);
        let outcome = committed
            .wait_for(|c| c.generation > generation)
            .await
            .map_err(|_| StoreError::Commit("the database closed before the write was committed".into()))?
            .failures
            .iter()
            .find(|(g, _)| *g == generation + 1)
            .map(|(_, e)| e.clone());
        match outcome {
            Some(error) => Err(StoreError::Commit(error).into()),
            None => Ok(value),
        }
    }
}
