//! `POST /api/v1/styles/train`: learn a style (a LoRA) from sprites, as a `train_style` job.

use serde::{Deserialize, Serialize};

use crate::limits::{self, FieldError, check_len, check_name, check_range};

/// A request to train a style. Only `name` and `images` are required; the rest default to the
/// seed's recipe (rank 32, learning rate 1e-4, a cosine schedule, 1024² images).
///
/// Deserialising checks types only; call [`TrainStyleRequest::validate`] for the ranges.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct TrainStyleRequest {
    /// The style's name, `[a-z0-9_-]{1,64}`: the LoRA becomes `styles/NAME.safetensors` in the
    /// models folder, with `NAME.json` beside it.
    pub name: String,
    /// What to learn from, on the server: finished job ids (every frame of the sheet, captioned
    /// with its prompt), or PNG images or folders of PNGs inside the server's allowed roots
    /// (captioned with the prompt of a `.sprite.ron` beside them, else their file name).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    /// What to learn from, sent along: images the server cannot see (the game's own sprites on
    /// the developer's machine). The job keeps their names, not their bytes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uploads: Vec<UploadedImage>,
    /// The word that calls the style up in a prompt, `[a-z0-9_-]{1,64}`; the name by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_word: Option<String>,
    /// Optimiser steps.
    #[serde(default = "default_steps")]
    pub steps: u32,
    /// LoRA rank.
    #[serde(default = "default_rank")]
    pub rank: u32,
    /// Peak learning rate.
    #[serde(default = "default_learning_rate")]
    pub learning_rate: f32,
    /// How the learning rate moves over the run.
    #[serde(default)]
    pub schedule: LrSchedule,
    /// Steps of linear warm-up before the schedule; a twentieth of `steps` by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup_steps: Option<u32>,
    /// Images per optimiser step.
    #[serde(default = "default_batch_size")]
    pub batch_size: u32,
    /// Side of the square training images: each sprite is scaled up by a whole factor
    /// (nearest neighbour, so a pixel stays a sharp block) and centred on it.
    #[serde(default = "default_resolution")]
    pub resolution: u32,
    /// The strength written into the style's sidecar, used when a request gives none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommended_strength: Option<f32>,
    /// The seed of the LoRA's initial weights and the training noise; drawn when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Replace a style of the same name (`false`: such a request is refused with 409).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub overwrite: bool,
}

/// An image sent with a training request, with the sprite files that may lie beside it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct UploadedImage {
    /// Its file name (`hero_idle.png`), captioning it when no `sprite` says its prompt.
    pub name: String,
    /// The PNG, base64 (standard alphabet); at most 4 MiB decoded. Empty in a stored job.
    pub png: String,
    /// Its `.atlas.ron`, to cut a sheet into frames.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub atlas: Option<String>,
    /// Its `.sprite.ron`, whose provenance prompt captions it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sprite: Option<String>,
}

/// The learning-rate schedule after warm-up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum LrSchedule {
    /// Cosine decay to zero, the seed's choice.
    #[default]
    Cosine,
    /// The same rate throughout.
    Constant,
}

impl LrSchedule {
    /// The name used in JSON, on the command line and by ComfyUI's `DgxPixelsTrainLora`.
    pub fn as_str(self) -> &'static str {
        match self {
            LrSchedule::Cosine => "cosine",
            LrSchedule::Constant => "constant",
        }
    }

    /// Parses [`Self::as_str`]'s names.
    pub fn parse(name: &str) -> Option<Self> {
        [LrSchedule::Cosine, LrSchedule::Constant].into_iter().find(|schedule| schedule.as_str() == name)
    }
}

fn default_steps() -> u32 {
    1000
}

fn default_rank() -> u32 {
    32
}

fn default_learning_rate() -> f32 {
    1e-4
}

fn default_batch_size() -> u32 {
    1
}

fn default_resolution() -> u32 {
    1024
}

impl TrainStyleRequest {
    /// A request with the defaults for `name` trained on `images`.
    pub fn new(name: impl Into<String>, images: Vec<String>) -> Self {
        Self {
            name: name.into(),
            images,
            uploads: Vec::new(),
            trigger_word: None,
            steps: default_steps(),
            rank: default_rank(),
            learning_rate: default_learning_rate(),
            schedule: LrSchedule::default(),
            warmup_steps: None,
            batch_size: default_batch_size(),
            resolution: default_resolution(),
            recommended_strength: None,
            seed: None,
            overwrite: false,
        }
    }

    /// The trigger word: `trigger_word`, else the name.
    pub fn trigger(&self) -> &str {
        self.trigger_word.as_deref().unwrap_or(&self.name)
    }

    /// Warm-up steps: `warmup_steps`, else a twentieth of the run.
    pub fn warmup(&self) -> u32 {
        self.warmup_steps.unwrap_or(self.steps / 20)
    }

