//! Where a job's result files live: `<data_dir>/jobs/<id>/sheet.png`, `sheet.atlas.ron` and
//! `sheet.sprite.ron`, and the backend's frames as made in `raw/0.png`, `raw/1.png`, …. The
//! worker writes them (atomically, raw frames first, sheet PNG last) before the job is marked
//! completed, so a completed job always has them all.

use std::path::{Path, PathBuf};

use dgx_pixels_protocol::JobId;
use dgx_pixels_sprite::write::SpriteFiles;

/// The folder of a job's raw frames (as the backend made them) inside the job's folder.
pub(crate) fn raw_dir(job_dir: &Path) -> PathBuf {
    job_dir.join("raw")
}

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

    /// Raw frame `index` of job `id`: `raw/{index}.png` in its folder.
    pub fn raw_frame(&self, id: &JobId, index: u32) -> Option<PathBuf> {
        self.dir(id).map(|dir| raw_dir(&dir).join(format!("{index}.png")))
    }

    /// The three files of job `id`.
    pub fn files(&self, id: &JobId) -> Option<SpriteFiles> {
        self.dir(id).map(|dir| SpriteFiles::beside(&dir.join(format!("{STEM}.png"))))
    }
}
