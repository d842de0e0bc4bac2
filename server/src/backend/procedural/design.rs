//! From prompt and seed to what gets drawn: the subject, its colours and small proportions.

use image::Rgba;

use super::paint::scale;

/// What the sprite shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Subject {
    /// A humanoid that walks.
    Character,
    /// A blob that squashes.
    Slime,
    /// Something with wings that flaps.
    Flyer,
    /// A four-legged animal that trots.
    Beast,
    /// A blade that glints.
    Blade,
    /// A bottle whose bubble rises.
    Potion,
    /// A gem or coin that sparkles.
    Gem,
    /// A chest whose lid lifts.
    Chest,
    /// A seamless ground tile that shimmers.
    Tile,
}

/// Prompt words per subject; the first subject word in the prompt wins.
const SUBJECT_WORDS: &[(Subject, &[&str])] = &[
    (
        Subject::Character,
        &[
            "knight",
            "hero",
            "heroine",
            "warrior",
            "wizard",
            "mage",
            "witch",
            "soldier",
            "villager",
            "player",
            "man",
            "woman",
            "girl",
            "boy",
            "king",
            "queen",
            "prince",
            "princess",
            "ninja",
            "archer",
            "pirate",
            "robot",
            "zombie",
            "skeleton",
            "character",
            "person",
            "npc",
            "elf",
            "dwarf",
            "thief",
            "rogue",
            "paladin",
            "cleric",
            "astronaut",
            "samurai",
            "farmer",
            "guard",
            "merchant",
        ],
    ),
    (Subject::Slime, &["slime", "blob", "jelly", "ooze", "goo"]),
    (Subject::Flyer, &["bat", "bird", "ghost", "fairy", "bee", "butterfly", "crow", "owl", "wasp", "phoenix"]),
    (
        Subject::Beast,
        &[
            "wolf", "dog", "cat", "fox", "boar", "horse", "rat", "bear", "dragon", "lizard", "monster", "beast",
            "creature", "pig", "cow", "sheep", "deer", "frog", "turtle", "spider",
        ],
    ),
    (Subject::Blade, &["sword", "dagger", "blade", "knife", "axe", "spear", "katana", "weapon"]),
    (Subject::Potion, &["potion", "flask", "bottle", "elixir", "vial"]),
    (Subject::Gem, &["gem", "crystal", "diamond", "coin", "orb", "jewel", "ring", "heart", "star", "ruby", "emerald"]),
    (Subject::Chest, &["chest", "box", "crate", "barrel", "treasure"]),
    (
        Subject::Tile,
        &[
            "tile", "tiles", "tileset", "grass", "stone", "wall", "brick", "floor", "water", "dirt", "sand", "lava",
            "ground", "ice", "wood", "terrain",
        ],
    ),
];

/// Colour words and their base colour.
const COLOUR_WORDS: &[(&str, u32)] = &[
    ("red", 0xd03a3a),
    ("crimson", 0xb01f3c),
    ("orange", 0xe8822a),
    ("yellow", 0xf0d03c),
    ("gold", 0xe0b030),
    ("golden", 0xe0b030),
    ("green", 0x4caf50),
    ("lime", 0x9ad83a),
    ("teal", 0x2a9d8f),
    ("cyan", 0x3cc8e0),
    ("blue", 0x3a64d0),
    ("navy", 0x233a7a),
    ("purple", 0x8a4cc8),
    ("violet", 0x8a4cc8),
    ("pink", 0xe87aa8),
    ("magenta", 0xd03aa8),
    ("brown", 0x8a5a34),
    ("white", 0xe8e8e8),
    ("silver", 0xb8c0c8),
    ("gray", 0x808890),
    ("grey", 0x808890),
    ("black", 0x2a2a32),
    ("dark", 0x3a3448),
];

/// Everything the painter needs to draw one sheet.
#[derive(Clone, Debug)]
pub(super) struct Design {
    pub subject: Subject,
    /// Main colour (body, blade, liquid).
    pub primary: Rgba<u8>,
    /// Second colour (clothes, trim, label).
    pub secondary: Rgba<u8>,
    /// Skin, eyes or highlights.
    pub accent: Rgba<u8>,
    /// Proportion jitter in -1..1, so seeds differ visibly but keep the shape.
    pub jitter: [f32; 4],
    /// Words of the prompt, for subject-specific details (`water`, `brick`).
    pub words: Vec<String>,
}

