//! Running the two sides: Alembic through the Python oracle
//! (`tests/oracle/run_alembic.py`, many command lines per interpreter) and
//! the `db-status` binary (one process per command line).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::python;
use serde::{Deserialize, Serialize};

/// The repository root (where Cargo.toml is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Which hash-seed dependent shapes a case contains (spec §9).
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct HashFlags {
    /// Some revision carries two or more branch labels.
    #[serde(default)]
    pub multi_label: bool,
    /// Some revision has two or more versioned children.
    #[serde(default)]
    pub branch_point: bool,
    /// Some revision has two or more normalized dependencies.
    #[serde(default)]
    pub multi_dep: bool,
}

/// One scenario or random graph, as `scenarios.py` describes it.
#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    /// Stable name (`linear`, `random-<seed>-<n>`).
    pub name: String,
    /// `named` or `random`.
    pub kind: String,
    /// Directory both tools run in.
    pub cwd: PathBuf,
    /// Extra environment (e.g. `ALEMBIC_CONFIG`).
    pub env: BTreeMap<String, String>,
    /// Argument lists, each run with both tools.
    pub commands: Vec<Vec<String>>,
    /// Hash-dependent shapes (empty when Alembic could not load the case).
    pub hash: HashFlags,
}

/// What `scenarios.py` prints.
#[derive(Debug, Deserialize)]
pub struct Manifest {
    /// Seed of the random graphs.
    pub seed: u64,
    /// Every case built.
    pub cases: Vec<Case>,
}

/// Which cases to build.
#[derive(Debug, Clone, Copy)]
pub enum Selection {
    /// The hand-written scenarios only.
    Named,
    /// `count` random graphs from `seed` only.
    Random {
        /// Seed for the generator.
        seed: u64,
        /// How many graphs.
        count: usize,
    },
}

/// Build the cases under `root` with real Alembic and return the manifest.
pub fn build(root: &Path, selection: Selection) -> Result<Manifest, String> {
    let python = python();
    let mut cmd = Command::new(&python);
    cmd.arg(repo_root().join("tests/oracle/scenarios.py"))
        .arg("--root")
        .arg(root);
    match selection {
        Selection::Named => {
            cmd.arg("--named-only");
        }
        Selection::Random { seed, count } => {
            cmd.args([
                "--random-only",
                "--seed",
                &seed.to_string(),
                "--random-count",
                &count.to_string(),
            ]);
        }
    }
    let out = python_env(&mut cmd)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(format!(
            "building the scenarios failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("bad manifest from scenarios.py: {e}"))
}

/// One command line to run.
#[derive(Debug, Clone, Serialize)]
pub struct Job {
    /// Working directory.
    pub cwd: PathBuf,
    /// Arguments after the program name.
    pub argv: Vec<String>,
    /// Extra environment.
    pub env: BTreeMap<String, String>,
}

/// What a tool printed and how it exited.
#[derive(Debug, Clone, Deserialize)]
pub struct Outcome {
    /// Standard output, as text (Alembic writes UTF-8 with `replace`).
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Process exit status (0..=255; 101 is a Rust panic).
    pub exit: i32,
}

/// The environment every Python run gets: a fixed hash seed (Alembic prints
/// some sets in hash order), no byte-code files in the scenario trees, and
/// no inherited `ALEMBIC_CONFIG`.
fn python_env(cmd: &mut Command) -> &mut Command {
    cmd.env("PYTHONHASHSEED", "0")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONIOENCODING", "utf-8")
        .env_remove("ALEMBIC_CONFIG")
        .env_remove("PYTHONPATH")
}

/// Run `jobs` through the in-process oracle with `workers` interpreters in
/// parallel; results come back in job order.
pub fn run_oracle(jobs: &[Job], workers: usize) -> Result<Vec<Outcome>, String> {
    let python = python();
    let script = repo_root().join("tests/oracle/run_alembic.py");
    let workers = workers.max(1);
    let chunk = jobs.len().div_ceil(workers).max(1);
    let results: Vec<Result<Vec<Outcome>, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|batch| {
                let python = &python;
                let script = &script;
                s.spawn(move || oracle_batch(python, script, batch))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("oracle thread panicked".into()))
            })
            .collect()
    });
    let mut all = Vec::with_capacity(jobs.len());
    for r in results {
        all.extend(r?);
    }
    if all.len() != jobs.len() {
        return Err(format!(
            "oracle returned {} results for {} jobs",
            all.len(),
            jobs.len()
        ));
    }
    Ok(all)
}

