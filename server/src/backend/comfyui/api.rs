//! [`ComfyClient`]: ComfyUI's HTTP API as its own `server.py` defines it, one method per route.
//!
//! Every call has a timeout and maps transport failures to [`ComfyError::Unreachable`], so a
//! ComfyUI that dies never hangs or panics a job: the caller sees an instance failure and
//! retries. Bodies are read with limits (an image through `/view` is at most
//! [`MAX_IMAGE_BYTES`]); the shapes read here are the ones recorded from ComfyUI 0.3.64 in
//! `server/tests/fixtures/comfyui/`.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use super::error::{ComfyError, ExecutionFailure, PromptRejection};
use super::ws::Event;
use crate::bounded_body::read_bounded;

/// Time one ordinary request may take. Generation itself is not a request: it is followed
/// over the WebSocket, so this only bounds ComfyUI's bookkeeping answers.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Time to open a TCP connection; short, so that a dead instance is noticed quickly.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Largest image accepted from `/view`: a 2048² RGBA PNG stored uncompressed is 16 MiB.
pub const MAX_IMAGE_BYTES: usize = 32 * 1024 * 1024;

/// One image that a prompt wrote, as `/history` and the `executed` message name it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct ImageRef {
    /// File name inside the folder.
    pub filename: String,
    /// Subfolder, `""` for none.
    #[serde(default)]
    pub subfolder: String,
    /// `output`, `temp` or `input`.
    #[serde(rename = "type", default = "output_type")]
    pub kind: String,
}

fn output_type() -> String {
    "output".to_owned()
}

/// How a finished prompt ended, from its `/history` entry.
#[derive(Debug)]
pub enum HistoryOutcome {
    /// `status_str == "success"`: what its output nodes returned.
    Success(Outputs),
    /// `status_str == "error"`: the `execution_error` or `execution_interrupted` from the
    /// entry's status messages, for a client whose WebSocket missed it.
    Failed(ComfyError),
}

/// A finished prompt's `outputs`: each output node's `ui` answer, nodes in numeric id order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outputs(pub Vec<(String, Value)>);

impl Outputs {
    /// The images each output node wrote, node by node.
    pub fn images(&self) -> Vec<(String, Vec<ImageRef>)> {
        self.files("images")
    }

    /// The files each output node lists under `key` (`images`; our trainer's `lora`), node by
    /// node; nodes without that key are left out.
    pub fn files(&self, key: &str) -> Vec<(String, Vec<ImageRef>)> {
        self.0
            .iter()
            .filter_map(|(node, out)| Some((node.clone(), serde_json::from_value(out.get(key)?.clone()).ok()?)))
            .collect()
    }

    /// Output node `node`'s answer.
    pub fn of(&self, node: &str) -> Option<&Value> {
        self.0.iter().find(|(id, _)| id == node).map(|(_, out)| out)
    }
}

/// What `/queue` says about a prompt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueuePlace {
    /// Executing now.
    Running,
    /// Waiting behind others.
    Pending,
    /// Not in the queue.
    Absent,
}

/// An HTTP client for one ComfyUI instance.
#[derive(Clone, Debug)]
pub struct ComfyClient {
    base: String,
    http: reqwest::Client,
}

