//! `dgx-pixels mcp --stdio`: the MCP tools on stdin/stdout, for assistants that launch a process
//! (Claude Desktop, Claude Code, Cursor, …).
//!
//! It runs a server of its own in the process (queue, workers, styles and the HTTP API on a free
//! loopback port, so the file URLs in results work) rather than proxying to a `serve` elsewhere:
//! `deploy_to_bevy` then writes on the machine the assistant runs on, and nothing has to be
//! started first. Its data folder defaults to `DATA_DIR/mcp-stdio`, apart from `serve`'s, because
//! two processes must not run the same job queue. With `--server URL` the jobs run on that
//! server instead (a GPU box; token from `DGX_PIXELS_TOKEN`), while the game tools (`--game`),
//! `deploy_to_bevy` and `pixelize_image` stay on the machine the assistant and the game run on.
//!
//! stdout carries the protocol only; logs go to stderr (`RUST_LOG`, default `info`).

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use dgx_pixels_client::{Client, ENV_TOKEN};
use dgx_pixels_server::Server;
use dgx_pixels_server::config::{Config, ConfigFile, default_data_dir};

/// Flags of `dgx-pixels mcp`.
#[derive(Args, Debug)]
pub struct McpArgs {
    /// Speak MCP on stdin/stdout (the only transport of this verb; `dgx-pixels serve` serves
    /// streamable HTTP at /mcp).
    #[arg(long)]
    stdio: bool,
    /// Folder for the job database and job files [default: DATA_DIR/mcp-stdio, where DATA_DIR is
    /// serve's default].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// LoRA folder scanned for styles [default: DATA_DIR/models/lora].
    #[arg(long)]
    models: Option<PathBuf>,
    /// Folder that deploy_to_bevy may write into, repeatable; without one, deploying is refused.
    #[arg(long = "allow-root")]
    allow_root: Vec<PathBuf>,
    /// Run the jobs on this dgx-pixels server (the GPU box) instead of in this process; its
    /// token comes from DGX_PIXELS_TOKEN. The game tools and deploy_to_bevy still run here.
    #[arg(long, value_name = "URL")]
    server: Option<String>,
    /// Where the game tools reach the running game (Bevy's remote protocol)
    /// [default: http://127.0.0.1:15702].
    #[arg(long, env = "DGX_PIXELS_GAME", value_name = "URL")]
    game: Option<String>,
    /// TOML file with server settings (see `Config`); `bind` and `token` in it are ignored.
    #[arg(long, env = "DGX_PIXELS_CONFIG")]
    config: Option<PathBuf>,
}

/// Serves MCP on stdin/stdout until the client closes stdin.
pub fn run(args: McpArgs) -> anyhow::Result<()> {
    let McpArgs { stdio, data_dir, models, allow_root, server, game, config: config_file } = args;
    if !stdio {
        bail!("only `dgx-pixels mcp --stdio` exists; for MCP over HTTP run `dgx-pixels serve` and connect to /mcp");
    }
    let mut config = Config { data_dir: default_data_dir().join("mcp-stdio"), ..Config::default() };
    if let Some(path) = &config_file {
        config.apply_file(ConfigFile::load(path)?);
    }
    // The HTTP side is for this process's own links: loopback, any free port, no token.
    config.bind = "127.0.0.1:0".parse().context("loopback address")?;
    config.token = None;
    config.data_dir = data_dir.unwrap_or(config.data_dir);
    config.models_dir = models.or(config.models_dir);
    if !allow_root.is_empty() {
        config.allow_roots = allow_root;
    }
    config.game = game.unwrap_or(config.game);
    let jobs_on = server.map(remote_client).transpose()?;
    init_tracing();
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let server = Server::bind(config).await?;
        server.run_mcp_stdio(jobs_on).await?;
        Ok(())
    })
}

/// A client for the server at `url`, with the token from `DGX_PIXELS_TOKEN` when set.
fn remote_client(url: String) -> anyhow::Result<Client> {
    let mut builder = Client::builder().base_url(url);
    if let Some(token) = std::env::var(ENV_TOKEN).ok().filter(|token| !token.is_empty()) {
        builder = builder.token(token);
    }
    builder.build().context("--server")
}

/// Logs to stderr, never stdout (the protocol's); `RUST_LOG` filters (default `info`).
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(false).init();
}
