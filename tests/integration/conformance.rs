//! Alembic conformance ("proven, not claimed"): for every scenario and every
//! random revision graph, `db-status heads|history|branches|show …` must
//! print the same stdout bytes and exit with the same code as Alembic 1.20
//! run with the same arguments in the same directory.
//!
//! The trees are built by real Alembic (`tests/oracle/scenarios.py`: `alembic
//! init`, `revision`, `merge`, then hand edits; random graphs written in the
//! template style). Alembic's answers come from `tests/oracle/run_alembic.py`,
//! which runs many command lines in one interpreter with `PYTHONHASHSEED=0`;
//! two tests here check that oracle against the real `alembic` process and
//! against itself. Where Alembic's order depends on the hash seed the
//! comparison is normalized (see `conformance/compare.rs`).
//!
//! Environment: `DB_STATUS_PYTHON` (Python with alembic 1.20; default
//! `<repo>/.venv/bin/python`, made by `scripts/setup-venv.sh`),
//! `DB_STATUS_CONFORMANCE_SEED` (a number, or `random`) and
//! `DB_STATUS_CONFORMANCE_GRAPHS` (how many random graphs, default 200).
//! Every mismatch is collected; the full list is written to
//! `target/tmp/conformance-<suite>.txt` and the scenario trees are kept.

mod compare;
use crate::support::oracle;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use compare::{Mode, agree, diff, mode_for, subcommand};
use oracle::{Actual, Case, Job, Outcome, Selection};

/// Two cores: two oracle interpreters and two db-status callers.
const WORKERS: usize = 2;

/// Default seed of the random graphs (override with DB_STATUS_CONFORMANCE_SEED).
const DEFAULT_SEED: u64 = 20_261_124;

/// Detailed mismatches shown in the test failure (all go to the report file).
const SHOWN: usize = 25;

struct Mismatch<'a> {
    case: &'a Case,
    argv: &'a [String],
    mode: Mode,
    expected: &'a Outcome,
    actual: &'a Actual,
}

impl Mismatch<'_> {
    /// A one-word reason, for the summary table.
    fn cause(&self) -> &'static str {
        match self.actual.exit {
            None => "db-status hung or could not start",
            Some(101) if self.actual.stderr.contains("panicked") => "db-status panicked",
            Some(code) if code != self.expected.exit => "exit code differs",
            Some(_) => "stdout differs",
        }
    }

    fn render(&self, out: &mut String) {
        let actual_out = String::from_utf8_lossy(&self.actual.stdout);
        let exit = self
            .actual
            .exit
            .map_or_else(|| "none".to_owned(), |c| c.to_string());
        let _ = writeln!(
            out,
            "── {} ── `db-status {}`\n   cwd: {}{}\n   compared as: {}\n   exit: alembic {} / db-status {}",
            self.case.name,
            shell_words(self.argv),
            self.case.cwd.display(),
            env_note(&self.case.env),
            self.mode.label(),
            self.expected.exit,
            exit,
        );
        if self.expected.stdout.as_bytes() != self.actual.stdout.as_slice() {
            let _ = writeln!(out, "   stdout (- alembic, + db-status):");
            for line in diff(&self.expected.stdout, &actual_out).lines() {
                let _ = writeln!(out, "   {line}");
            }
        }
        if self.expected.exit == 1 {
            let last = self.expected.stderr.trim_end().lines().last().unwrap_or("");
            let _ = writeln!(out, "   alembic traceback ends: {last}");
        }
        let err: Vec<&str> = self.actual.stderr.lines().take(6).collect();
        if !err.is_empty() {
            let _ = writeln!(out, "   db-status stderr:");
            for line in err {
                let _ = writeln!(out, "   | {line}");
            }
        }
        out.push('\n');
    }
}

fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_:@+./=".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn env_note(env: &BTreeMap<String, String>) -> String {
    env.iter().fold(String::new(), |mut s, (k, v)| {
        let _ = write!(s, " ({k}={v})");
        s
    })
}

