//! dgx-pixels: pixel-art sprites made with AI, for Bevy games.
//!
//! This package is a facade: each crate of the workspace is re-exported under a short name,
//! behind a feature, as Bevy does.
//!
//! | module | feature | crate | what |
//! | --- | --- | --- | --- |
//! | [`protocol`] | always | `dgx_pixels_protocol` | the HTTP/MCP contract and file formats |
//! | `sprite` | `sprite` (default) | `dgx_pixels_sprite` | the pixel-art pipeline and sheet writers |
//! | `client` | `client` (default) | `dgx_pixels_client` | HTTP client for the server |
//! | `bevy` | `bevy` | `bevy_dgx_pixels` | the Bevy plugin |
//! | `server` | `server` | `dgx_pixels_server` | the embeddable generation server |

pub use dgx_pixels_protocol as protocol;

#[cfg(feature = "bevy")]
pub use bevy_dgx_pixels as bevy;
#[cfg(feature = "client")]
pub use dgx_pixels_client as client;
#[cfg(feature = "server")]
pub use dgx_pixels_server as server;
#[cfg(feature = "sprite")]
pub use dgx_pixels_sprite as sprite;

/// The types most programs need, in one import: `use dgx_pixels::prelude::*;`.
pub mod prelude {
    pub use crate::protocol::{
        AtlasLayout, Background, GenerateRequest, Job, JobId, JobStatus, Palette, SpriteMeta, SpriteSize,
    };

    #[cfg(feature = "bevy")]
    pub use bevy_dgx_pixels::prelude::*;
    #[cfg(feature = "client")]
    pub use dgx_pixels_client::{Client, ClientError};
    #[cfg(feature = "sprite")]
    pub use dgx_pixels_sprite::{Pipeline, PipelineBuilder, TargetSize};
}
