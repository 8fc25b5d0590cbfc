//! db-status: where does each database stand against its Alembic migration
//! scripts, and what should be done next?
//!
//! The crate is laid out in the order data flows through it:
//!
//! 1. [`config`]: `alembic.ini` / `pyproject.toml` / `db-status.toml` →
//!    [`config::AlembicConfig`] (script location, version locations, URL, …).
//! 2. `target`: a component resolved once per run into targets: config,
//!    URL and its source, version table, connection options, advice command.
//! 3. [`scripts`]: revision files read as text (never executed) →
//!    [`scripts::Script`] in Alembic's load order.
//! 4. [`graph`]: Alembic's revision map → heads, bases, labels, resolution,
//!    history order, the upgrade plan and the one divergence analysis.
//! 5. [`database`]: the version table, read strictly read-only, one bounded
//!    read per target.
//! 6. [`status`]: scripts + database read → a verdict with pending revisions
//!    and recommended actions.
//! 7. [`report`]: renderers (human, JSON, Alembic-compatible, GitHub, graph).
//!
//! Beside the stages: `releases` reads release comments and release dumps
//! (what a release branch skipped), `drift` compares a Backend.AI
//! component's ini with its server config, and `check::base` compares the
//! scripts with those at a git ref (`check --base`).
//!
//! `inspect` checks a list of targets (bounded concurrency) and
//! `report::status` renders the result; `serve` serves it over HTTP; [`commands`] wires the stages
//! together for each subcommand; `main.rs` only parses flags. [`error`] is
//! the one error model and exit-code table; `python` is the one place for
//! Python's string and number rules (`isspace`, `strip`, `repr`, `int`,
//! `splitlines`). The library API is internal to
//! the binary and carries no semver promise.

// A panic is never the answer to bad input: errors are values. Tests may unwrap.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]
// Only what the binary, the integration tests, the fuzz targets and the
// examples use is `pub`; everything else is `pub(crate)`, so rustc reports
// dead code instead of keeping it alive as public API.
#![warn(unreachable_pub)]

pub(crate) mod check;
pub mod cli;
pub mod commands;
pub mod config;
pub mod database;
pub(crate) mod drift;
pub(crate) mod envpy;
pub mod error;
#[cfg(test)]
mod fixture;
pub(crate) mod fleet;
pub mod graph;
pub(crate) mod inspect;
pub(crate) mod mcp;
pub(crate) mod python;
pub(crate) mod releases;
pub mod report;
pub mod scripts;
pub(crate) mod serve;
pub(crate) mod shell;
pub mod status;
pub(crate) mod target;
pub(crate) mod wait;
