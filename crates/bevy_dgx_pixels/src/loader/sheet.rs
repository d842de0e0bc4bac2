//! `*.sprite.ron` (+ `NAME.png` and `NAME.atlas.ron` beside it) → [`GeneratedSprite`], and the
//! two steps every [`GeneratedSprite`] loader shares: read a sheet's files, add them as
//! labelled sub-assets.

use bevy_asset::{AssetLoader, AssetPath, LoadContext, ReadAssetBytesError, io::Reader};
use bevy_reflect::TypePath;
use serde::{Deserialize, Serialize};

use crate::{DecodedSheet, GeneratedSprite, SheetError, SheetFiles, SpriteMetadata};

/// Label of a [`GeneratedSprite`]'s image sub-asset (`hero.pixels.ron#image`).
pub const IMAGE_LABEL: &str = "image";
/// Label of a [`GeneratedSprite`]'s `TextureAtlasLayout` sub-asset.
pub const LAYOUT_LABEL: &str = "layout";
/// Label of a [`GeneratedSprite`]'s [`SpriteMetadata`] sub-asset.
pub const META_LABEL: &str = "meta";

/// Loads a sheet that already sits on disk (`knight.png` + `knight.atlas.ron` +
/// `knight.sprite.ron`, as the panel's Save, the CLI or `deploy_to_bevy` write them) as one
/// [`GeneratedSprite`], by its `.sprite.ron`: `load::<GeneratedSprite>("generated/knight.sprite.ron")`.
///
/// The image and atlas are loader dependencies, so when any of the three files changes Bevy's
/// file watcher reloads the whole sprite and image and layout switch in the same frame.
#[derive(Default, TypePath)]
pub struct SpriteSheetLoader;

/// Settings of [`SpriteSheetLoader`]; none yet, kept so `.meta` files stay valid when some appear.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SpriteSheetLoaderSettings;

/// Why a sheet did not load.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpriteSheetLoaderError {
    /// A file of the sheet could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: AssetPath<'static>,
        /// What the asset reader said (boxed: it is large and errors are rare).
        source: Box<ReadAssetBytesError>,
    },
    /// The files do not make one sheet.
    #[error(transparent)]
    Sheet(#[from] SheetError),
    /// The `.sprite.ron` could not be read through the reader Bevy handed over.
    #[error("cannot read the sprite metadata: {0}")]
    Io(#[from] std::io::Error),
}

impl AssetLoader for SpriteSheetLoader {
    type Asset = GeneratedSprite;
    type Settings = SpriteSheetLoaderSettings;
    type Error = SpriteSheetLoaderError;

    async fn load(
        &self,
        reader: &mut dyn Reader,
        _settings: &SpriteSheetLoaderSettings,
        load_context: &mut LoadContext<'_>,
    ) -> Result<GeneratedSprite, SpriteSheetLoaderError> {
        let mut sprite = Vec::new();
        reader.read_to_end(&mut sprite).await?;
        let stem = asset_stem(load_context.path(), "sprite.ron");
        let png = read_sibling(load_context, &stem, "png").await?;
        let atlas = read_sibling(load_context, &stem, "atlas.ron").await?;
        let sheet = SheetFiles { png, atlas, sprite }.decode()?;
        Ok(add_sheet_assets(load_context, sheet))
    }

    fn extensions(&self) -> &[&str] {
        &["sprite.ron"]
    }
}

/// The asset name of `path`: its file name without `ending` (`gen/knight.sprite.ron` → `knight`).
pub fn asset_stem(path: &AssetPath<'_>, ending: &str) -> String {
    let file = path.path().file_name().unwrap_or_default().to_string_lossy();
    file.strip_suffix(&format!(".{ending}")).unwrap_or(&file).to_owned()
}

/// Reads `STEM.ENDING` beside the asset being loaded, as a loader dependency (so a change to it
/// reloads the asset).
pub(crate) async fn read_sibling(
    load_context: &mut LoadContext<'_>,
    stem: &str,
    ending: &str,
) -> Result<Vec<u8>, SpriteSheetLoaderError> {
    let path = sibling_path(load_context.path(), stem, ending);
    load_context
        .read_asset_bytes(&path)
        .await
        .map_err(|source| SpriteSheetLoaderError::Read { path, source: Box::new(source) })
}

/// `STEM.ENDING` in the folder of `path`, on the same asset source.
pub(crate) fn sibling_path(path: &AssetPath<'_>, stem: &str, ending: &str) -> AssetPath<'static> {
    let file = path.path().with_file_name(format!("{stem}.{ending}"));
    AssetPath::from_path_buf(file).with_source(path.source().clone_owned())
}

/// Reads all three files of sheet `stem` beside the asset being loaded.
pub(crate) async fn read_sheet(
    load_context: &mut LoadContext<'_>,
    stem: &str,
) -> Result<SheetFiles, SpriteSheetLoaderError> {
    Ok(SheetFiles {
        png: read_sibling(load_context, stem, "png").await?,
        atlas: read_sibling(load_context, stem, "atlas.ron").await?,
        sprite: read_sibling(load_context, stem, "sprite.ron").await?,
    })
}

/// Adds the sheet's parts as the labelled sub-assets [`IMAGE_LABEL`], [`LAYOUT_LABEL`] and
/// [`META_LABEL`] and returns the [`GeneratedSprite`] that holds their handles.
pub(crate) fn add_sheet_assets(load_context: &mut LoadContext<'_>, sheet: DecodedSheet) -> GeneratedSprite {
    let DecodedSheet { image, layout, meta } = sheet;
    GeneratedSprite {
        image: load_context.add_labeled_asset(IMAGE_LABEL.to_owned(), image),
        layout: load_context.add_labeled_asset(LAYOUT_LABEL.to_owned(), layout),
        meta: load_context.add_labeled_asset(META_LABEL.to_owned(), SpriteMetadata(meta)),
    }
}
