//! `db-status mcp`: serve the checks as MCP tools over stdio ([`crate::mcp`]).
//! stdout belongs to the protocol; messages go to stderr.

use std::io::Write;

use crate::cli::GlobalArgs;
use crate::error::{Error, ErrorKind, Mode};

/// Run the server until the client disconnects.
pub(crate) fn run(g: &GlobalArgs, err: &mut dyn Write) -> u8 {
    let server = crate::mcp::Server { timeout: g.timeout };
    match crate::mcp::serve(server) {
        Ok(()) => crate::error::Exit::UpToDate.code(),
        Err(message) => {
            let e = Error::new(ErrorKind::Internal, message);
            let _ = err.write_all(e.render().as_bytes());
            e.exit(Mode::Status).code()
        }
    }
}
