//! `"palette": {"from": [SOURCE, …]}`: one palette taken from images the server reads, so a new
//! sprite uses the colours of the game's existing art.
//!
//! A SOURCE is a completed job's id (its sheet) or a path, absolute or relative to the first
//! allowed root, that resolves (symlinks followed) inside an allowed root: a PNG, or a folder
//! whose PNGs are read (not its sub-folders). A folder of more than [`MAX_FOLDER_IMAGES`] PNGs is
//! sampled: that many, evenly spaced in name order, so a huge folder costs the same as a small
//! one. Each image is at most [`MAX_FILE_BYTES`] and [`MAX_SIDE`] pixels a side, checked before
//! it is decoded (no decompression bombs).
//!
//! The palette is the sources' opaque colours (alpha ≥ 128) exactly when there are at most
//! `colors` of them, else `colors` fitted to them (k-means in Oklab, the pipeline's own fit). The
//! server resolves it when the job is submitted and stores the colours in the job's request, so a
//! job never reads the sources again and re-processing it gives the same palette.

use std::collections::BTreeSet;
use std::fs;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use dgx_pixels_protocol::{JobId, JobStatus, PaletteSpec, Rgb};
use dgx_pixels_sprite::quantize::{KMeansOptions, fit_palette, opaque_colors, to_palette};
use image::{ImageFormat, ImageReader, Limits, RgbaImage};

use crate::deploy::AllowedRoots;
use crate::error::ApiError;
use crate::queue::QueueError;
use crate::state::AppState;

/// PNGs read from one folder at most.
pub const MAX_FOLDER_IMAGES: usize = 64;
/// Largest source file read.
pub const MAX_FILE_BYTES: u64 = 32 << 20;
/// Largest source image side.
pub const MAX_SIDE: u32 = 4096;
/// The field every error names.
const FIELD: &str = "palette.from";

/// An image to read: a job's sheet (in the server's own data folder) or a client's path, which
/// must still resolve inside the allowed roots when it is read.
enum SourceFile {
    Job(PathBuf),
    Path(PathBuf),
}

/// The colours for `sources`, at most `colors` of them.
pub(crate) async fn resolve(state: &AppState, sources: &[String], colors: u16) -> Result<Vec<Rgb>, ApiError> {
    let mut files = Vec::new();
    for source in sources {
        files.extend(source_files(state, source).await?);
    }
    let roots = state.roots.clone();
    tokio::task::spawn_blocking(move || {
        let images = files.iter().map(|file| read_image(&roots, file)).collect::<Result<Vec<_>, _>>()?;
        palette_of(&images, usize::from(colors))
    })
    .await
    .map_err(|err| ApiError::Internal(format!("palette task stopped: {err}")))?
}

/// The request with a `from` palette replaced by its colours; any other request as it is.
pub(crate) async fn resolve_request(
    state: &AppState,
    mut request: dgx_pixels_protocol::GenerateRequest,
) -> Result<dgx_pixels_protocol::GenerateRequest, ApiError> {
    if let Some(PaletteSpec::From(sources)) = &request.palette {
        let colours = resolve(state, &sources.from, request.colors).await?;
        request.palette = Some(PaletteSpec::Colors(colours));
    }
    Ok(request)
}

/// A source's image files: a completed job's sheet, a PNG, or a folder's PNGs (sampled).
async fn source_files(state: &AppState, source: &str) -> Result<Vec<SourceFile>, ApiError> {
    match state.queue.get(&JobId(source.to_owned())).await {
        Ok(job) if job.status == JobStatus::Completed => {
            let files = state.files.files(&job.id).ok_or_else(|| invalid(format!("job `{source}` has no files")))?;
            return Ok(vec![SourceFile::Job(files.sheet)]);
        }
        Ok(job) => return Err(invalid(format!("job `{source}` is {}, not completed", job.status.as_str()))),
        Err(QueueError::NotFound(_)) => {}
        Err(other) => return Err(other.into()),
    }
    let roots = state.roots.clone();
    let source = source.to_owned();
    tokio::task::spawn_blocking(move || path_files(&roots, &source))
        .await
        .map_err(|err| ApiError::Internal(format!("palette task stopped: {err}")))?
}

