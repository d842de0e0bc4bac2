//! Bevy plugin for dgx-pixels.
//!
//! Work in progress: the panel, loaders and hot reload arrive with issue 4. What is here now is
//! the bridge between dgx-pixels' sheet layout and Bevy's `TextureAtlasLayout`.

mod layout;

pub use layout::to_texture_atlas_layout;
