//! Stage 6: renderers. Each takes computed results and a writer; nothing here
//! decides anything.

pub mod alembic;
