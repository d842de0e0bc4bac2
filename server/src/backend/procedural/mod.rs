//! The `procedural` backend: placeholder sprites drawn from code, offline and deterministic.
//!
//! It reads the prompt for a subject (a character, a creature, an item or a tile) and for colour
//! words, draws that subject at the exact sprite size with an outline and simple shading, and
//! varies each frame a little (a bob, a step, a flap) so an animation visibly moves. The same
//! prompt and seed always give the same pixels. It exists for placeholders and tests; it is not
//! a generative model. Given a source image (img2img) it redraws part of it, more the higher the
//! denoise, from a fresh drawing of the prompt.
//!
//! - [`design`]: prompt and seed → subject, colours and proportions.
//! - [`paint`]: a small canvas with shapes in 0..1 coordinates, outline and shading.
//! - [`shapes`]: how each subject is drawn at a given animation phase.
//! - [`variation`]: a source sprite redrawn in part from a fresh drawing.

mod design;
mod paint;
mod shapes;
mod variation;

use std::time::Duration;

use dgx_pixels_protocol::BackendKind;
use futures_util::future::BoxFuture;
use image::RgbaImage;

use super::{Backend, BackendError, DEFAULT_DENOISE, GenerationSpec, PreparedJob, Progress};
use design::Design;
use variation::Variation;

/// Mixed into the seed of a variation's fresh drawing, so that a variation asked for with the
/// source job's own prompt and seed still differs from the source.
const VARIATION_SALT: u64 = 0xbb67_ae85_84ca_a73b;

/// The procedural backend. `delay` is the test knob of `Config::procedural_delay`.
#[derive(Clone, Debug)]
pub struct Procedural {
    delay: Duration,
    img2img_denoise: f32,
}

impl Procedural {
    /// A backend that spends `delay` extra per job (zero outside tests) and redraws
    /// `img2img_denoise` of a source whose request gives no denoise (`Config::img2img_denoise`).
    pub fn new(delay: Duration, img2img_denoise: f32) -> Self {
        Self { delay, img2img_denoise }
    }
}

impl Default for Procedural {
    /// No delay, and [`DEFAULT_DENOISE`].
    fn default() -> Self {
        Self::new(Duration::ZERO, DEFAULT_DENOISE)
    }
}

impl Backend for Procedural {
    fn kind(&self) -> BackendKind {
        BackendKind::Procedural
    }

    fn ready(&self) -> bool {
        true
    }

    fn default_concurrency(&self) -> usize {
        std::thread::available_parallelism().map_or(1, usize::from)
    }

    fn prepare(&self, spec: GenerationSpec) -> BoxFuture<'static, Result<Box<dyn PreparedJob>, BackendError>> {
        let job = PreparedSheet::new(spec, self.delay, self.img2img_denoise);
        Box::pin(async move { Ok(Box::new(job) as Box<dyn PreparedJob>) })
    }
}

struct PreparedSheet {
    design: Design,
    variation: Option<Variation>,
    spec: GenerationSpec,
    delay: Duration,
}

impl PreparedSheet {
    fn new(spec: GenerationSpec, delay: Duration, default_denoise: f32) -> Self {
        let (design, variation) = match &spec.source {
            Some(source) => {
                let denoise = source.denoise.unwrap_or(default_denoise);
                let variation = Variation::new(&source.image, spec.sprite, spec.seed, denoise);
                (Design::from_prompt(&spec.prompt, spec.seed ^ VARIATION_SALT), Some(variation))
            }
            None => (Design::from_prompt(&spec.prompt, spec.seed), None),
        };
        // A tile is ground whatever the prompt names; its words still pick the material.
        let design = if spec.tile { Design { subject: design::Subject::Tile, ..design } } else { design };
        Self { design, variation, spec, delay }
    }

    /// Image `index` ([`GenerationSpec::images`], facing by facing): the drawing, or for
    /// img2img the source redrawn in part from it.
    fn frame(&self, index: u32) -> RgbaImage {
        let frames = self.spec.frames.max(1);
        let facing = self.spec.facings.get((index / frames) as usize).copied();
        let drawn = shapes::render(&self.design, self.spec.sprite, index % frames, frames, facing);
        match &self.variation {
            Some(variation) => variation.apply(&drawn),
            None => drawn,
        }
    }
}

impl PreparedJob for PreparedSheet {
    fn run(self: Box<Self>, progress: Progress) -> BoxFuture<'static, Result<Vec<RgbaImage>, BackendError>> {
        Box::pin(async move {
            let frames = self.spec.images();
            if self.delay.is_zero() {
                return tokio::task::spawn_blocking(move || render_all(&self, &progress)).await.map_err(join);
            }
            // Slowed down for tests: one sleep per frame so progress is visible between frames.
            let mut rendered = Vec::new();
            for index in 0..frames {
                tokio::time::sleep(self.delay / frames).await;
                rendered.push(self.frame(index));
                progress.report((index + 1) as f32 / frames as f32);
            }
            Ok(rendered)
        })
    }
}

