//! The `comfyui` backend: SDXL + pixel-art LoRAs on one or more real ComfyUI instances, spoken
//! to as ComfyUI's own web UI does (HTTP API plus the `/ws` event socket).
//!
//! Layout, one concept per file:
//! - [`workflow`] — API-format templates (shipped, overridable from `<data-dir>/workflows/`),
//!   nodes found by title or class, parameters filled.
//! - [`api`] — the HTTP routes (`/prompt`, `/history`, `/view`, `/object_info`, `/interrupt`,
//!   `/queue`, `/system_stats`, `/upload/image`).
//! - [`ws`] — the WebSocket's JSON messages as events; binary previews ignored.
//! - [`frame`] — the raw-pixel images our `DgxPixelsSendImages` node sends over the WebSocket.
//! - [`check`] — `/object_info` says whether nodes, checkpoint and LoRA exist.
//! - [`pool`] — several instances: health, least-busy dispatch, failover, which have our batch
//!   nodes.
//! - [`execute`] — one job's attempts: submit, follow, collect; retry when an instance dies.
//! - [`backend`] — [`ComfyuiBackend`], the [`crate::backend::Backend`] implementation.
//! - [`batched`] — several jobs in one prompt, falling back to one prompt each.
//! - [`facing`] — the view words that turn a character for a sheet of facings.
//! - [`train`] — a style trained: dataset uploaded, `train_style` followed, LoRA downloaded.
//! - [`error`] — [`ComfyError`] and ComfyUI's own error reports as data.
//!
//! Recorded exchanges with a real ComfyUI (0.3.64) live in `server/tests/fixtures/comfyui/`;
//! `server/tests/comfyui.rs` replays them through a stand-in server against this module.

pub mod api;
pub mod backend;
pub mod batched;
pub mod check;
pub mod error;
pub mod execute;
pub mod facing;
pub mod frame;
pub mod pool;
pub mod train;
pub mod workflow;
pub mod ws;

pub use backend::{ComfyuiBackend, ComfyuiJob, ComfyuiSettings};
pub use error::{ComfyError, ExecutionFailure, NodeError, PromptRejection};
pub use workflow::{Templates, Workflow, WorkflowKind, WorkflowParams};
