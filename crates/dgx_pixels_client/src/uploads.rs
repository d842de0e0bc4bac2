//! Images of this machine sent with a training request (`uploads`), for a server that cannot see
//! this machine's files: a PNG, or a folder's own PNGs, each with the `.atlas.ron` and
//! `.sprite.ron` beside it, so the server cuts sheets into frames and captions them as it does
//! its own files. Used by `dgx-pixels train-style` and the Bevy panel.

use std::path::{Path, PathBuf};

use base64::Engine;
use dgx_pixels_protocol::UploadedImage;
use dgx_pixels_protocol::limits::TRAIN_MAX_IMAGES;
use dgx_pixels_sprite::palette_source::{SourceError, beside, folder_pngs_up_to};

/// Largest PNG sent: the server's limit for one uploaded image.
pub const UPLOAD_MAX_BYTES: usize = 4 << 20;

/// Why an image could not be sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// The folder could not be listed or holds no PNG.
    #[error(transparent)]
    Folder(#[from] SourceError),
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A PNG over [`UPLOAD_MAX_BYTES`].
    #[error("{0} is over 4 MiB")]
    TooLarge(PathBuf),
}

/// The PNG at `path`, or a folder's PNGs (up to the most a style is trained on, sampled evenly
/// in name order), ready to send.
pub fn read_uploads(path: &Path) -> Result<Vec<UploadedImage>, UploadError> {
    let pngs = if path.is_dir() { folder_pngs_up_to(path, TRAIN_MAX_IMAGES)? } else { vec![path.to_path_buf()] };
    pngs.iter().map(|png| read_upload(png)).collect()
}

fn read_upload(png: &Path) -> Result<UploadedImage, UploadError> {
    let bytes = std::fs::read(png).map_err(|source| UploadError::Read { path: png.to_path_buf(), source })?;
    if bytes.len() > UPLOAD_MAX_BYTES {
        return Err(UploadError::TooLarge(png.to_path_buf()));
    }
    let read_beside = |suffix: &str| std::fs::read_to_string(beside(png, suffix)).ok();
    Ok(UploadedImage {
        name: png.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default(),
        png: base64::engine::general_purpose::STANDARD.encode(bytes),
        atlas: read_beside("atlas.ron"),
        sprite: read_beside("sprite.ron"),
    })
}
