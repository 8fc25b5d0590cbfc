//! `db-status serve`: the targets' status over HTTP, for Prometheus and for
//! people. One check of every target (through [`crate::inspect`]) yields a
//! [`Snapshot`], rendered once into every endpoint's bytes:
//!
//! * `/metrics`: Prometheus metrics ([`metrics`], the `prometheus-client` crate);
//! * `/status.json`: the `--format json` document ([`crate::report::json`]);
//! * `/`: an HTML page ([`page`]);
//! * `/healthz`: `ok` while the server runs.
//!
//! Checks run every `interval`, and on a request when the last one is older
//! than the floor ([`floor::Floor`]); never more than one per floor,
//! however many requests arrive. The HTTP server is `tiny_http`; a few
//! worker threads answer requests. SIGTERM or SIGINT stops it cleanly: no
//! new requests are taken, the ones in progress are answered, exit 0.

pub(crate) mod floor;
pub(crate) mod metrics;
pub(crate) mod page;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tiny_http::{Header, Method, Request, Response, Server};

use crate::error::Error;
use crate::status::Report;

/// The default `--listen`: loopback only.
pub(crate) const DEFAULT_LISTEN: &str = "127.0.0.1:9187";
/// The default `--interval` in seconds.
pub(crate) const DEFAULT_INTERVAL_SECS: f64 = 60.0;
/// The default `--min-interval` (the floor) in seconds.
pub(crate) const DEFAULT_MIN_INTERVAL_SECS: f64 = 10.0;
/// Threads answering requests.
const WORKERS: usize = 4;
/// How often idle threads look at the stop flag.
const POLL: Duration = Duration::from_millis(100);

/// How to serve.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Options {
    /// Where to listen.
    pub(crate) listen: SocketAddr,
    /// Re-check this often even when nobody asks.
    pub(crate) interval: Duration,
    /// Never re-check more often than this (the floor).
    pub(crate) min_interval: Duration,
}

/// One check round, rendered for every endpoint.
pub(crate) struct Snapshot {
    /// `/status.json`.
    pub(crate) json: Vec<u8>,
    /// `/metrics`.
    pub(crate) metrics: String,
    /// `/`.
    pub(crate) html: String,
    /// The round's summary line (`2 up to date, 1 behind`), for the log.
    pub(crate) summary: String,
}

impl Snapshot {
    /// Render a report checked at `started` in `duration`.
    pub(crate) fn new(
        report: &Report,
        started: SystemTime,
        duration: Duration,
        options: &Options,
    ) -> Self {
        let started_unix = started
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        let round = metrics::Round {
            started_unix,
            duration_secs: duration.as_secs_f64(),
        };
        let mut json = Vec::new();
        // Writing to a Vec cannot fail.
        let _ = crate::report::json::render(report, &mut json);
        Snapshot {
            json,
            metrics: metrics::render(report, round),
            html: page::render(
                report,
                started_unix,
                round.duration_secs,
                options.interval.as_secs().max(1),
            ),
            summary: page::summary(report),
        }
    }
}

/// Whether other machines can reach an address (anything but loopback).
pub(crate) fn is_public(addr: &SocketAddr) -> bool {
    !addr.ip().is_loopback()
}

/// The warning printed when listening on a public address.
pub(crate) fn public_warning(addr: &SocketAddr) -> String {
    format!(
        "warning: listening on {addr}, which other machines can reach: anyone who can connect \
         sees database hosts, names and revisions (never passwords)\n\
         hint: keep the default 127.0.0.1 unless a firewall or network policy limits who can \
         connect (Prometheus on another machine, a Kubernetes pod IP)\n"
    )
}

/// Ask `flag` to be raised on SIGTERM and SIGINT.
pub(crate) fn stop_on_signals(flag: &Arc<AtomicBool>) -> Result<(), Error> {
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(flag)).map_err(|e| {
            Error::new(
                crate::error::ErrorKind::Internal,
                format!("cannot handle signal {signal}: {e}"),
            )
        })?;
    }
    Ok(())
}

