//! `dgx-pixels generate`: queue a sprite (or a tile, `--kind tile`) on a server, follow it, and write `NAME.png`,
//! `NAME.atlas.ron` and `NAME.sprite.ron` into `--out`. With `--from JOB[:FRAME]` the sprite is
//! an edit or variation of a frame of an earlier job (img2img), changed as much as `--denoise`.
//!
//! A progress bar is drawn only when stderr is a terminal ([`super::follow`]); otherwise progress
//! is silent and the written paths are the only output, so scripts can use it.

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;
use dgx_pixels_client::{Client, DEFAULT_SERVER, ENV_SERVER, ENV_TOKEN};
use dgx_pixels_protocol::{
    GenerateRequest, JobId, JobStatus, PaletteFrom, PaletteSpec, Preset, RequestKind, SourceImage, SpriteSize,
    SpriteSpec, StyleChoice,
};
use dgx_pixels_sprite::palette_source::fill_from_art;

use super::follow::{block_on, explain, follow};

/// Flags of `dgx-pixels generate`.
#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// What to draw, e.g. "knight, walk cycle, side view".
    prompt: String,
    /// Frames of the animation (1..=64); with --directions, of each facing.
    #[arg(long, default_value_t = 1)]
    frames: u32,
    /// What to make: `sprite`, `tile` (square, opaque, repeats without a seam) or `tileset` (16
    /// autotiles between --lower and --upper).
    #[arg(long, default_value = "sprite", value_parser = parse_kind)]
    kind: RequestKind,
    /// With --kind tileset: the lower terrain, e.g. "grass".
    #[arg(long)]
    lower: Option<String>,
    /// With --kind tileset: the upper terrain, e.g. "shallow water".
    #[arg(long)]
    upper: Option<String>,
    /// Facings of a character that turns: 4 (rows s, w, n, e) or 8 (s, sw, w, nw, n, ne, e,
    /// se), each row the same animation, tagged `<animation>_<facing>`; 1 draws one facing.
    #[arg(long, default_value_t = 1, value_parser = parse_directions)]
    directions: u32,
    /// With --directions: draw the east-facing rows too, instead of mirroring the west-facing
    /// ones (for characters that are not symmetric).
    #[arg(long)]
    no_mirror: bool,
    /// Size of one frame, WxH (8..=512 each), or `match`: the median size of the sprites
    /// --palette-from reads (sheets cut by the .atlas.ron beside them).
    #[arg(long, default_value = "32x32", value_parser = parse_size)]
    size: SpriteSpec,
    /// Palette size (2..=256).
    #[arg(long, default_value_t = 16)]
    colors: u16,
    /// Take the palette from the game's art: a PNG or a folder of PNGs on this machine
    /// (repeatable); its colours exactly when at most --colors, else --colors fitted to them.
    /// Read here: the server never sees the files.
    #[arg(long, value_name = "PATH")]
    palette_from: Vec<PathBuf>,
    /// Style name from the server's models (`GET /api/v1/models`), with its LoRA strength
    /// after a colon if not the style's own; repeat to stack up to 4 styles, in order.
    #[arg(long, value_name = "NAME[:STRENGTH]", value_parser = parse_style)]
    style: Vec<StyleChoice>,
    /// Sampler, scheduler, steps, guidance and canvas as one name: `fast` (4 steps with the
    /// server's distillation LoRA), `standard` or `quality` [default: the server's defaults].
    #[arg(long, value_parser = parse_preset)]
    preset: Option<Preset>,
    /// Edit or vary frame FRAME (default 0) of the completed job JOB_ID instead of drawing from
    /// the prompt alone.
    #[arg(long, value_name = "JOB_ID[:FRAME]", value_parser = parse_source)]
    from: Option<SourceImage>,
    /// With --from: how much of the source is redrawn, 0.05..=1 (1 ignores it) [default: the
    /// server's, 0.6].
    #[arg(long)]
    denoise: Option<f32>,
    /// Folder to write the three files into (created if missing).
    #[arg(long, default_value = ".")]
    out: PathBuf,
    /// Server base URL [default: $DGX_PIXELS_SERVER, else http://127.0.0.1:8787]. The token
    /// comes from $DGX_PIXELS_TOKEN.
    #[arg(long, env = ENV_SERVER)]
    server: Option<String>,
}

/// `request` with its palette (and for `--size match` its size) taken from the PNGs and folders
/// at `paths` on this machine ([`fill_from_art`]); the matched size is reported on stderr.
fn from_art(request: GenerateRequest, paths: Vec<PathBuf>) -> anyhow::Result<GenerateRequest> {
    if paths.is_empty() {
        if request.sprite.is_match() {
            bail!("--size match measures the sprites of --palette-from; give it the game's sprites");
        }
        return Ok(request);
    }
    let matching = request.sprite.is_match();
    let sources = paths.iter().map(|path| path.display().to_string()).collect();
    let request = GenerateRequest { palette: Some(PaletteSpec::From(PaletteFrom { from: sources })), ..request };
    let request = fill_from_art(request, |source| Ok(PathBuf::from(source)))
        .map_err(|err| anyhow::anyhow!("--palette-from: {err}"))?;
    if matching {
        let size = request.sprite_size();
        eprintln!("--size match: {}x{}, the median size of the sprites of --palette-from", size.width, size.height);
    }
    Ok(request)
}

