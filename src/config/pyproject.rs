//! `[tool.alembic]` in `pyproject.toml`, read as Alembic ≥ 1.16 reads it
//! (`Config.toml_alembic_config` and `_get_toml_config_value`): strings are
//! `%`-formatted with the toml file's own `here`, lists element-wise, ints
//! and booleans pass through, anything else is refused.

use std::path::Path;

use super::ConfigError;

/// A `[tool.alembic]` value after Alembic's post-processing.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TomlValue {
    /// A string, `%`-formatted.
    Str(String),
    /// An array of strings, each `%`-formatted.
    List(Vec<String>),
    /// An array of tables (`[[tool.alembic.post_write_hooks]]`), values formatted.
    Tables(Vec<Vec<(String, String)>>),
    /// A table, values formatted.
    Table(Vec<(String, String)>),
    /// An integer (Python returns it unchanged).
    Int(i64),
    /// A boolean (a Python `int`, returned unchanged).
    Bool(bool),
}

impl TomlValue {
    /// The Python type name, for messages.
    pub(crate) fn python_type(&self) -> &'static str {
        match self {
            TomlValue::Str(_) => "str",
            TomlValue::List(_) | TomlValue::Tables(_) => "list",
            TomlValue::Table(_) => "dict",
            TomlValue::Int(_) => "int",
            TomlValue::Bool(_) => "bool",
        }
    }
}

/// The `[tool.alembic]` table of one `pyproject.toml` and its `here`.
#[derive(Debug, Clone, Default)]
pub(crate) struct ToolAlembic {
    /// Display name of the file (as given), for messages.
    pub(crate) source: String,
    /// Absolute posix directory of the file (`%(here)s`).
    pub(crate) here: String,
    table: toml::Table,
}

impl ToolAlembic {
    /// An empty configuration (no file, or no `[tool.alembic]`).
    pub(crate) fn empty() -> Self {
        ToolAlembic::default()
    }

    /// Read `path` (display name `source`) if it exists; a missing file is an
    /// empty configuration, as in Alembic.
    pub(crate) fn read(path: &Path, source: &str, here: &str) -> Result<Self, ConfigError> {
        if !path.exists() {
            return Ok(ToolAlembic::empty());
        }
        let bytes = std::fs::read(path).map_err(|e| {
            ConfigError::crash(format!(
                "{source}: cannot read: {e} (Alembic stops with a traceback here)"
            ))
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            ConfigError::crash(format!(
                "{source}: not valid UTF-8 at byte {} (tomllib raises here and Alembic stops \
                 with a traceback)",
                e.utf8_error().valid_up_to()
            ))
            .with_hint("save the file as UTF-8")
        })?;
        Self::parse(&text, source, here)
    }

    /// Parse the text of a `pyproject.toml`.
    pub(crate) fn parse(text: &str, source: &str, here: &str) -> Result<Self, ConfigError> {
        let doc: toml::Table = toml::from_str(text).map_err(|e| {
            ConfigError::crash(format!(
                "{source}: invalid TOML (tomllib.TOMLDecodeError; Alembic stops with a \
                 traceback here): {}",
                e.to_string().trim_end()
            ))
        })?;
        let table = match doc.get("tool") {
            None => toml::Table::new(),
            Some(toml::Value::Table(tool)) => match tool.get("alembic") {
                None => toml::Table::new(),
                Some(toml::Value::Table(t)) => t.clone(),
                Some(_) => {
                    return Err(ConfigError::Command("Incorrect TOML format".to_owned()));
                }
            },
            // `toml_data.get("tool", {}).get(...)` on a non-table: AttributeError.
            Some(other) => {
                return Err(ConfigError::crash(format!(
                    "{source}: `tool` is a {} rather than a table (AttributeError in Alembic, \
                     which stops with a traceback here)",
                    other.type_str()
                ))
                .with_hint("use `[tool.alembic]`"));
            }
        };
        Ok(ToolAlembic {
            source: source.to_owned(),
            here: here.to_owned(),
            table,
        })
    }

    /// The raw value of `name`, before formatting.
    pub(crate) fn raw(&self, name: &str) -> Option<&toml::Value> {
        self.table.get(name)
    }

