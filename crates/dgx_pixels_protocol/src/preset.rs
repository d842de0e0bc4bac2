//! Presets: named sets of sampler, scheduler, steps, guidance and canvas, so that a request
//! reaches the fast regime of the distilled SDXL LoRAs (SDXL-Lightning, LCM, DMD2, Hyper-SD)
//! without knowing those knobs. A request's own `steps`, `guidance_scale`, `width` and `height`
//! still win over its preset's; a request without a preset keeps the defaults it always had.

use serde::{Deserialize, Serialize};

use crate::{GenerateRequest, SpriteSize};

/// A named set of generation settings ([`Preset::settings`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum Preset {
    /// What the distilled LoRAs expect: euler with sgm_uniform, 4 steps, cfg 1 (which skips
    /// the unconditional pass), with the server's distillation LoRA stacked under the style.
    Fast,
    /// Today's defaults: euler with the normal schedule, 30 steps, cfg 7.5.
    Standard,
    /// More steps of a second-order sampler: dpmpp_2m with karras, 40 steps, cfg 7.
    Quality,
}

impl Preset {
    /// Every preset, fastest first.
    pub const ALL: [Preset; 3] = [Preset::Fast, Preset::Standard, Preset::Quality];

    /// The name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Fast => "fast",
            Preset::Standard => "standard",
            Preset::Quality => "quality",
        }
    }

    /// Parses [`Self::as_str`]'s names.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|preset| preset.as_str() == name)
    }

    /// Its sampler, scheduler, steps and guidance, and the canvas it gives `sprite`
    /// ([`canvas_for`]).
    pub fn settings(self, sprite: SpriteSize) -> Sampling {
        let (sampler, scheduler, steps, guidance_scale, distilled) = match self {
            Preset::Fast => ("euler", "sgm_uniform", 4, 1.0, true),
            Preset::Standard => (DEFAULT_SAMPLER, DEFAULT_SCHEDULER, DEFAULT_STEPS, DEFAULT_GUIDANCE, false),
            Preset::Quality => ("dpmpp_2m", "karras", 40, 7.0, false),
        };
        Sampling { sampler, scheduler, steps, guidance_scale, canvas: canvas_for(sprite), distilled }
    }
}

/// Steps of a request without a preset or steps of its own.
pub const DEFAULT_STEPS: u32 = 30;
/// Guidance of a request without a preset or guidance of its own.
pub const DEFAULT_GUIDANCE: f32 = 7.5;
/// Canvas side of a request without a preset or a canvas of its own.
pub const DEFAULT_CANVAS: u32 = 1024;
/// The sampler of a request without a preset (ComfyUI's `sampler_name`).
pub const DEFAULT_SAMPLER: &str = "euler";
/// The scheduler of a request without a preset.
pub const DEFAULT_SCHEDULER: &str = "normal";
/// Canvas sides a preset picks from, smallest first.
pub const PRESET_CANVASES: [u32; 3] = [512, 768, 1024];
/// Canvas pixels a preset keeps per sprite pixel, at least.
pub const CANVAS_PIXELS_PER_SPRITE_PIXEL: u32 = 8;

/// How a request is generated, its preset and its own fields resolved.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sampling {
    /// ComfyUI's `sampler_name`.
    pub sampler: &'static str,
    /// ComfyUI's `scheduler`.
    pub scheduler: &'static str,
    /// Diffusion steps.
    pub steps: u32,
    /// Classifier-free guidance.
    pub guidance_scale: f32,
    /// The generation canvas.
    pub canvas: SpriteSize,
    /// Whether the server's distillation LoRA is stacked under the styles.
    pub distilled: bool,
}

/// The square canvas a preset gives `sprite`: the smallest of [`PRESET_CANVASES`] that keeps
/// [`CANVAS_PIXELS_PER_SPRITE_PIXEL`] canvas pixels per sprite pixel along its longer side, else
/// the largest.
pub fn canvas_for(sprite: SpriteSize) -> SpriteSize {
    let needed = sprite.width.max(sprite.height).saturating_mul(CANVAS_PIXELS_PER_SPRITE_PIXEL);
    let side = PRESET_CANVASES.into_iter().find(|side| *side >= needed).unwrap_or(DEFAULT_CANVAS);
    SpriteSize::new(side, side)
}

impl GenerateRequest {
    /// The settings this request is generated with: its preset's (none: `standard`'s on the
    /// fixed default canvas, as before presets), each overridden by the request's own field when
    /// set.
    pub fn sampling(&self) -> Sampling {
        let base = match self.preset {
            Some(preset) => preset.settings(self.sprite_size()),
            None => Sampling {
                canvas: SpriteSize::new(DEFAULT_CANVAS, DEFAULT_CANVAS),
                ..Preset::Standard.settings(self.sprite_size())
            },
        };
        Sampling {
            steps: self.steps.unwrap_or(base.steps),
            guidance_scale: self.guidance_scale.unwrap_or(base.guidance_scale),
            canvas: SpriteSize::new(self.width.unwrap_or(base.canvas.width), self.height.unwrap_or(base.canvas.height)),
            ..base
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_canvas_keeps_eight_pixels_per_sprite_pixel() {
        let side = |w, h| canvas_for(SpriteSize::new(w, h)).width;
        assert_eq!(
            (side(32, 32), side(64, 48), side(65, 8), side(96, 96), side(128, 16), side(512, 512)),
            (512, 512, 768, 768, 1024, 1024)
        );
    }

    #[test]
    fn a_preset_sets_what_the_request_leaves_open() {
        let plain = GenerateRequest::new("knight");
        let sampling = plain.sampling();
        assert_eq!((sampling.steps, sampling.guidance_scale, sampling.canvas.width), (30, 7.5, 1024));
        assert_eq!((sampling.sampler, sampling.scheduler, sampling.distilled), ("euler", "normal", false));
        let fast = GenerateRequest { preset: Some(Preset::Fast), ..plain.clone() };
        let sampling = fast.sampling();
        assert_eq!((sampling.steps, sampling.guidance_scale, sampling.canvas), (4, 1.0, SpriteSize::new(512, 512)));
        assert_eq!((sampling.sampler, sampling.scheduler, sampling.distilled), ("euler", "sgm_uniform", true));
        let own = GenerateRequest { steps: Some(6), width: Some(1024), ..fast };
        let sampling = own.sampling();
        assert_eq!((sampling.steps, sampling.canvas), (6, SpriteSize::new(1024, 512)));
        let quality = GenerateRequest { preset: Some(Preset::Quality), ..plain }.sampling();
        assert_eq!((quality.sampler, quality.scheduler, quality.steps), ("dpmpp_2m", "karras", 40));
    }
}
