//! Identifier resolution (`_resolve_revision_number`, `get_revisions`,
//! `get_revision`, `_revision_for_ident`, `_resolve_branch`,
//! `filter_for_lineage`, `_walk`) and the CLI message rewriting of
//! `ScriptDirectory._catch_revision_errors`.

use super::{RevIdx, RevisionError, RevisionMap};

/// Alembic's exception classes, before `_catch_revision_errors` rewrites them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum RErr {
    /// `ResolutionError` with its `argument`.
    Resolution(String),
    /// `MultipleHeads` with its `argument`.
    MultipleHeads(String),
    /// `RangeNotAncestorError(lower, upper)`.
    RangeNotAncestor(String, String),
    /// Any other `RevisionError`, with its message.
    Other(String),
    /// Where Alembic crashes with a traceback (AssertionError, AttributeError…).
    Crash(String),
}

/// What `get_revisions` yields: a revision, the string `"base"` (walking one
/// step past a root) or `None` (walking further, or `get_revision("base")`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Node {
    Rev(RevIdx),
    Base,
    Nothing,
}

impl RErr {
    /// `_catch_revision_errors(start=…, end=…)`.
    pub(super) fn to_cli(&self, start: Option<&str>, end: Option<&str>) -> RevisionError {
        let plain = |message: String| RevisionError {
            message,
            crash: false,
        };
        match self {
            RErr::Resolution(arg) => plain(format!("Can't locate revision identified by '{arg}'")),
            RErr::MultipleHeads(arg) => {
                let head_arg = end.filter(|e| !e.is_empty()).unwrap_or(arg);
                plain(format!(
                    "Multiple head revisions are present for given argument '{head_arg}'; \
                     please specify a specific target revision, '<branchname>@{head_arg}' to \
                     narrow to a specific head, or 'heads' for all heads"
                ))
            }
            RErr::RangeNotAncestor(lower, upper) => plain(format!(
                "Requested range {}:{} does not refer to ancestor/descendant revisions along the same branch",
                start.unwrap_or(lower),
                end.unwrap_or(upper)
            )),
            RErr::Other(m) => plain(m.clone()),
            RErr::Crash(m) => RevisionError {
                message: m.clone(),
                crash: true,
            },
        }
    }
}

/// `_resolve_revision_number`'s result: already-resolved heads, literal ids, branch.
pub(super) type Resolved = (Vec<RevIdx>, Vec<String>, Option<String>);

fn truthy(b: Option<&str>) -> Option<&str> {
    b.filter(|s| !s.is_empty())
}

impl RevisionMap {
    /// Every map key matching a partial identifier: ids (load order) then labels.
    fn partial_candidates(&self, prefix: &str) -> Vec<(String, RevIdx)> {
        let ids = self
            .scripts
            .iter()
            .enumerate()
            .map(|(i, s)| (s.revision.as_str(), i));
        let labels = self.label_keys.iter().map(|(l, i)| (l.as_str(), *i));
        ids.chain(labels)
            .filter(|(k, _)| k.chars().count() > 3 && k.starts_with(prefix))
            .map(|(k, i)| (k.to_string(), i))
            .collect()
    }

    /// Exact key lookup: revision ids, then branch labels.
    fn exact_key(&self, key: &str) -> Option<RevIdx> {
        self.find(key).or_else(|| self.find_label(key))
    }

    /// `_resolve_revision_number`: split `branch@`, expand `heads`/`head`/`base`.
    pub(super) fn resolve_number(&self, ident: &str) -> Result<Resolved, RErr> {
        let (branch, id) = match ident.split_once('@') {
            Some((b, rest)) => (Some(b.to_string()), rest),
            None => (None, ident),
        };
        match id {
            "heads" => match truthy(branch.as_deref()) {
                Some(b) => {
                    let heads = self.filter_for_lineage(&self.heads, b)?;
                    Ok((heads, Vec::new(), branch))
                }
                None => Ok((self.real_heads.clone(), Vec::new(), branch)),
            },
            "head" => {
                let h = self.current_head(truthy(branch.as_deref()))?;
                Ok((h.into_iter().collect(), Vec::new(), branch))
            }
            "base" => Ok((Vec::new(), Vec::new(), branch)),
            other => Ok((Vec::new(), vec![other.to_string()], branch)),
        }
    }

