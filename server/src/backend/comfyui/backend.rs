//! [`ComfyuiBackend`]: the [`Backend`] that draws with SDXL + LoRAs on one or more ComfyUIs.
//!
//! `prepare` picks the template (one frame: `txt2img`; several: `sheet`, all frames in one
//! batch; a tile: `tile`, which needs our seamless nodes; a source image: `img2img`, see
//! [`ComfyuiBackend::prepare_img2img`]), fills it from
//! the [`GenerationSpec`] and checks it against a healthy instance's `/object_info`, so a job
//! naming a LoRA that ComfyUI lacks fails before it waits for the GPU, with a message naming
//! what is missing. The instance is chosen when the job runs, not when it is prepared: the
//! worker prepares the next job while the current one runs, and only at run time is "least
//! busy" known. `run` is [`execute::run`].
//!
//! A spec with facings (a character that turns) is drawn one `sheet` prompt per facing, each
//! with its view words ([`super::facing`]) and the job's seed; where an instance has our batch
//! nodes, all its images go out as one prompt instead, item `(facing, frame)` seeded
//! `seed + frame`, so frame `k` of every facing starts from the same noise.
//!
//! `prepare_batch` puts compatible single-frame jobs into one prompt (the `txt2img` template
//! with a batch of them, each with its own prompt and seed) when a healthy instance has our
//! batch nodes ([`BATCH_NODES`](super::workflow::BATCH_NODES)), and prepares the same jobs one
//! prompt each beside it ([`BatchedJobs`]): the batch runs only where the nodes are, and when no
//! such instance is free at run time the jobs go out one prompt each, all queued at once. With
//! no healthy instance that has the nodes, only the one-prompt-per-job form is prepared.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use dgx_pixels_protocol::{BackendKind, SpriteSize};
use futures_util::FutureExt;
use futures_util::future::{self, BoxFuture};
use image::RgbaImage;

use super::batched::BatchedJobs;
use super::error::ComfyError;
use super::execute::{self, JobPlan, RunLimits};
use super::facing::facing_prompt;
use super::pool::{Pool, keep_probing};
use super::train;
use super::workflow::{Templates, WorkflowKind, WorkflowParams};
use crate::backend::batch::Concurrent;
use crate::backend::training::{TrainReport, TrainSpec, Trained};
use crate::backend::{Backend, BackendError, GenerationSpec, PreparedJob, Progress, SourceFrame};
use crate::config::Config;

/// Settings of the `comfyui` backend. Build with `ComfyuiSettings { urls, ..Default::default() }`.
#[derive(Clone, Debug)]
pub struct ComfyuiSettings {
    /// ComfyUI base URLs (`--comfyui URL`, repeatable), one per GPU box. Empty: nothing to run on.
    pub urls: Vec<String>,
    /// Checkpoint to use, as named in ComfyUI's `checkpoints` folder; `None` keeps the
    /// template's if that instance has it, else takes the first it lists.
    pub checkpoint: Option<String>,
    /// Folder of template overrides (`<data-dir>/workflows`); `None`: shipped templates only.
    pub workflows_dir: Option<PathBuf>,
    /// Jobs in flight per instance; default 2: one running and the next already queued in
    /// ComfyUI, so its GPU never waits for us between prompts.
    pub jobs_per_instance: usize,
    /// Attempts per job when instances fail; default 3.
    pub max_attempts: u32,
    /// How long a job waits for any instance to be healthy; default 120 s, about the time a
    /// crashed ComfyUI takes to restart and load its checkpoint.
    pub instance_wait: Duration,
    /// Without WebSocket events for this long, poll `/history`; default 10 s.
    pub idle_poll: Duration,
    /// Denoise strength for img2img jobs whose request gives none (`Config::img2img_denoise`);
    /// default [`DEFAULT_DENOISE`](crate::backend::DEFAULT_DENOISE).
    pub img2img_denoise: f32,
    /// Most single-frame jobs put into one prompt when ComfyUI has our batch nodes
    /// (`comfyui_nodes/dgx_pixels`), at the smallest canvases; larger canvases take fewer, as
    /// many as fit in [`BATCH_PIXELS`] (8 at 1024², 14 at 768²). Default 16: at 512² an H100
    /// makes 1663 images a minute in batches of 16 against 1138 in batches of 8
    /// (BENCHMARKS.md, "Half a second to a sprite"). 1 turns batching off.
    pub max_batch: usize,
    /// How long a batch that is not full waits for more compatible jobs before it is prepared
    /// (`Config::batch_window`); default [`crate::config::DEFAULT_BATCH_WINDOW`]. Zero: no wait.
    pub batch_window: Duration,
}

