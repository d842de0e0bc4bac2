//! The game's side of the assistant's tools: the methods the Bevy plugin adds to Bevy's remote
//! protocol (BRP, JSON-RPC 2.0 over HTTP) and the params and results they carry.
//!
//! The plugin answers them (`bevy_dgx_pixels::remote`); the MCP tools `spawn_sprite`,
//! `list_sprites`, `apply_to_entity` and `screenshot` call them (the server's `game` module).
//! Both read the same types from here, so the two ends cannot drift apart.
//!
//! BRP has no authentication, so a game serves it on loopback only; the address below is BRP's
//! own default.

use serde::{Deserialize, Serialize};

use crate::limits::FieldError;

/// Where a game serves BRP unless told otherwise: Bevy's default address and port.
pub const DEFAULT_GAME_URL: &str = "http://127.0.0.1:15702";

/// The method names, all under `dgx_pixels/`.
pub mod method {
    /// [`GameInfo`](super::GameInfo): where the game keeps its assets.
    pub const INFO: &str = "dgx_pixels/info";
    /// [`SpriteList`](super::SpriteList): every entity with a sprite.
    pub const LIST_SPRITES: &str = "dgx_pixels/list_sprites";
    /// [`SpawnSprite`](super::SpawnSprite) → [`Spawned`](super::Spawned).
    pub const SPAWN_SPRITE: &str = "dgx_pixels/spawn_sprite";
    /// [`ApplyToEntity`](super::ApplyToEntity) → [`Spawned`](super::Spawned).
    pub const APPLY_TO_ENTITY: &str = "dgx_pixels/apply_to_entity";
    /// Starts a capture of the primary window → [`ScreenshotTicket`](super::ScreenshotTicket).
    pub const TAKE_SCREENSHOT: &str = "dgx_pixels/take_screenshot";
    /// [`ScreenshotTicket`](super::ScreenshotTicket) → [`ScreenshotState`](super::ScreenshotState).
    pub const SCREENSHOT: &str = "dgx_pixels/screenshot";
}

/// `dgx_pixels/info`: what a caller needs to put files where the game loads them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GameInfo {
    /// Absolute path of the game's `assets` folder.
    pub assets: String,
    /// Asset path prefix of the plugin's output folder (`generated`, or `source://`).
    pub output_folder: String,
}

/// One entity with a `Sprite`, as `dgx_pixels/list_sprites` reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpriteEntry {
    /// The entity, as BRP writes entities (`Entity::to_bits`).
    pub entity: u64,
    /// Its `Name`, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// World position of its `Transform`, `[x, y, z]`.
    pub position: [f32; 3],
    /// Asset path of the image it shows, when loaded from a path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Asset path of the generated sheet it shows (a `PixelsSprite`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
}

/// `dgx_pixels/list_sprites`' result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpriteList {
    /// The sprites, in no particular order.
    pub sprites: Vec<SpriteEntry>,
}

/// An entity named by its id (`Entity::to_bits`, as [`SpriteEntry::entity`]) or its `Name`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum EntityRef {
    /// The entity's id.
    Id(u64),
    /// The entity's `Name`; must name exactly one entity.
    Name(String),
}

impl std::fmt::Display for EntityRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EntityRef::Id(id) => write!(f, "entity {id}"),
            EntityRef::Name(name) => write!(f, "entity named `{name}`"),
        }
    }
}

/// `dgx_pixels/spawn_sprite`: a new entity showing a generated sheet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpawnSprite {
    /// The sheet's asset path inside the game's assets ([`sheet_asset_path`]).
    pub path: String,
    /// Where its pivot (a character's feet) goes: world `[x, y]`, or relative to `near`.
    pub position: [f32; 2],
    /// An entity the position is relative to ("next to the player").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub near: Option<EntityRef>,
    /// A `Name` for the new entity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `dgx_pixels/apply_to_entity`: an existing entity shows another generated sheet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplyToEntity {
    /// The entity.
    pub entity: EntityRef,
    /// The sheet's asset path inside the game's assets ([`sheet_asset_path`]).
    pub path: String,
}

