//! The panel's sections driven headless through egui_kittest: no window, no GPU, no Bevy app.

use std::time::Duration;

use bevy_asset::Handle;
use bevy_ecs::entity::Entity;
use bevy_egui::egui::Key;
use bevy_egui::egui::accesskit::Role;
use dgx_pixels_protocol::{AtlasRect, JobId, Preset, SourceImage, SpriteMeta};
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
            RequestForm { inputs, styles: &styles, sprite_folders: &[], actions }.ui(ui);
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

/// With a style chosen, more can be stacked after it and unstacked again; the request lists
/// them after the first.
#[test]
fn styles_stack_after_the_chosen_one() {
    let styles = vec!["retro".to_owned(), "pixel".to_owned(), "gb".to_owned()];
    let inputs = PanelInputs {
        prompt: "knight".into(),
        style: Some("retro".into()),
        stacked: vec!["pixel".into()],
        ..PanelInputs::default()
    };
    let request = inputs.to_request();
    assert_eq!(request.style.as_deref(), Some("retro"));
    assert_eq!(request.styles.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["pixel"]);
    request.validate().unwrap();
    let form = |inputs: PanelInputs| {
        let styles = styles.clone();
        Harness::new_ui_state(
            move |ui, (inputs, actions): &mut (PanelInputs, Vec<PanelAction>)| {
                RequestForm { inputs, styles: &styles, sprite_folders: &[], actions }.ui(ui);
            },
            (inputs, Vec::new()),
        )
    };
    // Every style chosen: no picker for another one.
    let full = form(PanelInputs { stacked: vec!["pixel".into(), "gb".into()], ..inputs.clone() });
    let open = form(inputs);
    let pickers = |harness: &Harness<'_, _>| harness.query_all_by_role(Role::ComboBox).count();
    assert_eq!(pickers(&open), pickers(&full) + 1, "a picker while styles are left");
    let mut harness = open;
    harness.get_by_label("pixel ✕").click();
    harness.run();
    assert!(harness.state().0.stacked.is_empty());
    let unstyled = PanelInputs { style: None, stacked: vec!["pixel".into()], ..PanelInputs::default() };
    assert!(unstyled.to_request().styles.is_empty(), "stacked styles need a first one");
}

/// The queue shows live jobs with their progress and a Cancel button that records the job's
/// ticket; finished jobs have no Cancel.
#[test]
fn queue_shows_progress_and_cancels_live_jobs() {
    let jobs = vec![
        QueuedJob {
            job_id: Some(JobId("a".into())),
            preset: Some(Preset::Fast),
            took: Some(Duration::from_millis(610)),
            ..QueuedJob::new(1, "slime", JobState::Done)
        },
        QueuedJob { job_id: Some(JobId("b".into())), ..QueuedJob::new(2, "bat", JobState::Running(0.5)) },
    ];
    let mut harness = Harness::new_ui_state(
        move |ui, actions: &mut Vec<PanelAction>| JobQueue { jobs: &jobs, actions }.ui(ui),
        Vec::new(),
    );
    assert!(harness.query_by_label_contains("50 %").is_some(), "progress shown");
    assert!(harness.query_by_label_contains("done in 0.61 s · fast").is_some(), "time and preset shown");
    assert_eq!(harness.query_all_by_label("Cancel").count(), 1, "only the live job can be cancelled");
    harness.get_by_label("Cancel").click();
    harness.run();
    assert_eq!(harness.state(), &vec![PanelAction::Cancel(2)]);
}

/// A finished item of `frames` 8×8 frames in one row, of job `job-TICKET`.
fn gallery_item(ticket: u64, frames: u32) -> GalleryItem {
    let meta = SpriteMeta::from_ron(&format!(
        "(format: 1, name: \"x\", frame_size: (width: 8, height: 8), frames: {frames}, columns: {frames}, \
         frame_durations_ms: {:?}, tags: [], pivot: (0.5, 0.5), palette: [], provenance: None)",
        vec![100; frames as usize]
    ))
    .unwrap();
    GalleryItem {
        ticket,
        job_id: JobId(format!("job-{ticket}")),
        sprite: Handle::default(),
        files: Default::default(),
        meta,
        sheet_size: (8 * frames, 8),
        frames: (0..frames).map(|i| AtlasRect { min: (i * 8, 0), max: (i * 8 + 8, 8) }).collect(),
        texture: None,
    }
}

