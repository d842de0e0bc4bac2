//! MCP over stdin/stdout: [`Server::run_mcp_stdio`], behind `dgx-pixels mcp --stdio`.
//!
//! The process runs a whole server: the queue on its data folder, the workers, and the HTTP API
//! on its loopback listener, so the file URLs in tool results can be downloaded while the
//! process lives. The MCP client that launched the process talks to it on stdin/stdout; logs go
//! to stderr. When stdin closes (the client went away) or on Ctrl-C/SIGTERM the server stops
//! like `serve` does, and unfinished jobs resume on the next start.

use rmcp::ServiceExt as _;
use tracing::info;

use std::sync::Arc;

use super::PixelsMcp;
use super::jobs::JobHost;
use crate::{Server, ServerError, shutdown_signal};

impl Server {
    /// Serves the MCP tools on stdin/stdout, and the HTTP API on the bound listener, until stdin
    /// closes or the process is told to stop. With `jobs_on`, the job tools run their jobs on
    /// that server (a GPU box) instead of this one; the game tools, `deploy_to_bevy` and
    /// `pixelize_image` still run here.
    pub async fn run_mcp_stdio(self, jobs_on: Option<dgx_pixels_client::Client>) -> Result<(), ServerError> {
        let base_url = format!("http://{}", self.local_addr);
        let host = jobs_on.map_or(JobHost::Local, |client| JobHost::Remote(Arc::new(client)));
        let tools = PixelsMcp::new(self.state.clone(), host, Some(base_url));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(self.run(async move {
            let _ = stopped.await;
        }));
        let outcome = match tools.serve(rmcp::transport::stdio()).await {
            Ok(running) => tokio::select! {
                quit = running.waiting() => quit.map(|reason| info!(?reason, "MCP client went away"))
                    .map_err(|err| ServerError::McpStdio(err.to_string())),
                () = shutdown_signal() => Ok(()),
            },
            Err(err) => Err(ServerError::McpStdio(err.to_string())),
        };
        let _ = stop.send(());
        let served = server.await.map_err(|err| ServerError::McpStdio(format!("server task: {err}")))?;
        outcome.and(served)
    }
}
