//! A style's dataset, prepared when the training is submitted, as the seed describes it: every
//! sprite scaled up by a whole factor with nearest neighbour (a pixel stays a sharp block, which
//! is what the LoRA should learn) and centred on a square of the training resolution over white,
//! beside a caption file: the trigger word, then the prompt that made the sprite (from its
//! `.sprite.ron` provenance) or else its file name in words. No captioning model runs offline.
//!
//! A sheet is cut into its frames by the `.atlas.ron` beside it (a job's own sheet has one), so a
//! walk cycle gives one sample per frame; empty frames are left out. Images sent with the request
//! (`uploads`, the game's own sprites from a machine the server cannot see) are read the same
//! way, with the atlas and sprite files sent beside them. The files are written to a fresh folder
//! that the caller renames into place, so a half-written dataset is never trained.

use std::path::Path;

use base64::Engine;
use dgx_pixels_protocol::files::SpriteMeta;
use dgx_pixels_protocol::limits::TRAIN_MAX_IMAGES;
use dgx_pixels_protocol::{TrainStyleRequest, UploadedImage};
use dgx_pixels_sprite::matched_size::frames_of;
use dgx_pixels_sprite::palette_source::MAX_SIDE;
use dgx_pixels_sprite::write::{encode_png, write_atomic};
use dgx_pixels_sprite::{DecodeLimits, decode_bounded};
use image::imageops::{self, FilterType};
use image::{Rgba, RgbaImage};

use crate::deploy::AllowedRoots;
use crate::error::ApiError;
use crate::sources::{SourceFile, read_beside, read_image, source_files};
use crate::state::AppState;

/// The field every dataset error names.
const FIELD: &str = "images";

/// One training image and its caption.
struct Sample {
    image: RgbaImage,
    caption: String,
}

/// Reads `request`'s sources and writes the prepared dataset into `dir` (created): `000.png` +
/// `000.txt`, … Returns the request (moved through, not copied: its uploads can be megabytes)
/// and the number of samples. Fewer than the server's minimum or more than
/// [`TRAIN_MAX_IMAGES`] samples, or a source that cannot be read, is a 422 on `images`.
pub(crate) async fn prepare(
    state: &AppState,
    request: TrainStyleRequest,
    dir: &Path,
) -> Result<(TrainStyleRequest, u32), ApiError> {
    let mut files = Vec::new();
    for source in &request.images {
        files.extend(source_files(state, source, FIELD, TRAIN_MAX_IMAGES).await?);
    }
    let (roots, min_images, dir) = (state.roots.clone(), state.training.min_images, dir.to_path_buf());
    tokio::task::spawn_blocking(move || {
        let count = build(&roots, &files, &request, min_images, &dir)?;
        Ok((request, count))
    })
    .await
    .map_err(|err| ApiError::Internal(format!("dataset task stopped: {err}")))?
}

/// Reads the samples of `files` and of the request's uploads and writes them into `dir`
/// (blocking); see [`prepare`].
fn build(
    roots: &AllowedRoots,
    files: &[SourceFile],
    request: &TrainStyleRequest,
    min_images: usize,
    dir: &Path,
) -> Result<u32, ApiError> {
    let trigger = request.trigger();
    let too_many = || invalid(format!("the sources hold more than {TRAIN_MAX_IMAGES} images; send fewer"));
    let mut samples = Vec::new();
    for file in files {
        samples.extend(read_samples(roots, file, trigger)?);
        if samples.len() > TRAIN_MAX_IMAGES {
            return Err(too_many());
        }
    }
    for upload in &request.uploads {
        samples.extend(upload_samples(upload, trigger)?);
        if samples.len() > TRAIN_MAX_IMAGES {
            return Err(too_many());
        }
    }
    if samples.len() < min_images {
        let message =
            format!("a style needs at least {min_images} images to learn from; the sources hold {}", samples.len());
        return Err(invalid(message));
    }
    write(&samples, request.resolution, dir)?;
    Ok(u32::try_from(samples.len()).unwrap_or(u32::MAX))
}

/// The samples of one source file, its atlas and sprite files read from beside it.
fn read_samples(roots: &AllowedRoots, file: &SourceFile, trigger: &str) -> Result<Vec<Sample>, ApiError> {
    let image = read_image(roots, file).map_err(invalid)?;
    let atlas = read_beside(roots, file, &file.atlas());
    let sprite = read_beside(roots, file, &file.sprite());
    Ok(samples_of(image, atlas.as_deref(), sprite.as_deref(), &file.png, trigger))
}

