//! [`JobQueue`]: accepted jobs, durable in SQLite, mirrored in memory for fast reads.
//!
//! Every state change is written to SQLite first (on a blocking thread, see [`store`]) and then to
//! the in-memory view, under the database lock so that both agree on order. Reads of live jobs
//! (status, progress, queue position) are answered from memory; older jobs fall back to SQLite.
//! Every change bumps a [`watch`] counter that event streams and workers wait on.
//!
//! Progress goes to memory at once and to SQLite behind it (one saving task per job at a time,
//! which also writes what arrives while it runs, so a burst of reports costs a write or two). It
//! never goes down: a job resumed after a restart runs again from the start but shows the
//! progress it had reached until the new run passes it.

mod memory;
mod output;
mod source;
pub(crate) mod store;
pub(crate) mod worker;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use dgx_pixels_protocol::{
    BackendKind, GenerateRequest, Job, JobId, JobRequest, JobResult, JobStatus, TrainStep, TrainStyleRequest,
    TrainedStyle,
};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, watch};
use tracing::warn;

use self::memory::Memory;
use self::store::{NewJob, Store};

pub use self::store::StoreError;

/// Terminal jobs kept in memory for fast reads; older ones are read from SQLite.
const KEEP_TERMINAL: usize = 4096;

/// Why a queue operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueueError {
    /// No job has this id.
    #[error("no job `{0}`")]
    NotFound(JobId),
    /// The job already reached a terminal status.
    #[error("job `{id}` is already {status:?}")]
    AlreadyFinished {
        /// The job.
        id: JobId,
        /// Its terminal status.
        status: JobStatus,
    },
    /// The idempotency key was used before with a different request.
    #[error("idempotency key `{0}` was used with a different request")]
    KeyReused(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A job could not be written as JSON (a float that JSON cannot hold).
    #[error("cannot serialise job: {0}")]
    Json(#[from] serde_json::Error),
    /// A blocking task panicked or was cancelled.
    #[error("queue task failed: {0}")]
    Task(String),
}

/// A request to queue.
#[derive(Clone, Debug)]
pub struct Submission {
    /// The request as the client sent it.
    pub request: JobRequest,
    /// The backend that will run it.
    pub backend: BackendKind,
    /// The seed it runs with.
    pub seed: u64,
    /// The client's `Idempotency-Key`, if any.
    pub idempotency_key: Option<String>,
    /// The id the job gets, chosen by the caller when it prepares files under that id before
    /// queueing (a training's dataset); `None` draws one.
    pub id: Option<JobId>,
}

/// A queued job a worker has taken to prepare.
#[derive(Clone, Debug)]
pub(crate) struct Claim {
    pub id: JobId,
    pub request: GenerateRequest,
    pub seed: u64,
    pub backend: BackendKind,
    /// Notified once when the job is cancelled.
    pub cancel: Arc<Notify>,
}

/// A queued training a worker has taken.
#[derive(Clone, Debug)]
pub(crate) struct TrainClaim {
    pub id: JobId,
    pub request: TrainStyleRequest,
    pub seed: u64,
    /// Notified once when the job is cancelled.
    pub cancel: Arc<Notify>,
}

/// How a run ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    Completed(Box<JobResult>),
    Trained(Box<TrainedStyle>),
    Failed(String),
}

/// What a completed job made, as the database's `result` column holds it (untagged: a sheet's
/// result and a style tell each other apart by their required fields).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum Made {
    Sheet(JobResult),
    Style(TrainedStyle),
}

impl Made {
    /// Puts it where [`Job`] shows it: `result` for a sheet, `style` for a style.
    pub fn put_into(self, job: &mut Job) {
        match self {
            Made::Sheet(result) => job.result = Some(result),
            Made::Style(style) => job.style = Some(style),
        }
    }
}

/// The job queue. Cheap to clone; all clones share one database and one memory view.
#[derive(Clone)]
pub struct JobQueue {
    inner: Arc<Inner>,
}

struct Inner {
    /// The database; a std mutex because it is only locked on blocking threads.
    store: Mutex<Store>,
    /// The live view; a std mutex because no `.await` happens while it is held.
    memory: Mutex<Memory>,
    /// Bumped on every change.
    changed: watch::Sender<u64>,
}

impl JobQueue {
    /// Opens the database at `path`, puts jobs that were running back in the queue and loads
    /// every queued job in order. Returns the queue and the number of jobs resumed.
    pub async fn open(path: &Path) -> Result<(Self, usize), QueueError> {
        let path = path.to_owned();
        let (store, queued) = run_blocking(move || {
            let store = Store::open(&path)?;
            store.requeue_running()?;
            let queued = store.queued()?;
            Ok::<_, QueueError>((store, queued))
        })
        .await??;
        let mut memory = Memory::new(KEEP_TERMINAL);
        let resumed = queued.len();
        for stored in queued {
            memory.insert(stored);
        }
        let inner = Inner { store: Mutex::new(store), memory: Mutex::new(memory), changed: watch::Sender::new(0) };
        Ok((Self { inner: Arc::new(inner) }, resumed))
    }

