//! Every JSON document a test reads from db-status is validated against the
//! checked-in schema, `docs/status.schema.json`, with a real validator (the
//! `jsonschema` crate): a field the schema does not describe, a missing
//! one, or a value outside its enumeration fails the test that saw it.

use std::sync::OnceLock;

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/status.schema.json");
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
        let schema: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"));
        jsonschema::validator_for(&schema)
            .unwrap_or_else(|e| panic!("{path} is not a valid schema: {e}"))
    })
}

/// Panic with every violation when `doc` does not match the schema.
pub fn validate(doc: &serde_json::Value) {
    let errors: Vec<String> = validator()
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "db-status printed JSON that docs/status.schema.json does not describe:\n  {}\ndocument:\n{}",
        errors.join("\n  "),
        serde_json::to_string_pretty(doc).unwrap_or_default()
    );
}

/// Parse db-status's stdout as one JSON document and validate it.
pub fn parse(stdout: &str) -> serde_json::Value {
    let doc: serde_json::Value =
        serde_json::from_str(stdout).unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{stdout}"));
    validate(&doc);
    doc
}
