//! A SOURCE in a request: art the server reads to learn from, named by a client.
//!
//! A SOURCE is a completed job's id (its sheet, in the server's own data folder) or a path,
//! absolute or relative to the first allowed root, that resolves (symlinks followed) inside an
//! allowed root: a PNG, or a folder whose own PNGs are read (not its sub-folders; past a limit
//! sampled evenly in name order, see [`dgx_pixels_sprite::palette_source`]). A path is checked
//! again as the file is read, so a link swapped in meanwhile cannot lead out of the roots. Used
//! by `palette: {"from": …}` and by `POST /api/v1/styles/train`, each naming its own field in
//! the errors.

use std::fs;
use std::path::{Path, PathBuf};

use dgx_pixels_protocol::{JobId, JobStatus};
use dgx_pixels_sprite::palette_source::{beside, folder_pngs_up_to, read_source};
use image::RgbaImage;

use crate::deploy::AllowedRoots;
use crate::error::ApiError;
use crate::queue::QueueError;
use crate::state::AppState;

/// An image a SOURCE names, with the sprite files that may lie beside it.
#[derive(Clone, Debug)]
pub(crate) struct SourceFile {
    /// The PNG.
    pub png: PathBuf,
    /// A completed job's own sheet (trusted: the server wrote it), or a client's path (checked
    /// against the roots again when read).
    pub from_job: bool,
}

impl SourceFile {
    /// `NAME.atlas.ron` beside `NAME.png` (a job's too), whether or not it exists.
    pub fn atlas(&self) -> PathBuf {
        beside(&self.png, "atlas.ron")
    }

    /// `NAME.sprite.ron` beside `NAME.png` (a job's too), whether or not it exists.
    pub fn sprite(&self) -> PathBuf {
        beside(&self.png, "sprite.ron")
    }
}

/// The image files of `source`: a completed job's sheet, a PNG, or up to `folder_max` of a
/// folder's PNGs. Errors are 422s on `field`.
pub(crate) async fn source_files(
    state: &AppState,
    source: &str,
    field: &'static str,
    folder_max: usize,
) -> Result<Vec<SourceFile>, ApiError> {
    let invalid = move |message| ApiError::invalid(field, message);
    match state.queue.get(&JobId(source.to_owned())).await {
        Ok(job) if job.status == JobStatus::Completed => {
            let files = state.files.files(&job.id).ok_or_else(|| invalid(format!("job `{source}` has no files")))?;
            return Ok(vec![SourceFile { png: files.sheet, from_job: true }]);
        }
        Ok(job) => return Err(invalid(format!("job `{source}` is {}, not completed", job.status.as_str()))),
        Err(QueueError::NotFound(_)) => {}
        Err(other) => return Err(other.into()),
    }
    let roots = state.roots.clone();
    let source = source.to_owned();
    tokio::task::spawn_blocking(move || path_files(&roots, &source, folder_max).map_err(invalid))
        .await
        .map_err(|err| ApiError::Internal(format!("source task stopped: {err}")))?
}

fn path_files(roots: &AllowedRoots, source: &str, folder_max: usize) -> Result<Vec<SourceFile>, String> {
    let first = roots
        .first()
        .ok_or_else(|| format!("`{source}` is no job of this server, and no --allow-root is set for reading paths"))?;
    let requested = Path::new(source);
    let joined = if requested.is_absolute() { requested.to_path_buf() } else { first.join(requested) };
    let resolved = inside(roots, &joined).ok_or_else(|| format!("no job or file `{source}`"))?;
    let pngs = if resolved.is_file() {
        vec![resolved]
    } else {
        folder_pngs_up_to(&resolved, folder_max).map_err(|err| err.to_string())?
    };
    Ok(pngs.into_iter().map(|png| SourceFile { png, from_job: false }).collect())
}

/// `path` resolved, if it lies inside an allowed root.
pub(crate) fn inside(roots: &AllowedRoots, path: &Path) -> Option<PathBuf> {
    fs::canonicalize(path).ok().filter(|resolved| roots.contains(resolved))
}

/// A source's image, size-checked before decoding; a client's path is checked against the roots
/// again as it is read. Runs on a blocking thread.
pub(crate) fn read_image(roots: &AllowedRoots, file: &SourceFile) -> Result<RgbaImage, String> {
    let path = if file.from_job {
        file.png.clone()
    } else {
        inside(roots, &file.png).ok_or_else(|| format!("`{}` lies outside the allowed roots", file.png.display()))?
    };
    read_source(&path).map_err(|err| err.to_string())
}

/// A text file beside a source (its `.atlas.ron` or `.sprite.ron`), if it exists, is inside the
/// roots (for a client's path) and is small; `None` otherwise.
pub(crate) fn read_beside(roots: &AllowedRoots, file: &SourceFile, path: &Path) -> Option<String> {
    const MAX_BYTES: u64 = 1 << 20;
    let path = if file.from_job { path.to_path_buf() } else { inside(roots, path)? };
    (fs::metadata(&path).ok()?.len() <= MAX_BYTES).then(|| fs::read_to_string(&path).ok()).flatten()
}