/// Run every command of every case with both tools, compare, and panic with
/// a report if anything differs.
fn check_cases(suite: &str, cases: &[Case], note: &str, keep: tempfile::TempDir) {
    let mut index = Vec::new();
    let mut jobs = Vec::new();
    for case in cases {
        for argv in &case.commands {
            index.push((case, argv.as_slice()));
            jobs.push(Job {
                cwd: case.cwd.clone(),
                argv: argv.clone(),
                env: case.env.clone(),
            });
        }
    }
    let started = std::time::Instant::now();
    let expected = oracle::run_oracle(&jobs, WORKERS).unwrap_or_else(|e| panic!("{e}"));
    let oracle_time = started.elapsed();
    let started = std::time::Instant::now();
    let actual = oracle::run_db_status(&jobs, WORKERS);
    let db_status_time = started.elapsed();
    eprintln!(
        "conformance {suite}: alembic oracle {:.1}s, db-status {:.1}s for {} command lines",
        oracle_time.as_secs_f64(),
        db_status_time.as_secs_f64(),
        jobs.len()
    );
    assert_eq!(actual.len(), jobs.len(), "db-status runner lost results");

    let mut mismatches = Vec::new();
    let mut deviations = Vec::new();
    let mut identical = 0usize;
    for (((case, argv), exp), act) in index.iter().zip(&expected).zip(&actual) {
        let mode = mode_for(argv, case.hash);
        let same_exit = act.exit == Some(exp.exit);
        if same_exit && agree(&exp.stdout, &act.stdout, mode, case.hash) {
            if exp.stdout.as_bytes() == act.stdout.as_slice() {
                identical += 1;
            }
            continue;
        }
        if let Some(reason) = known_deviation(argv, exp) {
            deviations.push(format!(
                "{} `db-status {}`: {reason}",
                case.name,
                shell_words(argv)
            ));
            continue;
        }
        mismatches.push(Mismatch {
            case,
            argv,
            mode,
            expected: exp,
            actual: act,
        });
    }
    let total = jobs.len();
    eprintln!(
        "conformance {suite}: {} cases, {total} command lines, {} agree ({identical} byte-identical), \
         {} documented deviation(s), {} differ. {note}",
        cases.len(),
        total - mismatches.len() - deviations.len(),
        deviations.len(),
        mismatches.len()
    );
    for d in &deviations {
        eprintln!("  documented deviation: {d}");
    }
    if mismatches.is_empty() {
        return;
    }

    let kept = keep.keep();
    let mut summary = String::new();
    let mut by_cause: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_command: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_case: BTreeMap<&str, usize> = BTreeMap::new();
    for m in &mismatches {
        *by_cause.entry(m.cause()).or_default() += 1;
        *by_command.entry(subcommand(m.argv)).or_default() += 1;
        *by_case.entry(m.case.name.as_str()).or_default() += 1;
    }
    let _ = writeln!(
        summary,
        "{} of {total} command lines differ from Alembic 1.20 ({suite}). {note}\n\
         Scenario trees kept in {}.",
        mismatches.len(),
        kept.display()
    );
    let _ = writeln!(summary, "by cause:   {by_cause:?}");
    let _ = writeln!(summary, "by command: {by_command:?}");
    let _ = writeln!(
        summary,
        "cases with mismatches: {} of {}\n",
        by_case.len(),
        cases.len()
    );

    let mut full = summary.clone();
    for m in &mismatches {
        m.render(&mut full);
    }
    let report =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("conformance-{suite}.txt"));
    let written = std::fs::write(&report, &full).is_ok();

    let mut shown = summary;
    if written {
        let _ = writeln!(shown, "Full report: {}\n", report.display());
    }
    // Show a spread: the first mismatch of each case before repeats.
    let mut seen = std::collections::BTreeSet::new();
    let (firsts, rest): (Vec<_>, Vec<_>) = mismatches
        .iter()
        .partition(|m| seen.insert(m.case.name.as_str()));
    for m in firsts.iter().chain(rest.iter()).take(SHOWN) {
        m.render(&mut shown);
    }
    if mismatches.len() > SHOWN {
        let _ = writeln!(shown, "… and {} more", mismatches.len() - SHOWN);
    }
    panic!("{shown}");
}

