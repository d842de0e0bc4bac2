//! From a backend's frames to a job's result: the sprite pipeline, the sheet, its metadata and
//! the three files. Blocking CPU and disk work; the worker runs it on a blocking thread.
//!
//! A sheet of facings gets its mirrored rows here: the backend drew the west-facing rows, and
//! each east-facing row is its west twin's pixels flipped left to right, after the pipeline, so
//! left and right match pixel for pixel. Each row's tag is named for its facing
//! (`walk_sw`). A tileset's transitions are composed here from its two pixelized terrains
//! ([`dgx_pixels_sprite::autotile`]), and its `.sprite.ron` names each tile's terrain bits. The pivot of every sheet sits at its feet, the lowest opaque row (for a sheet of
//! facings, the baseline the pipeline aligned every cell on).

use std::path::Path;

use dgx_pixels_protocol::{
    AnimationDirection, AnimationTag, BackendKind, GenerateRequest, JobFiles, JobId, JobResult, Palette, Provenance,
    RequestKind, SpriteMeta, SpriteSize, TileLayout,
};
use dgx_pixels_sprite::align::footing;
use dgx_pixels_sprite::atlas::{AtlasError, grid_sheet};
use dgx_pixels_sprite::write::{WriteError, encode_png, write_atomic, write_sprite_files};
use dgx_pixels_sprite::{PipelineBuilder, PipelineError, PixelFrames};
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

/// The frames of one job (as the backend drew them: [`GenerateRequest::drawn_frames`]) through
/// the pipeline into `dir` (created if needed).
pub(crate) fn write_result(job: &OutputJob<'_>, drawn: &[RgbaImage], dir: &Path) -> Result<JobResult, OutputError> {
    let request = job.request;
    if drawn.len() != request.drawn_frames() as usize {
        return Err(OutputError::FrameCount { want: request.drawn_frames(), got: drawn.len() });
    }
    let PixelFrames { frames: pixels, palette, confidence, .. } =
        PipelineBuilder::for_request(request, job.seed).build()?.process(drawn)?;
    let frames = match request.tileset() {
        Some(tileset) => composed_tileset(tileset.layout, &pixels, job.seed)?,
        None => with_mirrored_rows(request, pixels),
    };
    let columns = request.sheet_columns();
    let sheet = grid_sheet(&frames, columns, 0, 0)?;
    let meta =
        SpriteMeta { grid_confidence: Some(confidence.score), ..sprite_meta(job, columns, palette.clone(), &frames) };
    std::fs::create_dir_all(dir).map_err(|source| WriteError::Io { path: dir.to_owned(), source })?;
    remove_stale_temp_files(dir);
    // A tileset keeps its two terrains as drawn; its transitions exist only as composed.
    let raw = if request.tileset().is_some() { drawn.to_vec() } else { with_mirrored_rows(request, drawn.to_vec()) };
    write_raw_frames(&raw, dir)?;
    write_sprite_files(dir, STEM, &sheet, &meta)?;
    Ok(JobResult {
        name: request.asset_name(),
        seed: job.seed,
        backend: job.backend,
        frames: request.cells(),
        columns,
        frame_size: request.sprite_size(),
        sheet_size: SpriteSize::new(sheet.layout.size.0, sheet.layout.size.1),
        palette,
        grid_confidence: Some(confidence.score),
        files: JobFiles::for_job(job.id),
    })
}

/// A tileset's tiles from its two pixelized terrains (lower, upper), in the order its
/// [`dgx_pixels_protocol::TilesetInfo`] gives: for `wang16` tile `i` has bits `i`; for
/// `blob47` the 47 masks, then the plain lower tile.
fn composed_tileset(layout: TileLayout, terrains: &[RgbaImage], seed: u64) -> Result<Vec<RgbaImage>, OutputError> {
    match (layout, terrains) {
        (TileLayout::Wang16, [lower, upper]) => Ok(dgx_pixels_sprite::autotile::wang16(lower, upper, seed)),
        (TileLayout::Blob47, [lower, upper]) => Ok(dgx_pixels_sprite::autotile::blob47(lower, upper)),
        _ => Err(OutputError::FrameCount { want: 2, got: terrains.len() }),
    }
}

