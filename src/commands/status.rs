//! `db-status [status]`: every selected component's verdict.

use std::io::Write;

use crate::cli::GlobalArgs;

/// Run the status check for the selected components.
pub fn run(g: &GlobalArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let _ = (g, out, err);
    todo!()
}
