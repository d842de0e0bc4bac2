//! One job on the pool: attempts on leased instances until one delivers its frames.
//!
//! An attempt opens the `/ws` socket, queues the prompt, follows its events, then reads the
//! outputs from `/history/{prompt_id}` and the images from `/view`; where the instance has our
//! `DgxPixelsSendImages` node, the images come as raw pixels on the socket instead (see
//! [`super::frame`]), and only frames lost with a dropped socket are asked for again as PNGs. When the socket drops, the
//! attempt asks `/history` and `/queue` where the prompt is and reconnects: a prompt still
//! queued or running is waited for, a finished one is collected, and one the instance no longer
//! knows (it restarted) is [`ComfyError::Lost`]. Instance failures are retried (see
//! [`ComfyError::is_instance_failure`]); a job's frames come from exactly one attempt, so they
//! are never delivered twice. Dropping the future (the job was cancelled) removes the prompt
//! from ComfyUI's queue and interrupts it if it runs. A prompt that batches several jobs through
//! our nodes runs only on an instance that has them, and never waits for one:
//! [`ComfyError::NoBatchInstance`] tells the caller to send the jobs one prompt each.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use dgx_pixels_sprite::{DecodeLimits, decode_bounded};
use image::RgbaImage;
use tracing::{debug, info, warn};

use super::api::{ComfyClient, HistoryOutcome, ImageRef, Outputs, QueuePlace};
use super::check::{check, resolve_name};
use super::error::ComfyError;
use super::frame::FrameSet;
use super::pool::{Instance, Pool};
use super::workflow::{Role, Workflow};
use super::ws::{Event, EventSocket};
use crate::backend::Progress;

/// Share of progress reached when sampling ends; fetching and decoding the images is the rest.
const SAMPLED: f32 = 0.9;

/// How a job runs; see `ComfyuiSettings` for the defaults.
#[derive(Clone, Debug)]
pub struct RunLimits {
    /// Attempts before giving up on instance failures.
    pub max_attempts: u32,
    /// With no WebSocket event for this long, ask `/history` and `/queue` directly.
    pub idle_poll: Duration,
    /// Jobs in flight on an instance from which on it is no longer free for a batch (see
    /// `Pool::batch_instance`).
    pub jobs_per_instance: usize,
}

/// A job ready to send: the filled workflow and what it should produce.
#[derive(Clone, Debug)]
pub struct JobPlan {
    /// The workflow, filled with the names our side uses; [`for_instance`] maps them to the
    /// instance's own.
    pub workflow: Workflow,
    /// The checkpoint asked for explicitly; `None` keeps the template's if listed, else the
    /// instance's first.
    pub checkpoint: Option<String>,
    /// Images the prompt must produce.
    pub frames: u32,
    /// For img2img: the PNG to upload first, and the name to upload it as.
    pub source: Option<(String, Vec<u8>)>,
}

/// Runs `plan` on `pool`, retrying on instance failures, until its frames arrive.
pub async fn run(
    pool: &Pool,
    plan: &JobPlan,
    limits: &RunLimits,
    progress: &Progress,
) -> Result<Vec<RgbaImage>, ComfyError> {
    let batch_nodes = plan.workflow.uses_batch_nodes();
    on_some_instance(pool, batch_nodes, limits, |instance| async move {
        attempt_on(&instance, plan, limits, progress).await
    })
    .await
}

/// Runs `attempt` on a leased instance, and again on another after an instance failure, up to
/// [`RunLimits::max_attempts`]; an instance with our batch nodes when `batch_nodes`, never
/// waiting for one ([`ComfyError::NoBatchInstance`]).
pub(super) async fn on_some_instance<T, F: Future<Output = Result<T, ComfyError>>>(
    pool: &Pool,
    batch_nodes: bool,
    limits: &RunLimits,
    mut attempt: impl FnMut(Arc<Instance>) -> F,
) -> Result<T, ComfyError> {
    let mut avoid: Option<String> = None;
    let mut tries = 0;
    loop {
        tries += 1;
        let lease = if batch_nodes {
            pool.lease_for_batch(avoid.as_deref(), limits.jobs_per_instance).ok_or(ComfyError::NoBatchInstance)?
        } else {
            pool.acquire(avoid.as_deref()).await?
        };
        let instance = lease.instance();
        info!(url = instance.url(), attempt = tries, "running on ComfyUI");
        match attempt(lease.shared()).await {
            Ok(done) => return Ok(done),
            Err(err) if err.is_instance_failure() => {
                warn!(url = instance.url(), attempt = tries, error = %err, "ComfyUI failed the job");
                pool.mark_down(&lease);
                if tries >= limits.max_attempts {
                    return Err(ComfyError::Exhausted { attempts: tries, last: Box::new(err) });
                }
                avoid = Some(instance.url().to_owned());
            }
            Err(err) => return Err(err),
        }
    }
}

