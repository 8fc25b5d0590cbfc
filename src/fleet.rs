//! Fleets: a targets file (TOML) → [`Target`]s, many databases per component.
//!
//! ```toml
//! [[target]]
//! component = "manager"                    # a built-in or configured component
//! url = "postgresql://app@db1/backend"     # or: url_env = "PROD_MANAGER_URL"
//! version_table_schema = "tenant_0042"     # optional
//! labels = { env = "prod", tenant = "acme" }
//! ```
//!
//! Rules (each a [`Error`] of kind [`ErrorKind::TargetsFile`] naming the
//! file, the entry and its line, never a password):
//!
//! * the file holds `[[target]]` entries and nothing else; each entry has
//!   exactly the keys above, `component` and one of `url` / `url_env`;
//! * labels are strings whose names are Prometheus label names
//!   (`[A-Za-z_][A-Za-z0-9_]*`, not `__…`, not one of [`RESERVED_LABELS`],
//!   which `serve` uses itself), with non-empty values;
//! * no two entries share a component and the same labels (they would be one
//!   series in Prometheus and one row in the table: add a label).
//!
//! An unset `url_env` variable or a URL that does not parse is that target's
//! `database-error`, naming the variable, not an error for the whole file:
//! one missing secret must not hide the other 999 databases.
//!
//! Targets of one component share one [`Component`] (its scripts are read
//! once, however many targets use them).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::config::components::{canonical_name, line_of};
use crate::database::mask::mask_url_passwords;
use crate::database::{ConnectOptions, DbError, DbErrorKind};
use crate::error::{Error, ErrorKind};
use crate::target::{Catalog, Component, Env, Selection, Target, TargetUrl, UrlSource, Workspace};

/// Label names `serve` uses for its own labels; a target may not use them.
pub(crate) const RESERVED_LABELS: [&str; 6] = [
    "component",
    "database",
    "version_table",
    "state",
    "revision",
    "version",
];

/// Where an entry's database URL comes from.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum EntryUrl {
    /// `url = "…"` (may hold a password: never print it unmasked).
    Url(String),
    /// `url_env = "VAR"`.
    Env(String),
}

impl std::fmt::Debug for EntryUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EntryUrl::Url(u) => write!(f, "Url({:?})", mask_url_passwords(u)),
            EntryUrl::Env(v) => write!(f, "Env({v:?})"),
        }
    }
}

/// One `[[target]]` entry, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// 1-based position among the entries.
    pub(crate) index: usize,
    /// The line of its `[[target]]` header.
    pub(crate) line: usize,
    /// The component, as written.
    pub(crate) component: String,
    /// The database URL or the variable that holds it.
    pub(crate) url: EntryUrl,
    /// `version_table_schema`, when given.
    pub(crate) version_table_schema: Option<String>,
    /// Labels, ordered by name.
    pub(crate) labels: BTreeMap<String, String>,
}

impl Entry {
    /// `entry 3 (line 12)`, as errors name it.
    pub(crate) fn at(&self) -> String {
        format!("entry {} (line {})", self.index, self.line)
    }
}

fn file_error(shown: &str, message: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::TargetsFile,
        mask_url_passwords(&format!("{shown}: {message}")),
    )
    .hint(format!(
        "Fix {shown}: one [[target]] table per database, with component, url or url_env, and optionally version_table_schema and labels (see examples/targets.toml)"
    ))
}

/// Parse the text of a targets file shown to people as `shown`.
pub(crate) fn parse(text: &str, shown: &str) -> Result<Vec<Entry>, Error> {
    let doc = DeTable::parse(text).map_err(|e| {
        // The message alone: toml's rendering quotes the line, which may hold a password.
        let line = e.span().map_or(1, |s| line_of(text, s.start));
        file_error(shown, format!("line {line}: {}", e.message().trim_end()))
    })?;
    let mut targets = None;
    for (key, value) in doc.get_ref() {
        if key.get_ref().as_ref() != "target" {
            return Err(file_error(
                shown,
                format!(
                    "line {}: unknown key `{}`: the file holds [[target]] entries only",
                    line_of(text, key.span().start),
                    key.get_ref()
                ),
            ));
        }
        targets = Some(value);
    }
    let Some(targets) = targets else {
        return Err(file_error(shown, "no [[target]] entries"));
    };
    let DeValue::Array(array) = targets.get_ref() else {
        return Err(file_error(
            shown,
            format!(
                "line {}: `target` must be an array of tables: write each entry as [[target]]",
                line_of(text, targets.span().start)
            ),
        ));
    };
    let mut entries = Vec::with_capacity(array.len());
    for (i, item) in array.iter().enumerate() {
        let entry = parse_entry(text, shown, i + 1, item)?;
        entries.push(entry);
    }
    if entries.is_empty() {
        return Err(file_error(shown, "no [[target]] entries"));
    }
    duplicates(&entries, shown)?;
    Ok(entries)
}

