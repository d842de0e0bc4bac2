//! `"palette": {"from": […]}`: a new sprite in the colours of the game's existing art.

use std::path::Path;

use dgx_pixels_protocol::{
    GenerateRequest, JobStatus, PaletteFrom, PaletteSpec, RequestKind, Rgb, SpriteSize, SpriteSpec,
};
use image::{Rgba, RgbaImage};

use crate::game_colours::GAME_COLOURS;
use crate::util::TestServer;

/// Six 24×24 sprites drawn in the game's 12 colours on a transparent ground, as PNGs in `folder`.
fn game_sprites(folder: &Path) {
    std::fs::create_dir_all(folder).unwrap();
    for n in 0..6u32 {
        let sprite = RgbaImage::from_fn(24, 24, |x, y| {
            let inside = (x as i32 - 12).pow(2) + (y as i32 - 12).pow(2) < 100;
            let [r, g, b] = GAME_COLOURS[((x / 3 + y / 4 + n) % 12) as usize];
            if inside { Rgba([r, g, b, 255]) } else { Rgba([0, 0, 0, 0]) }
        });
        sprite.save(folder.join(format!("sprite{n}.png"))).unwrap();
    }
}

fn from(sources: &[&str]) -> Option<PaletteSpec> {
    Some(PaletteSpec::From(PaletteFrom { from: sources.iter().map(|s| (*s).to_owned()).collect() }))
}

/// Every opaque pixel of a sheet made with the palette of a folder of 12-colour sprites is one of
/// those 12; the job stores the colours, not the folder; a finished job serves as a source too.
#[tokio::test(flavor = "multi_thread")]
async fn a_sheet_takes_the_colours_of_the_games_sprites() {
    let root = tempfile::tempdir().unwrap();
    game_sprites(&root.path().join("sprites"));
    let roots = vec![root.path().to_path_buf()];
    let server = TestServer::start(|config| config.allow_roots = roots).await;
    let client = &server.client;
    let request =
        GenerateRequest { frames: 4, colors: 16, palette: from(&["sprites"]), ..GenerateRequest::new("knight") };
    let id = client.generate(&request, None).await.unwrap().job_id;
    let job = client.wait(&id).await.unwrap();
    assert_eq!(job.status, JobStatus::Completed, "{:?}", job.error);
    let expected: Vec<Rgb> = {
        let mut colours: Vec<Rgb> = GAME_COLOURS.iter().map(|c| Rgb(*c)).collect();
        colours.sort();
        colours
    };
    assert_eq!(
        job.request.generate().unwrap().palette,
        Some(PaletteSpec::Colors(expected.clone())),
        "the job keeps the colours"
    );
    let sheet = image::load_from_memory(&client.sheet_png(&id).await.unwrap()).unwrap().to_rgba8();
    let opaque: Vec<Rgb> = sheet.pixels().filter(|p| p.0[3] > 0).map(|p| Rgb([p.0[0], p.0[1], p.0[2]])).collect();
    assert!(opaque.len() > 100, "the sheet has a sprite");
    assert!(opaque.iter().all(|c| expected.contains(c)), "a colour outside the game's 12");

    // A finished job as the source, and fewer colours than the sources have: a fitted subset.
    let few = GenerateRequest { colors: 4, palette: from(&[&id.0]), ..GenerateRequest::new("slime") };
    let id = client.generate(&few, None).await.unwrap().job_id;
    let job = client.wait(&id).await.unwrap();
    match &job.request.generate().unwrap().palette {
        Some(PaletteSpec::Colors(colours)) => assert!(colours.len() <= 4 && !colours.is_empty(), "{colours:?}"),
        other => panic!("palette not resolved: {other:?}"),
    }
}

/// `dgx-pixels generate --palette-from DIR` reads the folder on the client and sends its colours
/// (the server has no allowed root, so it could not read the folder itself); an empty folder is
/// refused before anything is sent.
#[tokio::test(flavor = "multi_thread")]
async fn the_cli_sends_the_colours_of_local_sprites() {
    let game = tempfile::tempdir().unwrap();
    game_sprites(&game.path().join("sprites"));
    std::fs::create_dir_all(game.path().join("empty")).unwrap();
    let server = TestServer::start(|_| {}).await;
    let run = |folder: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_dgx-pixels"))
            .args(["generate", "knight", "--colors", "16", "--server", &server.url, "--out"])
            .arg(game.path().join("out"))
            .arg("--palette-from")
            .arg(game.path().join(folder))
            .output()
            .unwrap()
    };
    let output = tokio::task::block_in_place(|| run("sprites"));
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let jobs = server.client.jobs(None, None).await.unwrap();
    let mut expected: Vec<Rgb> = GAME_COLOURS.iter().map(|c| Rgb(*c)).collect();
    expected.sort();
    assert_eq!(jobs[0].request.generate().unwrap().palette, Some(PaletteSpec::Colors(expected)));
    let refused = tokio::task::block_in_place(|| run("empty"));
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("no PNG images"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_eq!(server.client.jobs(None, None).await.unwrap().len(), 1, "nothing sent for the empty folder");
}

