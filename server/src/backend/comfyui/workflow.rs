//! Workflow templates in ComfyUI's API JSON format, and filling them for one job.
//!
//! Five templates ship inside the binary (`server/workflows/*.json`): `txt2img` (one frame),
//! `sheet` (all frames of a job in one batch: one prompt, one seed, so the frames stay one
//! character), `img2img` (edit or vary an uploaded sprite), `tile` (a seamless tile: the
//! model and the VAE decode pad circularly through our `DgxPixelsSeamless` nodes) and
//! `train_style` (a LoRA trained on an uploaded dataset by our `DgxPixelsTrainLora`). A file
//! `<data-dir>/workflows/NAME.json` replaces the shipped one, so a user can export their own
//! graph from ComfyUI ("Save (API)") and keep our server filling it.
//!
//! Nodes are found by their `_meta.title` first (the titles in our templates: `Checkpoint`,
//! `LoRA`, `Positive prompt`, `Negative prompt`, `Canvas`, `Sampler`, `Source image`, `Save`),
//! then by `class_type` when exactly one node has it, and the prompts by following the
//! sampler's `positive`/`negative` links; never by node id, which changes with every export.
//!
//! The shipped templates end in `PreviewImage`, not `SaveImage`: the server keeps the raw
//! images itself, so ComfyUI need not archive them, and `PreviewImage` writes fast PNGs
//! (compression 1 instead of 4) into its temp folder, which ComfyUI clears when it starts.
//! ComfyUI runs one prompt at a time and the PNG encoding sits between two prompts' GPU work,
//! so this is GPU time won back (measured in BENCHMARKS.md, "ComfyUI backend (H100)").

mod lora;
mod our_nodes;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

/// The shipped templates, compiled in.
const TXT2IMG: &str = include_str!("../../../workflows/txt2img.json");
const SHEET: &str = include_str!("../../../workflows/sheet.json");
const IMG2IMG: &str = include_str!("../../../workflows/img2img.json");
const TILE: &str = include_str!("../../../workflows/tile.json");
const TRAIN_STYLE: &str = include_str!("../../../workflows/train_style.json");

/// Our ComfyUI node (`comfyui_nodes/dgx_pixels`) that encodes a JSON list of texts into one
/// batched conditioning.
pub const TEXT_BATCH: &str = "DgxPixelsTextBatch";
/// Our ComfyUI node: `KSampler` with a JSON list of `seeds`, one per batch item.
pub const BATCH_SAMPLER: &str = "DgxPixelsBatchKSampler";
/// Our ComfyUI node that trains a LoRA with per-step progress and saves it.
pub const TRAIN_NODE: &str = "DgxPixelsTrainLora";
/// Our ComfyUI output node that sends a prompt's images as raw pixels over the WebSocket
/// (`comfyui_nodes/dgx_pixels/send.py`), in place of `PreviewImage` where ComfyUI has it.
pub const SEND_IMAGES: &str = "DgxPixelsSendImages";
/// Our batch nodes: a prompt that uses either can run only where both are installed.
pub const BATCH_NODES: [&str; 2] = [TEXT_BATCH, BATCH_SAMPLER];

/// Which template a job uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WorkflowKind {
    /// Text to one image.
    Txt2img,
    /// Text to all frames of a sheet in one batch.
    Sheet,
    /// An uploaded image, edited or varied.
    Img2img,
    /// Text to seamless tiles, all frames in one batch.
    Tile,
    /// A style (LoRA) trained on a dataset of captioned images.
    TrainStyle,
}

impl WorkflowKind {
    /// The file name stem: `txt2img`, `sheet`, `img2img`, `tile`, `train_style`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Txt2img => "txt2img",
            Self::Sheet => "sheet",
            Self::Img2img => "img2img",
            Self::Tile => "tile",
            Self::TrainStyle => "train_style",
        }
    }

    fn shipped(self) -> &'static str {
        match self {
            Self::Txt2img => TXT2IMG,
            Self::Sheet => SHEET,
            Self::Img2img => IMG2IMG,
            Self::Tile => TILE,
            Self::TrainStyle => TRAIN_STYLE,
        }
    }
}