fn parse_entry(
    text: &str,
    shown: &str,
    index: usize,
    item: &Spanned<DeValue<'_>>,
) -> Result<Entry, Error> {
    let line = line_of(text, item.span().start);
    let entry_at = format!("entry {index} (line {line})");
    let err = |at: usize, msg: String| {
        let at = line_of(text, at);
        let place = if at == line {
            entry_at.clone()
        } else {
            format!("entry {index}, line {at}")
        };
        file_error(shown, format!("{place}: {msg}"))
    };
    let DeValue::Table(table) = item.get_ref() else {
        return Err(err(
            item.span().start,
            "each target must be a table: write it as [[target]]".into(),
        ));
    };
    let string = |key: &str, v: &Spanned<DeValue<'_>>| -> Result<String, Error> {
        match v.get_ref() {
            DeValue::String(s) if !s.trim().is_empty() => Ok(s.to_string()),
            DeValue::String(_) => Err(err(v.span().start, format!("`{key}` is empty"))),
            _ => Err(err(v.span().start, format!("`{key}` must be a string"))),
        }
    };
    let mut component = None;
    let mut url = None;
    let mut url_env = None;
    let mut schema = None;
    let mut labels = BTreeMap::new();
    for (key, value) in table {
        let name = key.get_ref().as_ref();
        match name {
            "component" => component = Some(string(name, value)?),
            "url" => url = Some((string(name, value)?, value.span().start)),
            "url_env" => url_env = Some((string(name, value)?, value.span().start)),
            "version_table_schema" => schema = Some(string(name, value)?),
            "labels" => {
                let DeValue::Table(t) = value.get_ref() else {
                    return Err(err(
                        value.span().start,
                        "`labels` must be a table: labels = { env = \"prod\" }".into(),
                    ));
                };
                for (k, v) in t {
                    let k_name = k.get_ref().to_string();
                    label_name(&k_name).map_err(|m| err(k.span().start, m))?;
                    let v = string(&format!("labels.{k_name}"), v)?;
                    labels.insert(k_name, v);
                }
            }
            other => {
                return Err(err(
                    key.span().start,
                    format!(
                        "unknown key `{other}` (a target has component, url or url_env, version_table_schema, labels)"
                    ),
                ));
            }
        }
    }
    let Some(component) = component else {
        return Err(err(
            item.span().start,
            "`component` is missing: name a built-in or configured component".into(),
        ));
    };
    let url = match (url, url_env) {
        (Some((u, _)), None) => EntryUrl::Url(u),
        (None, Some((v, _))) => EntryUrl::Env(v),
        (Some(_), Some((_, at))) => {
            return Err(err(at, "both `url` and `url_env`: give one".into()));
        }
        (None, None) => {
            return Err(err(
                item.span().start,
                "no `url` or `url_env`: give the database URL, or the environment variable that holds it".into(),
            ));
        }
    };
    Ok(Entry {
        index,
        line,
        component,
        url,
        version_table_schema: schema,
        labels,
    })
}

/// Why `name` cannot be a label name, if it cannot.
pub(crate) fn label_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(format!(
            "label `{name}` is not a valid label name (letters, digits and _, not starting with a digit)"
        ));
    }
    if name.starts_with("__") {
        return Err(format!(
            "label `{name}`: names starting with __ are reserved by Prometheus"
        ));
    }
    if RESERVED_LABELS.contains(&name) {
        return Err(format!(
            "label `{name}` is reserved ({} are db-status's own)",
            RESERVED_LABELS.join(", ")
        ));
    }
    Ok(())
}

