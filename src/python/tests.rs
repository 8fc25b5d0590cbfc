//! The module against CPython: one Python process answers for every
//! generated input and for every code point.

use super::*;
use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Stdio};

/// CPython's answers: per input string, and per code point as ranges.
const ORACLE: &str = r#"
import ast, json, sys, unicodedata
given = json.load(sys.stdin)
inputs = given["inputs"]
def ranges(pred):
    out, start = [], None
    for c in range(0x110000 + 1):
        hit = c < 0x110000 and not (0xd800 <= c <= 0xdfff) and pred(chr(c))
        if hit and start is None:
            start = c
        elif not hit and start is not None:
            out.append([start, c - 1]); start = None
    return out
def integer(s):
    try:
        return str(int(s))
    except ValueError:
        return None
answers = []
for s in inputs:
    answers.append({
        "strip": s.strip(), "rstrip": s.rstrip(), "lower": s.lower(), "repr": repr(s),
        "int": integer(s), "splitlines": s.splitlines(),
    })
json.dump({
    "answers": answers,
    "evaluated": [ast.literal_eval(x) for x in given["literals"]],
    "space": ranges(str.isspace),
    "unprintable": ranges(lambda c: not c.isprintable() and unicodedata.category(c) != "Cn"),
    "unassigned": ranges(lambda c: unicodedata.category(c) == "Cn"),
    "digits": ranges(lambda c: unicodedata.category(c) == "Nd"),
}, sys.stdout)
"#;

