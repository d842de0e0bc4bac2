//! The styles registry: LoRAs found under the models folder, with their sidecar metadata, kept
//! current by a file watcher so that `/api/v1/models` changes without a restart.
//!
//! - [`scan`]: one pass over the folder into a [`ModelList`].
//! - [`watch`]: a `notify` watcher that rescans on every change.

mod scan;
mod watch;

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use dgx_pixels_protocol::{ModelList, Style};

pub(crate) use watch::StyleWatcher;

/// The current styles; cheap to clone, shared by the routes, the workers and the watcher.
#[derive(Clone, Debug)]
pub(crate) struct StyleRegistry {
    dir: PathBuf,
    list: Arc<RwLock<ModelList>>,
}

impl StyleRegistry {
    /// A registry of `dir`, scanned once now (blocking: call it off the async threads).
    pub fn load(dir: &Path) -> Self {
        let registry = Self { dir: dir.to_owned(), list: Arc::default() };
        registry.rescan();
        registry
    }

    /// The folder it scans.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every style, sorted by name.
    pub fn list(&self) -> ModelList {
        self.list.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// The style called `name`.
    pub fn find(&self, name: &str) -> Option<Style> {
        let list = self.list.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        list.styles.iter().find(|style| style.name == name).cloned()
    }

    /// Scans the folder again and replaces the list (blocking).
    pub fn rescan(&self) {
        let list = scan::scan(&self.dir);
        *self.list.write().unwrap_or_else(std::sync::PoisonError::into_inner) = list;
    }
}
