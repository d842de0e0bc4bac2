//! Where a job's result files live: `<data_dir>/jobs/<id>/sheet.png`, `sheet.atlas.ron` and
//! `sheet.sprite.ron`. The worker writes them (atomically, PNG last) before the job is marked
//! completed, so a completed job always has all three.

use std::path::{Path, PathBuf};

use dgx_pixels_protocol::JobId;
use dgx_pixels_sprite::write::SpriteFiles;

/// File stem of every job's files inside its own folder.
pub(crate) const STEM: &str = "sheet";

/// The folder that holds every job's folder.
#[derive(Clone, Debug)]
pub(crate) struct JobFilesDir {
    root: PathBuf,
}

impl JobFilesDir {
    pub fn new(data_dir: &Path) -> Self {
        Self { root: data_dir.join("jobs") }
    }

    /// The folder of job `id`. Ids are server-made hex strings, never client input, but a
    /// path-like id is refused anyway.
    pub fn dir(&self, id: &JobId) -> Option<PathBuf> {
        let plain = !id.0.is_empty() && id.0.bytes().all(|b| b.is_ascii_alphanumeric());
        plain.then(|| self.root.join(&id.0))
    }

    /// The three files of job `id`.
    pub fn files(&self, id: &JobId) -> Option<SpriteFiles> {
        self.dir(id).map(|dir| SpriteFiles::beside(&dir.join(format!("{STEM}.png"))))
    }
}
