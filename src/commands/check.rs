//! `db-status check`: the scripts alone, for CI and pre-commit.

use std::io::Write;

use crate::cli::GlobalArgs;

/// Run the scripts-only checks.
pub fn run(g: &GlobalArgs, strict: bool, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let _ = (g, strict, out, err);
    todo!()
}
