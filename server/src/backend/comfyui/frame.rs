//! A frame sent by our `DgxPixelsSendImages` node (`comfyui_nodes/dgx_pixels/send.py`) as one
//! binary WebSocket message: raw pixels, no PNG to encode, store, fetch and decode.
//!
//! The message: ComfyUI's 4-byte big-endian event type ([`FRAME_EVENT`]), a 4-byte big-endian
//! length, that many bytes of JSON header (`prompt_id`, `index`, `count`, `width`, `height`,
//! `channels`), then `width × height × channels` bytes of 8-bit pixels, row by row. The header
//! must describe the pixels exactly; anything else is not a frame.

use std::sync::Arc;

use image::RgbaImage;
use serde::Deserialize;

/// ComfyUI's event type for our frames: "DGXF", clear of its own (1–4).
pub const FRAME_EVENT: u32 = 0x4447_5846;

/// One image of a prompt, as its save node sent it.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    /// The prompt.
    pub prompt_id: String,
    /// Its place among the prompt's images.
    pub index: u32,
    /// How many images the prompt sends.
    pub count: u32,
    /// The pixels.
    pub image: RgbaImage,
}

#[derive(Deserialize)]
struct Header {
    prompt_id: String,
    index: u32,
    count: u32,
    width: u32,
    height: u32,
    channels: u32,
}

impl Frame {
    /// Reads a binary message; `None` if it is not one of our frames (a preview, say) or does
    /// not hold what its header says.
    pub fn parse(message: &[u8]) -> Option<Self> {
        let (event, rest) = split_u32(message)?;
        if event != FRAME_EVENT {
            return None;
        }
        let (len, rest) = split_u32(rest)?;
        let (header, pixels) = rest.split_at_checked(usize::try_from(len).ok()?)?;
        let header: Header = serde_json::from_slice(header).ok()?;
        if header.index >= header.count {
            return None;
        }
        let expected = u64::from(header.width) * u64::from(header.height) * u64::from(header.channels);
        if u64::try_from(pixels.len()).ok()? != expected {
            return None;
        }
        let image = match header.channels {
            3 => {
                let rgba = pixels.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], u8::MAX]).collect();
                RgbaImage::from_raw(header.width, header.height, rgba)?
            }
            4 => RgbaImage::from_raw(header.width, header.height, pixels.to_vec())?,
            _ => return None,
        };
        Some(Self { prompt_id: header.prompt_id, index: header.index, count: header.count, image })
    }
}

/// The frames of one prompt as they arrive, in their places. It shares each frame with the
/// event that brought it, and takes the pixels over once those events are gone.
#[derive(Debug, Default)]
pub struct FrameSet {
    slots: std::sync::Mutex<Vec<Option<Arc<Frame>>>>,
}

impl FrameSet {
    /// Room for `count` frames.
    pub fn new(count: u32) -> Self {
        Self { slots: std::sync::Mutex::new(vec![None; count as usize]) }
    }

    /// Keeps `frame` in its place (one past the places is ignored, and the last of two for
    /// one place wins).
    pub fn put(&self, frame: &Arc<Frame>) {
        let mut slots = self.slots.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(slot) = slots.get_mut(frame.index as usize) {
            *slot = Some(Arc::clone(frame));
        }
    }

    /// Every frame in order, or `None` while any is missing (they went out while the socket
    /// was down). The pixels are copied only if an event still holds a frame.
    pub fn into_frames(self) -> Option<Vec<RgbaImage>> {
        let slots = self.slots.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        slots.into_iter().map(|slot| slot.map(|frame| Arc::unwrap_or_clone(frame).image)).collect()
    }
}

fn split_u32(bytes: &[u8]) -> Option<(u32, &[u8])> {
    let (head, rest) = bytes.split_first_chunk::<4>()?;
    Some((u32::from_be_bytes(*head), rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(event: u32, header: &str, pixels: &[u8]) -> Vec<u8> {
        let mut bytes = event.to_be_bytes().to_vec();
        bytes.extend((header.len() as u32).to_be_bytes());
        bytes.extend(header.as_bytes());
        bytes.extend(pixels);
        bytes
    }

    #[test]
    fn reads_an_rgb_frame() {
        let header = r#"{"prompt_id": "p", "index": 1, "count": 2, "width": 2, "height": 1, "channels": 3}"#;
        let frame = Frame::parse(&message(FRAME_EVENT, header, &[1, 2, 3, 4, 5, 6])).unwrap();
        assert_eq!((frame.prompt_id.as_str(), frame.index, frame.count), ("p", 1, 2));
        assert_eq!(frame.image.into_raw(), [1, 2, 3, 255, 4, 5, 6, 255]);
    }

    #[test]
    fn a_set_is_whole_once_every_place_is_filled() {
        let frame = |index| Arc::new(Frame { prompt_id: "p".into(), index, count: 2, image: RgbaImage::new(1, 1) });
        let set = FrameSet::new(2);
        set.put(&frame(1));
        set.put(&frame(5));
        assert_eq!(set.into_frames(), None);
        let set = FrameSet::new(2);
        set.put(&frame(1));
        set.put(&frame(0));
        assert_eq!(set.into_frames().map(|frames| frames.len()), Some(2));
    }

    #[test]
    fn refuses_what_is_not_a_whole_frame() {
        let header = r#"{"prompt_id": "p", "index": 0, "count": 1, "width": 2, "height": 1, "channels": 3}"#;
        assert_eq!(Frame::parse(&message(1, header, &[0; 6])), None, "a preview");
        assert_eq!(Frame::parse(&message(FRAME_EVENT, header, &[0; 5])), None, "pixels short");
        assert_eq!(Frame::parse(&message(FRAME_EVENT, header, &[0; 7])), None, "pixels over");
        let past = header.replace(r#""index": 0"#, r#""index": 1"#);
        assert_eq!(Frame::parse(&message(FRAME_EVENT, &past, &[0; 6])), None, "index past count");
        let two = header.replace(r#""channels": 3"#, r#""channels": 2"#);
        assert_eq!(Frame::parse(&message(FRAME_EVENT, &two, &[0; 4])), None, "two channels");
        assert_eq!(Frame::parse(&message(FRAME_EVENT, "{", &[0; 6])), None, "header not JSON");
        let mut cut = message(FRAME_EVENT, header, &[0; 6]);
        cut.truncate(10);
        assert_eq!(Frame::parse(&cut), None, "header cut short");
        assert_eq!(Frame::parse(&[0x44, 0x47]), None);
    }
}
