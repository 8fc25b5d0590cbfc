//! `db-status check`: the scripts alone, for CI and pre-commit. Selects the
//! components like `status` does, reads each one's revision files, collects
//! every finding ([`crate::check`]) and renders them as text, JSON or GitHub
//! annotations. Exit code: 0 clean, 4 diverged heads, 7 any other error
//! (warnings count only with `--strict`); the largest over components.

use std::io::Write;

use crate::check::{self, Code, ComponentCheck, Finding, FixContext};
use crate::cli::{Format, GlobalArgs};
use crate::report;
use crate::target::Component;

/// Every finding for one component.
pub(crate) fn check_component(component: &Component) -> ComponentCheck {
    let ws = &component.workspace;
    let mut result = ComponentCheck {
        name: component.name().to_string(),
        config: component.spec.ini.as_ref().map(|i| ws.root.join(i)),
        ..Default::default()
    };
    let config = match &component.config {
        Ok(c) => c,
        Err(e) => {
            let mut message = e.message.clone();
            for c in &e.causes {
                message.push_str(&format!(" ({c})"));
            }
            let fix = if e.hints.is_empty() {
                "fix the Alembic configuration (db-status reads it as `alembic` would)".to_string()
            } else {
                e.hints.join("; ")
            };
            result.findings.push(
                Finding::error(Code::Config, result.config.clone(), 0, message).with_fix(fix),
            );
            return result;
        }
    };
    if let Some(ini) = &config.ini_path {
        result.config = Some(ini.clone());
    }
    let ctx = FixContext {
        alembic: component.alembic.clone(),
        cwd: Some(ws.cwd.clone()),
    };
    let resolver = crate::scripts::imports::Resolver::new(config.search_path.clone());
    let (set, errors) = crate::scripts::load_partial_with(
        &config.version_locations,
        config.recursive_version_locations,
        config.sourceless,
        crate::scripts::Fallbacks {
            imports: Some(&resolver),
            python: ws.python.as_ref(),
        },
    );
    result.revisions = set.scripts.len();
    result.notes = set.notes.clone();
    let missing: Vec<Finding> = set
        .missing_modules
        .iter()
        .map(|m| {
            Finding::warning(
                Code::MissingModule,
                Some(m.at.file.clone()),
                m.at.line,
                format!(
                    "`from {0} import *`: module `{0}` is not found on the search path, so \
                     db-status takes it to bind none of revision, down_revision, branch_labels, \
                     depends_on (Alembic would fail to import it)",
                    m.module
                ),
            )
            .with_fix(format!(
                "install `{}` where db-status looks (the virtualenv, PYTHONPATH, or \
                 prepend_sys_path)",
                m.module
            ))
        })
        .collect();
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
    result.findings.extend(missing);
    check::sort(&mut result.findings);
    result
}

/// The `--base REF` findings for one component: its scripts compared with
/// those at the git ref ([`check::base`]).
pub(crate) fn check_base(component: &Component, base: &str) -> Vec<Finding> {
    let Ok(config) = &component.config else {
        return Vec::new();
    };
    let ws = &component.workspace;
    let ctx = FixContext {
        alembic: component.alembic.clone(),
        cwd: Some(ws.cwd.clone()),
    };
    let (setting, _) = component.release_setting();
    let pattern = setting.pattern();
    let base_scripts = match check::base::load_at(
        base,
        &config.version_locations,
        config.recursive_version_locations,
        pattern,
    ) {
        Ok(b) => b,
        Err(e) => {
            return vec![
                Finding::error(
                    Code::Base,
                    None,
                    0,
                    format!("cannot read the scripts at {base}: {e}"),
                )
                .with_fix(
                    "run inside the git repository, with the ref fetched (`git fetch origin main`)",
                ),
            ];
        }
    };
    let (set, _) = crate::scripts::load_partial(
        &config.version_locations,
        config.recursive_version_locations,
        config.sourceless,
    );
    let head: Vec<(crate::scripts::Script, Vec<crate::releases::Release>)> = set
        .scripts
        .into_iter()
        .map(|s| {
            let releases = pattern
                .and_then(|p| {
                    std::fs::read(&s.path).ok().map(|b| {
                        crate::releases::read_text(&String::from_utf8_lossy(&b), &s.lines, p)
                    })
                })
                .unwrap_or_default();
            (s, releases)
        })
        .collect();
    check::base::compare(base, &base_scripts, &head, pattern.is_some(), &ctx)
}

/// Run the scripts-only checks (and the `--base REF` comparison).
pub(crate) fn run(
    g: &GlobalArgs,
    strict: bool,
    base: Option<&str>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let format = g.format.unwrap_or(Format::Human);
    let selection = match super::select(g, false, false) {
        Ok(s) => s,
        Err(e) => return super::usage(&e, g, out, err),
    };
    let results: Vec<ComponentCheck> = selection
        .targets
        .iter()
        .map(|t| {
            let mut c = check_component(&t.component);
            if let Some(base) = base {
                c.findings.extend(check_base(&t.component, base));
            }
            c
        })
        .collect();
    let cwd = &selection.workspace.cwd;
    let code = results
        .iter()
        .map(|c| c.exit_code(strict))
        .max()
        .unwrap_or(crate::error::Exit::UpToDate.code());
    for n in results.iter().flat_map(|r| &r.notes) {
        let _ = writeln!(err, "note: {n}");
    }
    let written = match format {
        Format::Json => report::check::render_json(&results, strict, code, cwd, out),
        Format::Github => report::github::render(&results, cwd, out),
        _ => report::check::render_human(&results, strict, super::status::use_color(), cwd, out),
    };
    if let Err(e) = written
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        let _ = writeln!(err, "error: cannot write the report: {e}");
    }
    code
}
