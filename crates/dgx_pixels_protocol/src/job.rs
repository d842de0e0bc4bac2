//! Jobs as the server reports them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::train::{TrainStep, TrainStyleRequest, TrainedStyle};
use crate::{BackendKind, GenerateRequest, Palette, SpriteSize};

/// A job's id: opaque to clients, safe in a URL path.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct JobId(pub String);

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a job is in its lifecycle: queued → running → completed | failed | cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum JobStatus {
    /// Accepted and waiting for a backend slot.
    Queued,
    /// A backend is working on it.
    Running,
    /// Done; its files can be downloaded.
    Completed,
    /// Gave up; `error` says why.
    Failed,
    /// Cancelled by a client.
    Cancelled,
}

impl JobStatus {
    /// Whether the job will never change again.
    pub fn is_terminal(self) -> bool {
        matches!(self, JobStatus::Completed | JobStatus::Failed | JobStatus::Cancelled)
    }

    /// The lowercase name used in JSON and in `?status=` filters.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    /// Parses [`Self::as_str`]'s names.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Queued, Self::Running, Self::Completed, Self::Failed, Self::Cancelled]
            .into_iter()
            .find(|status| status.as_str() == name)
    }
}

/// The answer to `POST /api/v1/generate`: 202 with the new (or, for a repeated
/// `Idempotency-Key`, the existing) job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct JobAccepted {
    /// The job's id.
    pub job_id: JobId,
    /// Its status at the time of the answer.
    pub status: JobStatus,
}

/// `GET /api/v1/jobs/{id}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Job {
    /// The job's id.
    pub id: JobId,
    /// Lifecycle state.
    pub status: JobStatus,
    /// 0.0..=1.0; 1.0 once completed.
    pub progress: f32,
    /// Jobs ahead of this one (0 = next); `None` unless queued.
    pub queue_position: Option<u32>,
    /// Why it failed; `None` unless failed.
    pub error: Option<String>,
    /// The request as accepted: a sheet to generate or a style to train.
    pub request: JobRequest,
    /// The sheet a generate job made; `None` until completed, and for a training.
    pub result: Option<JobResult>,
    /// A running `train_style` job's latest step and loss.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_step: Option<TrainStep>,
    /// The style a completed `train_style` job made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<TrainedStyle>,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    /// Last change, milliseconds since the Unix epoch.
    pub updated_at_ms: u64,
}

/// What a job was asked to do. Untagged: the JSON is the body of the route that queued it
/// (`POST /api/v1/generate` or `POST /api/v1/styles/train`), which tell each other apart by
/// their required fields (`prompt`; `name`), both refusing unknown fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum JobRequest {
    /// A sprite sheet.
    Generate(GenerateRequest),
    /// A style learned from images.
    TrainStyle(TrainStyleRequest),
}

impl JobRequest {
    /// The sheet request, unless this is a training.
    pub fn generate(&self) -> Option<&GenerateRequest> {
        match self {
            JobRequest::Generate(request) => Some(request),
            JobRequest::TrainStyle(_) => None,
        }
    }

    /// The name of what it makes: the sheet's asset name, or the style's name.
    pub fn asset_name(&self) -> String {
        match self {
            JobRequest::Generate(request) => request.asset_name(),
            JobRequest::TrainStyle(request) => request.name.clone(),
        }
    }

    /// Cells of the sheet it makes; 0 for a training, which makes none.
    pub fn cells(&self) -> u32 {
        self.generate().map_or(0, GenerateRequest::cells)
    }

    /// The training request, unless this is a sheet.
    pub fn train_style(&self) -> Option<&TrainStyleRequest> {
        match self {
            JobRequest::TrainStyle(request) => Some(request),
            JobRequest::Generate(_) => None,
        }
    }
}

impl From<GenerateRequest> for JobRequest {
    fn from(request: GenerateRequest) -> Self {
        JobRequest::Generate(request)
    }
}

impl From<TrainStyleRequest> for JobRequest {
    fn from(request: TrainStyleRequest) -> Self {
        JobRequest::TrainStyle(request)
    }
}

/// What a completed job made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct JobResult {
    /// Asset name of the files.
    pub name: String,
    /// The seed actually used.
    pub seed: u64,
    /// The backend that made it.
    pub backend: BackendKind,
    /// Frames in the sheet.
    pub frames: u32,
    /// Sheet columns.
    pub columns: u32,
    /// Size of one frame.
    pub frame_size: SpriteSize,
    /// Size of the whole sheet.
    pub sheet_size: SpriteSize,
    /// The palette shared by all frames.
    pub palette: Palette,
    /// How sure the pixel grid read off the drawing is, `0.0..=1.0` (as `grid_confidence` in
    /// its `.sprite.ron`): under 0.5 the drawing's pixels did not line up with the size, and
    /// another seed may do better. Absent in results stored before it was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid_confidence: Option<f32>,
    /// Where to download the files, as paths on the server.
    pub files: JobFiles,
}

/// Download paths of a job's three files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct JobFiles {
    /// `/api/v1/jobs/{id}/sheet.png`
    pub sheet: String,
    /// `/api/v1/jobs/{id}/atlas.ron`
    pub atlas: String,
    /// `/api/v1/jobs/{id}/sprite.ron`
    pub sprite: String,
}

impl JobFiles {
    /// The download paths of job `id`.
    pub fn for_job(id: &JobId) -> Self {
        let base = format!("/api/{}/jobs/{id}", crate::API_VERSION);
        Self {
            sheet: format!("{base}/sheet.png"),
            atlas: format!("{base}/atlas.ron"),
            sprite: format!("{base}/sprite.ron"),
        }
    }
}
