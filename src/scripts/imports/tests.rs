//! Unit tests for import resolution: one tree per rule.

use super::*;
use crate::config::paths::SearchPath;

struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, text).expect("write");
        }
        Tree { dir }
    }

    fn resolver(&self) -> Resolver {
        Resolver::new(SearchPath::new(self.dir.path(), &[], None, None))
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn lookup(&self, file: &str, name: &str) -> Result<Option<Value>, ResolveError> {
        let r = self.resolver();
        let env = load_file(&r, &self.path(file))?;
        Ok(env.lookup(&r, name)?.map(|v| v.value))
    }
}

/// Read and evaluate `path` as Alembic loads a revision file or `env.py`.
fn load_file(r: &Resolver, path: &Path) -> Result<ModuleEnv, ResolveError> {
    let source = std::fs::read(path).expect("read");
    r.load_source(path, &source)
}

fn tuple(v: &[&str]) -> Value {
    Value::Tuple(v.iter().map(|s| (*s).to_owned()).collect())
}

#[test]
fn neutron_module_constant_through_import_as_and_from() {
    let t = Tree::new(&[
        ("neutron/__init__.py", ""),
        ("neutron/db/__init__.py", ""),
        ("neutron/db/migration/__init__.py", ""),
        (
            "neutron/db/migration/cli.py",
            "import os\nEXPAND_BRANCH = 'expand'\nCONTRACT_BRANCH = 'contract'\n",
        ),
        (
            "v/a.py",
            "from neutron.db.migration import cli\nimport neutron.db.migration.cli as c2\n\
             from neutron.db.migration.cli import CONTRACT_BRANCH as CB\nimport neutron.db.migration.cli\n\
             revision = 'a'\nbranch_labels = (cli.EXPAND_BRANCH,)\nx = c2.CONTRACT_BRANCH\ny = [CB, 'z']\n\
             w = neutron.db.migration.cli.EXPAND_BRANCH\n",
        ),
    ]);
    assert_eq!(
        t.lookup("v/a.py", "branch_labels").unwrap(),
        Some(tuple(&["expand"]))
    );
    assert_eq!(
        t.lookup("v/a.py", "x").unwrap(),
        Some(Value::Str("contract".into()))
    );
    assert_eq!(
        t.lookup("v/a.py", "y").unwrap(),
        Some(Value::List(vec!["contract".into(), "z".into()]))
    );
    assert_eq!(
        t.lookup("v/a.py", "w").unwrap(),
        Some(Value::Str("expand".into()))
    );
    assert_eq!(t.lookup("v/a.py", "depends_on").unwrap(), None);
    let r = t.resolver();
    let env = load_file(&r, &t.path("v/a.py")).unwrap();
    let got = env.lookup(&r, "branch_labels").unwrap().unwrap();
    assert_eq!(got.bound_at.line, 6);
    assert!(
        got.trail
            .iter()
            .any(|o| o.file.ends_with("neutron/db/migration/cli.py") && o.line == 2),
        "{got:?}"
    );
}

#[test]
fn chains_of_reexports_relative_imports_and_class_attributes() {
    let t = Tree::new(&[
        (
            "pkg/__init__.py",
            "from .consts import LABEL\nfrom . import consts as C\n",
        ),
        ("pkg/consts.py", "from pkg.deep.base import BASE as LABEL\n"),
        ("pkg/deep/__init__.py", ""),
        (
            "pkg/deep/base.py",
            "BASE = 'deep'\nclass Meta:\n    table = 'my_version'\n    other = BASE\n",
        ),
        ("pkg/models.py", "from .deep.base import Meta\n"),
        (
            "env.py",
            "import pkg\nfrom pkg import LABEL\nfrom pkg.models import Meta\nlab = pkg.LABEL\ntbl = Meta.table\n",
        ),
    ]);
    for (name, value) in [
        ("lab", "deep"),
        ("LABEL", "deep"),
        ("tbl", "my_version"),
        ("Meta.other", "deep"),
        ("pkg.C.LABEL", "deep"),
    ] {
        assert_eq!(
            t.lookup("env.py", name).unwrap(),
            Some(Value::Str(value.into())),
            "{name}"
        );
    }
}

