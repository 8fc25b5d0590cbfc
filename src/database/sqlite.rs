//! SQLite: the file is opened read-only through a `file:` URI (`mode=ro`),
//! never created; a missing file is reported as such. Paths resolve like
//! SQLAlchemy's pysqlite dialect (relative to the working directory, or a
//! `file:` URI with `uri=true`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::{
    DbError, DbErrorKind, DbUrl, Job, Tables, VersionRead, VersionRows, VersionTable,
    quote_ident_ansi,
};

/// What the URL points at.
enum Location {
    /// An in-memory database: always fresh, so never a version table.
    Memory,
    /// A file (absolute path).
    File(PathBuf),
}

fn truthy(value: Option<&str>) -> bool {
    matches!(
        value.map(str::to_ascii_lowercase).as_deref(),
        Some("true" | "1" | "yes" | "on")
    )
}

fn absolute(path: &Path) -> Result<PathBuf, DbError> {
    std::path::absolute(path).map_err(|e| {
        DbError::new(
            DbErrorKind::Other,
            format!("cannot resolve SQLite path \"{}\": {e}", path.display()),
        )
    })
}

fn locate(url: &DbUrl) -> Result<Location, DbError> {
    let database = url.database.as_deref().unwrap_or("");
    if truthy(url.query_value("uri")) {
        if url.query_value("mode") == Some("memory") {
            return Ok(Location::Memory);
        }
        let Some(rest) = database.strip_prefix("file:") else {
            // sqlite3 treats a plain name as a file name even with uri=true.
            return match database {
                "" | ":memory:" => Ok(Location::Memory),
                path => Ok(Location::File(absolute(Path::new(path))?)),
            };
        };
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let path = match rest.strip_prefix("//") {
            Some(after) => {
                let slash = after.find('/').unwrap_or(after.len());
                let authority = &after[..slash];
                if !authority.is_empty() && authority != "localhost" {
                    return Err(DbError::new(
                        DbErrorKind::BadUrl,
                        format!(
                            "SQLite URI authority \"{authority}\" is not supported: use file:/path or file:relative"
                        ),
                    ));
                }
                &after[slash..]
            }
            None => rest,
        };
        let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
        if decoded.is_empty() || decoded == ":memory:" {
            return Ok(Location::Memory);
        }
        return Ok(Location::File(absolute(Path::new(decoded.as_ref()))?));
    }
    match database {
        "" | ":memory:" => Ok(Location::Memory),
        path => Ok(Location::File(absolute(Path::new(path))?)),
    }
}

/// Resolve the file and build the read.
pub(crate) fn prepare(
    url: &DbUrl,
    table: &VersionTable,
    timeout: Duration,
) -> Result<Job, DbError> {
    let location = locate(url)?;
    let target = match &location {
        Location::Memory => "an in-memory SQLite database".to_string(),
        Location::File(p) => format!("SQLite file {}", p.display()),
    };
    let table = table.clone();
    Ok(Job {
        target,
        secrets: super::mask::Secrets::new(),
        run: Box::new(move || match location {
            Location::Memory => Ok(VersionRead {
                rows: VersionRows::NoTable,
                tables: Some(Tables::default()),
            }),
            Location::File(path) => read(&path, &table, timeout),
        }),
    })
}

/// A `file:` URI for `path` with `params`: `%`, `?` and `#` must be escaped.
fn file_uri(path: &Path, params: &str) -> String {
    let mut out = String::from("file:");
    for b in path.to_string_lossy().bytes() {
        if b == b'%' || b == b'?' || b == b'#' || b.is_ascii_control() {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(char::from(b));
        }
    }
    out.push('?');
    out.push_str(params);
    out
}

fn read(path: &Path, table: &VersionTable, timeout: Duration) -> Result<VersionRead, DbError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            return Err(DbError::new(
                DbErrorKind::Other,
                format!(
                    "SQLite path {} is a directory, not a database file",
                    path.display()
                ),
            ));
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(VersionRead {
                rows: VersionRows::NoDatabaseFile,
                tables: Some(Tables::default()),
            });
        }
        Err(e) => {
            return Err(DbError::new(
                DbErrorKind::PermissionDenied,
                format!("cannot access SQLite file {}: {e}", path.display()),
            ));
        }
    }
    match read_with(path, table, timeout, "mode=ro") {
        // A WAL database in a directory we cannot write needs its -shm file;
        // `immutable=1` reads it without any locking or side files.
        Err(e) if needs_immutable(&e) => {
            read_with(path, table, timeout, "mode=ro&immutable=1").map_err(|e| classify(&e, path))
        }
        other => other.map_err(|e| classify(&e, path)),
    }
}

