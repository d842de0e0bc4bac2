//! `"palette": {"from": [SOURCE, …]}`: one palette taken from images the server reads, so a new
//! sprite uses the colours of the game's existing art.
//!
//! A SOURCE is what [`crate::sources`] reads: a completed job's sheet, or a PNG or folder of
//! PNGs inside the allowed roots (a folder sampled down to 64). The palette is the
//! sources' opaque colours exactly when at most `colors`, else `colors` fitted to them
//! ([`palette_of`]). The server resolves it when the job is submitted and stores the colours in
//! the job's request, so a job never reads the sources again and re-processing it gives the
//! same palette.

use dgx_pixels_protocol::{GenerateRequest, PaletteSpec, Rgb};
use dgx_pixels_sprite::palette_source::{MAX_FOLDER_IMAGES, palette_of};

use crate::error::ApiError;
use crate::sources::{read_image, source_files};
use crate::state::AppState;

/// The field every error names.
const FIELD: &str = "palette.from";

/// The colours for `sources`, at most `colors` of them.
async fn resolve(state: &AppState, sources: &[String], colors: u16) -> Result<Vec<Rgb>, ApiError> {
    let mut files = Vec::new();
    for source in sources {
        files.extend(source_files(state, source, FIELD, MAX_FOLDER_IMAGES).await?);
    }
    let roots = state.roots.clone();
    tokio::task::spawn_blocking(move || {
        let images =
            files.iter().map(|file| read_image(&roots, file).map_err(invalid)).collect::<Result<Vec<_>, _>>()?;
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

fn invalid(message: String) -> ApiError {
    ApiError::invalid(FIELD, message)
}
