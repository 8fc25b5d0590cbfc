//! Config drift: a Backend.AI component's Alembic ini and its server config
//! naming different databases. Alembic (and `./backend.ai mgr schema`) read
//! the ini's `sqlalchemy.url`; the server reads `[db]` (`addr`, `name`,
//! `user`, `password`) from its TOML, and the manager lets `BACKEND_DB_ADDR`,
//! `BACKEND_DB_NAME`, `BACKEND_DB_USER`, `BACKEND_DB_PASSWORD` override it.
//! In Backend.AI's own tracked configs, accountmgr's ini names
//! `backendaccount` while its TOML names `backend`.
//!
//! Which TOML: for a tracked `configs/<dir>/<stem>.alembic.ini`, the
//! `configs/<dir>/<stem>.toml` beside it; otherwise the file the server
//! would find (`ai.backend.common.config.find_config_file`):
//! `$BACKEND_CONFIG_FILE` (manager, app proxy), `<root>/<name>.toml`,
//! `~/.config/backend.ai/<name>.toml`, `/etc/backend.ai/<name>.toml`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::database::url::DbUrl;
use crate::target::{Component, Env};

/// The manager's environment overrides of `[db]`, as `(key, variable)`.
const MANAGER_ENV: [(&str, &str); 4] = [
    ("addr", "BACKEND_DB_ADDR"),
    ("name", "BACKEND_DB_NAME"),
    ("user", "BACKEND_DB_USER"),
    ("password", "BACKEND_DB_PASSWORD"),
];

#[derive(Deserialize)]
struct ServerToml {
    db: Option<RawDb>,
}

#[derive(Deserialize)]
struct RawDb {
    addr: Option<RawAddr>,
    name: Option<String>,
    user: Option<String>,
    password: Option<String>,
}

#[derive(Deserialize)]
struct RawAddr {
    host: Option<String>,
    port: Option<u16>,
}

/// A database as a server config (and its overrides) names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServerDb {
    /// The TOML file.
    pub(crate) file: PathBuf,
    /// The `[db]` values as a URL (`postgresql://user:pw@host:port/name`).
    pub(crate) url: DbUrl,
    /// The environment variables that overrode the file's values.
    pub(crate) overridden_by: Vec<&'static str>,
}

/// The ini and the server config disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Drift {
    /// The ini, as shown.
    pub(crate) ini: String,
    /// The ini's URL.
    pub(crate) ini_url: DbUrl,
    /// The server's.
    pub(crate) server: ServerDb,
    /// What differs: `host`, `port`, `database`, `user`.
    pub(crate) differs: Vec<&'static str>,
}

impl Drift {
    /// The warning, with both URLs masked and which one the application uses.
    pub(crate) fn message(&self, component: &str, cwd: &Path) -> String {
        let file = crate::status::display_path(&self.server.file, cwd);
        let env = if self.server.overridden_by.is_empty() {
            String::new()
        } else {
            format!(
                " with {} from the environment",
                self.server.overridden_by.join(", ")
            )
        };
        format!(
            "warning: config drift: {ini} names {ini_url}, but {file} [db]{env} names {server_url} ({what} differ{s}); \
             the {component} server connects to {server_url}, while Alembic and the `schema` commands read {ini_url}",
            ini = self.ini,
            ini_url = self.ini_url.masked(),
            file = file.display(),
            server_url = self.server.url.masked(),
            what = self.differs.join(", "),
            s = if self.differs.len() == 1 { "s" } else { "" },
        )
    }
}

/// Read `[db]` of a server TOML; `None` when the file has no `[db]` or cannot be read.
pub(crate) fn read_server_db(file: &Path) -> Option<ServerDb> {
    let text = std::fs::read_to_string(file).ok()?;
    let raw: ServerToml = toml::from_str(&text).ok()?;
    let db = raw.db?;
    let addr = db.addr.unwrap_or(RawAddr {
        host: None,
        port: None,
    });
    Some(ServerDb {
        file: file.to_path_buf(),
        url: DbUrl {
            drivername: "postgresql".to_string(),
            username: db.user,
            password: db.password,
            host: addr.host,
            port: addr.port,
            database: db.name,
            query: Vec::new(),
        },
        overridden_by: Vec::new(),
    })
}