    /// Queues a request, or returns the job an earlier submission with the same idempotency key
    /// created (the boolean is true for a new job).
    pub async fn submit(&self, submission: Submission) -> Result<(Job, bool), QueueError> {
        let queue = self.clone();
        let outcome = run_blocking(move || {
            let store = queue.inner.lock_store();
            if let Some(key) = &submission.idempotency_key
                && let Some(existing) = store.by_key(key)?
            {
                if existing.job.request != submission.request {
                    return Err(QueueError::KeyReused(key.clone()));
                }
                let id = existing.job.id.clone();
                return Ok((queue.inner.lock_memory().get(&id).unwrap_or(existing.job), false));
            }
            let id = submission.id.clone().unwrap_or_else(new_job_id);
            let new = NewJob {
                id: &id,
                request: &submission.request,
                seed: submission.seed,
                backend: submission.backend,
                idempotency_key: submission.idempotency_key.as_deref(),
                now_ms: now_ms(),
            };
            store.insert(&new)?;
            let stored = store.get(&id)?.ok_or_else(|| QueueError::NotFound(id.clone()))?;
            let mut memory = queue.inner.lock_memory();
            memory.insert(stored);
            Ok((memory.get(&id).ok_or(QueueError::NotFound(id))?, true))
        })
        .await?;
        if matches!(outcome, Ok((_, true))) {
            self.notify();
        }
        outcome
    }

    /// The job with this id, live from memory or stored in the database.
    pub async fn get(&self, id: &JobId) -> Result<Job, QueueError> {
        if let Some(job) = self.get_live(id) {
            return Ok(job);
        }
        let queue = self.clone();
        let id = id.clone();
        run_blocking(move || {
            let stored = queue.inner.lock_store().get(&id)?;
            stored.map(|stored| stored.job).ok_or(QueueError::NotFound(id))
        })
        .await?
    }

    /// The job as JSON: shared bytes for a finished job in memory, else serialised now.
    pub async fn get_json(&self, id: &JobId) -> Result<Bytes, QueueError> {
        if let Some(json) = self.inner.lock_memory().finished_json(id) {
            return Ok(json);
        }
        let job = self.get(id).await?;
        Ok(Bytes::from(serde_json::to_vec(&job)?))
    }

    /// The job from memory only: every queued or running job, and recent finished ones.
    pub fn get_live(&self, id: &JobId) -> Option<Job> {
        self.inner.lock_memory().get(id)
    }

    /// The newest `limit` jobs, optionally of one status, newest first, with live progress.
    pub async fn list(&self, status: Option<JobStatus>, limit: u32) -> Result<Vec<Job>, QueueError> {
        let queue = self.clone();
        run_blocking(move || {
            let stored = queue.inner.lock_store().recent(status, limit)?;
            let memory = queue.inner.lock_memory();
            Ok(stored.into_iter().map(|s| memory.get(&s.job.id).unwrap_or(s.job)).collect())
        })
        .await?
    }

    /// Cancels a queued or running job and returns it; a running job's worker is told to stop.
    pub async fn cancel(&self, id: &JobId) -> Result<Job, QueueError> {
        let outcome = self.finish_blocking(id.clone(), JobStatus::Cancelled, None, None).await?;
        let job = match outcome {
            Some(job) => job,
            None => {
                let job = self.get(id).await?;
                return Err(QueueError::AlreadyFinished { id: id.clone(), status: job.status });
            }
        };
        self.notify();
        Ok(job)
    }

