//! Conversion of the `.atlas.ron` layout into Bevy's `TextureAtlasLayout`.

use bevy_image::TextureAtlasLayout;
use bevy_math::{URect, UVec2};
use dgx_pixels_protocol::AtlasLayout;

/// The Bevy layout for a dgx-pixels sheet layout: same sheet size, same frames in the same order.
pub fn to_texture_atlas_layout(layout: &AtlasLayout) -> TextureAtlasLayout {
    let mut atlas = TextureAtlasLayout::new_empty(UVec2::new(layout.size.0, layout.size.1));
    for rect in &layout.textures {
        atlas.add_texture(URect::new(rect.min.0, rect.min.1, rect.max.0, rect.max.1));
    }
    atlas
}

#[cfg(test)]
mod tests {
    use bevy_image::TextureAtlasLayout;
    use dgx_pixels_protocol::{AtlasLayout, SpriteSize};

    use super::*;

    /// The `.atlas.ron` we write is exactly what Bevy's serde impl reads and writes: Bevy parses
    /// it into the same layout our converter builds, and Bevy's own RON of it reads back as ours.
    #[test]
    fn atlas_ron_is_bevys_texture_atlas_layout() {
        for (frames, columns, spacing, padding) in [(1, 1, 0, 0), (4, 4, 0, 0), (7, 3, 1, 2), (64, 8, 0, 0)] {
            let ours = AtlasLayout::grid(SpriteSize::new(32, 24), frames, columns, spacing, padding);
            let text = ours.to_ron();
            let bevy: TextureAtlasLayout = ron::from_str(&text).expect("Bevy reads our .atlas.ron");
            let converted = to_texture_atlas_layout(&ours);
            assert_eq!(bevy.size, converted.size);
            assert_eq!(bevy.textures, converted.textures);
            assert_eq!(bevy.len(), frames as usize);

            let bevy_text = ron::to_string(&bevy).expect("Bevy writes RON");
            assert_eq!(AtlasLayout::from_ron(&bevy_text).expect("we read Bevy's RON"), ours);
        }
    }
}
