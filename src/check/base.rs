//! `check --base REF`: what a change (a PR branch) does to the migrations
//! already at a git ref (e.g. `origin/main`). The base's revision files are
//! read through the `git` command (`git ls-tree`, `git cat-file --batch`),
//! never checked out, and scanned like the working tree's.
//!
//! Findings:
//! * `new-head`: a head the change adds (the base had fewer heads).
//! * `edited-revision`: a revision that exists at the base whose `revision`
//!   or `down_revision` the change edits. An error when the base marks it
//!   released (a release comment naming a version), per Backend.AI's rule
//!   "do not edit the revision of a released migration"; a warning otherwise.
//! * `deleted-revision`: a revision of the base the change removes (error
//!   when released, else warning).
//! * `missing-release-comment`: a new migration without a release comment,
//!   where the project uses them (release comments are on and some
//!   revision carries one).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::graph::RevisionMap;
use crate::releases::{self, Pattern, Release};
use crate::scripts::Script;

use super::{Code, Finding, FixContext};
use crate::python::{ids_literal, str_literal};

/// One revision file as the base has it.
#[derive(Debug, Clone)]
pub(crate) struct BaseScript {
    /// The scanned file (its `path` is where the file is in the working tree).
    pub(crate) script: Script,
    /// Its release comment, when release comments are on.
    pub(crate) releases: Vec<Release>,
}

/// Run git in `dir`; stdout, or the error in words.
fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The scripts at the base, and which of their files the working tree's
/// branch already had when it forked from the base (the merge base).
#[derive(Debug, Clone, Default)]
pub(crate) struct Base {
    /// The base's revision files.
    pub(crate) scripts: Vec<BaseScript>,
    /// Files (working-tree paths) present at `git merge-base REF HEAD`;
    /// `None` when there is no merge base.
    pub(crate) at_fork: Option<BTreeSet<PathBuf>>,
}

/// The revision files under `locations` at `base`, scanned; the pattern
/// reads their release comments.
pub(crate) fn load_at(
    base: &str,
    locations: &[PathBuf],
    recursive: bool,
    pattern: Option<&Pattern>,
) -> Result<Base, String> {
    let Some(first) = locations.iter().find(|l| l.is_dir()) else {
        return Ok(Base::default());
    };
    let top = PathBuf::from(git(first, &["rev-parse", "--show-toplevel"])?.trim());
    let top = std::fs::canonicalize(&top).unwrap_or(top);
    git(
        &top,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{base}^{{commit}}"),
        ],
    )
    .map_err(|_| {
        format!(
            "`{base}` is not a commit in {} (fetch it first, e.g. `git fetch origin main`)",
            top.display()
        )
    })?;
    let paths = list(&top, base, locations, recursive)?;
    let at_fork = match git(&top, &["merge-base", base, "HEAD"]) {
        Ok(mb) => Some(
            list(&top, mb.trim(), locations, recursive)?
                .into_iter()
                .map(|(_, p)| p)
                .collect(),
        ),
        Err(_) => None,
    };
    let blobs = cat_files(&top, base, &paths)?;
    let mut scripts = Vec::new();
    for ((_, path), bytes) in paths.iter().zip(blobs) {
        // A file the base cannot scan is the base's problem, not this change's.
        if let Ok(script) = crate::scripts::script_from_source(path, &bytes) {
            let releases = pattern
                .map(|p| releases::read_text(&String::from_utf8_lossy(&bytes), &script.lines, p))
                .unwrap_or_default();
            scripts.push(BaseScript { script, releases });
        }
    }
    Ok(Base { scripts, at_fork })
}

