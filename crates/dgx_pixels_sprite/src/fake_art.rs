//! Fake AI pixel art for the tests: a known sprite, drawn in blocks of a non-integer size the
//! way a diffusion model draws it, so that a test can check what the pipeline recovers.

use image::{Rgba, RgbaImage};

use crate::unblur::{FROM_YCC, TO_YCC};

/// How far each fake pixel's colour drifts from the artist's, per channel (a standard
/// deviation, in levels): a generated image never repeats a colour exactly.
pub const DRIFT: f32 = 4.0;

/// The four colours of the sprites' insides.
const COLOURS: [[u8; 3]; 4] = [[200, 40, 40], [40, 160, 60], [230, 200, 60], [60, 80, 200]];

/// A deterministic sprite: a blob of four colours with a dark outline on transparency.
pub fn truth(width: u32, height: u32) -> RgbaImage {
    blob(width, height, |x, y| COLOURS[((x / 3 + y / 2 + x * y % 3) % 4) as usize])
}

/// The blob of [`truth`] painted in bands of four rows of one colour: flat areas, as most pixel
/// art has.
pub fn banded(width: u32, height: u32) -> RgbaImage {
    blob(width, height, |_, y| COLOURS[(y / 4 % 4) as usize])
}

/// An outlined ellipse on transparency, its inside painted by `inside`.
fn blob(width: u32, height: u32, inside: impl Fn(u32, u32) -> [u8; 3]) -> RgbaImage {
    RgbaImage::from_fn(width, height, |x, y| {
        let (dx, dy) = (x as f32 - width as f32 / 2.0 + 0.5, y as f32 - height as f32 / 2.0 + 0.5);
        let r = (dx * dx / (width * width) as f32 + dy * dy / (height * height) as f32).sqrt();
        if r > 0.42 {
            Rgba([0, 0, 0, 0])
        } else if r > 0.34 {
            Rgba([20, 16, 28, 255])
        } else {
            let [r, g, b] = inside(x, y);
            Rgba([r, g, b, 255])
        }
    })
}

/// `sprite` with every pixel doubled: art drawn at 2×.
pub fn doubled(sprite: &RgbaImage) -> RgbaImage {
    image::imageops::resize(sprite, sprite.width() * 2, sprite.height() * 2, image::imageops::FilterType::Nearest)
}

/// Fakes AI pixel art from `sprite`: blocks of `scale` px (non-integer, each boundary moved by up
/// to a tenth of a block), each with its own drift of [`DRIFT`], an off-white backdrop with a
/// gradient, a 3×3 blur and noise.
pub fn degrade(sprite: &RgbaImage, scale: f32) -> RgbaImage {
    degrade_with(sprite, scale, DRIFT, 0.0)
}

/// [`degrade`] with each fake pixel's colour drifting by `drift` levels and shaded by `shading`
/// levels across it (lighter down, and to the right or the left, as the pixel falls).
pub fn degrade_with(sprite: &RgbaImage, scale: f32, drift: f32, shading: f32) -> RgbaImage {
    let mut seed = 0x1234_5678u32;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        (seed % 1000) as f32 / 1000.0 - 0.5
    };
    let jitter: Vec<f32> = (0..=sprite.width().max(sprite.height())).map(|_| noise() * 0.2 * scale).collect();
    // A uniform spread of `12.0f32.sqrt()` has a standard deviation of one.
    let drifts: Vec<[f32; 3]> = (0..sprite.width() * sprite.height())
        .map(|_| std::array::from_fn(|_| noise() * 12.0f32.sqrt() * drift))
        .collect();
    let boundaries = |n: u32| -> Vec<f32> { (0..=n).map(|k| k as f32 * scale + jitter[k as usize] + 2.0).collect() };
    let (bx, by) = (boundaries(sprite.width()), boundaries(sprite.height()));
    let block = |b: &[f32], v: u32| b.iter().rposition(|&e| e <= v as f32 + 0.5).unwrap_or(0).min(b.len() - 2) as u32;
    let (w, h) = ((sprite.width() as f32 * scale) as u32, (sprite.height() as f32 * scale) as u32);
    let sharp: Vec<[f32; 3]> = (0..w * h)
        .map(|i| {
            let (x, y) = (i % w, i / w);
            let (column, row) = (block(&bx, x), block(&by, y));
            let p = sprite.get_pixel(column, row).0;
            let backdrop = 240.0 + 6.0 * x as f32 / w as f32;
            if p[3] == 0 {
                [backdrop, backdrop, 236.0]
            } else {
                let drift = drifts[(row * sprite.width() + column) as usize];
                let across = (x as f32 - bx[column as usize]) / scale - 0.5;
                let down = (y as f32 - by[row as usize]) / scale - 0.5;
                let side = if (column * 7 + row * 3) % 2 == 0 { 1.0 } else { -1.0 };
                std::array::from_fn(|c| f32::from(p[c]) + drift[c] + shading * (side * across + down))
            }
        })
        .collect();
    RgbaImage::from_fn(w, h, |x, y| {
        let mut sum = [0.0f32; 3];
        for (nx, ny) in
            (0..9).map(|i| ((x + i % 3).saturating_sub(1).min(w - 1), (y + i / 3).saturating_sub(1).min(h - 1)))
        {
            let p = sharp[(ny * w + nx) as usize];
            (0..3).for_each(|c| sum[c] += p[c] / 9.0);
        }
        let [r, g, b] = sum.map(|v| (v + noise() * 12.0).clamp(0.0, 255.0) as u8);
        Rgba([r, g, b, 255])
    })
}