/// The workflow with the checkpoint and LoRAs named as `instance` lists them, checked against
/// its `/object_info` (asked again once if something seems missing).
pub async fn for_instance(instance: &Instance, plan: &JobPlan) -> Result<Workflow, ComfyError> {
    let mut refresh = false;
    loop {
        let catalog = instance.catalog(&plan.workflow, refresh).await?;
        let mut workflow = plan.workflow.clone();
        let checkpoints = catalog.choices("CheckpointLoaderSimple", "ckpt_name");
        let template_ckpt = workflow.input(Role::Checkpoint, "ckpt_name").and_then(|v| v.as_str()).map(str::to_owned);
        let checkpoint = match (&plan.checkpoint, template_ckpt) {
            (Some(wanted), _) => resolve_name(wanted, &checkpoints).unwrap_or_else(|| wanted.clone()),
            (None, Some(t)) if checkpoints.contains(&t) => t,
            (None, template) => checkpoints.first().cloned().or(template).unwrap_or_default(),
        };
        workflow.set_input(Role::Checkpoint, "ckpt_name", checkpoint.into())?;
        let loras = catalog.choices("LoraLoader", "lora_name");
        for (id, wanted) in workflow.lora_nodes() {
            let name = resolve_name(&wanted, &loras).unwrap_or(wanted);
            workflow.set_lora_name(&id, &name);
        }
        match check(instance.url(), &catalog, &workflow) {
            Ok(()) => return Ok(workflow),
            Err(_) if !refresh => refresh = true,
            Err(missing) => return Err(ComfyError::Missing(missing)),
        }
    }
}

/// One attempt on one instance.
async fn attempt_on(
    instance: &Instance,
    plan: &JobPlan,
    limits: &RunLimits,
    progress: &Progress,
) -> Result<Vec<RgbaImage>, ComfyError> {
    let client = instance.client();
    let mut workflow = for_instance(instance, plan).await?;
    if let Some((name, png)) = &plan.source {
        let uploaded = client.upload_image(name, png.clone()).await?;
        workflow.set_input(Role::Source, "image", uploaded.into())?;
    }
    let previewed = workflow.clone();
    let over_socket = instance.sends_frames() && workflow.send_frames_over_socket();
    let received = FrameSet::new(plan.frames);
    let sampler = workflow.find(Role::Sampler).ok();
    let report = |event: &Event| match event {
        Event::Progress { node, value, max, .. } if *max > 0.0 && sampler.as_deref().is_none_or(|s| s == node) => {
            progress.report(SAMPLED * (value / max) as f32);
        }
        Event::Frame(frame) => received.put(frame),
        _ => {}
    };
    let mut outputs = run_prompt(client, &workflow, limits, &report).await?;
    progress.report(SAMPLED);
    if over_socket {
        if let Some(frames) = received.into_frames() {
            progress.report(1.0);
            return Ok(frames);
        }
        // Sent while the socket was down: the same prompt again with `PreviewImage`, which
        // ComfyUI's cache makes only the save (or, if it forgot, the same seeds again).
        warn!(frames = plan.frames, "frames lost with the WebSocket; asking for them as PNGs");
        outputs = run_prompt(client, &previewed, limits, &|_| {}).await?;
    }
    let save = previewed.find(Role::Save).ok();
    let images = pick_images(&outputs, save.as_deref());
    if images.len() != plan.frames as usize {
        return Err(ComfyError::ImageCount { expected: plan.frames, got: images.len() });
    }
    fetch(client, &images, progress).await
}

