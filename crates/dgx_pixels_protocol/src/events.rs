//! Payloads of `GET /api/v1/jobs/{id}/events` (Server-Sent Events).
//!
//! Each SSE message has an `event:` name from [`JobEvent::name`] and a JSON `data:` line. The
//! stream ends after the first terminal event (`completed`, `failed` or `cancelled`).

use serde::{Deserialize, Serialize};

use crate::{Job, JobStatus, TrainStep};

/// One event of a job's stream.
#[derive(Clone, Debug, PartialEq)]
pub enum JobEvent {
    /// Status, progress or queue position changed.
    Progress(ProgressEvent),
    /// The job completed; carries the whole job with its result (and, when the stream was
    /// asked with `?files=inline`, a sheet job's three files).
    Completed(Box<CompletedJob>),
    /// The job failed.
    Failed(FailedEvent),
    /// The job was cancelled.
    Cancelled(CancelledEvent),
}

/// Data of a `progress` event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct ProgressEvent {
    /// Queued or running.
    pub status: JobStatus,
    /// 0.0..=1.0.
    pub progress: f32,
    /// Jobs ahead of this one while queued.
    pub queue_position: Option<u32>,
    /// A running training's latest step and loss.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_step: Option<TrainStep>,
}

/// Data of a `completed` event: the job, and its files when asked for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct CompletedJob {
    /// The job, with its result.
    #[serde(flatten)]
    pub job: Job,
    /// A sheet job's files, sent with the completion when the stream was opened with
    /// `?files=inline`, so the client needs no second round-trip; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<InlineFiles>,
}

/// A sheet job's three files inside a `completed` event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct InlineFiles {
    /// `sheet.png`, base64 (standard alphabet).
    pub sheet_png: String,
    /// `atlas.ron`.
    pub atlas_ron: String,
    /// `sprite.ron`.
    pub sprite_ron: String,
}

/// Data of a `failed` event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct FailedEvent {
    /// Why it failed.
    pub error: String,
}

/// Data of a `cancelled` event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct CancelledEvent {}

/// An SSE message that is not a job event.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EventParseError {
    /// The `event:` name is not one of ours.
    #[error("unknown event `{0}`")]
    UnknownEvent(String),
    /// The `data:` is not the JSON the event name promises.
    #[error("malformed `{event}` data: {source}")]
    Data {
        /// The event name.
        event: String,
        /// What serde said.
        source: serde_json::Error,
    },
}

impl JobEvent {
    /// The SSE `event:` name.
    pub fn name(&self) -> &'static str {
        match self {
            JobEvent::Progress(_) => "progress",
            JobEvent::Completed(_) => "completed",
            JobEvent::Failed(_) => "failed",
            JobEvent::Cancelled(_) => "cancelled",
        }
    }

    /// Whether the stream ends with this event.
    pub fn is_terminal(&self) -> bool {
        !matches!(self, JobEvent::Progress(_))
    }

    /// The SSE `data:` payload.
    pub fn data_json(&self) -> String {
        let json = match self {
            JobEvent::Progress(data) => serde_json::to_string(data),
            JobEvent::Completed(job) => serde_json::to_string(job),
            JobEvent::Failed(data) => serde_json::to_string(data),
            JobEvent::Cancelled(data) => serde_json::to_string(data),
        };
        json.expect("event payloads always serialise")
    }

    /// Rebuilds an event from its SSE name and data.
    pub fn parse(name: &str, data: &str) -> Result<Self, EventParseError> {
        let wrap = |source| EventParseError::Data { event: name.to_owned(), source };
        match name {
            "progress" => serde_json::from_str(data).map(JobEvent::Progress).map_err(wrap),
            "completed" => serde_json::from_str(data).map(|done| JobEvent::Completed(Box::new(done))).map_err(wrap),
            "failed" => serde_json::from_str(data).map(JobEvent::Failed).map_err(wrap),
            "cancelled" => serde_json::from_str(data).map(JobEvent::Cancelled).map_err(wrap),
            other => Err(EventParseError::UnknownEvent(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_through_name_and_data() {
        let events = [
            JobEvent::Progress(ProgressEvent {
                status: JobStatus::Running,
                progress: 0.5,
                queue_position: None,
                train_step: None,
            }),
            JobEvent::Failed(FailedEvent { error: "boom".into() }),
            JobEvent::Cancelled(CancelledEvent {}),
        ];
        for event in events {
            let back = JobEvent::parse(event.name(), &event.data_json()).unwrap();
            assert_eq!(back, event);
        }
        assert!(JobEvent::parse("nope", "{}").is_err());
        assert!(JobEvent::parse("failed", "{}").is_err());
    }
}
