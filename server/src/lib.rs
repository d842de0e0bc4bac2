//! The dgx-pixels generation server, as a library that can be embedded, and the `dgx-pixels` CLI.
//!
//! Work in progress: the HTTP server and job queue arrive with issue 3. The CLI's offline verbs
//! (`pixelize`, `pack`) work today.
