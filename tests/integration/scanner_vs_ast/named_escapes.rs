//! `\N{…}` escapes: every character name and alias the scanner knows against
//! Python's `unicodedata`.

use super::*;

/// Python's side of the `\N{…}` comparison: first the assigned code points
/// of its Unicode (`cp<TAB>name`, name empty when it has none), then a blank
/// line, then for each name read on stdin the code point `\N{name}` decodes
/// to (the parser's own `unicode_escape` codec), or `-`.
const NAMES_ORACLE: &str = r#"
import sys, unicodedata
out = []
for cp in range(0x110000):
    c = chr(cp)
    if unicodedata.category(c) != "Cn":
        out.append("%x\t%s" % (cp, unicodedata.name(c, "")))
out.append("")
for name in sys.stdin.read().split("\n"):
    if not name:
        continue
    try:
        v = ("\\N{%s}" % name).encode("ascii").decode("unicode_escape")
        out.append("%x" % ord(v) if len(v) == 1 else "-")
    except UnicodeDecodeError:
        out.append("-")
print("\n".join(out))
"#;

/// Aliases Python 3.11 (Unicode 14) does not know because Unicode added them
/// later, for characters it does know. Each one: why it is allowed to differ.
const NEWER_ALIASES: &[(&str, &str)] = &[
    (
        "ARABIC SMALL HIGH LIGATURE ALEF WITH YEH BARREE",
        "correction alias added after Unicode 14",
    ),
    (
        "BAMUM LETTER PHASE-A MAEMGBIEE",
        "correction alias added after Unicode 14",
    ),
    (
        "BAMUM LETTER PHASE-B NGGOM",
        "correction alias added after Unicode 14",
    ),
    (
        "BAMUM LETTER PHASE-B PUNGGAAM",
        "correction alias added after Unicode 14",
    ),
    (
        "BAMUM LETTER PHASE-C SHETFON",
        "correction alias added after Unicode 14",
    ),
    (
        "BAMUM LETTER PHASE-E NGGOP",
        "correction alias added after Unicode 14",
    ),
    (
        "CUNEIFORM SIGN KALAM",
        "correction alias added after Unicode 14",
    ),
    (
        "MENDE KIKAKUI SYLLABLE M172 MBO",
        "correction alias added after Unicode 14",
    ),
    (
        "MENDE KIKAKUI SYLLABLE M174 MBOO",
        "correction alias added after Unicode 14",
    ),
    (
        "SUNDANESE LETTER ARCHAIC I",
        "correction alias added after Unicode 14",
    ),
    ("EM", "abbreviation of END OF MEDIUM added after Unicode 14"),
];

/// `scan::char_named` against `\N{…}` in `$DB_STATUS_PYTHON`: every character
/// name and alias that Python knows decodes to the same character (also in
/// other letter cases), every loose or mis-cased spelling that Python refuses
/// is refused, and the only names db-status knows beyond Python's are those of
/// characters that Python's older Unicode has not assigned (or listed above).
#[test]
fn named_escapes_match_python_unicodedata() {
    let aliases_src = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/scripts/scan/name_aliases.rs"),
    )
    .expect("read name_aliases.rs");
    let aliases: Vec<&str> = aliases_src
        .lines()
        .filter_map(|l| l.trim().strip_prefix("(\"")?.split('"').next())
        .collect();
    assert!(
        aliases.len() > 400,
        "alias table not parsed: {}",
        aliases.len()
    );
    let mut rng = Rng(0x0a11_a5e5);
    let mut base: Vec<String> = aliases.iter().map(|s| (*s).to_owned()).collect();
    for cp in 0..=0x10_FFFFu32 {
        if let Some(n) = char::from_u32(cp).and_then(unicode_names2::name) {
            base.push(n.to_string());
        }
    }
    // The first run learns Python's names; they join the candidates.
    let py = python();
    let ask = |names: &[String]| -> String {
        let mut c = Command::new(&py);
        c.args(["-c", NAMES_ORACLE]);
        let mut input = names.join("\n");
        input.push('\n');
        let out = python_stdio(c, input.into_bytes(), "the names oracle");
        String::from_utf8(out).expect("utf8")
    };
    let first = ask(&[]);
    let (assigned_part, _) = first.split_once("\n\n").expect("two parts");
    let mut assigned = std::collections::HashSet::new();
    for line in assigned_part.lines() {
        let (cp, name) = line.split_once('\t').expect("cp\\tname");
        assigned.insert(u32::from_str_radix(cp, 16).expect("hex"));
        if !name.is_empty() {
            base.push(name.to_owned());
        }
    }
    base.sort();
    base.dedup();
    let mut names = base.clone();
    // Spelling variants: other cases, loose matching, algorithmic-name forms.
    for (i, n) in base.iter().enumerate() {
        if i % 5 == 0 {
            names.push(n.to_ascii_lowercase());
        }
        if i % 7 == 0 {
            let mixed: String = n
                .chars()
                .map(|c| {
                    if rng.chance(50) {
                        c.to_ascii_lowercase()
                    } else {
                        c
                    }
                })
                .collect();
            names.push(mixed);
        }
        if i % 11 == 0 {
            names.push(n.replace(' ', "_"));
            names.push(n.replace(' ', ""));
            names.push(n.replacen('-', " ", 1));
            names.push(format!(" {n}"));
        }
    }
    names.extend(
        [
            "KEYCAP NUMBER SIGN",
            "CJK UNIFIED IDEOGRAPH-04E00",
            "CJK UNIFIED IDEOGRAPH-004E00",
            "CJK UNIFIED IDEOGRAPH-4E0",
            "CJK UNIFIED IDEOGRAPH-4e00",
            "TANGUT IDEOGRAPH-17000",
            "HANGUL SYLLABLE ",
            "HANGUL SYLLABLE GAGX",
            "LATIN SMALL LETTER  A",
        ]
        .map(str::to_owned),
    );
    names.retain(|n| !n.is_empty() && !n.contains('}'));
    let answer = ask(&names);
    let (_, results) = answer.split_once("\n\n").expect("two parts");
    let results: Vec<&str> = results.lines().collect();
    assert_eq!(results.len(), names.len());
    let mut failures = Vec::new();
    let mut newer = 0usize;
    for (name, theirs) in names.iter().zip(&results) {
        let theirs = (*theirs != "-")
            .then(|| {
                u32::from_str_radix(theirs, 16)
                    .ok()
                    .and_then(char::from_u32)
            })
            .flatten();
        let ours = scan::char_named(name);
        if ours == theirs {
            continue;
        }
        match (ours, theirs) {
            (Some(c), None) if !assigned.contains(&u32::from(c)) => newer += 1,
            (Some(_), None)
                if NEWER_ALIASES
                    .iter()
                    .any(|(a, _)| a.eq_ignore_ascii_case(name)) =>
            {
                newer += 1
            }
            _ => failures.push(format!(
                "\\N{{{name}}}: db-status {ours:?}, Python {theirs:?}"
            )),
        }
    }
    eprintln!(
        "\\N names: {} compared, {newer} known only to db-status's newer Unicode, {} failures",
        names.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures
            .iter()
            .take(60)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
