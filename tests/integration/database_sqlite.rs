//! `read_version_rows` on SQLite files: never created, opened read-only
//! (also in a directory nobody may write, made immutable with `chattr +i`
//! because tests run as root, which ignores permission bits), rows and
//! garbage. Where `chattr +i` cannot make the directory unwritable the test
//! fails unless skipped by name (`DB_STATUS_TEST_SKIP=chattr`, see
//! `tests/environment`).

use crate::support::environment;
use environment::Need;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use db_status::database::{DbErrorKind, DbUrl, VersionRows, VersionTable, read_version_rows};

const T: Duration = Duration::from_secs(5);

fn url_for(path: &Path) -> DbUrl {
    // SQLAlchemy decodes the database part, and `?` would start the query.
    let text = path
        .display()
        .to_string()
        .replace('%', "%25")
        .replace('?', "%3F");
    DbUrl::parse(&format!("sqlite:///{text}")).unwrap_or_else(|e| panic!("{e}"))
}

fn read(path: &Path) -> Result<VersionRows, db_status::database::DbError> {
    read_version_rows(&url_for(path), &VersionTable::default(), T)
}

fn make_db(path: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(path).unwrap_or_else(|e| panic!("{e}"));
    conn.execute_batch(sql).unwrap_or_else(|e| panic!("{e}"));
}

fn tables(path: &Path) -> Vec<String> {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap_or_else(|e| panic!("{e}"));
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master ORDER BY name")
        .unwrap_or_else(|e| panic!("{e}"));
    let names = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap_or_else(|e| panic!("{e}"));
    names.flatten().collect()
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn missing_file_is_reported_and_not_created() {
    let dir = tempdir();
    let path = dir.path().join("sub").join("app.db");
    assert_eq!(read(&path), Ok(VersionRows::NoDatabaseFile));
    assert!(!path.exists(), "the file must not be created");
    assert!(!dir.path().join("sub").exists(), "no directory either");
    let path = dir.path().join("app.db");
    assert_eq!(read(&path), Ok(VersionRows::NoDatabaseFile));
    assert!(!path.exists());
    // The absolute form from `%(here)s` interpolation: `sqlite:////abs`.
    let url = DbUrl::parse(&format!("sqlite+pysqlite:///{}", path.display()))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        read_version_rows(&url, &VersionTable::default(), T),
        Ok(VersionRows::NoDatabaseFile)
    );
    assert!(!path.exists());
}

#[test]
fn table_absent_then_rows() {
    let dir = tempdir();
    let path = dir.path().join("app.db");
    make_db(&path, "CREATE TABLE other (x INTEGER)");
    assert_eq!(read(&path), Ok(VersionRows::NoTable));
    assert_eq!(
        tables(&path),
        vec!["other"],
        "no version table may be created"
    );
    make_db(
        &path,
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
    );
    assert_eq!(read(&path), Ok(VersionRows::Rows(vec![])));
    make_db(
        &path,
        "INSERT INTO alembic_version VALUES ('ae1027a6acf'), ('zz_not_hex')",
    );
    let rows = read(&path);
    let Ok(VersionRows::Rows(mut rows)) = rows else {
        panic!("{rows:?}")
    };
    rows.sort();
    assert_eq!(rows, vec!["ae1027a6acf", "zz_not_hex"]);
    // No journal or other side file left behind.
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert_eq!(entries.len(), 1, "{entries:?}");
}

