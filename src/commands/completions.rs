//! `db-status completions SHELL`: the shell completion script, generated
//! from the command-line definition so it never falls behind a new flag.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// Print the completion script for `shell`; returns the exit code.
pub fn run(shell: Shell, out: &mut impl Write, err: &mut impl Write) -> u8 {
    // Generated into memory first: clap_complete panics when its writer
    // fails, and a closed pipe must not become a panic.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "db-status", &mut script);
    super::print_generated(&script, "completion script", out, err)
}
