//! The worker of one backend: wait for a free slot, take the oldest queued job and the
//! compatible ones behind it (up to the backend's [`Backend::max_batch`] for its canvas),
//! prepare them as one
//! generation, run it, split its frames back per job, write each job's files, record each
//! outcome.
//!
//! A slot is taken *before* claiming, so a batch takes every compatible job queued by the time
//! the backend can start it. A batching backend's batch that is not full then waits up to the
//! backend's [`Backend::batch_window`] for more compatible jobs (starting as soon as it is
//! full), but only while another generation of the backend runs: jobs a client submits
//! together arrive milliseconds apart, and the batch would wait behind the running generation
//! anyway, so the wait costs nothing and saves whole generations. On an idle backend a job goes
//! out at once (the window would be pure latency: 30 ms of a 0.4 s fast sprite); the jobs
//! arriving behind it then gather while it runs. A job cancelled during the wait leaves the
//! batch; shutdown ends the wait. The backend's concurrency keeps the next generation submitted
//! while the current one runs (ComfyUI: two prompts per instance), so its GPU never idles
//! between batches. Each run races the per-batch timeout and the cancel of every member: a
//! cancelled member is left cancelled and not delivered, the others still complete; only when
//! all are cancelled is the generation dropped.
//!
//! On shutdown the worker takes no more jobs (a batch being prepared is dropped, its jobs stay
//! queued) and gives the generations running the shutdown grace to finish and record their
//! jobs; those still running then are dropped where they stand: they are still `running` in the
//! database and resume on the next start.

use std::sync::Arc;
use std::time::Duration;

use dgx_pixels_protocol::{GenerateRequest, JobStatus, RequestKind};
use image::RgbaImage;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tracing::{Instrument, debug, error, info, info_span, warn};

use super::output::{OutputJob, write_result};
use super::source::load_source;
use super::{Claim, JobQueue, Outcome};
use crate::backend::batch::Concurrent;
use crate::backend::{Backend, GenerationSpec, LoraChoice, PreparedJob, Progress, SourceFrame};
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
    /// The `fast` preset's distillation LoRA, relative to the models folder.
    pub distill_lora: Option<String>,
    pub files: JobFilesDir,
    pub job_timeout: Duration,
    /// How long running generations get to finish once shutdown begins.
    pub shutdown_grace: Duration,
}

/// Runs the jobs of `backend`, at most `concurrency` generations at once, until `shutdown`.
pub(crate) async fn run_backend(
    context: WorkerContext,
    backend: Arc<dyn Backend>,
    concurrency: usize,
    mut shutdown: Shutdown,
) {
    let kind = backend.kind();
    let window = backend.batch_window();
    let max_batch = |request: &GenerateRequest| backend.max_batch(request.sampling().canvas);
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut running = JoinSet::new();
    let mut changes = context.queue.subscribe();
    info!(backend = kind.as_str(), concurrency, "worker started");
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&slots).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = shutdown.wait() => break,
        };
        changes.borrow_and_update();
        while running.try_join_next().is_some() {}
        let mut claims = context.queue.claim_batch(kind, max_batch, batchable);
        // A leader that nothing may join (a sheet) is not kept waiting, nor one that would
        // wait while the backend idles.
        let room = claims.first().map_or(0, |leader| max_batch(&leader.request));
        if !window.is_zero()
            && !running.is_empty()
            && claims.len() < room
            && claims.first().is_some_and(|c| batchable(&c.request, &c.request))
        {
            let Some(filled) = fill_batch(&context.queue, &mut changes, &mut shutdown, room, window, claims).await
            else {
                break;
            };
            claims = filled;
        }
        if claims.is_empty() {
            drop(permit);
            tokio::select! {
                changed = changes.changed() => if changed.is_err() { break },
                () = shutdown.wait() => break,
            }
            continue;
        }
        let span = info_span!("job", job_id = %claims[0].id, batch = claims.len(), backend = kind.as_str());
        let Some(prepared) = prepare(&context, backend.as_ref(), &claims).instrument(span.clone()).await else {
            continue;
        };
        if shutdown.began() {
            // Prepared while stopping began: the jobs stay queued and run on the next start.
            break;
        }
        running.spawn(run_batch(context.clone(), claims, prepared, permit).instrument(span));
    }
    drain(&mut running, context.shutdown_grace).await;
    info!(backend = kind.as_str(), "worker stopped");
}

/// Lets the running generations finish for up to `grace`, then drops the others where they
/// stand: their jobs stay `running` in the database and resume on the next start.
async fn drain(running: &mut JoinSet<()>, grace: Duration) {
    if !running.is_empty() && !grace.is_zero() {
        info!(generations = running.len(), grace_s = grace.as_secs_f32(), "letting running jobs finish");
    }
    let finished = tokio::time::timeout(grace, async { while running.join_next().await.is_some() {} }).await;
    if finished.is_err() {
        warn!(generations = running.len(), "still running after the shutdown grace; they resume on the next start");
        running.abort_all();
    }
}

