//! The contract of dgx-pixels, as plain serde types with no I/O.
//!
//! Everything that crosses a process boundary is defined here once: the body of
//! `POST /api/v1/generate` ([`GenerateRequest`]), the job the server reports ([`Job`]), its
//! Server-Sent Events ([`JobEvent`]), the error body ([`ErrorBody`]) and the three files written
//! into a Bevy project (`NAME.png` beside [`AtlasLayout`] as `NAME.atlas.ron` and [`SpriteMeta`] as
//! `NAME.sprite.ron`). The server, the client, the CLI and the Bevy plugin all depend on this
//! crate, so a field renamed here is renamed everywhere.
//!
//! # Layout
//! - [`generate`]: the generate request and its defaults.
//! - [`request_kind`]: sprite, tile or tileset, and the rules each kind sets.
//! - [`request_validation`]: a generate request's fields checked against [`limits`].
//! - [`sprite_spec`]: the frame size a request asks for: pixels, or `"match"`.
//! - [`facing`]: the compass facings of a sheet with directions, their row order and mirrors.
//! - [`limits`]: the accepted range of every field, and validation returning a [`FieldError`].
//! - [`palette`]: colours, palettes and the named presets (`pico8`, `nes`, …).
//! - [`job`]: job ids, statuses and results.
//! - [`events`]: payloads of the job event stream.
//! - [`error`]: the JSON error body.
//! - [`files`]: `.atlas.ron`, `.sprite.ron` and `.pixels.ron`.
//! - [`health`] and [`models`]: `GET /health` and `GET /api/v1/models`.
//! - [`mcp`]: arguments and results of the MCP tools.
//! - [`remote`]: the methods the Bevy plugin adds to Bevy's remote protocol, which the
//!   assistant's game tools call.
//! - [`tileset`]: autotile layouts and the terrain bits `.sprite.ron` records per tile.
//!
//! # Features
//! - `schemars`: `schemars::JsonSchema` for the MCP tool arguments (the tools' `inputSchema`).
//! - `utoipa`: `utoipa::ToSchema` for the HTTP bodies, which the server's OpenAPI document
//!   references. Both derives sit on the types they describe; clients need neither.
//!
//! # Example
//! ```
//! use dgx_pixels_protocol::GenerateRequest;
//!
//! let request: GenerateRequest =
//!     serde_json::from_str(r#"{"prompt": "knight, walk cycle", "frames": 4}"#).unwrap();
//! request.validate().unwrap();
//! assert_eq!(request.sprite_size().width, 32);
//! assert_eq!(request.sheet_columns(), 4);
//! ```

pub mod error;
pub mod events;
pub mod facing;
pub mod files;
pub mod generate;
pub mod health;
pub mod job;
pub mod limits;
pub mod mcp;
pub mod models;
pub mod palette;
pub mod preset;
pub mod remote;
pub mod request_kind;
pub mod request_validation;
pub mod sprite_spec;
pub mod style_choice;
pub mod tileset;
pub mod train;

pub use error::ErrorBody;
pub use events::JobEvent;
pub use facing::{Facing, UnknownFacing};
pub use files::{
    AnimationDirection, AnimationTag, AtlasLayout, AtlasRect, FileFormatError, PixelsRequest, Provenance, SpriteMeta,
    parse_pixels_request, pixels_request_to_ron,
};
pub use generate::{BackendKind, Background, GenerateRequest, SourceImage, SpriteSize};
pub use health::{BackendHealth, DistillLora, Health};
pub use job::{Job, JobAccepted, JobFiles, JobId, JobRequest, JobResult, JobStatus};
pub use limits::FieldError;
pub use models::{ModelList, Style, StyleSidecar, TrainingRecord};
pub use palette::{Palette, PaletteFrom, PaletteSpec, Rgb};
pub use preset::{Preset, Sampling};
pub use request_kind::RequestKind;
pub use sprite_spec::{MatchWord, SpriteSpec};
pub use style_choice::StyleChoice;
pub use tileset::{TileLayout, TilesetInfo};
pub use train::{LrSchedule, TrainStep, TrainStyleRequest, TrainedStyle, UploadedImage};

/// Version segment of every HTTP route (`/api/v1/...`).
pub const API_VERSION: &str = "v1";
