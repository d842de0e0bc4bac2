//! The panel's state as plain data, and the actions its widgets record.

use std::time::{Duration, Instant};

use bevy_asset::Handle;
use bevy_ecs::prelude::*;
use dgx_pixels_protocol::{
    AtlasRect, Background, GenerateRequest, JobId, PaletteFrom, PaletteSpec, Preset, RequestKind, SourceImage,
    SpriteMeta, SpriteSize, SpriteSpec, StyleChoice, TileLayout, TrainStep,
};
use serde::{Deserialize, Serialize};

use super::style_trainer::TrainingInputs;
use crate::{GeneratedSprite, SheetFiles};

/// Vary's denoise until the user moves the slider: the server's own default for img2img.
pub use dgx_pixels_protocol::limits::DEFAULT_DENOISE;

/// What the user typed and picked: remembered across runs (written as RON beside the saved
/// sprites whenever Generate, Vary or Re-process is pressed, read back when the panel starts).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PanelInputs {
    /// What to draw.
    pub prompt: String,
    /// What to avoid.
    pub negative_prompt: String,
    /// A style from the server's list, or none.
    pub style: Option<String>,
    /// More styles stacked after `style` (ignored without one), each at its recommended
    /// strength; at most three, so four in all.
    pub stacked: Vec<String>,
    /// Frame width and height in pixels.
    pub sprite_size: (u32, u32),
    /// Frames in the sheet; with directions, of each facing.
    pub frames: u32,
    /// A sprite, a seamless tile (square, opaque, one facing) or an autotile tileset.
    pub kind: RequestKind,
    /// For a tileset: the lower terrain's words.
    pub lower: String,
    /// For a tileset: the upper terrain's words.
    pub upper: String,
    /// For a tileset: which tiles.
    pub layout: TileLayout,
    /// Facings: 1, or 4 or 8 for a character that turns (a row per facing).
    pub directions: u32,
    /// With directions: mirror the west-facing rows into the east-facing ones.
    pub mirror: bool,
    /// Sheet columns; 0 lets the server choose `min(frames, 8)`. Unused with directions (a
    /// row per facing).
    pub columns: u32,
    /// Palette size when no preset is chosen.
    pub colors: u16,
    /// A palette preset name (`pico8`, …), or none for a fitted palette.
    pub palette: Option<String>,
    /// A folder of the game's own sprites inside `assets/` whose colours the sprite takes
    /// (read on this machine when it is sent); empty for none. It wins over `palette`.
    pub art_folder: String,
    /// With `art_folder`: the frame size is the median size of its sprites, not `sprite_size`.
    pub match_size: bool,
    /// Keep `seed` from run to run (`true`) or let the server pick one each time.
    pub seed_locked: bool,
    /// The seed used when locked.
    pub seed: u64,
    /// Remove (`Transparent`) or keep the backdrop.
    pub background: Background,
    /// How much of the source frame Vary redraws, 0.05..=1.0 (1.0 ignores it).
    pub denoise: f32,
    /// The preset; `None` ("auto"): `fast` when the server has its distillation LoRA, else
    /// the server's defaults.
    pub preset: Option<Preset>,
    /// Asset name the Save button writes.
    pub save_name: String,
    /// What "Learn a style" trains on.
    pub training: TrainingInputs,
}

impl Default for PanelInputs {
    fn default() -> Self {
        Self {
            prompt: String::new(),
            negative_prompt: String::new(),
            style: None,
            stacked: Vec::new(),
            sprite_size: (32, 32),
            frames: 4,
            kind: RequestKind::Sprite,
            lower: "grass".to_owned(),
            upper: "shallow water".to_owned(),
            layout: TileLayout::Wang16,
            directions: 1,
            mirror: true,
            columns: 0,
            colors: 16,
            palette: None,
            art_folder: String::new(),
            match_size: false,
            seed_locked: false,
            seed: 1,
            background: Background::Transparent,
            denoise: DEFAULT_DENOISE,
            preset: None,
            save_name: "sprite".to_owned(),
            training: TrainingInputs::default(),
        }
    }
}

