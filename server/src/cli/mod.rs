//! One module per CLI verb: its flags (a clap `Args` struct) and its `run`.

mod follow;
pub mod generate;
mod input;
pub mod mcp;
pub mod pack;
pub mod pixelize;
pub mod serve;
pub mod train_style;
