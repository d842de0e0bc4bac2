//! `pixelize_image`: the pixelize pipeline on a base64 PNG, the same as `POST /api/v1/pixelize`.

use std::io::Cursor;

use axum::body::Bytes;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dgx_pixels_protocol::Background;
use dgx_pixels_protocol::mcp::{PixelizeImageArgs, PixelizeReport, tool};
use image::{ImageFormat, ImageReader};
use rmcp::model::{CallToolResult, ContentBlock, JsonObject};
use tracing::instrument;

use crate::config::DEFAULT_MAX_BODY_BYTES;
use crate::error::ApiError;
use crate::mcp::args::parse_args;
use crate::mcp::context::CallContext;
use crate::mcp::error::ToolError;
use crate::mcp::report::success;
use crate::routes::pixelize::{PixelizeQuery, Pixelized, pixelize};

/// The argument that carries the image.
const IMAGE_FIELD: &str = "image_base64";

/// Runs the tool; the sprite comes back as PNG image content beside its size.
#[instrument(skip_all, fields(tool = tool::PIXELIZE_IMAGE))]
pub(crate) async fn run(_ctx: &CallContext, args: JsonObject) -> Result<CallToolResult, ToolError> {
    let PixelizeImageArgs { image_base64, size, colors, palette, background } = parse_args(args)?;
    // Over HTTP the body limit already applies; over stdio this is the only bound.
    if image_base64.len() / 4 * 3 > DEFAULT_MAX_BODY_BYTES {
        return Err(ApiError::invalid(IMAGE_FIELD, "the image is larger than 16 MiB").into());
    }
    let image = STANDARD
        .decode(image_base64.trim())
        .map_err(|err| ApiError::invalid(IMAGE_FIELD, format!("not base64: {err}")))?;
    let query = PixelizeQuery {
        size,
        colors: colors.map(|colors| colors.to_string()),
        palette,
        background: background.map(|background| {
            match background {
                Background::Transparent => "transparent",
                Background::Keep => "keep",
            }
            .to_owned()
        }),
    };
    let auto = query.size.as_deref().is_none_or(|size| size == "auto");
    let Pixelized { png, confidence } = pixelize(&query, Bytes::from(image)).await.map_err(|err| match err {
        ApiError::Invalid { field, message } if field == "body" => ApiError::invalid(IMAGE_FIELD, message),
        other => other,
    })?;
    let (width, height) = ImageReader::with_format(Cursor::new(&png), ImageFormat::Png)
        .into_dimensions()
        .map_err(|err| ApiError::Internal(format!("reading the sprite's size: {err}")))?;
    let image = ContentBlock::image(STANDARD.encode(&png), "image/png");
    let unsure = confidence.unsure_note(auto, "as `size`");
    let report = PixelizeReport { width, height, grid_confidence: confidence.score, unsure };
    Ok(success(&report, vec![image])?)
}
