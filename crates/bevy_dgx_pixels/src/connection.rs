//! All talk with the server, off the main thread.
//!
//! [`Connection`] owns one background thread that runs a small Tokio runtime (the client is
//! async reqwest). Systems send [`ConnectionCommand`]s over a crossbeam channel and poll
//! [`ConnectionEvent`]s with [`Connection::try_recv`]; sending never blocks, so no frame waits on
//! the network. Asset loaders, which are async themselves, await
//! [`Connection::generate_into`] instead.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use base64::Engine;
use bevy_ecs::resource::Resource;
use crossbeam_channel::{Receiver, Sender};
use dgx_pixels_client::uploads::read_uploads;
use dgx_pixels_client::{Client, ClientError};
use dgx_pixels_protocol::events::{CompletedJob, ProgressEvent};
use dgx_pixels_protocol::{
    GenerateRequest, Health, Job, JobEvent, JobId, JobStatus, ModelList, PaletteSpec, SpriteMeta, TrainStyleRequest,
};
use dgx_pixels_sprite::palette_source::{fill_from_art, sprite_folders};
use dgx_pixels_sprite::write::{SpriteFiles, WriteError, write_atomic};
use futures_util::StreamExt;
use tokio::sync::oneshot;

use crate::reprocess::{ReprocessError, reprocess};
use crate::settings::PixelsServer;
use crate::{DecodedSheet, SheetError, SheetFiles};

/// A request from a system to the connection thread.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConnectionCommand {
    /// Ask `GET /health`; answered with [`ConnectionEvent::Health`].
    CheckHealth,
    /// Ask `GET /api/v1/models`; answered with [`ConnectionEvent::Styles`].
    ListStyles,
    /// Queue a job and follow it to the end; answered with [`ConnectionEvent::Accepted`], any
    /// number of [`ConnectionEvent::Progress`] and one [`ConnectionEvent::Finished`].
    Generate {
        /// The caller's number for this job, echoed in every event about it.
        ticket: u64,
        /// What to generate.
        request: GenerateRequest,
        /// The game's `assets` folder, where a `palette: {"from": …}` (and `sprite: "match"`)
        /// of the request is read, here, and sent as colours and a size (the server cannot see
        /// this machine's files); `None` sends the request as it is.
        assets: Option<PathBuf>,
    },
    /// List the folders of the game's sprites inside `assets` (those holding PNGs); answered
    /// with [`ConnectionEvent::SpriteFolders`].
    ListSpriteFolders {
        /// The game's `assets` folder on disk.
        assets: PathBuf,
    },
    /// Cancel a queued or running job; its `Finished` event reports the cancellation.
    Cancel(JobId),
    /// Make a finished job's sheet again from its raw frames with other sheet settings, without
    /// generating (see [`crate::reprocess`]); answered with one [`ConnectionEvent::Finished`].
    Reprocess {
        /// The caller's number for this work, echoed in its event.
        ticket: u64,
        /// The job whose raw frames are used.
        job: JobId,
        /// Its sprite size, colours, palette, background and columns are applied; nothing else
        /// of it is used.
        request: GenerateRequest,
        /// The game's `assets` folder, for a palette (and size) from the game's sprites, as in
        /// [`ConnectionCommand::Generate`].
        assets: Option<PathBuf>,
    },
    /// Write a finished sheet as `dir/NAME.{png,atlas.ron,sprite.ron}`; answered with
    /// [`ConnectionEvent::Saved`].
    Save {
        /// The sheet's bytes.
        files: SheetFiles,
        /// Destination folder on disk.
        dir: PathBuf,
        /// Asset name, `[a-z0-9_-]{1,64}`.
        name: String,
    },
    /// Train a style on the server and follow it to the end; answered with
    /// [`ConnectionEvent::Accepted`], any number of [`ConnectionEvent::Progress`] (with each
    /// step's loss) and one [`ConnectionEvent::Trained`].
    TrainStyle {
        /// The caller's number for this training, echoed in every event about it.
        ticket: u64,
        /// What to train on, on the server (finished jobs).
        request: TrainStyleRequest,
        /// The game's `assets` folder on disk.
        assets: PathBuf,
        /// A folder of the game's own sprites inside `assets` (relative), read here and sent
        /// with the request: the server cannot see this machine's files.
        folder: Option<String>,
    },
    /// Write `bytes` to `path` atomically (the panel remembers its inputs this way); a failure
    /// is logged, not answered.
    WriteFile {
        /// Destination file.
        path: PathBuf,
        /// Its new content.
        bytes: Vec<u8>,
    },
}

