//! `dgx-pixels train-style NAME --images SOURCE…`: teach the server a style from sprites, follow
//! the training, and print the style's LoRA file once it is in the server's models folder.
//!
//! A SOURCE that is a PNG or a folder of PNGs on this machine is read here and sent with the
//! request (with the `.atlas.ron` and `.sprite.ron` beside each PNG), so the server need not see
//! this machine's files; any other SOURCE (a completed job id, a path on the server inside its
//! `--allow-root` folders) is passed to the server to read.

use std::path::Path;

use anyhow::{Context, bail};
use clap::Args;
use dgx_pixels_client::uploads::read_uploads;
use dgx_pixels_client::{Client, DEFAULT_SERVER, ENV_SERVER, ENV_TOKEN};
use dgx_pixels_protocol::{JobStatus, LrSchedule, TrainStyleRequest};

use super::follow::{block_on, explain, follow};

/// Flags of `dgx-pixels train-style`.
#[derive(Args, Debug)]
pub struct TrainStyleArgs {
    /// The style's name, [a-z0-9_-]{1,64}: requests use it as `style`.
    name: String,
    /// What to learn from: job ids, PNGs or folders of PNGs (repeatable).
    #[arg(long, required = true, value_name = "SOURCE")]
    images: Vec<String>,
    /// The word that calls the style up in a prompt [default: the name].
    #[arg(long)]
    trigger_word: Option<String>,
    /// Optimiser steps.
    #[arg(long, default_value_t = 1000)]
    steps: u32,
    /// LoRA rank (1..=128).
    #[arg(long, default_value_t = 32)]
    rank: u32,
    /// Peak learning rate.
    #[arg(long, default_value_t = 1e-4)]
    learning_rate: f32,
    /// Learning-rate schedule: cosine or constant.
    #[arg(long, default_value = "cosine", value_parser = parse_schedule)]
    schedule: LrSchedule,
    /// Side of the square training images (512..=1024, multiple of 64).
    #[arg(long, default_value_t = 1024)]
    resolution: u32,
    /// Replace a style of the same name.
    #[arg(long)]
    overwrite: bool,
    /// Server base URL [default: $DGX_PIXELS_SERVER, else http://127.0.0.1:8787]. The token
    /// comes from $DGX_PIXELS_TOKEN.
    #[arg(long, env = ENV_SERVER)]
    server: Option<String>,
}

fn parse_schedule(text: &str) -> Result<LrSchedule, String> {
    LrSchedule::parse(text).ok_or_else(|| format!("expected cosine or constant, got `{text}`"))
}

/// Trains a style and waits for it.
pub fn run(args: TrainStyleArgs) -> anyhow::Result<()> {
    block_on(train(args))
}

async fn train(args: TrainStyleArgs) -> anyhow::Result<()> {
    let TrainStyleArgs {
        name,
        images,
        trigger_word,
        steps,
        rank,
        learning_rate,
        schedule,
        resolution,
        overwrite,
        server,
    } = args;
    let (local, remote): (Vec<String>, Vec<String>) = images.into_iter().partition(|source| Path::new(source).exists());
    let mut uploads = Vec::new();
    for path in &local {
        uploads.extend(read_uploads(Path::new(path)).with_context(|| format!("--images {path}"))?);
    }
    let request = TrainStyleRequest {
        uploads,
        trigger_word,
        steps,
        rank,
        learning_rate,
        schedule,
        resolution,
        overwrite,
        ..TrainStyleRequest::new(name, remote)
    };
    request.validate().map_err(|err| anyhow::anyhow!("{err}"))?;
    let token = std::env::var(ENV_TOKEN).unwrap_or_default();
    let url = server.unwrap_or_else(|| DEFAULT_SERVER.to_owned());
    let client = Client::builder().base_url(url).token(token).build()?;
    let accepted = client.train_style(&request).await.map_err(explain)?;
    eprintln!("training job {}", accepted.job_id);
    let job = follow(&client, &accepted.job_id).await?;
    match (job.status, job.style) {
        (JobStatus::Completed, Some(style)) => {
            println!("{}", style.file);
            Ok(())
        }
        (JobStatus::Failed, _) => bail!("training {} failed: {}", job.id, job.error.unwrap_or_default()),
        (other, _) => bail!("training {} ended {}", job.id, other.as_str()),
    }
}