    /// `Config._get_toml_config_value(name)`: `Ok(None)` when absent.
    pub(crate) fn get(&self, name: &str) -> Result<Option<TomlValue>, ConfigError> {
        let Some(value) = self.table.get(name) else {
            return Ok(None);
        };
        let fmt = |s: &str| self.format(name, s);
        let fmt_any = |v: &toml::Value| match v {
            toml::Value::String(s) => fmt(s),
            other => Err(self.type_crash(name, other)),
        };
        let table = |t: &toml::Table| -> Result<Vec<(String, String)>, ConfigError> {
            t.iter()
                .map(|(k, v)| Ok((k.clone(), fmt_any(v)?)))
                .collect()
        };
        Ok(Some(match value {
            toml::Value::String(s) => TomlValue::Str(fmt(s)?),
            toml::Value::Array(items) => match items.first() {
                Some(toml::Value::Table(_)) => TomlValue::Tables(
                    items
                        .iter()
                        .map(|item| match item {
                            toml::Value::Table(t) => table(t),
                            other => Err(self.type_crash(name, other)),
                        })
                        .collect::<Result<_, _>>()?,
                ),
                _ => TomlValue::List(items.iter().map(fmt_any).collect::<Result<_, _>>()?),
            },
            toml::Value::Table(t) => TomlValue::Table(table(t)?),
            toml::Value::Integer(i) => TomlValue::Int(*i),
            toml::Value::Boolean(b) => TomlValue::Bool(*b),
            toml::Value::Float(_) | toml::Value::Datetime(_) => {
                return Err(ConfigError::Command(format!(
                    "unsupported TOML value type for key: {}",
                    crate::python::repr(name)
                )));
            }
        }))
    }

    fn format(&self, name: &str, s: &str) -> Result<String, ConfigError> {
        percent_format(s, &[("here", &self.here)]).map_err(|e| {
            ConfigError::crash(format!(
                "{}: [tool.alembic] {name} = {}: {e} (Alembic stops with a traceback here)\n\
                 hint: values are %-formatted: use %(here)s for the file's directory and %% \
                 for a literal '%'",
                self.source,
                crate::python::repr(s)
            ))
        })
    }

    fn type_crash(&self, name: &str, v: &toml::Value) -> ConfigError {
        ConfigError::crash(format!(
            "{}: [tool.alembic] {name} holds a {} where Alembic expects a string \
             (TypeError; Alembic stops with a traceback here)",
            self.source,
            v.type_str()
        ))
    }
}

