//! Stage 6: renderers. Each takes computed results and a writer; nothing here
//! decides anything.

pub mod alembic;
pub mod check;
pub mod github;
pub mod graph;
pub mod human;
pub mod json;