/// Ask CPython about `inputs`, and evaluate each of `literals` there.
fn oracle(inputs: &[String], literals: &[String]) -> Value {
    let python = std::env::var("DB_STATUS_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let mut child = Command::new(&python)
        .args(["-c", ORACLE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python} (set DB_STATUS_PYTHON): {e}"));
    let input = serde_json::to_vec(&json!({"inputs": inputs, "literals": literals})).expect("json");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&input)
        .expect("write to Python");
    let out = child.wait_with_output().expect("Python runs");
    assert!(
        out.status.success(),
        "{python} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("CPython's answers are JSON")
}

/// Characters the generated inputs are drawn from: what the rules care
/// about (every kind of space and line break, signs, underscores, digits of
/// several scripts, quotes, escapes, format and private-use characters) and
/// ordinary letters.
fn alphabet() -> Vec<char> {
    let mut a: Vec<char> = "aZ09_+-'\"\\ \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x00\x07\x7f"
        .chars()
        .collect();
    a.extend([
        '\u{85}',
        '\u{a0}',
        '\u{ad}',
        '\u{e9}',
        '\u{130}',
        '\u{3a3}',
        '\u{660}',
        '\u{669}',
        '\u{6f3}',
        '\u{966}',
        '\u{1680}',
        '\u{2000}',
        '\u{200a}',
        '\u{200b}',
        '\u{200d}',
        '\u{2028}',
        '\u{2029}',
        '\u{202f}',
        '\u{205f}',
        '\u{2160}',
        '\u{3000}',
        '\u{4e00}',
        '\u{e000}',
        '\u{feff}',
        '\u{ff11}',
        '\u{fffd}',
        '\u{1d7ce}',
        '\u{1d7f6}',
        '\u{1f600}',
        '\u{1fbf9}',
        '\u{f0000}',
    ]);
    a
}

/// Deterministic generated inputs: short strings over [`alphabet`], biased
/// towards number-like text, plus hand-picked edge cases.
fn inputs() -> Vec<String> {
    let alphabet = alphabet();
    let numberish: Vec<char> = " \t\u{a0}\u{3000}\x1c_+-0123456789\u{663}\u{ff15}"
        .chars()
        .collect();
    let mut seed: u64 = 0x5eed_cafe;
    let mut next = move |n: usize| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(seed >> 33).expect("fits") % n
    };
    let mut out: Vec<String> = [
        "",
        " 3",
        " \u{3000}3\u{85}",
        "\x1c3",
        "3\x1f",
        "-_3",
        "3__0",
        "3_0",
        "+0",
        "--1",
        "\u{663}\u{664}",
        "1\u{200b}",
        "a\r\nb\rc",
        "'",
        "\"",
        "'\"",
        "\\x",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for i in 0..3000 {
        let pool = if i % 2 == 0 { &numberish } else { &alphabet };
        let len = next(8);
        out.push((0..len).map(|_| pool[next(pool.len())]).collect());
    }
    out
}

/// CPython's sorted `[start, end]` code-point ranges.
fn ranges(value: &Value) -> Vec<(u32, u32)> {
    let n = |v: &Value| u32::try_from(v.as_u64().expect("code point")).expect("fits");
    let list = value.as_array().expect("ranges");
    list.iter().map(|r| (n(&r[0]), n(&r[1]))).collect()
}

/// Whether `c` lies in one of `ranges`.
fn in_ranges(ranges: &[(u32, u32)], c: char) -> bool {
    let n = u32::from(c);
    let i = ranges.partition_point(|r| r.0 <= n);
    i > 0 && n <= ranges[i - 1].1
}

#[test]
fn agrees_with_cpython() {
    let inputs = inputs();
    let literals: Vec<String> = inputs.iter().map(|s| str_literal(s)).collect();
    let answers = oracle(&inputs, &literals);
    let evaluated = &answers["evaluated"];
    let mut wrong = Vec::new();
    for (i, s) in inputs.iter().enumerate() {
        let want = &answers["answers"][i];
        let got = json!({
            "strip": strip(s), "rstrip": rstrip(s), "lower": lower(s), "repr": repr(s),
            "int": int(s).map(|n| n.to_string()), "splitlines": splitlines(s),
        });
        if &got != want {
            wrong.push(format!("{s:?}: db-status {got}, CPython {want}"));
        }
        if evaluated[i] != json!(s) {
            wrong.push(format!(
                "{s:?}: str_literal {} evaluates to {:?}",
                literals[i], evaluated[i]
            ));
        }
    }
    let space = ranges(&answers["space"]);
    let digits = ranges(&answers["digits"]);
    let unassigned = ranges(&answers["unassigned"]);
    let unprintable = ranges(&answers["unprintable"]);
    for c in (0..=0x10_ffff_u32).filter_map(char::from_u32) {
        if is_space(c) != in_ranges(&space, c) {
            wrong.push(format!("{c:?}: is_space {}", is_space(c)));
        }
        if is_decimal(c) != in_ranges(&digits, c) {
            wrong.push(format!("{c:?}: decimal {:?}", decimal(c)));
        }
        if !in_ranges(&unassigned, c) && is_printable(c) == in_ranges(&unprintable, c) {
            wrong.push(format!("{c:?}: is_printable {}", is_printable(c)));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} disagreements with CPython:\n{}",
        wrong.len(),
        wrong[..wrong.len().min(40)].join("\n")
    );
}

#[test]
fn ids_literal_forms() {
    assert_eq!(ids_literal(&[]), "None");
    assert_eq!(ids_literal(&["ab"]), "\"ab\"");
    assert_eq!(ids_literal(&["a", "b"]), "(\"a\", \"b\")");
    assert_eq!(str_literal("a\"b"), "\"a\\\"b\"");
}

#[test]
fn repr_quotes_and_escapes() {
    assert_eq!(repr("a'b"), "\"a'b\"");
    assert_eq!(repr("a'\"b"), "'a\\'\"b'");
    assert_eq!(repr("\x1c\u{3000}\u{a0}é\n"), "'\\x1c\\u3000\\xa0é\\n'");
}

#[test]
fn splitlines_and_strip_examples() {
    assert_eq!(splitlines(""), Vec::<&str>::new());
    assert_eq!(splitlines("a\n\nb\n"), ["a", "", "b"]);
    assert_eq!(
        splitlines("a\r\nb\rc\x0bd\x1ce\u{2028}f"),
        ["a", "b", "c", "d", "e", "f"]
    );
    assert_eq!(splitlines("a\n\r"), ["a", ""]);
    assert_eq!(
        strip("\x1c\x1d\x1e\x1f\u{85}\u{a0}\u{2028}x y\u{3000}\u{202f}"),
        "x y"
    );
    assert_eq!(strip("\u{200b}x"), "\u{200b}x"); // ZERO WIDTH SPACE is not whitespace
}