/// A result the connection thread hands back to systems.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConnectionEvent {
    /// The server's health, or why it could not be asked.
    Health(Result<Health, ConnectionError>),
    /// The styles the server offers.
    Styles(Result<ModelList, ConnectionError>),
    /// The folders inside `assets/` that hold the game's sprites, relative, sorted.
    SpriteFolders(Vec<String>),
    /// The server queued the job of `ticket`.
    Accepted {
        /// The caller's number.
        ticket: u64,
        /// The server's id, for cancelling.
        job_id: JobId,
    },
    /// Progress of the job of `ticket` (from its Server-Sent Events).
    Progress {
        /// The caller's number.
        ticket: u64,
        /// Status, progress and queue position.
        progress: ProgressEvent,
    },
    /// The job (or re-processing) of `ticket` ended: its files, or why there are none.
    Finished {
        /// The caller's number.
        ticket: u64,
        /// The completed job whose frames the sheet holds (for a re-processing, the job whose
        /// raw frames were used), its three files, and the files decoded (off the main thread).
        result: Result<(Box<Job>, SheetFiles, Box<DecodedSheet>), ConnectionError>,
    },
    /// The training of `ticket` ended: the completed job (its `style` names the new style), or
    /// why not.
    Trained {
        /// The caller's number.
        ticket: u64,
        /// The job, or why it failed.
        result: Result<Box<Job>, ConnectionError>,
    },
    /// A [`ConnectionCommand::Save`] ended.
    Saved {
        /// The asset name.
        name: String,
        /// The files written, or why not.
        result: Result<SpriteFiles, ConnectionError>,
    },
}

