//! The training worker of one backend: takes the oldest queued training, runs it on the backend,
//! puts the LoRA in place and records the outcome; one training at a time (a training fills the
//! GPU). A cancel drops the run, which interrupts the trainer; the job timeout for trainings is
//! [`TrainContext::timeout`]. On shutdown a running training gets the shutdown grace and is then
//! dropped where it stands: it is still `running` in the database and runs again on the next
//! start.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use dgx_pixels_protocol::TrainedStyle;
use tracing::{Instrument, info, info_span, warn};

use super::{TrainSettings, install, remove_dir, sample};
use crate::backend::Backend;
use crate::backend::training::{TrainReport, TrainSpec};
use crate::job_files::JobFilesDir;
use crate::models::StyleRegistry;
use crate::queue::{JobQueue, Outcome, TrainClaim};
use crate::shutdown::Shutdown;

/// What the training worker needs.
#[derive(Clone)]
pub(crate) struct TrainContext {
    pub queue: JobQueue,
    pub styles: StyleRegistry,
    /// Where jobs' files are (a style's sample is one).
    pub files: JobFilesDir,
    pub settings: TrainSettings,
    /// The longest a training may run.
    pub timeout: Duration,
    /// How long a running training gets to finish once shutdown begins.
    pub shutdown_grace: Duration,
}

/// Runs the trainings queued for `backend` until `shutdown`.
pub(crate) async fn run_trainings(context: TrainContext, backend: Arc<dyn Backend>, mut shutdown: Shutdown) {
    let kind = backend.kind();
    let mut changes = context.queue.subscribe();
    info!(backend = kind.as_str(), "training worker started");
    loop {
        changes.borrow_and_update();
        let Some(claim) = context.queue.claim_training(kind) else {
            tokio::select! {
                changed = changes.changed() => if changed.is_err() { break },
                () = shutdown.wait() => break,
            }
            continue;
        };
        let span = info_span!("training", job_id = %claim.id, style = %claim.request.name);
        let run = run_one(&context, backend.as_ref(), claim).instrument(span);
        tokio::pin!(run);
        tokio::select! {
            () = &mut run => {}
            () = shutdown.wait() => {
                if tokio::time::timeout(context.shutdown_grace, &mut run).await.is_err() {
                    warn!("training still running after the shutdown grace; it runs again on the next start");
                }
                break;
            }
        }
    }
    info!(backend = kind.as_str(), "training worker stopped");
}

/// One training, from start to recorded outcome (with the new style's sample, [`sample`]).
async fn run_one(context: &TrainContext, backend: &dyn Backend, claim: TrainClaim) {
    let kind = backend.kind();
    match context.queue.start(&claim.id).await {
        Ok(true) => {}
        Ok(false) => return, // cancelled while queued
        Err(err) => {
            warn!(error = %err, "cannot start the training");
            return;
        }
    }
    let dataset = context.settings.dataset(&claim.id.0);
    let outcome = tokio::select! {
        outcome = train(context, backend, &claim, &dataset) => Some(outcome),
        () = claim.cancel.notified() => None,
        () = tokio::time::sleep(context.timeout) => {
            Some(Err(format!("timed out after {} s", context.timeout.as_secs())))
        }
    };
    // Gone before the outcome is recorded: whoever sees the job end sees no dataset left, and no
    // half-downloaded LoRA of a training that did not install.
    remove_dir(&dataset).await;
    if !matches!(outcome, Some(Ok(_))) {
        let staged = install::staging_path(context.styles.dir(), &claim.request.name, &claim.id);
        let _ = tokio::fs::remove_file(staged).await;
    }
    match outcome {
        None => info!("cancelled"),
        Some(Ok(mut style)) => {
            info!(file = %style.file, seconds = style.seconds, "trained");
            context.styles.rescan();
            style.sample_job = sample::render(context, kind, &claim.request, claim.seed).await;
            record(&context.queue, &claim, Outcome::Trained(Box::new(style))).await;
            context.styles.rescan();
        }
        Some(Err(reason)) => {
            warn!(reason = %reason, "training failed");
            record(&context.queue, &claim, Outcome::Failed(reason)).await;
        }
    }
}

/// Trains on the dataset and installs the LoRA.
async fn train(
    context: &TrainContext,
    backend: &dyn Backend,
    claim: &TrainClaim,
    dataset: &Path,
) -> Result<TrainedStyle, String> {
    let images = count_images(dataset).await?;
    let models = context.styles.dir().to_path_buf();
    let request = claim.request.clone();
    let staged = install::staging_path(&models, &request.name, &claim.id);
    if let Some(folder) = staged.parent() {
        tokio::fs::create_dir_all(folder)
            .await
            .map_err(|err| format!("cannot write into the models folder {}: {err}", models.display()))?;
    }
    let short: String = claim.id.0.chars().take(8).collect();
    let spec = TrainSpec {
        label: format!("{}-{short}", request.name),
        dataset: dataset.to_path_buf(),
        steps: request.steps,
        rank: request.rank,
        learning_rate: request.learning_rate,
        schedule: request.schedule,
        warmup_steps: request.warmup(),
        batch_size: request.batch_size,
        seed: claim.seed,
        into: staged.clone(),
    };
    let (queue, id) = (context.queue.clone(), claim.id.clone());
    let report = TrainReport::new(move |step| queue.set_train_step(&id, step));
    let trained = backend.train(spec, report).await.map_err(|err| err.to_string())?;
    tokio::task::spawn_blocking(move || install::install(&models, &staged, &request, &trained, images))
        .await
        .map_err(|err| format!("install task stopped: {err}"))?
}

/// The dataset's images; a missing dataset (removed by hand?) fails the job, saying so.
async fn count_images(dataset: &Path) -> Result<u32, String> {
    let mut entries = tokio::fs::read_dir(dataset)
        .await
        .map_err(|err| format!("the prepared dataset {} cannot be read: {err}", dataset.display()))?;
    let mut images = 0u32;
    while let Ok(Some(entry)) = entries.next_entry().await {
        if entry.file_name().to_string_lossy().ends_with(".png") {
            images += 1;
        }
    }
    Ok(images)
}

async fn record(queue: &JobQueue, claim: &TrainClaim, outcome: Outcome) {
    if let Err(err) = queue.finish(&claim.id, outcome).await {
        warn!(error = %err, "cannot record the training's outcome");
    }
}
