//! The MCP tools' arguments and results: what an AI assistant sends to and gets back from
//! `generate_sprite`, `generate_batch`, `get_job`, `list_styles`, `pixelize_image` and
//! `deploy_to_bevy`, and the game tools `list_sprites`, `spawn_sprite`, `apply_to_entity` and
//! `screenshot`, which reach a running game over Bevy's remote protocol ([`crate::remote`]) (the
//! tool names are in [`tool`]).
//!
//! Every result type here is the JSON text (and `structuredContent`) of a successful tool call;
//! images travel beside it as MCP image content. A failure is an MCP tool error (`isError: true`)
//! whose text says what was wrong, never a JSON-RPC error.
//!
//! # JSON schemas
//! With the `schemars` feature every argument type implements `schemars::JsonSchema`; the server
//! publishes those schemas as the tools' `inputSchema`. The derive lives here, behind a feature,
//! so the schema is written next to the type it describes, while clients that only need the
//! serde types do not compile schemars. [`GenerateRequest`] is not ours to derive on, so its
//! schema is written by hand below from the [`limits`](crate::limits) constants, and a test
//! checks that it names every field the request serialises.
//!
//! # Reading arguments
//! The server reads arguments strictly: unknown fields are refused, so a typo is an error the
//! assistant can see and fix rather than a silently ignored setting. [`GenerateSpriteArgs`]
//! is the generate body's fields plus `wait_seconds`, flat; it only implements `Serialize`,
//! because serde cannot refuse unknown fields through `#[serde(flatten)]` and the server reads it
//! field by field instead.

use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use crate::remote::{EntityRef, Spawned};
use crate::{Background, FieldError, GenerateRequest, Job, ModelList};

/// The names of the tools, as `tools/list` reports them and `tools/call` takes them.
pub mod tool {
    /// Queue one sprite and wait a while for it: [`GenerateSpriteArgs`](super::GenerateSpriteArgs).
    pub const GENERATE_SPRITE: &str = "generate_sprite";
    /// Queue up to 20 sprites: [`GenerateBatchArgs`](super::GenerateBatchArgs).
    pub const GENERATE_BATCH: &str = "generate_batch";
    /// A job's state, optionally waiting: [`GetJobArgs`](super::GetJobArgs).
    pub const GET_JOB: &str = "get_job";
    /// The styles (LoRAs) the server has: no arguments.
    pub const LIST_STYLES: &str = "list_styles";
    /// Turn an image into pixel art: [`PixelizeImageArgs`](super::PixelizeImageArgs).
    pub const PIXELIZE_IMAGE: &str = "pixelize_image";
    /// Write a job's files into a Bevy project: [`DeployToBevyArgs`](super::DeployToBevyArgs).
    pub const DEPLOY_TO_BEVY: &str = "deploy_to_bevy";
    /// The running game's sprites: no arguments.
    pub const LIST_SPRITES: &str = "list_sprites";
    /// Put a sheet into the running game: [`SpawnSpriteArgs`](super::SpawnSpriteArgs).
    pub const SPAWN_SPRITE: &str = "spawn_sprite";
    /// Show a sheet on an entity of the running game: [`ApplyToEntityArgs`](super::ApplyToEntityArgs).
    pub const APPLY_TO_ENTITY: &str = "apply_to_entity";
    /// The running game's window as an image: no arguments.
    pub const SCREENSHOT: &str = "screenshot";
    /// Learn a style from sprites: [`TrainStyleRequest`](crate::TrainStyleRequest).
    pub const TRAIN_STYLE: &str = "train_style";
    /// Every tool, in the order the server lists them.
    pub const ALL: [&str; 11] = [
        GENERATE_SPRITE,
        GENERATE_BATCH,
        GET_JOB,
        LIST_STYLES,
        PIXELIZE_IMAGE,
        DEPLOY_TO_BEVY,
        LIST_SPRITES,
        SPAWN_SPRITE,
        APPLY_TO_ENTITY,
        SCREENSHOT,
        TRAIN_STYLE,
    ];
}

/// Requests one `generate_batch` call may queue.
pub const BATCH_REQUESTS: RangeInclusive<usize> = 1..=20;
/// How long `generate_sprite` and `generate_batch` wait when `wait_seconds` is absent: under the
/// 60 s many MCP clients allow a tool call, and enough for a procedural or a fast GPU job.
pub const DEFAULT_WAIT_SECONDS: u32 = 50;
/// The longest wait a call may ask for; as long as the server's default job timeout.
pub const MAX_WAIT_SECONDS: u32 = 600;
/// Longest side, in pixels, of the preview image a tool returns beside a finished job.
pub const PREVIEW_SIDE: u32 = 128;