/// What went wrong talking to the server or writing its files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectionError {
    /// The HTTP request failed or the server answered with an error.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The embedded server could not start.
    #[error("the embedded server did not start: {0}")]
    Embedded(String),
    /// The job failed on the server.
    #[error("the job failed: {0}")]
    JobFailed(String),
    /// The job was cancelled.
    #[error("the job was cancelled")]
    Cancelled,
    /// The server's files do not make one sheet.
    #[error(transparent)]
    Sheet(#[from] SheetError),
    /// Writing the files failed.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The game's own sprites could not be read for a training.
    #[error("cannot send the game's sprites: {0}")]
    Upload(String),
    /// The palette (or size) to take from the game's sprites could not be read.
    #[error("the game's sprites: {0}")]
    Art(String),
    /// A job's raw frames did not become a sheet again.
    #[error(transparent)]
    Reprocess(#[from] ReprocessError),
    /// The connection thread is gone (the app is shutting down).
    #[error("the connection thread stopped")]
    Stopped,
}

/// The handle systems and loaders use to reach the server. Cheap to clone.
#[derive(Resource, Clone)]
pub struct Connection {
    commands: Sender<Work>,
    events: Receiver<ConnectionEvent>,
    server_name: Arc<RwLock<String>>,
}

/// What the connection thread runs: a command from a system, or a loader's generation.
enum Work {
    Command(Box<ConnectionCommand>),
    GenerateInto {
        request: Box<GenerateRequest>,
        dir: PathBuf,
        name: String,
        reply: oneshot::Sender<Result<(), ConnectionError>>,
    },
}

impl Connection {
    /// Starts the connection thread for `server`. Nothing is sent until a command arrives, and
    /// an embedded server starts on that thread, so this returns at once.
    pub fn start(server: PixelsServer) -> Self {
        let (commands, work) = crossbeam_channel::unbounded();
        let (sender, events) = crossbeam_channel::unbounded();
        let server_name = Arc::new(RwLock::new(server.describe()));
        let name = Arc::clone(&server_name);
        let spawned = std::thread::Builder::new()
            .name("dgx-pixels-connection".into())
            .spawn(move || run_connection(server, work, sender, name));
        if let Err(err) = spawned {
            bevy_log::error!("cannot start the dgx-pixels connection thread: {err}");
        }
        Self { commands, events, server_name }
    }

    /// Queues `command`; never blocks.
    pub fn send(&self, command: ConnectionCommand) {
        // A closed channel means the app is shutting down; nothing is left to answer.
        let _ = self.commands.send(Work::Command(Box::new(command)));
    }

    /// The next result, if one has arrived; never blocks.
    pub fn try_recv(&self) -> Option<ConnectionEvent> {
        self.events.try_recv().ok()
    }

    /// The server as people should read it in messages (its URL once known).
    pub fn server_name(&self) -> String {
        self.server_name.read().map(|name| name.clone()).unwrap_or_default()
    }

    /// Generates `request` and writes `dir/NAME.{png,atlas.ron,sprite.ron}` atomically, the PNG
    /// last. For asset loaders, which await it on Bevy's IO task pool.
    pub async fn generate_into(
        &self,
        request: GenerateRequest,
        dir: PathBuf,
        name: String,
    ) -> Result<(), ConnectionError> {
        let (reply, answer) = oneshot::channel();
        let work = Work::GenerateInto { request: Box::new(request), dir, name, reply };
        self.commands.send(work).map_err(|_| ConnectionError::Stopped)?;
        answer.await.unwrap_or(Err(ConnectionError::Stopped))
    }
}

/// The connection thread: a Tokio runtime whose tasks do the work while this thread hands
/// them the commands as they come, until every [`Connection`] is dropped.
fn run_connection(
    server: PixelsServer,
    work: Receiver<Work>,
    events: Sender<ConnectionEvent>,
    name: Arc<RwLock<String>>,
) {
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => return bevy_log::error!("cannot start the dgx-pixels runtime: {err}"),
    };
    let client = runtime.block_on(crate::settings::connect(server));
    let client = match client {
        Ok((client, url)) => {
            if let Ok(mut name) = name.write() {
                *name = url;
            }
            Ok(client)
        }
        Err(err) => Err(err.to_string()),
    };
    for item in work {
        let client = client.clone();
        let events = events.clone();
        runtime.spawn(async move {
            let client = client.map_err(ConnectionError::Embedded);
            match item {
                Work::Command(command) => run_command(client, *command, events).await,
                Work::GenerateInto { request, dir, name, reply } => {
                    let result = match client {
                        Ok(client) => generate_into(&client, &request, dir, name).await,
                        Err(err) => Err(err),
                    };
                    let _ = reply.send(result);
                }
            }
        });
    }
}