    /// `get_current_head(branch)`: the single versioned head (of the branch).
    fn current_head(&self, branch: Option<&str>) -> Result<Option<RevIdx>, RErr> {
        let heads = match branch {
            Some(b) => self.filter_for_lineage(&self.heads, b)?,
            None => self.heads.clone(),
        };
        if heads.len() > 1 {
            return Err(RErr::MultipleHeads(match branch {
                Some(b) => format!("{b}@head"),
                None => "head".to_string(),
            }));
        }
        Ok(heads.first().copied())
    }

    /// `filter_for_lineage(targets, check_against)` on versioned edges.
    pub(super) fn filter_for_lineage(
        &self,
        targets: &[RevIdx],
        check_against: &str,
    ) -> Result<Vec<RevIdx>, RErr> {
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let (resolved, ids, branch) = self.resolve_number(check_against)?;
        let mut tests: Vec<RevIdx> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        if let Some(b) = truthy(branch.as_deref()) {
            names.push(b.to_string());
        }
        names.extend(resolved.iter().map(|&i| self.id(i).to_string()));
        names.extend(ids);
        if names.is_empty() {
            return Ok(targets.to_vec());
        }
        for n in &names {
            if let Some(i) = self.revision_for_ident(n, None)? {
                tests.push(i);
            }
        }
        Ok(targets
            .iter()
            .copied()
            .filter(|&t| self.shares_lineage(t, &tests))
            .collect())
    }

    /// `_shares_lineage` without dependencies.
    fn shares_lineage(&self, target: RevIdx, tests: &[RevIdx]) -> bool {
        let up = self.ancestors_versioned(target);
        let down = self.descendants_versioned(target);
        tests.iter().any(|&t| up.contains(t) || down.contains(t))
    }

    /// `_resolve_branch`.
    fn resolve_branch(&self, branch: &str) -> Result<Option<RevIdx>, RErr> {
        if let Some(i) = self.exact_key(branch) {
            return Ok(Some(i));
        }
        match self.revision_for_ident(branch, None) {
            Err(RErr::Resolution(_)) => Err(RErr::Resolution(branch.to_string())),
            other => other,
        }
    }

    /// `_revision_for_ident(id, check_branch)`.
    pub(super) fn revision_for_ident(
        &self,
        id: &str,
        branch: Option<&str>,
    ) -> Result<Option<RevIdx>, RErr> {
        let branch = truthy(branch);
        let branch_rev = match branch {
            Some(b) => self.resolve_branch(b)?,
            None => None,
        };
        let revision = match self.exact_key(id) {
            Some(i) => i,
            None => {
                if id.is_empty() {
                    return Err(RErr::Crash(
                        "an empty revision identifier cannot be resolved (Alembic fails with an AssertionError here)"
                            .to_string(),
                    ));
                }
                let mut cands = self.partial_candidates(id);
                if let (Some(b), Some(_)) = (branch, branch_rev) {
                    let idxs: Vec<RevIdx> = cands.iter().map(|c| c.1).collect();
                    let keep = self.filter_for_lineage(&idxs, b)?;
                    cands.retain(|c| keep.contains(&c.1));
                }
                match cands.as_slice() {
                    [one] => one.1,
                    _ => return Err(RErr::Resolution(id.to_string())),
                }
            }
        };
        if let (Some(_), Some(b)) = (branch, branch_rev)
            && !self.shares_lineage(revision, &[b])
        {
            return Err(RErr::Resolution(id.to_string()));
        }
        Ok(Some(revision))
    }

    /// `get_revisions(ident)` for one string.
    pub(super) fn get_revisions(&self, ident: &str) -> Result<Vec<Node>, RErr> {
        let (resolved, ids, branch) = self.resolve_number(ident)?;
        if resolved.is_empty()
            && let [only] = ids.as_slice()
            && let Some(n) = crate::python::int(only)
            && n < 0
        {
            let mut heads = self.real_heads.clone();
            if let Some(b) = branch.as_deref() {
                heads.retain(|&h| self.labels(h).contains(&b));
            }
            return heads
                .into_iter()
                .map(|h| self.walk_steps(Node::Rev(h), n, None, true))
                .collect();
        }
        let mut out: Vec<Node> = resolved.into_iter().map(Node::Rev).collect();
        for id in &ids {
            out.push(match self.revision_for_ident(id, branch.as_deref())? {
                Some(i) => Node::Rev(i),
                None => Node::Nothing,
            });
        }
        Ok(out)
    }

