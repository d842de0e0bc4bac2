//! For the examples' `--autotest` modes: where a sprite draws one frame of its sheet on screen,
//! how much of that frame a window screenshot shows, and how an autotest ends.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bevy::ecs::system::IntoObserverSystem;
use bevy::prelude::*;
use bevy::render::view::window::screenshot::{Screenshot, ScreenshotCaptured, save_to_disk};
use bevy::sprite::Anchor;
use image::RgbaImage;

/// How far a screenshot pixel's channels may be from the sprite's and still count as showing it
/// (the window's colour conversion rounds).
const TOLERANCE: u8 = 12;

/// A frame and where it lands on screen.
#[derive(Clone, Debug)]
pub struct Placed {
    /// The frame's pixels, as in the sheet.
    pub frame: RgbaImage,
    /// Physical pixel position of the frame's top-left corner.
    pub origin: Vec2,
    /// Physical pixels per sprite pixel.
    pub scale: f32,
}

impl Placed {
    /// `frame` as a sprite at `transform` (uniform scale, no rotation) anchored at `anchor`
    /// draws it in `window`, seen by a 2D camera at the origin.
    pub fn new(frame: RgbaImage, transform: &Transform, anchor: &Anchor, window: &Window) -> Self {
        let zoom = transform.scale.x;
        let size = Vec2::new(frame.width() as f32, frame.height() as f32) * zoom;
        let at =
            Vec2::new(window.width() / 2.0 + transform.translation.x, window.height() / 2.0 - transform.translation.y);
        // The anchor is from the frame's centre, y up; the screen's y runs down.
        let top_left = at - Vec2::new((0.5 + anchor.0.x) * size.x, (0.5 - anchor.0.y) * size.y);
        let scale_factor = window.scale_factor();
        Self { frame, origin: top_left * scale_factor, scale: zoom * scale_factor }
    }

    /// The share of the frame's opaque pixels that `shot` shows in their own colour, and how
    /// many opaque pixels the frame has.
    pub fn share_shown(&self, shot: &RgbaImage) -> (f32, u32) {
        let (mut opaque, mut matching) = (0u32, 0u32);
        for (x, y, pixel) in self.frame.enumerate_pixels() {
            if pixel[3] < 255 {
                continue;
            }
            opaque += 1;
            let at = self.origin + (Vec2::new(x as f32, y as f32) + 0.5) * self.scale;
            let Some(seen) = shot.get_pixel_checked(at.x as u32, at.y as u32) else { continue };
            if (0..3).all(|c| seen[c].abs_diff(pixel[c]) <= TOLERANCE) {
                matching += 1;
            }
        }
        (matching as f32 / opaque.max(1) as f32, opaque)
    }
}

/// Cell `rect` of a sheet.
pub fn cell(sheet: &RgbaImage, rect: URect) -> RgbaImage {
    image::imageops::crop_imm(sheet, rect.min.x, rect.min.y, rect.width(), rect.height()).to_image()
}

/// The `OUT.png` of `--autotest OUT.png` on the command line (`autotest.png` when the flag has
/// no value); `None` without the flag.
pub fn autotest_out() -> Option<PathBuf> {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|arg| arg == "--autotest")?;
    Some(PathBuf::from(args.get(at + 1).map_or("autotest.png", String::as_str)))
}

/// Asks for a screenshot of the primary window: saved to `out`, then handed to `check`.
pub fn shoot<M>(commands: &mut Commands, out: PathBuf, check: impl IntoObserverSystem<ScreenshotCaptured, (), M>) {
    commands.spawn(Screenshot::primary_window()).observe(save_to_disk(out)).observe(check);
}

/// Ends an autotest whose screenshot was asked for at `since`: nothing while the verdict is
/// pending; exit 0 once it passed (and `save_to_disk`, which wrote `out` in the same observer
/// run, has had a moment more), exit non-zero with the reason once it failed.
pub fn conclude(verdict: Option<&Result<(), String>>, since: Instant, out: &Path, exit: &mut MessageWriter<AppExit>) {
    match verdict {
        None => {}
        Some(Err(why)) => {
            error!("autotest failed: {why}");
            exit.write(AppExit::error());
        }
        Some(Ok(())) if since.elapsed() > Duration::from_millis(300) => {
            info!(out = %out.display(), "autotest passed");
            exit.write(AppExit::Success);
        }
        Some(Ok(())) => {}
    }
}
