//! Structural checks over raw [`Script`]s, before any revision map exists:
//! forbidden id characters, duplicate ids, branch-label clashes, dangling
//! `down_revision`/`depends_on`, and cycles (iterative Tarjan, so a
//! 100,000-long chain cannot overflow the stack). Also the docstring drift
//! warnings, which need nothing but each file. Every finding carries the line
//! of the assignment that has to change.

use std::collections::{HashMap, VecDeque};

use super::{Code, Finding, FixContext};
use crate::python::ids_literal;
use crate::scripts::Script;

/// Characters Alembic's `verify_rev_id` rejects in a revision id.
const FORBIDDEN: [char; 4] = ['+', '-', ':', '@'];

/// All structural findings (errors), in load order.
pub(crate) fn check(scripts: &[Script], ctx: &FixContext) -> Vec<Finding> {
    let mut findings = Vec::new();
    let ids = index(scripts);
    bad_identifiers(scripts, &mut findings);
    duplicates(scripts, &ids, ctx, &mut findings);
    let labels = label_clashes(scripts, &ids, ctx, &mut findings);
    dangling(scripts, &ids, &labels, &mut findings);
    cycles(scripts, &ids, &labels, &mut findings);
    findings
}

/// Revision id → indices of the scripts declaring it, in load order.
fn index(scripts: &[Script]) -> HashMap<&str, Vec<usize>> {
    let mut ids: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, s) in scripts.iter().enumerate() {
        ids.entry(s.revision.as_str()).or_default().push(i);
    }
    ids
}

/// The script Alembic keeps for an id: the last file loaded replaces earlier ones.
fn winner(ids: &HashMap<&str, Vec<usize>>, id: &str) -> Option<usize> {
    ids.get(id).and_then(|v| v.last().copied())
}

fn at(ctx: &FixContext, script: &Script, line: u32) -> String {
    format!("{}:{}", ctx.show(&script.path), line)
}

fn bad_identifiers(scripts: &[Script], findings: &mut Vec<Finding>) {
    for s in scripts {
        let mut bad: Vec<char> = FORBIDDEN
            .iter()
            .copied()
            .filter(|c| s.revision.contains(*c))
            .collect();
        if bad.is_empty() {
            continue;
        }
        bad.sort_unstable();
        let chars = bad.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        findings.push(
            Finding::error(
                Code::BadIdentifier,
                Some(s.path.clone()),
                s.lines.revision,
                format!(
                    "Character(s) '{}' not allowed in revision identifier '{}'",
                    chars.join(", "),
                    s.revision
                ),
            )
            .with_fix(
                "choose an id without @ - + : (and update every down_revision that names it)",
            ),
        );
    }
}

fn duplicates(
    scripts: &[Script],
    ids: &HashMap<&str, Vec<usize>>,
    ctx: &FixContext,
    findings: &mut Vec<Finding>,
) {
    for (i, s) in scripts.iter().enumerate() {
        let Some(all) = ids.get(s.revision.as_str()) else {
            continue;
        };
        let Some(&first) = all.first() else { continue };
        if first == i {
            continue;
        }
        let Some(f) = scripts.get(first) else {
            continue;
        };
        let kept = winner(ids, &s.revision)
            .and_then(|w| scripts.get(w))
            .map(|w| ctx.show(&w.path))
            .unwrap_or_default();
        // Alembic warns and goes on with one of the files (`heads` and
        // `upgrade` succeed), so this is a warning: an error under --strict.
        findings.push(
            Finding::warning(
                Code::DuplicateRevision,
                Some(s.path.clone()),
                s.lines.revision,
                format!(
                    "revision '{}' is also declared in {}; Alembic keeps only {} and warns \
                     \"Revision {} is present more than once\"",
                    s.revision,
                    at(ctx, f, f.lines.revision),
                    kept,
                    s.revision
                ),
            )
            .with_fix(
                "give one of the two files a new revision id (and re-point the down_revision \
                 of its children)",
            ),
        );
    }
}

