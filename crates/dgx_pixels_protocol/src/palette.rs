//! Colours, palettes and the named palette presets.
//!
//! A palette travels as `#rrggbb` strings so that people can read and write it in JSON and RON
//! by hand; [`Rgb`] does that conversion in its serde impls.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An opaque sRGB colour, written `#rrggbb`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Rgb(pub [u8; 3]);

impl Rgb {
    /// Builds a colour from its 24-bit `0xRRGGBB` value.
    pub const fn from_u32(value: u32) -> Self {
        Self([(value >> 16) as u8, (value >> 8) as u8, value as u8])
    }
}

/// Why a `#rrggbb` string was not a colour.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a colour; expected `#rrggbb`")]
pub struct ParseRgbError(pub String);

impl FromStr for Rgb {
    type Err = ParseRgbError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex = s.strip_prefix('#').unwrap_or(s);
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ParseRgbError(s.to_owned()));
        }
        u32::from_str_radix(hex, 16).map(Rgb::from_u32).map_err(|_| ParseRgbError(s.to_owned()))
    }
}

impl fmt::Display for Rgb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b] = self.0;
        write!(f, "#{r:02x}{g:02x}{b:02x}")
    }
}

impl Serialize for Rgb {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Rgb {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// In OpenAPI a colour is what it is in JSON: a `#rrggbb` string.
#[cfg(feature = "utoipa")]
impl utoipa::PartialSchema for Rgb {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .pattern(Some("^#?[0-9a-fA-F]{6}$"))
            .description(Some("An opaque sRGB colour, `#rrggbb`."))
            .into()
    }
}

#[cfg(feature = "utoipa")]
impl utoipa::ToSchema for Rgb {}

/// An ordered list of colours that a sprite may use.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Palette(pub Vec<Rgb>);

impl Palette {
    /// The preset called `name` (case-insensitive), or `None` when there is no such preset.
    pub fn preset(name: &str) -> Option<Palette> {
        let name = name.to_ascii_lowercase();
        PRESETS
            .iter()
            .find(|(preset, _)| *preset == name)
            .map(|(_, colours)| Palette(colours.iter().copied().map(Rgb::from_u32).collect()))
    }

    /// Names of every preset, in the order they are documented.
    pub fn preset_names() -> impl Iterator<Item = &'static str> {
        PRESETS.iter().map(|(name, _)| *name)
    }

    /// The colours.
    pub fn colors(&self) -> &[Rgb] {
        &self.0
    }

    /// Number of colours.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the palette has no colour.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// How a request names its palette: a preset name, or an explicit list of colours.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum PaletteSpec {
    /// A preset from [`Palette::preset_names`], e.g. `"pico8"`.
    Preset(String),
    /// Explicit colours, e.g. `["#000000", "#ffffff"]`.
    Colors(Vec<Rgb>),
    /// The colours of images the server reads: `{"from": [SOURCE, …]}`, a SOURCE being a
    /// finished job's id or an image or folder inside the server's allowed roots. The server
    /// fits the palette when the job is submitted and stores it as [`PaletteSpec::Colors`].
    From(PaletteFrom),
}

/// `{"from": [SOURCE, …]}`: where a palette's colours come from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct PaletteFrom {
    /// Finished job ids, or image or folder paths (absolute, or relative to the server's first
    /// allowed root).
    pub from: Vec<String>,
}

impl PaletteSpec {
    /// The palette this names, or `None` for an unknown preset or sources not yet read.
    pub fn resolve(&self) -> Option<Palette> {
        match self {
            PaletteSpec::Preset(name) => Palette::preset(name),
            PaletteSpec::Colors(colours) => Some(Palette(colours.clone())),
            // Resolved by the server before the job is queued; never reaches a pipeline.
            PaletteSpec::From(_) => None,
        }
    }
}

/// The presets, as `0xRRGGBB` values.
const PRESETS: &[(&str, &[u32])] = &[
    ("pico8", &PICO8),
    ("nes", &NES),
    ("gameboy", &GAMEBOY),
    ("endesga32", &ENDESGA32),
    ("cga", &CGA),
    ("grayscale4", &GRAYSCALE4),
];

/// PICO-8's fixed 16-colour palette.
const PICO8: [u32; 16] = [
    0x000000, 0x1d2b53, 0x7e2553, 0x008751, 0xab5236, 0x5f574f, 0xc2c3c7, 0xfff1e8, 0xff004d, 0xffa300, 0xffec27,
    0x00e436, 0x29adff, 0x83769c, 0xff77a8, 0xffccaa,
];

