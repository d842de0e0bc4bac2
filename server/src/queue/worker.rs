//! The worker of one backend: take the oldest queued job, prepare it, wait for a free slot, run
//! it, write its files, record the outcome.
//!
//! Preparing happens *before* waiting for a slot, so while the backend's slots are all busy the
//! next job is already prepared and starts the moment one frees: a GPU never idles between
//! jobs. Each run races its cancel signal and the per-job timeout. On shutdown, running jobs are
//! dropped where they stand; they are still `running` in the database and resume on next start.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tracing::{Instrument, debug, error, info, info_span, warn};

use super::output::{OutputJob, write_result};
use super::{Claim, JobQueue, Outcome};
use crate::backend::{Backend, GenerationSpec, LoraChoice, PreparedJob, Progress};
use crate::job_files::JobFilesDir;
use crate::models::StyleRegistry;
use crate::shutdown::Shutdown;

/// Share of a job's progress that the backend's frames account for; the rest is the pipeline
/// and the files.
const BACKEND_SHARE: f32 = 0.9;

/// What every worker shares.
#[derive(Clone)]
pub(crate) struct WorkerContext {
    pub queue: JobQueue,
    pub styles: StyleRegistry,
    pub files: JobFilesDir,
    pub job_timeout: Duration,
}

/// Runs the jobs of `backend`, at most `concurrency` at once, until `shutdown`.
pub(crate) async fn run_backend(
    context: WorkerContext,
    backend: Arc<dyn Backend>,
    concurrency: usize,
    mut shutdown: Shutdown,
) {
    let kind = backend.kind();
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut running = JoinSet::new();
    let mut changes = context.queue.subscribe();
    info!(backend = kind.as_str(), concurrency, "worker started");
    loop {
        changes.borrow_and_update();
        while running.try_join_next().is_some() {}
        let Some(claim) = context.queue.claim_next(kind) else {
            tokio::select! {
                changed = changes.changed() => if changed.is_err() { break },
                () = shutdown.wait() => break,
            }
            continue;
        };
        let span = info_span!("job", job_id = %claim.id, backend = kind.as_str());
        let Some(prepared) = prepare(&context, backend.as_ref(), &claim).instrument(span.clone()).await else {
            continue;
        };
        let permit = tokio::select! {
            permit = Arc::clone(&slots).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = shutdown.wait() => break,
        };
        running.spawn(run_job(context.clone(), claim, prepared, permit).instrument(span));
    }
    running.abort_all();
    info!(backend = kind.as_str(), "worker stopped");
}

/// Resolves the style and lets the backend prepare; a failure fails the job.
async fn prepare(context: &WorkerContext, backend: &dyn Backend, claim: &Claim) -> Option<Box<dyn PreparedJob>> {
    let spec = match generation_spec(&context.styles, claim) {
        Ok(spec) => spec,
        Err(message) => {
            record(&context.queue, claim, Outcome::Failed(message)).await;
            return None;
        }
    };
    match backend.prepare(spec).await {
        Ok(prepared) => Some(prepared),
        Err(err) => {
            record(&context.queue, claim, Outcome::Failed(err.to_string())).await;
            None
        }
    }
}

/// The request with the style's trigger words in front of the prompt and the seed chosen.
fn generation_spec(styles: &StyleRegistry, claim: &Claim) -> Result<GenerationSpec, String> {
    let request = &claim.request;
    let mut prompt = request.prompt.clone();
    let mut lora = None;
    if let Some(name) = &request.style {
        let style = styles.find(name).ok_or_else(|| format!("style `{name}` is no longer in the models folder"))?;
        if !style.trigger_words.is_empty() {
            prompt = format!("{}, {prompt}", style.trigger_words.join(", "));
        }
        let strength = request.lora_strength.unwrap_or(style.recommended_strength);
        lora = Some(LoraChoice { file: style.file, strength });
    }
    Ok(GenerationSpec {
        prompt,
        negative_prompt: request.negative_prompt.clone(),
        seed: claim.seed,
        frames: request.frames,
        sprite: request.sprite,
        canvas: dgx_pixels_protocol::SpriteSize::new(request.width, request.height),
        steps: request.steps,
        guidance_scale: request.guidance_scale,
        lora,
    })
}

/// One job from start to outcome, holding a backend slot throughout.
async fn run_job(context: WorkerContext, claim: Claim, prepared: Box<dyn PreparedJob>, _slot: OwnedSemaphorePermit) {
    match context.queue.start(&claim.id).await {
        Ok(true) => {}
        Ok(false) => {
            debug!("cancelled before it started");
            return;
        }
        Err(err) => {
            error!(error = %err, "cannot start job");
            return;
        }
    }
    info!("running");
    let started = std::time::Instant::now();
    let outcome = tokio::select! {
        () = claim.cancel.notified() => {
            info!("cancelled while running");
            return;
        }
        result = tokio::time::timeout(context.job_timeout, produce(&context, &claim, prepared)) => match result {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(message)) => Outcome::Failed(message),
            Err(_) => Outcome::Failed(format!("timed out after {} s", context.job_timeout.as_secs_f32())),
        },
    };
    match &outcome {
        Outcome::Completed(_) => info!(elapsed_ms = started.elapsed().as_millis() as u64, "completed"),
        Outcome::Failed(reason) => warn!(reason = %reason, "failed"),
    }
    record(&context.queue, &claim, outcome).await;
}

/// Frames from the backend, then the pipeline and files on a blocking thread.
async fn produce(context: &WorkerContext, claim: &Claim, prepared: Box<dyn PreparedJob>) -> Result<Outcome, String> {
    let queue = context.queue.clone();
    let id = claim.id.clone();
    let progress = Progress::new(move |fraction| queue.set_progress(&id, fraction * BACKEND_SHARE));
    let frames = prepared.run(progress).await.map_err(|err| err.to_string())?;
    let dir = context.files.dir(&claim.id).ok_or_else(|| format!("job id `{}` is not a plain name", claim.id))?;
    let claim = claim.clone();
    let result = tokio::task::spawn_blocking(move || {
        let job = OutputJob { id: &claim.id, request: &claim.request, seed: claim.seed, backend: claim.backend };
        write_result(&job, &frames, &dir)
    })
    .await
    .map_err(|err| format!("output task stopped: {err}"))?
    .map_err(|err| err.to_string())?;
    Ok(Outcome::Completed(Box::new(result)))
}

/// Writes the outcome; a job cancelled meanwhile stays cancelled.
async fn record(queue: &JobQueue, claim: &Claim, outcome: Outcome) {
    if let Err(err) = queue.finish(&claim.id, outcome).await {
        error!(job_id = %claim.id, error = %err, "cannot record job outcome");
    }
}
