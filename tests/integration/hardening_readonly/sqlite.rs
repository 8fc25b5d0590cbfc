//! SQLite: a read-only file in a read-only directory, and a missing path
//! that is reported and never created.

use super::*;

// ---------------------------------------------------------------------------
// SQLite

/// Run `args` as the unprivileged `nobody` user (root ignores permission
/// bits, so only this proves a read-only directory is enough).
fn run_as_nobody(dir: &Path, args: &[&str]) -> Option<Run> {
    let setpriv = Path::new("/usr/bin/setpriv");
    if !setpriv.exists() || unsafe_is_not_root() {
        return None;
    }
    let mut c = std::process::Command::new(setpriv);
    c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(support::bin())
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LANG", "C.UTF-8")
        .env("HOME", dir)
        .current_dir(dir);
    Some(support::run_cmd(c, LIMIT))
}

/// Whether we already run unprivileged (then permission bits apply to us).
fn unsafe_is_not_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() != "0")
        .unwrap_or(true)
}

#[cfg(unix)]
#[test]
fn sqlite_read_only_file_in_read_only_directory() {
    use std::os::unix::fs::PermissionsExt as _;
    let p = project();
    let data = p.path().join("data");
    std::fs::create_dir(&data).expect("mkdir");
    let db = data.join("app.sqlite");
    sqlite_db(&db, &[REVS[0]]);
    let before = std::fs::read(&db).expect("read db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).expect("chmod file");
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o555)).expect("chmod dir");
    // `nobody` must be able to reach the project.
    for d in p.path().ancestors() {
        if d == Path::new("/") {
            break;
        }
        let mode = std::fs::metadata(d)
            .map(|m| m.permissions().mode())
            .unwrap_or(0);
        if mode & 0o005 != 0o005 {
            let _ = std::fs::set_permissions(d, std::fs::Permissions::from_mode(mode | 0o005));
        }
    }
    let url = format!("sqlite:///{}", db.display());
    let args = ["status", "--format", "json", "--url", url.as_str()];
    let out = run(p.path(), &args, &[], LIMIT);
    out.assert_clean("sqlite read-only, as root");
    assert_eq!(
        state_of(&out),
        (Some(1), "behind".to_string()),
        "{}",
        out.all()
    );
    match run_as_nobody(p.path(), &args) {
        Some(out) => {
            out.assert_clean("sqlite read-only, as nobody");
            assert_eq!(
                state_of(&out),
                (Some(1), "behind".to_string()),
                "{}",
                out.all()
            );
        }
        // Not root: the run above already had the permission bits apply.
        None if unsafe_is_not_root() => {}
        None => support::environment::unavailable(
            support::Need::Nobody,
            "running as root without /usr/bin/setpriv: cannot check as the unprivileged `nobody`",
        ),
    }
    let names: Vec<String> = std::fs::read_dir(&data)
        .expect("list")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    assert_eq!(names, ["app.sqlite"], "no journal or WAL file left behind");
    assert_eq!(
        std::fs::read(&db).expect("read db"),
        before,
        "the file changed"
    );
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod back");
}

#[test]
fn sqlite_missing_path_is_reported_and_not_created() {
    let p = project();
    for rel in ["missing.sqlite", "no/such/dir/missing.sqlite"] {
        let path = p.path().join(rel);
        let url = format!("sqlite:///{}", path.display());
        for args in [
            &["status", "--format", "json", "--url", url.as_str()][..],
            &["current", "--url", url.as_str()],
            &["history", "-i", "--url", url.as_str()],
            &["graph", "--with-db", "--url", url.as_str()],
        ] {
            let out = run(p.path(), args, &[], LIMIT);
            out.assert_clean(&format!("{args:?}"));
            assert!(!path.exists(), "{args:?} created {}", path.display());
            assert!(
                !p.path().join("no").exists(),
                "{args:?} created a directory"
            );
        }
        let out = status(&p, &url);
        let v = out.json();
        let c = &v["components"][0];
        assert_eq!(out.code, Some(3), "{}", out.all());
        assert!(
            out.all().contains(rel.rsplit('/').next().unwrap_or(rel)),
            "the message names the file: {}",
            out.all()
        );
        assert_eq!(c["state"], "no-revision", "{v}");
    }
    // A relative path, resolved against the working directory.
    let out = status(&p, "sqlite:///rel-missing.db");
    assert!(!p.path().join("rel-missing.db").exists());
    out.assert_clean("relative missing");
}
