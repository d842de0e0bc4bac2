//! A tiny canvas for placeholder sprites: shapes in 0..1 coordinates filled at pixel centres,
//! then a pixel-art finish (light from the top left, a dark outline).

use image::{Rgba, RgbaImage};

/// Pixels of one frame; `None` is transparent.
pub(super) struct Canvas {
    width: u32,
    height: u32,
    pixels: Vec<Option<Rgba<u8>>>,
}

impl Canvas {
    pub fn new(width: u32, height: u32) -> Self {
        Self { width, height, pixels: vec![None; (width * height) as usize] }
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    /// Sets pixel `(x, y)` (pixel coordinates); outside the canvas is ignored.
    pub fn set(&mut self, x: i64, y: i64, colour: Rgba<u8>) {
        if (0..i64::from(self.width)).contains(&x) && (0..i64::from(self.height)).contains(&y) {
            self.pixels[(y as u32 * self.width + x as u32) as usize] = Some(colour);
        }
    }

    /// Fills every pixel whose centre `(u, v)` in 0..1 satisfies `inside`.
    pub fn fill_where(&mut self, colour: Rgba<u8>, inside: impl Fn(f32, f32) -> bool) {
        for y in 0..self.height {
            for x in 0..self.width {
                let u = (x as f32 + 0.5) / self.width as f32;
                let v = (y as f32 + 0.5) / self.height as f32;
                if inside(u, v) {
                    self.pixels[(y * self.width + x) as usize] = Some(colour);
                }
            }
        }
    }

    pub fn ellipse(&mut self, cx: f32, cy: f32, rx: f32, ry: f32, colour: Rgba<u8>) {
        self.fill_where(colour, |u, v| ((u - cx) / rx).powi(2) + ((v - cy) / ry).powi(2) <= 1.0);
    }

    pub fn rect(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, colour: Rgba<u8>) {
        self.fill_where(colour, |u, v| (x0..=x1).contains(&u) && (y0..=y1).contains(&v));
    }

    /// A rhombus centred at `(cx, cy)`.
    pub fn diamond(&mut self, cx: f32, cy: f32, rx: f32, ry: f32, colour: Rgba<u8>) {
        self.fill_where(colour, |u, v| (u - cx).abs() / rx + (v - cy).abs() / ry <= 1.0);
    }

    /// A segment from `a` to `b` with round ends of radius `r` (limbs, blades).
    pub fn capsule(&mut self, a: (f32, f32), b: (f32, f32), r: f32, colour: Rgba<u8>) {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let length2 = (dx * dx + dy * dy).max(1e-6);
        self.fill_where(colour, |u, v| {
            let t = (((u - a.0) * dx + (v - a.1) * dy) / length2).clamp(0.0, 1.0);
            let (px, py) = (a.0 + t * dx - u, a.1 + t * dy - v);
            px * px + py * py <= r * r
        });
    }

    /// One pixel at `(u, v)` in 0..1 (eyes, glints), whatever the sprite size.
    pub fn dot(&mut self, u: f32, v: f32, colour: Rgba<u8>) {
        let x = (u * self.width as f32).floor() as i64;
        let y = (v * self.height as f32).floor() as i64;
        self.set(x, y, colour);
    }

    /// The pixels as they are, for seamless tiles that must not get shaded edges.
    pub fn into_image(self) -> RgbaImage {
        RgbaImage::from_fn(self.width, self.height, |x, y| {
            self.pixels[(y * self.width + x) as usize].unwrap_or(Rgba([0, 0, 0, 0]))
        })
    }

    /// Shades edges (light top-left, dark bottom-right), draws an outline in `outline` around
    /// the shape, and returns the image.
    pub fn finish(self, outline: Rgba<u8>) -> RgbaImage {
        let (w, h) = (i64::from(self.width), i64::from(self.height));
        let at = |x: i64, y: i64| -> Option<Rgba<u8>> {
            if (0..w).contains(&x) && (0..h).contains(&y) { self.pixels[(y * w + x) as usize] } else { None }
        };
        RgbaImage::from_fn(self.width, self.height, |x, y| {
            let (x, y) = (i64::from(x), i64::from(y));
            match at(x, y) {
                Some(colour) if at(x + 1, y + 1).is_none() || at(x, y + 1).is_none() => scale(colour, 0.75),
                Some(colour) if at(x - 1, y - 1).is_none() || at(x, y - 1).is_none() => scale(colour, 1.2),
                Some(colour) => colour,
                None => {
                    let touches =
                        [(1, 0), (-1, 0), (0, 1), (0, -1)].iter().any(|(dx, dy)| at(x + dx, y + dy).is_some());
                    if touches { outline } else { Rgba([0, 0, 0, 0]) }
                }
            }
        })
    }
}

/// `colour` with its RGB scaled by `factor` (lighter above 1).
pub(super) fn scale(colour: Rgba<u8>, factor: f32) -> Rgba<u8> {
    let [r, g, b, a] = colour.0;
    let f = |c: u8| (f32::from(c) * factor).round().clamp(0.0, 255.0) as u8;
    Rgba([f(r), f(g), f(b), a])
}
