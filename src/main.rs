//! The `db-status` binary: parse flags, run, exit with the command's code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = db_status::cli::Cli::parse();
    let code = db_status::commands::run(cli);
    std::process::ExitCode::from(code)
}