/// The revision files (repository path, working-tree path) under `locations` at `rev`.
fn list(
    top: &Path,
    rev: &str,
    locations: &[PathBuf],
    recursive: bool,
) -> Result<Vec<(String, PathBuf)>, String> {
    let mut paths: Vec<(String, PathBuf)> = Vec::new();
    for location in locations {
        let abs = std::fs::canonicalize(location).unwrap_or_else(|_| location.clone());
        let Ok(rel) = abs.strip_prefix(top) else {
            return Err(format!(
                "{} is outside the git repository {}",
                location.display(),
                top.display()
            ));
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        let prefix = if rel.is_empty() {
            String::new()
        } else {
            format!("{rel}/")
        };
        let mut args = vec!["ls-tree", "--name-only", "-z"];
        if recursive {
            args.push("-r");
        }
        args.extend([rev, "--", &prefix]);
        let listing = git(top, &args)?;
        for name in listing.split('\0').filter(|n| !n.is_empty()) {
            let file = name.rsplit('/').next().unwrap_or(name);
            if file.ends_with(".py") && file != "__init__.py" && !file.starts_with(".#") {
                paths.push((name.to_string(), top.join(name)));
            }
        }
    }
    Ok(paths)
}

/// `git cat-file --batch` for `REF:path` of every path, in order.
fn cat_files(top: &Path, base: &str, paths: &[(String, PathBuf)]) -> Result<Vec<Vec<u8>>, String> {
    let mut child = Command::new("git")
        .current_dir(top)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("git cat-file: no stdin")?;
    let request: String = paths
        .iter()
        .map(|(name, _)| format!("{base}:{name}\n"))
        .collect();
    // Write from another thread: git answers while it reads.
    let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
    let stdout = child.stdout.take().ok_or("git cat-file: no stdout")?;
    let mut reader = BufReader::new(stdout);
    let mut blobs = Vec::with_capacity(paths.len());
    for (name, _) in paths {
        let mut header = String::new();
        reader
            .read_line(&mut header)
            .map_err(|e| format!("git cat-file: {e}"))?;
        let size: usize = header
            .split_whitespace()
            .nth(2)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| {
                format!(
                    "git cat-file: cannot read {base}:{name} ({})",
                    header.trim()
                )
            })?;
        let mut blob = vec![0; size + 1];
        reader
            .read_exact(&mut blob)
            .map_err(|e| format!("git cat-file: {e}"))?;
        blob.truncate(size);
        blobs.push(blob);
    }
    let _ = writer.join();
    let _ = child.wait();
    Ok(blobs)
}

fn heads(scripts: Vec<Script>) -> Option<BTreeSet<String>> {
    let (map, _) = RevisionMap::build(scripts).ok()?;
    Some(
        crate::graph::divergence::distinct_real_heads(&map)
            .into_iter()
            .map(|h| map.id(h).to_string())
            .collect(),
    )
}

