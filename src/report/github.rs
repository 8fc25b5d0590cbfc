//! `check --format github`: GitHub Actions workflow commands
//! (`::error file=…,line=…,title=…::message`), one per finding, so a pull
//! request shows each finding on its line. Escaping follows
//! `@actions/core` (`toolkit/packages/core/src/command.ts`): data escapes
//! `%`, CR and LF; properties also escape `:` and `,`.

use std::io::{self, Write};
use std::path::Path;

use super::check::display_path;
use crate::check::{ComponentCheck, Finding, Severity};

/// Escape a workflow-command message (`escapeData`).
pub(crate) fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a workflow-command property value (`escapeProperty`).
pub(crate) fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One annotation line for a finding (without the trailing newline). The
/// component, when given, goes into the title (for runs over several).
pub(crate) fn annotation(finding: &Finding, component: Option<&str>, cwd: &Path) -> String {
    let command = match finding.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut props = Vec::new();
    if let Some(file) = &finding.file {
        props.push(format!(
            "file={}",
            escape_property(&display_path(file, cwd))
        ));
        if finding.line > 0 {
            props.push(format!("line={}", finding.line));
        }
    }
    let title = match component {
        Some(name) => format!("db-status {} ({name})", finding.code.as_str()),
        None => format!("db-status {}", finding.code.as_str()),
    };
    props.push(format!("title={}", escape_property(&title)));
    let mut message = finding.message.clone();
    if let Some(fix) = &finding.fix {
        message.push_str("\nfix: ");
        message.push_str(fix);
    }
    format!("::{command} {}::{}", props.join(","), escape_data(&message))
}

/// Write one annotation per finding, for every component.
pub(crate) fn render(
    components: &[ComponentCheck],
    cwd: &Path,
    out: &mut dyn Write,
) -> io::Result<()> {
    let several = components.len() > 1;
    for c in components {
        for f in &c.findings {
            let name = several.then_some(c.name.as_str());
            writeln!(out, "{}", annotation(f, name, cwd))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Code;
    use std::path::PathBuf;

    #[test]
    fn escapes_like_actions_core() {
        assert_eq!(escape_data("50% a\r\nb"), "50%25 a%0D%0Ab");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }

    #[test]
    fn annotation_shape() {
        let f = Finding::error(
            Code::Cycle,
            Some(PathBuf::from("/repo/v/a,b.py")),
            7,
            "x\ny".into(),
        )
        .with_fix("z");
        assert_eq!(
            annotation(&f, None, Path::new("/repo")),
            "::error file=v/a%2Cb.py,line=7,title=db-status cycle::x%0Ay%0Afix: z"
        );
        let w = Finding::warning(Code::DocstringRevises, None, 0, "m".into());
        assert_eq!(
            annotation(&w, Some("appproxy"), Path::new("/repo")),
            "::warning title=db-status docstring-revises (appproxy)::m"
        );
    }
}