/// `generate_sprite`: every field of the generate body (only `prompt` is required), flat, plus
/// how long to wait for the result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GenerateSpriteArgs {
    /// The request, as `POST /api/v1/generate` takes it.
    #[serde(flatten)]
    pub request: GenerateRequest,
    /// Seconds to wait for the job to finish, 0..=[`MAX_WAIT_SECONDS`]; default
    /// [`DEFAULT_WAIT_SECONDS`]. A job still running then is returned as it is; follow it with
    /// `get_job`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait_seconds: Option<u32>,
}

/// `generate_batch`: several requests queued at once (all are checked before any is queued).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct GenerateBatchArgs {
    /// 1 to 20 generate requests; each takes the fields of `generate_sprite` except
    /// `wait_seconds`.
    #[cfg_attr(feature = "schemars", schemars(length(min = 1, max = 20)))]
    pub requests: Vec<GenerateRequest>,
    /// Seconds to wait for all of them to finish, 0..=600; default 50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(range(max = 600)))]
    pub wait_seconds: Option<u32>,
}

/// `get_job`: one job, by id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct GetJobArgs {
    /// The `id` a generate tool returned.
    pub job_id: String,
    /// Seconds to wait for the job to finish before answering, 0..=600; default 0 (answer now).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(range(max = 600)))]
    pub wait_seconds: Option<u32>,
}

/// `list_styles`: takes nothing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ListStylesArgs {}

/// `pixelize_image`: an image that looks like pixel art but is not on a pixel grid (an upscaled,
/// blurred or AI-made picture) in, a true sprite out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct PixelizeImageArgs {
    /// The image, base64-encoded PNG (JPEG and WebP are not accepted).
    pub image_base64: String,
    /// Target sprite size `WxH` (8..=512 each), or `auto` (default) to recover the grid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    /// Palette size, 2..=256; default 16.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(range(min = 2, max = 256)))]
    pub colors: Option<u16>,
    /// A palette preset (`pico8`, `nes`, `gameboy`, `endesga32`, …) or comma-separated `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub palette: Option<String>,
    /// `transparent` (default) removes the backdrop; `keep` keeps it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<Background>,
}

/// `deploy_to_bevy`: a completed job's three files into `<bevy_project>/assets/<category>/`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct DeployToBevyArgs {
    /// A completed job's id.
    pub job_id: String,
    /// The Bevy project folder (the one with `Cargo.toml`): absolute, or relative to the first
    /// allowed root. It must lie inside a root the server allows (`serve --allow-root`).
    pub bevy_project: String,
    /// Folder under `assets/`, a plain name `[a-z0-9_-]{1,64}` such as `characters`.
    pub category: String,
    /// Asset name `[a-z0-9_-]{1,64}`; default: the job's own name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Replace existing files of that name; default false (existing files are kept).
    #[serde(default)]
    pub overwrite: bool,
}

/// `list_sprites` and `screenshot`: no arguments.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct NoArgs {}

/// Which sheet a game tool shows: a sheet already in the game's assets, or a completed job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SheetChoice {
    /// An asset path inside the game's assets.
    Asset(String),
    /// A completed job's id.
    Job(String),
}

impl SheetChoice {
    /// Exactly one of `asset` and `job_id`, as the tools take them.
    pub fn from_args(asset: Option<String>, job_id: Option<String>) -> Result<Self, FieldError> {
        match (asset, job_id) {
            (Some(asset), None) => Ok(Self::Asset(asset)),
            (None, Some(job)) => Ok(Self::Job(job)),
            (Some(_), Some(_)) => Err(FieldError::Breaks {
                field: "job_id",
                rule: "cannot be given together with `asset`",
                value: "both".into(),
            }),
            (None, None) => Err(FieldError::Breaks {
                field: "asset",
                rule: "or `job_id` is required: the sheet to show",
                value: "neither".into(),
            }),
        }
    }
}

