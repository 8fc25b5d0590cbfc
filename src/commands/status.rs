//! `db-status [status]`: every selected target's verdict, checked by
//! [`crate::inspect`] and rendered by [`crate::report::status`].

use std::io::{IsTerminal, Write};

use crate::cli::{Format, GlobalArgs};
use crate::inspect;
use crate::report::StatusFormat;
use crate::report::human::HumanOptions;

/// Run the status check for the selected components.
pub fn run(g: &GlobalArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
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
    let report = inspect::check_selection(&selection, super::inspect_options(g));
    if let Err(e) = crate::report::status(&report, format, out)
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        let _ = writeln!(err, "error: cannot write the report: {e}");
    }
    report.exit_code()
}

/// Colour only for a terminal, and never with NO_COLOR set (https://no-color.org).
pub fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// The effective character-type locale (LC_ALL, then LC_CTYPE, then LANG,
/// the first that is set) names UTF-8; an unset locale counts as UTF-8,
/// since terminals that set nothing are UTF-8 nearly everywhere today.
pub fn locale_is_utf8() -> bool {
    let value = ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
    value.is_none_or(|v| locale_names_utf8(&v))
}

/// Whether a locale name (`en_US.UTF-8`, `C.utf8`) names UTF-8.
pub fn locale_names_utf8(locale: &str) -> bool {
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
