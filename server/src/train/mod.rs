//! Styles learned from sprites: `POST /api/v1/styles/train` queues a `train_style` job.
//!
//! At submit the request is checked, its sources are read and the dataset is prepared
//! ([`dataset`]) into `<data-dir>/datasets/<job id>/`, so a bad source is a 422 and nothing is
//! queued. The job waits in the same queue as the backend's sheets (its queue position counts
//! them, as they share the GPU) and a training worker per training-capable backend runs it
//! ([`worker`]): each step's loss reaches the job (`train_step`, progress), a cancel interrupts
//! the trainer, a trainer error fails the job with the end of its traceback. The LoRA then lands
//! in the models folder with its sidecar ([`install`]), where the registry lists it at once, and
//! one sprite is generated with it as its sample ([`sample`]). A
//! training still running when the server stops runs again from its first step on the next start;
//! the dataset is removed once the job ends, however it ends.

pub(crate) mod dataset;
pub(crate) mod install;
pub(crate) mod sample;
pub(crate) mod worker;

use std::path::{Path, PathBuf};

use dgx_pixels_protocol::{Job, TrainStyleRequest};

use crate::error::ApiError;
use crate::queue::{Submission, new_job_id, seed_or_random};
use crate::state::AppState;

/// Where training datasets live and how large they must be.
#[derive(Clone, Debug)]
pub(crate) struct TrainSettings {
    /// `<data-dir>/datasets`: one folder per training job.
    pub datasets: PathBuf,
    /// Fewest images a style is trained on.
    pub min_images: usize,
}

impl TrainSettings {
    /// The dataset folder of job `id`.
    pub fn dataset(&self, id: &str) -> PathBuf {
        self.datasets.join(id)
    }
}

/// Checks `request`, prepares its dataset and queues it: the one way a training enters the
/// queue, shared by the HTTP route and the MCP tool.
pub(crate) async fn submit(state: &AppState, request: TrainStyleRequest) -> Result<Job, ApiError> {
    state.accepting()?;
    request.validate()?;
    let backend = state.backends.iter().find(|backend| backend.can_train()).ok_or_else(|| {
        ApiError::Conflict("this server's backends cannot train styles; start it with --backend comfyui".into())
    })?;
    let taken = install::exists(state.styles.dir(), &request.name) || state.styles.find(&request.name).is_some();
    if !request.overwrite && taken {
        let message = format!("a style `{}` exists; send \"overwrite\": true to replace it", request.name);
        return Err(ApiError::Conflict(message));
    }
    // The dataset is in place under the job's id before the job is queued, so the worker never
    // takes a job whose dataset is still being written.
    let id = new_job_id();
    let staging = state.training.datasets.join(format!(".new-{id}"));
    let dataset = state.training.dataset(&id.0);
    let placed = match dataset::prepare(state, request, &staging).await {
        Ok((request, _)) => match tokio::fs::rename(&staging, &dataset).await {
            Ok(()) => Ok(request),
            Err(err) => Err(ApiError::Internal(format!("cannot keep the dataset of job {id}: {err}"))),
        },
        Err(err) => Err(err),
    };
    let mut request = match placed {
        Ok(request) => request,
        Err(err) => {
            remove_dir(&staging).await;
            return Err(err);
        }
    };
    // The uploads are in the dataset now; the job keeps their names, not megabytes of base64.
    for upload in &mut request.uploads {
        upload.png.clear();
    }
    let submission = Submission {
        backend: backend.kind(),
        seed: seed_or_random(request.seed),
        request: request.into(),
        idempotency_key: None,
        id: Some(id),
    };
    match state.queue.submit(submission).await {
        Ok((job, _)) => Ok(job),
        Err(err) => {
            remove_dir(&dataset).await;
            Err(err.into())
        }
    }
}

/// Removes the half-written datasets a stopped server left (`.new-*`); run at start-up.
pub(crate) fn clear_staging(datasets: &Path) {
    let Ok(entries) = std::fs::read_dir(datasets) else { return };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(".new-") {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Removes a dataset folder, if there is one; a failure is only logged.
pub(crate) async fn remove_dir(dir: &Path) {
    if let Err(err) = tokio::fs::remove_dir_all(dir).await
        && err.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(dir = %dir.display(), error = %err, "cannot remove a training dataset");
    }
}
