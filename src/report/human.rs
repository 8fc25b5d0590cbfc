//! The human status report: the seed's blocks (indicator + `Database Status:`,
//! `Component:`, `Current Revision:`, `Head Revision(s):`, `Status:`), then
//! the pending list, divergence details, error details and numbered
//! recommended actions. Symbols or `[ASCII]` markers and colour are chosen by
//! the caller (`HumanOptions`); this module only formats.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use crate::status::{ComponentStatus, Fresh, Report, Revision, State};

/// How to render.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct HumanOptions {
    /// `[OK]`-style markers instead of emoji.
    pub(crate) ascii: bool,
    /// ANSI colour (only for a terminal without NO_COLOR).
    pub(crate) color: bool,
    /// Also show config path, script location and masked database URL.
    pub(crate) verbose: bool,
}

/// At most this many pending migrations are listed (a fresh Backend.AI
/// manager database has ~500); the JSON report always lists all.
const PENDING_SHOWN: usize = 20;

/// The indicator for a state: emoji, or an ASCII marker.
pub fn indicator(state: State, ascii: bool) -> &'static str {
    match (state, ascii) {
        (State::UpToDate, false) => "✅",
        (State::Behind, false) => "⚠️",
        (State::Diverged, false) => "🔀",
        (State::NoRevision | State::Unstamped, false) => "❓",
        (State::UnknownRevision, false) => "⛔",
        (State::DatabaseError | State::ConfigError, false) => "❌",
        (State::UpToDate, true) => "[OK]",
        (State::Behind, true) => "[BEHIND]",
        (State::Diverged, true) => "[DIVERGED]",
        (State::NoRevision, true) => "[NEW]",
        (State::Unstamped, true) => "[UNSTAMPED]",
        (State::UnknownRevision, true) => "[UNKNOWN]",
        (State::DatabaseError | State::ConfigError, true) => "[ERROR]",
    }
}

/// The colour of a state (the terminal's, and the HTML page's).
pub(crate) fn state_color(state: State) -> AnsiColor {
    match state {
        State::UpToDate => AnsiColor::Green,
        State::Behind | State::NoRevision | State::Unstamped => AnsiColor::Yellow,
        State::Diverged => AnsiColor::Magenta,
        State::UnknownRevision | State::DatabaseError | State::ConfigError => AnsiColor::Red,
    }
}

fn state_style(state: State) -> Style {
    Style::new()
        .bold()
        .fg_color(Some(state_color(state).into()))
}

struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }
    fn bold(&self, text: &str) -> String {
        self.paint(Style::new().bold(), text)
    }
    fn dim(&self, text: &str) -> String {
        self.paint(Style::new().dimmed(), text)
    }
}

/// Render every component, separated by a blank line, then the run's notes.
pub(crate) fn render(report: &Report, opts: &HumanOptions, out: &mut dyn Write) -> io::Result<()> {
    for (i, s) in report.components.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        render_one(s, opts, out)?;
    }
    if !report.notes.is_empty() {
        let p = Painter { color: opts.color };
        writeln!(out)?;
        for n in &report.notes {
            writeln!(out, "{} {n}", p.bold("Note:"))?;
        }
    }
    Ok(())
}

fn with_message(r: &Revision) -> String {
    if r.message.is_empty() {
        r.id.clone()
    } else {
        format!("{} ({})", r.id, r.message)
    }
}

/// With the branch labels too, where heads are told apart by them.
fn with_labels(r: &Revision) -> String {
    if r.labels.is_empty() {
        with_message(r)
    } else {
        // Merges inherit every label below them; a few say enough.
        let shown: Vec<&str> = r.labels.iter().take(3).map(String::as_str).collect();
        let more = match r.labels.len().saturating_sub(3) {
            0 => String::new(),
            n => format!(", +{n} more"),
        };
        format!("{} [{}{more}]", with_message(r), shown.join(", "))
    }
}