fn render_all(sheet: &PreparedSheet, progress: &Progress) -> Vec<RgbaImage> {
    let frames = sheet.spec.images();
    (0..frames)
        .map(|index| {
            let frame = sheet.frame(index);
            progress.report((index + 1) as f32 / frames as f32);
            frame
        })
        .collect()
}

fn join(err: tokio::task::JoinError) -> BackendError {
    BackendError::Generation(format!("renderer stopped: {err}"))
}

#[cfg(test)]
mod tests {
    use dgx_pixels_protocol::{Facing, SpriteSize};

    use super::*;

    fn spec(prompt: &str, seed: u64) -> GenerationSpec {
        GenerationSpec {
            prompt: prompt.into(),
            negative_prompt: String::new(),
            seed,
            frames: 4,
            facings: Vec::new(),
            tile: false,
            sprite: SpriteSize::new(32, 32),
            canvas: SpriteSize::new(1024, 1024),
            steps: 30,
            guidance_scale: 7.5,
            sampler: None,
            loras: Vec::new(),
            source: None,
        }
    }

    fn frames(prompt: &str, seed: u64) -> Vec<RgbaImage> {
        render_all(&PreparedSheet::new(spec(prompt, seed), Duration::ZERO, DEFAULT_DENOISE), &Progress::new(|_| {}))
    }

    #[test]
    fn same_prompt_and_seed_give_the_same_pixels() {
        assert_eq!(frames("red knight, walk cycle", 7), frames("red knight, walk cycle", 7));
        assert_ne!(frames("red knight, walk cycle", 7), frames("red knight, walk cycle", 8));
        assert_ne!(frames("red knight", 7), frames("green slime", 7));
    }

    #[test]
    fn frames_move_and_are_opaque_somewhere() {
        for prompt in ["knight", "slime", "bat", "wolf", "sword", "potion", "gem", "chest", "grass tile", "thing"] {
            let frames = frames(prompt, 1);
            assert_eq!(frames.len(), 4);
            assert!(frames[0] != frames[1] || frames[1] != frames[2], "{prompt} does not move");
            let opaque = frames[0].pixels().filter(|p| p.0[3] == 255).count();
            assert!(opaque > 32 * 32 / 10, "{prompt}: only {opaque} opaque pixels");
        }
    }

    /// A variation asked for with the source's own prompt and seed is still not a copy; it is
    /// the same for the same seed.
    #[test]
    fn a_variation_with_the_source_prompt_and_seed_differs_from_the_source() {
        let source = frames("red knight", 7).swap_remove(0);
        let image = std::sync::Arc::new(source.clone());
        let vary = |seed| {
            let source = Some(crate::backend::SourceFrame { image: image.clone(), denoise: Some(0.3) });
            render_all(
                &PreparedSheet::new(
                    GenerationSpec { source, ..spec("red knight", seed) },
                    Duration::ZERO,
                    DEFAULT_DENOISE,
                ),
                &Progress::new(|_| {}),
            )
        };
        let varied = vary(7);
        assert_eq!(varied.len(), 4);
        assert_ne!(varied[0], source);
        assert_eq!(varied, vary(7));
    }

    /// Facing by facing: a character's eight views all differ, every turning subject looks
    /// different from the front, the side and the back, and the east rows are the west rows
    /// mirrored.
    #[test]
    fn a_character_turns() {
        let rows = |prompt: &str| {
            let spec = GenerationSpec { facings: Facing::EIGHT.to_vec(), ..spec(prompt, 3) };
            let images = render_all(&PreparedSheet::new(spec, Duration::ZERO, DEFAULT_DENOISE), &Progress::new(|_| {}));
            assert_eq!(images.len(), 32);
            images.chunks(4).map(<[RgbaImage]>::to_vec).collect::<Vec<_>>()
        };
        let row = |rows: &[Vec<RgbaImage>], facing: Facing| {
            rows[Facing::EIGHT.iter().position(|f| *f == facing).unwrap()].clone()
        };
        for prompt in ["red knight, walk cycle", "villager", "blue wizard"] {
            let rows = rows(prompt);
            for (i, a) in rows.iter().enumerate() {
                for b in &rows[i + 1..] {
                    assert_ne!(a[0], b[0], "{prompt}: two facings look alike");
                }
            }
        }
        for prompt in ["red knight", "wolf", "green slime", "bat"] {
            let rows = rows(prompt);
            let (s, w, n) = (row(&rows, Facing::S), row(&rows, Facing::W), row(&rows, Facing::N));
            assert!(s[0] != w[0] && w[0] != n[0] && s[0] != n[0], "{prompt}: front, side and back alike");
            for facing in Facing::EIGHT {
                if let Some(source) = facing.mirror_source() {
                    let mirrored: Vec<RgbaImage> =
                        row(&rows, source).iter().map(image::imageops::flip_horizontal).collect();
                    assert_eq!(row(&rows, facing), mirrored, "{prompt}: {facing} is not {source} mirrored");
                }
            }
        }
    }

    #[test]
    fn a_four_frame_sheet_renders_fast() {
        let start = std::time::Instant::now();
        for seed in 0..10 {
            frames("blue wizard", seed);
        }
        assert!(start.elapsed() < Duration::from_millis(500), "{:?} for 10 sheets", start.elapsed());
    }
}
