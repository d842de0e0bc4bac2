//! New sheets from the gallery's selected one: Vary, a new job that redraws the frame shown in
//! the preview (img2img, by the denoise slider), and Re-process, the same frames made again with
//! the form's size, colours, palette, background and columns without generating, so trying
//! another size or palette takes a moment and keeps the drawing.

use bevy_egui::egui::{self, Slider};
use dgx_pixels_protocol::{SourceImage, limits};

use super::state::{GalleryItem, PanelAction, PanelInputs};

/// Vary and Re-process for one gallery item.
pub struct Remake<'a> {
    /// The sheet in the preview.
    pub item: &'a GalleryItem,
    /// The frame the preview shows: the one Vary redraws.
    pub frame: u32,
    /// The form's inputs: Vary's request and denoise, Re-process's settings.
    pub inputs: &'a mut PanelInputs,
    /// Where Vary and Re-process are recorded.
    pub actions: &'a mut Vec<PanelAction>,
}

impl Remake<'_> {
    /// Draws Vary with its denoise slider, then Re-process with the settings it would use.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let Self { item, frame, inputs, actions } = self;
        ui.horizontal(|ui| {
            let ready = !inputs.prompt.trim().is_empty();
            let vary = ui
                .add_enabled(ready, egui::Button::new("Vary"))
                .on_hover_text(format!("A new job, from the form, that redraws frame {frame} of this sheet"))
                .on_disabled_hover_text("Type a prompt in the form first");
            if vary.clicked() {
                actions.push(PanelAction::Vary(SourceImage { job: item.job_id.clone(), frame: *frame }));
            }
            ui.add(Slider::new(&mut inputs.denoise, limits::DENOISE).step_by(0.05).text("denoise"))
                .on_hover_text("How much of the frame is redrawn: low stays close to it, 1.0 ignores it");
        });
        ui.horizontal(|ui| {
            let reprocess = ui.button("Re-process").on_hover_text(
                "This sheet made again from the frames its job drew, with the form's size, colours, palette, \
                 background and columns; nothing is generated",
            );
            if reprocess.clicked() {
                actions.push(PanelAction::Reprocess(item.ticket));
            }
            let (width, height) = inputs.sprite_size;
            let colours = inputs.palette.clone().unwrap_or_else(|| format!("{} colours", inputs.colors));
            ui.weak(format!("as {width}×{height} px, {colours}"));
        });
    }
}
