//! `dgx-pixels pixelize` end to end: a good run, and every kind of bad input answered with one
//! line on stderr, a non-zero exit, no panic and no output file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use image::{Rgba, RgbaImage};

#[path = "support/game_colours.rs"]
mod game_colours;
use game_colours::GAME_COLOURS;

fn pixelize(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dgx-pixels")).arg("pixelize").args(args).output().expect("running dgx-pixels")
}

/// A fake 12×10 sprite drawn with 9.6-pixel blocks on a white backdrop.
fn fake_sprite(path: &Path) {
    let image = RgbaImage::from_fn(115, 96, |x, y| {
        let (cx, cy) = ((x as f32 / 9.6) as u32, (y as f32 / 9.6) as u32);
        let inside = (2..10).contains(&cx) && (2..8).contains(&cy);
        match (inside, (cx + cy) % 3) {
            (false, _) => Rgba([255, 255, 255, 255]),
            (true, 0) => Rgba([200, 30, 30, 255]),
            (true, 1) => Rgba([30, 30, 200, 255]),
            _ => Rgba([20, 20, 20, 255]),
        }
    });
    image.save(path).expect("writing the test input");
}

/// A valid 1×1 PNG whose header is rewritten to claim `width`×`height`.
fn png_claiming(path: &Path, width: u32, height: u32) {
    let mut bytes = Vec::new();
    RgbaImage::new(1, 1)
        .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
        .expect("encoding a 1x1 PNG");
    bytes[16..20].copy_from_slice(&width.to_be_bytes());
    bytes[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32fast::hash(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    std::fs::write(path, bytes).expect("writing the test input");
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

/// Asserts a clean refusal: exit status 1, one `error:` line, no panic, no output file.
fn assert_refused(output: &Output, out_file: &Path, mentions: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line expected: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains(mentions), "`{mentions}` missing from: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!out_file.exists(), "no output may be left behind");
    let dir = out_file.parent().expect("output in a folder");
    let leftovers: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

/// A good run writes an RGBA PNG of the detected size, with the backdrop transparent.
#[test]
fn pixelizes_a_fake_sprite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (input, output) = (dir.path().join("in.png"), dir.path().join("out.png"));
    fake_sprite(&input);
    let result = pixelize(&[path_str(&input), path_str(&output), "--colors", "4"]);
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    let sprite = image::open(&output).expect("reading the output").to_rgba8();
    assert_eq!(sprite.dimensions(), (12, 10));
    // The grid it found is reported: 12×10 cells of 115/12 and 96/10 px.
    let report = String::from_utf8_lossy(&result.stderr);
    assert!(report.contains("in.png: 12×10 pixels (found), each 9.58×9.60 px of the input"), "{report}");
    assert_eq!(sprite.get_pixel(0, 0).0[3], 0, "backdrop removed");
    assert_eq!(sprite.get_pixel(5, 5).0[3], 255, "sprite kept");

    let exact = dir.path().join("exact.png");
    let result =
        pixelize(&[path_str(&input), path_str(&exact), "--size", "12x10", "--background", "keep", "--upscale", "2"]);
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    let sprite = image::open(&exact).expect("reading the output").to_rgba8();
    assert_eq!(sprite.dimensions(), (24, 20));
    assert!(String::from_utf8_lossy(&result.stderr).contains("12×10 pixels (given)"));
    assert_eq!(sprite.get_pixel(0, 0).0, [255, 255, 255, 255], "backdrop kept");
}

/// The grid's confidence is reported; a size the image's fake pixels do not lie on is flagged
/// as unsure, with what to do about it.
#[test]
fn reports_how_sure_the_grid_is() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (input, output) = (dir.path().join("in.png"), dir.path().join("out.png"));
    fake_sprite(&input);
    let confidence = |report: &str| -> f32 {
        let (_, rest) = report.split_once("grid confidence ").unwrap_or_else(|| panic!("no confidence: {report}"));
        rest.split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{report}"))
    };
    let found = pixelize(&[path_str(&input), path_str(&output), "--colors", "4"]);
    let report = String::from_utf8_lossy(&found.stderr);
    assert!(found.status.success(), "{report}");
    assert!(confidence(&report) >= 0.9, "{report}");
    assert!(!report.contains("unsure"), "{report}");

    let wrong = pixelize(&[path_str(&input), path_str(&output), "--colors", "4", "--size", "17x13"]);
    let report = String::from_utf8_lossy(&wrong.stderr);
    assert!(wrong.status.success(), "{report}");
    assert!(confidence(&report) < 0.5, "{report}");
    assert!(report.contains("unsure: the image's edges fall irregularly on the grid"), "{report}");
}

/// Every bad input gets one clear line and no output.
#[test]
fn refuses_bad_input_cleanly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out.png");
    let good = dir.path().join("good.png");
    fake_sprite(&good);

    let text = dir.path().join("not-an-image.png");
    std::fs::write(&text, "hello, I am text").expect("writing");
    assert_refused(&pixelize(&[path_str(&text), path_str(&out)]), &out, "not a supported image");

    let truncated = dir.path().join("truncated.png");
    let bytes = std::fs::read(&good).expect("reading");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("writing");
    assert_refused(&pixelize(&[path_str(&truncated), path_str(&out)]), &out, "truncated.png");

    let empty = dir.path().join("empty.png");
    png_claiming(&empty, 0, 0);
    assert_refused(&pixelize(&[path_str(&empty), path_str(&out)]), &out, "empty.png");

    let huge = dir.path().join("huge.png");
    png_claiming(&huge, 100_000, 100_000);
    assert_refused(&pixelize(&[path_str(&huge), path_str(&out)]), &out, "100000x100000");

    let missing = dir.path().join("missing.png");
    assert_refused(&pixelize(&[path_str(&missing), path_str(&out)]), &out, "cannot read");

    for colors in ["0", "300"] {
        assert_refused(
            &pixelize(&[path_str(&good), path_str(&out), "--colors", colors]),
            &out,
            "colors must be between",
        );
    }
    assert_refused(&pixelize(&[path_str(&good), path_str(&out), "--size", "500x500"]), &out, "does not fit");
    assert_refused(&pixelize(&[path_str(&good), path_str(&out), "--palette", "nope"]), &out, "unknown palette");

    let unwritable = dir.path().join("no-such-folder").join("out.png");
    assert_refused(&pixelize(&[path_str(&good), path_str(&unwritable)]), &out, "cannot write");
}

/// `--palette` takes a preset or a PNG of swatches; the output uses only those colours.
#[test]
fn uses_a_palette_from_a_png() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (input, output, swatches) = (dir.path().join("in.png"), dir.path().join("out.png"), dir.path().join("pal.png"));
    fake_sprite(&input);
    let colours = [[255u8, 0, 0], [0, 0, 255], [0, 0, 0]];
    RgbaImage::from_fn(3, 1, |x, _| {
        let [r, g, b] = colours[x as usize];
        Rgba([r, g, b, 255])
    })
    .save(&swatches)
    .expect("writing swatches");
    let result = pixelize(&[path_str(&input), path_str(&output), "--palette", path_str(&swatches)]);
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    let sprite = image::open(&output).expect("reading the output").to_rgba8();
    assert!(sprite.pixels().filter(|p| p.0[3] == 255).all(|p| colours.contains(&[p.0[0], p.0[1], p.0[2]])));
}

