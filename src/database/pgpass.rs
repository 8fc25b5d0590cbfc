//! libpq's password file (`PGPASSFILE` or `~/.pgpass`): the password for a
//! connection that gave none, found with libpq's matching rules.

use std::path::{Path, PathBuf};

/// What a lookup is for; `host` is already libpq's "password host" (a unix
/// socket path or nothing becomes `localhost`).
pub(crate) struct Wanted<'a> {
    pub(crate) host: &'a str,
    pub(crate) port: &'a str,
    pub(crate) database: &'a str,
    pub(crate) user: &'a str,
}

/// The password file libpq would read: `$PGPASSFILE`, else `~/.pgpass`.
pub(crate) fn default_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PGPASSFILE").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| Path::new(&h).join(".pgpass"))
}

/// Look `wanted` up in the file at `path`. Like libpq, a missing or
/// unreadable file is silently ignored, and a file others can read is ignored
/// with a warning on stderr.
pub(crate) fn lookup(path: &Path, wanted: &Wanted<'_>) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            eprintln!(
                "warning: password file \"{}\" has group or world access; permissions should be u=rw (0600) or less",
                path.display()
            );
            return None;
        }
    }
    let text = std::fs::read(path).ok()?;
    find(&String::from_utf8_lossy(&text), wanted)
}

/// The first line of `text` matching `wanted`.
pub(crate) fn find(text: &str, wanted: &Wanted<'_>) -> Option<String> {
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let Some(fields) = split_fields(line) else {
            continue;
        };
        let [host, port, db, user, password] = fields;
        let matches = |field: &str, value: &str| field == "*" || field == value;
        if matches(&host, wanted.host)
            && matches(&port, wanted.port)
            && matches(&db, wanted.database)
            && matches(&user, wanted.user)
        {
            return if password.is_empty() {
                None
            } else {
                Some(password)
            };
        }
    }
    None
}

/// `host:port:db:user:password`, with `\:` and `\\` escapes; the password is
/// the rest of the line (unescaped). Lines with fewer fields never match.
fn split_fields(line: &str) -> Option<[String; 5]> {
    let mut fields: Vec<String> = Vec::with_capacity(5);
    let mut current = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            ':' if fields.len() < 4 => {
                fields.push(std::mem::take(&mut current));
            }
            _ => current.push(c),
        }
    }
    if fields.len() < 4 {
        return None;
    }
    fields.push(current);
    fields.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w<'a>(host: &'a str, port: &'a str, database: &'a str, user: &'a str) -> Wanted<'a> {
        Wanted {
            host,
            port,
            database,
            user,
        }
    }

    #[test]
    fn first_match_wins_with_wildcards_and_escapes() {
        let text = "# comment\n\
                    db1:5432:app:alice:first\n\
                    *:5432:*:alice:second\n\
                    h\\:x:*:*:bob:pa\\:ss\\\\w:rd\n\
                    short:line\n";
        assert_eq!(
            find(text, &w("db1", "5432", "app", "alice")).as_deref(),
            Some("first")
        );
        assert_eq!(
            find(text, &w("db2", "5432", "app", "alice")).as_deref(),
            Some("second")
        );
        assert_eq!(find(text, &w("db2", "5433", "app", "alice")), None);
        assert_eq!(
            find(text, &w("h:x", "1", "d", "bob")).as_deref(),
            Some("pa:ss\\w:rd")
        );
        assert_eq!(find(text, &w("short", "line", "", "")), None);
    }

    #[cfg(unix)]
    #[test]
    fn group_readable_file_is_ignored() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().ok();
        let Some(dir) = dir else { return };
        let path = dir.path().join("pgpass");
        assert!(std::fs::write(&path, "*:*:*:*:pw\n").is_ok());
        let wanted = w("localhost", "5432", "d", "u");
        assert!(std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).is_ok());
        assert_eq!(lookup(&path, &wanted).as_deref(), Some("pw"));
        assert!(std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).is_ok());
        assert_eq!(lookup(&path, &wanted), None);
    }
}
