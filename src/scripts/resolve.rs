//! The second chance for revision files the scanner refuses as not static:
//! their imported names, star imports and `try: import X` blocks are
//! resolved through [`super::imports`]. Files that read statically never get
//! here, so the common path pays nothing.

use std::path::{Path, PathBuf};

use super::imports::{MissingModule, ResolveError, Resolver};
use super::python::Answer;
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
    let mut results: Vec<Result<Script, ScriptError>> = results
        .into_iter()
        .map(|r| match r {
            Err(e) if e.kind == ScriptErrorKind::NotStatic && is_source(&e.path) => {
                with_imports(&e, resolver, missing, notes)
            }
            other => other,
        })
        .collect();
    let pending: Vec<usize> = results
        .iter()
        .enumerate()
        .filter(|(_, r)| matches!(r, Err(e) if e.kind == ScriptErrorKind::NotStatic && is_source(&e.path)))
        .map(|(i, _)| i)
        .collect();
    if pending.is_empty() {
        return results;
    }
    let Some(python) = fallbacks.python else {
        for &i in &pending {
            if let Some(Err(e)) = results.get_mut(i) {
                e.message.push_str(
                    "; or pass `--python auto` (or `--python PATH`) to let Python read this file",
                );
            }
        }
        return results;
    };
    let files: Vec<PathBuf> = pending
        .iter()
        .filter_map(|&i| {
            results
                .get(i)
                .and_then(|r| r.as_ref().err())
                .map(|e| e.path.clone())
        })
        .collect();
    let answers = python.ask(&files, resolver.search());
    for (k, &i) in pending.iter().enumerate() {
        let Some(slot) = results.get_mut(i) else {
            continue;
        };
        let Err(failed) = slot else { continue };
        let replaced = match &answers {
            Err(why) => Err(ScriptError {
                message: format!("{}; {why}", failed.message),
                ..failed.clone()
            }),
            Ok(list) => match list.get(k) {
                Some(Ok(a)) => from_python(failed, a, &python.interpreter, notes),
                Some(Err((line, why))) => Err(ScriptError {
                    line: *line,
                    message: why.clone(),
                    ..failed.clone()
                }),
                None => Err(failed.clone()),
            },
        };
        *slot = replaced;
    }
    results
}

/// A script from what Python said about `failed.path`.
fn from_python(
    failed: &ScriptError,
    answer: &Answer,
    interpreter: &Path,
    notes: &mut Vec<String>,
) -> Result<Script, ScriptError> {
    let path = &failed.path;
    let source = std::fs::read(path).unwrap_or_default();
    // Lines and docstring claims from the scanner where it can tell.
    let mut scanned = scan::scan_lenient(&source).unwrap_or_default();
    let lines = [
        scanned.revision.as_ref().map_or(0, |a| a.line),
        scanned.down_revision.as_ref().map_or(0, |a| a.line),
        scanned.branch_labels.as_ref().map_or(0, |a| a.line),
        scanned.depends_on.as_ref().map_or(0, |a| a.line),
    ];
    let slots = [
        &mut scanned.revision,
        &mut scanned.down_revision,
        &mut scanned.branch_labels,
        &mut scanned.depends_on,
    ];
    for ((slot, value), line) in slots.into_iter().zip(&answer.fields).zip(lines) {
        *slot = value.clone().map(|value| Assigned { value, line });
    }
    scanned.docstring = answer.docstring.clone();
    notes.push(format!(
        "{}: read by running {} (--python): db-status cannot read it statically",
        path.display(),
        interpreter.display()
    ));
    script_from_scanned(path, scanned)
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
    let error = |e: &ResolveError| {
        let line = if e.at.file == *path {
            e.at.line
        } else {
            failed.line
        };
        // The error shows `path:line:` itself.
        let own = format!("{}:{line}: ", path.display());
        ScriptError {
            path: path.clone(),
            line,
            message: e
                .message
                .strip_prefix(&own)
                .unwrap_or(&e.message)
                .to_owned(),
            kind: ScriptErrorKind::NotStatic,
        }
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
