//! One error model for every command: a typed `ErrorKind`, an [`Error`]
//! with its causes and hints, one renderer (`error:` / `caused by:` /
//! `hint:`), and the one table of exit codes ([`Exit`], `ErrorKind::exits`).
//!
//! No other module writes an exit-code number: states, findings, usage
//! errors and the Alembic-compatible commands all name an [`Exit`], and
//! [`Exit::code`] is the only place that turns it into a number.

use crate::database::DbErrorKind;

/// Every way the process can end. [`Exit::code`] is the exit-code table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The database holds exactly the script heads.
    UpToDate,
    /// Migrations are pending.
    Behind,
    /// Bad flags (the same code as clap and argparse).
    Usage,
    /// No version table, or an empty one, in an empty database.
    NoRevision,
    /// The scripts have heads that nothing tells apart.
    Diverged,
    /// The database holds a revision the scripts do not know.
    UnknownRevision,
    /// The database could not be read.
    DatabaseError,
    /// The configuration or the scripts could not be read.
    ConfigError,
    /// Tables but no version table (or an empty one): never stamped, or the wrong database.
    Unstamped,
    /// `wait`: the time ran out before the goal was reached.
    Timeout,
    /// Alembic's `FAILED: …` (its `CommandError`; `sys.exit(-1)`).
    AlembicFailed,
    /// Where Alembic dies with a Python traceback.
    AlembicCrash,
    /// `man` or `completions` could not write what it generated (a closed
    /// pipe is not a failure).
    OutputFailed,
}

impl Exit {
    /// The process exit code: the one table.
    pub const fn code(self) -> u8 {
        match self {
            Exit::UpToDate => 0,
            Exit::Behind => 1,
            Exit::Usage => 2,
            Exit::NoRevision => 3,
            Exit::Diverged => 4,
            Exit::UnknownRevision => 5,
            Exit::DatabaseError => 6,
            Exit::ConfigError => 7,
            Exit::Unstamped => 8,
            Exit::Timeout => 9,
            Exit::AlembicFailed => 255,
            Exit::AlembicCrash => 1,
            Exit::OutputFailed => 1,
        }
    }

    /// The exit codes of `status`, in order, with their state names and meaning
    /// (the table at the end of `--help`, in the README and in DESIGN).
    pub(crate) const STATUS_TABLE: [(Exit, &'static str, &'static str); 9] = [
        (
            Exit::UpToDate,
            "up-to-date",
            "the database holds exactly the script heads",
        ),
        (
            Exit::Behind,
            "behind",
            "migrations pending (what `alembic upgrade heads` would run)",
        ),
        (Exit::Usage, "usage error", "bad flags"),
        (
            Exit::NoRevision,
            "no-revision",
            "no version table, or an empty one, in an empty database",
        ),
        (
            Exit::Diverged,
            "diverged",
            "the scripts have heads that nothing tells apart",
        ),
        (
            Exit::UnknownRevision,
            "unknown-revision",
            "the database holds a revision the scripts do not know",
        ),
        (
            Exit::DatabaseError,
            "database-error",
            "cannot connect, auth, timeout, missing database, permission",
        ),
        (
            Exit::ConfigError,
            "config-error",
            "no ini, bad script_location, unreadable revision file, cycle",
        ),
        (
            Exit::Unstamped,
            "unstamped",
            "tables but no version table (never stamped, or the wrong database)",
        ),
    ];
}

/// The exit-code table as `--help` prints it.
pub(crate) fn exit_codes_help() -> String {
    let mut s = String::from("Exit codes (status):\n");
    for (exit, name, meaning) in Exit::STATUS_TABLE {
        s.push_str(&format!("  {:<2} {name:<17} {meaning}\n", exit.code()));
    }
    s.push_str(&format!(
        "  {:<2} {:<17} `wait` only: --timeout passed before the goal was reached\n",
        Exit::Timeout.code(),
        "timeout"
    ));
    s.push_str(&format!(
        "With several components the exit code is the largest of theirs.\n\
         Alembic-compatible commands (heads, history, branches, current, show) exit\n\
         like Alembic: {}, or {} with `FAILED: …` on stdout, or {} for what Alembic\n\
         reports as a traceback; {} for bad flags.",
        Exit::UpToDate.code(),
        Exit::AlembicFailed.code(),
        Exit::AlembicCrash.code(),
        Exit::Usage.code()
    ));
    s
}

