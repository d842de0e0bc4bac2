//! The job queue: each job's prompt, live progress (a training's step and loss) and a Cancel
//! button, and once done how long it took and with which preset; re-processings (local work,
//! nothing to cancel) show there too.

use bevy_egui::egui::{self, ProgressBar};

use super::state::{JobState, PanelAction, QueuedJob};

/// The queue section.
pub struct JobQueue<'a> {
    /// The jobs, newest last.
    pub jobs: &'a [QueuedJob],
    /// Where Cancel is recorded.
    pub actions: &'a mut Vec<PanelAction>,
}

impl JobQueue<'_> {
    /// Draws the queue, newest first.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let Self { jobs, actions } = self;
        if jobs.is_empty() {
            ui.weak("No jobs yet.");
        }
        for job in jobs.iter().rev().take(8) {
            ui.horizontal(|ui| {
                let (fraction, text) = match &job.state {
                    JobState::Sending => (0.0, "sending".to_owned()),
                    JobState::Queued(ahead) => (0.0, format!("queued, {ahead} ahead")),
                    JobState::Running(progress) => (*progress, format!("{:.0} %", progress * 100.0)),
                    JobState::Training(step) => (
                        step.step as f32 / step.steps.max(1) as f32,
                        format!("step {}/{}, loss {:.4}", step.step, step.steps, step.loss),
                    ),
                    JobState::Processing => (0.0, "re-processing".to_owned()),
                    JobState::Done => (1.0, done_text(job)),
                    JobState::Failed(why) => (0.0, why.clone()),
                };
                ui.label(truncate(&job.prompt, 24));
                let busy = job.state == JobState::Processing;
                ui.add(ProgressBar::new(fraction).text(text).desired_width(160.0).animate(busy));
                let live = matches!(
                    job.state,
                    JobState::Sending | JobState::Queued(_) | JobState::Running(_) | JobState::Training(_)
                );
                if live && ui.button("Cancel").clicked() {
                    actions.push(PanelAction::Cancel(job.ticket));
                }
            });
        }
    }
}

/// "done", with the time from sending to the sheet and the preset when known.
fn done_text(job: &QueuedJob) -> String {
    let took = job.took.map(|took| format!(" in {:.2} s", took.as_secs_f32())).unwrap_or_default();
    let preset = job.preset.map(|preset| format!(" · {}", preset.as_str())).unwrap_or_default();
    format!("done{took}{preset}")
}

/// `text` cut to `max` characters with an ellipsis.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}
