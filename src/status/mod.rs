//! Stage 5: the verdict. Scripts (the revision map) + what the database read
//! found → `ComponentStatus`: state, pending revisions in upgrade order,
//! unknown revisions, divergence details and recommended actions. Pure: no I/O.
//!
//! # Rules
//!
//! * The target is the *real* heads (what `alembic upgrade heads` reaches and
//!   what the version table holds afterwards); `heads` lists them, each id once.
//! * `pending` is [`RevisionMap::upgrade_plan`] from the rows, oldest first:
//!   exactly what `alembic upgrade heads` would run. Where Alembic has no plan
//!   (a row it cannot locate, rows that overlap, a database it could not
//!   read) `pending` is `None`, never a guess.
//! * Divergence is `crate::graph::divergence`, the analysis `check` uses too.
//! * A missing or empty version table in a database that holds other tables
//!   is *unstamped*, not fresh: replaying every migration would fail there.
//! * A row that belongs to another component's tree means the URL points at
//!   that component's database (`Foreign`).
//! * The state is the most severe that applies ([`State`] is ordered by exit
//!   code); every fact is kept for the JSON report.

mod advice;
mod evaluate;
mod release;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::VersionTable;
use crate::database::{Backend, DbError, Tables, VersionRead, VersionRows};
use crate::error::{ErrorKind, Exit};
use crate::graph::divergence::Edit;
use crate::graph::{RevIdx, RevisionMap};
use crate::target::{TableSources, UrlSource};

pub(crate) use advice::{Action, db_error_title};
pub(crate) use evaluate::evaluate;

/// A component's state, ordered from best to worst (the order of the exit codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
// Only so the tests can compare `State::ALL` with a list of every variant
// that the compiler writes (`ValueEnum::value_variants`).
#[cfg_attr(test, derive(clap::ValueEnum))]
pub enum State {
    /// The database holds exactly the script heads.
    UpToDate,
    /// Migrations are pending.
    Behind,
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
}

impl State {
    /// Every state, best first.
    pub const ALL: [State; 8] = [
        State::UpToDate,
        State::Behind,
        State::NoRevision,
        State::Diverged,
        State::UnknownRevision,
        State::DatabaseError,
        State::ConfigError,
        State::Unstamped,
    ];

    /// How the process ends for this state (the code is in [`Exit::code`]).
    pub fn exit(self) -> Exit {
        match self {
            State::UpToDate => Exit::UpToDate,
            State::Behind => Exit::Behind,
            State::NoRevision => Exit::NoRevision,
            State::Diverged => Exit::Diverged,
            State::UnknownRevision => Exit::UnknownRevision,
            State::DatabaseError => Exit::DatabaseError,
            State::ConfigError => Exit::ConfigError,
            State::Unstamped => Exit::Unstamped,
        }
    }

    /// The process exit code for this state.
    pub(crate) fn exit_code(self) -> u8 {
        self.exit().code()
    }

    /// Stable name used in JSON (`up-to-date`, `behind`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            State::UpToDate => "up-to-date",
            State::Behind => "behind",
            State::NoRevision => "no-revision",
            State::Diverged => "diverged",
            State::UnknownRevision => "unknown-revision",
            State::DatabaseError => "database-error",
            State::ConfigError => "config-error",
            State::Unstamped => "unstamped",
        }
    }

    /// Human title after `Database Status:` (`Up-to-date`, `Behind`, …).
    pub(crate) fn title(self) -> &'static str {
        match self {
            State::UpToDate => "Up-to-date",
            State::Behind => "Behind",
            State::NoRevision => "No revision",
            State::Diverged => "Diverged",
            State::UnknownRevision => "Unknown revision",
            State::DatabaseError => "Database error",
            State::ConfigError => "Configuration error",
            State::Unstamped => "Not stamped",
        }
    }
}

/// One revision as reported: id, message (Alembic's `doc`) and file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Revision {
    /// Revision id.
    pub(crate) id: String,
    /// The docstring's first paragraph (what `alembic history` shows).
    pub(crate) message: String,
    /// The revision file, relative to the working directory when under it.
    pub(crate) path: PathBuf,
    /// Branch labels, inherited ones included, sorted (not in the JSON schema).
    pub(crate) labels: Vec<String>,
    /// The releases its `# Part of:` comment names (empty without one, or
    /// when release comments are off).
    pub(crate) releases: Vec<crate::releases::Release>,
}

