//! HTTP client for the dgx-pixels generation server.
//!
//! Work in progress: the client arrives with the server (issue 3); until then this crate only
//! re-exports the contract types it will speak.

pub use dgx_pixels_protocol as protocol;