fn ids(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Compare the working tree's scripts (with their releases) to the base's.
pub(crate) fn compare(
    base_ref: &str,
    base_all: &Base,
    head: &[(Script, Vec<Release>)],
    comments_on: bool,
    ctx: &FixContext,
) -> Vec<Finding> {
    let base = base_all.scripts.as_slice();
    let mut findings = Vec::new();
    let released = |r: &[Release]| releases::is_released(r);
    let release_note = |r: &[Release]| {
        if released(r) {
            format!("released in {}", releases::describe(r))
        } else if r.is_empty() {
            "not marked released".to_string()
        } else {
            "unreleased".to_string()
        }
    };

    // Edited and deleted revisions.
    let mut accounted: BTreeSet<&str> = BTreeSet::new();
    for b in base {
        let old = &b.script;
        let same_path = head.iter().find(|(s, _)| s.path == old.path);
        let same_id = head.iter().find(|(s, _)| s.revision == old.revision);
        let severity_of = |f: fn(Code, Option<PathBuf>, u32, String) -> Finding| f;
        let make = if released(&b.releases) {
            severity_of(Finding::error)
        } else {
            severity_of(Finding::warning)
        };
        match (same_id, same_path) {
            (Some((new, _)), _) => {
                accounted.insert(&old.revision);
                if new.down_revisions != old.down_revisions {
                    findings.push(
                        make(
                            Code::EditedRevision,
                            Some(new.path.clone()),
                            new.lines.down_revision,
                            format!(
                                "the down_revision of {} ({}) changed from {} to {} since {base_ref}; databases that ran it already hold a different history",
                                old.revision,
                                release_note(&b.releases),
                                ids_literal(&ids(&old.down_revisions)),
                                ids_literal(&ids(&new.down_revisions)),
                            ),
                        )
                        .with_fix(if released(&b.releases) {
                            "do not edit a released migration: restore its down_revision (to join released heads, add an empty merge migration with `alembic merge heads`; Backend.AI allows this edit only to insert a backport on main, with an idempotent copy on the release branch)".to_string()
                        } else {
                            format!(
                                "if {} was already applied anywhere, restore its down_revision",
                                old.revision
                            )
                        }),
                    );
                }
            }
            (None, Some((new, _))) => {
                accounted.insert(&old.revision);
                findings.push(
                    make(
                        Code::EditedRevision,
                        Some(new.path.clone()),
                        new.lines.revision,
                        format!(
                            "the revision id in {} changed from {} to {} since {base_ref} ({}); databases stamped with {} will not find it",
                            ctx.show(&new.path),
                            old.revision,
                            new.revision,
                            release_note(&b.releases),
                            old.revision
                        ),
                    )
                    .with_fix(format!("restore revision = {}", str_literal(&old.revision))),
                );
            }
            (None, None) => {}
        }
    }
    for b in base {
        let old = &b.script;
        if accounted.contains(old.revision.as_str()) {
            continue;
        }
        // Added to the base after this branch forked: not deleted here, just
        // not merged in yet.
        if base_all
            .at_fork
            .as_ref()
            .is_some_and(|files| !files.contains(&old.path))
        {
            findings.push(
                Finding::warning(
                    Code::BehindBase,
                    None,
                    0,
                    format!(
                        "{} ({}) landed on {base_ref} after this branch forked; the checks above compare with a tree that has it",
                        old.revision,
                        ctx.show(&old.path)
                    ),
                )
                .with_fix(format!("rebase onto {base_ref} (or merge it) and check again")),
            );
            continue;
        }
        let make = if released(&b.releases) {
            Finding::error
        } else {
            Finding::warning
        };
        findings.push(
            make(
                Code::DeletedRevision,
                None,
                0,
                format!(
                    "{} ({}, {}) exists at {base_ref} and is deleted here; databases at or past it become unknown revisions",
                    old.revision,
                    ctx.show(&old.path),
                    release_note(&b.releases)
                ),
            )
            .with_fix(format!("restore it: git checkout {base_ref} -- {}", ctx.show(&old.path))),
        );
    }

    // New heads.
    let base_heads = heads(base.iter().map(|b| b.script.clone()).collect());
    let head_heads = heads(head.iter().map(|(s, _)| s.clone()).collect());
    if let (Some(bh), Some(hh)) = (base_heads, head_heads)
        && hh.len() > bh.len()
    {
        for h in hh.difference(&bh) {
            let file = head
                .iter()
                .find(|(s, _)| &s.revision == h)
                .map(|(s, _)| (s.path.clone(), s.lines.revision));
            findings.push(
                Finding::warning(
                    Code::NewHead,
                    file.as_ref().map(|f| f.0.clone()),
                    file.as_ref().map_or(0, |f| f.1),
                    format!(
                        "{h} is a new head: {base_ref} has {} head{}, this change {}",
                        bh.len(),
                        if bh.len() == 1 { "" } else { "s" },
                        hh.len()
                    ),
                )
                .with_fix(
                    "repoint the new migration's down_revision at the current head".to_string(),
                ),
            );
        }
    }

    // New migrations without a release comment.
    let uses_comments = comments_on
        && (base.iter().any(|b| !b.releases.is_empty()) || head.iter().any(|(_, r)| !r.is_empty()));
    if uses_comments {
        let known: BTreeSet<&str> = base.iter().map(|b| b.script.revision.as_str()).collect();
        for (s, r) in head {
            if r.is_empty() && !known.contains(s.revision.as_str()) {
                findings.push(
                    Finding::warning(
                        Code::MissingReleaseComment,
                        Some(s.path.clone()),
                        s.lines.revision,
                        format!(
                            "{} is new since {base_ref} and has no release comment, which this project's migrations carry",
                            s.revision
                        ),
                    )
                    .with_fix(format!(
                        "add `# Part of: {}` below down_revision",
                        releases::UNRELEASED_MARKER
                    )),
                );
            }
        }
    }
    findings
}
