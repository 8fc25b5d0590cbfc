//! Stage 5: the verdict. Scripts (the revision map) + version-table rows →
//! [`ComponentStatus`]: state, pending revisions in upgrade order, unknown
//! revisions, divergence details and recommended actions. Pure: no I/O.
//!
//! # Rules
//!
//! * The target is the *real* heads (what `alembic upgrade heads` reaches and
//!   what the version table holds afterwards); `heads` lists them.
//! * `pending` is [`RevisionMap::upgrade_plan`] from the rows the scripts
//!   know, oldest first: exactly what `alembic upgrade heads` would run.
//! * Heads are *diverged* when two or more of them share a branch label or
//!   carry no label at all; heads with distinct labels are separate branches
//!   and are judged together (up to date when the database holds every head).
//! * The "last common ancestor" of diverged heads is the revision, among those
//!   that are ancestors of all of them, that `alembic history` lists first
//!   (history order is newest first).
//! * The "newest" diverged head (the one we suggest re-pointing) is the one
//!   with the latest `Create Date:` in its docstring (Alembic's template
//!   writes it); without dates, the one `alembic history` lists first.
//! * The state is the most severe that applies ([`State`] is ordered by exit
//!   code); every fact is kept for the JSON report.

mod advice;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::database::{DbError, VersionRows};
use crate::graph::{RevIdx, RevisionMap};

pub use advice::{alembic_command, db_error_title};

/// A component's state, ordered from best to worst (the order of the exit codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    /// The database holds exactly the script heads (exit 0).
    UpToDate,
    /// Migrations are pending (exit 1).
    Behind,
    /// No version table, or an empty one (exit 3).
    NoRevision,
    /// The scripts have heads that nothing tells apart (exit 4).
    Diverged,
    /// The database holds a revision the scripts do not know (exit 5).
    UnknownRevision,
    /// The database could not be read (exit 6).
    DatabaseError,
    /// The configuration or the scripts could not be read (exit 7).
    ConfigError,
}

impl State {
    /// The process exit code for this state.
    pub fn exit_code(self) -> u8 {
        match self {
            State::UpToDate => 0,
            State::Behind => 1,
            State::NoRevision => 3,
            State::Diverged => 4,
            State::UnknownRevision => 5,
            State::DatabaseError => 6,
            State::ConfigError => 7,
        }
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
        }
    }

    /// Human title after `Database Status:` (`Up-to-date`, `Behind`, …).
    pub fn title(self) -> &'static str {
        match self {
            State::UpToDate => "Up-to-date",
            State::Behind => "Behind",
            State::NoRevision => "No revision",
            State::Diverged => "Diverged",
            State::UnknownRevision => "Unknown revision",
            State::DatabaseError => "Database error",
            State::ConfigError => "Configuration error",
        }
    }
}

/// One revision as reported: id, message (Alembic's `doc`) and file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// Revision id.
    pub id: String,
    /// The docstring's first paragraph (what `alembic history` shows).
    pub message: String,
    /// The revision file, relative to the working directory when under it.
    pub path: PathBuf,
    /// Branch labels, inherited ones included, sorted (not in the JSON schema).
    pub labels: Vec<String>,
}

/// Heads that nothing tells apart, and where they split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Divergence {
    /// Every diverged head, in the order `heads` lists them.
    pub heads: Vec<Revision>,
    /// The newest revision that is an ancestor of all of them (`None` when they share none).
    pub last_common_ancestor: Option<Revision>,
    /// Why they count as diverged (e.g. `2 heads carry no branch label`).
    pub reason: String,
}

/// An error that decided the state (database or configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorInfo {
    /// Stable kind for JSON (`connection-refused`, `no-url`, `missing-config`, …).
    pub kind: String,
    /// Headline for people (`Cannot connect to database`).
    pub title: String,
    /// The cause, naming the file/line/host (never a password).
    pub message: String,
}

/// What the version-table read produced, as far as the verdict cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbRead {
    /// The table was read (or is missing).
    Rows(VersionRows),
    /// The read failed.
    Failed(DbError),
    /// No URL from `--url`, the component, or `sqlalchemy.url`.
    NoUrl,
}

