//! Differential test of the revision graph against Alembic 1.20 itself:
//! random DAGs (merges, branch points, several roots, `depends_on` on ids and
//! labels, branch labels, shuffled load order) are answered by Alembic's own
//! `RevisionMap` (`tests/graph_fuzz/oracle.py`) and by [`RevisionMap`]:
//! heads, real heads, bases, inherited labels, normalised dependencies,
//! branch/merge points, `history` ranges (incl. relative and label forms),
//! identifier resolution (prefixes, labels, `label@head`, `-N`), the upgrade
//! plan and `current`, including the exact CLI error messages.
//!
//! Python: `DB_STATUS_PYTHON`, default `<repo>/.venv/bin/python` (made by
//! `scripts/setup-venv.sh`). Graph count: `DB_STATUS_GRAPH_FUZZ` (default 300);
//! seed: `DB_STATUS_GRAPH_FUZZ_SEED`.

use std::path::PathBuf;
use std::process::Command;

use db_status::graph::{RevIdx, RevisionError, RevisionMap};
use db_status::scripts::{DocstringClaims, FieldLines, Script};
use serde_json::{Value, json};

struct Rev {
    id: String,
    down: Vec<String>,
    deps: Vec<String>,
    labels: Vec<String>,
}

fn random_graph(rng: &mut Rng, n: usize) -> Vec<Rev> {
    let mut revs: Vec<Rev> = Vec::new();
    for i in 0..n {
        let id = format!("{:012x}", rng.next() >> 16);
        let mut k = if i == 0 {
            0
        } else {
            rng.pick(&[0, 1, 1, 1, 1, 2])
        };
        if i > 0 && rng.chance(8) {
            k = 0;
        }
        let mut down: Vec<String> = Vec::new();
        while down.len() < k.min(i) {
            let d = revs[rng.below(i)].id.clone();
            if !down.contains(&d) {
                down.push(d);
            }
        }
        let mut deps: Vec<String> = Vec::new();
        if i > 1 && rng.chance(20) {
            let want = rng.pick(&[1, 1, 2]);
            for _ in 0..want {
                let r = &revs[rng.below(i)];
                let d = match r.labels.first() {
                    Some(l) if rng.chance(30) => l.clone(),
                    _ => r.id.clone(),
                };
                if !down.contains(&d) && !deps.contains(&d) {
                    deps.push(d);
                }
            }
        }
        let labels = if rng.chance(10) {
            vec![format!("lbl{i}")]
        } else {
            vec![]
        };
        revs.push(Rev {
            id,
            down,
            deps,
            labels,
        });
    }
    // File (load) order is independent of graph order.
    for i in (1..revs.len()).rev() {
        let j = rng.below(i + 1);
        revs.swap(i, j);
    }
    revs
}

fn queries(rng: &mut Rng, revs: &[Rev]) -> Vec<Value> {
    let ids: Vec<&str> = revs.iter().map(|r| r.id.as_str()).collect();
    let labels: Vec<&str> = revs
        .iter()
        .flat_map(|r| r.labels.iter().map(String::as_str))
        .collect();
    let mut q = vec![json!({"kind": "hist", "lower": "base", "upper": "heads"})];
    let hist =
        |lower: String, upper: String| json!({"kind": "hist", "lower": lower, "upper": upper});
    for _ in 0..3 {
        q.push(hist(rng.pick(&ids).to_string(), "heads".into()));
        q.push(hist("base".into(), rng.pick(&ids).to_string()));
        q.push(hist(rng.pick(&ids).to_string(), rng.pick(&ids).to_string()));
    }
    let x = rng.pick(&ids).to_string();
    q.push(hist("base".into(), format!("{x}+1")));
    q.push(hist("base".into(), format!("{}-1", &x[..6])));
    q.push(hist(x.clone(), "+1".into()));
    q.push(hist("base".into(), "+2".into()));
    q.push(hist("-1".into(), "heads".into()));
    q.push(hist("heads".into(), "heads".into()));
    q.push(hist("base".into(), "head".into()));
    if let Some(l) = labels.first() {
        q.push(hist("base".into(), format!("{l}@head")));
        q.push(hist(format!("{l}@base"), format!("{l}@head")));
        q.push(hist("base".into(), format!("{l}@+1")));
        q.push(hist(x.clone(), format!("{l}@heads")));
    }
    let resolve = |ident: String| json!({"kind": "resolve", "ident": ident});
    for _ in 0..4 {
        let id = rng.pick(&ids).to_string();
        let k = 1 + rng.below(6);
        q.push(resolve(id[..k].to_string()));
    }
    for ident in ["heads", "head", "base", "-1", "-2", "-3"] {
        q.push(resolve(ident.to_string()));
    }
    q.push(resolve(format!("{x}@head")));
    q.push(resolve(format!("{x}@heads")));
    q.push(resolve(format!("{}@-1", &x[..5])));
    for l in labels.iter().take(2) {
        q.push(resolve(l.to_string()));
        q.push(resolve(format!("{l}@head")));
        q.push(resolve(format!("{l}@heads")));
        q.push(resolve(format!("{l}@-1")));
        q.push(resolve(format!("{l}@{}", &x[..8])));
        q.push(resolve(l[..3].to_string()));
    }
    for _ in 0..3 {
        let t: Vec<&str> = (0..rng.pick(&[1, 1, 2])).map(|_| rng.pick(&ids)).collect();
        q.push(json!({"kind": "state", "targets": t}));
    }
    q
}

use crate::support::{Rng, python, python_json};

fn oracle(cases: &[Value]) -> Vec<Value> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/graph_fuzz/oracle.py");
    let mut c = Command::new(python());
    c.arg(&script).env("PYTHONHASHSEED", "0");
    python_json(c, &cases, "oracle")
}

