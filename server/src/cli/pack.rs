//! `dgx-pixels pack INPUTS... -o SHEET.png [--columns N] [--spacing N]`: existing sprites into
//! one sheet with its `.atlas.ron` and `.sprite.ron` (and Aseprite JSON on request).
//!
//! Frames of one size make a grid (an animation); mixed sizes, or `--packed`, make a packed
//! atlas. Frame order is the order of the inputs on the command line.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use dgx_pixels_protocol::{AnimationDirection, AnimationTag, Palette, Rgb, SpriteMeta, SpriteSize};
use dgx_pixels_sprite::aseprite::aseprite_json;
use dgx_pixels_sprite::atlas::{Sheet, grid_sheet, packed_sheet};
use dgx_pixels_sprite::write::{SpriteFiles, write_atomic, write_files};
use image::RgbaImage;

use super::input::read_image;

/// Flags of `dgx-pixels pack`.
#[derive(clap::Args)]
pub struct PackArgs {
    /// Sprite images (PNG), one frame each, in frame order.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// The sheet to write; `.atlas.ron` and `.sprite.ron` go beside it.
    #[arg(short, long, value_name = "SHEET.png")]
    output: PathBuf,
    /// Grid columns [default: min(frames, 8)].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    columns: Option<u32>,
    /// Transparent pixels between frames.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=256))]
    spacing: u32,
    /// Transparent pixels around the sheet.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=256))]
    padding: u32,
    /// Pack on shelves even when all frames have one size (always done for mixed sizes).
    #[arg(long)]
    packed: bool,
    /// Animation speed recorded in `.sprite.ron`.
    #[arg(long, default_value_t = 10.0)]
    fps: f32,
    /// Also write Aseprite's JSON (`SHEET.json`).
    #[arg(long)]
    aseprite: bool,
}

/// Runs the verb.
pub fn run(args: PackArgs) -> anyhow::Result<()> {
    if !(args.fps.is_finite() && (0.1..=240.0).contains(&args.fps)) {
        bail!("--fps must be between 0.1 and 240, got {}", args.fps);
    }
    if args.output.extension().is_none_or(|ext| !ext.eq_ignore_ascii_case("png")) {
        bail!("the output {} must end in .png", args.output.display());
    }
    let frames = args.inputs.iter().map(|path| read_image(path)).collect::<anyhow::Result<Vec<_>>>()?;
    let one_size = frames.windows(2).all(|pair| pair[0].dimensions() == pair[1].dimensions());
    let grid = one_size && !args.packed;
    let columns = args.columns.unwrap_or(8).min(frames.len() as u32);
    let sheet = if grid {
        grid_sheet(&frames, columns, args.spacing, args.padding)?
    } else {
        packed_sheet(&frames, args.spacing, args.padding)?
    };
    let meta = sheet_meta(&args.output, &frames, &sheet, if grid { columns } else { 0 }, args.fps);

    let files = SpriteFiles::beside(&args.output);
    write_files(&files, &sheet, &meta)?;
    if args.aseprite {
        let json_path = args.output.with_extension("json");
        let image_file = args.output.file_name().unwrap_or_default().to_string_lossy();
        let json = serde_json::to_vec_pretty(&aseprite_json(&sheet.layout, &meta, &image_file))?;
        write_atomic(&json_path, &json).with_context(|| format!("cannot write {}", json_path.display()))?;
    }
    let (w, h) = sheet.layout.size;
    println!("{}: {} frames, {w}x{h}", files.sheet.display(), frames.len());
    Ok(())
}

/// The `.sprite.ron` of a packed sheet: all frames at `fps`, one `all` tag, centre pivot, and the
/// palette when the frames use at most 256 opaque colours.
fn sheet_meta(output: &Path, frames: &[RgbaImage], sheet: &Sheet, columns: u32, fps: f32) -> SpriteMeta {
    let count = frames.len() as u32;
    let largest = SpriteSize::new(
        frames.iter().map(RgbaImage::width).max().unwrap_or(0),
        frames.iter().map(RgbaImage::height).max().unwrap_or(0),
    );
    let mut colours = BTreeSet::new();
    for pixel in sheet.image.pixels().filter(|p| p[3] > 0) {
        colours.insert(Rgb([pixel[0], pixel[1], pixel[2]]));
        if colours.len() > 256 {
            break;
        }
    }
    let palette = if colours.len() <= 256 { Palette(colours.into_iter().collect()) } else { Palette::default() };
    let name = output.file_stem().unwrap_or_default().to_string_lossy().into_owned();
    SpriteMeta {
        tags: vec![AnimationTag {
            name: "all".into(),
            first: 0,
            last: count - 1,
            direction: AnimationDirection::Forward,
        }],
        palette,
        ..SpriteMeta::grid(name, largest, count, columns, (1000.0 / fps).round() as u32)
    }
}
