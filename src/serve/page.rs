//! `/`: the HTML page a person reads at a glance. One row per target, worst
//! state first, with the seed's indicator and the state's colour (the same as the terminal's,
//! [`crate::report::human`]), the pending list on click, and an automatic
//! reload. Everything is inline: no external script, style sheet or font.

use std::fmt::Write as _;

use anstyle::AnsiColor;

use crate::report::human::{indicator, state_color};
use crate::status::{ComponentStatus, Report, Revision};

/// The content type of [`render`]'s output.
pub(crate) const CONTENT_TYPE: &str = "text/html; charset=utf-8";

/// The page's Content-Security-Policy: its own inline style and script,
/// nothing else (no external script, style sheet, font, image or request).
pub(crate) const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; \
                       base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Escape text for HTML element content and quoted attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A UTC time as `2026-12-02 13:30:05 UTC` (Howard Hinnant's days-to-civil).
pub(crate) fn utc(unix_secs: f64) -> String {
    let secs = unix_secs.max(0.0) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn css_color(c: AnsiColor) -> (&'static str, &'static str) {
    // (text/border colour, row tint)
    match c {
        AnsiColor::Green => ("#1a7f37", "#eaf7ee"),
        AnsiColor::Yellow => ("#9a6700", "#fff8e1"),
        AnsiColor::Magenta => ("#8250df", "#f5eefe"),
        _ => ("#cf222e", "#fdecee"),
    }
}

/// "3 up to date, 1 behind, 1 unreachable": the fleet report's summary line.
pub(crate) fn summary(report: &Report) -> String {
    crate::report::fleet::summary_line(&report.components)
}

fn revisions(revs: &[Revision]) -> String {
    if revs.is_empty() {
        return "<span class=\"none\">none</span>".to_string();
    }
    revs.iter()
        .map(|r| {
            format!(
                "<code title=\"{}\">{}</code>",
                escape(&r.message),
                escape(&r.id)
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn pending_cell(s: &ComponentStatus, key: &str) -> String {
    match &s.pending {
        None => "<span class=\"none\">—</span>".to_string(),
        Some(p) if p.is_empty() => "0".to_string(),
        Some(p) => {
            let mut items = String::new();
            for r in p {
                let _ = write!(
                    items,
                    "<li><code>{}</code> {}</li>",
                    escape(&r.id),
                    escape(&r.message)
                );
            }
            format!(
                "<details data-key=\"{}\"><summary>{} pending</summary><ol>{items}</ol></details>",
                escape(key),
                p.len()
            )
        }
    }
}

/// One row; the labels cell only when some target has labels.
fn row(s: &ComponentStatus, labelled: bool, out: &mut String) {
    let (fg, bg) = css_color(state_color(s.state));
    let labels: String = s
        .labels
        .iter()
        .map(|(k, v)| format!("<span class=\"label\">{}={}</span>", escape(k), escape(v)))
        .collect::<Vec<_>>()
        .join(" ");
    let database = s.database.as_deref().unwrap_or("");
    let key = format!("{}|{database}|{labels}", s.name);
    let _ = write!(
        out,
        "<tr class=\"target\" data-state=\"{state}\" data-component=\"{name}\" style=\"background:{bg};border-left:6px solid {fg}\">\
         <td class=\"state\" style=\"color:{fg}\"><span class=\"ind\">{ind}</span> <b>{title}</b>\
         <div class=\"summary\">{summary}</div></td>\
         <td class=\"component\">{name}</td>{labels_cell}\
         <td class=\"database\"><code>{database}</code></td>\
         <td class=\"current\">{current}</td><td class=\"heads\">{heads}</td>\
         <td class=\"pending\">{pending}</td></tr>",
        state = s.state.as_str(),
        ind = indicator(s.state, false),
        title = escape(&s.title),
        summary = escape(&s.summary),
        name = escape(&s.name),
        database = escape(database),
        current = revisions(&s.current),
        heads = revisions(&s.heads),
        pending = pending_cell(s, &key),
        labels_cell = if labelled {
            format!("<td class=\"labels\">{labels}</td>")
        } else {
            String::new()
        },
    );
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1f2328}\
h1{font-size:1.4em;margin:0}.meta{color:#59636e;margin:.2em 0 1em}\
table{border-collapse:collapse;width:100%}th{text-align:left;border-bottom:2px solid #d1d9e0;padding:.4em}\
td{padding:.4em;border-bottom:1px solid #d1d9e0;vertical-align:top}\
.ind{font-size:1.2em}.summary{color:#1f2328;font-size:.9em;max-width:36em}\
.label{display:inline-block;background:#eef1f4;border-radius:4px;padding:0 .3em;margin:1px;font-size:.9em}\
code{font:12px ui-monospace,monospace}.none{color:#8c959f}summary{cursor:pointer;font-weight:600}\
ol{margin:.3em 0;padding-left:1.5em}.notes{color:#59636e}";

/// Reload after `refresh_secs`, keeping the pending lists a reader opened.
const SCRIPT: &str = "const K='db-status-open';\
const open=new Set(JSON.parse(sessionStorage.getItem(K)||'[]'));\
document.querySelectorAll('details[data-key]').forEach(d=>{if(open.has(d.dataset.key))d.open=true;\
d.addEventListener('toggle',()=>{d.open?open.add(d.dataset.key):open.delete(d.dataset.key);\
sessionStorage.setItem(K,JSON.stringify([...open]));});});";

/// The whole page for one round.
pub(crate) fn render(
    report: &Report,
    checked_unix: f64,
    duration_secs: f64,
    refresh_secs: u64,
) -> String {
    let labelled = report.components.iter().any(|c| !c.labels.is_empty());
    // Worst first, so that in a fleet of a thousand the few that need
    // attention are on top; otherwise in the report's order.
    let mut order: Vec<&ComponentStatus> = report.components.iter().collect();
    order.sort_by_key(|c| std::cmp::Reverse(c.state));
    let mut rows = String::new();
    for s in order {
        row(s, labelled, &mut rows);
    }
    let notes: String = report
        .notes
        .iter()
        .map(|n| format!("<p class=\"notes\">Note: {}</p>", escape(n)))
        .collect();
    let summary = summary(report);
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>db-status: {summary}</title><style>{STYLE}</style></head><body>\
         <h1>db-status</h1>\
         <p class=\"meta\"><b id=\"summary\">{total} target{s}: {summary}</b> · checked {checked} in {duration:.2} s · \
         reloads every {refresh_secs} s · db-status {version} · \
         <a href=\"/status.json\">JSON</a> · <a href=\"/metrics\">metrics</a></p>\
         <table><thead><tr><th>State</th><th>Component</th>{labels_head}<th>Database</th>\
         <th>Current</th><th>Heads</th><th>Pending</th></tr></thead><tbody>{rows}</tbody></table>\
         {notes}<script>{SCRIPT}setTimeout(()=>location.reload(),{refresh_ms});</script></body></html>\n",
        total = report.components.len(),
        labels_head = if labelled { "<th>Labels</th>" } else { "" },
        s = if report.components.len() == 1 {
            ""
        } else {
            "s"
        },
        checked = utc(checked_unix),
        duration = duration_secs,
        version = crate::report::json::VERSION,
        refresh_ms = refresh_secs.saturating_mul(1000),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A config-error target with labels and markup in its values.
    pub(crate) fn labelled_report() -> Report {
        let ctx = crate::status::Context {
            name: "manager".into(),
            labels: [
                ("env".to_string(), "prod".to_string()),
                ("team".to_string(), "<script>x</script>".to_string()),
            ]
            .into(),
            database: Some("postgresql://app:***@db1/backend".into()),
            ..Default::default()
        };
        let error = crate::error::Error::new(crate::error::ErrorKind::Internal, "a <b>bug</b>");
        Report {
            components: vec![ComponentStatus::config_error(&ctx, &error)],
            notes: vec!["one & only".into()],
            working_directory: None,
        }
    }

    #[test]
    fn labels_get_a_column_and_every_value_is_escaped() {
        let html = render(&labelled_report(), 0.0, 0.5, 30);
        assert!(html.contains("<th>Labels</th>"));
        assert!(html.contains("<span class=\"label\">env=prod</span>"));
        assert!(html.contains("team=&lt;script&gt;x&lt;/script&gt;"));
        assert!(!html.contains("<script>x"));
        assert!(!html.contains("<b>bug"));
        assert!(html.contains("Note: one &amp; only"));
        assert!(html.contains("1 target: 1 config error"));
        assert!(html.contains("setTimeout(()=>location.reload(),30000)"));
        let mut plain = labelled_report();
        plain.components[0].labels.clear();
        assert!(!render(&plain, 0.0, 0.5, 30).contains("Labels"));
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0.0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400.0), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_796_217_005.0), "2026-12-02 13:10:05 UTC");
    }
}
