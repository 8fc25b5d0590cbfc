//! The `db-status` binary: parse flags, run, exit with the command's code.

#![deny(clippy::unwrap_used)]

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
/// except that the password of any URL in it is masked (clap echoes
/// unexpected arguments, and a URL typed without `--url` would otherwise put
/// its password in the terminal and in CI logs), and that under
/// `--format json` a usage error is one JSON document on stdout.
fn usage_error(e: clap::Error) -> ! {
    let text = db_status::database::mask::mask_url_passwords(&e.render().to_string());
    let args: Vec<String> = std::env::args().skip(1).collect();
    if e.use_stderr() && wants_json(&args) {
        let first = text
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("error: ")
            .to_string();
        let code = db_status::error::Exit::Usage.code();
        let error = db_status::error::Error::usage(first);
        let mut out = std::io::stdout();
        let _ = db_status::report::json::render_error(&error, code, &mut out);
        eprint!("{text}");
        std::process::exit(i32::from(code));
    }
    if e.use_stderr() {
        eprint!("{text}");
    } else {
        print!("{text}");
    }
    std::process::exit(e.exit_code());
}

/// `--format json` / `--format=json` among the arguments.
fn wants_json(args: &[String]) -> bool {
    args.iter().any(|a| a == "--format=json")
        || args
            .windows(2)
            .any(|w| w[0] == "--format" && w[1] == "json")
}
