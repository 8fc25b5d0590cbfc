//! Unit tests for the scanner: one case per Python form it must read or refuse.

use super::*;

fn ok(src: &str) -> Scanned {
    match scan(src.as_bytes()) {
        Ok(s) => s,
        Err(e) => panic!("scan failed: {e}\n--- source ---\n{src}"),
    }
}

fn err(src: &str) -> ScanError {
    match scan(src.as_bytes()) {
        Ok(s) => panic!("expected an error, got {s:?}\n--- source ---\n{src}"),
        Err(e) => e,
    }
}

fn rev(src: &str) -> Value {
    ok(src).revision.expect("revision").value
}

fn down(src: &str) -> Value {
    ok(src).down_revision.expect("down_revision").value
}

fn st(s: &str) -> Value {
    Value::Str(s.to_owned())
}

fn tuple(v: &[&str]) -> Value {
    Value::Tuple(v.iter().map(|s| (*s).to_owned()).collect())
}

fn list(v: &[&str]) -> Value {
    Value::List(v.iter().map(|s| (*s).to_owned()).collect())
}

#[test]
fn template_file() {
    let src = r#""""add users table

Revision ID: 1a2b3c4d5e6f
Revises: 0f0e0d0c0b0a
Create Date: 2024-01-01 00:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '1a2b3c4d5e6f'
down_revision: Union[str, Sequence[str], None] = '0f0e0d0c0b0a'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    revision = "decoy"
    op.create_table("users", sa.Column("id", sa.Integer))


def downgrade() -> None:
    down_revision = None
"#;
    let s = ok(src);
    assert_eq!(
        s.revision,
        Some(Assigned {
            value: st("1a2b3c4d5e6f"),
            line: 15
        })
    );
    assert_eq!(
        s.down_revision,
        Some(Assigned {
            value: st("0f0e0d0c0b0a"),
            line: 16
        })
    );
    assert_eq!(
        s.branch_labels,
        Some(Assigned {
            value: Value::None,
            line: 17
        })
    );
    assert_eq!(
        s.depends_on,
        Some(Assigned {
            value: Value::None,
            line: 18
        })
    );
    assert_eq!(
        s.longdoc(),
        "add users table\n\nRevision ID: 1a2b3c4d5e6f\nRevises: 0f0e0d0c0b0a\nCreate Date: 2024-01-01 00:00:00.000000"
    );
    assert_eq!(s.docstring_line, 1);
    assert_eq!(
        s.docstring_claims,
        DocstringClaims {
            revision_id: Some(("1a2b3c4d5e6f".into(), 3)),
            revises: Some((vec!["0f0e0d0c0b0a".into()], 4)),
        }
    );
}

#[test]
fn docstring_claims_merge_and_empty_revises() {
    let s = ok("\"\"\"merge\n\nRevision ID: abc\nRevises: a1, b2\n\"\"\"\nrevision = 'abc'\n");
    assert_eq!(
        s.docstring_claims.revises,
        Some((vec!["a1".to_owned(), "b2".to_owned()], 4))
    );
    let s = ok("\"\"\"first\n\nRevision ID: abc\nRevises: \nCreate Date: x\n\"\"\"\n");
    assert_eq!(s.docstring_claims.revises, Some((vec![], 4)));
    assert_eq!(s.docstring_claims.revision_id, Some(("abc".to_owned(), 3)));
}

