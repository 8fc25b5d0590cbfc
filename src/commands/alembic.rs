//! `heads`, `history`, `branches`, `current`, `show`: the same bytes Alembic
//! 1.20 prints for the same tree, from the files read as text.

use std::io::Write;

use crate::cli::GlobalArgs;

/// `db-status heads [-v] [--resolve-dependencies]`.
pub fn heads(
    g: &GlobalArgs,
    resolve_dependencies: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let _ = (g, resolve_dependencies, out, err);
    todo!()
}

/// `db-status history [-r RANGE] [-v] [-i]`.
pub fn history(
    g: &GlobalArgs,
    rev_range: Option<&str>,
    indicate_current: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let _ = (g, rev_range, indicate_current, out, err);
    todo!()
}

/// `db-status branches [-v]`.
pub fn branches(g: &GlobalArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let _ = (g, out, err);
    todo!()
}

/// `db-status current [-v] [--check-heads]`.
pub fn current(g: &GlobalArgs, check_heads: bool, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let _ = (g, check_heads, out, err);
    todo!()
}

/// `db-status show REV`.
pub fn show(g: &GlobalArgs, rev: &str, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let _ = (g, rev, out, err);
    todo!()
}
