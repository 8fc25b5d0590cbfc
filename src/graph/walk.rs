//! History and upgrade walks: `_iterate_related_revisions` (with the overlap
//! check), `_topological_sort`, `_parse_upgrade_target` (relative bounds),
//! `_collect_upgrade_revisions`, `walk_revisions`, the upgrade plan and
//! `get_all_current`.

use super::resolve::{Node, RErr};
use super::{BitSet, RevIdx, RevisionError, RevisionMap};

/// One side of a history range: a string as typed, or the version-table rows
/// that replaced the literal `current` (Alembic passes them as a tuple).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bound {
    /// An identifier string (`base`, `heads`, `ae10+1`, `label@head`, …).
    Ident(String),
    /// Version-table rows (non-empty; an empty tuple means the default side).
    Rows(Vec<String>),
}

impl Bound {
    /// How Alembic formats the bound with `%s` in error messages (a tuple's repr for rows).
    pub(crate) fn display(&self) -> String {
        match self {
            Bound::Ident(s) => s.clone(),
            Bound::Rows(rows) => {
                let items: Vec<String> = rows.iter().map(|r| format!("'{r}'")).collect();
                if items.len() == 1 {
                    format!("({},)", items.join(""))
                } else {
                    format!("({})", items.join(", "))
                }
            }
        }
    }

    fn strings(&self) -> Vec<String> {
        match self {
            Bound::Ident(s) => vec![s.clone()],
            Bound::Rows(r) => r.clone(),
        }
    }
}

/// `_relative_destination = r"(?:(.+?)@)?(\w+)?((?:\+|-)\d+)"` with `re.match`
/// (anchored at the start only; `\d` is any Unicode decimal digit). Returns (branch, symbol, signed number text).
pub(super) fn relative_match(s: &str) -> Option<(Option<String>, Option<String>, String)> {
    fn rest(t: &str) -> Option<(Option<String>, String)> {
        let word_end = t
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
            .map_or(t.len(), |(i, _)| i);
        let after = &t[word_end..];
        let sign = after.chars().next().filter(|c| *c == '+' || *c == '-')?;
        let digits: String = after[1..]
            .chars()
            .take_while(|c| crate::python::is_decimal(*c))
            .collect();
        if digits.is_empty() {
            return None;
        }
        let symbol = (word_end > 0).then(|| t[..word_end].to_string());
        Some((symbol, format!("{sign}{digits}")))
    }
    // `(.+?)@` is tried first, shortest branch first; then without a branch.
    for (i, c) in s.char_indices() {
        if c == '\n' {
            break;
        }
        if c == '@'
            && i > 0
            && let Some((symbol, rel)) = rest(&s[i + 1..])
        {
            return Some((Some(s[..i].to_string()), symbol, rel));
        }
    }
    rest(s).map(|(symbol, rel)| (None, symbol, rel))
}

fn rev_nodes(nodes: &[Node], what: &str) -> Result<Vec<RevIdx>, RErr> {
    nodes
        .iter()
        .map(|n| match n {
            Node::Rev(i) => Ok(*i),
            _ => Err(RErr::Crash(format!(
                "{what} walks past the base of the history (Alembic crashes with an AssertionError here)"
            ))),
        })
        .collect()
}

impl RevisionMap {
    /// `_iterate_related_revisions(fn, targets, check)`: the closure, and with
    /// `check` the "overlaps" error when one target reaches another.
    fn related(
        &self,
        targets: &[RevIdx],
        edges: &[Vec<RevIdx>],
        check: bool,
    ) -> Result<BitSet, RErr> {
        let n = self.len();
        let mut seen = BitSet::new(n);
        let mut is_target = BitSet::new(n);
        for &t in targets {
            is_target.insert(t);
        }
        let mut stack: Vec<RevIdx> = Vec::new();
        for &t in targets {
            stack.push(t);
            let mut overlaps: Vec<RevIdx> = Vec::new();
            while let Some(x) = stack.pop() {
                if check && x != t && is_target.contains(x) && !overlaps.contains(&x) {
                    overlaps.push(x);
                }
                if !seen.insert(x) {
                    continue;
                }
                if let Some(next) = edges.get(x) {
                    stack.extend(next.iter().copied());
                }
            }
            if !overlaps.is_empty() {
                overlaps.sort_unstable();
                let others: Vec<&str> = overlaps.iter().map(|&o| self.id(o)).collect();
                return Err(RErr::Other(format!(
                    "Requested revision {} overlaps with other requested revisions {}",
                    self.id(t),
                    others.join(", ")
                )));
            }
        }
        Ok(seen)
    }

