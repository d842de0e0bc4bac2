//! Read-only views of RGBA8 images, the form in which every stage reads its input.
//!
//! Frames arrive in different memory: `RgbaImage`s on the heap, [`crate::DecodedImage`]s in huge
//! pages. Taking a view (a borrowed slice with its size) lets the stages be compiled once, here,
//! with their inner loops optimised together, rather than once per container type in every crate
//! that calls them.

use std::ops::Deref;

use image::{ImageBuffer, Rgba};

/// An RGBA8 image borrowed from any container.
pub type RgbaView<'a> = ImageBuffer<Rgba<u8>, &'a [u8]>;

/// Borrows `image` as an [`RgbaView`].
pub fn view<C: Deref<Target = [u8]>>(image: &ImageBuffer<Rgba<u8>, C>) -> RgbaView<'_> {
    let (width, height) = image.dimensions();
    RgbaView::from_raw(width, height, image.as_raw()).expect("an image's buffer holds its width x height pixels")
}
