//! One pass over the models folder: every `*.safetensors` up to [`MAX_DEPTH`] folders down,
//! merged with its sidecar `<stem>.json` when there is one.
//!
//! A sidecar that does not parse is reported on the style (`sidecar_error`) and in the log; the
//! style stays usable with its file stem as name. A missing folder is an empty list.

use std::path::Path;

use dgx_pixels_protocol::{ModelList, Style, StyleSidecar};
use tracing::warn;

/// Sub-folder depth searched (`lora/characters/heroes/x.safetensors` is depth 2).
const MAX_DEPTH: usize = 3;
/// LoRA strength of a style whose sidecar gives none.
const DEFAULT_STRENGTH: f32 = 1.0;
/// Largest sidecar read; real ones are a few hundred bytes.
const MAX_SIDECAR_BYTES: u64 = 256 * 1024;

/// The styles under `root`, sorted by name (then file, so duplicates are stable).
pub(super) fn scan(root: &Path) -> ModelList {
    let mut styles = Vec::new();
    visit(root, root, 0, &mut styles);
    styles.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.file.cmp(&b.file)));
    ModelList { styles }
}

fn visit(root: &Path, dir: &Path, depth: usize, styles: &mut Vec<Style>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() && depth < MAX_DEPTH {
            visit(root, &path, depth + 1, styles);
        } else if kind.is_file() && path.extension().is_some_and(|ext| ext == "safetensors") {
            styles.push(style_of(root, &path));
        }
    }
}

fn style_of(root: &Path, path: &Path) -> Style {
    let relative = path.strip_prefix(root).unwrap_or(path);
    let stem = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
    let category = relative
        .parent()
        .and_then(|parent| parent.components().next())
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    let (sidecar, sidecar_error) = match read_sidecar(&path.with_extension("json")) {
        Ok(sidecar) => (sidecar.unwrap_or_default(), None),
        Err(message) => {
            warn!(file = %path.display(), error = %message, "malformed style sidecar");
            (StyleSidecar::default(), Some(message))
        }
    };
    let StyleSidecar {
        name, version, base_model, trigger_words, recommended_strength, description, sample_images, ..
    } = sidecar;
    Style {
        name: name.filter(|n| !n.trim().is_empty()).unwrap_or(stem),
        category,
        file: relative.to_string_lossy().replace('\\', "/"),
        version,
        base_model,
        trigger_words,
        recommended_strength: recommended_strength.filter(|s| (0.0..=2.0).contains(s)).unwrap_or(DEFAULT_STRENGTH),
        description,
        sample_images,
        sidecar_error,
    }
}

/// The sidecar, `None` when there is none, or why it cannot be read.
fn read_sidecar(path: &Path) -> Result<Option<StyleSidecar>, String> {
    let Ok(metadata) = std::fs::metadata(path) else { return Ok(None) };
    if metadata.len() > MAX_SIDECAR_BYTES {
        return Err(format!("sidecar is {} bytes, over {MAX_SIDECAR_BYTES}", metadata.len()));
    }
    let text = std::fs::read_to_string(path).map_err(|err| err.to_string())?;
    serde_json::from_str(&text).map(Some).map_err(|err| err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_come_from_files_and_sidecars() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("characters")).unwrap();
        std::fs::write(root.join("characters/hero.safetensors"), b"x").unwrap();
        std::fs::write(
            root.join("characters/hero.json"),
            r#"{"name":"hero-16","trigger_words":["16bit hero"],"recommended_strength":0.8}"#,
        )
        .unwrap();
        std::fs::write(root.join("plain.safetensors"), b"x").unwrap();
        std::fs::write(root.join("broken.safetensors"), b"x").unwrap();
        std::fs::write(root.join("broken.json"), b"{nope").unwrap();
        let list = scan(root);
        let names: Vec<&str> = list.styles.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["broken", "hero-16", "plain"]);
        assert!(list.styles[0].sidecar_error.is_some());
        let hero = &list.styles[1];
        assert_eq!((hero.category.as_str(), hero.file.as_str()), ("characters", "characters/hero.safetensors"));
        assert_eq!(hero.trigger_words, ["16bit hero"]);
        assert_eq!(hero.recommended_strength, 0.8);
        assert_eq!(scan(&root.join("missing")).styles.len(), 0);
    }
}