fn oracle_batch(python: &Path, script: &Path, batch: &[Job]) -> Result<Vec<Outcome>, String> {
    let input = serde_json::to_vec(batch).map_err(|e| e.to_string())?;
    let mut child = python_env(Command::new(python).arg(script))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    // Write from a thread: the oracle may fill its stdout pipe before it has
    // read all of its input.
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let _ = writer.join();
    if !out.status.success() {
        return Err(format!(
            "the Alembic oracle failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("bad oracle output: {e}"))
}

/// Run one job with the real `alembic` console entry point in its own
/// process (`python -m alembic`), for checking the oracle itself.
pub fn run_alembic_subprocess(job: &Job) -> Result<Outcome, String> {
    let python = python();
    let mut cmd = Command::new(&python);
    python_env(cmd.args(["-m", "alembic"]).args(&job.argv))
        .current_dir(&job.cwd)
        .envs(&job.env)
        .stdin(Stdio::null());
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    Ok(Outcome {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        exit: exit_code(&out.status),
    })
}

/// What `db-status` printed: stdout kept as bytes for a byte-exact compare.
#[derive(Debug, Clone)]
pub struct Actual {
    /// Raw standard output.
    pub stdout: Vec<u8>,
    /// Standard error, lossily decoded (only shown in reports).
    pub stderr: String,
    /// Exit status; `None` when it had to be killed after the time limit.
    pub exit: Option<i32>,
}

/// Longest a single `db-status` call may take before it is killed and
/// reported (it answers in milliseconds; this only catches hangs).
const PER_CALL_LIMIT: Duration = Duration::from_secs(20);

/// Run every job with the `db-status` binary, `workers` at a time.
pub fn run_db_status(jobs: &[Job], workers: usize) -> Vec<Actual> {
    let workers = workers.max(1);
    let chunk = jobs.len().div_ceil(workers).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|batch| s.spawn(move || batch.iter().map(db_status_one).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join().unwrap_or_else(|_| {
                    vec![Actual {
                        stdout: Vec::new(),
                        stderr: "harness thread panicked".into(),
                        exit: None,
                    }]
                })
            })
            .collect()
    })
}

fn db_status_one(job: &Job) -> Actual {
    let spawned = Command::new(env!("CARGO_BIN_EXE_db-status"))
        .args(&job.argv)
        .current_dir(&job.cwd)
        .env_remove("ALEMBIC_CONFIG")
        .env_remove("DB_STATUS_URL")
        .env_remove("PYTHONPATH")
        .env("NO_COLOR", "1")
        .envs(&job.env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            return Actual {
                stdout: Vec::new(),
                stderr: format!("cannot start db-status: {e}"),
                exit: None,
            };
        }
    };
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.read_to_end(&mut buf);
        }
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = stderr.as_mut() {
            let _ = s.read_to_end(&mut buf);
        }
        buf
    });
    let start = Instant::now();
    let mut pause = Duration::from_micros(200);
    let exit = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(exit_code(&status)),
            Ok(None) if start.elapsed() > PER_CALL_LIMIT => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => {
                std::thread::sleep(pause);
                // db-status answers in milliseconds: poll finely.
                pause = (pause * 2).min(Duration::from_millis(1));
            }
            Err(_) => break None,
        }
    };
    let stdout = out_reader.join().unwrap_or_default();
    let mut stderr = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
    if exit.is_none() {
        stderr.push_str(&format!(
            "\n[harness: killed after {}s]",
            PER_CALL_LIMIT.as_secs()
        ));
    }
    Actual {
        stdout,
        stderr,
        exit,
    }
}

fn exit_code(status: &std::process::ExitStatus) -> i32 {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return 128 + sig;
        }
    }
    status.code().unwrap_or(-1)
}
