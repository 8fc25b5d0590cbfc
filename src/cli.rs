//! Command-line definition (clap derive). Nothing here touches the file
//! system or the environment; [`crate::commands`] turns these values into work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// What `db-status --version` prints after the name: the crate version and
/// the git commit the binary was built from (`unknown` when built from a
/// source tree without git metadata, such as an sdist).
pub(crate) const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("DB_STATUS_GIT_COMMIT"),
    ")"
);

/// `db-status`: where each database stands against its Alembic migration scripts.
#[derive(Debug, Parser)]
#[command(
    name = "db-status",
    version = VERSION,
    about = "Where does each database stand against its Alembic migration scripts, and what to do next",
    after_help = crate::error::exit_codes_help(),
    args_conflicts_with_subcommands = false,
    // As Alembic's argparse: a repeated option keeps its last value.
    args_override_self = true
)]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    /// The command to run; `status` when omitted.
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// Options accepted before or after the subcommand.
#[derive(Debug, Args, Clone, Default)]
// The field docs are `--help` text, written for the terminal: `[OK]`,
// `[start]:[end]` and `<NAME>` are what users read, not rustdoc links or tags.
#[allow(rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]
pub(crate) struct GlobalArgs {
    /// Alembic ini file (or a pyproject.toml), as `alembic -c`. May be given
    /// twice: once for an ini and once for a pyproject.toml.
    #[arg(short = 'c', long = "config", global = true, value_name = "FILE")]
    pub(crate) config: Vec<PathBuf>,
    /// Section of the ini to read, as `alembic -n` [default: alembic].
    #[arg(short = 'n', long = "name", global = true, value_name = "SECTION")]
    pub(crate) name: Option<String>,
    /// Component to check (repeatable): manager, accountmgr, appproxy, or one
    /// defined in db-status.toml / [tool.db-status].
    #[arg(long = "component", global = true, value_name = "NAME")]
    pub(crate) component: Vec<String>,
    /// Check every known component.
    #[arg(long = "all", global = true)]
    pub(crate) all: bool,
    /// Database URL (SQLAlchemy form) for one component, or NAME=URL per
    /// component (repeatable); else DB_STATUS_URL_<NAME>, the component's
    /// url/url_env, DB_STATUS_URL (one component), sqlalchemy.url.
    #[arg(long = "url", global = true, value_name = "[NAME=]URL")]
    pub(crate) url: Vec<String>,
    /// Output format. status: human|json; check: human|json|github; graph: mermaid|dot.
    #[arg(long = "format", global = true, value_enum)]
    pub(crate) format: Option<Format>,
    /// Use plain-text markers ([OK], [BEHIND], …) instead of symbols.
    #[arg(long = "ascii", global = true)]
    pub(crate) ascii: bool,
    /// Connect and query timeout in seconds [default: 5]. For `wait`: how
    /// long to wait in all [default: 300].
    #[arg(long = "timeout", global = true, value_name = "SECS", value_parser = parse_timeout)]
    pub(crate) timeout: Option<std::time::Duration>,
    /// Let this Python (a path, or `auto`: $VIRTUAL_ENV, ./.venv, ./py) read
    /// the revision files db-status cannot read statically; one subprocess,
    /// bounded by --timeout.
    #[arg(long = "python", global = true, value_name = "PATH|auto")]
    pub(crate) python: Option<String>,
    /// More detail (Alembic's `-v` for heads/history/branches/current).
    #[arg(short = 'v', long = "verbose", global = true)]
    pub(crate) verbose: bool,
    /// status: the release the database was upgraded along (a
    /// revision_history/<VERSION>.json dump); inferred when the database
    /// holds a dump's head.
    #[arg(long = "from-release", global = true, value_name = "VERSION")]
    pub(crate) from_release: Option<String>,
    /// status: the databases serve production (warns about unreleased
    /// migrations pending); a target labelled env=prod counts too.
    #[arg(long = "production", global = true)]
    pub(crate) production: bool,
    /// A fleet: check every [[target]] of this TOML file (component, url or
    /// url_env, version_table_schema, labels; see examples/targets.toml)
    /// instead of --component/--all.
    #[arg(long = "targets", global = true, value_name = "FILE")]
    pub(crate) targets: Option<PathBuf>,
    /// Check at most N databases at the same time [default: 16].
    #[arg(long = "jobs", global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub(crate) jobs: Option<u16>,
    /// The directory the components are looked up from, instead of the
    /// process's working directory (the MCP server's `project_dir`; never a flag).
    #[arg(skip)]
    pub(crate) cwd: Option<PathBuf>,
}

/// The longest `--timeout` accepted (a day).
pub(crate) const MAX_TIMEOUT_SECS: f64 = 86_400.0;

/// `--timeout SECS`: a number of seconds, more than 0 and at most a day.
pub(crate) fn parse_timeout(value: &str) -> Result<std::time::Duration, String> {
    let range = format!(
        "a number of seconds greater than 0 and at most {MAX_TIMEOUT_SECS} (e.g. 5 or 0.5)"
    );
    match value.trim().parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs > 0.0 && secs <= MAX_TIMEOUT_SECS => {
            Ok(std::time::Duration::from_secs_f64(secs))
        }
        _ => Err(format!("expected {range}")),
    }
}

/// `--listen ADDR:PORT`: an IP address (IPv6 in brackets) and a port.
pub(crate) fn parse_listen(value: &str) -> Result<std::net::SocketAddr, String> {
    value.trim().parse().map_err(|_| {
        "expected an IP address and a port, e.g. 127.0.0.1:9187, [::1]:9187 or 0.0.0.0:9187"
            .to_string()
    })
}

