//! The opt-in `--python PATH|auto` fallback: for the revision files that
//! neither the scanner nor the import resolver can read, ask a real Python
//! interpreter for the four values Alembic reads, in one subprocess for all
//! of them, bounded by `--timeout`. Files that read statically are never
//! imported.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::scan::Value;
use crate::config::paths::SearchPath;

/// How long the subprocess may take when `--timeout` is not given.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The interpreter to ask, and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fallback {
    /// The Python executable.
    pub(crate) interpreter: PathBuf,
    /// The whole subprocess's time limit.
    pub(crate) timeout: Duration,
}

/// What Python says one file binds: the four values (absent = not bound)
/// and the module docstring.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Answer {
    /// `revision`, `down_revision`, `branch_labels`, `depends_on`.
    pub(crate) fields: [Option<Value>; 4],
    /// `__doc__`.
    pub(crate) docstring: Option<String>,
}

/// Why Python could not give a file's values: the 1-based line in the file
/// (0 when unknown) and what went wrong.
pub(crate) type Refusal = (u32, String);

impl Fallback {
    /// `--python PATH|auto`: `auto` is `$VIRTUAL_ENV/bin/python`, else
    /// `<root>/.venv/bin/python`, else `<root>/py` (Backend.AI's wrapper),
    /// the first that exists.
    pub(crate) fn from_flag(
        value: &str,
        root: &Path,
        virtual_env: Option<&str>,
        timeout: Option<Duration>,
    ) -> Result<Fallback, String> {
        let timeout = timeout.unwrap_or(DEFAULT_TIMEOUT);
        if value != "auto" {
            let p = root.join(value);
            return Ok(Fallback {
                interpreter: if p.exists() { p } else { PathBuf::from(value) },
                timeout,
            });
        }
        let mut tried = Vec::new();
        let candidates = virtual_env
            .map(|v| root.join(v).join("bin/python"))
            .into_iter()
            .chain([root.join(".venv/bin/python"), root.join("py")]);
        for c in candidates {
            if c.is_file() {
                return Ok(Fallback {
                    interpreter: c,
                    timeout,
                });
            }
            tried.push(c.display().to_string());
        }
        Err(format!(
            "--python auto found no interpreter (tried {}); pass --python PATH",
            tried.join(", ")
        ))
    }

    /// Ask the interpreter about `files` (one subprocess), with `search`'s
    /// directories first on `sys.path`. One answer (or error with its line,
    /// 0 when unknown) per file, in order; `Err` when the subprocess itself
    /// fails or times out.
    pub(crate) fn ask(
        &self,
        files: &[PathBuf],
        search: &SearchPath,
    ) -> Result<Vec<Result<Answer, Refusal>>, String> {
        let request = serde_json::json!({
            "path": search.roots.iter().map(|(p, _)| p.display().to_string()).collect::<Vec<_>>(),
            "files": files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        });
        let who = self.interpreter.display();
        let mut child = Command::new(&self.interpreter)
            .args(["-c", ORACLE])
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {who} (--python): {e}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(request.to_string().as_bytes());
        }
        let mut stdout = child.stdout.take();
        let reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(s) = stdout.as_mut() {
                let _ = s.read_to_end(&mut buf);
            }
            buf
        });
        let start = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if start.elapsed() >= self.timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "{who} (--python) did not answer within {} s (--timeout)",
                        self.timeout.as_secs_f64()
                    ));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                Err(e) => return Err(format!("waiting for {who} (--python): {e}")),
            }
        };
        let out = reader.join().unwrap_or_default();
        if !status.success() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            let last = err.lines().last().unwrap_or("").to_owned();
            return Err(format!("{who} (--python) failed: {last}"));
        }
        let parsed: serde_json::Value = serde_json::from_slice(&out)
            .map_err(|e| format!("{who} (--python) gave no readable answer: {e}"))?;
        let items = parsed.as_array().cloned().unwrap_or_default();
        if items.len() != files.len() {
            return Err(format!(
                "{who} (--python) answered for {} files, not {}",
                items.len(),
                files.len()
            ));
        }
        Ok(items.iter().map(answer).collect())
    }
}

fn value(v: &serde_json::Value) -> Option<Value> {
    let o = v.as_object()?;
    let strs = |x: &serde_json::Value| -> Option<Vec<String>> {
        x.as_array()?
            .iter()
            .map(|s| s.as_str().map(str::to_owned))
            .collect()
    };
    if o.contains_key("none") {
        Some(Value::None)
    } else if let Some(s) = o.get("str") {
        Some(Value::Str(s.as_str()?.to_owned()))
    } else if let Some(t) = o.get("tuple") {
        Some(Value::Tuple(strs(t)?))
    } else {
        Some(Value::List(strs(o.get("list")?)?))
    }
}

fn answer(v: &serde_json::Value) -> Result<Answer, Refusal> {
    if let Some(e) = v.get("error").and_then(|e| e.as_str()) {
        let line = v
            .get("line")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        return Err((u32::try_from(line).unwrap_or(0), e.to_owned()));
    }
    let mut a = Answer {
        docstring: v.get("doc").and_then(|d| d.as_str()).map(str::to_owned),
        ..Answer::default()
    };
    let names = ["revision", "down_revision", "branch_labels", "depends_on"];
    for (slot, name) in a.fields.iter_mut().zip(names) {
        if let Some(x) = v.get(name) {
            *slot = Some(value(x).ok_or_else(|| {
                (
                    0,
                    format!("`{name}` is not a string, None, or a tuple/list of strings"),
                )
            })?);
        }
    }
    Ok(a)
}

/// Reads `{"path": [...], "files": [...]}` on stdin, imports each file as
/// Alembic's `load_module_py` does, and prints one JSON list.
const ORACLE: &str = r#"
import importlib.util, json, re, sys, traceback
req = json.load(sys.stdin)
sys.path[:0] = req["path"]
SUR = re.compile("[\ud800-\udfff]")
def enc(v):
    if v is None:
        return {"none": True}
    if type(v) is str:
        if SUR.search(v):
            raise ValueError("a lone surrogate")
        return {"str": v}
    if isinstance(v, (tuple, list)) and all(type(x) is str and not SUR.search(x) for x in v):
        return {("tuple" if isinstance(v, tuple) else "list"): list(v)}
    raise ValueError("%s is not a string, None, or a tuple/list of strings" % type(v).__name__)
out = []
for i, path in enumerate(req["files"]):
    try:
        spec = importlib.util.spec_from_file_location("_db_status_rev_%d" % i, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        item = {}
        for name in ("revision", "down_revision", "branch_labels", "depends_on"):
            if hasattr(mod, name):
                try:
                    item[name] = enc(getattr(mod, name))
                except ValueError as e:
                    raise ValueError("`%s`: %s" % (name, e))
        doc = mod.__doc__
        item["doc"] = None if doc is None or SUR.search(doc) else doc
        out.append(item)
    except BaseException as e:
        tb = traceback.extract_tb(e.__traceback__)
        where = next((f for f in reversed(tb) if f.filename == path), None)
        out.append({"error": "Python fails importing it: %s: %s" % (type(e).__name__, e),
                    "line": where.lineno if where else 0})
sys.stdout.write(json.dumps(out))
"#;
