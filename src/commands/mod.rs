//! Wires the stages together for each subcommand. Each command writes its
//! result to stdout, messages to stderr, and returns the process exit code.

pub mod alembic;
pub mod check;
pub mod graph;
pub mod status;

use std::io::Write;

use crate::cli::{Cli, Command};

/// Run the parsed command line; returns the exit code.
pub fn run(cli: Cli) -> u8 {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut err = stderr.lock();
    let code = match cli.command.as_ref().unwrap_or(&Command::Status) {
        Command::Status => status::run(&cli.global, &mut out, &mut err),
        Command::Heads {
            resolve_dependencies,
        } => alembic::heads(&cli.global, *resolve_dependencies, &mut out, &mut err),
        Command::History {
            rev_range,
            indicate_current,
        } => alembic::history(
            &cli.global,
            rev_range.as_deref(),
            *indicate_current,
            &mut out,
            &mut err,
        ),
        Command::Branches => alembic::branches(&cli.global, &mut out, &mut err),
        Command::Current { check_heads } => {
            alembic::current(&cli.global, *check_heads, &mut out, &mut err)
        }
        Command::Show { rev } => alembic::show(&cli.global, rev, &mut out, &mut err),
        Command::Check { strict } => check::run(&cli.global, *strict, &mut out, &mut err),
        Command::Graph {
            last,
            rev_range,
            with_db,
        } => graph::run(
            &cli.global,
            *last,
            rev_range.as_deref(),
            *with_db,
            &mut out,
            &mut err,
        ),
    };
    // A closed pipe (`db-status history | head`) is not an error worth reporting.
    let _ = out.flush();
    code
}
