//! Differential test: `db_status::config::ini` against Python's own
//! `configparser.ConfigParser` (stdlib, run once per batch through `python3`,
//! or `$DB_STATUS_PYTHON3` if set). Every section's every option is read
//! back with interpolation on both sides and compared value for value, error
//! class for error class, message for message.
//!
//! The inputs are hand-written corner cases plus texts from a seeded
//! generator (`INI_DIFF_SEED` / `INI_DIFF_CASES` override the defaults, so a
//! failure can be replayed and a longer run done by hand).

use std::process::Command;

use crate::support;

use db_status::config::ini::{Ini, IniError};
use serde_json::{Value, json};

const HERE: &str = "/proj/dir";

/// The oracle: one Python process for the whole batch; the texts go in as a
/// JSON list, are written to `alembic.ini` byte for byte (so universal
/// newlines apply as for a real file), and read as Alembic does.
const ORACLE: &str = r#"
import configparser, json, os, sys, tempfile
cases = json.load(sys.stdin)
out = []
os.chdir(tempfile.mkdtemp())
def err(e):
    return {"e": type(e).__name__, "m": str(e)}
for text in cases:
    with open("alembic.ini", "w", encoding="utf-8", newline="") as f:
        f.write(text)
    p = configparser.ConfigParser({"here": HERE})
    try:
        p.read("alembic.ini", encoding="utf-8")
    except Exception as e:
        out.append({"error": err(e)})
        continue
    secs = []
    for name, opts in [("DEFAULT", list(p.defaults().keys()))] + [(s, p.options(s)) for s in p.sections()]:
        vals = []
        for o in opts:
            try:
                vals.append([o, {"v": p.get(name, o)}])
            except Exception as e:
                vals.append([o, err(e)])
        secs.append([name, vals])
    out.append({"sections": secs})
json.dump(out, sys.stdout)
"#;

fn err_json(e: &IniError) -> Value {
    json!({"e": e.python_type(), "m": e.python_message()})
}

/// The same dump as the oracle's, from the Rust reader.
fn rust_dump(text: &str) -> Value {
    let ini = match Ini::parse(text, "alembic.ini", &[("here", HERE)]) {
        Ok(ini) => ini,
        Err(e) => return json!({"error": err_json(&e)}),
    };
    let mut secs = Vec::new();
    let mut sections: Vec<(String, Vec<String>)> = vec![(
        "DEFAULT".to_owned(),
        ini.default_options()
            .iter()
            .map(|s| s.to_string())
            .collect(),
    )];
    for s in ini.sections() {
        let opts = ini.options(s).expect("listed section exists");
        sections.push((s.to_owned(), opts.iter().map(|o| o.to_string()).collect()));
    }
    for (name, opts) in sections {
        let vals: Vec<Value> = opts
            .iter()
            .map(|o| match ini.get(&name, o) {
                Ok(v) => json!([o, {"v": v}]),
                Err(e) => json!([o, err_json(&e)]),
            })
            .collect();
        secs.push(json!([name, vals]));
    }
    json!({"sections": secs})
}

fn python_dump(texts: &[String]) -> Vec<Value> {
    let python = std::env::var("DB_STATUS_PYTHON3").unwrap_or_else(|_| "python3".to_owned());
    let script = ORACLE.replace("HERE", &format!("{HERE:?}"));
    let mut c = Command::new(&python);
    c.args(["-c", &script]);
    let v: Vec<Value> = support::python_json(c, &texts, "oracle");
    assert_eq!(v.len(), texts.len());
    v
}

/// SplitMix64: tiny, seedable, good enough to pick from vocabularies.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const HEADERS: &[&str] = &[
    "[alembic]",
    "[alembic]",
    "[DEFAULT]",
    "[Alembic]",
    "[other]",
    "[ sp ]",
    "[a]b] tail",
    "[]",
    "[]]",
    "[default]",
    "[alembic] ; not a comment",
];
const NAMES: &[&str] = &[
    "script_location",
    "Script_Location",
    "x",
    "X",
    "y",
    "here",
    "a b",
    "sqlalchemy.url",
    "",
    "\u{c9}t\u{c9}",
    "k\x1c",
];
const DELIMS: &[&str] = &["=", ":", " = ", " : ", "=:", ":=", "\t=\t", " ="];
const VALUES: &[&str] = &[
    "plain",
    "%(here)s/migrations",
    "%(x)s",
    "%(X)s",
    "%(y)s/%(x)s",
    "100%%",
    "50%",
    "%",
    "%(",
    "%(x)",
    "%()s",
    "%(missing)s",
    "%(sqlalchemy.url)s",
    "x  # not a comment",
    "; semi",
    "",
    " spaced ",
    "\u{e9}\u{3000}",
    "a\x1cb",
    "%(a b)s",
    "=",
    "[alembic]",
];
const CONTINUATIONS: &[&str] = &[
    "  cont",
    "\tcont %(x)s",
    "    ",
    "  # comment in value",
    "  ; also",
    "   [alembic]",
    "  k = v",
    "\x1cinfo-sep indented",
    "\u{3000}ideographic",
];
const OTHER: &[&str] = &[
    "# comment",
    "; comment",
    "   # indented comment",
    "",
    "",
    "   ",
    "\t",
    "novalue",
    "=onlyvalue",
    ": colon first",
];
const NEWLINES: &[&str] = &["\n", "\n", "\n", "\n", "\r\n", "\r"];

