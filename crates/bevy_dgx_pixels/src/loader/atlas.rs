//! `*.atlas.ron` → Bevy's `TextureAtlasLayout`.

use bevy_asset::{AssetLoader, LoadContext, io::Reader};
use bevy_image::TextureAtlasLayout;
use bevy_reflect::TypePath;
use dgx_pixels_protocol::{AtlasLayout, FileFormatError};
use serde::{Deserialize, Serialize};

use crate::layout::to_texture_atlas_layout;

/// Loads a `NAME.atlas.ron` written by dgx-pixels (or by Bevy's own serde) as a
/// `TextureAtlasLayout`, checking that every frame lies inside the sheet.
#[derive(Default, TypePath)]
pub struct AtlasLayoutLoader;

/// Settings of [`AtlasLayoutLoader`]; none yet, kept so `.meta` files stay valid when some appear.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AtlasLayoutLoaderSettings;

/// Why a `.atlas.ron` did not load.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AtlasLayoutLoaderError {
    /// The file could not be read.
    #[error("cannot read the atlas: {0}")]
    Io(#[from] std::io::Error),
    /// The file is not UTF-8.
    #[error("the atlas is not UTF-8 text")]
    NotText(#[from] std::string::FromUtf8Error),
    /// The RON is malformed or a frame lies outside the sheet.
    #[error("bad atlas: {0}")]
    Format(#[from] FileFormatError),
}

impl AssetLoader for AtlasLayoutLoader {
    type Asset = TextureAtlasLayout;
    type Settings = AtlasLayoutLoaderSettings;
    type Error = AtlasLayoutLoaderError;

    async fn load(
        &self,
        reader: &mut dyn Reader,
        _settings: &AtlasLayoutLoaderSettings,
        _load_context: &mut LoadContext<'_>,
    ) -> Result<TextureAtlasLayout, AtlasLayoutLoaderError> {
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).await?;
        let layout = AtlasLayout::from_ron(&String::from_utf8(bytes)?)?;
        Ok(to_texture_atlas_layout(&layout))
    }

    fn extensions(&self) -> &[&str] {
        &["atlas.ron"]
    }
}