/// With the release its comment names: `… — released in 26.4.6`.
fn with_release(r: &Revision, ascii: bool) -> String {
    let dash = if ascii { "--" } else { "—" };
    if r.releases.is_empty() {
        with_labels(r)
    } else if crate::releases::is_unreleased(&r.releases) {
        format!("{} {dash} unreleased", with_labels(r))
    } else {
        format!(
            "{} {dash} released in {}",
            with_labels(r),
            crate::releases::describe(&r.releases)
        )
    }
}

/// Render one component.
pub(crate) fn render_one(
    s: &ComponentStatus,
    opts: &HumanOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let p = Painter { color: opts.color };
    let ind = indicator(s.state, opts.ascii);
    let headline = match (&s.error, s.state) {
        (Some(_), State::DatabaseError | State::ConfigError) => format!("Error: {}", s.title),
        _ => format!("Database Status: {}", s.title),
    };
    writeln!(out, "{ind} {}", p.paint(state_style(s.state), &headline))?;
    writeln!(out)?;
    if s.labels.is_empty() {
        writeln!(out, "{} {}", p.bold("Component:"), s.name)?;
    } else {
        let labels: Vec<String> = s.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        writeln!(
            out,
            "{} {} ({})",
            p.bold("Component:"),
            s.name,
            labels.join(", ")
        )?;
    }
    let error_state = matches!(s.state, State::DatabaseError | State::ConfigError)
        && s.error
            .as_ref()
            .is_some_and(|e| e.kind != crate::error::ErrorKind::InconsistentVersionTable);
    if (opts.verbose || s.state == State::ConfigError)
        && let Some(c) = &s.config
    {
        writeln!(out, "{} {c}", p.bold("Config:"))?;
    }
    if opts.verbose
        && let Some(sl) = &s.script_location
    {
        writeln!(out, "{} {sl}", p.bold("Script location:"))?;
    }
    let url_elsewhere = s.url_source.as_ref().is_some_and(|u| !u.is_ini());
    if (opts.verbose || url_elsewhere || s.state == State::DatabaseError)
        && let Some(db) = &s.database
    {
        let from = s
            .url_source
            .as_ref()
            .map_or(String::new(), |u| format!(" (from {})", u.describe()));
        writeln!(out, "{} {db}{from}", p.bold("Database:"))?;
    }
    if opts.verbose {
        let sources = &s.table_sources;
        let mut from = vec![sources.name.describe("version_table")];
        if let Some(schema) = &sources.schema {
            from.push(schema.describe("version_table_schema"));
        }
        writeln!(
            out,
            "{} {} (from {})",
            p.bold("Version table:"),
            s.version_table.qualified(),
            from.join("; ")
        )?;
    }

    if !error_state {
        revision_lines(s, &p, opts.ascii, out)?;
        writeln!(out)?;
        writeln!(out, "{} {}", p.bold("Status:"), s.summary)?;
    }

    let pending = s.pending.as_deref().unwrap_or(&[]);
    if !pending.is_empty() && matches!(s.state, State::Behind | State::NoRevision | State::Diverged)
    {
        writeln!(out)?;
        writeln!(out, "{}", p.bold("Pending migrations (oldest first):"))?;
        if !s.pending_by_release.is_empty() {
            let groups = crate::releases::describe_groups(&s.pending_by_release);
            let groups = if opts.ascii {
                groups.replace(" · ", " | ")
            } else {
                groups
            };
            writeln!(out, "  {} {groups}", p.bold("By release:"))?;
        }
        let width = pending.len().min(PENDING_SHOWN).to_string().len();
        for (i, r) in pending.iter().take(PENDING_SHOWN).enumerate() {
            writeln!(
                out,
                "  {:>width$}. {}  {}",
                i + 1,
                with_message(r),
                p.dim(&r.path.display().to_string())
            )?;
        }
        if pending.len() > PENDING_SHOWN {
            writeln!(
                out,
                "  … and {} more (--format json lists them all)",
                pending.len() - PENDING_SHOWN
            )?;
        }
    }

    if !s.skipped.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            p.bold(&format!(
                "Skipped revisions ({} never had them; `alembic upgrade` will not run them):",
                s.from_release.as_deref().unwrap_or("the release")
            ))
        )?;
        for r in &s.skipped {
            writeln!(
                out,
                "  {}  {}",
                with_message(r),
                p.dim(&r.path.display().to_string())
            )?;
        }
    }

    if let Some(d) = &s.diverged {
        writeln!(out)?;
        writeln!(out, "{}", p.bold("Diverged heads:"))?;
        for h in &d.heads {
            writeln!(
                out,
                "  {}  {}",
                with_message(h),
                p.dim(&h.path.display().to_string())
            )?;
        }
        match &d.last_common_ancestor {
            Some(a) => writeln!(
                out,
                "{} {}  {}",
                p.bold("Last common ancestor:"),
                with_message(a),
                p.dim(&a.path.display().to_string())
            )?,
            None => writeln!(
                out,
                "{} none (the heads share no revision)",
                p.bold("Last common ancestor:")
            )?,
        }
    }

    if let Some(e) = &s.error {
        writeln!(out)?;
        writeln!(out, "{} {}", p.bold("Details:"), e.message)?;
    }

    match s.actions.as_slice() {
        [] => {}
        [only] => {
            writeln!(out)?;
            writeln!(out, "{}", p.bold("Recommended action:"))?;
            writeln!(out, "{}", only.text)?;
        }
        many => {
            writeln!(out)?;
            writeln!(out, "{}", p.bold("Recommended actions:"))?;
            for (i, a) in many.iter().enumerate() {
                writeln!(out, "{}. {}", i + 1, a.text)?;
            }
        }
    }

    if !s.notes.is_empty() {
        writeln!(out)?;
        for n in &s.notes {
            writeln!(out, "{} {n}", p.bold("Note:"))?;
        }
    }
    Ok(())
}

