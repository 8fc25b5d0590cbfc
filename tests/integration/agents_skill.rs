//! The `/db-status` skill (`skills/db-status/SKILL.md`): its front matter
//! and rules, `skill show` / `skill install`, and every `db-status` command
//! it tells the agent to run, run as written on the demo and on the
//! machine's PostgreSQL (`DB_STATUS_TEST_POSTGRES_URL`; an unreachable one
//! fails the test). Every JSON field the skill names must exist in the
//! documents those commands print (`docs/status.schema.json`).

use crate::support;

use std::path::Path;

use assert_cmd::Command;
use db_status::error::Exit;
use db_status::report::human::indicator;
use db_status::status::State;
use serde_json::Value;

const SKILL: &str = include_str!("../../skills/db-status/SKILL.md");

fn demo() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/backend-ai")
}

/// `key: value` lines of the front matter, and the body after it.
fn front_matter(text: &str) -> (Vec<(String, String)>, &str) {
    let rest = text
        .strip_prefix("---\n")
        .expect("SKILL.md starts with ---");
    let (head, body) = rest
        .split_once("\n---\n")
        .expect("front matter ends with ---");
    let pairs = head
        .lines()
        .map(|l| {
            let (k, v) = l
                .split_once(": ")
                .unwrap_or_else(|| panic!("not `key: value`: {l}"));
            (k.to_string(), v.to_string())
        })
        .collect();
    (pairs, body)
}

fn field<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("front matter has no `{key}`"))
}

/// Inline code spans (`…`) of the text outside fenced blocks.
fn code_spans(body: &str) -> Vec<String> {
    let mut spans = Vec::new();
    let mut fenced = false;
    for line in body.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let parts: Vec<&str> = line.split('`').collect();
        spans.extend(parts.iter().skip(1).step_by(2).map(|s| s.to_string()));
    }
    spans
}

/// The lines of the ```bash blocks.
fn bash_lines(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_bash = false;
    for line in body.lines() {
        let t = line.trim();
        if t.starts_with("```") {
            in_bash = !in_bash && t == "```bash";
            continue;
        }
        if in_bash && !t.is_empty() && !t.starts_with('#') {
            out.push(t.to_string());
        }
    }
    out
}

/// Every `db-status …` command the skill tells the agent to run.
fn commands(body: &str) -> Vec<String> {
    let mut all: Vec<String> = bash_lines(body);
    all.extend(
        code_spans(body)
            .into_iter()
            .filter(|s| s.starts_with("db-status ")),
    );
    all.sort();
    all.dedup();
    all
}

#[test]
fn front_matter_follows_backend_ai_skills() {
    let (pairs, body) = front_matter(SKILL);
    let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        ["name", "description", "disable-model-invocation", "tags"]
    );
    assert_eq!(field(&pairs, "name"), "db-status");
    assert_eq!(field(&pairs, "disable-model-invocation"), "false");
    let description = field(&pairs, "description");
    assert!(
        description.contains("Use before") && description.contains("manager"),
        "the description says when to use it: {description}"
    );
    let tags = field(&pairs, "tags");
    assert!(tags.starts_with('[') && tags.ends_with(']'), "tags: {tags}");
    assert!(
        tags.contains("alembic") && tags.contains("migration"),
        "{tags}"
    );
    for section in [
        "## Parameters",
        "## Steps",
        "## What to do next",
        "## Examples",
        "## Related skills",
    ] {
        assert!(body.contains(section), "missing {section}");
    }
    for component in [
        "`manager` (default)",
        "`accountmgr`",
        "`appproxy`",
        "**all**",
    ] {
        assert!(body.contains(component), "parameters name {component}");
    }
    for skill in ["`/db-migrate`", "`/db-rebase`", "`/cli-executor`"] {
        assert!(body.contains(skill), "related skill {skill}");
    }
    // Short enough to read whole: no prose the JSON already says.
    assert!(
        SKILL.lines().count() < 100,
        "{} lines",
        SKILL.lines().count()
    );
}

#[test]
fn every_state_and_exit_code_has_its_next_step_and_indicator() {
    let (_, body) = front_matter(SKILL);
    let row = |name: &str, code: u8| {
        body.lines()
            .find(|l| l.starts_with(&format!("| {name} | {code} |")))
            .unwrap_or_else(|| panic!("no row `| {name} | {code} |` in the table"))
    };
    for state in State::ALL {
        let line = row(state.as_str(), state.exit().code());
        let mark = format!("{} {}", state.as_str(), indicator(state, false));
        assert!(body.contains(&mark), "indicator {mark}");
        match state {
            State::Behind | State::NoRevision => assert!(line.contains("`/db-migrate`"), "{line}"),
            State::Diverged => {
                for needle in [
                    "re-point",
                    "merge migration",
                    "alembic/AGENTS.md",
                    "main itself",
                ] {
                    assert!(line.contains(needle), "diverged row names {needle}: {line}");
                }
            }
            State::UnknownRevision => assert!(line.contains("wrong-database"), "{line}"),
            _ => {}
        }
    }
    row("(usage)", Exit::Usage.code());
}