/// A `width`×`height` creature in the game's colours (`variant` shifts them), on transparency.
fn game_sprite(width: u32, height: u32, variant: u32) -> RgbaImage {
    RgbaImage::from_fn(width, height, |x, y| {
        let [r, g, b] = GAME_COLOURS[((x / 2 + y / 3 + variant) % 12) as usize];
        let (dx, dy) = (x as f32 + 0.5 - width as f32 / 2.0, y as f32 + 0.5 - height as f32 / 2.0);
        let inside = (dx / (width as f32 / 2.0)).powi(2) + (dy / (height as f32 / 2.0)).powi(2) <= 1.0;
        if inside { Rgba([r, g, b, 255]) } else { Rgba([0, 0, 0, 0]) }
    })
}

/// What a diffusion model gives for a sprite frame: the frame filling a 512-wide canvas (25.6
/// canvas pixels per sprite pixel, as a 20-pixel sprite on a 512² canvas gets), its backdrop
/// white, each fake pixel's edges smoothed (a 5×5 box blur) and the colours off by a
/// deterministic ±6.
fn gpu_like(frame: &RgbaImage) -> RgbaImage {
    let width = 512;
    let height = width * frame.height() / frame.width();
    let sharp = RgbaImage::from_fn(width, height, |x, y| {
        let p = *frame.get_pixel(x * frame.width() / width, y * frame.height() / height);
        if p.0[3] == 0 { Rgba([255, 255, 255, 255]) } else { p }
    });
    RgbaImage::from_fn(width, height, |x, y| {
        let mut sum = [0u32; 3];
        for dy in 0..5u32 {
            for dx in 0..5u32 {
                let p = sharp
                    .get_pixel((x + dx).saturating_sub(2).min(width - 1), (y + dy).saturating_sub(2).min(height - 1));
                (0..3).for_each(|c| sum[c] += u32::from(p.0[c]));
            }
        }
        let noise = ((x * 7 + y * 13) % 13) as i32 - 6;
        let channel = |c: usize| (sum[c] as i32 / 25 + noise).clamp(0, 255) as u8;
        Rgba([channel(0), channel(1), channel(2), 255])
    })
}

