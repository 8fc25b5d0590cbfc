//! Wires the stages together for each subcommand. Each command writes its
//! result to stdout, messages to stderr, and returns the process exit code.
//! Flags that do not apply to a command are usage errors, checked here once.

pub(crate) mod alembic;
pub(crate) mod check;
pub(crate) mod completions;
pub(crate) mod graph;
pub(crate) mod man;
pub(crate) mod mcp;
pub(crate) mod serve;
pub(crate) mod skill;
pub(crate) mod status;
pub(crate) mod wait;

use std::io::Write;

use crate::cli::{Cli, Command, Format, GlobalArgs, SkillAction};
use crate::error::{Error, Exit, Mode};
use crate::target::{self, Env, Request, Selection};

/// What the flags ask for, as a target request.
pub(crate) fn request(g: &GlobalArgs, reads_database: bool, alembic_semantics: bool) -> Request {
    Request {
        components: g.component.clone(),
        all: g.all,
        config_files: g.config.clone(),
        section: g.name.clone(),
        urls: g.url.clone(),
        timeout: g.timeout,
        python: g.python.clone(),
        use_env_urls: reads_database,
        find_root: true,
        alembic_semantics,
    }
}

/// Resolve the flags into targets (a usage error stops the run).
pub(crate) fn select(
    g: &GlobalArgs,
    reads_database: bool,
    alembic_semantics: bool,
) -> Result<Selection, Error> {
    let cwd = match &g.cwd {
        Some(dir) => dir.clone(),
        None => std::env::current_dir().unwrap_or_else(|_| ".".into()),
    };
    if let Some(file) = &g.targets {
        return crate::fleet::select(file, cwd, Env::from_process(), g.timeout);
    }
    target::select(
        &request(g, reads_database, alembic_semantics),
        cwd,
        Env::from_process(),
    )
}

/// How to check: `--jobs` (else the default), `--from-release`, `--production`.
pub(crate) fn inspect_options(g: &GlobalArgs) -> crate::inspect::Options {
    let defaults = crate::inspect::Options::default();
    crate::inspect::Options {
        jobs: g.jobs.map_or(defaults.jobs, usize::from),
        releases: crate::releases::Request {
            from_release: g.from_release.clone(),
            production: g.production,
        },
    }
}

/// Report an error that stops the run (a usage error, an unreadable
/// `--targets` file): one JSON document on stdout under `--format json`,
/// else `error:` lines on stderr. Returns the exit code (the error kind's).
pub(crate) fn usage(e: &Error, g: &GlobalArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let code = e.exit(Mode::Status).code();
    if g.format == Some(Format::Json) {
        let _ = crate::report::json::render_error(e, code, out);
    } else {
        let _ = err.write_all(e.render().as_bytes());
    }
    code
}

/// The command's name as typed.
fn name(command: &Command) -> &'static str {
    match command {
        Command::Status => "status",
        Command::Heads { .. } => "heads",
        Command::History { .. } => "history",
        Command::Branches => "branches",
        Command::Current { .. } => "current",
        Command::Show { .. } => "show",
        Command::Check { .. } => "check",
        Command::Graph { .. } => "graph",
        Command::Completions { .. } => "completions",
        Command::Man => "man",
        Command::Serve { .. } => "serve",
        Command::Wait { .. } => "wait",
        Command::Skill { .. } => "skill",
        Command::Mcp => "mcp",
    }
}

/// Whether this invocation reads a database (so --url and --timeout apply).
pub(crate) fn reads_database(command: &Command) -> bool {
    match command {
        Command::Status
        | Command::Current { .. }
        | Command::Serve { .. }
        | Command::Wait { .. } => true,
        Command::History {
            rev_range,
            indicate_current,
            ..
        } => {
            *indicate_current
                || rev_range
                    .as_deref()
                    .is_some_and(|r| r.split(':').any(|s| s == "current"))
        }
        Command::Show { rev } => rev == "current",
        Command::Graph { with_db, .. } => *with_db,
        Command::Heads { .. }
        | Command::Branches
        | Command::Check { .. }
        | Command::Completions { .. }
        | Command::Man
        | Command::Skill { .. } => false,
        // The server's `status` calls read databases (bounded by --timeout).
        Command::Mcp => true,
    }
}

