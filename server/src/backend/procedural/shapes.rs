//! How each subject is drawn at one animation phase, facing one way.
//!
//! Coordinates are fractions of the frame (0..1, y down), so a design looks the same at 16×16
//! and 128×128. The phase `t` runs once around the circle over the sheet, so the last frame
//! leads smoothly back into the first.
//!
//! A facing is drawn from one of five views (front, three-quarter front, side, three-quarter
//! back, back), all turned to the left; the east-facing ones are those views mirrored, as an
//! artist draws them. Characters and animals turn; items look the same from every side.

use std::f32::consts::TAU;

use dgx_pixels_protocol::{Facing, SpriteSize};
use image::imageops::flip_horizontal;
use image::{Rgba, RgbaImage};

use super::design::{Design, SplitMix, Subject};
use super::paint::{Canvas, scale};

const INK: Rgba<u8> = Rgba([24, 20, 28, 255]);
const WHITE: Rgba<u8> = Rgba([250, 250, 245, 255]);
const GLASS: Rgba<u8> = Rgba([200, 220, 230, 255]);
const WOOD: Rgba<u8> = Rgba([120, 78, 44, 255]);

/// How far a view is turned from the viewer, always to the left.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct View {
    /// 0 seen from the front (or the back), 0.5 three-quarter, 1 in profile.
    side: f32,
    /// Seen from behind: no face.
    back: bool,
}

impl View {
    /// The view a sprite without a facing is drawn in: the front.
    pub const FRONT: View = View { side: 0.0, back: false };

    /// The view of `facing`, and whether it is that view mirrored (the east-facing ones).
    pub fn of(facing: Facing) -> (View, bool) {
        let view = |side, back| View { side, back };
        match facing {
            Facing::S => (view(0.0, false), false),
            Facing::Sw => (view(0.5, false), false),
            Facing::W => (view(1.0, false), false),
            Facing::Nw => (view(0.5, true), false),
            Facing::N => (view(0.0, true), false),
            east => (View::of(east.mirror()).0, true),
        }
    }
}

/// Frame `index` of `frames` of `design` at `size`, facing `facing` (`None`: the front).
pub(super) fn render(design: &Design, size: SpriteSize, index: u32, frames: u32, facing: Option<Facing>) -> RgbaImage {
    let (view, mirrored) = facing.map_or((View::FRONT, false), View::of);
    let drawn = render_view(design, size, index, frames, view);
    if mirrored { flip_horizontal(&drawn) } else { drawn }
}

fn render_view(design: &Design, size: SpriteSize, index: u32, frames: u32, view: View) -> RgbaImage {
    let phase = index as f32 / frames.max(1) as f32;
    let t = phase * TAU;
    let mut canvas = Canvas::new(size.width, size.height);
    let outline = scale(design.primary, 0.3);
    match design.subject {
        Subject::Character => character(&mut canvas, design, t, view),
        Subject::Slime => slime(&mut canvas, design, t, view),
        Subject::Flyer => flyer(&mut canvas, design, t, view),
        Subject::Beast if view.side < 0.5 => beast_head_on(&mut canvas, design, t, view),
        Subject::Beast => {
            beast(&mut canvas, design, t);
            // Drawn facing right; the views face left.
            let drawn = canvas.finish(outline);
            return flip_horizontal(&drawn);
        }
        Subject::Blade => blade(&mut canvas, design, t, phase),
        Subject::Potion => potion(&mut canvas, design, t, phase),
        Subject::Gem => gem(&mut canvas, design, t),
        Subject::Chest => chest(&mut canvas, design, t),
        Subject::Tile => return tile(canvas, design, index),
    }
    canvas.finish(outline)
}

