//! The compass facings of a character sheet, their fixed row order, and which facings mirror
//! which.
//!
//! A sheet with `directions` 4 or 8 has one row per facing, in the order [`Facing::rows`]
//! gives (DESIGN.md fixes it: clockwise from south). `.sprite.ron` names each row's animation
//! `<tag>_<facing>` ([`Facing::tag`]), so readers find a facing by name, never by position.
//!
//! Screen terms: south faces the viewer (down the screen), west faces left. Mirroring a sprite
//! left to right turns a west-facing drawing into an east-facing one, which is how pixel
//! artists draw the east half of a character: [`Facing::mirror`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One of the eight compass facings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum Facing {
    /// Towards the viewer, down the screen.
    S,
    /// Down and to the left.
    Sw,
    /// To the left.
    W,
    /// Up and to the left.
    Nw,
    /// Away from the viewer, up the screen.
    N,
    /// Up and to the right.
    Ne,
    /// To the right.
    E,
    /// Down and to the right.
    Se,
}

/// The accepted values of `directions`.
pub const DIRECTIONS: [u32; 3] = [1, 4, 8];

impl Facing {
    /// The eight facings in sheet row order: clockwise from south, as DESIGN.md fixes it.
    pub const EIGHT: [Facing; 8] =
        [Facing::S, Facing::Sw, Facing::W, Facing::Nw, Facing::N, Facing::Ne, Facing::E, Facing::Se];
    /// The four facings of a 4-direction sheet, in row order.
    pub const FOUR: [Facing; 4] = [Facing::S, Facing::W, Facing::N, Facing::E];

    /// The rows of a sheet with `directions` facings (4 or 8); empty for 1, whose one row has
    /// no facing of its own (it faces the way the prompt says), and for any other count.
    pub fn rows(directions: u32) -> &'static [Facing] {
        match directions {
            4 => &Self::FOUR,
            8 => &Self::EIGHT,
            _ => &[],
        }
    }

    /// The facings a backend draws for a sheet of `directions`: all of them, or with `mirror`
    /// only those not mirrored from another ([`Facing::mirror_source`]), in row order.
    pub fn drawn(directions: u32, mirror: bool) -> Vec<Facing> {
        Self::rows(directions).iter().copied().filter(|facing| !mirror || facing.mirror_source().is_none()).collect()
    }

    /// The compass word: `s`, `sw`, `w`, `nw`, `n`, `ne`, `e`, `se`.
    pub fn as_str(self) -> &'static str {
        match self {
            Facing::S => "s",
            Facing::Sw => "sw",
            Facing::W => "w",
            Facing::Nw => "nw",
            Facing::N => "n",
            Facing::Ne => "ne",
            Facing::E => "e",
            Facing::Se => "se",
        }
    }

    /// The facing seen in a mirror (left and right swapped): `w` ↔ `e`, `sw` ↔ `se`,
    /// `nw` ↔ `ne`; `s` and `n` are their own.
    pub fn mirror(self) -> Facing {
        match self {
            Facing::Sw => Facing::Se,
            Facing::Se => Facing::Sw,
            Facing::W => Facing::E,
            Facing::E => Facing::W,
            Facing::Nw => Facing::Ne,
            Facing::Ne => Facing::Nw,
            other => other,
        }
    }

    /// For an east-facing row of a mirrored sheet, the west-facing row it is mirrored from;
    /// `None` for the facings that are drawn.
    pub fn mirror_source(self) -> Option<Facing> {
        matches!(self, Facing::Ne | Facing::E | Facing::Se).then(|| self.mirror())
    }

    /// The unit vector the facing looks along, x to the right and y up the screen (Bevy's
    /// world axes): south is `(0, -1)`.
    pub fn vector(self) -> (f32, f32) {
        let angle = self.angle();
        (angle.cos(), angle.sin())
    }

    /// Angle from the +x axis, counter-clockwise, in radians.
    fn angle(self) -> f32 {
        use std::f32::consts::FRAC_PI_4;
        let eighths = match self {
            Facing::E => 0.0,
            Facing::Ne => 1.0,
            Facing::N => 2.0,
            Facing::Nw => 3.0,
            Facing::W => 4.0,
            Facing::Sw => 5.0,
            Facing::S => 6.0,
            Facing::Se => 7.0,
        };
        eighths * FRAC_PI_4
    }

    /// The facing among `candidates` closest in angle to the direction `(x, y)` (x right, y up);
    /// `None` for a zero or non-finite direction or no candidates. Ties go to the earlier
    /// candidate, so the result never flickers between two for one input.
    pub fn nearest(x: f32, y: f32, candidates: &[Facing]) -> Option<Facing> {
        if !(x.is_finite() && y.is_finite()) || (x == 0.0 && y == 0.0) {
            return None;
        }
        let heading = y.atan2(x);
        let distance = |facing: &Facing| {
            let diff = (heading - facing.angle()).rem_euclid(std::f32::consts::TAU);
            diff.min(std::f32::consts::TAU - diff)
        };
        candidates.iter().copied().min_by(|a, b| distance(a).total_cmp(&distance(b)))
    }

    /// The animation tag of this facing's row: `<animation>_<facing>` (`walk_sw`).
    pub fn tag(self, animation: &str) -> String {
        format!("{animation}_{}", self.as_str())
    }

    /// The facing a tag named by [`Facing::tag`] for `animation` plays, if it is one.
    pub fn of_tag(tag: &str, animation: &str) -> Option<Facing> {
        tag.strip_prefix(animation)?.strip_prefix('_')?.parse().ok()
    }
}

