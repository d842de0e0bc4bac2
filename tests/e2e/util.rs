//! Shared helpers: an in-process server, a temporary project and a headless Bevy app.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bevy::asset::AssetPlugin;
use bevy::image::{ImagePlugin, TextureAtlasPlugin};
use bevy::input::InputPlugin;
use bevy::prelude::*;
use bevy::shader::Shader;
use bevy::window::ExitCondition;
use bevy_dgx_pixels::prelude::*;
use dgx_pixels_server::{Config, Server};
use tokio::sync::oneshot;

/// The real server on `127.0.0.1:0` with the procedural backend, on its own runtime thread.
/// Dropping it stops it.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _data: tempfile::TempDir,
}

impl TestServer {
    /// Starts a server and waits until it listens.
    pub fn start() -> Self {
        let data = tempfile::tempdir().expect("temp dir");
        let config =
            Config { bind: ([127, 0, 0, 1], 0).into(), data_dir: data.path().to_path_buf(), ..Config::default() };
        let (url_tx, url_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            runtime.block_on(async move {
                let server = Server::bind(config).await.expect("server binds");
                url_tx.send(format!("http://{}", server.local_addr())).unwrap();
                server.run(async move { drop(stopped.await) }).await.expect("server runs");
            });
        });
        let url = url_rx.recv_timeout(Duration::from_secs(20)).expect("server started");
        Self { url, stop: Some(stop), thread: Some(thread), _data: data }
    }

    /// The plugin's setting for this server.
    pub fn setting(&self) -> PixelsServer {
        PixelsServer::Url { url: self.url.clone(), token: None }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A temporary game folder with an `assets/` folder inside.
pub struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    /// An empty project.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("assets")).unwrap();
        Self { dir }
    }

    /// The assets folder.
    pub fn assets(&self) -> PathBuf {
        self.dir.path().join("assets")
    }

    /// Writes `text` to `assets/NAME`.
    pub fn write(&self, name: &str, text: &str) {
        dgx_pixels_sprite::write::write_atomic(&self.assets().join(name), text.as_bytes()).unwrap();
    }

    /// Copies the shipped knight sheet into `assets/`.
    pub fn add_knight(&self) {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/generated");
        for file in ["knight.png", "knight.atlas.ron", "knight.sprite.ron"] {
            std::fs::copy(shipped.join(file), self.assets().join(file)).unwrap();
        }
    }
}

/// Where no server listens (the discard port, 9, on loopback): for loads that must come from
/// the cache, and for failures that must name the server.
pub const NO_SERVER_URL: &str = "http://127.0.0.1:9";

/// [`NO_SERVER_URL`] as the plugin's server setting.
pub fn no_server() -> PixelsServer {
    PixelsServer::Url { url: NO_SERVER_URL.into(), token: None }
}

/// A headless app (no window, no renderer) on `project`'s assets with the file watcher on and
/// the plugin talking to `server`, without the panel.
pub fn headless_app(project: &Project, server: PixelsServer) -> App {
    let mut app = base_app(project);
    app.add_plugins(DgxPixelsPlugin { server, panel: false, ..default() });
    app
}

/// [`headless_app`] with the panel: nothing is drawn without a window, but its systems run
/// the actions pushed onto `PanelState` and fill its queue and gallery as in the editor.
pub fn headless_panel_app(project: &Project, server: PixelsServer) -> App {
    let mut app = base_app(project);
    // What the panel's egui plugin reads besides: keys, window and pointer messages (with no
    // window opened), and its shader, registered as an asset whose collection the absent
    // renderer would otherwise add.
    app.add_plugins((
        InputPlugin,
        WindowPlugin { primary_window: None, exit_condition: ExitCondition::DontExit, ..default() },
    ))
    .init_asset::<Shader>()
    .add_plugins(DgxPixelsPlugin { server, ..default() });
    app
}

/// The headless app without the plugin.
pub fn base_app(project: &Project) -> App {
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        AssetPlugin {
            file_path: project.assets().to_string_lossy().into_owned(),
            watch_for_changes_override: Some(true),
            ..default()
        },
        ImagePlugin::default(),
        TextureAtlasPlugin,
    ));
    app
}

/// Updates `app` until `done` holds or `timeout` passes; returns whether it held.
pub fn run_until(app: &mut App, timeout: Duration, mut done: impl FnMut(&mut App) -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        app.update();
        if done(app) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    false
}

/// The loaded sprite's image size and frame count, once all its parts are in.
pub fn sprite_shape(app: &App, handle: &Handle<GeneratedSprite>) -> Option<(UVec2, usize)> {
    let world = app.world();
    let sprite = world.resource::<Assets<GeneratedSprite>>().get(handle)?;
    let image = world.resource::<Assets<Image>>().get(&sprite.image)?;
    let layout = world.resource::<Assets<TextureAtlasLayout>>().get(&sprite.layout)?;
    Some((image.size(), layout.len()))
}

/// A `.pixels.ron` request for `frames` frames of 16×16 pixels.
pub fn request(prompt: &str, frames: u32) -> String {
    format!("(prompt: \"{prompt}\", frames: {frames}, sprite: (width: 16, height: 16), seed: 7)")
}