/// The samples of one uploaded image, checked as a source file is (4 MiB, 4096 px a side).
fn upload_samples(upload: &UploadedImage, trigger: &str) -> Result<Vec<Sample>, ApiError> {
    let bad = |message: String| ApiError::invalid("uploads[].png", format!("`{}`: {message}", upload.name));
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(upload.png.as_bytes())
        .map_err(|err| bad(format!("not base64: {err}")))?;
    let limits = DecodeLimits { max_side: MAX_SIDE, max_pixels: u64::from(MAX_SIDE) * u64::from(MAX_SIDE) };
    let image = decode_bounded(&bytes, &limits).map_err(|err| bad(format!("not a PNG that can be read: {err}")))?;
    Ok(samples_of(image, upload.atlas.as_deref(), upload.sprite.as_deref(), Path::new(&upload.name), trigger))
}

/// Each frame `atlas` names (or the whole image without one, see [`frames_of`]), captioned
/// with the trigger and the prompt of `sprite`, else the words of `name`.
fn samples_of(image: RgbaImage, atlas: Option<&str>, sprite: Option<&str>, name: &Path, trigger: &str) -> Vec<Sample> {
    let prompt = sprite
        .and_then(|text| SpriteMeta::from_ron(text).ok())
        .and_then(|meta| meta.provenance)
        .map(|provenance| provenance.prompt);
    let described = prompt.unwrap_or_else(|| words_of(name));
    let caption = if described.is_empty() { trigger.to_owned() } else { format!("{trigger}, {described}") };
    frames_of(image, atlas).into_iter().map(|image| Sample { image, caption: caption.clone() }).collect()
}

/// A file name as words: `hero_walk-2.png` → `hero walk 2`.
fn words_of(png: &Path) -> String {
    let stem = png.file_stem().and_then(|stem| stem.to_str()).unwrap_or_default();
    stem.split(|c: char| !c.is_alphanumeric()).filter(|word| !word.is_empty()).collect::<Vec<_>>().join(" ")
}

/// `sprite` scaled by the largest whole factor that fits (nearest neighbour; a sprite larger
/// than the square is scaled down to fit) and centred on a white `side`² square.
pub(crate) fn upscaled(sprite: &RgbaImage, side: u32) -> RgbaImage {
    let longest = sprite.width().max(sprite.height()).max(1);
    let (width, height) = if longest <= side {
        let factor = side / longest;
        (sprite.width() * factor, sprite.height() * factor)
    } else {
        let scale = |v: u32| u32::try_from(u64::from(v) * u64::from(side) / u64::from(longest)).unwrap_or(1).max(1);
        (scale(sprite.width()), scale(sprite.height()))
    };
    let big = imageops::resize(sprite, width, height, FilterType::Nearest);
    let mut canvas = RgbaImage::from_pixel(side, side, Rgba([255, 255, 255, 255]));
    imageops::overlay(&mut canvas, &big, i64::from((side - width) / 2), i64::from((side - height) / 2));
    canvas
}

fn write(samples: &[Sample], resolution: u32, dir: &Path) -> Result<(), ApiError> {
    let failed = |err: &dyn std::fmt::Display| ApiError::Internal(format!("cannot write the dataset: {err}"));
    std::fs::create_dir_all(dir).map_err(|err| failed(&err))?;
    for (i, sample) in samples.iter().enumerate() {
        let png = encode_png(&upscaled(&sample.image, resolution)).map_err(|err| failed(&err))?;
        write_atomic(&dir.join(format!("{i:03}.png")), &png).map_err(|err| failed(&err))?;
        write_atomic(&dir.join(format!("{i:03}.txt")), sample.caption.as_bytes()).map_err(|err| failed(&err))?;
    }
    Ok(())
}

fn invalid(message: String) -> ApiError {
    ApiError::invalid(FIELD, message)
}

#[cfg(test)]
mod tests {
    use dgx_pixels_protocol::SpriteSize;
    use dgx_pixels_protocol::files::AtlasLayout;

    use super::*;

    #[test]
    fn a_sprite_is_scaled_by_a_whole_factor_and_centred_on_white() {
        let mut sprite = RgbaImage::from_pixel(32, 16, Rgba([0, 0, 0, 0]));
        sprite.put_pixel(0, 0, Rgba([200, 10, 10, 255]));
        let big = upscaled(&sprite, 1024);
        assert_eq!(big.dimensions(), (1024, 1024));
        // ×32: 32×16 → 1024×512, from y = 256; the red pixel is a 32-pixel block.
        assert_eq!(big.get_pixel(0, 256), &Rgba([200, 10, 10, 255]));
        assert_eq!(big.get_pixel(31, 287), &Rgba([200, 10, 10, 255]));
        assert_eq!(big.get_pixel(32, 256), &Rgba([255, 255, 255, 255]));
        assert_eq!(big.get_pixel(0, 255), &Rgba([255, 255, 255, 255]));
        assert_eq!(upscaled(&RgbaImage::new(2048, 1024), 512).dimensions(), (512, 512));
    }

