//! `db-status completions SHELL`: the shell completion script, generated
//! from the command-line definition so it never falls behind a new flag.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// Print the completion script for `shell`; returns the exit code.
pub(crate) fn run(shell: Shell, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    // Generated into memory first: clap_complete panics when its writer
    // fails, and a closed pipe must not become a panic.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), BIN, &mut script);
    if shell == Shell::Bash {
        script = fix_bash_state_names(&script);
    }
    super::print_generated(&script, "completion script", out, err)
}

const BIN: &str = "db-status";

/// clap_complete's bash script (4.6, clap-rs/clap#6421) spells the state of
/// a subcommand two ways when the binary name has a hyphen: the loop that
/// reads the words sets `db__status__subcmd__check`, the `case` arms that
/// complete its options test `db__subcmd__status__subcmd__check`. No arm
/// ever matches, so nothing after a subcommand completes. Spell the arms
/// the loop's way (a no-op once clap_complete is fixed).
fn fix_bash_state_names(script: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(script);
    let escaped = BIN.replace('-', "__");
    let misspelled = BIN.replace('-', "__subcmd__");
    text.replace(
        &format!("{misspelled}__subcmd__"),
        &format!("{escaped}__subcmd__"),
    )
    .into_bytes()
}