#[test]
fn errors_name_both_files_and_lines() {
    let t = Tree::new(&[
        ("lib/__init__.py", ""),
        ("lib/c.py", "import os\nNAME = os.environ['X']\n"),
        (
            "a.py",
            "from lib import c\nimport nothere\nv1 = c.MISSING\nv2 = c.NAME\nv3 = nothere.X\nv4 = undefined\n",
        ),
    ]);
    let e = t.lookup("a.py", "v1").unwrap_err();
    assert!(
        e.message.contains("a.py:1")
            && e.message.contains("MISSING")
            && e.message.contains("lib/c.py"),
        "{e}"
    );
    let e = t.lookup("a.py", "v2").unwrap_err();
    assert!(
        e.message.contains("a.py:1") && e.message.contains("lib/c.py:2"),
        "{e}"
    );
    let e = t.lookup("a.py", "v3").unwrap_err();
    assert!(
        e.message.contains("a.py:2") && e.message.contains("`nothere` is not found"),
        "{e}"
    );
    let e = t.lookup("a.py", "v4").unwrap_err();
    assert!(e.message.contains("a.py:6"), "{e}");
}

#[test]
fn star_imports_all_public_names_and_missing_modules() {
    let t = Tree::new(&[
        (
            "withall.py",
            "__all__ = ['depends_on']\ndepends_on = 'x1'\nrevision = 'hidden'\n",
        ),
        ("public.py", "branch_labels = ('lab',)\n_private = 'p'\n"),
        (
            "a.py",
            "from withall import *\nfrom public import *\nfrom peewee import *\nrevision = 'a'\n",
        ),
        ("b.py", "from withall import *\ndepends_on = None\n"),
    ]);
    let r = t.resolver();
    let env = load_file(&r, &t.path("a.py")).unwrap();
    let get = |n| env.lookup(&r, n).unwrap().map(|v| v.value);
    assert_eq!(get("depends_on"), Some(Value::Str("x1".into())));
    assert_eq!(get("revision"), Some(Value::Str("a".into())));
    assert_eq!(get("branch_labels"), Some(tuple(&["lab"])));
    assert_eq!(get("_private"), None);
    let missing = env.missing_modules();
    assert_eq!(missing.len(), 1);
    assert_eq!(
        (missing[0].module.as_str(), missing[0].at.line),
        ("peewee", 3)
    );
    assert!(missing[0].to_string().contains("a.py:3"), "{}", missing[0]);
    // Later assignments win.
    assert_eq!(t.lookup("b.py", "depends_on").unwrap(), Some(Value::None));
}

#[test]
fn try_import_decides_with_the_search_path() {
    let rev = "resolved_depends_on = []\ntry:\n    import invenio_access\n    resolved_depends_on += ['842a62b56e60']\n    resolved_depends_on.append('x')\nexcept (ImportError, ModuleNotFoundError):\n    pass\ndepends_on = resolved_depends_on\n";
    let absent = Tree::new(&[("a.py", rev)]);
    assert_eq!(
        absent.lookup("a.py", "depends_on").unwrap(),
        Some(Value::List(vec![]))
    );
    let present = Tree::new(&[("a.py", rev), ("invenio_access/__init__.py", "")]);
    assert_eq!(
        present.lookup("a.py", "depends_on").unwrap(),
        Some(Value::List(vec!["842a62b56e60".into(), "x".into()]))
    );
    let r = present.resolver();
    let env = load_file(&r, &present.path("a.py")).unwrap();
    let d = &env.decisions()[0];
    assert_eq!((d.module.as_str(), d.at.line), ("invenio_access", 3));
    assert!(
        d.found
            .as_deref()
            .is_some_and(|f| f.ends_with("invenio_access/__init__.py")),
        "{d:?}"
    );
    // Not caught: the names it binds cannot be read.
    let uncaught = Tree::new(&[(
        "a.py",
        "try:\n    import nope\n    x = 'a'\nexcept KeyError:\n    x = 'b'\n",
    )]);
    assert!(uncaught.lookup("a.py", "x").is_err());
}

#[test]
fn opaque_bindings_are_errors_with_their_line() {
    let t = Tree::new(&[(
        "a.py",
        "x = 'a'\nif flag:\n    x = 'b'\ndef y():\n    pass\nz = 'ok'\n",
    )]);
    let e = t.lookup("a.py", "x").unwrap_err();
    assert!(e.message.contains("a.py:2"), "{e}");
    assert!(t.lookup("a.py", "y").is_err());
    assert_eq!(
        t.lookup("a.py", "z").unwrap(),
        Some(Value::Str("ok".into()))
    );
}
