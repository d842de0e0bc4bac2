//! Following a job from the command line (`generate`, `train-style`): the one-thread runtime the
//! verb runs on, a progress bar on a terminal (with the step and loss of a training), silence
//! otherwise, and client errors as one line a person can act on.

use std::future::Future;
use std::io::IsTerminal;

use anyhow::Context;

use dgx_pixels_client::{Client, ClientError, JobEvent};
use dgx_pixels_protocol::events::ProgressEvent;
use dgx_pixels_protocol::{Job, JobId, JobStatus};
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};

/// Runs a verb's async body to its end on a one-thread runtime.
pub(super) fn block_on(verb: impl Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the async runtime")?;
    runtime.block_on(verb)
}

/// Follows the job's events with a progress bar on a terminal, then returns the final job.
pub(super) async fn follow(client: &Client, id: &JobId) -> anyhow::Result<Job> {
    if !std::io::stderr().is_terminal() {
        return client.wait(id).await.map_err(explain);
    }
    let bar = ProgressBar::new(1000);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg:32} [{bar:30}] {percent:>3}% {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message("queued");
    let mut events = std::pin::pin!(client.events(id));
    while let Some(event) = events.next().await {
        match event {
            Ok(JobEvent::Progress(ProgressEvent { status, progress, queue_position, train_step })) => {
                let message = match (status, queue_position, train_step) {
                    (JobStatus::Queued, Some(position), _) => format!("queued ({position} ahead)"),
                    (_, _, Some(step)) => format!("step {}/{} loss {:.4}", step.step, step.steps, step.loss),
                    (status, _, _) => status.as_str().to_owned(),
                };
                bar.set_message(message);
                bar.set_position((progress * 1000.0) as u64);
            }
            Ok(_) => break,
            Err(_) => break,
        }
    }
    bar.finish_and_clear();
    client.wait(id).await.map_err(explain)
}

/// Client errors as one line a person can act on.
pub(super) fn explain(err: ClientError) -> anyhow::Error {
    match &err {
        ClientError::Api { status: 401, .. } => anyhow::anyhow!("{err}; set DGX_PIXELS_TOKEN to the server's token"),
        ClientError::Unreachable { .. } => {
            anyhow::anyhow!("{err}; is `dgx-pixels serve` running? (--server or DGX_PIXELS_SERVER)")
        }
        _ => err.into(),
    }
}
