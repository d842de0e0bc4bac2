//! Small widgets of the panel.

use bevy_egui::egui::{self, DragValue, Response, Slider, Ui};

/// The seed control: a lock toggle and the value, editable only while locked (an unlocked seed
/// is the server's pick, new each time).
pub fn seed_ui(ui: &mut Ui, locked: &mut bool, seed: &mut u64) -> Response {
    ui.horizontal(|ui| {
        ui.checkbox(locked, "locked");
        ui.add_enabled(*locked, DragValue::new(seed));
        if ui.add_enabled(*locked, egui::Button::new("🎲")).on_hover_text("new seed").clicked() {
            *seed = next_seed(*seed);
        }
    })
    .response
}

/// The preview's frame control: Pause (on the frame `shown` now) or Play, and a slider over the
/// frames `0..=last` that pauses on the frame it is moved to, so a frame can be looked at, and
/// picked for Vary, however fast the animation runs.
pub fn frame_picker_ui(ui: &mut Ui, paused: &mut Option<u32>, shown: u32, last: u32) -> Response {
    ui.horizontal(|ui| {
        let toggle = if paused.is_some() { "Play" } else { "Pause" };
        if ui.button(toggle).clicked() {
            *paused = if paused.is_some() { None } else { Some(shown) };
        }
        let mut frame = shown;
        if ui.add(Slider::new(&mut frame, 0..=last).text("frame")).changed() {
            *paused = Some(frame);
        }
    })
    .response
}

/// A frame of a sheet, drawn at a whole-number zoom so every sprite pixel is a square of
/// screen pixels; `uv` picks the frame out of the sheet texture.
pub fn pixel_image_ui(
    ui: &mut Ui,
    texture: egui::TextureId,
    frame_px: egui::Vec2,
    zoom: u32,
    uv: egui::Rect,
) -> Response {
    let size = frame_px * zoom.max(1) as f32;
    ui.add(
        egui::Image::new(egui::load::SizedTexture::new(texture, size))
            .uv(uv)
            .texture_options(egui::TextureOptions::NEAREST),
    )
}

/// The next seed of a simple generator (SplitMix64), so the dice need no RNG dependency.
pub fn next_seed(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
