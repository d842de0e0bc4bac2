//! ComfyUI's `/ws?clientId=` WebSocket: its JSON messages as [`Event`]s.
//!
//! ComfyUI sends a prompt's messages (`execution_start`, `executing`, `progress`, `executed`,
//! `execution_success`, `execution_error`, `execution_interrupted`, …) only to the socket whose
//! `clientId` equals the prompt's `client_id`, and `status` to everyone. With previews on it also
//! sends binary messages (4-byte event type, then a JPEG or PNG): we never need them, so they
//! are dropped here; the binary messages of our `DgxPixelsSendImages` node are the prompt's
//! images ([`Frame`]). A closed or broken socket is reported as `Ok(None)` / an error so the caller can
//! reconnect and ask `/history` what it missed.

use std::sync::Arc;

use futures_util::StreamExt;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::api::ImageRef;
use super::error::{ComfyError, ExecutionFailure};
use super::frame::Frame;

/// Largest text message accepted: the `executed` message of a big batch is a few KiB, and
/// `execution_error` carries a traceback; previews (binary) may be larger and are skipped.
const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// One message from ComfyUI that matters to a job.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// `execution_start`: the prompt left the queue and runs.
    Started {
        /// The prompt.
        prompt_id: String,
    },
    /// `executing` with a node: that node runs now. With `node: null` the prompt is done.
    Executing {
        /// The prompt.
        prompt_id: String,
        /// The node, `None` when the prompt has finished.
        node: Option<String>,
    },
    /// `progress`: a node (the sampler) reports step `value` of `max`.
    Progress {
        /// The prompt.
        prompt_id: String,
        /// The node reporting.
        node: String,
        /// Steps done.
        value: f64,
        /// Steps in all.
        max: f64,
    },
    /// `executed`: an output node finished and wrote these images.
    Executed {
        /// The prompt.
        prompt_id: String,
        /// The output node.
        node: String,
        /// Its images.
        images: Vec<ImageRef>,
    },
    /// `dgx_pixels.train_step`, from our `DgxPixelsTrainLora` node: training step `step` of
    /// `steps` had this loss.
    TrainStep {
        /// The prompt.
        prompt_id: String,
        /// Steps done.
        step: u32,
        /// Steps in all.
        steps: u32,
        /// The step's loss.
        loss: f32,
    },
    /// A binary message from our `DgxPixelsSendImages` node: one of the prompt's images
    /// (shared, so that keeping it copies no pixels).
    Frame(Arc<Frame>),
    /// `execution_success`.
    Succeeded {
        /// The prompt.
        prompt_id: String,
    },
    /// `execution_error`.
    Failed(ExecutionFailure),
    /// `execution_interrupted`.
    Interrupted {
        /// The prompt.
        prompt_id: String,
    },
}

impl Event {
    /// The prompt this event is about.
    pub fn prompt_id(&self) -> &str {
        match self {
            Self::Started { prompt_id }
            | Self::Executing { prompt_id, .. }
            | Self::Progress { prompt_id, .. }
            | Self::Executed { prompt_id, .. }
            | Self::TrainStep { prompt_id, .. }
            | Self::Succeeded { prompt_id }
            | Self::Interrupted { prompt_id } => prompt_id,
            Self::Failed(failure) => &failure.prompt_id,
            Self::Frame(frame) => &frame.prompt_id,
        }
    }

