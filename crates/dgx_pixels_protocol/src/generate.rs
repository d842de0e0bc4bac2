//! The body of `POST /api/v1/generate`, also the content of a `.pixels.ron` request file.

use serde::{Deserialize, Serialize};

use crate::palette::PaletteSpec;
use crate::{Facing, JobId, Preset, RequestKind, SpriteSpec, StyleChoice, TileLayout, TilesetInfo};

/// A request for one sprite sheet. Only `prompt` is required; every other field has the
/// default that `DESIGN.md` gives, so `{"prompt": "slime"}` is a complete request.
///
/// Deserialising checks types only; call [`GenerateRequest::validate`] for the ranges.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct GenerateRequest {
    /// What to draw, 1..=2000 characters.
    pub prompt: String,
    /// What to avoid, up to 2000 characters.
    #[serde(default)]
    pub negative_prompt: String,
    /// A style name from `/api/v1/models`; its trigger words are put before the prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
    /// LoRA strength, 0.0..=2.0; the style's recommended strength when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lora_strength: Option<f32>,
    /// More styles stacked on `style` (or instead of it), each its LoRA at its strength, at
    /// most [`crate::limits::STACKED_STYLES`] in all ([`GenerateRequest::style_choices`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub styles: Vec<StyleChoice>,
    /// Final pixel size of one frame, or `"match"` (with `palette.from`): the size of the
    /// sprites the palette is taken from ([`SpriteSpec`]).
    #[serde(default)]
    pub sprite: SpriteSpec,
    /// Frames of the animation, 1..=64; with `directions` above 1, frames of each facing's row.
    #[serde(default = "default_frames")]
    pub frames: u32,
    /// Facings, 1, 4 or 8: one sheet row per facing ([`Facing::rows`] gives the order), each
    /// the same animation of `frames` frames. `directions × frames` is at most
    /// [`crate::limits::SHEET_CELLS`]. 1 (the default) draws the one facing the prompt says.
    #[serde(default = "default_directions", skip_serializing_if = "is_one")]
    pub directions: u32,
    /// What to make: a sprite (the default), a seamless tile or an autotile tileset
    /// ([`RequestKind`]).
    #[serde(default, skip_serializing_if = "RequestKind::is_sprite")]
    pub kind: RequestKind,
    /// With `kind: "tileset"`: the lower terrain (where a tile's bits are 0), as a prompt;
    /// `prompt` adds the words both terrains share (the setting, the style).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower: Option<String>,
    /// With `kind: "tileset"`: the upper terrain (where a tile's bits are 1), as a prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper: Option<String>,
    /// With `kind: "tileset"`: which tiles, `wang16` (the default) or `blob47`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<TileLayout>,
    /// With `directions` above 1: draw the west-facing rows and mirror them into the
    /// east-facing ones (`true`, the default: less GPU time, and left and right that match by
    /// construction), or draw every facing (`false`, for asymmetric characters).
    #[serde(default = "default_mirror", skip_serializing_if = "is_true")]
    pub mirror: bool,
    /// Sheet columns, 1..=frames; `min(frames, 8)` when absent (see [`Self::sheet_columns`]).
    /// With `directions` above 1 a row is one facing, so `columns` is `frames` and may only
    /// say so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<u32>,
    /// Palette size, 2..=256.
    #[serde(default = "default_colors")]
    pub colors: u16,
    /// A preset name or explicit colours; fitted to the image when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub palette: Option<PaletteSpec>,
    /// Whether to remove the backdrop.
    #[serde(default)]
    pub background: Background,
    /// Random seed; the server picks one and records it on the job when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// A named set of sampler, scheduler, steps, guidance and canvas ([`Preset`]); the fields
    /// below override it. None: 30 steps, guidance 7.5, a 1024² canvas, euler.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<Preset>,
    /// Diffusion steps, 1..=150; the preset's (else 30) when absent ([`Self::sampling`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<u32>,
    /// Classifier-free guidance, 0.0..=30.0; the preset's (else 7.5) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guidance_scale: Option<f32>,
    /// Generation canvas width, 256..=2048, a multiple of 8; the preset's (else 1024) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Generation canvas height, 256..=2048, a multiple of 8; the preset's (else 1024) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Which backend runs the job; the server's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<BackendKind>,
    /// Asset name, `[a-z0-9_-]{1,64}`; derived from the prompt when absent (see [`Self::asset_name`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A frame of an earlier, completed job to edit or vary (img2img) instead of drawing from
    /// the prompt alone; whether the job exists and has that frame is the server's business.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceImage>,
    /// How much of `source` is redrawn, 0.05..=1.0 (1.0 ignores it); only with `source`. The
    /// server's default (0.6) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denoise: Option<f32>,
}

