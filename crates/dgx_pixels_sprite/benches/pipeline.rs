//! Criterion benchmarks of the pipeline on a 1024×1024 RGB fake (32×32 sprite, 16 colours,
//! backdrop removed): PNG decoding, grid detection, and the whole job from PNG bytes to PNG
//! bytes.
//!
//! Run with `cargo bench -p dgx_pixels_sprite --bench pipeline`.
#![expect(missing_docs, reason = "criterion_group! generates an undocumented public function")]

use std::hint::black_box;
use std::io::Cursor;

use criterion::{Criterion, criterion_group, criterion_main};
use dgx_pixels_protocol::SpriteSize;
use dgx_pixels_sprite::grid::detect_grid;
use dgx_pixels_sprite::{DecodeLimits, PipelineBuilder, TargetSize, decode_bounded, decode_frame, view};
use image::{Rgb, RgbImage};

/// A 1024×1024 fake: a 32×32 sprite of 12 colours in blocks of 31.7 px on an off-white
/// backdrop, with deterministic noise, encoded as an RGB PNG like a generator's output.
fn fake_png() -> Vec<u8> {
    let mut seed = 0x9e37_79b9u32;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        (seed % 9) as i16 - 4
    };
    let image = RgbImage::from_fn(1024, 1024, |x, y| {
        let (cx, cy) = ((x as f32 / 31.7) as i32, (y as f32 / 31.7) as i32);
        let inside = (cx - 16).pow(2) + (cy - 16).pow(2) < 150;
        let base = if inside {
            let k = ((cx * 7 + cy * 3) % 12) as u8;
            [40 + k * 17, 200 - k * 13, 60 + k * 11]
        } else {
            [246, 244, 238]
        };
        Rgb(base.map(|v| (i16::from(v) + noise()).clamp(0, 255) as u8))
    });
    let mut bytes = Vec::new();
    image.write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png).expect("encoding the fake");
    bytes
}

fn benches(c: &mut Criterion) {
    let png = fake_png();
    let limits = DecodeLimits::default();
    let decoded = decode_bounded(&png, &limits).expect("decoding the fake");
    let pipeline =
        PipelineBuilder::new().size(TargetSize::Exact(SpriteSize::new(32, 32))).colors(16).build().expect("settings");
    let auto = PipelineBuilder::new().colors(16).build().expect("settings");

    c.bench_function("decode 1024x1024 RGB PNG", |b| b.iter(|| decode_bounded(black_box(&png), &limits)));
    c.bench_function("decode 1024x1024 RGB PNG into huge pages", |b| b.iter(|| decode_frame(black_box(&png), &limits)));
    c.bench_function("detect grid auto 1024x1024", |b| b.iter(|| detect_grid(&view(black_box(&decoded)), None)));
    c.bench_function("process 1024x1024 -> 32x32 given", |b| {
        b.iter(|| pipeline.process(std::slice::from_ref(black_box(&decoded))))
    });
    c.bench_function("process 1024x1024 -> auto", |b| {
        b.iter(|| auto.process(std::slice::from_ref(black_box(&decoded))))
    });
    c.bench_function("png bytes -> 32x32 png bytes", |b| {
        b.iter(|| {
            let image = decode_frame(black_box(&png), &limits).expect("decoding");
            let result = pipeline.process(&[image]).expect("processing");
            let mut out = Vec::new();
            result.frames[0].write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png).expect("encoding");
            out
        })
    });
}

criterion_group!(pipeline_benches, benches);
criterion_main!(pipeline_benches);
