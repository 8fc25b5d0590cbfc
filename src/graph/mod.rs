//! Stage 3: Alembic's revision map (`alembic/script/revision.py`), rebuilt
//! from [`Script`]s: heads, real heads, bases, branch and merge points, branch
//! labels with inheritance, `depends_on` normalisation, identifier resolution,
//! history order (`_topological_sort`) and the upgrade plan. Every walk is
//! iterative, so a 100,000-long chain cannot overflow the stack.

use crate::scripts::Script;

/// Index of a revision in load order.
pub type RevIdx = usize;

/// Alembic's revision map.
#[derive(Debug, Clone)]
pub struct RevisionMap {
    scripts: Vec<Script>,
}

/// A map-construction failure, with Alembic's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct GraphError {
    /// Alembic's exact message (e.g. `Cycle is detected in revisions (a, b)`).
    pub message: String,
    /// What kind of failure this is.
    pub kind: GraphErrorKind,
}

/// Kinds of [`GraphError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphErrorKind {
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
        let _ = scripts;
        todo!("RevisionMap::build")
    }

    /// Number of revisions in the map (duplicates shadowed by a later file count once).
    pub fn len(&self) -> usize {
        self.scripts.len()
    }

    /// True when there are no revisions.
    pub fn is_empty(&self) -> bool {
        self.scripts.is_empty()
    }

    /// The script of a revision.
    pub fn script(&self, idx: RevIdx) -> &Script {
        &self.scripts[idx]
    }

    /// Exact id lookup.
    pub fn find(&self, id: &str) -> Option<RevIdx> {
        let _ = id;
        todo!()
    }

    /// `heads`: revisions with no versioned child, load order (what `alembic heads` lists).
    pub fn heads(&self) -> Vec<RevIdx> {
        todo!()
    }

    /// `_real_heads`: revisions with no child at all, dependencies included.
    pub fn real_heads(&self) -> Vec<RevIdx> {
        todo!()
    }

    /// `bases`: revisions whose `down_revision` is None, load order.
    pub fn bases(&self) -> Vec<RevIdx> {
        todo!()
    }

    /// Whether a revision is a versioned branch point (≥ 2 versioned children).
    pub fn is_branch_point(&self, idx: RevIdx) -> bool {
        let _ = idx;
        todo!()
    }

    /// Whether a revision is a merge point (≥ 2 versioned parents).
    pub fn is_merge_point(&self, idx: RevIdx) -> bool {
        let _ = idx;
        todo!()
    }

    /// Branch labels after inheritance, sorted (Alembic's set order is hash-random).
    pub fn labels(&self, idx: RevIdx) -> Vec<&str> {
        let _ = idx;
        todo!()
    }

    /// Versioned parents (`down_revision`) as indices, in written order.
    pub fn parents(&self, idx: RevIdx) -> &[RevIdx] {
        let _ = idx;
        todo!()
    }

    /// Versioned children, sorted by load order.
    pub fn children(&self, idx: RevIdx) -> Vec<RevIdx> {
        let _ = idx;
        todo!()
    }

    /// All ancestors via normalized down revisions (versioned + dependencies), including `idx`.
    pub fn ancestors(&self, idx: RevIdx) -> Vec<RevIdx> {
        let _ = idx;
        todo!()
    }

    /// `get_revisions(ident)`: resolve an identifier (id, unique prefix, label,
    /// `label@rev`, `head`, `heads`, `base`, `-N`) as Alembic's CLI does.
    pub fn resolve(&self, ident: &str) -> Result<Vec<RevIdx>, RevisionError> {
        let _ = ident;
        todo!()
    }

    /// `walk_revisions(base, head)`: the revisions `alembic history -r base:head`
    /// prints, in its order (newest first). `None` sides mean `base` / `heads`.
    pub fn history(
        &self,
        base: Option<&str>,
        head: Option<&str>,
    ) -> Result<Vec<RevIdx>, RevisionError> {
        let _ = (base, head);
        todo!()
    }

    /// What `alembic upgrade heads` would run from these version-table rows,
    /// in execution order (oldest first). Unknown rows are an error with
    /// Alembic's `Can't locate revision identified by '…'`.
    pub fn upgrade_plan(&self, rows: &[String]) -> Result<Vec<RevIdx>, RevisionError> {
        let _ = rows;
        todo!()
    }

    /// What `alembic current` lists for these rows (`get_all_current`), in a
    /// stable order (load order; Alembic's own order is random).
    pub fn current(&self, rows: &[String]) -> Result<Vec<RevIdx>, RevisionError> {
        let _ = rows;
        todo!()
    }
}
