//! `dgx-pixels pack` end to end: the real binary, real files in a temporary folder.

use std::path::Path;
use std::process::{Command, Output};

use dgx_pixels_protocol::{AtlasLayout, SpriteMeta};
use image::{Rgba, RgbaImage};

fn pack(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dgx-pixels")).current_dir(dir).arg("pack").args(args).output().unwrap()
}

fn save(dir: &Path, name: &str, w: u32, h: u32, shade: u8) {
    RgbaImage::from_pixel(w, h, Rgba([shade, 0, 0, 255])).save(dir.join(name)).unwrap();
}

fn entries(dir: &Path) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}

/// Frames of one size become a grid whose three files Bevy can load, in input order.
#[test]
fn pack_writes_a_grid_sheet_with_its_metadata() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..5 {
        save(dir.path(), &format!("f{i}.png"), 16, 12, 10 * i + 1);
    }
    let out = pack(
        dir.path(),
        &["f0.png", "f1.png", "f2.png", "f3.png", "f4.png", "-o", "walk.png", "--columns", "3", "--spacing", "1"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sheet = image::open(dir.path().join("walk.png")).unwrap().to_rgba8();
    let layout = AtlasLayout::from_ron(&std::fs::read_to_string(dir.path().join("walk.atlas.ron")).unwrap()).unwrap();
    assert_eq!(layout.size, (3 * 16 + 2, 2 * 12 + 1));
    assert_eq!(sheet.dimensions(), layout.size);
    for (i, rect) in layout.textures.iter().enumerate() {
        assert_eq!(sheet.get_pixel(rect.min.0, rect.min.1)[0], 10 * i as u8 + 1);
    }
    let meta = SpriteMeta::from_ron(&std::fs::read_to_string(dir.path().join("walk.sprite.ron")).unwrap()).unwrap();
    assert_eq!((meta.frames, meta.columns, meta.name.as_str()), (5, 3, "walk"));
    assert_eq!(meta.uniform_fps(), Some(10.0));
}

/// Mixed sizes are packed, and `--aseprite` adds Aseprite's JSON naming the sheet.
#[test]
fn pack_packs_mixed_sizes_and_writes_aseprite_json() {
    let dir = tempfile::tempdir().unwrap();
    save(dir.path(), "a.png", 20, 8, 1);
    save(dir.path(), "b.png", 6, 30, 2);
    save(dir.path(), "c.png", 9, 9, 3);
    let out = pack(dir.path(), &["a.png", "b.png", "c.png", "-o", "items.png", "--aseprite"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let layout = AtlasLayout::from_ron(&std::fs::read_to_string(dir.path().join("items.atlas.ron")).unwrap()).unwrap();
    let sizes: Vec<_> = layout.textures.iter().map(|r| (r.size().width, r.size().height)).collect();
    assert_eq!(sizes, [(20, 8), (6, 30), (9, 9)]);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("items.json")).unwrap()).unwrap();
    assert_eq!(json["meta"]["image"], "items.png");
    assert_eq!(json["frames"].as_array().unwrap().len(), 3);
}

/// Bad input gets one line on stderr, a failure status, and no output file at all.
#[test]
fn pack_refuses_bad_input_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    save(dir.path(), "ok.png", 8, 8, 1);
    std::fs::write(dir.path().join("text.png"), b"not an image").unwrap();
    let png = std::fs::read(dir.path().join("ok.png")).unwrap();
    std::fs::write(dir.path().join("cut.png"), &png[..png.len() / 2]).unwrap();
    let before = entries(dir.path());
    let cases: &[&[&str]] = &[
        &["text.png", "-o", "out.png"],
        &["cut.png", "-o", "out.png"],
        &["missing.png", "-o", "out.png"],
        &["ok.png", "-o", "no/such/dir/out.png"],
        &["ok.png", "-o", "out.txt"],
        &["ok.png", "-o", "out.png", "--fps", "0"],
        &["ok.png", "-o", "out.png", "--columns", "0"],
    ];
    for args in cases {
        let out = pack(dir.path(), args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
        assert!(!stderr.trim().is_empty(), "{args:?}: no message");
        assert_eq!(entries(dir.path()), before, "{args:?} left a file behind");
    }
}