/// Differences db-status makes on purpose; listed on every run, never failed.
fn known_deviation(argv: &[String], expected: &Outcome) -> Option<&'static str> {
    // argparse takes `-3:` after `-r` for an option and exits 2 (spec §0.4);
    // db-status's clap definition accepts it as the range it obviously is.
    let hyphen_range = argv
        .windows(2)
        .any(|w| w[0] == "-r" && w[1].starts_with('-'));
    (expected.exit == 2 && hyphen_range)
        .then_some("accepts `-r -N:` where Alembic's argparse rejects it (spec §0.4)")
}

fn named_cases() -> (Vec<Case>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let manifest = oracle::build(dir.path(), Selection::Named).unwrap_or_else(|e| panic!("{e}"));
    (manifest.cases, dir)
}

fn seed() -> u64 {
    match std::env::var("DB_STATUS_CONFORMANCE_SEED") {
        Ok(s) if s == "random" => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(DEFAULT_SEED, |d| d.as_nanos() as u64 % 1_000_000_000),
        Ok(s) => s.trim().parse().unwrap_or_else(|_| {
            panic!("DB_STATUS_CONFORMANCE_SEED must be a number or `random`, not {s:?}")
        }),
        Err(_) => DEFAULT_SEED,
    }
}

/// The named scenarios `tests/oracle/scenarios.py` defines (`def s_<name>`).
fn defined_scenarios() -> Vec<String> {
    let path = oracle::repo_root().join("tests/oracle/scenarios.py");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut names: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("def s_"))
        .filter_map(|l| l.split('(').next())
        .map(str::to_owned)
        .collect();
    names.sort();
    names
}

#[test]
fn named_scenarios_match_alembic() {
    let (cases, dir) = named_cases();
    // Every scenario present runs: one case per `def s_…`, none without commands.
    let mut built: Vec<String> = cases.iter().map(|c| c.name.clone()).collect();
    built.sort();
    assert_eq!(built, defined_scenarios(), "scenarios built vs defined");
    assert!(cases.len() >= 30, "only {} named scenarios", cases.len());
    assert!(
        cases
            .iter()
            .all(|c| c.kind == "named" && !c.commands.is_empty())
    );
    check_cases("named", &cases, "", dir);
}

/// `DB_STATUS_CONFORMANCE_GRAPHS`: how many random graphs (default 200); 0
/// or anything but a number is an error, never a quietly smaller run.
fn graph_count() -> usize {
    match std::env::var("DB_STATUS_CONFORMANCE_GRAPHS") {
        Err(_) => 200,
        Ok(s) => match s.trim().parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => {
                panic!("DB_STATUS_CONFORMANCE_GRAPHS must be a number of graphs above 0, not {s:?}")
            }
        },
    }
}

#[test]
fn random_graphs_match_alembic() {
    let seed = seed();
    let count = graph_count();
    let dir = tempfile::tempdir().expect("temp dir");
    let manifest = oracle::build(dir.path(), Selection::Random { seed, count })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(manifest.seed, seed);
    assert_eq!(manifest.cases.len(), count, "random graphs built");
    assert!(manifest.cases.iter().all(|c| c.kind == "random"));
    let note = format!("Seed {seed}: reproduce with DB_STATUS_CONFORMANCE_SEED={seed}.");
    check_cases("random", &manifest.cases, &note, dir);
}

/// Sample of jobs covering success, `FAILED:` (255), tracebacks (1), argparse
/// errors (2), non-ASCII output and hash-ordered output.
fn sample_jobs(cases: &[Case]) -> Vec<(Job, oracle::HashFlags)> {
    let wanted: &[(&str, &[&str])] = &[
        ("linear", &["history", "-v"]),
        ("linear", &["show", "2"]),
        ("two_heads", &["show", "head"]),
        ("two_heads", &["branches", "-v"]),
        ("unicode_docstrings", &["history", "-v"]),
        ("multi_labels", &["heads"]),
        ("branchpoint_children", &["branches"]),
        ("missing_parent", &["history"]),
        ("errors", &["history", "-r", "nocolon"]),
        ("relative_ranges", &["history", "-r", "-3:"]),
        ("package_resource", &["history"]),
        ("alembic_config_env", &["heads", "-v"]),
    ];
    wanted
        .iter()
        .map(|(name, argv)| {
            let case = cases
                .iter()
                .find(|c| c.name == *name)
                .unwrap_or_else(|| panic!("scenario {name} missing"));
            let job = Job {
                cwd: case.cwd.clone(),
                argv: argv.iter().map(|s| s.to_string()).collect(),
                env: case.env.clone(),
            };
            (job, case.hash)
        })
        .collect()
}

