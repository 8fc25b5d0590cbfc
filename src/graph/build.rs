//! Map construction in Alembic's exact order of operations
//! (`RevisionMap._revision_map`): per-file checks, duplicates, branch-label
//! keys, `depends_on` resolution, parent links, dependency normalisation,
//! cycle detection, then label inheritance.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::bitset::BitSet;
use super::hash::FastMap;
use super::{GraphError, GraphErrorKind, RevIdx, RevisionMap};
use crate::scripts::Script;

/// One loaded file (Alembic keeps shadowed duplicates in `heads`/`bases`).
/// A live entry reads its labels and parents from the map's script; a
/// shadowed one keeps those of the file that a later duplicate replaced.
struct Loaded {
    idx: RevIdx,
    shadowed: bool,
    base: bool,
    labels: Vec<String>,
    down: Vec<String>,
}

impl Loaded {
    fn labels<'a>(&'a self, scripts: &'a [Script]) -> &'a [String] {
        if self.shadowed {
            &self.labels
        } else {
            &scripts[self.idx].branch_labels
        }
    }

    fn down<'a>(&'a self, scripts: &'a [Script]) -> &'a [String] {
        if self.shadowed {
            &self.down
        } else {
            &scripts[self.idx].down_revisions
        }
    }
}

fn err(kind: GraphErrorKind, message: String) -> GraphError {
    GraphError { message, kind }
}

/// `Revision.__init__` checks: self-loops, then forbidden characters.
fn check_script(s: &Script) -> Result<(), GraphError> {
    let rev = &s.revision;
    if s.down_revisions.iter().any(|d| d == rev) {
        return Err(err(
            GraphErrorKind::Cycle,
            format!("Self-loop is detected in revisions ({rev})"),
        ));
    }
    if s.dependencies.iter().any(|d| d == rev) {
        return Err(err(
            GraphErrorKind::Cycle,
            format!("Dependency self-loop is detected in revisions ({rev})"),
        ));
    }
    let bad: BTreeSet<char> = rev
        .chars()
        .filter(|c| matches!(c, '@' | '-' | '+' | ':'))
        .collect();
    if !bad.is_empty() {
        let chars: Vec<String> = bad.iter().map(|c| c.to_string()).collect();
        return Err(err(
            GraphErrorKind::BadIdentifier,
            format!(
                "Character(s) '{}' not allowed in revision identifier '{rev}'",
                chars.join(", ")
            ),
        ));
    }
    Ok(())
}

/// `v` without repeats, first occurrence kept; borrowed when it cannot
/// have any (nearly every revision has one parent).
fn distinct(v: &[RevIdx]) -> std::borrow::Cow<'_, [RevIdx]> {
    if v.len() < 2 {
        std::borrow::Cow::Borrowed(v)
    } else {
        std::borrow::Cow::Owned(dedupe(v.iter().copied()))
    }
}

/// How many distinct versioned parents each revision has (the in-degrees of
/// a parents-before-children pass), counted from the children lists.
fn parent_counts(map: &RevisionMap) -> Vec<usize> {
    let mut pending = vec![0; map.len()];
    for kids in &map.children {
        for &c in kids {
            pending[c] += 1;
        }
    }
    pending
}