/// Checks labels; returns label → index of the script that declared it first.
fn label_clashes<'a>(
    scripts: &'a [Script],
    ids: &HashMap<&str, Vec<usize>>,
    ctx: &FixContext,
    findings: &mut Vec<Finding>,
) -> HashMap<&'a str, usize> {
    let mut labels: HashMap<&str, usize> = HashMap::new();
    for (i, s) in scripts.iter().enumerate() {
        for label in &s.branch_labels {
            let clash = if let Some(owner) = winner(ids, label).and_then(|w| scripts.get(w)) {
                Some(format!(
                    "branch label '{label}' of revision {} is also a revision id ({})",
                    s.revision,
                    at(ctx, owner, owner.lines.revision)
                ))
            } else if let Some(other) = labels.get(label.as_str()).and_then(|&o| scripts.get(o)) {
                Some(format!(
                    "branch label '{label}' of revision {} is already used by revision {} ({})",
                    s.revision,
                    other.revision,
                    at(ctx, other, other.lines.branch_labels)
                ))
            } else {
                labels.insert(label.as_str(), i);
                None
            };
            if let Some(message) = clash {
                findings.push(
                    Finding::error(
                        Code::LabelClash,
                        Some(s.path.clone()),
                        s.lines.branch_labels,
                        message,
                    )
                    .with_fix(format!(
                        "rename the label '{label}' here (labels must be unique and differ from \
                         every revision id)"
                    )),
                );
            }
        }
    }
    labels
}

fn dangling(
    scripts: &[Script],
    ids: &HashMap<&str, Vec<usize>>,
    labels: &HashMap<&str, usize>,
    findings: &mut Vec<Finding>,
) {
    for s in scripts {
        for down in &s.down_revisions {
            if ids.contains_key(down.as_str()) {
                continue;
            }
            let mut f = Finding::error(
                Code::MissingRevision,
                Some(s.path.clone()),
                s.lines.down_revision,
                format!(
                    "down_revision '{down}' of revision {} is not present in the scripts \
                     (Alembic: \"Revision {down} referenced from {} is not present\", then a \
                     KeyError)",
                    s.revision, s.revision
                ),
            );
            if let Some(value) = suggestion(down, &s.down_revisions, ids) {
                f = f.with_fix(format!("down_revision = {value}"));
            } else {
                f = f.with_fix(
                    "point down_revision at an existing revision (or restore the missing file)",
                );
            }
            findings.push(f);
        }
        for dep in &s.dependencies {
            if ids.contains_key(dep.as_str()) || labels.contains_key(dep.as_str()) {
                continue;
            }
            findings.push(
                Finding::error(
                    Code::MissingRevision,
                    Some(s.path.clone()),
                    s.lines.depends_on,
                    format!(
                        "depends_on '{dep}' of revision {} names no revision or branch label \
                         (Alembic crashes with KeyError: '{dep}')",
                        s.revision
                    ),
                )
                .with_fix("name an existing revision id (in full) or branch label in depends_on"),
            );
        }
    }
}

/// A concrete replacement for a dangling `down_revision` entry, when one is
/// obvious: a comma-joined string that should be a tuple, or a unique id the
/// written value is a prefix of.
fn suggestion(missing: &str, all: &[String], ids: &HashMap<&str, Vec<usize>>) -> Option<String> {
    let fixed: Vec<String> = if missing.contains(',') {
        let parts: Vec<&str> = missing.split(',').map(str::trim).collect();
        if !parts.iter().all(|p| ids.contains_key(p)) {
            return None;
        }
        parts.iter().map(|p| p.to_string()).collect()
    } else {
        let mut matches = ids
            .keys()
            .filter(|id| !missing.is_empty() && id.starts_with(missing));
        let one = matches.next()?;
        if matches.next().is_some() {
            return None;
        }
        vec![one.to_string()]
    };
    let mut value: Vec<&str> = Vec::new();
    for d in all {
        if d == missing {
            value.extend(fixed.iter().map(String::as_str));
        } else {
            value.push(d);
        }
    }
    Some(ids_literal(&value))
}