fn needs_immutable(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::CannotOpen | ErrorCode::ReadOnly)
    )
}

fn read_with(
    path: &Path,
    table: &VersionTable,
    timeout: Duration,
    params: &str,
) -> Result<VersionRead, rusqlite::Error> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(file_uri(path, params), flags)?;
    conn.busy_timeout(timeout)?;
    conn.execute_batch("BEGIN")?;
    let schema = table.schema.as_deref().map(quote_ident_ansi);
    let master = match &schema {
        Some(s) => format!("{s}.sqlite_master"),
        None => "sqlite_master".to_string(),
    };
    let exists: bool = conn.query_row(
        &format!("SELECT count(*) > 0 FROM {master} WHERE type IN ('table', 'view') AND name = ?1 COLLATE NOCASE"),
        [&table.name],
        |row| row.get(0),
    )?;
    if !exists {
        return Ok(VersionRead {
            rows: VersionRows::NoTable,
            tables: Some(other_tables(&conn, &master, table)?),
        });
    }
    let qualified = match &schema {
        Some(s) => format!("{s}.{}", quote_ident_ansi(&table.name)),
        None => quote_ident_ansi(&table.name),
    };
    let mut stmt = conn.prepare(&format!("SELECT version_num FROM {qualified}"))?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let value = match row.get_ref(0)? {
            ValueRef::Text(bytes) | ValueRef::Blob(bytes) => {
                String::from_utf8_lossy(bytes).into_owned()
            }
            ValueRef::Integer(i) => i.to_string(),
            ValueRef::Real(r) => r.to_string(),
            // An empty row is refused by the caller's validation.
            ValueRef::Null => String::new(),
        };
        out.push(value);
    }
    let tables = if out.is_empty() {
        Some(other_tables(&conn, &master, table)?)
    } else {
        None
    };
    Ok(VersionRead {
        rows: VersionRows::Rows(out),
        tables,
    })
}

/// The tables other than the version table (and SQLite's own) in the file.
fn other_tables(
    conn: &Connection,
    master: &str,
    table: &VersionTable,
) -> Result<Tables, rusqlite::Error> {
    let mut stmt = conn.prepare(&format!(
        "SELECT name FROM {master} WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
         AND name <> ?1 COLLATE NOCASE"
    ))?;
    let names = stmt
        .query_map([&table.name], |row| row.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Tables::from_names(names))
}

fn classify(e: &rusqlite::Error, path: &Path) -> DbError {
    let file = path.display();
    let (kind, hint) = match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => (
            DbErrorKind::Timeout,
            " (another process holds a lock; raise --timeout)",
        ),
        Some(ErrorCode::PermissionDenied | ErrorCode::AuthorizationForStatementDenied) => {
            (DbErrorKind::PermissionDenied, "")
        }
        Some(ErrorCode::NotADatabase) => (DbErrorKind::Other, " (is this an SQLite database?)"),
        _ => (DbErrorKind::Other, ""),
    };
    DbError::new(
        kind,
        format!("reading SQLite file {file} failed: {e}{hint}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_escapes_delimiters() {
        assert_eq!(
            file_uri(Path::new("/a b/c?#%.db"), "mode=ro"),
            "file:/a b/c%3F%23%25.db?mode=ro"
        );
    }

    #[test]
    fn locations() {
        let loc = |s: &str| DbUrl::parse(s).and_then(|u| locate(&u));
        assert!(matches!(loc("sqlite://"), Ok(Location::Memory)));
        assert!(matches!(loc("sqlite:///:memory:"), Ok(Location::Memory)));
        assert!(
            matches!(loc("sqlite:////abs/x.db"), Ok(Location::File(p)) if p == Path::new("/abs/x.db"))
        );
        assert!(
            matches!(loc("sqlite:///file:/abs/y%20z.db?mode=ro&uri=true"), Ok(Location::File(p)) if p == Path::new("/abs/y z.db"))
        );
        assert!(matches!(
            loc("sqlite:///file:x?mode=memory&uri=true"),
            Ok(Location::Memory)
        ));
        let rel = loc("sqlite:///rel.db");
        let cwd = std::env::current_dir().ok();
        assert!(matches!((rel, cwd), (Ok(Location::File(p)), Some(c)) if p == c.join("rel.db")));
    }
}