impl ComfyuiSettings {
    /// The settings the server's [`Config`] gives: its `--comfyui` URLs, its checkpoint, its
    /// img2img denoise, its batch window, and template overrides from `<data-dir>/workflows/`.
    pub fn from_config(config: &Config) -> Self {
        Self {
            urls: config.comfyui.clone(),
            checkpoint: config.checkpoint.clone(),
            img2img_denoise: config.img2img_denoise,
            workflows_dir: Some(super::workflow::override_dir(&config.data_dir)),
            batch_window: config.batch_window,
            ..Self::default()
        }
    }
}

impl Default for ComfyuiSettings {
    fn default() -> Self {
        Self {
            urls: Vec::new(),
            checkpoint: None,
            workflows_dir: None,
            jobs_per_instance: 2,
            max_attempts: 3,
            instance_wait: Duration::from_secs(120),
            idle_poll: Duration::from_secs(10),
            img2img_denoise: crate::backend::DEFAULT_DENOISE,
            max_batch: 16,
            batch_window: crate::config::DEFAULT_BATCH_WINDOW,
        }
    }
}

/// Canvas pixels of one batch at most: 8 images at 1024², the batch at which an H100 is near
/// its throughput there, with a 29.3 GiB peak (BENCHMARKS.md, "ComfyUI backend (H100)").
pub const BATCH_PIXELS: u64 = 8 * 1024 * 1024;

/// The `comfyui` backend.
pub struct ComfyuiBackend {
    pool: Arc<Pool>,
    templates: Templates,
    settings: ComfyuiSettings,
}

