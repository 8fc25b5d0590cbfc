//! `--format json` on `heads`, `history`, `show` and `graph` (what the MCP
//! tools return) agrees with the Alembic-compatible text on the demo: the
//! same revisions in the same order, the same Mermaid text, the same exit
//! code on errors; every document matches `docs/status.schema.json`.

use crate::support::json_schema;

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn run(args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("db-status")
        .unwrap()
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/backend-ai"))
        .args(args)
        .env_remove("DB_STATUS_URL")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn ids(doc: &Value) -> Vec<String> {
    doc["revisions"]
        .as_array()
        .expect("revisions")
        .iter()
        .map(|r| r["revision"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The revision each text line is about (`heads`: first word; `history`: after `->`).
fn text_ids(text: &str, history: bool) -> Vec<String> {
    text.lines()
        .map(|l| {
            let l = if history {
                l.split(" -> ").nth(1).unwrap_or(l)
            } else {
                l
            };
            l.split([' ', ',']).next().unwrap_or_default().to_string()
        })
        .collect()
}

#[test]
fn listings_agree_with_the_text() {
    for component in ["manager", "appproxy", "storage", "accountmgr"] {
        let c = ["--component", component];
        let (code, text) = run(&[&c[..], &["heads"]].concat());
        assert_eq!(code, 0);
        let (code, json) = run(&[&c[..], &["heads", "--format", "json"]].concat());
        assert_eq!(code, 0);
        let doc = json_schema::parse(&json);
        assert_eq!(ids(&doc), text_ids(&text, false), "{component} heads");
        assert_eq!(doc["component"], component);

        let (_, text) = run(&[&c[..], &["history"]].concat());
        let doc = json_schema::parse(&run(&[&c[..], &["history", "--format", "json"]].concat()).1);
        assert_eq!(ids(&doc), text_ids(&text, true), "{component} history");

        let (_, text) = run(&[&c[..], &["graph"]].concat());
        let doc = json_schema::parse(&run(&[&c[..], &["graph", "--format", "json"]].concat()).1);
        assert_eq!(doc["mermaid"], text, "{component} graph");
    }
    let doc = json_schema::parse(
        &run(&[
            "--component",
            "manager",
            "show",
            "85743d601993",
            "--format",
            "json",
        ])
        .1,
    );
    let r = &doc["revisions"][0];
    assert_eq!(r["merge_point"], true);
    assert_eq!(r["down_revisions"].as_array().map(Vec::len), Some(2));
    assert_eq!(r["current"], Value::Null);
}

#[test]
fn history_indicate_current_marks_the_row() {
    let (code, json) = run(&[
        "--component",
        "manager",
        "history",
        "-i",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let doc = json_schema::parse(&json);
    let current: Vec<String> = doc["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["current"] == true)
        .map(|r| r["revision"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(current, ["a2f6b90c41d7"]);
}

#[test]
fn errors_are_documents_with_the_text_exit_code() {
    for args in [
        &["--component", "appproxy", "show", "head"][..],
        &["--component", "manager", "show", "zzzz"],
        &["--component", "manager", "history", "-r", "x:y:z"],
        &["--component", "nope", "heads"],
    ] {
        let (text_code, _) = run(args);
        let (code, json) = run(&[args, &["--format", "json"]].concat());
        assert_eq!(code, text_code, "{args:?}");
        assert_ne!(code, 0, "{args:?}");
        let doc = json_schema::parse(&json);
        assert_eq!(doc["exit_code"], code, "{args:?}");
        assert!(doc["error"]["message"].is_string(), "{args:?}");
    }
}
