//! db-status: where does each database stand against its Alembic migration
//! scripts, and what should be done next?
//!
//! The crate is laid out in the order data flows through it:
//!
//! 1. [`config`]: `alembic.ini` / `pyproject.toml` / `db-status.toml` →
//!    [`config::AlembicConfig`] (script location, version locations, URL, …).
//! 2. [`scripts`]: revision files read as text (never executed) →
//!    [`scripts::Script`] in Alembic's load order.
//! 3. [`graph`]: Alembic's revision map → heads, bases, labels, resolution,
//!    history order and the upgrade plan.
//! 4. [`database`]: the version table, read strictly read-only.
//! 5. [`status`]: scripts + database rows → a verdict with pending revisions
//!    and recommended actions.
//! 6. [`report`]: renderers (human, JSON, Alembic-compatible, GitHub, graph).
//!
//! [`commands`] wires these stages together for each subcommand; `main.rs`
//! only parses flags. The library API is internal to the binary and carries
//! no semver promise.

pub mod check;
pub mod cli;
pub mod commands;
pub mod config;
pub mod database;
pub mod graph;
pub mod report;
pub mod scripts;
pub mod status;
