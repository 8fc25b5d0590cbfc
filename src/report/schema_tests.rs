//! `docs/status.schema.json` lists closed enums (states, error kinds,
//! finding codes, …). These tests prove each list is exactly the set of
//! names the code can write there, computed from every variant the compiler
//! knows (`strum::EnumIter`, derived under `cfg(test)`), so a variant added
//! without its schema entry (or a schema entry the code never writes) fails.

use std::collections::BTreeSet;

use clap::ValueEnum;
use serde_json::Value;
use strum::IntoEnumIterator;

use crate::check::{Code, Severity};
use crate::database::DbErrorKind;
use crate::error::ErrorKind;
use crate::releases::ReleaseKind;
use crate::report::graph::DbMark;
use crate::report::listing::{self, ListCommand};
use crate::status::{State, TableState};
use crate::target::{TableSource, UrlSource};

const SCHEMA: &str = include_str!("../../docs/status.schema.json");

const STATE: &str = "/$defs/component/properties/state";
const ERROR_KIND: &str = "/$defs/error/properties/kind";
const URL_SOURCE: &str = "/$defs/component/properties/url_source";
const TABLE_STATE: &str = "/$defs/component/properties/version_table/properties/state";
const TABLE_SOURCE: &str = "/$defs/component/properties/version_table/properties/source";
const SCHEMA_SOURCE: &str = "/$defs/component/properties/version_table/properties/schema_source";
const RELEASE_KIND: &str = "/$defs/release/properties/kind";
const FINDING: &str =
    "/$defs/checkDocument/properties/components/items/properties/findings/items/properties";
const LIST_COMMAND: &str = "/$defs/listDocument/properties/command";
const GRAPH_DB: &str = "/$defs/graphNode/properties/db";

fn schema() -> Value {
    serde_json::from_str(SCHEMA).expect("docs/status.schema.json is JSON")
}

/// The `enum` of the property at `pointer`: its strings, and whether it
/// admits `null`.
fn schema_enum(pointer: &str) -> (BTreeSet<String>, bool) {
    let doc = schema();
    let list = doc
        .pointer(&format!("{pointer}/enum"))
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("no enum at {pointer}"));
    let strings = list
        .iter()
        .filter_map(Value::as_str)
        .map(String::from)
        .collect();
    (strings, list.contains(&Value::Null))
}

/// Assert the schema's enum at `pointer` is exactly `names` (plus `null`
/// exactly when the field is optional).
fn assert_enum<'a>(pointer: &str, names: impl IntoIterator<Item = &'a str>, nullable: bool) {
    let code: BTreeSet<String> = names.into_iter().map(String::from).collect();
    let (schema, has_null) = schema_enum(pointer);
    assert_eq!(
        schema, code,
        "{pointer}: the schema's enum (left) differs from the names the code writes (right)"
    );
    assert_eq!(has_null, nullable, "{pointer}: null in the enum");
}

#[test]
fn states() {
    assert_enum(
        STATE,
        State::value_variants().iter().map(|s| s.as_str()),
        false,
    );
}

#[test]
fn status_exit_codes() {
    let doc = schema();
    let schema: BTreeSet<u64> = doc
        .pointer("/$defs/statusExit/enum")
        .and_then(Value::as_array)
        .expect("statusExit is an enum")
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    let code: BTreeSet<u64> = State::value_variants()
        .iter()
        .map(|s| u64::from(s.exit_code()))
        .collect();
    assert_eq!(schema, code, "statusExit: one code per state");
}

#[test]
fn error_kinds() {
    // `Database` carries a database error kind: each of those is a name too.
    let kinds = ErrorKind::iter().flat_map(|k| match k {
        ErrorKind::Database(_) => DbErrorKind::iter().map(ErrorKind::Database).collect(),
        k => vec![k],
    });
    assert_enum(ERROR_KIND, kinds.map(ErrorKind::as_str), false);
}

#[test]
fn url_sources() {
    assert_enum(URL_SOURCE, UrlSource::iter().map(|u| u.kind()), true);
}

#[test]
fn version_table() {
    assert_enum(
        TABLE_STATE,
        TableState::iter().map(TableState::as_str),
        true,
    );
    assert_enum(TABLE_SOURCE, TableSource::iter().map(|t| t.kind()), false);
    // A schema that is not set has no source (`null`): Alembic's default is
    // never a schema.
    assert_enum(
        SCHEMA_SOURCE,
        TableSource::iter()
            .filter(|t| *t != TableSource::Default)
            .map(|t| t.kind()),
        true,
    );
}

#[test]
fn release_kinds() {
    assert_enum(
        RELEASE_KIND,
        ReleaseKind::iter().map(ReleaseKind::as_str),
        false,
    );
}

#[test]
fn findings() {
    assert_enum(
        &format!("{FINDING}/severity"),
        Severity::iter().map(Severity::as_str),
        false,
    );
    assert_enum(
        &format!("{FINDING}/code"),
        Code::iter().map(Code::as_str),
        false,
    );
}

#[test]
fn listings() {
    assert_enum(
        LIST_COMMAND,
        ListCommand::iter().map(ListCommand::as_str),
        false,
    );
    assert_enum(GRAPH_DB, DbMark::iter().map(listing::mark), true);
}

#[test]
fn every_string_enum_is_checked() {
    // A new enum of names in the schema needs its test above.
    fn walk(v: &Value, at: &str, found: &mut BTreeSet<String>) {
        match v {
            Value::Object(map) => {
                for (key, child) in map {
                    if key == "enum"
                        && child
                            .as_array()
                            .is_some_and(|l| l.iter().any(Value::is_string))
                    {
                        found.insert(at.to_string());
                    } else {
                        walk(child, &format!("{at}/{key}"), found);
                    }
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, &format!("{at}/{i}"), found);
                }
            }
            _ => {}
        }
    }
    let mut found = BTreeSet::new();
    walk(&schema(), "", &mut found);
    let checked: BTreeSet<String> = [
        STATE,
        ERROR_KIND,
        URL_SOURCE,
        TABLE_STATE,
        TABLE_SOURCE,
        SCHEMA_SOURCE,
        RELEASE_KIND,
        &format!("{FINDING}/severity"),
        &format!("{FINDING}/code"),
        LIST_COMMAND,
        GRAPH_DB,
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(found, checked);
}
