//! The dgx-pixels generation server, as a library that can be embedded, and the `dgx-pixels` CLI.
//!
//! The server queues generation jobs in SQLite, runs them on a backend (the built-in
//! `procedural` one by default), turns the frames into a sprite sheet with `dgx_pixels_sprite`
//! and serves the HTTP API of `DESIGN.md`: jobs, their Server-Sent Events, their files, the
//! styles found under the models folder, the pixelize endpoint and an OpenAPI document.
//!
//! # Embedding
//! The Bevy plugin and tests run the server in-process on loopback; port 0 picks a free port:
//! ```no_run
//! use dgx_pixels_server::{Config, Server};
//!
//! # async fn run() -> Result<(), dgx_pixels_server::ServerError> {
//! let config = Config { bind: "127.0.0.1:0".parse().unwrap(), data_dir: "target/pixels".into(), ..Config::default() };
//! let server = Server::bind(config).await?;
//! println!("listening on http://{}", server.local_addr());
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! let task = tokio::spawn(server.run(async move { let _ = stopped.await; }));
//! // ... use the server ...
//! let _ = stop.send(());
//! task.await.expect("server task")?;
//! # Ok(()) }
//! ```
//!
//! # Layout
//! - [`config`]: [`Config`], its defaults, the TOML file and the rules checked before starting.
//! - `routes/`: one module per route group, `router()` with the layers; `error`: [`ApiError`].
//! - `queue/`: the durable job queue (`store`: SQLite), the worker loop, the output files and
//!   the source image of img2img jobs.
//! - `backend/`: the [`backend::Backend`] trait and the `procedural` backend.
//! - `models/`: the styles registry and its folder watcher.
//! - `auth`, `shutdown`, `state`: bearer tokens, stopping, what handlers share.
//! - `mcp/`: the MCP tools at `/mcp` and over stdio ([`Server::run_mcp_stdio`]); [`deploy`]:
//!   the confined writes of `deploy_to_bevy`.
//!
//! # Durability
//! A job is committed to SQLite (WAL, `synchronous = FULL`) before `202 Accepted` is sent. Its
//! files are written atomically (temporary file, fsync, rename) before it is marked completed.
//! On start, jobs left `queued` or `running` are queued again in their original order, so a
//! SIGKILL at any moment loses no accepted job and never leaves a half-written file. A resumed
//! job keeps the progress it had reached (saved as it runs) until its new run passes it.
//!
//! # Shutdown
//! When the future given to [`Server::run`] resolves (Ctrl-C or SIGTERM for `dgx-pixels serve`),
//! the server stops starting and accepting jobs (503) but keeps answering reads, so that clients
//! following a running job see it complete; running jobs get [`Config::shutdown_grace`] (30 s by
//! default) to finish. Then event streams end, the listener closes, and jobs still running stay
//! `running` in the database, to resume on the next start (see `shutdown`).

mod auth;
pub mod backend;
mod bounded_body;
pub mod config;
pub mod deploy;
mod error;
mod game;
mod job_files;
mod local_caller;
mod mcp;
mod models;
mod palette_from;
mod queue;
mod routes;
mod shutdown;
mod sources;
mod state;
mod train;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tracing::{info, warn};

pub use config::{Config, ConfigError};
pub use error::ApiError;
pub use queue::{QueueError, StoreError};
pub use shutdown::shutdown_signal;

use crate::backend::Backend;
use crate::game::GameClient;
use crate::job_files::JobFilesDir;
use crate::models::{StyleRegistry, StyleWatcher};
use crate::queue::JobQueue;
use crate::queue::worker::{WorkerContext, run_backend};
use crate::state::AppState;
use crate::train::TrainSettings;
use crate::train::worker::{TrainContext, run_trainings};

/// How long open connections get to finish once the server closes (after the jobs' own
/// `Config::shutdown_grace`).
const CONNECTION_GRACE: Duration = Duration::from_secs(10);

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The configuration breaks a rule (see [`Config::check`]).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The data folder cannot be created.
    #[error("cannot create data folder {path}: {source}")]
    DataDir {
        /// The folder.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The job database cannot be opened.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// The address cannot be bound (in use, not permitted).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What the OS said.
        source: std::io::Error,
    },
    /// Serving failed.
    #[error("server stopped: {0}")]
    Serve(std::io::Error),
    /// An `--allow-root` folder does not exist or cannot be resolved.
    #[error("bad --allow-root: {0}")]
    AllowedRoot(std::io::Error),
    /// The HTTP client for the game tools cannot be set up.
    #[error("cannot set up the game client: {0}")]
    GameClient(reqwest::Error),
    /// The MCP stdio transport failed (see `Server::run_mcp_stdio`).
    #[error("MCP over stdio: {0}")]
    McpStdio(String),
}

/// A server that is bound and ready to run. Create it with [`Server::bind`], read the port with
/// [`Server::local_addr`], then [`Server::run`] it until a shutdown future resolves.
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    state: AppState,
    workers: WorkerContext,
    trainers: TrainContext,
    concurrency: Option<usize>,
    config: Config,
    trigger: shutdown::ShutdownTrigger,
    _watcher: Option<StyleWatcher>,
}

