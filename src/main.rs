//! The `db-status` binary: parse flags, run, exit with the command's code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = match db_status::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => usage_error(e),
    };
    let code = db_status::commands::run(cli);
    std::process::ExitCode::from(code)
}

/// Print a clap error (or `--help`/`--version`) and exit as clap would,
/// except that the password of any URL in it is masked: clap echoes
/// unexpected arguments, and a URL typed without `--url` would otherwise
/// put its password in the terminal and in CI logs.
fn usage_error(e: clap::Error) -> ! {
    let text = db_status::database::mask::mask_url_passwords(&e.render().to_string());
    if e.use_stderr() {
        eprint!("{text}");
    } else {
        print!("{text}");
    }
    std::process::exit(e.exit_code());
}