impl ComfyuiBackend {
    /// A backend over `settings.urls`. Inside a tokio runtime it starts probing the instances
    /// in the background (stopping when the backend is dropped).
    pub fn new(settings: ComfyuiSettings) -> Result<Self, ComfyError> {
        let pool = Arc::new(Pool::new(&settings.urls, settings.instance_wait)?);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(keep_probing(Arc::downgrade(&pool)));
        }
        let templates = Templates::new(settings.workflows_dir.clone());
        Ok(Self { pool, templates, settings })
    }

    /// [`ComfyuiBackend::new`], plus the start-up check in the background: its result (what
    /// is missing on which instance, or that none answers yet) goes to the log.
    pub fn start(settings: ComfyuiSettings) -> Result<Arc<Self>, ComfyError> {
        let backend = Arc::new(Self::new(settings)?);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let weak = Arc::downgrade(&backend);
            runtime.spawn(async move {
                let Some(backend) = weak.upgrade() else { return };
                match backend.check_now(None).await {
                    Ok(()) if backend.ready() => tracing::info!(urls = ?backend.settings.urls, "ComfyUI ready"),
                    Ok(()) => tracing::warn!(urls = ?backend.settings.urls, "no ComfyUI answers yet; jobs will wait"),
                    Err(err) => tracing::warn!(error = %err, "ComfyUI start-up check failed"),
                }
            });
        }
        Ok(backend)
    }

    /// The instances.
    pub fn pool(&self) -> &Arc<Pool> {
        &self.pool
    }

    /// Probes every instance now and checks the shipped workflows against the least busy
    /// healthy one: the start-up (and on-demand) check that names missing nodes, checkpoint or
    /// LoRA.
    pub async fn check_now(&self, lora: Option<(String, f32)>) -> Result<(), ComfyError> {
        self.pool.probe_all().await;
        let spec_params = self.params(&probe_spec(lora), 1);
        for kind in [WorkflowKind::Txt2img, WorkflowKind::Sheet, WorkflowKind::Img2img] {
            let plan = self.plan(kind, &spec_params, 1, None)?;
            check_on_least_busy(&self.pool, &plan).await?;
        }
        Ok(())
    }

    /// The plan of an img2img job: the `img2img` template with `spec`'s prompt, one image per
    /// frame (the batch amount) and the source's denoise, else
    /// [`ComfyuiSettings::img2img_denoise`]; the source image, as a PNG, is uploaded to the
    /// instance that runs it, under a name of its own.
    pub fn prepare_img2img(
        &self,
        spec: &GenerationSpec,
        source: &SourceFrame,
    ) -> BoxFuture<'static, Result<JobPlan, BackendError>> {
        let mut params = self.params(spec, spec.frames);
        params.denoise = Some(source.denoise.unwrap_or(self.settings.img2img_denoise));
        let plan = self.plan(WorkflowKind::Img2img, &params, spec.frames, None);
        let image = Arc::clone(&source.image);
        async move {
            let mut plan = plan?;
            let png = tokio::task::spawn_blocking(move || dgx_pixels_sprite::write::encode_png(&image))
                .await
                .map_err(|err| BackendError::Generation(format!("source image task stopped: {err}")))?
                .map_err(|err| BackendError::Generation(format!("cannot encode the source image: {err}")))?;
            plan.source = Some((format!("dgx-pixels-{}.png", uuid::Uuid::new_v4().simple()), png));
            Ok(plan)
        }
        .boxed()
    }

    fn params(&self, spec: &GenerationSpec, batch: u32) -> WorkflowParams {
        WorkflowParams {
            checkpoint: self.settings.checkpoint.clone().unwrap_or_default(),
            loras: spec.loras.iter().map(|lora| (lora.file.clone(), lora.strength)).collect(),
            prompt: spec.prompt.clone(),
            negative_prompt: spec.negative_prompt.clone(),
            seed: spec.seed,
            steps: spec.steps,
            cfg: spec.guidance_scale,
            sampler: spec.sampler.map(|(name, scheduler)| (name.to_owned(), scheduler.to_owned())),
            width: spec.canvas.width,
            height: spec.canvas.height,
            batch,
            source_image: None,
            denoise: None,
        }
    }

    fn plan(
        &self,
        kind: WorkflowKind,
        params: &WorkflowParams,
        frames: u32,
        source: Option<(String, Vec<u8>)>,
    ) -> Result<JobPlan, ComfyError> {
        let mut workflow = self.templates.load(kind)?;
        let template_checkpoint = workflow.input(super::workflow::Role::Checkpoint, "ckpt_name").cloned();
        workflow.fill(params)?;
        if self.settings.checkpoint.is_none()
            && let Some(original) = template_checkpoint
        {
            // No checkpoint configured: keep the template's so `for_instance` can choose.
            workflow.set_input(super::workflow::Role::Checkpoint, "ckpt_name", original)?;
        }
        Ok(JobPlan { workflow, checkpoint: self.settings.checkpoint.clone(), frames, source })
    }

    /// The plan of one prompt that draws every spec as batch items: `spec.frames` items each,
    /// item `k` of a spec seeded `spec.seed + k`, in `specs` order.
    fn batch_plan(&self, specs: &[GenerationSpec]) -> Result<JobPlan, ComfyError> {
        let first = specs.first().ok_or_else(|| ComfyError::ImageCount { expected: 1, got: 0 })?;
        let (mut prompts, mut negatives, mut seeds) = (Vec::new(), Vec::new(), Vec::new());
        for spec in specs {
            for frame in 0..spec.frames {
                prompts.push(spec.prompt.clone());
                negatives.push(spec.negative_prompt.clone());
                seeds.push(spec.seed.wrapping_add(u64::from(frame)));
            }
        }
        let images = u32::try_from(prompts.len()).unwrap_or(u32::MAX);
        let mut plan = self.plan(WorkflowKind::Txt2img, &self.params(first, images), images, None)?;
        plan.workflow.batch_items(&prompts, &negatives, &seeds)?;
        Ok(plan)
    }

    /// `specs` as one batch prompt where an instance has our batch nodes, else (or should
    /// none be free when it runs) one prompt each; frames in `specs` order either way.
    fn batched_or_one_by_one(
        &self,
        specs: Vec<GenerationSpec>,
    ) -> BoxFuture<'static, Result<Box<dyn PreparedJob>, BackendError>> {
        let batched = self.batch_plan(&specs).map(|plan| self.job(plan));
        let one_by_one = Concurrent::prepare(specs.into_iter().map(|spec| self.prepare(spec)).collect());
        let pool = Arc::clone(&self.pool);
        async move {
            let batched = batched.map_err(BackendError::from)?;
            // Preparing one by one probes the pool when no instance is healthy.
            let singles = one_by_one.await?;
            let Some(instance) = pool.least_busy_with_batch_nodes(None) else {
                tracing::debug!("no healthy ComfyUI has the dgx_pixels batch nodes: one prompt each");
                return Ok(singles);
            };
            execute::for_instance(&instance, &batched.plan).await.map_err(BackendError::from)?;
            Ok(Box::new(BatchedJobs { batched, singles }) as Box<dyn PreparedJob>)
        }
        .boxed()
    }

    /// A character that turns: one spec per facing, its view words after the prompt, no
    /// facings of its own. An img2img one goes one prompt per facing (the `img2img` template
    /// takes one prompt); the others share batches of up to [`Backend::max_batch`] images,
    /// whole facings each.
    fn prepare_facings(&self, spec: GenerationSpec) -> BoxFuture<'static, Result<Box<dyn PreparedJob>, BackendError>> {
        let per_facing = spec.facings.iter().map(|facing| GenerationSpec {
            prompt: facing_prompt(&spec.prompt, *facing),
            facings: Vec::new(),
            ..spec.clone()
        });
        if spec.source.is_some() || self.max_batch(spec.canvas) < 2 {
            return Concurrent::prepare(per_facing.map(|spec| self.prepare(spec)).collect());
        }
        let mut groups: Vec<Vec<GenerationSpec>> = Vec::new();
        for facing in per_facing {
            let room = groups.last().is_some_and(|group| {
                group.iter().map(|spec| spec.frames as usize).sum::<usize>() + facing.frames as usize
                    <= self.max_batch(facing.canvas)
            });
            match groups.last_mut() {
                Some(group) if room => group.push(facing),
                _ => groups.push(vec![facing]),
            }
        }
        Concurrent::prepare(groups.into_iter().map(|group| self.batched_or_one_by_one(group)).collect())
    }

    fn job(&self, plan: JobPlan) -> ComfyuiJob {
        ComfyuiJob { pool: Arc::clone(&self.pool), plan, limits: self.run_limits() }
    }

    fn run_limits(&self) -> RunLimits {
        RunLimits {
            max_attempts: self.settings.max_attempts,
            idle_poll: self.settings.idle_poll,
            jobs_per_instance: self.settings.jobs_per_instance.max(1),
        }
    }
}

