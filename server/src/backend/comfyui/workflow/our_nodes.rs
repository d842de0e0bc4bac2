//! Our ComfyUI nodes (`comfyui_nodes/dgx_pixels`) in place of the template's own: the prompt
//! encoders and the sampler of a batch whose items each have their prompt and seed, and the
//! frame sender in place of `PreviewImage`.

use serde_json::{Value, json};

use super::{BATCH_SAMPLER, Role, SEND_IMAGES, TEXT_BATCH, Workflow, WorkflowError};

impl Workflow {
    /// Turns a filled one-prompt workflow (`batch` = `prompts.len()`) into one whose batch item
    /// `i` has its own prompt, negative prompt and seed, through our batch nodes: the prompt
    /// encoders become [`TEXT_BATCH`] and the `KSampler` [`BATCH_SAMPLER`]. The three lists
    /// have one entry per item.
    pub fn batch_items(
        &mut self,
        prompts: &[String],
        negatives: &[String],
        seeds: &[u64],
    ) -> Result<(), WorkflowError> {
        for (role, texts) in [(Role::Positive, prompts), (Role::Negative, negatives)] {
            self.replace_node(role, TEXT_BATCH, "text", "texts", json!(json!(texts).to_string()))?;
        }
        self.replace_node(Role::Sampler, BATCH_SAMPLER, "seed", "seeds", json!(json!(seeds).to_string()))
    }

    /// Gives the node playing `role` the class `class`, its input `old` replaced by `new`.
    fn replace_node(
        &mut self,
        role: Role,
        class: &str,
        old: &str,
        new: &str,
        value: Value,
    ) -> Result<(), WorkflowError> {
        let id = self.find(role)?;
        if !self.node_has(&id, old) {
            return Err(WorkflowError::Node { source_name: self.source_name.clone(), role, title: role.title() });
        }
        if let Some(node) = self.nodes.get_mut(&id).and_then(Value::as_object_mut) {
            node.insert("class_type".to_owned(), json!(class));
            if let Some(inputs) = node.get_mut("inputs").and_then(Value::as_object_mut) {
                inputs.remove(old);
                inputs.insert(new.to_owned(), value);
            }
        }
        Ok(())
    }

    /// Makes a `PreviewImage` save node our [`SEND_IMAGES`], so the frames come over the
    /// WebSocket rather than as PNGs through `/history` and `/view`; true if it did. A
    /// `SaveImage` (a user's template that archives its images in ComfyUI) is left alone.
    pub fn send_frames_over_socket(&mut self) -> bool {
        let Ok(id) = self.find(Role::Save) else { return false };
        let Some(node) = self.nodes.get_mut(&id).and_then(Value::as_object_mut) else { return false };
        let images = node.get("inputs").and_then(|inputs| inputs.get("images")).cloned();
        match images {
            Some(images) if node.get("class_type").and_then(Value::as_str) == Some("PreviewImage") => {
                node.insert("class_type".to_owned(), json!(SEND_IMAGES));
                node.insert("inputs".to_owned(), json!({ "images": images }));
                true
            }
            _ => false,
        }
    }
}
