//! What the integration tests share: running the binary, throw-away
//! projects and databases, the Python/Alembic oracle, and the rules for
//! which tests may be skipped (`environment`).

pub mod environment;
pub mod json_schema;
pub mod oracle;
pub mod pg_cluster;

mod common;
mod fake_postgres;
mod rng;
mod services;
mod tree;

pub use common::*;
pub use environment::{Need, python, python_json, python_per_line, python_per_path, python_stdio};
pub use fake_postgres::FakePostgres;
pub use rng::Rng;
pub use services::*;
pub use tree::*;
