//! Paths as Alembic's Python sees them: `pathlib` normalisation and
//! `absolute()` (string-level, no symlink resolution, `..` kept), Alembic's
//! list splitting for `version_locations` / `prepend_sys_path`, and
//! `package.module:dir` resources located without importing anything.

use std::path::{Path, PathBuf};

/// `os.path.isabs` on POSIX.
pub(crate) fn is_abs(s: &str) -> bool {
    s.starts_with('/')
}

/// `str(pathlib.PurePosixPath(s))`: repeated slashes and `.` components
/// dropped, `..` kept, a trailing slash removed, `""` → `"."`; exactly two
/// leading slashes are kept (POSIX leaves `//` implementation-defined).
pub(crate) fn pure_posix(s: &str) -> String {
    let root = if s.starts_with("//") && !s.starts_with("///") {
        "//"
    } else if s.starts_with('/') {
        "/"
    } else {
        ""
    };
    let parts: Vec<&str> = s
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let joined = format!("{root}{}", parts.join("/"));
    if joined.is_empty() {
        ".".to_owned()
    } else {
        joined
    }
}

/// `Path(s).absolute().as_posix()` with `cwd` as `os.getcwd()`.
pub(crate) fn absolute(cwd: &Path, s: &str) -> String {
    let p = pure_posix(s);
    if is_abs(&p) {
        return p;
    }
    let cwd = pure_posix(&cwd.to_string_lossy());
    if p == "." {
        cwd
    } else if cwd.ends_with('/') {
        format!("{cwd}{p}")
    } else {
        format!("{cwd}/{p}")
    }
}

/// `PurePosixPath(s).parent` of an already normalised path.
pub(crate) fn parent(p: &str) -> String {
    match p.rfind('/') {
        None => ".".to_owned(),
        Some(i) => {
            let head = &p[..i];
            if head.is_empty() || head == "/" {
                // "/a" → "/", "//a" → "//"
                p[..=i].to_owned()
            } else {
                head.to_owned()
            }
        }
    }
}

/// `os.path.basename`: everything after the last `/`.
pub(crate) fn basename(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// How a list option is split (`Config._get_file_separator_char`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Separator {
    /// `path_separator` / `version_path_separator` given: split on this
    /// string, drop empty pieces, strip the rest.
    Char(char),
    /// Neither given: Alembic's legacy regular expression.
    Legacy,
}

/// Map a `path_separator` value to the character Alembic splits on;
/// `None` for an invalid value (Alembic raises `ValueError`).
pub(crate) fn separator_char(value: &str) -> Option<char> {
    match value {
        "space" => Some(' '),
        "newline" => Some('\n'),
        // os.pathsep on POSIX
        "os" | ":" => Some(':'),
        ";" => Some(';'),
        _ => None,
    }
}

/// Split a `version_locations` (or, with `colon`, a `prepend_sys_path`)
/// value. Legacy: `re.split(r", *|(?: +)", v)` (`, *|(?: +)|\:` with
/// `colon`), which keeps empty pieces.
pub(crate) fn split_list(value: &str, sep: Separator, colon: bool) -> Vec<String> {
    match sep {
        Separator::Char(c) => value
            .split(c)
            .filter(|x| !x.is_empty())
            .map(|x| crate::python::strip(x).to_owned())
            .collect(),
        Separator::Legacy => {
            let mut out = Vec::new();
            let mut cur = String::new();
            let mut chars = value.chars().peekable();
            while let Some(c) = chars.next() {
                // `, *` and ` +` both swallow the spaces that follow.
                if c == ',' || c == ' ' {
                    while chars.peek() == Some(&' ') {
                        chars.next();
                    }
                    out.push(std::mem::take(&mut cur));
                } else if colon && c == ':' {
                    out.push(std::mem::take(&mut cur));
                } else {
                    cur.push(c);
                }
            }
            out.push(cur);
            out
        }
    }
}

/// Where a `package.module` is looked for, in order, and why each place is there.
#[derive(Debug, Clone, Default)]
pub(crate) struct SearchPath {
    /// `(directory, origin)`, e.g. `("/w/src", "<cwd>/src; a db-status convenience, not Alembic's")`.
    pub(crate) roots: Vec<(PathBuf, String)>,
}

