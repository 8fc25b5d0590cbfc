//! Revision files built in memory for unit tests, and the revision map built
//! from them: `map([rev("a"), rev("b").down(&["a"]).labels(&["x"])])`.
//!
//! Unless told otherwise, a built script lives at `/proj/versions/<id>_x.py`,
//! declares `revision` on line 10 and `down_revision`, `branch_labels` and
//! `depends_on` on the three lines after it, and its docstring is its id (so
//! expected paths and lines in assertions are the same in every module).

use std::path::PathBuf;

use crate::graph::{RevIdx, RevisionMap};
use crate::scripts::{DocstringClaims, FieldLines, Script};

/// A revision file being described; [`Rev::build`] makes it.
#[derive(Debug, Clone)]
pub(crate) struct Rev {
    script: Script,
    /// The docstring before `Revision ID:` / `Create Date:` (Alembic's message).
    message: String,
    /// `Create Date:` in the docstring, when set.
    created: Option<String>,
}

/// A base revision `id` with the defaults described in the module docs.
pub(crate) fn rev(id: &str) -> Rev {
    Rev {
        script: Script {
            revision: id.to_string(),
            down_revisions: Vec::new(),
            dependencies: Vec::new(),
            branch_labels: Vec::new(),
            longdoc: String::new(),
            path: PathBuf::from(format!("/proj/versions/{id}_x.py")),
            lines: FieldLines {
                revision: 10,
                down_revision: 11,
                branch_labels: 12,
                depends_on: 13,
            },
            docstring_claims: DocstringClaims::default(),
        },
        message: id.to_string(),
        created: None,
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

impl Rev {
    /// `down_revision` (several ids make a merge).
    pub(crate) fn down(mut self, ids: &[&str]) -> Self {
        self.script.down_revisions = strings(ids);
        self
    }

    /// `depends_on`.
    pub(crate) fn deps(mut self, ids: &[&str]) -> Self {
        self.script.dependencies = strings(ids);
        self
    }

    /// `branch_labels` declared in this file.
    pub(crate) fn labels(mut self, labels: &[&str]) -> Self {
        self.script.branch_labels = strings(labels);
        self
    }

    /// The docstring's text (its first paragraph is Alembic's `doc`).
    pub(crate) fn doc(mut self, text: &str) -> Self {
        self.message = text.to_string();
        self
    }

    /// A `Create Date:` line in the docstring, after `Revision ID:`, as the
    /// template writes them (what divergence analysis orders heads by).
    pub(crate) fn created(mut self, date: &str) -> Self {
        self.created = Some(date.to_string());
        self
    }

    /// Another file path (for duplicates and odd names).
    pub(crate) fn path(mut self, path: &str) -> Self {
        self.script.path = PathBuf::from(path);
        self
    }

    /// What the docstring's `Revision ID:` and `Revises:` lines claim, on lines 3 and 4.
    pub(crate) fn claims(mut self, revision_id: &str, revises: &[&str]) -> Self {
        self.script.docstring_claims = DocstringClaims {
            revision_id: Some((revision_id.to_string(), 3)),
            revises: Some((strings(revises), 4)),
        };
        self
    }

    /// The script.
    pub(crate) fn build(self) -> Script {
        let Rev {
            mut script,
            message,
            created,
        } = self;
        script.longdoc = match created {
            Some(date) => format!(
                "{message}\n\nRevision ID: {}\nCreate Date: {date}",
                script.revision
            ),
            None => message,
        };
        script
    }
}

/// The scripts, in this load order.
pub(crate) fn scripts(revs: impl IntoIterator<Item = Rev>) -> Vec<Script> {
    revs.into_iter().map(Rev::build).collect()
}

/// The revision map of these scripts, loaded in this order (panics when it
/// cannot be built: a test that wants the error calls `RevisionMap::build`).
pub(crate) fn map(revs: impl IntoIterator<Item = Rev>) -> RevisionMap {
    match RevisionMap::build(scripts(revs)) {
        Ok((map, _warnings)) => map,
        Err(e) => panic!("the fixture is not a valid revision map: {e}"),
    }
}

/// The ids of these revisions, in this order.
pub(crate) fn ids(map: &RevisionMap, revs: &[RevIdx]) -> Vec<String> {
    revs.iter().map(|&i| map.id(i).to_string()).collect()
}

/// Two unlabelled heads that forked at `b`: a ← b ← c and b ← d ← e, created
/// in that order (so `e` is the newest head and `d` starts its branch).
pub(crate) fn forked() -> RevisionMap {
    map([
        rev("a").created("1"),
        rev("b").down(&["a"]).created("2"),
        rev("c").down(&["b"]).created("3"),
        rev("d").down(&["b"]).created("4"),
        rev("e").down(&["d"]).created("5"),
    ])
}
