//! Wires the stages together for each subcommand. Each command writes its
//! result to stdout, messages to stderr, and returns the process exit code.

pub mod alembic;
pub mod check;
pub mod completions;
pub mod graph;
pub mod man;
pub mod status;

use std::io::Write;

use crate::cli::{Cli, Command, GlobalArgs};
use crate::config::{AlembicConfig, ConfigError, ConfigRequest};
use crate::graph::{GraphError, RevisionMap};
use crate::scripts::ScriptError;

/// The configuration request the global flags describe (`-c`, `-n`, the
/// working directory and `ALEMBIC_CONFIG`).
pub fn config_request(g: &GlobalArgs) -> ConfigRequest {
    ConfigRequest {
        config_files: g.config.clone(),
        section: g.name.clone(),
        cwd: std::env::current_dir().unwrap_or_else(|_| ".".into()),
        alembic_config_env: std::env::var("ALEMBIC_CONFIG")
            .ok()
            .filter(|v| !v.is_empty()),
    }
}

/// Why the scripts of a configuration could not be turned into a revision map.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The configuration itself failed.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// One or more revision files could not be read.
    #[error("{} revision file(s) could not be read", .0.len())]
    Scripts(Vec<ScriptError>),
    /// The revision map could not be built (missing parent, cycle, …).
    #[error(transparent)]
    Graph(#[from] GraphError),
}

/// Read every revision file of `config` and build the revision map.
/// Returns the map and the warnings Alembic would print.
pub fn load_map(config: &AlembicConfig) -> Result<(RevisionMap, Vec<String>), LoadError> {
    let set = crate::scripts::load(
        &config.version_locations,
        config.recursive_version_locations,
        config.sourceless,
    )
    .map_err(LoadError::Scripts)?;
    let (map, mut warnings) = RevisionMap::build(set.scripts)?;
    let mut all = set.warnings;
    all.append(&mut warnings);
    Ok((map, all))
}

/// Run the parsed command line; returns the exit code.
pub fn run(cli: Cli) -> u8 {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    // Not `stderr.lock()`: database reads run on worker threads that may
    // warn on stderr themselves (libpq's `.pgpass` permission warning), and
    // a lock held here for the whole command made them wait until the
    // connect timeout, turning a warning into a spurious "no answer".
    let mut err = std::io::stderr();
    let code = match cli.command.as_ref().unwrap_or(&Command::Status) {
        Command::Status => status::run(&cli.global, &mut out, &mut err),
        Command::Heads {
            resolve_dependencies,
        } => alembic::heads(&cli.global, *resolve_dependencies, &mut out, &mut err),
        Command::History {
            rev_range,
            indicate_current,
        } => alembic::history(
            &cli.global,
            rev_range.as_deref(),
            *indicate_current,
            &mut out,
            &mut err,
        ),
        Command::Branches => alembic::branches(&cli.global, &mut out, &mut err),
        Command::Current { check_heads } => {
            alembic::current(&cli.global, *check_heads, &mut out, &mut err)
        }
        Command::Show { rev } => alembic::show(&cli.global, rev, &mut out, &mut err),
        Command::Check { strict } => check::run(&cli.global, *strict, &mut out, &mut err),
        Command::Graph {
            last,
            rev_range,
            with_db,
        } => graph::run(
            &cli.global,
            *last,
            rev_range.as_deref(),
            *with_db,
            &mut out,
            &mut err,
        ),
        Command::Completions { shell } => completions::run(*shell, &mut out, &mut err),
        Command::Man => man::run(&mut out, &mut err),
    };
    // A closed pipe (`db-status history | head`) is not an error worth reporting.
    let _ = out.flush();
    code
}

/// Write a generated file (completion script, man page) to `out`: exit 0,
/// or 1 with a message when it cannot be written. A closed pipe
/// (`db-status man | head`) is not an error.
fn print_generated(bytes: &[u8], what: &str, out: &mut impl Write, err: &mut impl Write) -> u8 {
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => 0,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            let _ = writeln!(err, "error: cannot write the {what}: {e}");
            1
        }
    }
}