/// Python's `text % mapping` for the conversions that make sense with
/// string values (`%(key)s`, `%%`, `r`, `a`, width/precision/`-`).
/// The error is Python's exception, `Type: message`.
pub(crate) fn percent_format(text: &str, args: &[(&str, &str)]) -> Result<String, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut unnamed_used = false;
    while let Some(&c) = chars.get(i) {
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        i += 1;
        let incomplete = || "ValueError: incomplete format".to_owned();
        if chars.get(i) == Some(&'%') {
            out.push('%');
            i += 1;
            continue;
        }
        // Mapping key, with nested parentheses counted as CPython does.
        let mut key: Option<String> = None;
        if chars.get(i) == Some(&'(') {
            let mut depth = 1;
            let key_start = i + 1;
            i += 1;
            while depth > 0 {
                match chars.get(i) {
                    None => return Err("ValueError: incomplete format key".to_owned()),
                    Some('(') => depth += 1,
                    Some(')') => depth -= 1,
                    Some(_) => {}
                }
                i += 1;
            }
            key = Some(
                chars
                    .get(key_start..i - 1)
                    .map(|k| k.iter().collect())
                    .unwrap_or_default(),
            );
        }
        let mut left = false;
        while let Some(f) = chars
            .get(i)
            .filter(|f| matches!(f, '-' | '+' | ' ' | '#' | '0'))
        {
            left |= *f == '-';
            i += 1;
        }
        let mut width = 0usize;
        while let Some(d) = chars.get(i).and_then(|c| c.to_digit(10)) {
            width = width.saturating_mul(10).saturating_add(d as usize);
            i += 1;
        }
        let mut precision: Option<usize> = None;
        if chars.get(i) == Some(&'.') {
            i += 1;
            let mut p = 0usize;
            while let Some(d) = chars.get(i).and_then(|c| c.to_digit(10)) {
                p = p.saturating_mul(10).saturating_add(d as usize);
                i += 1;
            }
            precision = Some(p);
        }
        while chars.get(i).is_some_and(|c| matches!(c, 'h' | 'l' | 'L')) {
            i += 1;
        }
        let Some(&conv) = chars.get(i) else {
            return Err(incomplete());
        };
        i += 1;
        let value: String = match &key {
            Some(k) => match args.iter().find(|(n, _)| n == k) {
                Some((_, v)) => (*v).to_owned(),
                None => return Err(format!("KeyError: {}", crate::python::repr(k))),
            },
            None => {
                // With a mapping on the right, a bare `%s` formats the mapping itself.
                if unnamed_used {
                    return Err("TypeError: not enough arguments for format string".to_owned());
                }
                unnamed_used = true;
                let items: Vec<String> = args
                    .iter()
                    .map(|(k, v)| format!("{}: {}", crate::python::repr(k), crate::python::repr(v)))
                    .collect();
                format!("{{{}}}", items.join(", "))
            }
        };
        let mut s = match conv {
            's' => value,
            'r' | 'a' => crate::python::repr(&value),
            'd' | 'i' | 'o' | 'u' | 'x' | 'X' | 'e' | 'E' | 'f' | 'F' | 'g' | 'G' | 'c' => {
                return Err(format!(
                    "TypeError: %{conv} format: a real number is required, not str"
                ));
            }
            other => {
                return Err(format!(
                    "ValueError: unsupported format character {} ({:#x}) at index {}",
                    crate::python::repr(&other.to_string()),
                    u32::from(other),
                    i - 1
                ));
            }
        };
        if let Some(p) = precision {
            s = s.chars().take(p).collect();
        }
        let len = s.chars().count();
        if len < width {
            let pad = " ".repeat(width - len);
            s = if left { s + &pad } else { pad + &s };
        }
        out.push_str(&s);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_formatting() {
        let args = [("here", "/p")];
        assert_eq!(percent_format("%(here)s/m", &args).unwrap(), "/p/m");
        assert_eq!(percent_format("100%%", &args).unwrap(), "100%");
        assert_eq!(percent_format("%(here)r", &args).unwrap(), "'/p'");
        assert_eq!(percent_format("[%(here)5s]", &args).unwrap(), "[   /p]");
        assert_eq!(percent_format("%s", &args).unwrap(), "{'here': '/p'}");
        assert_eq!(
            percent_format("50%", &args).unwrap_err(),
            "ValueError: incomplete format"
        );
        assert_eq!(
            percent_format("%(rev)s", &args).unwrap_err(),
            "KeyError: 'rev'"
        );
        assert_eq!(
            percent_format("a%qb", &args).unwrap_err(),
            "ValueError: unsupported format character 'q' (0x71) at index 2"
        );
    }

    #[test]
    fn value_types() {
        let t = ToolAlembic::parse(
            "[tool.alembic]\ns = \"%(here)s/x\"\nl = [\"%(here)s\", \"b\"]\ni = 3\nb = true\nf = 1.5\n\
             [[tool.alembic.hooks]]\nname = \"black\"\ntype = \"console_scripts\"\n",
            "pyproject.toml",
            "/p",
        )
        .unwrap();
        assert_eq!(t.get("s").unwrap(), Some(TomlValue::Str("/p/x".into())));
        assert_eq!(
            t.get("l").unwrap(),
            Some(TomlValue::List(vec!["/p".into(), "b".into()]))
        );
        assert_eq!(t.get("i").unwrap(), Some(TomlValue::Int(3)));
        assert_eq!(t.get("b").unwrap(), Some(TomlValue::Bool(true)));
        assert_eq!(t.get("missing").unwrap(), None);
        match t.get("f") {
            Err(ConfigError::Command(m)) => {
                assert_eq!(m, "unsupported TOML value type for key: 'f'")
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(t.get("hooks").unwrap(), Some(TomlValue::Tables(v)) if v.len() == 1));
    }

    #[test]
    fn incorrect_format_and_invalid_toml() {
        match ToolAlembic::parse("[tool]\nalembic = 3\n", "pyproject.toml", "/p") {
            Err(ConfigError::Command(m)) => assert_eq!(m, "Incorrect TOML format"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            ToolAlembic::parse("[tool\n", "pyproject.toml", "/p"),
            Err(ConfigError::Crash { .. })
        ));
        let empty = ToolAlembic::parse("[project]\nname = 'x'\n", "pyproject.toml", "/p").unwrap();
        assert_eq!(empty.get("script_location").unwrap(), None);
    }
}