#[test]
fn quoting_forms() {
    assert_eq!(rev("revision = 'a1'"), st("a1"));
    assert_eq!(rev("revision = \"a1\""), st("a1"));
    assert_eq!(rev("revision = '''a1'''"), st("a1"));
    assert_eq!(rev("revision = \"\"\"a1\"\"\""), st("a1"));
    assert_eq!(rev("revision = r'a\\1'"), st("a\\1"));
    assert_eq!(rev("revision = R\"a\\1\""), st("a\\1"));
    assert_eq!(rev("revision = u'a1'"), st("a1"));
    assert_eq!(rev("revision = U'a1'"), st("a1"));
    assert_eq!(rev("revision = 'a' 'b' \"c\""), st("abc"));
    assert_eq!(rev("revision = ('a'\n    'b')"), st("ab"));
    assert_eq!(rev("revision = 'a' \\\n  'b'"), st("ab"));
    assert_eq!(
        rev("revision = 'a\\x41\\u00e9\\U0001F600\\101\\0'"),
        st("aAé😀A\0")
    );
    assert_eq!(rev("revision = 'tab\\there\\\\'"), st("tab\there\\"));
    assert_eq!(rev("revision = 'q\\'s'"), st("q's"));
    assert_eq!(rev("revision = 'unknown\\q'"), st("unknown\\q"));
    assert_eq!(rev("revision = 'a\\\nb'"), st("ab"));
    assert_eq!(rev("revision = r'a\\'b'"), st("a\\'b"));
    assert_eq!(rev("revision = '''x\ny'''"), st("x\ny"));
    assert_eq!(rev("revision = 'é☃'"), st("é☃"));
}

#[test]
fn tuples_lists_none() {
    assert_eq!(down("down_revision = None"), Value::None);
    assert_eq!(down("down_revision = ()"), tuple(&[]));
    assert_eq!(down("down_revision = []"), list(&[]));
    assert_eq!(down("down_revision = ('a', 'b')"), tuple(&["a", "b"]));
    assert_eq!(down("down_revision = ('a', 'b',)"), tuple(&["a", "b"]));
    assert_eq!(down("down_revision = 'a', 'b'"), tuple(&["a", "b"]));
    assert_eq!(down("down_revision = 'a',"), tuple(&["a"]));
    assert_eq!(down("down_revision = ['a']"), list(&["a"]));
    assert_eq!(down("down_revision = ['a', 'b',]"), list(&["a", "b"]));
    assert_eq!(down("down_revision = (\"x\")"), st("x"));
    assert_eq!(down("down_revision = ((\"x\"))"), st("x"));
    assert_eq!(down("down_revision = (\"x\",)"), tuple(&["x"]));
    assert_eq!(down("down_revision = ((\"x\", \"y\"))"), tuple(&["x", "y"]));
    assert_eq!(
        down("down_revision = [(\"x\"), 'y' 'z']"),
        list(&["x", "yz"])
    );
    assert_eq!(down("down_revision = 'a,b'"), st("a,b"));
    assert_eq!(down("down_revision = ''"), st(""));
    assert_eq!(
        down("down_revision: Union[str, Sequence[str], None] = ('a', 'b')"),
        tuple(&["a", "b"])
    );
    assert_eq!(down("down_revision: str | None = None"), Value::None);
    assert_eq!(
        down("down_revision = (\n    'a',\n    'b',\n)\n"),
        tuple(&["a", "b"])
    );
}

#[test]
fn to_tuple_normalisation() {
    assert_eq!(Value::None.to_tuple(), Vec::<String>::new());
    assert_eq!(st("a,b").to_tuple(), vec!["a,b".to_owned()]);
    assert_eq!(st("").to_tuple(), vec![String::new()]);
    assert_eq!(tuple(&[]).to_tuple(), Vec::<String>::new());
    assert_eq!(
        list(&["a", "b"]).to_tuple(),
        vec!["a".to_owned(), "b".to_owned()]
    );
}

#[test]
fn last_assignment_wins_and_lines() {
    let s = ok("revision = 'a'\nx = 1\nrevision = 'b'\n");
    assert_eq!(
        s.revision,
        Some(Assigned {
            value: st("b"),
            line: 3
        })
    );
    // A computed value overridden later by a literal is fine (Python semantics).
    let s = ok("revision = make()\nrevision = 'b'\n");
    assert_eq!(s.revision.map(|a| a.value), Some(st("b")));
    // `;`-separated statements.
    let s = ok("import x; revision = 'a'; down_revision = None\n");
    assert_eq!(s.revision.map(|a| a.value), Some(st("a")));
    assert_eq!(s.down_revision.map(|a| a.value), Some(Value::None));
}

