//! The human report of a fleet (`db-status --targets FILE`): a compact table
//! (component, labels, state, current revision, pending count), then the
//! full block ([`human::render_one`]) of every target that is not up to date,
//! then one summary line (`997 up to date, 2 behind, 1 unreachable`).

use std::io::{self, Write};

use anstyle::Style;

use super::human::{self, HumanOptions};
use crate::status::{ComponentStatus, Report, State};

/// A target's labels as one cell: `env=prod,tenant=acme`, `-` without labels.
pub(crate) fn labels_cell(s: &ComponentStatus) -> String {
    if s.labels.is_empty() {
        return "-".to_string();
    }
    s.labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The current revision(s) as one cell: ids (unknown ones too), `-` for
/// none, `?` when the version table was not read.
fn current_cell(s: &ComponentStatus) -> String {
    if s.table_state.is_none() {
        return "?".to_string();
    }
    let ids: Vec<&str> = s
        .current
        .iter()
        .map(|r| r.id.as_str())
        .chain(s.unknown.iter().map(String::as_str))
        .collect();
    match ids.as_slice() {
        [] => "-".to_string(),
        [one] => (*one).to_string(),
        [first, rest @ ..] => format!("{first}+{}", rest.len()),
    }
}

fn pending_cell(s: &ComponentStatus) -> String {
    s.pending
        .as_ref()
        .map_or_else(|| "?".to_string(), |p| p.len().to_string())
}

/// How the summary line names a state.
pub(crate) fn summary_word(state: State) -> &'static str {
    match state {
        State::UpToDate => "up to date",
        State::Behind => "behind",
        State::NoRevision => "not initialized",
        State::Diverged => "diverged",
        State::UnknownRevision => "unknown revision",
        State::DatabaseError => "unreachable",
        State::ConfigError => "config error",
        State::Unstamped => "unstamped",
    }
}

/// `997 up to date, 2 behind, 1 unreachable`: the count of every state
/// present, best first.
pub(crate) fn summary_line(components: &[ComponentStatus]) -> String {
    let parts: Vec<String> = State::ALL
        .iter()
        .filter_map(|state| {
            let n = components.iter().filter(|c| c.state == *state).count();
            (n > 0).then(|| format!("{n} {}", summary_word(*state)))
        })
        .collect();
    if parts.is_empty() {
        "no targets".to_string()
    } else {
        parts.join(", ")
    }
}

/// Render the table, the details and the summary.
pub(crate) fn render(report: &Report, opts: &HumanOptions, out: &mut dyn Write) -> io::Result<()> {
    let rows: Vec<[String; 5]> = report
        .components
        .iter()
        .map(|s| {
            [
                s.name.clone(),
                labels_cell(s),
                s.state.as_str().to_string(),
                current_cell(s),
                pending_cell(s),
            ]
        })
        .collect();
    let header = ["COMPONENT", "LABELS", "STATE", "CURRENT", "PENDING"];
    let mut width = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let bold = Style::new().bold();
    let paint = |style: Style, text: &str| {
        if opts.color {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    };
    let line = |cells: [&str; 5], state: Option<State>| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(width).enumerate() {
            let pad = w.saturating_sub(cell.chars().count());
            let text = match (i, state) {
                (2, Some(st)) => paint(
                    Style::new().fg_color(Some(super::human::state_color(st).into())),
                    cell,
                ),
                _ => (*cell).to_string(),
            };
            if i == 4 {
                // Numbers align right, and the last column has no trailing blanks.
                s.push_str(&" ".repeat(pad));
                s.push_str(&text);
            } else {
                s.push_str(&text);
                s.push_str(&" ".repeat(pad + 2));
            }
        }
        s
    };
    writeln!(out, "{}", paint(bold, &line(header, None)))?;
    for (row, s) in rows.iter().zip(&report.components) {
        let cells = [
            row[0].as_str(),
            row[1].as_str(),
            row[2].as_str(),
            row[3].as_str(),
            row[4].as_str(),
        ];
        writeln!(out, "{}", line(cells, Some(s.state)))?;
    }
    for s in report
        .components
        .iter()
        .filter(|s| s.state != State::UpToDate)
    {
        writeln!(out)?;
        human::render_one(s, opts, out)?;
    }
    for n in &report.notes {
        writeln!(out)?;
        writeln!(out, "{} {n}", paint(bold, "Note:"))?;
    }
    writeln!(out)?;
    writeln!(out, "{}", summary_line(&report.components))
}
