//! Palettes taken from existing art: the colours of a game's own sprites, so that a new sprite
//! does not look pasted in.
//!
//! The server reads sources inside its allowed roots (`palette: {"from": …}`); the CLI and the
//! plugin read the game's files on the developer's machine and send the colours. Both read the
//! same way: a PNG, or a folder's own PNGs (not its sub-folders), more than
//! [`MAX_FOLDER_IMAGES`] of them sampled evenly in name order so a huge folder costs the same as
//! a small one; each file at most [`MAX_FILE_BYTES`] and [`MAX_SIDE`] pixels a side, checked
//! before its pixels are decoded.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use dgx_pixels_protocol::{GenerateRequest, Palette, PaletteSpec, Rgb, SpriteSize};
use image::RgbaImage;

use crate::decode::{DecodeError, DecodeLimits, decode_bounded};
use crate::matched_size::{frames_of, matched_size};
use crate::quantize::{KMeansOptions, fit_palette, opaque_colors, to_palette};

/// PNGs read from one folder at most.
pub const MAX_FOLDER_IMAGES: usize = 64;
/// Largest source file read.
pub const MAX_FILE_BYTES: u64 = 32 << 20;
/// Largest source image side.
pub const MAX_SIDE: u32 = 4096;

/// Why a source image could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The file or folder cannot be read.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
    /// A folder without PNGs.
    #[error("the folder `{0}` has no PNG images")]
    EmptyFolder(PathBuf),
    /// A file over [`MAX_FILE_BYTES`].
    #[error("`{0}` is larger than 32 MiB")]
    TooLarge(PathBuf),
    /// Not a PNG, or one over [`MAX_SIDE`].
    #[error("`{path}` is not a PNG image that can be read: {source}")]
    Decode {
        /// The path.
        path: PathBuf,
        /// Why.
        source: DecodeError,
    },
}

/// The PNGs of `folder` (not of its sub-folders) in name order, sampled evenly down to
/// [`MAX_FOLDER_IMAGES`].
pub fn folder_pngs(folder: &Path) -> Result<Vec<PathBuf>, SourceError> {
    folder_pngs_up_to(folder, MAX_FOLDER_IMAGES)
}

/// The PNGs of `folder` (not of its sub-folders) in name order, sampled evenly down to `max`.
pub fn folder_pngs_up_to(folder: &Path, max: usize) -> Result<Vec<PathBuf>, SourceError> {
    let io_error = |source| SourceError::Io { path: folder.to_path_buf(), source };
    let mut pngs: Vec<PathBuf> = fs::read_dir(folder)
        .map_err(io_error)?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("png")))
        .collect();
    if pngs.is_empty() {
        return Err(SourceError::EmptyFolder(folder.to_path_buf()));
    }
    pngs.sort();
    let step = pngs.len().div_ceil(max.max(1));
    Ok(pngs.into_iter().step_by(step).collect())
}

/// The folders under `root` (not `root` itself, at most [`SPRITE_FOLDER_DEPTH`] deep, hidden
/// ones skipped) that hold PNGs of their own, as `/`-separated paths relative to `root`, sorted,
/// at most `max` of them: what a panel offers as "the game's sprites". Unreadable folders are
/// left out.
pub fn sprite_folders(root: &Path, max: usize) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![(root.to_path_buf(), 0)];
    while let Some((folder, depth)) = pending.pop() {
        let Ok(entries) = fs::read_dir(&folder) else { continue };
        let mut has_png = false;
        for entry in entries.flatten() {
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                if !hidden && depth < SPRITE_FOLDER_DEPTH {
                    pending.push((path, depth + 1));
                }
            } else if path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("png")) {
                has_png = true;
            }
        }
        if has_png && depth > 0 {
            let relative = folder.strip_prefix(root).unwrap_or(&folder);
            let parts: Vec<String> =
                relative.components().map(|part| part.as_os_str().to_string_lossy().into_owned()).collect();
            found.push(parts.join("/"));
        }
    }
    found.sort();
    found.truncate(max);
    found
}

/// How deep [`sprite_folders`] looks below its root.
pub const SPRITE_FOLDER_DEPTH: usize = 4;

/// The image at `path`, its size checked before it is read and decoded.
pub fn read_source(path: &Path) -> Result<RgbaImage, SourceError> {
    let io_error = |source| SourceError::Io { path: path.to_path_buf(), source };
    if fs::metadata(path).map_err(io_error)?.len() > MAX_FILE_BYTES {
        return Err(SourceError::TooLarge(path.to_path_buf()));
    }
    let bytes = fs::read(path).map_err(io_error)?;
    let limits = DecodeLimits { max_side: MAX_SIDE, max_pixels: u64::from(MAX_SIDE) * u64::from(MAX_SIDE) };
    decode_bounded(&bytes, &limits).map_err(|source| SourceError::Decode { path: path.to_path_buf(), source })
}

