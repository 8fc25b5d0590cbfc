//! db-status installed the way its users install tools, for real:
//!
//! - the maturin wheel (maturin from PyPI, pinned) installed with pip into a
//!   fresh venv whose PATH has no Rust, then run on the demo;
//! - the real `pre-commit` (from PyPI, pinned) installing the
//!   `language: python` hook from this repository (pip builds it with
//!   maturin through PEP 517) and failing on a diverged tree, then passing
//!   once it is fixed;
//! - the same check as a `repo: local` python hook that pip-installs the
//!   built wheel by name, with no cargo anywhere on PATH.
//!
//! PyPI is needed once, to create `target/packaging/tools` (maturin and
//! pre-commit) and `target/packaging/wheelhouse` (maturin's wheel, for the
//! isolated PEP 517 builds); every install after that runs with
//! `PIP_NO_INDEX`. The release build shares the suite's target directory,
//! so the dependencies are compiled once for the wheel and the pre-commit
//! build alike; only the db-status crate itself is compiled twice (pre-commit
//! builds it from its own clone, which cargo treats as another package).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

/// The pinned PyPI packages the tests drive (and nothing else).
const TOOLS: &[&str] = &["maturin==1.16.0", "pre-commit==4.7.0"];
/// The build backends pip's isolated builds need, as wheels for offline
/// installs: maturin for this repository, setuptools for the package
/// pre-commit makes of a `repo: local` python hook.
const BUILD_BACKENDS: &[&str] = &["maturin==1.16.0", "setuptools==84.2.1"];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The suite's target directory (the parent of `CARGO_TARGET_TMPDIR`).
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR has a parent")
        .to_path_buf()
}

fn packaging_dir() -> PathBuf {
    let dir = target_dir().join("packaging");
    std::fs::create_dir_all(&dir).expect("create target/packaging");
    dir
}

/// An exclusive lock on `target/packaging/NAME.lock`, held until dropped:
/// test processes run side by side (nextest) and must not build the same
/// venv, or write the same release binary, at the same time.
fn lock(name: &str) -> File {
    let file = File::create(packaging_dir().join(format!("{name}.lock"))).expect("lock file");
    file.lock().expect("lock");
    file
}

/// Run `cmd`; panic with everything it printed unless it succeeded.
fn ok(mut cmd: Command, what: &str) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}): {cmd:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The Python that creates the venvs (as `scripts/setup-venv.sh`: `PYTHON`
/// or `python3`).
fn host_python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// `target/packaging/tools`: a venv with the pinned maturin and pre-commit,
/// and the wheelhouse holding maturin's wheel. Created once (a stamp file
/// records the pins), so later runs need no network.
struct Tools {
    bin: PathBuf,
    wheelhouse: PathBuf,
}

fn tools() -> Tools {
    let _lock = lock("tools");
    let dir = packaging_dir();
    let venv = dir.join("tools");
    let wheelhouse = dir.join("wheelhouse");
    let stamp = venv.join(".db-status-tools");
    let want = format!("{}\n{}\n", TOOLS.join("\n"), BUILD_BACKENDS.join("\n"));
    let tools = Tools {
        bin: venv.join("bin"),
        wheelhouse: wheelhouse.clone(),
    };
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == want) {
        return tools;
    }
    let _ = std::fs::remove_dir_all(&venv);
    let mut c = Command::new(host_python());
    c.args(["-m", "venv"]).arg(&venv);
    ok(
        c,
        "creating target/packaging/tools (needs python3 with the venv module)",
    );
    let pip = |args: &[&str], what: &str| {
        let mut c = Command::new(venv.join("bin/python"));
        c.args(["-m", "pip", "--disable-pip-version-check", "-q"])
            .args(args);
        ok(c, what);
    };
    pip(
        &[&["install"], TOOLS].concat(),
        "installing maturin and pre-commit from PyPI",
    );
    let _ = std::fs::remove_dir_all(&wheelhouse);
    let wh = wheelhouse.to_string_lossy();
    pip(
        &[
            &["download", "--only-binary=:all:", "--no-deps", "-d", &wh],
            BUILD_BACKENDS,
        ]
        .concat(),
        "downloading the build backends' wheels from PyPI",
    );
    std::fs::write(&stamp, want).expect("write tools stamp");
    tools
}

/// Drop what cargo and nextest put in a test's environment (`CARGO_PKG_*`,
/// `OUT_DIR`, …) before starting another cargo: build scripts watch some of
/// these variables (`rerun-if-env-changed`), and a cargo started with them
/// would rebuild half the release dependencies, then a plain `cargo build
/// --release` would rebuild them back.
fn as_from_a_shell(c: &mut Command) -> &mut Command {
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        let injected = key == "OUT_DIR"
            || key.starts_with("NEXTEST")
            || key.starts_with("__NEXTEST")
            || key == "CARGO_PRIMARY_PACKAGE"
            || key == "CARGO_TARGET_TMPDIR"
            || key == "CARGO_RUSTC_CURRENT_DIR"
            || [
                "CARGO_PKG_",
                "CARGO_MANIFEST_",
                "CARGO_BIN_",
                "CARGO_CRATE_",
            ]
            .iter()
            .any(|p| key.starts_with(p));
        if injected {
            c.env_remove(key.as_ref());
        }
    }
    c
}

