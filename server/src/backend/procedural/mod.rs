//! The `procedural` backend: placeholder sprites drawn from code, offline and deterministic.
//!
//! It reads the prompt for a subject (a character, a creature, an item or a tile) and for colour
//! words, draws that subject at the exact sprite size with an outline and simple shading, and
//! varies each frame a little (a bob, a step, a flap) so an animation visibly moves. The same
//! prompt and seed always give the same pixels. It exists for placeholders and tests; it is not
//! a generative model.
//!
//! - [`design`]: prompt and seed → subject, colours and proportions.
//! - [`paint`]: a small canvas with shapes in 0..1 coordinates, outline and shading.
//! - [`shapes`]: how each subject is drawn at a given animation phase.

mod design;
mod paint;
mod shapes;

use std::time::Duration;

use dgx_pixels_protocol::BackendKind;
use futures_util::future::BoxFuture;
use image::RgbaImage;

use super::{Backend, BackendError, GenerationSpec, PreparedJob, Progress};
use design::Design;

/// The procedural backend. `delay` is the test knob of `Config::procedural_delay`.
#[derive(Clone, Debug, Default)]
pub struct Procedural {
    delay: Duration,
}

impl Procedural {
    /// A backend that spends `delay` extra per job (zero outside tests).
    pub fn new(delay: Duration) -> Self {
        Self { delay }
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
        let job = PreparedSheet { design: Design::from_prompt(&spec.prompt, spec.seed), spec, delay: self.delay };
        Box::pin(async move { Ok(Box::new(job) as Box<dyn PreparedJob>) })
    }
}

struct PreparedSheet {
    design: Design,
    spec: GenerationSpec,
    delay: Duration,
}

impl PreparedJob for PreparedSheet {
    fn run(self: Box<Self>, progress: Progress) -> BoxFuture<'static, Result<Vec<RgbaImage>, BackendError>> {
        Box::pin(async move {
            let PreparedSheet { design, spec, delay } = *self;
            if delay.is_zero() {
                let frames =
                    tokio::task::spawn_blocking(move || render_all(&design, &spec, &progress)).await.map_err(join)?;
                return Ok(frames);
            }
            // Slowed down for tests: one sleep per frame so progress is visible between frames.
            let mut frames = Vec::new();
            for index in 0..spec.frames {
                tokio::time::sleep(delay / spec.frames).await;
                frames.push(shapes::render(&design, spec.sprite, index, spec.frames));
                progress.report((index + 1) as f32 / spec.frames as f32);
            }
            Ok(frames)
        })
    }
}

fn render_all(design: &Design, spec: &GenerationSpec, progress: &Progress) -> Vec<RgbaImage> {
    (0..spec.frames)
        .map(|index| {
            let frame = shapes::render(design, spec.sprite, index, spec.frames);
            progress.report((index + 1) as f32 / spec.frames as f32);
            frame
        })
        .collect()
}

fn join(err: tokio::task::JoinError) -> BackendError {
    BackendError::Generation(format!("renderer stopped: {err}"))
}

#[cfg(test)]
mod tests {
    use dgx_pixels_protocol::SpriteSize;

    use super::*;

    fn spec(prompt: &str, seed: u64) -> GenerationSpec {
        GenerationSpec {
            prompt: prompt.into(),
            negative_prompt: String::new(),
            seed,
            frames: 4,
            sprite: SpriteSize::new(32, 32),
            canvas: SpriteSize::new(1024, 1024),
            steps: 30,
            guidance_scale: 7.5,
            lora: None,
        }
    }

    fn frames(prompt: &str, seed: u64) -> Vec<RgbaImage> {
        let spec = spec(prompt, seed);
        render_all(&Design::from_prompt(&spec.prompt, seed), &spec, &Progress::new(|_| {}))
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

    #[test]
    fn a_four_frame_sheet_renders_fast() {
        let start = std::time::Instant::now();
        for seed in 0..10 {
            frames("blue wizard", seed);
        }
        assert!(start.elapsed() < Duration::from_millis(500), "{:?} for 10 sheets", start.elapsed());
    }
}
