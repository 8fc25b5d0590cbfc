//! `db-status man`: the man page (roff), generated from the command-line
//! definition so it documents exactly the flags this binary accepts.
//!
//! One page holds everything, as ripgrep's does: clap_mangen's own
//! subcommand section points at a `db-status-heads(1)`-style page per
//! command, which would mean installing a dozen files. Here each command
//! gets a subsection with its own options instead, and the exit-code table
//! keeps its columns (clap_mangen would reflow it as a paragraph).

use std::io::Write;

use clap::CommandFactory;
use clap_mangen::Man;
use roff::{Roff, bold, roman};

use crate::cli::Cli;

/// Print the man page; returns the exit code.
pub(crate) fn run(out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match page() {
        Ok(page) => super::print_generated(&page, "man page", out, err),
        Err(e) => {
            let _ = writeln!(err, "error: cannot render the man page: {e}");
            crate::error::Exit::OutputFailed.code()
        }
    }
}

/// The definition of the `Aq` string that every roff render starts with
/// (`roff::Roff::to_writer`); the page needs it once, at the top.
const APOSTROPHE_PREAMBLE: &[u8] = b".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";

/// The whole page, as roff source.
pub(crate) fn page() -> std::io::Result<Vec<u8>> {
    let cli = Cli::command();
    let man = Man::new(cli.clone());
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    append(&mut page, |w| man.render_name_section(w))?;
    append(&mut page, |w| man.render_synopsis_section(w))?;
    append(&mut page, |w| man.render_description_section(w))?;
    append(&mut page, |w| man.render_options_section(w))?;
    commands_section(&cli, &mut page)?;
    append(&mut page, |w| exit_status_section().to_writer(w))?;
    append(&mut page, |w| man.render_version_section(w))?;
    Ok(page)
}

/// Render one piece and add it to `page` without its repeated preamble.
fn append(
    page: &mut Vec<u8>,
    render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut piece = Vec::new();
    render(&mut piece)?;
    let body = piece.strip_prefix(APOSTROPHE_PREAMBLE).unwrap_or(&piece);
    page.extend_from_slice(body);
    Ok(())
}

/// `COMMANDS`: one subsection per subcommand, with the options that only
/// it takes (the global ones are under `OPTIONS` already).
fn commands_section(cli: &clap::Command, page: &mut Vec<u8>) -> std::io::Result<()> {
    let name = cli.get_name();
    let mut intro = Roff::new();
    intro.control("SH", ["COMMANDS"]);
    intro.text([
        roman("With no command, "),
        bold(format!("{name} status")),
        roman(" runs. Every option above is accepted before or after the command."),
    ]);
    append(page, |w| intro.to_writer(w))?;
    for sub in cli.get_subcommands().filter(|s| !s.is_hide_set()) {
        let mut head = Roff::new();
        head.control("SS", [format!("{name} {}", sub.get_name()).as_str()]);
        if let Some(about) = sub.get_long_about().or_else(|| sub.get_about()) {
            head.text([roman(about.to_string())]);
        }
        append(page, |w| head.to_writer(w))?;
        let own: Vec<clap::Arg> = sub
            .get_arguments()
            .filter(|a| !a.is_global_set())
            .cloned()
            .collect();
        if own.is_empty() {
            continue;
        }
        // clap_mangen renders options only as a whole `OPTIONS` section:
        // render this command's alone and keep the items.
        let only_own = clap::Command::new("options")
            .disable_help_flag(true)
            .disable_version_flag(true)
            .args(own);
        let mut options = Vec::new();
        append(&mut options, |w| {
            Man::new(only_own).render_options_section(w)
        })?;
        let items = options
            .strip_prefix(b".SH OPTIONS\n".as_slice())
            .unwrap_or(&options);
        page.extend_from_slice(items);
    }
    Ok(())
}

/// `EXIT STATUS`: the table from `--help`, kept as preformatted text.
fn exit_status_section() -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["EXIT STATUS"]);
    roff.control("nf", []);
    for line in crate::error::exit_codes_help().lines().skip(1) {
        roff.text([roman(line.to_owned())]);
    }
    roff.control("fi", []);
    roff
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_page_with_every_command_and_no_dangling_references() {
        let page = String::from_utf8(page().unwrap()).unwrap();
        let preamble = std::str::from_utf8(APOSTROPHE_PREAMBLE).unwrap();
        assert!(page.starts_with(preamble), "{page}");
        assert_eq!(page.matches(preamble).count(), 1, "{page}");
        assert_eq!(page.matches(".SH OPTIONS").count(), 1, "{page}");
        assert!(!page.contains("db\\-status\\-heads(1)"), "{page}");
        for sub in Cli::command().get_subcommands() {
            let heading = format!(".SS \"db-status {}\"", sub.get_name());
            assert!(page.contains(&heading), "{heading} missing:\n{page}");
        }
        assert!(page.contains("\\-\\-resolve\\-dependencies"), "{page}");
        assert!(page.contains("4  diverged"), "{page}");
    }
}