impl Design {
    /// The design for `prompt` and `seed`. Deterministic.
    pub fn from_prompt(prompt: &str, seed: u64) -> Self {
        let words: Vec<String> = prompt
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        let mut rng = SplitMix(seed ^ fnv1a(prompt.to_ascii_lowercase().as_bytes()));
        let subject = words
            .iter()
            .find_map(|word| {
                let singular = word.strip_suffix('s').unwrap_or(word);
                SUBJECT_WORDS
                    .iter()
                    .find(|(_, list)| list.contains(&word.as_str()) || list.contains(&singular))
                    .map(|(subject, _)| *subject)
            })
            .unwrap_or_else(|| [Subject::Character, Subject::Slime, Subject::Beast][(rng.next() % 3) as usize]);
        let mut colours = words.iter().filter_map(|word| COLOUR_WORDS.iter().find(|(name, _)| name == word));
        // A named colour still varies a little with the seed, so every seed gives other pixels.
        let shade = 0.85 + 0.3 * rng.unit();
        let primary = colours.next().map_or_else(|| hue_colour(rng.unit()), |(_, rgb)| scale(from_hex(*rgb), shade));
        let secondary = colours.next().map_or_else(|| shift(primary, &mut rng), |(_, rgb)| from_hex(*rgb));
        let accent = match subject {
            Subject::Character => [0xf0c8a0, 0xd8a070, 0x8a5a3c][(rng.next() % 3) as usize],
            Subject::Blade | Subject::Chest => 0xe0b030,
            _ => 0xf8f8f0,
        };
        let jitter = [rng.signed(), rng.signed(), rng.signed(), rng.signed()];
        Self { subject, primary, secondary, accent: from_hex(accent), jitter, words }
    }

    /// Whether the prompt has `word`.
    pub fn has(&self, word: &str) -> bool {
        self.words.iter().any(|w| w == word)
    }
}

/// A colour of full saturation-ish at hue `h` (0..1), for prompts without colour words.
fn hue_colour(h: f32) -> Rgba<u8> {
    let channel = |offset: f32| {
        let x = ((h + offset).fract() * 6.0 - 3.0).abs() - 1.0;
        (x.clamp(0.0, 1.0) * 170.0 + 50.0) as u8
    };
    Rgba([channel(0.0), channel(2.0 / 3.0), channel(1.0 / 3.0), 255])
}

/// A second colour that contrasts with `base`.
fn shift(base: Rgba<u8>, rng: &mut SplitMix) -> Rgba<u8> {
    let [r, g, b, a] = base.0;
    let mix = |c: u8, other: u8| ((u16::from(c) + u16::from(other)) / 2) as u8;
    match rng.next() % 3 {
        0 => Rgba([mix(b, 60), mix(r, 60), mix(g, 60), a]),
        1 => Rgba([mix(g, 40), mix(b, 40), mix(r, 40), a]),
        _ => Rgba([90, 70, 60, a]),
    }
}

fn from_hex(rgb: u32) -> Rgba<u8> {
    Rgba([(rgb >> 16) as u8, (rgb >> 8) as u8, rgb as u8, 255])
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// SplitMix64: tiny, fast and the same on every platform, which is all a placeholder needs.
pub(super) struct SplitMix(pub u64);

impl SplitMix {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in 0..1.
    pub fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in -1..1.
    pub fn signed(&mut self) -> f32 {
        self.unit() * 2.0 - 1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_words_choose_subject_and_colour() {
        let design = Design::from_prompt("Knight, walk cycle, side view, red armour", 1);
        assert_eq!(design.subject, Subject::Character);
        let [r, g, b, _] = design.primary.0;
        assert!(r > 2 * g && r > 2 * b, "{:?} is not red", design.primary);
        assert_eq!(Design::from_prompt("green slimes", 1).subject, Subject::Slime);
        assert_eq!(Design::from_prompt("a bat", 1).subject, Subject::Flyer);
        assert_eq!(Design::from_prompt("stone brick tile", 1).subject, Subject::Tile);
        assert_eq!(Design::from_prompt("health potion", 1).subject, Subject::Potion);
    }
}