impl PanelInputs {
    /// The generate request these inputs describe.
    pub fn to_request(&self) -> GenerateRequest {
        let mut request = GenerateRequest::new(self.prompt.trim());
        request.negative_prompt = self.negative_prompt.clone();
        request.style = self.style.clone();
        if self.style.is_some() {
            request.styles =
                self.stacked.iter().map(|name| StyleChoice { name: name.clone(), strength: None }).collect();
        }
        request.sprite = SpriteSize::new(self.sprite_size.0, self.sprite_size.1).into();
        request.frames = self.frames;
        request.kind = self.kind;
        request.preset = self.preset;
        if self.kind != RequestKind::Sprite {
            // A tile is square and faces no way: the form's width is its side.
            request.sprite = SpriteSize::new(self.sprite_size.0, self.sprite_size.0).into();
            request.directions = 1;
            request.mirror = true;
        }
        if self.kind == RequestKind::Tileset {
            request.frames = 1;
            request.lower = Some(self.lower.trim().to_owned());
            request.upper = Some(self.upper.trim().to_owned());
            request.layout = Some(self.layout);
        }
        if self.kind != RequestKind::Sprite {
            return request;
        }
        request.directions = self.directions;
        request.mirror = self.mirror;
        request.columns = (self.columns > 0 && self.directions <= 1).then_some(self.columns.min(self.frames));
        request.colors = self.colors;
        request.palette = self.palette.clone().map(PaletteSpec::Preset);
        if let Some(folder) = self.art_folder() {
            request.palette = Some(PaletteSpec::From(PaletteFrom { from: vec![folder] }));
            if self.match_size {
                request.sprite = SpriteSpec::MATCH;
            }
        }
        request.seed = self.seed_locked.then_some(self.seed);
        request.background = self.background;
        request
    }

    /// The request of Vary: these inputs' request, redrawing `source` by [`Self::denoise`].
    pub fn vary_request(&self, source: SourceImage) -> GenerateRequest {
        GenerateRequest { source: Some(source), denoise: Some(self.denoise), ..self.to_request() }
    }

    /// The request whose sheet settings (size, colours, palette, background, columns) Re-process
    /// applies to a sheet of `frames` frames: the columns are clamped to its frames, not to the
    /// form's, and the frames are laid out as one grid (a sheet of facings keeps its tags, which
    /// name frames by index).
    pub fn sheet_request(&self, frames: u32) -> GenerateRequest {
        Self { frames, directions: 1, ..self.clone() }.to_request()
    }

    /// The folder of the game's sprites, if one is chosen.
    pub fn art_folder(&self) -> Option<String> {
        let folder = self.art_folder.trim().trim_matches('/');
        (!folder.is_empty()).then(|| folder.to_owned())
    }

    /// Reads inputs written by [`Self::to_ron`]; defaults for anything missing or unreadable.
    pub fn from_ron(text: &str) -> Self {
        ron::from_str(text).unwrap_or_default()
    }

    /// The inputs as RON text.
    pub fn to_ron(&self) -> String {
        ron::ser::to_string_pretty(self, ron::ser::PrettyConfig::default()).unwrap_or_default()
    }
}

/// What the panel knows about the server.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum ServerStatus {
    /// Not asked yet.
    #[default]
    Unknown,
    /// Answered `/health`: its version and backends.
    Up(String),
    /// Could not be reached: why, in words.
    Down(String),
}

/// Where one job of the queue is.
#[derive(Clone, Debug, PartialEq)]
pub enum JobState {
    /// Sent, waiting for the server's answer.
    Sending,
    /// Queued with this many jobs ahead.
    Queued(u32),
    /// Running, 0.0..=1.0.
    Running(f32),
    /// A training at this step, with its loss.
    Training(TrainStep),
    /// Ended well; its sheet is in the gallery.
    Done,
    /// Being re-processed from its job's raw frames, on this machine (nothing to cancel).
    Processing,
    /// Failed or cancelled: why.
    Failed(String),
}

/// One job in the queue.
#[derive(Clone, Debug, PartialEq)]
pub struct QueuedJob {
    /// The panel's number for it.
    pub ticket: u64,
    /// The server's id, once it answered.
    pub job_id: Option<JobId>,
    /// The prompt, for the list.
    pub prompt: String,
    /// Where it is.
    pub state: JobState,
    /// The preset it was sent with.
    pub preset: Option<Preset>,
    /// When the panel sent it.
    pub sent: Instant,
    /// From sending to its sheet in the gallery, once done.
    pub took: Option<Duration>,
}

impl QueuedJob {
    /// A job sent now, labelled `prompt`.
    pub fn new(ticket: u64, prompt: impl Into<String>, state: JobState) -> Self {
        Self { ticket, job_id: None, prompt: prompt.into(), state, preset: None, sent: Instant::now(), took: None }
    }

    /// Marks it done, timing it.
    pub fn done(&mut self) {
        self.state = JobState::Done;
        self.took = Some(self.sent.elapsed());
    }
}

