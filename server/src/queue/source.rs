//! The image an img2img job starts from: frame `frame` of an earlier job, brought to the new
//! job's generation canvas.
//!
//! A job keeps its frames as the backend made them (`raw/{i}.png`), so the source is that raw
//! frame when it is there: it has every detail the pixel pipeline removed. A job completed before
//! raw frames were kept has only its sheet; its frame is cut out by the atlas and scaled up
//! nearest-neighbour, so that its pixels stay sharp squares for the generator to work over.
//! Either image is scaled to the canvas (nearest-neighbour) when its size differs, since the
//! canvas is the size the generator works at. Blocking disk and decoding work; runs on a blocking
//! thread. Errors are sentences for the job's `error`.

use std::path::Path;

use dgx_pixels_protocol::{AtlasLayout, SourceImage, SpriteSize};
use dgx_pixels_sprite::write::SpriteFiles;
use dgx_pixels_sprite::{DecodeLimits, decode_bounded};
use image::RgbaImage;
use image::imageops::{self, FilterType};

use crate::job_files::JobFilesDir;

/// The source of an img2img job at `canvas` size.
pub(crate) async fn load_source(
    files: &JobFilesDir,
    source: &SourceImage,
    canvas: SpriteSize,
) -> Result<RgbaImage, String> {
    let what = format!("source job `{}` frame {}", source.job, source.frame);
    let raw = files.raw_frame(&source.job, source.frame);
    let sheet = files.files(&source.job);
    let frame = source.frame;
    let loaded = tokio::task::spawn_blocking(move || {
        let raw = match raw {
            Some(path) => read_if_present(&path)?,
            None => None,
        };
        let image = match raw {
            Some(bytes) => decode(&bytes)?,
            None => cut_from_sheet(&sheet.ok_or("its job id is not a plain name")?, frame)?,
        };
        Ok::<_, String>(to_canvas(image, canvas))
    })
    .await
    .map_err(|err| format!("{what}: loading task stopped: {err}"))?;
    loaded.map_err(|err| format!("{what}: {err}"))
}

/// The file's bytes, or `None` when there is no such file.
fn read_if_present(path: &Path) -> Result<Option<Vec<u8>>, String> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(format!("cannot read {}: {err}", path.display())),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|err| format!("cannot read {}: {err}", path.display()))
}

fn decode(bytes: &[u8]) -> Result<RgbaImage, String> {
    decode_bounded(bytes, &DecodeLimits::default()).map_err(|err| format!("unreadable image: {err}"))
}

/// Frame `frame` of the sheet, by the rectangle its atlas gives. `AtlasLayout::from_ron` has
/// checked that the rectangle is not empty and lies inside the size the atlas declares; the
/// image itself may still be smaller.
fn cut_from_sheet(files: &SpriteFiles, frame: u32) -> Result<RgbaImage, String> {
    let atlas_text = String::from_utf8(read(&files.atlas)?).map_err(|err| format!("unreadable atlas: {err}"))?;
    let atlas = AtlasLayout::from_ron(&atlas_text).map_err(|err| format!("unreadable atlas: {err}"))?;
    let rect = atlas.textures.get(frame as usize).ok_or("the atlas has no such frame")?;
    let sheet = decode(&read(&files.sheet)?)?;
    if rect.max.0 > sheet.width() || rect.max.1 > sheet.height() {
        return Err("the atlas rectangle lies outside the sheet".to_owned());
    }
    let size = rect.size();
    Ok(imageops::crop_imm(&sheet, rect.min.0, rect.min.1, size.width, size.height).to_image())
}

/// `image` at the canvas size, scaled nearest-neighbour when its size differs.
fn to_canvas(image: RgbaImage, canvas: SpriteSize) -> RgbaImage {
    if image.dimensions() == (canvas.width, canvas.height) {
        image
    } else {
        imageops::resize(&image, canvas.width, canvas.height, FilterType::Nearest)
    }
}

#[cfg(test)]
mod tests {
    use dgx_pixels_protocol::{AtlasRect, JobId};
    use image::Rgba;

    use super::*;

    const CANVAS: SpriteSize = SpriteSize::new(256, 256);

    fn source(frame: u32) -> SourceImage {
        SourceImage { job: JobId("abc".into()), frame }
    }

    /// A two-frame job with only a sheet (8×8 frames side by side, the second one red).
    fn sheet_only(files: &JobFilesDir) {
        let sprite = files.files(&JobId("abc".into())).unwrap();
        std::fs::create_dir_all(sprite.sheet.parent().unwrap()).unwrap();
        let sheet =
            RgbaImage::from_fn(16, 8, |x, _| if x < 8 { Rgba([0, 0, 255, 255]) } else { Rgba([255, 0, 0, 255]) });
        sheet.save(&sprite.sheet).unwrap();
        let size = SpriteSize::new(8, 8);
        let atlas = AtlasLayout { size: (16, 8), textures: vec![AtlasRect::at(0, 0, size), AtlasRect::at(8, 0, size)] };
        std::fs::write(&sprite.atlas, atlas.to_ron()).unwrap();
    }

    #[tokio::test]
    async fn without_raw_frames_the_frame_is_cut_from_the_sheet_and_scaled_up() {
        let dir = tempfile::tempdir().unwrap();
        let files = JobFilesDir::new(dir.path());
        sheet_only(&files);
        let image = load_source(&files, &source(1), CANVAS).await.unwrap();
        assert_eq!(image.dimensions(), (256, 256));
        assert!(image.pixels().all(|p| *p == Rgba([255, 0, 0, 255])));
        let err = load_source(&files, &source(2), CANVAS).await.unwrap_err();
        assert_eq!(err, "source job `abc` frame 2: the atlas has no such frame");
    }

    #[tokio::test]
    async fn a_raw_frame_is_preferred_to_the_sheet() {
        let dir = tempfile::tempdir().unwrap();
        let files = JobFilesDir::new(dir.path());
        sheet_only(&files);
        let raw = files.raw_frame(&JobId("abc".into()), 0).unwrap();
        std::fs::create_dir_all(raw.parent().unwrap()).unwrap();
        let pattern = RgbaImage::from_fn(256, 256, |x, y| Rgba([x as u8, y as u8, 7, 255]));
        pattern.save(&raw).unwrap();
        assert_eq!(load_source(&files, &source(0), CANVAS).await.unwrap(), pattern);
        let missing = JobFilesDir::new(&dir.path().join("elsewhere"));
        let err = load_source(&missing, &source(0), CANVAS).await.unwrap_err();
        assert!(err.starts_with("source job `abc` frame 0: cannot read"), "{err}");
    }
}