/// A node the server fills, by its job in the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Role {
    /// `CheckpointLoaderSimple`: `ckpt_name`.
    Checkpoint,
    /// `LoraLoader`: `lora_name`, `strength_model`, `strength_clip`; bypassed without a style.
    Lora,
    /// The positive `CLIPTextEncode`: `text`.
    Positive,
    /// The negative `CLIPTextEncode`: `text`.
    Negative,
    /// `EmptyLatentImage` (`width`, `height`, `batch_size`) or `RepeatLatentBatch` (`amount`).
    Canvas,
    /// `KSampler`: `seed`, `steps`, `cfg`, `denoise`.
    Sampler,
    /// `LoadImage`: `image`, for img2img.
    Source,
    /// `PreviewImage` (or `SaveImage`, or our [`SEND_IMAGES`]): whose images are the job's
    /// frames.
    Save,
    /// `LoadImageTextSetFromFolderNode`: `folder`, a training dataset's sub-folder of ComfyUI's
    /// input folder.
    Dataset,
    /// `DgxPixelsTrainLora`: `steps`, `learning_rate`, `rank`, …, `filename_prefix`.
    Train,
}

impl Role {
    fn title(self) -> &'static str {
        match self {
            Self::Checkpoint => "Checkpoint",
            Self::Lora => "LoRA",
            Self::Positive => "Positive prompt",
            Self::Negative => "Negative prompt",
            Self::Canvas => "Canvas",
            Self::Sampler => "Sampler",
            Self::Source => "Source image",
            Self::Save => "Save",
            Self::Dataset => "Dataset",
            Self::Train => "Train",
        }
    }

    fn classes(self) -> &'static [&'static str] {
        match self {
            Self::Checkpoint => &["CheckpointLoaderSimple"],
            Self::Lora => &["LoraLoader"],
            Self::Positive | Self::Negative => &[],
            Self::Canvas => &["EmptyLatentImage"],
            Self::Sampler => &["KSampler"],
            Self::Source => &["LoadImage"],
            Self::Save => &["PreviewImage", "SaveImage", SEND_IMAGES],
            Self::Dataset => &["LoadImageTextSetFromFolderNode"],
            Self::Train => &[TRAIN_NODE],
        }
    }
}

/// Why a template could not be loaded or filled.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkflowError {
    /// An override file exists but could not be read.
    #[error("cannot read workflow {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The JSON is not a ComfyUI API-format workflow (an object of nodes with `class_type`).
    #[error("workflow {source_name} is not ComfyUI API JSON: {reason}")]
    Parse {
        /// The file or the shipped template's name.
        source_name: String,
        /// What was wrong.
        reason: String,
    },
    /// No node (or more than one) can play a role the job needs.
    #[error("workflow {source_name} has no single node for {role:?}: give it the title `{title}`")]
    Node {
        /// The file or the shipped template's name.
        source_name: String,
        /// The role.
        role: Role,
        /// The title that would make it unambiguous.
        title: &'static str,
    },
}

/// Where templates come from: the shipped ones, unless `dir` has a file of the same name.
#[derive(Clone, Debug, Default)]
pub struct Templates {
    /// `<data-dir>/workflows`; `None` uses only the shipped templates.
    pub dir: Option<PathBuf>,
}

impl Templates {
    /// Templates overridable from `dir`.
    pub fn new(dir: Option<PathBuf>) -> Self {
        Self { dir }
    }

    /// The template for `kind`, from `dir/NAME.json` if it exists.
    pub fn load(&self, kind: WorkflowKind) -> Result<Workflow, WorkflowError> {
        if let Some(path) = self.dir.as_deref().map(|dir| dir.join(format!("{}.json", kind.name())))
            && path.is_file()
        {
            let text =
                std::fs::read_to_string(&path).map_err(|source| WorkflowError::Read { path: path.clone(), source })?;
            return Workflow::parse(&text, &path.display().to_string());
        }
        Workflow::parse(kind.shipped(), &format!("(shipped) {}.json", kind.name()))
    }
}