/// One finished sheet in the gallery.
#[derive(Clone, Debug)]
pub struct GalleryItem {
    /// The job's ticket.
    pub ticket: u64,
    /// The server's job whose frames the sheet holds (for a re-processed sheet, the job whose
    /// raw frames it was made from): Vary's source and Re-process's input.
    pub job_id: JobId,
    /// The sprite, as assets (Apply puts this handle on the target).
    pub sprite: Handle<GeneratedSprite>,
    /// The raw files, for Save.
    pub files: SheetFiles,
    /// Frames, timing and provenance.
    pub meta: SpriteMeta,
    /// Sheet size in pixels.
    pub sheet_size: (u32, u32),
    /// Frame rectangles, for the preview.
    pub frames: Vec<AtlasRect>,
    /// The sheet as an egui texture, once registered.
    pub texture: Option<bevy_egui::egui::TextureId>,
}

/// Something the user asked for; recorded by the widgets, carried out after drawing.
#[derive(Clone, Debug, PartialEq)]
pub enum PanelAction {
    /// Send the current inputs as a new job.
    Generate,
    /// Cancel the job of this ticket.
    Cancel(u64),
    /// Show gallery item `ticket` on the target entity.
    Apply(u64),
    /// Write gallery item `ticket` under the save name.
    Save(u64),
    /// Send the current inputs as a new job that redraws this frame of a finished job.
    Vary(SourceImage),
    /// Make gallery item `ticket`'s sheet again from its job's raw frames with the current
    /// size, colours, palette, background and columns, without generating.
    Reprocess(u64),
    /// Ask the server's health and styles again.
    Refresh,
    /// Mark this finished job's sheet for training a style, or unmark it.
    MarkForStyle(JobId),
    /// Train a style from the marked sheets and the game's sprites folder.
    TrainStyle,
}

/// All the panel shows and remembers. A `Default` resource: tests build one by hand.
#[derive(Resource, Debug, Default)]
pub struct PanelState {
    /// The form's inputs.
    pub inputs: PanelInputs,
    /// Style names offered by the server.
    pub styles: Vec<String>,
    /// Folders of the game's sprites inside `assets/`, for the form's picker.
    pub sprite_folders: Vec<String>,
    /// The server's health.
    pub server: ServerStatus,
    /// Whether the server has the `fast` preset's distillation LoRA: "auto" then means `fast`.
    pub server_fast: bool,
    /// Jobs, newest last.
    pub jobs: Vec<QueuedJob>,
    /// Finished sheets, newest last.
    pub gallery: Vec<GalleryItem>,
    /// The gallery item shown in the preview.
    pub selected: Option<u64>,
    /// The frame the preview is paused on; `None` while it plays the animation.
    pub paused_frame: Option<u32>,
    /// Sprite entities Apply can target, with a label each.
    pub targets: Vec<(Entity, String)>,
    /// The entity Apply targets.
    pub target: Option<Entity>,
    /// Preview zoom, a whole number so pixels stay square.
    pub zoom: u32,
    /// Messages for the user, newest last (errors and confirmations).
    pub messages: Vec<String>,
    /// Actions recorded this frame.
    pub actions: Vec<PanelAction>,
    /// Last ticket handed out.
    pub last_ticket: u64,
}

impl PanelState {
    /// Records a message for the user, keeping the last few.
    pub fn tell(&mut self, message: impl Into<String>) {
        self.messages.push(message.into());
        let excess = self.messages.len().saturating_sub(5);
        self.messages.drain(..excess);
    }

    /// The gallery item of `ticket`.
    pub fn item(&self, ticket: u64) -> Option<&GalleryItem> {
        self.gallery.iter().find(|item| item.ticket == ticket)
    }

    /// A new ticket for a job or a re-processing.
    pub fn next_ticket(&mut self) -> u64 {
        self.last_ticket += 1;
        self.last_ticket
    }

