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
/// except that any argument holding a database password is shown masked:
/// clap echoes unexpected arguments, and a URL typed without `--url`
/// would otherwise put its password in the terminal and in CI logs.
fn usage_error(e: clap::Error) -> ! {
    let secrets: Vec<(String, String)> = std::env::args()
        .skip(1)
        .filter_map(|arg| {
            // `--url=…` and bare URLs alike.
            let value = arg.split_once('=').map_or(arg.as_str(), |(_, v)| v);
            let candidate = if value.contains("://") { value } else { &arg };
            match db_status::database::DbUrl::parse(candidate) {
                Ok(url) => {
                    url.password.as_ref()?;
                    Some((candidate.to_string(), url.masked()))
                }
                // Unparsable but with credentials: hide all of them.
                Err(_) => {
                    let (scheme, rest) = candidate.split_once("://")?;
                    let (_, host) = rest.rsplit_once('@')?;
                    Some((candidate.to_string(), format!("{scheme}://***@{host}")))
                }
            }
        })
        .collect();
    if secrets.is_empty() {
        e.exit();
    }
    let mut text = e.render().to_string();
    for (raw, masked) in &secrets {
        text = text.replace(raw, masked);
    }
    if e.use_stderr() {
        eprint!("{text}");
    } else {
        print!("{text}");
    }
    std::process::exit(e.exit_code());
}