#[test]
fn non_hex_ids_and_part_of_comments() {
    let s = ok(
        "# Part of: manager\nrevision = '7h4m7ygnaao1'\n# Part of: 24.03\ndown_revision = 'zz'  # trailing\n",
    );
    assert_eq!(s.revision.map(|a| a.value), Some(st("7h4m7ygnaao1")));
    assert_eq!(
        s.down_revision.clone().map(|a| (a.value, a.line)),
        Some((st("zz"), 4))
    );
}

#[test]
fn decoys_are_ignored() {
    let src = "\"\"\"doc\nrevision = 'fake'\n\"\"\"\nx = '''\nrevision = \"fake2\"\ndown_revision = 'q'\n'''\nrevision = 'real'\n\ndef f():\n    revision = 'no'\n    s = \"\"\"\nrevision = 'no2'\n\"\"\"\nclass C:\n    down_revision = 'no'\n    def g(self):\n        revision = 1\ndown_revision = None\n";
    let s = ok(src);
    assert_eq!(
        s.revision.clone().map(|a| (a.value, a.line)),
        Some((st("real"), 8))
    );
    assert_eq!(
        s.down_revision.clone().map(|a| (a.value, a.line)),
        Some((Value::None, 19))
    );
    assert_eq!(s.longdoc(), "doc\nrevision = 'fake'");
}

#[test]
fn docstring_line_starting_with_revision() {
    let s = ok(
        "\"\"\"\nrevision 3 of the schema\nrevision = 'x'\n\"\"\"\nrevision = 'abc'\ndown_revision = None\n",
    );
    assert_eq!(s.revision.clone().map(|a| a.value), Some(st("abc")));
    assert_eq!(s.longdoc(), "revision 3 of the schema\nrevision = 'x'");
}

#[test]
fn annotation_only_does_not_bind() {
    let s = ok("revision = 'a'\nrevision: str\n");
    assert_eq!(s.revision.map(|a| a.value), Some(st("a")));
}

#[test]
fn other_uses_are_not_bindings() {
    let s = ok(
        "revision = 'a'\nprint(revision)\nx = revision\nf(revision='b')\nif revision == 'a':\n    pass\nassert revision != 'b'\nrevision.upper()\n",
    );
    assert_eq!(s.revision.map(|a| a.value), Some(st("a")));
}

#[test]
fn docstring_shapes() {
    let doc = |src: &str| ok(src).longdoc();
    assert_eq!(
        doc("\n\n'''\n\n  leading blank lines and spaces\n\nsecond para\n'''\n"),
        "leading blank lines and spaces\n\nsecond para"
    );
    assert_eq!(doc("\"\"\"\"\"\"\nrevision = 'a'\n"), "");
    assert_eq!(doc("''\n"), "");
    assert_eq!(doc("r'''raw docstring \\n'''\n"), "raw docstring \\n");
    assert_eq!(
        doc("'''docstring\\twith escapes \\xe9 and line\\\ncontinuation'''\n"),
        "docstring\twith escapes é and linecontinuation"
    );
    assert_eq!(
        doc("# comment\n#!shebang-like\n\n\"after comment\"\n"),
        "after comment"
    );
    assert_eq!(doc("import x\n\"\"\"not first\"\"\"\n"), "");
    assert_eq!(doc("'a' 'b'\n"), "ab");
    assert_eq!(doc("('a'\n 'b')\n"), "ab");
    assert_eq!(doc("'''doc'''; revision = 'x'\n"), "doc");
    assert_eq!(doc("b'''bytes'''\n"), "");
    assert_eq!(doc("f'''fstring'''\n"), "");
    assert_eq!(doc("'a' f'b'\n"), "");
    assert_eq!(doc("'''doc'''.strip()\n"), "");
    assert_eq!(doc("'''doc''' + x\n"), "");
    assert_eq!(
        doc("\"\"\"\x1c\u{85}\u{a0} text \u{3000}\x1f\"\"\"\n"),
        "text"
    );
    assert_eq!(doc("\"\"\"first\n \nsecond\"\"\"\n"), "first\n \nsecond");
    assert_eq!(ok("x = 1\n").docstring, None);
}