/// The images read from `path`: a PNG, or a folder's PNGs.
pub fn read_sources(path: &Path) -> Result<Vec<RgbaImage>, SourceError> {
    if path.is_dir() {
        folder_pngs(path)?.iter().map(|png| read_source(png)).collect()
    } else {
        Ok(vec![read_source(path)?])
    }
}

/// The sprites read from `path` (a PNG, or a folder's PNGs), each sheet cut into its frames by
/// the `.atlas.ron` beside it ([`frames_of`]): what `"sprite": "match"` measures.
pub fn read_source_frames(path: &Path) -> Result<Vec<RgbaImage>, SourceError> {
    let pngs = if path.is_dir() { folder_pngs(path)? } else { vec![path.to_path_buf()] };
    let mut frames = Vec::new();
    for png in pngs {
        let image = read_source(&png)?;
        frames.extend(frames_of(image, read_atlas_beside(&png).as_deref()));
    }
    Ok(frames)
}

/// `NAME.SUFFIX` beside `NAME.png` (`atlas.ron`, `sprite.ron`), whether or not it exists.
pub fn beside(png: &Path, suffix: &str) -> PathBuf {
    let stem = png.file_stem().and_then(|stem| stem.to_str()).unwrap_or_default();
    png.with_file_name(format!("{stem}.{suffix}"))
}

/// `NAME.atlas.ron` beside `NAME.png`, if it exists and is small.
fn read_atlas_beside(png: &Path) -> Option<String> {
    const MAX_BYTES: u64 = 1 << 20;
    let atlas = beside(png, "atlas.ron");
    (fs::metadata(&atlas).ok()?.len() <= MAX_BYTES).then(|| fs::read_to_string(&atlas).ok()).flatten()
}

/// What the game's own sprites at `paths` (PNGs or folders of PNGs, sheets cut by their
/// `.atlas.ron`) give a new sprite: their colours (at most `colors`, [`palette_of`]) and, when
/// `with_size`, their median sprite size ([`matched_size`]).
pub fn art_of(paths: &[PathBuf], colors: u16, with_size: bool) -> Result<(Palette, Option<SpriteSize>), String> {
    let mut frames = Vec::new();
    for path in paths {
        frames.extend(read_source_frames(path).map_err(|err| err.to_string())?);
    }
    art_of_frames(&frames, colors, with_size)
}

/// [`art_of`] for frames already read (the server reads its sources itself, inside its roots).
pub fn art_of_frames(
    frames: &[RgbaImage],
    colors: u16,
    with_size: bool,
) -> Result<(Palette, Option<SpriteSize>), String> {
    let no_pixels = || "the images have no opaque pixels to take colours from".to_owned();
    let palette = palette_of(frames, usize::from(colors)).ok_or_else(no_pixels)?;
    // Any image with an opaque pixel has a size.
    let size = if with_size { Some(matched_size(frames).ok_or_else(no_pixels)?) } else { None };
    Ok((palette, size))
}

/// `request` with what the game's own art gives it filled in ([`art_of`]): for `palette:
/// {"from": …}` the sources' colours, and for `"sprite": "match"` their size. `locate` turns a
/// source as written into the path to read (the plugin keeps it inside the assets folder). A
/// request without `from` comes back as it was. The CLI and the plugin use it for the game's
/// files, which the server cannot see.
pub fn fill_from_art(
    mut request: GenerateRequest,
    locate: impl Fn(&str) -> Result<PathBuf, String>,
) -> Result<GenerateRequest, String> {
    let Some(PaletteSpec::From(sources)) = &request.palette else { return Ok(request) };
    let paths = sources.from.iter().map(|source| locate(source)).collect::<Result<Vec<_>, _>>()?;
    let (palette, size) = art_of(&paths, request.colors, request.sprite.is_match())?;
    request.palette = Some(PaletteSpec::Colors(palette.0));
    if let Some(size) = size {
        request.sprite = size.into();
    }
    Ok(request)
}

