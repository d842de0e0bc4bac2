//! Memory for large decoded images, in huge pages where the operating system offers them.
//!
//! A fresh 1024x1024 RGBA image is 4 MB: 1,024 pages of 4 KB, each one a page fault (a trip
//! into the kernel to find, zero and map a page) the first time it is written. For a one-shot
//! `dgx-pixels pixelize` those faults cost about as much as unfiltering the whole image. Linux's
//! transparent huge pages map 2 MB at a time instead (two faults for the same image), but only
//! for memory that asks for them; the heap does not, so large images get their own anonymous
//! mapping with that advice. Where the advice is refused (huge pages off, another OS), the
//! mapping still works with ordinary pages.

use std::ops::{Deref, DerefMut};

use image::{ImageBuffer, Rgba, RgbaImage};

/// The huge page size of x86-64 and of aarch64 with 4 KB pages.
const HUGE_PAGE: usize = 2 << 20;

/// Below this size the heap is as cheap as a mapping of its own: zeroing one 2 MB huge page
/// costs about what faulting in 90 ordinary pages (360 KB) does.
const MAPPED_FROM: usize = 512 << 10;

/// The bytes of a decoded image: on the heap, or in a mapping of its own (see the module docs).
pub enum PixelMemory {
    /// An ordinary heap buffer.
    Heap(Vec<u8>),
    /// An anonymous mapping advised to use huge pages, of which the first `len` bytes are used.
    Mapped {
        /// The mapping, at least `len` bytes.
        map: memmap2::MmapMut,
        /// Bytes in use.
        len: usize,
    },
}

/// An RGBA8 image decoded into [`PixelMemory`]; the pipeline takes it as it takes an
/// [`RgbaImage`].
pub type DecodedImage = ImageBuffer<Rgba<u8>, PixelMemory>;

impl PixelMemory {
    /// `len` zero bytes: mapped with huge-page advice when `huge` is set and `len` is large,
    /// otherwise (or if the mapping fails) on the heap.
    pub fn zeroed(len: usize, huge: bool) -> Self {
        if huge && len >= MAPPED_FROM {
            // Linux aligns an anonymous mapping to huge pages only when its length is a multiple
            // of them; otherwise part of it falls back to ordinary pages.
            if let Ok(map) = memmap2::MmapMut::map_anon(len.next_multiple_of(HUGE_PAGE)) {
                // Advice only: refused, the mapping keeps ordinary pages.
                #[cfg(target_os = "linux")]
                let _ = map.advise(memmap2::Advice::HugePage);
                return Self::Mapped { map, len };
            }
        }
        Self::Heap(vec![0; len])
    }

    /// The whole of the file at `path`, in huge pages when it is large (an input image read
    /// once and dropped). A file that shrinks while being read is an error, like a short read.
    pub fn read_file(path: &std::path::Path) -> std::io::Result<Self> {
        use std::io::Read;
        let mut file = std::fs::File::open(path)?;
        let len = usize::try_from(file.metadata()?.len()).map_err(std::io::Error::other)?;
        let mut bytes = Self::zeroed(len, true);
        file.read_exact(&mut bytes)?;
        Ok(bytes)
    }

    /// Shortens the buffer to `len` bytes (no-op if it is not longer).
    pub fn truncate(&mut self, new_len: usize) {
        match self {
            Self::Heap(bytes) => {
                bytes.truncate(new_len);
                bytes.shrink_to_fit();
            }
            Self::Mapped { len, .. } => *len = new_len.min(*len),
        }
    }

    /// The bytes as a heap vector: free for [`PixelMemory::Heap`], a copy for a mapping.
    pub fn into_vec(self) -> Vec<u8> {
        match self {
            Self::Heap(bytes) => bytes,
            Self::Mapped { map, len } => map[..len].to_vec(),
        }
    }
}

impl Deref for PixelMemory {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Self::Heap(bytes) => bytes,
            Self::Mapped { map, len } => &map[..*len],
        }
    }
}

impl DerefMut for PixelMemory {
    fn deref_mut(&mut self) -> &mut [u8] {
        match self {
            Self::Heap(bytes) => bytes,
            Self::Mapped { map, len } => &mut map[..*len],
        }
    }
}

/// An [`RgbaImage`] as a [`DecodedImage`], without copying its pixels.
pub fn heap_image(image: RgbaImage) -> DecodedImage {
    let (width, height) = image.dimensions();
    DecodedImage::from_raw(width, height, PixelMemory::Heap(image.into_raw()))
        .expect("an RgbaImage's buffer holds its width x height pixels")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_buffers_are_mapped_small_ones_stay_on_the_heap() {
        let mut large = PixelMemory::zeroed(MAPPED_FROM + 10, true);
        assert!(matches!(large, PixelMemory::Mapped { .. }), "anonymous mappings are available here");
        assert!(large.iter().all(|&b| b == 0));
        large[MAPPED_FROM + 9] = 7;
        large.truncate(MAPPED_FROM);
        assert_eq!(large.len(), MAPPED_FROM);
        assert_eq!(large.into_vec(), vec![0; MAPPED_FROM]);
        assert!(matches!(PixelMemory::zeroed(MAPPED_FROM - 1, true), PixelMemory::Heap(_)));
        assert!(matches!(PixelMemory::zeroed(MAPPED_FROM, false), PixelMemory::Heap(_)));
    }
}
