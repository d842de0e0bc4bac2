//! [`Config`]: everything `dgx-pixels serve` and the embedded server can be told.
//!
//! Values come from, in rising priority: [`Config::default`], an optional TOML file
//! ([`ConfigFile`], `--config FILE`), environment variables and command-line flags (both handled
//! by `cli/serve.rs` through clap). [`Config::check`] enforces the rules that keep a server safe:
//! a non-loopback bind needs a token, and only backends that exist can be chosen.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use dgx_pixels_protocol::BackendKind;
use dgx_pixels_protocol::limits::{DEFAULT_DENOISE, DENOISE};
use dgx_pixels_protocol::remote::DEFAULT_GAME_URL;
use serde::Deserialize;

/// Default bind address: loopback only, so nothing on the network can reach a fresh server.
pub const DEFAULT_BIND: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 8787);
/// Default request body limit: 16 MiB, enough for a 2048² PNG to pixelize.
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// Default time one job may run before it fails: 10 minutes, longer than any sane SDXL job.
pub const DEFAULT_JOB_TIMEOUT: Duration = Duration::from_secs(600);
/// Default time one HTTP request may take before the server answers 408.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Default batch window: 30 ms. Jobs a client submits "at once" arrive a few milliseconds apart
/// (each is committed to disk before it is accepted), so without a wait they would go to the
/// GPU in ones and twos; 30 ms is ~1% of one 1024² SDXL image. It is only waited while another
/// generation runs, so a lone job on an idle GPU never pays it.
pub const DEFAULT_BATCH_WINDOW: Duration = Duration::from_millis(30);
/// Default time running jobs get to finish on shutdown: 30 s, enough for a batch of SDXL images
/// and under systemd's default stop timeout (90 s) before it sends SIGKILL. Docker waits 10 s
/// unless told otherwise (`--stop-timeout`); a job cut short there resumes on the next start.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// How long one training may run: the seed's 20–100 images at rank 32–128 train in minutes to an
/// hour or two on one GPU.
pub const DEFAULT_TRAIN_TIMEOUT: Duration = Duration::from_secs(4 * 3600);

