//! Tests for discovery and loading: Alembic's file-name filter, walk order,
//! symlink resolution, legacy ids and the error kinds.

use super::*;
use std::fs;

fn write(dir: &Path, name: &str, body: &str) {
    if let Some(parent) = dir.join(name).parent() {
        fs::create_dir_all(parent).expect("mkdir");
    }
    fs::write(dir.join(name), body).expect("write");
}

fn rev_file(rev: &str, down: Option<&str>, doc: &str) -> String {
    let down = down.map_or("None".to_owned(), |d| format!("'{d}'"));
    format!("\"\"\"{doc}\"\"\"\nrevision = '{rev}'\ndown_revision = {down}\n")
}

fn revs(set: &ScriptSet) -> Vec<&str> {
    set.scripts.iter().map(|s| s.revision.as_str()).collect()
}

#[test]
fn file_name_filter_and_recursion() {
    let tmp = tempfile::tempdir().expect("tmp");
    let v = tmp.path().join("versions");
    write(
        &v,
        "aaaa00000001_base.py",
        &rev_file("aaaa00000001", None, "base"),
    );
    write(
        &v,
        ".hidden_rev.py",
        &rev_file("bbbb00000001", Some("aaaa00000001"), "dot"),
    );
    write(
        &v,
        "_underscore_rev.py",
        &rev_file("bbbb00000002", Some("aaaa00000001"), "u"),
    );
    write(&v, ".#emacs_lock.py", "garbage(");
    write(&v, "__init__.py", "");
    write(&v, "__init__extra.py", "garbage(");
    write(&v, "noext", "garbage(");
    write(&v, "notpython.txt", "garbage(");
    write(&v, "upper.PY", "garbage(");
    write(&v, "x.py~", "garbage(");
    write(&v, "stale.pyc", "garbage(");
    write(
        &v,
        "subdir/sub_rev.py",
        &rev_file("bbbb00000009", Some("aaaa00000001"), "sub"),
    );
    write(&v, "__pycache__/cached.py", "garbage(");
    let set = load(std::slice::from_ref(&v), false, false).expect("load");
    // Python code-point order: '.' < '_' < 'a'.
    assert_eq!(revs(&set), ["bbbb00000001", "bbbb00000002", "aaaa00000001"]);
    let set = load(std::slice::from_ref(&v), true, false).expect("load");
    assert_eq!(
        revs(&set),
        [
            "bbbb00000001",
            "bbbb00000002",
            "aaaa00000001",
            "bbbb00000009"
        ]
    );
    assert!(set.warnings.is_empty());
    let base = &set.scripts[2];
    assert_eq!(
        base.path,
        fs::canonicalize(v.join("aaaa00000001_base.py")).expect("real")
    );
    assert_eq!(base.longdoc, "base");
    assert_eq!(base.down_revisions, Vec::<String>::new());
    assert_eq!(base.lines.revision, 2);
    assert_eq!(base.lines.down_revision, 3);
}

#[test]
fn walk_order_is_depth_first_sorted() {
    let tmp = tempfile::tempdir().expect("tmp");
    let v = tmp.path().to_path_buf();
    for (i, name) in ["b/z.py", "b/a/x.py", "a.py", "c/y.py", "a/q.py", "B.py"]
        .iter()
        .enumerate()
    {
        write(&v, name, &rev_file(&format!("r{i}"), None, name));
    }
    let set = load(std::slice::from_ref(&v), true, false).expect("load");
    let docs: Vec<&str> = set.scripts.iter().map(|s| s.longdoc.as_str()).collect();
    assert_eq!(
        docs,
        ["B.py", "a.py", "a/q.py", "b/z.py", "b/a/x.py", "c/y.py"]
    );
}

#[test]
fn missing_locations_are_skipped_and_order_follows_locations() {
    let tmp = tempfile::tempdir().expect("tmp");
    let one = tmp.path().join("one");
    let two = tmp.path().join("two");
    write(&one, "z.py", &rev_file("z1", None, ""));
    write(&two, "a.py", &rev_file("a2", None, ""));
    let set = load(
        &[two.clone(), tmp.path().join("nope"), one.clone()],
        false,
        false,
    )
    .expect("load");
    assert_eq!(revs(&set), ["a2", "z1"]);
}

