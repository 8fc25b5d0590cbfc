//! `db-status check`: findings about the scripts alone (no database) for CI
//! and review: diverged heads, dangling links, duplicate ids, cycles, values
//! that cannot be read statically, bad merges, label clashes, docstring drift.
