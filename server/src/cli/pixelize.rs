//! `dgx-pixels pixelize IN OUT [--size WxH|auto|match] [--colors N] [--palette P | --palette-from PATH…]
//! [--background keep|transparent]`: one generated, fake pixel-art image into a true sprite, in
//! the game's own colours and size if asked.
//!
//! The input is decoded with size limits checked from its header, the output is written through
//! a temporary file and a rename, so a failure at any step leaves no partial file behind. The
//! grid it used is reported on stderr (`IN: 32×32 pixels (found), each 7.94×7.94 px of the
//! input`), so a user sees what `auto` chose and can give `--size` by hand.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use dgx_pixels_protocol::{Background, Palette, Rgb, SpriteSize};
use dgx_pixels_sprite::decode::PixelMemory;
use dgx_pixels_sprite::palette_source::art_of;
use dgx_pixels_sprite::quantize::palette_from_image;
use dgx_pixels_sprite::upscale::upscale_nearest;
use dgx_pixels_sprite::write::{encode_png, write_atomic};
use dgx_pixels_sprite::{DecodeLimits, PipelineBuilder, TargetSize, decode_bounded, decode_frame};

/// Flags of `dgx-pixels pixelize`.
#[derive(clap::Args)]
pub struct PixelizeArgs {
    /// The generated image (PNG).
    input: PathBuf,
    /// The sprite to write (PNG, RGBA).
    output: PathBuf,
    /// Sprite size `WxH`, `auto` to detect the fake-pixel grid, or `match`: the median size of
    /// the sprites --palette-from reads.
    #[arg(long, default_value = "auto", value_parser = parse_size)]
    size: SizeChoice,
    /// Palette size, 2..=256; transparency counts as one colour when the sprite has any.
    #[arg(long, default_value_t = 16)]
    colors: u16,
    /// A preset (pico8, nes, gameboy, endesga32, cga, grayscale4) or a PNG whose distinct
    /// colours form the palette.
    #[arg(long, value_name = "PRESET|FILE.png", conflicts_with = "palette_from")]
    palette: Option<String>,
    /// Take the palette from the game's art: a PNG or a folder of PNGs (repeatable); its
    /// colours exactly when at most --colors, else --colors fitted to them.
    #[arg(long, value_name = "PATH")]
    palette_from: Vec<PathBuf>,
    /// Remove the backdrop (`transparent`) or keep it (`keep`, for tiles).
    #[arg(long, default_value = "transparent", value_parser = parse_background)]
    background: Background,
    /// Ordered (Bayer) dithering onto the palette.
    #[arg(long)]
    dither: bool,
    /// A 1-pixel outline in this colour, e.g. `'#000000'`.
    #[arg(long, value_name = "#rrggbb")]
    outline: Option<Rgb>,
    /// Crop to the opaque bounding box.
    #[arg(long)]
    trim: bool,
    /// Enlarge the result by this integer factor (nearest neighbour), for previews.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=32))]
    upscale: u32,
}

/// What `--size` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SizeChoice {
    /// `auto` or `WxH`.
    Target(TargetSize),
    /// `match`.
    Match,
}

/// `auto`, `match` or `WxH`.
fn parse_size(text: &str) -> Result<SizeChoice, String> {
    if text.eq_ignore_ascii_case("auto") {
        return Ok(SizeChoice::Target(TargetSize::Auto));
    }
    if text.eq_ignore_ascii_case("match") {
        return Ok(SizeChoice::Match);
    }
    let parsed = text.split_once(['x', 'X']).and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)));
    match parsed {
        Some((width, height)) if width > 0 && height > 0 => {
            Ok(SizeChoice::Target(TargetSize::Exact(SpriteSize::new(width, height))))
        }
        _ => Err(format!("expected WxH with positive numbers (e.g. 32x32), auto or match, got `{text}`")),
    }
}

/// `transparent` or `keep`.
fn parse_background(text: &str) -> Result<Background, String> {
    match text.to_ascii_lowercase().as_str() {
        "transparent" => Ok(Background::Transparent),
        "keep" => Ok(Background::Keep),
        _ => Err(format!("expected keep or transparent, got `{text}`")),
    }
}

