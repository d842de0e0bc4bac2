//! "Learn a style": the server trains a style (a LoRA) from sprites the user picks here, so later
//! sprites match them. Finished sheets are marked in the gallery ("Mark for style"); the game's
//! own sprites are a folder inside `assets/`, read by the plugin and sent along (the server
//! cannot see this machine's files). The training shows in the queue with its step and loss;
//! once it ends the style is in the form's list.

use bevy_egui::egui::{self, DragValue, TextEdit};
use dgx_pixels_protocol::limits::{TRAIN_STEPS, check_name};
use dgx_pixels_protocol::{JobId, TrainStyleRequest};
use serde::{Deserialize, Serialize};

use super::state::PanelAction;

/// What the user set up for a training; remembered with the other inputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainingInputs {
    /// The style's name, `[a-z0-9_-]{1,64}`.
    pub name: String,
    /// Finished jobs whose sheets are trained on (every frame).
    pub marked: Vec<JobId>,
    /// A folder of the game's own sprites, relative to `assets/`; empty for none.
    pub folder: String,
    /// Optimiser steps.
    pub steps: u32,
}

impl Default for TrainingInputs {
    fn default() -> Self {
        Self { name: "team_style".to_owned(), marked: Vec::new(), folder: String::new(), steps: 1000 }
    }
}

impl TrainingInputs {
    /// The request for the server's side of the sources: the marked jobs. The folder is read by
    /// the connection thread and added as uploads.
    pub fn to_request(&self) -> TrainStyleRequest {
        let images = self.marked.iter().map(|job| job.0.clone()).collect();
        TrainStyleRequest { steps: self.steps, ..TrainStyleRequest::new(self.name.trim(), images) }
    }

    /// The folder, if one is set.
    pub fn folder(&self) -> Option<String> {
        let folder = self.folder.trim().trim_matches('/');
        (!folder.is_empty()).then(|| folder.to_owned())
    }

    /// Marks `job` for training, or unmarks it.
    pub fn toggle(&mut self, job: &JobId) {
        match self.marked.iter().position(|marked| marked == job) {
            Some(at) => {
                self.marked.remove(at);
            }
            None => self.marked.push(job.clone()),
        }
    }

    /// Whether there is enough to send: a valid name and something to learn from.
    pub fn ready(&self) -> bool {
        check_name("name", self.name.trim()).is_ok() && (!self.marked.is_empty() || self.folder().is_some())
    }
}

/// The "Learn a style" section.
pub struct StyleTrainer<'a> {
    /// Its inputs.
    pub inputs: &'a mut TrainingInputs,
    /// Where Train is recorded.
    pub actions: &'a mut Vec<PanelAction>,
}

impl StyleTrainer<'_> {
    /// Draws the section, folded until opened.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let Self { inputs, actions } = self;
        egui::CollapsingHeader::new("Learn a style").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label("name");
                ui.add(TextEdit::singleline(&mut inputs.name).desired_width(140.0));
            });
            ui.horizontal(|ui| {
                ui.label("game sprites in assets/");
                ui.add(TextEdit::singleline(&mut inputs.folder).hint_text("sprites").desired_width(110.0));
            });
            ui.horizontal(|ui| {
                ui.label(format!("{} sheets marked in the gallery", inputs.marked.len()));
                if !inputs.marked.is_empty() && ui.small_button("clear").clicked() {
                    inputs.marked.clear();
                }
            });
            ui.horizontal(|ui| {
                ui.label("steps");
                ui.add(DragValue::new(&mut inputs.steps).range(TRAIN_STEPS));
            });
            ui.weak("At least 20 images in all; it trains on the GPU server and takes minutes.");
            if ui.add_enabled(inputs.ready(), egui::Button::new("Train style")).clicked() {
                actions.push(PanelAction::TrainStyle);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marked_jobs_and_a_folder_make_a_request() {
        let mut inputs = TrainingInputs { name: " team ".into(), folder: "/sprites/".into(), ..Default::default() };
        assert!(inputs.ready(), "a folder alone is enough");
        let job = JobId("abc".into());
        inputs.toggle(&job);
        inputs.toggle(&JobId("def".into()));
        inputs.toggle(&JobId("def".into()));
        let request = inputs.to_request();
        request.validate().unwrap();
        assert_eq!((request.name.as_str(), request.images, request.steps), ("team", vec!["abc".to_owned()], 1000));
        assert_eq!(inputs.folder().as_deref(), Some("sprites"));
        let nothing = TrainingInputs::default();
        assert!(!nothing.ready(), "nothing to learn from");
        let bad_name = TrainingInputs { name: "Team Style".into(), marked: vec![job], ..Default::default() };
        assert!(!bad_name.ready());
    }
}