fn duplicates(entries: &[Entry], shown: &str) -> Result<(), Error> {
    let mut seen: HashMap<(&str, &BTreeMap<String, String>), &Entry> = HashMap::new();
    for e in entries {
        if let Some(first) = seen.insert((canonical_name(&e.component), &e.labels), e) {
            return Err(file_error(
                shown,
                format!(
                    "{}: the same component ({}) and labels as {}: add a label that tells them apart",
                    e.at(),
                    e.component,
                    first.at()
                ),
            ));
        }
    }
    Ok(())
}

/// Read and parse the targets file at `path` (relative to `cwd`).
pub(crate) fn read(path: &Path, cwd: &Path) -> Result<Vec<Entry>, Error> {
    let shown = path.display().to_string();
    let full = cwd.join(path);
    let text = std::fs::read_to_string(&full).map_err(|e| {
        Error::new(
            ErrorKind::TargetsFile,
            format!("cannot read the targets file {shown}: {e}"),
        )
        .hint("Check the path given to --targets")
    })?;
    parse(&text, &shown)
}

/// The targets of `entries`: one [`Component`] per component name, shared by
/// its targets; `file` is the targets file as shown.
pub(crate) fn targets(
    entries: &[Entry],
    file: &str,
    workspace: &Arc<Workspace>,
    connect: &ConnectOptions,
) -> Result<(Vec<Target>, Vec<Arc<Component>>), Error> {
    let mut components: Vec<Arc<Component>> = Vec::new();
    let mut by_name: HashMap<String, Arc<Component>> = HashMap::new();
    let mut targets = Vec::with_capacity(entries.len());
    let file_shown = file.to_string();
    for e in entries {
        let name = canonical_name(&e.component).to_string();
        let component = match by_name.get(&name) {
            Some(c) => Arc::clone(c),
            None => {
                let c = crate::target::component(&name, workspace).map_err(|err| Error {
                    kind: ErrorKind::TargetsFile,
                    message: format!("{file}: {}: {}", e.at(), err.message),
                    ..err
                })?;
                by_name.insert(name, Arc::clone(&c));
                components.push(Arc::clone(&c));
                c
            }
        };
        let file = file.to_string();
        let mut target = match &e.url {
            EntryUrl::Url(raw) => Target::new(
                component,
                Some((raw, UrlSource::TargetsFile { file })),
                e.version_table_schema.clone(),
                e.labels.clone(),
                connect.clone(),
            ),
            EntryUrl::Env(var) => {
                let source = UrlSource::TargetsFileEnv {
                    var: var.clone(),
                    file,
                };
                match workspace.env.get(var) {
                    Some(raw) => Target::new(
                        component,
                        Some((raw, source)),
                        e.version_table_schema.clone(),
                        e.labels.clone(),
                        connect.clone(),
                    ),
                    None => {
                        let mut t = Target::new(
                            component,
                            None,
                            e.version_table_schema.clone(),
                            e.labels.clone(),
                            connect.clone(),
                        );
                        let error = DbError::new(
                            DbErrorKind::BadUrl,
                            format!(
                                "the environment variable {var} (url_env of {} in {}) is not set",
                                e.at(),
                                file_shown
                            ),
                        );
                        t.url = TargetUrl::Invalid { source, error };
                        t
                    }
                }
            }
        };
        target.recheck = vec!["db-status".into(), "--targets".into(), file_shown.clone()];
        targets.push(target);
    }
    Ok((targets, components))
}