fn path_files(roots: &AllowedRoots, source: &str) -> Result<Vec<SourceFile>, ApiError> {
    let first = roots.first().ok_or_else(|| {
        invalid(format!("`{source}` is no job of this server, and no --allow-root is set for reading paths"))
    })?;
    let requested = Path::new(source);
    let joined = if requested.is_absolute() { requested.to_path_buf() } else { first.join(requested) };
    let resolved = inside(roots, &joined).map_err(|_| invalid(format!("no job or file `{source}`")))?;
    if resolved.is_file() {
        return Ok(vec![SourceFile::Path(resolved)]);
    }
    let mut pngs: Vec<PathBuf> = fs::read_dir(&resolved)
        .map_err(|err| invalid(format!("cannot read the folder `{source}`: {err}")))?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("png")))
        .collect();
    if pngs.is_empty() {
        return Err(invalid(format!("the folder `{source}` has no PNG images")));
    }
    pngs.sort();
    let step = pngs.len().div_ceil(MAX_FOLDER_IMAGES);
    Ok(pngs.into_iter().step_by(step).map(SourceFile::Path).collect())
}

/// `path` resolved, if it lies inside an allowed root.
fn inside(roots: &AllowedRoots, path: &Path) -> Result<PathBuf, ()> {
    let resolved = fs::canonicalize(path).map_err(drop)?;
    if roots.contains(&resolved) { Ok(resolved) } else { Err(()) }
}

/// One source image, its size checked before it is decoded; a folder's file reached through a
/// link that leaves the roots is refused like a path outside them.
fn read_image(roots: &AllowedRoots, file: &SourceFile) -> Result<RgbaImage, ApiError> {
    let path = match file {
        SourceFile::Job(path) => path.clone(),
        SourceFile::Path(path) => {
            inside(roots, path).map_err(|()| invalid(format!("`{}` lies outside the allowed roots", path.display())))?
        }
    };
    let name = path.display();
    let size = fs::metadata(&path).map_err(|err| invalid(format!("cannot read `{name}`: {err}")))?.len();
    if size > MAX_FILE_BYTES {
        return Err(invalid(format!("`{name}` is larger than {} MiB", MAX_FILE_BYTES >> 20)));
    }
    let bytes = fs::read(&path).map_err(|err| invalid(format!("cannot read `{name}`: {err}")))?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), ImageFormat::Png);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    reader.limits(limits);
    let image =
        reader.decode().map_err(|err| invalid(format!("`{name}` is not a PNG image this server reads: {err}")))?;
    Ok(image.to_rgba8())
}

/// The images' opaque colours exactly, when at most `max`; else `max` fitted to them.
fn palette_of(images: &[RgbaImage], max: usize) -> Result<Vec<Rgb>, ApiError> {
    let distinct: BTreeSet<[u8; 3]> = images
        .iter()
        .flat_map(|image| image.pixels())
        .filter(|pixel| pixel.0[3] >= 128)
        .map(|pixel| [pixel.0[0], pixel.0[1], pixel.0[2]])
        .collect();
    if distinct.is_empty() {
        return Err(invalid("the images have no opaque pixels to take colours from".to_owned()));
    }
    if distinct.len() <= max {
        return Ok(distinct.into_iter().map(Rgb).collect());
    }
    let fitted = fit_palette(&opaque_colors(images), max, &KMeansOptions::default());
    Ok(to_palette(&fitted).0)
}

fn invalid(message: String) -> ApiError {
    ApiError::invalid(FIELD, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_colours_are_kept_exactly_and_many_are_fitted() {
        let mut image = RgbaImage::new(4, 1);
        for (x, colour) in [[10, 20, 30], [200, 100, 0], [10, 20, 30], [1, 2, 3]].into_iter().enumerate() {
            image.put_pixel(x as u32, 0, image::Rgba([colour[0], colour[1], colour[2], 255]));
        }
        let exact = palette_of(std::slice::from_ref(&image), 3).unwrap();
        assert_eq!(exact, vec![Rgb([1, 2, 3]), Rgb([10, 20, 30]), Rgb([200, 100, 0])]);
        assert_eq!(palette_of(std::slice::from_ref(&image), 2).unwrap().len(), 2);
        let clear = RgbaImage::new(2, 2);
        assert!(palette_of(&[clear], 4).is_err());
    }
}