fn generate(rng: &mut Rng, unique: &mut usize) -> String {
    let mut text = String::new();
    if rng.chance(2) {
        text.push('\u{feff}');
    }
    let lines = 1 + rng.below(14);
    let start_with_header = rng.chance(92);
    for i in 0..lines {
        let kind = if i == 0 && start_with_header {
            0
        } else {
            rng.below(100)
        };
        let line = match kind {
            0..=12 => rng.pick(HEADERS).to_owned(),
            13..=64 => {
                let name = if rng.chance(45) {
                    *unique += 1;
                    format!("k{unique}")
                } else {
                    rng.pick(NAMES).to_owned()
                };
                let mut value = rng.pick(VALUES).to_owned();
                if rng.chance(30) {
                    value.push_str(rng.pick(VALUES));
                }
                let indent = if rng.chance(6) { " " } else { "" };
                format!("{indent}{name}{}{value}", rng.pick(DELIMS))
            }
            65..=84 => rng.pick(CONTINUATIONS).to_owned(),
            _ => rng.pick(OTHER).to_owned(),
        };
        text.push_str(&line);
        if i + 1 < lines || rng.chance(85) {
            text.push_str(rng.pick(NEWLINES));
        }
    }
    text
}

fn hand_written() -> Vec<String> {
    [
        "",
        "[alembic]\nscript_location = %(here)s/migrations  # my comment\n",
        "[alembic]\nfile_template = %(rev)s_%(slug)s\n",
        "[alembic]\nfile_template = %%(rev)s_%%(slug)s\n",
        "[alembic]\nversion_locations =\n    %(here)s/a\n\n    %(here)s/b\n\n\n",
        "[alembic]\nx = 1\n\n  y\n# c\n  z\n",
        "[alembic]\nx = %(x)s\n",
        "[alembic]\nx = %(y)s\ny = %(x)s\n",
        "[alembic]\na=%(b)s\nb=%(c)s\nc=%(d)s\nd=%(e)s\ne=%(f)s\nf=%(g)s\ng=%(h)s\nh=%(i)s\ni=%(j)s\nj=%(k)s\nk=end%%\n",
        "[alembic]\na=%(b)s\nb=%(c)s\nc=%(d)s\nd=%(e)s\ne=%(f)s\nf=%(g)s\ng=%(h)s\nh=%(i)s\ni=%(j)s\nj=%(k)s\nk=%(l)s\nl=end%%\n",
        "[DEFAULT]\nhere = overridden\n[alembic]\nx = %(here)s\n",
        "[DEFAULT]\nHERE: again\n",
        "\u{feff}[alembic]\nx = 1\n",
        "\u{feff}# comment\n[alembic]\n",
        "x = 1\n[alembic]\n",
        "  [alembic]\nx=1\n",
        "[alembic]\nx=1\n  [other]\ny=2\n",
        "[alembic]\n=a\n=b\n",
        "[alembic]\nnovalue\nnovalue2\n",
        "[alembic]\nx = 1\r\n  two\r  three\rY = 2",
        "[alembic]\nx = 1\n[alembic]\n",
        "[DEFAULT]\na = 1\n[DEFAULT]\nb = 2\n",
        "[DEFAULT]\na = 1\n[DEFAULT]\na = 2\n",
        "[a]\nx = 1\n[b]\nx = 2\n[A]\nX = 3\n",
        "[alembic]\nurl = postgresql://u:p%%40ss@h/db\n",
        "[alembic]\nurl = postgresql://u:p%40ss@h/db\n",
        "[alembic]\nk = %(K)s\nK2 = v\n",
        "[alembic]\nk = a\x0bb\x0cc\n",
        "[alembic]\n\x0bk = v\n",
        "[alembic]\nk = v\n\u{85}cont\n",
        "[alembic]\nk = v\n\u{2028}cont\n",
        "[x]\nkey : value : more\nother = a = b\n",
        "[x]\nkey:=v\nk2=:v\n",
        "[x]\n\u{130}X = dotted\n",
        "[x]\n\u{3a3}\u{391}\u{3a3} = sigma\n",
        "[x]\nk = %(\u{130}x)s\n\u{130}x = 1\n",
        "[x]\nk = v\n    \n",
        "[x]\nk =\n",
        "[x]\nk =\n  \n  a\n",
        "[x]\n k = indented key\n  more\n",
        "[x]\nk = 1\n novalue\n",
        "[x]\n k = 1\nnovalue\n",
        "[x]\nk = %%(x)s %(y)s\ny = %\n",
        "[x]\nk = %(y)s\ny = %\n",
        "[x]\nk = %(y)s%\ny = 1\n",
        "[x]\nk = %(y\n)s\n",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

#[test]
fn rust_reader_matches_python_configparser() {
    let seed: u64 = std::env::var("INI_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_124);
    let count: usize = std::env::var("INI_DIFF_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(800);
    let mut rng = Rng(seed);
    let mut unique = 0;
    let mut texts = hand_written();
    let hand = texts.len();
    for _ in 0..count {
        texts.push(generate(&mut rng, &mut unique));
    }
    let expected = python_dump(&texts);
    let mut failures = Vec::new();
    let mut parsed_ok = 0;
    for (i, (text, want)) in texts.iter().zip(&expected).enumerate() {
        let got = rust_dump(text);
        if want.get("sections").is_some() {
            parsed_ok += 1;
        }
        if &got != want {
            failures.push(format!(
                "case {i} ({}):\n  text:   {text:?}\n  python: {want}\n  rust:   {got}",
                if i < hand {
                    "hand-written"
                } else {
                    "generated"
                }
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ (seed {seed}):\n{}",
        failures.len(),
        texts.len(),
        failures
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // A generator that only produces syntax errors would prove little.
    assert!(
        parsed_ok * 4 > texts.len(),
        "only {parsed_ok} of {} inputs parsed; the generator needs rebalancing",
        texts.len()
    );
}
