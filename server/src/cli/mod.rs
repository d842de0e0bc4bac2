//! One module per CLI verb: its flags (a clap `Args` struct) and its `run`.

pub mod pack;
pub mod pixelize;
