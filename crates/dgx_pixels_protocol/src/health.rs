//! `GET /health`.

use serde::{Deserialize, Serialize};

/// The server's liveness and the readiness of each backend.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Health {
    /// Always `"ok"` when the server answers at all.
    pub status: String,
    /// Server version.
    pub version: String,
    /// Each configured backend and whether it can take jobs now.
    pub backends: Vec<BackendHealth>,
    /// The distillation LoRA the `fast` preset stacks, when the server is configured with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distill_lora: Option<DistillLora>,
}

/// The distillation LoRA of the `fast` preset (`serve --distill-lora FILE`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct DistillLora {
    /// Its file, relative to the models folder.
    pub file: String,
    /// Whether the file is there; without it `fast` runs its few steps with no distillation,
    /// which looks unfinished.
    pub present: bool,
}

/// One backend's readiness.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct BackendHealth {
    /// Backend name (`procedural`, `comfyui`).
    pub name: String,
    /// Whether it can take jobs now.
    pub ready: bool,
}
