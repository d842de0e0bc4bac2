//! `dgx-pixels`: the generation server and its command-line tools.
//!
//! `main` only parses flags and dispatches to one module per verb under `cli/`. Every error ends
//! as one line on stderr and a non-zero exit status.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Pixel-art sprites for Bevy games: serve, generate, pixelize, pack, mcp, train-style.
#[derive(Parser)]
#[command(name = "dgx-pixels", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the generation server (HTTP API, job queue, backends).
    Serve(cli::serve::ServeArgs),
    /// Generate a sprite on a server and write NAME.png, NAME.atlas.ron and NAME.sprite.ron.
    Generate(cli::generate::GenerateArgs),
    /// Turn an upscaled, smooth "pixel-art looking" image into a true pixel-art sprite.
    Pixelize(cli::pixelize::PixelizeArgs),
    /// Pack sprites into one sheet with its .atlas.ron and .sprite.ron.
    Pack(cli::pack::PackArgs),
    /// Serve the MCP tools for AI assistants on stdin/stdout (`mcp --stdio`).
    Mcp(cli::mcp::McpArgs),
    /// Train a style (a LoRA) on the server from sprites, and print its file once installed.
    TrainStyle(cli::train_style::TrainStyleArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Serve(args) => cli::serve::run(args),
        Command::Generate(args) => cli::generate::run(args),
        Command::Pixelize(args) => cli::pixelize::run(args),
        Command::Pack(args) => cli::pack::run(args),
        Command::Mcp(args) => cli::mcp::run(args),
        Command::TrainStyle(args) => cli::train_style::run(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
