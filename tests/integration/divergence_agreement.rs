//! `status` and `check` give the same divergence answer on the same tree:
//! the same diverged heads, the same last common ancestor, the same newest
//! head and the same one-line fix (`{file, line, field, from, to}`). The
//! trees are the conformance suite's, built by real Alembic
//! (`tests/oracle/scenarios.py` through `conformance/oracle.rs`): every named
//! scenario and a sample of the random graphs, under every config selection
//! their command lines use (`-c`, `-n`, `ALEMBIC_CONFIG`).
//!
//! `status` reads a SQLite file that does not exist (a fresh database, so no
//! applied head changes which head is the newest); nothing is created.

use crate::support::json_schema;
use crate::support::oracle;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

const SUBCOMMANDS: [&str; 5] = ["heads", "history", "branches", "show", "current"];

/// The config flags a command line gives before its subcommand.
fn selection(argv: &[String]) -> Vec<String> {
    argv.iter()
        .take_while(|a| !SUBCOMMANDS.contains(&a.as_str()))
        .cloned()
        .collect()
}

fn run(cwd: &Path, env: &BTreeMap<String, String>, args: &[String]) -> (i32, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_db-status"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LANG", "C.UTF-8")
        .envs(env)
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("run db-status");
    let code = out.status.code().unwrap_or(-1);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_ne!(
        code,
        101,
        "db-status panicked: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (code, json_schema::parse(&stdout))
}

/// Compare the two commands on one tree and selection. Returns whether the
/// tree had diverged (`None` when status could not build the map).
fn compare(case: &oracle::Case, sel: &[String], absent_db: &str) -> Option<bool> {
    let mut check_args = sel.to_vec();
    check_args.extend(["check", "--format", "json"].map(String::from));
    let (_, check) = run(&case.cwd, &case.env, &check_args);
    let mut status_args = sel.to_vec();
    status_args.extend(["--url", absent_db, "--format", "json"].map(String::from));
    let (_, status) = run(&case.cwd, &case.env, &status_args);

    let comp = &status["components"][0];
    if comp["state"] == "config-error" {
        return None;
    }
    let findings: Vec<&serde_json::Value> = check["components"][0]["findings"]
        .as_array()
        .map(|f| f.iter().filter(|f| f["code"] == "diverged-heads").collect())
        .unwrap_or_default();
    let check_heads: BTreeSet<String> = findings
        .iter()
        .flat_map(|f| f["revisions"].as_array().cloned().unwrap_or_default())
        .filter_map(|r| r.as_str().map(str::to_string))
        .collect();
    let check_edits: Vec<&serde_json::Value> = findings
        .iter()
        .map(|f| &f["edit"])
        .filter(|e| !e.is_null())
        .collect();
    let d = &comp["diverged"];
    let status_heads: BTreeSet<String> = d["heads"]
        .as_array()
        .map(|h| {
            h.iter()
                .filter_map(|r| r["revision"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let label = format!("{} with {sel:?}", case.name);
    assert_eq!(status_heads, check_heads, "{label}: diverged heads differ");
    assert_eq!(
        comp["state"] == "diverged",
        !findings.is_empty(),
        "{label}: state {} vs {} diverged-heads finding(s)",
        comp["state"],
        findings.len()
    );
    // Status reports the first group's fix; check reports one per group.
    let status_fix = &d["fix"];
    if !status_fix.is_null() {
        assert!(
            check_edits.contains(&status_fix),
            "{label}: status's fix {status_fix} is none of check's {check_edits:?}"
        );
    }
    if let [only] = findings.as_slice() {
        assert_eq!(status_fix, &only["edit"], "{label}: the fixes differ");
        let message = only["message"].as_str().unwrap_or("");
        match d["last_common_ancestor"]["revision"].as_str() {
            Some(lca) => assert!(
                message.contains(&format!(": {lca} (")) || message.contains(&format!(", {lca} (")),
                "{label}: status names {lca} as the last common ancestor, check says: {message}"
            ),
            None => assert!(
                message.contains("they share no ancestor"),
                "{label}: status finds no common ancestor, check says: {message}"
            ),
        }
    }
    Some(!findings.is_empty())
}

fn agree_on(cases: &[oracle::Case], scratch: &Path) -> (usize, usize) {
    let absent = format!("sqlite:///{}", scratch.join("absent.db").display());
    let (mut compared, mut diverged) = (0, 0);
    for case in cases {
        let selections: BTreeSet<Vec<String>> = std::iter::once(Vec::new())
            .chain(case.commands.iter().map(|c| selection(c)))
            .collect();
        for sel in &selections {
            if let Some(d) = compare(case, sel, &absent) {
                compared += 1;
                diverged += usize::from(d);
            }
        }
    }
    assert!(
        !scratch.join("absent.db").exists(),
        "status created the SQLite file"
    );
    (compared, diverged)
}

#[test]
fn status_and_check_agree_on_every_named_scenario() {
    let dir = tempfile::tempdir().expect("temp dir");
    let manifest =
        oracle::build(dir.path(), oracle::Selection::Named).unwrap_or_else(|e| panic!("{e}"));
    let scratch = tempfile::tempdir().expect("temp dir");
    let (compared, diverged) = agree_on(&manifest.cases, scratch.path());
    eprintln!("{compared} tree/selection pairs compared, {diverged} diverged");
    assert!(compared >= 40, "too few trees compared: {compared}");
    assert!(
        diverged >= 5,
        "too few diverged trees to mean anything: {diverged}"
    );
}

#[test]
fn status_and_check_agree_on_random_graphs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let manifest = oracle::build(
        dir.path(),
        oracle::Selection::Random {
            seed: 20_261_125,
            count: 60,
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let scratch = tempfile::tempdir().expect("temp dir");
    let (compared, diverged) = agree_on(&manifest.cases, scratch.path());
    eprintln!("{compared} random graphs compared, {diverged} diverged");
    assert!(diverged >= 10, "too few diverged graphs: {diverged}");
}
