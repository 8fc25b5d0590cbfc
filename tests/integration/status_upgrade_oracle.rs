//! `db-status status` against real `alembic upgrade` (issue #3): Alembic
//! projects built with the real `alembic` CLI (`init`, `revision --rev-id`
//! with `--head`, `--splice`, `--branch-label`, `--depends-on`, `merge`),
//! databases on SQLite, the machine's PostgreSQL and its MariaDB, every state
//! reached by a real `alembic upgrade`/`stamp`. For each state, the `pending`
//! list of `db-status --format json` must be exactly the revisions a following
//! real `alembic upgrade heads` runs (read from its `Running upgrade A -> B`
//! log lines), in the same order, and db-status must then say up-to-date.
//!
//! One test per tree; each runs the three backends in turn, each backend with
//! its own ini (`sqlite.ini`, `postgres.ini`, `mariadb.ini`) and its own
//! database, dropped afterwards even on failure. An unreachable server fails
//! the test unless skipped by name (`DB_STATUS_TEST_SKIP=postgres,mysql`);
//! the skipped backends are then listed by `scripts/test.sh`.

use std::path::Path;
use std::time::Duration;

use crate::support::{MyDb, PgDb, alembic, db_status, upgraded_revisions};

const LIMIT: Duration = Duration::from_secs(30);

/// One database behind one ini file of the project.
enum Db {
    Sqlite(std::path::PathBuf),
    Postgres(PgDb),
    Mysql(MyDb),
}

impl Db {
    fn label(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
            Db::Mysql(_) => "mariadb",
        }
    }

    /// The SQLAlchemy URL for the ini.
    fn url(&self) -> String {
        match self {
            Db::Sqlite(p) => format!("sqlite:///{}", p.display()),
            Db::Postgres(db) => db.url("postgresql+psycopg2"),
            Db::Mysql(db) => db.url("mysql+pymysql"),
        }
    }

    /// Back to a fresh database: no version table.
    fn reset(&self) {
        match self {
            Db::Sqlite(p) => {
                let _ = std::fs::remove_file(p);
            }
            Db::Postgres(db) => db.exec("DROP TABLE IF EXISTS alembic_version"),
            Db::Mysql(db) => db.exec("DROP TABLE IF EXISTS alembic_version"),
        }
    }

    /// Replace the version table's rows (the table must exist).
    fn set_rows(&self, rows: &[&str]) {
        let inserts: Vec<String> = rows
            .iter()
            .map(|r| format!("INSERT INTO alembic_version (version_num) VALUES ('{r}')"))
            .collect();
        match self {
            Db::Sqlite(p) => {
                let c = rusqlite::Connection::open(p).expect("sqlite");
                c.execute_batch(&format!(
                    "DELETE FROM alembic_version; {};",
                    inserts.join("; ")
                ))
                .expect("set rows");
            }
            Db::Postgres(db) => db.exec(&format!(
                "DELETE FROM alembic_version; {};",
                inserts.join("; ")
            )),
            Db::Mysql(db) => db.exec(&format!(
                "DELETE FROM alembic_version;\n{}",
                inserts.join(";\n")
            )),
        }
    }
}

/// The databases to test: SQLite always, the servers when reachable.
fn databases(dir: &Path) -> Vec<Db> {
    let mut v = vec![Db::Sqlite(dir.join("db.sqlite"))];
    if let Some(db) = PgDb::create() {
        v.push(Db::Postgres(db));
    }
    if let Some(db) = MyDb::create() {
        v.push(Db::Mysql(db));
    }
    v
}

/// A project made by `alembic init migrations` in a temporary directory.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn init() -> Project {
        let dir = tempfile::tempdir().expect("tempdir");
        alembic(dir.path(), None, &["init", "migrations"]);
        Project { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `alembic revision -m msg --rev-id id` plus `extra` flags.
    fn rev(&self, id: &str, msg: &str, extra: &[&str]) -> &Self {
        let mut args = vec!["revision", "-m", msg, "--rev-id", id];
        args.extend_from_slice(extra);
        alembic(self.path(), None, &args);
        self
    }

    /// Write `<backend>.ini`: the generated `alembic.ini` pointed at `db`.
    fn ini_for(&self, db: &Db) -> String {
        let text = std::fs::read_to_string(self.path().join("alembic.ini")).expect("ini");
        let url = db.url().replace('%', "%%");
        let mut found = false;
        let lines: Vec<String> = text
            .lines()
            .map(|l| {
                if l.starts_with("sqlalchemy.url") {
                    found = true;
                    format!("sqlalchemy.url = {url}")
                } else {
                    l.to_string()
                }
            })
            .collect();
        assert!(found, "no sqlalchemy.url line in the generated alembic.ini");
        let name = format!("{}.ini", db.label());
        std::fs::write(self.path().join(&name), lines.join("\n") + "\n").expect("write ini");
        name
    }
}

