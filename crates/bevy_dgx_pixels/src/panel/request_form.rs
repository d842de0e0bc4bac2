//! The request form: prompt, negative prompt, style (and styles stacked after it), kind (sprite,
//! tile or tileset with its two terrains), size, frames, directions (and mirror), columns,
//! the game's sprites to match (colours, and size if asked), colours or palette, seed,
//! background, and the Generate button.

use bevy_egui::egui::{self, ComboBox, DragValue, TextEdit};
use dgx_pixels_protocol::facing::DIRECTIONS;
use dgx_pixels_protocol::limits::STACKED_STYLES;
use dgx_pixels_protocol::{Background, Palette, Preset, RequestKind, TileLayout, limits};

use super::state::{PanelAction, PanelInputs};
use super::widgets::seed_ui;

/// The form section, over the inputs it edits.
pub struct RequestForm<'a> {
    /// What the form edits.
    pub inputs: &'a mut PanelInputs,
    /// Style names from the server.
    pub styles: &'a [String],
    /// Folders of the game's sprites inside `assets/`.
    pub sprite_folders: &'a [String],
    /// Where Generate is recorded.
    pub actions: &'a mut Vec<PanelAction>,
}

impl RequestForm<'_> {
    /// Draws the form.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let Self { inputs, styles, sprite_folders, actions } = self;
        let PanelInputs {
            prompt,
            negative_prompt,
            style,
            stacked,
            sprite_size,
            frames,
            kind,
            lower,
            upper,
            layout,
            directions,
            mirror,
            columns,
            colors,
            palette,
            art_folder,
            match_size,
            seed_locked,
            seed,
            background,
            preset,
            denoise: _,
            save_name: _,
            training: _,
        } = inputs;
        ui.label("Prompt");
        ui.add(TextEdit::multiline(prompt).hint_text("knight, walk cycle, side view").desired_rows(2));
        ui.label("Negative prompt");
        ui.add(TextEdit::singleline(negative_prompt).hint_text("blurry"));
        egui::Grid::new("dgx-pixels-form").num_columns(2).show(ui, |ui| {
            ui.label("Style");
            ComboBox::from_id_salt("style").selected_text(style.as_deref().unwrap_or("none")).show_ui(ui, |ui| {
                ui.selectable_value(style, None, "none");
                for name in styles.iter() {
                    ui.selectable_value(style, Some(name.clone()), name);
                }
            });
            ui.end_row();
            if style.is_some() {
                ui.label("Stacked");
                stacked_styles(ui, styles, style.as_deref(), stacked);
                ui.end_row();
            }
            ui.label("Preset");
            ComboBox::from_id_salt("preset").selected_text(preset.map_or("auto", Preset::as_str)).show_ui(ui, |ui| {
                ui.selectable_value(preset, None, "auto")
                    .on_hover_text("fast when the server has a distillation LoRA, else standard");
                for choice in Preset::ALL {
                    ui.selectable_value(preset, Some(choice), choice.as_str());
                }
            });
            ui.end_row();
            ui.label("Kind");
            ui.horizontal(|ui| {
                ui.radio_value(kind, RequestKind::Sprite, "sprite");
                ui.radio_value(kind, RequestKind::Tile, "tile (seamless)");
                ui.radio_value(kind, RequestKind::Tileset, "tileset");
            });
            ui.end_row();
            if *kind == RequestKind::Tileset {
                ui.label("Lower terrain");
                ui.add(TextEdit::singleline(lower).hint_text("grass"));
                ui.end_row();
                ui.label("Upper terrain");
                ui.add(TextEdit::singleline(upper).hint_text("shallow water"));
                ui.end_row();
                ui.label("Layout");
                ui.horizontal(|ui| {
                    ui.radio_value(layout, TileLayout::Wang16, "wang16 (corners)");
                    ui.radio_value(layout, TileLayout::Blob47, "blob47 (neighbours)");
                });
                ui.end_row();
            }
            let sprite = *kind == RequestKind::Sprite;
            // The game's sprites apply to sprites; a matched size replaces the form's.
            let from_art = sprite && !art_folder.trim().is_empty();
            let matched = from_art && *match_size;
            ui.label("Sprite size");
            ui.horizontal(|ui| {
                if matched {
                    ui.disable();
                }
                ui.add(DragValue::new(&mut sprite_size.0).range(8..=512).suffix(" px"));
                ui.label("×");
                // A tile is square: its height is its width.
                ui.add_enabled(sprite, DragValue::new(&mut sprite_size.1).range(8..=512).suffix(" px"));
            });
            ui.end_row();
            ui.label("Frames");
            ui.add(DragValue::new(frames).range(1..=limits::SHEET_CELLS / (*directions).max(1)));
            ui.end_row();
            ui.label("Directions");
            ui.horizontal(|ui| {
                if !sprite {
                    ui.disable();
                }
                ComboBox::from_id_salt("directions").selected_text(directions.to_string()).show_ui(ui, |ui| {
                    for n in DIRECTIONS {
                        ui.selectable_value(directions, n, n.to_string());
                    }
                });
                ui.add_enabled(*directions > 1, egui::Checkbox::new(mirror, "mirror east from west"));
            });
            *frames = (*frames).min(limits::SHEET_CELLS / (*directions).max(1));
            ui.end_row();
            ui.label("Columns");
            ui.add_enabled(
                *directions <= 1,
                DragValue::new(columns)
                    .range(0..=64)
                    .custom_formatter(|n, _| if n == 0.0 { "auto".to_owned() } else { format!("{n}") }),
            );
            ui.end_row();
            if sprite {
                ui.label("Game sprites");
                game_sprites(ui, sprite_folders, art_folder, match_size);
                ui.end_row();
            }
            ui.label("Palette");
            ui.add_enabled_ui(!from_art, |ui| {
                let shown = if from_art { "the game's sprites" } else { palette.as_deref().unwrap_or("fitted") };
                ComboBox::from_id_salt("palette").selected_text(shown).show_ui(ui, |ui| {
                    ui.selectable_value(palette, None, "fitted");
                    for name in Palette::preset_names() {
                        ui.selectable_value(palette, Some(name.to_owned()), name);
                    }
                });
            });
            ui.end_row();
            ui.label("Colours");
            ui.add_enabled(palette.is_none() || from_art, DragValue::new(colors).range(2..=256));
            ui.end_row();
            ui.label("Seed");
            seed_ui(ui, seed_locked, seed);
            ui.end_row();
            ui.label("Background");
            ui.horizontal(|ui| {
                if !sprite {
                    // A tile is opaque: there is no backdrop to remove.
                    ui.disable();
                }
                ui.radio_value(background, Background::Transparent, "transparent");
                ui.radio_value(background, Background::Keep, "keep");
            });
            ui.end_row();
        });
        let terrains = *kind != RequestKind::Tileset || !(lower.trim().is_empty() || upper.trim().is_empty());
        let ready = !prompt.trim().is_empty() && terrains;
        if ui.add_enabled(ready, egui::Button::new("Generate")).clicked() {
            actions.push(PanelAction::Generate);
        }
    }
}

