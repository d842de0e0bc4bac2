//! The gallery: thumbnails of finished sheets, an animated preview of the selected one at a
//! whole-number zoom (paused on a frame when asked), Apply (onto a sprite entity) and Save
//! (under a name), and the [`Remake`] buttons.

use bevy_ecs::entity::Entity;
use bevy_egui::egui::{self, ComboBox, Slider, TextEdit};
use dgx_pixels_protocol::AtlasRect;

use super::remake::Remake;
use super::state::{GalleryItem, PanelAction, PanelInputs};
use super::widgets::{frame_picker_ui, pixel_image_ui};
use crate::frame_at;
use dgx_pixels_sprite::grid::confidence::UNSURE;

/// The gallery section.
pub struct Gallery<'a> {
    /// Finished sheets, newest last.
    pub items: &'a [GalleryItem],
    /// The ticket shown in the preview.
    pub selected: &'a mut Option<u64>,
    /// The frame the preview is paused on; `None` while it plays.
    pub paused_frame: &'a mut Option<u32>,
    /// Entities Apply can target, with labels.
    pub targets: &'a [(Entity, String)],
    /// The entity Apply targets.
    pub target: &'a mut Option<Entity>,
    /// Preview zoom.
    pub zoom: &'a mut u32,
    /// The form's inputs: Save's name, Vary's request and denoise, Re-process's settings.
    pub inputs: &'a mut PanelInputs,
    /// Where Apply, Save, Vary and Re-process are recorded.
    pub actions: &'a mut Vec<PanelAction>,
}

impl Gallery<'_> {
    /// Draws thumbnails, then the preview and its buttons.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let Self { items, selected, paused_frame, targets, target, zoom, inputs, actions } = self;
        if items.is_empty() {
            ui.weak("Finished sheets appear here.");
            return;
        }
        ui.horizontal_wrapped(|ui| {
            for item in items.iter().rev().take(12) {
                let chosen = **selected == Some(item.ticket);
                let response = match (item.texture, item.frames.first()) {
                    (Some(texture), Some(frame)) => {
                        let (size, uv) = frame_uv(item.sheet_size, frame);
                        let thumb = egui::Image::new(egui::load::SizedTexture::new(texture, fit(size, 40.0)))
                            .uv(uv)
                            .texture_options(egui::TextureOptions::NEAREST);
                        ui.add(egui::Button::image(thumb).selected(chosen))
                    }
                    _ => ui.selectable_label(chosen, format!("#{}", item.ticket)),
                };
                if response.clicked() {
                    **selected = Some(item.ticket);
                }
            }
        });
        let Some(item) = selected.and_then(|ticket| items.iter().find(|item| item.ticket == ticket)) else { return };
        ui.add(Slider::new(*zoom, 1..=8).text("zoom"));
        let last = u32::try_from(item.frames.len().saturating_sub(1)).unwrap_or(u32::MAX);
        let elapsed_ms = (ui.input(|input| input.time) * 1000.0) as u64;
        let shown = paused_frame.unwrap_or_else(|| frame_at(&item.meta, None, elapsed_ms)).min(last);
        if let Some(texture) = item.texture {
            if let Some(frame) = item.frames.get(shown as usize) {
                let (size, uv) = frame_uv(item.sheet_size, frame);
                pixel_image_ui(ui, texture, size, **zoom, uv);
            }
            if paused_frame.is_none() {
                ui.ctx().request_repaint();
            }
        }
        if last > 0 {
            frame_picker_ui(ui, paused_frame, shown, last);
        }
        let seed = item.meta.provenance.as_ref().map(|p| p.seed.to_string()).unwrap_or_default();
        let grid = item.meta.grid_confidence.map(|c| format!(", pixel grid {:.0} %", c * 100.0)).unwrap_or_default();
        ui.weak(format!(
            "{} frames, {}×{} px, seed {seed}{grid}",
            item.meta.frames, item.meta.frame_size.width, item.meta.frame_size.height
        ));
        if item.meta.grid_confidence.is_some_and(|c| c < UNSURE) {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                "The drawing's pixels did not line up with this size: try another seed, or Re-process at another \
                 size.",
            );
        }
        ui.horizontal(|ui| {
            let label = target.and_then(|entity| targets.iter().find(|(e, _)| *e == entity)).map(|(_, l)| l.as_str());
            ComboBox::from_id_salt("target").selected_text(label.unwrap_or("no sprite")).show_ui(ui, |ui| {
                for (entity, label) in targets.iter() {
                    ui.selectable_value(*target, Some(*entity), label);
                }
            });
            if ui.add_enabled(target.is_some(), egui::Button::new("Apply")).clicked() {
                actions.push(PanelAction::Apply(item.ticket));
            }
        });
        ui.horizontal(|ui| {
            ui.add(TextEdit::singleline(&mut inputs.save_name).desired_width(120.0));
            let valid = dgx_pixels_protocol::limits::check_name("name", &inputs.save_name).is_ok();
            if ui.add_enabled(valid, egui::Button::new("Save")).clicked() {
                actions.push(PanelAction::Save(item.ticket));
            }
        });
        let marked = inputs.training.marked.contains(&item.job_id);
        let mark = if marked { "Marked for style (unmark)" } else { "Mark for style" };
        if ui.selectable_label(marked, mark).on_hover_text("train a style on this sheet: Learn a style").clicked() {
            actions.push(PanelAction::MarkForStyle(item.job_id.clone()));
        }
        Remake { item, frame: shown, inputs, actions }.ui(ui);
    }
}

/// A frame's pixel size and its UV rectangle in a sheet of `sheet` pixels.
fn frame_uv(sheet: (u32, u32), frame: &AtlasRect) -> (egui::Vec2, egui::Rect) {
    let (w, h) = (sheet.0.max(1) as f32, sheet.1.max(1) as f32);
    let min = egui::pos2(frame.min.0 as f32 / w, frame.min.1 as f32 / h);
    let max = egui::pos2(frame.max.0 as f32 / w, frame.max.1 as f32 / h);
    let size = frame.size();
    (egui::vec2(size.width as f32, size.height as f32), egui::Rect::from_min_max(min, max))
}

/// `size` scaled by a whole number so its longer side is at most `side` (at least 1×).
fn fit(size: egui::Vec2, side: f32) -> egui::Vec2 {
    let zoom = (side / size.max_elem().max(1.0)).floor().max(1.0);
    size * zoom
}
