//! What the job tools return: a [`JobReport`] (the job, absolute file URLs, the next step) as
//! JSON, and for a completed job a small preview image.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dgx_pixels_protocol::mcp::{FileUrls, JobReport, PREVIEW_SIDE};
use dgx_pixels_protocol::{Job, JobFiles, JobStatus, SpriteSize};
use dgx_pixels_sprite::upscale::upscale_nearest;
use dgx_pixels_sprite::write::encode_png;
use image::{ImageFormat, RgbaImage};
use rmcp::model::{CallToolResult, ContentBlock};
use serde::Serialize;

use super::context::CallContext;
use super::error::ToolError;
use super::jobs;
use super::wait::describe;
use crate::error::ApiError;

/// A sheet larger than this on either side is previewed by its first frame only.
const WHOLE_SHEET_MAX_SIDE: u32 = PREVIEW_SIDE * 4;

/// `job` with absolute file URLs (once completed) and a hint of what to do next.
pub(crate) fn job_report(ctx: &CallContext, job: Job) -> JobReport {
    let files = (job.status == JobStatus::Completed).then(|| {
        let JobFiles { sheet, atlas, sprite } = JobFiles::for_job(&job.id);
        let base = jobs::files_base(ctx);
        FileUrls { sheet: format!("{base}{sheet}"), atlas: format!("{base}{atlas}"), sprite: format!("{base}{sprite}") }
    });
    let id = &job.id;
    let next = match job.status {
        JobStatus::Completed => {
            format!("Done. Put it into a Bevy game with deploy_to_bevy (job_id \"{id}\"), or download the files.")
        }
        JobStatus::Queued | JobStatus::Running => {
            format!("Still {}. Call get_job with job_id \"{id}\" and wait_seconds to wait for it.", describe(&job))
        }
        JobStatus::Failed => format!(
            "It failed: {}. Change the request and generate again.",
            job.error.as_deref().unwrap_or("no reason given")
        ),
        JobStatus::Cancelled => "It was cancelled; generate again if it is still wanted.".to_owned(),
    };
    JobReport { job, files, next }
}

/// A completed job's sheet as a small PNG image content: nearest-neighbour upscaled so its
/// longer side is about [`PREVIEW_SIDE`], or its first frame for a big sheet. `None` unless the
/// job completed.
pub(crate) async fn preview(ctx: &CallContext, job: &Job) -> Result<Option<ContentBlock>, ToolError> {
    let Some(result) = job.result.as_ref().filter(|_| job.status == JobStatus::Completed) else { return Ok(None) };
    let sheet_png = jobs::sheet_png(ctx, &job.id).await?;
    let frame = result.frame_size;
    let id = job.id.clone();
    let png = tokio::task::spawn_blocking(move || {
        let sheet = image::load_from_memory_with_format(&sheet_png, ImageFormat::Png)
            .map_err(|err| ApiError::Internal(format!("cannot decode the sheet of job `{id}`: {err}")))?
            .to_rgba8();
        encode_png(&preview_image(&sheet, frame)).map_err(|err| ApiError::Internal(err.to_string()))
    })
    .await
    .map_err(|err| ApiError::Internal(format!("preview task stopped: {err}")))??;
    Ok(Some(ContentBlock::image(STANDARD.encode(png), "image/png")))
}

/// The preview of `sheet` whose frames are `frame` big.
fn preview_image(sheet: &RgbaImage, frame: SpriteSize) -> RgbaImage {
    let region = if sheet.width().max(sheet.height()) > WHOLE_SHEET_MAX_SIDE {
        let (width, height) = (frame.width.min(sheet.width()), frame.height.min(sheet.height()));
        image::imageops::crop_imm(sheet, 0, 0, width, height).to_image()
    } else {
        sheet.clone()
    };
    let longer = region.width().max(region.height()).max(1);
    upscale_nearest(&region, (PREVIEW_SIDE / longer).max(1))
}

/// A successful result: `report` as JSON text and structured content, then `images`.
pub(crate) fn success<T: Serialize>(report: &T, images: Vec<ContentBlock>) -> Result<CallToolResult, ApiError> {
    let value = serde_json::to_value(report).map_err(|err| ApiError::Internal(format!("encoding a result: {err}")))?;
    let mut result = CallToolResult::structured(value);
    result.content.extend(images);
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_are_small_and_blocky() {
        let sheet = RgbaImage::from_fn(64, 16, |x, _| image::Rgba([(x * 4) as u8, 0, 0, 255]));
        let preview = preview_image(&sheet, SpriteSize::new(16, 16));
        assert_eq!(preview.dimensions(), (128, 32));
        assert_eq!(preview.get_pixel(1, 1), sheet.get_pixel(0, 0));
        // A big sheet shows its first frame.
        let big = RgbaImage::new(64 * 16, 64);
        assert_eq!(preview_image(&big, SpriteSize::new(64, 64)).dimensions(), (128, 128));
    }
}
