//! Shutdown: the OS signals that stop `dgx-pixels serve`, and the signal shared by the HTTP
//! server, event streams and workers once stopping has begun.

use tokio::sync::watch;

/// Waits for Ctrl-C or SIGTERM: the future to pass to `Server::run` from a binary.
///
/// If a signal handler cannot be installed the future never completes for that signal, so a
/// server is never stopped by a setup error.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

/// Starts the shutdown of everything holding a [`Shutdown`].
pub(crate) struct ShutdownTrigger(watch::Sender<bool>);

/// Resolves once shutdown has begun; cheap to clone into every task that must stop.
#[derive(Clone)]
pub(crate) struct Shutdown(watch::Receiver<bool>);

/// A connected trigger and signal.
pub(crate) fn channel() -> (ShutdownTrigger, Shutdown) {
    let (sender, receiver) = watch::channel(false);
    (ShutdownTrigger(sender), Shutdown(receiver))
}

impl ShutdownTrigger {
    /// Begins shutdown.
    pub fn fire(&self) {
        self.0.send_replace(true);
    }
}

impl Shutdown {
    /// Waits until shutdown has begun (at once if it already has, or if the trigger is gone).
    pub async fn wait(&mut self) {
        // An error means the trigger was dropped, which only happens once the server is gone.
        let _ = self.0.wait_for(|stopping| *stopping).await;
    }
}
