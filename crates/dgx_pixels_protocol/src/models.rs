//! `GET /api/v1/models`: the styles (LoRAs) the server found, with their sidecar metadata.
//!
//! A LoRA `models/lora/<category>/<file>.safetensors` may have a sidecar
//! `<file>.json` holding a [`StyleSidecar`]; the server merges the two into a [`Style`].

use serde::{Deserialize, Serialize};

/// The sidecar JSON beside a LoRA file, as people write it. Every field is optional; a missing
/// `name` falls back to the file stem.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StyleSidecar {
    /// Style name used in requests.
    pub name: Option<String>,
    /// Version of the LoRA.
    pub version: Option<String>,
    /// The base model it was trained for, e.g. `sdxl-1.0`.
    pub base_model: Option<String>,
    /// Words put before the prompt to trigger the style.
    pub trigger_words: Vec<String>,
    /// LoRA strength used when a request gives none.
    pub recommended_strength: Option<f32>,
    /// What the style looks like, for people.
    pub description: Option<String>,
    /// Paths or URLs of sample images.
    pub sample_images: Vec<String>,
    /// How dgx-pixels trained it, for a style it trained.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trained: Option<TrainingRecord>,
}

/// How a style was trained, kept in its sidecar.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingRecord {
    /// When training finished, RFC 3339 (UTC).
    pub trained_on: String,
    /// Images trained on.
    pub images: u32,
    /// Optimiser steps.
    pub steps: u32,
    /// LoRA rank.
    pub rank: u32,
    /// Peak learning rate.
    pub learning_rate: f32,
    /// `cosine` or `constant`.
    pub schedule: String,
    /// Side of the square training images.
    pub resolution: u32,
    /// Mean loss of the first tenth of the steps, if the trainer reported its losses.
    pub loss_start: Option<f32>,
    /// Mean loss of the last tenth.
    pub loss_end: Option<f32>,
    /// Seconds the trainer ran.
    pub seconds: f32,
}

/// A style as `/api/v1/models` lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Style {
    /// Style name used in requests.
    pub name: String,
    /// Sub-folder it was found in (`styles`, `characters`, …), empty at the top level.
    pub category: String,
    /// LoRA file, relative to the models folder.
    pub file: String,
    /// Version of the LoRA.
    pub version: Option<String>,
    /// The base model it was trained for.
    pub base_model: Option<String>,
    /// Words put before the prompt.
    pub trigger_words: Vec<String>,
    /// LoRA strength used when a request gives none.
    pub recommended_strength: f32,
    /// What the style looks like.
    pub description: Option<String>,
    /// Sample images.
    pub sample_images: Vec<String>,
    /// Why the sidecar could not be read, when it could not (the style is still usable).
    pub sidecar_error: Option<String>,
}

/// The body of `GET /api/v1/models`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct ModelList {
    /// The styles, sorted by name.
    pub styles: Vec<Style>,
}
