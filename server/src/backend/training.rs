//! What a backend that can train styles is given and returns ([`super::Backend::train`]).

use std::path::PathBuf;
use std::sync::Arc;

use dgx_pixels_protocol::{LrSchedule, TrainStep};

/// A training to run: the prepared dataset and the request's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainSpec {
    /// The job's own name for it, unique (the upload folder and file prefix on the trainer).
    pub label: String,
    /// The dataset folder: `000.png` + `000.txt`, … (see `train::dataset`).
    pub dataset: PathBuf,
    /// Optimiser steps.
    pub steps: u32,
    /// LoRA rank.
    pub rank: u32,
    /// Peak learning rate.
    pub learning_rate: f32,
    /// The schedule after warm-up.
    pub schedule: LrSchedule,
    /// Warm-up steps.
    pub warmup_steps: u32,
    /// Images per step.
    pub batch_size: u32,
    /// Seed of the initial weights and the noise.
    pub seed: u64,
    /// Where the trained LoRA (a safetensors file) is to be written.
    pub into: PathBuf,
}

/// A finished training.
#[derive(Clone, Debug, PartialEq)]
pub struct Trained {
    /// Size of the LoRA file written to [`TrainSpec::into`].
    pub bytes: u64,
    /// The loss of every step.
    pub losses: Vec<f32>,
    /// Seconds the trainer ran.
    pub seconds: f32,
}

/// Receives a running training's steps.
#[derive(Clone)]
pub struct TrainReport(Arc<dyn Fn(TrainStep) + Send + Sync>);

impl TrainReport {
    /// Steps go to `report`.
    pub fn new(report: impl Fn(TrainStep) + Send + Sync + 'static) -> Self {
        Self(Arc::new(report))
    }

    /// Reports one step.
    pub fn step(&self, step: TrainStep) {
        (self.0)(step);
    }
}
