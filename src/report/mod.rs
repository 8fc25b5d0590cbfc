//! Stage 6: renderers. Each takes computed results and a writer; nothing here
//! decides anything.

pub mod alembic;
pub mod check;
pub mod fleet;
pub mod github;
pub mod graph;
pub mod human;
pub mod json;
pub mod listing;

use std::io::{self, Write};

use crate::status::Report;

/// How to render a status report.
#[derive(Debug, Clone, Copy)]
pub enum StatusFormat {
    /// The seed's blocks, for people.
    Human(human::HumanOptions),
    /// One JSON document.
    Json,
}

/// Render a status report (every command that reports statuses goes through here).
pub fn status(report: &Report, format: StatusFormat, out: &mut dyn Write) -> io::Result<()> {
    match format {
        StatusFormat::Human(opts) => human::render(report, &opts, out),
        StatusFormat::Json => json::render(report, out),
    }
}