impl ComfyClient {
    /// A client for the ComfyUI at `base` (`http://host:8188`, trailing slash optional).
    pub fn new(base: &str) -> Result<Self, ComfyError> {
        let base = base.trim_end_matches('/').to_owned();
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|source| ComfyError::Unreachable { url: base.clone(), source })?;
        Ok(Self { base, http })
    }

    /// The instance's base URL, as configured.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The `/ws` URL for `client_id`: ComfyUI sends a prompt's events to the socket whose
    /// `clientId` matches the prompt's `client_id`.
    pub fn ws_url(&self, client_id: &str) -> String {
        let ws_base = match self.base.strip_prefix("https://") {
            Some(rest) => format!("wss://{rest}"),
            None => format!("ws://{}", self.base.trim_start_matches("http://")),
        };
        format!("{ws_base}/ws?clientId={client_id}")
    }

    /// `GET /system_stats`: the health probe (ComfyUI answers it without touching the GPU).
    pub async fn system_stats(&self) -> Result<Value, ComfyError> {
        self.get_json("/system_stats").await
    }

    /// `GET /object_info/{class}`: the node's inputs, or `None` if ComfyUI has no such node.
    pub async fn object_info(&self, class: &str) -> Result<Option<Value>, ComfyError> {
        let info = self.get_json(&format!("/object_info/{class}")).await?;
        Ok(info.get(class).cloned())
    }

    /// `POST /prompt` with our `client_id` and `prompt_id` (ComfyUI 0.3.4x+ keeps a given id;
    /// older ones make their own, so the answer's id is the one to follow). A 400 with
    /// `node_errors` becomes [`ComfyError::Rejected`].
    pub async fn queue_prompt(&self, workflow: &Value, client_id: &str, prompt_id: &str) -> Result<String, ComfyError> {
        let url = format!("{}/prompt", self.base);
        let body = json!({ "prompt": workflow, "client_id": client_id, "prompt_id": prompt_id });
        let response = self.http.post(&url).json(&body).send().await.map_err(|source| unreachable(&url, source))?;
        let status = response.status().as_u16();
        let answer: Value = read_json(&url, response).await?;
        if status == 400 {
            return Err(ComfyError::Rejected(PromptRejection::from_body(&answer)));
        }
        if status != 200 {
            return Err(ComfyError::Status { url, status, body: answer.to_string().chars().take(500).collect() });
        }
        if answer.get("node_errors").and_then(Value::as_object).is_some_and(|errors| !errors.is_empty()) {
            // Queued anyway (some outputs were valid), but ours are not: treat as rejected.
            return Err(ComfyError::Rejected(PromptRejection::from_body(&answer)));
        }
        answer
            .get("prompt_id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| ComfyError::BadResponse { url, reason: "no prompt_id in the answer".to_owned() })
    }

    /// `GET /history/{prompt_id}`: `None` while the prompt has not finished (or is unknown).
    pub async fn history(&self, prompt_id: &str) -> Result<Option<HistoryOutcome>, ComfyError> {
        let history = self.get_json(&format!("/history/{prompt_id}")).await?;
        let Some(entry) = history.get(prompt_id) else {
            return Ok(None);
        };
        let status = entry.pointer("/status/status_str").and_then(Value::as_str);
        let completed = entry.pointer("/status/completed").and_then(Value::as_bool).unwrap_or(false);
        if status == Some("error") {
            return Ok(Some(HistoryOutcome::Failed(failure_from_messages(prompt_id, entry))));
        }
        if status != Some("success") && !completed {
            return Ok(None);
        }
        let mut outputs: Vec<(String, Value)> = entry
            .get("outputs")
            .and_then(Value::as_object)
            .map(|outputs| outputs.iter().map(|(node, out)| (node.clone(), out.clone())).collect())
            .unwrap_or_default();
        outputs.sort_by_key(|(node, _)| (node.parse::<u64>().unwrap_or(u64::MAX), node.clone()));
        Ok(Some(HistoryOutcome::Success(Outputs(outputs))))
    }

    /// Where `prompt_id` stands in `GET /queue`.
    pub async fn queue_place(&self, prompt_id: &str) -> Result<QueuePlace, ComfyError> {
        let queue = self.get_json("/queue").await?;
        let holds = |key: &str| {
            queue.get(key).and_then(Value::as_array).is_some_and(|items| {
                // Each item is [number, prompt_id, prompt, extra_data, outputs_to_execute].
                items.iter().any(|item| item.get(1).and_then(Value::as_str) == Some(prompt_id))
            })
        };
        Ok(if holds("queue_running") {
            QueuePlace::Running
        } else if holds("queue_pending") {
            QueuePlace::Pending
        } else {
            QueuePlace::Absent
        })
    }

    /// `GET /view`: one output image's bytes, at most [`MAX_IMAGE_BYTES`].
    pub async fn view(&self, image: &ImageRef) -> Result<Vec<u8>, ComfyError> {
        let url = format!("{}/view", self.base);
        let query = [("filename", &image.filename), ("subfolder", &image.subfolder), ("type", &image.kind)];
        let mut response =
            self.http.get(&url).query(&query).send().await.map_err(|source| unreachable(&url, source))?;
        check_status(&url, response.status())?;
        let bytes = read_bounded(&mut response, MAX_IMAGE_BYTES).await.map_err(|source| unreachable(&url, source))?;
        bytes.ok_or_else(|| ComfyError::BadResponse { url, reason: format!("image over {MAX_IMAGE_BYTES} bytes") })
    }

    /// `GET /view` of a large output file (a trained LoRA) streamed into `dest`, at most
    /// `max_bytes`; returns its size. The whole download may take up to `timeout`.
    pub async fn download(
        &self,
        file: &ImageRef,
        dest: &std::path::Path,
        max_bytes: u64,
        timeout: Duration,
    ) -> Result<u64, ComfyError> {
        use tokio::io::AsyncWriteExt;
        let url = format!("{}/view", self.base);
        let query = [("filename", &file.filename), ("subfolder", &file.subfolder), ("type", &file.kind)];
        let fail = |reason: String| ComfyError::BadResponse { url: url.clone(), reason };
        let mut response = self
            .http
            .get(&url)
            .query(&query)
            .timeout(timeout)
            .send()
            .await
            .map_err(|source| unreachable(&url, source))?;
        check_status(&url, response.status())?;
        let mut out = tokio::fs::File::create(dest).await.map_err(|err| fail(format!("{}: {err}", dest.display())))?;
        let mut size = 0u64;
        while let Some(chunk) = response.chunk().await.map_err(|source| unreachable(&url, source))? {
            size += chunk.len() as u64;
            if size > max_bytes {
                return Err(fail(format!("{} is over {max_bytes} bytes", file.filename)));
            }
            out.write_all(&chunk).await.map_err(|err| fail(format!("{}: {err}", dest.display())))?;
        }
        out.sync_all().await.map_err(|err| fail(format!("{}: {err}", dest.display())))?;
        Ok(size)
    }

    /// `POST /interrupt` for `prompt_id`: ComfyUI stops it only if it is the one running.
    pub async fn interrupt(&self, prompt_id: &str) -> Result<(), ComfyError> {
        self.post_json("/interrupt", &json!({ "prompt_id": prompt_id })).await
    }

    /// `POST /queue {"delete": [prompt_id]}`: drops it if it is still waiting.
    pub async fn delete_queued(&self, prompt_id: &str) -> Result<(), ComfyError> {
        self.post_json("/queue", &json!({ "delete": [prompt_id] })).await
    }

    /// `POST /upload/image` into ComfyUI's `input` folder; returns the name to give `LoadImage`
    /// (ComfyUI renames on a clash with a different file).
    pub async fn upload_image(&self, name: &str, png: Vec<u8>) -> Result<String, ComfyError> {
        self.upload(name, png, "image/png", "").await
    }

    /// `POST /upload/image` of any file (a training caption too: ComfyUI stores what it is sent)
    /// into `subfolder` of ComfyUI's `input` folder, replacing a file of that name; returns the
    /// name it was stored as.
    pub async fn upload(&self, name: &str, bytes: Vec<u8>, mime: &str, subfolder: &str) -> Result<String, ComfyError> {
        let url = format!("{}/upload/image", self.base);
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str(mime)
            .map_err(|source| unreachable(&url, source))?;
        let form = reqwest::multipart::Form::new()
            .part("image", part)
            .text("type", "input")
            .text("subfolder", subfolder.to_owned())
            .text("overwrite", "true");
        let response = self.http.post(&url).multipart(form).send().await.map_err(|source| unreachable(&url, source))?;
        check_status(&url, response.status())?;
        let answer: Value = read_json(&url, response).await?;
        answer
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| ComfyError::BadResponse { url, reason: "no name in the upload answer".to_owned() })
    }

    async fn get_json(&self, path: &str) -> Result<Value, ComfyError> {
        let url = format!("{}{path}", self.base);
        let response = self.http.get(&url).send().await.map_err(|source| unreachable(&url, source))?;
        check_status(&url, response.status())?;
        read_json(&url, response).await
    }

    async fn post_json(&self, path: &str, body: &Value) -> Result<(), ComfyError> {
        let url = format!("{}{path}", self.base);
        let response = self.http.post(&url).json(body).send().await.map_err(|source| unreachable(&url, source))?;
        check_status(&url, response.status())
    }
}

