//! The asset types and loaders: `.atlas.ron`, `.sprite.ron` (alone or as a whole sheet) and
//! `.pixels.ron` requests.

mod atlas;
mod request;
mod roots;
mod sheet;
mod sprite_meta;

pub use atlas::{AtlasLayoutLoader, AtlasLayoutLoaderError, AtlasLayoutLoaderSettings};
use bevy_app::App;
use bevy_asset::AssetApp;
pub use request::{PixelsRequestLoader, PixelsRequestLoaderError, PixelsRequestLoaderSettings};
pub use roots::{AssetRoots, inside_assets};
pub use sheet::{
    IMAGE_LABEL, LAYOUT_LABEL, META_LABEL, SpriteSheetLoader, SpriteSheetLoaderError, SpriteSheetLoaderSettings,
    asset_stem,
};
pub use sprite_meta::{SpriteMetaLoader, SpriteMetaLoaderError, SpriteMetaLoaderSettings};

use crate::connection::Connection;
use crate::{GeneratedSprite, SpriteMetadata};

/// Registers the asset types and the four loaders. [`SpriteSheetLoader`] comes after
/// [`SpriteMetaLoader`], so an untyped or labelled load of a `.sprite.ron` gets the whole sheet.
pub(crate) fn register_loaders(app: &mut App, connection: Connection, roots: AssetRoots) {
    app.init_asset::<GeneratedSprite>()
        .init_asset::<SpriteMetadata>()
        .register_asset_loader(AtlasLayoutLoader)
        .register_asset_loader(SpriteMetaLoader)
        .register_asset_loader(SpriteSheetLoader)
        .register_asset_loader(PixelsRequestLoader { connection, roots });
}
