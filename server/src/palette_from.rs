//! `"palette": {"from": [SOURCE, …]}`: one palette taken from images the server reads, so a new
//! sprite uses the colours of the game's existing art.
//!
//! A SOURCE is a completed job's id (its sheet) or a path, absolute or relative to the first
//! allowed root, that resolves (symlinks followed) inside an allowed root: a PNG, or a folder
//! whose own PNGs are read, sampled and size-checked as [`dgx_pixels_sprite::palette_source`]
//! says; a folder's file reached through a link out of the roots is refused. The palette is the
//! sources' opaque colours exactly when at most `colors`, else `colors` fitted to them
//! ([`palette_of`]). The server resolves it when the job is submitted and stores the colours in
//! the job's request, so a job never reads the sources again and re-processing it gives the
//! same palette.

use std::fs;
use std::path::{Path, PathBuf};

use dgx_pixels_protocol::{GenerateRequest, JobId, JobStatus, PaletteSpec, Rgb};
use dgx_pixels_sprite::palette_source::{SourceError, folder_pngs, palette_of, read_source};

use crate::deploy::AllowedRoots;
use crate::error::ApiError;
use crate::queue::QueueError;
use crate::state::AppState;

/// The field every error names.
const FIELD: &str = "palette.from";

/// An image to read: a job's sheet (in the server's own data folder) or a client's path, which
/// must still resolve inside the allowed roots when it is read.
enum SourceFile {
    Job(PathBuf),
    Path(PathBuf),
}

/// The colours for `sources`, at most `colors` of them.
async fn resolve(state: &AppState, sources: &[String], colors: u16) -> Result<Vec<Rgb>, ApiError> {
    let mut files = Vec::new();
    for source in sources {
        files.extend(source_files(state, source).await?);
    }
    let roots = state.roots.clone();
    tokio::task::spawn_blocking(move || {
        let images = files.iter().map(|file| read_image(&roots, file)).collect::<Result<Vec<_>, _>>()?;
        palette_of(&images, usize::from(colors))
            .map(|palette| palette.0)
            .ok_or_else(|| invalid("the images have no opaque pixels to take colours from".to_owned()))
    })
    .await
    .map_err(|err| ApiError::Internal(format!("palette task stopped: {err}")))?
}

/// The request with a `from` palette replaced by its colours; any other request as it is.
pub(crate) async fn resolve_request(
    state: &AppState,
    mut request: GenerateRequest,
) -> Result<GenerateRequest, ApiError> {
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
    let resolved = inside(roots, &joined).ok_or_else(|| invalid(format!("no job or file `{source}`")))?;
    if resolved.is_file() {
        return Ok(vec![SourceFile::Path(resolved)]);
    }
    let pngs = folder_pngs(&resolved).map_err(|err| invalid(err.to_string()))?;
    Ok(pngs.into_iter().map(SourceFile::Path).collect())
}

/// `path` resolved, if it lies inside an allowed root.
fn inside(roots: &AllowedRoots, path: &Path) -> Option<PathBuf> {
    fs::canonicalize(path).ok().filter(|resolved| roots.contains(resolved))
}

/// One source image; a client's path is checked against the roots again as it is read.
fn read_image(roots: &AllowedRoots, file: &SourceFile) -> Result<image::RgbaImage, ApiError> {
    let path = match file {
        SourceFile::Job(path) => path.clone(),
        SourceFile::Path(path) => inside(roots, path)
            .ok_or_else(|| invalid(format!("`{}` lies outside the allowed roots", path.display())))?,
    };
    read_source(&path).map_err(|err: SourceError| invalid(err.to_string()))
}

fn invalid(message: String) -> ApiError {
    ApiError::invalid(FIELD, message)
}
