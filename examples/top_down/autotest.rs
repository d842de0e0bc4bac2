//! `--autotest OUT.png`: steers the walker as a player would (holds ←+↑ until it faces
//! north-west, lets go), saves a window screenshot and checks that the screenshot shows the
//! frame of the north-west row where the walker stands, and shows it better than the same frame
//! of any other row. Exits 0 when every step passed, non-zero on any failure or a stage that
//! takes too long.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy::render::view::window::screenshot::ScreenshotCaptured;
use bevy::sprite::Anchor;
use bevy::window::PrimaryWindow;
use bevy_dgx_pixels::facings_of;
use bevy_dgx_pixels::prelude::*;

#[path = "../support/on_screen.rs"]
mod on_screen;
use on_screen::Placed;

/// The facing the autotest steers to, and the keys that steer there.
const TARGET: Facing = Facing::Nw;
const KEYS: [KeyCode; 2] = [KeyCode::ArrowLeft, KeyCode::ArrowUp];
/// Frames the keys stay held once the walker faces the target (it walks a little).
const HOLD_FRAMES: u32 = 10;
/// Frames rendered after letting go before the screenshot.
const SETTLE_FRAMES: u32 = 10;
/// Longest wait for any one stage.
const STAGE_TIMEOUT: Duration = Duration::from_secs(90);
/// Share of the frame's opaque pixels that must show on screen in their own colour.
const MIN_MATCH: f32 = 0.9;

#[derive(Clone, Debug, PartialEq)]
enum Stage {
    /// Waiting for the sheet and its facings.
    Load,
    /// Keys held; frames held since the walker faced the target.
    Steer(u32),
    /// Keys released; frames since.
    Stand(u32),
    /// Screenshot requested; the check's verdict once captured.
    Shooting(Option<Result<(), String>>),
}

/// The autotest's state.
#[derive(Resource, Debug)]
pub struct Autotest {
    out: PathBuf,
    stage: Stage,
    stage_started: Instant,
    /// The frame shown, as every row has it and where it lands: (facing, placed).
    rows: Vec<(Facing, Placed)>,
}

impl Autotest {
    /// `Some` when the command line has `--autotest OUT.png`.
    pub fn from_args() -> Option<Self> {
        let out = on_screen::autotest_out()?;
        Some(Self { out, stage: Stage::Load, stage_started: Instant::now(), rows: Vec::new() })
    }

    /// Adds the driving system, before the walk reads the keys.
    pub fn install(self, app: &mut App) {
        app.insert_resource(self)
            .add_systems(Update, drive_autotest.before(super::walk).before(DgxPixelsSystems::Animate));
    }

    fn advance(&mut self, stage: Stage) {
        info!(?stage, "autotest");
        self.stage = stage;
        self.stage_started = Instant::now();
    }
}

/// The assets a sheet is made of.
#[derive(SystemParam)]
struct SheetAssets<'w> {
    sheets: Res<'w, Assets<GeneratedSprite>>,
    metas: Res<'w, Assets<SpriteMetadata>>,
    images: Res<'w, Assets<Image>>,
    layouts: Res<'w, Assets<TextureAtlasLayout>>,
}

