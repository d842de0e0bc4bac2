//! The LoRA loaders of a workflow: none (the template's loader removed and wired through), one
//! (the template's), or several stacked styles (copies of it chained behind it).

use serde_json::{Value, json};

use super::{Role, Workflow, WorkflowError};

impl Workflow {
    /// The LoRA loaders after [`Workflow::fill`], in chain order: node id and `lora_name`.
    pub fn lora_nodes(&self) -> Vec<(String, String)> {
        let mut nodes: Vec<(String, String)> = self
            .nodes
            .iter()
            .filter(|(_, node)| {
                node.get("class_type")
                    .and_then(Value::as_str)
                    .is_some_and(|class| Role::Lora.classes().contains(&class))
            })
            .filter_map(|(id, node)| Some((id.clone(), node.pointer("/inputs/lora_name")?.as_str()?.to_owned())))
            .collect();
        nodes.sort_by_key(|(id, _)| (id.len(), id.clone()));
        nodes
    }

    /// Sets the `lora_name` of LoRA loader `id` (one of [`Workflow::lora_nodes`]).
    pub fn set_lora_name(&mut self, id: &str, name: &str) {
        if let Some(inputs) =
            self.nodes.get_mut(id).and_then(|node| node.get_mut("inputs")).and_then(Value::as_object_mut)
        {
            inputs.insert("lora_name".to_owned(), json!(name));
        }
    }

    /// Sets the template's LoRA node to the first of `loras` and chains a copy of it per further
    /// LoRA behind it (each taking the previous one's MODEL and CLIP), then points whatever
    /// used the template node's outputs at the last of the chain.
    pub(super) fn chain_loras(&mut self, loras: &[(String, f32)]) -> Result<(), WorkflowError> {
        let first = self.find(Role::Lora)?;
        let template = self.nodes[&first].clone();
        let mut previous = first.clone();
        let mut chain = vec![first.clone()];
        for index in 1..loras.len() {
            let id = format!("{first}_{index}");
            let mut node = template.clone();
            if let Some(inputs) = node.get_mut("inputs").and_then(Value::as_object_mut) {
                inputs.insert("model".to_owned(), json!([previous, 0]));
                inputs.insert("clip".to_owned(), json!([previous, 1]));
            }
            if let Some(meta) = node.get_mut("_meta").and_then(Value::as_object_mut) {
                meta.insert("title".to_owned(), json!(format!("{} {}", Role::Lora.title(), index + 1)));
            }
            self.nodes.insert(id.clone(), node);
            chain.push(id.clone());
            previous = id;
        }
        // Consumers of the template node's outputs now take the chain's last node's.
        for (id, node) in self.nodes.iter_mut() {
            if chain.contains(id) {
                continue;
            }
            let Some(inputs) = node.get_mut("inputs").and_then(Value::as_object_mut) else { continue };
            for value in inputs.values_mut() {
                if let Some(link) = value.as_array_mut().filter(|link| link.len() == 2 && link[0] == json!(first)) {
                    link[0] = json!(previous);
                }
            }
        }
        for (id, (name, strength)) in chain.iter().zip(loras) {
            let inputs = self.nodes.get_mut(id).and_then(|node| node.get_mut("inputs")).and_then(Value::as_object_mut);
            if let Some(inputs) = inputs {
                inputs.insert("lora_name".to_owned(), json!(name));
                inputs.insert("strength_model".to_owned(), json!(strength));
                inputs.insert("strength_clip".to_owned(), json!(strength));
            }
        }
        Ok(())
    }

    /// Removes the LoRA node: its MODEL output (0) becomes its `model` input, its CLIP output
    /// (1) its `clip` input, wherever they were used.
    pub(super) fn bypass_lora(&mut self) {
        let Ok(lora) = self.find(Role::Lora) else {
            return;
        };
        let Some(removed) = self.nodes.remove(&lora) else {
            return;
        };
        let through = [removed.pointer("/inputs/model").cloned(), removed.pointer("/inputs/clip").cloned()];
        for node in self.nodes.values_mut() {
            let Some(inputs) = node.get_mut("inputs").and_then(Value::as_object_mut) else {
                continue;
            };
            for value in inputs.values_mut() {
                let link = value.as_array().filter(|link| link.len() == 2 && link[0].as_str() == Some(lora.as_str()));
                let slot = link.and_then(|link| link[1].as_u64()).and_then(|slot| usize::try_from(slot).ok());
                if let Some(Some(replacement)) = slot.and_then(|slot| through.get(slot)) {
                    *value = replacement.clone();
                }
            }
        }
    }
}
