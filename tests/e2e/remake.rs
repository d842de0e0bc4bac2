//! The panel's Re-process and Vary against the real server: a sheet made again from its job's
//! raw frames without a new job, and an img2img job that lands in the gallery.

use std::collections::HashSet;
use std::time::Duration;

use bevy::prelude::*;
use bevy_dgx_pixels::panel::{GalleryItem, JobState, PanelAction, PanelState};
use dgx_pixels_client::Client;
use dgx_pixels_protocol::{Job, JobId, JobStatus, SourceImage, SpriteSize};

use super::util::{Project, TestServer, headless_panel_app, run_until};

const TIMEOUT: Duration = Duration::from_secs(60);

/// The server's jobs, newest first.
fn server_jobs(url: &str) -> Vec<Job> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let client = Client::new(url).unwrap();
    runtime.block_on(client.jobs(None, None)).unwrap()
}

/// Runs `action` and updates until the gallery grows by one or a job fails; returns the new
/// item.
fn run_to_new_item(app: &mut App, action: PanelAction) -> GalleryItem {
    let before = app.world().resource::<PanelState>().gallery.len();
    app.world_mut().resource_mut::<PanelState>().actions.push(action);
    let ended = run_until(app, TIMEOUT, |app| {
        let state = app.world().resource::<PanelState>();
        state.gallery.len() > before || state.jobs.iter().any(|job| matches!(job.state, JobState::Failed(_)))
    });
    let state = app.world().resource::<PanelState>();
    assert!(ended, "timed out; jobs {:?}, messages {:?}", state.jobs, state.messages);
    assert_eq!(state.gallery.len(), before + 1, "jobs {:?}, messages {:?}", state.jobs, state.messages);
    state.gallery.last().cloned().unwrap()
}

/// Runs `action`, expected to fail, and returns the panel's last message (about it).
fn run_to_failure(app: &mut App, action: PanelAction) -> String {
    app.world_mut().resource_mut::<PanelState>().actions.push(action);
    let failed = run_until(app, TIMEOUT, |app| {
        let state = app.world().resource::<PanelState>();
        state.jobs.last().is_some_and(|job| matches!(job.state, JobState::Failed(_)))
    });
    let state = app.world().resource::<PanelState>();
    assert!(failed, "no failure; jobs {:?}", state.jobs);
    state.messages.last().cloned().unwrap_or_default()
}

/// Opaque colours of a PNG sheet.
fn opaque_colours(png: &[u8]) -> usize {
    let image = image::load_from_memory(png).unwrap().into_rgba8();
    image.pixels().filter(|pixel| pixel.0[3] == 255).map(|pixel| pixel.0).collect::<HashSet<_>>().len()
}

/// Generate a 2-frame 32×32 sheet through the panel; Re-process it at 24×24 in 4 colours:
/// the new gallery item has that frame size (as files, metadata and assets), at most 4 colours
/// and the first job's id, and the server got no new job. (The procedural backend draws at the
/// sprite size, so its raw frames can only be made smaller; a GPU backend's are 1024 px.) Then Vary frame 1 of it: a job with
/// that source and the slider's denoise completes and lands in the gallery with its own id.
/// Re-processing an unknown job, or with the server gone, is a message, not a panic.
#[test]
fn reprocess_makes_no_job_and_vary_makes_an_img2img_job() {
    let server = TestServer::start();
    let project = Project::new();
    let mut app = headless_panel_app(&project, server.setting());
    {
        let mut state = app.world_mut().resource_mut::<PanelState>();
        state.inputs.prompt = "slime, bouncing".into();
        state.inputs.sprite_size = (32, 32);
        state.inputs.frames = 2;
        state.inputs.colors = 16;
        state.inputs.seed_locked = true;
        state.inputs.seed = 7;
    }
    let generated = run_to_new_item(&mut app, PanelAction::Generate);
    assert_eq!(generated.meta.frame_size, SpriteSize::new(32, 32));
    assert_eq!(server_jobs(&server.url).len(), 1);

    {
        let mut state = app.world_mut().resource_mut::<PanelState>();
        state.inputs.sprite_size = (24, 24);
        state.inputs.colors = 4;
    }
    let remade = run_to_new_item(&mut app, PanelAction::Reprocess(generated.ticket));
    assert_eq!(remade.job_id, generated.job_id, "a re-processed sheet keeps its job's id");
    assert_eq!((remade.meta.frame_size, remade.meta.frames), (SpriteSize::new(24, 24), 2));
    assert_eq!((remade.sheet_size, remade.frames[1].size()), ((48, 24), SpriteSize::new(24, 24)));
    assert!(remade.meta.palette.len() <= 4, "palette {:?}", remade.meta.palette);
    let colours = opaque_colours(&remade.files.png);
    assert!((1..=4).contains(&colours), "{colours} colours");
    let world = app.world();
    let sprite = world.resource::<Assets<bevy_dgx_pixels::GeneratedSprite>>().get(&remade.sprite).unwrap();
    assert_eq!(world.resource::<Assets<Image>>().get(&sprite.image).unwrap().size(), UVec2::new(48, 24));
    assert_eq!(app.world().resource::<PanelState>().selected, Some(remade.ticket), "shown in the preview");
    assert_eq!(server_jobs(&server.url).len(), 1, "re-processing made no job");

    app.world_mut().resource_mut::<PanelState>().inputs.denoise = 0.4;
    let source = SourceImage { job: remade.job_id.clone(), frame: 1 };
    let varied = run_to_new_item(&mut app, PanelAction::Vary(source.clone()));
    let jobs = server_jobs(&server.url);
    assert_eq!(jobs.len(), 2);
    let vary_job = &jobs[0];
    let vary_request = vary_job.request.generate().expect("a generate job");
    assert_eq!((vary_request.source.as_ref(), vary_request.denoise), (Some(&source), Some(0.4)));
    assert_eq!(vary_job.status, JobStatus::Completed);
    assert_eq!(varied.job_id, vary_job.id);
    assert_eq!(varied.meta.frame_size, SpriteSize::new(24, 24), "the form's size");

    let mut unknown = remade.clone();
    unknown.job_id = JobId("no-such-job".into());
    unknown.ticket = 999;
    app.world_mut().resource_mut::<PanelState>().gallery.push(unknown);
    let message = run_to_failure(&mut app, PanelAction::Reprocess(999));
    assert!(message.contains("404"), "{message}");
    drop(server);
    let message = run_to_failure(&mut app, PanelAction::Reprocess(generated.ticket));
    assert!(message.contains("cannot reach"), "{message}");
}

/// A tileset generated through the panel (16 tiles from its form's terrains) lands in the
/// gallery; Re-process on it says that tilesets are not rebuilt, rather than looking for raw
/// frames its tiles never had.
#[test]
fn a_tileset_from_the_panel_is_not_reprocessed() {
    let server = TestServer::start();
    let project = Project::new();
    let mut app = headless_panel_app(&project, server.setting());
    {
        let mut state = app.world_mut().resource_mut::<PanelState>();
        state.inputs.prompt = "top-down".into();
        state.inputs.kind = dgx_pixels_protocol::RequestKind::Tileset;
        state.inputs.sprite_size = (16, 16);
    }
    let set = run_to_new_item(&mut app, PanelAction::Generate);
    assert_eq!((set.meta.frames, set.meta.tileset.as_ref().map(|t| t.tiles.len())), (16, Some(16)));
    let message = run_to_failure(&mut app, PanelAction::Reprocess(set.ticket));
    assert!(message.contains("tileset"), "{message}");
}
