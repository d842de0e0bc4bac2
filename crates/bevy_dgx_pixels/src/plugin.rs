//! [`DgxPixelsPlugin`]: build-time choices, and the wiring of loaders, systems and the panel.

use std::path::{Path, PathBuf};

use bevy_app::{App, Plugin, Update};
use bevy_asset::io::AssetSourceBuilder;
use bevy_asset::io::file::FileAssetReader;
use bevy_asset::{AssetApp, AssetPlugin};
use bevy_ecs::prelude::*;
use bevy_input::keyboard::KeyCode;

use crate::connection::Connection;
use crate::loader::{AssetRoots, register_loaders};
#[cfg(feature = "remote")]
use crate::remote::{RemoteAccess, add_remote};
use crate::settings::{DEFAULT_OUTPUT_FOLDER, DEFAULT_PANEL_KEY, DgxPixelsSettings, PixelsServer};
use crate::{
    advance_animations, attach_generated_sprites, clamp_atlas_indices, report_sprite_reloads, turn_to_heading,
};

/// Name of the asset source that [`register_output_folder`] adds (`dgx-pixels://knight.png`).
pub const OUTPUT_SOURCE: &str = "dgx-pixels";

/// Adds generated sprites to a Bevy app: the loaders, hot-reload support, animation, the
/// connection to the server and (with the `panel` feature) the editor panel.
///
/// Needs `AssetPlugin`, `ImagePlugin` and `TextureAtlasPlugin` (all in `DefaultPlugins`); add
/// it after them. Hot reload needs Bevy's `file_watcher` feature.
#[derive(Clone, Debug)]
pub struct DgxPixelsPlugin {
    /// The generation server. Default [`PixelsServer::FromEnv`]: `DGX_PIXELS_SERVER` and
    /// `DGX_PIXELS_TOKEN`, else `http://127.0.0.1:8787`. The examples use the embedded one.
    pub server: PixelsServer,
    /// Where the panel saves sprites, relative to the assets folder (default `generated`).
    /// Ignored when [`register_output_folder`] put it outside `assets/`.
    pub output_folder: String,
    /// Key that shows and hides the panel (default F2).
    pub panel_key: KeyCode,
    /// Whether the panel is there at all (default `true`; needs the `panel` feature). Turn it
    /// off for headless apps and shipped games that only load sprites.
    pub panel: bool,
    /// Whether the panel is open at start (default `true`).
    pub panel_open: bool,
    /// Bevy's remote protocol with our `dgx_pixels/` methods, for the assistant's tools
    /// ([`crate::remote`]); default `None`, off. Loopback only: see [`RemoteAccess::new`].
    #[cfg(feature = "remote")]
    pub remote: Option<RemoteAccess>,
}

impl Default for DgxPixelsPlugin {
    fn default() -> Self {
        Self {
            server: PixelsServer::default(),
            output_folder: DEFAULT_OUTPUT_FOLDER.to_owned(),
            panel_key: DEFAULT_PANEL_KEY,
            panel: true,
            panel_open: true,
            #[cfg(feature = "remote")]
            remote: None,
        }
    }
}

/// The plugin's system sets, in the order they run in `Update`, so games can order around them.
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DgxPixelsSystems {
    /// Keeps atlas indices valid after a reload and reports reloads and failures.
    HotReload,
    /// Points `Sprite`s at their [`GeneratedSprite`](crate::GeneratedSprite)s.
    Attach,
    /// Turns [`PixelsFacing`](crate::PixelsFacing)s to their headings and advances
    /// [`PixelsAnimation`](crate::PixelsAnimation)s.
    Animate,
    /// Polls the connection and applies the panel's results.
    Panel,
}

/// The output folder, when [`register_output_folder`] placed it outside `assets/`.
#[derive(Resource, Clone, Debug)]
struct OutputFolder(PathBuf);

/// Makes `folder` (anywhere on disk) the output folder, as the asset source [`OUTPUT_SOURCE`],
/// watched by Bevy's file watcher like `assets/`. Call it before adding `DefaultPlugins`: Bevy
/// reads asset sources when `AssetPlugin` is built.
pub fn register_output_folder(app: &mut App, folder: impl Into<PathBuf>) {
    let folder = folder.into();
    let source = AssetSourceBuilder::platform_default(&folder.to_string_lossy(), None);
    app.register_asset_source(OUTPUT_SOURCE, source).insert_resource(OutputFolder(folder));
}

impl Plugin for DgxPixelsPlugin {
    fn build(&self, app: &mut App) {
        let asset_folder = app.get_added_plugins::<AssetPlugin>().first().map(|plugin| plugin.file_path.clone());
        let assets_root = FileAssetReader::get_base_path().join(asset_folder.unwrap_or_else(|| "assets".into()));
        let outside = app.world().get_resource::<OutputFolder>().map(|folder| folder.0.clone());
        let mut roots = vec![(None, assets_root.clone())];
        let (output_folder, output_asset_folder) = match outside {
            Some(folder) => {
                roots.push((Some(OUTPUT_SOURCE.to_owned()), folder.clone()));
                (folder, format!("{OUTPUT_SOURCE}://"))
            }
            None => (assets_root.join(Path::new(&self.output_folder)), self.output_folder.clone()),
        };
        #[cfg(feature = "remote")]
        if let Some(access) = self.remote {
            add_remote(app, access, assets_root.clone());
        }
        let connection = Connection::start(self.server.clone());
        register_loaders(app, connection.clone(), AssetRoots::new(roots));
        app.insert_resource(connection)
            .insert_resource(DgxPixelsSettings {
                assets_folder: assets_root,
                output_folder,
                output_asset_folder,
                panel_key: self.panel_key,
                panel_open: self.panel_open,
            })
            .configure_sets(
                Update,
                (DgxPixelsSystems::HotReload, DgxPixelsSystems::Attach, DgxPixelsSystems::Animate).chain(),
            )
            .add_systems(
                Update,
                (
                    (clamp_atlas_indices, report_sprite_reloads).in_set(DgxPixelsSystems::HotReload),
                    attach_generated_sprites.in_set(DgxPixelsSystems::Attach),
                    (turn_to_heading, advance_animations).chain().in_set(DgxPixelsSystems::Animate),
                ),
            );
        #[cfg(feature = "panel")]
        if self.panel && !app.is_plugin_added::<crate::panel::PanelPlugin>() {
            app.add_plugins(crate::panel::PanelPlugin);
        }
    }
}
