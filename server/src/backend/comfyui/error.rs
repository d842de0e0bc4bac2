//! [`ComfyError`]: everything that can go wrong between us and a ComfyUI, sorted by what the
//! caller should do about it.
//!
//! The split that matters is [`ComfyError::is_instance_failure`]: an instance that cannot be
//! reached, or that forgot a prompt because it restarted, is a reason to run the job again
//! (elsewhere, or on the same one once it is back); a workflow that ComfyUI rejects or that
//! fails while executing would fail the same way anywhere, so the job fails with ComfyUI's own
//! words.

use std::fmt;

use super::check::MissingParts;
use super::workflow::WorkflowError;
use crate::backend::BackendError;

/// Why talking to ComfyUI, or a prompt on it, failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ComfyError {
    /// The instance did not answer (refused, reset, timed out): it is down or unreachable.
    #[error("ComfyUI at {url} is unreachable: {source}")]
    Unreachable {
        /// The URL that was asked.
        url: String,
        /// What the HTTP client saw.
        source: reqwest::Error,
    },
    /// The instance answered with an unexpected HTTP status.
    #[error("ComfyUI at {url} answered {status}: {body}")]
    Status {
        /// The URL that was asked.
        url: String,
        /// The status code.
        status: u16,
        /// The start of the body, for the log.
        body: String,
    },
    /// The instance answered something we could not read.
    #[error("ComfyUI at {url} sent an unreadable answer: {reason}")]
    BadResponse {
        /// The URL that was asked.
        url: String,
        /// What was wrong with it.
        reason: String,
    },
    /// The `/ws` WebSocket could not be opened or broke in a way that reconnecting did not fix.
    #[error("ComfyUI WebSocket at {url}: {reason}")]
    WebSocket {
        /// The WebSocket URL.
        url: String,
        /// What happened.
        reason: String,
    },
    /// `POST /prompt` was refused by ComfyUI's validation (`node_errors`).
    #[error("{0}")]
    Rejected(PromptRejection),
    /// The prompt started and a node raised (`execution_error`).
    #[error("{0}")]
    Execution(Box<ExecutionFailure>),
    /// The trainer raised: its error with the end of its traceback (the trainer's log tail).
    #[error("{failure}\ntrainer traceback (end):\n{tail}")]
    TrainerFailed {
        /// What ComfyUI reported.
        failure: Box<ExecutionFailure>,
        /// The traceback's last lines.
        tail: String,
    },
    /// A training's dataset could not be read from the server's data folder.
    #[error("cannot read the training dataset: {0}")]
    Dataset(String),
    /// The prompt was interrupted (by us on cancel, or by someone at the ComfyUI UI).
    #[error("ComfyUI interrupted prompt {prompt_id}")]
    Interrupted {
        /// The prompt.
        prompt_id: String,
    },
    /// The instance no longer knows the prompt: neither queued, running nor in its history.
    /// This is what a ComfyUI that restarted mid-job looks like.
    #[error("ComfyUI at {url} lost prompt {prompt_id} (it restarted?)")]
    Lost {
        /// The instance.
        url: String,
        /// The prompt it forgot.
        prompt_id: String,
    },
    /// The instance lacks nodes, the checkpoint or a LoRA that the workflow needs.
    #[error("{0}")]
    Missing(Box<MissingParts>),
    /// The workflow template is unusable.
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    /// An output image could not be decoded.
    #[error("ComfyUI image {filename}: {source}")]
    Image {
        /// The file as ComfyUI named it.
        filename: String,
        /// Why it could not be decoded.
        source: dgx_pixels_sprite::DecodeError,
    },
    /// The prompt finished with a different number of images than frames asked for.
    #[error("ComfyUI returned {got} images for {expected} frames")]
    ImageCount {
        /// Frames asked for.
        expected: u32,
        /// Images found in the history.
        got: usize,
    },
    /// No instance became healthy within the wait limit.
    #[error("no ComfyUI instance is reachable ({urls}) after waiting {waited_s} s")]
    NoInstance {
        /// The configured instances, comma-separated.
        urls: String,
        /// How long we waited.
        waited_s: u64,
    },
    /// A prompt that batches several jobs has no healthy, free instance with our batch nodes
    /// to run on; its jobs should go out one prompt each.
    #[error("no healthy ComfyUI with the dgx_pixels batch nodes is free")]
    NoBatchInstance,
    /// The job was retried as often as allowed and every attempt lost its instance.
    #[error("gave up after {attempts} attempts: {last}")]
    Exhausted {
        /// Attempts made.
        attempts: u32,
        /// The last attempt's error.
        last: Box<ComfyError>,
    },
}