/// An edge of the revision graph, remembering which assignment made it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    DownRevision,
    DependsOn,
}

fn cycles(
    scripts: &[Script],
    ids: &HashMap<&str, Vec<usize>>,
    labels: &HashMap<&str, usize>,
    findings: &mut Vec<Finding>,
) {
    // Nodes are the scripts Alembic keeps (one per id); edges point at parents.
    let nodes: Vec<usize> = (0..scripts.len())
        .filter(|&i| {
            scripts
                .get(i)
                .and_then(|s| winner(ids, &s.revision))
                .is_some_and(|w| w == i)
        })
        .collect();
    let mut node_of: HashMap<usize, usize> = HashMap::new();
    for (n, &i) in nodes.iter().enumerate() {
        node_of.insert(i, n);
    }
    let edges: Vec<Vec<(usize, Via)>> = nodes
        .iter()
        .map(|&i| {
            let Some(s) = scripts.get(i) else {
                return Vec::new();
            };
            let downs = s
                .down_revisions
                .iter()
                .filter_map(|d| winner(ids, d))
                .map(|t| (t, Via::DownRevision));
            let deps = s
                .dependencies
                .iter()
                .filter_map(|d| winner(ids, d).or_else(|| labels.get(d.as_str()).copied()))
                .map(|t| (t, Via::DependsOn));
            downs
                .chain(deps)
                .filter_map(|(t, via)| node_of.get(&t).map(|&n| (n, via)))
                .collect()
        })
        .collect();
    for component in strongly_connected(&edges) {
        let Some(&start) = component.iter().min() else {
            continue;
        };
        let self_loop = component.len() == 1
            && edges
                .get(start)
                .is_some_and(|e| e.iter().any(|&(t, _)| t == start));
        if component.len() < 2 && !self_loop {
            continue;
        }
        let path = cycle_path(&edges, &component, start);
        let names: Vec<&str> = path
            .iter()
            .filter_map(|&(n, _)| nodes.get(n).and_then(|&i| scripts.get(i)))
            .map(|s| s.revision.as_str())
            .collect();
        let Some(first) = nodes.get(start).and_then(|&i| scripts.get(i)) else {
            continue;
        };
        let via = path.first().map(|&(_, v)| v).unwrap_or(Via::DownRevision);
        let (line, field) = match via {
            Via::DownRevision => (first.lines.down_revision, "down_revision"),
            Via::DependsOn => (first.lines.depends_on, "depends_on"),
        };
        let message = if self_loop {
            let alembic = match via {
                Via::DownRevision => "Self-loop",
                Via::DependsOn => "Dependency self-loop",
            };
            format!(
                "revision {} names itself in its {field} (Alembic: \"{alembic} is detected in \
                 revisions ({})\")",
                first.revision, first.revision
            )
        } else {
            format!(
                "cycle: {} → {} (each revision's {field}/depends_on leads to the next, so none \
                 of them has a base)",
                names.join(" → "),
                first.revision
            )
        };
        findings.push(
            Finding::error(Code::Cycle, Some(first.path.clone()), line, message).with_fix(format!(
                "point {field} of {} at an older revision",
                first.revision
            )),
        );
    }
}

/// Shortest path from `start` back to itself inside one strongly connected
/// component: the nodes visited in order (starting with `start`), each with
/// the kind of edge that leaves it.
fn cycle_path(edges: &[Vec<(usize, Via)>], component: &[usize], start: usize) -> Vec<(usize, Via)> {
    let inside: std::collections::HashSet<usize> = component.iter().copied().collect();
    let mut prev: HashMap<usize, (usize, Via)> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    let mut closing: Option<(usize, Via)> = None;
    'bfs: while let Some(n) = queue.pop_front() {
        for &(t, via) in edges.get(n).map(Vec::as_slice).unwrap_or(&[]) {
            if t == start {
                closing = Some((n, via));
                break 'bfs;
            }
            if inside.contains(&t) && !prev.contains_key(&t) {
                prev.insert(t, (n, via));
                queue.push_back(t);
            }
        }
    }
    let Some((mut n, mut via)) = closing else {
        return vec![(start, Via::DownRevision)];
    };
    let mut path = Vec::new();
    loop {
        path.push((n, via));
        if n == start {
            break;
        }
        match prev.get(&n) {
            Some(&(p, v)) => {
                n = p;
                via = v;
            }
            None => break,
        }
        if path.len() > component.len() {
            break;
        }
    }
    path.reverse();
    path
}

