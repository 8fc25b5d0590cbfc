//! Where a target's URL and version table came from, as JSON names them
//! and as people read them.

/// Where a target's database URL came from.
#[derive(Debug, Clone, PartialEq, Eq)]
// Only so src/report/schema_tests.rs can list every variant.
#[cfg_attr(test, derive(strum::EnumIter))]
pub(crate) enum UrlSource {
    /// `--url URL` (`component: None`) or `--url NAME=URL`.
    Flag {
        /// The `NAME` of `--url NAME=URL`.
        component: Option<String>,
    },
    /// `DB_STATUS_URL_<NAME>` or `DB_STATUS_URL`.
    Env {
        /// The variable.
        var: String,
    },
    /// `url = "…"` in the project file.
    ProjectUrl {
        /// The project file, as shown.
        file: String,
    },
    /// `url_env = "VAR"` in the project file.
    ProjectEnv {
        /// The variable it names.
        var: String,
        /// The project file, as shown.
        file: String,
    },
    /// `sqlalchemy.url` in the ini section.
    Ini {
        /// The ini, as shown.
        file: String,
    },
    /// A fleet's targets file: `url = "…"`.
    TargetsFile {
        /// The targets file, as shown.
        file: String,
    },
    /// What `env.py` reads: an environment variable, or a literal URL.
    EnvPy {
        /// The variable (`None`: a literal in `env.py`).
        var: Option<String>,
        /// `env.py`, as shown.
        file: String,
        /// The line that reads it.
        line: u32,
    },
    /// A fleet's targets file: `url_env = "VAR"`.
    TargetsFileEnv {
        /// The variable it names.
        var: String,
        /// The targets file, as shown.
        file: String,
    },
}

impl UrlSource {
    /// Stable name used in JSON (`url_source`).
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            UrlSource::Flag { .. } => "flag",
            UrlSource::Env { .. } => "env",
            UrlSource::ProjectUrl { .. } | UrlSource::ProjectEnv { .. } => "project-file",
            UrlSource::Ini { .. } => "ini",
            UrlSource::TargetsFile { .. } | UrlSource::TargetsFileEnv { .. } => "targets-file",
            UrlSource::EnvPy { .. } => "env.py",
        }
    }

    /// Where exactly, for people: `--url manager=…`, `DB_STATUS_URL_MANAGER`,
    /// `sqlalchemy.url in alembic.ini`.
    pub(crate) fn describe(&self) -> String {
        match self {
            UrlSource::Flag { component: None } => "--url".to_string(),
            UrlSource::Flag { component: Some(c) } => format!("--url {c}=…"),
            UrlSource::Env { var } => var.clone(),
            UrlSource::ProjectUrl { file } => format!("url in {file}"),
            UrlSource::ProjectEnv { var, file } => format!("{var} (url_env in {file})"),
            UrlSource::Ini { file } => format!("sqlalchemy.url in {file}"),
            UrlSource::TargetsFile { file } => format!("the targets file {file}"),
            UrlSource::EnvPy {
                var: Some(var),
                file,
                line,
            } => format!("{var}, read by {file}:{line}"),
            UrlSource::EnvPy {
                var: None,
                file,
                line,
            } => format!("{file}:{line}"),
            UrlSource::TargetsFileEnv { var, file } => {
                format!("{var} (url_env in the targets file {file})")
            }
        }
    }

    /// Whether the URL is the ini's own (what Alembic's `env.py` usually reads).
    pub(crate) fn is_ini(&self) -> bool {
        matches!(self, UrlSource::Ini { .. })
    }

    /// Whether Alembic connects to this URL too: the ini's, or what `env.py` reads.
    pub(crate) fn alembic_reads_it(&self) -> bool {
        matches!(self, UrlSource::Ini { .. } | UrlSource::EnvPy { .. })
    }
}

/// Where a target's version table name (or schema) came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
// Only so src/report/schema_tests.rs can list every variant.
#[cfg_attr(test, derive(strum::EnumIter))]
pub(crate) enum TableSource {
    /// The component in the project file.
    ProjectFile {
        /// The project file, as shown.
        file: String,
    },
    /// A fleet's targets file (`version_table_schema` of an entry).
    TargetsFile,
    /// The ini section (a db-status extension).
    Ini {
        /// The ini, as shown.
        file: String,
    },
    /// What `env.py` passes to `context.configure`.
    EnvPy {
        /// `env.py`, as shown.
        file: String,
        /// The line of the call.
        line: u32,
    },
    /// Alembic's default.
    #[default]
    Default,
}

impl TableSource {
    /// Stable name used in JSON (`version_table.source`).
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            TableSource::ProjectFile { .. } => "project-file",
            TableSource::TargetsFile => "targets-file",
            TableSource::Ini { .. } => "ini",
            TableSource::EnvPy { .. } => "env.py",
            TableSource::Default => "default",
        }
    }

    /// Where exactly, for people (`version_table` names the setting).
    pub(crate) fn describe(&self, setting: &str) -> String {
        match self {
            TableSource::ProjectFile { file } => format!("{setting} in {file}"),
            TableSource::TargetsFile => format!("{setting} in the targets file"),
            TableSource::Ini { file } => format!("{setting} in {file}"),
            TableSource::EnvPy { file, line } => format!("{setting} passed by {file}:{line}"),
            TableSource::Default => "Alembic's default".to_string(),
        }
    }
}

/// Where the version table's name and schema came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TableSources {
    /// Where the name came from.
    pub(crate) name: TableSource,
    /// Where the schema came from (`None`: no schema is set).
    pub(crate) schema: Option<TableSource>,
}