    /// `_topological_sort(todo, heads)`: Alembic's history order, newest first.
    ///
    /// Alembic keeps the ancestor set of every pending head and, before it
    /// emits a candidate, scans those sets for the first other head that
    /// still has the candidate as an ancestor; it recomputes a set (a walk
    /// to the root) at every merge point or dependency. That is
    /// O(n) per step and took minutes at 100,000 revisions. Here the same
    /// question is answered by walking *up* from the candidate (children
    /// along the normalised edges) to the pending heads, skipping
    /// revisions already emitted and revisions below none of the starting
    /// heads. That is exact: an emitted revision is never an ancestor of a
    /// pending or later head (heads only move down to parents, and a
    /// revision is emitted only when no other head has it as an ancestor),
    /// and for a revision not yet emitted Alembic's maintained sets equal
    /// its true ancestor sets (they are recomputed whenever they would not
    /// be, and otherwise lose only the emitted candidate). Same order, with
    /// the walk touching only revisions still pending.
    pub(super) fn topo_sort(&self, todo: &BitSet, heads: &[RevIdx]) -> Result<Vec<RevIdx>, RErr> {
        let n = self.len();
        let mut todo = todo.clone();
        let mut cur: Vec<RevIdx> = heads
            .iter()
            .copied()
            .filter(|&h| todo.contains(h))
            .collect();
        cur.sort_unstable();
        cur.dedup();
        // Every pending head, now or later, lies below the starting heads.
        let below_heads = self.closure(&cur, &self.norm_down);
        let up = Reverse::of(&self.norm_down, n);
        let mut emitted = BitSet::new(n);
        let mut in_cur = BitSet::new(n);
        for &c in &cur {
            in_cur.insert(c);
        }
        let mut walk = UpWalk::new(n);
        let mut out = Vec::new();
        let mut idx = 0usize;
        while let Some(&cand) = cur.get(idx) {
            if walk.reaches_other_head(cand, &up, &emitted, &below_heads, &in_cur)
                && let Some(j) = (0..cur.len()).find(|&k| k != idx && walk.reached(cur[k]))
            {
                idx = j;
                continue;
            }
            emitted.insert(cand);
            if todo.contains(cand) {
                out.push(cand);
                todo.remove(cand);
            }
            let add: Vec<RevIdx> = self
                .normalized_down(cand)
                .iter()
                .copied()
                .filter(|d| todo.contains(*d) && !in_cur.contains(*d))
                .collect();
            in_cur.remove(cand);
            match add.split_first() {
                None => {
                    cur.remove(idx);
                    idx = idx.saturating_sub(1);
                }
                Some((&first, rest)) => {
                    in_cur.insert(first);
                    cur[idx] = first;
                    for &a in rest {
                        cur.push(a);
                        in_cur.insert(a);
                    }
                }
            }
        }
        if !todo.is_empty() {
            return Err(RErr::Crash(
                "the requested range cannot be walked from any head (it is reachable only \
                 through a depends_on edge); Alembic fails here with an AssertionError"
                    .to_string(),
            ));
        }
        Ok(out)
    }