/// Output formats; each command accepts a subset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Text for people (the default).
    Human,
    /// One JSON document.
    Json,
    /// GitHub Actions workflow-command annotations (`check`).
    Github,
    /// Mermaid flowchart (`graph`).
    Mermaid,
    /// Graphviz dot (`graph`).
    Dot,
}

/// `wait --until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum WaitUntil {
    /// The database answers (any state but a database error).
    Reachable,
    /// The database holds exactly the script heads.
    UpToDate,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
// The field docs are `--help` text, written for the terminal: `[OK]`,
// `[start]:[end]` and `<NAME>` are what users read, not rustdoc links or tags.
#[allow(rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]
pub(crate) enum Command {
    /// Where each database stands, and what to do next (the default).
    Status,
    /// Show current available heads (same output as `alembic heads`).
    Heads {
        /// Treat dependency versions as down revisions.
        #[arg(long = "resolve-dependencies")]
        resolve_dependencies: bool,
    },
    /// List changeset scripts in chronological order (same output as `alembic history`).
    History {
        /// Specify a revision range; format is [start]:[end].
        #[arg(
            short = 'r',
            long = "rev-range",
            allow_hyphen_values = true,
            value_name = "REV_RANGE"
        )]
        rev_range: Option<String>,
        /// Indicate the current revision (reads the database, never writes).
        #[arg(short = 'i', long = "indicate-current")]
        indicate_current: bool,
        /// Mark release boundaries (from `# Part of:` comments; see release_pattern).
        #[arg(long = "releases")]
        releases: bool,
    },
    /// Show current branch points (same output as `alembic branches`).
    Branches,
    /// Display the current revision of the database (same output as `alembic current`).
    Current {
        /// Fail (exit 255) unless the database is on all head revisions.
        #[arg(long = "check-heads")]
        check_heads: bool,
    },
    /// Show the revision(s) denoted by the given symbol (same output as `alembic show`).
    Show {
        /// Revision identifier, prefix, label, `head`, `heads`, `base` or `-N`.
        #[arg(allow_hyphen_values = true)]
        rev: String,
    },
    /// Check the scripts alone (no database): diverged heads, broken links,
    /// duplicates, cycles, unreadable values, bad merges. For CI and pre-commit.
    Check {
        /// Fail on warnings too.
        #[arg(long = "strict")]
        strict: bool,
        /// Also compare with the scripts at this git ref (e.g. origin/main):
        /// new heads, edited or deleted revisions, missing release comments.
        #[arg(long = "base", value_name = "REF")]
        base: Option<String>,
    },
    /// Draw the revision graph as Mermaid or Graphviz dot.
    Graph {
        /// Only the last N revisions (newest first in history order).
        #[arg(long = "last", value_name = "N")]
        last: Option<usize>,
        /// Only a history range, [start]:[end].
        #[arg(
            short = 'r',
            long = "rev-range",
            allow_hyphen_values = true,
            value_name = "REV_RANGE"
        )]
        rev_range: Option<String>,
        /// Mark what the database holds and what is pending (reads the database).
        #[arg(long = "with-db")]
        with_db: bool,
    },
    /// Serve Prometheus metrics, the JSON report and an HTML page over HTTP,
    /// re-checking on an interval (never more often than a floor).
    Serve {
        /// Address and port to listen on; a non-loopback address prints a warning.
        #[arg(long = "listen", value_name = "ADDR:PORT", default_value = crate::serve::DEFAULT_LISTEN, value_parser = parse_listen)]
        listen: std::net::SocketAddr,
        /// Re-check every SECS even when nobody asks [default: 60].
        #[arg(long = "interval", value_name = "SECS", value_parser = parse_timeout)]
        interval: Option<std::time::Duration>,
        /// Never re-check more often than every SECS, however many requests
        /// arrive: requests inside it get the last result [default: 10].
        #[arg(long = "min-interval", value_name = "SECS", value_parser = parse_timeout)]
        min_interval: Option<std::time::Duration>,
    },
    /// Wait until the database answers (or, with --until up-to-date, holds
    /// the script heads): for deploy scripts and init containers. Prints one
    /// line per change of state; exits with the final state's code, or 9
    /// when --timeout passes first.
    Wait {
        /// What to wait for.
        #[arg(long = "until", value_enum, default_value_t = WaitUntil::Reachable)]
        until: WaitUntil,
        /// Check again this often, in seconds [default: 2].
        #[arg(long = "interval", value_name = "SECS", value_parser = parse_timeout)]
        interval: Option<std::time::Duration>,
    },
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), for `man -l` or a man1 directory.
    Man,
    /// The `/db-status` agent skill: print it, or install it for Claude Code.
    Skill {
        /// What to do with the skill.
        #[command(subcommand)]
        action: SkillAction,
    },
    /// Serve the checks as Model Context Protocol tools over stdio (for agents).
    Mcp,
}

/// `db-status skill …`.
#[derive(Debug, Subcommand)]
pub(crate) enum SkillAction {
    /// Print the skill (SKILL.md) to stdout.
    Show,
    /// Write the skill to DIR/db-status/SKILL.md (the one command that writes a file).
    Install {
        /// Skills directory [default: .claude/skills under the project root].
        #[arg(long = "dir", value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Replace a SKILL.md that was changed since db-status wrote it.
        #[arg(long = "force")]
        force: bool,
    },
}
