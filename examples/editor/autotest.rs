//! `--autotest OUT.png`: drives the panel as a person would (types a prompt, presses Generate,
//! waits for the sheet, applies it to the hero), saves a window screenshot and checks that the
//! screenshot shows the generated frame where the hero stands. Exits 0 when every step passed,
//! non-zero on any failure or a stage that takes too long.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy::render::view::window::screenshot::ScreenshotCaptured;
use bevy::sprite::Anchor;
use bevy::window::PrimaryWindow;
use bevy_dgx_pixels::DgxPixelsSystems;
use bevy_dgx_pixels::panel::{JobState, PanelAction, PanelState, ServerStatus};
use bevy_dgx_pixels::prelude::*;
use image::RgbaImage;

#[path = "../support/on_screen.rs"]
mod on_screen;
use on_screen::Placed;

/// The prompt the autotest types.
const PROMPT: &str = "knight, walk cycle, side view";
/// Longest wait for any one stage.
const STAGE_TIMEOUT: Duration = Duration::from_secs(90);
/// Frames rendered after Apply before the screenshot, so the new sheet is on screen.
const SETTLE_FRAMES: u32 = 10;
/// Share of the frame's opaque pixels that must show on screen in their own colour.
const MIN_MATCH: f32 = 0.9;

/// Where the autotest is.
#[derive(Clone, Debug, PartialEq)]
enum Stage {
    /// Waiting for the embedded server's health.
    WaitServer,
    /// Generate pressed at `Instant` with the gallery this long; waiting for the sheet.
    WaitSheet(Instant, usize),
    /// Applied; waiting for the hero to show the sheet of the click at `Instant`.
    WaitVisible(Instant),
    /// Applied; rendering a few frames.
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
    /// The generated frame the screenshot must show, and where.
    expected: Option<Placed>,
    /// Generate → Apply → on screen rounds still to run before the screenshot (`--repeat N`).
    rounds_left: u32,
    /// Click-to-visible times of the rounds run.
    samples: Vec<Duration>,
}

impl Autotest {
    /// `Some` when the command line has `--autotest OUT.png`.
    pub fn from_args() -> Option<Self> {
        let out = on_screen::autotest_out()?;
        let args: Vec<String> = std::env::args().collect();
        let repeat = args.iter().position(|arg| arg == "--repeat").and_then(|at| args.get(at + 1)?.parse().ok());
        Some(Self {
            out,
            stage: Stage::WaitServer,
            stage_started: Instant::now(),
            expected: None,
            rounds_left: repeat.unwrap_or(1),
            samples: Vec::new(),
        })
    }

    /// Adds the driving system.
    pub fn install(self, app: &mut App) {
        app.insert_resource(self).add_systems(Update, drive_autotest.before(DgxPixelsSystems::Panel));
    }

    fn advance(&mut self, stage: Stage) {
        info!(?stage, "autotest");
        self.stage = stage;
        self.stage_started = Instant::now();
    }
}

