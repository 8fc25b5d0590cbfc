//! `serve` beyond the demo: a fleet file with its labels, the Prometheus
//! rules under promtool, and the address and flag checks.

use super::*;

#[test]
fn a_fleet_serves_every_target_with_its_labels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let var = demo().join("var");
    let file = dir.path().join("targets.toml");
    std::fs::write(
        &file,
        format!(
            "[[target]]\ncomponent = \"manager\"\nurl = \"sqlite:///{m}\"\nlabels = {{ env = \"prod\", region = \"eu\" }}\n\n\
             [[target]]\ncomponent = \"manager\"\nurl = \"sqlite:///{m}\"\nlabels = {{ env = \"staging\", region = \"eu\" }}\n\n\
             [[target]]\ncomponent = \"storage\"\nurl = \"sqlite:///{s}\"\nlabels = {{ env = \"prod\", tenant = \"acme\" }}\n",
            m = var.join("manager.db").display(),
            s = var.join("storage.db").display(),
        ),
    )
    .expect("targets file");
    let file = file.to_str().expect("utf-8 path");
    let served = Served::start(&demo(), &["--targets", file, "--jobs", "2"]);
    let doc = json_schema::parse(&get(&served.addr, "/status.json").text());
    let labels: Vec<&Value> = doc["components"]
        .as_array()
        .expect("components")
        .iter()
        .map(|c| &c["labels"])
        .collect();
    assert_eq!(
        labels,
        [
            &json!({"env": "prod", "region": "eu"}),
            &json!({"env": "staging", "region": "eu"}),
            &json!({"env": "prod", "tenant": "acme"}),
        ]
    );
    let all = parse_exposition(&get(&served.addr, "/metrics").text(), true);
    let hot: Vec<(String, String, String)> = samples(&all, "db_status_state")
        .into_iter()
        .filter(|s| s["value"] == 1.0)
        .map(|s| {
            let l = &s["labels"];
            let get = |k: &str| l[k].as_str().unwrap_or("").to_string();
            (get("component"), get("env"), get("state"))
        })
        .collect();
    assert_eq!(
        hot,
        [
            ("manager".into(), "prod".into(), "behind".into()),
            ("manager".into(), "staging".into(), "behind".into()),
            ("storage".into(), "prod".into(), "up-to-date".into()),
        ]
    );
    let page = get(&served.addr, "/").text();
    assert!(page.contains("<th>Labels</th>"), "{page}");
    assert!(
        page.contains("<span class=\"label\">tenant=acme</span>"),
        "{page}"
    );
    assert!(page.contains("3 targets: 1 up to date, 2 behind"), "{page}");
    let (status, stderr) = served.stop();
    assert!(status.success(), "{stderr}");
}

#[test]
fn prometheus_rules_pass_promtool_and_their_unit_tests() {
    let promtool = tool("promtool", "prometheus");
    for args in [
        &["check", "rules", "db-status.rules.yml"][..],
        &["test", "rules", "db-status.rules.test.yml"],
        &["check", "config", "prometheus.yml"],
    ] {
        let out = Command::new(&promtool)
            .current_dir(examples())
            .args(args)
            .output()
            .expect("promtool");
        assert!(
            out.status.success(),
            "promtool {}:\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(examples().join("grafana-dashboard.json")).expect("dashboard"),
    )
    .expect("the dashboard is JSON");
    assert!(!dashboard["panels"].as_array().expect("panels").is_empty());
}

#[test]
fn a_public_address_warns_and_bad_flags_are_usage_errors() {
    let served = Served::start_on("0.0.0.0:0", &demo(), &["--component", "manager"]);
    assert_eq!(
        get(&served.addr.replace("0.0.0.0", "127.0.0.1"), "/healthz").status,
        200
    );
    let (status, stderr) = served.stop();
    assert!(status.success());
    assert!(
        stderr.contains("warning: listening on 0.0.0.0:") && stderr.contains("hint:"),
        "{stderr}"
    );

    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let taken = taken.local_addr().expect("addr").to_string();
    for (args, says) in [
        (
            &["serve", "--listen", &taken, "--component", "manager"][..],
            "cannot listen on 127.0.0.1:",
        ),
        (
            &["serve", "--interval", "5", "--min-interval", "10"],
            "shorter than --min-interval",
        ),
        (
            &["serve", "--listen", "localhost"],
            "expected an IP address and a port",
        ),
        (
            &["serve", "--format", "json"],
            "serves every format at once",
        ),
        (&["serve", "--ascii"], "--ascii does not apply"),
        (&["serve", "--component", "nosuch"], "nosuch"),
    ] {
        let out = Command::new(support::bin())
            .current_dir(demo())
            .args(args)
            .env("NO_COLOR", "1")
            .output()
            .expect("run");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(2), "{args:?}: {text}");
        assert!(text.contains(says), "{args:?}: {text}");
    }
}