/// The image an img2img request starts from: frame `frame` of job `job`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct SourceImage {
    /// A completed job.
    pub job: JobId,
    /// Which of its frames, from 0; default 0.
    #[serde(default)]
    pub frame: u32,
}

/// Width and height in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct SpriteSize {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl SpriteSize {
    /// A size of `width` × `height`.
    pub const fn new(width: u32, height: u32) -> Self {
        Self { width, height }
    }
}

impl Default for SpriteSize {
    /// 32×32, the default frame size.
    fn default() -> Self {
        Self::new(32, 32)
    }
}

/// What happens to the backdrop behind the sprite.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum Background {
    /// Remove it: pixels outside the sprite become fully transparent.
    #[default]
    Transparent,
    /// Keep it as drawn.
    Keep,
}

/// The generation backends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum BackendKind {
    /// SDXL + LoRAs through ComfyUI, on a GPU.
    Comfyui,
    /// Built-in placeholder art: offline, deterministic, no GPU.
    Procedural,
}

impl BackendKind {
    /// The name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Comfyui => "comfyui",
            BackendKind::Procedural => "procedural",
        }
    }
}

fn default_frames() -> u32 {
    1
}
fn default_directions() -> u32 {
    1
}
fn default_mirror() -> bool {
    true
}
/// Fields at these defaults are left out of the JSON, so requests written before the field
/// existed keep their [`GenerateRequest::content_hash`] (and their cached files stay valid).
fn is_one(value: &u32) -> bool {
    *value == 1
}
fn is_true(value: &bool) -> bool {
    *value
}

fn default_colors() -> u16 {
    16
}

impl GenerateRequest {
    /// A request for `prompt` with every other field at its default.
    pub fn new(prompt: impl Into<String>) -> Self {
        Self {
            prompt: prompt.into(),
            negative_prompt: String::new(),
            style: None,
            lora_strength: None,
            styles: Vec::new(),
            sprite: SpriteSpec::default(),
            frames: default_frames(),
            kind: RequestKind::default(),
            lower: None,
            upper: None,
            layout: None,
            directions: default_directions(),
            mirror: default_mirror(),
            columns: None,
            colors: default_colors(),
            palette: None,
            background: Background::default(),
            seed: None,
            preset: None,
            steps: None,
            guidance_scale: None,
            width: None,
            height: None,
            backend: None,
            name: None,
            source: None,
            denoise: None,
        }
    }

    /// A valid request with every optional field set off its default: what a schema of the
    /// body (the MCP tools' `inputSchema`, the OpenAPI document) must describe field by field.
    pub fn with_every_field() -> Self {
        Self {
            style: Some("s".into()),
            lora_strength: Some(1.0),
            styles: vec![StyleChoice { name: "t".into(), strength: Some(0.5) }],
            kind: RequestKind::Tileset,
            lower: Some("l".into()),
            upper: Some("u".into()),
            layout: Some(TileLayout::Wang16),
            directions: 4,
            mirror: false,
            columns: Some(1),
            palette: Some(PaletteSpec::Preset("pico8".into())),
            seed: Some(1),
            preset: Some(Preset::Fast),
            steps: Some(8),
            guidance_scale: Some(2.0),
            width: Some(768),
            height: Some(768),
            backend: Some(BackendKind::Procedural),
            name: Some("n".into()),
            source: Some(SourceImage { job: JobId("j".into()), frame: 1 }),
            denoise: Some(0.5),
            ..Self::new("p")
        }
    }