fn character(canvas: &mut Canvas, d: &Design, t: f32, view: View) {
    let (s, bob) = (t.sin(), 0.03 * t.sin().abs());
    let (side, front) = (view.side, 1.0 - view.side);
    let j = d.jitter;
    let body = d.primary;
    let limbs = scale(d.secondary, 0.9);
    let head_y = 0.24 - bob;
    let head_x = 0.5 - 0.03 * side;
    // From the front the legs stand apart and swing a little; in profile they overlap and
    // stride along the way the character walks.
    let (spread, stride) = (0.07 * front, 0.09 * front + 0.14 * side);
    let half = 0.16 - 0.04 * side + 0.02 * j[0];
    // Back arm, legs, body, head, front arm: back to front.
    if side < 1.0 {
        canvas.capsule((0.5 - half, 0.42 - bob), (0.5 - half - 0.03 + 0.06 * s, 0.62 - bob), 0.05, scale(body, 0.8));
    }
    canvas.capsule((0.5 - spread, 0.64 - bob), (0.5 - spread + stride * s, 0.9), 0.065, limbs);
    canvas.capsule((0.5 + spread, 0.64 - bob), (0.5 + spread - stride * s, 0.9), 0.065, limbs);
    canvas.rect(0.5 - half, 0.38 - bob, 0.5 + half, 0.66 - bob, body);
    canvas.rect(0.5 - half, 0.6 - bob, 0.5 + half, 0.64 - bob, scale(d.secondary, 0.7));
    if view.back {
        // A cape over the back, hanging to the belt.
        canvas.rect(0.5 - half + 0.03 + 0.03 * side, 0.4 - bob, 0.5 + half - 0.03, 0.6 - bob, scale(d.secondary, 0.8));
    }
    canvas.ellipse(head_x, head_y, 0.14 + 0.015 * j[1], 0.14, d.accent);
    if d.has("wizard") || d.has("mage") || d.has("witch") {
        let brim = head_y - 0.07;
        canvas.fill_where(d.secondary, |u, v| {
            v <= brim && v >= brim - 0.22 && (u - head_x - 0.04 * side).abs() < (v - brim + 0.22) * 0.8
        });
        canvas.rect(0.3, brim - 0.02, 0.7, brim + 0.02, d.secondary);
    } else if d.has("knight") || d.has("robot") || d.has("guard") || d.has("paladin") {
        canvas.ellipse(head_x, head_y, 0.15, 0.15, scale(body, 1.15));
        if !view.back {
            canvas.rect(0.4 - 0.06 * side, head_y - 0.01, 0.62 - 0.1 * side, head_y + 0.03, INK);
        }
    } else if view.back {
        canvas.ellipse(head_x + 0.02 * side, head_y - 0.01, 0.145, 0.14, d.secondary);
    } else {
        canvas.ellipse(head_x + 0.06 * side, head_y - 0.07 + 0.02 * side, 0.15 - 0.03 * side, 0.08, d.secondary);
    }
    if !view.back {
        // Eyes slide towards the way it looks; in profile the far one is hidden.
        canvas.dot(0.46 - 0.07 * side, head_y + 0.02, INK);
        if side < 1.0 {
            canvas.dot(0.56 - 0.07 * side, head_y + 0.02, INK);
        }
    }
    let hand_x = 0.5 + half + 0.03 - 0.06 * s - (0.16 + half) * side;
    canvas.capsule((0.5 + half - (half + 0.02) * side, 0.42 - bob), (hand_x, 0.62 - bob), 0.05, scale(body, 0.9));
}

fn slime(canvas: &mut Canvas, d: &Design, t: f32, view: View) {
    let squash = 0.14 * t.sin();
    let rx = (0.36 + 0.02 * d.jitter[0]) * (1.0 + squash);
    let ry = 0.27 * (1.0 - squash);
    let cy = 0.9 - ry;
    canvas.ellipse(0.5, cy, rx, ry, d.primary);
    canvas.rect(0.5 - rx * 0.9, cy, 0.5 + rx * 0.9, 0.9, d.primary);
    canvas.ellipse(0.38, cy - ry * 0.45, 0.05, 0.04, scale(d.primary, 1.5));
    eyes(canvas, view, (0.42, 0.58), cy, INK);
}

/// Two eyes at `xs` (seen from the front) on row `y`: they slide left as the view turns, the
/// far one hides in profile, and from behind there are none.
fn eyes(canvas: &mut Canvas, view: View, xs: (f32, f32), y: f32, colour: Rgba<u8>) {
    if view.back {
        return;
    }
    let slide = 0.08 * view.side;
    canvas.dot(xs.0 - slide, y, colour);
    if view.side < 1.0 {
        canvas.dot(xs.1 - slide, y, colour);
    }
}