fn script(r: &Rev) -> Script {
    Script {
        revision: r.id.clone(),
        down_revisions: r.down.clone(),
        dependencies: r.deps.clone(),
        branch_labels: r.labels.clone(),
        longdoc: String::new(),
        path: PathBuf::from(format!("/v/{}.py", r.id)),
        lines: FieldLines::default(),
        docstring_claims: DocstringClaims::default(),
    }
}

fn ids(m: &RevisionMap, v: &[RevIdx]) -> Vec<String> {
    v.iter().map(|&i| m.script(i).revision.clone()).collect()
}

/// Our answer in the oracle's shape.
fn answer(m: &RevisionMap, r: Result<Vec<RevIdx>, RevisionError>) -> Value {
    match r {
        Ok(v) => json!({"ok": ids(m, &v)}),
        Err(e) if e.crash => json!({"err": "crash"}),
        Err(e) => json!({"err": "failed", "msg": e.message}),
    }
}

/// Crash messages are ours, not Alembic's exception names: compare the kind
/// only. The "overlaps" list is a Python set in Alembic (hash order; ours is
/// load order): compare it sorted.
fn comparable(v: &Value) -> Value {
    const OVERLAPS: &str = " overlaps with other requested revisions ";
    match (
        v.get("err").and_then(Value::as_str),
        v.get("msg").and_then(Value::as_str),
    ) {
        (Some("crash"), _) => json!({"err": "crash"}),
        (Some(kind), Some(msg)) if msg.contains(OVERLAPS) => {
            let (head, list) = msg.split_once(OVERLAPS).unwrap_or((msg, ""));
            let mut items: Vec<&str> = list.split(", ").collect();
            items.sort_unstable();
            json!({"err": kind, "msg": format!("{head}{OVERLAPS}{}", items.join(", "))})
        }
        _ => v.clone(),
    }
}

fn check_case(revs: &[Rev], qs: &[Value], want: &Value) -> Vec<String> {
    let mut bad = Vec::new();
    let (m, _) = RevisionMap::build(revs.iter().map(script).collect()).unwrap();
    let mut cmp = |what: String, got: Value, exp: &Value| {
        let (got, exp) = (comparable(&got), comparable(exp));
        if got != exp {
            bad.push(format!("{what}: got {got} want {exp}"));
        }
    };
    cmp("heads".into(), json!(ids(&m, &m.heads())), &want["heads"]);
    cmp(
        "real_heads".into(),
        json!(ids(&m, &m.real_heads())),
        &want["real_heads"],
    );
    cmp("bases".into(), json!(ids(&m, &m.bases())), &want["bases"]);
    for r in revs {
        let i = m.find(&r.id).unwrap();
        let got = json!({
            "labels": m.labels(i),
            "norm_deps": ids(&m, m.normalized_dependencies(i)),
            "bp": m.is_branch_point(i),
            "mp": m.is_merge_point(i),
        });
        cmp(format!("rev {}", r.id), got, &want["revs"][&r.id]);
    }
    let answers = want["answers"].as_array().cloned().unwrap_or_default();
    for (q, exp) in qs.iter().zip(&answers) {
        match q["kind"].as_str() {
            Some("hist") => {
                let lower = q["lower"].as_str().unwrap();
                let upper = q["upper"].as_str().unwrap();
                let got = m.walk_revisions(
                    &db_status::graph::Bound::Ident(lower.into()),
                    &db_status::graph::Bound::Ident(upper.into()),
                );
                cmp(format!("history -r {lower}:{upper}"), answer(&m, got), exp);
            }
            Some("resolve") => {
                let ident = q["ident"].as_str().unwrap();
                cmp(
                    format!("resolve {ident}"),
                    answer(&m, m.resolve(ident)),
                    exp,
                );
            }
            Some("state") => {
                let rows: Vec<String> = exp["rows"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect();
                cmp(
                    format!("pending {rows:?}"),
                    answer(&m, m.upgrade_plan(&rows)),
                    &exp["pending"],
                );
                let cur = m.current(&rows).map(|mut v| {
                    v.sort_by(|a, b| m.script(*a).revision.cmp(&m.script(*b).revision));
                    v
                });
                cmp(
                    format!("current {rows:?}"),
                    answer(&m, cur),
                    &exp["current"],
                );
            }
            other => panic!("unknown query {other:?}"),
        }
    }
    bad
}

#[test]
fn random_graphs_match_alembic() {
    let count: usize = std::env::var("DB_STATUS_GRAPH_FUZZ")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let seed: u64 = std::env::var("DB_STATUS_GRAPH_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_261_124);
    let mut rng = Rng(seed | 1);
    let mut graphs = Vec::new();
    let mut cases = Vec::new();
    for g in 0..count {
        let n = 2 + g % 60;
        let revs = random_graph(&mut rng, n);
        let qs = queries(&mut rng, &revs);
        cases.push(json!({
            "revs": revs.iter().map(|r| json!({"id": r.id, "down": r.down, "deps": r.deps, "labels": r.labels})).collect::<Vec<_>>(),
            "queries": qs,
        }));
        graphs.push((revs, qs));
    }
    let answers = oracle(&cases);
    assert_eq!(answers.len(), graphs.len());
    let mut failures = Vec::new();
    let mut checked = 0;
    for (g, ((revs, qs), want)) in graphs.iter().zip(&answers).enumerate() {
        checked += qs.len();
        for b in check_case(revs, qs, want) {
            failures.push(format!("graph {g} (seed {seed}): {b}"));
        }
    }
    assert!(checked > count, "too few queries");
    assert!(
        failures.is_empty(),
        "{} mismatches with Alembic:\n{}",
        failures.len(),
        failures
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