/// The images' opaque colours (alpha ≥ 128) exactly when there are at most `max`, sorted; else
/// `max` fitted to them by the pipeline's k-means in Oklab. `None` when no pixel is opaque.
pub fn palette_of(images: &[RgbaImage], max: usize) -> Option<Palette> {
    let distinct: BTreeSet<[u8; 3]> = images
        .iter()
        .flat_map(|image| image.pixels())
        .filter(|pixel| pixel.0[3] >= 128)
        .map(|pixel| [pixel.0[0], pixel.0[1], pixel.0[2]])
        .collect();
    if distinct.is_empty() {
        None
    } else if distinct.len() <= max {
        Some(Palette(distinct.into_iter().map(Rgb).collect()))
    } else {
        Some(to_palette(&fit_palette(&opaque_colors(images), max, &KMeansOptions::default())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_colours_are_kept_exactly_and_many_are_fitted() {
        let mut image = RgbaImage::new(4, 1);
        for (x, colour) in [[10, 20, 30], [200, 100, 0], [10, 20, 30], [1, 2, 3]].into_iter().enumerate() {
            image.put_pixel(x as u32, 0, image::Rgba([colour[0], colour[1], colour[2], 255]));
        }
        let exact = palette_of(std::slice::from_ref(&image), 3).unwrap();
        assert_eq!(exact.0, vec![Rgb([1, 2, 3]), Rgb([10, 20, 30]), Rgb([200, 100, 0])]);
        assert_eq!(palette_of(std::slice::from_ref(&image), 2).unwrap().len(), 2);
        assert!(palette_of(&[RgbaImage::new(2, 2)], 4).is_none());
    }

    #[test]
    fn a_request_takes_its_palette_and_size_from_the_art() {
        let folder = tempfile::tempdir().unwrap();
        for (n, (width, height)) in [(12u32, 14u32), (12, 16), (20, 14)].into_iter().enumerate() {
            let mut sprite = RgbaImage::new(32, 32);
            for y in 0..height {
                for x in 0..width {
                    let colour = if (x + y).is_multiple_of(2) { [10, 20, 30, 255] } else { [200, 100, 0, 255] };
                    sprite.put_pixel(x + 3, y + 2, image::Rgba(colour));
                }
            }
            sprite.save(folder.path().join(format!("{n}.png"))).unwrap();
        }
        let locate = |source: &str| Ok(folder.path().join(source));
        let from = |sources: &[&str]| {
            Some(PaletteSpec::From(dgx_pixels_protocol::PaletteFrom {
                from: sources.iter().map(|s| (*s).to_owned()).collect(),
            }))
        };
        let request = GenerateRequest {
            palette: from(&["."]),
            sprite: dgx_pixels_protocol::SpriteSpec::MATCH,
            ..GenerateRequest::new("x")
        };
        let filled = fill_from_art(request, locate).unwrap();
        assert_eq!(filled.palette, Some(PaletteSpec::Colors(vec![Rgb([10, 20, 30]), Rgb([200, 100, 0])])));
        assert_eq!(filled.sprite_size(), dgx_pixels_protocol::SpriteSize::new(12, 14));
        let sized = GenerateRequest { palette: from(&["1.png"]), ..GenerateRequest::new("x") };
        assert_eq!(fill_from_art(sized, locate).unwrap().sprite_size(), dgx_pixels_protocol::SpriteSize::new(32, 32));
        let plain = GenerateRequest::new("x");
        assert_eq!(fill_from_art(plain.clone(), locate).unwrap(), plain);
        let missing = GenerateRequest { palette: from(&["nope.png"]), ..GenerateRequest::new("x") };
        assert!(fill_from_art(missing, locate).unwrap_err().contains("nope.png"));
    }

    #[test]
    fn folders_with_sprites_are_listed() {
        let root = tempfile::tempdir().unwrap();
        for folder in ["sprites", "sprites/enemies", "sounds", ".cache", "a/b/c/d/e"] {
            std::fs::create_dir_all(root.path().join(folder)).unwrap();
        }
        for png in ["top.png", "sprites/hero.png", "sprites/enemies/bat.PNG", ".cache/x.png", "a/b/c/d/e/deep.png"] {
            RgbaImage::new(1, 1).save_with_format(root.path().join(png), image::ImageFormat::Png).unwrap();
        }
        std::fs::write(root.path().join("sounds/step.ogg"), b"x").unwrap();
        assert_eq!(sprite_folders(root.path(), 10), ["sprites", "sprites/enemies"]);
        assert_eq!(sprite_folders(root.path(), 1), ["sprites"]);
        assert!(sprite_folders(&root.path().join("missing"), 10).is_empty());
    }

    #[test]
    fn big_folders_are_sampled() {
        let folder = tempfile::tempdir().unwrap();
        for n in 0..150 {
            RgbaImage::new(1, 1).save(folder.path().join(format!("{n:03}.png"))).unwrap();
        }
        std::fs::write(folder.path().join("notes.txt"), "x").unwrap();
        let sampled = folder_pngs(folder.path()).unwrap();
        assert_eq!(sampled.len(), 50, "every third of 150");
        assert!(sampled.len() <= MAX_FOLDER_IMAGES);
        assert_eq!(sampled[1].file_name().unwrap(), "003.png");
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(folder_pngs(empty.path()), Err(SourceError::EmptyFolder(_))));
    }
}
