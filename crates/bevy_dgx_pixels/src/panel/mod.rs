//! The editor panel (bevy_egui): generate a sheet, follow it in the queue, preview it, Apply it
//! onto a sprite entity while the game runs, Save it under a name, Vary it (a new job redrawing
//! one of its frames) or Re-process it (its job's raw frames at other sheet settings, no
//! generation), and learn a style from marked sheets and the game's own sprites.
//!
//! The sections are plain structs over [`PanelState`] (testable without a window); the Bevy
//! systems here only draw them, poll the [`Connection`] and carry out the recorded actions.

mod preview;
mod queue;
mod remake;
mod request_form;
mod state;
mod style_trainer;
mod widgets;

use bevy_app::{App, Plugin, Update};
use bevy_asset::Assets;
use bevy_ecs::prelude::*;
use bevy_egui::{EguiContexts, EguiPlugin, EguiPrimaryContextPass, EguiTextureHandle, EguiUserTextures, egui};
use bevy_image::{Image, TextureAtlasLayout};
use bevy_input::{ButtonInput, keyboard::KeyCode};
use bevy_sprite::Sprite;
use bevy_time::{Time, Timer, TimerMode};
use dgx_pixels_protocol::{AtlasRect, GenerateRequest, JobStatus, Preset};

pub use preview::Gallery;
pub use queue::JobQueue;
pub use remake::Remake;
pub use request_form::RequestForm;
pub use state::{
    DEFAULT_DENOISE, GalleryItem, JobState, PanelAction, PanelInputs, PanelState, QueuedJob, ServerStatus,
};
pub use style_trainer::{StyleTrainer, TrainingInputs};
pub use widgets::{frame_picker_ui, next_seed, pixel_image_ui, seed_ui};

use crate::connection::{Connection, ConnectionCommand, ConnectionEvent};
use crate::{DecodedSheet, DgxPixelsSettings, DgxPixelsSystems, GeneratedSprite, PixelsSprite, SpriteMetadata};

/// File in the output folder where the panel remembers its inputs between runs.
pub const PANEL_INPUTS_FILE: &str = ".dgx-pixels-panel.ron";
/// How often the panel asks the server's health, in seconds.
pub const HEALTH_INTERVAL_S: f32 = 5.0;

/// Adds the panel; [`DgxPixelsPlugin`](crate::DgxPixelsPlugin) adds it unless `panel` is off.
/// Adds `EguiPlugin` when the app has none.
pub struct PanelPlugin;

impl Plugin for PanelPlugin {
    fn build(&self, app: &mut App) {
        if !app.is_plugin_added::<EguiPlugin>() {
            app.add_plugins(EguiPlugin::default());
        }
        let inputs = app
            .world()
            .get_resource::<DgxPixelsSettings>()
            .and_then(|settings| std::fs::read_to_string(settings.output_folder.join(PANEL_INPUTS_FILE)).ok())
            .map(|text| PanelInputs::from_ron(&text))
            .unwrap_or_default();
        app.insert_resource(PanelState { inputs, zoom: 4, ..PanelState::default() })
            .configure_sets(Update, DgxPixelsSystems::Panel.before(DgxPixelsSystems::Attach))
            .add_systems(
                Update,
                (toggle_panel, check_server_health, list_sprite_targets, poll_connection, run_panel_actions)
                    .chain()
                    .in_set(DgxPixelsSystems::Panel),
            )
            .add_systems(EguiPrimaryContextPass, draw_panel);
    }
}

/// Shows or hides the panel on the panel key.
pub fn toggle_panel(keys: Res<ButtonInput<KeyCode>>, mut settings: ResMut<DgxPixelsSettings>) {
    if keys.just_pressed(settings.panel_key) {
        settings.panel_open = !settings.panel_open;
    }
}

/// Asks the server's health and styles at start and every [`HEALTH_INTERVAL_S`] seconds.
pub fn check_server_health(
    time: Res<Time>,
    connection: Res<Connection>,
    mut state: ResMut<PanelState>,
    mut timer: Local<Option<Timer>>,
) {
    let timer = timer.get_or_insert_with(|| {
        state.actions.push(PanelAction::Refresh);
        Timer::from_seconds(HEALTH_INTERVAL_S, TimerMode::Repeating)
    });
    if timer.tick(time.delta()).just_finished() {
        connection.send(ConnectionCommand::CheckHealth);
    }
}

