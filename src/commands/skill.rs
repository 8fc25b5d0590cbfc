//! `db-status skill show|install`: the `/db-status` agent skill, embedded in
//! the binary so that the skill a binary installs always matches it.
//!
//! `install` is the one command that writes a file. Beside `SKILL.md` it
//! writes `SKILL.md.sha256` (the `sha256sum` format) holding the hash of what
//! it wrote; a later install replaces `SKILL.md` only when it still has that
//! hash (or is already identical), so a skill edited by hand is never lost
//! without `--force`.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Mode};

/// The skill, as shipped in `skills/db-status/SKILL.md`.
pub(crate) const SKILL: &str = include_str!("../../skills/db-status/SKILL.md");

/// The skill's directory name under the skills directory.
pub(crate) const SKILL_DIR: &str = "db-status";

/// The file the skill is written to.
pub(crate) const SKILL_FILE: &str = "SKILL.md";

/// The record of what was written last, beside the skill.
pub(crate) const RECORD_FILE: &str = "SKILL.md.sha256";

/// Where `install` puts skills by default, under the project root.
pub(crate) const DEFAULT_DIR: &str = ".claude/skills";

/// What `install` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// There was no skill file: written.
    Created,
    /// The file held what an earlier install wrote: replaced.
    Updated,
    /// The file already held this skill: left as it was (record refreshed).
    Unchanged,
    /// The file had been changed by hand (or has no record): replaced under `--force`.
    Overwritten,
}

/// The result of an install: the skill file, its record and what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Installed {
    /// `DIR/db-status/SKILL.md`.
    pub(crate) path: PathBuf,
    /// `DIR/db-status/SKILL.md.sha256`.
    pub(crate) record: PathBuf,
    /// What happened to the file.
    pub(crate) outcome: Outcome,
}

/// Hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The hash recorded in a `sha256sum`-format record, if it names `SKILL.md`.
fn recorded_hash(record: &str) -> Option<&str> {
    record.lines().find_map(|l| {
        let (hash, name) = l.split_once("  ")?;
        (name.trim() == SKILL_FILE && hash.len() == 64).then_some(hash)
    })
}

/// Write `skill` to `dir/db-status/SKILL.md`, refusing to replace a file
/// that differs from what was written last unless `force`.
pub(crate) fn install_into(dir: &Path, skill: &str, force: bool) -> Result<Installed, Error> {
    let skill_dir = dir.join(SKILL_DIR);
    let path = skill_dir.join(SKILL_FILE);
    let record = skill_dir.join(RECORD_FILE);
    // Says what failed (create the directory, write a file) and where.
    let write_error = |what: &str, at: &Path, e: std::io::Error| {
        Error::new(
            ErrorKind::FileWrite,
            format!("cannot {what} {}: {e}", at.display()),
        )
        .hint("pick a writable directory with --dir DIR")
    };
    // The directory first: where it cannot exist (a file in the way), the
    // install fails to create it, not to read what is inside.
    std::fs::create_dir_all(&skill_dir)
        .map_err(|e| write_error("create the directory", &skill_dir, e))?;
    let want = sha256_hex(skill.as_bytes());
    let outcome = match std::fs::read(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Outcome::Created,
        Err(e) => {
            return Err(Error::new(
                ErrorKind::FileWrite,
                format!("cannot read {}: {e}", path.display()),
            ));
        }
        Ok(existing) => {
            let have = sha256_hex(&existing);
            let last = std::fs::read_to_string(&record).ok();
            if have == want {
                Outcome::Unchanged
            } else if last.as_deref().and_then(recorded_hash) == Some(have.as_str()) {
                Outcome::Updated
            } else if force {
                Outcome::Overwritten
            } else {
                let why = if last.is_some() {
                    "it was changed since db-status wrote it"
                } else {
                    "db-status did not write it (no SKILL.md.sha256 beside it)"
                };
                return Err(Error::usage(format!(
                    "refusing to overwrite {}: {why}",
                    path.display()
                ))
                .hint(format!(
                    "compare it with `db-status skill show | diff - {}`",
                    path.display()
                ))
                .hint("pass --force to replace it (the changes are lost), or --dir DIR to install elsewhere"));
            }
        }
    };
    if outcome != Outcome::Unchanged {
        std::fs::write(&path, skill).map_err(|e| write_error("write", &path, e))?;
    }
    std::fs::write(&record, format!("{want}  {SKILL_FILE}\n"))
        .map_err(|e| write_error("write", &record, e))?;
    Ok(Installed {
        path,
        record,
        outcome,
    })
}

/// `db-status skill show`: print the skill.
pub(crate) fn show(out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    super::print_generated(SKILL.as_bytes(), "skill", out, err)
}

/// `db-status skill install [--dir DIR] [--force]`: say what was written.
pub(crate) fn install(
    dir: Option<&Path>,
    force: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
    let dir = match dir {
        Some(d) => cwd.join(d),
        None => crate::target::project_root(&cwd).join(DEFAULT_DIR),
    };
    match install_into(&dir, SKILL, force) {
        Ok(done) => {
            let what = match done.outcome {
                Outcome::Created => "wrote",
                Outcome::Updated => "updated",
                Outcome::Unchanged => "already up to date:",
                Outcome::Overwritten => "overwrote (--force)",
            };
            let _ = writeln!(
                out,
                "{what} {} (db-status {} skill; its sha256 in {})",
                done.path.display(),
                crate::report::json::VERSION,
                done.record.display()
            );
            0
        }
        Err(e) => {
            let _ = err.write_all(e.render().as_bytes());
            e.exit(Mode::Status).code()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_creates_updates_and_refuses_hand_edits() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path();
        let first = install_into(dir, "v1\n", false).expect("create");
        assert_eq!(first.outcome, Outcome::Created);
        assert_eq!(std::fs::read_to_string(&first.path).unwrap(), "v1\n");
        assert_eq!(
            install_into(dir, "v1\n", false).unwrap().outcome,
            Outcome::Unchanged
        );
        // A new version replaces what the last install wrote.
        assert_eq!(
            install_into(dir, "v2\n", false).unwrap().outcome,
            Outcome::Updated
        );
        assert_eq!(std::fs::read_to_string(&first.path).unwrap(), "v2\n");
        // A hand edit is kept unless --force.
        std::fs::write(&first.path, "mine\n").unwrap();
        let e = install_into(dir, "v3\n", false).expect_err("refuses");
        assert_eq!(e.kind, ErrorKind::Usage);
        assert!(
            e.message.contains("changed since db-status wrote it"),
            "{e:?}"
        );
        assert_eq!(std::fs::read_to_string(&first.path).unwrap(), "mine\n");
        assert_eq!(
            install_into(dir, "v3\n", true).unwrap().outcome,
            Outcome::Overwritten
        );
        assert_eq!(std::fs::read_to_string(&first.path).unwrap(), "v3\n");
    }

    #[test]
    fn a_file_without_a_record_is_not_ours() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let skill_dir = tmp.path().join(SKILL_DIR);
        std::fs::create_dir_all(&skill_dir).unwrap();
        std::fs::write(skill_dir.join(SKILL_FILE), "someone else's\n").unwrap();
        let e = install_into(tmp.path(), "v1\n", false).expect_err("refuses");
        assert!(e.message.contains("did not write it"), "{e:?}");
    }

    #[test]
    fn record_is_sha256sum_format() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let done = install_into(tmp.path(), "x", false).unwrap();
        let record = std::fs::read_to_string(done.record).unwrap();
        assert_eq!(
            record,
            "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881  SKILL.md\n"
        );
    }
}