impl fmt::Display for Facing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that is not one of the eight compass facings.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a facing (s, sw, w, nw, n, ne, e, se)")]
pub struct UnknownFacing(pub String);

impl FromStr for Facing {
    type Err = UnknownFacing;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::EIGHT.into_iter().find(|facing| facing.as_str() == text).ok_or_else(|| UnknownFacing(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_follow_the_design_order() {
        let names = |facings: &[Facing]| facings.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(",");
        assert_eq!(names(Facing::rows(8)), "s,sw,w,nw,n,ne,e,se");
        assert_eq!(names(Facing::rows(4)), "s,w,n,e");
        assert!(Facing::rows(1).is_empty() && Facing::rows(3).is_empty());
        assert_eq!(names(&Facing::drawn(8, true)), "s,sw,w,nw,n");
        assert_eq!(names(&Facing::drawn(4, true)), "s,w,n");
        assert_eq!(names(&Facing::drawn(4, false)), "s,w,n,e");
    }

    #[test]
    fn mirrors_swap_left_and_right() {
        for facing in Facing::EIGHT {
            assert_eq!(facing.mirror().mirror(), facing);
            let (x, y) = facing.vector();
            let (mx, my) = facing.mirror().vector();
            assert!((x + mx).abs() < 1e-6 && (y - my).abs() < 1e-6, "{facing}");
            if let Some(source) = facing.mirror_source() {
                assert!(Facing::drawn(8, true).contains(&source), "{facing} mirrors an undrawn row");
            }
        }
    }

    #[test]
    fn directions_snap_to_the_nearest_facing() {
        assert_eq!(Facing::nearest(0.0, -1.0, &Facing::EIGHT), Some(Facing::S));
        assert_eq!(Facing::nearest(-1.0, 0.1, &Facing::EIGHT), Some(Facing::W));
        assert_eq!(Facing::nearest(1.0, 1.0, &Facing::EIGHT), Some(Facing::Ne));
        assert_eq!(Facing::nearest(-0.7, -0.7, &Facing::EIGHT), Some(Facing::Sw));
        assert_eq!(Facing::nearest(-0.7, -0.72, &Facing::FOUR), Some(Facing::S));
        assert_eq!(Facing::nearest(0.9, 0.2, &Facing::FOUR), Some(Facing::E));
        assert_eq!(Facing::nearest(0.0, 0.0, &Facing::EIGHT), None);
        assert_eq!(Facing::nearest(f32::NAN, 1.0, &Facing::EIGHT), None);
        assert_eq!(Facing::nearest(1.0, 0.0, &[]), None);
    }

    #[test]
    fn tags_name_the_facing() {
        assert_eq!(Facing::Sw.tag("walk"), "walk_sw");
        assert_eq!(Facing::of_tag("walk_sw", "walk"), Some(Facing::Sw));
        assert_eq!(Facing::of_tag("walk_x", "walk"), None);
        assert_eq!(Facing::of_tag("walking_s", "walk"), None);
        assert_eq!("nw".parse::<Facing>(), Ok(Facing::Nw));
        assert!("north".parse::<Facing>().is_err());
    }
}
