//! `db-status graph`: the revision graph as Mermaid or Graphviz dot.

use std::io::Write;

use crate::cli::GlobalArgs;

/// Render the revision graph.
pub fn run(
    g: &GlobalArgs,
    last: Option<usize>,
    rev_range: Option<&str>,
    with_db: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let _ = (g, last, rev_range, with_db, out, err);
    todo!()
}
