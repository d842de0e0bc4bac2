//! [`Concurrent`]: several prepared jobs run side by side as one, for backends (or ComfyUIs
//! without our batch nodes) that cannot put different prompts into one batch.
//!
//! All jobs start at once, so a ComfyUI gets every prompt queued up front and its GPU never
//! waits for us between them; the frames come back in the jobs' order.

use std::sync::{Arc, Mutex};

use futures_util::FutureExt;
use futures_util::future::{BoxFuture, try_join_all};
use image::RgbaImage;

use super::{BackendError, PreparedJob, Progress};

/// Prepared jobs that run together and return their frames one job after another.
pub struct Concurrent {
    jobs: Vec<Box<dyn PreparedJob>>,
}

impl Concurrent {
    /// Awaits every preparation; the first failure fails the whole batch.
    pub fn prepare(
        preparing: Vec<BoxFuture<'static, Result<Box<dyn PreparedJob>, BackendError>>>,
    ) -> BoxFuture<'static, Result<Box<dyn PreparedJob>, BackendError>> {
        async move {
            let jobs = try_join_all(preparing).await?;
            Ok(Box::new(Self { jobs }) as Box<dyn PreparedJob>)
        }
        .boxed()
    }
}

impl PreparedJob for Concurrent {
    fn run(self: Box<Self>, progress: Progress) -> BoxFuture<'static, Result<Vec<RgbaImage>, BackendError>> {
        let shares = Arc::new(Mutex::new(vec![0.0f32; self.jobs.len()]));
        let runs = self.jobs.into_iter().enumerate().map(move |(i, job)| {
            let (shares, progress) = (Arc::clone(&shares), progress.clone());
            // The batch's progress is the mean of its jobs'.
            job.run(Progress::new(move |fraction| {
                let mut shares = shares.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                shares[i] = fraction;
                progress.report(shares.iter().sum::<f32>() / shares.len() as f32);
            }))
        });
        async move { Ok(try_join_all(runs).await?.into_iter().flatten().collect()) }.boxed()
    }
}
