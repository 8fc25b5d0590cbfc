//! The saved fuzz corpora, replayed on every test run.
//!
//! * `tests/data/fuzz/scan/`: the scanner corpus (Alembic-generated files,
//!   hand-written corner cases, and the `cargo fuzz` corpus minimised). Every
//!   file is also read by CPython's own parser (`ast`, one Python process for
//!   all of them), and wherever the scanner accepts a file that Python can
//!   compile, the two must agree on the docstring and on every watched value.
//! * `tests/data/fuzz/{scan,ini,url}/{crash,regress}-*`: inputs that once
//!   crashed a fuzz target or were a finding; each must now give a clean
//!   answer or a clean error (for the scanner: its invariants hold).
//!
//! Python is the suite's (`support::python`: `$DB_STATUS_PYTHON`, else
//! `<repo>/.venv/bin/python`); only its standard library is used.

use crate::support::{python, python_per_path};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use db_status::config::ini::Ini;
use db_status::database::url::DbUrl;
use db_status::scripts::scan::{self, ScanErrorKind, Scanned, Value};

fn data(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/fuzz")
        .join(target)
}

fn files(target: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(data(target))
        .unwrap_or_else(|e| panic!("cannot list tests/data/fuzz/{target}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

/// For each path on stdin, one JSON line: whether CPython compiles it, its
/// module docstring, and per watched name either the literal value bound by
/// the last module-level statement that binds it, `"nonliteral"` when that
/// statement binds it to something else, or `"maybe"` when the binding
/// depends on execution (a conditional, a loop, a `global` in a function, a
/// walrus, `import *`, …). Names never bound are absent.
const ORACLE: &str = r#"
import ast, json, sys
W = ("revision", "down_revision", "branch_labels", "depends_on")

def lit(node):
    if isinstance(node, ast.Constant):
        if node.value is None:
            return {"none": True}
        if type(node.value) is str:
            return {"str": node.value}
        return "nonliteral"
    if isinstance(node, (ast.Tuple, ast.List)):
        items = []
        for e in node.elts:
            if isinstance(e, ast.Constant) and type(e.value) is str:
                items.append(e.value)
            else:
                return "nonliteral"
        return {("tuple" if isinstance(node, ast.Tuple) else "list"): items}
    return "nonliteral"

def maybe_bound(stmt):
    # Conservative: every watched name that appears as a binding anywhere
    # in the statement, including inside functions and classes (a `global`
    # or a walrus in a default argument reaches the module).
    out = set()
    for n in ast.walk(stmt):
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)) and n.id in W:
            out.add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name in W:
            out.add(n.name)
        elif isinstance(n, (ast.Global, ast.Nonlocal)):
            out.update(x for x in n.names if x in W)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            for a in n.names:
                if a.name == "*":
                    out.update(W)
                elif (a.asname or a.name.split(".")[0]) in W:
                    out.add(a.asname or a.name.split(".")[0])
        elif isinstance(n, ast.MatchAs) and n.name in W:
            out.add(n.name)
        elif isinstance(n, ast.MatchStar) and n.name in W:
            out.add(n.name)
        elif isinstance(n, ast.MatchMapping) and n.rest in W:
            out.add(n.rest)
        elif isinstance(n, ast.ExceptHandler) and n.name in W:
            out.add(n.name)
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("exec", "eval", "globals", "vars", "locals", "setattr", "__import__"):
            out.update(W)
    return out

def names_of(targets):
    if all(isinstance(t, ast.Name) for t in targets):
        return [t.id for t in targets]
    return None

def simple(st):
    # (names, value node) for `a = b = <value>` and `a: T = <value>` whose
    # value holds no walrus and whose annotation binds nothing.
    if isinstance(st, ast.Assign):
        names = names_of(st.targets)
        value = st.value
    elif isinstance(st, ast.AnnAssign) and st.simple and st.value is not None:
        if maybe_bound(ast.Expr(st.annotation)):
            return None
        names = [st.target.id]
        value = st.value
    else:
        return None
    if names is None or maybe_bound(ast.Expr(value)):
        return None
    return names, value

for path in sys.stdin.read().splitlines():
    src = open(path, "rb").read()
    try:
        mod = ast.parse(src)
    except (SyntaxError, ValueError) as e:
        print(json.dumps({"ok": False, "error": str(e)}))
        continue
    fields = {}
    for st in mod.body:
        s = simple(st)
        if s is not None:
            names, value = s
            v = lit(value)
            for name in names:
                if name in W:
                    fields[name] = [v, st.lineno]
        else:
            for name in maybe_bound(st):
                fields[name] = ["maybe", st.lineno]
    doc = ast.get_docstring(mod, clean=False)
    print(json.dumps({"ok": True, "doc": doc, "fields": fields}))
"#;

/// Run the oracle over `paths` in one Python process.
fn oracle(paths: &[PathBuf]) -> Vec<serde_json::Value> {
    let mut c = Command::new(python());
    c.args(["-c", ORACLE]);
    python_per_path(c, paths, "the Python oracle")
}

fn value_json(v: &Value) -> serde_json::Value {
    match v {
        Value::None => serde_json::json!({"none": true}),
        Value::Str(s) => serde_json::json!({ "str": s }),
        Value::Tuple(t) => serde_json::json!({ "tuple": t }),
        Value::List(l) => serde_json::json!({ "list": l }),
    }
}

/// Disagreements between the scanner's answer and Python's for one file.
fn compare(scanned: &Scanned, py: &serde_json::Value) -> Vec<String> {
    let mut problems = Vec::new();
    let py_doc = py.get("doc").and_then(|d| d.as_str());
    if scanned.docstring.as_deref() != py_doc {
        problems.push(format!(
            "docstring: scanner {:?}, python {:?}",
            scanned.docstring, py_doc
        ));
    }
    let fields = py.get("fields").cloned().unwrap_or_default();
    for (name, ours) in [
        ("revision", &scanned.revision),
        ("down_revision", &scanned.down_revision),
        ("branch_labels", &scanned.branch_labels),
        ("depends_on", &scanned.depends_on),
    ] {
        let theirs = fields.get(name);
        match (ours, theirs) {
            (None, None) => {}
            // Bound only where execution decides; nothing to compare.
            (_, Some(t)) if t.get(0).and_then(|v| v.as_str()) == Some("maybe") => {}
            (Some(a), Some(t)) => {
                let their_value = t.get(0).cloned().unwrap_or_default();
                let their_line = t.get(1).and_then(|l| l.as_u64());
                if their_value == "nonliteral" {
                    problems.push(format!(
                        "{name}: scanner read {:?} but Python binds a non-literal (line {their_line:?})",
                        a.value
                    ));
                } else if value_json(&a.value) != their_value
                    || Some(u64::from(a.line)) != their_line
                {
                    problems.push(format!(
                        "{name}: scanner {:?} at line {}, python {their_value} at line {their_line:?}",
                        a.value, a.line
                    ));
                }
            }
            (a, t) => problems.push(format!("{name}: scanner {a:?}, python {t:?}")),
        }
    }
    problems
}

/// The corpus to compare: `tests/data/fuzz/scan/`, or every file in
/// `$DB_STATUS_SCAN_CORPUS` (e.g. `fuzz/corpus/scan` after a fuzzing run).
fn scan_corpus() -> Vec<PathBuf> {
    let Some(dir) = std::env::var_os("DB_STATUS_SCAN_CORPUS") else {
        return files("scan");
    };
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list DB_STATUS_SCAN_CORPUS: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

#[test]
fn scanner_corpus_agrees_with_cpython_ast() {
    let paths = scan_corpus();
    assert!(
        paths.len() >= 30,
        "the scanner corpus is missing ({} files)",
        paths.len()
    );
    let answers = oracle(&paths);
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for (path, py) in paths.iter().zip(&answers) {
        let bytes = std::fs::read(path).expect("read corpus file");
        let ours = scan::scan(&bytes);
        let py_ok = py.get("ok").and_then(|v| v.as_bool()) == Some(true);
        let key = match (&ours, py_ok) {
            (Ok(scanned), true) => {
                let problems = compare(scanned, py);
                if !problems.is_empty() {
                    failures.push(format!("{}:\n  {}", path.display(), problems.join("\n  ")));
                }
                "both accept"
            }
            (Ok(_), false) => "scanner accepts, Python rejects",
            (Err(e), true) if e.kind == ScanErrorKind::NotStatic => "scanner: not static",
            (Err(e), true) => {
                // Allowed (the scanner may refuse what it cannot follow), but
                // worth seeing in the log.
                eprintln!("scanner refuses what Python reads: {}: {e}", path.display());
                "scanner: syntax error, Python accepts"
            }
            (Err(_), false) => "both reject",
        };
        *counts.entry(key).or_default() += 1;
    }
    eprintln!("scanner corpus: {counts:?}");
    assert!(
        counts.get("both accept").copied().unwrap_or(0) >= 20,
        "too few comparable files: {counts:?}"
    );
    assert!(
        failures.is_empty(),
        "{} file(s) where the scanner and CPython disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A lexically broken file Python also rejects must be a scanner error too:
/// accepting it would let db-status answer where Alembic cannot even import
/// the file. Only the lexical cases the scanner promises to catch are listed.
#[test]
fn lexical_errors_python_rejects_are_errors() {
    for src in [
        "revision = 'abc\ndown_revision = None\n",
        "revision = \"\"\"abc\ndown_revision = None\n",
        "revision = 'a'\ndown_revision = None\n\0\n",
        "revision = 'a'\ndown_revision = (None\n",
    ] {
        assert!(
            scan::scan(src.as_bytes()).is_err(),
            "scanner accepted {src:?}"
        );
    }
}

fn crash_inputs(target: &str) -> Vec<PathBuf> {
    files(target)
        .into_iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("crash-") || n.starts_with("regress-"))
        })
        .collect()
}

/// The scanner's former findings (`regress-*`: the fuzz target's crash on
/// CR line ends in an undecodable file, and the two disagreements with
/// CPython the fuzzer found: undecodable bytes in a comment, a form feed at
/// the start of a line) keep the fuzz target's invariants: a clean answer,
/// the same answer twice, the same answer from `decode_source` + `scan_str`
/// where the file decodes, and line numbers inside the file. (Their values
/// are checked against CPython with the rest of the corpus above.)
#[test]
fn scan_regressions_keep_the_fuzz_invariants() {
    let inputs = crash_inputs("scan");
    assert!(
        inputs.len() >= 3,
        "tests/data/fuzz/scan holds {} former findings (crash-*/regress-*), expected at least 3",
        inputs.len()
    );
    for path in inputs {
        let what = path.display();
        let bytes = std::fs::read(&path).expect("read");
        let first = scan::scan(&bytes);
        assert_eq!(first, scan::scan(&bytes), "{what}: not deterministic");
        let scanned = first.unwrap_or_else(|e| panic!("{what}: the scanner rejects it: {e:?}"));
        let text = match scan::decode_source(&bytes) {
            Ok(text) => {
                assert_eq!(
                    scan::scan_str(&text).as_ref(),
                    Ok(&scanned),
                    "{what}: scan and decode_source + scan_str disagree"
                );
                text.to_string()
            }
            Err(_) => String::from_utf8_lossy(&bytes)
                .replace("\r\n", "\n")
                .replace('\r', "\n"),
        };
        let lines = u32::try_from(text.split('\n').count()).unwrap_or(u32::MAX);
        for assigned in [
            &scanned.revision,
            &scanned.down_revision,
            &scanned.branch_labels,
            &scanned.depends_on,
        ]
        .into_iter()
        .flatten()
        {
            assert!(
                (1..=lines).contains(&assigned.line),
                "{what}: assignment line {} outside 1..={lines}",
                assigned.line
            );
        }
    }
}

#[test]
fn ini_regressions_do_not_panic() {
    for path in files("ini") {
        let bytes = std::fs::read(&path).expect("read");
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(ini) = Ini::parse(&text, "fuzz.ini", &[("here", "/srv/app")]) {
            for section in ini.sections() {
                for option in ini.options(section).unwrap_or_default() {
                    let _ = ini.get(section, option);
                }
                let _ = ini.items(section);
            }
        }
    }
}

#[test]
fn url_regressions_never_show_the_password() {
    for path in files("url") {
        let bytes = std::fs::read(&path).expect("read");
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        if let Ok(url) = DbUrl::parse(text)
            && let Some(pw) = url.password.clone()
        {
            let mut other = url.clone();
            other.password = Some(format!("{pw}-other"));
            assert_eq!(url.masked(), other.masked(), "{}", path.display());
        }
    }
}

/// Found by fuzzing (scan corpus, 17 files). CPython compiles source bytes
/// without decoding comments, and Alembic imports revision files through
/// `compile(bytes)`, so a stray Latin-1 byte in a *comment* is fine for
/// Alembic (checked with alembic 1.20: `heads` prints the revision), while
/// the same byte in a string is a SyntaxError. The scanner must not refuse
/// such a file.
#[test]
fn invalid_utf8_in_a_comment_is_accepted_like_cpython() {
    let src =
        b"\"\"\"doc\"\"\"\n# caf\xe9 comment\nrevision = 'aaaa00000001'\ndown_revision = None\n";
    let scanned = scan::scan(src).unwrap_or_else(|e| panic!("refused: {e}"));
    assert_eq!(
        scanned.revision.map(|a| a.value),
        Some(Value::Str("aaaa00000001".to_string()))
    );
    // In a string it is an error for Python and for us.
    assert!(scan::scan(b"revision = 'caf\xe9'\ndown_revision = None\n").is_err());
}

/// Found by fuzzing: a form feed at the start of a line resets Python's
/// indentation count (`\x0c"""doc"""` is a docstring at column 0), the
/// scanner reports "unexpected indent".
#[test]
fn form_feed_at_line_start_is_not_indentation() {
    let src = b"\x0c\"\"\"doc\"\"\"\nrevision = 'a'\x0c\n\x0cdown_revision = None\n";
    let scanned = scan::scan(src).unwrap_or_else(|e| panic!("refused: {e}"));
    assert_eq!(scanned.docstring.as_deref(), Some("doc"));
    assert_eq!(scanned.down_revision.map(|a| a.value), Some(Value::None));
}

/// For each ini path on stdin, one JSON line: Python's `ConfigParser`
/// (with `here` as a default, as Alembic passes it) reading the file as
/// UTF-8 with universal newlines: the error class, or every section's
/// options with raw and interpolated values (or the interpolation error).
const INI_ORACLE: &str = r#"
import configparser, json, sys
for path in sys.stdin.read().splitlines():
    cp = configparser.ConfigParser(defaults={"here": "/srv/app"})
    try:
        cp.read([path], encoding="utf-8")
    except UnicodeDecodeError:
        print(json.dumps({"skip": True}))
        continue
    except configparser.Error as e:
        print(json.dumps({"err": type(e).__name__}))
        continue
    out = []
    for s in cp.sections():
        opts = []
        for o in cp.options(s):
            raw = cp.get(s, o, raw=True)
            try:
                val = {"ok": cp.get(s, o)}
            except configparser.Error as e:
                val = {"err": type(e).__name__}
            opts.append([o, raw, val])
        out.append([s, opts])
    print(json.dumps({"sections": out}))
"#;

/// The saved ini corpus (Alembic templates, corner cases, the minimised
/// fuzz corpus) read by our reader and by Python's `configparser` must
/// give the same sections, options, raw and interpolated values, and the
/// same error classes.
#[test]
fn ini_corpus_agrees_with_configparser() {
    let paths: Vec<PathBuf> = files("ini")
        .into_iter()
        .filter(|p| std::fs::read(p).is_ok_and(|b| std::str::from_utf8(&b).is_ok()))
        .collect();
    let mut c = Command::new(python());
    c.args(["-c", INI_ORACLE]);
    let answers = python_per_path(c, &paths, "the Python oracle");
    let mut failures = Vec::new();
    let mut compared = 0;
    for (path, theirs) in paths.iter().zip(&answers) {
        if theirs.get("skip").is_some() {
            continue;
        }
        let text = std::fs::read_to_string(path).expect("read");
        let ours = match Ini::parse(&text, "fuzz.ini", &[("here", "/srv/app")]) {
            Err(e) => serde_json::json!({ "err": e.python_type() }),
            Ok(ini) => {
                let mut sections = Vec::new();
                for s in ini.sections() {
                    let mut opts = Vec::new();
                    for o in ini.options(s).unwrap_or_default() {
                        let raw = ini.get_raw(s, o).unwrap_or_default();
                        let val = match ini.get(s, o) {
                            Ok(v) => serde_json::json!({ "ok": v }),
                            Err(e) => serde_json::json!({ "err": e.python_type() }),
                        };
                        opts.push(serde_json::json!([o, raw, val]));
                    }
                    sections.push(serde_json::json!([s, opts]));
                }
                serde_json::json!({ "sections": sections })
            }
        };
        compared += 1;
        if &ours != theirs {
            failures.push(format!(
                "{}:\n  ours:   {ours}\n  python: {theirs}",
                path.display()
            ));
        }
    }
    eprintln!("ini corpus: {compared} files compared with configparser");
    assert!(compared >= 8, "too few ini files compared");
    assert!(
        failures.is_empty(),
        "{} ini file(s) read differently:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
