//! Does this ComfyUI have what a workflow needs? `/object_info` answers: the node types, and in
//! the loaders' choice lists the checkpoints and LoRAs it can load.
//!
//! Asking before `POST /prompt` turns ComfyUI's `value_not_in_list` into one clear message
//! naming everything missing at once, and lets the backend map a LoRA that our models folder
//! names `styles/pixel.safetensors` to the name ComfyUI lists (`pixel.safetensors`, or with its
//! own subfolder) when both are the same file name.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use super::api::ComfyClient;
use super::error::ComfyError;
use super::workflow::{Role, Workflow};

/// What one instance offers: `/object_info/{class}` for the classes asked so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Catalog {
    /// class → its object_info, or `None` when ComfyUI has no such node.
    nodes: BTreeMap<String, Option<Value>>,
}

impl Catalog {
    /// A catalog from `/object_info` JSON (the whole answer, or a trimmed one).
    pub fn from_object_info(info: &Value) -> Self {
        let nodes = info.as_object().map(|map| map.iter().map(|(k, v)| (k.clone(), Some(v.clone()))).collect());
        Self { nodes: nodes.unwrap_or_default() }
    }

    /// Asks `client` about every class of `workflow` not asked before.
    pub async fn learn(&mut self, client: &ComfyClient, workflow: &Workflow) -> Result<(), ComfyError> {
        self.learn_classes(client, workflow.class_types()).await
    }

    /// Asks `client` about every class in `classes` not asked before.
    pub async fn learn_classes(
        &mut self,
        client: &ComfyClient,
        classes: impl IntoIterator<Item = String>,
    ) -> Result<(), ComfyError> {
        for class in classes {
            if let std::collections::btree_map::Entry::Vacant(entry) = self.nodes.entry(class) {
                let info = client.object_info(entry.key()).await?;
                entry.insert(info);
            }
        }
        Ok(())
    }

    /// Whether the catalog already answers for every class of `workflow`.
    pub fn covers(&self, workflow: &Workflow) -> bool {
        workflow.class_types().iter().all(|class| self.nodes.contains_key(class))
    }

    /// The choices ComfyUI offers for `class.input` (`ckpt_name`, `lora_name`, …).
    pub fn choices(&self, class: &str, input: &str) -> Vec<String> {
        let Some(Some(info)) = self.nodes.get(class) else {
            return Vec::new();
        };
        ["required", "optional"]
            .iter()
            .find_map(|group| info.pointer(&format!("/input/{group}/{input}/0"))?.as_array())
            .map(|list| list.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    }

    /// Whether ComfyUI has node class `class` (as far as asked).
    pub fn has_node(&self, class: &str) -> bool {
        matches!(self.nodes.get(class), Some(Some(_)))
    }
}

/// What an instance lacks for a job; shown as one readable sentence.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MissingParts {
    /// The instance.
    pub url: String,
    /// Node types it does not have (custom nodes not installed).
    pub nodes: Vec<String>,
    /// The checkpoint asked for, if it is not there, and those that are.
    pub checkpoint: Option<(String, Vec<String>)>,
    /// The first LoRA asked for that is not there, and those that are.
    pub lora: Option<(String, Vec<String>)>,
}

impl fmt::Display for MissingParts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ComfyUI at {} is missing", self.url)?;
        let mut sep = " ";
        if !self.nodes.is_empty() {
            write!(f, "{sep}node types {}", self.nodes.join(", "))?;
            sep = "; ";
        }
        if let Some((name, available)) = &self.checkpoint {
            write!(f, "{sep}checkpoint `{name}` (it has: {})", list(available))?;
            sep = "; ";
        }
        if let Some((name, available)) = &self.lora {
            write!(f, "{sep}LoRA `{name}` (it has: {})", list(available))?;
        }
        Ok(())
    }
}

fn list(names: &[String]) -> String {
    if names.is_empty() { "none".to_owned() } else { names.join(", ") }
}

/// The name ComfyUI lists for `wanted`: the same path, or else the only listed file with the
/// same file name (ComfyUI lists LoRAs relative to its own `loras` folder, with `\` on Windows).
pub fn resolve_name(wanted: &str, available: &[String]) -> Option<String> {
    let normal = |s: &str| s.replace('\\', "/");
    let wanted = normal(wanted);
    if let Some(exact) = available.iter().find(|a| normal(a) == wanted) {
        return Some(exact.clone());
    }
    let file = wanted.rsplit('/').next().unwrap_or(&wanted);
    let mut same_file = available.iter().filter(|a| normal(a).rsplit('/').next() == Some(file));
    match (same_file.next(), same_file.next()) {
        (Some(only), None) => Some(only.clone()),
        _ => None,
    }
}

/// Checks `workflow` (already filled) against `catalog`: every node type exists, and the
/// checkpoint and LoRAs it names are listed. Names everything missing at once.
pub fn check(url: &str, catalog: &Catalog, workflow: &Workflow) -> Result<(), Box<MissingParts>> {
    let mut missing = MissingParts { url: url.to_owned(), ..MissingParts::default() };
    missing.nodes = workflow.class_types().into_iter().filter(|class| !catalog.has_node(class)).collect();
    let listed = |class: &str, input: &str, mut names: Vec<String>| {
        let available = catalog.choices(class, input);
        names.retain(|name| catalog.has_node(class) && !available.contains(name));
        names.into_iter().next().map(|name| (name, available))
    };
    let checkpoint = workflow.input(Role::Checkpoint, "ckpt_name").and_then(|v| v.as_str()).map(str::to_owned);
    missing.checkpoint = listed("CheckpointLoaderSimple", "ckpt_name", checkpoint.into_iter().collect());
    let loras = workflow.lora_nodes().into_iter().map(|(_, name)| name).collect();
    missing.lora = listed("LoraLoader", "lora_name", loras);
    if missing.nodes.is_empty() && missing.checkpoint.is_none() && missing.lora.is_none() {
        Ok(())
    } else {
        Err(Box::new(missing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_a_lora_by_file_name_when_the_folders_differ() {
        let available = vec!["pixel.safetensors".to_owned(), "sub\\knight.safetensors".to_owned()];
        assert_eq!(resolve_name("styles/pixel.safetensors", &available).as_deref(), Some("pixel.safetensors"));
        assert_eq!(resolve_name("sub/knight.safetensors", &available).as_deref(), Some("sub\\knight.safetensors"));
        assert_eq!(resolve_name("other.safetensors", &available), None);
    }

    #[test]
    fn names_everything_missing_in_one_message() {
        let missing = MissingParts {
            url: "http://gpu:8188".into(),
            nodes: vec!["IPAdapter".into()],
            checkpoint: None,
            lora: Some(("pixel.safetensors".into(), vec!["other.safetensors".into()])),
        };
        assert_eq!(
            missing.to_string(),
            "ComfyUI at http://gpu:8188 is missing node types IPAdapter; LoRA `pixel.safetensors` (it has: other.safetensors)"
        );
    }
}
