//! A burst of requests against a private PostgreSQL cluster reaches the
//! database at most once per refresh interval.

use super::*;

/// `count` requests spread over the data endpoints from 8 threads; all must
/// answer 200. Returns every body.
fn burst(addr: &str, count: usize) -> Vec<String> {
    let paths = ["/metrics", "/status.json", "/"];
    let bodies = Mutex::new(Vec::with_capacity(count));
    std::thread::scope(|s| {
        for t in 0..8 {
            let bodies = &bodies;
            s.spawn(move || {
                for i in (t..count).step_by(8) {
                    let r = get(addr, paths[i % paths.len()]);
                    assert_eq!(r.status, 200, "request {i}");
                    bodies.lock().expect("bodies").push(r.text());
                }
            });
        }
    });
    bodies.into_inner().expect("bodies")
}

fn connections(cluster: &pg_cluster::Cluster, database: &str) -> usize {
    let needle = format!("database={database}");
    cluster
        .log()
        .lines()
        .filter(|l| l.contains("connection authorized") && l.contains(&needle))
        .count()
}

#[test]
fn a_burst_of_1000_requests_reaches_the_database_at_most_once_per_floor() {
    let Some(cluster) = pg_cluster::Cluster::start_with("-c log_connections=on") else {
        panic!("the burst test needs the PostgreSQL server binaries (apt-get install postgresql)");
    };
    let url = format!(
        "postgresql://postgres:{}@localhost:{}/appdb",
        pg_cluster::PASSWORD,
        cluster.port
    );
    let args = |floor: &str| {
        vec![
            "--component".to_string(),
            "manager".to_string(),
            "--url".to_string(),
            url.clone(),
            "--min-interval".to_string(),
            floor.to_string(),
            "--interval".to_string(),
            "600".to_string(),
        ]
    };

    // A floor longer than the test: the one check at startup serves all.
    let a = args("600");
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let served = Served::start(&demo(), &a);
    let doc = json_schema::parse(&get(&served.addr, "/status.json").text());
    assert_eq!(
        doc["components"][0]["state"], "no-revision",
        "the check must reach the empty database: {doc}"
    );
    let before = connections(&cluster, "appdb");
    assert_eq!(before, 1, "one check at startup:\n{}", cluster.log());
    let bodies = burst(&served.addr, 1000);
    assert_eq!(bodies.len(), 1000);
    assert_eq!(
        connections(&cluster, "appdb"),
        1,
        "1,000 requests inside the floor must not reach the database"
    );
    for body in &bodies {
        assert!(
            !body.contains(pg_cluster::PASSWORD),
            "a password on an endpoint:\n{body}"
        );
    }
    let (status, stderr) = served.stop();
    assert!(status.success(), "{stderr}");
    assert!(!stderr.contains(pg_cluster::PASSWORD), "{stderr}");

    // A 1 s floor: three bursts 1.2 s apart. Each burst after the first
    // comes after the floor expired, so it re-checks; none re-checks more
    // than once per second.
    let a = args("1");
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let served = Served::start(&demo(), &a);
    get(&served.addr, "/healthz");
    let before = connections(&cluster, "appdb");
    let cpu_before = cpu_secs(served.child.id());
    let start = Instant::now();
    for round in 0..3 {
        if round > 0 {
            std::thread::sleep(Duration::from_millis(1200));
        }
        let t = Instant::now();
        burst(&served.addr, 1000);
        eprintln!(
            "burst {round}: 1000 requests in {:.2} s",
            t.elapsed().as_secs_f64()
        );
    }
    let elapsed = start.elapsed();
    let during = connections(&cluster, "appdb") - before;
    let bound = elapsed.as_secs_f64().ceil() as usize + 1;
    eprintln!(
        "3 bursts in {:.2} s (server CPU {:.2} s user+sys): {during} checks reached the database (at least 2, at most {bound})",
        elapsed.as_secs_f64(),
        cpu_secs(served.child.id()) - cpu_before
    );
    assert!(
        (2..=bound).contains(&during),
        "{during} checks in {elapsed:?} with a 1 s floor (want 2..={bound})"
    );
    let (status, _) = served.stop();
    assert!(status.success());

    // No requests at all: the interval alone re-checks.
    let mut a = args("1");
    a[7] = "1".to_string(); // --interval 1
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let before = connections(&cluster, "appdb");
    let served = Served::start(&demo(), &a);
    std::thread::sleep(Duration::from_millis(3500));
    let (status, _) = served.stop();
    assert!(status.success());
    let unasked = connections(&cluster, "appdb") - before;
    assert!(
        unasked >= 2,
        "{unasked} checks in 3.5 s with --interval 1 and no requests"
    );
}

/// User + system CPU time of a process so far (Linux `/proc`), for the log.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are 14 and 15.
    let rest = stat.rsplit_once(')').map(|x| x.1).unwrap_or("");
    let fields: Vec<f64> = rest
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0.0))
        .collect();
    let ticks = fields.get(11).unwrap_or(&0.0) + fields.get(12).unwrap_or(&0.0);
    ticks / 100.0 // USER_HZ is 100 on Linux
}