/// Runs one command to its end, sending what it learns to `events`.
async fn run_command(
    client: Result<Client, ConnectionError>,
    command: ConnectionCommand,
    events: Sender<ConnectionEvent>,
) {
    let send = |event| {
        let _ = events.send(event);
    };
    if let ConnectionCommand::Save { files, dir, name } = command {
        let label = name.clone();
        let saving = tokio::task::spawn_blocking(move || save(&files, &dir, &name));
        let result = saving.await.unwrap_or(Err(ConnectionError::Stopped));
        return send(ConnectionEvent::Saved { name: label, result });
    }
    if let ConnectionCommand::ListSpriteFolders { assets } = command {
        let listing = tokio::task::spawn_blocking(move || sprite_folders(&assets, MAX_SPRITE_FOLDERS));
        return send(ConnectionEvent::SpriteFolders(listing.await.unwrap_or_default()));
    }
    if let ConnectionCommand::WriteFile { path, bytes } = command {
        let writing = tokio::task::spawn_blocking(move || (write_atomic(&path, &bytes), path));
        if let Ok((Err(err), path)) = writing.await {
            bevy_log::warn!(path = %path.display(), "cannot write: {err}");
        }
        return;
    }
    let client = match client {
        Ok(client) => client,
        Err(err) => {
            return send(match command {
                ConnectionCommand::CheckHealth => ConnectionEvent::Health(Err(err)),
                ConnectionCommand::ListStyles => ConnectionEvent::Styles(Err(err)),
                ConnectionCommand::Generate { ticket, .. } | ConnectionCommand::Reprocess { ticket, .. } => {
                    ConnectionEvent::Finished { ticket, result: Err(err) }
                }
                ConnectionCommand::TrainStyle { ticket, .. } => ConnectionEvent::Trained { ticket, result: Err(err) },
                _ => return,
            });
        }
    };
    match command {
        ConnectionCommand::CheckHealth => send(ConnectionEvent::Health(client.health().await.map_err(Into::into))),
        ConnectionCommand::ListStyles => send(ConnectionEvent::Styles(client.models().await.map_err(Into::into))),
        ConnectionCommand::Generate { ticket, request, assets } => {
            let result = match from_game_art(request, assets).await {
                Ok(request) => follow_job(&client, &request, |event| send(event_for(ticket, event))).await,
                Err(err) => Err(err),
            };
            let result = result.and_then(|(job, files)| {
                let sheet = files.decode()?;
                Ok((Box::new(job), files, Box::new(sheet)))
            });
            send(ConnectionEvent::Finished { ticket, result });
        }
        ConnectionCommand::Reprocess { ticket, job, request, assets } => {
            let result = match from_game_art(request, assets).await {
                Ok(request) => reprocess(&client, &job, request).await,
                Err(err) => Err(err),
            };
            let result = result.map(|(job, files, sheet)| (Box::new(job), files, Box::new(sheet)));
            send(ConnectionEvent::Finished { ticket, result });
        }
        ConnectionCommand::TrainStyle { ticket, request, assets, folder } => {
            let result = train_style(&client, request, assets, folder, |event| send(event_for(ticket, event))).await;
            send(ConnectionEvent::Trained { ticket, result: result.map(Box::new) });
        }
        ConnectionCommand::Cancel(job_id) => {
            if let Err(err) = client.cancel(&job_id).await {
                bevy_log::warn!(%job_id, "cancel failed: {err}");
            }
        }
        ConnectionCommand::Save { .. }
        | ConnectionCommand::WriteFile { .. }
        | ConnectionCommand::ListSpriteFolders { .. } => {}
    }
}

/// What the panel hears about a job as it runs.
enum JobNews {
    Accepted(JobId),
    Progress(ProgressEvent),
}

fn event_for(ticket: u64, news: JobNews) -> ConnectionEvent {
    match news {
        JobNews::Accepted(job_id) => ConnectionEvent::Accepted { ticket, job_id },
        JobNews::Progress(progress) => ConnectionEvent::Progress { ticket, progress },
    }
}

/// Queues `request`, follows its events to the end and takes its three files from the
/// completion (downloading them when the server did not send them along).
async fn follow_job(
    client: &Client,
    request: &GenerateRequest,
    news: impl FnMut(JobNews),
) -> Result<(Job, SheetFiles), ConnectionError> {
    let accepted = client.generate(request, None).await?;
    let id = accepted.job_id;
    let CompletedJob { job, files } = follow_events(client, &id, true, news).await?;
    let png =
        files.as_ref().and_then(|inline| base64::engine::general_purpose::STANDARD.decode(&inline.sheet_png).ok());
    let files = match (png, files) {
        (Some(png), Some(inline)) => {
            SheetFiles { png, atlas: inline.atlas_ron.into_bytes(), sprite: inline.sprite_ron.into_bytes() }
        }
        _ => SheetFiles {
            png: client.sheet_png(&id).await?,
            atlas: client.atlas_ron(&id).await?.into_bytes(),
            sprite: client.sprite_ron(&id).await?.into_bytes(),
        },
    };
    Ok((job, files))
}

/// Folders of the game's sprites listed for the panel at most.
const MAX_SPRITE_FOLDERS: usize = 200;

/// `request` with a `palette: {"from": …}` (and `sprite: "match"`) read from the game's
/// sprites inside `assets`, off the async threads ([`fill_from_art`]).
async fn from_game_art(request: GenerateRequest, assets: Option<PathBuf>) -> Result<GenerateRequest, ConnectionError> {
    let Some(assets) = assets.filter(|_| matches!(request.palette, Some(PaletteSpec::From(_)))) else {
        return Ok(request);
    };
    let reading = tokio::task::spawn_blocking(move || {
        fill_from_art(request, |source| crate::loader::inside_assets(&assets, source))
    });
    reading.await.map_err(|_| ConnectionError::Stopped)?.map_err(ConnectionError::Art)
}

