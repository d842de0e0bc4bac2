//! Helpers: an in-process server on port 0 with a temporary data folder, and polling with a
//! deadline instead of sleeps.

use std::future::Future;
use std::time::{Duration, Instant};

use dgx_pixels_client::Client;
use dgx_pixels_server::{Config, Server};
use tempfile::TempDir;
use tokio::sync::oneshot;

/// Every wait in these tests ends by this deadline, so a bug fails a test instead of hanging it.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// A running server; dropping it stops it.
pub struct TestServer {
    pub url: String,
    pub client: Client,
    pub dir: TempDir,
    stop: Option<oneshot::Sender<()>>,
}

impl TestServer {
    /// A server with `configure` applied to a loopback, port-0, temp-folder config.
    pub async fn start(configure: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config =
            Config { bind: "127.0.0.1:0".parse().unwrap(), data_dir: dir.path().join("data"), ..Config::default() };
        configure(&mut config);
        let token = config.token.clone();
        let server = Server::bind(config).await.unwrap();
        let url = format!("http://{}", server.local_addr());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(server.run(async move {
            let _ = stopped.await;
        }));
        let mut builder = Client::builder().base_url(url.clone());
        if let Some(token) = token {
            builder = builder.token(token);
        }
        Self { url, client: builder.build().unwrap(), dir, stop: Some(stop) }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Calls `check` every 20 ms until it returns `Some`, failing the test after [`DEADLINE`].
pub async fn until<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
