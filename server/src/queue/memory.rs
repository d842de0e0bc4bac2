//! The in-memory view of the queue: live jobs, their order per backend and their progress.
//!
//! It is a cache of the database plus what is never stored (which jobs a worker has taken to
//! prepare) or stored lazily (progress, which memory has first and the database catches up on).
//! [`super::JobQueue`] changes the rest only after the database accepted the change.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use dgx_pixels_protocol::{BackendKind, GenerateRequest, Job, JobId, JobStatus, TrainStep};
use tokio::sync::Notify;

use super::store::StoredJob;
use super::{Claim, Made, TrainClaim};

struct Entry {
    job: Job,
    seed: u64,
    backend: BackendKind,
    cancel: Arc<Notify>,
    /// A worker took it to prepare; it stays in its queue (position 0 or so) until it starts.
    claimed: bool,
    /// The progress saved in the database, or being saved.
    saved_progress: f32,
    /// A task is saving this job's progress; it also saves what arrives meanwhile.
    saving_progress: bool,
    /// The job as JSON once it is finished and can no longer change: status reads, the hot
    /// path of every polling client, then cost a reference count instead of a serialisation.
    finished_json: Option<Bytes>,
}

/// Live jobs by id, the FIFO of queued ids per backend, and finished ids oldest first.
pub(super) struct Memory {
    entries: HashMap<JobId, Entry>,
    queues: HashMap<BackendKind, VecDeque<JobId>>,
    finished: VecDeque<JobId>,
    keep_finished: usize,
}

impl Memory {
    pub fn new(keep_finished: usize) -> Self {
        Self { entries: HashMap::new(), queues: HashMap::new(), finished: VecDeque::new(), keep_finished }
    }

    /// Adds a job read from the database; queued jobs join the end of their backend's queue.
    pub fn insert(&mut self, stored: StoredJob) {
        let StoredJob { job, seed, backend } = stored;
        let id = job.id.clone();
        match job.status {
            JobStatus::Queued => self.queues.entry(backend).or_default().push_back(id.clone()),
            status if status.is_terminal() => self.remember_finished(id.clone()),
            _ => {}
        }
        let finished_json = job.status.is_terminal().then(|| to_json(&job)).flatten();
        let entry = Entry {
            saved_progress: job.progress,
            job,
            seed,
            backend,
            cancel: Arc::new(Notify::new()),
            claimed: false,
            saving_progress: false,
            finished_json,
        };
        self.entries.insert(id, entry);
    }

    /// The job with its current queue position.
    pub fn get(&self, id: &JobId) -> Option<Job> {
        let entry = self.entries.get(id)?;
        let mut job = entry.job.clone();
        if job.status == JobStatus::Queued {
            job.queue_position = self
                .queues
                .get(&entry.backend)
                .and_then(|queue| queue.iter().position(|queued| queued == id))
                .map(|position| u32::try_from(position).unwrap_or(u32::MAX));
        }
        Some(job)
    }

    /// The finished job's JSON, when it is finished and in memory.
    pub fn finished_json(&self, id: &JobId) -> Option<Bytes> {
        self.entries.get(id)?.finished_json.clone()
    }

    /// The oldest unclaimed queued generate job of `backend` and, up to `max(its request)` in
    /// all, the next unclaimed ones that `compatible` says may share its batch; all now claimed, oldest first.
    /// Trainings in the same queue are left to [`Memory::claim_training`].
    pub fn claim_batch(
        &mut self,
        backend: BackendKind,
        max: impl Fn(&GenerateRequest) -> usize,
        compatible: impl Fn(&GenerateRequest, &GenerateRequest) -> bool,
    ) -> Vec<Claim> {
        let Some(queue) = self.queues.get(&backend) else { return Vec::new() };
        let entries = &self.entries;
        let Some(leader) = queue.iter().find_map(|id| {
            let entry = entries.get(id).filter(|entry| !entry.claimed)?;
            entry.job.request.generate().cloned()
        }) else {
            return Vec::new();
        };
        // `leader` is the oldest unclaimed generate job's, so the oldest with it is that job.
        let mut claims = self.claim_matching(backend, 1, |request| request == &leader);
        claims.extend(self.claim_matching(backend, max(&leader).max(1) - 1, |request| compatible(&leader, request)));
        claims
    }

    /// Up to `max` more unclaimed queued jobs of `backend` that `compatible` says may join a
    /// batch led by `leader` (a worker waiting for its batch to fill); now claimed, oldest first.
    pub fn claim_more(
        &mut self,
        backend: BackendKind,
        leader: &GenerateRequest,
        max: usize,
        compatible: impl Fn(&GenerateRequest, &GenerateRequest) -> bool,
    ) -> Vec<Claim> {
        self.claim_matching(backend, max, |request| compatible(leader, request))
    }

