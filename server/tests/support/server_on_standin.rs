//! A whole `dgx-pixels` server whose `comfyui` backend talks to stand-ins.

use std::time::Duration;

use dgx_pixels_server::Server;
use dgx_pixels_server::config::Config;

use super::comfyui_standin::StandIn;

/// The LoRA the recordings were made with.
pub const LORA: &str = "lora_random_r64.safetensors";

/// A server on `standin` with the recordings' style installed and the given batch window
/// (`None`: the default); the folder it lives in (kept alive by the caller) and its base URL.
pub async fn serve(standin: &StandIn, batch_window: Option<Duration>) -> (tempfile::TempDir, String) {
    serve_with(&[standin], |config| {
        if let Some(window) = batch_window {
            config.batch_window = window;
        }
    })
    .await
}

/// A server whose ComfyUI pool is `standins`, in that order, with the recordings' style
/// installed and `configure` applied last; the folder it lives in and its base URL.
pub async fn serve_with(standins: &[&StandIn], configure: impl FnOnce(&mut Config)) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let lora_dir = dir.path().join("models/lora");
    std::fs::create_dir_all(&lora_dir).unwrap();
    std::fs::write(lora_dir.join(LORA), b"only the name matters here").unwrap();
    let mut config = Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_owned(),
        backend: dgx_pixels_protocol::BackendKind::Comfyui,
        comfyui: standins.iter().map(|standin| standin.url()).collect(),
        ..Config::default()
    };
    configure(&mut config);
    let server = Server::bind(config).await.unwrap();
    let base = format!("http://{}", server.local_addr());
    tokio::spawn(server.run(std::future::pending()));
    (dir, base)
}
