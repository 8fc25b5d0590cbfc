//! The page in headless Chromium through chromedriver.

use super::*;

/// A WebDriver session on headless Chromium (chromedriver).
struct Browser {
    driver: Child,
    base: String,
    session: String,
}

impl Browser {
    fn start() -> Browser {
        let chromedriver = tool("chromedriver", "chromium-driver");
        let chromium = tool("chromium", "chromium");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver");
        let base = format!("127.0.0.1:{port}");
        let start = Instant::now();
        while TcpStream::connect(&base).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {"goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1400,700"]
        }}}});
        let mut b = Browser {
            driver,
            base,
            session: String::new(),
        };
        let r = b.call("POST", "/session", Some(caps));
        b.session = r["sessionId"].as_str().expect("session id").to_string();
        b
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = if self.session.is_empty() {
            path.to_string()
        } else {
            format!("/session/{}{path}", self.session)
        };
        let body = body.map(|b| b.to_string());
        let r = http(&self.base, method, &path, body.as_deref());
        let v: Value = serde_json::from_slice(&r.body)
            .unwrap_or_else(|e| panic!("webdriver {path}: {e}: {}", r.text()));
        assert_eq!(r.status, 200, "webdriver {method} {path}: {v}");
        v["value"].clone()
    }

    fn find_all(&self, from: Option<&str>, css: &str) -> Vec<String> {
        let path = match from {
            Some(e) => format!("/element/{e}/elements"),
            None => "/elements".to_string(),
        };
        let found = self.call(
            "POST",
            &path,
            Some(json!({"using": "css selector", "value": css})),
        );
        found
            .as_array()
            .expect("elements")
            .iter()
            .map(|e| {
                e.as_object()
                    .and_then(|o| o.values().next())
                    .and_then(Value::as_str)
                    .expect("element id")
                    .to_string()
            })
            .collect()
    }

    fn text(&self, e: &str) -> String {
        self.call("GET", &format!("/element/{e}/text"), None)
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let path = format!("/session/{}", self.session);
            let _ = std::panic::catch_unwind(|| http(&self.base, "DELETE", &path, None));
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let clean: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    for chunk in clean.chunks(4) {
        let data: Vec<u8> = chunk.iter().copied().filter(|c| *c != b'=').collect();
        let mut n = 0u32;
        for (i, c) in data.iter().enumerate() {
            n |= value(*c) << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..data.len().max(1)]);
    }
    out
}

#[test]
fn the_page_in_headless_chromium_shows_every_target_and_its_pending_list() {
    let served = Served::start(&demo(), &["--all"]);
    let doc = json_schema::parse(&get(&served.addr, "/status.json").text());
    let components = doc["components"].as_array().expect("components").clone();
    let browser = Browser::start();
    browser.call(
        "POST",
        "/url",
        Some(json!({"url": format!("http://{}/", served.addr)})),
    );

    let rows = browser.find_all(None, "tr.target");
    assert_eq!(rows.len(), components.len(), "one row per target");
    // The seed's indicator and the terminal's colour for each state.
    let colour = |state: &str| match state {
        "up-to-date" => "rgba(26, 127, 55, 1)",
        "behind" | "no-revision" | "unstamped" => "rgba(154, 103, 0, 1)",
        "diverged" => "rgba(130, 80, 223, 1)",
        _ => "rgba(207, 34, 46, 1)",
    };
    let indicator = |state: &str| match state {
        "up-to-date" => "✅",
        "behind" => "⚠️",
        "diverged" => "🔀",
        "no-revision" | "unstamped" => "❓",
        "unknown-revision" => "⛔",
        _ => "❌",
    };
    let attribute = |e: &str, name: &str| {
        browser
            .call("GET", &format!("/element/{e}/attribute/{name}"), None)
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    // Worst state first (by exit code), each target once.
    let codes: Vec<u64> = rows
        .iter()
        .map(|row| {
            let name = attribute(row, "data-component");
            let c = components
                .iter()
                .find(|c| c["name"] == name.as_str())
                .unwrap_or_else(|| panic!("row for an unknown target {name}"));
            c["exit_code"].as_u64().expect("exit code")
        })
        .collect();
    let mut sorted = codes.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(codes, sorted, "rows worst first");
    let mut behind_row = None;
    for row in &rows {
        let name = attribute(row, "data-component");
        let c = components
            .iter()
            .find(|c| c["name"] == name.as_str())
            .expect("target");
        let state = c["state"].as_str().expect("state");
        assert_eq!(attribute(row, "data-state"), state);
        let text = browser.text(row);
        assert!(text.contains(c["name"].as_str().expect("name")), "{text}");
        assert!(text.contains(c["title"].as_str().expect("title")), "{text}");
        let cell = &browser.find_all(Some(row), "td.state")[0];
        assert!(
            browser.text(cell).starts_with(indicator(state)),
            "{}",
            browser.text(cell)
        );
        let css = browser.call("GET", &format!("/element/{cell}/css/color"), None);
        assert_eq!(css, colour(state), "{state}");
        if state == "behind" {
            behind_row = Some((row.clone(), c["pending_count"].as_u64().expect("count")));
        }
    }

    // The pending list opens on a click.
    let (row, pending) = behind_row.expect("the demo has a target that is behind");
    let items = browser.find_all(Some(&row), "details li");
    assert_eq!(items.len() as u64, pending);
    let displayed = |e: &str| browser.call("GET", &format!("/element/{e}/displayed"), None);
    assert_eq!(displayed(&items[0]), false, "closed before the click");
    let summary = &browser.find_all(Some(&row), "details summary")[0];
    browser.call(
        "POST",
        &format!("/element/{summary}/click"),
        Some(json!({})),
    );
    for item in &items {
        assert_eq!(displayed(item), true, "open after the click");
    }
    assert!(
        browser.text(&items[0]).len() > 12,
        "{}",
        browser.text(&items[0])
    );

    // The inline script runs under the page's Content-Security-Policy: it
    // remembers the open list, and a reload (what the timer does) keeps it open.
    let remembered = browser.call(
        "POST",
        "/execute/sync",
        Some(json!({"script": "return sessionStorage.getItem('db-status-open')", "args": []})),
    );
    assert!(
        remembered.as_str().is_some_and(|k| k.contains("manager")),
        "{remembered}"
    );
    browser.call("POST", "/refresh", Some(json!({})));
    let row = browser
        .find_all(None, "tr.target[data-state=\"behind\"]")
        .pop()
        .expect("the behind row after the reload");
    let details = &browser.find_all(Some(&row), "details")[0];
    let open = browser.call("GET", &format!("/element/{details}/property/open"), None);
    assert_eq!(open, true, "the list stays open across a reload");

    let png = base64_decode(
        browser
            .call("GET", "/screenshot", None)
            .as_str()
            .expect("screenshot"),
    );
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("serve-page.png");
    std::fs::write(&path, &png).expect("save the screenshot");
    eprintln!("screenshot: {}", path.display());
    drop(browser);
    let (status, _) = served.stop();
    assert!(status.success());
}