    /// Reads one text message; `None` for messages a job does not need (`status`,
    /// `progress_state`, `execution_cached`, `feature_flags`, anything new).
    pub fn parse(text: &str) -> Option<Self> {
        let message: Value = serde_json::from_str(text).ok()?;
        let data = message.get("data")?;
        let text = |key: &str| data.get(key).and_then(Value::as_str).map(str::to_owned);
        let prompt_id = text("prompt_id")?;
        Some(match message.get("type")?.as_str()? {
            "execution_start" => Self::Started { prompt_id },
            "executing" => Self::Executing { prompt_id, node: text("node") },
            "progress" => Self::Progress {
                prompt_id,
                node: text("node").unwrap_or_default(),
                value: data.get("value")?.as_f64()?,
                max: data.get("max")?.as_f64()?,
            },
            "executed" => Self::Executed {
                prompt_id,
                node: text("node").unwrap_or_default(),
                images: data
                    .pointer("/output/images")
                    .and_then(|images| serde_json::from_value(images.clone()).ok())
                    .unwrap_or_default(),
            },
            "dgx_pixels.train_step" => Self::TrainStep {
                prompt_id,
                step: u32::try_from(data.get("step")?.as_u64()?).ok()?,
                steps: u32::try_from(data.get("steps")?.as_u64()?).ok()?,
                loss: data.get("loss")?.as_f64()? as f32,
            },
            "execution_success" => Self::Succeeded { prompt_id },
            "execution_error" => Self::Failed(ExecutionFailure {
                prompt_id,
                node_id: text("node_id").unwrap_or_default(),
                node_type: text("node_type").unwrap_or_default(),
                exception_type: text("exception_type").unwrap_or_default(),
                exception_message: text("exception_message").unwrap_or_default(),
                traceback: data
                    .get("traceback")
                    .and_then(Value::as_array)
                    .map(|lines| lines.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                    .unwrap_or_default(),
            }),
            "execution_interrupted" => Self::Interrupted { prompt_id },
            _ => return None,
        })
    }
}

/// An open `/ws` connection.
pub struct EventSocket {
    url: String,
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl EventSocket {
    /// Opens `url` (from `ComfyClient::ws_url`). Open it *before* `POST /prompt`, so that no
    /// message of the prompt can be missed.
    pub async fn connect(url: &str) -> Result<Self, ComfyError> {
        let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
            .max_message_size(Some(MAX_MESSAGE_BYTES))
            .max_frame_size(Some(MAX_MESSAGE_BYTES));
        let connect = tokio_tungstenite::connect_async_with_config(url, Some(config), false);
        let (stream, _) = tokio::time::timeout(super::api::CONNECT_TIMEOUT, connect)
            .await
            .map_err(|_| ComfyError::WebSocket { url: url.to_owned(), reason: "connect timed out".to_owned() })?
            .map_err(|err| ComfyError::WebSocket { url: url.to_owned(), reason: err.to_string() })?;
        Ok(Self { url: url.to_owned(), stream })
    }

    /// The next event that matters, skipping previews and other messages. `Ok(None)`
    /// when ComfyUI closed the socket; an error when it broke.
    pub async fn next_event(&mut self) -> Result<Option<Event>, ComfyError> {
        loop {
            let Some(message) = self.stream.next().await else {
                return Ok(None);
            };
            let message =
                message.map_err(|err| ComfyError::WebSocket { url: self.url.clone(), reason: err.to_string() })?;
            match message {
                Message::Text(text) => {
                    if let Some(event) = Event::parse(text.as_str()) {
                        return Ok(Some(event));
                    }
                }
                Message::Binary(bytes) => {
                    if let Some(frame) = Frame::parse(&bytes) {
                        return Ok(Some(Event::Frame(Arc::new(frame))));
                    }
                }
                Message::Close(_) => return Ok(None),
                // Pings (answered by tungstenite on the next read) and pongs.
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_progress_and_the_end_of_a_prompt() {
        let progress = r#"{"type": "progress", "data": {"value": 2, "max": 3, "prompt_id": "p", "node": "6"}}"#;
        assert_eq!(
            Event::parse(progress),
            Some(Event::Progress { prompt_id: "p".into(), node: "6".into(), value: 2.0, max: 3.0 })
        );
        let done = r#"{"type": "executing", "data": {"node": null, "prompt_id": "p"}}"#;
        assert_eq!(Event::parse(done), Some(Event::Executing { prompt_id: "p".into(), node: None }));
    }

    #[test]
    fn skips_messages_a_job_does_not_need() {
        assert_eq!(
            Event::parse(r#"{"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}}}}"#),
            None
        );
        assert_eq!(Event::parse(r#"{"type": "progress_state", "data": {"prompt_id": "p", "nodes": {}}}"#), None);
        assert_eq!(Event::parse("not json"), None);
    }
}
