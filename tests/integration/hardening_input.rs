//! Hostile input: huge files, deep nesting, a 10 MB docstring, invalid
//! UTF-8, NUL bytes, symlink loops in a recursive version directory and a
//! 100,000-revision chain. Each must give a clear error (naming the file) or
//! the right answer, never a panic, a stack overflow or a hang, and within
//! bounded time and memory.

use crate::support;

use std::time::Duration;

use crate::support::{Project, cmd, peak_rss_kib, revision_text, run, sqlite_db};

const LIMIT: Duration = Duration::from_secs(60);

fn sqlite_line() -> &'static str {
    "sqlalchemy.url = sqlite:///%(here)s/db.sqlite"
}

#[test]
fn huge_revision_file_is_read() {
    let p = Project::new(sqlite_line());
    p.rev("aaaa00000001", None, "base");
    // 30 MB of ordinary code in upgrade(), after the watched assignments.
    let mut text = revision_text("aaaa00000002", Some("aaaa00000001"), "huge");
    let line = "    op.execute(\"UPDATE t SET c = 'x' WHERE id IN (1, 2, 3)\")  # (\n";
    let n = 30 * 1024 * 1024 / line.len();
    text.reserve(n * line.len());
    text.push_str("\n\ndef more():\n");
    for _ in 0..n {
        text.push_str(line);
    }
    p.raw("aaaa00000002_huge.py", text.as_bytes());
    let out = run(p.path(), &["heads"], &[], LIMIT);
    out.assert_clean("heads on a 30 MB file");
    assert_eq!(out.code, Some(0), "{}", out.all());
    assert_eq!(out.stdout, "aaaa00000002 (head)\n");
    eprintln!("heads on a 30 MB revision file: {:?}", out.elapsed);
}

#[test]
fn ten_megabyte_docstring() {
    let p = Project::new(sqlite_line());
    let mut doc = String::from("big docstring\n\n");
    let para = "Lorem ipsum dolor sit amet, \\\"quoted\\\" and 'single' and ''' inside.\n";
    while doc.len() < 10 * 1024 * 1024 {
        doc.push_str(para);
    }
    let text = format!(
        "\"\"\"{doc}\"\"\"\nrevision = 'aaaa00000001'\ndown_revision = None\n\
         branch_labels = None\ndepends_on = None\n"
    );
    p.raw("aaaa00000001_big.py", text.as_bytes());
    let out = run(p.path(), &["history"], &[], LIMIT);
    out.assert_clean("history with a 10 MB docstring");
    assert_eq!(out.code, Some(0), "{}", out.all());
    assert_eq!(out.stdout, "<base> -> aaaa00000001 (head), big docstring\n");
    let out = run(p.path(), &["status", "--format", "json"], &[], LIMIT);
    out.assert_clean("status with a 10 MB docstring");
    assert_eq!(out.code, Some(3), "fresh database: {}", out.all());
    eprintln!("status with a 10 MB docstring: {:?}", out.elapsed);
}

/// Python refuses more than 200 nested brackets, so Alembic cannot import
/// such a file; we must not crash on it either way.
#[test]
fn ten_thousand_nested_brackets() {
    let p = Project::new(sqlite_line());
    p.rev("aaaa00000001", None, "base");
    let deep = format!("{}'aaaa00000001'{}", "(".repeat(10_000), ")".repeat(10_000));
    let text = format!(
        "\"\"\"deep\"\"\"\nrevision = 'aaaa00000002'\ndown_revision = {deep}\n\
         branch_labels = None\ndepends_on = None\n"
    );
    p.raw("aaaa00000002_deep.py", text.as_bytes());
    for args in [&["heads"][..], &["check"], &["status"]] {
        let out = run(p.path(), args, &[], LIMIT);
        out.assert_clean(&format!("{args:?} with 10,000 nested brackets"));
    }
    // Same depth of brackets and of list displays inside upgrade().
    let p = Project::new(sqlite_line());
    let deep = format!("{}1{}", "[(".repeat(10_000), ")]".repeat(10_000));
    let text = format!(
        "\"\"\"deep body\"\"\"\nrevision = 'aaaa00000001'\ndown_revision = None\n\
         branch_labels = None\ndepends_on = None\n\ndef upgrade():\n    x = {deep}\n"
    );
    p.raw("aaaa00000001_deep.py", text.as_bytes());
    let out = run(p.path(), &["heads"], &[], LIMIT);
    out.assert_clean("heads with 20,000 nested brackets in upgrade()");
}

#[test]
fn invalid_utf8_is_a_clear_error_naming_the_file() {
    let p = Project::new(sqlite_line());
    let mut bytes = revision_text("aaaa00000001", None, "bad bytes").into_bytes();
    // A Latin-1 `é` on line 1 without a coding declaration.
    bytes.splice(3..3, [0xe9_u8]);
    p.raw("aaaa00000001_bad.py", &bytes);
    let out = run(p.path(), &["status"], &[], LIMIT);
    out.assert_clean("status with invalid UTF-8");
    assert_eq!(out.code, Some(7), "config error expected: {}", out.all());
    assert!(
        out.all().contains("aaaa00000001_bad.py"),
        "names the file: {}",
        out.all()
    );
    let out = run(p.path(), &["heads"], &[], LIMIT);
    out.assert_clean("heads with invalid UTF-8");
    assert_ne!(out.code, Some(0), "{}", out.all());
}