/// The abbreviated commit `db-status --version` must name.
fn head_commit() -> String {
    let mut c = Command::new("git");
    c.args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(repo());
    text(&ok(c, "git rev-parse (the tests need a git checkout)").stdout)
        .trim()
        .to_owned()
}

/// Build the wheel with maturin (release, as published), once per state of
/// the sources: it is kept in `target/packaging/wheels/KEY/`, KEY hashing
/// the commit (which `--version` prints) and every file of the working
/// tree, so the tests that need it share one build. Holds the build lock.
fn build_wheel(tools: &Tools) -> PathBuf {
    let _lock = lock("build");
    let wheels = packaging_dir().join("wheels");
    let out_dir = wheels.join(source_key());
    if let Some(wheel) = the_wheel_in(&out_dir) {
        return wheel;
    }
    let _ = std::fs::remove_dir_all(&wheels);
    let start = Instant::now();
    let mut c = Command::new(tools.bin.join("maturin"));
    as_from_a_shell(&mut c)
        .args(["build", "--release", "--locked", "--out"])
        .arg(&out_dir)
        .current_dir(repo())
        .env("CARGO_TARGET_DIR", target_dir());
    ok(c, "maturin build --release");
    eprintln!("maturin build --release: {:.1?}", start.elapsed());
    the_wheel_in(&out_dir).unwrap_or_else(|| panic!("maturin built no wheel in {out_dir:?}"))
}

fn the_wheel_in(dir: &Path) -> Option<PathBuf> {
    let wheels: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "whl"))
        .collect();
    assert!(wheels.len() <= 1, "one wheel expected: {wheels:?}");
    wheels.into_iter().next()
}

/// The files of the working tree that a build sees: tracked and new ones,
/// as `git ls-files` lists them (deleted ones left out).
fn source_files() -> Vec<String> {
    let mut c = Command::new("git");
    c.args([
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
    ])
    .current_dir(repo());
    let listing = ok(c, "git ls-files (the tests need a git checkout)").stdout;
    listing
        .split(|b| *b == 0)
        .filter(|n| !n.is_empty())
        .map(|n| std::str::from_utf8(n).expect("utf-8 file name").to_owned())
        .filter(|n| repo().join(n).is_file())
        .collect()
}

fn source_key() -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    head_commit().hash(&mut h);
    for name in source_files() {
        name.hash(&mut h);
        std::fs::read(repo().join(&name))
            .unwrap_or_else(|e| panic!("read {name}: {e}"))
            .hash(&mut h);
    }
    format!("{:016x}", h.finish())
}

/// A PATH with the system directories only, checked to hold no Rust.
fn path_without_rust(first: &Path) -> String {
    let path = format!("{}:/usr/local/bin:/usr/bin:/bin", first.display());
    for dir in path.split(':') {
        for tool in ["cargo", "rustc", "rustup"] {
            assert!(
                !Path::new(dir).join(tool).exists(),
                "{dir}/{tool} exists: this test needs a PATH without Rust"
            );
        }
    }
    path
}

/// A command with a scrubbed environment: `PATH` without Rust, a throw-away
/// `HOME`, no cargo or rustup variables.
fn without_rust(program: impl AsRef<std::ffi::OsStr>, path: &str, home: &Path) -> Command {
    let mut c = Command::new(program);
    c.env_clear()
        .env("PATH", path)
        .env("HOME", home)
        .env("LANG", "C.UTF-8")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .env("PIP_NO_INDEX", "1");
    c
}