#[test]
fn custom_name_with_quote_and_uri_form() {
    let dir = tempdir();
    let path = dir.path().join("we ird?#.db");
    make_db(
        &path,
        "CREATE TABLE \"ver\"\"sions\" (version_num TEXT); INSERT INTO \"ver\"\"sions\" VALUES ('abc')",
    );
    let table = VersionTable {
        name: "ver\"sions".into(),
        schema: None,
    };
    assert_eq!(
        read_version_rows(&url_for(&path), &table, T),
        Ok(VersionRows::Rows(vec!["abc".into()]))
    );
    assert_eq!(read(&path), Ok(VersionRows::NoTable));
    // `uri=true`: SQLAlchemy decodes the database part once, then SQLite reads
    // it as a URI and decodes again, so a `?` in the path needs `%253F`.
    let encoded = path
        .display()
        .to_string()
        .replace(' ', "%20")
        .replace('?', "%253F")
        .replace('#', "%2523");
    let url = DbUrl::parse(&format!("sqlite:///file:{encoded}?mode=ro&uri=true"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        read_version_rows(&url, &table, T),
        Ok(VersionRows::Rows(vec!["abc".into()]))
    );
}

#[test]
fn garbage_rows_are_bad_data() {
    let dir = tempdir();
    let path = dir.path().join("app.db");
    make_db(
        &path,
        "CREATE TABLE alembic_version (version_num TEXT); INSERT INTO alembic_version VALUES (NULL)",
    );
    assert_eq!(read(&path).map_err(|e| e.kind), Err(DbErrorKind::BadData));
    make_db(
        &path,
        "DELETE FROM alembic_version; INSERT INTO alembic_version VALUES (char(1, 2))",
    );
    assert_eq!(read(&path).map_err(|e| e.kind), Err(DbErrorKind::BadData));
    make_db(
        &path,
        "DELETE FROM alembic_version; INSERT INTO alembic_version VALUES (X'FFFE')",
    );
    assert_eq!(read(&path).map_err(|e| e.kind), Err(DbErrorKind::BadData));
}

#[test]
fn not_a_database_is_an_error() {
    let dir = tempdir();
    let path = dir.path().join("app.db");
    std::fs::write(&path, b"this is not sqlite, just text, long enough to have a header....................................")
        .unwrap_or_else(|e| panic!("{e}"));
    let err = read(&path).err();
    let Some(err) = err else {
        panic!("expected an error")
    };
    assert_eq!(err.kind, DbErrorKind::Other);
    assert!(err.message.contains("app.db"), "{}", err.message);
}

/// Make `dir` unwritable even for root; undone on drop.
struct Immutable(PathBuf);

impl Immutable {
    fn set(dir: &Path) -> Option<Immutable> {
        let ok = Command::new("chattr")
            .arg("+i")
            .arg(dir)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        // Check it really is unwritable (chattr may be missing or
        // unsupported; an unprivileged user is already kept out by the mode).
        let probe = dir.join("probe");
        if std::fs::write(&probe, b"x").is_err() {
            return Some(Immutable(dir.to_path_buf()));
        }
        let _ = std::fs::remove_file(&probe);
        if ok {
            let _ = Command::new("chattr").arg("-i").arg(dir).status();
        }
        environment::unavailable(
            Need::Chattr,
            format_args!(
                "cannot make {} unwritable with `chattr +i` (missing, refused, or ignored by the file system)",
                dir.display()
            ),
        );
        None
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

#[test]
fn read_only_file_in_read_only_dir() {
    let dir = tempdir();
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap_or_else(|e| panic!("{e}"));
    let path = ro.join("app.db");
    make_db(
        &path,
        "CREATE TABLE alembic_version (version_num TEXT); INSERT INTO alembic_version VALUES ('r0')",
    );
    let wal = ro.join("wal.db");
    make_db(
        &wal,
        "PRAGMA journal_mode=WAL; CREATE TABLE alembic_version (version_num TEXT); INSERT INTO alembic_version VALUES ('w4l')",
    );
    {
        use std::os::unix::fs::PermissionsExt;
        for p in [&path, &wal] {
            let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o444));
        }
        let _ = std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555));
    }
    let Some(_guard) = Immutable::set(&ro) else {
        return;
    };
    assert_eq!(read(&path), Ok(VersionRows::Rows(vec!["r0".into()])));
    // WAL mode needs a -shm file it cannot create here: read as immutable.
    assert_eq!(read(&wal), Ok(VersionRows::Rows(vec!["w4l".into()])));
    assert_eq!(
        read(&ro.join("missing.db")),
        Ok(VersionRows::NoDatabaseFile)
    );
}

#[test]
fn memory_database_has_no_table() {
    for url in ["sqlite://", "sqlite:///:memory:"] {
        let url = DbUrl::parse(url).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            read_version_rows(&url, &VersionTable::default(), T),
            Ok(VersionRows::NoTable)
        );
    }
}
