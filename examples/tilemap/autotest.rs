//! `--autotest OUT.png`: waits for the map, saves a window screenshot and checks that every one
//! of its tiles shows on screen where the map puts it: the set's tile with that place's corner
//! bits (found by the set's `.sprite.ron`), at least [`MIN_MATCH`] of its pixels in their own
//! colour. A failing shot is taken again, up to [`MAX_SHOTS`] in all. Exits 0 when every tile
//! passed, non-zero on any failure or a stage that takes too long.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy::render::view::window::screenshot::ScreenshotCaptured;
use bevy::sprite::Anchor;
use bevy::sprite_render::TilemapChunk;
use bevy::window::PrimaryWindow;
use bevy_dgx_pixels::prelude::*;
use bevy_dgx_pixels::tilemap::{TilesetInfo, wang16_bits};

#[path = "../support/on_screen.rs"]
mod on_screen;
use on_screen::Placed;

/// Frames rendered once the map is there, before the screenshot.
const SETTLE_FRAMES: u32 = 10;
/// Longest wait for any one stage.
const STAGE_TIMEOUT: Duration = Duration::from_secs(90);
/// Share of a tile's pixels that must show on screen in their own colour.
const MIN_MATCH: f32 = 0.9;
/// Screenshots taken before a failing one is the verdict: on a loaded machine the chunk's
/// tileset can reach the screen some frames after the chunk itself (seen once in CI: a map not
/// yet drawn), and a map that is wrong stays wrong in every shot.
const MAX_SHOTS: u32 = 5;

#[derive(Clone, Debug, PartialEq)]
enum Stage {
    /// Waiting for the chunk; frames rendered since it came.
    Settle(u32),
    /// Screenshot requested; the check's verdict once captured.
    Shooting(Option<Result<(), String>>),
}

/// The autotest's state.
#[derive(Resource, Debug)]
pub struct Autotest {
    out: PathBuf,
    stage: Stage,
    stage_started: Instant,
    /// Each map cell's expected tile, placed: (column, row from the top, placed).
    cells: Vec<(u32, u32, Placed)>,
    /// Screenshots taken so far.
    shots: u32,
}

impl Autotest {
    /// `Some` when the command line has `--autotest OUT.png`.
    pub fn from_args() -> Option<Self> {
        let out = on_screen::autotest_out()?;
        Some(Self { out, stage: Stage::Settle(0), stage_started: Instant::now(), cells: Vec::new(), shots: 0 })
    }

    /// Adds the driving system.
    pub fn install(self, app: &mut App) {
        app.insert_resource(self).add_systems(Update, drive_autotest);
    }
}

fn drive_autotest(
    mut commands: Commands,
    mut test: ResMut<Autotest>,
    chunks: Query<&TilemapChunk>,
    lake: Res<super::Lake>,
    metas: Res<Assets<SpriteMetadata>>,
    window: Single<&Window, With<PrimaryWindow>>,
    mut exit: MessageWriter<AppExit>,
) {
    if test.stage_started.elapsed() > STAGE_TIMEOUT {
        error!("autotest failed: stage {:?} timed out", test.stage);
        exit.write(AppExit::error());
        return;
    }
    match test.stage.clone() {
        Stage::Settle(frames) => {
            if chunks.is_empty() {
                return;
            }
            if frames < SETTLE_FRAMES {
                test.stage = Stage::Settle(frames + 1);
                return;
            }
            let Some(set) = metas.get(&lake.meta).and_then(|meta| meta.tileset.clone()) else { return };
            match expected_cells(&set, &window) {
                Ok(cells) => test.cells = cells,
                Err(why) => {
                    error!("autotest failed: {why}");
                    exit.write(AppExit::error());
                    return;
                }
            }
            on_screen::shoot(&mut commands, test.out.clone(), check_screenshot);
            test.shots += 1;
            test.stage = Stage::Shooting(None);
            test.stage_started = Instant::now();
        }
        Stage::Shooting(verdict) => on_screen::conclude(verdict.as_ref(), test.stage_started, &test.out, &mut exit),
    }
}

/// Every map cell's tile, cut from the set's PNG by the frame its bits name, placed where the
/// chunk (centred on the origin, filling the window) draws that cell.
fn expected_cells(set: &TilesetInfo, window: &Window) -> Result<Vec<(u32, u32, Placed)>, String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/lake.png");
    let sheet = image::open(path).map_err(|err| format!("cannot read {path}: {err}"))?.to_rgba8();
    let side = sheet.width();
    let corners = super::corners();
    let mut cells = Vec::new();
    for row in 0..super::MAP.y {
        for x in 0..super::MAP.x {
            let bits = wang16_bits(&corners, super::MAP, x, row);
            let frame = set.frame_of(bits).ok_or_else(|| format!("the set has no tile with bits {bits}"))?;
            let tile = on_screen::cell(&sheet, URect::new(0, frame * side, side, (frame + 1) * side));
            let tile_px = super::TILE_PX as f32;
            let centre = Vec2::new(
                (x as f32 + 0.5) * tile_px - window.width() / 2.0,
                window.height() / 2.0 - (row as f32 + 0.5) * tile_px,
            );
            let transform =
                Transform::from_translation(centre.extend(0.0)).with_scale(Vec3::splat(tile_px / side as f32));
            cells.push((x, row, Placed::new(tile, &transform, &Anchor::CENTER, window)));
        }
    }
    Ok(cells)
}

/// Every cell must show its tile.
fn check_screenshot(captured: On<ScreenshotCaptured>, mut test: ResMut<Autotest>) {
    let verdict = match captured.image.clone().try_into_dynamic() {
        Ok(shot) => {
            let shot = shot.to_rgba8();
            let shares: Vec<(u32, u32, f32)> =
                test.cells.iter().map(|(x, row, placed)| (*x, *row, placed.share_shown(&shot).0)).collect();
            let worst = shares.iter().copied().min_by(|a, b| a.2.total_cmp(&b.2));
            info!(tiles = shares.len(), ?worst, "autotest: tiles on screen");
            match worst {
                Some((x, row, share)) if share < MIN_MATCH => {
                    Err(format!("tile ({x}, {row}) shows only {:.0} % of its pixels", share * 100.0))
                }
                Some(_) => Ok(()),
                None => Err("no tiles to check".to_owned()),
            }
        }
        Err(err) => Err(format!("unreadable screenshot: {err}")),
    };
    test.stage = match verdict {
        Err(why) if test.shots < MAX_SHOTS => {
            warn!(shot = test.shots, "autotest: {why}; shooting again");
            Stage::Settle(0)
        }
        verdict => Stage::Shooting(Some(verdict)),
    };
}
