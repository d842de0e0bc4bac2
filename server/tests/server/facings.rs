use dgx_pixels_protocol::{AtlasLayout, Facing, GenerateRequest, JobStatus, Rgb, SpriteMeta, SpriteSize};
use dgx_pixels_sprite::align::footing;
use image::RgbaImage;

use crate::util::TestServer;

/// A sheet's cells, row by row, cut by its atlas.
fn cells(sheet: &RgbaImage, atlas: &AtlasLayout) -> Vec<RgbaImage> {
    let cut = |r: &dgx_pixels_protocol::AtlasRect| {
        image::imageops::crop_imm(sheet, r.min.0, r.min.1, r.max.0 - r.min.0, r.max.1 - r.min.1).to_image()
    };
    atlas.textures.iter().map(cut).collect()
}

/// Largest minus smallest.
fn spread(values: impl Iterator<Item = f32>) -> f32 {
    let values: Vec<f32> = values.collect();
    values.iter().copied().fold(f32::MIN, f32::max) - values.iter().copied().fold(f32::MAX, f32::min)
}

/// An 8-direction walk through the server: a row per facing in the fixed order, tagged by
/// facing, the east rows the west rows mirrored, one palette, every cell on one baseline and
/// each row on one centre line, the pivot at the feet.
#[tokio::test(flavor = "multi_thread")]
async fn an_eight_direction_sheet_turns_one_character() {
    let server = TestServer::start(|_| {}).await;
    let client = &server.client;
    for prompt in ["red knight, walk cycle", "wolf, walk", "villager, walk"] {
        let request = GenerateRequest { directions: 8, frames: 4, seed: Some(5), ..GenerateRequest::new(prompt) };
        let id = client.generate(&request, None).await.unwrap().job_id;
        let job = client.wait(&id).await.unwrap();
        assert_eq!(job.status, JobStatus::Completed, "{:?}", job.error);
        let result = job.result.unwrap();
        assert_eq!((result.frames, result.columns, result.sheet_size), (32, 4, SpriteSize::new(128, 256)));

        let meta = SpriteMeta::from_ron(&client.sprite_ron(&id).await.unwrap()).unwrap();
        let tags: Vec<(String, u32, u32)> = meta.tags.iter().map(|t| (t.name.clone(), t.first, t.last)).collect();
        let expected: Vec<(String, u32, u32)> =
            (0..).zip(Facing::EIGHT).map(|(row, facing)| (facing.tag("walk"), row * 4, row * 4 + 3)).collect();
        assert_eq!(tags, expected, "{prompt}");

        let atlas = AtlasLayout::from_ron(&client.atlas_ron(&id).await.unwrap()).unwrap();
        let sheet = image::load_from_memory(&client.sheet_png(&id).await.unwrap()).unwrap().to_rgba8();
        let cells = cells(&sheet, &atlas);
        let row = |facing: Facing| &cells[Facing::EIGHT.iter().position(|f| *f == facing).unwrap() * 4..][..4];
        for facing in Facing::EIGHT {
            if let Some(source) = facing.mirror_source() {
                let mirrored: Vec<RgbaImage> = row(source).iter().map(image::imageops::flip_horizontal).collect();
                assert_eq!(row(facing), mirrored.as_slice(), "{prompt}: {facing} is not {source} mirrored");
            }
        }
        assert_ne!(row(Facing::S)[0], row(Facing::N)[0], "{prompt}: front and back alike");

        let footings: Vec<_> = cells.iter().map(|cell| footing(cell).expect("an empty cell")).collect();
        let baselines = spread(footings.iter().map(|f| f.baseline as f32));
        assert!(baselines <= 1.0, "{prompt}: lowest opaque rows differ by {baselines}");
        for (row, cells) in footings.chunks(4).enumerate() {
            let centres = spread(cells.iter().map(|f| f.centre_x));
            assert!(centres <= 1.0, "{prompt}: row {row} centres differ by {centres}");
        }
        let baseline = footings.iter().map(|f| f.baseline).max().unwrap();
        assert_eq!(meta.pivot, (0.5, (baseline + 1) as f32 / 32.0), "{prompt}: pivot not at the feet");
        let opaque_colours = sheet.pixels().filter(|p| p.0[3] == 255).map(|p| Rgb([p.0[0], p.0[1], p.0[2]]));
        for colour in opaque_colours {
            assert!(meta.palette.0.contains(&colour), "{prompt}: {colour:?} is not in the one palette");
        }
        // The raw frames are kept per cell, a mirrored row's flipped: one per atlas rectangle.
        assert!(client.raw_png(&id, 31).await.is_ok());
        assert!(client.raw_png(&id, 32).await.is_err());
    }
}

/// With `mirror: false` every facing is drawn (the procedural east is its own drawing, which
/// for a placeholder equals the mirror), and a 4-direction sheet has the rows `s, w, n, e`.
#[tokio::test(flavor = "multi_thread")]
async fn a_four_direction_sheet_has_four_rows() {
    let server = TestServer::start(|_| {}).await;
    let client = &server.client;
    let request = GenerateRequest {
        directions: 4,
        frames: 2,
        mirror: false,
        seed: Some(1),
        ..GenerateRequest::new("blue wizard, idle")
    };
    let id = client.generate(&request, None).await.unwrap().job_id;
    let job = client.wait(&id).await.unwrap();
    assert_eq!(job.status, JobStatus::Completed, "{:?}", job.error);
    assert_eq!(job.result.unwrap().sheet_size, SpriteSize::new(64, 128));
    let meta = SpriteMeta::from_ron(&client.sprite_ron(&id).await.unwrap()).unwrap();
    let names: Vec<&str> = meta.tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["idle_s", "idle_w", "idle_n", "idle_e"]);
}

/// `dgx-pixels generate --directions 4` writes a sheet with a row per facing; `--directions 3`
/// is refused before anything is sent.
#[tokio::test(flavor = "multi_thread")]
async fn the_cli_asks_for_directions() {
    let server = TestServer::start(|_| {}).await;
    let out = server.dir.path().join("cli");
    let run = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_dgx-pixels"))
            .args(["generate", "knight, walk", "--frames", "2", "--server", &server.url, "--out"])
            .arg(&out)
            .args(extra)
            .output()
            .unwrap()
    };
    let output = tokio::task::block_in_place(|| run(&["--directions", "4", "--no-mirror"]));
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let meta = SpriteMeta::from_ron(&std::fs::read_to_string(out.join("knight.sprite.ron")).unwrap()).unwrap();
    let names: Vec<&str> = meta.tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["walk_s", "walk_w", "walk_n", "walk_e"]);
    let sent = server.client.jobs(None, None).await.unwrap();
    assert!(sent.iter().all(|job| job.request.generate().is_some_and(|r| r.directions == 4 && !r.mirror)), "{sent:?}");
    let refused = tokio::task::block_in_place(|| run(&["--directions", "3"]));
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("directions"));
}
