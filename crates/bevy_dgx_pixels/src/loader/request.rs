//! `*.pixels.ron` → [`GeneratedSprite`]: the cached files beside the request when they were made
//! from this very request, otherwise a fresh sheet from the server, written beside it.

use std::path::PathBuf;

use bevy_asset::{AssetLoader, AsyncReadExt, LoadContext, io::Reader};
use bevy_log::warn;
use bevy_reflect::TypePath;
use dgx_pixels_protocol::{FieldError, FileFormatError, PaletteSpec, PixelsRequest, parse_pixels_request};
use dgx_pixels_sprite::palette_source::fill_from_art;
use serde::{Deserialize, Serialize};

use super::roots::{AssetRoots, inside_assets};
use super::sheet::{SpriteSheetLoaderError, add_sheet_assets, asset_stem, read_sheet};
use crate::connection::{Connection, ConnectionError};
use crate::{DecodedSheet, GeneratedSprite};

/// Loads a request file `hero.pixels.ron` (the generate body in RON) as a ready sprite.
///
/// `hero.png`, `hero.atlas.ron` and `hero.sprite.ron` beside it are the cache: when the
/// `.sprite.ron` records this request's hash they load with no server at all. Otherwise the
/// request goes to the server and the three files are written beside it atomically, then loaded.
/// All three are loader dependencies, so editing the request (or the files) while the game runs
/// regenerates or reloads the sprite in place. When the server cannot be reached an older cached
/// sheet is used with a warning; with none, the load fails with an error naming the server.
#[derive(TypePath)]
pub struct PixelsRequestLoader {
    pub(crate) connection: Connection,
    pub(crate) roots: AssetRoots,
}

/// Settings of [`PixelsRequestLoader`].
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PixelsRequestLoaderSettings {
    /// Load only from the cache, never calling the server (default `false`). Set it in a
    /// `.meta` file for shipped builds that must not reach out.
    pub offline: bool,
}

/// Why a `.pixels.ron` did not load.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PixelsRequestLoaderError {
    /// The request file could not be read.
    #[error("cannot read the request: {0}")]
    Io(#[from] std::io::Error),
    /// The request is not RON for the generate body.
    #[error("bad request file: {0}")]
    Parse(#[from] FileFormatError),
    /// A field is out of range.
    #[error("invalid request: {0}")]
    Invalid(#[from] FieldError),
    /// No fresh cache and generation is off ([`PixelsRequestLoaderSettings::offline`]) or the
    /// request's folder is not on the file system, so nothing could be written beside it.
    #[error("no cached sheet for this request and it cannot be generated here ({reason})")]
    NotGenerated {
        /// Why not.
        reason: &'static str,
    },
    /// The server failed or could not be reached, and no older sheet is cached.
    #[error("generation through the dgx-pixels server at {server} failed: {source}")]
    Server {
        /// The server's base URL.
        server: String,
        /// What went wrong.
        source: ConnectionError,
    },
    /// A `palette: (from: […])` source (which a `sprite: "match"` measures too) could not be
    /// read, lies outside the assets folder, or has no opaque pixel.
    #[error("palette from the game's sprites: {0}")]
    Palette(String),
    /// The cached or generated files are unreadable or disagree.
    #[error(transparent)]
    Sheet(#[from] SpriteSheetLoaderError),
}

impl AssetLoader for PixelsRequestLoader {
    type Asset = GeneratedSprite;
    type Settings = PixelsRequestLoaderSettings;
    type Error = PixelsRequestLoaderError;

    async fn load(
        &self,
        reader: &mut dyn Reader,
        settings: &PixelsRequestLoaderSettings,
        load_context: &mut LoadContext<'_>,
    ) -> Result<GeneratedSprite, PixelsRequestLoaderError> {
        let mut text = String::new();
        reader.read_to_string(&mut text).await?;
        let request = parse_pixels_request(&text)?;
        request.validate()?;
        let request = self.local_palette(request).map_err(PixelsRequestLoaderError::Palette)?;
        // A matched size meets the rules of the request's kind (a tile is square) only now.
        request.validate()?;
        let stem = asset_stem(load_context.path(), "pixels.ron");
        let cached = read_sheet(load_context, &stem).await.and_then(|files| Ok(files.decode()?));
        let sheet = match cached {
            Ok(sheet) if made_from(&sheet, &request) => sheet,
            cached => {
                let generated = self.generate(settings, load_context, &stem, &request).await;
                match (generated, cached) {
                    (Ok(sheet), _) => sheet,
                    (Err(err), Ok(stale)) => {
                        warn!(path = %load_context.path(), "using the cached sheet of an older request: {err}");
                        stale
                    }
                    (Err(err), Err(_)) => return Err(err),
                }
            }
        };
        Ok(add_sheet_assets(load_context, sheet))
    }

    fn extensions(&self) -> &[&str] {
        &["pixels.ron"]
    }
}

impl PixelsRequestLoader {
    /// The request with a `palette: (from: […])` replaced by the colours of those PNGs or
    /// folders of PNGs, paths relative to the assets folder (read here: the server cannot see
    /// the game's files), and a `sprite: "match"` by their median sprite size
    /// ([`fill_from_art`]). The cache's hash is then that of the colours and the size, so
    /// changed sprites make a new sheet.
    fn local_palette(&self, request: PixelsRequest) -> Result<PixelsRequest, String> {
        if !matches!(request.palette, Some(PaletteSpec::From(_))) {
            return Ok(request);
        }
        let assets = self.roots.assets().ok_or("the plugin knows no assets folder")?;
        fill_from_art(request, |source| inside_assets(assets, source))
    }

    /// Generates the sheet, writes its files beside the request, and reads them back as loader
    /// dependencies.
    async fn generate(
        &self,
        settings: &PixelsRequestLoaderSettings,
        load_context: &mut LoadContext<'_>,
        stem: &str,
        request: &PixelsRequest,
    ) -> Result<DecodedSheet, PixelsRequestLoaderError> {
        if settings.offline {
            return Err(PixelsRequestLoaderError::NotGenerated { reason: "the loader is set offline" });
        }
        let dir: PathBuf = self
            .roots
            .folder_of(load_context.path())
            .ok_or(PixelsRequestLoaderError::NotGenerated { reason: "its asset source has no folder on disk" })?;
        let server = |source| PixelsRequestLoaderError::Server { server: self.connection.server_name(), source };
        self.connection.generate_into(request.clone(), dir, stem.to_owned()).await.map_err(server)?;
        let files = read_sheet(load_context, stem).await?;
        Ok(files.decode().map_err(SpriteSheetLoaderError::from)?)
    }
}

/// Whether `sheet` was generated from exactly `request` (its `.sprite.ron` records the hash).
fn made_from(sheet: &DecodedSheet, request: &PixelsRequest) -> bool {
    let hash = request.content_hash();
    sheet.meta.provenance.as_ref().is_some_and(|provenance| provenance.request_hash == hash)
}