#[test]
fn encodings() {
    // BOM + CRLF (transcript 09).
    let s = ok(
        "\u{feff}\"\"\"BOM file, CRLF line endings\r\n\r\nRevision ID: aaaa00000001\r\n\"\"\"\r\nrevision = 'aaaa00000001'\r\ndown_revision = None\r\n",
    );
    assert_eq!(
        s.longdoc(),
        "BOM file, CRLF line endings\n\nRevision ID: aaaa00000001"
    );
    assert_eq!(s.down_revision.map(|a| a.line), Some(6));
    // Old Mac CR only.
    let s = ok("'''a\r\rb'''\rrevision = 'x'\r");
    assert_eq!(s.longdoc(), "a\n\nb");
    assert_eq!(s.revision.map(|a| a.line), Some(4));
    // latin-1 cookie on line 1 and on line 2.
    let mut src = b"# -*- coding: latin-1 -*-\n\"\"\"latin-1 encoded \xe9\"\"\"\n".to_vec();
    assert_eq!(
        scan(&src).map(|s| s.longdoc()),
        Ok("latin-1 encoded é".to_owned())
    );
    src = b"#!/usr/bin/env python\n# vim: set fileencoding=iso-8859-1 :\n'\xe9'\n".to_vec();
    assert_eq!(scan(&src).map(|s| s.longdoc()), Ok("é".to_owned()));
    // A cookie on line 2 only counts if line 1 is blank or a comment.
    let e = scan(b"x = 1\n# coding: latin-1\n'\xe9'\n").unwrap_err();
    assert_eq!((e.kind, e.line), (ScanErrorKind::Syntax, 3));
    // cp1252.
    let s = scan(b"# coding: cp1252\n'\x80 \x93q\x94'\n").map(|s| s.longdoc());
    assert_eq!(s, Ok("€ “q”".to_owned()));
    // A codec db-status does not carry: left to `--python` (NotStatic).
    let e = scan(b"# coding: shift_jis\n'x'\n").unwrap_err();
    assert_eq!(e.kind, ScanErrorKind::NotStatic);
    assert!(e.message.contains("shift_jis"), "{}", e.message);
    // BOM with a contradicting cookie.
    let e = scan(b"\xef\xbb\xbf# coding: latin-1\n'x'\n").unwrap_err();
    assert_eq!(e.kind, ScanErrorKind::Syntax);
    // Invalid UTF-8 names its line.
    let e = scan(b"revision = 'a'\n\n'\xff'\n").unwrap_err();
    assert_eq!((e.kind, e.line), (ScanErrorKind::Syntax, 3));
    // NUL bytes.
    assert_eq!(scan(b"x = 1\n\0").unwrap_err().line, 2);
}