/// Heads that nothing tells apart, and where they split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Divergence {
    /// Every diverged head, in the order `heads` lists them.
    pub(crate) heads: Vec<Revision>,
    /// The newest revision that is an ancestor of all of them (`None` when they share none).
    pub(crate) last_common_ancestor: Option<Revision>,
    /// Why they count as diverged (e.g. `2 heads carry no branch label`).
    pub(crate) reason: String,
    /// The one-line edit that joins them (the first group's), with the file
    /// relative to the working directory.
    pub(crate) fix: Option<Edit>,
}

/// An error that decided the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ErrorInfo {
    /// Stable kind (JSON `error.kind`, advice, exit code).
    pub(crate) kind: ErrorKind,
    /// Headline for people (`Cannot connect to database`).
    pub(crate) title: String,
    /// The cause, naming the file/line/host (never a password).
    pub(crate) message: String,
}

/// What the version-table read produced, as far as the verdict cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DbRead {
    /// The database was read.
    Read(VersionRead),
    /// The read failed.
    Failed(DbError),
    /// No URL from any source.
    NoUrl,
}

impl From<Result<VersionRead, DbError>> for DbRead {
    fn from(r: Result<VersionRead, DbError>) -> Self {
        match r {
            Ok(read) => DbRead::Read(read),
            Err(e) => DbRead::Failed(e),
        }
    }
}

/// A version-table row that belongs to another component's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Foreign {
    /// The row.
    pub(crate) row: String,
    /// The component whose scripts define it.
    pub(crate) component: String,
    /// Whether it is that component's head.
    pub(crate) head: bool,
}

/// What is known about the database besides its rows (for advice).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DbFacts {
    /// The backend the URL names.
    pub(crate) backend: Option<Backend>,
    /// The database name (not for SQLite).
    pub(crate) name: Option<String>,
    /// The user name, as connected.
    pub(crate) user: Option<String>,
}

/// Everything about a target the verdict needs besides the map and the read.
#[derive(Debug, Clone, Default)]
pub(crate) struct Context {
    /// Component name.
    pub(crate) name: String,
    /// The target's labels (a fleet's; empty otherwise).
    pub(crate) labels: BTreeMap<String, String>,
    /// The ini, as shown to people (relative when given relative).
    pub(crate) config: Option<String>,
    /// The script directory, as shown to people.
    pub(crate) script_location: Option<String>,
    /// The database URL with the password masked.
    pub(crate) database: Option<String>,
    /// Where the URL came from.
    pub(crate) url_source: Option<UrlSource>,
    /// Database name and user, for the commands in the advice.
    pub(crate) db: DbFacts,
    /// The Alembic command for this component as argv, e.g.
    /// `./py -m alembic -c alembic-appproxy.ini`.
    pub(crate) alembic: Vec<String>,
    /// Where the advice's commands run when that is not the working
    /// directory (the project root, relative to it), e.g. `../..`.
    pub(crate) workdir: Option<String>,
    /// Running inside a Backend.AI checkout.
    pub(crate) backend_ai: bool,
    /// The command that checks this target again, as argv.
    pub(crate) recheck: Vec<String>,
    /// Said after the recheck command, e.g. that the password was masked in it.
    pub(crate) recheck_note: Option<String>,
    /// The working directory (symlink-resolved); revision paths are shown relative to it.
    pub(crate) cwd: PathBuf,
    /// Notes about this target.
    pub(crate) notes: Vec<String>,
    /// The version table read.
    pub(crate) version_table: VersionTable,
    /// Where the version table's name and schema came from.
    pub(crate) table_sources: TableSources,
    /// Rows of the database that belong to another component's tree.
    pub(crate) foreign: Vec<Foreign>,
    /// Release comments and dumps, when release awareness is on.
    pub(crate) releases: Option<std::sync::Arc<crate::releases::Facts>>,
}

/// What the version table looked like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
// Only so src/report/schema_tests.rs can list every variant.
#[cfg_attr(test, derive(strum::EnumIter))]
pub(crate) enum TableState {
    /// No version table (or no SQLite file).
    Missing,
    /// A version table without rows.
    Empty,
    /// A version table with rows.
    Rows,
}

impl TableState {
    /// Stable name used in JSON.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TableState::Missing => "missing",
            TableState::Empty => "empty",
            TableState::Rows => "rows",
        }
    }
}