/// The preview says how sure the pixel grid was, and warns when it was unsure.
#[test]
fn gallery_shows_how_sure_the_pixel_grid_was() {
    let state = |selected| GalleryUi {
        selected: Some(selected),
        paused_frame: None,
        target: None,
        zoom: 4,
        inputs: PanelInputs::default(),
        actions: vec![],
    };
    let mut sure = gallery_item(1, 1);
    sure.meta.grid_confidence = Some(0.93);
    let mut unsure = gallery_item(2, 1);
    unsure.meta.grid_confidence = Some(0.31);
    let warning = "did not line up with this size";

    let harness = gallery_harness(vec![sure.clone(), unsure.clone()], state(1));
    assert!(harness.query_by_label_contains("pixel grid 93 %").is_some());
    assert!(harness.query_by_label_contains(warning).is_none());
    let harness = gallery_harness(vec![sure, unsure], state(2));
    assert!(harness.query_by_label_contains("pixel grid 31 %").is_some());
    assert!(harness.query_by_label_contains(warning).is_some());
}

/// What the gallery edits, outside it.
struct GalleryUi {
    selected: Option<u64>,
    paused_frame: Option<u32>,
    target: Option<Entity>,
    zoom: u32,
    inputs: PanelInputs,
    actions: Vec<PanelAction>,
}

/// The gallery over `items` with `state`, targeting one sprite called "hero".
fn gallery_harness(items: Vec<GalleryItem>, state: GalleryUi) -> Harness<'static, GalleryUi> {
    let targets = vec![(Entity::PLACEHOLDER, "hero".to_owned())];
    Harness::new_ui_state(
        move |ui, state: &mut GalleryUi| {
            Gallery {
                items: &items,
                selected: &mut state.selected,
                paused_frame: &mut state.paused_frame,
                targets: &targets,
                target: &mut state.target,
                zoom: &mut state.zoom,
                inputs: &mut state.inputs,
                actions: &mut state.actions,
            }
            .ui(ui);
        },
        state,
    )
}

/// A gallery item can be applied to the chosen sprite and saved under a valid name; Save is
/// refused for a name that could be a path.
#[test]
fn gallery_records_apply_and_save() {
    let inputs = PanelInputs { save_name: "knight".into(), ..PanelInputs::default() };
    let state = GalleryUi {
        selected: Some(7),
        paused_frame: None,
        target: Some(Entity::PLACEHOLDER),
        zoom: 4,
        inputs,
        actions: vec![],
    };
    let mut harness = gallery_harness(vec![gallery_item(7, 1)], state);
    harness.get_by_label("Apply").click();
    harness.run();
    harness.get_by_label("Save").click();
    harness.run();
    assert_eq!(harness.state().actions, vec![PanelAction::Apply(7), PanelAction::Save(7)]);

    harness.state_mut().inputs.save_name = "../escape".into();
    harness.run();
    harness.get_by_label("Save").click();
    harness.run();
    assert_eq!(harness.state().actions.len(), 2, "Save is disabled for a bad name");
}

/// Vary records the selected item's job and the frame the preview shows (picked on the frame
/// slider), and the request it sends carries them and the denoise slider's value; Re-process
/// records the item. Vary waits for a prompt; with nothing selected neither button is there.
#[test]
fn gallery_records_vary_and_reprocess() {
    let state = GalleryUi {
        selected: Some(3),
        paused_frame: Some(1),
        target: None,
        zoom: 4,
        inputs: PanelInputs::default(),
        actions: vec![],
    };
    let mut harness = gallery_harness(vec![gallery_item(2, 1), gallery_item(3, 4)], state);
    harness.get_by_label("Vary").click();
    harness.run();
    assert!(harness.state().actions.is_empty(), "Vary is disabled without a prompt");
    harness.state_mut().inputs.prompt = "slime, bouncing".into();
    harness.run();

    harness.get_by_role_and_label(Role::Slider, "frame").focus();
    harness.run();
    harness.key_press(Key::ArrowRight);
    harness.run();
    harness.get_by_role_and_label(Role::Slider, "denoise").focus();
    harness.run();
    for _ in 0..3 {
        harness.key_press(Key::ArrowLeft);
        harness.run();
    }
    harness.get_by_label("Vary").click();
    harness.run();
    harness.get_by_label("Re-process").click();
    harness.run();

    let GalleryUi { inputs, actions, paused_frame, .. } = harness.state();
    assert_eq!(*paused_frame, Some(2), "moving the frame slider pauses on that frame");
    assert!((inputs.denoise - 0.45).abs() < 1e-4, "denoise {}", inputs.denoise);
    let source = SourceImage { job: JobId("job-3".into()), frame: 2 };
    assert_eq!(actions, &vec![PanelAction::Vary(source.clone()), PanelAction::Reprocess(3)]);
    let request = inputs.vary_request(source.clone());
    request.validate().unwrap();
    assert_eq!((request.source, request.denoise), (Some(source), Some(inputs.denoise)));

    harness.state_mut().selected = None;
    harness.run();
    assert!(harness.query_by_label("Vary").is_none() && harness.query_by_label("Re-process").is_none());
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
            job_id: JobId(format!("job-{ticket}")),
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
        state.jobs.push(QueuedJob::new(ticket, format!("slime {ticket}"), state_of));
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
