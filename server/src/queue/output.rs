//! From a backend's frames to a job's result: the sprite pipeline, the sheet, its metadata and
//! the three files. Blocking CPU and disk work; the worker runs it on a blocking thread.

use std::path::Path;

use dgx_pixels_protocol::{
    AnimationDirection, AnimationTag, BackendKind, GenerateRequest, JobFiles, JobId, JobResult, Palette, Provenance,
    SpriteMeta, SpriteSize,
};
use dgx_pixels_sprite::atlas::{AtlasError, grid_sheet};
use dgx_pixels_sprite::write::{WriteError, encode_png, write_atomic, write_sprite_files};
use dgx_pixels_sprite::{PipelineBuilder, PipelineError};
use image::RgbaImage;

use crate::job_files::{STEM, raw_dir};

/// How long each frame shows: 10 fps, a common pixel-art animation speed.
const FRAME_MS: u32 = 100;

/// Why frames could not become a result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// The pixel pipeline refused the frames.
    #[error("sprite pipeline: {0}")]
    Pipeline(#[from] PipelineError),
    /// The frames could not be laid out.
    #[error("sheet: {0}")]
    Atlas(#[from] AtlasError),
    /// The files could not be written.
    #[error("{0}")]
    Write(#[from] WriteError),
    /// The backend made no frames or the wrong number.
    #[error("the backend made {got} frames, {want} were asked for")]
    FrameCount {
        /// Frames requested.
        want: u32,
        /// Frames made.
        got: usize,
    },
}

/// What the worker knows about the job besides its frames.
pub(crate) struct OutputJob<'a> {
    pub id: &'a JobId,
    pub request: &'a GenerateRequest,
    pub seed: u64,
    pub backend: BackendKind,
}

/// The frames of one job through the pipeline into `dir` (created if needed).
pub(crate) fn write_result(job: &OutputJob<'_>, frames: &[RgbaImage], dir: &Path) -> Result<JobResult, OutputError> {
    let request = job.request;
    if frames.len() != request.frames as usize {
        return Err(OutputError::FrameCount { want: request.frames, got: frames.len() });
    }
    let raw = frames;
    let (frames, palette) = pixelize_frames(request, job.seed, frames)?;
    let columns = request.sheet_columns();
    let sheet = grid_sheet(&frames, columns, 0, 0)?;
    let meta = sprite_meta(job, columns, palette.clone());
    std::fs::create_dir_all(dir).map_err(|source| WriteError::Io { path: dir.to_owned(), source })?;
    remove_stale_temp_files(dir);
    write_raw_frames(raw, dir)?;
    write_sprite_files(dir, STEM, &sheet, &meta)?;
    Ok(JobResult {
        name: request.asset_name(),
        seed: job.seed,
        backend: job.backend,
        frames: request.frames,
        columns,
        frame_size: request.sprite,
        sheet_size: SpriteSize::new(sheet.layout.size.0, sheet.layout.size.1),
        palette,
        files: JobFiles::for_job(job.id),
    })
}

/// Keeps the backend's frames as they came (`raw/0.png`, `raw/1.png`, …, each written
/// atomically, before the sheet): the panel can re-process them (`/api/v1/pixelize`, another
/// size or palette) without generating again.
fn write_raw_frames(frames: &[RgbaImage], dir: &Path) -> Result<(), WriteError> {
    let raw = raw_dir(dir);
    std::fs::create_dir_all(&raw).map_err(|source| WriteError::Io { path: raw.clone(), source })?;
    remove_stale_temp_files(&raw);
    for (index, frame) in frames.iter().enumerate() {
        let path = raw.join(format!("{index}.png"));
        write_atomic(&path, &encode_png(frame)?).map_err(|source| WriteError::Io { path, source })?;
    }
    Ok(())
}

/// Removes temporary files a killed run of this job left behind (`write_atomic` names them
/// `.dgx-pixels-*.tmp`); a job's folder has one writer at a time, so none is in use now.
fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(".dgx-pixels-") && name.ends_with(".tmp") {
            // Best effort: a leftover temp file wastes a little space but is never read.
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The request's pipeline settings applied to all frames at once, so they share one palette.
fn pixelize_frames(
    request: &GenerateRequest,
    seed: u64,
    frames: &[RgbaImage],
) -> Result<(Vec<RgbaImage>, Palette), PipelineError> {
    let pipeline = PipelineBuilder::for_request(request, seed).build()?;
    let pixels = pipeline.process(frames)?;
    Ok((pixels.frames, pixels.palette))
}

fn sprite_meta(job: &OutputJob<'_>, columns: u32, palette: Palette) -> SpriteMeta {
    let request = job.request;
    let tags = if request.frames > 1 {
        vec![AnimationTag {
            name: animation_name(&request.prompt),
            first: 0,
            last: request.frames - 1,
            direction: AnimationDirection::Forward,
        }]
    } else {
        Vec::new()
    };
    SpriteMeta {
        tags,
        palette,
        provenance: Some(Provenance {
            prompt: request.prompt.clone(),
            negative_prompt: request.negative_prompt.clone(),
            style: request.style.clone(),
            seed: job.seed,
            backend: job.backend.as_str().to_owned(),
            request_hash: request.content_hash(),
            generator: concat!("dgx-pixels ", env!("CARGO_PKG_VERSION")).to_owned(),
        }),
        ..SpriteMeta::grid(request.asset_name(), request.sprite, request.frames, columns, FRAME_MS)
    }
}

/// The animation's tag: the first action word of the prompt, else `loop`.
fn animation_name(prompt: &str) -> String {
    const ACTIONS: &[&str] = &["idle", "walk", "run", "attack", "jump", "fly", "fall", "hurt", "die", "cast", "swim"];
    let lower = prompt.to_ascii_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    ACTIONS.iter().find(|action| words.contains(action)).map_or_else(|| "loop".to_owned(), |a| (*a).to_owned())
}