fn flyer(canvas: &mut Canvas, d: &Design, t: f32, view: View) {
    let (flap, cy) = (t.sin(), 0.5 - 0.05 * t.cos());
    let wing = d.secondary;
    canvas.capsule((0.42, cy), (0.12, cy - 0.22 * flap - 0.02), 0.08, wing);
    canvas.capsule((0.58, cy), (0.88, cy - 0.22 * flap - 0.02), 0.08, wing);
    canvas.ellipse(0.5, cy, 0.14 + 0.01 * d.jitter[0], 0.17, d.primary);
    eyes(canvas, view, (0.45, 0.55), cy - 0.05, d.accent);
}

fn beast(canvas: &mut Canvas, d: &Design, t: f32) {
    let (s, bob) = (t.sin(), 0.02 * t.sin().abs());
    let legs = scale(d.primary, 0.8);
    canvas.capsule((0.24, 0.5 - bob), (0.1, 0.38 + 0.07 * s), 0.035, d.primary);
    for (i, x) in [0.32_f32, 0.42, 0.56, 0.66].into_iter().enumerate() {
        let swing = if i % 2 == 0 { s } else { -s };
        canvas.capsule((x, 0.6 - bob), (x + 0.05 * swing, 0.88), 0.045, legs);
    }
    canvas.ellipse(0.48, 0.55 - bob, 0.26 + 0.02 * d.jitter[0], 0.14, d.primary);
    canvas.ellipse(0.76, 0.42 - bob, 0.12, 0.11 + 0.01 * d.jitter[1], d.primary);
    canvas.capsule((0.72, 0.34 - bob), (0.7, 0.24 - bob), 0.035, d.primary);
    canvas.ellipse(0.86, 0.46 - bob, 0.06, 0.05, d.secondary);
    canvas.dot(0.8, 0.4 - bob, INK);
}

/// An animal seen from the front or from behind: a round body, the head in front of it (or
/// the tail, from behind), legs trotting in place.
fn beast_head_on(canvas: &mut Canvas, d: &Design, t: f32, view: View) {
    let (s, bob) = (t.sin(), 0.02 * t.sin().abs());
    let legs = scale(d.primary, 0.8);
    for (i, x) in [0.36_f32, 0.45, 0.55, 0.64].into_iter().enumerate() {
        let lift = if i % 2 == 0 { s.max(0.0) } else { (-s).max(0.0) };
        canvas.capsule((x, 0.62 - bob), (x, 0.88 - 0.04 * lift), 0.045, legs);
    }
    canvas.ellipse(0.5, 0.56 - bob, 0.2 + 0.02 * d.jitter[0], 0.16, d.primary);
    if view.back {
        canvas.capsule((0.5, 0.5 - bob), (0.5 + 0.06 * s, 0.3), 0.035, d.primary);
    } else {
        canvas.ellipse(0.5, 0.42 - bob, 0.12, 0.11 + 0.01 * d.jitter[1], d.primary);
        canvas.ellipse(0.5, 0.48 - bob, 0.06, 0.04, d.secondary);
        eyes(canvas, view, (0.45, 0.55), 0.39 - bob, INK);
    }
    canvas.capsule((0.4, 0.36 - bob), (0.38, 0.26 - bob), 0.035, d.primary);
    canvas.capsule((0.6, 0.36 - bob), (0.62, 0.26 - bob), 0.035, d.primary);
}

fn blade(canvas: &mut Canvas, d: &Design, t: f32, phase: f32) {
    let dy = 0.03 * t.sin();
    canvas.capsule((0.32, 0.68 + dy), (0.8, 0.2 + dy), 0.065, scale(d.primary, 1.1));
    canvas.capsule((0.2, 0.6 + dy), (0.4, 0.8 + dy), 0.045, d.accent);
    canvas.capsule((0.28, 0.72 + dy), (0.16, 0.84 + dy), 0.045, WOOD);
    let along = 0.15 + 0.7 * phase;
    canvas.dot(0.32 + 0.48 * along, 0.68 - 0.48 * along + dy, WHITE);
}

fn potion(canvas: &mut Canvas, d: &Design, t: f32, phase: f32) {
    canvas.ellipse(0.5, 0.64, 0.25, 0.25, GLASS);
    canvas.rect(0.42, 0.22, 0.58, 0.45, GLASS);
    canvas.rect(0.4, 0.12, 0.6, 0.23, WOOD);
    let level = 0.56 + 0.03 * t.sin();
    canvas.fill_where(d.primary, |u, v| v > level && ((u - 0.5) / 0.2).powi(2) + ((v - 0.64) / 0.2).powi(2) <= 1.0);
    canvas.dot(0.45 + 0.08 * phase, 0.82 - 0.22 * phase, WHITE);
}