/// How the server runs. Build it with `Config { data_dir, ..Config::default() }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Address to listen on; default [`DEFAULT_BIND`]. Port 0 picks a free port (see
    /// `Server::local_addr`). A non-loopback address requires `token`.
    pub bind: SocketAddr,
    /// Where jobs (`jobs.sqlite3`) and their files (`jobs/<id>/`) live; default
    /// [`default_data_dir`].
    pub data_dir: PathBuf,
    /// The LoRA folder scanned for styles; `None` means `<data_dir>/models/lora`.
    pub models_dir: Option<PathBuf>,
    /// The backend for requests that name none; default `procedural`, the
    /// offline one; `comfyui` needs at least one [`Config::comfyui`] URL.
    pub backend: BackendKind,
    /// ComfyUI base URLs, one per GPU box, for the `comfyui` backend.
    pub comfyui: Vec<String>,
    /// The checkpoint the `comfyui` backend loads, as ComfyUI lists it in its `checkpoints`
    /// folder (`sd_xl_base_1.0.safetensors`); `None` keeps the workflow template's when the
    /// instance has it, else takes the first the instance lists.
    pub checkpoint: Option<String>,
    /// How much of the source an img2img job redraws when its request gives no `denoise`,
    /// 0.05..=1.0, for every backend; default [`DEFAULT_DENOISE`]. A lower value suits models
    /// that change a lot at the default.
    pub img2img_denoise: f32,
    /// Bearer token required on every route but `/health`; `None` disables auth (loopback only).
    pub token: Option<String>,
    /// Folders that `deploy_to_bevy` may write into. Nothing is deployed anywhere else; with none, `deploy_to_bevy` is refused.
    pub allow_roots: Vec<PathBuf>,
    /// Where the MCP game tools (`spawn_sprite`, `list_sprites`, `apply_to_entity`,
    /// `screenshot`) reach the running game over Bevy's remote protocol; default
    /// [`DEFAULT_GAME_URL`], BRP's own loopback address.
    pub game: String,
    /// Largest request body accepted; default [`DEFAULT_MAX_BODY_BYTES`].
    pub max_body_bytes: usize,
    /// How long one job may run before it fails; default [`DEFAULT_JOB_TIMEOUT`].
    pub job_timeout: Duration,
    /// How long one HTTP request may take; default [`DEFAULT_REQUEST_TIMEOUT`]. Event streams
    /// are exempt once their headers are sent.
    pub request_timeout: Duration,
    /// Jobs one backend runs at once; `None` means the backend's own default (one per GPU for
    /// ComfyUI, one per CPU core for `procedural`).
    pub concurrency: Option<usize>,
    /// How long a batching backend (ComfyUI with our batch nodes) waits for more compatible
    /// jobs when the batch it takes is not full and another generation is running (the batch
    /// would wait behind it anyway), so that jobs submitted together share one generation; it
    /// starts as soon as the batch is full, and at once on an idle backend. Zero disables the
    /// wait. Backends that
    /// run one job at a time (`procedural`) never wait. Default [`DEFAULT_BATCH_WINDOW`].
    pub batch_window: Duration,
    /// How long the jobs running when shutdown begins get to finish and be recorded as
    /// completed; no other job starts meanwhile. Jobs still running when it ends resume on the
    /// next start. Zero stops them at once. Default [`DEFAULT_SHUTDOWN_GRACE`].
    pub shutdown_grace: Duration,
    /// The distillation LoRA the `fast` preset stacks under the styles (SDXL-Lightning, LCM,
    /// DMD2, Hyper-SD), a file relative to the models folder; `None`: `fast` runs without one.
    pub distill_lora: Option<String>,
    /// Fewest images a style is trained on (`POST /api/v1/styles/train`); default
    /// [`DEFAULT_TRAIN_MIN_IMAGES`](dgx_pixels_protocol::limits::DEFAULT_TRAIN_MIN_IMAGES).
    pub train_min_images: usize,
    /// How long one training may run before it fails; default [`DEFAULT_TRAIN_TIMEOUT`].
    pub train_timeout: Duration,
    /// Test knob, hidden from `--help`: extra time the `procedural` backend spends per job,
    /// spread over its frames, so tests can catch jobs queued and running. Zero by default.
    pub procedural_delay: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: DEFAULT_BIND,
            data_dir: default_data_dir(),
            models_dir: None,
            backend: BackendKind::Procedural,
            comfyui: Vec::new(),
            checkpoint: None,
            img2img_denoise: DEFAULT_DENOISE,
            token: None,
            allow_roots: Vec::new(),
            game: DEFAULT_GAME_URL.to_owned(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            job_timeout: DEFAULT_JOB_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            concurrency: None,
            batch_window: DEFAULT_BATCH_WINDOW,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            distill_lora: None,
            train_min_images: dgx_pixels_protocol::limits::DEFAULT_TRAIN_MIN_IMAGES,
            train_timeout: DEFAULT_TRAIN_TIMEOUT,
            procedural_delay: Duration::ZERO,
        }
    }
}

/// The data folder when none is given: `$XDG_DATA_HOME/dgx-pixels`, else
/// `$HOME/.local/share/dgx-pixels`, else `./dgx-pixels-data`.
pub fn default_data_dir() -> PathBuf {
    let xdg = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()).map(PathBuf::from);
    let home = || std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| Path::new(&h).join(".local/share"));
    xdg.or_else(home).map(|base| base.join("dgx-pixels")).unwrap_or_else(|| PathBuf::from("dgx-pixels-data"))
}

/// A configuration the server refuses to start with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Binding beyond loopback would expose an open server to the network.
    #[error("refusing to listen on {bind} without a token: set --token (or DGX_PIXELS_TOKEN) or bind to 127.0.0.1")]
    TokenRequired {
        /// The non-loopback address asked for.
        bind: SocketAddr,
    },
    /// The token is empty or has characters a header cannot carry.
    #[error("the token must be 1 to 512 visible ASCII characters")]
    BadToken,
    /// The comfyui backend was chosen without a ComfyUI to talk to.
    #[error("the comfyui backend needs at least one --comfyui URL (e.g. http://127.0.0.1:8188)")]
    ComfyuiUrlRequired,
    /// The default img2img denoise is out of its range (or not a number).
    #[error(
        "img2img_denoise (--img2img-denoise, DGX_PIXELS_IMG2IMG_DENOISE) must be between {} and {}, got {value}",
        DENOISE.start(),
        DENOISE.end()
    )]
    Img2imgDenoise {
        /// The value given.
        value: f32,
    },
    /// The game URL is not an `http://` URL.
    #[error("the game URL (--game) must be an http:// URL such as {DEFAULT_GAME_URL}, got `{url}`")]
    GameUrl {
        /// The URL given.
        url: String,
    },
    /// The TOML file could not be read.
    #[error("cannot read config file {path}: {source}")]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML file does not parse or has unknown keys.
    #[error("bad config file {path}: {source}")]
    ParseFile {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        source: toml::de::Error,
    },
}

