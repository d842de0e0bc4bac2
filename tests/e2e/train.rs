//! The panel's "Learn a style" against the real server: the game's sprites are read from the
//! assets folder by the plugin and sent, and the server's answer reaches the panel. (The server
//! here runs the procedural backend, which cannot train, so the answer is its refusal; a
//! training that succeeds is `server/tests/comfyui/train.rs`, on recorded ComfyUI exchanges.)

use std::time::Duration;

use bevy::prelude::*;
use bevy_dgx_pixels::panel::{JobState, PanelAction, PanelState, TrainingInputs};
use image::{Rgba, RgbaImage};

use super::util::{Project, TestServer, headless_panel_app, run_until};

const TIMEOUT: Duration = Duration::from_secs(60);

/// Sets the training inputs, presses Train and returns the panel's message once it failed.
fn train_to_failure(app: &mut App, training: TrainingInputs) -> String {
    {
        let mut state = app.world_mut().resource_mut::<PanelState>();
        state.inputs.training = training;
        state.actions.push(PanelAction::TrainStyle);
    }
    let failed = run_until(app, TIMEOUT, |app| {
        let state = app.world().resource::<PanelState>();
        state.jobs.last().is_some_and(|job| matches!(job.state, JobState::Failed(_)))
    });
    let state = app.world().resource::<PanelState>();
    assert!(failed, "no answer; jobs {:?}, messages {:?}", state.jobs, state.messages);
    assert!(state.jobs.last().unwrap().prompt.starts_with("style: "), "{:?}", state.jobs);
    state.messages.iter().rev().find(|m| m.starts_with("training")).cloned().unwrap_or_default()
}

#[test]
fn the_panel_sends_the_games_sprites_and_shows_the_servers_answer() {
    let server = TestServer::start();
    let project = Project::new();
    let sprites = project.assets().join("sprites");
    std::fs::create_dir_all(&sprites).unwrap();
    for n in 0..20u8 {
        RgbaImage::from_pixel(16, 16, Rgba([n * 10, 80, 160, 255])).save(sprites.join(format!("s{n}.png"))).unwrap();
    }
    let mut app = headless_panel_app(&project, server.setting());
    let training = |folder: &str| TrainingInputs { name: "team".into(), folder: folder.into(), ..Default::default() };
    // Read and sent: the server refuses only because its backend cannot train.
    let refused = train_to_failure(&mut app, training("sprites"));
    assert!(refused.contains("--backend comfyui"), "{refused}");
    // A folder out of the assets is never read or sent.
    let outside = train_to_failure(&mut app, training("../.."));
    assert!(outside.contains("not inside the assets folder"), "{outside}");
    let missing = train_to_failure(&mut app, training("nowhere"));
    assert!(missing.contains("not inside the assets folder"), "{missing}");
}
