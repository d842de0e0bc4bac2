//! `dgx-pixels serve`: flags and environment into a [`Config`], logging, then the server until
//! Ctrl-C or SIGTERM.
//!
//! Once bound it prints `listening on http://ADDR` on stdout (with the real port when `--bind`
//! asked for port 0), so scripts and tests can find it.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use dgx_pixels_protocol::BackendKind;
use dgx_pixels_server::config::{Config, ConfigFile, default_data_dir};
use dgx_pixels_server::{Server, shutdown_signal};

/// Flags of `dgx-pixels serve`. Each overrides its environment variable, which overrides the
/// `--config` file, which overrides the default.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8787]. Non-loopback addresses need --token.
    #[arg(long, env = "DGX_PIXELS_BIND")]
    bind: Option<SocketAddr>,
    /// Folder for the job database and job files [default: $XDG_DATA_HOME/dgx-pixels,
    /// else ~/.local/share/dgx-pixels, else ./dgx-pixels-data].
    #[arg(long, env = "DGX_PIXELS_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// LoRA folder scanned for styles [default: DATA_DIR/models/lora].
    #[arg(long, env = "DGX_PIXELS_MODELS")]
    models: Option<PathBuf>,
    /// Default backend: `procedural`, or `comfyui` (needs --comfyui) [default: procedural].
    #[arg(long, env = "DGX_PIXELS_BACKEND", value_parser = parse_backend)]
    backend: Option<BackendKind>,
    /// ComfyUI base URL, repeatable: several form a pool with failover (comfyui backend).
    #[arg(long)]
    comfyui: Vec<String>,
    /// Checkpoint the comfyui backend loads, as ComfyUI lists it [default: the workflow's if
    /// ComfyUI has it, else the first ComfyUI lists].
    #[arg(long, env = "DGX_PIXELS_CHECKPOINT", value_name = "NAME")]
    checkpoint: Option<String>,
    /// How much of the source an img2img job redraws when its request gives no denoise,
    /// 0.05..=1.0 [default: 0.6].
    #[arg(long, env = "DGX_PIXELS_IMG2IMG_DENOISE", value_name = "X")]
    img2img_denoise: Option<f32>,
    /// Bearer token required on every route but /health.
    #[arg(long, env = "DGX_PIXELS_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Folder that the MCP tool deploy_to_bevy may write Bevy projects into, repeatable.
    #[arg(long = "allow-root")]
    allow_root: Vec<PathBuf>,
    /// Where the MCP game tools reach the running game (Bevy's remote protocol)
    /// [default: http://127.0.0.1:15702].
    #[arg(long, env = "DGX_PIXELS_GAME", value_name = "URL")]
    game: Option<String>,
    /// TOML file with any of the settings above (see `Config` in the library docs).
    #[arg(long, env = "DGX_PIXELS_CONFIG")]
    config: Option<PathBuf>,
    /// Jobs one backend runs at once [default: the backend's own].
    #[arg(long, hide = true)]
    concurrency: Option<usize>,
    /// Milliseconds a batching backend waits for more compatible jobs before starting a batch
    /// that is not full; 0 disables [default: 30].
    #[arg(long, env = "DGX_PIXELS_BATCH_WINDOW_MS")]
    batch_window_ms: Option<u64>,
    /// Seconds the jobs running at Ctrl-C or SIGTERM get to finish (no new job starts; the API
    /// answers reads, and 503 to new jobs); jobs still running then resume on the next start.
    /// 0 stops them at once [default: 30].
    #[arg(long, env = "DGX_PIXELS_SHUTDOWN_GRACE_SECS", value_name = "SECS")]
    shutdown_grace_secs: Option<u64>,
    /// The distillation LoRA (SDXL-Lightning, LCM, DMD2, Hyper-SD) that the `fast` preset
    /// stacks under the styles: a file in the models folder.
    #[arg(long, env = "DGX_PIXELS_DISTILL_LORA", value_name = "FILE")]
    distill_lora: Option<String>,
    /// Fewest images `POST /api/v1/styles/train` trains a style on [default: 20].
    #[arg(long, env = "DGX_PIXELS_TRAIN_MIN_IMAGES", value_name = "N")]
    train_min_images: Option<usize>,
    /// Test knob: extra milliseconds the procedural backend spends per job.
    #[arg(long, hide = true, env = "DGX_PIXELS_PROCEDURAL_DELAY_MS")]
    procedural_delay_ms: Option<u64>,
}

fn parse_backend(name: &str) -> Result<BackendKind, String> {
    match name {
        "procedural" => Ok(BackendKind::Procedural),
        "comfyui" => Ok(BackendKind::Comfyui),
        other => Err(format!("unknown backend `{other}`; use `procedural` or `comfyui`")),
    }
}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let config = config_from(args)?;
    init_tracing();
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let server = Server::bind(config).await?;
        let mut stdout = std::io::stdout();
        writeln!(stdout, "listening on http://{}", server.local_addr())?;
        stdout.flush()?;
        server.run(shutdown_signal()).await?;
        Ok(())
    })
}