    /// Checks every field against [`limits`]; the error names the first field that breaks one.
    /// Whether the sources exist, and how many images they hold, only the server can tell.
    pub fn validate(&self) -> Result<(), FieldError> {
        check_name("name", &self.name)?;
        if self.uploads.is_empty() {
            check_len("images", self.images.len(), limits::TRAIN_SOURCES)?;
        } else {
            check_len("images", self.images.len(), 0..=*limits::TRAIN_SOURCES.end())?;
        }
        for source in &self.images {
            check_len("images", source.chars().count(), 1..=limits::PATH_MAX_CHARS)?;
        }
        check_len("uploads", self.uploads.len(), 0..=limits::TRAIN_MAX_IMAGES)?;
        for upload in &self.uploads {
            check_len("uploads[].name", upload.name.chars().count(), limits::UPLOAD_NAME_CHARS)?;
            check_len("uploads[].png", upload.png.len(), 1..=limits::UPLOAD_BASE64_MAX)?;
            for (field, text) in [("uploads[].atlas", &upload.atlas), ("uploads[].sprite", &upload.sprite)] {
                check_len(field, text.as_ref().map_or(0, String::len), 0..=limits::UPLOAD_RON_MAX)?;
            }
        }
        if let Some(word) = &self.trigger_word {
            check_name("trigger_word", word)?;
        }
        check_range("steps", self.steps, &limits::TRAIN_STEPS)?;
        check_range("rank", self.rank, &limits::TRAIN_RANK)?;
        check_range("learning_rate", self.learning_rate, &limits::TRAIN_LEARNING_RATE)?;
        if let Some(warmup) = self.warmup_steps {
            check_range("warmup_steps", warmup, &(0..=self.steps))?;
        }
        check_range("batch_size", self.batch_size, &limits::TRAIN_BATCH)?;
        check_range("resolution", self.resolution, &limits::TRAIN_RESOLUTION)?;
        if !self.resolution.is_multiple_of(limits::TRAIN_RESOLUTION_MULTIPLE) {
            return Err(FieldError::NotMultiple {
                field: "resolution",
                multiple: limits::TRAIN_RESOLUTION_MULTIPLE,
                value: self.resolution,
            });
        }
        if let Some(strength) = self.recommended_strength {
            check_range("recommended_strength", strength, &limits::LORA_STRENGTH)?;
        }
        Ok(())
    }
}

/// A running training's latest step, as the job reports it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct TrainStep {
    /// Steps done, 1..=`steps`.
    pub step: u32,
    /// Steps in the run.
    pub steps: u32,
    /// That step's loss.
    pub loss: f32,
}

/// What a completed `train_style` job made: a style the registry now lists.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct TrainedStyle {
    /// The style's name, as requests use it.
    pub name: String,
    /// The LoRA file, relative to the models folder (`styles/NAME.safetensors`).
    pub file: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// The word that calls it up.
    pub trigger_word: String,
    /// Images it was trained on.
    pub images: u32,
    /// Optimiser steps run.
    pub steps: u32,
    /// The mean loss of the first and of the last tenth of the steps, if the trainer reported
    /// its losses.
    pub loss_start: Option<f32>,
    /// See `loss_start`.
    pub loss_end: Option<f32>,
    /// Seconds the trainer ran.
    pub seconds: f32,
    /// The job that made the style's sample sprite (its sheet is also `NAME.sample.png` beside
    /// the LoRA); `None` when the sample failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_job: Option<crate::JobId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> TrainStyleRequest {
        TrainStyleRequest::new("team_style", vec!["sprites".into()])
    }

    fn upload(name: &str, png: &str) -> UploadedImage {
        UploadedImage { name: name.into(), png: png.into(), atlas: None, sprite: None }
    }

    #[test]
    fn uploads_alone_are_enough() {
        let only_uploads = TrainStyleRequest {
            uploads: vec![upload("hero.png", "iVBORw0KGgo=")],
            ..TrainStyleRequest::new("team_style", Vec::new())
        };
        only_uploads.validate().unwrap();
        let neither = TrainStyleRequest::new("team_style", Vec::new());
        assert_eq!(neither.validate().unwrap_err().field(), "images");
    }

    #[test]
    fn a_name_and_images_are_a_complete_request() {
        let parsed: TrainStyleRequest =
            serde_json::from_str(r#"{"name": "team_style", "images": ["sprites"]}"#).unwrap();
        assert_eq!(parsed, request());
        parsed.validate().unwrap();
        assert_eq!(parsed.trigger(), "team_style");
        assert_eq!(parsed.warmup(), 50);
    }

    #[test]
    fn each_bad_field_is_named() {
        type Break = fn(&mut TrainStyleRequest);
        let cases: Vec<(&str, Break)> = vec![
            ("name", |r| r.name = "../escape".into()),
            ("name", |r| r.name = String::new()),
            ("images", |r| r.images.clear()),
            ("images", |r| r.images = vec![String::new()]),
            ("images", |r| r.images = vec!["x".into(); 65]),
            ("uploads[].png", |r| r.uploads = vec![upload("a.png", "")]),
            ("uploads[].name", |r| r.uploads = vec![upload("", "iVBO")]),
            ("trigger_word", |r| r.trigger_word = Some("two words".into())),
            ("steps", |r| r.steps = 0),
            ("rank", |r| r.rank = 129),
            ("learning_rate", |r| r.learning_rate = f32::NAN),
            ("learning_rate", |r| r.learning_rate = 0.5),
            ("warmup_steps", |r| r.warmup_steps = Some(1001)),
            ("batch_size", |r| r.batch_size = 9),
            ("resolution", |r| r.resolution = 2048),
            ("resolution", |r| r.resolution = 1000),
            ("recommended_strength", |r| r.recommended_strength = Some(-1.0)),
        ];
        for (field, break_it) in cases {
            let mut bad = request();
            break_it(&mut bad);
            assert_eq!(bad.validate().unwrap_err().field(), field, "{bad:?}");
        }
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = serde_json::from_str::<TrainStyleRequest>(r#"{"name": "a", "images": ["b"], "epochs": 3}"#);
        assert!(err.unwrap_err().to_string().contains("epochs"));
    }
}
