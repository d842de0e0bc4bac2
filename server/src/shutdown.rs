//! Shutdown: the OS signals that stop `dgx-pixels serve`, and the signal shared by the HTTP
//! server, event streams and workers once stopping has begun.
//!
//! Stopping has two phases. While *draining*, no job is started or accepted (`POST
//! /api/v1/generate` and the MCP generate tools answer 503) but the jobs already running get
//! `Config::shutdown_grace` to finish and be recorded, and the HTTP API keeps answering reads, so
//! that a client following its job sees it complete and can fetch its files. Then *closing*:
//! event streams, MCP sessions and waits end, the listener stops taking connections, and jobs
//! still running are left `running` in the database, to resume on the next start.

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

/// How far stopping has gone; phases only move forward.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Serving,
    Draining,
    Closing,
}

/// Moves everything holding a [`Shutdown`] through the phases.
pub(crate) struct ShutdownTrigger(watch::Sender<Phase>);

/// Tells where stopping stands; cheap to clone into every task that must stop.
#[derive(Clone)]
pub(crate) struct Shutdown(watch::Receiver<Phase>);

/// A connected trigger and signal.
pub(crate) fn channel() -> (ShutdownTrigger, Shutdown) {
    let (sender, receiver) = watch::channel(Phase::Serving);
    (ShutdownTrigger(sender), Shutdown(receiver))
}

impl ShutdownTrigger {
    /// Begins stopping: no new job starts or is accepted; running ones may finish.
    pub fn drain(&self) {
        self.advance(Phase::Draining);
    }

    /// Ends streams and waits, and closes the HTTP server.
    pub fn close(&self) {
        self.advance(Phase::Closing);
    }

    fn advance(&self, to: Phase) {
        self.0.send_if_modified(|phase| {
            let later = to > *phase;
            *phase = (*phase).max(to);
            later
        });
    }
}

impl Shutdown {
    /// Whether stopping has begun (or the trigger is gone).
    pub fn began(&self) -> bool {
        *self.0.borrow() >= Phase::Draining || self.0.has_changed().is_err()
    }

    /// Waits until stopping has begun: workers take no more jobs.
    pub async fn wait(&mut self) {
        self.wait_for(Phase::Draining).await;
    }

    /// Waits until the HTTP side closes: event streams, MCP sessions and waits end.
    pub async fn closed(&mut self) {
        self.wait_for(Phase::Closing).await;
    }

    /// At once if `phase` was reached, or if the trigger is gone (the server is).
    async fn wait_for(&mut self, phase: Phase) {
        let _ = self.0.wait_for(|now| *now >= phase).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn phases_move_forward_only() {
        let (trigger, mut shutdown) = channel();
        assert!(!shutdown.began());
        trigger.drain();
        assert!(shutdown.began());
        shutdown.wait().await;
        trigger.close();
        trigger.drain();
        shutdown.closed().await;
        let (trigger, mut shutdown) = channel();
        drop(trigger);
        assert!(shutdown.began());
        shutdown.closed().await;
    }
}
