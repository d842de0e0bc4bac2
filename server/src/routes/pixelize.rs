//! `POST /api/v1/pixelize`: the sprite pipeline on an uploaded image, no job involved.

use axum::body::Bytes;
use axum::extract::Query;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::http::header;
use axum::response::IntoResponse;
use dgx_pixels_protocol::{Background, ErrorBody, Palette, PaletteSpec, Rgb, SpriteSize, limits};
use dgx_pixels_sprite::grid::GridConfidence;
use dgx_pixels_sprite::write::encode_png;
use dgx_pixels_sprite::{DecodeLimits, PipelineBuilder, PipelineError, TargetSize, decode_bounded};
use serde::Deserialize;

use crate::error::ApiError;

/// The query; values are parsed by hand so a bad one is a 422 naming it.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PixelizeQuery {
    pub size: Option<String>,
    pub colors: Option<String>,
    pub palette: Option<String>,
    pub background: Option<String>,
}

/// Turns an upscaled "fake pixel art" image (the body, PNG) into a true sprite (PNG).
#[utoipa::path(post, path = "/api/v1/pixelize", tag = "pixelize", security(("bearer" = [])),
    params(
        ("size" = Option<String>, Query, description = "`WxH` (8..=512 each) or `auto` (default)"),
        ("colors" = Option<u16>, Query, description = "palette size 2..=256, default 16"),
        ("palette" = Option<String>, Query, description = "preset name or comma-separated `#rrggbb`"),
        ("background" = Option<String>, Query, description = "`transparent` (default) or `keep`"),
    ),
    request_body(content = Vec<u8>, content_type = "image/png", description = "the image"),
    responses(
        (status = 200, description = "the sprite; header `X-Grid-Confidence` says how sure its pixel grid is (0..1, unsure under 0.5)", content_type = "image/png"),
        (status = 413, description = "body too large", body = ErrorBody),
        (status = 422, description = "bad parameter or undecodable image; `field` names it", body = ErrorBody),
    ))]
pub(crate) async fn pixelize_create(
    query: Result<Query<PixelizeQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(query) = query?;
    let Pixelized { png, confidence } = pixelize(&query, body?).await?;
    let confidence = format!("{:.2}", confidence.score);
    Ok(([(header::CONTENT_TYPE, "image/png".to_owned()), (GRID_CONFIDENCE, confidence)], png))
}

/// The response header that carries the grid's confidence.
const GRID_CONFIDENCE: header::HeaderName = header::HeaderName::from_static("x-grid-confidence");

/// A sprite made by [`pixelize`].
pub(crate) struct Pixelized {
    /// The sprite as PNG.
    pub png: Vec<u8>,
    /// How sure its pixel grid is.
    pub confidence: GridConfidence,
}

/// Runs the pipeline `query` describes on the image `body` and returns the sprite as PNG; shared
/// by `POST /api/v1/pixelize` and the MCP tool `pixelize_image`.
pub(crate) async fn pixelize(query: &PixelizeQuery, body: Bytes) -> Result<Pixelized, ApiError> {
    let pipeline = pipeline_for(query)?;
    tokio::task::spawn_blocking(move || {
        let image = decode_bounded(&body, &DecodeLimits::default())
            .map_err(|err| ApiError::invalid("body", err.to_string()))?;
        let sprite = pipeline.process(&[image]).map_err(|err| match err {
            PipelineError::Grid { .. } => ApiError::invalid("size", err.to_string()),
            other => ApiError::invalid("body", other.to_string()),
        })?;
        let confidence = sprite.confidence;
        let frame =
            sprite.frames.into_iter().next().ok_or_else(|| ApiError::Internal("pipeline made no frame".into()))?;
        let png = encode_png(&frame).map_err(|err| ApiError::Internal(err.to_string()))?;
        Ok(Pixelized { png, confidence })
    })
    .await
    .map_err(|err| ApiError::Internal(format!("pixelize task stopped: {err}")))?
}

fn pipeline_for(query: &PixelizeQuery) -> Result<dgx_pixels_sprite::Pipeline, ApiError> {
    let mut builder = PipelineBuilder::new();
    if let Some(size) = query.size.as_deref().filter(|size| *size != "auto") {
        builder.size(TargetSize::Exact(parse_size(size)?));
    }
    if let Some(colors) = &query.colors {
        let colors: u16 = colors.parse().map_err(|_| ApiError::invalid("colors", "`colors` must be a number"))?;
        limits::check_range("colors", colors, &limits::COLORS)?;
        builder.colors(colors);
    }
    if let Some(palette) = &query.palette {
        builder.palette(Some(parse_palette(palette)?));
    }
    if let Some(background) = &query.background {
        builder.background(match background.as_str() {
            "transparent" => Background::Transparent,
            "keep" => Background::Keep,
            _ => return Err(ApiError::invalid("background", "`background` must be `transparent` or `keep`")),
        });
    }
    builder.build().map_err(|err| ApiError::invalid("colors", err.to_string()))
}

/// `WxH`, each side in [`limits::SPRITE_SIDE`].
fn parse_size(text: &str) -> Result<SpriteSize, ApiError> {
    let bad = || ApiError::invalid("size", format!("`size` must be WxH or auto, got `{text}`"));
    let (w, h) = text.split_once(['x', 'X']).ok_or_else(bad)?;
    let size = SpriteSize::new(w.parse().map_err(|_| bad())?, h.parse().map_err(|_| bad())?);
    limits::check_range("size", size.width, &limits::SPRITE_SIDE)?;
    limits::check_range("size", size.height, &limits::SPRITE_SIDE)?;
    Ok(size)
}

/// A preset name or comma-separated `#rrggbb` colours.
fn parse_palette(text: &str) -> Result<Palette, ApiError> {
    let spec = if text.contains('#') || text.contains(',') {
        let colours = text.split(',').map(|c| c.trim().parse::<Rgb>()).collect::<Result<Vec<_>, _>>();
        PaletteSpec::Colors(colours.map_err(|err| ApiError::invalid("palette", err.to_string()))?)
    } else {
        PaletteSpec::Preset(text.to_owned())
    };
    if let PaletteSpec::Colors(colours) = &spec {
        limits::check_len("palette", colours.len(), limits::PALETTE_LIST)?;
    }
    spec.resolve().ok_or_else(|| ApiError::invalid("palette", format!("unknown palette preset `{text}`")))
}
