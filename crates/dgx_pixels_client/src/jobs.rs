//! Jobs and their files: generate, get, list, cancel, wait, download; plus health, models and
//! pixelize, the other calls of the API.

use std::path::Path;
use std::time::Duration;

use dgx_pixels_protocol::{
    Background, GenerateRequest, Health, Job, JobAccepted, JobEvent, JobId, JobStatus, ModelList, TrainStyleRequest,
};
use dgx_pixels_sprite::write::{FileContents, SpriteFiles, WriteMode, write_file_set};
use futures_util::StreamExt;
use reqwest::Method;

use crate::client::Client;
use crate::error::ClientError;

/// How often [`Client::wait`] polls when the event stream is unavailable.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Query of [`Client::pixelize`]; `Default` lets the server decide everything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PixelizeParams {
    /// `WxH` of the sprite; `None` detects the pixel grid.
    pub size: Option<(u32, u32)>,
    /// Palette size, 2..=256; `None` for the server's 16.
    pub colors: Option<u16>,
    /// A preset name or comma-separated `#rrggbb`; `None` fits one.
    pub palette: Option<String>,
    /// Whether to remove the backdrop; `None` for the server's default (transparent).
    pub background: Option<Background>,
}

impl Client {
    /// `GET /health`: the server is up and which backends are ready.
    pub async fn health(&self) -> Result<Health, ClientError> {
        self.json(self.request(Method::GET, "/health", true)).await
    }

    /// Queues a sprite. With `idempotency_key`, retrying the same call (after a timeout, say)
    /// returns the same job instead of queuing another.
    pub async fn generate(
        &self,
        request: &GenerateRequest,
        idempotency_key: Option<&str>,
    ) -> Result<JobAccepted, ClientError> {
        let mut call = self.request(Method::POST, "/api/v1/generate", true).json(request);
        if let Some(key) = idempotency_key {
            call = call.header("Idempotency-Key", key);
        }
        self.json(call).await
    }

    /// Queues the training of a style (`POST /api/v1/styles/train`); follow it as any job.
    pub async fn train_style(&self, request: &TrainStyleRequest) -> Result<JobAccepted, ClientError> {
        self.json(self.request(Method::POST, "/api/v1/styles/train", true).json(request)).await
    }

    /// The job's status, progress, queue position and, once completed, its result.
    pub async fn job(&self, id: &JobId) -> Result<Job, ClientError> {
        self.json(self.request(Method::GET, &format!("/api/v1/jobs/{id}"), true)).await
    }

    /// Recent jobs, newest first, optionally of one status; the server caps `limit` at 1000.
    pub async fn jobs(&self, status: Option<JobStatus>, limit: Option<u32>) -> Result<Vec<Job>, ClientError> {
        let mut query = Vec::new();
        if let Some(status) = status {
            query.push(("status", status.as_str().to_owned()));
        }
        if let Some(limit) = limit {
            query.push(("limit", limit.to_string()));
        }
        self.json(self.request(Method::GET, "/api/v1/jobs", true).query(&query)).await
    }

    /// Cancels a queued or running job and returns it (409 if it already finished).
    pub async fn cancel(&self, id: &JobId) -> Result<Job, ClientError> {
        self.json(self.request(Method::DELETE, &format!("/api/v1/jobs/{id}"), true)).await
    }

