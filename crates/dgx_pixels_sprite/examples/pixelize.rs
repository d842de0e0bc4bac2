//! A development driver for the pipeline without the server crate: the same job as
//! `dgx-pixels pixelize`, with a few flags, for tuning against the fidelity bench.
//!
//! Run with:
//! ```sh
//! cargo run --release -p dgx_pixels_sprite --example pixelize -- IN.png OUT.png [WxH|auto] [COLORS] [keep]
//! ```
//! Set `PIXELIZE_DEBUG=1` to print the detected size and stage times on stderr.

use std::time::Instant;

use dgx_pixels_protocol::{Background, SpriteSize};
use dgx_pixels_sprite::{DecodeLimits, PipelineBuilder, TargetSize, decode_frame};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output, rest @ ..] = args.as_slice() else {
        return Err("usage: pixelize IN OUT [WxH|auto] [COLORS] [keep]".into());
    };
    let size = match rest.first().map(String::as_str) {
        None | Some("auto") => TargetSize::Auto,
        Some(text) => {
            let (w, h) = text.split_once('x').ok_or("size must be WxH or auto")?;
            TargetSize::Exact(SpriteSize::new(w.parse()?, h.parse()?))
        }
    };
    let colors: u16 = rest.get(1).map(|c| c.parse()).transpose()?.unwrap_or(16);
    let background = if rest.get(2).is_some_and(|b| b == "keep") { Background::Keep } else { Background::Transparent };

    let start = Instant::now();
    let bytes = std::fs::read(input)?;
    let image = decode_frame(&bytes, &DecodeLimits::default())?;
    let decoded = start.elapsed();
    let result = PipelineBuilder::new().size(size).colors(colors).background(background).build()?.process(&[image])?;
    let processed = start.elapsed();
    result.frames[0].save(output)?;
    if std::env::var_os("PIXELIZE_DEBUG").is_some() {
        let (w, h) = result.frames[0].dimensions();
        eprintln!("{w}x{h} decode {decoded:?} total {processed:?} colours {}", result.palette.len());
    }
    Ok(())
}