/// Each bad source is a 422 on `palette.from`, and nothing is queued.
#[tokio::test(flavor = "multi_thread")]
async fn bad_palette_sources_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    game_sprites(&root.path().join("sprites"));
    game_sprites(&outside.path().join("secret"));
    std::fs::create_dir_all(root.path().join("empty")).unwrap();
    std::fs::write(root.path().join("notes.png"), b"not a png at all").unwrap();
    RgbaImage::new(4097, 1).save(root.path().join("wide.png")).unwrap();
    std::fs::create_dir_all(root.path().join("linked")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret/sprite0.png"), root.path().join("linked/a.png")).unwrap();
    let roots = vec![root.path().to_path_buf()];
    let server = TestServer::start(|config| config.allow_roots = roots).await;
    let outside_path = outside.path().join("secret").display().to_string();
    for source in ["empty", "missing", "notes.png", "wide.png", "linked", "../", outside_path.as_str()] {
        let request = GenerateRequest { palette: from(&[source]), ..GenerateRequest::new("knight") };
        let err = server.client.generate(&request, None).await.unwrap_err();
        assert_eq!(err.status(), Some(422), "{source}: {err}");
        assert_eq!(err.body().and_then(|body| body.field.as_deref()), Some("palette.from"), "{source}: {err}");
    }
    let none = GenerateRequest { palette: from(&[]), ..GenerateRequest::new("knight") };
    assert_eq!(server.client.generate(&none, None).await.unwrap_err().status(), Some(422));
    assert!(server.client.jobs(None, None).await.unwrap().is_empty(), "a refused request was queued");
}

/// `"sprite": "match"`: the frame size of the game's sprites (each 24×24 with a 19×19 creature,
/// one more stored ×2 and one sheet of two cut by its atlas), resolved when the job is
/// submitted and stored; the sheet has frames of that size in the game's colours. The CLI's
/// `--size match` measures local files the same way and says what it found.
#[tokio::test(flavor = "multi_thread")]
async fn the_size_is_matched_to_the_games_sprites() {
    let root = tempfile::tempdir().unwrap();
    let sprites = root.path().join("sprites");
    game_sprites(&sprites);
    let big = image::open(sprites.join("sprite0.png")).unwrap().to_rgba8();
    image::imageops::resize(&big, 48, 48, image::imageops::FilterType::Nearest).save(sprites.join("x2.png")).unwrap();
    let roots = vec![root.path().to_path_buf()];
    let server = TestServer::start(|config| config.allow_roots = roots).await;
    let client = &server.client;
    let request = GenerateRequest {
        frames: 2,
        sprite: SpriteSpec::MATCH,
        palette: from(&["sprites"]),
        ..GenerateRequest::new("knight")
    };
    let id = client.generate(&request, None).await.unwrap().job_id;
    let job = client.wait(&id).await.unwrap();
    assert_eq!(job.status, JobStatus::Completed, "{:?}", job.error);
    assert_eq!(job.request.generate().unwrap().sprite, SpriteSize::new(19, 19).into(), "the job keeps the size");
    let sheet = image::load_from_memory(&client.sheet_png(&id).await.unwrap()).unwrap().to_rgba8();
    assert_eq!(sheet.dimensions(), (38, 19), "two frames of 19×19");

    let game = tempfile::tempdir().unwrap();
    let output = tokio::task::block_in_place(|| {
        std::process::Command::new(env!("CARGO_BIN_EXE_dgx-pixels"))
            .args(["generate", "slime", "--size", "match", "--server", &server.url, "--out"])
            .arg(game.path())
            .arg("--palette-from")
            .arg(&sprites)
            .output()
            .unwrap()
    });
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("--size match: 19x19"), "{stderr}");
    let jobs = client.jobs(None, None).await.unwrap();
    assert_eq!(jobs[0].request.generate().unwrap().sprite_size(), SpriteSize::new(19, 19));
}

/// `"match"` needs `palette.from` (422 on `sprite`); a tile matched to sprites that are not
/// square is a 422 on `sprite` too; nothing is queued.
#[tokio::test(flavor = "multi_thread")]
async fn a_match_that_cannot_be_made_is_refused() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("wide")).unwrap();
    let stripes = RgbaImage::from_fn(20, 12, |x, _| Rgba([if x.is_multiple_of(2) { 200 } else { 30 }, 30, 30, 255]));
    stripes.save(root.path().join("wide/a.png")).unwrap();
    let roots = vec![root.path().to_path_buf()];
    let server = TestServer::start(|config| config.allow_roots = roots).await;
    let alone = GenerateRequest { sprite: SpriteSpec::MATCH, ..GenerateRequest::new("knight") };
    let tile = GenerateRequest {
        kind: RequestKind::Tile,
        sprite: SpriteSpec::MATCH,
        palette: from(&["wide"]),
        ..GenerateRequest::new("grass")
    };
    for request in [alone, tile] {
        let err = server.client.generate(&request, None).await.unwrap_err();
        assert_eq!(err.status(), Some(422), "{err}");
        assert_eq!(err.body().and_then(|body| body.field.as_deref()), Some("sprite"), "{err}");
    }
    let raw = reqwest::Client::new()
        .post(format!("{}/api/v1/generate", server.url))
        .json(&serde_json::json!({"prompt": "knight", "sprite": "big"}))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 422, "a word other than match");
    assert!(server.client.jobs(None, None).await.unwrap().is_empty(), "a refused request was queued");
}