    /// Waits until the job finishes and returns it, whatever its final status. Follows the
    /// event stream; if the stream breaks, polls instead.
    pub async fn wait(&self, id: &JobId) -> Result<Job, ClientError> {
        let mut events = std::pin::pin!(self.events(id));
        while let Some(event) = events.next().await {
            match event {
                Ok(JobEvent::Completed(done)) => return Ok(done.job),
                Ok(event) if event.is_terminal() => return self.job(id).await,
                Ok(_) => {}
                Err(err @ ClientError::Api { status: 401 | 404, .. }) => return Err(err),
                Err(_) => break,
            }
        }
        loop {
            let job = self.job(id).await?;
            if job.status.is_terminal() {
                return Ok(job);
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// The sheet of a completed job (PNG, RGBA8).
    pub async fn sheet_png(&self, id: &JobId) -> Result<Vec<u8>, ClientError> {
        self.bytes(self.request(Method::GET, &format!("/api/v1/jobs/{id}/sheet.png"), true)).await
    }

    /// Raw frame `index` (from 0) of a completed job: the backend's image before the sprite
    /// pipeline (PNG, RGBA8), to re-process with [`Client::pixelize`] without generating again.
    pub async fn raw_png(&self, id: &JobId, index: u32) -> Result<Vec<u8>, ClientError> {
        self.bytes(self.request(Method::GET, &format!("/api/v1/jobs/{id}/raw/{index}.png"), true)).await
    }

    /// The `.atlas.ron` of a completed job (Bevy's `TextureAtlasLayout`).
    pub async fn atlas_ron(&self, id: &JobId) -> Result<String, ClientError> {
        self.text(&format!("/api/v1/jobs/{id}/atlas.ron")).await
    }

    /// The `.sprite.ron` of a completed job (frames, tags, pivot, palette, provenance).
    pub async fn sprite_ron(&self, id: &JobId) -> Result<String, ClientError> {
        self.text(&format!("/api/v1/jobs/{id}/sprite.ron")).await
    }

    /// Writes a completed job's files into `dir` as `NAME.png`, `NAME.atlas.ron` and
    /// `NAME.sprite.ron`, each atomically and the PNG last, so a hot-reloading game never reads
    /// half a file. `name` must be a plain name (`[a-z0-9_-]{1,64}`); `dir` is created.
    pub async fn download(&self, id: &JobId, dir: &Path, name: &str) -> Result<SpriteFiles, ClientError> {
        dgx_pixels_protocol::limits::check_name("name", name)?;
        let (png, atlas, sprite) =
            futures_util::try_join!(self.sheet_png(id), self.atlas_ron(id), self.sprite_ron(id))?;
        let dir = dir.to_owned();
        let name = name.to_owned();
        let write = move || {
            std::fs::create_dir_all(&dir).map_err(|source| ClientError::Write {
                path: dir.clone(),
                source: dgx_pixels_sprite::write::WriteError::Io { path: dir.clone(), source },
            })?;
            let files =
                SpriteFiles::in_dir(&dir, &name).map_err(|source| ClientError::Write { path: dir.clone(), source })?;
            let contents = FileContents { png: &png, atlas: &atlas, sprite: &sprite };
            write_file_set(&files, &contents, WriteMode::Replace)
                .map_err(|source| ClientError::Write { path: files.sheet.clone(), source })?;
            Ok(files)
        };
        tokio::task::spawn_blocking(write).await.map_err(|err| ClientError::Protocol(format!("write task: {err}")))?
    }

    /// `GET /api/v1/models`: the styles the server found.
    pub async fn models(&self) -> Result<ModelList, ClientError> {
        self.json(self.request(Method::GET, "/api/v1/models", true)).await
    }

    /// Runs the server's pixel-art pipeline on an image (PNG bytes) and returns the sprite (PNG).
    pub async fn pixelize(&self, image: Vec<u8>, params: &PixelizeParams) -> Result<Vec<u8>, ClientError> {
        let mut query = Vec::new();
        if let Some((width, height)) = params.size {
            query.push(("size", format!("{width}x{height}")));
        }
        if let Some(colors) = params.colors {
            query.push(("colors", colors.to_string()));
        }
        if let Some(palette) = &params.palette {
            query.push(("palette", palette.clone()));
        }
        if let Some(background) = params.background {
            let name = match background {
                Background::Transparent => "transparent",
                Background::Keep => "keep",
            };
            query.push(("background", name.to_owned()));
        }
        let call = self
            .request(Method::POST, "/api/v1/pixelize", true)
            .query(&query)
            .header(reqwest::header::CONTENT_TYPE, "image/png")
            .body(image);
        self.bytes(call).await
    }

    async fn text(&self, path: &str) -> Result<String, ClientError> {
        let bytes = self.bytes(self.request(Method::GET, path, true)).await?;
        String::from_utf8(bytes).map_err(|_| ClientError::Protocol(format!("{path} is not UTF-8 text")))
    }
}