fn dedupe(items: impl IntoIterator<Item = RevIdx>) -> Vec<RevIdx> {
    let mut out: Vec<RevIdx> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

fn location(s: &Script, line: u32) -> String {
    crate::scripts::location(s.path.display(), line)
}

/// Alembic's error for a `field` of `s` (on `line`) naming a revision that
/// no file defines.
fn missing_revision(missing: &str, s: &Script, field: &str, line: u32) -> GraphError {
    err(
        GraphErrorKind::MissingRevision,
        format!(
            "Revision {missing} referenced from {} is not present \
             ({field} in {}); restore the missing revision file or fix {field}",
            s.revision,
            location(s, line)
        ),
    )
}

pub(super) fn build(input: Vec<Script>) -> Result<(RevisionMap, Vec<String>), GraphError> {
    let mut warnings = Vec::new();
    let mut scripts: Vec<Script> = Vec::with_capacity(input.len());
    let mut index: FastMap<String, RevIdx> =
        FastMap::with_capacity_and_hasher(input.len(), Default::default());
    let mut loaded: Vec<Loaded> = Vec::with_capacity(input.len());
    for s in input {
        check_script(&s)?;
        let info = Loaded {
            idx: 0,
            shadowed: false,
            base: s.down_revisions.is_empty(),
            labels: Vec::new(),
            down: Vec::new(),
        };
        let idx = match index.get(&s.revision) {
            Some(&i) => {
                warnings.push(format!("Revision {} is present more than once", s.revision));
                let old = std::mem::replace(&mut scripts[i], s);
                if let Some(l) = loaded.iter_mut().find(|l| l.idx == i && !l.shadowed) {
                    l.shadowed = true;
                    l.labels = old.branch_labels;
                    l.down = old.down_revisions;
                }
                i
            }
            None => {
                let i = scripts.len();
                index.insert(s.revision.clone(), i);
                scripts.push(s);
                i
            }
        };
        loaded.push(Loaded { idx, ..info });
    }
    let n = scripts.len();

    // Branch-label keys: a label may not reuse any existing key.
    let mut label_keys: Vec<(String, RevIdx)> = Vec::new();
    let mut label_index: FastMap<String, RevIdx> = FastMap::default();
    for l in &loaded {
        for label in l.labels(&scripts) {
            let other = index
                .get(label)
                .copied()
                .or_else(|| label_index.get(label).copied());
            if let Some(other) = other {
                return Err(err(
                    GraphErrorKind::LabelClash,
                    format!(
                        "Branch name '{label}' in revision {} already used by revision {}",
                        scripts[l.idx].revision, scripts[other].revision
                    ),
                ));
            }
            label_index.insert(label.clone(), l.idx);
            label_keys.push((label.clone(), l.idx));
        }
    }

    // `_add_depends_on`: exact keys only (ids or labels), no prefixes.
    let mut deps: Vec<Vec<RevIdx>> = vec![Vec::new(); n];
    for (i, s) in scripts.iter().enumerate() {
        for dep in &s.dependencies {
            match index.get(dep).or_else(|| label_index.get(dep)) {
                Some(&d) => deps[i].push(d),
                None => return Err(missing_revision(dep, s, "depends_on", s.lines.depends_on)),
            }
        }
    }

    // Parent links, in key order.
    let mut down: Vec<Vec<RevIdx>> = vec![Vec::new(); n];
    let mut children: Vec<Vec<RevIdx>> = vec![Vec::new(); n];
    let mut all_children: Vec<Vec<RevIdx>> = vec![Vec::new(); n];
    for (i, s) in scripts.iter().enumerate() {
        for d in &s.down_revisions {
            match index.get(d) {
                Some(&p) => down[i].push(p),
                None => {
                    return Err(missing_revision(
                        d,
                        s,
                        "down_revision",
                        s.lines.down_revision,
                    ));
                }
            }
        }
        let edges = if deps[i].is_empty() {
            distinct(&down[i])
        } else {
            std::borrow::Cow::Owned(dedupe(down[i].iter().chain(&deps[i]).copied()))
        };
        for &p in edges.iter() {
            all_children[p].push(i);
            if down[i].contains(&p) {
                children[p].push(i);
            }
        }
    }

    let mut map = RevisionMap {
        scripts,
        index,
        label_keys,
        label_index,
        down,
        deps,
        norm_deps: vec![Vec::new(); n],
        norm_down: vec![Vec::new(); n],
        children,
        all_children,
        labels: vec![std::sync::Arc::from(Vec::new()); n],
        label_names: Vec::new(),
        heads: Vec::new(),
        real_heads: Vec::new(),
        bases: Vec::new(),
    };

    let (order, complete) = versioned_order(&map);
    normalize_depends_on(&mut map, &order, complete);

    for l in &loaded {
        if l.shadowed || map.is_head(l.idx) {
            map.heads.push(l.idx);
        }
        if l.shadowed || map.is_real_head(l.idx) {
            map.real_heads.push(l.idx);
        }
        if l.base {
            map.bases.push(l.idx);
        }
    }
    let real_bases: Vec<RevIdx> = loaded
        .iter()
        .filter(|l| l.base && (l.shadowed || map.scripts[l.idx].dependencies.is_empty()))
        .map(|l| l.idx)
        .collect();
    detect_cycles(&map, &real_bases)?;
    add_branches(&mut map, &loaded, &order);
    Ok((map, warnings))
}

/// `_normalize_depends_on`: drop dependencies a versioned ancestor already
/// declares. Only revisions sharing a dependency target with another
/// revision need an ancestor walk, so the common case is linear.
fn normalize_depends_on(map: &mut RevisionMap, topo: &[RevIdx], complete: bool) {
    let n = map.len();
    // Computed only when some dependency target is shared (rare in real trees).
    let mut order: Option<Vec<usize>> = None;
    let any_shared = {
        let mut seen = FastMap::default();
        (0..n).any(|i| {
            dedupe(map.deps[i].iter().copied())
                .into_iter()
                .any(|d| seen.insert(d, i).is_some())
        })
    };
    if any_shared {
        order = complete.then(|| positions(topo, n));
    }
    let mut declarers: FastMap<RevIdx, Vec<RevIdx>> = FastMap::default();
    for i in 0..n {
        for &d in &map.deps[i] {
            let v = declarers.entry(d).or_default();
            if !v.contains(&i) {
                v.push(i);
            }
        }
    }
    let inherited = if any_shared {
        declared_by_ancestors(map, &declarers, topo, complete)
    } else {
        None
    };
    for i in 0..n {
        if map.deps[i].is_empty() {
            map.norm_down[i] = map.down[i].clone();
            continue;
        }
        let mut keep: Vec<RevIdx> = dedupe(map.deps[i].iter().copied());
        let shared = keep
            .iter()
            .any(|d| declarers.get(d).is_some_and(|v| v.iter().any(|&j| j != i)));
        if shared && let Some(inherited) = &inherited {
            keep.retain(|d| inherited[i].binary_search(d).is_err());
        } else if shared {
            let candidates: Vec<RevIdx> = keep
                .iter()
                .filter_map(|d| declarers.get(d))
                .flatten()
                .copied()
                .filter(|&j| j != i)
                .collect();
            let found = versioned_ancestors_among(map, i, &candidates, order.as_deref());
            keep.retain(|d| {
                !declarers
                    .get(d)
                    .is_some_and(|v| v.iter().any(|&j| j != i && found.contains(j)))
            });
        }
        keep.sort_by(|a, b| map.scripts[*a].revision.cmp(&map.scripts[*b].revision));
        map.norm_down[i] = dedupe(map.down[i].iter().chain(&keep).copied());
        map.norm_deps[i] = keep;
    }
}

/// For every revision, the shared dependency targets (declared by two or more
/// revisions) that some strict versioned ancestor declares, as a sorted list.
/// One pass in parents-before-children order; a revision with one parent
/// that declares nothing shared reuses its parent's list. `None` when the
/// versioned edges have a cycle (the caller then walks per revision).
fn declared_by_ancestors(
    map: &RevisionMap,
    declarers: &FastMap<RevIdx, Vec<RevIdx>>,
    topo: &[RevIdx],
    complete: bool,
) -> Option<Vec<Arc<[RevIdx]>>> {
    if !complete {
        return None;
    }
    let n = map.len();
    let own_shared = |x: RevIdx| -> Vec<RevIdx> {
        let mut v: Vec<RevIdx> = map.deps[x]
            .iter()
            .copied()
            .filter(|d| declarers.get(d).is_some_and(|js| js.len() > 1))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let empty: Arc<[RevIdx]> = Arc::from(Vec::new());
    let mut out: Vec<Arc<[RevIdx]>> = vec![Arc::clone(&empty); n];
    for &x in topo {
        let parents = distinct(&map.down[x]);
        out[x] = match parents.as_ref() {
            [] => Arc::clone(&empty),
            [p] if own_shared(*p).is_empty() => Arc::clone(&out[*p]),
            _ => {
                let mut set: Vec<RevIdx> = Vec::new();
                for &p in parents.iter() {
                    set.extend(out[p].iter().copied());
                    set.extend(own_shared(p));
                }
                set.sort_unstable();
                set.dedup();
                Arc::from(set)
            }
        };
    }
    Some(out)
}

/// The versioned edges in parents-before-children order (Kahn's algorithm),
/// computed once for every pass that needs it; the flag is false when those
/// edges have a cycle, and the order then holds only the revisions outside it.
fn versioned_order(map: &RevisionMap) -> (Vec<RevIdx>, bool) {
    let n = map.len();
    let mut pending = parent_counts(map);
    let mut ready: Vec<RevIdx> = (0..n).filter(|&i| pending[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(x) = ready.pop() {
        order.push(x);
        for &c in &map.children[x] {
            pending[c] -= 1;
            if pending[c] == 0 {
                ready.push(c);
            }
        }
    }
    let complete = order.len() == n;
    (order, complete)
}

/// Position of every revision in a complete `order`.
fn positions(order: &[RevIdx], n: usize) -> Vec<usize> {
    let mut pos = vec![usize::MAX; n];
    for (i, &x) in order.iter().enumerate() {
        pos[x] = i;
    }
    pos
}

/// Which of `candidates` are versioned ancestors of `start`. With a
/// topological order the walk skips everything older than the oldest
/// candidate, so a dependency on a recent revision costs a short walk, not a
/// walk to the root of a 100,000-revision history.
fn versioned_ancestors_among(
    map: &RevisionMap,
    start: RevIdx,
    candidates: &[RevIdx],
    order: Option<&[usize]>,
) -> BitSet {
    let n = map.len();
    let floor = match order {
        Some(pos) => candidates
            .iter()
            .map(|&c| pos[c])
            .min()
            .unwrap_or(usize::MAX),
        None => 0,
    };
    let mut wanted = BitSet::new(n);
    for &c in candidates {
        wanted.insert(c);
    }
    let mut found = BitSet::new(n);
    let mut seen = BitSet::new(n);
    let mut stack = vec![start];
    while let Some(x) = stack.pop() {
        if !seen.insert(x) {
            continue;
        }
        if x != start && wanted.contains(x) {
            found.insert(x);
        }
        for &p in &map.down[x] {
            if order.is_none_or(|pos| pos[p] >= floor) {
                stack.push(p);
            }
        }
    }
    found
}

/// One cycle-detection pass: heads, bases, upward and downward edges, message prefix.
type Pass<'a> = (
    &'a [RevIdx],
    &'a [RevIdx],
    &'a [Vec<RevIdx>],
    &'a [Vec<RevIdx>],
    &'a str,
);

/// `_detect_cycles`: every revision must lie between a head and a base.
fn detect_cycles(map: &RevisionMap, real_bases: &[RevIdx]) -> Result<(), GraphError> {
    let n = map.len();
    if n == 0 {
        return Ok(());
    }
    if acyclic(map) {
        // In a finite DAG every revision reaches a base through its parents
        // and a head through its children: neither pass below finds anything.
        return Ok(());
    }
    let all_ids = || {
        map.scripts
            .iter()
            .map(|s| s.revision.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let all_down: Vec<Vec<RevIdx>> = (0..n)
        .map(|i| dedupe(map.down[i].iter().chain(&map.deps[i]).copied()))
        .collect();
    let passes: [Pass; 2] = [
        (&map.heads, &map.bases, &map.down, &map.children, "Cycle"),
        (
            &map.real_heads,
            real_bases,
            &all_down,
            &map.all_children,
            "Dependency cycle",
        ),
    ];
    for (heads, bases, up, downward, what) in passes {
        if heads.is_empty() || bases.is_empty() {
            return Err(err(
                GraphErrorKind::Cycle,
                format!("{what} is detected in revisions ({})", all_ids()),
            ));
        }
        let from_heads = map.closure(heads, up);
        let from_bases = map.closure(bases, downward);
        let mut missing: Vec<&str> = (0..n)
            .filter(|&i| !(from_heads.contains(i) && from_bases.contains(i)))
            .map(|i| map.scripts[i].revision.as_str())
            .collect();
        if !missing.is_empty() {
            missing.sort_unstable();
            return Err(err(
                GraphErrorKind::Cycle,
                format!("{what} is detected in revisions ({})", missing.join(", ")),
            ));
        }
    }
    Ok(())
}

/// Whether versioned parents and dependencies together have no cycle
/// (Kahn's algorithm over the children via any edge).
fn acyclic(map: &RevisionMap) -> bool {
    let n = map.len();
    let mut pending = vec![0u32; n];
    for kids in &map.all_children {
        for &c in kids {
            pending[c] += 1;
        }
    }
    let mut ready: Vec<RevIdx> = (0..n).filter(|&i| pending[i] == 0).collect();
    let mut done = 0;
    while let Some(x) = ready.pop() {
        done += 1;
        for &c in &map.all_children[x] {
            pending[c] -= 1;
            if pending[c] == 0 {
                ready.push(c);
            }
        }
    }
    done == n
}

/// `_add_branches`: labels flow to every versioned descendant; and when the
/// labelled revision's descendants form a simple chain (no real branch point,
/// no merge point), down its ancestors until a real branch point or merge
/// point. This is the order-independent net effect of Alembic's DFS-then-walk
/// (fuzz-verified in the spec), computed in one topological pass.
fn add_branches(map: &mut RevisionMap, loaded: &[Loaded], topo: &[RevIdx]) {
    if loaded.iter().all(|l| l.labels(&map.scripts).is_empty()) {
        // Every set stays empty, as built.
        return;
    }
    let n = map.len();
    // Labels are numbered in name order, so a sorted set of numbers lists
    // them sorted by name with no sort per revision at output time.
    let mut all: Vec<&str> = loaded
        .iter()
        .flat_map(|l| l.labels(&map.scripts))
        .map(String::as_str)
        .collect();
    all.sort_unstable();
    all.dedup();
    let names: Vec<String> = all.into_iter().map(str::to_owned).collect();
    map.label_names = names.clone();
    let number = |labels: &[String]| -> Vec<u32> {
        let mut ids: Vec<u32> = labels
            .iter()
            .filter_map(|name| names.binary_search(name).ok())
            .map(|i| i as u32)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let merge = |into: &mut Vec<u32>, from: &[u32]| {
        if from.iter().all(|l| into.binary_search(l).is_ok()) {
            return;
        }
        into.extend_from_slice(from);
        into.sort_unstable();
        into.dedup();
    };
    let mut declared: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut walks: Vec<(Option<RevIdx>, Vec<u32>)> = Vec::new();
    for l in loaded {
        if l.labels(&map.scripts).is_empty() {
            continue;
        }
        let ids = number(l.labels(&map.scripts));
        if l.shadowed {
            // A shadowed duplicate has no children; its parent chain still gets the labels.
            let start = match l.down(&map.scripts) {
                [one] => map.find(one),
                _ => None,
            };
            walks.push((start, ids));
        } else {
            merge(&mut declared[l.idx], &ids);
            // Is the descendant subgraph a clean chain?
            let mut x = l.idx;
            let clean = loop {
                if map.is_real_branch_point(x) || map.is_merge_point(x) {
                    break false;
                }
                match map.children[x].as_slice() {
                    [] => break true,
                    [c] => x = *c,
                    _ => break false,
                }
            };
            if clean {
                let below = match map.down[l.idx].as_slice() {
                    [one] => Some(*one),
                    _ => None,
                };
                walks.push((below, ids));
            }
        }
    }
    // Descendants: parents before children. A revision with one parent and
    // no label of its own shares its parent's set instead of copying it.
    for &x in topo {
        let own = std::mem::take(&mut declared[x]);
        let parents = distinct(&map.down[x]);
        let inherited: Arc<[u32]> = match parents.as_ref() {
            [one] if own.is_empty() => Arc::clone(&map.labels[*one]),
            _ if own.is_empty() && parents.iter().all(|p| map.labels[*p].is_empty()) => {
                Arc::clone(&map.labels[x])
            }
            _ => {
                let mut set = own;
                for p in parents.iter() {
                    merge(&mut set, &map.labels[*p]);
                }
                Arc::from(set)
            }
        };
        map.labels[x] = inherited;
    }
    for (start, ids) in walks {
        let mut p = start;
        while let Some(x) = p {
            if map.is_real_branch_point(x) || map.is_merge_point(x) {
                break;
            }
            if !ids.iter().all(|l| map.labels[x].binary_search(l).is_ok()) {
                let mut set = map.labels[x].to_vec();
                merge(&mut set, &ids);
                map.labels[x] = Arc::from(set);
            }
            p = match map.down[x].as_slice() {
                [one] => Some(*one),
                _ => None,
            };
        }
    }
}