/// Apply the manager's `BACKEND_DB_*` overrides.
pub(crate) fn apply_manager_env(db: &mut ServerDb, env: &Env) {
    for (key, var) in MANAGER_ENV {
        let Some(value) = env.get(var) else { continue };
        match key {
            "addr" => {
                let (host, port) = match value.rsplit_once(':') {
                    Some((h, p)) => (h, p.parse().ok()),
                    None => (value, None),
                };
                db.url.host = Some(host.trim_matches(['[', ']']).to_string());
                if port.is_some() {
                    db.url.port = port;
                }
            }
            "name" => db.url.database = Some(value.to_string()),
            "user" => db.url.username = Some(value.to_string()),
            _ => db.url.password = Some(value.to_string()),
        }
        db.overridden_by.push(var);
    }
}

/// The server TOML a component's server would read, for this ini.
pub(crate) fn server_file(root: &Path, dir: &str, ini: &Path, env: &Env) -> Option<PathBuf> {
    // A tracked ini is paired with the TOML beside it.
    let ini_abs = root.join(ini);
    if let (Some(parent), Some(name)) = (ini_abs.parent(), ini_abs.file_name()) {
        let name = name.to_string_lossy();
        if parent.ends_with(Path::new("configs").join(dir))
            && let Some(stem) = name.strip_suffix(".alembic.ini")
        {
            let beside = parent.join(format!("{stem}.toml"));
            return beside.is_file().then_some(beside);
        }
    }
    let mut candidates: Vec<PathBuf> = Vec::new();
    if dir != "account-manager"
        && let Some(f) = env.get("BACKEND_CONFIG_FILE")
    {
        candidates.push(root.join(f));
    }
    candidates.push(root.join(format!("{dir}.toml")));
    if let Some(home) = env.get("HOME") {
        candidates.push(Path::new(home).join(format!(".config/backend.ai/{dir}.toml")));
    }
    candidates.push(PathBuf::from(format!("/etc/backend.ai/{dir}.toml")));
    candidates.into_iter().find(|c| c.is_file())
}

/// `localhost`, `127.0.0.1` and `::1` name the same host.
fn same_host(a: Option<&str>, b: Option<&str>) -> bool {
    let norm = |h: Option<&str>| match h.unwrap_or("localhost") {
        "127.0.0.1" | "::1" | "" => "localhost".to_string(),
        other => other.to_ascii_lowercase(),
    };
    norm(a) == norm(b)
}

/// Compare an ini URL with a server's `[db]`: what differs (empty when they agree).
pub(crate) fn compare(ini: &DbUrl, server: &DbUrl) -> Vec<&'static str> {
    let mut differs = Vec::new();
    if !same_host(ini.host.as_deref(), server.host.as_deref()) {
        differs.push("host");
    }
    if ini.port.unwrap_or(5432) != server.port.unwrap_or(5432) {
        differs.push("port");
    }
    if ini.database != server.database {
        differs.push("database");
    }
    if ini.username != server.username {
        differs.push("user");
    }
    differs
}

/// The drift of a Backend.AI built-in component, if its ini and server config disagree.
pub(crate) fn check(component: &Component) -> Option<Drift> {
    let ws = &component.workspace;
    if !ws.backend_ai {
        return None;
    }
    let dir = crate::config::components::builtin_configs_dir(component.name())?;
    let config = component.config.as_ref().ok()?;
    let ini = config.ini_path.as_deref()?;
    let ini_url = DbUrl::parse(config.sqlalchemy_url.as_deref()?).ok()?;
    if !ini_url.drivername.starts_with("postgres") {
        return None;
    }
    let file = server_file(&ws.root, dir, ini, &ws.env)?;
    let mut server = read_server_db(&file)?;
    if dir == "manager" {
        apply_manager_env(&mut server, &ws.env);
    }
    let differs = compare(&ini_url, &server.url);
    if differs.is_empty() {
        return None;
    }
    Some(Drift {
        ini: component
            .config_shown
            .clone()
            .unwrap_or_else(|| ini.display().to_string()),
        ini_url,
        server,
        differs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> DbUrl {
        DbUrl::parse(s).expect("url")
    }

    #[test]
    fn compare_names_what_differs() {
        let ini = url("postgresql://postgres:develove@localhost:8100/backendaccount");
        let server = url("postgresql://postgres:x@127.0.0.1:8100/backend");
        assert_eq!(compare(&ini, &server), ["database"]);
        let server = url("postgresql://lablup@db:5432/backendaccount");
        assert_eq!(compare(&ini, &server), ["host", "port", "user"]);
        assert!(compare(&url("postgresql://u@h/d"), &url("postgresql://u@h:5432/d")).is_empty());
    }
}