/// Reads the game's sprites of `folder` (inside `assets`) into the request, queues the training
/// and follows it to the end.
async fn train_style(
    client: &Client,
    mut request: TrainStyleRequest,
    assets: PathBuf,
    folder: Option<String>,
    news: impl FnMut(JobNews),
) -> Result<Job, ConnectionError> {
    if let Some(folder) = folder {
        let reading = tokio::task::spawn_blocking(move || {
            let path = crate::loader::inside_assets(&assets, &folder)?;
            read_uploads(&path).map_err(|err| err.to_string())
        });
        let uploads = reading.await.map_err(|_| ConnectionError::Stopped)?.map_err(ConnectionError::Upload)?;
        request.uploads.extend(uploads);
    }
    let accepted = client.train_style(&request).await?;
    Ok(follow_events(client, &accepted.job_id, false, news).await?.job)
}

/// Follows job `id`'s events until it ends (asking for a sheet's files with the completion when
/// `with_files`); the completed job, or why it did not complete.
async fn follow_events(
    client: &Client,
    id: &JobId,
    with_files: bool,
    mut news: impl FnMut(JobNews),
) -> Result<CompletedJob, ConnectionError> {
    news(JobNews::Accepted(id.clone()));
    let mut events = if with_files { client.events_with_files(id).boxed() } else { client.events(id).boxed() };
    let mut finished = None;
    while let Some(event) = events.next().await {
        match event? {
            JobEvent::Progress(progress) => news(JobNews::Progress(progress)),
            JobEvent::Completed(job) => {
                finished = Some(*job);
                break;
            }
            JobEvent::Failed(failed) => return Err(ConnectionError::JobFailed(failed.error)),
            JobEvent::Cancelled(_) => return Err(ConnectionError::Cancelled),
        }
    }
    // A stream cut short is not the job's end: ask for the job itself.
    let done = match finished {
        Some(done) => done,
        None => CompletedJob { job: client.wait(id).await?, files: None },
    };
    let job = &done.job;
    match job.status {
        JobStatus::Completed => Ok(done),
        JobStatus::Cancelled => Err(ConnectionError::Cancelled),
        _ => Err(ConnectionError::JobFailed(job.error.clone().unwrap_or_default())),
    }
}

/// The loader's path: generate, then write the files beside the request.
async fn generate_into(
    client: &Client,
    request: &GenerateRequest,
    dir: PathBuf,
    name: String,
) -> Result<(), ConnectionError> {
    let (_, mut files) = follow_job(client, request, |_| {}).await?;
    stamp_request_hash(&mut files, request);
    let saving = tokio::task::spawn_blocking(move || save(&files, &dir, &name));
    saving.await.unwrap_or(Err(ConnectionError::Stopped)).map(|_| ())
}

/// Records `request`'s hash in the sheet's `.sprite.ron`, as the loader computes it, so the
/// files count as made from this request even if the server hashed a normalised copy; without
/// it the reload that our own write triggers would generate again, and again.
fn stamp_request_hash(files: &mut SheetFiles, request: &GenerateRequest) {
    let hash = request.content_hash();
    let Some(mut meta) = std::str::from_utf8(&files.sprite).ok().and_then(|text| SpriteMeta::from_ron(text).ok())
    else {
        return;
    };
    if let Some(provenance) = meta.provenance.as_mut()
        && provenance.request_hash != hash
    {
        provenance.request_hash = hash;
        files.sprite = meta.to_ron().into_bytes();
    }
}

/// Writes the three files atomically, the PNG last, so a watcher that reacts to the image finds
/// the matching layout already in place.
fn save(files: &SheetFiles, dir: &std::path::Path, name: &str) -> Result<SpriteFiles, ConnectionError> {
    let paths = SpriteFiles::in_dir(dir, name)?;
    let io = |path: &PathBuf| {
        let path = path.clone();
        move |source| ConnectionError::Write(WriteError::Io { path, source })
    };
    std::fs::create_dir_all(dir).map_err(io(&dir.to_path_buf()))?;
    write_atomic(&paths.sprite, &files.sprite).map_err(io(&paths.sprite))?;
    write_atomic(&paths.atlas, &files.atlas).map_err(io(&paths.atlas))?;
    write_atomic(&paths.sheet, &files.png).map_err(io(&paths.sheet))?;
    Ok(paths)
}
