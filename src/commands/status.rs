//! `db-status [status]`: every selected target's verdict, checked by
//! [`crate::inspect`] and rendered by [`crate::report::status`].

use std::io::{IsTerminal, Write};

use crate::cli::{Format, GlobalArgs};
use crate::inspect;
use crate::report::StatusFormat;
use crate::report::human::HumanOptions;
use crate::status::Report;
use crate::target::Selection;

/// Run the status check for the selected components.
pub(crate) fn run(g: &GlobalArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let format = match g.format {
        Some(Format::Json) => StatusFormat::Json,
        _ => StatusFormat::Human(HumanOptions {
            ascii: g.ascii || !locale_is_utf8(),
            color: use_color(),
            verbose: g.verbose,
        }),
    };
    let selection = match super::select(g, true, false) {
        Ok(s) => s,
        Err(e) => return super::usage(&e, g, out, err),
    };
    let options = super::inspect_options(g);
    let fleet = g.targets.is_some();
    let report = if fleet {
        check_with_progress(&selection, options)
    } else {
        inspect::check_selection(&selection, options)
    };
    let written = match format {
        StatusFormat::Human(opts) if fleet => crate::report::fleet::render(&report, &opts, out),
        _ => crate::report::status(&report, format, out),
    };
    if let Err(e) = written
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        let _ = writeln!(err, "error: cannot write the report: {e}");
    }
    report.exit_code()
}

/// Check a fleet, with a progress bar on stderr when it is a terminal.
fn check_with_progress(selection: &Selection, options: inspect::Options) -> Report {
    let total = selection.targets.len();
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(u64::try_from(total).unwrap_or(u64::MAX));
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} checking {pos}/{len} databases {wide_bar} {elapsed}",
        ) {
            bar.set_style(style);
        }
        Some(bar)
    } else {
        None
    };
    let components = inspect::check_with(&selection.targets, &selection.catalog, options, &|_| {
        if let Some(b) = &bar {
            b.inc(1);
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Report {
        components,
        notes: selection.notes.clone(),
        working_directory: Some(selection.workspace.root.clone()),
    }
}

/// Colour only for a terminal, and never with NO_COLOR set (<https://no-color.org>).
pub(crate) fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// The effective character-type locale (LC_ALL, then LC_CTYPE, then LANG,
/// the first that is set) names UTF-8; an unset locale counts as UTF-8,
/// since terminals that set nothing are UTF-8 nearly everywhere today.
pub(crate) fn locale_is_utf8() -> bool {
    let value = ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
    value.is_none_or(|v| locale_names_utf8(&v))
}

/// Whether a locale name (`en_US.UTF-8`, `C.utf8`) names UTF-8.
pub(crate) fn locale_names_utf8(locale: &str) -> bool {
    let l = locale.to_ascii_lowercase();
    l.contains("utf-8") || l.contains("utf8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_names() {
        assert!(locale_names_utf8("en_US.UTF-8"));
        assert!(locale_names_utf8("C.utf8"));
        assert!(!locale_names_utf8("C"));
        assert!(!locale_names_utf8("en_US.ISO-8859-1"));
    }
}
