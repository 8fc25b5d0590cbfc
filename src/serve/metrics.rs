//! `/metrics`: a checked [`Report`] as Prometheus metrics, encoded by the
//! Prometheus client crate (`prometheus-client`, OpenMetrics text). The
//! names are fixed: alert rules and dashboards rely on them
//! (`examples/prometheus/`).
//!
//! Every per-target series carries `component`, `database` (the masked URL,
//! never a password), `version_table` (`[schema.]name`: with the database,
//! it tells apart the targets of one component, one schema per tenant too)
//! and the target's labels.

use std::collections::BTreeMap;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;

use crate::status::{ComponentStatus, Report, State};

/// The content type of [`render`]'s output.
pub(crate) const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

type Labels = Vec<(String, String)>;

/// One gauge family with its series in the order they were added (the
/// report's target order, states best first), so that the exposition reads
/// target by target and is the same from one scrape to the next.
#[derive(Debug)]
struct Gauge {
    name: &'static str,
    help: &'static str,
    series: Vec<(Labels, f64)>,
}

/// The round's gauges, encoded by `prometheus-client` as a collector.
#[derive(Debug)]
struct Gauges(Vec<Gauge>);

impl Collector for Gauges {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for g in &self.0 {
            let mut family = encoder.encode_descriptor(g.name, g.help, None, MetricType::Gauge)?;
            match g.series.as_slice() {
                [(labels, v)] if labels.is_empty() => ConstGauge::new(*v).encode(family)?,
                series => {
                    for (labels, v) in series {
                        ConstGauge::new(*v).encode(family.encode_family(labels)?)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// What one check round measured, beside the report.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Round {
    /// When the check started, in seconds since the Unix epoch.
    pub(crate) started_unix: f64,
    /// How long the whole check took, in seconds.
    pub(crate) duration_secs: f64,
}

/// A target label's name as a Prometheus label name: characters outside
/// `[a-zA-Z0-9_]` become `_`, a leading digit or a name db-status sets
/// itself ([`crate::fleet::RESERVED_LABELS`]) gets a `label_` prefix (`__`
/// prefixes are Prometheus's own). The targets file refuses such names
/// already; this keeps the exposition valid whatever the labels' source.
pub(crate) fn label_name(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty()
        || s.starts_with(|c: char| c.is_ascii_digit())
        || s.starts_with("__")
        || crate::fleet::RESERVED_LABELS.contains(&s.as_str())
    {
        s = format!("label_{s}");
    }
    s
}

/// The identifying labels of a target's series.
pub(crate) fn target_labels(s: &ComponentStatus) -> Labels {
    let table = match &s.version_table.schema {
        Some(schema) => format!("{schema}.{}", s.version_table.name),
        None => s.version_table.name.clone(),
    };
    let mut labels = vec![
        ("component".to_string(), s.name.clone()),
        (
            "database".to_string(),
            s.database.clone().unwrap_or_default(),
        ),
        ("version_table".to_string(), table),
    ];
    let extra: BTreeMap<String, &String> =
        s.labels.iter().map(|(k, v)| (label_name(k), v)).collect();
    labels.extend(extra.into_iter().map(|(k, v)| (k, v.clone())));
    labels
}

fn with(labels: &Labels, name: &str, value: &str) -> Labels {
    let mut l = labels.clone();
    l.push((name.to_string(), value.to_string()));
    l
}

/// Whether the check reached a verdict (it read the scripts and the database).
pub(crate) fn check_succeeded(state: State) -> bool {
    !matches!(state, State::DatabaseError | State::ConfigError)
}

/// Encode the report of one round (OpenMetrics text, ending in `# EOF`).
pub(crate) fn render(report: &Report, round: Round) -> String {
    let gauge = |name, help| Gauge {
        name,
        help,
        series: Vec::new(),
    };
    let mut state = gauge(
        "db_status_state",
        "State of the target's database against its scripts (one-hot over the states)",
    );
    let mut pending = gauge(
        "db_status_pending_migrations",
        "Migrations `alembic upgrade heads` would run (absent where Alembic has no plan)",
    );
    let mut heads = gauge(
        "db_status_script_heads",
        "Head revisions of the component's scripts (more than 1: diverged or branched)",
    );
    let mut current = gauge(
        "db_status_current_revision_info",
        "A revision the database's version table holds",
    );
    let mut success = gauge(
        "db_status_check_success",
        "1 when the last check read the scripts and the database, else 0",
    );
    for s in &report.components {
        let labels = target_labels(s);
        for st in State::ALL {
            let v = if st == s.state { 1.0 } else { 0.0 };
            state.series.push((with(&labels, "state", st.as_str()), v));
        }
        if let Some(p) = &s.pending {
            pending.series.push((labels.clone(), p.len() as f64));
        }
        if s.state != State::ConfigError {
            heads.series.push((labels.clone(), s.heads.len() as f64));
        }
        for r in &s.current {
            current.series.push((with(&labels, "revision", &r.id), 1.0));
        }
        let ok = if check_succeeded(s.state) { 1.0 } else { 0.0 };
        success.series.push((labels, ok));
    }
    let one = |name, help, labels: Labels, v: f64| Gauge {
        name,
        help,
        series: vec![(labels, v)],
    };
    let gauges = Gauges(vec![
        state,
        pending,
        heads,
        current,
        success,
        one(
            "db_status_check_duration_seconds",
            "How long the last check of all targets took",
            Vec::new(),
            round.duration_secs,
        ),
        one(
            "db_status_last_check_timestamp_seconds",
            "When the last check started (Unix time)",
            Vec::new(),
            round.started_unix,
        ),
        one(
            "db_status_build_info",
            "The db-status version serving these metrics",
            vec![(
                "version".to_string(),
                crate::report::json::VERSION.to_string(),
            )],
            1.0,
        ),
    ]);
    let mut registry = Registry::default();
    registry.register_collector(Box::new(gauges));
    let mut text = String::new();
    // Writing to a String cannot fail.
    let _ = encode(&mut text, &registry);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_check_exports_labels_and_no_heads() {
        let mut report = crate::serve::page::tests::labelled_report();
        report.components[0]
            .labels
            .insert("state".into(), "x\"y".into());
        let text = render(
            &report,
            Round {
                started_unix: 1.5,
                duration_secs: 0.25,
            },
        );
        let ids = "component=\"manager\",database=\"postgresql://app:***@db1/backend\",\
                   version_table=\"alembic_version\",env=\"prod\",label_state=\"x\\\"y\",\
                   team=\"<script>x</script>\"";
        assert!(
            text.contains(&format!("db_status_check_success{{{ids}}} 0")),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "db_status_state{{{ids},state=\"config-error\"}} 1"
            )),
            "{text}"
        );
        assert!(!text.contains("db_status_script_heads{"), "{text}");
        assert!(!text.contains("db_status_pending_migrations{"), "{text}");
        assert!(text.contains("db_status_last_check_timestamp_seconds 1.5"));
        assert!(text.contains("db_status_check_duration_seconds 0.25"));
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn label_names_are_valid_and_never_collide_with_ours() {
        assert_eq!(label_name("env"), "env");
        assert_eq!(label_name("team.name"), "team_name");
        assert_eq!(label_name("state"), "label_state");
        assert_eq!(label_name("component"), "label_component");
        assert_eq!(label_name("9x"), "label_9x");
        assert_eq!(label_name("__x"), "label___x");
        assert_eq!(label_name(""), "label_");
    }
}