fn parse_style(text: &str) -> Result<StyleChoice, String> {
    let (name, strength) = match text.rsplit_once(':') {
        Some((name, strength)) => {
            let strength = strength.parse().map_err(|_| format!("expected NAME[:STRENGTH], got `{text}`"))?;
            (name, Some(strength))
        }
        None => (text, None),
    };
    Ok(StyleChoice { name: name.to_owned(), strength })
}

/// `JOB_ID` or `JOB_ID:FRAME`.
fn parse_source(text: &str) -> Result<SourceImage, String> {
    let (job, frame) = match text.rsplit_once(':') {
        Some((job, frame)) => {
            (job, frame.parse().map_err(|_| format!("expected JOB_ID[:FRAME] with a frame number, got `{text}`"))?)
        }
        None => (text, 0),
    };
    if job.is_empty() {
        return Err(format!("expected JOB_ID[:FRAME], got `{text}`"));
    }
    Ok(SourceImage { job: JobId(job.to_owned()), frame })
}

/// `sprite`, `tile` or `tileset`.
fn parse_kind(text: &str) -> Result<RequestKind, String> {
    [RequestKind::Sprite, RequestKind::Tile, RequestKind::Tileset]
        .into_iter()
        .find(|kind| kind.as_str() == text)
        .ok_or_else(|| format!("`kind` must be sprite, tile or tileset, got `{text}`"))
}

/// 1, 4 or 8; checked here so that a typo fails before anything is sent.
fn parse_directions(text: &str) -> Result<u32, String> {
    text.parse()
        .ok()
        .filter(|n| dgx_pixels_protocol::facing::DIRECTIONS.contains(n))
        .ok_or_else(|| format!("`directions` must be 1, 4 or 8, got `{text}`"))
}

fn parse_preset(text: &str) -> Result<Preset, String> {
    Preset::parse(text).ok_or_else(|| format!("expected fast, standard or quality, got `{text}`"))
}

/// `WxH` or `match`.
fn parse_size(text: &str) -> Result<SpriteSpec, String> {
    if text == "match" {
        return Ok(SpriteSpec::MATCH);
    }
    let (w, h) = text.split_once(['x', 'X']).ok_or_else(|| format!("expected WxH or match, got `{text}`"))?;
    let side = |s: &str| s.parse::<u32>().map_err(|_| format!("expected WxH or match, got `{text}`"));
    Ok(SpriteSize::new(side(w)?, side(h)?).into())
}

/// Generates and downloads one sprite.
pub fn run(args: GenerateArgs) -> anyhow::Result<()> {
    block_on(generate(args))
}

async fn generate(args: GenerateArgs) -> anyhow::Result<()> {
    let GenerateArgs {
        prompt,
        frames,
        kind,
        lower,
        upper,
        directions,
        no_mirror,
        size,
        colors,
        palette_from,
        style,
        preset,
        from,
        denoise,
        out,
        server,
    } = args;
    let token = std::env::var(ENV_TOKEN).unwrap_or_default();
    let url = server.unwrap_or_else(|| DEFAULT_SERVER.to_owned());
    let client = Client::builder().base_url(url).token(token).build()?;
    // The first style is the request's `style`, the others stack after it.
    let mut styles = style.into_iter();
    let first = styles.next();
    let request = GenerateRequest {
        style: first.as_ref().map(|choice| choice.name.clone()),
        lora_strength: first.and_then(|choice| choice.strength),
        styles: styles.collect(),
        frames,
        kind,
        lower,
        upper,
        directions,
        mirror: !no_mirror,
        sprite: size,
        colors,
        source: from,
        denoise,
        preset,
        ..GenerateRequest::new(prompt)
    };
    let request = from_art(request, palette_from)?;
    request.validate().map_err(|err| anyhow::anyhow!("{err}"))?;
    let name = request.asset_name();
    // One key per invocation: a retried submit inside the client cannot queue the job twice.
    let key = format!("cli-{}-{}", std::process::id(), request.content_hash());
    let accepted = client.generate(&request, Some(&key)).await.map_err(explain)?;
    let job = follow(&client, &accepted.job_id).await?;
    match job.status {
        JobStatus::Completed => {}
        JobStatus::Failed => bail!("job {} failed: {}", job.id, job.error.unwrap_or_default()),
        other => bail!("job {} ended {}", job.id, other.as_str()),
    }
    let files = client.download(&job.id, &out, &name).await.map_err(explain)?;
    for path in [&files.sheet, &files.atlas, &files.sprite] {
        println!("{}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_is_a_job_and_an_optional_frame() {
        let source = |job: &str, frame| SourceImage { job: JobId(job.into()), frame };
        assert_eq!(parse_source("abc123"), Ok(source("abc123", 0)));
        assert_eq!(parse_source("abc123:3"), Ok(source("abc123", 3)));
        for bad in ["", ":2", "abc:", "abc:x", "abc:-1"] {
            assert!(parse_source(bad).is_err(), "{bad:?} accepted");
        }
    }
}