#[test]
fn not_static_forms_name_their_line() {
    let cases: &[(&str, u32)] = &[
        ("revision = make_id()\n", 1),
        ("x = 'a'\nrevision = x\n", 2),
        ("revision = f'abc'\n", 1),
        ("revision = 1\n", 1),
        ("revision = b'abc'\n", 1),
        ("revision = 'a' + 'b'\n", 1),
        ("revision = down_revision = 'x'\n", 1),
        ("revision = 'a'\nrevision += 'b'\n", 2),
        (
            "import os\nif os.environ:\n    revision = 'a'\nelse:\n    revision = 'b'\n",
            5,
        ),
        (
            "revision = 'a'\ntry:\n    revision = 'b'\nexcept Exception:\n    pass\n",
            3,
        ),
        ("revision = 'a'\nwith x:\n    revision = 'b'\n", 3),
        ("revision = 'a'\nfor i in x:\n    revision = 'b'\n", 3),
        ("revision = 'a'\nwhile x:\n    revision = 'b'\n", 3),
        ("revision = 'a'\nfor revision in x:\n    pass\n", 2),
        ("revision = 'a'\nif x: revision = 'b'\n", 2),
        ("revision = 'a'\ndel revision\n", 2),
        ("revision = 'a'\nfrom ids import revision\n", 2),
        ("revision = 'a'\nimport revision\n", 2),
        ("revision = 'a'\nimport x as revision\n", 2),
        ("revision = 'a'\nfrom x import *\n", 2),
        ("revision = 'a'\n(revision := 'b')\n", 2),
        ("revision = 'a'\nrevision, x = 'b', 1\n", 2),
        ("revision = 'a'\ndef revision():\n    pass\n", 2),
        ("revision = 'a'\nclass revision:\n    pass\n", 2),
        (
            "revision = 'a'\ndef f():\n    global revision\n    revision = 'b'\n",
            3,
        ),
        ("revision = 'a'\nglobals()['revision'] = 'b'\n", 2),
        ("revision = 'a'\nexec('revision = 1')\n", 2),
        ("revision = ('a', 1)\n", 1),
        ("revision = ('a', ('b',))\n", 1),
        ("revision = 'a' if x else 'b'\n", 1),
        ("revision = 'abc'[0]\n", 1),
        ("revision = None or 'a'\n", 1),
        ("revision = 'a'\n__doc__ = make()\n", 2),
        ("down_revision: str = get()\n", 1),
        (
            "revision = 'a'\nif x:\n    def f():\n        revision = 'ok'\n    revision = 'b'\n",
            5,
        ),
    ];
    for (src, line) in cases {
        let e = err(src);
        assert_eq!(e.kind, ScanErrorKind::NotStatic, "{src}: {e}");
        assert_eq!(e.line, *line, "{src}: {e}");
        assert!(
            e.message.contains("cannot be read without running Python"),
            "{e}"
        );
        assert!(e.message.contains("make it a literal"), "{e}");
    }
}

#[test]
fn conditional_blocks_without_watched_bindings_are_fine() {
    let src = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from x import y\nelse:\n    y = None\n    def f():\n        revision = 'inner'\nrevision = 'a'\ndown_revision = None\ntry:\n    import z\nexcept ImportError:\n    z = None\n";
    let s = ok(src);
    assert_eq!(s.revision.map(|a| a.value), Some(st("a")));
}

#[test]
fn syntax_errors() {
    let cases: &[(&str, u32)] = &[
        ("revision = 'abc\n", 1),
        ("x = 1\nrevision = '''abc\n\n", 2),
        ("x = (1,\n\n", 1),
        ("x = 1)\n", 1),
        ("x = (1]\n", 1),
        ("x = 1 \\ y\n", 1),
        ("x = 1\n    y = 2\n", 2),
        ("revision = 'bad \\x4'\n", 1),
        ("revision = 'bad \\U00110000'\n", 1),
        // CPython 3.11 reports escape errors on the literal's last line.
        ("x = 1\nrevision = '''a\n\\xZZ\nb\nc'''\n", 5),
        ("'''\\N{NO SUCH NAME} doc'''\n", 1),
        ("revision = '''\n\\N{BULLET\n'''\n", 3),
        ("revision = '\\N'\n", 1),
        ("revision = '\\N{}'\n", 1),
        ("revision = '\\N{latin_small_letter_a}'\n", 1),
        ("revision = '\\N{cjk unified ideograph-4e00}'\n", 1),
        ("revision = '\\N{KEYCAP NUMBER SIGN}'\n", 1),
    ];
    for (src, line) in cases {
        let e = err(src);
        assert_eq!(e.kind, ScanErrorKind::Syntax, "{src}: {e}");
        assert_eq!(e.line, *line, "{src}: {e}");
    }
}

