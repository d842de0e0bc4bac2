//! The panel's "Game sprites" against the real server: the folders of the game's sprites are
//! offered, and a sprite made with one takes its colours and, with "match size", its size; the
//! plugin reads the folder (the server never sees it).

use std::time::Duration;

use bevy::prelude::*;
use bevy_dgx_pixels::panel::{PanelAction, PanelState};
use dgx_pixels_protocol::SpriteSize;
use image::{Rgba, RgbaImage};

use super::util::{Project, TestServer, headless_panel_app, run_until};

const TIMEOUT: Duration = Duration::from_secs(60);

/// The game's colours.
const COLOURS: [[u8; 3]; 3] = [[30, 60, 90], [200, 180, 40], [120, 20, 60]];

#[test]
fn a_sprite_takes_the_colours_and_size_of_the_games_sprites() {
    let server = TestServer::start();
    let project = Project::new();
    let sprites = project.assets().join("sprites/enemies");
    std::fs::create_dir_all(&sprites).unwrap();
    for (n, (width, height)) in [(20u32, 12u32), (20, 14), (22, 12)].into_iter().enumerate() {
        let sprite = RgbaImage::from_fn(32, 32, |x, y| {
            let inside = (4..4 + width).contains(&x) && (6..6 + height).contains(&y);
            let [r, g, b] = COLOURS[((x + y) % 3) as usize];
            if inside { Rgba([r, g, b, 255]) } else { Rgba([0, 0, 0, 0]) }
        });
        sprite.save(sprites.join(format!("bat{n}.png"))).unwrap();
    }
    let mut app = headless_panel_app(&project, server.setting());
    let listed = run_until(&mut app, TIMEOUT, |app| !app.world().resource::<PanelState>().sprite_folders.is_empty());
    assert!(listed, "no folders offered");
    assert_eq!(app.world().resource::<PanelState>().sprite_folders, ["sprites/enemies"]);
    {
        let mut state = app.world_mut().resource_mut::<PanelState>();
        state.inputs.prompt = "bat".into();
        state.inputs.frames = 1;
        state.inputs.art_folder = "sprites/enemies".into();
        state.inputs.match_size = true;
        state.actions.push(PanelAction::Generate);
    }
    let done = run_until(&mut app, TIMEOUT, |app| !app.world().resource::<PanelState>().gallery.is_empty());
    let state = app.world().resource::<PanelState>();
    assert!(done, "no sheet; jobs {:?}, messages {:?}", state.jobs, state.messages);
    let item = state.gallery.last().unwrap();
    assert_eq!(item.meta.frame_size, SpriteSize::new(20, 12), "the median size of the three");
    let mut game: Vec<[u8; 3]> = COLOURS.to_vec();
    game.sort_unstable();
    let palette: Vec<[u8; 3]> = item.meta.palette.0.iter().map(|colour| colour.0).collect();
    assert!(palette.iter().all(|colour| game.contains(colour)), "{palette:?} outside {game:?}");
}