    /// The job of `ticket`.
    pub fn job_mut(&mut self, ticket: u64) -> Option<&mut QueuedJob> {
        self.jobs.iter_mut().find(|job| job.ticket == ticket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_make_a_valid_request_and_round_trip() {
        let inputs = PanelInputs {
            prompt: " knight, walk cycle ".into(),
            palette: Some("pico8".into()),
            seed_locked: true,
            seed: 42,
            columns: 9,
            ..PanelInputs::default()
        };
        let request = inputs.to_request();
        request.validate().unwrap();
        assert_eq!(request.prompt, "knight, walk cycle");
        assert_eq!(request.seed, Some(42));
        assert_eq!(request.columns, Some(4));
        assert_eq!(PanelInputs::from_ron(&inputs.to_ron()), inputs);
        assert_eq!(PanelInputs::from_ron("not ron"), PanelInputs::default());
        assert_eq!(request.preset, None, "auto: the panel decides when it sends");
        let tile = PanelInputs { preset: Some(Preset::Quality), kind: RequestKind::Tile, ..inputs };
        assert_eq!(tile.to_request().preset, Some(Preset::Quality));
    }

    /// Vary's request is the form's with a source and the slider's denoise; Re-process's takes
    /// the sheet's frame count, so the columns are clamped to it; older input files, without a
    /// denoise, get the server's default.
    #[test]
    fn vary_and_reprocess_requests_follow_the_form() {
        let inputs = PanelInputs { prompt: "slime".into(), denoise: 0.35, columns: 3, frames: 2, ..Default::default() };
        let source = SourceImage { job: JobId("abc".into()), frame: 2 };
        let vary = inputs.vary_request(source.clone());
        vary.validate().unwrap();
        assert_eq!((vary.source, vary.denoise), (Some(source), Some(0.35)));
        assert_eq!(GenerateRequest { source: None, denoise: None, ..vary }, inputs.to_request());
        let sheet = inputs.sheet_request(4);
        assert_eq!((sheet.frames, sheet.columns, sheet.sprite), (4, Some(3), inputs.to_request().sprite));
        assert_eq!(PanelInputs::from_ron("(prompt: \"x\")").denoise, DEFAULT_DENOISE);
    }

    /// A character that turns: the form's directions and mirror go into the request, its
    /// columns do not (a row per facing); Re-process lays the cells out as one grid; older
    /// input files, without directions, ask for one facing.
    #[test]
    fn directions_reach_the_request() {
        let inputs =
            PanelInputs { prompt: "knight".into(), directions: 8, mirror: false, columns: 2, ..Default::default() };
        let request = inputs.to_request();
        request.validate().unwrap();
        assert_eq!((request.directions, request.mirror, request.columns, request.cells()), (8, false, None, 32));
        let sheet = inputs.sheet_request(32);
        sheet.validate().unwrap();
        assert_eq!((sheet.directions, sheet.frames), (1, 32));
        let older = PanelInputs::from_ron("(prompt: \"x\", frames: 2)");
        assert_eq!((older.directions, older.mirror), (1, true));
    }

    /// A folder of the game's sprites makes the palette come from it (over a preset), and the
    /// size too with "match size"; a tile keeps the form's size and palette.
    #[test]
    fn the_games_sprites_reach_the_request() {
        let inputs = PanelInputs {
            prompt: "bat".into(),
            palette: Some("pico8".into()),
            art_folder: " sprites/enemies/ ".into(),
            ..Default::default()
        };
        let from = Some(PaletteSpec::From(PaletteFrom { from: vec!["sprites/enemies".into()] }));
        let request = inputs.to_request();
        request.validate().unwrap();
        assert_eq!((&request.palette, request.sprite), (&from, SpriteSize::new(32, 32).into()));
        let matched = PanelInputs { match_size: true, ..inputs.clone() }.to_request();
        matched.validate().unwrap();
        assert_eq!((&matched.palette, matched.sprite), (&from, SpriteSpec::MATCH));
        let tile = PanelInputs { kind: RequestKind::Tile, match_size: true, ..inputs }.to_request();
        assert_eq!((tile.palette, tile.sprite), (None, SpriteSize::new(32, 32).into()));
    }

    /// A tile from the form: square at the form's width, one facing, whatever the form's
    /// height and directions say.
    #[test]
    fn a_tile_request_is_square_and_faces_no_way() {
        let inputs = PanelInputs {
            prompt: "grass".into(),
            kind: RequestKind::Tile,
            sprite_size: (24, 40),
            directions: 8,
            ..Default::default()
        };
        let request = inputs.to_request();
        request.validate().unwrap();
        assert_eq!(
            (request.kind, request.sprite, request.directions),
            (RequestKind::Tile, SpriteSize::new(24, 24).into(), 1)
        );
        let tileset = PanelInputs { kind: RequestKind::Tileset, frames: 4, ..inputs.clone() }.to_request();
        tileset.validate().unwrap();
        assert_eq!((tileset.frames, tileset.lower.as_deref(), tileset.cells()), (1, Some("grass"), 16));
        let blob = PanelInputs { kind: RequestKind::Tileset, layout: TileLayout::Blob47, ..inputs }.to_request();
        blob.validate().unwrap();
        assert_eq!(blob.cells(), 48);
    }
}
