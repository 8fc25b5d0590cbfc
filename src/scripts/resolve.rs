//! The second chance for revision files the scanner refuses as not static:
//! their imported names, star imports and `try: import X` blocks are
//! resolved through [`super::imports`]. Files that read statically never get
//! here, so the common path pays nothing.

use std::path::Path;

use super::imports::{MissingModule, ResolveError, Resolver};
use super::scan::{self, Assigned};
use super::{Fallbacks, Script, ScriptError, ScriptErrorKind, script_from_scanned};

/// The four names Alembic reads from a revision module.
const FIELDS: [&str; 4] = ["revision", "down_revision", "branch_labels", "depends_on"];

/// Retry every not-static failure in `results` (keeping their order) with
/// the fallbacks given; star imports of missing modules and notes are appended.
pub(super) fn retry(
    results: Vec<Result<Script, ScriptError>>,
    fallbacks: Fallbacks<'_>,
    missing: &mut Vec<MissingModule>,
    notes: &mut Vec<String>,
) -> Vec<Result<Script, ScriptError>> {
    let Some(resolver) = fallbacks.imports else {
        return results;
    };
    results
        .into_iter()
        .map(|r| match r {
            Err(e) if e.kind == ScriptErrorKind::NotStatic && is_source(&e.path) => {
                with_imports(&e, resolver, missing, notes)
            }
            other => other,
        })
        .collect()
}

fn is_source(path: &Path) -> bool {
    path.extension().is_some_and(|x| x == "py")
}

/// Read `failed.path` again, resolving what the scanner could not.
fn with_imports(
    failed: &ScriptError,
    resolver: &Resolver,
    missing: &mut Vec<MissingModule>,
    notes: &mut Vec<String>,
) -> Result<Script, ScriptError> {
    let path = &failed.path;
    let error = |e: &ResolveError| ScriptError {
        path: path.clone(),
        line: if e.at.file == *path {
            e.at.line
        } else {
            failed.line
        },
        message: e.message.clone(),
        kind: ScriptErrorKind::NotStatic,
    };
    let Ok(source) = std::fs::read(path) else {
        return Err(failed.clone());
    };
    // The scanner already accepted the syntax: only its verdict on values is redone.
    let Ok(mut scanned) = scan::scan_lenient(&source) else {
        return Err(failed.clone());
    };
    let env = resolver.load_source(path, &source).map_err(|e| error(&e))?;
    // A literal `__doc__ = …` is the scanner's; anything else is not static.
    if let Err(e) = env.lookup(resolver, "__doc__") {
        return Err(error(&e));
    }
    let mut file_notes = Vec::new();
    let slots = [
        &mut scanned.revision,
        &mut scanned.down_revision,
        &mut scanned.branch_labels,
        &mut scanned.depends_on,
    ];
    for (name, slot) in FIELDS.iter().zip(slots) {
        match env.lookup(resolver, name).map_err(|e| error(&e))? {
            None => *slot = None,
            Some(r) => {
                let foreign: Vec<String> = r
                    .trail
                    .iter()
                    .filter(|o| o.file != *path)
                    .map(ToString::to_string)
                    .collect();
                if !foreign.is_empty() {
                    file_notes.push(format!(
                        "{}:{}: `{name}` read through {}",
                        path.display(),
                        r.bound_at.line,
                        foreign.join(" -> ")
                    ));
                }
                *slot = Some(Assigned {
                    value: r.value,
                    line: r.bound_at.line,
                });
            }
        }
    }
    for d in env.decisions() {
        file_notes.push(match &d.found {
            Some(at) => format!("{}: `import {}` succeeds: found at {at}", d.at, d.module),
            None => format!(
                "{}: `import {}` fails: not found on the search path",
                d.at, d.module
            ),
        });
    }
    let script = script_from_scanned(path, scanned)?;
    missing.extend(env.missing_modules().iter().cloned());
    notes.extend(file_notes);
    Ok(script)
}