impl Config {
    /// The LoRA folder: `models_dir`, else `<data_dir>/models/lora`.
    pub fn models_dir(&self) -> PathBuf {
        self.models_dir.clone().unwrap_or_else(|| self.data_dir.join("models").join("lora"))
    }

    /// Checks the rules the server will not start without.
    pub fn check(&self) -> Result<(), ConfigError> {
        if let Some(token) = &self.token {
            let visible = token.bytes().all(|b| b.is_ascii_graphic());
            if token.is_empty() || token.len() > 512 || !visible {
                return Err(ConfigError::BadToken);
            }
        } else if !self.bind.ip().is_loopback() {
            return Err(ConfigError::TokenRequired { bind: self.bind });
        }
        if self.backend == BackendKind::Comfyui && self.comfyui.is_empty() {
            return Err(ConfigError::ComfyuiUrlRequired);
        }
        if !DENOISE.contains(&self.img2img_denoise) {
            return Err(ConfigError::Img2imgDenoise { value: self.img2img_denoise });
        }
        if !self.game.starts_with("http://") || self.game.len() <= "http://".len() {
            return Err(ConfigError::GameUrl { url: self.game.clone() });
        }
        Ok(())
    }

    /// Applies the values a TOML file sets; absent keys keep their current value.
    pub fn apply_file(&mut self, file: ConfigFile) {
        let ConfigFile {
            bind,
            data_dir,
            models,
            backend,
            comfyui,
            checkpoint,
            img2img_denoise,
            token,
            allow_roots,
            game,
            max_body_bytes,
            job_timeout_secs,
            request_timeout_secs,
            concurrency,
            batch_window_ms,
            shutdown_grace_secs,
            train_min_images,
            train_timeout_secs,
            distill_lora,
        } = file;
        self.bind = bind.unwrap_or(self.bind);
        self.data_dir = data_dir.unwrap_or_else(|| self.data_dir.clone());
        self.models_dir = models.or_else(|| self.models_dir.clone());
        self.backend = backend.unwrap_or(self.backend);
        self.comfyui = comfyui.unwrap_or_else(|| self.comfyui.clone());
        self.checkpoint = checkpoint.or_else(|| self.checkpoint.clone());
        self.img2img_denoise = img2img_denoise.unwrap_or(self.img2img_denoise);
        self.token = token.or_else(|| self.token.clone());
        self.allow_roots = allow_roots.unwrap_or_else(|| self.allow_roots.clone());
        self.game = game.unwrap_or_else(|| self.game.clone());
        self.max_body_bytes = max_body_bytes.unwrap_or(self.max_body_bytes);
        self.job_timeout = job_timeout_secs.map(Duration::from_secs).unwrap_or(self.job_timeout);
        self.request_timeout = request_timeout_secs.map(Duration::from_secs).unwrap_or(self.request_timeout);
        self.concurrency = concurrency.or(self.concurrency);
        self.batch_window = batch_window_ms.map(Duration::from_millis).unwrap_or(self.batch_window);
        self.shutdown_grace = shutdown_grace_secs.map(Duration::from_secs).unwrap_or(self.shutdown_grace);
        self.train_min_images = train_min_images.unwrap_or(self.train_min_images);
        self.distill_lora = distill_lora.or_else(|| self.distill_lora.clone());
        self.train_timeout = train_timeout_secs.map(Duration::from_secs).unwrap_or(self.train_timeout);
    }
}