/// Serve until `stop` is raised. `check` checks every target once; `err`
/// gets the startup line, one line per change of the summary, and the
/// shutdown line. A bind failure is returned before anything is served.
pub(crate) fn run(
    options: &Options,
    check: &(dyn Fn() -> Report + Sync),
    stop: &AtomicBool,
    err: &mut dyn Write,
) -> Result<(), Error> {
    let server = Server::http(options.listen).map_err(|e| {
        Error::usage(format!("cannot listen on {}: {e}", options.listen))
            .hint("choose another port with --listen ADDR:PORT (port 0 picks a free one)")
    })?;
    let bound = server.server_addr().to_ip().unwrap_or(options.listen);
    if is_public(&bound) {
        let _ = err.write_all(public_warning(&bound).as_bytes());
    }
    let _ = writeln!(
        err,
        "db-status serve: listening on http://{bound} (/metrics, /status.json, /, /healthz); \
         checks every {}s, at most once per {}s",
        options.interval.as_secs_f64(),
        options.min_interval.as_secs_f64()
    );
    let _ = err.flush();

    let floor = floor::Floor::<Snapshot>::new(options.min_interval);
    let (log, lines) = mpsc::channel::<String>();
    let round = || {
        let started = SystemTime::now();
        let t0 = Instant::now();
        let report = check();
        Snapshot::new(&report, started, t0.elapsed(), options)
    };
    std::thread::scope(|scope| {
        let refresher = scope.spawn(|| {
            let mut last_summary = String::new();
            while !stop.load(Ordering::Relaxed) {
                let snap = floor.get_if_older(options.interval, &round);
                if snap.summary != last_summary {
                    last_summary.clone_from(&snap.summary);
                    let _ = log.send(format!("db-status serve: {last_summary}"));
                }
                let until = Instant::now() + options.interval.min(options.min_interval).max(POLL);
                while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(POLL);
                }
            }
        });
        let workers: Vec<_> = (0..WORKERS)
            .map(|_| {
                scope.spawn(|| {
                    while !stop.load(Ordering::Relaxed) {
                        match server.recv_timeout(POLL) {
                            Ok(Some(request)) => answer(request, &floor, &round),
                            Ok(None) => {}
                            Err(_) => break,
                        }
                    }
                })
            })
            .collect();
        while !stop.load(Ordering::Relaxed) {
            while let Ok(line) = lines.try_recv() {
                let _ = writeln!(err, "{line}");
            }
            std::thread::sleep(POLL);
        }
        server.unblock();
        for w in workers {
            let _ = w.join();
        }
        let _ = refresher.join();
    });
    let _ = writeln!(err, "db-status serve: stopped");
    Ok(())
}

fn header(name: &str, value: &str) -> Option<Header> {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}

fn respond(request: Request, status: u16, content_type: &str, body: Vec<u8>) {
    let mut response = Response::from_data(body).with_status_code(status);
    for h in [
        header("Content-Type", content_type),
        header("Cache-Control", "no-store"),
        header("X-Content-Type-Options", "nosniff"),
    ]
    .into_iter()
    .flatten()
    {
        response.add_header(h);
    }
    if status == 405
        && let Some(h) = header("Allow", "GET, HEAD")
    {
        response.add_header(h);
    }
    // The page loads nothing from anywhere: the browser enforces it.
    if content_type == page::CONTENT_TYPE
        && let Some(h) = header("Content-Security-Policy", page::CSP)
    {
        response.add_header(h);
    }
    // The client may have gone away; nothing to do about it.
    let _ = request.respond(response);
}

/// Answer one request.
fn answer(request: Request, floor: &floor::Floor<Snapshot>, round: &(dyn Fn() -> Snapshot + Sync)) {
    const TEXT: &str = "text/plain; charset=utf-8";
    if !matches!(request.method(), Method::Get | Method::Head) {
        return respond(
            request,
            405,
            TEXT,
            b"method not allowed: use GET\n".to_vec(),
        );
    }
    let path = request.url().split('?').next().unwrap_or("");
    match path {
        "/healthz" => respond(request, 200, TEXT, b"ok\n".to_vec()),
        "/metrics" => {
            let s = floor.get(round);
            respond(
                request,
                200,
                metrics::CONTENT_TYPE,
                s.metrics.clone().into_bytes(),
            );
        }
        "/status.json" => {
            let s = floor.get(round);
            respond(request, 200, "application/json", s.json.clone());
        }
        "/" | "/index.html" => {
            let s = floor.get(round);
            respond(
                request,
                200,
                page::CONTENT_TYPE,
                s.html.clone().into_bytes(),
            );
        }
        _ => respond(
            request,
            404,
            TEXT,
            b"not found: try /, /metrics, /status.json or /healthz\n".to_vec(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_is_private() {
        for a in ["127.0.0.1:9187", "[::1]:9187", "127.0.0.2:1"] {
            assert!(!is_public(&a.parse().unwrap()), "{a}");
        }
        for a in [
            "0.0.0.0:9187",
            "[::]:9187",
            "10.0.0.5:9187",
            "192.168.1.2:80",
        ] {
            assert!(is_public(&a.parse().unwrap()), "{a}");
        }
    }
}