    /// A counter bumped on every change of any job; wait on it, then read what you need.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.changed.subscribe()
    }

    /// Takes the oldest queued job of `backend` not yet taken and, up to `max(its request)` jobs
    /// in all, the later ones `compatible` with it, for a worker to prepare as one batch. Empty when none
    /// is queued.
    pub(crate) fn claim_batch(
        &self,
        backend: BackendKind,
        max: impl Fn(&GenerateRequest) -> usize,
        compatible: impl Fn(&GenerateRequest, &GenerateRequest) -> bool,
    ) -> Vec<Claim> {
        self.inner.lock_memory().claim_batch(backend, max, compatible)
    }

    /// Up to `max` more queued jobs of `backend`, not yet taken, that `compatible` lets join
    /// the batch led by `leader`: what a worker waiting for its batch to fill takes.
    pub(crate) fn claim_more(
        &self,
        backend: BackendKind,
        leader: &GenerateRequest,
        max: usize,
        compatible: impl Fn(&GenerateRequest, &GenerateRequest) -> bool,
    ) -> Vec<Claim> {
        self.inner.lock_memory().claim_more(backend, leader, max, compatible)
    }

    /// Takes the oldest queued training of `backend` not yet taken.
    pub(crate) fn claim_training(&self, backend: BackendKind) -> Option<TrainClaim> {
        self.inner.lock_memory().claim_training(backend)
    }

    /// Records a running training's latest step, and its progress.
    pub(crate) fn set_train_step(&self, id: &JobId, step: TrainStep) {
        self.inner.lock_memory().set_train_step(id, step);
        // The step's loss is news even when the share done did not move; listeners are told
        // once either way.
        if !self.set_progress(id, step.step as f32 / step.steps.max(1) as f32) {
            self.notify();
        }
    }

    /// Moves a claimed job to running; false when it was cancelled meanwhile.
    pub(crate) async fn start(&self, id: &JobId) -> Result<bool, QueueError> {
        let queue = self.clone();
        let id = id.clone();
        let started = run_blocking(move || {
            let store = queue.inner.lock_store();
            let now = now_ms();
            let started = store.mark_running(&id, now)?;
            if started {
                queue.inner.lock_memory().set_running(&id, now);
            }
            Ok::<_, QueueError>(started)
        })
        .await??;
        if started {
            self.notify();
        }
        Ok(started)
    }

    /// Records a running job's progress (0..=1), unless it is below what the job reached; the
    /// database follows on a blocking thread. True when it was recorded (and listeners told).
    pub(crate) fn set_progress(&self, id: &JobId, progress: f32) -> bool {
        let save = {
            let mut memory = self.inner.lock_memory();
            if !memory.set_progress(id, progress) {
                return false;
            }
            memory.begin_progress_save(id)
        };
        self.notify();
        if save {
            let queue = self.clone();
            let id = id.clone();
            tokio::task::spawn_blocking(move || queue.save_progress(&id));
        }
        true
    }

    /// Writes `id`'s progress until the database has what memory has. Runs on a blocking
    /// thread; the two locks are never held together here, so no lock order is at stake.
    fn save_progress(&self, id: &JobId) {
        loop {
            let next = self.inner.lock_memory().progress_to_save(id);
            let Some(progress) = next else { return };
            if let Err(err) = self.inner.lock_store().save_progress(id, progress) {
                warn!(job_id = %id, error = %err, "cannot save progress");
            }
        }
    }

    /// Records how a run ended, unless the job was cancelled meanwhile.
    pub(crate) async fn finish(&self, id: &JobId, outcome: Outcome) -> Result<(), QueueError> {
        let (status, error, made) = match outcome {
            Outcome::Completed(result) => (JobStatus::Completed, None, Some(Made::Sheet(*result))),
            Outcome::Trained(style) => (JobStatus::Completed, None, Some(Made::Style(*style))),
            Outcome::Failed(error) => (JobStatus::Failed, Some(error), None),
        };
        if self.finish_blocking(id.clone(), status, error, made).await?.is_some() {
            self.notify();
        }
        Ok(())
    }

    /// Writes a terminal status; `None` when the job already had one.
    async fn finish_blocking(
        &self,
        id: JobId,
        status: JobStatus,
        error: Option<String>,
        made: Option<Made>,
    ) -> Result<Option<Job>, QueueError> {
        let queue = self.clone();
        run_blocking(move || {
            let store = queue.inner.lock_store();
            let now = now_ms();
            if !store.finish(&id, status, error.as_deref(), made.as_ref(), now)? {
                return match store.get(&id)? {
                    Some(_) => Ok(None),
                    None => Err(QueueError::NotFound(id)),
                };
            }
            let mut memory = queue.inner.lock_memory();
            memory.finish(&id, status, error, made, now);
            Ok(memory.get(&id))
        })
        .await?
    }

    fn notify(&self) {
        self.inner.changed.send_modify(|version| *version = version.wrapping_add(1));
    }
}

impl Inner {
    /// Locks the database. A poisoned lock only means another thread panicked mid-query;
    /// SQLite's own transactions keep the file consistent, so the lock is taken anyway.
    fn lock_store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn lock_memory(&self) -> MutexGuard<'_, Memory> {
        self.memory.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A fresh job id: opaque, URL-safe.
pub(crate) fn new_job_id() -> JobId {
    JobId(uuid::Uuid::new_v4().simple().to_string())
}

/// The seed a request asked for, else a random one (the job records it).
pub(crate) fn seed_or_random(seed: Option<u64>) -> u64 {
    seed.unwrap_or_else(|| uuid::Uuid::new_v4().as_u64_pair().0)
}

/// Runs database work on a blocking thread.
async fn run_blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, QueueError> {
    tokio::task::spawn_blocking(work).await.map_err(|err| QueueError::Task(err.to_string()))
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