/// Lists the sprite entities Apply can target, by `Name` when they have one.
pub fn list_sprite_targets(
    sprites: Query<(Entity, Option<&bevy_ecs::name::Name>), With<Sprite>>,
    mut state: ResMut<PanelState>,
) {
    let targets: Vec<(Entity, String)> = sprites
        .iter()
        .map(|(entity, name)| (entity, name.map_or_else(|| format!("{entity}"), |name| name.to_string())))
        .collect();
    if state.target.is_none_or(|target| !targets.iter().any(|(e, _)| *e == target)) {
        state.target = targets.first().map(|(entity, _)| *entity);
    }
    if state.targets != targets {
        state.targets = targets;
    }
}

/// Takes what the connection thread sent: health, styles, job progress, finished sheets (turned
/// into assets and gallery items) and save results.
#[expect(clippy::too_many_arguments, reason = "one asset collection per part of a sheet")]
pub fn poll_connection(
    connection: Res<Connection>,
    mut state: ResMut<PanelState>,
    mut images: ResMut<Assets<Image>>,
    mut layouts: ResMut<Assets<TextureAtlasLayout>>,
    mut metas: ResMut<Assets<SpriteMetadata>>,
    mut sprites: ResMut<Assets<GeneratedSprite>>,
    mut textures: ResMut<EguiUserTextures>,
    settings: Res<DgxPixelsSettings>,
) {
    while let Some(event) = connection.try_recv() {
        match event {
            ConnectionEvent::Health(Ok(health)) => {
                state.server_fast = health.distill_lora.as_ref().is_some_and(|lora| lora.present);
                let backends: Vec<String> = health
                    .backends
                    .iter()
                    .map(|b| format!("{}{}", b.name, if b.ready { "" } else { " (not ready)" }))
                    .collect();
                state.server = ServerStatus::Up(format!(
                    "{} v{}, {}",
                    connection.server_name(),
                    health.version,
                    backends.join(", ")
                ));
            }
            ConnectionEvent::Health(Err(err)) => {
                state.server = ServerStatus::Down(format!("{} unreachable: {err}", connection.server_name()));
            }
            ConnectionEvent::Styles(Ok(models)) => state.styles = models.styles.into_iter().map(|s| s.name).collect(),
            ConnectionEvent::Styles(Err(err)) => state.tell(format!("cannot list styles: {err}")),
            ConnectionEvent::SpriteFolders(folders) => state.sprite_folders = folders,
            ConnectionEvent::Accepted { ticket, job_id } => {
                if let Some(job) = state.job_mut(ticket) {
                    job.job_id = Some(job_id);
                    job.state = JobState::Queued(0);
                }
            }
            ConnectionEvent::Progress { ticket, progress } => {
                if let Some(job) = state.job_mut(ticket) {
                    job.state = match (progress.status, progress.train_step) {
                        (JobStatus::Queued, _) => JobState::Queued(progress.queue_position.unwrap_or(0)),
                        (_, Some(step)) => JobState::Training(step),
                        _ => JobState::Running(progress.progress),
                    };
                }
            }
            ConnectionEvent::Trained { ticket, result } => {
                let (job_state, message) = match result.map(|job| job.style) {
                    Ok(Some(style)) => {
                        let loss = match (style.loss_start, style.loss_end) {
                            (Some(start), Some(end)) => format!(", loss {start:.4} → {end:.4}"),
                            _ => String::new(),
                        };
                        let message = format!(
                            "style {} trained on {} images in {:.0} s{loss}: pick it in Style",
                            style.name, style.images, style.seconds
                        );
                        (JobState::Done, message)
                    }
                    Ok(None) => (JobState::Done, "the training ended without a style".to_owned()),
                    Err(err) => (JobState::Failed(err.to_string()), format!("training: {err}")),
                };
                if let Some(job) = state.job_mut(ticket) {
                    match job_state {
                        JobState::Done => job.done(),
                        other => job.state = other,
                    }
                }
                state.tell(message);
                state.actions.push(PanelAction::Refresh);
            }
            ConnectionEvent::Finished { ticket, result: Ok((job, files, sheet)) } => {
                let DecodedSheet { image, layout, meta } = *sheet;
                let frames = layout
                    .textures
                    .iter()
                    .map(|r| AtlasRect { min: (r.min.x, r.min.y), max: (r.max.x, r.max.y) })
                    .collect();
                let sheet_size = (layout.size.x, layout.size.y);
                let image = images.add(image);
                let texture = textures.add_image(EguiTextureHandle::Strong(image.clone()));
                let sprite = GeneratedSprite {
                    image,
                    layout: layouts.add(layout),
                    meta: metas.add(SpriteMetadata(meta.clone())),
                };
                let sprite = sprites.add(sprite);
                state.gallery.push(GalleryItem {
                    ticket,
                    job_id: job.id,
                    sprite,
                    files,
                    meta,
                    sheet_size,
                    frames,
                    texture: Some(texture),
                });
                state.selected = Some(ticket);
                if let Some(job) = state.job_mut(ticket) {
                    job.done();
                }
            }
            ConnectionEvent::Finished { ticket, result: Err(err) } => {
                let message = format!("{err}");
                if let Some(job) = state.job_mut(ticket) {
                    job.state = JobState::Failed(message.clone());
                }
                state.tell(format!("job {ticket}: {message} (server: {})", connection.server_name()));
            }
            ConnectionEvent::Saved { name, result: Ok(_) } => {
                state.tell(format!("saved {name} in {}", settings.output_asset_folder));
            }
            ConnectionEvent::Saved { name, result: Err(err) } => state.tell(format!("cannot save {name}: {err}")),
        }
    }
}

