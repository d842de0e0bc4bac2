//! What a request makes: a sprite, a seamless tile or an autotile tileset, and the rules each
//! kind sets on the other fields.

use serde::{Deserialize, Serialize};

use crate::GenerateRequest;
use crate::limits::{self, FieldError, check_len};

/// What a request makes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum RequestKind {
    /// A sprite on a removed backdrop: characters, creatures, items.
    #[default]
    Sprite,
    /// A square ground tile whose opposite edges continue each other, so that it repeats
    /// without a seam: fully opaque (`background` does not apply), one facing, its pixel grid
    /// aligned to its edges.
    Tile,
    /// An autotile set of two terrains (`lower`, `upper`): seamless tiles of each, and the
    /// transitions between them laid out as `layout` says ([`TileLayout`](crate::TileLayout)), every edge
    /// matching its neighbours'.
    Tileset,
}

impl RequestKind {
    /// The name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Sprite => "sprite",
            RequestKind::Tile => "tile",
            RequestKind::Tileset => "tileset",
        }
    }

    /// Whether this is the default kind (left out of the JSON, so older requests keep their
    /// hash).
    pub fn is_sprite(&self) -> bool {
        *self == RequestKind::Sprite
    }
}

impl GenerateRequest {
    /// The rules of `kind`: a tile or a tileset is square and faces no way; a tileset has both
    /// terrains, one frame and a layout this build makes; the terrain fields belong to a tileset.
    pub(crate) fn validate_kind(&self) -> Result<(), FieldError> {
        let kind = self.kind.as_str();
        if self.kind != RequestKind::Sprite {
            if self.sprite.size().is_some_and(|size| size.width != size.height) {
                return Err(FieldError::NotFor { field: "sprite", kind, rule: "must be square" });
            }
            if self.directions != 1 {
                return Err(FieldError::NotFor { field: "directions", kind, rule: "must be 1" });
            }
        }
        if self.kind != RequestKind::Tileset {
            for (field, given) in
                [("lower", self.lower.is_some()), ("upper", self.upper.is_some()), ("layout", self.layout.is_some())]
            {
                if given {
                    return Err(FieldError::Requires { field, needs: "kind: tileset" });
                }
            }
            return Ok(());
        }
        for (field, terrain) in [("lower", &self.lower), ("upper", &self.upper)] {
            let Some(terrain) = terrain else {
                return Err(FieldError::NotFor { field, kind, rule: "is required (a prompt for the terrain)" });
            };
            check_len(field, terrain.chars().count(), limits::PROMPT_CHARS)?;
            if terrain.trim().is_empty() {
                return Err(FieldError::BadLength { field, min: 1, max: *limits::PROMPT_CHARS.end(), len: 0 });
            }
        }
        if self.frames != 1 {
            return Err(FieldError::NotFor { field: "frames", kind, rule: "must be 1" });
        }
        Ok(())
    }
}
