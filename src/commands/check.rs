//! `db-status check`: the scripts alone, for CI and pre-commit. Selects the
//! components like `status` does, reads each one's revision files, collects
//! every finding ([`crate::check`]) and renders them as text, JSON or GitHub
//! annotations. Exit code: 0 clean, 4 diverged heads, 7 any other error
//! (warnings count only with `--strict`); the largest over components.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::check::{self, Code, ComponentCheck, Finding, FixContext};
use crate::cli::{Format, GlobalArgs};
use crate::config::components::{self, ComponentSpec, SelectRequest};
use crate::config::{AlembicConfig, ConfigRequest};
use crate::report;

/// The working directory, symlinks resolved so script paths (which the
/// loader resolves) can be shown relative to it.
pub(crate) fn working_dir() -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    std::fs::canonicalize(&cwd).unwrap_or(cwd)
}

/// The component selection the global flags describe.
pub(crate) fn select_request(g: &GlobalArgs, cwd: &Path) -> SelectRequest {
    SelectRequest {
        components: g.component.clone(),
        all: g.all,
        config_files: g.config.clone(),
        section: g.name.clone(),
        cwd: cwd.to_path_buf(),
        alembic_config_env: std::env::var("ALEMBIC_CONFIG")
            .ok()
            .filter(|v| !v.is_empty()),
    }
}

/// Load the Alembic configuration of one selected component.
pub(crate) fn load_config(
    spec: &ComponentSpec,
    cwd: &Path,
) -> Result<AlembicConfig, crate::config::ConfigError> {
    crate::config::load(&ConfigRequest {
        config_files: spec.config_files.clone(),
        section: spec.section.clone(),
        cwd: cwd.to_path_buf(),
        alembic_config_env: spec.alembic_config_env.clone(),
    })
}

/// How the user runs Alembic for this configuration, for the fixes we print
/// (`./py -m alembic` in a Backend.AI checkout, `-c`/`-n` when not default).
pub(crate) fn alembic_command(config: &AlembicConfig, cwd: &Path) -> String {
    let mut cmd = if cwd.join("py").is_file() && cwd.join("src/ai/backend").is_dir() {
        "./py -m alembic".to_string()
    } else {
        "alembic".to_string()
    };
    if config.ini_name != "alembic.ini" {
        cmd.push_str(" -c ");
        cmd.push_str(&config.ini_name);
    }
    if config.section != "alembic" {
        cmd.push_str(" -n ");
        cmd.push_str(&config.section);
    }
    cmd
}

/// Colour only for a terminal, and never when `NO_COLOR` is set (no-color.org).
fn use_color() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Every finding for one component.
pub fn check_component(spec: &ComponentSpec, cwd: &Path) -> ComponentCheck {
    let mut result = ComponentCheck {
        name: spec.name.clone(),
        config: spec.ini.clone(),
        ..Default::default()
    };
    let config = match load_config(spec, cwd) {
        Ok(c) => c,
        Err(e) => {
            let file = spec.ini.as_ref().map(|p| cwd.join(p));
            result.findings.push(
                Finding::error(Code::Config, file, 0, e.to_string()).with_fix(
                    "fix the Alembic configuration (db-status reads it as `alembic` would)",
                ),
            );
            return result;
        }
    };
    if let Some(ini) = &config.ini_path {
        result.config = Some(ini.clone());
    }
    let ctx = FixContext {
        alembic: alembic_command(&config, cwd),
        cwd: Some(cwd.to_path_buf()),
    };
    let (set, errors) = crate::scripts::load_partial(
        &config.version_locations,
        config.recursive_version_locations,
        config.sourceless,
    );
    result.revisions = set.scripts.len();
    if errors.is_empty() {
        let (findings, heads) = check::analyze(&set.scripts, &ctx);
        result.findings = findings;
        result.heads = heads;
    } else {
        // The unreadable files may hold the parents, children or heads the
        // graph checks would look for: report them, and whatever the readable
        // files say about themselves, but no graph verdict.
        result.findings = check::unreadable_findings(&errors);
        result
            .findings
            .extend(check::file_local_findings(&set.scripts, &ctx));
    }
    result
}

/// Run the scripts-only checks.
pub fn run(g: &GlobalArgs, strict: bool, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let format = g.format.unwrap_or(Format::Human);
    if !matches!(format, Format::Human | Format::Json | Format::Github) {
        let _ = writeln!(
            err,
            "error: `check` writes --format human, json or github (mermaid and dot are for \
             `db-status graph`)"
        );
        return 2;
    }
    let cwd = working_dir();
    let results: Vec<ComponentCheck> = components::select(&select_request(g, &cwd))
        .into_iter()
        .map(|selected| match selected {
            Ok(spec) => check_component(&spec, &cwd),
            Err(e) => {
                let mut f = Finding::error(Code::Config, e.file.clone(), 0, e.message.clone());
                if !e.actions.is_empty() {
                    f = f.with_fix(e.actions.join("; "));
                }
                ComponentCheck {
                    name: e.name.clone(),
                    config: e.file.clone(),
                    findings: vec![f],
                    ..Default::default()
                }
            }
        })
        .collect();
    let code = results
        .iter()
        .map(|c| c.exit_code(strict))
        .max()
        .unwrap_or(0);
    let written = match format {
        Format::Json => report::check::render_json(&results, strict, code, &cwd, out),
        Format::Github => report::github::render(&results, &cwd, out),
        _ => report::check::render_human(&results, strict, use_color(), &cwd, out),
    };
    if let Err(e) = written
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        let _ = writeln!(err, "error: cannot write the report: {e}");
    }
    code
}