/// `spawn_sprite`: a new entity in the running game showing a sheet, at a position.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct SpawnSpriteArgs {
    /// A sheet in the game's assets: the `asset_path` deploy_to_bevy returned
    /// (`characters/knight.png`), or a `.sprite.ron` / `.pixels.ron` path. Give this or `job_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset: Option<String>,
    /// A completed job, instead of `asset`: its files are first written into the game's assets
    /// under `generated/` (the game's assets folder must lie inside an allowed root).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// World position `[x, y]` of the sprite's pivot (a character's feet), or an offset from
    /// `near`.
    pub position: [f32; 2],
    /// An entity (its id from list_sprites, or its name) that `position` is relative to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub near: Option<EntityRef>,
    /// A name for the new entity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `apply_to_entity`: an entity of the running game shows another sheet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ApplyToEntityArgs {
    /// The entity: its id from list_sprites, or its name.
    pub entity: EntityRef,
    /// A sheet in the game's assets: the `asset_path` deploy_to_bevy returned
    /// (`characters/knight.png`), or a `.sprite.ron` / `.pixels.ron` path. Give this or `job_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset: Option<String>,
    /// A completed job, instead of `asset`: its files are first written into the game's assets
    /// under `generated/` (the game's assets folder must lie inside an allowed root).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
}

/// `spawn_sprite`'s and `apply_to_entity`'s result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GameReport {
    /// The entity touched and where it stands.
    #[serde(flatten)]
    pub spawned: Spawned,
    /// The files written into the game's assets first, when a job was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployed: Option<DeployReport>,
}

/// `screenshot`'s result; the window itself is the PNG image content beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreenshotReport {
    /// Window width in pixels.
    pub width: u32,
    /// Window height in pixels.
    pub height: u32,
}

/// Absolute URLs of a completed job's files on the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileUrls {
    /// The sprite sheet, PNG.
    pub sheet: String,
    /// Its `.atlas.ron` (Bevy's `TextureAtlasLayout`).
    pub atlas: String,
    /// Its `.sprite.ron` (frames, tags, palette, provenance).
    pub sprite: String,
}

/// A job as the generate tools and `get_job` report it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobReport {
    /// The job, as `GET /api/v1/jobs/{id}` returns it.
    pub job: Job,
    /// Absolute download URLs, once completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<FileUrls>,
    /// What to do next, for the assistant: wait with `get_job`, deploy, or read the error.
    pub next: String,
}

/// `generate_batch`'s result: one report per request, in request order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchReport {
    /// The jobs.
    pub jobs: Vec<JobReport>,
}

/// `list_styles`' result.
pub type StylesReport = ModelList;

/// `pixelize_image`'s result; the sprite itself is the image content beside it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PixelizeReport {
    /// Sprite width in pixels.
    pub width: u32,
    /// Sprite height in pixels.
    pub height: u32,
    /// How sure the pixel grid is, `0.0..=1.0` (as `grid_confidence` in `.sprite.ron`).
    pub grid_confidence: f32,
    /// Under 0.5: why, and what to do (give the size; try another).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsure: Option<String>,
}

/// `deploy_to_bevy`'s result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployReport {
    /// Absolute path of `NAME.png`.
    pub sheet: String,
    /// Absolute path of `NAME.atlas.ron`.
    pub atlas: String,
    /// Absolute path of `NAME.sprite.ron`.
    pub sprite: String,
    /// The path to give Bevy's `AssetServer::load` for the sheet, e.g. `characters/knight.png`.
    pub asset_path: String,
}

#[cfg(feature = "schemars")]
mod schema {
    //! Hand-written schemas for the generate body, from the same constants that validate it.

    use std::borrow::Cow;

    use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
    use serde_json::{Map, Value, json};

    use super::{DEFAULT_WAIT_SECONDS, GenerateSpriteArgs, MAX_WAIT_SECONDS};
    use crate::{Background, GenerateRequest, Palette, limits};