/// Waits until `claims` holds `max` jobs or `window` has passed, claiming the queued jobs
/// compatible with its leader as they arrive; jobs cancelled meanwhile leave the batch (it may
/// end empty). `None` on shutdown: the claimed jobs stay queued in the database and run on the
/// next start.
async fn fill_batch(
    queue: &JobQueue,
    changes: &mut watch::Receiver<u64>,
    shutdown: &mut Shutdown,
    max: usize,
    window: Duration,
    mut claims: Vec<Claim>,
) -> Option<Vec<Claim>> {
    let deadline = tokio::time::Instant::now() + window;
    loop {
        claims.retain(|claim| !is_cancelled(queue, claim));
        let Some(leader) = claims.first() else { return Some(claims) };
        let (kind, leader) = (leader.backend, leader.request.clone());
        let wanted = max.saturating_sub(claims.len());
        if wanted > 0 {
            claims.extend(queue.claim_more(kind, &leader, wanted, batchable));
        }
        if claims.len() >= max {
            return Some(claims);
        }
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { return Some(claims) },
            () = tokio::time::sleep_until(deadline) => return Some(claims),
            () = shutdown.wait() => return None,
        }
    }
}

/// Whether `other` may share `leader`'s batch: one frame each (a sheet, or a sheet of
/// facings, is a batch already), no
/// source image (img2img runs another workflow) and the same styles at the same strengths, canvas,
/// sampler, steps and guidance. Prompts, negative prompts, seeds and the pixel pipeline's settings may
/// differ.
fn batchable(leader: &GenerateRequest, other: &GenerateRequest) -> bool {
    leader.drawn_frames() == 1
        && other.drawn_frames() == 1
        && leader.source.is_none()
        && other.source.is_none()
        && leader.style_choices() == other.style_choices()
        && leader.sampling() == other.sampling()
}

/// Resolves the styles and source images and lets the backend prepare (one job alone, several
/// as a batch); a failure fails every job of the batch.
async fn prepare(context: &WorkerContext, backend: &dyn Backend, claims: &[Claim]) -> Option<Box<dyn PreparedJob>> {
    let mut specs = Vec::with_capacity(claims.len());
    for claim in claims {
        match generation_spec(context, claim).await {
            Ok(spec) => specs.push(spec),
            Err(message) => {
                record_all(&context.queue, claims, &message).await;
                return None;
            }
        }
    }
    let prepared = match <[GenerationSpec; 1]>::try_from(specs) {
        Ok([spec]) => match terrain_specs(&claims[0].request, &spec) {
            Some(terrains) => {
                Concurrent::prepare(terrains.into_iter().map(|spec| backend.prepare(spec)).collect()).await
            }
            None => backend.prepare(spec).await,
        },
        Err(specs) => backend.prepare_batch(specs).await,
    };
    match prepared {
        Ok(prepared) => Some(prepared),
        Err(err) => {
            record_all(&context.queue, claims, &err.to_string()).await;
            None
        }
    }
}

/// For a tileset, its two terrains as seamless tiles, lower then upper: `spec` (the request's
/// shared words, style and seed) with each terrain's words after the prompt. `None` for any
/// other request.
fn terrain_specs(request: &GenerateRequest, spec: &GenerationSpec) -> Option<Vec<GenerationSpec>> {
    let (lower, upper) = (request.lower.as_ref()?, request.upper.as_ref()?);
    if request.kind != RequestKind::Tileset {
        return None;
    }
    let terrain =
        |words: &str| GenerationSpec { prompt: format!("{}, {words}", spec.prompt), tile: true, ..spec.clone() };
    Some(vec![terrain(lower), terrain(upper)])
}

/// The request with its styles' trigger words in front of the prompt (each word once), their
/// LoRAs in order, the seed chosen and the source image (for img2img) loaded at the canvas size.
async fn generation_spec(context: &WorkerContext, claim: &Claim) -> Result<GenerationSpec, String> {
    let request = &claim.request;
    let sampling = request.sampling();
    let canvas = sampling.canvas;
    let mut triggers = Vec::new();
    // The distillation LoRA first, under the styles, as the distilled models are trained.
    let mut loras: Vec<LoraChoice> = match (&context.distill_lora, sampling.distilled) {
        (Some(file), true) => vec![LoraChoice { file: file.clone(), strength: 1.0 }],
        _ => Vec::new(),
    };
    for choice in request.style_choices() {
        let name = &choice.name;
        let style =
            context.styles.find(name).ok_or_else(|| format!("style `{name}` is no longer in the models folder"))?;
        for word in &style.trigger_words {
            if !triggers.contains(word) {
                triggers.push(word.clone());
            }
        }
        let strength = choice.strength.unwrap_or(style.recommended_strength);
        loras.push(LoraChoice { file: style.file, strength });
    }
    let prompt = if triggers.is_empty() {
        request.prompt.clone()
    } else {
        format!("{}, {}", triggers.join(", "), request.prompt)
    };
    let source = match &request.source {
        Some(source) => {
            let image = load_source(&context.files, source, canvas).await?;
            Some(SourceFrame { image: Arc::new(image), denoise: request.denoise })
        }
        None => None,
    };
    Ok(GenerationSpec {
        prompt,
        negative_prompt: request.negative_prompt.clone(),
        seed: claim.seed,
        frames: request.frames,
        facings: request.drawn_facings(),
        tile: request.kind != RequestKind::Sprite,
        sprite: request.sprite_size(),
        canvas,
        steps: sampling.steps,
        guidance_scale: sampling.guidance_scale,
        sampler: request.preset.map(|_| (sampling.sampler, sampling.scheduler)),
        loras,
        source,
    })
}

