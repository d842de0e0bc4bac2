//! The game side of the assistant's tools: Bevy's remote protocol (BRP, JSON-RPC over HTTP) on
//! loopback with our methods under `dgx_pixels/`, so that an MCP server beside the game can list
//! its sprites, spawn and change them, and look at the window while it runs.
//!
//! BRP's built-in methods can read and write any component and have no authentication at all,
//! so it only ever listens on a loopback address: [`RemoteAccess::new`] refuses any other.
//!
//! The methods, their params and results are the types of
//! [`dgx_pixels_protocol::remote`], shared with the server's MCP tools that call them:
//! - `dgx_pixels/info`: the game's assets folder and the plugin's output folder;
//! - `dgx_pixels/list_sprites`, `dgx_pixels/spawn_sprite`, `dgx_pixels/apply_to_entity`
//!   ([`sprites`]);
//! - `dgx_pixels/take_screenshot` and `dgx_pixels/screenshot` ([`screenshot`]).
//!
//! Bad params (a path that could leave the assets, a position that is not finite, an unknown
//! entity) answer an invalid-params error naming the field, and nothing is spawned or changed.

mod screenshot;
mod sprites;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use bevy_app::App;
use bevy_ecs::prelude::*;
use bevy_ecs::system::In;
use bevy_remote::http::RemoteHttpPlugin;
use bevy_remote::{BrpError, BrpResult, RemotePlugin, error_codes};
use dgx_pixels_protocol::FieldError;
use dgx_pixels_protocol::remote::{GameInfo, method};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::settings::DgxPixelsSettings;

/// BRP's own default address: loopback, port 15702.
pub const DEFAULT_REMOTE: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 15702);

/// Where the game listens for BRP; only ever a loopback address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RemoteAccess(SocketAddr);

/// A BRP address that is not loopback.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "refusing to serve Bevy's remote protocol on {0}: it lets any caller read and change every entity and has \
     no authentication, so it only listens on loopback (127.0.0.1 or ::1)"
)]
pub struct NotLoopback(pub SocketAddr);

impl RemoteAccess {
    /// BRP on `address`, if it is a loopback address.
    pub fn new(address: SocketAddr) -> Result<Self, NotLoopback> {
        if address.ip().is_loopback() { Ok(Self(address)) } else { Err(NotLoopback(address)) }
    }

    /// The address.
    pub fn address(&self) -> SocketAddr {
        self.0
    }
}

impl Default for RemoteAccess {
    fn default() -> Self {
        Self(DEFAULT_REMOTE)
    }
}

/// The game's `assets` folder on disk, for `dgx_pixels/info`.
#[derive(Resource, Clone, Debug)]
struct AssetsFolder(PathBuf);

/// Adds BRP on `access` with our methods; `assets` is the game's assets folder on disk.
pub(crate) fn add_remote(app: &mut App, access: RemoteAccess, assets: PathBuf) {
    app.insert_resource(AssetsFolder(assets)).init_resource::<screenshot::Screenshots>().add_plugins((
        RemotePlugin::default()
            .with_method_main(method::INFO, info)
            .with_method_main(method::LIST_SPRITES, sprites::list_sprites)
            .with_method_main(method::SPAWN_SPRITE, sprites::spawn_sprite)
            .with_method_main(method::APPLY_TO_ENTITY, sprites::apply_to_entity)
            .with_method_main(method::TAKE_SCREENSHOT, screenshot::take_screenshot)
            .with_method_main(method::SCREENSHOT, screenshot::screenshot),
        RemoteHttpPlugin::default().with_address(access.0.ip()).with_port(access.0.port()),
    ));
}

fn info(In(_): In<Option<Value>>, assets: Res<AssetsFolder>, settings: Res<DgxPixelsSettings>) -> BrpResult {
    answer(&GameInfo {
        assets: assets.0.to_string_lossy().into_owned(),
        output_folder: settings.output_asset_folder.clone(),
    })
}

/// `params` read strictly as a `T`; a missing or malformed one is an invalid-params error.
fn params<T: DeserializeOwned>(params: Option<Value>) -> Result<T, BrpError> {
    let params = params.ok_or_else(|| invalid("params are required"))?;
    serde_json::from_value(params).map_err(|err| invalid(&err.to_string()))
}

/// `value` as a method's result.
fn answer(value: &impl Serialize) -> BrpResult {
    serde_json::to_value(value).map_err(|err| BrpError::internal(err.to_string()))
}

fn invalid(message: &str) -> BrpError {
    BrpError { code: error_codes::INVALID_PARAMS, message: message.to_owned(), data: None }
}

fn invalid_field(err: FieldError) -> BrpError {
    invalid(&err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_is_served() {
        assert!(RemoteAccess::new("127.0.0.1:15702".parse().unwrap()).is_ok());
        assert!(RemoteAccess::new("[::1]:15702".parse().unwrap()).is_ok());
        let err = RemoteAccess::new("0.0.0.0:15702".parse().unwrap()).unwrap_err();
        assert!(err.to_string().contains("only listens on loopback"), "{err}");
        assert!(RemoteAccess::new("192.168.1.5:15702".parse().unwrap()).is_err());
        assert_eq!(RemoteAccess::default().address(), DEFAULT_REMOTE);
    }
}
