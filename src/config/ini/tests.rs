//! The ini reader on hand-written cases (`tests/integration/ini_differential.rs`
//! compares it with Python on generated ones).

use super::*;

fn parse(text: &str) -> Result<Ini, IniError> {
    Ini::parse(text, "alembic.ini", &[("here", "/proj")])
}

fn kind(r: Result<Ini, IniError>) -> IniErrorKind {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => *e.kind,
    }
}

#[test]
fn basic_values_and_case() {
    let ini = parse("[alembic]\nScript_Location = %(here)s/migrations  # c\nb: x = y\n").unwrap();
    assert_eq!(
        ini.get("alembic", "script_location").unwrap(),
        "/proj/migrations  # c"
    );
    assert_eq!(ini.get("alembic", "B").unwrap(), "x = y");
    assert!(ini.has_option("alembic", "here"));
    assert!(!ini.has_section("Alembic"));
}

#[test]
fn continuation_lines_and_blank_lines() {
    let ini = parse("[a]\nk =\n    one\n\n    two\n\n\n# c\nz = 1\n").unwrap();
    assert_eq!(ini.get("a", "k").unwrap(), "\none\n\ntwo");
    assert_eq!(ini.get("a", "z").unwrap(), "1");
}

#[test]
fn comment_inside_value_is_skipped() {
    let ini = parse("[a]\nk = 1\n  # not part\n  2\n").unwrap();
    assert_eq!(ini.get("a", "k").unwrap(), "1\n2");
}

#[test]
fn indented_header_after_option_is_continuation() {
    let ini = parse("[a]\nk = 1\n  [b]\n").unwrap();
    assert_eq!(ini.get("a", "k").unwrap(), "1\n[b]");
    assert_eq!(ini.sections(), vec!["a"]);
}

#[test]
fn header_runs_to_last_bracket() {
    let ini = parse("[a]b] trailing\nk=v\n").unwrap();
    assert_eq!(ini.sections(), vec!["a]b"]);
}

#[test]
fn duplicates() {
    let e = parse("[a]\nx=1\nX=2\n").unwrap_err();
    assert_eq!(
        e.python_message(),
        "While reading from 'alembic.ini' [line  3]: option 'x' in section 'a' already exists"
    );
    assert!(matches!(
        kind(parse("[a]\n[b]\n[a]\n")),
        IniErrorKind::DuplicateSection { line: 3, .. }
    ));
    // [DEFAULT] may be opened twice, its options may not repeat.
    assert!(parse("[DEFAULT]\na=1\n[DEFAULT]\nb=2\n").is_ok());
    assert!(matches!(
        kind(parse("[DEFAULT]\na=1\n[DEFAULT]\na=2\n")),
        IniErrorKind::DuplicateOption { .. }
    ));
}

#[test]
fn here_can_be_overridden() {
    let ini = parse("[DEFAULT]\nhere = /else\n[a]\n").unwrap();
    assert_eq!(ini.get("a", "here").unwrap(), "/else");
}

#[test]
fn missing_header_and_bom() {
    let e = parse("x = 1\n").unwrap_err();
    assert_eq!(
        e.python_message(),
        "File contains no section headers.\nfile: 'alembic.ini', line: 1\n'x = 1\\n'"
    );
    let e = parse("\u{feff}[alembic]\n").unwrap_err();
    assert!(matches!(*e.kind, IniErrorKind::MissingSectionHeader { .. }));
    // What to do is the hint, said apart from the message.
    assert!(e.hint().contains("byte-order mark"), "{}", e.hint());
    assert!(!e.to_string().contains("hint"), "{e}");
}

#[test]
fn parsing_errors_collected() {
    let e = parse("[a]\nnovalue\n=x\n").unwrap_err();
    assert_eq!(
        e.python_message(),
        "Source contains parsing errors: 'alembic.ini'\n\t[line  2]: 'novalue\\n'\n\t[line  3]: '=x\\n'"
    );
}

#[test]
fn interpolation() {
    let ini = parse(
        "[DEFAULT]\nd = D\n[a]\nx = %(D)s-%(y)s-%%\ny = %(d)s!\nbad = 5%\nmiss = %(rev)s\nloop = %(loop)s\nref = %(x\n",
    )
    .unwrap();
    assert_eq!(ini.get("a", "x").unwrap(), "D-D!-%");
    let e = ini.get("a", "bad").unwrap_err();
    assert_eq!(
        e.python_message(),
        "'%' must be followed by '%' or '(', found: '%'"
    );
    let e = ini.get("a", "miss").unwrap_err();
    assert_eq!(
        e.python_message(),
        "Bad value substitution: option 'miss' in section 'a' contains an interpolation key 'rev' which is not a valid option name. Raw value: '%(rev)s'"
    );
    assert!(e.to_string().starts_with("alembic.ini, line 7: "), "{e}");
    assert!(matches!(
        *ini.get("a", "loop").unwrap_err().kind,
        IniErrorKind::InterpolationDepth { .. }
    ));
    assert!(matches!(
        *ini.get("a", "ref").unwrap_err().kind,
        IniErrorKind::InterpolationSyntax { .. }
    ));
    assert!(matches!(
        *ini.get("b", "x").unwrap_err().kind,
        IniErrorKind::NoSection { .. }
    ));
    assert_eq!(ini.get_fallback("b", "x").unwrap(), None);
    assert_eq!(ini.get("DEFAULT", "d").unwrap(), "D");
}

#[test]
fn universal_newlines_and_python_whitespace() {
    let ini = parse("[a]\r\nk = 1\r  2\n\x1cj = 3\x1c\n").unwrap();
    // \x1c is whitespace to Python: the last line is indented, so a continuation.
    assert_eq!(ini.get("a", "k").unwrap(), "1\n2\nj = 3");
    let ini = parse("[a]\nj = 3\x1c\n").unwrap();
    assert_eq!(ini.get("a", "j").unwrap(), "3");
}