/// A fleet as a [`Selection`]: the targets file at `path`, components
/// resolved in the project found from `cwd`.
pub(crate) fn select(
    path: &Path,
    cwd: PathBuf,
    env: Env,
    timeout: Option<std::time::Duration>,
) -> Result<Selection, Error> {
    let cwd = std::fs::canonicalize(&cwd).unwrap_or(cwd);
    let entries = read(path, &cwd)?;
    let root = crate::target::project_root(&cwd);
    let mut workspace = Workspace::at(root, env);
    workspace.cwd = cwd;
    let workspace = Arc::new(workspace);
    let connect = ConnectOptions {
        timeout: timeout.unwrap_or(crate::database::DEFAULT_TIMEOUT),
    };
    let (targets, components) =
        targets(&entries, &path.display().to_string(), &workspace, &connect)?;
    let catalog = Catalog::new(&workspace, &components);
    Ok(Selection {
        workspace,
        targets,
        catalog,
        notes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(text, "t.toml").expect_err(text).message
    }

    #[test]
    fn entries_parse_in_order() {
        let e = parse(
            "[[target]]\ncomponent = \"manager\"\nurl = \"postgresql://a:pw@h/db\"\nlabels = { env = \"prod\", tenant = \"acme\" }\n\n[[target]]\ncomponent = \"app-proxy\"\nurl_env = \"X_URL\"\nversion_table_schema = \"t1\"\n",
            "t.toml",
        )
        .expect("parses");
        assert_eq!(e.len(), 2);
        assert_eq!((e[0].index, e[0].line), (1, 1));
        assert_eq!((e[1].index, e[1].line), (2, 6));
        assert_eq!(e[0].labels.keys().collect::<Vec<_>>(), ["env", "tenant"]);
        assert_eq!(e[1].url, EntryUrl::Env("X_URL".into()));
        assert_eq!(e[1].version_table_schema.as_deref(), Some("t1"));
        assert!(!format!("{:?}", e[0]).contains("pw"), "Debug masks");
    }

    #[test]
    fn errors_name_file_entry_and_line() {
        let two =
            "[[target]]\ncomponent = \"a\"\nurl = \"sqlite://\"\n[[target]]\ncomponent = \"a\"\n";
        assert_eq!(
            err(two),
            "t.toml: entry 2 (line 4): no `url` or `url_env`: give the database URL, or the environment variable that holds it"
        );
        assert_eq!(
            err("[[target]]\ncomponent = \"a\"\nurl = \"x\"\nurl_env = \"Y\"\n"),
            "t.toml: entry 1, line 4: both `url` and `url_env`: give one"
        );
        assert!(
            err("[[target]]\ncomponent = \"a\"\nurl = \"x\"\nport = 5\n")
                .starts_with("t.toml: entry 1, line 4: unknown key `port`"),
        );
        assert!(err("[[target]]\nurl = \"x\"\n").contains("`component` is missing"));
        assert_eq!(
            err("[[target]]\ncomponent = \"a\"\nurl = \"x\"\nlabels = { env = 1 }\n"),
            "t.toml: entry 1, line 4: `labels.env` must be a string"
        );
        assert!(
            err("[[target]]\ncomponent = \"a\"\nurl = \"x\"\nlabels = { state = \"x\" }\n")
                .contains("label `state` is reserved")
        );
        assert!(
            err("[[target]]\ncomponent = \"a\"\nurl = \"x\"\nlabels = { \"a-b\" = \"x\" }\n")
                .contains("not a valid label name")
        );
        assert_eq!(err(""), "t.toml: no [[target]] entries");
        assert!(err("target = 1\n").contains("line 1: `target` must be an array of tables"));
        assert!(err("[other]\n").contains("line 1: unknown key `other`"));
        let dup = "[[target]]\ncomponent = \"appproxy\"\nurl = \"x\"\n[[target]]\ncomponent = \"app-proxy\"\nurl = \"y\"\n";
        assert_eq!(
            err(dup),
            "t.toml: entry 2 (line 4): the same component (app-proxy) and labels as entry 1 (line 1): add a label that tells them apart"
        );
    }

    #[test]
    fn the_example_parses() {
        let text = include_str!("../examples/targets.toml");
        let e = parse(text, "examples/targets.toml").expect("the example is valid");
        assert_eq!(e.len(), 6);
        assert!(e.iter().any(|e| e.version_table_schema.is_some()));
        assert!(e.iter().any(|e| matches!(e.url, EntryUrl::Env(_))));
    }

    #[test]
    fn syntax_errors_never_quote_a_password() {
        let e = err("[[target]]\ncomponent = \"a\"\nurl = \"postgresql://u:s3cret@h/db\" oops\n");
        assert!(e.starts_with("t.toml: line 3: "), "{e}");
        assert!(!e.contains("s3cret"), "{e}");
    }
}
