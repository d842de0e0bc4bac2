use dgx_pixels_protocol::tileset::{wang16_fits_east, wang16_fits_south};
use dgx_pixels_protocol::{AtlasLayout, GenerateRequest, JobStatus, RequestKind, SpriteMeta, SpriteSize, TilesetInfo};
use dgx_pixels_sprite::tile::{SEAMLESS_EXCESS, seam_steps};
use image::RgbaImage;

use crate::util::TestServer;

/// Seamless tiles through the server on the procedural backend, for each ground it draws and
/// sizes that do and do not divide evenly: square, opaque, centred, and no seam when the tile
/// is laid next to itself (the mean step across its border lines lies within the spread of
/// the mean steps across the lines inside it).
#[tokio::test(flavor = "multi_thread")]
async fn tiles_repeat_without_a_seam() {
    let server = TestServer::start(|_| {}).await;
    let client = &server.client;
    for (prompt, side) in [("grass", 32), ("stone brick wall", 24), ("water", 20), ("sand", 16), ("castle floor", 48)] {
        let request = GenerateRequest {
            kind: RequestKind::Tile,
            sprite: SpriteSize::new(side, side).into(),
            frames: 2,
            seed: Some(4),
            ..GenerateRequest::new(prompt)
        };
        let id = client.generate(&request, None).await.unwrap().job_id;
        let job = client.wait(&id).await.unwrap();
        assert_eq!(job.status, JobStatus::Completed, "{prompt}: {:?}", job.error);
        let sheet = image::load_from_memory(&client.sheet_png(&id).await.unwrap()).unwrap().to_rgba8();
        assert_eq!(sheet.dimensions(), (2 * side, side));
        for frame in 0..2 {
            let tile = image::imageops::crop_imm(&sheet, frame * side, 0, side, side).to_image();
            assert!(tile.pixels().all(|p| p.0[3] == 255), "{prompt}: a tile is opaque");
            let steps = seam_steps(&tile);
            assert!(steps.excess() <= SEAMLESS_EXCESS, "{prompt} at {side}px, frame {frame}: a seam {steps:?}");
        }
        let meta = SpriteMeta::from_ron(&client.sprite_ron(&id).await.unwrap()).unwrap();
        assert_eq!(meta.pivot, (0.5, 0.5), "{prompt}: a tile is placed by its centre");
    }
}

/// A `wang16` tileset through the server and the CLI: 16 tiles stacked in one column, `.sprite.ron`
/// naming each tile's corner bits, tiles 0 and 15 the two seamless terrains, and every pair the
/// layout allows side by side sharing its edge pixel for pixel (the pixels across it are a pair
/// that one terrain has across its own wrap-around).
#[tokio::test(flavor = "multi_thread")]
async fn a_tileset_autotiles_between_two_terrains() {
    let server = TestServer::start(|_| {}).await;
    let out = server.dir.path().join("cli");
    let output = tokio::task::block_in_place(|| {
        std::process::Command::new(env!("CARGO_BIN_EXE_dgx-pixels"))
            .args(["generate", "top-down", "--kind", "tileset", "--lower", "grass", "--upper", "water"])
            .args(["--size", "16x16", "--server", &server.url, "--out"])
            .arg(&out)
            .output()
            .unwrap()
    });
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let meta = SpriteMeta::from_ron(&std::fs::read_to_string(out.join("top_down.sprite.ron")).unwrap()).unwrap();
    assert_eq!(meta.tileset, Some(TilesetInfo::wang16()));
    assert_eq!((meta.frames, meta.columns, meta.pivot), (16, 1, (0.5, 0.5)));
    let atlas = AtlasLayout::from_ron(&std::fs::read_to_string(out.join("top_down.atlas.ron")).unwrap()).unwrap();
    let sheet = image::open(out.join("top_down.png")).unwrap().to_rgba8();
    assert_eq!(sheet.dimensions(), (16, 256));
    let tiles: Vec<RgbaImage> =
        atlas.textures.iter().map(|r| image::imageops::crop_imm(&sheet, r.min.0, r.min.1, 16, 16).to_image()).collect();
    let (lower, upper) = (&tiles[0], &tiles[15]);
    assert_ne!(lower, upper, "two terrains");
    for terrain in [lower, upper] {
        assert!(
            seam_steps(terrain).excess() <= SEAMLESS_EXCESS,
            "a terrain tile has a seam: {:?}",
            seam_steps(terrain)
        );
    }
    let matches = |a: &RgbaImage, b: &RgbaImage, east: bool| {
        (0..16).all(|i| {
            let (pa, pb) = if east { ((15, i), (0, i)) } else { ((i, 15), (i, 0)) };
            [lower, upper].iter().any(|t| {
                a.get_pixel(pa.0, pa.1) == t.get_pixel(pa.0, pa.1) && b.get_pixel(pb.0, pb.1) == t.get_pixel(pb.0, pb.1)
            })
        })
    };
    let mut checked = 0;
    for a in 0..16u8 {
        for b in 0..16u8 {
            let (ta, tb) = (&tiles[meta.tileset.as_ref().unwrap().frame_of(a).unwrap() as usize], &tiles[b as usize]);
            if wang16_fits_east(a, b) {
                assert!(matches(ta, tb, true), "tile {b} east of tile {a}");
                checked += 1;
            }
            if wang16_fits_south(a, b) {
                assert!(matches(ta, tb, false), "tile {b} south of tile {a}");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 128);
}

/// A `blob47` set through the server: 47 mask tiles and the plain lower tile, stacked, each
/// named by its mask in `.sprite.ron`.
#[tokio::test(flavor = "multi_thread")]
async fn a_blob_tileset_has_47_tiles_and_the_lower_one() {
    let server = TestServer::start(|_| {}).await;
    let client = &server.client;
    let request = GenerateRequest {
        kind: RequestKind::Tileset,
        lower: Some("sand".into()),
        upper: Some("grass".into()),
        layout: Some(dgx_pixels_protocol::TileLayout::Blob47),
        sprite: SpriteSize::new(16, 16).into(),
        seed: Some(2),
        ..GenerateRequest::new("top-down")
    };
    let id = client.generate(&request, None).await.unwrap().job_id;
    let job = client.wait(&id).await.unwrap();
    assert_eq!(job.status, JobStatus::Completed, "{:?}", job.error);
    let meta = SpriteMeta::from_ron(&client.sprite_ron(&id).await.unwrap()).unwrap();
    assert_eq!(meta.tileset, Some(TilesetInfo::blob47()));
    let sheet = image::load_from_memory(&client.sheet_png(&id).await.unwrap()).unwrap().to_rgba8();
    assert_eq!(sheet.dimensions(), (16, 48 * 16));
    let tile = |frame: u32| image::imageops::crop_imm(&sheet, 0, frame * 16, 16, 16).to_image();
    let (full, lower) = (tile(meta.tileset.as_ref().unwrap().frame_of(255).unwrap()), tile(47));
    assert_ne!(full, lower, "the all-upper tile and the lower tile are two terrains");
}
