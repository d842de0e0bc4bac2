//! Where asset sources live on disk, so loaders can write generated files beside a request.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use bevy_asset::AssetPath;

/// The folder on disk of each asset source the plugin knows: the default `assets/` folder and
/// the output folder when it lies outside `assets/`. Bevy's readers hide the file system, and
/// writing is not part of them, so the plugin records the folders it configured.
#[derive(Clone, Debug, Default)]
pub struct AssetRoots(Arc<Vec<(Option<String>, PathBuf)>>);

impl AssetRoots {
    /// Roots for the default source (`None`) and named sources.
    pub fn new(roots: Vec<(Option<String>, PathBuf)>) -> Self {
        Self(Arc::new(roots))
    }

    /// The game's `assets` folder on disk (the default source).
    pub fn assets(&self) -> Option<&Path> {
        self.0.iter().find(|(name, _)| name.is_none()).map(|(_, root)| root.as_path())
    }

    /// The folder on disk that holds `path`'s file, when its source is one of ours.
    pub fn folder_of(&self, path: &AssetPath<'_>) -> Option<PathBuf> {
        let source = path.source().as_str();
        let (_, root) = self.0.iter().find(|(name, _)| name.as_deref() == source)?;
        Some(root.join(path.path().parent().unwrap_or(Path::new(""))))
    }
}

/// `source`, a path relative to the game's `assets` folder, resolved on disk (links followed) if
/// it stays inside `assets`: the game's own files a request names, which the plugin reads
/// itself because the server cannot see them. Blocking: call it off the frame.
pub fn inside_assets(assets: &Path, source: &str) -> Result<PathBuf, String> {
    let outside = || format!("`{source}` is not inside the assets folder");
    let assets = std::fs::canonicalize(assets).map_err(|err| format!("the assets folder: {err}"))?;
    let plain = Path::new(source).components().all(|part| matches!(part, Component::Normal(_)));
    let resolved = std::fs::canonicalize(assets.join(source)).ok().filter(|path| plain && path.starts_with(&assets));
    resolved.ok_or_else(outside)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_follow_the_asset_source() {
        let roots =
            AssetRoots::new(vec![(None, PathBuf::from("/game/assets")), (Some("gen".into()), PathBuf::from("/out"))]);
        assert_eq!(roots.folder_of(&AssetPath::parse("a/hero.pixels.ron")), Some(PathBuf::from("/game/assets/a")));
        assert_eq!(roots.folder_of(&AssetPath::parse("gen://hero.pixels.ron")), Some(PathBuf::from("/out")));
        assert_eq!(roots.folder_of(&AssetPath::parse("other://hero.pixels.ron")), None);
    }
}