    /// A sheet with its atlas and sprite files gives one sample per non-empty frame, captioned
    /// with the prompt that made it; a loose PNG gives itself, captioned with its name.
    #[test]
    fn sheets_are_cut_into_frames_and_captioned() {
        use dgx_pixels_protocol::files::Provenance;

        let root = tempfile::tempdir().unwrap();
        let frame = SpriteSize::new(8, 8);
        let mut sheet = RgbaImage::new(24, 8);
        for x in 0..16 {
            sheet.put_pixel(x, 3, Rgba([10, 200, 10, 255])); // frames 0 and 1; frame 2 is empty
        }
        sheet.save(root.path().join("knight.png")).unwrap();
        std::fs::write(root.path().join("knight.atlas.ron"), AtlasLayout::grid(frame, 3, 3, 0, 0).to_ron()).unwrap();
        let mut meta = SpriteMeta::grid("knight", frame, 3, 3, 100);
        meta.provenance = Some(Provenance {
            prompt: "knight, walk cycle".into(),
            negative_prompt: String::new(),
            style: None,
            seed: 1,
            backend: "procedural".into(),
            request_hash: String::new(),
            generator: String::new(),
        });
        std::fs::write(root.path().join("knight.sprite.ron"), meta.to_ron()).unwrap();
        RgbaImage::from_pixel(4, 4, Rgba([1, 2, 3, 255])).save(root.path().join("hero_idle.png")).unwrap();

        let roots = AllowedRoots::new(&[root.path().to_path_buf()]).unwrap();
        let file = |name: &str| SourceFile { png: root.path().join(name).canonicalize().unwrap(), from_job: false };
        let knight = read_samples(&roots, &file("knight.png"), "team").unwrap();
        assert_eq!(knight.len(), 2, "the empty third frame is left out");
        assert!(knight.iter().all(|s| s.image.dimensions() == (8, 8) && s.caption == "team, knight, walk cycle"));
        let hero = read_samples(&roots, &file("hero_idle.png"), "team").unwrap();
        assert_eq!((hero.len(), hero[0].caption.as_str()), (1, "team, hero idle"));
    }

    /// Uploads are read like files: a sheet sent with its atlas gives its frames; the dataset is
    /// each sample at the resolution beside its caption.
    #[test]
    fn uploads_become_the_dataset() {
        use base64::Engine;

        let encode = |image: &RgbaImage| base64::engine::general_purpose::STANDARD.encode(encode_png(image).unwrap());
        let sheet = RgbaImage::from_pixel(16, 8, Rgba([9, 9, 9, 255]));
        let atlas = AtlasLayout::grid(SpriteSize::new(8, 8), 2, 2, 0, 0).to_ron();
        let request = TrainStyleRequest {
            uploads: vec![
                UploadedImage { name: "walk.png".into(), png: encode(&sheet), atlas: Some(atlas), sprite: None },
                UploadedImage {
                    name: "tree_big.png".into(),
                    png: encode(&RgbaImage::from_pixel(4, 8, Rgba([0, 200, 0, 255]))),
                    atlas: None,
                    sprite: None,
                },
            ],
            resolution: 512,
            ..TrainStyleRequest::new("team", Vec::new())
        };
        let dir = tempfile::tempdir().unwrap();
        let roots = AllowedRoots::new(&[]).unwrap();
        let err = build(&roots, &[], &request, 4, dir.path()).unwrap_err();
        assert!(err.to_string().contains("at least 4 images"), "{err}");
        assert_eq!(build(&roots, &[], &request, 3, dir.path()).unwrap(), 3);
        let captions: Vec<String> =
            (0..3).map(|i| std::fs::read_to_string(dir.path().join(format!("{i:03}.txt"))).unwrap()).collect();
        assert_eq!(captions, ["team, walk", "team, walk", "team, tree big"]);
        let tree = image::open(dir.path().join("002.png")).unwrap().to_rgba8();
        assert_eq!(tree.dimensions(), (512, 512));
        // 4×8 scaled ×64 to 256×512, centred: green in the middle column, white at the sides.
        assert_eq!(tree.get_pixel(256, 10), &Rgba([0, 200, 0, 255]));
        assert_eq!(tree.get_pixel(100, 10), &Rgba([255, 255, 255, 255]));
    }

    #[test]
    fn file_names_become_words() {
        assert_eq!(words_of(Path::new("/a/hero_walk-2.png")), "hero walk 2");
        assert_eq!(words_of(Path::new("___.png")), "");
    }
}
