//! Background removal: a flood fill from the image border in Oklab.
//!
//! Generated sprites sit on a near-plain backdrop (white, grey, near-black, a key colour, a
//! pastel, often with a faint gradient). The backdrop colour is the one most of the border
//! shares; everything of that colour *connected to the border* becomes transparent, while the
//! same colour enclosed by the sprite (the white of an eye on a white backdrop) stays. Alpha is
//! binary afterwards, as pixel art needs.
//!
//! The pipeline runs this on the downsampled sprite, one pixel per cell, where the cell medians
//! have already removed the noise; it works on any RGBA image.

use std::collections::VecDeque;

use dgx_pixels_protocol::Rgb;
use image::RgbaImage;

use crate::color::Oklab;

/// How [`remove_background`] decides what is backdrop.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BackgroundOptions {
    /// Oklab distance from the backdrop colour still counted as backdrop. Default 0.05: wide
    /// enough for a faint gradient and JPEG drift, narrower than the difference between two
    /// colours a pixel artist would put side by side. Raise it for a strong gradient.
    pub tolerance: f32,
    /// Share of the border that must be one colour for it to count as a backdrop. Default 0.25:
    /// a sprite may touch the border on a few sides, but a tile with no backdrop has no
    /// single dominant border colour and is left alone.
    pub min_border_share: f32,
}

impl Default for BackgroundOptions {
    fn default() -> Self {
        Self { tolerance: 0.05, min_border_share: 0.25 }
    }
}

/// Border pixels examined as candidate backdrop colours at most.
const MAX_CANDIDATES: usize = 256;

/// Makes the backdrop of `image` transparent and every other pixel opaque. Returns the backdrop
/// colour, or `None` when no colour dominates the border (nothing is removed then, and alpha is
/// only binarised).
pub fn remove_background(image: &mut RgbaImage, options: &BackgroundOptions) -> Option<Rgb> {
    let found = find_backdrop(image, options);
    let mask = found.as_ref().map(|backdrop| backdrop.mask.as_slice());
    apply_mask(image, mask);
    found.map(|backdrop| backdrop.colour)
}

/// The backdrop [`find_backdrop`] found: its colour and which pixels it covers.
#[derive(Clone, Debug, PartialEq)]
pub struct Backdrop {
    /// The mean colour of the backdrop along the border.
    pub colour: Rgb,
    /// One entry per pixel, row by row: `true` where the backdrop is.
    pub mask: Vec<bool>,
}

impl Backdrop {
    /// The backdrop found on either of two readings of the same cells: its cells are those of
    /// both masks (the first's colour is kept).
    pub fn either(first: Option<Self>, second: Option<Self>) -> Option<Self> {
        match (first, second) {
            (Some(mut first), Some(second)) => {
                first.mask.iter_mut().zip(&second.mask).for_each(|(cell, &other)| *cell |= other);
                Some(first)
            }
            (first, second) => first.or(second),
        }
    }
}

/// Finds the backdrop of `image` without changing it: the dominant border colour and every pixel
/// within tolerance of it connected to the border (4-neighbourhood, so a diagonal gap in an
/// outline does not let the flood in).
pub fn find_backdrop(image: &RgbaImage, options: &BackgroundOptions) -> Option<Backdrop> {
    let (width, height) = image.dimensions();
    let reference = dominant_border_colour(image, options)?;
    let matches = backdrop_coloured(image, reference, options);
    let mut mask = vec![false; (width * height) as usize];
    flood(width, height, border(width, height), &matches, &mut mask);
    Some(Backdrop { colour: Rgb::from(reference), mask })
}

/// The 4-connected regions of pixels within tolerance of `backdrop`'s colour that its flood from
/// the border did not reach, each as its pixels' indices (row by row): holes in the sprite
/// through which the backdrop shows, or parts of the sprite drawn in the backdrop's colour.
/// Colour alone cannot tell them apart; [`crate::flatness::painted_backdrop`] can.
pub fn enclosed_regions(image: &RgbaImage, backdrop: &Backdrop, options: &BackgroundOptions) -> Vec<Vec<usize>> {
    let (width, height) = image.dimensions();
    let matches = backdrop_coloured(image, Oklab::from(backdrop.colour), options);
    let mut seen = backdrop.mask.clone();
    // Each region's own flood, cleared after it (only where it went), so no region costs a
    // mask of the whole image.
    let mut flooded = vec![false; seen.len()];
    let mut regions = Vec::new();
    for index in 0..seen.len() {
        if seen[index] || !matches[index] {
            continue;
        }
        let seed = (index as u32 % width, index as u32 / width);
        let region = flood(width, height, std::iter::once(seed), &matches, &mut flooded);
        for &pixel in &region {
            seen[pixel] = true;
            flooded[pixel] = false;
        }
        regions.push(region);
    }
    regions
}

/// One entry per pixel, row by row: transparent already, or within tolerance of `reference`.
fn backdrop_coloured(image: &RgbaImage, reference: Oklab, options: &BackgroundOptions) -> Vec<bool> {
    image
        .pixels()
        .map(|p| p.0[3] < 128 || Oklab::from_srgb([p.0[0], p.0[1], p.0[2]]).distance(reference) <= options.tolerance)
        .collect()
}