/// Refuse flags that the command would ignore: a flag is never dropped silently.
pub(crate) fn check_flags(command: &Command, g: &GlobalArgs) -> Result<(), Error> {
    let cmd = name(command);
    let reads_db = reads_database(command);
    let formats: &[Format] = match command {
        Command::Status => &[Format::Human, Format::Json],
        Command::Check { .. } => &[Format::Human, Format::Json, Format::Github],
        Command::Graph { .. } => &[Format::Mermaid, Format::Dot, Format::Json],
        Command::Heads { .. } | Command::History { .. } | Command::Show { .. } => &[Format::Json],
        Command::Wait { .. } => &[Format::Human],
        _ => &[],
    };
    let verbose = matches!(
        command,
        Command::Status
            | Command::Heads { .. }
            | Command::History { .. }
            | Command::Branches
            | Command::Current { .. }
    );
    let all = matches!(
        command,
        Command::Status | Command::Check { .. } | Command::Serve { .. } | Command::Wait { .. }
    );
    let not_here = |flag: &str, instead: &str| {
        Err(Error::usage(format!(
            "{flag} does not apply to `db-status {cmd}`: {instead}"
        )))
    };
    if matches!(command, Command::Mcp) {
        if !g.url.is_empty() {
            return not_here("--url", "pass `urls` in the `status` tool's arguments");
        }
        if !g.component.is_empty() || !g.config.is_empty() || g.name.is_some() || g.all {
            return not_here(
                "--component/--all/-c/-n",
                "pass `components` (and `project_dir`) in each tool's arguments",
            );
        }
    }
    if !g.url.is_empty() && !reads_db {
        return not_here("--url", &db_hint(command));
    }
    // `--timeout` also bounds the `--python` subprocess.
    if g.timeout.is_some() && !reads_db && g.python.is_none() {
        return not_here("--timeout", &db_hint(command));
    }
    if let Some(f) = g.format
        && !formats.contains(&f)
    {
        let f = format!("{f:?}").to_lowercase();
        let allowed: Vec<String> = formats
            .iter()
            .map(|f| format!("--format {f:?}").to_lowercase())
            .collect();
        return if matches!(command, Command::Serve { .. }) {
            not_here(
                &format!("--format {f}"),
                "it serves every format at once: /metrics, /status.json and / (HTML)",
            )
        } else if allowed.is_empty() {
            not_here(
                &format!("--format {f}"),
                "it prints exactly what Alembic prints; use `db-status status --format json` for JSON",
            )
        } else {
            not_here(
                &format!("--format {f}"),
                &format!("use {}", crate::error::alternatives(&allowed)),
            )
        };
    }
    if !matches!(command, Command::Status) {
        if g.from_release.is_some() {
            return not_here(
                "--from-release",
                "only `status` compares with a release dump",
            );
        }
        if g.production {
            return not_here(
                "--production",
                "only `status` warns about production databases",
            );
        }
    }
    if g.ascii && !matches!(command, Command::Status) {
        return not_here("--ascii", "only `status` prints state markers");
    }
    let fleet = matches!(
        command,
        Command::Status | Command::Wait { .. } | Command::Serve { .. }
    );
    if g.targets.is_some() {
        if !fleet {
            return not_here(
                "--targets",
                "use `db-status --targets FILE` (status), `wait --targets FILE` or `serve --targets FILE`",
            );
        }
        let selecting = [
            (!g.component.is_empty(), "--component"),
            (g.all, "--all"),
            (!g.config.is_empty(), "-c/--config"),
            (g.name.is_some(), "-n/--name"),
            (!g.url.is_empty(), "--url"),
        ];
        if let Some((_, flag)) = selecting.iter().find(|(given, _)| *given) {
            return Err(Error::usage(format!(
                "{flag} cannot be combined with --targets: the targets file names each database (drop {flag}, or drop --targets)"
            )));
        }
    }
    if g.jobs.is_some() && !fleet {
        return not_here("--jobs", "only commands that check databases take it");
    }
    if g.verbose && !verbose {
        return not_here("-v/--verbose", "drop it");
    }
    if g.all && !all {
        return not_here(
            "--all",
            "it reads one component at a time: name it with --component NAME (or -c FILE)",
        );
    }
    Ok(())
}

