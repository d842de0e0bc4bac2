//! The settings of a [`Pipeline`] and the checks that they agree.

use dgx_pixels_protocol::{Background, GenerateRequest, Palette, PaletteSpec, RequestKind, Rgb, limits};

use super::{Pipeline, PipelineError, TargetSize};

/// The settings of a [`Pipeline`], with `&mut self` setters; see each setter for its default.
#[derive(Clone, Debug)]
pub struct PipelineBuilder {
    pub(super) size: TargetSize,
    pub(super) colors: u16,
    pub(super) palette: Option<Palette>,
    pub(super) background: Background,
    pub(super) dither: bool,
    pub(super) outline: Option<Rgb>,
    pub(super) trim: bool,
    pub(super) align: bool,
    pub(super) tile: bool,
    pub(super) seed: u64,
}

impl Default for PipelineBuilder {
    fn default() -> Self {
        Self {
            size: TargetSize::Auto,
            colors: 16,
            palette: None,
            background: Background::Transparent,
            dither: false,
            outline: None,
            trim: false,
            align: false,
            tile: false,
            seed: 0,
        }
    }
}

impl PipelineBuilder {
    /// A builder with the defaults: auto size, 16 colours, fitted palette, backdrop removed.
    pub fn new() -> Self {
        Self::default()
    }

    /// The output size. Default [`TargetSize::Auto`].
    pub fn size(&mut self, size: TargetSize) -> &mut Self {
        self.size = size;
        self
    }

    /// The colour budget of a fitted palette, transparency counting as one colour when the
    /// sprite has any (as in an indexed PNG). Default 16; ignored when a palette is given.
    pub fn colors(&mut self, colors: u16) -> &mut Self {
        self.colors = colors;
        self
    }

    /// A fixed palette to map to instead of fitting one. Default `None` (fit).
    pub fn palette(&mut self, palette: Option<Palette>) -> &mut Self {
        self.palette = palette;
        self
    }

    /// Whether to remove the backdrop. Default [`Background::Transparent`]; use
    /// [`Background::Keep`] for tiles, which have no backdrop.
    pub fn background(&mut self, background: Background) -> &mut Self {
        self.background = background;
        self
    }

    /// Ordered (Bayer) dithering onto the palette. Default off: it suits gradients, not sprites
    /// whose colours the palette already holds.
    pub fn dither(&mut self, dither: bool) -> &mut Self {
        self.dither = dither;
        self
    }

    /// A 1-pixel outline in this colour around the opaque shape. Default none.
    pub fn outline(&mut self, outline: Option<Rgb>) -> &mut Self {
        self.outline = outline;
        self
    }

    /// Crop all frames to their shared opaque bounding box. Default off.
    pub fn trim(&mut self, trim: bool) -> &mut Self {
        self.trim = trim;
        self
    }

    /// Moves every frame's pixels so that all stand on one baseline, centred on the frame's
    /// middle ([`crate::align`]). Default off: a one-facing animation keeps its frames where
    /// they were drawn (a jump must leave the ground); a sheet of facings turns it on, since one
    /// character must not hop or slide as it turns.
    pub fn align(&mut self, align: bool) -> &mut Self {
        self.align = align;
        self
    }

    /// A seamless tile (a periodic image): it is rolled so that the detected grid starts at
    /// its edges, then cut in equal cells from edge to edge, so the first and last columns and
    /// rows are whole cells and opposite edges still meet after downsampling
    /// ([`crate::tile`]); no backdrop is removed (a tile has none, whatever
    /// [`Self::background`] says). Default off.
    pub fn tile(&mut self, tile: bool) -> &mut Self {
        self.tile = tile;
        self
    }

    /// Seed of the palette fit; the same seed and frames give the same palette. Default 0.
    pub fn seed(&mut self, seed: u64) -> &mut Self {
        self.seed = seed;
        self
    }

    /// The settings a generate request asks for (sprite size, colours, palette, background;
    /// aligned when it has directions), with `seed` for the palette fit: what the server runs on a job's frames, and what a client
    /// re-processing those frames must run to match it. A palette preset this build does not
    /// know is left out; `GenerateRequest::validate` refuses those.
    pub fn for_request(request: &GenerateRequest, seed: u64) -> Self {
        let mut builder = Self::new();
        builder
            .size(TargetSize::Exact(request.sprite_size()))
            .colors(request.colors)
            .palette(request.palette.as_ref().and_then(PaletteSpec::resolve))
            .background(request.background)
            .align(request.directions > 1)
            .tile(request.kind != RequestKind::Sprite)
            .seed(seed);
        builder
    }

    /// Checks the settings and builds the pipeline.
    pub fn build(&self) -> Result<Pipeline, PipelineError> {
        if !limits::COLORS.contains(&self.colors) {
            return Err(PipelineError::ColorsOutOfRange {
                colors: self.colors,
                min: *limits::COLORS.start(),
                max: *limits::COLORS.end(),
            });
        }
        if let Some(palette) = &self.palette
            && !limits::PALETTE_LIST.contains(&palette.len())
        {
            return Err(PipelineError::PaletteSize { len: palette.len(), max: *limits::PALETTE_LIST.end() });
        }
        if let TargetSize::Exact(size) = self.size
            && (size.width == 0 || size.height == 0)
        {
            return Err(PipelineError::EmptyTarget { width: size.width, height: size.height });
        }
        Ok(Pipeline { settings: self.clone() })
    }
}