impl SearchPath {
    /// Build the search path: `prepend_sys_path` entries (relative to the
    /// CWD), `PYTHONPATH`, then — a convenience Alembic itself does not
    /// have, since the `alembic` script does not put the CWD on `sys.path` —
    /// the CWD and `<cwd>/src`, then the site-packages of `$VIRTUAL_ENV` and
    /// of `<cwd>/.venv` (each followed by the directories its `.pth` files
    /// add, which is how editable installs are found).
    pub(crate) fn new(
        cwd: &Path,
        prepend_sys_path: &[String],
        pythonpath: Option<&str>,
        virtual_env: Option<&Path>,
    ) -> Self {
        let mut roots: Vec<(PathBuf, String)> = Vec::new();
        let abs = |s: &str| PathBuf::from(absolute(cwd, s));
        for p in prepend_sys_path {
            roots.push((abs(p), "prepend_sys_path".to_owned()));
        }
        for p in pythonpath
            .unwrap_or("")
            .split(':')
            .filter(|p| !p.is_empty())
        {
            roots.push((abs(p), "PYTHONPATH".to_owned()));
        }
        roots.push((
            abs("."),
            "working directory; a db-status convenience, not Alembic's".to_owned(),
        ));
        roots.push((
            abs("src"),
            "<cwd>/src; a db-status convenience, not Alembic's".to_owned(),
        ));
        let mut venvs: Vec<(PathBuf, &str)> = Vec::new();
        if let Some(v) = virtual_env {
            venvs.push((cwd.join(v), "$VIRTUAL_ENV"));
        }
        venvs.push((cwd.join(".venv"), "<cwd>/.venv"));
        for (venv, origin) in venvs {
            for site in site_packages(&venv) {
                let pth = pth_dirs(&site);
                roots.push((site, format!("{origin} site-packages")));
                for d in pth {
                    roots.push((d, format!("{origin} .pth entry")));
                }
            }
        }
        SearchPath { roots }
    }

    /// Locate a resource written `package.module:dir[:more]` the way
    /// `importlib.resources.files(package) / dir / more` would, by walking
    /// the package path like the import system: at each level the first
    /// root with a regular package (`__init__.py`) wins; otherwise every
    /// root's plain directory becomes a portion of a namespace package.
    pub(crate) fn resolve_resource(&self, value: &str) -> Result<PathBuf, String> {
        let mut tokens = value.split(':');
        let package = tokens.next().unwrap_or("");
        let mut portions: Vec<PathBuf> = self.roots.iter().map(|(p, _)| p.clone()).collect();
        let mut done = String::new();
        for part in package.split('.') {
            if !done.is_empty() {
                done.push('.');
            }
            done.push_str(part);
            if part.is_empty() {
                return Err(format!("'{package}' is not a valid Python package name"));
            }
            let mut regular: Option<PathBuf> = None;
            let mut namespace: Vec<PathBuf> = Vec::new();
            for base in &portions {
                let dir = base.join(part);
                let is_dir = dir.is_dir();
                if is_dir
                    && (dir.join("__init__.py").is_file() || dir.join("__init__.pyc").is_file())
                {
                    regular = Some(dir);
                    break;
                }
                if base.join(format!("{part}.py")).is_file() {
                    return Err(format!(
                        "'{done}' is a module ({}), not a package",
                        base.join(format!("{part}.py")).display()
                    ));
                }
                if is_dir {
                    namespace.push(dir);
                }
            }
            portions = match regular {
                Some(dir) => vec![dir],
                None if !namespace.is_empty() => namespace,
                None => return Err(format!("No module named '{done}'")),
            };
        }
        // MultiplexedPath.joinpath: the first portion that has the child.
        let mut tokens = tokens.peekable();
        let first = match tokens.peek() {
            Some(tok) if !tok.contains('/') => portions
                .iter()
                .find(|p| p.join(tok).exists())
                .or(portions.first())
                .cloned(),
            _ => portions.first().cloned(),
        };
        let mut path = first.unwrap_or_default();
        for tok in tokens {
            path = path.join(tok);
        }
        Ok(PathBuf::from(pure_posix(&path.to_string_lossy())))
    }

    /// Find module `dotted` (`a.b.c`) the way the import system would,
    /// without importing: at each level the first root with a regular
    /// package (`__init__.py`) or, for the last part, a module file wins;
    /// otherwise the plain directories form a namespace package.
    pub(crate) fn find_module(&self, dotted: &str) -> Option<ModuleLocation> {
        let mut portions: Vec<PathBuf> = self.roots.iter().map(|(p, _)| p.clone()).collect();
        let parts: Vec<&str> = dotted.split('.').collect();
        for (k, part) in parts.iter().enumerate() {
            if part.is_empty() {
                return None;
            }
            let last = k + 1 == parts.len();
            let mut namespace: Vec<PathBuf> = Vec::new();
            let mut found: Option<ModuleLocation> = None;
            for base in &portions {
                let dir = base.join(part);
                let init = dir.join("__init__.py");
                if init.is_file() {
                    found = Some(ModuleLocation::Package(init));
                    break;
                }
                let file = base.join(format!("{part}.py"));
                if file.is_file() {
                    found = Some(ModuleLocation::File(file));
                    break;
                }
                if dir.is_dir() {
                    namespace.push(dir);
                }
            }
            match found {
                Some(loc) if last => return Some(loc),
                Some(ModuleLocation::Package(init)) => {
                    portions = vec![init.parent().map(Path::to_path_buf).unwrap_or_default()];
                }
                // A plain module has no submodules.
                Some(_) => return None,
                None if namespace.is_empty() => return None,
                None if last => return Some(ModuleLocation::Namespace(namespace)),
                None => portions = namespace,
            }
        }
        None
    }