/// The verdict for one target, with every fact behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ComponentStatus {
    /// Component name.
    pub(crate) name: String,
    /// The target's labels.
    pub(crate) labels: BTreeMap<String, String>,
    /// The ini, as shown to people.
    pub(crate) config: Option<String>,
    /// The script directory, as shown to people.
    pub(crate) script_location: Option<String>,
    /// The database URL with the password masked.
    pub(crate) database: Option<String>,
    /// Where the URL came from.
    pub(crate) url_source: Option<UrlSource>,
    /// The version table read.
    pub(crate) version_table: VersionTable,
    /// Where the version table's name and schema came from.
    pub(crate) table_sources: TableSources,
    /// What the version table looked like (`None` when it was not read).
    pub(crate) table_state: Option<TableState>,
    /// The most severe state that applies.
    pub(crate) state: State,
    /// The headline: the state's title, or the error's.
    pub(crate) title: String,
    /// The version-table rows the scripts know, in load order.
    pub(crate) current: Vec<Revision>,
    /// The real heads (the upgrade target), in load order.
    pub(crate) heads: Vec<Revision>,
    /// What `alembic upgrade heads` would run, oldest first; `None` where
    /// Alembic has no plan.
    pub(crate) pending: Option<Vec<Revision>>,
    /// Version-table rows the scripts do not know.
    pub(crate) unknown: Vec<String>,
    /// Why the database holds no revision, when it holds none.
    pub(crate) fresh: Option<Fresh>,
    /// Other tables in the searched schema, when the version table is missing or empty.
    pub(crate) tables: Option<Tables>,
    /// Divergence details, when heads have diverged.
    pub(crate) diverged: Option<Divergence>,
    /// The error that decided the state, if any.
    pub(crate) error: Option<ErrorInfo>,
    /// One sentence for people after `Status:`.
    pub(crate) summary: String,
    /// What to do next, most useful first.
    pub(crate) actions: Vec<Action>,
    /// Other facts worth knowing.
    pub(crate) notes: Vec<String>,
    /// The release the database was upgraded along (`--from-release`, or
    /// inferred from a release dump whose head it holds).
    pub(crate) from_release: Option<String>,
    /// Revisions `alembic upgrade` will not run and that release lacks, in apply order.
    pub(crate) skipped: Vec<Revision>,
    /// Pending revisions per release, in upgrade order (`None` = no release comment);
    /// empty when release comments are off.
    pub(crate) pending_by_release: Vec<(Option<String>, usize)>,
}

/// Why a database counts as holding no revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fresh {
    /// The SQLite file does not exist.
    NoDatabaseFile,
    /// There is no version table.
    NoTable,
    /// The version table is empty.
    EmptyTable,
}

impl ComponentStatus {
    /// The exit code for this target.
    pub(crate) fn exit_code(&self) -> u8 {
        self.state.exit_code()
    }

    /// A verdict where nothing could be compared: `state` with `error`.
    fn failed(ctx: &Context, state: State, error: ErrorInfo, actions: Vec<Action>) -> Self {
        let summary = match state {
            State::ConfigError => "The configuration could not be read; nothing was compared.",
            _ => "The database could not be read; nothing was compared.",
        };
        ComponentStatus {
            title: error.title.clone(),
            error: Some(error),
            summary: summary.to_string(),
            actions,
            ..ComponentStatus::new(ctx, state)
        }
    }

    fn new(ctx: &Context, state: State) -> Self {
        ComponentStatus {
            name: ctx.name.clone(),
            labels: ctx.labels.clone(),
            config: ctx.config.clone(),
            script_location: ctx.script_location.clone(),
            database: ctx.database.clone(),
            url_source: ctx.url_source.clone(),
            version_table: ctx.version_table.clone(),
            table_sources: ctx.table_sources.clone(),
            table_state: None,
            state,
            title: state.title().to_string(),
            current: Vec::new(),
            heads: Vec::new(),
            pending: None,
            unknown: Vec::new(),
            fresh: None,
            tables: None,
            diverged: None,
            error: None,
            summary: String::new(),
            actions: Vec::new(),
            notes: ctx.notes.clone(),
            from_release: None,
            skipped: Vec::new(),
            pending_by_release: Vec::new(),
        }
    }