#[test]
fn named_escapes_decode_as_cpython() {
    let s = ok(
        "'''Add \\N{BULLET} marker \\N{bom}\\N{Latin Capital Letter Gha}'''\nrevision = '\\N{DIGIT ONE}a'\n",
    );
    assert_eq!(
        s.docstring.as_deref(),
        Some("Add \u{2022} marker \u{feff}\u{1a2}")
    );
    assert_eq!(s.revision.map(|a| a.value), Some(st("1a")));
    assert_eq!(char_named("HANGUL SYLLABLE GAG"), Some('\u{ac01}'));
    assert_eq!(char_named("CJK UNIFIED IDEOGRAPH-04E00"), Some('\u{4e00}'));
    assert_eq!(char_named("HANGUL JUNGSEONG O-E"), Some('\u{1180}'));
    assert_eq!(char_named("HANGUL JUNGSEONG OE"), Some('\u{116c}'));
    assert_eq!(char_named("LF"), Some('\n'));
    // Raw and bytes literals keep `\N{…}` as written.
    let s = ok("revision = r'\\N{BULLET}'\n");
    assert_eq!(s.revision.map(|a| a.value), Some(st("\\N{BULLET}")));
}

#[test]
fn lone_surrogates_decode_in_docstrings_and_are_refused_in_ids() {
    let s = ok("'''a \\ud800 b'''\nrevision = 'x'\n");
    assert_eq!(s.docstring.as_deref(), Some("a \u{fffd} b"));
    let e = err("revision = 'a\\udc80'\n");
    assert_eq!(e.kind, ScanErrorKind::NotStatic, "{e}");
    assert!(e.message.contains("lone surrogate"), "{e}");
}

#[test]
fn fstrings_and_bytes_in_function_bodies_are_skipped() {
    let src = "revision = 'a'\ndown_revision = None\ndef upgrade():\n    op.execute(f\"UPDATE {t['x']} SET y = '{v!r:>10}'\")\n    op.execute(b'\\x00')\n    s = rb'''\nrevision = 'no'\n'''\n";
    let s = ok(src);
    assert_eq!(s.revision.map(|a| a.value), Some(st("a")));
}

#[test]
fn robustness() {
    // Deep nesting must neither overflow nor panic.
    let deep = format!(
        "x = {}{}\nrevision = 'a'\n",
        "(".repeat(200_000),
        ")".repeat(200_000)
    );
    assert_eq!(ok(&deep).revision.map(|a| a.value), Some(st("a")));
    let deep = format!(
        "revision = {}'a'{}\n",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    assert_eq!(ok(&deep).revision.map(|a| a.value), Some(st("a")));
    let unclosed = "[".repeat(100_000);
    assert_eq!(err(&unclosed).kind, ScanErrorKind::Syntax);
    let chain = "if a: ".repeat(50_000);
    let _ = scan(chain.as_bytes());
    // A 10 MB docstring.
    let big = format!(
        "\"\"\"{}\"\"\"\nrevision = 'a'\n",
        "word \\t ".repeat(1_250_000)
    );
    let s = ok(&big);
    assert_eq!(s.revision.map(|a| a.line), Some(2));
    // Arbitrary bytes never panic.
    for seed in 0u32..2000 {
        let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        let bytes: Vec<u8> = (0..64)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                {
                    let table = b"rd_evison=:'\"\\\n()[],;#fbu \t\r\xc3\xa9{}NoneN";
                    table[x as usize % table.len()]
                }
            })
            .collect();
        let _ = scan(&bytes);
    }
}

#[test]
fn undecodable_bytes_only_in_comments() {
    let s = scan(b"'''doc'''\n# caf\xe9\nrevision = 'a'\n").expect("comment bytes are fine");
    assert_eq!(s.revision.map(|a| a.value), Some(st("a")));
    let e = scan(b"# ok \xe9\nrevision = 'a'\nx = 'caf\xe9'\n").unwrap_err();
    assert_eq!((e.kind, e.line), (ScanErrorKind::Syntax, 3));
    let e = scan(b"'''doc \xff'''\n").unwrap_err();
    assert_eq!((e.kind, e.line), (ScanErrorKind::Syntax, 1));
}

#[test]
fn form_feed_resets_indentation() {
    let s = ok("\x0c'''doc'''\n  \x0crevision = 'a'\ndef f():\n    \x0c    revision = 'no'\n");
    assert_eq!(s.longdoc(), "doc");
    assert_eq!(s.revision.map(|a| a.value), Some(st("a")));
}