/// Which column of the table applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `status`, `check`, `graph`: db-status's own codes.
    Status,
    /// `heads`, `history`, `branches`, `current`, `show`: Alembic's codes.
    Alembic,
    /// Plain `alembic heads`, which Alembic runs outside its error handler:
    /// what would be `FAILED:` elsewhere is a traceback there.
    AlembicUnwrapped,
}

/// What went wrong, as a stable kind: decides the exit code, the advice
/// and the JSON `error.kind`. Nothing matches on message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
// Only so src/report/schema_tests.rs can list every variant.
#[cfg_attr(test, derive(strum::EnumIter))]
pub(crate) enum ErrorKind {
    /// Bad or conflicting flags.
    Usage,
    /// A component name that no built-in or project file defines.
    UnknownComponent,
    /// `db-status.toml` / `[tool.db-status]` cannot be read or is invalid.
    ProjectFile,
    /// A `--targets` file cannot be read or is invalid.
    TargetsFile,
    /// Nothing to check: no component found, or several and no default.
    NoComponent,
    /// The ini file does not exist.
    MissingConfig,
    /// The configuration fails as Alembic reports it (`FAILED:`).
    Config,
    /// The configuration fails where Alembic dies with a traceback.
    ConfigCrash,
    /// A revision file that cannot be read without running Python.
    UnreadableRevisionFile,
    /// A revision file without a `revision` variable (Alembic's `FAILED:`).
    MissingRevisionId,
    /// A `down_revision` / `depends_on` that names no revision.
    MissingRevision,
    /// A cycle in the revision graph.
    Cycle,
    /// A branch label used twice, or equal to a revision id.
    LabelClash,
    /// A revision id with a character Alembic forbids.
    BadIdentifier,
    /// A revision identifier or range that does not resolve (`FAILED:`).
    BadRevision,
    /// A revision identifier or range where Alembic dies with a traceback.
    RevisionCrash,
    /// `current --check-heads`: the database is not on all heads.
    NotOnHeads,
    /// No database URL from any source.
    NoUrl,
    /// The database could not be read.
    Database(DbErrorKind),
    /// Version-table rows where one is an ancestor of another.
    InconsistentVersionTable,
    /// The database holds a revision the scripts do not know.
    UnknownRevision,
    /// The database holds another component's revision: the URL points at the wrong database.
    WrongDatabase,
    /// A file db-status was asked to write (`skill install`) cannot be written.
    FileWrite,
    /// A bug in db-status.
    Internal,
}

impl ErrorKind {
    /// The table: the exit code in db-status's own commands, and in the
    /// Alembic-compatible ones.
    pub(crate) const fn exits(self) -> (Exit, Exit) {
        use Exit::*;
        match self {
            ErrorKind::Usage | ErrorKind::UnknownComponent => (Usage, Usage),
            ErrorKind::ProjectFile | ErrorKind::TargetsFile | ErrorKind::NoComponent => {
                (ConfigError, AlembicCrash)
            }
            ErrorKind::MissingConfig | ErrorKind::Config => (ConfigError, AlembicFailed),
            ErrorKind::ConfigCrash | ErrorKind::UnreadableRevisionFile => {
                (ConfigError, AlembicCrash)
            }
            ErrorKind::MissingRevisionId => (ConfigError, AlembicFailed),
            ErrorKind::MissingRevision => (ConfigError, AlembicCrash),
            ErrorKind::Cycle | ErrorKind::LabelClash | ErrorKind::BadIdentifier => {
                (ConfigError, AlembicFailed)
            }
            ErrorKind::BadRevision => (Usage, AlembicFailed),
            ErrorKind::RevisionCrash => (Usage, AlembicCrash),
            ErrorKind::NotOnHeads => (Behind, AlembicFailed),
            ErrorKind::NoUrl | ErrorKind::Database(_) => (DatabaseError, AlembicCrash),
            ErrorKind::InconsistentVersionTable => (DatabaseError, AlembicFailed),
            ErrorKind::UnknownRevision | ErrorKind::WrongDatabase => {
                (UnknownRevision, AlembicFailed)
            }
            ErrorKind::FileWrite | ErrorKind::Internal => (ConfigError, AlembicCrash),
        }
    }

