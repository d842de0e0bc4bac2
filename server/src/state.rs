//! [`AppState`]: what every handler can reach. Cheap to clone (everything inside is shared).

use std::sync::Arc;

use dgx_pixels_protocol::BackendKind;

use crate::backend::Backend;
use crate::deploy::AllowedRoots;
use crate::error::ApiError;
use crate::game::GameClient;
use crate::job_files::JobFilesDir;
use crate::models::StyleRegistry;
use crate::queue::JobQueue;
use crate::shutdown::Shutdown;
use crate::train::TrainSettings;

/// Shared server state handed to every handler.
#[derive(Clone)]
pub(crate) struct AppState {
    /// Accepted jobs.
    pub queue: JobQueue,
    /// Styles from the models folder.
    pub styles: StyleRegistry,
    /// The backends this server runs, the default one first.
    pub backends: Arc<[Arc<dyn Backend>]>,
    /// Where job files live.
    pub files: JobFilesDir,
    /// The bearer token every route but `/health` requires, when set.
    pub token: Option<Arc<str>>,
    /// Where stopping stands: new jobs are refused once it began; event streams end at closing.
    pub shutdown: Shutdown,
    /// Where the MCP tool `deploy_to_bevy` may write (`--allow-root`), resolved at start-up.
    pub roots: Arc<AllowedRoots>,
    /// The running game, for the MCP game tools (`--game`).
    pub game: GameClient,
    /// Where training datasets go, and the fewest images a style is trained on.
    pub training: TrainSettings,
    /// The `fast` preset's distillation LoRA, relative to the models folder (`--distill-lora`).
    pub distill_lora: Option<String>,
}

impl AppState {
    /// Whether new jobs are taken: once shutdown began none is (503), so that it runs on the
    /// next start instead of being cut short.
    pub fn accepting(&self) -> Result<(), ApiError> {
        if self.shutdown.began() {
            return Err(ApiError::Unavailable("the server is shutting down; send it again once it is back".into()));
        }
        Ok(())
    }

    /// The backend for `kind`, or the default one for `None`.
    pub fn backend(&self, kind: Option<BackendKind>) -> Option<&Arc<dyn Backend>> {
        match kind {
            None => self.backends.first(),
            Some(kind) => self.backends.iter().find(|backend| backend.kind() == kind),
        }
    }
}
