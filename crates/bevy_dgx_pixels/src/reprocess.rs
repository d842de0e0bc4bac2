//! Re-processing: a finished job's sheet made again from the frames its backend drew, with
//! other sheet settings (sprite size, colours, palette, background, columns) and no generation.
//!
//! Every finished job keeps its backend's frames (`raw/{i}.png`); trying another size or palette
//! on them takes a fraction of a second, where generating again takes as long as the first time
//! and draws something else. The frames are downloaded, then run through ONE
//! [`Pipeline`](dgx_pixels_sprite::Pipeline) together so they share one palette, and laid out
//! in a grid: the server's own steps for a job's sheet, so the result is what the server would
//! have made with these settings.

use dgx_pixels_client::{Client, ClientError};
use dgx_pixels_protocol::{GenerateRequest, Job, JobId, Palette, PaletteSpec, SpriteMeta};
use dgx_pixels_sprite::atlas::{AtlasError, grid_sheet};
use dgx_pixels_sprite::write::{WriteError, encode_png};
use dgx_pixels_sprite::{DecodeError, DecodeLimits, PipelineBuilder, PipelineError, decode_bounded};
use futures_util::{StreamExt, TryStreamExt};

use crate::connection::ConnectionError;
use crate::{DecodedSheet, SheetFiles};

/// Raw frames downloaded at once: enough to overlap the transfers, few enough not to crowd a
/// server that is also generating.
const PARALLEL_DOWNLOADS: usize = 4;