    /// How a command in `mode` ends for this kind.
    pub(crate) const fn exit(self, mode: Mode) -> Exit {
        let (status, alembic) = self.exits();
        match (mode, alembic) {
            (Mode::Status, _) => status,
            (Mode::AlembicUnwrapped, Exit::AlembicFailed) => Exit::AlembicCrash,
            (Mode::Alembic | Mode::AlembicUnwrapped, _) => alembic,
        }
    }

    /// Stable name for JSON (`error.kind`).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Usage => "usage",
            ErrorKind::UnknownComponent => "unknown-component",
            ErrorKind::ProjectFile => "project-file",
            ErrorKind::TargetsFile => "targets-file",
            ErrorKind::NoComponent => "no-component",
            ErrorKind::MissingConfig => "missing-config",
            ErrorKind::Config | ErrorKind::ConfigCrash => "config",
            ErrorKind::UnreadableRevisionFile | ErrorKind::MissingRevisionId => {
                "unreadable-revision-file"
            }
            ErrorKind::MissingRevision => "missing-revision",
            ErrorKind::Cycle => "cycle",
            ErrorKind::LabelClash => "label-clash",
            ErrorKind::BadIdentifier => "bad-identifier",
            ErrorKind::BadRevision | ErrorKind::RevisionCrash => "bad-revision",
            ErrorKind::NotOnHeads => "not-on-heads",
            ErrorKind::NoUrl => "no-url",
            ErrorKind::Database(k) => k.as_str(),
            ErrorKind::InconsistentVersionTable => "inconsistent-version-table",
            ErrorKind::UnknownRevision => "unknown-revision",
            ErrorKind::WrongDatabase => "wrong-database",
            ErrorKind::FileWrite => "file-write",
            ErrorKind::Internal => "internal",
        }
    }
}

/// An error: its kind, what happened, why, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    /// The kind (exit code, advice, JSON `error.kind`).
    pub(crate) kind: ErrorKind,
    /// What happened, naming the file, line or host (never a password).
    pub(crate) message: String,
    /// The underlying causes, outermost first.
    pub(crate) causes: Vec<String>,
    /// What to do about it, most useful first.
    pub(crate) hints: Vec<String>,
}

