//! The accepted range of every request field, and the error that names the field breaking it.
//!
//! The ranges are the ones `DESIGN.md` fixes for `POST /api/v1/generate`. They live here, apart
//! from the request type, so that the server, the CLI and the Bevy panel can show or clamp to
//! them without duplicating numbers.

use std::ops::RangeInclusive;

/// Characters allowed in `prompt` (at least one).
pub const PROMPT_CHARS: RangeInclusive<usize> = 1..=2000;
/// Characters allowed in `negative_prompt`.
pub const NEGATIVE_PROMPT_MAX_CHARS: usize = 2000;
/// LoRA strength.
pub const LORA_STRENGTH: RangeInclusive<f32> = 0.0..=2.0;
/// Final pixel width or height of one frame.
pub const SPRITE_SIDE: RangeInclusive<u32> = 8..=512;
/// Frames in one sheet.
pub const FRAMES: RangeInclusive<u32> = 1..=64;
/// Cells in one sheet: `frames` for each of its `directions`.
pub const SHEET_CELLS: u32 = 64;
/// Palette size.
pub const COLORS: RangeInclusive<u16> = 2..=256;
/// Colours in an explicit palette list.
pub const PALETTE_LIST: RangeInclusive<usize> = 1..=256;
/// Diffusion steps.
pub const STEPS: RangeInclusive<u32> = 1..=150;
/// Classifier-free guidance scale.
pub const GUIDANCE_SCALE: RangeInclusive<f32> = 0.0..=30.0;
/// Generation canvas side, in pixels.
pub const CANVAS_SIDE: RangeInclusive<u32> = 256..=2048;
/// The generation canvas must be a multiple of this (the VAE's downscale factor).
pub const CANVAS_MULTIPLE: u32 = 8;
/// Length of an asset `name`.
pub const NAME_CHARS: RangeInclusive<usize> = 1..=64;
/// Length of a style name.
pub const STYLE_MAX_CHARS: usize = 128;
/// Sources one `palette: {"from": […]}` may name.
pub const PALETTE_SOURCES: RangeInclusive<usize> = 1..=16;
/// Longest path or job id a request may carry.
pub const PATH_MAX_CHARS: usize = 4096;
/// Most styles one request stacks (`style` and `styles` together): each is one more LoRA
/// patched into the model.
pub const STACKED_STYLES: usize = 4;
/// How much of a source image an img2img job redraws: above 0, since nothing redrawn is a copy,
/// up to 1, where the source is ignored.
pub const DENOISE: RangeInclusive<f32> = 0.05..=1.0;
/// The denoise of an img2img job whose request does not say: enough to give a visible variation
/// that keeps the source's layout and colours. Clients show it as their starting value.
pub const DEFAULT_DENOISE: f32 = 0.6;
/// Fewest images a style is trained on unless the server is configured otherwise: fewer give a
/// LoRA that copies them rather than a style.
pub const DEFAULT_TRAIN_MIN_IMAGES: usize = 20;
/// Most images a style is trained on: more than the seed's 20–100 only make the dataset slow to
/// prepare and upload.
pub const TRAIN_MAX_IMAGES: usize = 200;
/// Sources one `POST /api/v1/styles/train` may name (each a job, an image or a folder).
pub const TRAIN_SOURCES: RangeInclusive<usize> = 1..=64;
/// Length of an uploaded training image's file name.
pub const UPLOAD_NAME_CHARS: RangeInclusive<usize> = 1..=255;
/// Longest uploaded training image, base64 (4 MiB decoded).
pub const UPLOAD_BASE64_MAX: usize = (4 << 20) / 3 * 4 + 4;
/// Longest `.atlas.ron` or `.sprite.ron` sent with an uploaded image.
pub const UPLOAD_RON_MAX: usize = 1 << 20;
/// Optimiser steps of one training run.
pub const TRAIN_STEPS: RangeInclusive<u32> = 1..=20_000;
/// LoRA rank: ComfyUI's trainer takes 1..=128; the seed trains styles at 32–128.
pub const TRAIN_RANK: RangeInclusive<u32> = 1..=128;
/// Learning rate.
pub const TRAIN_LEARNING_RATE: RangeInclusive<f32> = 1e-6..=1e-2;
/// Images per optimiser step.
pub const TRAIN_BATCH: RangeInclusive<u32> = 1..=8;
/// Side of the square training images, in pixels: SDXL trains at 1024², smaller is faster.
pub const TRAIN_RESOLUTION: RangeInclusive<u32> = 512..=1024;
/// The training resolution must be a multiple of this (the UNet's downscale factor).
pub const TRAIN_RESOLUTION_MULTIPLE: u32 = 64;