/// The entity a spawn or apply touched, and where it stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spawned {
    /// The entity's id.
    pub entity: u64,
    /// Its world position, `[x, y, z]`.
    pub position: [f32; 3],
    /// The sheet's asset path as loaded.
    pub path: String,
}

/// A screenshot being taken: ask `dgx_pixels/screenshot` with this until it is ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreenshotTicket {
    /// Which capture.
    pub id: u64,
}

/// `dgx_pixels/screenshot`'s result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ScreenshotState {
    /// The renderer has not delivered the frame yet; ask again.
    Pending,
    /// The primary window as a PNG, base64.
    Ready {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// The PNG, base64 (standard alphabet, padded).
        png: String,
    },
}

/// Screenshots a game keeps for collection; older ones are dropped, so a caller that never
/// collects cannot grow the game's memory.
pub const KEPT_SCREENSHOTS: usize = 4;

/// The `.sprite.ron` asset path for a sheet named by `path`: the `.sprite.ron` itself, its
/// `.pixels.ron` request, or the `.png` that `deploy_to_bevy` reports (its `.sprite.ron` beside
/// it). It must be relative, inside the game's assets: no `..`, no root, no drive, no
/// backslash, no asset source (`name://`).
pub fn sheet_asset_path(field: &'static str, path: &str) -> Result<String, FieldError> {
    let breaks = |rule| FieldError::Breaks { field, rule, value: path.to_owned() };
    let plain = !path.is_empty()
        && !path.starts_with('/')
        && !path.contains(['\\', ':'])
        && path.split('/').all(|part| !part.is_empty() && part != "." && part != "..");
    if !plain {
        return Err(breaks("must be a relative path inside the game's assets folder, without `..`"));
    }
    if let Some(stem) = path.strip_suffix(".png") {
        return Ok(format!("{stem}.sprite.ron"));
    }
    if path.ends_with(".sprite.ron") || path.ends_with(".pixels.ron") {
        return Ok(path.to_owned());
    }
    Err(breaks("must name a .sprite.ron, .pixels.ron or .png sheet"))
}

/// Checks that a position is a pair of finite numbers.
pub fn check_position(field: &'static str, position: [f32; 2]) -> Result<(), FieldError> {
    if position.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(FieldError::Breaks { field, rule: "must be two finite numbers", value: format!("{position:?}") })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_paths_stay_inside_the_assets() {
        assert_eq!(sheet_asset_path("path", "characters/knight.png").unwrap(), "characters/knight.sprite.ron");
        assert_eq!(sheet_asset_path("path", "knight.sprite.ron").unwrap(), "knight.sprite.ron");
        assert_eq!(sheet_asset_path("path", "hero.pixels.ron").unwrap(), "hero.pixels.ron");
        for bad in [
            "",
            "../x.png",
            "/etc/x.png",
            "a/../../b.sprite.ron",
            "./x.png",
            "a//b.png",
            "C:\\x.png",
            "src://x.png",
            "x.ron",
            "characters/",
        ] {
            let err = sheet_asset_path("path", bad).unwrap_err();
            assert_eq!(err.field(), "path", "{bad}");
        }
    }

    #[test]
    fn positions_are_finite() {
        check_position("position", [1.0, -2.5]).unwrap();
        for bad in [[f32::NAN, 0.0], [0.0, f32::INFINITY], [f32::NEG_INFINITY, 1.0]] {
            assert!(check_position("position", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn entities_by_id_or_name() {
        assert_eq!(serde_json::from_str::<EntityRef>("42").unwrap(), EntityRef::Id(42));
        assert_eq!(serde_json::from_str::<EntityRef>("\"player\"").unwrap(), EntityRef::Name("player".into()));
        let ready = ScreenshotState::Ready { width: 2, height: 1, png: "AA==".into() };
        let json = serde_json::to_value(&ready).unwrap();
        assert_eq!(json["state"], "ready");
        assert_eq!(serde_json::from_value::<ScreenshotState>(json).unwrap(), ready);
        let pending = serde_json::to_value(ScreenshotState::Pending).unwrap();
        assert_eq!(pending, serde_json::json!({"state": "pending"}));
    }
}