/// The NES PPU's colours as commonly emulated (duplicates and the "blacker than black" removed).
const NES: [u32; 54] = [
    0x7c7c7c, 0x0000fc, 0x0000bc, 0x4428bc, 0x940084, 0xa80020, 0xa81000, 0x881400, 0x503000, 0x007800, 0x006800,
    0x005800, 0x004058, 0x000000, 0xbcbcbc, 0x0078f8, 0x0058f8, 0x6844fc, 0xd800cc, 0xe40058, 0xf83800, 0xe45c10,
    0xac7c00, 0x00b800, 0x00a800, 0x00a844, 0x008888, 0xf8f8f8, 0x3cbcfc, 0x6888fc, 0x9878f8, 0xf878f8, 0xf85898,
    0xf87858, 0xfca044, 0xf8b800, 0xb8f818, 0x58d854, 0x58f898, 0x00e8d8, 0x787878, 0xfcfcfc, 0xa4e4fc, 0xb8b8f8,
    0xd8b8f8, 0xf8b8f8, 0xf8a4c0, 0xf0d0b0, 0xfce0a8, 0xf8d878, 0xd8f878, 0xb8f8b8, 0xb8f8d8, 0x00fcfc,
];

/// The original Game Boy's four greens, darkest first.
const GAMEBOY: [u32; 4] = [0x0f380f, 0x306230, 0x8bac0f, 0x9bbc0f];

/// ENDESGA 32, a popular general-purpose pixel-art palette.
const ENDESGA32: [u32; 32] = [
    0xbe4a2f, 0xd77643, 0xead4aa, 0xe4a672, 0xb86f50, 0x733e39, 0x3e2731, 0xa22633, 0xe43b44, 0xf77622, 0xfeae34,
    0xfee761, 0x63c74d, 0x3e8948, 0x265c42, 0x193c3e, 0x124e89, 0x0099db, 0x2ce8f5, 0xffffff, 0xc0cbdc, 0x8b9bb4,
    0x5a6988, 0x3a4466, 0x262b44, 0x181425, 0xff0044, 0x68386c, 0xb55088, 0xf6757a, 0xe8b796, 0xc28569,
];

/// IBM CGA's 16 colours.
const CGA: [u32; 16] = [
    0x000000, 0x0000aa, 0x00aa00, 0x00aaaa, 0xaa0000, 0xaa00aa, 0xaa5500, 0xaaaaaa, 0x555555, 0x5555ff, 0x55ff55,
    0x55ffff, 0xff5555, 0xff55ff, 0xffff55, 0xffffff,
];

/// Four evenly spaced greys.
const GRAYSCALE4: [u32; 4] = [0x000000, 0x555555, 0xaaaaaa, 0xffffff];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rgb_round_trips_through_hex() {
        let colour: Rgb = "#1D2b53".parse().unwrap();
        assert_eq!(colour, Rgb([0x1d, 0x2b, 0x53]));
        assert_eq!(colour.to_string(), "#1d2b53");
        assert!("#12345".parse::<Rgb>().is_err());
        assert!("#12345g".parse::<Rgb>().is_err());
        assert!("#1234567".parse::<Rgb>().is_err());
    }

    #[test]
    fn presets_have_distinct_colours() {
        for name in Palette::preset_names() {
            let palette = Palette::preset(name).unwrap();
            let mut colours = palette.0.clone();
            colours.sort();
            colours.dedup();
            assert_eq!(colours.len(), palette.len(), "{name} repeats a colour");
        }
        assert_eq!(Palette::preset("PICO8").unwrap().len(), 16);
        assert!(Palette::preset("nope").is_none());
    }

    #[test]
    fn palette_spec_accepts_name_or_list() {
        let spec: PaletteSpec = serde_json::from_str(r#""gameboy""#).unwrap();
        assert_eq!(spec.resolve().unwrap().len(), 4);
        let spec: PaletteSpec = serde_json::from_str(r##"["#000000", "#ffffff"]"##).unwrap();
        assert_eq!(spec.resolve().unwrap().0[1], Rgb([255, 255, 255]));
        assert!(serde_json::from_str::<PaletteSpec>(r#"["red"]"#).is_err());
    }
}
