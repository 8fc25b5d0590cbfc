//! Stage 3: Alembic's revision map (`alembic/script/revision.py`), rebuilt
//! from [`Script`]s: heads, real heads, bases, branch and merge points, branch
//! labels with inheritance, `depends_on` normalisation, identifier resolution,
//! history order (`_topological_sort`) and the upgrade plan. Every walk is
//! iterative, so a 100,000-long chain cannot overflow the stack.
//!
//! Where Alembic iterates a Python `set` (label display, `Branches into`,
//! children, normalised dependencies, `current` lines) the order is
//! hash-random there; here it is sorted (labels, dependencies) or load order
//! (children, `current`), so output is stable.

mod bitset;
mod build;
pub(crate) mod divergence;
mod hash;
mod resolve;
mod walk;

pub(crate) use bitset::BitSet;
use hash::FastMap;
pub use walk::Bound;

use crate::scripts::Script;

/// Index of a revision in load order.
pub type RevIdx = usize;

/// Alembic's revision map.
#[derive(Debug, Clone)]
pub struct RevisionMap {
    /// Map entries in key order (first occurrence of an id); a duplicate id
    /// holds the later file, as Alembic's dict assignment does.
    scripts: Vec<Script>,
    /// id → index.
    index: FastMap<String, RevIdx>,
    /// Branch-label keys in the order they were mapped, with the declaring revision.
    label_keys: Vec<(String, RevIdx)>,
    /// label → declaring revision.
    label_index: FastMap<String, RevIdx>,
    /// `_versioned_down_revisions`, as written.
    down: Vec<Vec<RevIdx>>,
    /// `_resolved_dependencies`, as written.
    deps: Vec<Vec<RevIdx>>,
    /// `_normalized_resolved_dependencies`, sorted by id (Alembic: set order).
    norm_deps: Vec<Vec<RevIdx>>,
    /// `_normalized_down_revisions`: versioned parents then normalised dependencies.
    norm_down: Vec<Vec<RevIdx>>,
    /// `nextrev`: versioned children, load order.
    children: Vec<Vec<RevIdx>>,
    /// `_all_nextrev`: children via any edge, load order.
    all_children: Vec<Vec<RevIdx>>,
    /// Inherited branch labels, as sorted indices into `label_names`. Shared
    /// (`Arc`) along chains: a 100,000-revision tree with thousands of labels
    /// would otherwise hold a copy of a large set per revision.
    labels: Vec<std::sync::Arc<[u32]>>,
    /// Every label name, by number.
    label_names: Vec<String>,
    /// `heads` in load order (a duplicated id may appear twice, as in Alembic).
    heads: Vec<RevIdx>,
    /// `_real_heads` in load order.
    real_heads: Vec<RevIdx>,
    /// `bases` in load order.
    bases: Vec<RevIdx>,
}

/// A map-construction failure, with Alembic's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct GraphError {
    /// Alembic's exact message (e.g. `Cycle is detected in revisions (a, b)`).
    pub(crate) message: String,
    /// What kind of failure this is.
    pub(crate) kind: GraphErrorKind,
}

/// Kinds of [`GraphError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GraphErrorKind {
    /// A `down_revision` or `depends_on` names a revision that does not exist
    /// (Alembic: warning + KeyError traceback, exit 1).
    MissingRevision,
    /// A cycle or self-loop (`Cycle is detected…`, `Self-loop…`, `Dependency cycle…`).
    Cycle,
    /// A branch label already used by another revision or equal to an id.
    LabelClash,
    /// A revision id with a forbidden character (`@ - + :`).
    BadIdentifier,
}

/// A failure to resolve or walk revisions, with Alembic's CLI message
/// (already rewritten as `_catch_revision_errors` does).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RevisionError {
    /// Message as Alembic prints it after `FAILED: `.
    pub message: String,
    /// True where Alembic itself crashes with a traceback (exit 1) instead of `FAILED:` (exit 255).
    pub crash: bool,
}

