//! Stage 6: renderers. Each takes computed results and a writer; nothing here
//! decides anything.

pub(crate) mod alembic;
pub(crate) mod check;
pub(crate) mod fleet;
pub(crate) mod github;
pub(crate) mod graph;
pub mod human;
pub mod json;
pub(crate) mod listing;
#[cfg(test)]
mod schema_tests;

use std::io::{self, Write};

use crate::status::Report;

/// How to render a status report.
#[derive(Debug, Clone, Copy)]
pub(crate) enum StatusFormat {
    /// The seed's blocks, for people.
    Human(human::HumanOptions),
    /// One JSON document.
    Json,
}

/// Render a status report (every command that reports statuses goes through here).
pub(crate) fn status(report: &Report, format: StatusFormat, out: &mut dyn Write) -> io::Result<()> {
    match format {
        StatusFormat::Human(opts) => human::render(report, &opts, out),
        StatusFormat::Json => json::render(report, out),
    }
}
