//! The one way these tests run db-status and render what it printed.

use std::path::Path;
use std::time::Duration;

use crate::support::{self, Need, Run, UrlParts};

/// Longer than any run here takes; a run that reaches it fails.
const LIMIT: Duration = Duration::from_secs(60);

/// The forms of `status` (and the default command): human, `--ascii`, JSON.
pub(crate) const STATUS_FORMS: [&[&str]; 3] = [&[], &["--ascii"], &["--format", "json"]];

/// The forms of `check`: human, JSON, GitHub annotations.
pub(crate) const CHECK_FORMS: [&[&str]; 3] = [&[], &["--format", "json"], &["--format", "github"]];

/// A throw-away directory to run db-status in, with what to redact from
/// its output.
pub(crate) struct Scene {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    redactions: Vec<(String, String)>,
}

impl Scene {
    /// An empty directory.
    pub(crate) fn empty() -> Scene {
        Scene {
            dir: tempfile::tempdir().expect("tempdir"),
            env: Vec::new(),
            redactions: Vec::new(),
        }
    }

    /// An Alembic project: `alembic.ini` (`script_location = migrations`,
    /// then `ini_extra`) and an empty `migrations/versions/`.
    pub(crate) fn project(ini_extra: &str) -> Scene {
        let s = Scene::empty();
        s.file(
            "alembic.ini",
            &format!("[alembic]\nscript_location = migrations\n{ini_extra}\n"),
        );
        std::fs::create_dir_all(s.path().join("migrations/versions")).expect("mkdir");
        s
    }

    /// A project whose database is the SQLite file `db.sqlite` beside the ini.
    pub(crate) fn sqlite() -> Scene {
        Scene::project("sqlalchemy.url = sqlite:///%(here)s/db.sqlite")
    }