#[test]
fn wheel_installs_into_a_venv_without_rust_and_runs_the_demo() {
    let tools = tools();
    let wheel = build_wheel(&tools);
    let name = wheel
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    // A platform wheel that works with any Python 3: it holds a binary, no
    // extension module.
    let prefix = format!("db_status-{}-py3-none-", env!("CARGO_PKG_VERSION"));
    assert!(name.starts_with(&prefix), "{name}");

    let tmp = tempfile::tempdir().expect("tempdir");
    let venv = tmp.path().join("venv");
    let mut c = Command::new(host_python());
    c.args(["-m", "venv"]).arg(&venv);
    ok(c, "python3 -m venv");
    let bin = venv.join("bin");
    let path = path_without_rust(&bin);

    let mut c = without_rust(bin.join("python"), &path, tmp.path());
    c.args(["-m", "pip", "install", "--no-deps"]).arg(&wheel);
    ok(c, "pip install the wheel (no index)");
    assert!(bin.join("db-status").is_file(), "db-status not in {bin:?}");

    // `db-status` as PATH finds it, from a directory that is not the repo.
    let run = |args: &[&str], dir: &Path| {
        let mut c = without_rust("db-status", &path, tmp.path());
        c.args(args).current_dir(dir);
        c.output().expect("run db-status from the venv")
    };
    let version = run(&["--version"], tmp.path());
    assert!(version.status.success(), "{version:?}");
    assert_eq!(
        text(&version.stdout),
        format!(
            "db-status {} (commit {})\n",
            env!("CARGO_PKG_VERSION"),
            head_commit()
        )
    );

    let demo = repo().join("examples/backend-ai");
    let heads = run(&["heads"], &demo);
    let expected = Command::new(env!("CARGO_BIN_EXE_db-status"))
        .arg("heads")
        .current_dir(&demo)
        .output()
        .expect("run the test binary");
    assert!(heads.status.success(), "{heads:?}");
    assert_eq!(text(&heads.stdout), "c5a91e37d40b (head)\n");
    assert_eq!(heads.stdout, expected.stdout);

    // `python -m db_status` runs the same binary, exit code included (the
    // demo's appproxy tree has diverged heads: 4).
    let mut c = without_rust(bin.join("python"), &path, tmp.path());
    c.args(["-m", "db_status", "check", "--all"])
        .current_dir(&demo);
    let check = c.output().expect("python -m db_status");
    assert_eq!(check.status.code(), Some(4), "{check:?}");
    assert!(
        text(&check.stdout).contains("error[diverged-heads]"),
        "{check:?}"
    );
}

/// A copy of the working tree (tracked and new files, as `git ls-files`
/// lists them) committed in a fresh repository: what pre-commit clones. A
/// copy rather than HEAD, so that the test checks the sources it runs with.
fn snapshot_of_this_repository(dest: &Path) -> String {
    for name in source_files() {
        let to = dest.join(&name);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(repo().join(&name), &to).unwrap_or_else(|e| panic!("copy {name}: {e}"));
    }
    git(dest, &["init", "-q"]);
    git(dest, &["add", "-A"]);
    git(dest, &["commit", "-q", "-m", "db-status snapshot"]);
    let mut c = git_cmd(dest);
    c.args(["rev-parse", "HEAD"]);
    text(&ok(c, "git rev-parse").stdout).trim().to_owned()
}

fn git_cmd(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .env("GIT_AUTHOR_NAME", "db-status tests")
        .env("GIT_AUTHOR_EMAIL", "tests@db-status.invalid")
        .env("GIT_COMMITTER_NAME", "db-status tests")
        .env("GIT_COMMITTER_EMAIL", "tests@db-status.invalid")
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ]);
    c
}

fn git(dir: &Path, args: &[&str]) {
    let mut c = git_cmd(dir);
    c.args(args);
    ok(c, &format!("git {}", args.join(" ")));
}

/// A git repository with an Alembic tree whose two newest revisions both
/// revise the base: diverged heads.
fn diverged_project(dir: &Path, pre_commit_config: &str) {
    let versions = dir.join("migrations/versions");
    std::fs::create_dir_all(&versions).expect("mkdir versions");
    std::fs::write(
        dir.join("alembic.ini"),
        "[alembic]\nscript_location = migrations\n",
    )
    .expect("write alembic.ini");
    for (id, down) in [
        ("1a2b3c4d5e6f", None),
        ("2b3c4d5e6f70", Some("1a2b3c4d5e6f")),
        ("3c4d5e6f7081", Some("1a2b3c4d5e6f")),
    ] {
        std::fs::write(versions.join(format!("{id}_x.py")), revision(id, down))
            .expect("write revision");
    }
    std::fs::write(dir.join(".pre-commit-config.yaml"), pre_commit_config).expect("write config");
    git(dir, &["init", "-q"]);
    git(dir, &["add", "-A"]);
}

fn revision(id: &str, down: Option<&str>) -> String {
    let down = down.map_or("None".to_owned(), |d| format!("'{d}'"));
    format!(
        "\"\"\"change {id}\n\nRevision ID: {id}\n\"\"\"\nrevision = '{id}'\n\
         down_revision = {down}\nbranch_labels = None\ndepends_on = None\n\n\n\
         def upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"
    )
}

/// Re-point the third revision after the second (the fix the finding names).
fn fix_divergence(dir: &Path) {
    let file = dir.join("migrations/versions/3c4d5e6f7081_x.py");
    std::fs::write(&file, revision("3c4d5e6f7081", Some("2b3c4d5e6f70"))).expect("write fix");
    git(dir, &["add", "-A"]);
}