/// One backend of one project: runs the states and counts the comparisons.
struct Oracle<'a> {
    project: &'a Project,
    db: &'a Db,
    ini: String,
    comparisons: usize,
}

/// What db-status reported.
struct Verdict {
    state: String,
    exit: i64,
    pending: Vec<String>,
    json: serde_json::Value,
}

impl<'a> Oracle<'a> {
    fn new(project: &'a Project, db: &'a Db) -> Oracle<'a> {
        let ini = project.ini_for(db);
        Oracle {
            project,
            db,
            ini,
            comparisons: 0,
        }
    }

    fn alembic(&self, args: &[&str]) -> String {
        alembic(self.project.path(), Some(&self.ini), args)
    }

    fn status(&self, what: &str) -> Verdict {
        let out = db_status(
            self.project.path(),
            &["-c", &self.ini, "--format", "json"],
            LIMIT,
        );
        out.assert_clean(what);
        let json = out.json();
        let c = &json["components"][0];
        let state = c["state"].as_str().unwrap_or_default().to_string();
        let exit = c["exit_code"].as_i64().unwrap_or(-1);
        assert_eq!(
            out.code,
            Some(i32::try_from(exit).unwrap_or(-1)),
            "{what}: process exit code vs JSON exit_code\n{}",
            out.stdout
        );
        assert_eq!(json["exit_code"], c["exit_code"], "{what}");
        // `pending` is null exactly where Alembic has no plan (an unknown revision).
        let plan = c["pending"].as_array();
        assert_eq!(
            plan.is_none(),
            state == "unknown-revision",
            "{what}: pending is null only without a plan\n{}",
            out.stdout
        );
        let pending: Vec<String> = plan
            .into_iter()
            .flatten()
            .map(|p| p["revision"].as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(
            c["pending_count"].as_u64(),
            plan.map(|_| pending.len() as u64),
            "{what}: pending_count\n{}",
            out.stdout
        );
        Verdict {
            state,
            exit,
            pending,
            json,
        }
    }

    /// Reset the database, reach a state with the given alembic commands,
    /// check db-status's verdict, then compare its pending list with what a
    /// real `alembic upgrade heads` runs, and check up-to-date afterwards.
    fn check(&mut self, name: &str, setup: &[&[&str]], state: &str, exit: i64) -> Vec<String> {
        let what = format!("[{}] {name}", self.db.label());
        self.db.reset();
        for cmd in setup {
            self.alembic(cmd);
        }
        let v = self.status(&what);
        assert_eq!(
            (v.state.as_str(), v.exit),
            (state, exit),
            "{what}: state\n{:#}",
            v.json
        );
        let ran = upgraded_revisions(&self.alembic(&["upgrade", "heads"]));
        assert_eq!(
            v.pending, ran,
            "{what}: db-status pending (left) vs the revisions `alembic upgrade heads` ran (right)"
        );
        self.comparisons += 1;
        let after = self.status(&format!("{what}, after upgrade heads"));
        assert_eq!(
            (after.state.as_str(), after.exit, after.pending.len()),
            ("up-to-date", 0, 0),
            "{what}: after `alembic upgrade heads`\n{:#}",
            after.json
        );
        ran
    }

    /// The database holds a revision the scripts do not know.
    fn check_unknown(&self, fake: &str) {
        let what = format!("[{}] unknown revision", self.db.label());
        self.db.reset();
        self.alembic(&["upgrade", "heads"]);
        self.db.set_rows(&[fake]);
        let v = self.status(&what);
        assert_eq!(
            (v.state.as_str(), v.exit),
            ("unknown-revision", 5),
            "{what}\n{:#}",
            v.json
        );
        let unknown = v.json["components"][0]["unknown"].to_string();
        assert!(unknown.contains(fake), "{what}: `unknown` = {unknown}");
    }

    /// The scripts have unlabelled heads: diverged, whatever the database holds.
    fn check_diverged(&self, setup: &[&[&str]]) {
        let what = format!("[{}] diverged {setup:?}", self.db.label());
        self.db.reset();
        for cmd in setup {
            self.alembic(cmd);
        }
        let v = self.status(&what);
        assert_eq!(
            (v.state.as_str(), v.exit),
            ("diverged", 4),
            "{what}\n{:#}",
            v.json
        );
    }
}

/// Counts per backend, printed at the end of each test (`--nocapture`).
fn report(tree: &str, counts: &[(&str, usize)]) {
    eprintln!("{tree}: pending comparisons per backend: {counts:?}");
}