impl ComfyError {
    /// Whether the instance (not the job) failed, so the job should run again.
    pub fn is_instance_failure(&self) -> bool {
        matches!(self, Self::Unreachable { .. } | Self::WebSocket { .. } | Self::Lost { .. })
            || matches!(self, Self::Status { status, .. } if *status >= 500)
    }
}

impl From<ComfyError> for BackendError {
    fn from(err: ComfyError) -> Self {
        match err {
            ComfyError::NoInstance { .. } | ComfyError::NoBatchInstance | ComfyError::Missing(_) => {
                BackendError::Unavailable(err.to_string())
            }
            other => BackendError::Generation(other.to_string()),
        }
    }
}

/// ComfyUI's validation answer to `POST /prompt` (HTTP 400), kept as data and shown readably.
#[derive(Clone, Debug, PartialEq)]
pub struct PromptRejection {
    /// `error.type`, e.g. `prompt_outputs_failed_validation`.
    pub kind: String,
    /// `error.message`.
    pub message: String,
    /// One entry per failing node, in node-id order.
    pub nodes: Vec<NodeError>,
}

/// One node's validation errors from `node_errors`.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeError {
    /// The node id in the workflow.
    pub node_id: String,
    /// Its `class_type`.
    pub class_type: String,
    /// `message: details` for each error.
    pub errors: Vec<String>,
}

impl PromptRejection {
    /// Reads ComfyUI's 400 body: `{"error": {"type", "message", ...}, "node_errors": {id: {...}}}`.
    pub fn from_body(body: &serde_json::Value) -> Self {
        let text = |v: &serde_json::Value, key: &str| v.get(key).and_then(|s| s.as_str()).unwrap_or("").to_owned();
        let error = body.get("error").cloned().unwrap_or_default();
        let mut nodes: Vec<NodeError> = body
            .get("node_errors")
            .and_then(|n| n.as_object())
            .map(|map| {
                map.iter()
                    .map(|(id, node)| NodeError {
                        node_id: id.clone(),
                        class_type: text(node, "class_type"),
                        errors: node
                            .get("errors")
                            .and_then(|e| e.as_array())
                            .map(|errors| {
                                errors
                                    .iter()
                                    .map(|e| match text(e, "details") {
                                        d if d.is_empty() => text(e, "message"),
                                        d => format!("{}: {d}", text(e, "message")),
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        nodes.sort_by(|a, b| a.node_id.cmp(&b.node_id));
        // ComfyUI also answers a bare string error for some refusals.
        let message = match error.as_str() {
            Some(s) => s.to_owned(),
            None => text(&error, "message"),
        };
        Self { kind: text(&error, "type"), message, nodes }
    }
}

impl fmt::Display for PromptRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ComfyUI rejected the workflow: {}", self.message)?;
        for node in &self.nodes {
            write!(f, "; node {} ({}): {}", node.node_id, node.class_type, node.errors.join(", "))?;
        }
        Ok(())
    }
}

/// ComfyUI's `execution_error` message, kept as data and shown readably.
#[derive(Clone, Debug, PartialEq)]
pub struct ExecutionFailure {
    /// The prompt.
    pub prompt_id: String,
    /// The node that raised.
    pub node_id: String,
    /// Its `class_type`.
    pub node_type: String,
    /// The Python exception type.
    pub exception_type: String,
    /// The Python exception message.
    pub exception_message: String,
    /// The Python traceback, as ComfyUI sends it (one string per frame).
    pub traceback: Vec<String>,
}

impl ExecutionFailure {
    /// The last `lines` lines of the traceback, where a trainer's own error shows.
    pub fn traceback_tail(&self, lines: usize) -> String {
        let all: Vec<&str> = self.traceback.iter().flat_map(|frame| frame.lines()).collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl fmt::Display for ExecutionFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = self.exception_message.trim();
        write!(f, "ComfyUI node {} ({}) failed: {}: {message}", self.node_id, self.node_type, self.exception_type)
    }
}
