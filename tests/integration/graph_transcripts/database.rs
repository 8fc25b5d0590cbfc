//! Transcripts with a database: `current`, `heads`, `history` and `upgrade`
//! plans against version rows on SQLite.

use super::*;

fn db_section(start: &'static str, end: &'static str, db: Db) -> Scenario {
    Scenario {
        transcript: "01_linear.txt",
        dir: "exp/s01",
        start,
        end,
        revs: linear_revs(),
        skip: &[],
        docs_from: None,
        db,
    }
}

#[test]
fn transcript_01_database_states() {
    run(db_section(
        "## === State: EMPTY DB",
        "## === upgrade to the middle",
        Db::NoFile,
    ));
    run(db_section(
        "## === State: PARTIALLY",
        "## === full upgrade",
        Db::Rows(&["2b3c4d5e6f70"]),
    ));
    run(db_section(
        "## === State: FULLY UPGRADED",
        "## === downgrade base",
        Db::Rows(&["3c4d5e6f7081"]),
    ));
    run(db_section(
        "## === downgrade base",
        "## === unknown revision",
        Db::Rows(&[]),
    ));
    run(db_section(
        "## === unknown revision",
        "-- sqlite> delete from alembic_version",
        Db::Rows(&["deadbeef0000"]),
    ));
    run(db_section(
        "## a PARTIAL id",
        "-- sqlite> delete from alembic_version",
        Db::Rows(&["2b3c"]),
    ));
    run(db_section(
        "## two rows where one",
        "$ alembic upgrade heads",
        Db::Rows(&["1a2b3c4d5e6f", "2b3c4d5e6f70"]),
    ));
}

#[test]
fn transcript_02_database_states_and_merge() {
    let section = |start, end, merged, db| Scenario {
        transcript: "02_two_heads_and_merge.txt",
        dir: "exp/s02",
        start,
        end,
        revs: two_heads_revs(merged),
        skip: &[],
        docs_from: None,
        db,
    };
    run(section(
        "## === upgrade only one branch",
        "## pending:",
        false,
        Db::Rows(&["ae1000000003"]),
    ));
    run(section(
        "## === both heads applied",
        "## === merge the two heads",
        false,
        Db::Rows(&["ae1000000003", "be2000000001"]),
    ));
    run(section(
        "## === merge the two heads",
        "$ alembic upgrade heads",
        true,
        Db::Rows(&["ae1000000003", "be2000000001"]),
    ));
    run(section(
        "-- ('ee3000000001',)",
        "## === downgrade -1",
        true,
        Db::Rows(&["ee3000000001"]),
    ));
}

#[test]
fn transcript_03_labels_database_and_late_labels() {
    let section = |start, end, revs, db| Scenario {
        transcript: "03_branch_labels.txt",
        dir: "exp/s03",
        start,
        end,
        revs,
        skip: &[],
        docs_from: None,
        db,
    };
    run(section(
        "## === upgrade one labelled branch only",
        "$ alembic upgrade networking@head",
        labels_revs(),
        Db::Rows(&["c0ffee000002"]),
    ));
    run(section(
        "$ alembic upgrade networking@head",
        "$ alembic upgrade heads",
        labels_revs(),
        Db::Rows(&["c0ffee000002", "5e7000000001"]),
    ));
    run(section(
        "-- ('0a0000000002',)",
        "## === label on a later",
        labels_revs(),
        Db::Rows(&["c0ffee000002", "5e7000000001", "0a0000000002"]),
    ));
    let late = || Rev {
        doc: Some("labelled late"),
        ..rev(
            "0a0000000003_labelled_late.py",
            "0a0000000003",
            &["0a0000000002"],
            &["late"],
            &[],
        )
    };
    let mut revs = labels_revs();
    revs.push(late());
    run(section(
        "## === label on a later",
        "## === a branch point below",
        revs,
        Db::Unknown,
    ));
    let mut revs = labels_revs();
    revs.push(late());
    revs.push(Rev {
        doc: Some("side branch off main one"),
        ..rev(
            "0a00000000b1_side_branch_off_main_one.py",
            "0a00000000b1",
            &["0a0000000001"],
            &[],
            &[],
        )
    });
    run(section(
        "## === a branch point below",
        "## === revision with two labels",
        revs,
        Db::Unknown,
    ));
}

#[test]
fn transcript_04_depends_on_database_states() {
    let section = |start, end, db| Scenario {
        transcript: "04_depends_on.txt",
        dir: "exp/s04",
        start,
        end,
        revs: depends_on_revs(),
        skip: &[],
        docs_from: None,
        db,
    };
    run(section(
        "## === partial",
        "## === upgrade heads",
        Db::Rows(&["d2000000000b"]),
    ));
    run(section(
        "## === fully upgraded",
        "$ alembic check",
        Db::Rows(&["d3000000000c"]),
    ));
}