    /// Claims the first `max` unclaimed queued jobs of `backend` whose request `wanted`, oldest
    /// first.
    fn claim_matching(
        &mut self,
        backend: BackendKind,
        max: usize,
        wanted: impl Fn(&GenerateRequest) -> bool,
    ) -> Vec<Claim> {
        let Some(queue) = self.queues.get(&backend) else { return Vec::new() };
        let entries = &mut self.entries;
        let ids: Vec<JobId> = queue
            .iter()
            .filter(|id| {
                entries
                    .get(*id)
                    .is_some_and(|entry| !entry.claimed && entry.job.request.generate().is_some_and(&wanted))
            })
            .take(max)
            .cloned()
            .collect();
        ids.into_iter()
            .filter_map(|id| {
                let entry = entries.get_mut(&id)?;
                entry.claimed = true;
                Some(Claim {
                    id,
                    request: entry.job.request.generate()?.clone(),
                    seed: entry.seed,
                    backend: entry.backend,
                    cancel: Arc::clone(&entry.cancel),
                })
            })
            .collect()
    }

    /// The oldest unclaimed queued training of `backend`, now claimed.
    pub fn claim_training(&mut self, backend: BackendKind) -> Option<TrainClaim> {
        let queue = self.queues.get(&backend)?;
        let entries = &mut self.entries;
        let id = queue
            .iter()
            .find(|id| {
                entries.get(*id).is_some_and(|entry| !entry.claimed && entry.job.request.train_style().is_some())
            })?
            .clone();
        let entry = entries.get_mut(&id)?;
        entry.claimed = true;
        let request = entry.job.request.train_style()?.clone();
        Some(TrainClaim { id, request, seed: entry.seed, cancel: Arc::clone(&entry.cancel) })
    }

    /// Records a running training's latest step.
    pub fn set_train_step(&mut self, id: &JobId, step: TrainStep) {
        if let Some(entry) = self.entries.get_mut(id)
            && entry.job.status == JobStatus::Running
        {
            entry.job.train_step = Some(step);
        }
    }

    pub fn set_running(&mut self, id: &JobId, now_ms: u64) {
        if let Some(entry) = self.entries.get_mut(id) {
            entry.job.status = JobStatus::Running;
            entry.job.updated_at_ms = now_ms;
            let backend = entry.backend;
            self.leave_queue(backend, id);
        }
    }

    /// Raises a running job's progress to `progress`, never lowering it: a job resumed after a
    /// restart runs again from the start, and shows what it had reached before until the new
    /// run passes it. True when it rose.
    pub fn set_progress(&mut self, id: &JobId, progress: f32) -> bool {
        let progress = progress.clamp(0.0, 1.0);
        match self.entries.get_mut(id) {
            Some(entry) if entry.job.status == JobStatus::Running && progress > entry.job.progress => {
                entry.job.progress = progress;
                true
            }
            _ => false,
        }
    }

    /// Whether a task must start saving `id`'s progress: false while one is under way, as that
    /// one saves the new value too. Marks a save under way.
    pub fn begin_progress_save(&mut self, id: &JobId) -> bool {
        match self.entries.get_mut(id) {
            Some(entry) if !entry.saving_progress => {
                entry.saving_progress = true;
                true
            }
            _ => false,
        }
    }

    /// The progress the saving task writes next, counted as saved; `None` once the database has
    /// what memory has (or the job stopped running), which ends the save.
    pub fn progress_to_save(&mut self, id: &JobId) -> Option<f32> {
        let entry = self.entries.get_mut(id)?;
        if entry.job.status == JobStatus::Running && entry.job.progress > entry.saved_progress {
            entry.saved_progress = entry.job.progress;
            return Some(entry.job.progress);
        }
        entry.saving_progress = false;
        None
    }

    /// Records a terminal status; a cancelled job's worker is notified.
    pub fn finish(&mut self, id: &JobId, status: JobStatus, error: Option<String>, made: Option<Made>, now_ms: u64) {
        let Some(entry) = self.entries.get_mut(id) else { return };
        entry.job.status = status;
        entry.job.error = error;
        if let Some(made) = made {
            made.put_into(&mut entry.job);
        }
        entry.job.updated_at_ms = now_ms;
        if status == JobStatus::Completed {
            entry.job.progress = 1.0;
        }
        if status == JobStatus::Cancelled {
            entry.cancel.notify_one();
        }
        entry.finished_json = to_json(&entry.job);
        let backend = entry.backend;
        self.leave_queue(backend, id);
        self.remember_finished(id.clone());
    }

    fn leave_queue(&mut self, backend: BackendKind, id: &JobId) {
        if let Some(queue) = self.queues.get_mut(&backend)
            && let Some(position) = queue.iter().position(|queued| queued == id)
        {
            queue.remove(position);
        }
    }

    /// Keeps at most `keep_finished` finished jobs; older ones are read from the database.
    fn remember_finished(&mut self, id: JobId) {
        self.finished.push_back(id);
        while self.finished.len() > self.keep_finished {
            if let Some(old) = self.finished.pop_front() {
                self.entries.remove(&old);
            }
        }
    }
}

/// A finished job as JSON; `None` only if serialisation failed, which then happens per read.
fn to_json(job: &Job) -> Option<Bytes> {
    serde_json::to_vec(job).ok().map(Bytes::from)
}