/// Checks `plan` against the least busy healthy instance, probing first when none is healthy;
/// with none at all, the job's run waits for one and checks there.
async fn check_on_least_busy(pool: &Pool, plan: &JobPlan) -> Result<(), ComfyError> {
    if !pool.any_healthy() {
        pool.probe_all().await;
    }
    match pool.least_busy(None) {
        Some(instance) => execute::for_instance(&instance, plan).await.map(drop),
        None => Ok(()),
    }
}

/// A spec that exercises every node the templates use, for [`ComfyuiBackend::check_now`].
fn probe_spec(lora: Option<(String, f32)>) -> GenerationSpec {
    GenerationSpec {
        prompt: String::new(),
        negative_prompt: String::new(),
        seed: 0,
        frames: 1,
        facings: Vec::new(),
        tile: false,
        sprite: dgx_pixels_protocol::SpriteSize::new(32, 32),
        canvas: dgx_pixels_protocol::SpriteSize::new(1024, 1024),
        steps: 1,
        guidance_scale: 1.0,
        sampler: None,
        loras: lora.map(|(file, strength)| crate::backend::LoraChoice { file, strength }).into_iter().collect(),
        source: None,
    }
}

impl Backend for ComfyuiBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Comfyui
    }

    fn ready(&self) -> bool {
        self.pool.any_healthy()
    }

    fn default_concurrency(&self) -> usize {
        (self.pool.len() * self.settings.jobs_per_instance).max(1)
    }

    fn prepare(&self, spec: GenerationSpec) -> BoxFuture<'static, Result<Box<dyn PreparedJob>, BackendError>> {
        if spec.tile && spec.source.is_some() {
            let why = "a variation of a tile is not drawn seamlessly by the comfyui backend yet: \
                       generate the tile from its prompt, or use `\"backend\": \"procedural\"`";
            return future::ready(Err(BackendError::Unavailable(why.to_owned()))).boxed();
        }
        if !spec.facings.is_empty() {
            return self.prepare_facings(spec);
        }
        let plan = match &spec.source {
            Some(source) => self.prepare_img2img(&spec, source),
            None => {
                let kind = match spec.frames {
                    _ if spec.tile => WorkflowKind::Tile,
                    1 => WorkflowKind::Txt2img,
                    _ => WorkflowKind::Sheet,
                };
                let plan = self.plan(kind, &self.params(&spec, spec.frames), spec.frames, None);
                future::ready(plan.map_err(BackendError::from)).boxed()
            }
        };
        let (pool, limits) = (Arc::clone(&self.pool), self.run_limits());
        async move {
            let plan = plan.await?;
            check_on_least_busy(&pool, &plan).await?;
            Ok(Box::new(ComfyuiJob { pool, plan, limits }) as Box<dyn PreparedJob>)
        }
        .boxed()
    }

    fn max_batch(&self, canvas: SpriteSize) -> usize {
        let pixels = u64::from(canvas.width) * u64::from(canvas.height);
        let fit = usize::try_from(BATCH_PIXELS / pixels.max(1)).unwrap_or(usize::MAX);
        fit.clamp(1, self.settings.max_batch.max(1))
    }

    fn batch_window(&self) -> Duration {
        self.settings.batch_window
    }

    fn prepare_batch(
        &self,
        specs: Vec<GenerationSpec>,
    ) -> BoxFuture<'static, Result<Box<dyn PreparedJob>, BackendError>> {
        self.batched_or_one_by_one(specs)
    }

    fn can_train(&self) -> bool {
        true
    }

    fn train(&self, spec: TrainSpec, report: TrainReport) -> BoxFuture<'static, Result<Trained, BackendError>> {
        let workflow = self.templates.load(WorkflowKind::TrainStyle);
        let (pool, limits, checkpoint) = (Arc::clone(&self.pool), self.run_limits(), self.settings.checkpoint.clone());
        async move {
            let workflow = workflow.map_err(ComfyError::from)?;
            Ok(train::train(&pool, workflow, checkpoint, &limits, &spec, &report).await?)
        }
        .boxed()
    }
}

