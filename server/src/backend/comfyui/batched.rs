//! [`BatchedJobs`]: compatible single-frame jobs as one prompt through our batch nodes, with
//! the same jobs prepared one prompt each to fall back on.
//!
//! Which instance runs the batch is known only when it runs, and only instances with our nodes
//! can (see `Pool::batch_instance`). When none of them is healthy and free then, or the one
//! running the batch dies and no other has the nodes, the jobs go out one prompt each on
//! whatever instance is there instead of failing. The frames of a run come from one of the two
//! ways only, so no job is delivered twice.

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use image::RgbaImage;
use tracing::info;

use super::backend::ComfyuiJob;
use super::error::ComfyError;
use crate::backend::{BackendError, PreparedJob, Progress};

/// A batch prompt and, should no instance with the batch nodes take it, its jobs one by one.
pub struct BatchedJobs {
    /// The one prompt whose batch items are the jobs.
    pub batched: ComfyuiJob,
    /// The same jobs, one prompt each, frames in the same order.
    pub singles: Box<dyn PreparedJob>,
}

impl PreparedJob for BatchedJobs {
    fn run(self: Box<Self>, progress: Progress) -> BoxFuture<'static, Result<Vec<RgbaImage>, BackendError>> {
        async move {
            match self.batched.run_typed(&progress).await {
                Err(ComfyError::NoBatchInstance) => {
                    info!("no ComfyUI with the batch nodes is free: one prompt per job");
                    self.singles.run(progress).await
                }
                outcome => outcome.map_err(BackendError::from),
            }
        }
        .boxed()
    }
}