impl From<Result<VersionRows, DbError>> for DbRead {
    fn from(r: Result<VersionRows, DbError>) -> Self {
        match r {
            Ok(rows) => DbRead::Rows(rows),
            Err(e) => DbRead::Failed(e),
        }
    }
}

/// Where the database URL came from (decides where the advice points).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UrlSource {
    /// `--url` or `DB_STATUS_URL`.
    Flag,
    /// The component's `url` / `url_env` in the project file.
    Component,
    /// `sqlalchemy.url` in the ini.
    #[default]
    Ini,
}

/// Everything about a component the verdict needs besides the map and rows.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Component name.
    pub name: String,
    /// The ini, as shown to people (relative when given relative).
    pub config: Option<String>,
    /// The script directory, as shown to people.
    pub script_location: Option<String>,
    /// The database URL with the password masked.
    pub database: Option<String>,
    /// Where the URL came from.
    pub url_source: UrlSource,
    /// The Alembic command for this component, e.g. `./py -m alembic -c alembic-appproxy.ini`
    /// (see [`alembic_command`]).
    pub alembic: String,
    /// Running inside a Backend.AI checkout (`./py` or `./backend.ai` exists).
    pub backend_ai: bool,
    /// The command that checks this component again, e.g. `db-status --component appproxy`.
    pub recheck: String,
    /// The working directory (already symlink-resolved); revision paths are shown relative to it.
    pub cwd: PathBuf,
    /// Notes gathered while finding the component (halfstack fallback, …).
    pub notes: Vec<String>,
    /// The version table as SQL names it (`alembic_version`, `schema.table`);
    /// empty means the default.
    pub version_table: String,
}

impl Context {
    /// The version table's name for messages.
    pub fn table(&self) -> &str {
        if self.version_table.is_empty() {
            "alembic_version"
        } else {
            &self.version_table
        }
    }
}

/// The verdict for one component, with every fact behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentStatus {
    /// Component name.
    pub name: String,
    /// The version table's name for messages (see [`Context::table`]).
    pub version_table: String,
    /// The ini, as shown to people.
    pub config: Option<String>,
    /// The script directory, as shown to people.
    pub script_location: Option<String>,
    /// The database URL with the password masked.
    pub database: Option<String>,
    /// The most severe state that applies.
    pub state: State,
    /// The version-table rows the scripts know, in load order.
    pub current: Vec<Revision>,
    /// The real heads (the upgrade target), in load order.
    pub heads: Vec<Revision>,
    /// What `alembic upgrade heads` would run, oldest first.
    pub pending: Vec<Revision>,
    /// Version-table rows the scripts do not know.
    pub unknown: Vec<String>,
    /// What the database held when it holds no revision.
    pub fresh: Option<Fresh>,
    /// Divergence details, when heads have diverged.
    pub diverged: Option<Divergence>,
    /// The error that decided the state, if any.
    pub error: Option<ErrorInfo>,
    /// One sentence for people after `Status:`.
    pub summary: String,
    /// What to do next, most useful first.
    pub actions: Vec<String>,
    /// Other facts worth knowing.
    pub notes: Vec<String>,
}

/// Why a database counts as holding no revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fresh {
    /// The SQLite file does not exist.
    NoDatabaseFile,
    /// There is no version table.
    NoTable,
    /// The version table is empty.
    EmptyTable,
}

impl ComponentStatus {
    /// The exit code for this component.
    pub fn exit_code(&self) -> u8 {
        self.state.exit_code()
    }