impl Server {
    /// Checks the configuration, opens the job database (queuing again any job left unfinished),
    /// scans and watches the models folder and binds the listener. Nothing runs until
    /// [`Server::run`].
    pub async fn bind(config: Config) -> Result<Self, ServerError> {
        config.check()?;
        let roots = deploy::AllowedRoots::new(&config.allow_roots).map_err(ServerError::AllowedRoot)?;
        let data_dir = config.data_dir.clone();
        std::fs::create_dir_all(&data_dir).map_err(|source| ServerError::DataDir { path: data_dir.clone(), source })?;
        let (queue, resumed) = JobQueue::open(&data_dir.join("jobs.sqlite3")).await?;
        let training = TrainSettings { datasets: data_dir.join("datasets"), min_images: config.train_min_images };
        train::clear_staging(&training.datasets);
        if resumed > 0 {
            info!(resumed, "resuming unfinished jobs");
        }
        let models_dir = config.models_dir();
        let styles = tokio::task::spawn_blocking(move || StyleRegistry::load(&models_dir))
            .await
            .map_err(|err| ServerError::Queue(QueueError::Task(err.to_string())))?;
        let watcher = match StyleWatcher::start(styles.clone()) {
            Ok(watcher) => Some(watcher),
            Err(err) => {
                warn!(error = %err, dir = %styles.dir().display(), "cannot watch the models folder; restart to see new styles");
                None
            }
        };
        let listener =
            TcpListener::bind(config.bind).await.map_err(|source| ServerError::Bind { addr: config.bind, source })?;
        let local_addr = listener.local_addr().map_err(|source| ServerError::Bind { addr: config.bind, source })?;
        let backends: Vec<Arc<dyn Backend>> = backend::build(config.backend, &config).into_iter().collect();
        let files = JobFilesDir::new(&data_dir);
        let (trigger, shutdown) = shutdown::channel();
        let state = AppState {
            queue: queue.clone(),
            styles: styles.clone(),
            backends: backends.into(),
            files: files.clone(),
            token: config.token.as_deref().map(Arc::from),
            shutdown,
            roots: Arc::new(roots),
            game: GameClient::new(&config.game).map_err(ServerError::GameClient)?,
            training,
            distill_lora: config.distill_lora.clone(),
        };
        let trainers = TrainContext {
            queue: queue.clone(),
            styles: styles.clone(),
            files: files.clone(),
            settings: state.training.clone(),
            timeout: config.train_timeout,
            shutdown_grace: config.shutdown_grace,
        };
        if let Some(file) = &config.distill_lora
            && !styles.dir().join(file).is_file()
        {
            warn!(file, dir = %styles.dir().display(), "the fast preset's distillation LoRA is not in the models folder");
        }
        let workers = WorkerContext {
            queue,
            styles,
            distill_lora: config.distill_lora.clone(),
            files,
            job_timeout: config.job_timeout,
            shutdown_grace: config.shutdown_grace,
        };
        Ok(Self {
            listener,
            local_addr,
            state,
            workers,
            trainers,
            concurrency: config.concurrency,
            config,
            trigger,
            _watcher: watcher,
        })
    }

    /// The address the server listens on, with the real port when `bind` asked for port 0.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` resolves, then drains: no job is accepted (503) or started, and
    /// the running ones get [`Config::shutdown_grace`] to finish while the API still answers
    /// reads. Then it closes: event streams end, the listener stops taking connections, jobs
    /// still running are left to resume on the next start, and `run` returns once open
    /// connections finish or after a few seconds more.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), ServerError> {
        let Server { listener, local_addr, state, workers, trainers, concurrency, config, trigger, _watcher } = self;
        let mut tasks = tokio::task::JoinSet::new();
        for backend in state.backends.iter() {
            let concurrency = concurrency.unwrap_or_else(|| backend.default_concurrency());
            tasks.spawn(run_backend(workers.clone(), Arc::clone(backend), concurrency, state.shutdown.clone()));
            if backend.can_train() {
                tasks.spawn(run_trainings(trainers.clone(), Arc::clone(backend), state.shutdown.clone()));
            }
        }
        let mut closing = state.shutdown.clone();
        let app = routes::router(state, config.max_body_bytes, config.request_timeout);
        info!(addr = %local_addr, "listening");
        tokio::spawn(async move {
            shutdown.await;
            info!("shutting down: no new jobs; running ones may finish");
            trigger.drain();
            while tasks.join_next().await.is_some() {}
            trigger.close();
        });
        let mut graceful = closing.clone();
        // No Nagle: small writes (an SSE event, a short JSON answer) go out at once instead of
        // waiting up to 40 ms for the client's delayed ACK.
        let listener = listener.tap_io(|tcp| {
            if let Err(err) = tcp.set_nodelay(true) {
                warn!(error = %err, "cannot set TCP_NODELAY");
            }
        });
        let server = axum::serve(listener, app).with_graceful_shutdown(async move { graceful.closed().await });
        let outcome = tokio::select! {
            outcome = server => outcome.map_err(ServerError::Serve),
            () = async { closing.closed().await; tokio::time::sleep(CONNECTION_GRACE).await } => {
                warn!("connections still open after the grace period; closing them");
                Ok(())
            }
        };
        info!("stopped");
        outcome
    }
}

/// Binds and runs a server until `shutdown` resolves: [`Server::bind`] then [`Server::run`].
pub async fn serve(config: Config, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), ServerError> {
    Server::bind(config).await?.run(shutdown).await
}
