//! Whether a generate request is one the project can make: every field against [`limits`],
//! and the fields that only mean something together.

use crate::limits::{self, FieldError, check_len, check_name, check_range};
use crate::palette::PaletteSpec;
use crate::{GenerateRequest, SpriteSpec};

impl GenerateRequest {
    /// Checks every field against [`limits`]; the first field out of range is returned.
    ///
    /// The style name is checked for shape only: whether it exists is the server's business.
    pub fn validate(&self) -> Result<(), FieldError> {
        check_len("prompt", self.prompt.chars().count(), limits::PROMPT_CHARS)?;
        if self.prompt.trim().is_empty() {
            return Err(FieldError::BadLength { field: "prompt", min: 1, max: *limits::PROMPT_CHARS.end(), len: 0 });
        }
        check_len("negative_prompt", self.negative_prompt.chars().count(), 0..=limits::NEGATIVE_PROMPT_MAX_CHARS)?;
        if let Some(style) = &self.style {
            check_len("style", style.chars().count(), 1..=limits::STYLE_MAX_CHARS)?;
        }
        if let Some(strength) = self.lora_strength {
            check_range("lora_strength", strength, &limits::LORA_STRENGTH)?;
        }
        self.validate_styles()?;
        match self.sprite {
            SpriteSpec::Size(size) => {
                check_range("sprite.width", size.width, &limits::SPRITE_SIDE)?;
                check_range("sprite.height", size.height, &limits::SPRITE_SIDE)?;
            }
            SpriteSpec::Match(_) if !matches!(self.palette, Some(PaletteSpec::From(_))) => {
                return Err(FieldError::Requires { field: "sprite", needs: "palette.from" });
            }
            SpriteSpec::Match(_) => {}
        }
        check_range("frames", self.frames, &limits::FRAMES)?;
        if !crate::facing::DIRECTIONS.contains(&self.directions) {
            return Err(FieldError::NotOneOf { field: "directions", allowed: "1, 4 or 8", value: self.directions });
        }
        if self.cells() > limits::SHEET_CELLS {
            return Err(FieldError::TooManyCells {
                field: "directions",
                directions: self.directions,
                frames: self.frames,
                max: limits::SHEET_CELLS,
            });
        }
        self.validate_kind()?;
        if let Some(columns) = self.columns {
            check_range("columns", columns, &(1..=self.frames))?;
            if self.directions > 1 && columns != self.frames {
                return Err(FieldError::RowPerFacing { field: "columns", frames: self.frames, value: columns });
            }
        }
        check_range("colors", self.colors, &limits::COLORS)?;
        match &self.palette {
            Some(PaletteSpec::Preset(name)) if crate::Palette::preset(name).is_none() => {
                return Err(FieldError::Unknown { field: "palette", what: "palette preset", value: name.clone() });
            }
            Some(PaletteSpec::Colors(colours)) => check_len("palette", colours.len(), limits::PALETTE_LIST)?,
            Some(PaletteSpec::From(sources)) => {
                check_len("palette.from", sources.from.len(), limits::PALETTE_SOURCES)?;
                for source in &sources.from {
                    check_len("palette.from", source.chars().count(), 1..=limits::PATH_MAX_CHARS)?;
                }
            }
            _ => {}
        }
        if let Some(steps) = self.steps {
            check_range("steps", steps, &limits::STEPS)?;
        }
        if let Some(guidance) = self.guidance_scale {
            check_range("guidance_scale", guidance, &limits::GUIDANCE_SCALE)?;
        }
        for (field, side) in [("width", self.width), ("height", self.height)] {
            let Some(side) = side else { continue };
            check_range(field, side, &limits::CANVAS_SIDE)?;
            if side % limits::CANVAS_MULTIPLE != 0 {
                return Err(FieldError::NotMultiple { field, multiple: limits::CANVAS_MULTIPLE, value: side });
            }
        }
        if let Some(name) = &self.name {
            check_name("name", name)?;
        }
        if let Some(denoise) = self.denoise {
            if self.source.is_none() {
                return Err(FieldError::Requires { field: "denoise", needs: "source" });
            }
            check_range("denoise", denoise, &limits::DENOISE)?;
        }
        Ok(())
    }
}