    /// Sheet columns: 1 for a tileset (its tiles stacked top to bottom, the layout Bevy's
    /// `ImageArrayLayout::RowCount` reads as the array texture a `TilemapChunk` draws from),
    /// `frames` for a sheet with directions (a row per facing), else the request's `columns`,
    /// else `min(frames, 8)`.
    pub fn sheet_columns(&self) -> u32 {
        if self.kind == RequestKind::Tileset {
            1
        } else if self.directions > 1 {
            self.frames
        } else {
            self.columns.unwrap_or(self.frames.min(8))
        }
    }

    /// Sheet rows for [`Self::sheet_columns`]: one per facing with directions.
    pub fn rows(&self) -> u32 {
        if self.directions > 1 { self.directions } else { self.cells().div_ceil(self.sheet_columns().max(1)) }
    }

    /// The frame size. A `"match"` is measured when the job is submitted and never reaches
    /// the queue (the server refuses one without `palette.from`); until then it counts as the
    /// default 32×32.
    pub fn sprite_size(&self) -> SpriteSize {
        self.sprite.size().unwrap_or_default()
    }

    /// Cells in the sheet: `frames` for each facing, or a tileset's tiles.
    pub fn cells(&self) -> u32 {
        match self.tileset() {
            Some(tileset) => tileset.frames(),
            None => self.frames.saturating_mul(self.directions.max(1)),
        }
    }

    /// For a tileset request, the tiles it makes and their bits.
    pub fn tileset(&self) -> Option<TilesetInfo> {
        (self.kind == RequestKind::Tileset).then(|| TilesetInfo::of(self.layout.unwrap_or_default()))
    }

    /// The facings of the sheet's rows, in row order; empty for a one-facing sheet.
    pub fn facings(&self) -> &'static [Facing] {
        Facing::rows(self.directions)
    }

    /// The facings a backend draws ([`Facing::drawn`]); empty for a one-facing sheet.
    pub fn drawn_facings(&self) -> Vec<Facing> {
        Facing::drawn(self.directions, self.mirror)
    }

    /// Frames a backend draws: `frames` per drawn facing (the mirrored rows are made after), or
    /// for a tileset one seamless tile per terrain (the transitions are composed after).
    pub fn drawn_frames(&self) -> u32 {
        if self.kind == RequestKind::Tileset {
            return 2;
        }
        self.frames.saturating_mul(u32::try_from(self.drawn_facings().len()).unwrap_or(1).max(1))
    }

    /// Asset name: the request's `name`, else derived from the prompt's first clause
    /// (`"Knight, walk cycle"` → `"knight"`), else `"sprite"`.
    pub fn asset_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| derive_name(&self.prompt))
    }

    /// A stable hash of the request as written, `fnv1a64:<16 hex digits>`.
    ///
    /// It is recorded in `.sprite.ron` so a loader can tell whether a `.pixels.ron` changed
    /// since its files were generated. FNV-1a over the canonical JSON is enough for that (it is
    /// not a security boundary) and is the same on every platform and Rust version.
    ///
    /// Without a preset, absent steps, guidance and canvas are hashed as their defaults, as they
    /// were written before they could be absent, so existing sprites keep their hashes.
    pub fn content_hash(&self) -> String {
        let mut hashed = self.clone();
        if hashed.preset.is_none() {
            let sampling = self.sampling();
            hashed.steps = Some(sampling.steps);
            hashed.guidance_scale = Some(sampling.guidance_scale);
            hashed.width = Some(sampling.canvas.width);
            hashed.height = Some(sampling.canvas.height);
        }
        let json = serde_json::to_vec(&hashed).expect("a GenerateRequest always serialises");
        let hash = json.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        format!("fnv1a64:{hash:016x}")
    }
}

