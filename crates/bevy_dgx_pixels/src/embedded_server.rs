//! The in-process server of [`PixelsServer::Embedded`](crate::PixelsServer::Embedded): loopback,
//! a free port, the procedural backend, its data in a temporary folder.

use dgx_pixels_server::{Config, Server};

use crate::connection::ConnectionError;

/// Starts the server on the current Tokio runtime and returns its base URL. It runs until the
/// runtime stops, which happens when the app drops its last [`Connection`](crate::Connection).
pub(crate) async fn start() -> Result<String, ConnectionError> {
    let data_dir = std::env::temp_dir().join(format!("dgx-pixels-embedded-{}", std::process::id()));
    let bind = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let config = Config { bind, data_dir, ..Config::default() };
    let server = Server::bind(config).await.map_err(|err| ConnectionError::Embedded(err.to_string()))?;
    let url = format!("http://{}", server.local_addr());
    tokio::spawn(async move {
        if let Err(err) = server.run(std::future::pending::<()>()).await {
            bevy_log::error!("the embedded dgx-pixels server stopped: {err}");
        }
    });
    bevy_log::info!(%url, "embedded dgx-pixels server listening");
    Ok(url)
}