/// One step of the autotest per frame.
fn drive_autotest(
    mut commands: Commands,
    mut test: ResMut<Autotest>,
    mut panel: ResMut<PanelState>,
    mut hero: Query<(&Name, &Sprite, &Transform, &Anchor, &mut PixelsAnimation)>,
    window: Single<&Window, With<PrimaryWindow>>,
    generated: Res<Assets<GeneratedSprite>>,
    mut exit: MessageWriter<AppExit>,
) {
    let mut fail = |why: String| {
        error!("autotest failed: {why}");
        exit.write(AppExit::error());
    };
    if test.stage_started.elapsed() > STAGE_TIMEOUT {
        return fail(format!("stage {:?} timed out; panel says {:?}", test.stage, panel.messages));
    }
    match test.stage.clone() {
        Stage::WaitServer => match &panel.server {
            ServerStatus::Up(_) => {
                panel.inputs.prompt = PROMPT.to_owned();
                panel.inputs.frames = 4;
                panel.inputs.sprite_size = (32, 32);
                panel.actions.push(PanelAction::Generate);
                let shown = panel.gallery.len();
                test.advance(Stage::WaitSheet(Instant::now(), shown));
            }
            ServerStatus::Down(why) if test.stage_started.elapsed() > Duration::from_secs(20) => fail(why.clone()),
            _ => {}
        },
        Stage::WaitSheet(pressed, shown) => {
            let failed = panel.jobs.iter().find_map(|job| match &job.state {
                JobState::Failed(why) => Some(why.clone()),
                _ => None,
            });
            if let Some(why) = failed {
                return fail(why);
            }
            if panel.gallery.len() <= shown {
                return;
            }
            let Some(ticket) = panel.gallery.last().map(|item| item.ticket) else { return };
            panel.target = panel.targets.iter().find(|(_, label)| label == super::HERO).map(|(entity, _)| *entity);
            panel.actions.push(PanelAction::Apply(ticket));
            test.advance(Stage::WaitVisible(pressed));
        }
        Stage::WaitVisible(pressed) => {
            let Some(sheet) = panel.gallery.last().and_then(|item| generated.get(&item.sprite)) else { return };
            if !hero.iter().any(|(name, sprite, ..)| name.as_str() == super::HERO && sprite.image == sheet.image) {
                return;
            }
            // The sprite points at the sheet in this update, so this frame's render shows it.
            test.samples.push(pressed.elapsed());
            test.rounds_left = test.rounds_left.saturating_sub(1);
            if test.rounds_left > 0 {
                panel.actions.push(PanelAction::Generate);
                let shown = panel.gallery.len();
                test.advance(Stage::WaitSheet(Instant::now(), shown));
                return;
            }
            let mut samples = test.samples.clone();
            samples.sort();
            let p50 = samples[samples.len() / 2];
            let p95 = samples[(samples.len() * 95 / 100).min(samples.len() - 1)];
            info!(
                "click to visible: p50 {p50:?}, p95 {p95:?}, max {:?} over {} rounds",
                samples[samples.len() - 1],
                samples.len()
            );
            test.advance(Stage::Settle(0));
        }
        Stage::Settle(frames) => {
            let Some(item) = panel.gallery.last() else { return };
            let Some(sheet) = generated.get(&item.sprite) else { return };
            let Some((_, sprite, transform, anchor, mut animation)) =
                hero.iter_mut().find(|(name, sprite, ..)| name.as_str() == super::HERO && sprite.image == sheet.image)
            else {
                return;
            };
            animation.paused = true;
            if frames < SETTLE_FRAMES {
                test.advance(Stage::Settle(frames + 1));
                return;
            }
            let index = sprite.texture_atlas.as_ref().map_or(0, |atlas| atlas.index);
            match expected_frame(item, index, transform, anchor, &window) {
                Ok(expected) => test.expected = Some(expected),
                Err(why) => return fail(why),
            }
            on_screen::shoot(&mut commands, test.out.clone(), check_screenshot);
            test.advance(Stage::Shooting(None));
        }
        Stage::Shooting(verdict) => on_screen::conclude(verdict.as_ref(), test.stage_started, &test.out, &mut exit),
    }
}

/// The frame `index` of the gallery item and where the hero draws it on screen.
fn expected_frame(
    item: &bevy_dgx_pixels::panel::GalleryItem,
    index: usize,
    transform: &Transform,
    anchor: &Anchor,
    window: &Window,
) -> Result<Placed, String> {
    let sheet = image::load_from_memory(&item.files.png).map_err(|err| err.to_string())?.to_rgba8();
    let rect = item.frames.get(index).ok_or("the hero shows a frame the sheet lacks")?;
    let frame = on_screen::cell(&sheet, URect::new(rect.min.0, rect.min.1, rect.max.0, rect.max.1));
    Ok(Placed::new(frame, transform, anchor, window))
}

/// Compares the captured window with the expected frame, pixel by sprite pixel.
fn check_screenshot(captured: On<ScreenshotCaptured>, mut test: ResMut<Autotest>) {
    let verdict = match (&test.expected, captured.image.clone().try_into_dynamic()) {
        (Some(expected), Ok(shot)) => compare(expected, &shot.to_rgba8()),
        (None, _) => Err("nothing to compare with".to_owned()),
        (_, Err(err)) => Err(format!("unreadable screenshot: {err}")),
    };
    if let Ok(share) = &verdict {
        info!(share, "autotest: generated frame on screen");
    }
    test.stage = Stage::Shooting(Some(verdict.map(|_| ())));
}

/// The share of the frame's opaque pixels that the screenshot shows in the same colour;
/// an error when below [`MIN_MATCH`].
fn compare(expected: &Placed, shot: &RgbaImage) -> Result<f32, String> {
    let (share, opaque) = expected.share_shown(shot);
    if opaque == 0 || share < MIN_MATCH {
        return Err(format!("only {:.0} % of {opaque} sprite pixels on screen", share * 100.0));
    }
    Ok(share)
}
