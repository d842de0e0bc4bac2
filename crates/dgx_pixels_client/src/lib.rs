//! HTTP client for the dgx-pixels generation server, over reqwest with rustls (no OpenSSL).
//!
//! Everything the server offers is one `async` method on [`Client`]: queue a sprite, follow it
//! (as a stream of [`JobEvent`]s or simply [`Client::wait`]), and fetch or [`Client::download`]
//! its three files. Errors are [`ClientError`]s that keep the server's status and
//! [`ErrorBody`], or say plainly that the server cannot be reached.
//!
//! # Example
//! ```no_run
//! use dgx_pixels_client::Client;
//! use dgx_pixels_protocol::{GenerateRequest, JobStatus};
//!
//! # async fn run() -> Result<(), dgx_pixels_client::ClientError> {
//! let client = Client::from_env()?; // DGX_PIXELS_SERVER, DGX_PIXELS_TOKEN
//! let mut request = GenerateRequest::new("knight, walk cycle");
//! request.frames = 4;
//! let accepted = client.generate(&request, None).await?;
//! let job = client.wait(&accepted.job_id).await?;
//! if job.status == JobStatus::Completed {
//!     client.download(&job.id, "assets/generated".as_ref(), "knight").await?;
//! }
//! # Ok(()) }
//! ```
//!
//! # Layout
//! - [`client`]: [`Client`], [`ClientBuilder`] and the environment variables.
//! - [`jobs`]: generate, get, list, cancel, wait, the files and `download`.
//! - [`events`]: the job event stream (Server-Sent Events).
//! - [`error`]: the error type, [`ClientError`].

pub mod client;
pub mod error;
pub mod events;
pub mod jobs;
pub mod uploads;

pub use client::{Client, ClientBuilder, DEFAULT_SERVER, ENV_SERVER, ENV_TOKEN};
pub use dgx_pixels_protocol as protocol;
pub use dgx_pixels_protocol::{ErrorBody, JobEvent};
pub use error::ClientError;
pub use jobs::PixelizeParams;
