//! Times `scripts::load` (walk + read + scan, all cores) on a versions tree.
//!
//! ```text
//! python3 scripts/gen_tree.py /tmp/tree100k 100000 --shape branchy
//! cargo run --release --example scan_bench -- /tmp/tree100k [RUNS]
//! ```
//!
//! The first run may be cold; later runs are warm-cache figures.

use std::path::PathBuf;
use std::time::Instant;

fn main() -> std::process::ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(dir) = args.next().map(PathBuf::from) else {
        eprintln!("usage: scan_bench DIR [RUNS]  (make DIR with scripts/gen_tree.py)");
        return std::process::ExitCode::from(2);
    };
    let runs: usize = args
        .next()
        .and_then(|r| r.to_str().and_then(|r| r.parse().ok()))
        .unwrap_or(5);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    for run in 1..=runs {
        let start = Instant::now();
        let result = db_status::scripts::load(std::slice::from_ref(&dir), false, false);
        let took = start.elapsed();
        match result {
            Ok(set) => {
                let n = set.scripts.len();
                let bytes: usize = set.scripts.iter().map(|s| s.longdoc.len()).sum();
                println!(
                    "run {run}: {n} files in {:.3} s ({:.0} files/s, {cores} cores; {bytes} doc bytes)",
                    took.as_secs_f64(),
                    n as f64 / took.as_secs_f64()
                );
            }
            Err(errors) => {
                eprintln!(
                    "{} files could not be read; first: {}",
                    errors.len(),
                    errors[0]
                );
                return std::process::ExitCode::FAILURE;
            }
        }
    }
    std::process::ExitCode::SUCCESS
}