    /// A project with three linear revisions and the SQLite database.
    pub(crate) fn linear() -> Scene {
        let s = Scene::sqlite();
        s.rev("1a2b3c4d5e01", "None", "create users")
            .rev("1a2b3c4d5e02", "'1a2b3c4d5e01'", "add email")
            .rev("1a2b3c4d5e03", "'1a2b3c4d5e02'", "add index");
        s
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Write `text` at `rel`, creating directories.
    pub(crate) fn file(&self, rel: &str, text: &str) -> &Self {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
        self
    }

    /// A revision file as `alembic revision` writes it; `down` is the
    /// Python expression of `down_revision`.
    pub(crate) fn rev(&self, id: &str, down: &str, msg: &str) -> &Self {
        self.rev_with(id, down, msg, "None")
    }

    /// A revision file with `branch_labels` set to the expression `labels`.
    pub(crate) fn rev_with(&self, id: &str, down: &str, msg: &str, labels: &str) -> &Self {
        // As Alembic's template writes it: `a, b` for a merge, empty for None.
        let revises = if down == "None" {
            String::new()
        } else {
            down.replace(['\'', '(', ')'], "")
        };
        self.file(
            &format!("migrations/versions/{id}_{}.py", msg.replace(' ', "_")),
            &format!(
                "\"\"\"{msg}\n\nRevision ID: {id}\nRevises: {revises}\nCreate Date: 2026-01-01 00:00:00\n\n\"\"\"\n\
                 from alembic import op\nimport sqlalchemy as sa\n\n\
                 revision = '{id}'\ndown_revision = {down}\nbranch_labels = {labels}\ndepends_on = None\n\n\n\
                 def upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"
            ),
        )
    }

    /// The SQLite version table `db.sqlite` holding `rows`.
    pub(crate) fn db(&self, rows: &[&str]) -> &Self {
        support::sqlite_db(&self.path().join("db.sqlite"), rows);
        self
    }

    /// Replace `from` by `to` in what the runs print (and in their command lines).
    pub(crate) fn redact(mut self, from: impl Into<String>, to: &str) -> Scene {
        self.redactions.push((from.into(), to.to_string()));
        self
    }

    /// Run with `name=value` in the environment.
    pub(crate) fn env(mut self, name: &str, value: &str) -> Scene {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    /// Run `args` + each of `forms`, check each exits `code`, and return
    /// the runs as one text block.
    pub(crate) fn transcript(&self, args: &[&str], forms: &[&[&str]], code: i32) -> String {
        let mut text = String::new();
        for form in forms {
            let argv: Vec<&str> = args.iter().chain(form.iter()).copied().collect();
            let out = self.run(&argv);
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&self.render(&argv, &out));
            assert_eq!(out.code, Some(code), "{}", self.render(&argv, &out));
            if form.contains(&"json") && argv.first().is_none_or(|a| a.starts_with('-')) {
                // A status document: it must match the published schema.
                out.json();
            }
        }
        text
    }

    fn run(&self, argv: &[&str]) -> Run {
        let mut env: Vec<(&str, &str)> = vec![("RUST_BACKTRACE", "0"), ("NO_COLOR", "1")];
        env.extend(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let out = support::run(self.path(), argv, &env, LIMIT);
        out.assert_clean(&argv.join(" "));
        out
    }

    /// One run as text: `$ db-status ARGS`, `exit: N`, then stdout and stderr.
    fn render(&self, argv: &[&str], out: &Run) -> String {
        let section = |name: &str, body: &str| {
            let mut s = format!("--- {name}\n{body}");
            if !body.is_empty() && !body.ends_with('\n') {
                s.push_str("\n[no newline at end]\n");
            }
            s
        };
        let text = format!(
            "$ db-status{}\nexit: {}\n{}{}",
            argv.iter().map(|a| format!(" {a}")).collect::<String>(),
            out.code.map_or("killed".to_string(), |c| c.to_string()),
            section("stdout", &out.stdout),
            section("stderr", &out.stderr),
        );
        self.redacted(text)
    }

    /// `text` without what depends on this machine and this run.
    fn redacted(&self, mut text: String) -> String {
        for (from, to) in &self.redactions {
            text = text.replace(from.as_str(), to);
        }
        let dir = self.path();
        for p in [dir.canonicalize().unwrap_or_default(), dir.to_path_buf()] {
            let p = p.to_string_lossy().into_owned();
            if !p.is_empty() {
                text = text.replace(&p, "[DIR]");
            }
        }
        let version = format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION"));
        text = text.replace(&version, "\"version\": \"[VERSION]\"");
        // Elapsed times (`wait`): `0.0s`, `1.2s`.
        let elapsed = regex::Regex::new(r"\b\d+\.\ds\b").expect("regex");
        elapsed.replace_all(&text, "[T]s").into_owned()
    }
}

/// Snapshot `args` in every form of `forms`, each exiting `code`.
macro_rules! snap {
    ($name:expr, $scene:expr, $args:expr, $forms:expr, $code:expr) => {{
        let text = $scene.transcript($args, $forms, $code);
        $crate::messages::scene::assert_text!($name, text);
    }};
}
pub(crate) use snap;

/// Assert a snapshot kept beside the suite's others, in
/// `tests/integration/snapshots/` (not in a folder of this module's own).
macro_rules! assert_text {
    ($name:expr, $text:expr) => {{
        insta::with_settings!({ snapshot_path => "../snapshots" }, {
            insta::assert_snapshot!($name, $text);
        });
    }};
}
pub(crate) use assert_text;

/// Two components in one project: `app` (a1 → b2) and `audit` (x1).
pub(crate) fn two_components(toml_extra: &str) -> Scene {
    let s = Scene::empty();
    s.file(
        "db-status.toml",
        &format!(
            "{toml_extra}[app]\nconfig = \"alembic.ini\"\n[audit]\nconfig = \"alembic.ini\"\nsection = \"audit\"\n"
        ),
    )
    .file(
        "alembic.ini",
        "[alembic]\nscript_location = app\n[audit]\nscript_location = audit\n",
    )
    .file(
        "app/versions/a1_create_users.py",
        "\"\"\"create users\"\"\"\nrevision = 'a1'\ndown_revision = None\n",
    )
    .file(
        "app/versions/b2_add_email.py",
        "\"\"\"add email\"\"\"\nrevision = 'b2'\ndown_revision = 'a1'\n",
    )
    .file(
        "audit/versions/x1_create_log.py",
        "\"\"\"create log\"\"\"\nrevision = 'x1'\ndown_revision = None\n",
    );
    s
}

/// The test server for `need` (its admin URL's parts), and a scene whose
/// output hides the server's address.
pub(crate) fn at_server(need: Need, default_port: u16) -> (Scene, UrlParts) {
    let admin = support::url_parts(&support::environment::admin_url(need), default_port);
    let s = Scene::linear().redact(address(&admin), "[SERVER]");
    (s, admin)
}

/// `host:port` of a server.
pub(crate) fn address(server: &UrlParts) -> String {
    format!("{}:{}", server.host, server.port)
}
