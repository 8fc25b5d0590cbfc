//! The Backend.AI built-in components (`manager`, `accountmgr`, `appproxy`
//! and their aliases), with the tracked `configs/<dir>/halfstack.alembic.ini`
//! that stands in for a missing ini.

use std::path::{Path, PathBuf};

use super::ComponentSpec;

/// A Backend.AI built-in component.
pub(super) struct Builtin {
    pub(super) name: &'static str,
    pub(super) aliases: &'static [&'static str],
    pub(super) ini: &'static str,
    /// Directory under `configs/` holding the tracked halfstack ini.
    pub(super) configs_dir: &'static str,
}

/// The built-ins, in the order `--all` checks them.
pub(super) const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "manager",
        aliases: &[],
        ini: "alembic.ini",
        configs_dir: "manager",
    },
    Builtin {
        name: "accountmgr",
        aliases: &["account-manager"],
        ini: "alembic-accountmgr.ini",
        configs_dir: "account-manager",
    },
    Builtin {
        name: "appproxy",
        aliases: &["app-proxy", "app-proxy-coordinator"],
        ini: "alembic-appproxy.ini",
        configs_dir: "app-proxy-coordinator",
    },
];

pub(super) fn builtin_by_name(name: &str) -> Option<&'static Builtin> {
    BUILTINS
        .iter()
        .find(|b| b.name == name || b.aliases.contains(&name))
}

/// The directory under `configs/` of a Backend.AI built-in (`manager`,
/// `account-manager`, `app-proxy-coordinator`), which is also the name its
/// server looks its TOML up by.
pub(crate) fn builtin_configs_dir(name: &str) -> Option<&'static str> {
    builtin_by_name(name).map(|b| b.configs_dir)
}

/// The ini a built-in component is looked up as (`alembic-appproxy.ini`).
pub(crate) fn builtin_ini(name: &str) -> Option<&'static str> {
    builtin_by_name(name).map(|b| b.ini)
}

/// The canonical name of a component name as typed (`app-proxy` → `appproxy`).
pub(crate) fn canonical_name(name: &str) -> &str {
    builtin_by_name(name).map_or(name, |b| b.name)
}

pub(super) fn builtin_present(cwd: &Path, b: &Builtin) -> bool {
    cwd.join(b.ini).is_file() || cwd.join(halfstack_path(b)).is_file()
}

pub(super) fn halfstack_path(b: &Builtin) -> PathBuf {
    Path::new("configs")
        .join(b.configs_dir)
        .join("halfstack.alembic.ini")
}

pub(super) fn builtin_spec(cwd: &Path, b: &Builtin) -> ComponentSpec {
    let mut tracked_instead_of = None;
    let mut ini = PathBuf::from(b.ini);
    if !cwd.join(b.ini).is_file() {
        let halfstack = halfstack_path(b);
        if cwd.join(&halfstack).is_file() {
            tracked_instead_of = Some(b.ini.to_string());
            ini = halfstack;
        }
    }
    ComponentSpec {
        tracked_instead_of,
        ..ComponentSpec::plain(b.name.to_string(), vec![ini.clone()], Some(ini))
    }
}