/// Everything the server fills into a template.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkflowParams {
    /// Checkpoint file as ComfyUI lists it.
    pub checkpoint: String,
    /// LoRA files as ComfyUI lists them, each with its strength, stacked in this order (the
    /// template's LoRA node and copies of it chained behind); empty bypasses the LoRA node.
    pub loras: Vec<(String, f32)>,
    /// Positive prompt, the style's trigger words already in front.
    pub prompt: String,
    /// Negative prompt.
    pub negative_prompt: String,
    /// Sampler seed; all frames of one batch come from it.
    pub seed: u64,
    /// Sampler steps.
    pub steps: u32,
    /// Classifier-free guidance.
    pub cfg: f32,
    /// Sampler and scheduler (ComfyUI's `sampler_name`, `scheduler`); `None` keeps the
    /// template's.
    pub sampler: Option<(String, String)>,
    /// Canvas width and height (ignored by img2img, which takes the source's size).
    pub width: u32,
    /// Canvas height.
    pub height: u32,
    /// Images in the batch: the job's frames.
    pub batch: u32,
    /// For img2img: the uploaded image's name in ComfyUI's input folder.
    pub source_image: Option<String>,
    /// For img2img: how much to change, 0..=1; `None` keeps the template's value.
    pub denoise: Option<f32>,
}

/// A workflow in API format: node id → `{class_type, inputs, _meta}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Workflow {
    nodes: Map<String, Value>,
    source_name: String,
}

impl Workflow {
    /// Parses API-format JSON; `source_name` names it in errors.
    pub fn parse(text: &str, source_name: &str) -> Result<Self, WorkflowError> {
        let parse_error = |reason: String| WorkflowError::Parse { source_name: source_name.to_owned(), reason };
        let value: Value = serde_json::from_str(text).map_err(|err| parse_error(err.to_string()))?;
        let Value::Object(nodes) = value else {
            return Err(parse_error("not a JSON object (the UI's \"Save\" format? use \"Save (API)\")".to_owned()));
        };
        if let Some((id, _)) = nodes.iter().find(|(_, node)| node.get("class_type").and_then(Value::as_str).is_none()) {
            return Err(parse_error(format!("node {id} has no class_type")));
        }
        Ok(Self { nodes, source_name: source_name.to_owned() })
    }

    /// The JSON to send as `prompt`.
    pub fn to_json(&self) -> Value {
        Value::Object(self.nodes.clone())
    }

    /// Every `class_type` used, for the `/object_info` check.
    pub fn class_types(&self) -> BTreeSet<String> {
        self.nodes.values().filter_map(|node| node.get("class_type")?.as_str().map(str::to_owned)).collect()
    }

    /// Whether it uses our batch nodes ([`Workflow::batch_items`]), so that only an instance
    /// that has them can run it.
    pub fn uses_batch_nodes(&self) -> bool {
        self.class_types().iter().any(|class| BATCH_NODES.contains(&class.as_str()))
    }

    /// The value of `input` on the node playing `role`, if both exist.
    pub fn input(&self, role: Role, input: &str) -> Option<&Value> {
        let id = self.find(role).ok()?;
        self.nodes.get(&id)?.pointer(&format!("/inputs/{input}"))
    }