    /// A config-error verdict (no map could be built): the error's kind,
    /// headline and message, and its hints as actions, then "Verify".
    pub(crate) fn config_error(ctx: &Context, error: &crate::error::Error) -> Self {
        let mut actions: Vec<Action> = error.hints.iter().map(Action::say).collect();
        actions.push(advice::verify(ctx));
        let mut message = error.message.clone();
        for c in &error.causes {
            message.push_str(&format!(" ({c})"));
        }
        ComponentStatus::failed(
            ctx,
            State::ConfigError,
            ErrorInfo {
                kind: error.kind,
                title: error_title(error.kind).to_string(),
                message,
            },
            actions,
        )
    }
}

/// The headline for an error of `kind` (the seed's `Error: …` blocks).
pub(crate) fn error_title(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Usage => "Usage error",
        ErrorKind::UnknownComponent => "Unknown component",
        ErrorKind::ProjectFile => "Cannot read the component list",
        ErrorKind::TargetsFile => "Cannot read the targets file",
        ErrorKind::NoComponent => "Nothing to check",
        ErrorKind::MissingConfig => "Alembic config not found",
        ErrorKind::Config | ErrorKind::ConfigCrash => "Cannot read the Alembic configuration",
        ErrorKind::UnreadableRevisionFile | ErrorKind::MissingRevisionId => {
            "Unreadable revision files"
        }
        ErrorKind::MissingRevision
        | ErrorKind::Cycle
        | ErrorKind::LabelClash
        | ErrorKind::BadIdentifier => "Broken revision graph",
        ErrorKind::BadRevision | ErrorKind::RevisionCrash => "Unknown revision identifier",
        ErrorKind::NotOnHeads => "Not on all heads",
        ErrorKind::NoUrl => "No database URL",
        ErrorKind::Database(k) => db_error_title(k),
        ErrorKind::InconsistentVersionTable => "Inconsistent version table",
        ErrorKind::UnknownRevision => "Unknown revision",
        ErrorKind::WrongDatabase => "Wrong database",
        ErrorKind::FileWrite => "Cannot write the file",
        ErrorKind::Internal => "Internal error",
    }
}

/// The verdicts of a run, in selection order, with the run's notes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Report {
    /// One verdict per target.
    pub(crate) components: Vec<ComponentStatus>,
    /// Notes for the whole run (said once).
    pub(crate) notes: Vec<String>,
    /// Where the recommended commands run (the project root).
    pub(crate) working_directory: Option<PathBuf>,
}

impl Report {
    /// The process exit code: the largest of the targets'.
    pub(crate) fn exit_code(&self) -> u8 {
        self.components
            .iter()
            .map(ComponentStatus::exit_code)
            .max()
            .unwrap_or(Exit::UpToDate.code())
    }
}

/// Describe one revision of the map.
pub(crate) fn revision(map: &RevisionMap, idx: RevIdx, cwd: &Path) -> Revision {
    let script = map.script(idx);
    Revision {
        id: script.revision.clone(),
        message: script.doc().to_string(),
        path: display_path(&script.path, cwd),
        labels: map.labels(idx).into_iter().map(str::to_string).collect(),
        releases: Vec::new(),
    }
}

/// `path` relative to `cwd` when it lies under it, else as is.
pub(crate) fn display_path(path: &Path, cwd: &Path) -> PathBuf {
    match path.strip_prefix(cwd) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.to_path_buf(),
        _ => path.to_path_buf(),
    }
}

/// Resolve a version-table row as Alembic does: exact id, else a unique prefix.
pub(crate) fn resolve_row(map: &RevisionMap, row: &str) -> Option<RevIdx> {
    if let Some(idx) = map.find(row) {
        return Some(idx);
    }
    // Symbols (`head`, `base`, labels) are not revision ids; a row holding one is unknown.
    if row.is_empty()
        || row.contains(['@', '-', '+', ':'])
        || matches!(row, "head" | "heads" | "base")
    {
        return None;
    }
    match map.resolve(row) {
        Ok(v) if v.len() == 1 => v
            .first()
            .copied()
            .filter(|&i| map.script(i).revision.starts_with(row)),
        _ => None,
    }
}

/// The rows of a read that these scripts do not know (what [`Foreign`] is looked up for).
pub(crate) fn unknown_rows(map: &RevisionMap, db: &DbRead) -> Vec<String> {
    match db {
        DbRead::Read(VersionRead {
            rows: VersionRows::Rows(rows),
            ..
        }) => rows
            .iter()
            .filter(|r| resolve_row(map, r).is_none())
            .cloned()
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests;
