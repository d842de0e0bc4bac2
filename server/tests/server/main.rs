//! End-to-end tests of the generation server: a real server on a loopback port, a real SQLite
//! file in a temporary folder, spoken to over HTTP by `dgx_pixels_client` or raw reqwest.
//!
//! - `lifecycle`: submit, follow, download; idempotency; determinism.
//! - `events`: SSE order and cancel of queued and running jobs.
//! - `load`: 100 concurrent submissions.
//! - `crash`: SIGKILL the real binary with jobs queued and running, restart, all complete.
//! - `invalid`: a table of bad requests, each a 4xx naming its field; never a 5xx.
//! - `security`: the token rules.
//! - `shutdown`: running jobs finish within the grace, the rest resumes.
//! - `models`: the models folder watched live.
//! - `openapi`: the OpenAPI document lists every route and describes every JSON body.
//! - `facings`: sheets of a character that turns: rows, tags, mirrors, one baseline.
//! - `tiles`: seamless tiles: square, opaque, no seam when laid next to themselves.
//! - `variation`: img2img on the procedural backend, a variation of a finished sprite.
//! - `palette_from`: a palette taken from the game's sprites or a finished job; bad sources.

mod crash;
mod events;
mod facings;
#[path = "../support/game_colours.rs"]
mod game_colours;
mod invalid;
mod lifecycle;
mod load;
mod models;
mod openapi;
mod palette_from;
mod security;
mod shutdown;
mod tiles;
mod util;
mod variation;