    /// A config-error verdict (no map could be built).
    pub fn config_error(
        ctx: &Context,
        kind: &str,
        title: &str,
        message: String,
        actions: Vec<String>,
    ) -> Self {
        ComponentStatus {
            name: ctx.name.clone(),
            version_table: ctx.table().to_string(),
            config: ctx.config.clone(),
            script_location: ctx.script_location.clone(),
            database: ctx.database.clone(),
            state: State::ConfigError,
            current: Vec::new(),
            heads: Vec::new(),
            pending: Vec::new(),
            unknown: Vec::new(),
            fresh: None,
            diverged: None,
            error: Some(ErrorInfo {
                kind: kind.to_string(),
                title: title.to_string(),
                message,
            }),
            summary: "The configuration could not be read; nothing was compared.".to_string(),
            actions,
            notes: ctx.notes.clone(),
        }
    }
}

/// Describe one revision of the map.
pub fn revision(map: &RevisionMap, idx: RevIdx, cwd: &Path) -> Revision {
    let script = map.script(idx);
    Revision {
        id: script.revision.clone(),
        message: script.doc().to_string(),
        path: display_path(&script.path, cwd),
        labels: map.labels(idx).into_iter().map(str::to_string).collect(),
    }
}

/// `path` relative to `cwd` when it lies under it, else as is.
pub fn display_path(path: &Path, cwd: &Path) -> PathBuf {
    match path.strip_prefix(cwd) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.to_path_buf(),
        _ => path.to_path_buf(),
    }
}