/// The sheet's cells, row by row, from the rows drawn: a facing that was not drawn is its
/// mirror twin's row flipped left to right. Frames of a one-facing sheet come back as they are.
fn with_mirrored_rows(request: &GenerateRequest, drawn: Vec<RgbaImage>) -> Vec<RgbaImage> {
    let drawn_facings = request.drawn_facings();
    if drawn_facings.len() == request.facings().len() {
        return drawn;
    }
    let frames = request.frames as usize;
    let row = |facing| drawn_facings.iter().position(|f| *f == facing).map(|i| &drawn[i * frames..(i + 1) * frames]);
    let mut cells = Vec::with_capacity(request.cells() as usize);
    for &facing in request.facings() {
        match (row(facing), facing.mirror_source().and_then(row)) {
            (Some(own), _) => cells.extend_from_slice(own),
            (None, Some(twin)) => cells.extend(twin.iter().map(image::imageops::flip_horizontal)),
            // `drawn_facings` holds every facing that is not a mirror; unreachable for a
            // validated request, and a short sheet fails the frame count check after.
            (None, None) => {}
        }
    }
    cells
}

/// Keeps the backend's frames (`raw/0.png`, `raw/1.png`, …, one per cell, a mirrored row's
/// flipped like its sprites; each written atomically, before the sheet): the panel can re-process them (`/api/v1/pixelize`, another
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

fn sprite_meta(job: &OutputJob<'_>, columns: u32, palette: Palette, cells: &[RgbaImage]) -> SpriteMeta {
    let request = job.request;
    let animation = animation_name(&request.prompt, request.frames);
    let tag = |name: String, first: u32| AnimationTag {
        name,
        first,
        last: first + request.frames - 1,
        direction: AnimationDirection::Forward,
    };
    let tags = match request.facings() {
        _ if request.tileset().is_some() => Vec::new(),
        [] if request.frames > 1 => vec![tag(animation, 0)],
        [] => Vec::new(),
        facings => (0..).zip(facings).map(|(row, facing)| tag(facing.tag(&animation), row * request.frames)).collect(),
    };
    let grid = SpriteMeta::grid(request.asset_name(), request.sprite_size(), request.cells(), columns, FRAME_MS);
    SpriteMeta {
        tags,
        palette,
        // A tile has no feet: it is placed by its centre, as Bevy's tilemaps place tiles.
        pivot: if request.kind == RequestKind::Sprite { feet(cells, request.sprite_size()) } else { grid.pivot },
        tileset: request.tileset(),
        provenance: Some(Provenance {
            prompt: request.prompt.clone(),
            negative_prompt: request.negative_prompt.clone(),
            style: stacked_names(request),
            seed: job.seed,
            backend: job.backend.as_str().to_owned(),
            request_hash: request.content_hash(),
            generator: concat!("dgx-pixels ", env!("CARGO_PKG_VERSION")).to_owned(),
        }),
        ..grid
    }
}

/// The request's styles as provenance records them: one name, or several joined by ` + `.
fn stacked_names(request: &GenerateRequest) -> Option<String> {
    let names: Vec<String> = request.style_choices().into_iter().map(|choice| choice.name).collect();
    (!names.is_empty()).then(|| names.join(" + "))
}

/// Where a sheet stands: the middle of the frame, at the bottom of the lowest opaque row of
/// any cell (for a sheet of facings, the baseline the pipeline put every cell on), so a game
/// that anchors the sprite there has its feet on the entity's position, whichever way it
/// faces; the bottom edge for a sheet with no opaque pixel.
fn feet(cells: &[RgbaImage], frame: SpriteSize) -> (f32, f32) {
    let baseline = cells.iter().filter_map(footing).map(|f| f.baseline).max();
    (0.5, baseline.map_or(1.0, |row| (row + 1) as f32 / frame.height as f32))
}

/// The animation's tag: the first action word of the prompt, else `loop` (or `idle` for a
/// single frame, a pose).
fn animation_name(prompt: &str, frames: u32) -> String {
    const ACTIONS: &[&str] = &["idle", "walk", "run", "attack", "jump", "fly", "fall", "hurt", "die", "cast", "swim"];
    let lower = prompt.to_ascii_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    let fallback = if frames > 1 { "loop" } else { "idle" };
    ACTIONS.iter().find(|action| words.contains(action)).copied().unwrap_or(fallback).to_owned()
}