/// Draws the panel and records what the user asked for in [`PanelState::actions`].
pub fn draw_panel(
    mut contexts: EguiContexts,
    mut state: ResMut<PanelState>,
    settings: Res<DgxPixelsSettings>,
) -> Result {
    if settings.panel_open {
        show_panel(contexts.ctx_mut()?, &mut state);
    }
    Ok(())
}

/// The panel's window: server status, form, queue, gallery and messages. Separate from the
/// system so tests and the benchmark can run it on a bare `egui::Context`.
pub fn show_panel(ctx: &egui::Context, state: &mut PanelState) {
    egui::Window::new("dgx-pixels").default_width(320.0).default_height(600.0).show(ctx, |ui| {
        match &state.server {
            ServerStatus::Unknown => ui.weak("server: asking…"),
            ServerStatus::Up(text) => ui.colored_label(egui::Color32::LIGHT_GREEN, text),
            ServerStatus::Down(text) => ui.colored_label(egui::Color32::LIGHT_RED, text),
        };
        egui::ScrollArea::vertical().max_height(580.0).show(ui, |ui| {
            RequestForm {
                inputs: &mut state.inputs,
                styles: &state.styles,
                sprite_folders: &state.sprite_folders,
                actions: &mut state.actions,
            }
            .ui(ui);
            StyleTrainer { inputs: &mut state.inputs.training, actions: &mut state.actions }.ui(ui);
            ui.separator();
            JobQueue { jobs: &state.jobs, actions: &mut state.actions }.ui(ui);
            ui.separator();
            Gallery {
                items: &state.gallery,
                selected: &mut state.selected,
                paused_frame: &mut state.paused_frame,
                targets: &state.targets,
                target: &mut state.target,
                zoom: &mut state.zoom,
                inputs: &mut state.inputs,
                actions: &mut state.actions,
            }
            .ui(ui);
            for message in &state.messages {
                ui.small(message);
            }
        });
    });
}