fn db_hint(command: &Command) -> String {
    match command {
        Command::History { .. } => {
            "it reads the database only with -i or a range naming `current`".to_string()
        }
        Command::Show { .. } => "it reads the database only for `show current`".to_string(),
        Command::Graph { .. } => "it reads the database only with --with-db".to_string(),
        Command::Check { .. } => {
            "`check` reads the scripts alone; use `db-status status` for the database".to_string()
        }
        _ => "this command reads no database; drop it".to_string(),
    }
}

/// Run the parsed command line; returns the exit code.
pub fn run(cli: Cli) -> u8 {
    if let Some(Command::Mcp) = &cli.command
        && check_flags(&Command::Mcp, &cli.global).is_ok()
    {
        // stdout belongs to the protocol: no lock held on it here.
        return mcp::run(&cli.global, &mut std::io::stderr());
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    // Not `stderr.lock()`: database reads run on worker threads that may
    // warn on stderr themselves (libpq's `.pgpass` permission warning), and
    // a lock held here for the whole command made them wait until the
    // connect timeout, turning a warning into a spurious "no answer".
    let mut err = std::io::stderr();
    let command = cli.command.as_ref().unwrap_or(&Command::Status);
    let code = match check_flags(command, &cli.global) {
        Err(e) => usage(&e, &cli.global, &mut out, &mut err),
        Ok(()) => dispatch(command, &cli.global, &mut out, &mut err),
    };
    // A closed pipe (`db-status history | head`) is not an error worth reporting.
    let _ = out.flush();
    code
}

/// Run one command whose flags passed [`check_flags`]; returns the exit code.
pub(crate) fn dispatch(
    command: &Command,
    g: &GlobalArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    match command {
        Command::Status => status::run(g, out, err),
        Command::Heads {
            resolve_dependencies,
        } => alembic::heads(g, *resolve_dependencies, out, err),
        Command::History {
            rev_range,
            indicate_current,
            releases,
        } => alembic::history(
            g,
            rev_range.as_deref(),
            (*indicate_current, *releases),
            out,
            err,
        ),
        Command::Branches => alembic::branches(g, out, err),
        Command::Current { check_heads } => alembic::current(g, *check_heads, out, err),
        Command::Show { rev } => alembic::show(g, rev, out, err),
        Command::Check { strict, base } => check::run(g, *strict, base.as_deref(), out, err),
        Command::Graph {
            last,
            rev_range,
            with_db,
        } => graph::run(g, *last, rev_range.as_deref(), *with_db, out, err),
        Command::Completions { shell } => completions::run(*shell, out, err),
        Command::Man => man::run(out, err),
        Command::Serve {
            listen,
            interval,
            min_interval,
        } => serve::run(
            g,
            &serve::ServeArgs {
                listen: *listen,
                interval: *interval,
                min_interval: *min_interval,
            },
            out,
            err,
        ),
        Command::Wait { until, interval } => wait::run(g, *until, *interval, out, err),
        Command::Skill {
            action: SkillAction::Show,
        } => skill::show(out, err),
        Command::Skill {
            action: SkillAction::Install { dir, force },
        } => skill::install(dir.as_deref(), *force, out, err),
        // `run` starts the server before stdout is locked; a tool call never gets here.
        Command::Mcp => mcp::run(g, err),
    }
}

/// Write a generated file (completion script, man page) to `out`: exit 0,
/// or 1 with a message when it cannot be written. A closed pipe
/// (`db-status man | head`) is not an error.
fn print_generated(bytes: &[u8], what: &str, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Exit::UpToDate.code(),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Exit::UpToDate.code(),
        Err(e) => {
            let _ = writeln!(err, "error: cannot write the {what}: {e}");
            Exit::OutputFailed.code()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn flags(args: &[&str]) -> Result<(), Error> {
        let mut argv = vec!["db-status"];
        argv.extend(args);
        let cli = Cli::try_parse_from(argv).expect("parses");
        check_flags(
            cli.command.as_ref().unwrap_or(&Command::Status),
            &cli.global,
        )
    }

    #[test]
    fn flags_that_do_not_apply_are_usage_errors() {
        for bad in [
            &["check", "--url", "sqlite://"][..],
            &["branches", "--format", "json"],
            &["mcp", "--url", "sqlite://"],
            &["mcp", "--all"],
            &["mcp", "--component", "manager"],
            &["skill", "show", "--timeout", "3"],
            &["heads", "--url", "sqlite://"],
            &["history", "--url", "sqlite://"],
            &["show", "head", "--url", "sqlite://"],
            &["graph", "--url", "sqlite://"],
            &["graph", "--all"],
            &["heads", "--all"],
            &["check", "--timeout", "3"],
            &["status", "--format", "dot"],
            &["check", "--ascii"],
            &["show", "head", "-v"],
            &["check", "--targets", "t.toml"],
            &["heads", "--jobs", "2"],
            &["--targets", "t.toml", "--all"],
            &["--targets", "t.toml", "--component", "manager"],
            &["wait", "--targets", "t.toml", "--url", "sqlite://"],
            &["wait", "--format", "json"],
        ] {
            let e = flags(bad).expect_err(&bad.join(" "));
            assert_eq!(e.kind, crate::error::ErrorKind::Usage, "{bad:?}");
            assert!(!e.message.contains('\n'), "one line: {}", e.message);
        }
        for good in [
            &["--url", "sqlite://"][..],
            &["current", "--url", "sqlite://"],
            &["history", "-i", "--url", "sqlite://"],
            &["history", "-r", "current:", "--url", "sqlite://"],
            &["show", "current", "--url", "sqlite://"],
            &[
                "graph",
                "--with-db",
                "--url",
                "sqlite://",
                "--format",
                "dot",
            ],
            &["check", "--all", "--format", "github"],
            &["heads", "-v"],
            &["--targets", "t.toml", "--jobs", "4", "--format", "json"],
            &["wait", "--targets", "t.toml", "--jobs", "4"],
            &["wait", "--all", "--until", "up-to-date", "--timeout", "60"],
            &["heads", "--format", "json"],
            &["history", "-r", "base:", "--format", "json"],
            &["show", "head", "--format", "json"],
            &["graph", "--format", "json"],
            &["mcp", "--timeout", "1"],
            &["skill", "install", "--dir", "x", "--force"],
        ] {
            assert!(flags(good).is_ok(), "{good:?}");
        }
    }

    /// A writer that fails every write with `kind`.
    struct Failing(std::io::ErrorKind);

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(self.0.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn generated_output_exit_codes() {
        let mut err = Vec::new();
        let mut ok = Vec::new();
        assert_eq!(
            print_generated(b"x", "page", &mut ok, &mut err),
            Exit::UpToDate.code()
        );
        assert_eq!(ok, b"x");
        let mut pipe = Failing(std::io::ErrorKind::BrokenPipe);
        assert_eq!(
            print_generated(b"x", "page", &mut pipe, &mut err),
            Exit::UpToDate.code()
        );
        assert!(err.is_empty());
        let mut full = Failing(std::io::ErrorKind::StorageFull);
        assert_eq!(
            print_generated(b"x", "page", &mut full, &mut err),
            Exit::OutputFailed.code()
        );
        assert!(String::from_utf8_lossy(&err).starts_with("error: cannot write the page: "));
    }
}