#[test]
fn linear_tree() {
    let p = Project::init();
    p.rev("lin0000001", "create users", &[])
        .rev("lin0000002", "add email", &[])
        .rev("lin0000003", "add index", &[])
        .rev("lin0000004", "drop legacy", &[]);
    let dbs = databases(p.path());
    let mut counts = Vec::new();
    for db in &dbs {
        let mut o = Oracle::new(&p, db);
        let ran = o.check("fresh", &[], "no-revision", 3);
        assert_eq!(
            ran,
            ["lin0000001", "lin0000002", "lin0000003", "lin0000004"]
        );
        o.check("upgrade first", &[&["upgrade", "lin0000001"]], "behind", 1);
        o.check("upgrade +2", &[&["upgrade", "+2"]], "behind", 1);
        o.check("upgrade third", &[&["upgrade", "lin0000003"]], "behind", 1);
        o.check("stamp second", &[&["stamp", "lin0000002"]], "behind", 1);
        o.check("stamp base", &[&["stamp", "base"]], "no-revision", 3);
        o.check("full", &[&["upgrade", "heads"]], "up-to-date", 0);
        o.check(
            "downgraded",
            &[&["upgrade", "heads"], &["downgrade", "-1"]],
            "behind",
            1,
        );
        o.check_unknown("feedface0bad");
        counts.push((db.label(), o.comparisons));
    }
    report("linear", &counts);
}

#[test]
fn branch_point_and_merge() {
    let p = Project::init();
    p.rev("brm0000001", "root", &[])
        .rev("brm0000002", "branch point", &[])
        .rev("brm00000x1", "x one", &["--head", "brm0000002"])
        .rev("brm00000x2", "x two", &[])
        .rev("brm00000y1", "y one", &["--head", "brm0000002", "--splice"]);
    // Two unlabelled heads: diverged, on every backend, fresh or not.
    let dbs = databases(p.path());
    for db in &dbs {
        let o = Oracle::new(&p, db);
        o.check_diverged(&[]);
        o.check_diverged(&[&["upgrade", "brm00000x2"]]);
    }
    alembic(
        p.path(),
        None,
        &[
            "merge",
            "-m",
            "merge x and y",
            "--rev-id",
            "brm00000m1",
            "heads",
        ],
    );
    p.rev("brm0000003", "after merge", &[]);

    let mut counts = Vec::new();
    for db in &dbs {
        let mut o = Oracle::new(&p, db);
        o.check("fresh", &[], "no-revision", 3);
        o.check(
            "upgrade branch point",
            &[&["upgrade", "brm0000002"]],
            "behind",
            1,
        );
        o.check("upgrade x head", &[&["upgrade", "brm00000x2"]], "behind", 1);
        o.check("upgrade y head", &[&["upgrade", "brm00000y1"]], "behind", 1);
        o.check(
            "two rows x1 + y1",
            &[&["upgrade", "brm00000x1"], &["upgrade", "brm00000y1"]],
            "behind",
            1,
        );
        o.check(
            "stamp both merge parents",
            &[&["stamp", "brm00000x2", "brm00000y1"]],
            "behind",
            1,
        );
        o.check("stamp merge", &[&["stamp", "brm00000m1"]], "behind", 1);
        o.check("full", &[&["upgrade", "heads"]], "up-to-date", 0);
        counts.push((db.label(), o.comparisons));
    }
    report("branch point and merge", &counts);
}

#[test]
fn two_labelled_branches_are_not_divergence() {
    let p = Project::init();
    p.rev("lab0000000", "common base", &[])
        .rev(
            "labexpand1",
            "expand one",
            &["--head", "lab0000000", "--branch-label", "expand"],
        )
        .rev(
            "labcontra1",
            "contract one",
            &[
                "--head",
                "lab0000000",
                "--splice",
                "--branch-label",
                "contract",
            ],
        )
        .rev("labexpand2", "expand two", &["--head", "expand@head"])
        .rev("labcontra2", "contract two", &["--head", "contract@head"])
        .rev("labexpand3", "expand three", &["--head", "expand@head"]);
    let dbs = databases(p.path());
    let mut counts = Vec::new();
    for db in &dbs {
        let mut o = Oracle::new(&p, db);
        o.check("fresh", &[], "no-revision", 3);
        o.check("upgrade base", &[&["upgrade", "lab0000000"]], "behind", 1);
        o.check(
            "upgrade expand@head",
            &[&["upgrade", "expand@head"]],
            "behind",
            1,
        );
        o.check(
            "upgrade contract@head",
            &[&["upgrade", "contract@head"]],
            "behind",
            1,
        );
        o.check(
            "upgrade expand one",
            &[&["upgrade", "labexpand1"]],
            "behind",
            1,
        );
        o.check(
            "expand@head + contract one",
            &[&["upgrade", "expand@head"], &["upgrade", "labcontra1"]],
            "behind",
            1,
        );
        o.check("stamp heads", &[&["stamp", "heads"]], "up-to-date", 0);
        o.check(
            "both branches upgraded",
            &[&["upgrade", "expand@head"], &["upgrade", "contract@head"]],
            "up-to-date",
            0,
        );
        counts.push((db.label(), o.comparisons));
    }
    report("labelled branches", &counts);
}