#[test]
fn skill_show_prints_the_file_and_install_writes_it_once() {
    let out = Command::cargo_bin("db-status")
        .unwrap()
        .args(["skill", "show"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), SKILL);

    let tmp = tempfile::tempdir().unwrap();
    let install = |args: &[&str]| {
        Command::cargo_bin("db-status")
            .unwrap()
            .current_dir(tmp.path())
            .args(["skill", "install"])
            .args(args)
            .env_remove("DB_STATUS_URL")
            .output()
            .unwrap()
    };
    let out = install(&["--dir", "skills"]);
    let path = tmp.path().join("skills/db-status/SKILL.md");
    assert!(out.status.success());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.starts_with("wrote ") && said.contains(&path.display().to_string()),
        "says what it wrote: {said}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), SKILL);
    let out = install(&["--dir", "skills"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("already up to date: "));
    std::fs::write(&path, "edited by hand\n").unwrap();
    let out = install(&["--dir", "skills"]);
    assert_eq!(out.status.code(), Some(i32::from(Exit::Usage.code())));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "edited by hand\n");
    let out = install(&["--dir", "skills", "--force"]);
    assert!(out.status.success());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), SKILL);
    // Default: .claude/skills under the project root.
    std::fs::write(tmp.path().join("alembic.ini"), "[alembic]\n").unwrap();
    std::fs::create_dir_all(tmp.path().join("sub")).unwrap();
    let out = Command::cargo_bin("db-status")
        .unwrap()
        .current_dir(tmp.path().join("sub"))
        .args(["skill", "install"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        tmp.path()
            .join(".claude/skills/db-status/SKILL.md")
            .is_file()
    );
}

/// Resolve a dotted path (`diverged.fix.file`, `current[].revision`) in
/// the schema, from the status document or one of its components.
fn schema_has(schema: &Value, path: &str) -> bool {
    let defs = &schema["$defs"];
    fn by_ref(defs: &Value, v: &Value) -> Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => defs[r.trim_start_matches("#/$defs/")].clone(),
            None => v.clone(),
        }
    }
    // A schema and what it stands for: its $ref, alternatives and items.
    let deref = |v: &Value| -> Vec<Value> {
        let v = by_ref(defs, v);
        let mut out = vec![v.clone()];
        for key in ["oneOf", "anyOf"] {
            if let Some(alts) = v.get(key).and_then(Value::as_array) {
                out.extend(alts.iter().map(|a| by_ref(defs, a)));
            }
        }
        if let Some(items) = v.get("items") {
            out.push(by_ref(defs, items));
        }
        out
    };
    let starts = [
        defs["statusDocument"].clone(),
        defs["component"].clone(),
        defs["checkDocument"]["properties"]["components"]["items"].clone(),
    ];
    'start: for start in starts {
        let mut here = vec![start];
        for seg in path.split('.') {
            let seg = seg.trim_end_matches("[]").trim_end_matches("[0]");
            let next: Vec<Value> = here
                .iter()
                .flat_map(&deref)
                .filter_map(|v| v.get("properties").and_then(|p| p.get(seg)).cloned())
                .collect();
            if next.is_empty() {
                continue 'start;
            }
            here = next.iter().flat_map(&deref).collect();
        }
        return true;
    }
    false
}

#[test]
fn every_field_the_skill_names_is_in_the_schema() {
    let schema: Value =
        serde_json::from_str(include_str!("../../docs/status.schema.json")).unwrap();
    let (_, body) = front_matter(SKILL);
    let mut text = body.to_string();
    // The block's placeholders: <recommended_actions[].text>, …
    let placeholders: Vec<String> = body
        .split('<')
        .skip(1)
        .filter_map(|s| s.split_once('>').map(|(p, _)| p.to_string()))
        .collect();
    text.push_str(
        &placeholders
            .iter()
            .map(|p| format!(" `{p}`"))
            .collect::<String>(),
    );
    let not_fields = [
        "manager",
        "accountmgr",
        "appproxy",
        "merge",
        "indicator",
        "component",
        "down_revision",
    ];
    let mut checked = 0;
    for span in code_spans(&text) {
        let is_path = !span.is_empty()
            && span.chars().all(|c| {
                c.is_ascii_lowercase()
                    || c == '_'
                    || c == '.'
                    || c == '['
                    || c == ']'
                    || c.is_ascii_digit()
            });
        if !is_path || not_fields.contains(&span.as_str()) {
            continue;
        }
        assert!(
            schema_has(&schema, &span),
            "the skill names `{span}`, which the JSON does not have"
        );
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} fields checked");
    for missing in ["nonexistent", "diverged.fix.nope"] {
        assert!(!schema_has(&schema, missing), "resolver accepts {missing}");
    }
}

