//! The frame size a request asks for: pixels, or `"match"`.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::SpriteSize;

/// `sprite`: the final pixel size of one frame, or `"match"`: the median size of the sprites
/// the palette is taken from (`palette: {"from": …}`), measured when the job is submitted (by
/// the server for its sources, by the CLI and the plugin for the game's own files) and stored
/// as a size, so a queued job always has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum SpriteSpec {
    /// Width and height in pixels.
    Size(SpriteSize),
    /// The size of the game's own sprites.
    Match(MatchWord),
}

/// The word `"match"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum MatchWord {
    /// `"match"`.
    Match,
}

/// By hand rather than `untagged`, so that an error inside the size keeps its path
/// (`sprite.width`) instead of becoming "no variant matched".
impl<'de> Deserialize<'de> for SpriteSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpecVisitor;

        impl<'de> Visitor<'de> for SpecVisitor {
            type Value = SpriteSpec;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(r#"{"width", "height"} or "match""#)
            }

            fn visit_str<E: de::Error>(self, word: &str) -> Result<SpriteSpec, E> {
                match word {
                    "match" => Ok(SpriteSpec::MATCH),
                    other => Err(E::invalid_value(de::Unexpected::Str(other), &self)),
                }
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<SpriteSpec, A::Error> {
                SpriteSize::deserialize(de::value::MapAccessDeserializer::new(map)).map(SpriteSpec::Size)
            }
        }

        deserializer.deserialize_any(SpecVisitor)
    }
}

impl SpriteSpec {
    /// `"match"`.
    pub const MATCH: Self = Self::Match(MatchWord::Match);

    /// The size, unless it is still to be matched.
    pub const fn size(self) -> Option<SpriteSize> {
        match self {
            Self::Size(size) => Some(size),
            Self::Match(_) => None,
        }
    }

    /// Whether it is `"match"`.
    pub const fn is_match(self) -> bool {
        matches!(self, Self::Match(_))
    }
}

impl Default for SpriteSpec {
    /// 32×32.
    fn default() -> Self {
        Self::Size(SpriteSize::default())
    }
}

impl From<SpriteSize> for SpriteSpec {
    fn from(size: SpriteSize) -> Self {
        Self::Size(size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_size_or_the_word_match() {
        let size: SpriteSpec = serde_json::from_str(r#"{"width": 24, "height": 16}"#).unwrap();
        assert_eq!(size.size(), Some(SpriteSize::new(24, 16)));
        assert_eq!(serde_json::to_string(&size).unwrap(), r#"{"width":24,"height":16}"#);
        let matched: SpriteSpec = serde_json::from_str(r#""match""#).unwrap();
        assert_eq!(matched, SpriteSpec::MATCH);
        assert_eq!(serde_json::to_string(&matched).unwrap(), r#""match""#);
        assert!(serde_json::from_str::<SpriteSpec>(r#""big""#).is_err());
        assert_eq!(ron::from_str::<SpriteSpec>(r#""match""#).unwrap(), SpriteSpec::MATCH);
        assert_eq!(ron::from_str::<SpriteSpec>("(width: 8, height: 8)").unwrap().size(), Some(SpriteSize::new(8, 8)));
    }
}