/// A folder of the game's sprites (five at 20×18 art pixels, one stored ×2, one odd-sized) gives
/// `pixelize --size match --palette-from` its size and colours: a GPU-like image of a new
/// creature comes out 20×18 with every opaque pixel one of the game's 12 colours; the size
/// matched is reported.
#[test]
fn matches_the_size_and_colours_of_the_games_sprites() {
    let dir = tempfile::tempdir().unwrap();
    let sprites = dir.path().join("sprites");
    std::fs::create_dir(&sprites).unwrap();
    for n in 0..5 {
        game_sprite(20, 18, n).save(sprites.join(format!("creature{n}.png"))).unwrap();
    }
    let big = game_sprite(20, 18, 7);
    image::imageops::resize(&big, 40, 36, image::imageops::FilterType::Nearest)
        .save(sprites.join("scaled.png"))
        .unwrap();
    game_sprite(40, 40, 3).save(sprites.join("boss.png")).unwrap();
    let input = dir.path().join("generated.png");
    gpu_like(&game_sprite(20, 18, 11)).save(&input).unwrap();
    let output = dir.path().join("sprite.png");
    let result =
        pixelize(&[path_str(&input), path_str(&output), "--size", "match", "--palette-from", path_str(&sprites)]);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "{stderr}");
    assert!(stderr.contains("20×18 pixels (matched to the sprites of --palette-from)"), "{stderr}");
    let sprite = image::open(&output).unwrap().to_rgba8();
    assert_eq!(sprite.dimensions(), (20, 18));
    let opaque: Vec<[u8; 3]> = sprite.pixels().filter(|p| p.0[3] > 0).map(|p| [p.0[0], p.0[1], p.0[2]]).collect();
    assert!(opaque.len() > 150, "the creature is there: {} pixels", opaque.len());
    assert!(opaque.iter().all(|c| GAME_COLOURS.contains(c)), "a colour outside the game's 12");

    let refused = pixelize(&[path_str(&input), path_str(&output), "--size", "match"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--palette-from"));
}