/// The verdict for one component.
pub fn evaluate(map: &RevisionMap, db: &DbRead, ctx: &Context) -> ComponentStatus {
    let cwd = ctx.cwd.as_path();
    let real_heads = map.real_heads();
    let heads: Vec<Revision> = real_heads.iter().map(|&h| revision(map, h, cwd)).collect();
    let divergence = find_divergence(map, &real_heads);

    let mut status = ComponentStatus {
        name: ctx.name.clone(),
        version_table: ctx.table().to_string(),
        config: ctx.config.clone(),
        script_location: ctx.script_location.clone(),
        database: ctx.database.clone(),
        state: State::UpToDate,
        current: Vec::new(),
        heads,
        pending: Vec::new(),
        unknown: Vec::new(),
        fresh: None,
        diverged: None,
        error: None,
        summary: String::new(),
        actions: Vec::new(),
        notes: ctx.notes.clone(),
    };
    if map.is_empty() {
        status
            .notes
            .push("the scripts define no revisions yet".to_string());
    }

    let rows = match db {
        DbRead::Rows(VersionRows::Rows(rows)) => rows.clone(),
        DbRead::Rows(VersionRows::NoTable) => {
            status.fresh = Some(Fresh::NoTable);
            Vec::new()
        }
        DbRead::Rows(VersionRows::NoDatabaseFile) => {
            status.fresh = Some(Fresh::NoDatabaseFile);
            Vec::new()
        }
        DbRead::Failed(e) => {
            status.state = State::DatabaseError;
            status.error = Some(ErrorInfo {
                kind: e.kind.as_str().to_string(),
                title: db_error_title(e.kind).to_string(),
                message: e.message.clone(),
            });
            status.summary = "The database could not be read; nothing was compared.".to_string();
            status.actions = advice::db_error_actions(e.kind, ctx);
            if let Some(d) = &divergence {
                status.diverged = Some(d.report(map, cwd));
                status
                    .notes
                    .push(format!("the scripts have diverged heads too: {}", d.reason));
            }
            return status;
        }
        DbRead::NoUrl => {
            status.state = State::DatabaseError;
            status.error = Some(ErrorInfo {
                kind: "no-url".to_string(),
                title: "No database URL".to_string(),
                message: format!(
                    "no database URL for {}: {} has no sqlalchemy.url, and neither --url nor DB_STATUS_URL is set",
                    ctx.name,
                    ctx.config.as_deref().unwrap_or("the ini")
                ),
            });
            status.summary = "The database could not be read; nothing was compared.".to_string();
            status.actions = advice::no_url_actions(ctx);
            return status;
        }
    };
    if rows.is_empty() && status.fresh.is_none() {
        status.fresh = Some(Fresh::EmptyTable);
    }

    // Rows resolve like Alembic's `get_revisions` (partial ids accepted).
    let mut known: Vec<(RevIdx, String)> = Vec::new();
    for row in &rows {
        match resolve_row(map, row) {
            Some(idx) => known.push((idx, row.clone())),
            None => status.unknown.push(row.clone()),
        }
    }
    known.sort_by_key(|(idx, _)| *idx);
    known.dedup_by_key(|(idx, _)| *idx);
    status.current = known.iter().map(|&(i, _)| revision(map, i, cwd)).collect();
    let known_rows: Vec<String> = known
        .iter()
        .map(|(i, _)| map.script(*i).revision.clone())
        .collect();

    let mut overlap: Option<String> = None;
    match map.upgrade_plan(&known_rows) {
        Ok(plan) => status.pending = plan.iter().map(|&i| revision(map, i, cwd)).collect(),
        Err(e) => overlap = Some(e.message),
    }

    let mut states = vec![State::UpToDate];
    if !status.pending.is_empty() {
        states.push(State::Behind);
    }
    if status.fresh.is_some() {
        states.push(State::NoRevision);
    }
    if divergence.is_some() {
        states.push(State::Diverged);
    }
    if !status.unknown.is_empty() {
        states.push(State::UnknownRevision);
    }
    if overlap.is_some() {
        states.push(State::DatabaseError);
    }
    status.state = states.into_iter().max().unwrap_or(State::UpToDate);
    if let Some(d) = &divergence {
        status.diverged = Some(d.report(map, cwd));
    }

    let n = status.pending.len();
    let pending_phrase = format!("{n} migration{} pending", if n == 1 { "" } else { "s" });
    match status.state {
        State::UpToDate => {
            status.summary = if status.heads.len() > 1 {
                format!(
                    "Database schema is current on all branches ({} heads). No migrations pending.",
                    status.heads.len()
                )
            } else {
                "Database schema is current. No migrations pending.".to_string()
            };
        }
        State::Behind => {
            status.summary = format!("{pending_phrase}.");
            status.actions = advice::upgrade_actions(map, ctx, false);
        }
        State::NoRevision => {
            let table = ctx.table();
            let why = match status.fresh {
                Some(Fresh::NoDatabaseFile) => "the database file does not exist yet".to_string(),
                Some(Fresh::NoTable) => format!("there is no {table} table"),
                _ => format!("the {table} table is empty"),
            };
            status.summary = format!(
                "Database not initialized: {why}. {n} migration{} to apply.",
                if n == 1 { "" } else { "s" }
            );
            status.actions = advice::upgrade_actions(map, ctx, true);
        }
        State::Diverged => {
            let reason = divergence
                .as_ref()
                .map_or(String::new(), |d| d.reason.clone());
            status.summary = format!("Multiple migration heads detected: {reason}.");
            if let Some(d) = &divergence {
                status.actions = advice::divergence_actions(map, d, &known_rows, &real_heads, ctx);
            }
            status.notes.push(
                "`alembic upgrade head` fails while the heads are diverged (Multiple head revisions are present); join them first"
                    .to_string(),
            );
        }
        State::UnknownRevision => {
            status.summary = format!(
                "The database is at {} these scripts do not know.",
                if status.unknown.len() == 1 {
                    "a revision"
                } else {
                    "revisions"
                }
            );
            let where_ = ctx
                .script_location
                .as_deref()
                .map_or(String::new(), |s| format!(" in {s}"));
            status.error = Some(ErrorInfo {
                kind: "unknown-revision".to_string(),
                title: "Unknown revision".to_string(),
                message: format!(
                    "{} {} not among the {} revision{}{where_}: the database is ahead of this checkout, or was migrated from another branch",
                    status.unknown.join(", "),
                    if status.unknown.len() == 1 {
                        "is"
                    } else {
                        "are"
                    },
                    map.len(),
                    if map.len() == 1 { "" } else { "s" },
                ),
            });
            status.actions = advice::unknown_actions(map, &status.unknown, &real_heads, ctx);
            if let Some(d) = &divergence {
                status
                    .notes
                    .push(format!("the scripts have diverged heads too: {}", d.reason));
            }
            if n > 0 && !status.current.is_empty() {
                status
                    .notes
                    .push(format!("for the rows the scripts know, {pending_phrase}"));
            }
        }
        State::DatabaseError | State::ConfigError => {
            let message = overlap.unwrap_or_default();
            status.summary =
                "The version table is inconsistent; Alembic would refuse to upgrade.".to_string();
            status.error = Some(ErrorInfo {
                kind: "inconsistent-version-table".to_string(),
                title: "Inconsistent version table".to_string(),
                message: format!("{message} (one row is an ancestor of another)"),
            });
            status.actions = advice::overlap_actions(map, &known, ctx);
        }
    }
    status
}

