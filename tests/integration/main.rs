//! The integration suite: one test binary (`cargo nextest run --test integration`),
//! one module per area, and one `support` module they all share.

mod support;

mod agents_json;
mod agents_mcp;
mod agents_skill;
mod check_base;
mod check_findings;
mod completions_man;
mod config_alembic;
mod config_drift;
mod conformance;
mod database_mysql;
mod database_pgpass;
mod database_postgres;
mod database_search_path;
mod database_sqlite;
mod database_tls;
mod database_url_oracle;
mod divergence_agreement;
mod envpy_alembic;
mod fleet;
mod fuzz_regressions;
mod graph_alembic_fuzz;
mod graph_cli_errors;
mod graph_render;
mod graph_transcripts;
mod hardening_input;
mod hardening_masking;
mod hardening_readonly;
mod hardening_secrets;
mod hardening_time;
mod ini_differential;
mod packaging;
mod python_fallback;
mod releases;
mod scanner_vs_alembic;
mod scanner_vs_ast;
mod serve;
mod status_cli;
mod status_demo;
mod status_faults;
mod status_postgres;
mod status_sources;
mod status_targets;
mod status_upgrade_oracle;
