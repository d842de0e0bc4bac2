//! Training a style on ComfyUI: the dataset uploaded, the `train_style` template queued, its
//! steps followed, the LoRA downloaded.
//!
//! The dataset's images and captions go into a sub-folder of the instance's `input` folder named
//! for the job (`dgx_pixels_train/LABEL`) through `/upload/image`, which stores any file;
//! ComfyUI's `LoadImageTextSetFromFolderNode` reads them, `VAEEncode` makes the latents, and
//! our `DgxPixelsTrainLora` (`comfyui_nodes/dgx_pixels/train.py`) trains with ComfyUI's own
//! trainer, sending `dgx_pixels.train_step` per step, and saves the LoRA under the output folder,
//! naming it in its output. The server downloads it with `/view`, streamed to disk. An
//! instance that fails is replaced by another as for any job, the dataset uploaded again.

use std::path::Path;
use std::time::Duration;

use dgx_pixels_protocol::TrainStep;
use serde_json::{Value, json};

use super::api::ComfyClient;
use super::error::ComfyError;
use super::execute::{self, JobPlan, RunLimits};
use super::pool::{Instance, Pool};
use super::workflow::{Role, Workflow};
use super::ws::Event;
use crate::backend::training::{TrainReport, TrainSpec, Trained};

/// Largest LoRA accepted: a rank-128 SDXL LoRA in bf16 with ComfyUI's full norm and bias
/// differences is under 2 GiB.
const MAX_LORA_BYTES: u64 = 4 << 30;
/// How long the download of a LoRA may take.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(600);
/// Traceback lines a failed training's error keeps.
const TRACEBACK_LINES: usize = 12;

/// Trains `spec` with `workflow` (the `train_style` template, checkpoint named as configured).
pub async fn train(
    pool: &Pool,
    workflow: Workflow,
    checkpoint: Option<String>,
    limits: &RunLimits,
    spec: &TrainSpec,
    report: &TrainReport,
) -> Result<Trained, ComfyError> {
    let files = read_dataset(&spec.dataset).await?;
    let mut workflow = workflow;
    for (input, value) in [
        ("steps", json!(spec.steps)),
        ("learning_rate", json!(spec.learning_rate)),
        ("rank", json!(spec.rank)),
        ("batch_size", json!(spec.batch_size)),
        ("schedule", json!(spec.schedule.as_str())),
        ("warmup_steps", json!(spec.warmup_steps)),
        ("seed", json!(spec.seed)),
        ("filename_prefix", json!(format!("dgx_pixels/{}", spec.label))),
    ] {
        workflow.set_input(Role::Train, input, value)?;
    }
    let plan = JobPlan { workflow, checkpoint, frames: 0, source: None };
    execute::on_some_instance(pool, false, limits, |instance| {
        let (plan, files) = (&plan, &files);
        async move { attempt(&instance, plan, files, limits, spec, report).await }
    })
    .await
}

/// One attempt on one instance.
async fn attempt(
    instance: &Instance,
    plan: &JobPlan,
    files: &[(String, Vec<u8>)],
    limits: &RunLimits,
    spec: &TrainSpec,
    report: &TrainReport,
) -> Result<Trained, ComfyError> {
    let client = instance.client();
    let mut workflow = execute::for_instance(instance, plan).await?;
    let folder = format!("dgx_pixels_train/{}", spec.label);
    for (name, bytes) in files {
        let mime = if name.ends_with(".txt") { "text/plain" } else { "image/png" };
        client.upload(name, bytes.clone(), mime, &folder).await?;
    }
    workflow.set_input(Role::Dataset, "folder", folder.into())?;
    let on_event = |event: &Event| {
        if let Event::TrainStep { step, steps, loss, .. } = *event {
            report.step(TrainStep { step, steps, loss });
        }
    };
    let outputs = execute::run_prompt(client, &workflow, limits, &on_event).await.map_err(with_traceback)?;
    let node = workflow.find(Role::Train)?;
    let out = outputs.of(&node).ok_or_else(|| missing(client, "no output from the training node"))?;
    let lora = outputs
        .files("lora")
        .into_iter()
        .find(|(id, _)| *id == node)
        .and_then(|(_, files)| files.into_iter().next())
        .ok_or_else(|| missing(client, "the training node named no LoRA file"))?;
    let bytes = client.download(&lora, &spec.into, MAX_LORA_BYTES, DOWNLOAD_TIMEOUT).await?;
    check_safetensors(&spec.into).await.map_err(|reason| missing(client, &reason))?;
    let numbers = |key: &str| -> Vec<f32> {
        out.get(key)
            .and_then(Value::as_array)
            .map(|values| values.iter().filter_map(Value::as_f64).map(|v| v as f32).collect())
            .unwrap_or_default()
    };
    Ok(Trained { bytes, losses: numbers("loss"), seconds: numbers("seconds").first().copied().unwrap_or(0.0) })
}

/// The dataset's files, name and bytes, in name order.
async fn read_dataset(dir: &Path) -> Result<Vec<(String, Vec<u8>)>, ComfyError> {
    let dir = dir.to_path_buf();
    let failed = move |err: std::io::Error| ComfyError::Dataset(err.to_string());
    tokio::task::spawn_blocking(move || {
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .map_err(&failed)?
            .flatten()
            .filter_map(|entry| entry.file_name().into_string().ok())
            .filter(|name| name.ends_with(".png") || name.ends_with(".txt"))
            .collect();
        names.sort();
        names.into_iter().map(|name| Ok((name.clone(), std::fs::read(dir.join(&name)).map_err(&failed)?))).collect()
    })
    .await
    .map_err(|err| ComfyError::Dataset(err.to_string()))?
}

/// A training that raised keeps the end of its traceback, where the trainer's own error is.
fn with_traceback(err: ComfyError) -> ComfyError {
    match err {
        ComfyError::Execution(failure) if !failure.traceback.is_empty() => {
            let tail = failure.traceback_tail(TRACEBACK_LINES);
            ComfyError::TrainerFailed { failure, tail }
        }
        other => other,
    }
}

/// Whether the file starts as a safetensors file does: an 8-byte header length, then that much
/// JSON.
async fn check_safetensors(path: &Path) -> Result<(), String> {
    use tokio::io::AsyncReadExt;
    let mut file = tokio::fs::File::open(path).await.map_err(|err| err.to_string())?;
    let mut length = [0u8; 8];
    file.read_exact(&mut length).await.map_err(|_| "the LoRA file is too short".to_owned())?;
    let length = u64::from_le_bytes(length);
    if length == 0 || length > 100 << 20 {
        return Err(format!("the LoRA file's header length {length} is not a safetensors header"));
    }
    let mut header = vec![0u8; usize::try_from(length).unwrap_or(0)];
    file.read_exact(&mut header).await.map_err(|_| "the LoRA file ends inside its header".to_owned())?;
    serde_json::from_slice::<serde_json::Map<String, Value>>(&header)
        .map(|_| ())
        .map_err(|err| format!("the LoRA file's header is not JSON: {err}"))
}

fn missing(client: &ComfyClient, reason: &str) -> ComfyError {
    ComfyError::BadResponse { url: client.base().to_owned(), reason: reason.to_owned() }
}