/// Slug of the prompt's first clause: lowercase ASCII letters and digits, other runs of
/// characters become one `_`, at most 32 characters.
fn derive_name(prompt: &str) -> String {
    let clause = prompt.split([',', ';', '.', '\n']).find(|c| !c.trim().is_empty()).unwrap_or("");
    let mut name = String::new();
    for c in clause.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            name.push(c);
        } else if !name.is_empty() && !name.ends_with('_') {
            name.push('_');
        }
        if name.len() >= 32 {
            break;
        }
    }
    let name = name.trim_end_matches('_');
    if name.is_empty() { "sprite".to_owned() } else { name.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::check_name;

    fn request(json: &str) -> GenerateRequest {
        serde_json::from_str(json).unwrap()
    }

    const KNIGHT_HASH_BEFORE_PRESETS: &str = "fnv1a64:bc196c97663dd124";

    /// Steps, guidance and canvas became optional with presets; a request without a preset
    /// hashes as it did when they were always written, so existing sprites are not made again.
    /// (The hash was computed by the code before presets, commit 1f73b68.)
    #[test]
    fn hashes_of_requests_without_a_preset_did_not_change() {
        assert_eq!(GenerateRequest::new("knight").content_hash(), KNIGHT_HASH_BEFORE_PRESETS);
        let explicit = GenerateRequest { steps: Some(30), width: Some(1024), ..GenerateRequest::new("knight") };
        assert_eq!(explicit.content_hash(), KNIGHT_HASH_BEFORE_PRESETS);
        let fast = GenerateRequest { preset: Some(Preset::Fast), ..GenerateRequest::new("knight") };
        assert_ne!(fast.content_hash(), KNIGHT_HASH_BEFORE_PRESETS);
    }

    #[test]
    fn defaults_follow_the_design() {
        let r = request(r#"{"prompt":"slime"}"#);
        assert_eq!(r, GenerateRequest::new("slime"));
        assert_eq!((r.sprite_size().width, r.sprite_size().height, r.frames, r.colors), (32, 32, 1, 16));
        let sampling = r.sampling();
        assert_eq!((sampling.steps, sampling.guidance_scale, sampling.canvas), (30, 7.5, SpriteSize::new(1024, 1024)));
        assert_eq!(r.background, Background::Transparent);
        assert_eq!(request(r#"{"prompt":"x","frames":12}"#).sheet_columns(), 8);
        assert_eq!(request(r#"{"prompt":"x","frames":12}"#).rows(), 2);
        assert_eq!((r.directions, r.mirror, r.cells()), (1, true, 1));
        assert!(r.facings().is_empty() && r.drawn_facings().is_empty());
        r.validate().unwrap();
    }

    #[test]
    fn every_range_is_enforced_with_its_field() {
        let cases = [
            (r#"{"prompt":""}"#, "prompt"),
            (r#"{"prompt":"   "}"#, "prompt"),
            (r#"{"prompt":"x","lora_strength":2.5}"#, "lora_strength"),
            (r#"{"prompt":"x","sprite":{"width":7,"height":32}}"#, "sprite.width"),
            (r#"{"prompt":"x","sprite":{"width":32,"height":513}}"#, "sprite.height"),
            (r#"{"prompt":"x","frames":0}"#, "frames"),
            (r#"{"prompt":"x","frames":65}"#, "frames"),
            (r#"{"prompt":"x","frames":4,"columns":5}"#, "columns"),
            (r#"{"prompt":"x","columns":0}"#, "columns"),
            (r#"{"prompt":"x","colors":1}"#, "colors"),
            (r#"{"prompt":"x","colors":257}"#, "colors"),
            (r#"{"prompt":"x","palette":"vaporwave"}"#, "palette"),
            (r#"{"prompt":"x","palette":[]}"#, "palette"),
            (r#"{"prompt":"x","steps":0}"#, "steps"),
            (r#"{"prompt":"x","steps":151}"#, "steps"),
            (r#"{"prompt":"x","guidance_scale":30.5}"#, "guidance_scale"),
            (r#"{"prompt":"x","width":255}"#, "width"),
            (r#"{"prompt":"x","height":1020}"#, "height"),
            (r#"{"prompt":"x","width":4096}"#, "width"),
            (r#"{"prompt":"x","name":"../etc"}"#, "name"),
            (r#"{"prompt":"x","style":""}"#, "style"),
            (r#"{"prompt":"x","source":{"job":"a"},"denoise":0.0}"#, "denoise"),
            (r#"{"prompt":"x","source":{"job":"a"},"denoise":1.5}"#, "denoise"),
            (r#"{"prompt":"x","denoise":0.5}"#, "denoise"),
            (r#"{"prompt":"x","directions":2}"#, "directions"),
            (r#"{"prompt":"x","directions":0}"#, "directions"),
            (r#"{"prompt":"x","directions":8,"frames":9}"#, "directions"),
            (r#"{"prompt":"x","directions":4,"frames":4,"columns":2}"#, "columns"),
            (r#"{"prompt":"x","kind":"tile","sprite":{"width":32,"height":16}}"#, "sprite"),
            (r#"{"prompt":"x","kind":"tile","directions":4}"#, "directions"),
            (r#"{"prompt":"x","kind":"tileset","upper":"water"}"#, "lower"),
            (r#"{"prompt":"x","kind":"tileset","lower":"grass"}"#, "upper"),
            (r#"{"prompt":"x","kind":"tileset","lower":"grass","upper":" "}"#, "upper"),
            (r#"{"prompt":"x","kind":"tileset","lower":"grass","upper":"water","frames":2}"#, "frames"),
            (r#"{"prompt":"x","lower":"grass"}"#, "lower"),
            (r#"{"prompt":"x","kind":"tile","layout":"wang16"}"#, "layout"),
            (r#"{"prompt":"x","styles":[{"name":""}]}"#, "styles[].name"),
            (r#"{"prompt":"x","styles":[{"name":"a","strength":2.1}]}"#, "styles[].strength"),
            (r#"{"prompt":"x","style":"a","styles":[{"name":"a"}]}"#, "styles[].name"),
            (r#"{"prompt":"x","styles":[{"name":"a"},{"name":"b"},{"name":"a"}]}"#, "styles[].name"),
            (r#"{"prompt":"x","styles":[{"name":"a"},{"name":"b"},{"name":"c"},{"name":"d"},{"name":"e"}]}"#, "styles"),
            (r#"{"prompt":"x","style":"s","styles":[{"name":"a"},{"name":"b"},{"name":"c"},{"name":"d"}]}"#, "styles"),
        ];
        for (json, field) in cases {
            let err = request(json).validate().unwrap_err();
            assert_eq!(err.field(), field, "{json}: {err}");
        }
        let long = format!(r#"{{"prompt":"{}"}}"#, "a".repeat(2001));
        assert_eq!(request(&long).validate().unwrap_err().field(), "prompt");
    }

    #[test]
    fn a_sheet_with_directions_has_a_row_per_facing() {
        let r = request(r#"{"prompt":"x","frames":4,"directions":8}"#);
        r.validate().unwrap();
        assert_eq!((r.sheet_columns(), r.rows(), r.cells(), r.drawn_frames()), (4, 8, 32, 20));
        assert_eq!(r.facings(), &Facing::EIGHT);
        let all = request(r#"{"prompt":"x","frames":4,"directions":4,"mirror":false,"columns":4}"#);
        all.validate().unwrap();
        assert_eq!((all.rows(), all.drawn_frames()), (4, 16));
        request(r#"{"prompt":"x","frames":8,"directions":8}"#).validate().unwrap();
        let err = request(r#"{"prompt":"x","frames":16,"directions":8}"#).validate().unwrap_err();
        assert_eq!(err.to_string(), "`directions` × `frames` must be at most 64 cells, got 8 × 16");
    }

    #[test]
    fn a_tileset_is_sixteen_tiles_from_two_terrains() {
        let r = request(r#"{"prompt":"top-down","kind":"tileset","lower":"grass","upper":"water"}"#);
        r.validate().unwrap();
        assert_eq!((r.cells(), r.drawn_frames(), r.sheet_columns(), r.rows()), (16, 2, 1, 16));
        assert_eq!(r.tileset().map(|t| t.layout), Some(TileLayout::Wang16));
        assert!(serde_json::from_str::<GenerateRequest>(r#"{"prompt":"x","layout":"hex"}"#).is_err());
        let blob = GenerateRequest { layout: Some(TileLayout::Blob47), ..r };
        blob.validate().unwrap();
        assert_eq!((blob.cells(), blob.rows()), (48, 48));
    }

    /// A request that leaves `directions` and `mirror` at their defaults serialises as it did
    /// before they existed, so its hash, and the cached files made from it, stay valid.
    #[test]
    fn default_facings_keep_the_hash_of_older_requests() {
        let text = serde_json::to_string(&GenerateRequest::new("x")).unwrap();
        assert!(!text.contains("directions") && !text.contains("mirror") && !text.contains("kind"), "{text}");
        let tile = request(r#"{"prompt":"grass","kind":"tile"}"#);
        tile.validate().unwrap();
        assert_ne!(tile.content_hash(), GenerateRequest::new("grass").content_hash());
        // The example request and the hash its sheet was made with, by a build before facings.
        let hero = crate::parse_pixels_request(include_str!("../../../assets/hero.pixels.ron")).unwrap();
        let made_from = crate::SpriteMeta::from_ron(include_str!("../../../assets/hero.sprite.ron")).unwrap();
        assert_eq!(Some(hero.content_hash()), made_from.provenance.map(|p| p.request_hash));
        let turned = GenerateRequest { directions: 4, ..hero.clone() };
        assert_ne!(turned.content_hash(), hero.content_hash());
        let unmirrored = GenerateRequest { mirror: false, ..turned.clone() };
        assert_ne!(unmirrored.content_hash(), turned.content_hash());
    }

    #[test]
    fn unknown_fields_are_rejected() {
        assert!(serde_json::from_str::<GenerateRequest>(r#"{"prompt":"x","frame":4}"#).is_err());
        assert!(serde_json::from_str::<GenerateRequest>(r#"{"prompt":"x","kind":"tilemap"}"#).is_err());
        assert!(serde_json::from_str::<GenerateRequest>(r#"{"prompt":"x","source":{"job":"a","x":1}}"#).is_err());
    }

    #[test]
    fn a_source_defaults_to_its_first_frame_and_the_server_denoise() {
        let r = request(r#"{"prompt":"x","source":{"job":"abc"}}"#);
        assert_eq!(r.source, Some(SourceImage { job: JobId("abc".into()), frame: 0 }));
        assert_eq!(r.denoise, None);
        r.validate().unwrap();
        let edge = request(r#"{"prompt":"x","source":{"job":"abc","frame":3},"denoise":0.05}"#);
        edge.validate().unwrap();
        assert_eq!(request(r#"{"prompt":"x","source":{"job":"a"},"denoise":1}"#).denoise, Some(1.0));
        let text = serde_json::to_string(&GenerateRequest::new("x")).unwrap();
        assert!(!text.contains("source") && !text.contains("denoise"), "{text}");
    }

    #[test]
    fn names_derive_from_the_first_clause() {
        assert_eq!(GenerateRequest::new("Knight, walk cycle, side view").asset_name(), "knight");
        assert_eq!(GenerateRequest::new("red slime monster!").asset_name(), "red_slime_monster");
        assert_eq!(GenerateRequest::new("ツリー").asset_name(), "sprite");
        assert!(GenerateRequest::new("a ".repeat(100)).asset_name().len() <= 32);
        let name = GenerateRequest::new("x".repeat(200)).asset_name();
        check_name("name", &name).unwrap();
    }

    #[test]
    fn content_hash_changes_with_the_request() {
        let a = GenerateRequest::new("slime");
        let mut b = a.clone();
        assert_eq!(a.content_hash(), b.content_hash());
        b.frames = 2;
        assert_ne!(a.content_hash(), b.content_hash());
        assert!(a.content_hash().starts_with("fnv1a64:"));
        let varied = GenerateRequest { source: Some(SourceImage { job: JobId("j".into()), frame: 0 }), ..a.clone() };
        let other_frame =
            GenerateRequest { source: Some(SourceImage { job: JobId("j".into()), frame: 1 }), ..a.clone() };
        let stronger = GenerateRequest { denoise: Some(0.9), ..varied.clone() };
        let hashes = [&a, &varied, &other_frame, &stronger].map(GenerateRequest::content_hash);
        for (i, hash) in hashes.iter().enumerate() {
            assert!(!hashes[i + 1..].contains(hash), "{hashes:?}");
        }
    }
}