#[test]
fn nul_bytes_are_a_clear_error_naming_the_file() {
    let p = Project::new(sqlite_line());
    let mut bytes = revision_text("aaaa00000001", None, "nul").into_bytes();
    bytes.extend_from_slice(b"\n# trailing \0 byte\n");
    p.raw("aaaa00000001_nul.py", &bytes);
    let out = run(p.path(), &["status", "--format", "json"], &[], LIMIT);
    out.assert_clean("status with a NUL byte");
    assert_eq!(out.code, Some(7), "{}", out.all());
    assert!(out.all().contains("aaaa00000001_nul.py"), "{}", out.all());
    let v = out.json();
    assert_eq!(v["components"][0]["state"], "config-error", "{v}");
}

#[test]
fn binary_garbage_file_is_an_error_not_a_crash() {
    let p = Project::new(sqlite_line());
    p.rev("aaaa00000001", None, "base");
    // Deterministic pseudo-random bytes (xorshift), no NUL so the lexer runs.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let garbage: Vec<u8> = (0..2_000_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x as u8).max(1)
        })
        .collect();
    p.raw("zzzz_garbage.py", &garbage);
    let out = run(p.path(), &["check"], &[], LIMIT);
    out.assert_clean("check with a garbage file");
    assert_ne!(out.code, Some(0), "{}", out.all());
    assert!(out.all().contains("zzzz_garbage.py"), "{}", out.all());
}

/// `recursive_version_locations` with a sub-directory symlinked back to its
/// parent, and a pair of file symlinks pointing at each other. Alembic's
/// `os.walk` does not follow directory symlinks, so the answer is the two
/// real revisions; the looping file links must not hang or crash us.
#[cfg(unix)]
#[test]
fn symlink_loops_in_recursive_version_dirs() {
    use std::os::unix::fs::symlink;
    let p = Project::new(&format!(
        "{}\nrecursive_version_locations = true",
        sqlite_line()
    ));
    std::fs::create_dir_all(p.versions().join("sub")).expect("mkdir sub");
    p.rev("aaaa00000001", None, "base");
    std::fs::write(
        p.versions().join("sub/aaaa00000002_x.py"),
        revision_text("aaaa00000002", Some("aaaa00000001"), "second"),
    )
    .expect("write");
    symlink("..", p.versions().join("sub/loop")).expect("dir loop");
    symlink(p.versions(), p.versions().join("sub/abs_loop")).expect("abs dir loop");
    let out = run(p.path(), &["heads"], &[], LIMIT);
    out.assert_clean("heads with directory symlink loops");
    assert_eq!(out.code, Some(0), "{}", out.all());
    assert_eq!(out.stdout, "aaaa00000002 (head)\n");

    symlink("b_loop.py", p.versions().join("a_loop.py")).expect("file loop a");
    symlink("a_loop.py", p.versions().join("b_loop.py")).expect("file loop b");
    symlink("self.py", p.versions().join("self.py")).expect("self loop");
    for args in [&["heads"][..], &["status"], &["check"]] {
        let out = run(p.path(), args, &[], LIMIT);
        out.assert_clean(&format!("{args:?} with file symlink loops"));
    }
}

/// A 100,000-revision linear chain: every walk must be iterative.
#[test]
fn hundred_thousand_long_chain() {
    const N: usize = 100_000;
    let p = Project::new(sqlite_line());
    let id = |i: usize| format!("r{i:011}");
    for i in 0..N {
        let down = if i == 0 { None } else { Some(id(i - 1)) };
        let down_repr = down.map_or("None".to_string(), |d| format!("'{d}'"));
        let text = format!(
            "\"\"\"step {i}\"\"\"\nrevision = '{}'\ndown_revision = {down_repr}\n\
             branch_labels = None\ndepends_on = None\n",
            id(i)
        );
        std::fs::write(p.versions().join(format!("{}_s.py", id(i))), text).expect("write");
    }
    sqlite_db(&p.path().join("db.sqlite"), &[&id(0)]);
    let last = id(N - 1);

    let out = run(p.path(), &["heads"], &[], LIMIT);
    out.assert_clean("heads on a 100,000 chain");
    assert_eq!(out.stdout, format!("{last} (head)\n"), "{}", out.stderr);
    eprintln!("heads, 100,000 revisions: {:?}", out.elapsed);

    let out = run(p.path(), &["history"], &[], LIMIT);
    out.assert_clean("history on a 100,000 chain");
    assert_eq!(out.stdout.lines().count(), N);
    assert_eq!(
        out.stdout.lines().next(),
        Some(format!("{} -> {last} (head), step {}", id(N - 2), N - 1).as_str())
    );
    eprintln!("history, 100,000 revisions: {:?}", out.elapsed);

    for args in [&["check"][..], &["graph"], &["show", "base"]] {
        let out = run(p.path(), args, &[], LIMIT);
        out.assert_clean(&format!("{args:?} on a 100,000 chain"));
    }

    let c = cmd(p.path(), &["status", "--format", "json"], &[]);
    let (out, rss) = match peak_rss_kib(&c, LIMIT) {
        Some((kib, out)) => (out, Some(kib)),
        None => (support::run_cmd(c, LIMIT), None),
    };
    out.assert_clean("status on a 100,000 chain");
    assert_eq!(out.code, Some(1), "behind: {}", out.stderr);
    let v = out.json();
    assert_eq!(v["components"][0]["pending_count"], N - 1);
    assert_eq!(v["components"][0]["pending"][0]["revision"], id(1));
    eprintln!(
        "status --format json, 100,000 revisions: {:?}, peak RSS {:?} KiB",
        out.elapsed, rss
    );
    if let Some(kib) = rss {
        // Files are ~120 bytes each; 1 GiB would mean something is quadratic
        // or kept far too long.
        assert!(kib < 1024 * 1024, "peak RSS {kib} KiB");
    }
}