/// One step of the autotest per frame.
fn drive_autotest(
    mut commands: Commands,
    mut test: ResMut<Autotest>,
    mut keys: ResMut<ButtonInput<KeyCode>>,
    walker: Single<(&PixelsSprite, &PixelsFacing, &Sprite, &Transform, &Anchor)>,
    window: Single<&Window, With<PrimaryWindow>>,
    assets: SheetAssets,
    mut exit: MessageWriter<AppExit>,
) {
    let mut fail = |why: String| {
        error!("autotest failed: {why}");
        exit.write(AppExit::error());
    };
    if test.stage_started.elapsed() > STAGE_TIMEOUT {
        return fail(format!("stage {:?} timed out", test.stage));
    }
    let (pixels, steering, sprite, transform, anchor) = *walker;
    let Some(sheet) = assets.sheets.get(&pixels.0) else { return };
    let Some(meta) = assets.metas.get(&sheet.meta) else { return };
    let index = sprite.texture_atlas.as_ref().map_or(usize::MAX, |atlas| atlas.index);
    let frames = meta.frames as usize / facings_of(meta, &steering.animation).len().max(1);
    let target_row =
        meta.tags.iter().find(|tag| tag.name == TARGET.tag(&steering.animation)).map(|tag| tag.first as usize);
    match test.stage.clone() {
        Stage::Load => {
            if facings_of(meta, &steering.animation).len() != 8 {
                return;
            }
            KEYS.into_iter().for_each(|key| keys.press(key));
            test.advance(Stage::Steer(0));
        }
        Stage::Steer(held) => {
            let on_target_row = target_row.is_some_and(|first| (first..first + frames).contains(&index));
            if steering.facing != TARGET || !on_target_row {
                return;
            }
            if held < HOLD_FRAMES {
                test.stage = Stage::Steer(held + 1);
                return;
            }
            KEYS.into_iter().for_each(|key| keys.release(key));
            test.advance(Stage::Stand(0));
        }
        Stage::Stand(still) => {
            if steering.facing != TARGET {
                return fail(format!("standing still turned it to {}", steering.facing));
            }
            if still < SETTLE_FRAMES {
                test.stage = Stage::Stand(still + 1);
                return;
            }
            match rows_at(meta, sheet, &assets, index % frames.max(1), transform, anchor, &window) {
                Ok(rows) => test.rows = rows,
                Err(why) => return fail(why),
            }
            on_screen::shoot(&mut commands, test.out.clone(), check_screenshot);
            test.advance(Stage::Shooting(None));
        }
        Stage::Shooting(verdict) => on_screen::conclude(verdict.as_ref(), test.stage_started, &test.out, &mut exit),
    }
}

/// Frame `column` of every facing's row, placed where the walker draws its frame.
fn rows_at(
    meta: &SpriteMetadata,
    sheet: &GeneratedSprite,
    assets: &SheetAssets,
    column: usize,
    transform: &Transform,
    anchor: &Anchor,
    window: &Window,
) -> Result<Vec<(Facing, Placed)>, String> {
    let image = assets.images.get(&sheet.image).ok_or("the sheet's image is not loaded")?;
    let pixels = image.clone().try_into_dynamic().map_err(|err| format!("unreadable sheet: {err}"))?.to_rgba8();
    let layout = assets.layouts.get(&sheet.layout).ok_or("the sheet's layout is not loaded")?;
    meta.tags
        .iter()
        .filter_map(|tag| Some((Facing::of_tag(&tag.name, "walk")?, tag.first as usize + column)))
        .map(|(facing, index)| {
            let rect = *layout.textures.get(index).ok_or("a row's frame is not in the layout")?;
            Ok((facing, Placed::new(on_screen::cell(&pixels, rect), transform, anchor, window)))
        })
        .collect()
}

/// The screenshot must show the target row's frame (at least [`MIN_MATCH`] of its pixels) and
/// show it better than any other row's.
fn check_screenshot(captured: On<ScreenshotCaptured>, mut test: ResMut<Autotest>) {
    let verdict = match captured.image.clone().try_into_dynamic() {
        Ok(shot) => {
            let shot = shot.to_rgba8();
            let shares: Vec<(Facing, f32)> =
                test.rows.iter().map(|(facing, placed)| (*facing, placed.share_shown(&shot).0)).collect();
            info!(?shares, "autotest: share of each row's frame on screen");
            let target = shares.iter().find(|(facing, _)| *facing == TARGET).map_or(0.0, |(_, share)| *share);
            let best_other = shares.iter().filter(|(facing, _)| *facing != TARGET).map(|(_, s)| *s).fold(0.0, f32::max);
            if target < MIN_MATCH {
                Err(format!("only {:.0} % of the {TARGET} frame on screen", target * 100.0))
            } else if best_other >= target {
                Err(format!("another row matches the screen as well ({best_other:.2} vs {target:.2})"))
            } else {
                Ok(())
            }
        }
        Err(err) => Err(format!("unreadable screenshot: {err}")),
    };
    test.stage = Stage::Shooting(Some(verdict));
}