    /// `_parse_upgrade_target(current_revisions=lower, target=upper)`.
    fn parse_upgrade_target(
        &self,
        lower: &Bound,
        upper: &Bound,
        assert_relative_length: bool,
    ) -> Result<Vec<Node>, RErr> {
        let matched = match upper {
            Bound::Ident(s) => relative_match(s),
            Bound::Rows(_) => None,
        };
        let Some((branch, symbol, rel_str)) = matched else {
            return match upper {
                Bound::Ident(s) => self.get_revisions(s),
                Bound::Rows(r) => self.get_revisions_all(r),
            };
        };
        let relative = crate::python::int(&rel_str).unwrap_or(0);
        let didnt = |shown: &str| {
            RErr::Other(format!(
                "Relative revision {shown} didn't produce {} migrations",
                relative.unsigned_abs()
            ))
        };
        if relative > 0 {
            let start = match &symbol {
                Some(sym) => self.get_revision(sym)?.map_or(Node::Nothing, Node::Rev),
                None => {
                    let current = lower.strings();
                    let starts: Vec<Node> = match branch.as_deref().filter(|b| !b.is_empty()) {
                        None => {
                            if current.is_empty() {
                                vec![Node::Nothing]
                            } else {
                                let mut v = Vec::new();
                                for c in &current {
                                    v.push(self.get_revision(c)?.map_or(Node::Nothing, Node::Rev));
                                }
                                v
                            }
                        }
                        Some(b) => {
                            let revs =
                                rev_nodes(&self.get_revisions_all(&current)?, "the lower bound")?;
                            let on_branch = self.filter_for_lineage(&revs, b)?;
                            if !on_branch.is_empty() {
                                on_branch.into_iter().map(Node::Rev).collect()
                            } else {
                                let anc = self.related(&revs, &self.norm_down, false)?;
                                let anc: Vec<RevIdx> = anc.iter().collect();
                                let active = self.filter_for_lineage(&anc, b)?;
                                let mut below = BitSet::new(self.len());
                                for &a in &active {
                                    for &d in self.normalized_down(a) {
                                        below.insert(d);
                                    }
                                }
                                let tips: Vec<Node> = active
                                    .into_iter()
                                    .filter(|a| !below.contains(*a))
                                    .map(Node::Rev)
                                    .collect();
                                if tips.is_empty() {
                                    vec![Node::Nothing]
                                } else {
                                    tips
                                }
                            }
                        }
                    };
                    if starts.len() > 1 {
                        return Err(RErr::Other(
                            "Ambiguous upgrade from multiple current revisions".to_string(),
                        ));
                    }
                    starts.first().copied().unwrap_or(Node::Nothing)
                }
            };
            let rev =
                self.walk_steps(start, relative, branch.as_deref(), assert_relative_length)?;
            if symbol.is_none() && rev == Node::Nothing {
                return Err(didnt(&rel_str));
            }
            Ok(vec![rev])
        } else {
            let Some(sym) = symbol else {
                return Err(didnt(&relative.to_string()));
            };
            let start = match &branch {
                None => self.get_revision(&sym)?,
                Some(b) => self.get_revision(&format!("{b}@{sym}"))?,
            };
            let start = start.map_or(Node::Nothing, Node::Rev);
            Ok(vec![self.walk_steps(
                start,
                relative,
                None,
                assert_relative_length,
            )?])
        }
    }

    /// `_collect_upgrade_revisions`: the set to sort and the heads to sort from.
    fn collect_upgrade(
        &self,
        upper: &Bound,
        lower: &Bound,
        inclusive: bool,
        implicit_base: bool,
        assert_relative_length: bool,
    ) -> Result<(BitSet, Vec<RevIdx>), RErr> {
        let targets = self.parse_upgrade_target(lower, upper, assert_relative_length)?;
        let mut targets = rev_nodes(&targets, "the upper bound")?;
        if let Bound::Ident(l) = lower
            && let Some((branch, _)) = l.split_once('@')
        {
            let mut branch = branch.to_string();
            if let Some(b) = self.get_revision(&branch)?
                && self.id(b) == branch
            {
                match self.labels(b).as_slice() {
                    [one] => branch = (*one).to_string(),
                    _ => {
                        return Err(RErr::Crash(format!(
                            "revision {branch} used as a branch name must carry exactly one branch label \
                             (Alembic fails with an AssertionError here)"
                        )));
                    }
                }
            }
            targets.retain(|&t| self.labels(t).contains(&branch.as_str()));
        }
        let mut required = self.related(&targets, &self.norm_down, true)?;
        for &t in &targets {
            required.insert(t);
        }
        let current_nodes = match lower {
            Bound::Ident(s) => self.get_revisions(s)?,
            Bound::Rows(r) => self.get_revisions_all(r)?,
        };
        if !implicit_base
            && current_nodes.iter().any(|n| match n {
                Node::Rev(i) => !required.contains(*i),
                Node::Base => true,
                Node::Nothing => false,
            })
        {
            return Err(RErr::RangeNotAncestor(lower.display(), upper.display()));
        }
        let current = rev_nodes(&current_nodes, "the lower bound")?;
        let mut have = self.related(&current, &self.norm_down, true)?;
        for &c in &current {
            have.insert(c);
        }
        let mut needs = BitSet::new(self.len());
        for r in required.iter().filter(|r| !have.contains(*r)) {
            needs.insert(r);
        }
        if inclusive {
            for &c in &current {
                needs.insert(c);
            }
        }
        if !current.is_empty() && !implicit_base {
            let below = self.related(&current, &self.children, true)?;
            let kept: Vec<RevIdx> = needs.iter().filter(|x| below.contains(*x)).collect();
            needs = BitSet::new(self.len());
            for k in kept {
                needs.insert(k);
            }
        }
        Ok((needs, targets))
    }

