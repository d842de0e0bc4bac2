//! Generation backends: the [`Backend`] trait and its implementations.
//!
//! A job runs in two steps so that a GPU never idles between jobs: [`Backend::prepare`] does
//! everything that does not need the generator (resolving the style, building a workflow,
//! uploading inputs) while the previous job still runs, and [`PreparedJob::run`] generates the
//! frames. The frames then go through the sprite pipeline in `queue::worker`, whatever backend
//! made them.
//!
//! A spec with [`GenerationSpec::facings`] draws a character that turns: one row of frames per
//! facing, one character across them all (one seed), the facing given as the backend sees fit
//! (procedural: drawn from another side; ComfyUI: facing words in the prompt).
//!
//! A spec with a [`SourceFrame`] is img2img: the backend edits or varies that image (a frame of
//! an earlier job, which the worker loads) instead of drawing from the prompt alone.
//!
//! A backend may also train styles ([`Backend::train`], [`training`]): only ComfyUI can.
//!
//! - [`procedural`]: built-in placeholder art, offline and deterministic; the default.
//! - [`comfyui`]: SDXL + LoRAs on one or more ComfyUI instances.

pub mod batch;
pub mod comfyui;
pub mod procedural;
pub mod training;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use dgx_pixels_protocol::{BackendKind, Facing, SpriteSize};
use futures_util::future::BoxFuture;
use image::RgbaImage;
use training::{TrainReport, TrainSpec, Trained};

pub use dgx_pixels_protocol::limits::DEFAULT_DENOISE;

/// What a backend is asked to draw: the request with the style applied and the seed chosen.
#[derive(Clone, Debug, PartialEq)]
pub struct GenerationSpec {
    /// The prompt with the style's trigger words in front.
    pub prompt: String,
    /// What to avoid.
    pub negative_prompt: String,
    /// The seed; the same spec with the same seed gives the same frames.
    pub seed: u64,
    /// Frames of the animation: of each facing in `facings`.
    pub frames: u32,
    /// The facings to draw, a row of `frames` each, in this order; empty: one row, facing as
    /// the prompt says. The rows mirrored from others are not here (the worker mirrors them).
    pub facings: Vec<Facing>,
    /// A seamless tile (`kind: "tile"`): the drawing must continue across its own edges, as a
    /// periodic image, so that it repeats without a seam once pixelized.
    pub tile: bool,
    /// Final size of one frame, after the pipeline.
    pub sprite: SpriteSize,
    /// Generation canvas (for diffusion backends).
    pub canvas: SpriteSize,
    /// Diffusion steps.
    pub steps: u32,
    /// Classifier-free guidance.
    pub guidance_scale: f32,
    /// ComfyUI's sampler and scheduler, from the request's preset; `None` keeps the
    /// workflow's own (a user's template chose them).
    pub sampler: Option<(&'static str, &'static str)>,
    /// The LoRAs of the chosen styles, stacked in this order; empty: none.
    pub loras: Vec<LoraChoice>,
    /// For img2img: the image to edit or vary; `None` draws from the prompt alone.
    pub source: Option<SourceFrame>,
}

impl GenerationSpec {
    /// Images the backend returns: `frames` for each facing (or for the one row), facing by
    /// facing.
    pub fn images(&self) -> u32 {
        self.frames.saturating_mul(u32::try_from(self.facings.len()).unwrap_or(u32::MAX).max(1))
    }
}

/// The image an img2img job starts from, and how much of it to redraw.
#[derive(Clone, PartialEq)]
pub struct SourceFrame {
    /// The image at the job's generation canvas size, RGBA8; shared, as it can be large.
    pub image: Arc<RgbaImage>,
    /// 0.05..=1.0, from the request; `None`: the server's `Config::img2img_denoise`
    /// ([`DEFAULT_DENOISE`] unless configured), which every backend is built with.
    pub denoise: Option<f32>,
}

impl fmt::Debug for SourceFrame {
    /// The size, not the pixels, which would flood a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceFrame").field("size", &self.image.dimensions()).field("denoise", &self.denoise).finish()
    }
}

/// A LoRA to apply, from the styles registry.
#[derive(Clone, Debug, PartialEq)]
pub struct LoraChoice {
    /// File relative to the models folder.
    pub file: String,
    /// Strength, 0.0..=2.0.
    pub strength: f32,
}