/// Resolve a version-table row as Alembic does: exact id, else a unique prefix.
fn resolve_row(map: &RevisionMap, row: &str) -> Option<RevIdx> {
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

/// Diverged heads found in the map, before they are rendered.
#[derive(Debug, Clone)]
pub(crate) struct Diverged {
    /// Diverged heads in `real_heads` order.
    pub(crate) heads: Vec<RevIdx>,
    /// Newest common ancestor of all of them.
    pub(crate) lca: Option<RevIdx>,
    /// Why they count as diverged.
    pub(crate) reason: String,
    /// Revisions in newest-first history order (or load order reversed when unavailable).
    pub(crate) history: Vec<RevIdx>,
}

impl Diverged {
    fn report(&self, map: &RevisionMap, cwd: &Path) -> Divergence {
        Divergence {
            heads: self.heads.iter().map(|&h| revision(map, h, cwd)).collect(),
            last_common_ancestor: self.lca.map(|a| revision(map, a, cwd)),
            reason: self.reason.clone(),
        }
    }
}

fn find_divergence(map: &RevisionMap, real_heads: &[RevIdx]) -> Option<Diverged> {
    let mut unlabelled: Vec<RevIdx> = Vec::new();
    let mut by_label: BTreeMap<String, Vec<RevIdx>> = BTreeMap::new();
    for &h in real_heads {
        let labels = map.labels(h);
        if labels.is_empty() {
            unlabelled.push(h);
        }
        for l in labels {
            by_label.entry(l.to_string()).or_default().push(h);
        }
    }
    let mut diverged: BTreeSet<RevIdx> = BTreeSet::new();
    let mut reasons: Vec<String> = Vec::new();
    if unlabelled.len() >= 2 {
        diverged.extend(unlabelled.iter().copied());
        reasons.push(format!("{} heads carry no branch label", unlabelled.len()));
    }
    for (label, heads) in &by_label {
        if heads.len() >= 2 {
            diverged.extend(heads.iter().copied());
            reasons.push(format!(
                "{} heads share the branch label '{label}'",
                heads.len()
            ));
        }
    }
    if diverged.is_empty() {
        return None;
    }
    let heads: Vec<RevIdx> = real_heads
        .iter()
        .copied()
        .filter(|h| diverged.contains(h))
        .collect();
    let history = match map.history(None, None) {
        Ok(h) if h.len() == map.len() => h,
        // Fall back to reverse load order, which is at least stable.
        _ => (0..map.len()).rev().collect(),
    };
    let mut common: Option<BTreeSet<RevIdx>> = None;
    for &h in &heads {
        let anc: BTreeSet<RevIdx> = map.ancestors(h).into_iter().collect();
        common = Some(match common {
            None => anc,
            Some(c) => c.intersection(&anc).copied().collect(),
        });
    }
    let common = common.unwrap_or_default();
    let lca = history.iter().copied().find(|i| common.contains(i));
    Some(Diverged {
        heads,
        lca,
        reason: reasons.join("; "),
        history,
    })
}

/// `Create Date: …` from a revision's docstring (Alembic's template writes it).
pub(crate) fn create_date(map: &RevisionMap, idx: RevIdx) -> Option<String> {
    map.script(idx).longdoc.lines().find_map(|l| {
        l.trim()
            .strip_prefix("Create Date:")
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty())
    })
}

#[cfg(test)]
mod tests;