/// Run one skill command with `<component>` filled in; check its JSON.
fn run_skill_command(cmd: &str, component: &str, dir: &Path, envs: &[(&str, String)]) -> Value {
    let line = cmd.replace("<component>", component);
    let args: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(args.first(), Some(&"db-status"), "{line}");
    let mut command = Command::cargo_bin("db-status").unwrap();
    command
        .current_dir(dir)
        .args(&args[1..])
        .env_remove("DB_STATUS_URL")
        .env("NO_COLOR", "1");
    for (k, v) in envs {
        command.env(k, v);
    }
    let out = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let doc: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("`{line}`: not JSON ({e}):\n{stdout}"));
    let schema: Value =
        serde_json::from_str(include_str!("../../docs/status.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema");
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "`{line}`: {errors:?}");
    assert_eq!(
        out.status.code(),
        doc["exit_code"].as_i64().map(|c| c as i32),
        "`{line}` exits with its exit_code"
    );
    if let Some(components) = doc["components"].as_array() {
        assert!(!components.is_empty(), "`{line}`: components");
        for c in components {
            assert!(c["name"].is_string(), "`{line}`: name");
        }
    }
    doc
}

#[test]
fn every_command_runs_as_written_on_the_demo() {
    let (_, body) = front_matter(SKILL);
    let cmds = commands(body);
    assert!(
        cmds.iter()
            .any(|c| c == "db-status --component <component> --format json"),
        "{cmds:?}"
    );
    assert!(cmds.iter().any(|c| c == "db-status --all --format json"));
    let mut states = std::collections::BTreeSet::new();
    for cmd in &cmds {
        for component in ["manager", "accountmgr", "appproxy", "storage"] {
            let doc = run_skill_command(cmd, component, &demo(), &[]);
            for c in doc["components"].as_array().into_iter().flatten() {
                if let Some(s) = c["state"].as_str() {
                    states.insert(s.to_string());
                }
            }
        }
    }
    for s in ["up-to-date", "behind", "no-revision", "diverged"] {
        assert!(states.contains(s), "the demo shows {s}: {states:?}");
    }
}

#[test]
fn every_command_runs_as_written_on_postgresql() {
    let (_, body) = front_matter(SKILL);
    let tmp = tempfile::tempdir().unwrap();
    let versions = tmp.path().join("migrations/versions");
    std::fs::create_dir_all(&versions).unwrap();
    std::fs::write(
        tmp.path().join("alembic.ini"),
        "[alembic]\nscript_location = migrations\n",
    )
    .unwrap();
    for (rev, down) in [("aaa111", "None"), ("bbb222", "'aaa111'")] {
        std::fs::write(
            versions.join(format!("{rev}_x.py")),
            format!("\"\"\"{rev}\"\"\"\nrevision = '{rev}'\ndown_revision = {down}\n"),
        )
        .unwrap();
    }
    // Unreachable PostgreSQL fails the test unless DB_STATUS_TEST_SKIP names it.
    let Some(db) = support::PgDb::create() else {
        return;
    };
    db.exec(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY); \
         INSERT INTO alembic_version VALUES ('aaa111')",
    );
    let envs = [("DB_STATUS_URL_MANAGER", db.url("postgresql"))];
    let mut checked = 0;
    for cmd in commands(body) {
        let doc = run_skill_command(&cmd, "manager", tmp.path(), &envs);
        // Commands naming manager (or <component>, or --all) see the database;
        // an example naming another component has no ini in this project.
        let manager = doc["components"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["name"] == "manager"));
        if let (true, Some(c)) = (cmd.starts_with("db-status --"), manager) {
            checked += 1;
            assert_eq!(c["state"], "behind", "`{cmd}` on PostgreSQL: {c}");
            assert_eq!(c["pending_count"], 1);
            let actions = c["recommended_actions"].as_array().expect("actions");
            assert!(
                actions
                    .iter()
                    .any(|a| a["command"].is_array() && a["text"].is_string()),
                "a runnable action: {actions:?}"
            );
        }
    }
    // --all, --component <component>, and the manager example.
    assert!(checked >= 3, "only {checked} commands read the database");
}
