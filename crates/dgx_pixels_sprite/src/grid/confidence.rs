//! How sure the grid is: one number for a person to act on, and the doubt that weighs most.
//!
//! The grid search gives two signs, each read as a clarity from 0 (a coin toss) to 1 (clear):
//! - how regularly the image's edges fall on the grid: the comb alignment of [`super::period`]
//!   on the worse axis (1 for an exact upscale, 0.55–0.97 for the fidelity bench's degraded
//!   sprites on their true grids, lower where the image's pixels do not lie on the grid);
//! - with the size found and cells wide enough to test, how clearly each cell is one pixel or
//!   two ([`super::split`]): the reading's distance from its threshold, counted in the distance
//!   from the threshold to the plain reading on that side ("no contrast at all", "no drift
//!   across the middle" or "as much as across the boundary").
//!
//! The confidence is the weaker of them. Under [`UNSURE`] `pixelize` says so and suggests giving
//! the size by hand. Two doubts are not measured (BENCHMARKS.md, "Where it still loses"): art
//! drawn at 2× in cells too small to test (under 10 px, or without runs of one colour and a
//! backdrop to read the drift on) reads as whole cells, and a border cell cut near half
//! a cell could count either way (the bench's cut border cells made such a sign flag two sprites
//! in five that were right).

use super::drift::SPLIT_SHARE;
use super::split::{Doubling, SPLIT_CONTRAST};

/// Below this confidence the size is reported as unsure: a sign this unclear is nearer a coin
/// toss than a reading.
pub const UNSURE: f32 = 0.5;

/// What weighs most on a grid's confidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Doubt {
    /// The image's edges fall irregularly on the grid (few edges, texture, or no grid at all).
    IrregularEdges,
    /// Each cell could as well be two pixels (art drawn at 2×), or two cells one.
    Doubling,
}

impl Doubt {
    /// A sentence for a person.
    pub fn describe(self) -> &'static str {
        match self {
            Self::IrregularEdges => "the image's edges fall irregularly on the grid",
            Self::Doubling => "each cell could as well be two pixels (art drawn at 2x)",
        }
    }
}

/// How sure a grid is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GridConfidence {
    /// The weakest sign's clarity, `0.0..=1.0`.
    pub score: f32,
    /// Which sign that is.
    pub doubt: Doubt,
}

impl GridConfidence {
    /// The weakest of `signs` (clarity, doubt); full confidence when there are none.
    pub fn weakest(signs: impl IntoIterator<Item = (f32, Doubt)>) -> Self {
        signs.into_iter().fold(Self { score: 1.0, doubt: Doubt::IrregularEdges }, |weakest, (clarity, doubt)| {
            let clarity = clarity.clamp(0.0, 1.0);
            if clarity < weakest.score { Self { score: clarity, doubt } } else { weakest }
        })
    }

    /// Whether the confidence is under [`UNSURE`].
    pub fn is_unsure(&self) -> bool {
        self.score < UNSURE
    }

    /// What a person reads when the grid is unsure: the doubt, and what to do about it. With
    /// the size found (`auto`) that is to give the size, as `give_size` says (each interface
    /// names its own parameter); with the size given, the image may not hold that many cells.
    /// `None` when the grid is sure.
    pub fn unsure_note(&self, auto: bool, give_size: &str) -> Option<String> {
        if !self.is_unsure() {
            return None;
        }
        let doubt = self.doubt.describe();
        Some(if auto {
            format!("{doubt}; if you know the sprite's size, give it {give_size}")
        } else {
            format!("{doubt}; the image's fake pixels may not lie on that many cells")
        })
    }
}

/// How clearly `doubling` says one pixel or two. A contrast: its distance from
/// [`SPLIT_CONTRAST`] in log terms, over the distance from the threshold to 1 (no contrast). A
/// drift share: its distance from [`SPLIT_SHARE`], over the distance from the threshold to 0
/// (whole cells) or to 1 (two pixels).
pub fn doubling_clarity(doubling: Doubling) -> f32 {
    match doubling {
        Doubling::Contrast(contrast) if contrast <= 0.0 => 1.0,
        Doubling::Contrast(contrast) => (contrast / SPLIT_CONTRAST).ln().abs() / SPLIT_CONTRAST.ln(),
        Doubling::Share(share) if share < SPLIT_SHARE => (SPLIT_SHARE - share) / SPLIT_SHARE,
        Doubling::Share(share) => (share - SPLIT_SHARE) / (1.0 - SPLIT_SHARE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contrast_at_the_threshold_is_unclear_and_one_is_clear() {
        assert!(doubling_clarity(Doubling::Contrast(SPLIT_CONTRAST)) < 1e-6);
        assert!((doubling_clarity(Doubling::Contrast(1.0)) - 1.0).abs() < 1e-5);
        assert!(doubling_clarity(Doubling::Contrast(SPLIT_CONTRAST * SPLIT_CONTRAST)) >= 0.999);
    }

    #[test]
    fn a_drift_share_at_the_threshold_is_unclear_and_none_or_all_is_clear() {
        assert!(doubling_clarity(Doubling::Share(SPLIT_SHARE)) < 1e-6);
        assert!((doubling_clarity(Doubling::Share(0.0)) - 1.0).abs() < 1e-6);
        assert!((doubling_clarity(Doubling::Share(1.0)) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn the_weakest_sign_decides() {
        let confidence = GridConfidence::weakest([(0.9, Doubt::IrregularEdges), (0.3, Doubt::Doubling)]);
        assert_eq!(confidence, GridConfidence { score: 0.3, doubt: Doubt::Doubling });
        assert!(confidence.is_unsure());
        assert!(!GridConfidence::weakest([]).is_unsure());
        assert_eq!(GridConfidence::weakest([]).unsure_note(true, "as `size`"), None);
        let note = confidence.unsure_note(true, "as `size`").expect("unsure");
        assert!(note.starts_with(Doubt::Doubling.describe()) && note.ends_with("give it as `size`"), "{note}");
    }
}
