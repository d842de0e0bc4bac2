//! How a diffusion model is told which way a character faces: words after the prompt.
//!
//! SDXL checkpoints and pixel-art LoRAs are trained on captions that name views this way
//! ("side view", "back view", "three-quarter view"); compass words alone mean nothing to them.
//! A sheet of facings is drawn as one prompt per facing with the same seed (or one batch whose
//! items share the seed per frame), so only these words differ between its rows.

use dgx_pixels_protocol::Facing;

/// The view words for `facing`.
pub fn view_words(facing: Facing) -> &'static str {
    match facing {
        Facing::S => "front view, facing the viewer",
        Facing::Sw => "three-quarter front view, facing down and to the left",
        Facing::W => "side view, in profile, facing left",
        Facing::Nw => "three-quarter back view, facing up and to the left",
        Facing::N => "back view, facing away from the viewer",
        Facing::Ne => "three-quarter back view, facing up and to the right",
        Facing::E => "side view, in profile, facing right",
        Facing::Se => "three-quarter front view, facing down and to the right",
    }
}

/// `prompt` with the view words of `facing` after it.
pub fn facing_prompt(prompt: &str, facing: Facing) -> String {
    format!("{prompt}, {}", view_words(facing))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_facing_has_its_own_words() {
        let words: std::collections::BTreeSet<&str> = Facing::EIGHT.into_iter().map(view_words).collect();
        assert_eq!(words.len(), 8);
        assert_eq!(facing_prompt("knight", Facing::W), "knight, side view, in profile, facing left");
    }
}