/// Fakes the small-cell case exactly: `sprite`'s pixels (alpha ignored) as flat cells of
/// `pitch` px from the image's edge, blurred by a Gaussian of `sigma` px and sampled at the
/// pixels' centres, and, with `halve_chroma`, its chroma halved as JPEG 4:2:0 does (the mean of
/// each 2×2 block, interpolated back linearly between the blocks' centres). No drift and no
/// noise: what is left is the blur's own doing.
pub fn blurred_cells(sprite: &RgbaImage, pitch: f32, sigma: f32, halve_chroma: bool) -> RgbaImage {
    let (w, h) = ((sprite.width() as f32 * pitch).round() as usize, (sprite.height() as f32 * pitch).round() as usize);
    // How much of each cell the blur brings to each pixel along one axis; the outer cells
    // reach on past the image's edge.
    let shares = |len: usize, cells: u32| -> Vec<Vec<f32>> {
        let phi = |z: f32| 0.5 * libm::erfcf(-z / std::f32::consts::SQRT_2);
        let edge = |k: u32| match k {
            0 => f32::NEG_INFINITY,
            k if k == cells => f32::INFINITY,
            k => k as f32 * pitch,
        };
        (0..len)
            .map(|v| {
                let centre = v as f32 + 0.5;
                (0..cells).map(|k| phi((edge(k + 1) - centre) / sigma) - phi((edge(k) - centre) / sigma)).collect()
            })
            .collect()
    };
    let (across, down) = (shares(w, sprite.width()), shares(h, sprite.height()));
    let mut planes: [Vec<f32>; 3] = std::array::from_fn(|c| {
        (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                sprite
                    .enumerate_pixels()
                    .map(|(column, row, p)| down[y][row as usize] * across[x][column as usize] * f32::from(p.0[c]))
                    .sum()
            })
            .collect()
    });
    if halve_chroma {
        halve(&mut planes, w, h);
    }
    RgbaImage::from_fn(w as u32, h as u32, |x, y| {
        let i = y as usize * w + x as usize;
        let [r, g, b] = [0, 1, 2].map(|c| planes[c][i].round().clamp(0.0, 255.0) as u8);
        Rgba([r, g, b, 255])
    })
}

/// JPEG's 4:2:0 on RGB planes: chroma (JFIF Y′CbCr) averaged over 2×2 blocks, then interpolated
/// linearly between the blocks' centres back to every pixel; luma untouched.
fn halve(planes: &mut [Vec<f32>; 3], w: usize, h: usize) {
    let ycc: Vec<[f32; 3]> = (0..w * h)
        .map(|i| {
            let rgb = [0, 1, 2].map(|c| f64::from(planes[c][i]));
            TO_YCC.map(|row| (0..3).map(|c| row[c] * rgb[c]).sum::<f64>() as f32)
        })
        .collect();
    let (bw, bh) = (w.div_ceil(2), h.div_ceil(2));
    let block = |c: usize, bx: usize, by: usize| {
        let pixels: Vec<f32> = (0..4)
            .map(|k| ((2 * bx + k % 2).min(w - 1), (2 * by + k / 2).min(h - 1)))
            .map(|(x, y)| ycc[y * w + x][c])
            .collect();
        pixels.iter().sum::<f32>() / 4.0
    };
    // A pixel's position in block units, measured from the first block's centre.
    let between = |v: usize, blocks: usize| {
        let at = ((v as f32 + 0.5) / 2.0 - 0.5).clamp(0.0, (blocks - 1) as f32);
        let low = at.floor() as usize;
        (low, (low + 1).min(blocks - 1), at - low as f32)
    };
    for i in 0..w * h {
        let ((x0, x1, fx), (y0, y1, fy)) = (between(i % w, bw), between(i / w, bh));
        let chroma = |c| {
            let top = block(c, x0, y0) * (1.0 - fx) + block(c, x1, y0) * fx;
            let bottom = block(c, x0, y1) * (1.0 - fx) + block(c, x1, y1) * fx;
            top * (1.0 - fy) + bottom * fy
        };
        let read = [ycc[i][0], chroma(1), chroma(2)].map(f64::from);
        for (plane, row) in planes.iter_mut().zip(FROM_YCC) {
            plane[i] = (0..3).map(|k| row[k] * read[k]).sum::<f64>() as f32;
        }
    }
}
