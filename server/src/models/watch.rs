//! Keeps a [`StyleRegistry`] current: a `notify` watcher on the models folder rescans it after
//! every change, so LoRAs added or removed show up in `/api/v1/models` without a restart.
//!
//! A scan takes milliseconds for the few hundred files such a folder holds, so every event
//! simply rescans; there is no debouncing to get wrong.

use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tracing::{debug, warn};

use super::StyleRegistry;

/// The running watcher; dropping it stops watching.
pub(crate) struct StyleWatcher {
    _watcher: RecommendedWatcher,
}

impl StyleWatcher {
    /// Watches `registry`'s folder (created if missing, so that it can be watched).
    pub fn start(registry: StyleRegistry) -> Result<Self, notify::Error> {
        std::fs::create_dir_all(registry.dir()).map_err(notify::Error::io)?;
        let dir = registry.dir().to_owned();
        let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| match event {
            // Our own reads during a rescan must not trigger another rescan.
            Ok(event) if is_read(&event.kind) => {}
            Ok(event) => {
                debug!(paths = ?event.paths, "models folder changed");
                registry.rescan();
            }
            Err(err) => warn!(error = %err, "models folder watch error"),
        })?;
        watcher.watch(&dir, RecursiveMode::Recursive)?;
        Ok(Self { _watcher: watcher })
    }
}

fn is_read(kind: &EventKind) -> bool {
    matches!(kind, EventKind::Access(access) if *access != AccessKind::Close(AccessMode::Write))
}
