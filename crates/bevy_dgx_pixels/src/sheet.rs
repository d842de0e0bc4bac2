//! A generated sheet as Bevy assets: the [`GeneratedSprite`] asset, the [`SpriteMetadata`] asset,
//! and the decoding of the three files (`NAME.png`, `NAME.atlas.ron`, `NAME.sprite.ron`) that
//! every path into the game shares: the loaders, the panel's Apply and its preview.

use std::io::Cursor;

use bevy_asset::{Asset, Handle, RenderAssetUsages};
use bevy_image::{Image, ImageSampler, TextureAtlasLayout};
use bevy_reflect::TypePath;
use dgx_pixels_protocol::{AtlasLayout, FileFormatError, SpriteMeta};
use image::ImageReader;

use crate::layout::to_texture_atlas_layout;

/// Largest sheet side accepted from disk or the network: 64 frames of 512 px fit in 8×8 cells.
pub const MAX_SHEET_SIDE: u32 = 8 * 512 + 64;

/// A generated sprite sheet, ready to draw: its image and atlas layout, and its animation data.
///
/// The three parts are labelled sub-assets of the file it was loaded from (`#image`, `#layout`,
/// `#meta`), so a reload replaces all three in the same frame and every `Sprite` that uses the
/// handles switches image and layout together.
#[derive(Asset, TypePath, Clone, Debug)]
pub struct GeneratedSprite {
    /// The sheet, sampled nearest so pixels stay square at any zoom.
    pub image: Handle<Image>,
    /// One rectangle per frame, in frame order.
    pub layout: Handle<TextureAtlasLayout>,
    /// Frames, timing, tags, pivot and provenance from `.sprite.ron`.
    pub meta: Handle<SpriteMetadata>,
}

/// The content of a `.sprite.ron` as an asset: what a game needs beyond the layout (frame
/// durations, animation tags, pivot, palette, provenance). Played by
/// [`PixelsAnimation`](crate::PixelsAnimation).
#[derive(Asset, TypePath, Clone, Debug, PartialEq)]
pub struct SpriteMetadata(pub SpriteMeta);

impl std::ops::Deref for SpriteMetadata {
    type Target = SpriteMeta;

    fn deref(&self) -> &SpriteMeta {
        &self.0
    }
}

/// The raw bytes of one sheet's three files, as read from disk or downloaded from a job.
#[derive(Clone, Debug, Default)]
pub struct SheetFiles {
    /// `NAME.png`
    pub png: Vec<u8>,
    /// `NAME.atlas.ron`
    pub atlas: Vec<u8>,
    /// `NAME.sprite.ron`
    pub sprite: Vec<u8>,
}

/// A sheet decoded into the values that become [`GeneratedSprite`]'s sub-assets.
#[derive(Clone, Debug)]
pub struct DecodedSheet {
    /// The sheet image (RGBA8, sRGB, nearest sampling).
    pub image: Image,
    /// The frame layout.
    pub layout: TextureAtlasLayout,
    /// The `.sprite.ron` content.
    pub meta: SpriteMeta,
}

/// Why a sheet's files do not make one sprite.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SheetError {
    /// The PNG does not decode, or is larger than [`MAX_SHEET_SIDE`].
    #[error("the sheet image does not decode: {0}")]
    Image(#[from] image::ImageError),
    /// A file is not UTF-8 text.
    #[error("a metadata file is not UTF-8 text")]
    NotText,
    /// `.atlas.ron` or `.sprite.ron` is malformed.
    #[error("bad metadata: {0}")]
    Format(#[from] FileFormatError),
    /// The layout and the image disagree, e.g. because one was rewritten and the other not yet.
    #[error("the atlas is {atlas:?} but the image is {image:?}")]
    SizeMismatch {
        /// Sheet size named by `.atlas.ron`.
        atlas: (u32, u32),
        /// Size of the PNG.
        image: (u32, u32),
    },
    /// `.sprite.ron` counts a different number of frames than `.atlas.ron` has.
    #[error("the atlas has {atlas} frames but the metadata says {meta}")]
    FrameMismatch {
        /// Rectangles in `.atlas.ron`.
        atlas: usize,
        /// `frames` in `.sprite.ron`.
        meta: u32,
    },
}

impl SheetFiles {
    /// Decodes and cross-checks the three files. A pair caught half-rewritten (new layout, old
    /// image) is refused with [`SheetError::SizeMismatch`], so callers keep the old sprite.
    pub fn decode(&self) -> Result<DecodedSheet, SheetError> {
        let text = |bytes: &[u8]| std::str::from_utf8(bytes).map(str::to_owned).map_err(|_| SheetError::NotText);
        let atlas = AtlasLayout::from_ron(&text(&self.atlas)?)?;
        let meta = SpriteMeta::from_ron(&text(&self.sprite)?)?;
        let image = decode_png(&self.png)?;
        let image_size = (image.width(), image.height());
        if atlas.size != image_size {
            return Err(SheetError::SizeMismatch { atlas: atlas.size, image: image_size });
        }
        if atlas.textures.len() != meta.frames as usize {
            return Err(SheetError::FrameMismatch { atlas: atlas.textures.len(), meta: meta.frames });
        }
        Ok(DecodedSheet { image, layout: to_texture_atlas_layout(&atlas), meta })
    }
}

/// Decodes a PNG into a nearest-sampled sRGB [`Image`], refusing sheets over [`MAX_SHEET_SIDE`].
pub fn decode_png(bytes: &[u8]) -> Result<Image, image::ImageError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), image::ImageFormat::Png);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SHEET_SIDE);
    limits.max_image_height = Some(MAX_SHEET_SIDE);
    reader.limits(limits);
    let rgba = reader.decode()?.to_rgba8();
    let mut image = Image::from_dynamic(rgba.into(), true, RenderAssetUsages::default());
    image.sampler = ImageSampler::nearest();
    Ok(image)
}

#[cfg(test)]
pub(crate) mod tests {
    use dgx_pixels_protocol::SpriteSize;
    use image::RgbaImage;

    use super::*;

    /// The three files of a `frames`-frame grid sheet of `side`-pixel frames in one row.
    pub(crate) fn sheet_files(frames: u32, side: u32) -> SheetFiles {
        let layout = AtlasLayout::grid(SpriteSize::new(side, side), frames, frames, 0, 0);
        let image = RgbaImage::from_pixel(layout.size.0, layout.size.1, image::Rgba([200, 40, 40, 255]));
        let mut png = Vec::new();
        image.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        let meta = SpriteMeta::grid("test", SpriteSize::new(side, side), frames, frames, 100);
        SheetFiles { png, atlas: layout.to_ron().into_bytes(), sprite: meta.to_ron().into_bytes() }
    }

    #[test]
    fn matching_files_decode_into_image_layout_and_meta() {
        let sheet = sheet_files(4, 16).decode().unwrap();
        assert_eq!(sheet.image.width(), 64);
        assert_eq!(sheet.layout.len(), 4);
        assert_eq!(sheet.meta.frames, 4);
    }

    #[test]
    fn a_half_rewritten_pair_is_refused() {
        let mut files = sheet_files(4, 16);
        files.atlas = sheet_files(2, 16).atlas;
        assert!(matches!(files.decode(), Err(SheetError::SizeMismatch { .. })));
        let mut files = sheet_files(4, 16);
        files.sprite = sheet_files(2, 32).sprite;
        assert!(matches!(files.decode(), Err(SheetError::FrameMismatch { atlas: 4, meta: 2 })));
    }
}