/// The TOML file given with `--config`: every key optional, unknown keys refused.
///
/// ```toml
/// bind = "0.0.0.0:8787"
/// data_dir = "/srv/dgx-pixels"
/// models = "/srv/loras"
/// backend = "procedural"
/// token = "change-me"
/// comfyui = ["http://127.0.0.1:8188"]
/// checkpoint = "sd_xl_base_1.0.safetensors"
/// img2img_denoise = 0.6
/// allow_roots = ["/home/me/games"]
/// game = "http://127.0.0.1:15702"
/// max_body_bytes = 16777216
/// job_timeout_secs = 600
/// request_timeout_secs = 30
/// concurrency = 1
/// batch_window_ms = 30
/// shutdown_grace_secs = 30
/// distill_lora = "sdxl_lightning_4step_lora.safetensors"
/// train_min_images = 20
/// train_timeout_secs = 14400
/// ```
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// See [`Config::bind`].
    pub bind: Option<SocketAddr>,
    /// See [`Config::data_dir`].
    pub data_dir: Option<PathBuf>,
    /// See [`Config::models_dir`].
    pub models: Option<PathBuf>,
    /// See [`Config::backend`].
    pub backend: Option<BackendKind>,
    /// See [`Config::comfyui`].
    pub comfyui: Option<Vec<String>>,
    /// See [`Config::checkpoint`].
    pub checkpoint: Option<String>,
    /// See [`Config::img2img_denoise`].
    pub img2img_denoise: Option<f32>,
    /// See [`Config::token`].
    pub token: Option<String>,
    /// See [`Config::allow_roots`].
    pub allow_roots: Option<Vec<PathBuf>>,
    /// See [`Config::game`].
    pub game: Option<String>,
    /// See [`Config::max_body_bytes`].
    pub max_body_bytes: Option<usize>,
    /// See [`Config::job_timeout`], in seconds.
    pub job_timeout_secs: Option<u64>,
    /// See [`Config::request_timeout`], in seconds.
    pub request_timeout_secs: Option<u64>,
    /// See [`Config::concurrency`].
    pub concurrency: Option<usize>,
    /// See [`Config::batch_window`], in milliseconds.
    pub batch_window_ms: Option<u64>,
    /// See [`Config::shutdown_grace`], in seconds.
    pub shutdown_grace_secs: Option<u64>,
    /// See [`Config::train_min_images`].
    pub train_min_images: Option<usize>,
    /// See [`Config::train_timeout`], in seconds.
    pub train_timeout_secs: Option<u64>,
    /// See [`Config::distill_lora`].
    pub distill_lora: Option<String>,
}

impl ConfigFile {
    /// Reads and parses `path`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::ReadFile { path: path.to_owned(), source })?;
        toml::from_str(&text).map_err(|source| ConfigError::ParseFile { path: path.to_owned(), source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_binds_need_a_token() {
        let open = Config { bind: "0.0.0.0:8787".parse().unwrap(), ..Config::default() };
        assert!(matches!(open.check(), Err(ConfigError::TokenRequired { .. })));
        Config { token: Some("secret".into()), ..open }.check().unwrap();
        Config::default().check().unwrap();
        let bad = Config { token: Some("two words".into()), ..Config::default() };
        assert!(matches!(bad.check(), Err(ConfigError::BadToken)));
    }

    #[test]
    fn comfyui_needs_an_instance() {
        let config = Config { backend: BackendKind::Comfyui, ..Config::default() };
        assert!(matches!(config.check(), Err(ConfigError::ComfyuiUrlRequired)));
        Config { comfyui: vec!["http://127.0.0.1:8188".into()], ..config }.check().unwrap();
    }

    /// `img2img_denoise` is read from the file and checked against the request's range, the
    /// error naming the key.
    #[test]
    fn img2img_denoise_comes_from_the_file_within_its_range() {
        let mut config = Config::default();
        assert_eq!(config.img2img_denoise, DEFAULT_DENOISE);
        config.apply_file(toml::from_str("img2img_denoise = 0.4").unwrap());
        assert_eq!(config.img2img_denoise, 0.4);
        config.check().unwrap();
        for value in [0.0, 0.04, 1.5, f32::NAN] {
            let err = Config { img2img_denoise: value, ..Config::default() }.check().unwrap_err();
            assert!(matches!(err, ConfigError::Img2imgDenoise { .. }), "{value}: {err}");
            assert!(err.to_string().starts_with("img2img_denoise"), "{err}");
        }
        for edge in [0.05, 1.0] {
            Config { img2img_denoise: edge, ..Config::default() }.check().unwrap();
        }
        assert!(toml::from_str::<ConfigFile>("img2img_denoise = \"high\"").is_err());
    }

    #[test]
    fn file_values_override_defaults_only_where_set() {
        let file: ConfigFile = toml::from_str(
            "bind = \"127.0.0.1:9000\"\nconcurrency = 3\nbatch_window_ms = 0\ncheckpoint = \"sdxl.safetensors\"\nshutdown_grace_secs = 5",
        )
        .unwrap();
        let mut config = Config::default();
        config.apply_file(file);
        assert_eq!(config.bind.port(), 9000);
        assert_eq!(config.checkpoint.as_deref(), Some("sdxl.safetensors"));
        assert_eq!(config.concurrency, Some(3));
        assert_eq!(config.batch_window, Duration::ZERO);
        assert_eq!(config.shutdown_grace, Duration::from_secs(5));
        assert_eq!(config.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
        assert!(toml::from_str::<ConfigFile>("bnid = 1").is_err());
    }
}