    /// The node id playing `role`.
    pub fn find(&self, role: Role) -> Result<String, WorkflowError> {
        let missing = || WorkflowError::Node { source_name: self.source_name.clone(), role, title: role.title() };
        let titled: Vec<&String> = self
            .nodes
            .iter()
            .filter(|(_, node)| {
                node.pointer("/_meta/title")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.eq_ignore_ascii_case(role.title()))
            })
            .map(|(id, _)| id)
            .collect();
        if let [id] = titled.as_slice() {
            return Ok((*id).clone());
        }
        if !titled.is_empty() {
            return Err(missing());
        }
        if let Role::Positive | Role::Negative = role {
            let sampler = self.find(Role::Sampler)?;
            let input = if role == Role::Positive { "positive" } else { "negative" };
            return self.nodes[&sampler]
                .pointer(&format!("/inputs/{input}/0"))
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(missing);
        }
        let by_class: Vec<&String> = self
            .nodes
            .iter()
            .filter(|(_, node)| {
                node.get("class_type").and_then(Value::as_str).is_some_and(|c| role.classes().contains(&c))
            })
            .map(|(id, _)| id)
            .collect();
        match by_class.as_slice() {
            [id] => Ok((*id).clone()),
            _ => Err(missing()),
        }
    }

    /// Fills every parameter the server controls. No LoRA removes the LoRA node and wires its
    /// inputs straight through, so a template needs no second, LoRA-less copy; several chain
    /// copies of it ([`Workflow::chain_loras`]).
    pub fn fill(&mut self, params: &WorkflowParams) -> Result<(), WorkflowError> {
        self.set_input(Role::Checkpoint, "ckpt_name", json!(params.checkpoint))?;
        if params.loras.is_empty() {
            self.bypass_lora();
        } else {
            self.chain_loras(&params.loras)?;
        }
        self.set_input(Role::Positive, "text", json!(params.prompt))?;
        self.set_input(Role::Negative, "text", json!(params.negative_prompt))?;
        let sampler = self.find(Role::Sampler)?;
        let seed_key = if self.node_has(&sampler, "noise_seed") { "noise_seed" } else { "seed" };
        self.set_input(Role::Sampler, seed_key, json!(params.seed))?;
        self.set_input(Role::Sampler, "steps", json!(params.steps))?;
        self.set_input(Role::Sampler, "cfg", json!(params.cfg))?;
        if let Some((sampler_name, scheduler)) = &params.sampler {
            self.set_input(Role::Sampler, "sampler_name", json!(sampler_name))?;
            self.set_input(Role::Sampler, "scheduler", json!(scheduler))?;
        }
        if let Some(denoise) = params.denoise {
            self.set_input(Role::Sampler, "denoise", json!(denoise))?;
        }
        let canvas = self.find(Role::Canvas)?;
        if self.node_has(&canvas, "amount") {
            self.set_input(Role::Canvas, "amount", json!(params.batch))?;
        } else {
            self.set_input(Role::Canvas, "width", json!(params.width))?;
            self.set_input(Role::Canvas, "height", json!(params.height))?;
            self.set_input(Role::Canvas, "batch_size", json!(params.batch))?;
        }
        if let Some(image) = &params.source_image {
            self.set_input(Role::Source, "image", json!(image))?;
        }
        Ok(())
    }

    fn node_has(&self, id: &str, input: &str) -> bool {
        self.nodes.get(id).and_then(|node| node.pointer(&format!("/inputs/{input}"))).is_some()
    }

    /// Sets `input` on the node playing `role`.
    pub fn set_input(&mut self, role: Role, input: &str, value: Value) -> Result<(), WorkflowError> {
        let id = self.find(role)?;
        let node = self.nodes.get_mut(&id).and_then(Value::as_object_mut);
        let inputs = node.and_then(|node| node.entry("inputs").or_insert_with(|| json!({})).as_object_mut());
        if let Some(inputs) = inputs {
            inputs.insert(input.to_owned(), value);
        }
        Ok(())
    }
}