/// Sets `mask` on every pixel that `matches` and is 4-connected through matching pixels to one
/// of `seeds`, not crossing pixels already set; returns the indices it set.
fn flood(
    width: u32,
    height: u32,
    seeds: impl Iterator<Item = (u32, u32)>,
    matches: &[bool],
    mask: &mut [bool],
) -> Vec<usize> {
    let mut queue: VecDeque<(u32, u32)> = seeds.collect();
    let mut set = Vec::new();
    while let Some((x, y)) = queue.pop_front() {
        let index = (y * width + x) as usize;
        if mask[index] || !matches[index] {
            continue;
        }
        mask[index] = true;
        set.push(index);
        if x > 0 {
            queue.push_back((x - 1, y));
        }
        if x + 1 < width {
            queue.push_back((x + 1, y));
        }
        if y > 0 {
            queue.push_back((x, y - 1));
        }
        if y + 1 < height {
            queue.push_back((x, y + 1));
        }
    }
    set
}

/// Sets alpha to 0 where `mask` is set (or alpha was already under 128) and to 255 elsewhere.
pub fn apply_mask(image: &mut RgbaImage, mask: Option<&[bool]>) {
    for (index, pixel) in image.pixels_mut().enumerate() {
        let clear = mask.is_some_and(|m| m.get(index).copied().unwrap_or(false));
        pixel.0[3] = if clear || pixel.0[3] < 128 { 0 } else { 255 };
    }
}

/// The coordinates of the outer ring of a `width` × `height` image.
fn border(width: u32, height: u32) -> impl Iterator<Item = (u32, u32)> {
    let rows = (0..width).flat_map(move |x| [(x, 0), (x, height - 1)]);
    let columns = (1..height.saturating_sub(1)).flat_map(move |y| [(0, y), (width - 1, y)]);
    rows.chain(columns)
}

/// The colour shared by the largest part of the border, if that part is large enough.
///
/// The colour is found where the border's colours are densest, within half the tolerance: a
/// sprite colour near the backdrop's (a dark outline on a near-black backdrop) falls within the
/// whole tolerance of colours between the two, and a centre chosen and averaged over that wider
/// circle drifts toward the sprite, and then floods into it.
fn dominant_border_colour(image: &RgbaImage, options: &BackgroundOptions) -> Option<Oklab> {
    let (width, height) = image.dimensions();
    if width == 0 || height == 0 {
        return None;
    }
    let colours: Vec<Oklab> = border(width, height)
        .map(|(x, y)| image.get_pixel(x, y).0)
        .filter(|p| p[3] >= 128)
        .map(|p| Oklab::from_srgb([p[0], p[1], p[2]]))
        .collect();
    let ring = border(width, height).count();
    let step = colours.len().div_ceil(MAX_CANDIDATES).max(1);
    let near = |centre: Oklab, radius: f32| colours.iter().copied().filter(move |c| c.distance(centre) <= radius);
    let dense = options.tolerance / 2.0;
    let (best, _) =
        colours.iter().step_by(step).map(|&c| (c, near(c, dense).count())).max_by_key(|&(_, count)| count)?;
    // The mean of the matching border colours is steadier than any single one of them.
    let reference = Oklab::mean(near(best, dense))?;
    let share = near(reference, options.tolerance).count();
    ((share as f32) >= options.min_border_share * ring as f32).then_some(reference)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    /// A white backdrop with a black ring whose inside is white too.
    fn ringed() -> RgbaImage {
        RgbaImage::from_fn(9, 9, |x, y| {
            let ring = (2..=6).contains(&x) && (2..=6).contains(&y) && (x == 2 || x == 6 || y == 2 || y == 6);
            if ring { Rgba([0, 0, 0, 255]) } else { Rgba([250, 251, 249, 255]) }
        })
    }

    #[test]
    fn removes_the_backdrop_but_keeps_enclosed_pixels_of_its_colour() {
        let mut image = ringed();
        let backdrop = remove_background(&mut image, &BackgroundOptions::default());
        assert!(backdrop.is_some());
        assert_eq!(image.get_pixel(0, 0).0[3], 0);
        assert_eq!(image.get_pixel(2, 2).0[3], 255);
        assert_eq!(image.get_pixel(4, 4).0[3], 255, "enclosed white stays");
    }

    /// A near-black backdrop whose top row is a dark green sprite edge within the tolerance of
    /// it: the backdrop's colour is the backdrop's own, not an average pulled toward the green
    /// (which would be (22, 25, 28), and would flood further into the sprite).
    #[test]
    fn the_backdrop_colour_is_the_densest_border_colour() {
        let image = RgbaImage::from_fn(12, 12, |x, y| match (x, y) {
            (_, 0) | (0, 1..=2) => Rgba([16, 28, 14, 255]),
            (0 | 11, _) | (_, 11) => Rgba([24, 24, 32, 255]),
            _ => Rgba([60, 160, 60, 255]),
        });
        let backdrop = find_backdrop(&image, &BackgroundOptions::default()).expect("a backdrop");
        assert_eq!(backdrop.colour, Rgb([24, 24, 32]));
    }

    #[test]
    fn lists_the_enclosed_regions_of_the_backdrop_colour() {
        let image = ringed();
        let backdrop = find_backdrop(&image, &BackgroundOptions::default()).expect("a backdrop");
        let regions = enclosed_regions(&image, &backdrop, &BackgroundOptions::default());
        assert_eq!(regions.len(), 1);
        let mut inside = regions[0].clone();
        inside.sort_unstable();
        assert_eq!(inside, [30, 31, 32, 39, 40, 41, 48, 49, 50], "the 3x3 inside the ring");
    }

    #[test]
    fn leaves_a_tile_without_a_dominant_border_colour() {
        let mut image = RgbaImage::from_fn(8, 8, |x, y| Rgba([(x * 30) as u8, (y * 30) as u8, 90, 255]));
        assert_eq!(remove_background(&mut image, &BackgroundOptions::default()), None);
        assert!(image.pixels().all(|p| p.0[3] == 255));
    }
}