fn config_from(args: ServeArgs) -> anyhow::Result<Config> {
    let mut config = Config { data_dir: default_data_dir(), ..Config::default() };
    if let Some(path) = &args.config {
        config.apply_file(ConfigFile::load(path)?);
    }
    let ServeArgs {
        bind,
        data_dir,
        models,
        backend,
        comfyui,
        checkpoint,
        img2img_denoise,
        token,
        allow_root,
        game,
        config: _,
        concurrency,
        batch_window_ms,
        shutdown_grace_secs,
        train_min_images,
        distill_lora,
        procedural_delay_ms,
    } = args;
    config.bind = bind.unwrap_or(config.bind);
    config.data_dir = data_dir.unwrap_or(config.data_dir);
    config.models_dir = models.or(config.models_dir);
    config.backend = backend.unwrap_or(config.backend);
    if !comfyui.is_empty() {
        config.comfyui = comfyui;
    }
    config.checkpoint = checkpoint.filter(|name| !name.is_empty()).or(config.checkpoint);
    config.img2img_denoise = img2img_denoise.unwrap_or(config.img2img_denoise);
    config.token = token.filter(|t| !t.is_empty()).or(config.token);
    if !allow_root.is_empty() {
        config.allow_roots = allow_root;
    }
    config.game = game.unwrap_or(config.game);
    config.concurrency = concurrency.or(config.concurrency);
    config.batch_window = batch_window_ms.map(Duration::from_millis).unwrap_or(config.batch_window);
    config.shutdown_grace = shutdown_grace_secs.map(Duration::from_secs).unwrap_or(config.shutdown_grace);
    config.train_min_images = train_min_images.unwrap_or(config.train_min_images);
    config.distill_lora = distill_lora.filter(|file| !file.is_empty()).or(config.distill_lora);
    config.procedural_delay = procedural_delay_ms.map(Duration::from_millis).unwrap_or(config.procedural_delay);
    config.check()?;
    Ok(config)
}

/// Logs to stderr; `RUST_LOG` filters (default `info`).
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    /// `serve` with `flags` and, unless `file` is `None`, a `--config` file holding `file`.
    fn config(file: Option<&str>, flags: &[&str]) -> anyhow::Result<Config> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("serve.toml");
        let mut argv = vec!["serve".to_owned(), "--data-dir".to_owned(), dir.path().display().to_string()];
        if let Some(text) = file {
            std::fs::write(&path, text).unwrap();
            argv.extend(["--config".to_owned(), path.display().to_string()]);
        }
        argv.extend(flags.iter().map(|flag| (*flag).to_owned()));
        config_from(Cli::parse_from(argv).serve)
    }

    /// `--checkpoint` overrides the file's `checkpoint`, which overrides the default (none).
    #[test]
    fn the_checkpoint_flag_overrides_the_config_file() {
        let file = Some("checkpoint = \"file.safetensors\"\n");
        assert_eq!(config(None, &[]).unwrap().checkpoint, None);
        assert_eq!(config(file, &[]).unwrap().checkpoint.as_deref(), Some("file.safetensors"));
        let flagged = config(file, &["--checkpoint", "flag.safetensors"]).unwrap();
        assert_eq!(flagged.checkpoint.as_deref(), Some("flag.safetensors"));
    }

    /// `--img2img-denoise` overrides the file's `img2img_denoise`, which overrides 0.6; a value
    /// out of range is refused wherever it comes from, naming the key.
    #[test]
    fn the_img2img_denoise_flag_overrides_the_config_file() {
        let file = Some("img2img_denoise = 0.4\n");
        assert_eq!(config(None, &[]).unwrap().img2img_denoise, dgx_pixels_protocol::limits::DEFAULT_DENOISE);
        assert_eq!(config(file, &[]).unwrap().img2img_denoise, 0.4);
        assert_eq!(config(file, &["--img2img-denoise", "0.9"]).unwrap().img2img_denoise, 0.9);
        let bad_file = config(Some("img2img_denoise = 1.5\n"), &[]).unwrap_err().to_string();
        assert!(bad_file.contains("img2img_denoise"), "{bad_file}");
        assert!(config(file, &["--img2img-denoise", "0"]).is_err());
    }

    /// `--shutdown-grace-secs` overrides the file's `shutdown_grace_secs`, which overrides 30 s.
    #[test]
    fn the_shutdown_grace_flag_overrides_the_config_file() {
        let file = Some("shutdown_grace_secs = 5\n");
        assert_eq!(config(None, &[]).unwrap().shutdown_grace, dgx_pixels_server::config::DEFAULT_SHUTDOWN_GRACE);
        assert_eq!(config(file, &[]).unwrap().shutdown_grace, Duration::from_secs(5));
        assert_eq!(config(file, &["--shutdown-grace-secs", "0"]).unwrap().shutdown_grace, Duration::ZERO);
    }
}