/// `Current Revision:` / `Head Revision:` lines, aligned like the seed.
fn revision_lines(
    s: &ComponentStatus,
    p: &Painter,
    ascii: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let with_release = |r: &Revision| with_release(r, ascii);
    let mut current: Vec<String> = s.current.iter().map(with_release).collect();
    current.extend(
        s.unknown
            .iter()
            .map(|u| format!("{u} (not in these scripts)")),
    );
    if current.is_empty() {
        let table = s.version_table.qualified();
        let others = match &s.tables {
            Some(t) if t.count > 0 => format!(
                "; {} other table{}",
                t.count,
                if t.count == 1 { "" } else { "s" }
            ),
            _ => String::new(),
        };
        current.push(match s.fresh {
            Some(Fresh::NoDatabaseFile) => "None (no database file)".to_string(),
            Some(Fresh::NoTable) => format!("None (no {table} table{others})"),
            Some(Fresh::EmptyTable) if !others.is_empty() => {
                format!("None (empty {table} table{others})")
            }
            _ => "None".to_string(),
        });
    }
    let mut heads: Vec<String> = s.heads.iter().map(with_release).collect();
    if heads.is_empty() {
        heads.push("None (no revisions)".to_string());
    }
    let cur_label = if current.len() > 1 {
        "Current Revisions:"
    } else {
        "Current Revision:"
    };
    let head_label = if heads.len() > 1 {
        "Head Revisions:"
    } else {
        "Head Revision:"
    };
    let width = cur_label.len().max(head_label.len()) + 1;
    for (label, values) in [(cur_label, &current), (head_label, &heads)] {
        for (i, v) in values.iter().enumerate() {
            if i == 0 {
                let pad = " ".repeat(width - label.len());
                writeln!(out, "{}{pad}{v}", p.bold(label))?;
            } else {
                writeln!(out, "{}{v}", " ".repeat(width))?;
            }
        }
    }
    Ok(())
}
