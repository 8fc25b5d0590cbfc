//! `db-status completions SHELL` and `db-status man`, loaded by the real
//! programs that use them: bash and zsh source the completion scripts (and
//! bash completes a subcommand with them), `man -l` renders the page with
//! groff's warnings on and must print none.
//!
//! `scripts/test.sh` installs zsh and man-db when they are missing.

use std::path::Path;
use std::process::{Command, Output};

fn db_status(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_db-status"))
        .args(args)
        .output()
        .expect("run db-status");
    assert!(out.status.success(), "db-status {args:?}: {out:?}");
    assert!(out.stderr.is_empty(), "db-status {args:?}: {out:?}");
    out
}

/// Write `db-status ARGS`'s output to `dir/name`.
fn generate(dir: &Path, name: &str, args: &[&str]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, db_status(args).stdout).expect("write generated file");
    path
}

/// Run a program that must be installed; fail with the install hint when not.
fn run(program: &str, args: &[&str], package: &str) -> Output {
    Command::new(program)
        .args(args)
        .env("LANG", "C.UTF-8")
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run `{program}` ({e}); install it: apt-get install -y {package}")
        })
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn bash_loads_the_completion_script_and_completes_subcommands() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = generate(dir.path(), "db-status.bash", &["completions", "bash"]);
    let script = script.to_str().expect("utf-8 path");

    let syntax = run("bash", &["-n", script], "bash");
    assert!(syntax.status.success(), "bash -n: {syntax:?}");

    // Source it as bash-completion would, then ask for the completions of
    // `db-status hea` and of `db-status --format j` through the function
    // that `complete -p` names.
    let probe = format!(
        r#"source '{script}' || exit 10
spec="$(complete -p db-status)" || exit 11
echo "$spec"
fn="$(sed -n 's/.* -F \([^ ]*\) .*/\1/p' <<<"$spec")"
complete_line() {{
    COMP_LINE="$1"; COMP_POINT=${{#COMP_LINE}}
    read -r -a COMP_WORDS <<<"$COMP_LINE"
    [[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
    COMPREPLY=()
    "$fn" db-status "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
    echo "$1 => ${{COMPREPLY[*]}}"
}}
complete_line "db-status hea"
complete_line "db-status check --format j"
complete_line "db-status completions "
"#
    );
    let out = run("bash", &["--noprofile", "--norc", "-c", &probe], "bash");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout.starts_with("complete ") && stdout.lines().next().unwrap().ends_with(" db-status"),
        "{stdout}"
    );
    assert!(stdout.contains("db-status hea => heads\n"), "{stdout}");
    assert!(
        stdout.contains("db-status check --format j => json\n"),
        "{stdout}"
    );
    let shells = stdout
        .lines()
        .find_map(|l| l.strip_prefix("db-status completions  => "))
        .unwrap_or_else(|| panic!("{stdout}"));
    for shell in ["bash", "zsh", "fish", "powershell"] {
        assert!(shells.split(' ').any(|s| s == shell), "{stdout}");
    }
}

#[test]
fn zsh_loads_the_completion_script_through_compinit() {
    let dir = tempfile::tempdir().expect("tempdir");
    // zsh finds completion functions as `_NAME` files on `$fpath`.
    let script = generate(dir.path(), "_db-status", &["completions", "zsh"]);
    let syntax = run("zsh", &["-n", script.to_str().expect("utf-8")], "zsh");
    assert!(syntax.status.success(), "zsh -n: {syntax:?}");

    let probe = format!(
        r#"fpath=('{dir}' $fpath)
autoload -Uz compinit && compinit -u -d '{dir}/.zcompdump' || exit 10
print -r -- "registered: ${{_comps[db-status]}}"
autoload -Uz +X _db-status || exit 11
whence -w _db-status
"#,
        dir = dir.path().display()
    );
    let out = run("zsh", &["-f", "-c", &probe], "zsh");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout.contains("registered: _db-status\n"), "{stdout}");
    assert!(stdout.contains("_db-status: function\n"), "{stdout}");
    assert!(out.stderr.is_empty(), "zsh printed: {}", text(&out.stderr));
}

#[test]
fn fish_and_powershell_scripts_name_every_subcommand() {
    // Not loaded by a real shell here (neither is installed by the test
    // setup): checked for content only.
    let fish = text(&db_status(&["completions", "fish"]).stdout);
    let ps = text(&db_status(&["completions", "powershell"]).stdout);
    for sub in [
        "status",
        "heads",
        "history",
        "check",
        "graph",
        "completions",
        "man",
    ] {
        assert!(fish.contains(&format!("-a \"{sub}\"")), "fish lacks {sub}");
        assert!(ps.contains(&format!("'{sub}'")), "powershell lacks {sub}");
    }
}

#[test]
fn unknown_shell_is_a_usage_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_db-status"))
        .args(["completions", "tcsh"])
        .output()
        .expect("run db-status");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = text(&out.stderr);
    assert!(err.contains("invalid value 'tcsh'"), "{err}");
    assert!(err.contains("bash"), "{err}");
}

#[test]
fn man_renders_without_warnings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = generate(dir.path(), "db-status.1", &["man"]);
    let page = page.to_str().expect("utf-8 path");
    // `--warnings` turns on groff's warnings (man-db passes -w to troff);
    // MANWIDTH fixes the layout, MAN_KEEP_FORMATTING=0 and a pipe give text.
    let out = Command::new("man")
        .args(["--warnings", "-l", page])
        .env("MANWIDTH", "80")
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env("LANG", "C.UTF-8")
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run `man` ({e}); install it: apt-get install -y man-db")
        });
    let rendered = text(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "man -l warned:\n{}",
        text(&out.stderr)
    );
    for heading in [
        "NAME",
        "SYNOPSIS",
        "OPTIONS",
        "COMMANDS",
        "EXIT STATUS",
        "VERSION",
    ] {
        assert!(
            rendered.lines().any(|l| l == heading),
            "no {heading} section:\n{rendered}"
        );
    }
    // Every subcommand has its subsection, with its own options.
    assert!(rendered.contains("   db-status heads\n"), "{rendered}");
    assert!(rendered.contains("--resolve-dependencies"), "{rendered}");
    // The exit-code table keeps one code per line.
    assert!(
        rendered
            .lines()
            .any(|l| l.trim_start().starts_with("4  diverged")),
        "{rendered}"
    );
    assert!(
        rendered.contains(&format!("db-status {}", env!("CARGO_PKG_VERSION"))),
        "{rendered}"
    );
}

#[test]
fn version_names_the_commit() {
    let out = db_status(&["--version"]);
    let version = text(&out.stdout);
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or_else(
            || "unknown".to_owned(),
            |o| text(&o.stdout).trim().to_owned(),
        );
    assert_eq!(
        version,
        format!(
            "db-status {} (commit {commit})\n",
            env!("CARGO_PKG_VERSION")
        )
    );
}