/// A preset by name, else a PNG file's distinct colours.
fn resolve_palette(spec: &str, limits: &DecodeLimits) -> anyhow::Result<Palette> {
    if let Some(palette) = Palette::preset(spec) {
        return Ok(palette);
    }
    let path = Path::new(spec);
    if !path.is_file() {
        let presets: Vec<&str> = Palette::preset_names().collect();
        bail!("unknown palette `{spec}`: not a preset ({}) nor a PNG file", presets.join(", "));
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read palette {}", path.display()))?;
    let image = decode_bounded(&bytes, limits).with_context(|| format!("palette {}", path.display()))?;
    palette_from_image(&image, 256).with_context(|| format!("palette {}", path.display()))
}

/// The palette and size the game's sprites at `paths` give (`--palette-from`, `--size match`,
/// read by [`art_of`]); the palette is `None` without paths.
fn from_art(paths: &[PathBuf], colors: u16, size: SizeChoice) -> anyhow::Result<(Option<Palette>, TargetSize)> {
    if paths.is_empty() {
        return match size {
            SizeChoice::Target(target) => Ok((None, target)),
            SizeChoice::Match => {
                bail!("--size match measures the sprites of --palette-from; give it the game's sprites")
            }
        };
    }
    let (palette, matched) =
        art_of(paths, colors, size == SizeChoice::Match).map_err(|err| anyhow::anyhow!("--palette-from: {err}"))?;
    let target = match (size, matched) {
        (SizeChoice::Target(target), _) => target,
        (SizeChoice::Match, Some(matched)) => TargetSize::Exact(matched),
        // `art_of` measures the size when asked to.
        (SizeChoice::Match, None) => bail!("--palette-from: the sprites' size could not be measured"),
    };
    Ok((Some(palette), target))
}

/// Runs the verb.
pub fn run(args: PixelizeArgs) -> anyhow::Result<()> {
    let limits = DecodeLimits::default();
    let (art_palette, size) = from_art(&args.palette_from, args.colors, args.size)?;
    let palette = match art_palette {
        Some(palette) => Some(palette),
        None => args.palette.as_deref().map(|spec| resolve_palette(spec, &limits)).transpose()?,
    };
    let pipeline = PipelineBuilder::new()
        .size(size)
        .colors(args.colors)
        .palette(palette)
        .background(args.background)
        .dither(args.dither)
        .outline(args.outline)
        .trim(args.trim)
        .build()?;
    let input = &args.input;
    let bytes = PixelMemory::read_file(input).with_context(|| format!("cannot read {}", input.display()))?;
    let image = decode_frame(&bytes, &limits).with_context(|| format!("{}", input.display()))?;
    let result = pipeline.process(&[image]).with_context(|| format!("{}", input.display()))?;
    let Some(sprite) = result.frames.first() else {
        bail!("{}: the pipeline returned no frame", input.display());
    };
    let sprite = if args.upscale > 1 { upscale_nearest(sprite, args.upscale) } else { sprite.clone() };
    let png = encode_png(&sprite).context("cannot encode the sprite as PNG")?;
    write_atomic(&args.output, &png).with_context(|| format!("cannot write {}", args.output.display()))?;
    let how = match args.size {
        SizeChoice::Target(TargetSize::Auto) => "found",
        SizeChoice::Target(TargetSize::Exact(_)) => "given",
        SizeChoice::Match => "matched to the sprites of --palette-from",
    };
    let grid = &result.grid;
    let confidence = &result.confidence;
    eprintln!(
        "{}: {}×{} pixels ({how}), each {:.2}×{:.2} px of the input; grid confidence {:.2}",
        input.display(),
        grid.size().width,
        grid.size().height,
        grid.x.pitch(),
        grid.y.pitch(),
        confidence.score,
    );
    let auto = matches!(args.size, SizeChoice::Target(TargetSize::Auto));
    if let Some(note) = confidence.unsure_note(auto, "with --size WxH") {
        eprintln!("unsure: {note}");
    }
    Ok(())
}
