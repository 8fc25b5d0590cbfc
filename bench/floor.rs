//! The floor of `db-status heads`/`status`: one process that lists the
//! version directories and open/read/closes every revision file the way
//! db-status does (`src/scripts/walk.rs`, `src/scripts/mod.rs`), and, for
//! `bench/status.sh`, runs one query per database on an open connection.
//! Nothing else: no scanning, no graph, no output beyond one summary line.
//!
//! ```text
//! cargo build --release --example floor
//! target/release/examples/floor [--threads N] [--pg URL]... DIR...
//! ```
//!
//! - Listing: `realpath` of the directory, one `getdents` pass with the entry
//!   types (a symlink costs a `stat`, as in db-status), names ending in
//!   `.py` (not `__init__*`, not `.#*`), sorted by bytes.
//! - Reading: one 16 KiB buffer per thread, reused; `open`, `read` until a
//!   short read, `close`; no `fstat`. The thread count is db-status's
//!   (below 64 files the calling thread; else `2 × cores`, 2..16, at most
//!   one per 32 files); `--threads 1` is the one-thread floor of the issue.
//! - `--pg URL` (repeatable, `postgresql://user@host:port/db`): connect
//!   without TLS and run `select version_num from alembic_version` once, on
//!   one thread alongside the reads (a missing table is an answer too).
//!
//! Prints `files=N bytes=B rows=R` on stdout (the byte count keeps the reads
//! from being optimised away). Not part of the shipped binary or wheel.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// db-status's `PARALLEL_THRESHOLD` (`src/scripts/mod.rs`).
const PARALLEL_THRESHOLD: usize = 64;

fn usage() -> std::process::ExitCode {
    eprintln!("usage: floor [--threads N] [--pg URL]... DIR...");
    std::process::ExitCode::from(2)
}

fn main() -> std::process::ExitCode {
    let mut threads: Option<usize> = None;
    let mut urls: Vec<String> = Vec::new();
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut args = std::env::args_os().skip(1);
    while let Some(a) = args.next() {
        match a.to_str() {
            Some("--threads") => match args.next().and_then(|v| v.to_str()?.parse().ok()) {
                Some(t) if t > 0 => threads = Some(t),
                _ => return usage(),
            },
            Some("--pg") => match args.next().and_then(|v| v.into_string().ok()) {
                Some(u) => urls.push(u),
                None => return usage(),
            },
            _ => dirs.push(PathBuf::from(a)),
        }
    }
    if dirs.is_empty() && urls.is_empty() {
        return usage();
    }
    let (files, rows, bytes) = std::thread::scope(|scope| {
        let queries = (!urls.is_empty()).then(|| scope.spawn(|| query_all(&urls)));
        let mut files = Vec::new();
        for d in &dirs {
            if let Err(e) = list(d, &mut files) {
                eprintln!("floor: cannot list {}: {e}", d.display());
                std::process::exit(1);
            }
        }
        let bytes = read_all(&files, threads);
        let rows = queries.map_or(0, |q| q.join().unwrap_or(0));
        (files.len(), rows, bytes)
    });
    println!("files={files} bytes={bytes} rows={rows}");
    std::process::ExitCode::SUCCESS
}

/// One directory listed as db-status lists a version location.
fn list(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let real = std::fs::canonicalize(dir)?;
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&real)? {
        let entry = entry?;
        let ty = entry.file_type()?;
        let is_dir = if ty.is_symlink() {
            std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir())
        } else {
            ty.is_dir()
        };
        if is_dir {
            continue;
        }
        let name = entry.file_name();
        let b = name.as_encoded_bytes();
        if b.ends_with(b".py") && !b.starts_with(b"__init__") && !b.starts_with(b".#") {
            names.push(name);
        }
    }
    names.sort_by(|a, b| a.as_encoded_bytes().cmp(b.as_encoded_bytes()));
    out.extend(names.iter().map(|n| real.join(n)));
    Ok(())
}

/// Read every file on db-status's threads; the total byte count.
fn read_all(files: &[PathBuf], threads: Option<usize>) -> usize {
    let threads = threads.unwrap_or_else(|| {
        if files.len() < PARALLEL_THRESHOLD {
            return 1;
        }
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        (cores * 2)
            .clamp(2, 16)
            .min(files.len() / (PARALLEL_THRESHOLD / 2))
    });
    if threads <= 1 {
        let mut buf = Vec::new();
        return files.iter().map(|f| read_one(f, &mut buf)).sum();
    }
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut buf = Vec::new();
                    let mut total = 0;
                    while let Some(f) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                        total += read_one(f, &mut buf);
                    }
                    total
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap_or(0)).sum()
    })
}

/// `open`, `read` into the reused buffer until a short read, `close`.
fn read_one(path: &Path, buf: &mut Vec<u8>) -> usize {
    let Ok(mut file) = std::fs::File::open(path) else {
        eprintln!("floor: cannot open {}", path.display());
        std::process::exit(1);
    };
    if buf.len() < 16 * 1024 {
        buf.resize(16 * 1024, 0);
    }
    let mut n = 0;
    loop {
        if n == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let Some(spare) = buf.get_mut(n..) else {
            return n;
        };
        let room = spare.len();
        match file.read(spare) {
            Ok(0) => return n,
            Ok(k) if k < room => return n + k,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                eprintln!("floor: cannot read {}: {e}", path.display());
                std::process::exit(1);
            }
        }
    }
}

/// One connection and one version-table query per database; rows seen.
fn query_all(urls: &[String]) -> usize {
    let mut rows = 0;
    for url in urls {
        let mut client = match postgres::Client::connect(url, postgres::NoTls) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("floor: cannot connect to a --pg database: {e}");
                std::process::exit(1);
            }
        };
        // A database without the table answers with an error: one round trip all the same.
        if let Ok(r) = client.query("select version_num from alembic_version", &[]) {
            rows += r.len();
        }
    }
    rows
}
