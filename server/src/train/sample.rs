//! A sample for a newly trained style: one sprite generated with it at the training's seed, its
//! sheet copied beside the LoRA as `NAME.sample.png` and named in the sidecar's `sample_images`,
//! so a person sees what the style does before using it. The sample is an ordinary job (its id is
//! the trained style's `sample_job`); when it fails the style simply has no sample.

use std::path::Path;
use std::time::Duration;

use dgx_pixels_protocol::{BackendKind, GenerateRequest, JobId, JobStatus, StyleSidecar, TrainStyleRequest};
use dgx_pixels_sprite::write::write_atomic;
use tracing::warn;

use super::install::lora_path;
use super::worker::TrainContext;
use crate::queue::Submission;

/// How long the sample may take: a few seconds on a GPU, longer behind a busy queue.
const SAMPLE_TIMEOUT: Duration = Duration::from_secs(300);

/// Generates the sample of the style `request` trained and records it; the sample job's id when
/// it completed.
pub(crate) async fn render(
    context: &TrainContext,
    backend: BackendKind,
    request: &TrainStyleRequest,
    seed: u64,
) -> Option<JobId> {
    let sample = GenerateRequest {
        style: Some(request.name.clone()),
        seed: Some(seed),
        ..GenerateRequest::new(format!("{}, pixel art character, front view", request.trigger()))
    };
    let submission = Submission { request: sample.into(), backend, seed, idempotency_key: None, id: None };
    let job = match context.queue.submit(submission).await {
        Ok((job, _)) => job,
        Err(err) => {
            warn!(error = %err, "cannot queue the style's sample");
            return None;
        }
    };
    let mut changes = context.queue.subscribe();
    let waited = tokio::time::timeout(SAMPLE_TIMEOUT, async {
        loop {
            changes.borrow_and_update();
            match context.queue.get(&job.id).await {
                Ok(job) if job.status.is_terminal() => return Some(job),
                Ok(_) => {}
                Err(_) => return None,
            }
            if changes.changed().await.is_err() {
                return None;
            }
        }
    })
    .await;
    let Ok(Some(done)) = waited else {
        warn!(job_id = %job.id, "the style's sample did not finish");
        return None;
    };
    if done.status != JobStatus::Completed {
        warn!(job_id = %job.id, error = ?done.error, "the style's sample failed");
        return None;
    }
    let sheet = context.files.files(&done.id)?.sheet;
    let lora = lora_path(context.styles.dir(), &request.name);
    let recorded = tokio::task::spawn_blocking(move || keep(&sheet, &lora)).await;
    match recorded {
        Ok(Ok(())) => Some(done.id),
        Ok(Err(err)) => {
            warn!(error = %err, "cannot keep the style's sample");
            None
        }
        Err(_) => None,
    }
}

/// Copies `sheet` to `NAME.sample.png` beside the LoRA and names it in the sidecar (blocking).
fn keep(sheet: &Path, lora: &Path) -> Result<(), String> {
    let png = std::fs::read(sheet).map_err(|err| err.to_string())?;
    let sample = lora.with_extension("sample.png");
    write_atomic(&sample, &png).map_err(|err| err.to_string())?;
    let sidecar_path = lora.with_extension("json");
    let text = std::fs::read_to_string(&sidecar_path).map_err(|err| err.to_string())?;
    let mut sidecar: StyleSidecar = serde_json::from_str(&text).map_err(|err| err.to_string())?;
    let name = sample.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    sidecar.sample_images = vec![name];
    let json = serde_json::to_vec_pretty(&sidecar).map_err(|err| err.to_string())?;
    write_atomic(&sidecar_path, &json).map_err(|err| err.to_string())
}