/// One generation from start to the outcome of each of its jobs, holding a backend slot
/// throughout.
async fn run_batch(
    context: WorkerContext,
    claims: Vec<Claim>,
    prepared: Box<dyn PreparedJob>,
    _slot: OwnedSemaphorePermit,
) {
    let mut live = Vec::with_capacity(claims.len());
    for claim in &claims {
        match context.queue.start(&claim.id).await {
            Ok(true) => live.push(claim.clone()),
            Ok(false) => debug!(job_id = %claim.id, "cancelled before it started"),
            Err(err) => error!(job_id = %claim.id, error = %err, "cannot start job"),
        }
    }
    if live.is_empty() {
        return;
    }
    info!(jobs = live.len(), "running");
    let started = std::time::Instant::now();
    let frames = tokio::select! {
        () = all_cancelled(&live) => {
            info!("every job of the batch cancelled while running");
            return;
        }
        result = tokio::time::timeout(context.job_timeout, generate(&context, &live, prepared)) => match result {
            Ok(Ok(frames)) => frames,
            Ok(Err(message)) => return fail_all(&context.queue, &live, &message).await,
            Err(_) => {
                let message = format!("timed out after {} s", context.job_timeout.as_secs_f32());
                return fail_all(&context.queue, &live, &message).await;
            }
        },
    };
    let mut frames = frames.into_iter();
    for claim in claims {
        let own: Vec<RgbaImage> = frames.by_ref().take(claim.request.drawn_frames() as usize).collect();
        if !live.iter().any(|l| l.id == claim.id) || is_cancelled(&context.queue, &claim) {
            continue;
        }
        let outcome = deliver(&context, &claim, own).await.unwrap_or_else(Outcome::Failed);
        match &outcome {
            Outcome::Failed(reason) => warn!(job_id = %claim.id, reason = %reason, "failed"),
            Outcome::Completed(_) | Outcome::Trained(_) => {
                info!(job_id = %claim.id, elapsed_ms = started.elapsed().as_millis() as u64, "completed");
            }
        }
        record(&context.queue, &claim, outcome).await;
    }
}

/// The backend's frames for every job, progress going to each live job.
async fn generate(
    context: &WorkerContext,
    live: &[Claim],
    prepared: Box<dyn PreparedJob>,
) -> Result<Vec<RgbaImage>, String> {
    let queue = context.queue.clone();
    let ids: Vec<_> = live.iter().map(|claim| claim.id.clone()).collect();
    let progress = Progress::new(move |fraction| {
        for id in &ids {
            queue.set_progress(id, fraction * BACKEND_SHARE);
        }
    });
    prepared.run(progress).await.map_err(|err| err.to_string())
}

/// Resolves once every job in `live` was cancelled.
async fn all_cancelled(live: &[Claim]) {
    for claim in live {
        claim.cancel.notified().await;
    }
}

fn is_cancelled(queue: &JobQueue, claim: &Claim) -> bool {
    queue.get_live(&claim.id).is_some_and(|job| job.status == JobStatus::Cancelled)
}

/// One job's frames through the pipeline into its files, on a blocking thread.
async fn deliver(context: &WorkerContext, claim: &Claim, frames: Vec<RgbaImage>) -> Result<Outcome, String> {
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

async fn fail_all(queue: &JobQueue, claims: &[Claim], message: &str) {
    warn!(reason = %message, jobs = claims.len(), "failed");
    record_all(queue, claims, message).await;
}

async fn record_all(queue: &JobQueue, claims: &[Claim], message: &str) {
    for claim in claims {
        record(queue, claim, Outcome::Failed(message.to_owned())).await;
    }
}

/// Writes the outcome; a job cancelled meanwhile stays cancelled.
async fn record(queue: &JobQueue, claim: &Claim, outcome: Outcome) {
    if let Err(err) = queue.finish(&claim.id, outcome).await {
        error!(job_id = %claim.id, error = %err, "cannot record job outcome");
    }
}
