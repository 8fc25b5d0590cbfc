//! Fuzz target for the module-level Python scanner (`scripts::scan`).
//!
//! Beyond "no panic", it checks invariants that hold for any input:
//! scanning is deterministic, `scan` equals `decode_source` + `scan_str`,
//! line numbers point inside the file, and whatever the scanner accepts
//! survives a round trip: re-rendered as a fresh Python module (with every
//! value written as an escaped literal) it scans back to the same values.
//! Agreement with CPython's `ast` is checked by `tests/integration/fuzz_regressions.rs`
//! on the saved corpus, since running Python per input would be too slow.

#![no_main]

use db_status::scripts::scan::{self, Assigned, Scanned, Value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let first = scan::scan(data);
    let again = scan::scan(data);
    assert_eq!(first, again, "the scanner is not deterministic");

    let Ok(scanned) = first else {
        return;
    };
    // Like CPython, the scanner accepts bytes that are not UTF-8 inside
    // comments, which strict `decode_source` refuses: compare only when the
    // whole file decodes.
    let text = match scan::decode_source(data) {
        Ok(text) => {
            assert_eq!(
                scan::scan_str(&text).as_ref(),
                Ok(&scanned),
                "scan and decode_source + scan_str disagree"
            );
            text
        }
        // Python's line ends: `\r\n` and a lone `\r` count as `\n`.
        Err(_) => String::from_utf8_lossy(data)
            .replace("\r\n", "\n")
            .replace('\r', "\n")
            .into(),
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
            assigned.line >= 1 && assigned.line <= lines,
            "assignment line {} outside 1..={lines}",
            assigned.line
        );
    }
    match &scanned.docstring {
        None => assert_eq!(scanned.docstring_line, 0, "line for a missing docstring"),
        Some(_) => assert!(
            scanned.docstring_line >= 1 && scanned.docstring_line <= lines,
            "docstring line {} outside 1..={lines}",
            scanned.docstring_line
        ),
    }

    let rendered = render(&scanned);
    let back = match scan::scan_str(&rendered) {
        Ok(back) => back,
        Err(e) => panic!("re-rendered module does not scan: {e}\n{rendered}"),
    };
    assert_eq!(
        back.docstring, scanned.docstring,
        "docstring round trip\n{rendered}"
    );
    assert_eq!(back.longdoc(), scanned.longdoc());
    for (name, a, b) in [
        ("revision", &scanned.revision, &back.revision),
        ("down_revision", &scanned.down_revision, &back.down_revision),
        ("branch_labels", &scanned.branch_labels, &back.branch_labels),
        ("depends_on", &scanned.depends_on, &back.depends_on),
    ] {
        assert_eq!(
            a.as_ref().map(|x| &x.value),
            b.as_ref().map(|x| &x.value),
            "{name} round trip\n{rendered}"
        );
    }
});

/// A module holding the same docstring and values, every string written as
/// an escaped single-quoted literal (so the scanner's escape decoding is on
/// the path too).
fn render(s: &Scanned) -> String {
    let mut out = String::new();
    if let Some(doc) = &s.docstring {
        out.push_str(&py_literal(doc));
        out.push('\n');
    }
    let fields: [(&str, &Option<Assigned>); 4] = [
        ("revision", &s.revision),
        ("down_revision", &s.down_revision),
        ("branch_labels", &s.branch_labels),
        ("depends_on", &s.depends_on),
    ];
    for (name, field) in fields {
        if let Some(a) = field {
            out.push_str(name);
            out.push_str(" = ");
            out.push_str(&render_value(&a.value));
            out.push('\n');
        }
    }
    out
}

fn render_value(v: &Value) -> String {
    match v {
        Value::None => "None".to_string(),
        Value::Str(s) => py_literal(s),
        Value::Tuple(items) => match items.as_slice() {
            [] => "()".to_string(),
            [one] => format!("({},)", py_literal(one)),
            many => format!(
                "({})",
                many.iter()
                    .map(|s| py_literal(s))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
        Value::List(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|s| py_literal(s))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A Python string literal for `s`: printable ASCII as is, everything else
/// as `\x`, `\u` or `\U` escapes.
fn py_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            ' '..='~' => out.push(c),
            c if u32::from(c) < 0x100 => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c if u32::from(c) < 0x10000 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push_str(&format!("\\U{:08x}", u32::from(c))),
        }
    }
    out.push('\'');
    out
}