    /// The properties of the generate body.
    pub(super) fn request_properties() -> Map<String, Value> {
        let presets: Vec<&str> = Palette::preset_names().collect();
        let side =
            json!({"type": "integer", "minimum": limits::SPRITE_SIDE.start(), "maximum": limits::SPRITE_SIDE.end()});
        let canvas = json!({
            "type": "integer", "minimum": limits::CANVAS_SIDE.start(), "maximum": limits::CANVAS_SIDE.end(),
            "multipleOf": limits::CANVAS_MULTIPLE, "description": "Generation canvas; default: the preset's, else 1024.",
        });
        let properties = json!({
            "prompt": {"type": "string", "minLength": limits::PROMPT_CHARS.start(), "maxLength": limits::PROMPT_CHARS.end(),
                "description": "What to draw, e.g. \"knight, walk cycle, side view\"."},
            "negative_prompt": {"type": "string", "maxLength": limits::NEGATIVE_PROMPT_MAX_CHARS, "default": ""},
            "style": {"type": "string", "maxLength": limits::STYLE_MAX_CHARS,
                "description": "A style name from list_styles; none by default."},
            "lora_strength": {"type": "number", "minimum": limits::LORA_STRENGTH.start(), "maximum": limits::LORA_STRENGTH.end(),
                "description": "Default: the style's recommended strength."},
            "styles": {"type": "array", "maxItems": limits::STACKED_STYLES,
                "items": {"type": "object", "required": ["name"], "additionalProperties": false, "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": limits::STYLE_MAX_CHARS},
                    "strength": {"type": "number", "minimum": limits::LORA_STRENGTH.start(), "maximum": limits::LORA_STRENGTH.end()},
                }},
                "description": "Styles stacked on `style` (at most 4 in all, each named once), each with its strength; e.g. a team's style plus a character's."},
            "sprite": {"oneOf": [
                    {"type": "object", "properties": {"width": side, "height": side}, "required": ["width", "height"],
                        "additionalProperties": false},
                    {"type": "string", "enum": ["match"]}],
                "description": "Final pixel size of one frame; default 32x32. \"match\" (with palette.from) takes the median size of the sprites the palette comes from, so a new sprite is the size of the game's own."},
            "frames": {"type": "integer", "minimum": limits::FRAMES.start(), "maximum": limits::FRAMES.end(), "default": 1,
                "description": "Animation frames in the sheet; with `directions`, frames of each facing."},
            "kind": {"type": "string", "enum": ["sprite", "tile", "tileset"], "default": "sprite",
                "description": "`tile`: a square, fully opaque ground tile whose opposite edges continue each other, so it repeats without a seam. `tileset`: a 16-tile corner autotile set between the terrains `lower` and `upper`."},
            "lower": {"type": "string", "minLength": 1, "maxLength": limits::PROMPT_CHARS.end(),
                "description": "With kind tileset: the lower terrain, e.g. \"grass\"; `prompt` adds shared words."},
            "upper": {"type": "string", "minLength": 1, "maxLength": limits::PROMPT_CHARS.end(),
                "description": "With kind tileset: the upper terrain, e.g. \"shallow water\"."},
            "layout": {"type": "string", "enum": ["wang16", "blob47"], "default": "wang16",
                "description": "With kind tileset: `wang16`, 16 tiles by corners (index NE=1 + SE=2 + SW=4 + NW=8, the upper terrain's corners); `blob47`, 47 tiles for upper cells by their 8 neighbours (N=1 ... NW=128) plus the plain lower tile."},
            "directions": {"type": "integer", "enum": crate::facing::DIRECTIONS, "default": 1,
                "description": "Facings of a character that turns: 4 (s, w, n, e) or 8 (s, sw, w, nw, n, ne, e, se), one sheet row each, tagged `<animation>_<facing>`; directions x frames at most 64."},
            "mirror": {"type": "boolean", "default": true,
                "description": "With directions: draw the west-facing rows and mirror them to the east; false draws every facing (asymmetric characters)."},
            "columns": {"type": "integer", "minimum": 1, "maximum": limits::FRAMES.end(),
                "description": "Sheet columns, at most `frames`; default min(frames, 8); with directions, `frames`."},
            "colors": {"type": "integer", "minimum": limits::COLORS.start(), "maximum": limits::COLORS.end(), "default": 16},
            "palette": {"description": "A preset name, a list of #rrggbb colours, or {\"from\": [...]}: the colours of finished jobs (their ids) or of PNGs or folders of PNGs inside the server's allowed roots, so a new sprite matches the game's art; fitted to the image by default.",
                "anyOf": [{"type": "string", "enum": presets},
                          {"type": "array", "items": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"},
                           "minItems": limits::PALETTE_LIST.start(), "maxItems": limits::PALETTE_LIST.end()},
                          {"type": "object", "required": ["from"], "additionalProperties": false, "properties": {"from": {
                              "type": "array", "items": {"type": "string", "minLength": 1, "maxLength": limits::PATH_MAX_CHARS},
                              "minItems": limits::PALETTE_SOURCES.start(), "maxItems": limits::PALETTE_SOURCES.end()}}}]},
            "background": {"type": "string", "enum": ["transparent", "keep"], "default": "transparent",
                "description": "`transparent` removes the backdrop, `keep` keeps it."},
            "seed": {"type": "integer", "minimum": 0, "description": "Random when absent; the job records it."},
            "preset": {"type": "string", "enum": ["fast", "standard", "quality"],
                "description": "Sampler, steps, guidance and canvas as one name: `fast` (4 steps with the server's \
        distillation LoRA, the quickest), `standard` (30 steps), `quality` (40 steps); steps, guidance_scale, width and \
        height given here win over it."},
            "steps": {"type": "integer", "minimum": limits::STEPS.start(), "maximum": limits::STEPS.end(),
                "description": "Default: the preset's, else 30."},
            "guidance_scale": {"type": "number", "minimum": limits::GUIDANCE_SCALE.start(),
                "maximum": limits::GUIDANCE_SCALE.end(), "description": "Default: the preset's, else 7.5."},
            "width": canvas, "height": canvas,
            "backend": {"type": "string", "enum": ["comfyui", "procedural"], "description": "Default: the server's."},
            "name": {"type": "string", "pattern": "^[a-z0-9_-]{1,64}$", "description": "Asset name; derived from the prompt by default."},
            "source": {"type": "object", "properties": {
                    "job": {"type": "string", "description": "The id of a completed job."},
                    "frame": {"type": "integer", "minimum": 0, "default": 0, "description": "Which of its frames, from 0."}},
                "required": ["job"], "additionalProperties": false,
                "description": "Edit or vary a frame of an earlier job (img2img) instead of drawing from the prompt alone."},
            "denoise": {"type": "number", "minimum": limits::DENOISE.start(), "maximum": limits::DENOISE.end(),
                "description": "Only with `source`: how much of it is redrawn, 1 ignoring it; default 0.6."},
        });
        match properties {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    impl JsonSchema for GenerateRequest {
        fn schema_name() -> Cow<'static, str> {
            "GenerateRequest".into()
        }

        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({
                "type": "object",
                "description": "A sprite request; only `prompt` is required.",
                "properties": request_properties(),
                "required": ["prompt"],
                "additionalProperties": false,
            })
        }
    }

    impl JsonSchema for Background {
        fn schema_name() -> Cow<'static, str> {
            "Background".into()
        }

        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({"type": "string", "enum": ["transparent", "keep"]})
        }
    }

    impl JsonSchema for GenerateSpriteArgs {
        fn schema_name() -> Cow<'static, str> {
            "GenerateSpriteArgs".into()
        }

        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            let mut properties = request_properties();
            properties.insert(
                "wait_seconds".into(),
                json!({"type": "integer", "minimum": 0, "maximum": MAX_WAIT_SECONDS, "default": DEFAULT_WAIT_SECONDS,
                    "description": "Seconds to wait for the result; a job still running then is returned as it is."}),
            );
            json_schema!({
                "type": "object",
                "properties": properties,
                "required": ["prompt"],
                "additionalProperties": false,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field a full request serialises is described by the hand-written schema.
    #[cfg(feature = "schemars")]
    #[test]
    fn the_request_schema_names_every_field() {
        let full = GenerateRequest::with_every_field();
        let serde_json::Value::Object(fields) = serde_json::to_value(&full).unwrap() else { panic!("not an object") };
        let described = schema::request_properties();
        for field in fields.keys() {
            assert!(described.contains_key(field), "schema misses `{field}`");
        }
        assert_eq!(described.len(), fields.len(), "schema describes a field the request lacks");
    }

    #[test]
    fn sprite_args_are_flat() {
        let args = GenerateSpriteArgs { request: GenerateRequest::new("slime"), wait_seconds: Some(5) };
        let json = serde_json::to_value(&args).unwrap();
        assert_eq!(json["prompt"], "slime");
        assert_eq!(json["wait_seconds"], 5);
    }

    #[test]
    fn deploy_args_refuse_unknown_fields_and_default_overwrite() {
        let args: DeployToBevyArgs =
            serde_json::from_str(r#"{"job_id":"a","bevy_project":"g","category":"c"}"#).unwrap();
        assert!(!args.overwrite);
        assert!(
            serde_json::from_str::<DeployToBevyArgs>(r#"{"job_id":"a","bevy_project":"g","category":"c","x":1}"#)
                .is_err()
        );
    }
}
