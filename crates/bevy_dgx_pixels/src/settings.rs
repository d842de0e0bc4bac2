//! Which server to use, and the runtime settings resource.

use std::path::PathBuf;

use bevy_ecs::resource::Resource;
use bevy_input::keyboard::KeyCode;
use dgx_pixels_client::Client;

use crate::connection::ConnectionError;

/// Environment variable naming the server's base URL (`http://gpu-box:8787`).
pub const SERVER_ENV: &str = "DGX_PIXELS_SERVER";
/// Environment variable holding the server's bearer token.
pub const TOKEN_ENV: &str = "DGX_PIXELS_TOKEN";
/// The server's default address, used when neither the settings nor the environment name one.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8787";
/// Default output folder for saved sprites, relative to `assets/`.
pub const DEFAULT_OUTPUT_FOLDER: &str = "generated";
/// Default key that shows and hides the panel.
pub const DEFAULT_PANEL_KEY: KeyCode = KeyCode::F2;

/// Where the generation server is.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub enum PixelsServer {
    /// `DGX_PIXELS_SERVER` and `DGX_PIXELS_TOKEN` when set, else [`DEFAULT_SERVER`] with no
    /// token. The right choice for a game that talks to a GPU box on the LAN.
    #[default]
    FromEnv,
    /// A server at `url`, with an optional bearer token.
    Url {
        /// Base URL, e.g. `http://dgx.local:8787`.
        url: String,
        /// Bearer token when the server requires one.
        token: Option<String>,
    },
    /// An in-process server on a free loopback port with the procedural backend: works offline,
    /// with placeholder art. Needs the `embedded-server` feature.
    #[cfg(feature = "embedded-server")]
    Embedded,
}

impl PixelsServer {
    /// How the server reads in messages before its address is known.
    pub fn describe(&self) -> String {
        match self {
            PixelsServer::FromEnv => std::env::var(SERVER_ENV).unwrap_or_else(|_| DEFAULT_SERVER.to_owned()),
            PixelsServer::Url { url, .. } => url.clone(),
            #[cfg(feature = "embedded-server")]
            PixelsServer::Embedded => "the embedded server (starting)".to_owned(),
        }
    }
}

/// Builds the client for `server`, starting the embedded server first when asked; returns the
/// client and the base URL it talks to. Runs on the connection thread's runtime.
pub(crate) async fn connect(server: PixelsServer) -> Result<(Client, String), ConnectionError> {
    let (url, token) = match server {
        PixelsServer::FromEnv => (PixelsServer::FromEnv.describe(), std::env::var(TOKEN_ENV).ok()),
        PixelsServer::Url { url, token } => (url, token),
        #[cfg(feature = "embedded-server")]
        PixelsServer::Embedded => (crate::embedded_server::start().await?, None),
    };
    let mut builder = Client::builder().base_url(&url);
    if let Some(token) = token {
        builder = builder.token(token);
    }
    let client = builder.build().map_err(ConnectionError::Client)?;
    Ok((client, url))
}

/// Runtime settings of the plugin, from [`DgxPixelsPlugin`](crate::DgxPixelsPlugin)'s fields.
/// Change them while the game runs; the panel reads them every frame.
#[derive(Resource, Clone, Debug)]
pub struct DgxPixelsSettings {
    /// The game's `assets` folder on disk, where the panel finds the game's own sprites.
    pub assets_folder: PathBuf,
    /// Folder on disk where the panel's Save writes, `assets/generated` by default.
    pub output_folder: PathBuf,
    /// The same folder as an asset path prefix (`generated`), to load saved sprites by.
    pub output_asset_folder: String,
    /// Key that shows and hides the panel.
    pub panel_key: KeyCode,
    /// Whether the panel is shown.
    pub panel_open: bool,
}
