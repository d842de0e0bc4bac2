//! Which sheet a game tool shows, as an asset path the game can load: a path inside the game's
//! assets as given, or a completed job first written into the game's assets.
//!
//! A job goes where the plugin keeps what it generates (the game's output folder, `generated/`
//! by default) as `NAME-JOBID8`, through the same [`deploy_job`] as `deploy_to_bevy`, so the
//! game's assets folder must lie inside an allowed root like any deploy target. The name carries
//! the job's id, so spawning one job twice rewrites its own files and never another sprite's.

use std::path::Path;

use dgx_pixels_protocol::JobId;
use dgx_pixels_protocol::limits::check_name;
use dgx_pixels_protocol::mcp::{DeployReport, SheetChoice};
use dgx_pixels_protocol::remote::{GameInfo, method, sheet_asset_path};
use serde_json::json;

use super::context::CallContext;
use super::error::ToolError;
use super::jobs;
use super::tools::deploy_to_bevy::{DeployPlace, deploy_job};
use crate::error::ApiError;

/// Where a job goes when the game's output folder is not a plain folder of its assets.
const FALLBACK_CATEGORY: &str = "generated";

/// The `.sprite.ron` asset path of `sheet`, and what was deployed to get it.
pub(crate) async fn resolve(
    ctx: &CallContext,
    sheet: SheetChoice,
) -> Result<(String, Option<DeployReport>), ToolError> {
    match sheet {
        SheetChoice::Asset(asset) => Ok((sheet_asset_path("asset", &asset).map_err(ApiError::from)?, None)),
        SheetChoice::Job(id) => {
            let job_id = JobId(id);
            // Before asking the game: an unknown or unfinished job is the clearer error.
            let (job, files) = jobs::completed(ctx, &job_id).await?;
            let info: GameInfo = ctx.state.game.call(method::INFO, &json!({})).await?;
            let assets = Path::new(&info.assets);
            let project = assets.parent().filter(|_| assets.file_name().is_some_and(|name| name == "assets"));
            let project = project.ok_or_else(|| {
                ApiError::invalid(
                    "job_id",
                    format!(
                        "the game loads assets from {}, not from a project's `assets` folder; deploy the job with \
                         deploy_to_bevy and pass its asset_path as `asset`",
                        info.assets
                    ),
                )
            })?;
            let category = info.output_folder.trim_end_matches('/');
            let category = if check_name("category", category).is_ok() { category } else { FALLBACK_CATEGORY };
            let base = job.result.as_ref().map_or_else(|| job.request.asset_name(), |result| result.name.clone());
            let short: String = job_id.0.chars().filter(char::is_ascii_alphanumeric).take(8).collect();
            let name = format!("{}-{}", base.chars().take(64 - short.len() - 1).collect::<String>(), short);
            let place = DeployPlace {
                bevy_project: project.to_string_lossy().into_owned(),
                category: category.to_owned(),
                name: Some(name.to_lowercase()),
                overwrite: true,
            };
            let report = deploy_job(ctx, &job, files, place).await?;
            let path = sheet_asset_path("job_id", &report.asset_path).map_err(ApiError::from)?;
            Ok((path, Some(report)))
        }
    }
}
