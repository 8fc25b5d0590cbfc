//! `check` output for people (`path:line: error[code]: message` + `= fix:`)
//! and as one JSON document. The JSON shape is stable:
//!
//! ```text
//! {"exit_code": N,
//!  "components": [{"name", "config", "revisions", "heads": [id…], "exit_code",
//!                  "findings": [{"severity": "error"|"warning", "code", "message",
//!                                "file" (relative to the working directory, or null),
//!                                "line" (1-based, 0 = whole file), "fix" (or null)}]}]}
//! ```

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::check::{ComponentCheck, Severity};

/// `path` relative to `cwd` when it lies below it (what editors and GitHub
/// expect), otherwise as given.
pub fn display_path(path: &Path, cwd: &Path) -> String {
    path.strip_prefix(cwd).unwrap_or(path).display().to_string()
}

/// Human output: one block per finding, then a summary line.
pub fn render_human(
    components: &[ComponentCheck],
    strict: bool,
    cwd: &Path,
    out: &mut dyn Write,
) -> io::Result<()> {
    let several = components.len() > 1;
    let (mut errors, mut warnings, mut revisions) = (0, 0, 0);
    for c in components {
        errors += c.count(Severity::Error);
        warnings += c.count(Severity::Warning);
        revisions += c.revisions;
        if several {
            let config = c
                .config
                .as_deref()
                .map(|p| format!(" ({})", display_path(p, cwd)))
                .unwrap_or_default();
            writeln!(out, "── {}{config}", c.name)?;
        }
        for f in &c.findings {
            let location = match &f.file {
                Some(p) if f.line > 0 => format!("{}:{}: ", display_path(p, cwd), f.line),
                Some(p) => format!("{}: ", display_path(p, cwd)),
                None => String::new(),
            };
            writeln!(
                out,
                "{location}{}[{}]: {}",
                f.severity.as_str(),
                f.code.as_str(),
                f.message
            )?;
            if let Some(fix) = &f.fix {
                writeln!(out, "  = fix: {fix}")?;
            }
        }
        if several && c.findings.is_empty() {
            writeln!(
                out,
                "ok: {} revisions, head{} {}",
                c.revisions,
                if c.heads.len() == 1 { "" } else { "s" },
                c.heads.join(", ")
            )?;
        }
    }
    let comps = if several {
        format!(" in {} components", components.len())
    } else {
        String::new()
    };
    if errors == 0 && warnings == 0 {
        let heads: Vec<&str> = components
            .iter()
            .flat_map(|c| c.heads.iter().map(String::as_str))
            .collect();
        let heads = match heads.as_slice() {
            [] => String::new(),
            [one] => format!(" (head: {one})"),
            many => format!(" (heads: {})", many.join(", ")),
        };
        writeln!(
            out,
            "check passed: {revisions} revisions{comps}, no findings{heads}"
        )?;
    } else {
        let failed = components.iter().any(|c| c.exit_code(strict) != 0);
        writeln!(
            out,
            "check {}: {errors} error{}, {warnings} warning{}{comps}{}",
            if failed { "failed" } else { "passed" },
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" },
            if warnings > 0 && !strict && errors == 0 {
                " (warnings fail only with --strict)"
            } else {
                ""
            }
        )?;
    }
    Ok(())
}

#[derive(Serialize)]
struct JsonReport<'a> {
    exit_code: u8,
    components: Vec<JsonComponent<'a>>,
}

#[derive(Serialize)]
struct JsonComponent<'a> {
    name: &'a str,
    config: Option<String>,
    revisions: usize,
    heads: &'a [String],
    exit_code: u8,
    findings: Vec<JsonFinding<'a>>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    severity: &'static str,
    code: &'static str,
    message: &'a str,
    file: Option<String>,
    line: u32,
    fix: Option<&'a str>,
}

/// The JSON document (see the module docs for its shape).
pub fn render_json(
    components: &[ComponentCheck],
    strict: bool,
    exit_code: u8,
    cwd: &Path,
    out: &mut dyn Write,
) -> io::Result<()> {
    let report = JsonReport {
        exit_code,
        components: components
            .iter()
            .map(|c| JsonComponent {
                name: &c.name,
                config: c.config.as_deref().map(|p| display_path(p, cwd)),
                revisions: c.revisions,
                heads: &c.heads,
                exit_code: c.exit_code(strict),
                findings: c
                    .findings
                    .iter()
                    .map(|f| JsonFinding {
                        severity: f.severity.as_str(),
                        code: f.code.as_str(),
                        message: &f.message,
                        file: f.file.as_deref().map(|p| display_path(p, cwd)),
                        line: f.line,
                        fix: f.fix.as_deref(),
                    })
                    .collect(),
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &report).map_err(io::Error::other)?;
    writeln!(out)
}
