//! SQLAlchemy URLs (`dialect+driver://user:pass@host:port/db?k=v`), parsed
//! like `sqlalchemy.engine.url.make_url`, and rendered with the password
//! masked exactly like `URL.render_as_string(hide_password=True)`.

/// A parsed SQLAlchemy URL.
#[derive(Clone, PartialEq, Eq)]
pub struct DbUrl {
    /// The whole drivername, e.g. `postgresql+asyncpg`.
    pub drivername: String,
    /// Decoded user name.
    pub username: Option<String>,
    /// Decoded password (never printed; see [`DbUrl::masked`]).
    pub password: Option<String>,
    /// Host (IPv6 without brackets).
    pub host: Option<String>,
    /// Port.
    pub port: Option<u16>,
    /// Database name or SQLite path, decoded.
    pub database: Option<String>,
    /// Query parameters in the order given (decoded); a key may repeat.
    pub query: Vec<(String, String)>,
}

impl std::fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Debug output must never leak the password either.
        write!(f, "DbUrl({})", self.masked())
    }
}

impl DbUrl {
    /// The URL with the password replaced by `***`, as SQLAlchemy renders it
    /// (`render_as_string(hide_password=True)`: query keys sorted, user quoted).
    pub fn masked(&self) -> String {
        todo!("DbUrl::masked")
    }
}