#[cfg(unix)]
#[test]
fn symlinks_resolve_and_duplicates_warn() {
    let tmp = tempfile::tempdir().expect("tmp");
    let real = tmp.path().join("real");
    write(&real, "aaaa_target.py", &rev_file("aaaa", None, "t"));
    let v = tmp.path().join("versions");
    fs::create_dir_all(&v).expect("mkdir");
    std::os::unix::fs::symlink(real.join("aaaa_target.py"), v.join("link.py")).expect("ln");
    std::os::unix::fs::symlink(&real, v.join("linked_dir")).expect("ln");
    // The stored path is the resolved one, and the filter sees the resolved name.
    let set = load(std::slice::from_ref(&v), true, false).expect("load");
    assert_eq!(revs(&set), ["aaaa"]);
    let resolved = fs::canonicalize(real.join("aaaa_target.py")).expect("real");
    assert_eq!(set.scripts[0].path, resolved);
    // Listing the same file twice through two locations.
    let set = load(&[v.clone(), real.clone()], false, false).expect("load");
    assert_eq!(revs(&set), ["aaaa"]);
    assert_eq!(
        set.warnings,
        [format!(
            "File {} loaded twice! ignoring. Please ensure version_locations is unique.",
            resolved.display()
        )]
    );
    // A link whose resolved name fails the filter is not loaded.
    let w = tmp.path().join("w");
    fs::create_dir_all(&w).expect("mkdir");
    write(&real, "notes.txt", "garbage(");
    std::os::unix::fs::symlink(real.join("notes.txt"), w.join("looks_ok.py")).expect("ln");
    let set = load(std::slice::from_ref(&w), false, false).expect("load");
    assert!(set.scripts.is_empty());
    // A symlink loop is neither followed nor fatal.
    std::os::unix::fs::symlink(&w, w.join("loop")).expect("ln");
    assert!(load(std::slice::from_ref(&w), true, false).is_ok());
}

#[test]
fn legacy_ids_and_revision_errors() {
    let tmp = tempfile::tempdir().expect("tmp");
    let v = tmp.path().to_path_buf();
    write(
        &v,
        "1a2b3c.py",
        "\"\"\"legacy\"\"\"\ndown_revision = None\n",
    );
    let set = load(std::slice::from_ref(&v), false, false).expect("load");
    assert_eq!(revs(&set), ["1a2b3c"]);
    write(&v, "1a2b3c_named.py", "down_revision = None\n");
    write(&v, "b_no_down.py", "revision = 'b'\n");
    write(
        &v,
        "c_computed.py",
        "revision = 'c'\ndown_revision = compute()\n",
    );
    write(&v, "d_syntax.py", "revision = 'd\n");
    write(
        &v,
        "e_none_rev.py",
        "revision = None\ndown_revision = None\n",
    );
    let errs = load(std::slice::from_ref(&v), false, false).expect_err("errors");
    let got: Vec<(String, u32, ScriptErrorKind)> = errs
        .iter()
        .map(|e| {
            let name = e.path.file_name().map(|n| n.to_string_lossy().into_owned());
            (name.unwrap_or_default(), e.line, e.kind)
        })
        .collect();
    assert_eq!(
        got,
        [
            ("1a2b3c_named.py".to_owned(), 0, ScriptErrorKind::NoRevision),
            (
                "b_no_down.py".to_owned(),
                0,
                ScriptErrorKind::NoDownRevision
            ),
            ("c_computed.py".to_owned(), 2, ScriptErrorKind::NotStatic),
            ("d_syntax.py".to_owned(), 1, ScriptErrorKind::Syntax),
            ("e_none_rev.py".to_owned(), 1, ScriptErrorKind::NotStatic),
        ]
    );
    assert_eq!(
        errs[0].message,
        "Could not determine revision id from filename 1a2b3c_named.py. Be sure the 'revision' \
         variable is declared inside the script (please see 'Upgrading from Alembic 0.1 to 0.2' \
         in the documentation)."
    );
    let shown = errs[2].to_string();
    assert!(
        shown.contains("c_computed.py:2: `down_revision` cannot be read without running Python"),
        "{shown}"
    );
}