    /// `get_revisions(tuple)`: each element resolved on its own.
    pub(super) fn get_revisions_all(&self, idents: &[String]) -> Result<Vec<Node>, RErr> {
        let mut out = Vec::new();
        for i in idents {
            out.extend(self.get_revisions(i)?);
        }
        Ok(out)
    }

    /// `get_revision(ident)`: at most one revision.
    pub(super) fn get_revision(&self, ident: &str) -> Result<Option<RevIdx>, RErr> {
        let (resolved, ids, branch) = self.resolve_number(ident)?;
        if resolved.len() + ids.len() > 1 {
            return Err(RErr::MultipleHeads(ident.to_string()));
        }
        if let Some(&r) = resolved.first() {
            return self.revision_for_ident(self.id(r), branch.as_deref());
        }
        match ids.first() {
            Some(id) => self.revision_for_ident(id, branch.as_deref()),
            None => {
                if let Some(b) = truthy(branch.as_deref()) {
                    self.resolve_branch(b)?;
                }
                Ok(None)
            }
        }
    }

    /// `_walk(start, steps, branch_label, no_overwalk)`.
    pub(super) fn walk_steps(
        &self,
        start: Node,
        steps: i64,
        branch: Option<&str>,
        no_overwalk: bool,
    ) -> Result<Node, RErr> {
        let mut initial = start;
        let mut remaining = steps.unsigned_abs();
        while remaining > 0 {
            remaining -= 1;
            let children: Vec<Node> = if steps > 0 {
                let up: Vec<RevIdx> = match initial {
                    Node::Base => {
                        return Err(RErr::Crash(
                            "cannot walk up from 'base' (Alembic fails with an AssertionError here)"
                                .to_string(),
                        ));
                    }
                    Node::Nothing => self.bases.clone(),
                    Node::Rev(i) => self.children(i),
                };
                let up = match truthy(branch) {
                    Some(b) => self.filter_for_lineage(&up, b)?,
                    None => up,
                };
                up.into_iter().map(Node::Rev).collect()
            } else {
                match initial {
                    Node::Base => Vec::new(),
                    Node::Nothing => self.heads.iter().copied().map(Node::Rev).collect(),
                    Node::Rev(i) => {
                        let down: Vec<Node> =
                            self.parents(i).iter().copied().map(Node::Rev).collect();
                        if down.is_empty() {
                            vec![Node::Base]
                        } else {
                            down
                        }
                    }
                }
            };
            match children.as_slice() {
                [] => return Ok(if no_overwalk { Node::Nothing } else { initial }),
                [one] => initial = *one,
                _ => return Err(RErr::Other("Ambiguous walk".to_string())),
            }
        }
        Ok(initial)
    }

    /// `ScriptDirectory.get_revisions` as the CLI sees it (`show REV`): the
    /// revisions, and the error that ends them. Where a `-N` walks past the
    /// base, Alembic's `show` prints the revisions before the non-revision
    /// it got and then crashes on it: those come back with the error.
    pub(super) fn resolve_cli(&self, ident: &str) -> (Vec<RevIdx>, Option<RevisionError>) {
        let nodes = match self.get_revisions(ident) {
            Ok(nodes) => nodes,
            Err(e) => return (Vec::new(), Some(e.to_cli(None, None))),
        };
        let mut revs = Vec::with_capacity(nodes.len());
        for node in nodes {
            match node {
                Node::Rev(i) => revs.push(i),
                _ => {
                    let error = RevisionError {
                        message: format!(
                            "'{ident}' walks past the base of the history (Alembic crashes with an AttributeError here)"
                        ),
                        crash: true,
                    };
                    return (revs, Some(error));
                }
            }
        }
        (revs, None)
    }
}