/// Tarjan's strongly connected components, iteratively.
fn strongly_connected(edges: &[Vec<(usize, Via)>]) -> Vec<Vec<usize>> {
    let n = edges.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut out = Vec::new();
    let mut next = 0usize;
    for root in 0..n {
        if index.get(root).is_none_or(|&i| i != usize::MAX) {
            continue;
        }
        // (node, position in its edge list)
        let mut work: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some(&mut (v, ref mut pos)) = work.last_mut() {
            if *pos == 0 && index[v] == usize::MAX {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            let out_edges = edges.get(v).map(Vec::as_slice).unwrap_or(&[]);
            if let Some(&(w, _)) = out_edges.get(*pos) {
                *pos += 1;
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut comp = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                out.push(comp);
            }
        }
    }
    out
}

/// Warnings where the docstring's `Revision ID:` / `Revises:` lines disagree
/// with the variables Alembic actually reads.
pub(crate) fn docstring_drift(scripts: &[Script]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for s in scripts {
        if let Some((claimed, line)) = &s.docstring_claims.revision_id
            && claimed != &s.revision
        {
            findings.push(
                Finding::warning(
                    Code::DocstringRevisionId,
                    Some(s.path.clone()),
                    *line,
                    format!(
                        "docstring says \"Revision ID: {claimed}\" but revision = '{}' (Alembic \
                         reads only the variable)",
                        s.revision
                    ),
                )
                .with_fix(format!("Revision ID: {}", s.revision)),
            );
        }
        if let Some((claimed, line)) = &s.docstring_claims.revises {
            let mut said: Vec<&str> = claimed.iter().map(String::as_str).collect();
            let mut real: Vec<&str> = s.down_revisions.iter().map(String::as_str).collect();
            said.sort_unstable();
            said.dedup();
            real.sort_unstable();
            real.dedup();
            if said != real {
                let value = ids_literal(
                    &s.down_revisions
                        .iter()
                        .map(String::as_str)
                        .collect::<Vec<_>>(),
                );
                findings.push(
                    Finding::warning(
                        Code::DocstringRevises,
                        Some(s.path.clone()),
                        *line,
                        format!(
                            "docstring says \"Revises: {}\" but down_revision = {value} (Alembic \
                             reads only the variable)",
                            claimed.join(", ")
                        ),
                    )
                    .with_fix(format!("Revises: {}", s.down_revisions.join(", "))),
                );
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{rev, scripts};

    fn codes(f: &[Finding]) -> Vec<(&'static str, String, u32)> {
        f.iter()
            .map(|f| {
                (
                    f.code.as_str(),
                    f.file
                        .as_ref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default(),
                    f.line,
                )
            })
            .collect()
    }

    #[test]
    fn clean_chain_has_no_findings() {
        let s = scripts([rev("a"), rev("b").down(&["a"]), rev("c").down(&["b"])]);
        assert!(check(&s, &FixContext::default()).is_empty());
    }

    #[test]
    fn dangling_down_revision_and_dependency() {
        let s = scripts([rev("a"), rev("b").down(&["zzz"]).deps(&["nope"])]);
        let f = check(&s, &FixContext::default());
        assert_eq!(
            codes(&f),
            vec![
                ("missing-revision", "/proj/versions/b_x.py".into(), 11),
                ("missing-revision", "/proj/versions/b_x.py".into(), 13)
            ]
        );
    }

    #[test]
    fn comma_string_and_prefix_get_a_concrete_fix() {
        let s = scripts([
            rev("aaaa1"),
            rev("bbbb1").down(&["aaaa1"]),
            rev("c").down(&["aaaa1,bbbb1"]),
            rev("d").down(&["bbb"]),
        ]);
        let f = check(&s, &FixContext::default());
        let fixes: Vec<_> = f.iter().filter_map(|f| f.fix.clone()).collect();
        assert_eq!(
            fixes,
            vec![
                "down_revision = (\"aaaa1\", \"bbbb1\")".to_string(),
                "down_revision = \"bbbb1\"".to_string()
            ]
        );
    }

    #[test]
    fn duplicate_reported_on_the_later_file() {
        let s = scripts([rev("a"), rev("a").path("/proj/versions/zz_dup.py")]);
        let f = check(&s, &FixContext::default());
        assert_eq!(
            codes(&f),
            vec![("duplicate-revision", "/proj/versions/zz_dup.py".into(), 10)]
        );
        assert!(f[0].message.contains("/proj/versions/a_x.py:10"));
    }

    #[test]
    fn labels_clash_with_labels_and_ids() {
        let s = scripts([
            rev("a").labels(&["x"]),
            rev("b").down(&["a"]).labels(&["x"]),
            rev("c").down(&["b"]).labels(&["a"]),
        ]);
        let f = check(&s, &FixContext::default());
        assert_eq!(
            codes(&f),
            vec![
                ("label-clash", "/proj/versions/b_x.py".into(), 12),
                ("label-clash", "/proj/versions/c_x.py".into(), 12)
            ]
        );
    }

    #[test]
    fn cycle_named_in_order() {
        let s = scripts([
            rev("base"),
            rev("a").down(&["c"]),
            rev("b").down(&["a"]),
            rev("c").down(&["b"]),
        ]);
        let f = check(&s, &FixContext::default());
        assert_eq!(
            codes(&f),
            vec![("cycle", "/proj/versions/a_x.py".into(), 11)]
        );
        assert!(f[0].message.contains("a → c → b → a"), "{}", f[0].message);
    }

    #[test]
    fn self_loops() {
        let s = scripts([
            rev("base"),
            rev("a").down(&["a"]),
            rev("d").down(&["base"]).deps(&["d"]),
        ]);
        let f = check(&s, &FixContext::default());
        assert_eq!(
            codes(&f),
            vec![
                ("cycle", "/proj/versions/a_x.py".into(), 11),
                ("cycle", "/proj/versions/d_x.py".into(), 13)
            ]
        );
        assert!(
            f[0].message
                .contains("Self-loop is detected in revisions (a)")
        );
        assert!(f[1].message.contains("Dependency self-loop"));
    }

    #[test]
    fn long_chain_does_not_overflow() {
        let n = 100_000;
        let s = scripts((0..n).map(|i| match i {
            0 => rev("r0"),
            _ => rev(&format!("r{i}")).down(&[&format!("r{}", i - 1)]),
        }));
        assert!(check(&s, &FixContext::default()).is_empty());
    }

    #[test]
    fn forbidden_characters() {
        let f = check(&scripts([rev("a-b@")]), &FixContext::default());
        assert_eq!(
            codes(&f),
            vec![("bad-identifier", "/proj/versions/a-b@_x.py".into(), 10)]
        );
        assert!(f[0].message.contains("Character(s) '-, @' not allowed"));
    }

    #[test]
    fn docstring_drift_warnings() {
        let f = docstring_drift(&scripts([
            rev("a"),
            rev("b").down(&["a"]).claims("bb", &["x"]),
            // Revises: in another order is not drift.
            rev("c").down(&["a", "b"]).claims("c", &["b", "a"]),
        ]));
        assert_eq!(
            codes(&f),
            vec![
                ("docstring-revision-id", "/proj/versions/b_x.py".into(), 3),
                ("docstring-revises", "/proj/versions/b_x.py".into(), 4)
            ]
        );
        assert_eq!(f[1].fix.as_deref(), Some("Revises: a"));
    }
}
