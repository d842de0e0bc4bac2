//! Aseprite's sprite-sheet JSON ("array" flavour), for tools that read Aseprite exports
//! (LDtk, Tiled importers, engine plugins) rather than Bevy's `.atlas.ron`.

use dgx_pixels_protocol::{AnimationDirection, AtlasLayout, SpriteMeta};
use serde_json::{Value, json};

/// The JSON Aseprite writes with `--format json-array` for this sheet, naming `image_file`
/// (the PNG's file name, relative to the JSON) in its `meta.image`.
pub fn aseprite_json(layout: &AtlasLayout, meta: &SpriteMeta, image_file: &str) -> Value {
    let frames: Vec<Value> = layout
        .textures
        .iter()
        .enumerate()
        .map(|(index, rect)| {
            let size = rect.size();
            json!({
                "filename": format!("{} {index}.aseprite", meta.name),
                "frame": {"x": rect.min.0, "y": rect.min.1, "w": size.width, "h": size.height},
                "rotated": false,
                "trimmed": false,
                "spriteSourceSize": {"x": 0, "y": 0, "w": size.width, "h": size.height},
                "sourceSize": {"w": size.width, "h": size.height},
                "duration": meta.frame_durations_ms.get(index).copied().unwrap_or(100),
            })
        })
        .collect();
    let tags: Vec<Value> = meta
        .tags
        .iter()
        .map(|tag| {
            let direction = match tag.direction {
                AnimationDirection::Forward => "forward",
                AnimationDirection::Reverse => "reverse",
                AnimationDirection::PingPong => "pingpong",
            };
            json!({"name": tag.name, "from": tag.first, "to": tag.last, "direction": direction})
        })
        .collect();
    json!({
        "frames": frames,
        "meta": {
            "app": "https://github.com/dgx-pixels/dgx-pixels",
            "version": env!("CARGO_PKG_VERSION"),
            "image": image_file,
            "format": "RGBA8888",
            "size": {"w": layout.size.0, "h": layout.size.1},
            "scale": "1",
            "frameTags": tags,
            "layers": [],
            "slices": [],
        }
    })
}

#[cfg(test)]
mod tests {
    use dgx_pixels_protocol::{AnimationTag, Palette, SpriteSize};

    use super::*;

    #[test]
    fn frames_and_tags_follow_asepites_names() {
        let layout = AtlasLayout::grid(SpriteSize::new(16, 8), 3, 3, 0, 0);
        let meta = SpriteMeta {
            format: 1,
            name: "bat".into(),
            frame_size: SpriteSize::new(16, 8),
            frames: 3,
            columns: 3,
            frame_durations_ms: vec![80, 120, 80],
            tags: vec![AnimationTag { name: "fly".into(), first: 0, last: 2, direction: AnimationDirection::PingPong }],
            pivot: (0.5, 0.5),
            palette: Palette::default(),
            provenance: None,
            tileset: None,
            grid_confidence: None,
        };
        let json = aseprite_json(&layout, &meta, "bat.png");
        assert_eq!(json["frames"][1]["frame"], json!({"x": 16, "y": 0, "w": 16, "h": 8}));
        assert_eq!(json["frames"][1]["duration"], 120);
        assert_eq!(json["meta"]["size"], json!({"w": 48, "h": 8}));
        assert_eq!(json["meta"]["frameTags"][0], json!({"name": "fly", "from": 0, "to": 2, "direction": "pingpong"}));
        assert_eq!(json["meta"]["image"], "bat.png");
    }
}
