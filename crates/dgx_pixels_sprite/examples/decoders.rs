//! PNG decoders side by side on the same files: decode time alone, in one process, each
//! decoder's output checked against the `image` crate's RGBA8.
//!
//! Run with:
//! ```sh
//! cargo run --release -p dgx_pixels_sprite --example decoders -- [--runs N] IN.png...
//! ```
//! Prints, per decoder, the median of every file's best-of-N time and the total of those best
//! times; `scripts/bench_decoders.sh` runs it on the pixelize bench inputs and the fidelity set.

use std::io::Cursor;
use std::time::{Duration, Instant};

use dgx_pixels_sprite::{DecodeLimits, decode_frame};

/// RGBA8 bytes in whatever memory the decoder put them (no copy inside the timed part).
type Pixels = Box<dyn std::ops::Deref<Target = [u8]>>;

/// One candidate: a name and a function from PNG bytes to RGBA8 bytes.
struct Decoder {
    name: &'static str,
    decode: fn(&[u8]) -> Result<Pixels, String>,
}

const DECODERS: [Decoder; 5] = [
    Decoder { name: "dgx_pixels_sprite::decode_frame", decode: ours },
    Decoder { name: "png 0.18 (EXPAND|ALPHA, CRC checked)", decode: png_default },
    Decoder { name: "png 0.18 (EXPAND|ALPHA, checksums ignored)", decode: png_fast },
    Decoder { name: "zune-png 0.5 (add alpha, CRC unchecked)", decode: zune },
    Decoder { name: "image 0.25 (png, into_rgba8)", decode: image_crate },
];

fn ours(bytes: &[u8]) -> Result<Pixels, String> {
    decode_frame(bytes, &DecodeLimits::default())
        .map(|image| Box::new(image.into_raw()) as Pixels)
        .map_err(|e| e.to_string())
}

fn png_default(bytes: &[u8]) -> Result<Pixels, String> {
    png_rgba(bytes, false)
}

fn png_fast(bytes: &[u8]) -> Result<Pixels, String> {
    png_rgba(bytes, true)
}

fn png_rgba(bytes: &[u8], ignore_checksums: bool) -> Result<Pixels, String> {
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
    decoder.ignore_checksums(ignore_checksums);
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let mut out = vec![0; reader.output_buffer_size().ok_or("image too large")?];
    let info = reader.next_frame(&mut out).map_err(|e| e.to_string())?;
    if info.color_type != png::ColorType::Rgba || info.bit_depth != png::BitDepth::Eight {
        return Err(format!("{:?} {:?} is not RGBA8", info.color_type, info.bit_depth));
    }
    out.truncate(info.buffer_size());
    Ok(Box::new(out))
}

fn zune(bytes: &[u8]) -> Result<Pixels, String> {
    let options = zune_png::zune_core::options::DecoderOptions::new_fast().png_set_add_alpha_channel(true);
    let mut decoder =
        zune_png::PngDecoder::new_with_options(zune_png::zune_core::bytestream::ZCursor::new(bytes), options);
    decoder.decode_headers().map_err(|e| format!("{e:?}"))?;
    let mut out = vec![0; decoder.output_buffer_size().ok_or("no header")?];
    decoder.decode_into(&mut out).map_err(|e| format!("{e:?}"))?;
    Ok(Box::new(out))
}

fn image_crate(bytes: &[u8]) -> Result<Pixels, String> {
    image::load_from_memory_with_format(bytes, image::ImageFormat::Png)
        .map(|image| Box::new(image.into_rgba8().into_raw()) as Pixels)
        .map_err(|e| e.to_string())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut runs = 30;
    if let Some(at) = args.iter().position(|a| a == "--runs") {
        runs = args.get(at + 1).ok_or("--runs N")?.parse()?;
        args.drain(at..at + 2);
    }
    if args.is_empty() {
        return Err("usage: decoders [--runs N] IN.png...".into());
    }
    let files: Vec<(String, Vec<u8>)> =
        args.into_iter().map(|path| std::fs::read(&path).map(|bytes| (path, bytes))).collect::<Result<_, _>>()?;
    let reference: Vec<Pixels> = files.iter().map(|(_, bytes)| image_crate(bytes)).collect::<Result<_, _>>()?;

    println!("| decoder | files | median of best-of-{runs} ms / file | total of best ms | vs first |");
    println!("|---|---|---|---|---|");
    let mut first_total = None;
    for decoder in &DECODERS {
        let mut best = Vec::with_capacity(files.len());
        for ((path, bytes), expected) in files.iter().zip(&reference) {
            let pixels = (decoder.decode)(bytes).map_err(|e| format!("{}: {path}: {e}", decoder.name))?;
            if **pixels != ***expected {
                return Err(format!("{}: {path}: pixels differ from the image crate's", decoder.name).into());
            }
            let fastest = (0..runs)
                .map(|_| {
                    let start = Instant::now();
                    std::hint::black_box((decoder.decode)(std::hint::black_box(bytes)).ok());
                    start.elapsed()
                })
                .min()
                .unwrap_or_default();
            best.push(fastest);
        }
        let total: Duration = best.iter().sum();
        best.sort();
        let median = best[best.len() / 2];
        let first = *first_total.get_or_insert(total);
        println!(
            "| {} | {} | {:.2} | {:.1} | {:.2}x |",
            decoder.name,
            files.len(),
            median.as_secs_f64() * 1e3,
            total.as_secs_f64() * 1e3,
            total.as_secs_f64() / first.as_secs_f64()
        );
    }
    Ok(())
}