/// Why a job's raw frames did not become a sheet.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReprocessError {
    /// The job has no raw frames (it completed before the server kept them).
    #[error("job `{0}` has no raw frames to re-process (it was made before the server kept them); generate it again")]
    NoRawFrames(JobId),
    /// The job is a tileset: its tiles are composed from two terrains, not drawn one per frame,
    /// so its raw frames do not rebuild it.
    #[error(
        "job `{0}` is a tileset: Re-process does not rebuild tilesets yet; generate it again with the new settings"
    )]
    Tileset(JobId),
    /// The request names a palette preset this build does not know.
    #[error("unknown palette preset `{0}`")]
    UnknownPalette(String),
    /// A raw frame is not a readable PNG.
    #[error("raw frame {frame} does not decode: {source}")]
    Decode {
        /// The frame's index.
        frame: u32,
        /// Why.
        source: DecodeError,
    },
    /// The sprite pipeline refused the settings or the frames (say, a sprite size larger than
    /// the raw frames).
    #[error("sprite pipeline: {0}{why}", why = because(.0))]
    Pipeline(#[from] PipelineError),
    /// The sprites do not make a sheet.
    #[error("sheet: {0}")]
    Atlas(#[from] AtlasError),
    /// The sheet does not encode as PNG.
    #[error("{0}")]
    Encode(#[from] WriteError),
}

/// ` (why)` when `err` has an underlying cause its own message leaves out (the pipeline names
/// the frame whose grid failed, its cause says the size does not fit).
fn because(err: &dyn std::error::Error) -> String {
    err.source().map(|source| format!(" ({source})")).unwrap_or_default()
}

/// Downloads job `job`'s `.sprite.ron` and raw frames and makes its sheet again with the sheet
/// settings of `request` (see [`rebuild`]); the CPU work runs on a blocking thread. Returns the
/// job (whose id the new sheet keeps, for Vary and further re-processing), the three files and
/// the files decoded, as a finished job arrives.
pub async fn reprocess(
    client: &Client,
    job: &JobId,
    request: GenerateRequest,
) -> Result<(Job, SheetFiles, DecodedSheet), ConnectionError> {
    // Asked before the raw frames, so a job that does not exist or has not completed is
    // reported as such, not as missing raw frames.
    let (found, sprite) = futures_util::try_join!(client.job(job), client.sprite_ron(job))?;
    let meta = SpriteMeta::from_ron(&sprite).map_err(crate::SheetError::from)?;
    if meta.tileset.is_some() {
        return Err(ReprocessError::Tileset(job.clone()).into());
    }
    let seed = found.result.as_ref().map_or(0, |result| result.seed);
    let raw = futures_util::stream::iter(0..meta.frames)
        .map(|index| client.raw_png(job, index))
        .buffered(PARALLEL_DOWNLOADS)
        .try_collect::<Vec<_>>()
        .await
        .map_err(|err| match err {
            ClientError::Api { status: 404, .. } => ReprocessError::NoRawFrames(job.clone()).into(),
            other => ConnectionError::from(other),
        })?;
    let rebuilding = tokio::task::spawn_blocking(move || {
        let files = rebuild(&raw, &request, meta, seed)?;
        let sheet = files.decode()?;
        Ok::<_, ConnectionError>((files, sheet))
    });
    let (files, sheet) = rebuilding.await.map_err(|_| ConnectionError::Stopped)??;
    Ok((found, files, sheet))
}

/// The sheet of `raw` (PNG frames as the backend drew them) with `request`'s sprite size,
/// colours, palette, background and columns (for `raw.len()` frames, whatever its `frames`), as
/// the server makes a job's sheet: all frames in one pipeline run (one shared palette, fitted
/// with the job's `seed`), in a grid with no spacing. `meta` is the job's `.sprite.ron`: its
/// name, timing, tags, pivot and provenance carry over; its frame size, columns and palette
/// become the new sheet's.
pub fn rebuild(
    raw: &[Vec<u8>],
    request: &GenerateRequest,
    meta: SpriteMeta,
    seed: u64,
) -> Result<SheetFiles, ReprocessError> {
    if let Some(PaletteSpec::Preset(name)) = &request.palette
        && Palette::preset(name).is_none()
    {
        return Err(ReprocessError::UnknownPalette(name.clone()));
    }
    let limits = DecodeLimits::default();
    let frames = (0..)
        .zip(raw)
        .map(|(frame, bytes)| decode_bounded(bytes, &limits).map_err(|source| ReprocessError::Decode { frame, source }))
        .collect::<Result<Vec<_>, _>>()?;
    let pipeline = PipelineBuilder::for_request(request, seed).build()?;
    let pixels = pipeline.process(&frames)?;
    let count = u32::try_from(frames.len()).unwrap_or(u32::MAX);
    let columns = GenerateRequest { frames: count, ..request.clone() }.sheet_columns().clamp(1, count.max(1));
    let sheet = grid_sheet(&pixels.frames, columns, 0, 0)?;
    let meta = SpriteMeta {
        frame_size: request.sprite_size(),
        columns,
        palette: pixels.palette,
        grid_confidence: Some(pixels.confidence.score),
        ..meta
    };
    Ok(SheetFiles {
        png: encode_png(&sheet.image)?,
        atlas: sheet.layout.to_ron().into_bytes(),
        sprite: meta.to_ron().into_bytes(),
    })
}

#[cfg(test)]
mod tests {
    use dgx_pixels_protocol::SpriteSize;
    use image::{Rgba, RgbaImage};

    use super::*;
    use crate::sheet::tests::sheet_files;

    /// A 16×16 sprite drawn with 8-pixel "pixels" in many shades, on a flat backdrop, as PNG.
    fn raw_frame(shift: u8) -> Vec<u8> {
        let image = RgbaImage::from_fn(128, 128, |x, y| {
            let (cx, cy) = (x / 8, y / 8);
            if (3..13).contains(&cx) && (3..13).contains(&cy) {
                Rgba([(cx * 20) as u8 + shift, (cy * 20) as u8, 120, 255])
            } else {
                Rgba([250, 250, 250, 255])
            }
        });
        encode_png(&image).unwrap()
    }

    fn meta(frames: u32) -> SpriteMeta {
        SpriteMeta::from_ron(std::str::from_utf8(&sheet_files(frames, 16).sprite).unwrap()).unwrap()
    }

    /// Four frames at another size and fewer colours become a grid sheet of that size whose
    /// frames share one palette within the budget; the metadata keeps its timing.
    #[test]
    fn raw_frames_make_a_sheet_with_the_new_settings() {
        let raw: Vec<_> = (0..4).map(|i| raw_frame(i * 3)).collect();
        let mut request = GenerateRequest::new("x");
        (request.sprite, request.frames, request.colors, request.columns) =
            (SpriteSize::new(8, 8).into(), 4, 4, Some(2));
        let files = rebuild(&raw, &request, meta(4), 7).unwrap();
        let sheet = files.decode().unwrap();
        assert_eq!((sheet.image.width(), sheet.image.height()), (16, 16), "2 columns of 8 px, 2 rows");
        assert_eq!((sheet.meta.frame_size, sheet.meta.columns), (SpriteSize::new(8, 8), 2));
        assert_eq!(sheet.meta.frame_durations_ms, vec![100; 4]);
        assert!(sheet.meta.palette.len() <= 4, "{:?}", sheet.meta.palette);
        let again = rebuild(&raw, &request, meta(4), 7).unwrap();
        assert_eq!(again.png, files.png, "the same frames, settings and seed give the same sheet");
    }

    /// Bad input is an error, not a panic: an undecodable frame, an unknown preset, a target
    /// larger than the frames.
    #[test]
    fn bad_frames_and_settings_are_errors() {
        let request = GenerateRequest { frames: 2, ..GenerateRequest::new("x") };
        let broken = rebuild(&[raw_frame(0), b"not a png".to_vec()], &request, meta(2), 0);
        assert!(matches!(broken, Err(ReprocessError::Decode { frame: 1, .. })), "{broken:?}");
        let preset = GenerateRequest { palette: Some(PaletteSpec::Preset("vaporwave".into())), ..request.clone() };
        let unknown = rebuild(&[raw_frame(0), raw_frame(1)], &preset, meta(2), 0);
        assert!(matches!(unknown, Err(ReprocessError::UnknownPalette(_))), "{unknown:?}");
        let huge = GenerateRequest { sprite: SpriteSize::new(512, 512).into(), ..request };
        let too_big = rebuild(&[raw_frame(0), raw_frame(1)], &huge, meta(2), 0);
        let err = too_big.unwrap_err();
        assert!(matches!(err, ReprocessError::Pipeline(_)), "{err:?}");
        assert!(err.to_string().contains("512x512 does not fit the 128x128"), "{err}");
    }
}