/// Receives a running job's progress, 0.0..=1.0 of the backend's own work.
#[derive(Clone)]
pub struct Progress(Arc<dyn Fn(f32) + Send + Sync>);

impl Progress {
    /// Progress reports go to `report`.
    pub fn new(report: impl Fn(f32) + Send + Sync + 'static) -> Self {
        Self(Arc::new(report))
    }

    /// Reports `fraction` (clamped to 0..=1).
    pub fn report(&self, fraction: f32) {
        (self.0)(fraction.clamp(0.0, 1.0));
    }
}

/// Why a backend could not make a job's frames.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// The generator is unreachable or not ready; the job fails and says so.
    #[error("backend unavailable: {0}")]
    Unavailable(String),
    /// The generator ran and failed.
    #[error("generation failed: {0}")]
    Generation(String),
}

/// A source of frames. Implementations are shared by the workers of one backend.
pub trait Backend: Send + Sync + 'static {
    /// Which backend this is.
    fn kind(&self) -> BackendKind;

    /// Whether it can take jobs now (shown by `/health`).
    fn ready(&self) -> bool;

    /// Jobs it runs at once unless the configuration says otherwise.
    fn default_concurrency(&self) -> usize;

    /// Does the work that can overlap the previous job; cheap for `procedural`.
    fn prepare(&self, spec: GenerationSpec) -> BoxFuture<'static, Result<Box<dyn PreparedJob>, BackendError>>;

    /// Most jobs [`Backend::prepare_batch`] takes at once on `canvas`; 1 (the default): never
    /// batched.
    fn max_batch(&self, _canvas: SpriteSize) -> usize {
        1
    }

    /// How long the worker waits for more compatible jobs when a batch it takes is not full
    /// (see `Config::batch_window`); used only where [`Backend::max_batch`] is above 1. Zero
    /// (the default): never waits.
    fn batch_window(&self) -> Duration {
        Duration::ZERO
    }

    /// Prepares compatible jobs (same canvas, steps, guidance, LoRA; one frame each) as one
    /// generation whose `run` returns every job's frames, in `specs` order. The default runs
    /// the jobs side by side ([`batch::Concurrent`]); a backend that can put them in one batch
    /// overrides it.
    fn prepare_batch(
        &self,
        specs: Vec<GenerationSpec>,
    ) -> BoxFuture<'static, Result<Box<dyn PreparedJob>, BackendError>> {
        batch::Concurrent::prepare(specs.into_iter().map(|spec| self.prepare(spec)).collect())
    }

    /// Whether [`Backend::train`] can train styles here (`POST /api/v1/styles/train` refuses
    /// a training no backend can run).
    fn can_train(&self) -> bool {
        false
    }

    /// Trains a style (a LoRA) on a prepared dataset, reporting each step. The default: this
    /// backend cannot.
    fn train(&self, spec: TrainSpec, report: TrainReport) -> BoxFuture<'static, Result<Trained, BackendError>> {
        let _ = (spec, report);
        let kind = self.kind();
        Box::pin(
            async move { Err(BackendError::Unavailable(format!("the {} backend cannot train styles", kind.as_str()))) },
        )
    }
}

/// A job ready to generate.
pub trait PreparedJob: Send {
    /// Generates [`GenerationSpec::images`] frames, reporting progress as it goes.
    fn run(self: Box<Self>, progress: Progress) -> BoxFuture<'static, Result<Vec<RgbaImage>, BackendError>>;
}

/// Builds the backend `kind` with the server's settings.
pub(crate) fn build(kind: BackendKind, config: &crate::config::Config) -> Option<Arc<dyn Backend>> {
    match kind {
        BackendKind::Procedural => {
            Some(Arc::new(procedural::Procedural::new(config.procedural_delay, config.img2img_denoise)))
        }
        BackendKind::Comfyui => match comfyui::ComfyuiBackend::start(comfyui::ComfyuiSettings::from_config(config)) {
            Ok(backend) => Some(backend),
            Err(err) => {
                tracing::error!(error = %err, "cannot start the comfyui backend");
                None
            }
        },
    }
}