/// `pre-commit run --all-files`, twice: on the diverged tree (must fail with
/// the finding) and after the fix (must pass).
fn fails_then_passes(project: &Path, hook_name: &str, mut pre_commit: impl FnMut() -> Command) {
    let start = Instant::now();
    let mut c = pre_commit();
    c.args(["run", "--all-files", "--color", "never"])
        .current_dir(project);
    let failed = c.output().expect("run pre-commit");
    eprintln!("pre-commit install + run: {:.1?}", start.elapsed());
    let out = format!("{}{}", text(&failed.stdout), text(&failed.stderr));
    assert_eq!(failed.status.code(), Some(1), "{out}");
    assert!(out.contains(hook_name), "{out}");
    assert!(out.contains("Failed"), "{out}");
    assert!(out.contains("- exit code: 4"), "{out}");
    assert!(
        out.contains("error[diverged-heads]: 2 heads without a branch label have diverged"),
        "{out}"
    );

    fix_divergence(project);
    let mut c = pre_commit();
    c.args(["run", "--all-files", "--color", "never"])
        .current_dir(project);
    let passed = c.output().expect("run pre-commit");
    let out = format!("{}{}", text(&passed.stdout), text(&passed.stderr));
    assert_eq!(passed.status.code(), Some(0), "{out}");
    assert!(out.contains("Passed"), "{out}");
}

#[test]
fn pre_commit_python_hook_installs_from_this_repository_and_catches_diverged_heads() {
    let tools = tools();
    let tmp = tempfile::tempdir().expect("tempdir");
    let hook_repo = tmp.path().join("db-status");
    let rev = snapshot_of_this_repository(&hook_repo);
    let project = tmp.path().join("project");
    diverged_project(
        &project,
        &format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: db-status-check-python\n",
            hook_repo.display()
        ),
    );
    let home = tmp.path().join("pre-commit-home");
    // Building shares the release dependencies in the suite's target
    // directory with `build_wheel`: hold the same lock.
    let _lock = lock("build");
    fails_then_passes(&project, "db-status check (Python wheel)", || {
        let mut c = Command::new(tools.bin.join("pre-commit"));
        as_from_a_shell(&mut c)
            .env("PRE_COMMIT_HOME", &home)
            // pip builds the hook repository with maturin in an isolated
            // environment: maturin comes from the wheelhouse, nothing from
            // an index; cargo builds offline from the crates already fetched.
            .env("PIP_NO_INDEX", "1")
            .env("PIP_FIND_LINKS", &tools.wheelhouse)
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .env("CARGO_TARGET_DIR", target_dir())
            .env("CARGO_NET_OFFLINE", "true")
            .env_remove("VIRTUAL_ENV");
        c
    });
    // The hook's environment holds the binary pip installed from the wheel.
    let installed: Vec<PathBuf> = std::fs::read_dir(&home)
        .expect("PRE_COMMIT_HOME")
        .flat_map(|e| {
            std::fs::read_dir(e.expect("entry").path())
                .into_iter()
                .flatten()
        })
        .map(|e| e.expect("entry").path().join("bin/db-status"))
        .filter(|p| p.is_file())
        .collect();
    assert_eq!(installed.len(), 1, "one installed db-status: {installed:?}");
}

#[test]
fn pre_commit_local_python_hook_installs_the_wheel_with_no_cargo_on_path() {
    let tools = tools();
    let wheel = build_wheel(&tools);
    let tmp = tempfile::tempdir().expect("tempdir");
    // The index a user would get it from, here a directory holding the wheel.
    let index = tmp.path().join("index");
    std::fs::create_dir_all(&index).expect("mkdir index");
    std::fs::copy(&wheel, index.join(wheel.file_name().expect("name"))).expect("copy wheel");
    let project = tmp.path().join("project");
    diverged_project(
        &project,
        &format!(
            "repos:\n  - repo: local\n    hooks:\n      - id: db-status\n        \
             name: db-status check\n        entry: db-status check\n        \
             language: python\n        additional_dependencies: [db-status=={}]\n        \
             pass_filenames: false\n",
            env!("CARGO_PKG_VERSION")
        ),
    );
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).expect("mkdir home");
    let path = path_without_rust(&tools.bin);
    // Beside it, setuptools: pip builds the package pre-commit makes of a
    // local hook with it.
    for entry in std::fs::read_dir(&tools.wheelhouse).expect("wheelhouse") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), index.join(entry.file_name())).expect("copy wheel");
    }
    fails_then_passes(&project, "db-status check", || {
        let mut c = without_rust(tools.bin.join("pre-commit"), &path, &home);
        c.env("PRE_COMMIT_HOME", home.join("pre-commit"))
            .env("PIP_FIND_LINKS", &index);
        c
    });
}