#[test]
fn legacy_regex() {
    assert_eq!(legacy_revision("abc123.py"), Some("abc123"));
    assert_eq!(legacy_revision("ABC.py"), None);
    assert_eq!(legacy_revision("abc_x.py"), None);
    assert_eq!(legacy_revision(".py"), None);
    assert_eq!(legacy_revision("abc.pyc"), None);
}

#[test]
fn name_filter() {
    use walk::match_name;
    assert_eq!(match_name("a.py", false), Some(("a.py", None)));
    assert_eq!(match_name(".hidden.py", false), Some((".hidden.py", None)));
    assert_eq!(match_name("__init__.py", false), None);
    assert_eq!(match_name("__init__x.py", false), None);
    assert_eq!(match_name(".#a.py", false), None);
    assert_eq!(match_name("a.pyc", false), None);
    assert_eq!(match_name("a.pyc", true), Some(("a.py", Some('c'))));
    assert_eq!(match_name("a.pyo", true), Some(("a.py", Some('o'))));
    assert_eq!(match_name("a.py\n", false), Some(("a.py", None)));
    assert_eq!(match_name("a.py~", true), None);
    assert_eq!(match_name("a.PY", true), None);
}

#[test]
fn sourceless_mode() {
    let tmp = tempfile::tempdir().expect("tmp");
    let v = tmp.path().to_path_buf();
    write(&v, "aaaa_base.py", &rev_file("aaaa", None, "base"));
    write(&v, "aaaa_base.pyc", "bytecode");
    write(&v, "__pycache__/aaaa_base.cpython-311.pyc", "bytecode");
    let set = load(std::slice::from_ref(&v), false, true).expect("py preferred over pyc");
    assert_eq!(revs(&set), ["aaaa"]);
    write(&v, "cccc_compiled.pyc", "bytecode");
    let errs = load(std::slice::from_ref(&v), false, true).expect_err("pyc only");
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].kind, ScriptErrorKind::NotStatic);
    assert!(errs[0].message.contains(".pyc"), "{}", errs[0].message);
    // Without `sourceless`, .pyc files are simply not revision files.
    assert!(load(std::slice::from_ref(&v), false, false).is_ok());
}

#[test]
fn many_files_keep_load_order_in_parallel() {
    let tmp = tempfile::tempdir().expect("tmp");
    let v = tmp.path().to_path_buf();
    for i in 0..500 {
        let down = (i > 0).then(|| format!("r{:04}", i - 1));
        write(
            &v,
            &format!("f{i:04}.py"),
            &rev_file(&format!("r{i:04}"), down.as_deref(), "m"),
        );
    }
    write(&v, "f0100.py", "revision = 'x'\n");
    write(&v, "f0007.py", "revision = 'y'\n");
    let errs = load(std::slice::from_ref(&v), false, false).expect_err("two bad");
    let names: Vec<_> = errs
        .iter()
        .map(|e| e.path.file_name().map(|n| n.to_owned()))
        .collect();
    assert_eq!(names, [Some("f0007.py".into()), Some("f0100.py".into())]);
    write(&v, "f0100.py", &rev_file("r0100", Some("r0099"), "m"));
    write(&v, "f0007.py", &rev_file("r0007", Some("r0006"), "m"));
    let set = load(std::slice::from_ref(&v), false, false).expect("load");
    let want: Vec<String> = (0..500).map(|i| format!("r{i:04}")).collect();
    assert_eq!(revs(&set), want);
}

#[test]
fn script_fields_follow_to_tuple() {
    let p = Path::new("/x/m.py");
    let s = script_from_source(
        p,
        b"revision = 'm'\ndown_revision = ['a', 'b']\nbranch_labels = 'x,y'\ndepends_on = ('d',)\n",
    )
    .expect("script");
    assert_eq!(s.down_revisions, ["a", "b"]);
    assert_eq!(s.branch_labels, ["x,y"]);
    assert_eq!(s.dependencies, ["d"]);
    assert_eq!((s.lines.branch_labels, s.lines.depends_on), (3, 4));
    let s = script_from_source(p, b"revision = 'm'\ndown_revision = ''\n").expect("script");
    assert_eq!(s.down_revisions, [""]);
    assert_eq!(s.doc(), "");
}