/// "Match the game's sprites": a folder of them inside `assets/` (listed by the connection
/// thread), whose colours the sprite takes, and whether it takes their size too.
fn game_sprites(ui: &mut egui::Ui, folders: &[String], folder: &mut String, match_size: &mut bool) {
    ui.horizontal(|ui| {
        let shown = if folder.is_empty() { "none" } else { folder.as_str() };
        ComboBox::from_id_salt("game-sprites")
            .selected_text(shown)
            .show_ui(ui, |ui| {
                ui.selectable_value(folder, String::new(), "none");
                for name in folders {
                    ui.selectable_value(folder, name.clone(), name);
                }
            })
            .response
            .on_hover_text("Match the game's sprites: their colours, read from assets/ when the sprite is sent");
        ui.add_enabled(!folder.is_empty(), egui::Checkbox::new(match_size, "match size"))
            .on_hover_text("the median size of the folder's sprites instead of the size above");
    });
}

/// The styles stacked after the first: a button each that removes it, and a picker of the
/// others while fewer than [`STACKED_STYLES`] are chosen in all.
fn stacked_styles(ui: &mut egui::Ui, styles: &[String], first: Option<&str>, stacked: &mut Vec<String>) {
    ui.horizontal_wrapped(|ui| {
        stacked.retain(|name| !ui.small_button(format!("{name} ✕")).on_hover_text("unstack").clicked());
        let chosen = |name: &String| first == Some(name.as_str()) || stacked.contains(name);
        let free: Vec<&String> = styles.iter().filter(|name| !chosen(name)).collect();
        if stacked.len() + 1 < STACKED_STYLES && !free.is_empty() {
            let mut added = None;
            ComboBox::from_id_salt("stack").selected_text("+ style").show_ui(ui, |ui| {
                for name in free {
                    if ui.selectable_label(false, name).clicked() {
                        added = Some(name.clone());
                    }
                }
            });
            stacked.extend(added);
        }
    });
}
