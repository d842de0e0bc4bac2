//! The in-process server of [`PixelsServer::Embedded`](crate::PixelsServer::Embedded): loopback,
//! a free port, the procedural backend, its data in a temporary folder that goes with it (what
//! a person keeps is saved into the game's assets; the server's queue is scratch).

use dgx_pixels_server::{Config, Server};

use crate::connection::ConnectionError;

/// Starts the server on the current Tokio runtime and returns its base URL. It runs until the
/// runtime stops, which happens when the app drops its last [`Connection`](crate::Connection).
pub(crate) async fn start() -> Result<String, ConnectionError> {
    let data = tempfile::Builder::new()
        .prefix("dgx-pixels-embedded-")
        .tempdir()
        .map_err(|err| ConnectionError::Embedded(format!("cannot make its data folder: {err}")))?;
    let bind = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let config = Config { bind, data_dir: data.path().to_owned(), ..Config::default() };
    let server = Server::bind(config).await.map_err(|err| ConnectionError::Embedded(err.to_string()))?;
    let url = format!("http://{}", server.local_addr());
    tokio::spawn(async move {
        if let Err(err) = server.run(std::future::pending::<()>()).await {
            bevy_log::error!("the embedded dgx-pixels server stopped: {err}");
        }
        // Dropped with the task when the runtime stops: the folder goes with the server.
        drop(data);
    });
    bevy_log::info!(%url, "embedded dgx-pixels server listening");
    Ok(url)
}
