//! `*.sprite.ron` → [`SpriteMetadata`]: frames, timing, tags, pivot and provenance.

use bevy_asset::{AssetLoader, LoadContext, io::Reader};
use bevy_reflect::TypePath;
use dgx_pixels_protocol::{FileFormatError, SpriteMeta};
use serde::{Deserialize, Serialize};

use crate::SpriteMetadata;

/// Loads a `NAME.sprite.ron` alone, for games that draw the sheet their own way. Load it with
/// the type named (`load::<SpriteMetadata>`): an untyped load of a `.sprite.ron` goes to
/// [`SpriteSheetLoader`](crate::SpriteSheetLoader), which loads the whole sheet.
#[derive(Default, TypePath)]
pub struct SpriteMetaLoader;

/// Settings of [`SpriteMetaLoader`]; none yet, kept so `.meta` files stay valid when some appear.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SpriteMetaLoaderSettings;

/// Why a `.sprite.ron` did not load.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpriteMetaLoaderError {
    /// The file could not be read.
    #[error("cannot read the sprite metadata: {0}")]
    Io(#[from] std::io::Error),
    /// The file is not UTF-8.
    #[error("the sprite metadata is not UTF-8 text")]
    NotText(#[from] std::string::FromUtf8Error),
    /// The RON is malformed, or durations and tags do not fit the frame count.
    #[error("bad sprite metadata: {0}")]
    Format(#[from] FileFormatError),
}

impl AssetLoader for SpriteMetaLoader {
    type Asset = SpriteMetadata;
    type Settings = SpriteMetaLoaderSettings;
    type Error = SpriteMetaLoaderError;

    async fn load(
        &self,
        reader: &mut dyn Reader,
        _settings: &SpriteMetaLoaderSettings,
        _load_context: &mut LoadContext<'_>,
    ) -> Result<SpriteMetadata, SpriteMetaLoaderError> {
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).await?;
        Ok(SpriteMetadata(SpriteMeta::from_ron(&String::from_utf8(bytes)?)?))
    }

    fn extensions(&self) -> &[&str] {
        &["sprite.ron"]
    }
}