/// Queues `workflow` on `client`'s instance and follows it to its end, handing `report` each of
/// its events; returns its outputs. A dropped socket is reconnected after asking `/history` and
/// `/queue`; dropping the future takes the prompt off ComfyUI.
pub(super) async fn run_prompt(
    client: &ComfyClient,
    workflow: &Workflow,
    limits: &RunLimits,
    report: &(dyn Fn(&Event) + Sync),
) -> Result<Outputs, ComfyError> {
    let client_id = uuid::Uuid::new_v4().simple().to_string();
    let ws_url = client.ws_url(&client_id);
    let mut socket = Some(EventSocket::connect(&ws_url).await?);
    // Armed before the prompt is sent: a job cancelled while `POST /prompt` is on its way
    // must still take the prompt off ComfyUI. We choose the id, so it is known already.
    let chosen = uuid::Uuid::new_v4().to_string();
    let mut guard = CancelGuard { client: client.clone(), prompt_id: chosen.clone(), armed: true };
    let prompt_id = match client.queue_prompt(&workflow.to_json(), &client_id, &chosen).await {
        Ok(prompt_id) => prompt_id,
        Err(err) => {
            // Refused by validation: nothing was queued. Otherwise it may have been.
            guard.armed = !matches!(err, ComfyError::Rejected(_));
            return Err(err);
        }
    };
    guard.prompt_id.clone_from(&prompt_id);
    debug!(prompt_id, "prompt queued");
    let outcome = loop {
        if let Some(outcome) = follow(&mut socket, &prompt_id, limits, report).await? {
            break outcome;
        }
        // The socket dropped or went quiet: ask ComfyUI directly, then reconnect.
        if let Some(outcome) = client.history(&prompt_id).await? {
            break outcome;
        }
        if client.queue_place(&prompt_id).await? == QueuePlace::Absent {
            // It may have finished between the two questions.
            match client.history(&prompt_id).await? {
                Some(outcome) => break outcome,
                None => return Err(ComfyError::Lost { url: client.base().to_owned(), prompt_id }),
            }
        }
        if socket.is_none() {
            socket = EventSocket::connect(&ws_url).await.ok();
            debug!(reconnected = socket.is_some(), "WebSocket dropped; reconnecting");
            if socket.is_none() {
                tokio::time::sleep(limits.idle_poll.min(Duration::from_secs(1))).await;
            }
        }
    };
    guard.armed = false;
    match outcome {
        HistoryOutcome::Success(outputs) => Ok(outputs),
        HistoryOutcome::Failed(err) => Err(err),
    }
}

/// Reads events until the prompt ends (`Some`, from `/history`) or the socket drops or idles
/// (`None`: the caller asks ComfyUI directly).
async fn follow(
    socket: &mut Option<EventSocket>,
    prompt_id: &str,
    limits: &RunLimits,
    report: &(dyn Fn(&Event) + Sync),
) -> Result<Option<HistoryOutcome>, ComfyError> {
    let Some(open) = socket.as_mut() else {
        return Ok(None);
    };
    loop {
        let event = match tokio::time::timeout(limits.idle_poll, open.next_event()).await {
            Err(_) => return Ok(None),
            Ok(Ok(Some(event))) => event,
            Ok(Ok(None) | Err(_)) => {
                *socket = None;
                return Ok(None);
            }
        };
        if event.prompt_id() != prompt_id {
            continue;
        }
        report(&event);
        match event {
            Event::Failed(failure) => return Err(ComfyError::Execution(Box::new(failure))),
            Event::Interrupted { prompt_id } => return Err(ComfyError::Interrupted { prompt_id }),
            // `executing` with no node comes after ComfyUI wrote the history entry;
            // `execution_success` comes before, so it is not the end yet.
            Event::Executing { node: None, .. } => return Ok(None),
            _ => {}
        }
    }
}

/// The save node's images if it wrote any, else every output's, in node order.
fn pick_images(outputs: &Outputs, save: Option<&str>) -> Vec<ImageRef> {
    let outputs = outputs.images();
    if let Some((_, images)) = outputs.iter().find(|(node, _)| Some(node.as_str()) == save) {
        return images.clone();
    }
    outputs.into_iter().flat_map(|(_, images)| images).collect()
}

/// Downloads and decodes each image (decoding off the async threads, with the sprite crate's
/// size limits).
async fn fetch(client: &ComfyClient, images: &[ImageRef], progress: &Progress) -> Result<Vec<RgbaImage>, ComfyError> {
    let mut frames = Vec::with_capacity(images.len());
    for (i, image) in images.iter().enumerate() {
        let bytes = client.view(image).await?;
        let filename = image.filename.clone();
        let decoded = tokio::task::spawn_blocking(move || decode_bounded(&bytes, &DecodeLimits::default()))
            .await
            .map_err(|err| ComfyError::BadResponse { url: client.base().to_owned(), reason: err.to_string() })?
            .map_err(|source| ComfyError::Image { filename, source })?;
        frames.push(decoded);
        progress.report(SAMPLED + (1.0 - SAMPLED) * (i + 1) as f32 / images.len() as f32);
    }
    Ok(frames)
}

/// While armed, dropping it (the job was cancelled, or the attempt gave up) takes the prompt
/// off ComfyUI: `POST /queue {"delete"}` if it still waits, `POST /interrupt` if it runs.
struct CancelGuard {
    client: ComfyClient,
    prompt_id: String,
    armed: bool,
}

impl Drop for CancelGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (client, prompt_id) = (self.client.clone(), self.prompt_id.clone());
        runtime.spawn(async move {
            let deleted = client.delete_queued(&prompt_id).await;
            let interrupted = client.interrupt(&prompt_id).await;
            info!(
                prompt_id,
                deleted = deleted.is_ok(),
                interrupted = interrupted.is_ok(),
                "prompt cancelled on ComfyUI"
            );
        });
    }
}