impl RevisionMap {
    /// Build the map from scripts in load order. Returns the warnings Alembic
    /// would print (duplicate revisions).
    pub fn build(scripts: Vec<Script>) -> Result<(RevisionMap, Vec<String>), GraphError> {
        build::build(scripts)
    }

    /// Number of revisions in the map (duplicates shadowed by a later file count once).
    pub(crate) fn len(&self) -> usize {
        self.scripts.len()
    }

    /// True when there are no revisions.
    pub(crate) fn is_empty(&self) -> bool {
        self.scripts.is_empty()
    }

    /// The script of a revision.
    pub fn script(&self, idx: RevIdx) -> &Script {
        &self.scripts[idx]
    }

    /// The revision id of `idx`.
    pub(crate) fn id(&self, idx: RevIdx) -> &str {
        &self.scripts[idx].revision
    }

    /// Exact id lookup.
    pub fn find(&self, id: &str) -> Option<RevIdx> {
        self.index.get(id).copied()
    }

    /// The revision that declared branch label `label`.
    pub(crate) fn find_label(&self, label: &str) -> Option<RevIdx> {
        self.label_index.get(label).copied()
    }

    /// `heads`: revisions with no versioned child, load order (what `alembic heads` lists).
    /// A duplicated id appears twice, as in Alembic.
    pub fn heads(&self) -> Vec<RevIdx> {
        self.heads.clone()
    }

    /// `_real_heads`: revisions with no child at all, dependencies included.
    pub fn real_heads(&self) -> Vec<RevIdx> {
        self.real_heads.clone()
    }

    /// `bases`: revisions whose `down_revision` is None, load order.
    pub fn bases(&self) -> Vec<RevIdx> {
        self.bases.clone()
    }

    /// `is_head`: no versioned child.
    pub(crate) fn is_head(&self, idx: RevIdx) -> bool {
        self.children.get(idx).is_none_or(|c| c.is_empty())
    }

    /// `_is_real_head`: no child via any edge.
    pub(crate) fn is_real_head(&self, idx: RevIdx) -> bool {
        self.all_children.get(idx).is_none_or(|c| c.is_empty())
    }

    /// Whether a revision is a versioned branch point (≥ 2 versioned children).
    pub fn is_branch_point(&self, idx: RevIdx) -> bool {
        self.children.get(idx).is_some_and(|c| c.len() > 1)
    }

    /// `_is_real_branch_point`: ≥ 2 children counting dependents.
    pub(crate) fn is_real_branch_point(&self, idx: RevIdx) -> bool {
        self.all_children.get(idx).is_some_and(|c| c.len() > 1)
    }

    /// Whether a revision is a merge point (≥ 2 versioned parents).
    pub fn is_merge_point(&self, idx: RevIdx) -> bool {
        self.down.get(idx).is_some_and(|d| d.len() > 1)
    }

    /// Branch labels after inheritance, sorted (Alembic's set order is hash-random).
    pub fn labels(&self, idx: RevIdx) -> Vec<&str> {
        // Label numbers follow name order (see `build::add_branches`).
        self.labels
            .get(idx)
            .into_iter()
            .flat_map(|l| l.iter())
            .filter_map(|&l| self.label_names.get(l as usize).map(String::as_str))
            .collect()
    }

    /// Whether the revision carries any branch label (declared or inherited).
    pub(crate) fn has_labels(&self, idx: RevIdx) -> bool {
        self.labels.get(idx).is_some_and(|l| !l.is_empty())
    }

    /// Versioned parents (`down_revision`) as indices, in written order.
    pub(crate) fn parents(&self, idx: RevIdx) -> &[RevIdx] {
        self.down.get(idx).map_or(&[], Vec::as_slice)
    }

    /// `depends_on` resolved to revisions (labels → declaring revision), as written.
    pub(crate) fn dependencies(&self, idx: RevIdx) -> &[RevIdx] {
        self.deps.get(idx).map_or(&[], Vec::as_slice)
    }