/// The error recorded in a history entry's `status.messages` (`[[type, data], …]`).
fn failure_from_messages(prompt_id: &str, entry: &Value) -> ComfyError {
    let messages = entry.pointer("/status/messages").and_then(Value::as_array).cloned().unwrap_or_default();
    for message in messages.iter().rev() {
        let (Some(kind), Some(data)) = (message.get(0).and_then(Value::as_str), message.get(1)) else {
            continue;
        };
        let event = json!({ "type": kind, "data": data }).to_string();
        match Event::parse(&event) {
            Some(Event::Failed(failure)) => return ComfyError::Execution(Box::new(failure)),
            Some(Event::Interrupted { prompt_id }) => return ComfyError::Interrupted { prompt_id },
            _ => {}
        }
    }
    ComfyError::Execution(Box::new(ExecutionFailure {
        prompt_id: prompt_id.to_owned(),
        node_id: String::new(),
        node_type: String::new(),
        exception_type: "unknown".to_owned(),
        exception_message: "ComfyUI recorded the prompt as failed without saying why".to_owned(),
        traceback: Vec::new(),
    }))
}

fn unreachable(url: &str, source: reqwest::Error) -> ComfyError {
    ComfyError::Unreachable { url: url.to_owned(), source }
}

fn check_status(url: &str, status: reqwest::StatusCode) -> Result<(), ComfyError> {
    if status.is_success() {
        return Ok(());
    }
    Err(ComfyError::Status { url: url.to_owned(), status: status.as_u16(), body: String::new() })
}

async fn read_json(url: &str, response: reqwest::Response) -> Result<Value, ComfyError> {
    let bytes = response.bytes().await.map_err(|source| unreachable(url, source))?;
    serde_json::from_slice(&bytes)
        .map_err(|err| ComfyError::BadResponse { url: url.to_owned(), reason: err.to_string() })
}