    /// The places searched, one per line, for error messages.
    pub(crate) fn describe(&self) -> String {
        self.roots
            .iter()
            .map(|(p, why)| format!("  {}  [{why}]", p.display()))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Where [`SearchPath::find_module`] found a module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ModuleLocation {
    /// `a/b/c.py`.
    File(PathBuf),
    /// `a/b/c/__init__.py` of a regular package.
    Package(PathBuf),
    /// A namespace package: its directories, no code of its own.
    Namespace(Vec<PathBuf>),
}

impl ModuleLocation {
    /// Where it was found, for messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            ModuleLocation::File(p) | ModuleLocation::Package(p) => p.display().to_string(),
            ModuleLocation::Namespace(d) => format!(
                "namespace package {}",
                d.first()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            ),
        }
    }
}

/// `<venv>/lib/python*/site-packages`, sorted.
fn site_packages(venv: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(venv.join("lib")) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("python"))
        .map(|e| e.path().join("site-packages"))
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

/// Directories listed in a site directory's `*.pth` files, as `site.py`
/// adds them: files in name order, comment and `import` lines skipped,
/// relative entries joined to the site directory, missing ones dropped.
fn pth_dirs(site: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(site) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pth"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        for line in text.lines() {
            let line = line.trim_end();
            if line.is_empty()
                || line.starts_with('#')
                || line.starts_with("import ")
                || line.starts_with("import\t")
            {
                continue;
            }
            let dir = site.join(line);
            if dir.is_dir() && !out.contains(&dir) {
                out.push(dir);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pathlib_normalisation() {
        assert_eq!(pure_posix("migrations/"), "migrations");
        assert_eq!(pure_posix("./a/./b//c"), "a/b/c");
        assert_eq!(pure_posix(""), ".");
        assert_eq!(pure_posix("//x/y"), "//x/y");
        assert_eq!(pure_posix("///x"), "/x");
        assert_eq!(pure_posix("a/../b"), "a/../b");
        assert_eq!(absolute(Path::new("/w"), "../a.ini"), "/w/../a.ini");
        assert_eq!(absolute(Path::new("/w"), "."), "/w");
        assert_eq!(absolute(Path::new("/"), "a"), "/a");
        assert_eq!(absolute(Path::new("/w"), "/abs/x"), "/abs/x");
        assert_eq!(parent("/w/alembic.ini"), "/w");
        assert_eq!(parent("/alembic.ini"), "/");
        assert_eq!(parent("a"), ".");
    }

    #[test]
    fn splitting() {
        let legacy = |v| split_list(v, Separator::Legacy, false);
        assert_eq!(legacy("a, b"), vec!["a", "b"]);
        assert_eq!(legacy("a ,b"), vec!["a", "", "b"]);
        assert_eq!(legacy(" a  b"), vec!["", "a", "b"]);
        assert_eq!(legacy("a:b"), vec!["a:b"]);
        assert_eq!(split_list("a:b", Separator::Legacy, true), vec!["a", "b"]);
        let nl = split_list("\n a\n  \nb ", Separator::Char('\n'), false);
        assert_eq!(nl, vec!["a", "", "b"]);
        assert_eq!(separator_char("comma"), None);
        assert_eq!(separator_char("os"), Some(':'));
    }

    #[test]
    fn resources_regular_and_namespace() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        // Namespace `ai` spread over two roots; `ai.backend.mgr` regular.
        std::fs::create_dir_all(root.join("src/ai/backend/mgr/alembic")).unwrap();
        std::fs::write(root.join("src/ai/backend/mgr/__init__.py"), "").unwrap();
        std::fs::create_dir_all(root.join("other/ai/extra")).unwrap();
        let sp = SearchPath {
            roots: vec![
                (root.join("other"), "x".into()),
                (root.join("src"), "y".into()),
            ],
        };
        assert_eq!(
            sp.resolve_resource("ai.backend.mgr:alembic").unwrap(),
            root.join("src/ai/backend/mgr/alembic")
        );
        // Child chosen from the portion that has it.
        assert_eq!(
            sp.resolve_resource("ai:backend").unwrap(),
            root.join("src/ai/backend")
        );
        assert_eq!(
            sp.resolve_resource("ai.nothere:x").unwrap_err(),
            "No module named 'ai.nothere'"
        );
        std::fs::write(root.join("other/mod.py"), "").unwrap();
        assert!(
            sp.resolve_resource("mod:x")
                .unwrap_err()
                .contains("not a package")
        );
    }
}