impl Error {
    /// A new error of `kind`.
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            causes: Vec::new(),
            hints: Vec::new(),
        }
    }

    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Usage, message)
    }

    /// The same error with a cause added.
    pub(crate) fn caused_by(mut self, cause: impl Into<String>) -> Error {
        self.causes.push(cause.into());
        self
    }

    /// The same error with a hint added.
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Error {
        self.hints.push(hint.into());
        self
    }

    /// The same error with hints added.
    pub(crate) fn hints(mut self, hints: impl IntoIterator<Item = String>) -> Error {
        self.hints.extend(hints);
        self
    }

    /// How a command in `mode` ends with this error.
    pub(crate) fn exit(&self, mode: Mode) -> Exit {
        self.kind.exit(mode)
    }

    /// The one rendering for people: `error: …`, then `caused by: …` and
    /// `hint: …` lines, newline-terminated. Continuation lines of a
    /// multi-line message are indented under it.
    pub(crate) fn render(&self) -> String {
        let mut s = String::new();
        line(&mut s, "error: ", &self.message);
        for c in &self.causes {
            line(&mut s, "caused by: ", c);
        }
        for h in &self.hints {
            line(&mut s, "hint: ", h);
        }
        s
    }

    /// Write the error as a command in `mode` reports it and return the exit
    /// code: Alembic's `FAILED: <message>` on `out` where Alembic would
    /// print it, else [`Error::render`] on `err`.
    pub(crate) fn report(
        &self,
        mode: Mode,
        out: &mut dyn std::io::Write,
        err: &mut dyn std::io::Write,
    ) -> u8 {
        let exit = self.exit(mode);
        if exit == Exit::AlembicFailed {
            let _ = writeln!(out, "FAILED: {}", self.message);
            let rest = Error {
                message: String::new(),
                ..self.clone()
            };
            let mut tail = String::new();
            for c in &rest.causes {
                line(&mut tail, "caused by: ", c);
            }
            for h in &rest.hints {
                line(&mut tail, "hint: ", h);
            }
            let _ = err.write_all(tail.as_bytes());
        } else {
            let _ = err.write_all(self.render().as_bytes());
        }
        exit.code()
    }
}

fn line(s: &mut String, label: &str, text: &str) {
    let mut lines = text.lines();
    s.push_str(label);
    s.push_str(lines.next().unwrap_or(""));
    s.push('\n');
    for l in lines {
        s.push_str("  ");
        s.push_str(l);
        s.push('\n');
    }
}

/// Choices as a sentence says them: `a`, `a or b`, `a, b or c`.
pub fn alternatives<S: AsRef<str>>(choices: &[S]) -> String {
    match choices {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [rest @ .., last] => {
            let rest: Vec<&str> = rest.iter().map(AsRef::as_ref).collect();
            format!("{} or {}", rest.join(", "), last.as_ref())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renderer_has_one_shape() {
        let e = Error::new(ErrorKind::Config, "alembic.ini: bad\nsecond line")
            .caused_by("io")
            .hint("fix it");
        assert_eq!(
            e.render(),
            "error: alembic.ini: bad\n  second line\ncaused by: io\nhint: fix it\n"
        );
    }

    #[test]
    fn table_columns() {
        assert_eq!(ErrorKind::Usage.exit(Mode::Status).code(), 2);
        assert_eq!(ErrorKind::Usage.exit(Mode::Alembic).code(), 2);
        assert_eq!(ErrorKind::Config.exit(Mode::Status).code(), 7);
        assert_eq!(ErrorKind::Config.exit(Mode::Alembic).code(), 255);
        assert_eq!(ErrorKind::Cycle.exit(Mode::AlembicUnwrapped).code(), 1);
        assert_eq!(ErrorKind::NoUrl.exit(Mode::Status).code(), 6);
        assert_eq!(
            ErrorKind::Database(DbErrorKind::Refused)
                .exit(Mode::Alembic)
                .code(),
            1
        );
        assert_eq!(Exit::Unstamped.code(), 8);
    }

    #[test]
    fn failed_goes_to_stdout() {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = Error::new(ErrorKind::BadRevision, "Can't locate revision")
            .hint("h")
            .report(Mode::Alembic, &mut out, &mut err);
        assert_eq!(code, 255);
        assert_eq!(out, b"FAILED: Can't locate revision\n");
        assert_eq!(err, b"hint: h\n");
    }

    #[test]
    fn alternatives_read_as_a_sentence() {
        assert_eq!(alternatives::<&str>(&[]), "");
        assert_eq!(alternatives(&["a"]), "a");
        assert_eq!(alternatives(&["a", "b"]), "a or b");
        assert_eq!(alternatives(&["a", "b", "c"]), "a, b or c");
    }

    #[test]
    fn help_table_lists_every_state() {
        let h = exit_codes_help();
        assert!(h.contains("  8  unstamped"), "{h}");
        assert!(h.contains("  0  up-to-date"), "{h}");
    }
}
