//! `check` output for people (`path:line: error[code]: message` + `= fix:`)
//! and as one JSON document. The JSON shape is stable:
//!
//! ```text
//! {"schema_version": 1, "version": "…", "exit_code": N,
//!  "components": [{"name", "config", "revisions", "heads": [id…], "exit_code",
//!                  "findings": [{"severity": "error"|"warning", "code", "message",
//!                                "file" (relative to the working directory, or null),
//!                                "line" (1-based, 0 = whole file), "fix" (or null),
//!                                "edit": {"file", "line", "field", "from", "to"} (or null),
//!                                "revisions": [id…] (the diverged heads)}]}]}
//! ```
//!
//! `docs/status.schema.json` describes it (`checkDocument`).

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::check::{ComponentCheck, Severity};

/// `path` relative to `cwd` when it lies below it (what editors and GitHub
/// expect), otherwise as given.
pub(crate) fn display_path(path: &Path, cwd: &Path) -> String {
    path.strip_prefix(cwd).unwrap_or(path).display().to_string()
}

/// Wrap `text` in an ANSI style when colour is on.
fn paint(color: bool, style: anstyle::Style, text: &str) -> String {
    if color {
        format!("{}{text}{}", style.render(), style.render_reset())
    } else {
        text.to_string()
    }
}

/// Human output: one block per finding, then a summary line. `color` adds
/// ANSI styles (decided by the caller from the terminal and `NO_COLOR`).
pub(crate) fn render_human(
    components: &[ComponentCheck],
    strict: bool,
    color: bool,
    cwd: &Path,
    out: &mut dyn Write,
) -> io::Result<()> {
    use anstyle::{AnsiColor, Style};
    let bold = Style::new().bold();
    let red = Style::new().bold().fg_color(Some(AnsiColor::Red.into()));
    let yellow = Style::new().bold().fg_color(Some(AnsiColor::Yellow.into()));
    let cyan = Style::new().fg_color(Some(AnsiColor::Cyan.into()));
    let green = Style::new().bold().fg_color(Some(AnsiColor::Green.into()));
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
                Some(p) => {
                    let at = crate::scripts::location(display_path(p, cwd), f.line);
                    paint(color, bold, &format!("{at}:")) + " "
                }
                None => String::new(),
            };
            let style = match f.severity {
                Severity::Error => red,
                Severity::Warning => yellow,
            };
            let tag = format!("{}[{}]:", f.severity.as_str(), f.code.as_str());
            writeln!(out, "{location}{} {}", paint(color, style, &tag), f.message)?;
            if let Some(fix) = &f.fix {
                writeln!(out, "  {} {fix}", paint(color, cyan, "= fix:"))?;
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
            "{} {revisions} revisions{comps}, no findings{heads}",
            paint(color, green, "check passed:")
        )?;
    } else {
        let failed = components
            .iter()
            .any(|c| c.exit_code(strict) != crate::error::Exit::UpToDate.code());
        let verdict = if failed {
            paint(color, red, "check failed:")
        } else {
            paint(color, green, "check passed:")
        };
        writeln!(
            out,
            "{verdict} {errors} error{}, {warnings} warning{}{comps}{}",
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
    schema_version: u32,
    version: &'static str,
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
    edit: Option<super::json::JsonEdit<'a>>,
    revisions: &'a [String],
}

/// The JSON document (see the module docs for its shape).
pub(crate) fn render_json(
    components: &[ComponentCheck],
    strict: bool,
    exit_code: u8,
    cwd: &Path,
    out: &mut dyn Write,
) -> io::Result<()> {
    let report = JsonReport {
        schema_version: super::json::SCHEMA_VERSION,
        version: super::json::VERSION,
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
                        edit: f
                            .edit
                            .as_ref()
                            .map(|e| super::json::JsonEdit::new(e, display_path(&e.file, cwd))),
                        revisions: &f.revisions,
                    })
                    .collect(),
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &report).map_err(io::Error::other)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Code, Finding};
    use std::path::PathBuf;

    fn one() -> Vec<ComponentCheck> {
        vec![ComponentCheck {
            name: "manager".into(),
            revisions: 3,
            findings: vec![
                Finding::error(
                    Code::MissingRevision,
                    Some(PathBuf::from("/r/v/b.py")),
                    16,
                    "m".into(),
                )
                .with_fix("down_revision = \"a\""),
            ],
            ..Default::default()
        }]
    }

    #[test]
    fn human_plain_and_coloured() {
        let mut plain = Vec::new();
        render_human(&one(), false, false, Path::new("/r"), &mut plain).unwrap();
        assert_eq!(
            String::from_utf8(plain).unwrap(),
            "v/b.py:16: error[missing-revision]: m\n  = fix: down_revision = \"a\"\n\
             check failed: 1 error, 0 warnings\n"
        );
        let mut coloured = Vec::new();
        render_human(&one(), false, true, Path::new("/r"), &mut coloured).unwrap();
        let s = String::from_utf8(coloured).unwrap();
        assert!(
            s.contains("\u{1b}[") && s.contains("error[missing-revision]:"),
            "{s}"
        );
    }

    #[test]
    fn json_shape() {
        let mut out = Vec::new();
        render_json(&one(), false, 7, Path::new("/r"), &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["exit_code"], 7);
        let f = &v["components"][0]["findings"][0];
        assert_eq!(f["file"], "v/b.py");
        assert_eq!(f["line"], 16);
        assert_eq!(f["severity"], "error");
        assert_eq!(f["code"], "missing-revision");
        assert_eq!(f["fix"], "down_revision = \"a\"");
        assert_eq!(v["components"][0]["exit_code"], 7);
    }
}
