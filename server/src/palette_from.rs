//! `"palette": {"from": [SOURCE, …]}`: one palette taken from images the server reads, so a new
//! sprite uses the colours of the game's existing art; with `"sprite": "match"` the frame size
//! is taken from the same images.
//!
//! A SOURCE is what [`crate::sources`] reads: a completed job's sheet, or a PNG or folder of
//! PNGs inside the allowed roots (a folder sampled down to 64). Sheets are cut into their frames
//! by the `.atlas.ron` beside them (a job's sheet has one). The palette is the sources' opaque
//! colours exactly when at most `colors`, else `colors` fitted to them; the size is their
//! median sprite size ([`art_of_frames`], as the clients do for the game's files). The server
//! resolves both when the job is submitted and stores the colours and the size in the job's
//! request, so a job never reads the sources again and re-processing it gives the same result.

use dgx_pixels_protocol::{GenerateRequest, PaletteSpec};
use dgx_pixels_sprite::matched_size::frames_of;
use dgx_pixels_sprite::palette_source::{MAX_FOLDER_IMAGES, art_of_frames};
use image::RgbaImage;

use crate::error::ApiError;
use crate::sources::{read_beside, read_image, source_files};
use crate::state::AppState;

/// The field every error names.
const FIELD: &str = "palette.from";

/// The frames of `sources`, sheets cut by their atlases.
async fn read_frames(state: &AppState, sources: &[String]) -> Result<Vec<RgbaImage>, ApiError> {
    let mut files = Vec::new();
    for source in sources {
        files.extend(source_files(state, source, FIELD, MAX_FOLDER_IMAGES).await?);
    }
    let roots = state.roots.clone();
    tokio::task::spawn_blocking(move || {
        let mut frames = Vec::new();
        for file in &files {
            let image = read_image(&roots, file).map_err(invalid)?;
            frames.extend(frames_of(image, read_beside(&roots, file, &file.atlas()).as_deref()));
        }
        Ok(frames)
    })
    .await
    .map_err(|err| ApiError::Internal(format!("source task stopped: {err}")))?
}

/// The request with a `from` palette replaced by its colours and a `"match"` sprite by the
/// sources' size; any other request as it is.
pub(crate) async fn resolve_request(
    state: &AppState,
    mut request: GenerateRequest,
) -> Result<GenerateRequest, ApiError> {
    let Some(PaletteSpec::From(sources)) = &request.palette else { return Ok(request) };
    let frames = read_frames(state, &sources.from).await?;
    let (palette, size) = art_of_frames(&frames, request.colors, request.sprite.is_match()).map_err(invalid)?;
    request.palette = Some(PaletteSpec::Colors(palette.0));
    if let Some(size) = size {
        request.sprite = size.into();
    }
    Ok(request)
}

fn invalid(message: String) -> ApiError {
    ApiError::invalid(FIELD, message)
}