    /// Normalised dependencies (those no versioned ancestor already declares), sorted by id.
    pub fn normalized_dependencies(&self, idx: RevIdx) -> &[RevIdx] {
        self.norm_deps.get(idx).map_or(&[], Vec::as_slice)
    }

    /// `_normalized_down_revisions`: parents then normalised dependencies.
    pub(crate) fn normalized_down(&self, idx: RevIdx) -> &[RevIdx] {
        self.norm_down.get(idx).map_or(&[], Vec::as_slice)
    }

    /// Versioned children, sorted by load order.
    pub(crate) fn children(&self, idx: RevIdx) -> Vec<RevIdx> {
        self.children.get(idx).cloned().unwrap_or_default()
    }

    /// All ancestors via normalized down revisions (versioned + dependencies), including `idx`.
    pub(crate) fn ancestors(&self, idx: RevIdx) -> Vec<RevIdx> {
        self.closure(&[idx], &self.norm_down).iter().collect()
    }

    /// Ancestors (normalised edges, including `idx`) as a bitset.
    pub(crate) fn ancestor_set(&self, idx: RevIdx) -> BitSet {
        self.closure(&[idx], &self.norm_down)
    }

    /// Versioned descendants of `idx`, including it.
    pub(crate) fn descendants_versioned(&self, idx: RevIdx) -> BitSet {
        self.closure(&[idx], &self.children)
    }

    /// Versioned ancestors of `idx`, including it.
    pub(crate) fn ancestors_versioned(&self, idx: RevIdx) -> BitSet {
        self.closure(&[idx], &self.down)
    }

    /// Everything reachable from `starts` along `edges`, starts included.
    fn closure(&self, starts: &[RevIdx], edges: &[Vec<RevIdx>]) -> BitSet {
        let mut seen = BitSet::new(self.len());
        let mut stack: Vec<RevIdx> = starts.to_vec();
        while let Some(x) = stack.pop() {
            if !seen.insert(x) {
                continue;
            }
            if let Some(next) = edges.get(x) {
                stack.extend(next.iter().copied());
            }
        }
        seen
    }

    /// `get_revisions(ident)`: resolve an identifier (id, unique prefix, label,
    /// `label@rev`, `head`, `heads`, `base`, `-N`) as Alembic's CLI does.
    pub fn resolve(&self, ident: &str) -> Result<Vec<RevIdx>, RevisionError> {
        match self.resolve_cli(ident) {
            (revs, None) => Ok(revs),
            (_, Some(e)) => Err(e),
        }
    }

    /// [`RevisionMap::resolve`] for `show`, which prints revisions as it goes:
    /// the revisions Alembic prints, and the error it then fails with (for a
    /// `-N` past the base, after the revisions before it).
    pub(crate) fn resolve_for_show(&self, ident: &str) -> (Vec<RevIdx>, Option<RevisionError>) {
        self.resolve_cli(ident)
    }

    /// `walk_revisions(base, head)`: the revisions `alembic history -r base:head`
    /// prints, in its order (newest first). `None` sides mean `base` / `heads`.
    pub(crate) fn history(
        &self,
        base: Option<&str>,
        head: Option<&str>,
    ) -> Result<Vec<RevIdx>, RevisionError> {
        let lower = Bound::Ident(base.unwrap_or("base").to_string());
        let upper = Bound::Ident(head.unwrap_or("heads").to_string());
        self.walk_revisions(&lower, &upper)
    }

    /// What `alembic upgrade heads` would run from these version-table rows,
    /// in execution order (oldest first). Unknown rows are an error with
    /// Alembic's `Can't locate revision identified by '…'`.
    pub fn upgrade_plan(&self, rows: &[String]) -> Result<Vec<RevIdx>, RevisionError> {
        self.upgrade_plan_impl(rows)
    }

    /// What `alembic current` lists for these rows (`get_all_current`), in a
    /// stable order (load order; Alembic's own order is random).
    pub fn current(&self, rows: &[String]) -> Result<Vec<RevIdx>, RevisionError> {
        self.current_impl(rows)
    }
}

#[cfg(test)]
mod tests;