/// A request field that is out of its range or malformed.
///
/// `field` is the JSON path of the field (`"sprite.width"`), which the server returns as the
/// `field` of its error body so that a client can highlight the right input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FieldError {
    /// A number outside its inclusive range.
    #[error("`{field}` must be between {min} and {max}, got {value}")]
    OutOfRange {
        /// JSON path of the field.
        field: &'static str,
        /// Smallest accepted value.
        min: f64,
        /// Largest accepted value.
        max: f64,
        /// The value sent.
        value: f64,
    },
    /// A string or list longer or shorter than allowed.
    #[error("`{field}` must have between {min} and {max} characters or items, got {len}")]
    BadLength {
        /// JSON path of the field.
        field: &'static str,
        /// Smallest accepted length.
        min: usize,
        /// Largest accepted length.
        max: usize,
        /// The length sent.
        len: usize,
    },
    /// A number that must be a multiple of another.
    #[error("`{field}` must be a multiple of {multiple}, got {value}")]
    NotMultiple {
        /// JSON path of the field.
        field: &'static str,
        /// The required factor.
        multiple: u32,
        /// The value sent.
        value: u32,
    },
    /// A name that is not one of the accepted names.
    #[error("`{field}`: unknown {what} `{value}`")]
    Unknown {
        /// JSON path of the field.
        field: &'static str,
        /// What kind of name it should be ("palette preset", "style").
        what: &'static str,
        /// The name sent.
        value: String,
    },
    /// A string with characters outside its alphabet.
    #[error("`{field}` must match {pattern}, got `{value}`")]
    BadCharacters {
        /// JSON path of the field.
        field: &'static str,
        /// The accepted pattern, for people.
        pattern: &'static str,
        /// The value sent.
        value: String,
    },
    /// A number that is not one of the few values accepted.
    #[error("`{field}` must be {allowed}, got {value}")]
    NotOneOf {
        /// JSON path of the field.
        field: &'static str,
        /// The accepted values, for people ("1, 4 or 8").
        allowed: &'static str,
        /// The value sent.
        value: u32,
    },
    /// A sheet of more cells than [`SHEET_CELLS`].
    #[error("`directions` × `frames` must be at most {max} cells, got {directions} × {frames}")]
    TooManyCells {
        /// JSON path of the field blamed (`directions`).
        field: &'static str,
        /// Facings asked for.
        directions: u32,
        /// Frames per facing asked for.
        frames: u32,
        /// Most cells.
        max: u32,
    },
    /// `columns` other than `frames` on a sheet with a row per facing.
    #[error("`{field}` must equal `frames` ({frames}) when `directions` is above 1 (a row per facing), got {value}")]
    RowPerFacing {
        /// JSON path of the field.
        field: &'static str,
        /// Frames per facing.
        frames: u32,
        /// The value sent.
        value: u32,
    },
    /// A value a kind of request does not take (a tile must be square).
    #[error("`{field}` {rule} for a {kind}")]
    NotFor {
        /// JSON path of the field.
        field: &'static str,
        /// The request's kind (`tile`).
        kind: &'static str,
        /// What the field must be, for people ("must be square").
        rule: &'static str,
    },
    /// A value that breaks a rule of its own, such as a position that is not finite or a path
    /// that could leave the game's assets folder.
    #[error("`{field}` {rule}, got `{value}`")]
    Breaks {
        /// JSON path of the field.
        field: &'static str,
        /// What the field must be, for people ("must be a finite number").
        rule: &'static str,
        /// The value sent.
        value: String,
    },
    /// A field that means something only beside another one, sent without it.
    #[error("`{field}` is only allowed together with `{needs}`")]
    Requires {
        /// JSON path of the field.
        field: &'static str,
        /// The field it needs.
        needs: &'static str,
    },
}

impl FieldError {
    /// JSON path of the offending field.
    pub fn field(&self) -> &'static str {
        match self {
            FieldError::OutOfRange { field, .. }
            | FieldError::BadLength { field, .. }
            | FieldError::NotMultiple { field, .. }
            | FieldError::Unknown { field, .. }
            | FieldError::BadCharacters { field, .. }
            | FieldError::NotOneOf { field, .. }
            | FieldError::TooManyCells { field, .. }
            | FieldError::RowPerFacing { field, .. }
            | FieldError::NotFor { field, .. }
            | FieldError::Breaks { field, .. }
            | FieldError::Requires { field, .. } => field,
        }
    }
}

/// Checks that `value` lies in `range`.
pub fn check_range<T>(field: &'static str, value: T, range: &RangeInclusive<T>) -> Result<(), FieldError>
where
    T: PartialOrd + Copy + Into<f64>,
{
    // `contains` is false for NaN, so a NaN float is rejected too.
    if range.contains(&value) {
        Ok(())
    } else {
        Err(FieldError::OutOfRange {
            field,
            min: (*range.start()).into(),
            max: (*range.end()).into(),
            value: value.into(),
        })
    }
}

/// Checks that a length (in characters or items) lies in `range`.
pub fn check_len(field: &'static str, len: usize, range: RangeInclusive<usize>) -> Result<(), FieldError> {
    if range.contains(&len) {
        Ok(())
    } else {
        Err(FieldError::BadLength { field, min: *range.start(), max: *range.end(), len })
    }
}

/// Checks an asset name: `[a-z0-9_-]{1,64}`, so that it can never be read as a path.
pub fn check_name(field: &'static str, name: &str) -> Result<(), FieldError> {
    check_len(field, name.chars().count(), NAME_CHARS)?;
    let plain = name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if plain {
        Ok(())
    } else {
        Err(FieldError::BadCharacters { field, pattern: "[a-z0-9_-]{1,64}", value: name.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_look_like_paths_are_refused() {
        for bad in ["", "../x", "a/b", "A", "knight.png", "x\\y", ".", "ä", &"a".repeat(65)] {
            assert!(check_name("name", bad).is_err(), "{bad:?} accepted");
        }
        for good in ["knight", "knight_walk-2", &"a".repeat(64)] {
            check_name("name", good).unwrap();
        }
    }

    #[test]
    fn nan_is_out_of_range() {
        assert!(check_range("guidance_scale", f32::NAN, &GUIDANCE_SCALE).is_err());
        let err = check_range("frames", 65, &FRAMES).unwrap_err();
        assert_eq!(err.field(), "frames");
        assert_eq!(err.to_string(), "`frames` must be between 1 and 64, got 65");
    }
}