#[test]
fn depends_on_across_branches() {
    let p = Project::init();
    p.rev("dep00core1", "core one", &["--branch-label", "core"])
        .rev("dep00core2", "core two", &["--head", "core@head"])
        .rev("dep00core3", "core three", &["--head", "core@head"])
        .rev(
            "dep0plugin1",
            "plugin one",
            &[
                "--head",
                "base",
                "--branch-label",
                "plugin",
                "--depends-on",
                "dep00core2",
            ],
        )
        .rev(
            "dep0plugin2",
            "plugin two",
            &["--head", "plugin@head", "--depends-on", "dep00core3"],
        );
    let dbs = databases(p.path());
    let mut counts = Vec::new();
    for db in &dbs {
        let mut o = Oracle::new(&p, db);
        o.check("fresh", &[], "no-revision", 3);
        o.check(
            "upgrade core one",
            &[&["upgrade", "dep00core1"]],
            "behind",
            1,
        );
        o.check(
            "upgrade plugin one (pulls in its dependency)",
            &[&["upgrade", "dep0plugin1"]],
            "behind",
            1,
        );
        o.check(
            "upgrade core@head",
            &[&["upgrade", "core@head"]],
            "behind",
            1,
        );
        o.check("stamp core two", &[&["stamp", "dep00core2"]], "behind", 1);
        o.check(
            "stamp plugin one alone",
            &[&["stamp", "dep0plugin1"]],
            "behind",
            1,
        );
        o.check(
            "upgrade plugin@head (pulls in all of core)",
            &[&["upgrade", "plugin@head"]],
            "up-to-date",
            0,
        );
        counts.push((db.label(), o.comparisons));
    }
    report("depends_on", &counts);
}

/// Revision files whose labels and dependencies come from other modules
/// (issue 9: Neutron's `cli.EXPAND_BRANCH`, Invenio's `try: import`):
/// db-status resolves them statically and its plan is Alembic's.
#[test]
fn imported_labels_and_try_import_dependencies() {
    let p = Project::init();
    p.rev("imp0000root", "root", &[])
        .rev(
            "imp00expand",
            "expand",
            &["--head", "imp0000root", "--branch-label", "expand"],
        )
        .rev(
            "imp0contract",
            "contract",
            &[
                "--head",
                "imp0000root",
                "--splice",
                "--branch-label",
                "contract",
            ],
        );
    for (path, text) in [
        ("proj/__init__.py", ""),
        (
            "proj/cli.py",
            "EXPAND_BRANCH = 'expand'\nCONTRACT_BRANCH = 'contract'\n",
        ),
    ] {
        let f = p.path().join(path);
        std::fs::create_dir_all(f.parent().expect("parent")).expect("mkdir");
        std::fs::write(f, text).expect("write");
    }
    let rewrite = |id: &str, labels: &str, deps: &str| {
        let versions = p.path().join("migrations/versions");
        let file = std::fs::read_dir(&versions)
            .expect("versions")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|f| {
                f.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(id))
            })
            .expect("revision file");
        let text = std::fs::read_to_string(&file).expect("read");
        let text: String = text
            .lines()
            .map(|l| {
                if l.starts_with("branch_labels") {
                    labels.to_owned()
                } else if l.starts_with("depends_on") {
                    deps.to_owned()
                } else {
                    l.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(&file, text + "\n").expect("write");
    };
    rewrite(
        "imp00expand",
        "from proj import cli\nbranch_labels = (cli.EXPAND_BRANCH,)",
        "depends_on = None",
    );
    rewrite(
        "imp0contract",
        "import proj.cli as c\nbranch_labels = [c.CONTRACT_BRANCH]",
        "deps = []\ntry:\n    import proj\n    deps += ['imp00expand']\nexcept ImportError:\n    pass\ndepends_on = deps",
    );
    let dbs = databases(p.path());
    let mut counts = Vec::new();
    for db in &dbs {
        let mut o = Oracle::new(&p, db);
        o.check("fresh", &[], "no-revision", 3);
        o.check("upgrade root", &[&["upgrade", "imp0000root"]], "behind", 1);
        o.check(
            "upgrade expand@head",
            &[&["upgrade", "expand@head"]],
            "behind",
            1,
        );
        o.check(
            "upgrade contract@head (pulls in expand)",
            &[&["upgrade", "contract@head"]],
            "up-to-date",
            0,
        );
        counts.push((db.label(), o.comparisons));
    }
    report("imported", &counts);
}