/// Whether two Alembic runs of `job` agree, allowing for the orders that
/// are random in Alembic itself (labels, children, address-ordered sets).
fn same_answer(job: &Job, flags: oracle::HashFlags, a: &Outcome, b: &Outcome) -> bool {
    a.exit == b.exit
        && agree(
            &a.stdout,
            b.stdout.as_bytes(),
            mode_for(&job.argv, flags),
            flags,
        )
}

/// Whether the oracle answers `job` like the real `alembic` program: the
/// same, except that the oracle fixes two set orders (sorted dependencies
/// for `history`, load order for `current`), which the program leaves to
/// hash order; there the same lines in any order.
fn same_as_program(
    job: &Job,
    flags: oracle::HashFlags,
    program: &Outcome,
    oracle: &Outcome,
) -> bool {
    if same_answer(job, flags, program, oracle) {
        return true;
    }
    let reordered = match subcommand(&job.argv) {
        "history" => flags.multi_dep,
        "current" => true,
        _ => false,
    };
    let lines = |o: &Outcome| {
        let mut v: Vec<String> = o.stdout.lines().map(compare::address_random).collect();
        v.sort();
        v
    };
    reordered && program.exit == oracle.exit && lines(program) == lines(oracle)
}

/// The in-process oracle answers exactly like the `alembic` program.
#[test]
fn oracle_agrees_with_alembic_cli() {
    let (cases, _dir) = named_cases();
    let sample = sample_jobs(&cases);
    let jobs: Vec<Job> = sample.iter().map(|(j, _)| j.clone()).collect();
    let batch = oracle::run_oracle(&jobs, 1).unwrap_or_else(|e| panic!("{e}"));
    let mut exits = std::collections::BTreeSet::new();
    for ((job, flags), inproc) in sample.iter().zip(&batch) {
        let real = oracle::run_alembic_subprocess(job).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            same_as_program(job, *flags, &real, inproc),
            "oracle differs from `alembic {}` in {}\n{}\nalembic stderr:\n{}",
            job.argv.join(" "),
            job.cwd.display(),
            diff(&real.stdout, &inproc.stdout),
            real.stderr
        );
        exits.insert(real.exit);
    }
    // The sample really covers every kind of ending.
    assert_eq!(
        exits.into_iter().collect::<Vec<_>>(),
        vec![0, 1, 2, 255],
        "sample should cover exit 0, 1, 2 and 255"
    );
}

/// Oracle vs oracle: a job's answer does not depend on what ran before it
/// in the same interpreter (no state leaks between jobs).
#[test]
fn oracle_is_independent_of_batch_order() {
    let (cases, _dir) = named_cases();
    let flags: Vec<oracle::HashFlags> = cases
        .iter()
        .flat_map(|c| c.commands.iter().take(12).map(|_| c.hash))
        .collect();
    let mut jobs: Vec<Job> = cases
        .iter()
        .flat_map(|c| {
            c.commands.iter().take(12).map(|argv| Job {
                cwd: c.cwd.clone(),
                argv: argv.clone(),
                env: c.env.clone(),
            })
        })
        .collect();
    let forward = oracle::run_oracle(&jobs, 1).unwrap_or_else(|e| panic!("{e}"));
    jobs.reverse();
    let mut backward = oracle::run_oracle(&jobs, 1).unwrap_or_else(|e| panic!("{e}"));
    backward.reverse();
    jobs.reverse();
    assert!(jobs.len() > 300, "sample too small: {}", jobs.len());
    for (((job, f), a), b) in jobs.iter().zip(&flags).zip(&forward).zip(&backward) {
        assert!(
            same_answer(job, *f, a, b),
            "`alembic {}` in {} answered differently depending on batch order:\n{}",
            job.argv.join(" "),
            job.cwd.display(),
            diff(&a.stdout, &b.stdout)
        );
    }
}
