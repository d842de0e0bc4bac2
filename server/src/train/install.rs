//! A trained LoRA into the models folder: `styles/NAME.safetensors` beside its sidecar
//! `styles/NAME.json` (trigger word, strength, how it was trained), where the registry lists it.
//!
//! The trainer's file is downloaded to a hidden `.part` file in the same folder, so putting it
//! in place is a rename: the registry (and ComfyUI, when it shares the folder) never sees half
//! a LoRA. The sidecar is written first, so the style appears with its trigger word.
//! For ComfyUI to load the style, its `loras` folder must hold the same file: point `--models`
//! at ComfyUI's `models/loras`, or list our models folder in ComfyUI's `extra_model_paths.yaml`.

use std::path::{Path, PathBuf};

use dgx_pixels_protocol::models::TrainingRecord;
use dgx_pixels_protocol::{JobId, StyleSidecar, TrainStyleRequest, TrainedStyle};
use dgx_pixels_sprite::write::write_atomic;

use crate::backend::training::Trained;

/// The category folder trained styles go in.
const CATEGORY: &str = "styles";
/// The strength a trained style recommends unless the request says.
const DEFAULT_STRENGTH: f32 = 0.8;

/// `<models>/styles/NAME.safetensors`.
pub(crate) fn lora_path(models: &Path, name: &str) -> PathBuf {
    models.join(CATEGORY).join(format!("{name}.safetensors"))
}

/// Whether the style `name` already has its file.
pub(crate) fn exists(models: &Path, name: &str) -> bool {
    lora_path(models, name).exists()
}

/// Where the trainer's download goes before it is put in place: beside the LoRA, so putting it
/// there is a rename.
pub(crate) fn staging_path(models: &Path, name: &str, job: &JobId) -> PathBuf {
    models.join(CATEGORY).join(format!(".{name}.{job}.part"))
}

/// Puts the downloaded LoRA at `staged` in place with its sidecar and returns what the job made.
/// Refuses to replace an existing style unless the request said `overwrite`.
pub(crate) fn install(
    models: &Path,
    staged: &Path,
    request: &TrainStyleRequest,
    trained: &Trained,
    images: u32,
) -> Result<TrainedStyle, String> {
    let target = lora_path(models, &request.name);
    if target.exists() && !request.overwrite {
        return Err(format!("a style `{}` appeared while training; nothing was replaced", request.name));
    }
    let (loss_start, loss_end) = loss_ends(&trained.losses);
    let record = TrainingRecord {
        trained_on: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        images,
        steps: request.steps,
        rank: request.rank,
        learning_rate: request.learning_rate,
        schedule: request.schedule.as_str().to_owned(),
        resolution: request.resolution,
        loss_start,
        loss_end,
        seconds: trained.seconds,
    };
    let sidecar = StyleSidecar {
        name: Some(request.name.clone()),
        base_model: Some("sdxl".to_owned()),
        trigger_words: vec![request.trigger().to_owned()],
        recommended_strength: Some(request.recommended_strength.unwrap_or(DEFAULT_STRENGTH)),
        description: Some(format!("Trained by dgx-pixels on {images} images")),
        trained: Some(record),
        ..StyleSidecar::default()
    };
    let json = serde_json::to_vec_pretty(&sidecar).map_err(|err| err.to_string())?;
    write_atomic(&target.with_extension("json"), &json).map_err(|err| format!("cannot write the sidecar: {err}"))?;
    std::fs::rename(staged, &target).map_err(|err| format!("cannot put the LoRA in place: {err}"))?;
    Ok(TrainedStyle {
        name: request.name.clone(),
        file: format!("{CATEGORY}/{}.safetensors", request.name),
        bytes: trained.bytes,
        trigger_word: request.trigger().to_owned(),
        images,
        steps: request.steps,
        loss_start,
        loss_end,
        seconds: trained.seconds,
        sample_job: None,
    })
}

/// The mean loss of the first and of the last tenth of the steps (at least one step each);
/// `None` when the trainer reported no loss.
fn loss_ends(losses: &[f32]) -> (Option<f32>, Option<f32>) {
    if losses.is_empty() {
        return (None, None);
    }
    let tenth = (losses.len() / 10).max(1);
    let mean = |values: &[f32]| values.iter().sum::<f32>() / values.len() as f32;
    (Some(mean(&losses[..tenth])), Some(mean(&losses[losses.len() - tenth..])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loss_ends_are_means_of_tenths() {
        let losses: Vec<f32> = (0..20).map(|i| i as f32).collect();
        assert_eq!(loss_ends(&losses), (Some(0.5), Some(18.5)));
        assert_eq!(loss_ends(&[2.0]), (Some(2.0), Some(2.0)));
        assert_eq!(loss_ends(&[]), (None, None));
    }
}