/// `<data_dir>/workflows`, where template overrides live.
pub fn override_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("workflows")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> WorkflowParams {
        WorkflowParams {
            checkpoint: "sdxl.safetensors".into(),
            loras: vec![("pixel.safetensors".into(), 0.8)],
            prompt: "pixel art, knight".into(),
            negative_prompt: "blurry".into(),
            seed: u64::MAX,
            steps: 30,
            cfg: 7.5,
            sampler: None,
            width: 1024,
            height: 768,
            batch: 8,
            source_image: None,
            denoise: None,
        }
    }

    /// A preset's sampler and scheduler replace the template's; without one the template's stay.
    #[test]
    fn a_preset_sets_the_sampler_and_none_keeps_the_templates() {
        let mut wf = Templates::default().load(WorkflowKind::Txt2img).unwrap();
        let kept = wf.input(Role::Sampler, "scheduler").cloned();
        wf.fill(&params()).unwrap();
        assert_eq!(wf.input(Role::Sampler, "scheduler").cloned(), kept);
        let fast = Some(("euler".to_owned(), "sgm_uniform".to_owned()));
        wf.fill(&WorkflowParams { sampler: fast, steps: 4, cfg: 1.0, ..params() }).unwrap();
        assert_eq!(wf.input(Role::Sampler, "scheduler"), Some(&json!("sgm_uniform")));
        assert_eq!(wf.input(Role::Sampler, "sampler_name"), Some(&json!("euler")));
        assert_eq!(
            (wf.input(Role::Sampler, "steps"), wf.input(Role::Sampler, "cfg")),
            (Some(&json!(4)), Some(&json!(1.0f32)))
        );
    }

    #[test]
    fn fills_every_parameter_of_the_sheet_template() {
        let mut wf = Templates::default().load(WorkflowKind::Sheet).unwrap();
        wf.fill(&params()).unwrap();
        assert_eq!(wf.input(Role::Checkpoint, "ckpt_name"), Some(&json!("sdxl.safetensors")));
        assert_eq!(wf.input(Role::Lora, "lora_name"), Some(&json!("pixel.safetensors")));
        assert_eq!(wf.input(Role::Lora, "strength_clip"), Some(&json!(0.8f32)));
        assert_eq!(wf.input(Role::Positive, "text"), Some(&json!("pixel art, knight")));
        assert_eq!(wf.input(Role::Negative, "text"), Some(&json!("blurry")));
        assert_eq!(wf.input(Role::Sampler, "seed"), Some(&json!(u64::MAX)));
        assert_eq!(wf.input(Role::Canvas, "batch_size"), Some(&json!(8)));
        assert_eq!(wf.input(Role::Canvas, "height"), Some(&json!(768)));
    }

    #[test]
    fn a_batch_gives_each_item_its_prompt_and_seed() {
        let mut wf = Templates::default().load(WorkflowKind::Txt2img).unwrap();
        wf.fill(&WorkflowParams { batch: 2, ..params() }).unwrap();
        let prompts = ["a \"knight\"".to_owned(), "slime".to_owned()];
        wf.batch_items(&prompts, &["x".to_owned(), String::new()], &[1, u64::MAX]).unwrap();
        let texts = wf.input(Role::Positive, "texts").and_then(Value::as_str).unwrap();
        assert_eq!(serde_json::from_str::<Vec<String>>(texts).unwrap(), prompts);
        assert_eq!(wf.input(Role::Sampler, "seeds"), Some(&json!("[1,18446744073709551615]")));
        assert!(wf.input(Role::Sampler, "seed").is_none());
        assert!(wf.class_types().contains(TEXT_BATCH) && wf.class_types().contains(BATCH_SAMPLER));
        assert!(!wf.class_types().contains("CLIPTextEncode"));
        assert!(wf.uses_batch_nodes());
        assert!(!Templates::default().load(WorkflowKind::Txt2img).unwrap().uses_batch_nodes());
    }

    /// The tile template draws with the seamless model and decodes with the seamless VAE, and
    /// without a style the seamless model takes the checkpoint's.
    #[test]
    fn the_tile_template_pads_circularly() {
        let mut wf = Templates::default().load(WorkflowKind::Tile).unwrap();
        wf.fill(&WorkflowParams { loras: Vec::new(), batch: 2, ..params() }).unwrap();
        let classes = wf.class_types();
        assert!(classes.contains("DgxPixelsSeamless") && classes.contains("DgxPixelsSeamlessVAEDecode"), "{classes:?}");
        assert!(!classes.contains("VAEDecode") && !classes.contains("LoraLoader"));
        let seamless = wf.nodes.iter().find(|(_, n)| n["class_type"] == "DgxPixelsSeamless").map(|(id, _)| id.clone());
        assert_eq!(wf.input(Role::Sampler, "model"), Some(&json!([seamless.unwrap(), 0])));
        let checkpoint = wf.find(Role::Checkpoint).unwrap();
        let seamless_model = wf.nodes.values().find(|n| n["class_type"] == "DgxPixelsSeamless").unwrap();
        assert_eq!(seamless_model["inputs"]["model"], json!([checkpoint, 0]));
        assert_eq!(wf.input(Role::Canvas, "batch_size"), Some(&json!(2)));
    }

    #[test]
    fn without_a_style_the_lora_node_is_wired_through() {
        let mut wf = Templates::default().load(WorkflowKind::Txt2img).unwrap();
        wf.fill(&WorkflowParams { loras: Vec::new(), ..params() }).unwrap();
        assert!(!wf.class_types().contains("LoraLoader"));
        let checkpoint = wf.find(Role::Checkpoint).unwrap();
        assert_eq!(wf.input(Role::Sampler, "model"), Some(&json!([checkpoint, 0])));
        assert_eq!(wf.input(Role::Positive, "clip"), Some(&json!([checkpoint, 1])));
    }

    /// Three stacked styles: the template's loader and two copies in a chain, the checkpoint
    /// feeding the first, the sampler and both prompt encoders fed by the last.
    #[test]
    fn stacked_styles_chain_lora_loaders() {
        for kind in [WorkflowKind::Txt2img, WorkflowKind::Sheet, WorkflowKind::Img2img, WorkflowKind::Tile] {
            let mut wf = Templates::default().load(kind).unwrap();
            let loras =
                vec![("a.safetensors".into(), 0.8), ("b.safetensors".into(), 1.0), ("c.safetensors".into(), 0.3)];
            wf.fill(&WorkflowParams { loras, ..params() }).unwrap();
            let chain = wf.lora_nodes();
            let names: Vec<&str> = chain.iter().map(|(_, name)| name.as_str()).collect();
            assert_eq!(names, ["a.safetensors", "b.safetensors", "c.safetensors"], "{kind:?}");
            let node = |id: &str| wf.nodes[id].clone();
            let checkpoint = wf.find(Role::Checkpoint).unwrap();
            assert_eq!(node(&chain[0].0)["inputs"]["model"], json!([checkpoint, 0]), "{kind:?}");
            for pair in chain.windows(2) {
                assert_eq!(node(&pair[1].0)["inputs"]["model"], json!([pair[0].0, 0]), "{kind:?}");
                assert_eq!(node(&pair[1].0)["inputs"]["clip"], json!([pair[0].0, 1]), "{kind:?}");
            }
            assert_eq!(node(&chain[2].0)["inputs"]["strength_model"], json!(0.3f32));
            let last = &chain[2].0;
            // Nothing outside the chain still reads the first loader; the prompts read the last.
            for (id, node) in &wf.nodes {
                let links = node["inputs"].as_object().into_iter().flat_map(|inputs| inputs.values());
                for link in links.filter(|value| value.as_array().is_some_and(|link| link.len() == 2)) {
                    let from_chain = chain.iter().any(|(chained, _)| chained == id);
                    assert!(from_chain || link[0] != json!(chain[0].0), "{kind:?}: {id} still reads the first loader");
                }
            }
            assert_eq!(wf.input(Role::Positive, "clip"), Some(&json!([last, 1])), "{kind:?}");
        }
    }

    #[test]
    fn prompts_are_found_through_the_sampler_when_untitled() {
        let text = TXT2IMG.replace("Positive prompt", "a").replace("Negative prompt", "b");
        let wf = Workflow::parse(&text, "test").unwrap();
        assert_eq!(wf.find(Role::Positive).unwrap(), "3");
        assert_eq!(wf.find(Role::Negative).unwrap(), "4");
    }

    #[test]
    fn img2img_sets_the_source_and_the_batch_amount() {
        let mut wf = Templates::default().load(WorkflowKind::Img2img).unwrap();
        wf.fill(&WorkflowParams { source_image: Some("up.png".into()), denoise: Some(0.4), batch: 3, ..params() })
            .unwrap();
        assert_eq!(wf.input(Role::Source, "image"), Some(&json!("up.png")));
        assert_eq!(wf.input(Role::Canvas, "amount"), Some(&json!(3)));
        assert_eq!(wf.input(Role::Sampler, "denoise"), Some(&json!(0.4f32)));
    }

    #[test]
    fn a_preview_save_node_becomes_the_frame_sender_and_a_save_image_does_not() {
        let mut workflow = Workflow::parse(TXT2IMG, "txt2img").unwrap();
        let images = workflow.input(Role::Save, "images").cloned().unwrap();
        assert!(workflow.send_frames_over_socket());
        let save = workflow.find(Role::Save).unwrap();
        assert_eq!(
            workflow.to_json()[&save],
            json!({ "class_type": SEND_IMAGES, "inputs": { "images": images }, "_meta": { "title": "Save" } })
        );
        assert!(!workflow.send_frames_over_socket(), "already sending");
        let mut archived = Workflow::parse(&TXT2IMG.replace("PreviewImage", "SaveImage"), "txt2img").unwrap();
        assert!(!archived.send_frames_over_socket());
        assert_eq!(archived.to_json()[&save]["class_type"], "SaveImage");
    }

    #[test]
    fn an_override_file_replaces_the_shipped_template() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("txt2img.json"), TXT2IMG.replace("euler", "dpmpp_2m")).unwrap();
        let wf = Templates::new(Some(dir.path().to_owned())).load(WorkflowKind::Txt2img).unwrap();
        assert_eq!(wf.input(Role::Sampler, "sampler_name"), Some(&json!("dpmpp_2m")));
        std::fs::write(dir.path().join("sheet.json"), "[1, 2]").unwrap();
        let err = Templates::new(Some(dir.path().to_owned())).load(WorkflowKind::Sheet).unwrap_err();
        assert!(err.to_string().contains("Save (API)"), "{err}");
    }
}
