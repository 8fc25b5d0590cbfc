//! Bounded time: with three components and one black-holed host (a
//! listener that accepts and never answers), `--all --timeout 2` returns
//! within the timeout plus a small margin, reports the hanging one as a
//! timeout and the other two correctly.

use std::time::Duration;

use crate::support::{BlackHole, Project, Run, component_states, revision_text, run, sqlite_db};

/// Three components sharing one script directory: `alpha` up to date,
/// `beta` behind, `gamma` at `gamma_url`.
fn three_components(gamma_url: &str) -> Project {
    let p = Project::new("");
    std::fs::write(
        p.versions().join("aaaa00000001_x.py"),
        revision_text("aaaa00000001", None, "one"),
    )
    .expect("write");
    std::fs::write(
        p.versions().join("aaaa00000002_x.py"),
        revision_text("aaaa00000002", Some("aaaa00000001"), "two"),
    )
    .expect("write");
    sqlite_db(&p.path().join("alpha.db"), &["aaaa00000002"]);
    sqlite_db(&p.path().join("beta.db"), &["aaaa00000001"]);
    let alpha = format!("sqlite:///{}", p.path().join("alpha.db").display());
    let beta = format!("sqlite:///{}", p.path().join("beta.db").display());
    std::fs::write(
        p.path().join("db-status.toml"),
        format!(
            "[alpha]\nconfig = \"alembic.ini\"\nurl = {alpha:?}\n\n\
             [gamma]\nconfig = \"alembic.ini\"\nurl = {gamma_url:?}\n\n\
             [beta]\nconfig = \"alembic.ini\"\nurl = {beta:?}\n"
        ),
    )
    .expect("write db-status.toml");
    p
}

fn check_report(out: &Run, what: &str) {
    out.assert_clean(what);
    assert!(
        out.elapsed < Duration::from_secs(4),
        "{what}: took {:?} with --timeout 2",
        out.elapsed
    );
    let v = out.json();
    let comps = v["components"].as_array().expect("components");
    let by_name = |n: &str| {
        comps
            .iter()
            .find(|c| c["name"] == n)
            .unwrap_or_else(|| panic!("{what}: no component {n}: {v}"))
    };
    assert_eq!(by_name("alpha")["state"], "up-to-date", "{what}: {v}");
    assert_eq!(by_name("beta")["state"], "behind", "{what}: {v}");
    assert_eq!(by_name("beta")["pending_count"], 1, "{what}: {v}");
    let gamma = by_name("gamma");
    assert_eq!(gamma["state"], "database-error", "{what}: {v}");
    assert_eq!(gamma["error"]["kind"], "timeout", "{what}: {v}");
    assert_eq!(v["exit_code"], 6, "{what}: {v}");
    assert_eq!(out.code, Some(6), "{what}");
    eprintln!("{what}: {:?}", out.elapsed);
}

#[test]
fn all_with_a_black_holed_postgres_returns_in_time() {
    let hole = BlackHole::start();
    for url in [
        format!("postgresql://app:pw@127.0.0.1:{}/appdb", hole.port),
        format!(
            "postgresql://app:pw@127.0.0.1:{}/appdb?sslmode=require",
            hole.port
        ),
        format!(
            "postgresql://app:pw@127.0.0.1:{}/appdb?sslmode=disable",
            hole.port
        ),
    ] {
        let p = three_components(&url);
        let out = run(
            p.path(),
            &["--all", "--timeout", "2", "--format", "json"],
            &[],
            Duration::from_secs(30),
        );
        check_report(&out, &format!("--all with {url}"));
    }
}

#[test]
fn all_with_a_black_holed_mysql_returns_in_time() {
    let hole = BlackHole::start();
    let url = format!("mysql+pymysql://app:pw@127.0.0.1:{}/appdb", hole.port);
    let p = three_components(&url);
    let out = run(
        p.path(),
        &["--all", "--timeout", "2", "--format", "json"],
        &[],
        Duration::from_secs(30),
    );
    check_report(&out, "--all with a black-holed MySQL");
}

/// A host that drops packets (no RST, no answer) on an unroutable
/// address: the connect itself must time out.
#[test]
fn all_with_an_unroutable_host_returns_in_time() {
    // TEST-NET-1 (RFC 5737): never routed.
    let p = three_components("postgresql://app:pw@192.0.2.1:5432/appdb");
    let out = run(
        p.path(),
        &["--all", "--timeout", "2", "--format", "json"],
        &[],
        Duration::from_secs(30),
    );
    out.assert_clean("--all with an unroutable host");
    assert!(
        out.elapsed < Duration::from_secs(4),
        "took {:?}",
        out.elapsed
    );
    let v = out.json();
    let states = component_states(&v);
    assert_eq!(states, ["up-to-date", "database-error", "behind"], "{v}");
}

/// The Alembic-compatible commands that read the database are bounded too.
#[test]
fn single_reads_against_a_black_hole_are_bounded() {
    let hole = BlackHole::start();
    let url = format!("postgresql://app:pw@127.0.0.1:{}/appdb", hole.port);
    let p = three_components(&url);
    for args in [
        &["current"][..],
        &["history", "-i"],
        &["graph", "--with-db"],
        &["status", "--component", "gamma"],
    ] {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--url", &url, "--timeout", "2"]);
        let out = run(p.path(), &all, &[], Duration::from_secs(30));
        out.assert_clean(&format!("{args:?}"));
        assert!(
            out.elapsed < Duration::from_secs(4),
            "{args:?} took {:?}",
            out.elapsed
        );
        assert_ne!(out.code, Some(0), "{args:?}: {}", out.all());
    }
}