/// A prepared ComfyUI job.
pub struct ComfyuiJob {
    pool: Arc<Pool>,
    plan: JobPlan,
    limits: RunLimits,
}

impl ComfyuiJob {
    /// Runs it, with ComfyUI's own error type (the [`PreparedJob`] impl maps it).
    pub async fn run_typed(&self, progress: &Progress) -> Result<Vec<RgbaImage>, ComfyError> {
        execute::run(&self.pool, &self.plan, &self.limits, progress).await
    }
}

impl PreparedJob for ComfyuiJob {
    fn run(self: Box<Self>, progress: Progress) -> BoxFuture<'static, Result<Vec<RgbaImage>, BackendError>> {
        async move { self.run_typed(&progress).await.map_err(BackendError::from) }.boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_shrink_as_the_canvas_grows() {
        let backend = ComfyuiBackend::new(ComfyuiSettings::default()).unwrap();
        let at = |side| backend.max_batch(SpriteSize::new(side, side));
        assert_eq!([at(256), at(512), at(768), at(1024), at(2048)], [16, 16, 14, 8, 2]);
        let capped = ComfyuiBackend::new(ComfyuiSettings { max_batch: 4, ..ComfyuiSettings::default() }).unwrap();
        assert_eq!(capped.max_batch(SpriteSize::new(512, 512)), 4);
        let off = ComfyuiBackend::new(ComfyuiSettings { max_batch: 0, ..ComfyuiSettings::default() }).unwrap();
        assert_eq!(off.max_batch(SpriteSize::new(512, 512)), 1);
    }
}