fn gem(canvas: &mut Canvas, d: &Design, t: f32) {
    let bob = 0.03 * t.sin();
    if d.has("coin") {
        let rx = 0.05 + 0.27 * (t / 2.0).cos().abs();
        canvas.ellipse(0.5, 0.5 + bob, rx, 0.32, d.primary);
        canvas.ellipse(0.5, 0.5 + bob, rx * 0.6, 0.2, scale(d.primary, 0.85));
    } else {
        canvas.diamond(0.5, 0.5 + bob, 0.3 + 0.02 * d.jitter[0], 0.38, d.primary);
        canvas.diamond(0.43, 0.4 + bob, 0.1, 0.12, scale(d.primary, 1.4));
    }
    let (sx, sy) = (0.5 + 0.22 * t.cos(), 0.5 + 0.26 * t.sin() + bob);
    for (dx, dy) in [(0.0, 0.0), (0.04, 0.0), (-0.04, 0.0), (0.0, 0.04), (0.0, -0.04)] {
        canvas.dot(sx + dx, sy + dy, WHITE);
    }
}

fn chest(canvas: &mut Canvas, d: &Design, t: f32) {
    let lift = 0.06 * t.sin().max(0.0);
    let wood = if d.has("barrel") || d.has("crate") { WOOD } else { d.primary };
    canvas.rect(0.14, 0.46, 0.86, 0.86, wood);
    canvas.rect(0.14, 0.28 - lift, 0.86, 0.45 - lift, scale(wood, 1.15));
    canvas.rect(0.14, 0.6, 0.86, 0.65, d.accent);
    canvas.rect(0.45, 0.5, 0.55, 0.62, d.accent);
    canvas.dot(0.5, 0.56, INK);
}

/// A seamless tile: a ground colour, a material pattern and a highlight that moves per frame.
fn tile(mut canvas: Canvas, d: &Design, index: u32) -> RgbaImage {
    const MATERIALS: &[(&str, u32)] = &[
        ("grass", 0x4c9a3c),
        ("water", 0x3a70c8),
        ("lava", 0xd8501c),
        ("sand", 0xd8c080),
        ("dirt", 0x8a6038),
        ("brick", 0xa04a3a),
        ("wall", 0x7a7a84),
        ("stone", 0x7a7a84),
        ("ice", 0xa8d8f0),
        ("wood", 0x9a6a3c),
        ("floor", 0x8a7a6a),
    ];
    let material = MATERIALS.iter().find(|(word, _)| d.has(word));
    let base = material.map_or(d.primary, |(_, rgb)| Rgba([(rgb >> 16) as u8, (rgb >> 8) as u8, *rgb as u8, 255]));
    let name = material.map_or("", |(word, _)| word);
    let (w, h) = (canvas.width(), canvas.height());
    let cell = (w / 8).max(1);
    let seed = d.jitter[0].to_bits() as u64;
    // Every pattern repeats a whole number of times across the tile (bricks: 2 per row, 4
    // rows; waves: 16 steps each way), so whatever its size the tile continues across its edges.
    for y in 0..h {
        for x in 0..w {
            let noise = SplitMix(seed ^ (u64::from(y) << 32 | u64::from(x))).next() % 16;
            let colour = match name {
                "brick" | "wall" => {
                    let row = y * 4 / h;
                    let along = (x + (row % 2) * w / 4) % w;
                    let mortar = (y * 4) % h < 4.min(h) || (along * 2) % w < 2.min(w);
                    if mortar { scale(base, 1.5) } else { scale(base, 0.9 + noise as f32 / 80.0) }
                }
                "water" | "lava" => {
                    let wave = (x * 16 / w + 2 * (y * 16 / h) + 2 * index).is_multiple_of(8);
                    if wave { scale(base, 1.4) } else { scale(base, 0.95 + noise as f32 / 160.0) }
                }
                _ => scale(base, 0.85 + noise as f32 / 60.0),
            };
            canvas.set(i64::from(x), i64::from(y), colour);
        }
    }
    // Away from the edges for the first frame, so the tile's border looks like its inside.
    let glint = (w / 3 + index * cell * 2) % w.max(1);
    canvas.set(i64::from(glint), i64::from((glint + h / 3) % h.max(1)), scale(base, 1.6));
    canvas.into_image()
}
