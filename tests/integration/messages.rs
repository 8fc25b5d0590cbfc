//! Every user-facing message is a snapshot (issue 10 item 6): each state,
//! each error kind, each `check` finding and each `wait`/fleet outcome is
//! one insta snapshot of whole runs — the command line, the exit code,
//! stdout and stderr — in every form the command has (human, `--ascii`,
//! JSON; `github` for `check`). A changed message then shows up in review
//! as a diff of `tests/integration/snapshots/integration__messages__*.snap`.
//!
//! Each scenario is real: SQLite files for the states, the local
//! PostgreSQL and MariaDB servers (and fake or silent listeners) for the
//! connection errors, broken files for the configuration errors.
//! Temporary paths, ports, database names, elapsed times and the version
//! are redacted so the snapshots do not depend on the machine.

mod scene;

mod commands;
mod config;
mod database;
mod states;
