//! `dgx_pixels/take_screenshot` and `dgx_pixels/screenshot`: the primary window as a PNG, so an
//! assistant can see what it changed.
//!
//! Bevy captures a window asynchronously: a `Screenshot` entity asks the renderer, and a frame
//! or two later a `ScreenshotCaptured` event carries the image. A BRP method answers within its
//! frame, so the capture is two calls: `take_screenshot` starts one and answers its id,
//! `screenshot` answers `pending` until the image is there, then the PNG (once; it is dropped
//! when collected). Only the last [`KEPT_SCREENSHOTS`] captures are kept, so a caller that never
//! collects cannot grow the game's memory.

use std::collections::VecDeque;
use std::io::Cursor;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bevy_ecs::prelude::*;
use bevy_ecs::system::In;
use bevy_image::Image;
use bevy_remote::{BrpError, BrpResult, error_codes};
use bevy_render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy_window::PrimaryWindow;
use dgx_pixels_protocol::remote::{KEPT_SCREENSHOTS, ScreenshotState, ScreenshotTicket};
use image::ImageFormat;
use serde_json::Value;

use super::{answer, params};

/// The captures not collected yet, oldest first.
#[derive(Resource, Default)]
pub(super) struct Screenshots {
    next: u64,
    captures: VecDeque<(u64, Capture)>,
}

enum Capture {
    Pending,
    Ready(ScreenshotState),
    Failed(String),
}

impl Screenshots {
    fn start(&mut self) -> u64 {
        let id = self.next;
        self.next += 1;
        if self.captures.len() == KEPT_SCREENSHOTS {
            self.captures.pop_front();
        }
        self.captures.push_back((id, Capture::Pending));
        id
    }

    fn finish(&mut self, id: u64, capture: Capture) {
        if let Some((_, slot)) = self.captures.iter_mut().find(|(held, _)| *held == id) {
            *slot = capture;
        }
    }
}

pub(super) fn take_screenshot(
    In(_): In<Option<Value>>,
    mut commands: Commands,
    mut screenshots: ResMut<Screenshots>,
    windows: Query<(), With<PrimaryWindow>>,
) -> BrpResult {
    if windows.is_empty() {
        return Err(BrpError {
            code: error_codes::RESOURCE_NOT_PRESENT,
            message: "the game has no primary window to take a screenshot of".into(),
            data: None,
        });
    }
    let id = screenshots.start();
    commands.spawn(Screenshot::primary_window()).observe(
        move |captured: On<ScreenshotCaptured>, mut screenshots: ResMut<Screenshots>| {
            let capture = match encode(captured.image.clone()) {
                Ok(state) => Capture::Ready(state),
                Err(err) => Capture::Failed(err),
            };
            screenshots.finish(id, capture);
        },
    );
    answer(&ScreenshotTicket { id })
}

pub(super) fn screenshot(In(raw): In<Option<Value>>, mut screenshots: ResMut<Screenshots>) -> BrpResult {
    let ScreenshotTicket { id } = params(raw)?;
    let Some(index) = screenshots.captures.iter().position(|(held, _)| *held == id) else {
        return Err(BrpError {
            code: error_codes::INVALID_PARAMS,
            message: format!(
                "no screenshot {id}: it was collected already, or dropped (the game keeps the last \
                 {KEPT_SCREENSHOTS}); take a new one"
            ),
            data: None,
        });
    };
    if matches!(screenshots.captures[index].1, Capture::Pending) {
        return answer(&ScreenshotState::Pending);
    }
    match screenshots.captures.remove(index).map(|(_, capture)| capture) {
        Some(Capture::Ready(state)) => answer(&state),
        Some(Capture::Failed(err)) => Err(BrpError::internal(format!("the screenshot failed: {err}"))),
        Some(Capture::Pending) | None => answer(&ScreenshotState::Pending),
    }
}

/// The captured window as an RGB PNG (the alpha of a window capture is not coverage: with HDR
/// it holds brightness, as Bevy's own `save_to_disk` notes).
fn encode(image: Image) -> Result<ScreenshotState, String> {
    let image = image.try_into_dynamic().map_err(|err| err.to_string())?.to_rgb8();
    let mut png = Cursor::new(Vec::new());
    image.write_to(&mut png, ImageFormat::Png).map_err(|err| err.to_string())?;
    Ok(ScreenshotState::Ready { width: image.width(), height: image.height(), png: STANDARD.encode(png.into_inner()) })
}
