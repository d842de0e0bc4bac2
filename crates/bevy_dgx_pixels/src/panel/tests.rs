//! The panel's sections driven headless through egui_kittest: no window, no GPU, no Bevy app.

use bevy_asset::Handle;
use bevy_ecs::entity::Entity;
use bevy_egui::egui::accesskit::Role;
use dgx_pixels_protocol::{AtlasRect, JobId, SpriteMeta};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use super::*;

/// Typing a prompt and pressing Generate records [`PanelAction::Generate`] with the prompt in the
/// inputs; with no prompt the button does nothing.
#[test]
fn typing_a_prompt_and_pressing_generate_records_it() {
    let styles = vec!["retro".to_owned()];
    let mut harness = Harness::new_ui_state(
        move |ui, (inputs, actions): &mut (PanelInputs, Vec<PanelAction>)| {
            RequestForm { inputs, styles: &styles, actions }.ui(ui);
        },
        (PanelInputs::default(), Vec::new()),
    );
    harness.get_by_label("Generate").click();
    harness.run();
    assert!(harness.state().1.is_empty(), "Generate is disabled without a prompt");

    let prompt = harness.get_by_role(Role::MultilineTextInput);
    prompt.click();
    harness.run();
    harness.get_by_role(Role::MultilineTextInput).type_text("knight, walk cycle");
    harness.run();
    harness.get_by_label("Generate").click();
    harness.run();
    let (inputs, actions) = harness.state();
    assert_eq!(inputs.prompt, "knight, walk cycle");
    assert_eq!(actions, &vec![PanelAction::Generate]);
    inputs.to_request().validate().unwrap();
}

/// The queue shows live jobs with their progress and a Cancel button that records the job's
/// ticket; finished jobs have no Cancel.
#[test]
fn queue_shows_progress_and_cancels_live_jobs() {
    let jobs = vec![
        QueuedJob { ticket: 1, job_id: Some(JobId("a".into())), prompt: "slime".into(), state: JobState::Done },
        QueuedJob { ticket: 2, job_id: Some(JobId("b".into())), prompt: "bat".into(), state: JobState::Running(0.5) },
    ];
    let mut harness = Harness::new_ui_state(
        move |ui, actions: &mut Vec<PanelAction>| JobQueue { jobs: &jobs, actions }.ui(ui),
        Vec::new(),
    );
    assert!(harness.query_by_label_contains("50 %").is_some(), "progress shown");
    assert_eq!(harness.query_all_by_label("Cancel").count(), 1, "only the live job can be cancelled");
    harness.get_by_label("Cancel").click();
    harness.run();
    assert_eq!(harness.state(), &vec![PanelAction::Cancel(2)]);
}

/// A gallery item can be applied to the chosen sprite and saved under a valid name; Save is
/// refused for a name that could be a path.
#[test]
fn gallery_records_apply_and_save() {
    let meta = SpriteMeta::from_ron(
        "(format: 1, name: \"x\", frame_size: (width: 8, height: 8), frames: 1, columns: 1, \
         frame_durations_ms: [100], tags: [], pivot: (0.5, 0.5), palette: [], provenance: None)",
    )
    .unwrap();
    let items = vec![GalleryItem {
        ticket: 7,
        sprite: Handle::default(),
        files: Default::default(),
        meta,
        sheet_size: (8, 8),
        frames: vec![AtlasRect { min: (0, 0), max: (8, 8) }],
        texture: None,
    }];
    let hero = Entity::PLACEHOLDER;
    let targets = vec![(hero, "hero".to_owned())];
    struct Ui {
        selected: Option<u64>,
        target: Option<Entity>,
        zoom: u32,
        name: String,
        actions: Vec<PanelAction>,
    }
    let state = Ui { selected: Some(7), target: Some(hero), zoom: 4, name: "knight".into(), actions: vec![] };
    let mut harness = Harness::new_ui_state(
        move |ui, state: &mut Ui| {
            Gallery {
                items: &items,
                selected: &mut state.selected,
                targets: &targets,
                target: &mut state.target,
                zoom: &mut state.zoom,
                save_name: &mut state.name,
                actions: &mut state.actions,
            }
            .ui(ui);
        },
        state,
    );
    harness.get_by_label("Apply").click();
    harness.run();
    harness.get_by_label("Save").click();
    harness.run();
    assert_eq!(harness.state().actions, vec![PanelAction::Apply(7), PanelAction::Save(7)]);

    harness.state_mut().name = "../escape".into();
    harness.run();
    harness.get_by_label("Save").click();
    harness.run();
    assert_eq!(harness.state().actions.len(), 2, "Save is disabled for a bad name");
}

/// Benchmark, run by `scripts/bench_plugin.sh`: the CPU cost of one panel frame (layout, shapes
/// and tessellation) with 8 jobs in the queue and 12 sheets in the gallery, on a bare egui
/// context, as bevy_egui runs it each frame. Prints p50, p95 and mean.
#[test]
#[ignore = "benchmark; run by scripts/bench_plugin.sh"]
fn bench_panel_frame() {
    let meta = SpriteMeta::from_ron(
        "(format: 1, name: \"x\", frame_size: (width: 32, height: 32), frames: 4, columns: 4, \
         frame_durations_ms: [100, 100, 100, 100], tags: [], pivot: (0.5, 0.5), palette: [], provenance: None)",
    )
    .unwrap();
    let frames = (0..4).map(|i| AtlasRect { min: (i * 32, 0), max: (i * 32 + 32, 32) }).collect::<Vec<_>>();
    let mut state = PanelState { zoom: 4, ..PanelState::default() };
    state.inputs.prompt = "knight, walk cycle, side view".into();
    state.styles = (0..6).map(|i| format!("style-{i}")).collect();
    for ticket in 1..=12 {
        state.gallery.push(GalleryItem {
            ticket,
            sprite: Handle::default(),
            files: Default::default(),
            meta: meta.clone(),
            sheet_size: (128, 32),
            frames: frames.clone(),
            texture: Some(egui::TextureId::User(ticket)),
        });
    }
    for ticket in 13..=20 {
        let state_of = if ticket % 2 == 0 { JobState::Running(0.4) } else { JobState::Queued(2) };
        state.jobs.push(QueuedJob { ticket, job_id: None, prompt: format!("slime {ticket}"), state: state_of });
    }
    state.selected = Some(12);
    state.targets = vec![(Entity::PLACEHOLDER, "hero".into())];
    state.target = Some(Entity::PLACEHOLDER);
    let ctx = egui::Context::default();
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1100.0, 640.0))),
        ..Default::default()
    };
    let mut times = Vec::new();
    for frame in 0..550 {
        let start = std::time::Instant::now();
        let mut output = ctx.run_ui(input(), |ui| show_panel(ui.ctx(), &mut state));
        // A renderer would upload the font atlas; here it is only dropped.
        output.textures_delta.clear();
        let meshes = ctx.tessellate(output.shapes, output.pixels_per_point);
        std::hint::black_box(meshes);
        if frame >= 50 {
            times.push(start.elapsed());
        }
    }
    times.sort();
    let mean = times.iter().sum::<std::time::Duration>() / times.len() as u32;
    println!(
        "panel frame: p50 {:?}, p95 {:?}, mean {:?} over {} frames",
        times[times.len() / 2],
        times[times.len() * 95 / 100],
        mean,
        times.len()
    );
}