    /// `ScriptDirectory.walk_revisions(base=lower, head=upper)`: history order.
    pub fn walk_revisions(
        &self,
        lower: &Bound,
        upper: &Bound,
    ) -> Result<Vec<RevIdx>, RevisionError> {
        let start = lower.display();
        let end = upper.display();
        let ctx = |e: RErr| e.to_cli(Some(&start), Some(&end));
        let (needs, targets) = self
            .collect_upgrade(upper, lower, true, false, false)
            .map_err(ctx)?;
        self.topo_sort(&needs, &targets).map_err(ctx)
    }

    pub(super) fn upgrade_plan_impl(&self, rows: &[String]) -> Result<Vec<RevIdx>, RevisionError> {
        let ctx = |e: RErr| e.to_cli(None, Some("heads"));
        let (needs, targets) = self
            .collect_upgrade(
                &Bound::Ident("heads".to_string()),
                &Bound::Rows(rows.to_vec()),
                false,
                true,
                true,
            )
            .map_err(ctx)?;
        let mut order = self.topo_sort(&needs, &targets).map_err(ctx)?;
        order.reverse();
        Ok(order)
    }

    pub(super) fn current_impl(&self, rows: &[String]) -> Result<Vec<RevIdx>, RevisionError> {
        let ctx = |e: RErr| e.to_cli(None, None);
        let nodes = self.get_revisions_all(rows).map_err(ctx)?;
        let revs = rev_nodes(&nodes, "a version-table row").map_err(ctx)?;
        let top = self.related(&revs, &self.norm_down, false).map_err(ctx)?;
        // A node stays when no versioned descendant of it is in `top`: mark
        // every strict versioned ancestor of a member.
        let mut covered = BitSet::new(self.len());
        let mut stack: Vec<RevIdx> = Vec::new();
        for t in top.iter() {
            stack.extend(self.parents(t).iter().copied());
        }
        while let Some(x) = stack.pop() {
            if covered.insert(x) {
                stack.extend(self.parents(x).iter().copied());
            }
        }
        Ok(top.iter().filter(|t| !covered.contains(*t)).collect())
    }
}

/// The reverse of an edge list (children along normalised edges), packed in
/// one array: no allocation per revision.
struct Reverse {
    start: Vec<u32>,
    to: Vec<u32>,
}

impl Reverse {
    fn of(edges: &[Vec<RevIdx>], n: usize) -> Reverse {
        let mut start = vec![0u32; n + 1];
        for e in edges {
            for &p in e {
                start[p + 1] += 1;
            }
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut to = vec![0u32; start[n] as usize];
        for (c, e) in edges.iter().enumerate() {
            for &p in e {
                to[fill[p] as usize] = c as u32;
                fill[p] += 1;
            }
        }
        Reverse { start, to }
    }

    fn of_node(&self, x: RevIdx) -> &[u32] {
        &self.to[self.start[x] as usize..self.start[x + 1] as usize]
    }
}

/// The upward walk of [`RevisionMap::topo_sort`], with its visited marks
/// kept between calls (a generation number instead of clearing a set).
struct UpWalk {
    mark: Vec<u32>,
    generation: u32,
    stack: Vec<RevIdx>,
}

impl UpWalk {
    fn new(n: usize) -> UpWalk {
        UpWalk {
            mark: vec![0; n],
            generation: 0,
            stack: Vec::new(),
        }
    }

    /// Walk up from `from` through revisions not yet emitted and below the
    /// starting heads; true when a pending head other than `from` is reached
    /// ([`UpWalk::reached`] then says which).
    fn reaches_other_head(
        &mut self,
        from: RevIdx,
        up: &Reverse,
        emitted: &BitSet,
        below_heads: &BitSet,
        in_cur: &BitSet,
    ) -> bool {
        self.generation += 1;
        let g = self.generation;
        let mut found = false;
        self.stack.clear();
        self.stack.push(from);
        self.mark[from] = g;
        while let Some(x) = self.stack.pop() {
            if x != from && in_cur.contains(x) {
                found = true;
            }
            for &c in up.of_node(x) {
                let c = c as usize;
                if self.mark[c] != g && !emitted.contains(c) && below_heads.contains(c) {
                    self.mark[c] = g;
                    self.stack.push(c);
                }
            }
        }
        found
    }

    /// Whether the last walk reached `x`.
    fn reached(&self, x: RevIdx) -> bool {
        self.mark[x] == self.generation
    }
}
