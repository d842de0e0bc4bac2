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
