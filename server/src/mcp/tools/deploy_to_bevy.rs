//! `deploy_to_bevy`: a completed job's three files into `<bevy_project>/assets/<category>/`,
//! through [`crate::deploy::deploy`], which owns every safety check (allowed roots, plain names,
//! symlinks, no silent overwrite). The job's files come from wherever its job ran
//! ([`jobs::completed`]): this process's queue, or the remote server of `mcp --stdio --server`.

use dgx_pixels_protocol::mcp::{DeployReport, DeployToBevyArgs, tool};
use dgx_pixels_protocol::{Job, JobId, SpriteMeta};
use dgx_pixels_sprite::write::FileContents;
use rmcp::model::{CallToolResult, JsonObject};
use tracing::{info, instrument};

use crate::deploy::{DeployTarget, deploy};
use crate::error::ApiError;
use crate::mcp::args::parse_args;
use crate::mcp::context::CallContext;
use crate::mcp::error::ToolError;
use crate::mcp::jobs::{self, SheetFiles};
use crate::mcp::report::success;

/// Runs the tool.
#[instrument(skip_all, fields(tool = tool::DEPLOY_TO_BEVY, job_id))]
pub(crate) async fn run(ctx: &CallContext, args: JsonObject) -> Result<CallToolResult, ToolError> {
    let DeployToBevyArgs { job_id, bevy_project, category, name, overwrite } = parse_args(args)?;
    tracing::Span::current().record("job_id", job_id.as_str());
    let (job, files) = jobs::completed(ctx, &JobId(job_id)).await?;
    let report = deploy_job(ctx, &job, files, DeployPlace { bevy_project, category, name, overwrite }).await?;
    Ok(success(&report, Vec::new())?)
}

/// Where a job's files go: `<bevy_project>/assets/<category>/<name>.*`.
pub(crate) struct DeployPlace {
    /// The Bevy project folder, inside an allowed root.
    pub bevy_project: String,
    /// Folder under `assets/`.
    pub category: String,
    /// Asset name; default: the job's own name.
    pub name: Option<String>,
    /// Whether existing files may be replaced.
    pub overwrite: bool,
}

/// Writes completed `job`'s three `files` to `place`, through [`deploy`] and its checks.
pub(crate) async fn deploy_job(
    ctx: &CallContext,
    job: &Job,
    files: SheetFiles,
    place: DeployPlace,
) -> Result<DeployReport, ToolError> {
    let DeployPlace { bevy_project, category, name, overwrite } = place;
    let name = name
        .or_else(|| job.result.as_ref().map(|result| result.name.clone()))
        .unwrap_or_else(|| job.request.asset_name());
    let roots = ctx.state.roots.clone();
    tokio::task::spawn_blocking(move || {
        let sprite = renamed_meta(files.sprite, &name);
        let target = DeployTarget { bevy_project: &bevy_project, category: &category, name: &name, overwrite };
        let contents = FileContents { png: &files.png, atlas: &files.atlas, sprite: &sprite };
        let written = deploy(&roots, &target, &contents)?;
        info!(sheet = %written.sheet.display(), overwrite, "deployed");
        Ok::<_, ToolError>(DeployReport {
            sheet: written.sheet.display().to_string(),
            atlas: written.atlas.display().to_string(),
            sprite: written.sprite.display().to_string(),
            asset_path: format!("{category}/{name}.png"),
        })
    })
    .await
    .map_err(|err| ApiError::Internal(format!("deploy task stopped: {err}")))?
}

/// The `.sprite.ron` text with its `name` set to the deployed name, so the metadata matches
/// the file; text that does not parse (never the case for files the server wrote) is kept.
fn renamed_meta(text: String, name: &str) -> String {
    match SpriteMeta::from_ron(&text) {
        Ok(mut meta) if meta.name != name => {
            meta.name = name.to_owned();
            meta.to_ron()
        }
        _ => text,
    }
}