/// Carries out the recorded actions: sends jobs, re-processings and cancels, applies sheets to
/// the target entity (image and layout in one component), asks for saves.
pub fn run_panel_actions(
    mut commands: Commands,
    mut state: ResMut<PanelState>,
    connection: Res<Connection>,
    settings: Res<DgxPixelsSettings>,
) {
    for action in std::mem::take(&mut state.actions) {
        match action {
            PanelAction::Generate => {
                let request = state.inputs.to_request();
                send_job(&mut state, &connection, &settings, request);
            }
            PanelAction::Vary(source) => {
                let request = state.inputs.vary_request(source);
                send_job(&mut state, &connection, &settings, request);
            }
            PanelAction::Reprocess(ticket) => {
                let Some(item) = state.item(ticket) else { continue };
                let (job, request) = (item.job_id.clone(), state.inputs.sheet_request(item.meta.frames));
                let prompt = item.meta.provenance.as_ref().map_or_else(|| format!("#{ticket}"), |p| p.prompt.clone());
                let ticket = state.next_ticket();
                let label = format!("re-process: {prompt}");
                state.jobs.push(QueuedJob::new(ticket, label, JobState::Processing));
                let assets = Some(settings.assets_folder.clone());
                connection.send(ConnectionCommand::Reprocess { ticket, job, request, assets });
                remember_inputs(&state, &connection, &settings);
            }
            PanelAction::Cancel(ticket) => match state.job_mut(ticket).and_then(|job| job.job_id.clone()) {
                Some(job_id) => connection.send(ConnectionCommand::Cancel(job_id)),
                None => state.tell("the server has not accepted that job yet"),
            },
            PanelAction::Apply(ticket) => {
                let (Some(item), Some(target)) = (state.item(ticket), state.target) else { continue };
                let sprite = item.sprite.clone();
                if let Ok(mut entity) = commands.get_entity(target) {
                    entity.insert(PixelsSprite(sprite));
                }
            }
            PanelAction::Save(ticket) => {
                let Some(item) = state.item(ticket) else { continue };
                let files = item.files.clone();
                let name = state.inputs.save_name.clone();
                connection.send(ConnectionCommand::Save { files, dir: settings.output_folder.clone(), name });
            }
            PanelAction::Refresh => {
                connection.send(ConnectionCommand::CheckHealth);
                connection.send(ConnectionCommand::ListStyles);
                connection.send(ConnectionCommand::ListSpriteFolders { assets: settings.assets_folder.clone() });
            }
            PanelAction::MarkForStyle(job) => {
                state.inputs.training.toggle(&job);
                remember_inputs(&state, &connection, &settings);
            }
            PanelAction::TrainStyle => {
                let request = state.inputs.training.to_request();
                let folder = state.inputs.training.folder();
                let ticket = state.next_ticket();
                let label = format!("style: {}", request.name);
                state.jobs.push(QueuedJob::new(ticket, label, JobState::Sending));
                let assets = settings.assets_folder.clone();
                connection.send(ConnectionCommand::TrainStyle { ticket, request, assets, folder });
                remember_inputs(&state, &connection, &settings);
            }
        }
    }
}

/// Queues `request` as a new job, or tells why it cannot be sent. "Auto" (no preset) is `fast`
/// when the server has its distillation LoRA.
fn send_job(
    state: &mut PanelState,
    connection: &Connection,
    settings: &DgxPixelsSettings,
    mut request: GenerateRequest,
) {
    if request.preset.is_none() && state.server_fast {
        request.preset = Some(Preset::Fast);
    }
    if let Err(err) = request.validate() {
        return state.tell(format!("not sent: {err}"));
    }
    let ticket = state.next_ticket();
    let mut job = QueuedJob::new(ticket, request.prompt.clone(), JobState::Sending);
    job.preset = request.preset;
    state.jobs.push(job);
    connection.send(ConnectionCommand::Generate { ticket, request, assets: Some(settings.assets_folder.clone()) });
    remember_inputs(state, connection, settings);
}

/// Writes the inputs beside the saved sprites, so the next run starts from them.
fn remember_inputs(state: &PanelState, connection: &Connection, settings: &DgxPixelsSettings) {
    let path = settings.output_folder.join(PANEL_INPUTS_FILE);
    connection.send(ConnectionCommand::WriteFile { path, bytes: state.inputs.to_ron().into_bytes() });
}

#[cfg(test)]
mod tests;
