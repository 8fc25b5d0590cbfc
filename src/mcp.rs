//! The Model Context Protocol server (`db-status mcp`), on the official Rust
//! SDK (`rmcp`) over stdio.
//!
//! Each tool runs the command of the same name in-process with
//! `--format json`, so its structured content is the very document the CLI
//! prints (`docs/status.schema.json`), plus a
//! one-line text summary. A document whose `exit_code` is not 0 is returned
//! with `isError: true` (a failed check is a tool result, never a protocol
//! error). Every tool is read-only (`readOnlyHint`); calls run on blocking
//! worker threads, bounded by the CLI's timeouts, so a database that hangs
//! never blocks the server's other calls.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ErrorData,
    Implementation, JsonObject, ListToolsResult, PaginatedRequestParams, ServerCapabilities,
    ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use crate::cli::{Command, Format, GlobalArgs};
use crate::commands;
use crate::database::mask::mask_url_passwords;

/// Arguments of `status`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusArgs {
    /// Components to check (manager, accountmgr, appproxy, or configured ones); default as in the CLI.
    #[serde(default)]
    pub(crate) components: Vec<String>,
    /// Check every known component.
    #[serde(default)]
    pub(crate) all: bool,
    /// Database URL per component name (SQLAlchemy form); never echoed back with its password.
    #[serde(default)]
    pub(crate) urls: BTreeMap<String, String>,
    /// Project directory (must exist); default: the server's working directory.
    #[serde(default)]
    pub(crate) project_dir: Option<String>,
}

/// Arguments of `check`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckArgs {
    /// Components to check; default as in the CLI.
    #[serde(default)]
    pub(crate) components: Vec<String>,
    /// Check every known component.
    #[serde(default)]
    pub(crate) all: bool,
    /// Project directory (must exist); default: the server's working directory.
    #[serde(default)]
    pub(crate) project_dir: Option<String>,
}

/// Arguments of `heads` and `graph`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ComponentArgs {
    /// The component (one name); default as in the CLI.
    #[serde(default)]
    pub(crate) components: Vec<String>,
    /// Project directory (must exist); default: the server's working directory.
    #[serde(default)]
    pub(crate) project_dir: Option<String>,
}

/// Arguments of `history`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct HistoryArgs {
    /// The component (one name); default as in the CLI.
    #[serde(default)]
    pub(crate) components: Vec<String>,
    /// Project directory (must exist); default: the server's working directory.
    #[serde(default)]
    pub(crate) project_dir: Option<String>,
    /// Revision range `[start]:[end]` as `alembic history -r` (e.g. `base:head`, `-3:`).
    #[serde(default)]
    pub(crate) range: Option<String>,
}

/// Arguments of `show`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ShowArgs {
    /// The component (one name); default as in the CLI.
    #[serde(default)]
    pub(crate) components: Vec<String>,
    /// Project directory (must exist); default: the server's working directory.
    #[serde(default)]
    pub(crate) project_dir: Option<String>,
    /// Revision identifier, prefix, label, `head`, `heads` or `base`.
    pub(crate) revision: String,
}

/// The tools: name, description and argument type.
const TOOLS: [(&str, &str); 6] = [
    (
        "status",
        "Where each database stands against its Alembic migration scripts: state (up-to-date, behind, no-revision, diverged, unknown-revision, database-error, config-error, unstamped), current and head revisions, pending migrations and recommended actions. Reads the database (read-only).",
    ),
    (
        "check",
        "Check the migration scripts alone (no database): diverged heads, broken links, duplicates, cycles, unreadable values, bad merges, each with its fix.",
    ),
    (
        "heads",
        "The script heads of one component (as `alembic heads`).",
    ),
    (
        "history",
        "Revisions of one component, newest first (as `alembic history -r RANGE`).",
    ),
    (
        "show",
        "One revision (or `heads`, `base`, a label) of one component, with its parents and file (as `alembic show`).",
    ),
    (
        "graph",
        "The revision graph of one component: nodes, edges and a Mermaid flowchart.",
    ),
];

/// The `db-status mcp` server: the CLI's timeout, applied to every call.
#[derive(Debug, Clone, Default)]
pub(crate) struct Server {
    /// `--timeout` given to `db-status mcp` (else the CLI's default).
    pub(crate) timeout: Option<Duration>,
}

fn schema_of<T: JsonSchema>() -> Arc<JsonObject> {
    let schema = schemars::schema_for!(T);
    let mut object = match serde_json::to_value(schema) {
        Ok(Value::Object(o)) => o,
        _ => JsonObject::new(),
    };
    // Clients want the object schema itself; the meta keys add nothing.
    object.remove("$schema");
    object.remove("title");
    object.remove("description");
    Arc::new(object)
}

/// The JSON Schema of every document the tools return (`docs/status.schema.json`,
/// embedded), as an MCP output schema: an object at the root.
pub(crate) fn output_schema() -> Arc<JsonObject> {
    static SCHEMA: std::sync::OnceLock<Arc<JsonObject>> = std::sync::OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let mut object = match serde_json::from_str(include_str!("../docs/status.schema.json"))
            {
                Ok(Value::Object(o)) => o,
                _ => JsonObject::new(),
            };
            object.insert("type".to_string(), Value::String("object".to_string()));
            Arc::new(object)
        })
        .clone()
}

/// Every tool, with its input schema, the output schema and `readOnlyHint: true`.
pub(crate) fn tools() -> Vec<Tool> {
    TOOLS
        .iter()
        .map(|&(name, description)| {
            let schema = match name {
                "status" => schema_of::<StatusArgs>(),
                "check" => schema_of::<CheckArgs>(),
                "history" => schema_of::<HistoryArgs>(),
                "show" => schema_of::<ShowArgs>(),
                _ => schema_of::<ComponentArgs>(),
            };
            let annotations = ToolAnnotations::new()
                .read_only(true)
                .destructive(false)
                .idempotent(true)
                .open_world(false);
            Tool::new(name, description, schema)
                .with_raw_output_schema(output_schema())
                .annotate(annotations)
        })
        .collect()
}

/// What a call comes to: the tool's result, or a bad-arguments message.
fn tool_error(message: String) -> CallToolResult {
    let mut r = CallToolResult::error(vec![ContentBlock::text(mask_url_passwords(&message))]);
    r.structured_content = None;
    r
}

fn parse<T: serde::de::DeserializeOwned>(
    tool: &str,
    arguments: Option<JsonObject>,
) -> Result<T, CallToolResult> {
    let value = Value::Object(arguments.unwrap_or_default());
    serde_json::from_value(value).map_err(|e| {
        tool_error(format!(
            "bad arguments for `{tool}`: {e}; see the tool's input schema"
        ))
    })
}

impl Server {
    /// The flags a call stands for (always `--format json`).
    fn globals(
        &self,
        components: Vec<String>,
        all: bool,
        project_dir: Option<&str>,
    ) -> Result<GlobalArgs, CallToolResult> {
        let cwd = match project_dir {
            None => None,
            Some(dir) => {
                let base = std::env::current_dir().unwrap_or_else(|_| ".".into());
                let path = base.join(dir);
                if !path.is_dir() {
                    return Err(tool_error(format!(
                        "project_dir {} does not exist or is not a directory",
                        path.display()
                    )));
                }
                Some(path)
            }
        };
        Ok(GlobalArgs {
            component: components,
            all,
            format: Some(Format::Json),
            cwd,
            ..GlobalArgs::default()
        })
    }

    /// Run one tool call to completion (blocking: reads files and databases).
    pub(crate) fn call(&self, tool: &str, arguments: Option<JsonObject>) -> CallToolResult {
        match self.run_tool(tool, arguments) {
            Ok(r) | Err(r) => r,
        }
    }

    fn run_tool(
        &self,
        tool: &str,
        arguments: Option<JsonObject>,
    ) -> Result<CallToolResult, CallToolResult> {
        let (command, g) = match tool {
            "status" => {
                let a: StatusArgs = parse(tool, arguments)?;
                let mut g = self.globals(a.components, a.all, a.project_dir.as_deref())?;
                g.url = a.urls.iter().map(|(k, v)| format!("{k}={v}")).collect();
                (Command::Status, g)
            }
            "check" => {
                let a: CheckArgs = parse(tool, arguments)?;
                let g = self.globals(a.components, a.all, a.project_dir.as_deref())?;
                (
                    Command::Check {
                        strict: false,
                        base: None,
                    },
                    g,
                )
            }
            "heads" | "graph" => {
                let a: ComponentArgs = parse(tool, arguments)?;
                let g = self.globals(a.components, false, a.project_dir.as_deref())?;
                let command = if tool == "heads" {
                    Command::Heads {
                        resolve_dependencies: false,
                    }
                } else {
                    Command::Graph {
                        last: None,
                        rev_range: None,
                        with_db: false,
                    }
                };
                (command, g)
            }
            "history" => {
                let a: HistoryArgs = parse(tool, arguments)?;
                let g = self.globals(a.components, false, a.project_dir.as_deref())?;
                let command = Command::History {
                    rev_range: a.range,
                    indicate_current: false,
                    releases: false,
                };
                (command, g)
            }
            "show" => {
                let a: ShowArgs = parse(tool, arguments)?;
                let g = self.globals(a.components, false, a.project_dir.as_deref())?;
                (Command::Show { rev: a.revision }, g)
            }
            other => {
                return Err(tool_error(format!(
                    "unknown tool `{other}`; the tools are {}",
                    TOOLS.map(|t| t.0).join(", ")
                )));
            }
        };
        let mut g = g;
        if commands::reads_database(&command) {
            g.timeout = self.timeout;
        }
        let mut out = Vec::new();
        let mut err = Vec::new();
        let code = match commands::check_flags(&command, &g) {
            Err(e) => commands::usage(&e, &g, &mut out, &mut err),
            Ok(()) => commands::dispatch(&command, &g, &mut out, &mut err),
        };
        let document: Value = match serde_json::from_slice(&out) {
            Ok(v) => v,
            Err(_) => {
                let text = String::from_utf8_lossy(&err);
                return Err(tool_error(format!(
                    "`{tool}` failed (exit {code}): {}",
                    text.trim()
                )));
            }
        };
        let summary = mask_url_passwords(&summarize(tool, &document));
        let mut result = if code == crate::error::Exit::UpToDate.code() {
            CallToolResult::success(vec![ContentBlock::text(summary)])
        } else {
            CallToolResult::error(vec![ContentBlock::text(summary)])
        };
        result.structured_content = Some(document);
        Ok(result)
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn revisions_of(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|r| str_of(r, "revision").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The one-line text summary of a tool's document.
pub(crate) fn summarize(tool: &str, doc: &Value) -> String {
    let exit = doc.get("exit_code").and_then(Value::as_u64).unwrap_or(0);
    if let Some(error) = doc.get("error").filter(|e| !e.is_null())
        && doc.get("components").is_none()
        && tool != "graph"
    {
        return format!(
            "{tool}: {} (exit {exit}): {}",
            str_of(error, "kind"),
            str_of(error, "message")
        );
    }
    let component = str_of(doc, "component");
    match tool {
        "status" | "check" => {
            let parts: Vec<String> = doc
                .get("components")
                .and_then(Value::as_array)
                .map(|cs| {
                    cs.iter()
                        .map(|c| {
                            if tool == "status" {
                                format!("{}: {} ({})", str_of(c, "name"), str_of(c, "state"), {
                                    str_of(c, "summary")
                                })
                            } else {
                                let n = c
                                    .get("findings")
                                    .and_then(Value::as_array)
                                    .map_or(0, Vec::len);
                                format!("{}: {n} finding(s)", str_of(c, "name"))
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            format!("{} (exit {exit})", parts.join("; "))
        }
        "heads" => format!(
            "{component}: heads {}",
            revisions_of(doc, "revisions").join(", ")
        ),
        "history" | "show" => {
            let revs = revisions_of(doc, "revisions");
            let mut shown: Vec<String> = revs.iter().take(10).cloned().collect();
            if revs.len() > shown.len() {
                shown.push(format!("… ({} in all)", revs.len()));
            }
            format!("{component}: {}", shown.join(", "))
        }
        _ => {
            let nodes = doc
                .get("nodes")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            let edges = doc
                .get("edges")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            format!("{component}: graph of {nodes} revisions, {edges} edges (mermaid in `mermaid`)")
        }
    }
}

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                "db-status",
                crate::report::json::VERSION,
            ))
            .with_instructions(
                "Read-only Alembic migration status. Call `status` first; act on each \
                 component's `state` and `recommended_actions`. `check` needs no database.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if !TOOLS.iter().any(|t| t.0 == request.name) {
            return Err(ErrorData::invalid_params(
                format!("unknown tool `{}`", request.name),
                None,
            ));
        }
        let server = self.clone();
        let name = request.name.to_string();
        let arguments = request.arguments;
        // Blocking work off the protocol loop: one slow database never
        // holds up the other calls.
        match tokio::task::spawn_blocking(move || server.call(&name, arguments)).await {
            Ok(result) => Ok(result.into()),
            Err(_) => Ok(tool_error(
                "the call stopped unexpectedly (a bug in db-status; please report it)".to_string(),
            )
            .into()),
        }
    }
}

/// Serve on stdin/stdout until the client closes the connection.
pub(crate) fn serve(server: Server) -> Result<(), String> {
    use rmcp::ServiceExt;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the server: {e}"))?;
    runtime.block_on(async move {
        let running = server
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| format!("MCP initialization failed: {e}"))?;
        running
            .waiting()
            .await
            .map_err(|e| format!("the server stopped: {e}"))?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tool list clients see: names, descriptions, input schemas and
    /// annotations. A change here changes what agents may send.
    #[test]
    fn tool_list_snapshot() {
        let mut tools = tools();
        for t in &mut tools {
            // The output schema is docs/status.schema.json itself (checked below).
            assert_eq!(t.output_schema, Some(output_schema()), "{}", t.name);
            t.output_schema = None;
        }
        let tools = serde_json::to_string_pretty(&tools).expect("serializes");
        insta::assert_snapshot!("mcp_tools", tools);
        let schema = output_schema();
        assert_eq!(schema.get("type"), Some(&Value::String("object".into())));
        assert!(schema.contains_key("$defs") && schema.contains_key("oneOf"));
    }

    #[test]
    fn bad_arguments_are_tool_errors_not_panics() {
        let server = Server::default();
        for (tool, args) in [
            ("status", serde_json::json!({"components": 1})),
            ("show", serde_json::json!({})),
            ("history", serde_json::json!({"range": ["a"]})),
            ("heads", serde_json::json!({"extra": true})),
            ("nope", serde_json::json!({})),
        ] {
            let Value::Object(args) = args else {
                unreachable!()
            };
            let r = server.call(tool, Some(args));
            assert_eq!(r.is_error, Some(true), "{tool}");
            assert!(r.structured_content.is_none(), "{tool}");
        }
    }

    #[test]
    fn summaries_are_one_line() {
        let doc = serde_json::json!({
            "exit_code": 1,
            "components": [{"name": "manager", "state": "behind", "summary": "3 migrations pending."}]
        });
        assert_eq!(
            summarize("status", &doc),
            "manager: behind (3 migrations pending.) (exit 1)"
        );
        let doc = serde_json::json!({"exit_code": 255, "error": {"kind": "bad-revision", "message": "no"}});
        assert_eq!(summarize("show", &doc), "show: bad-revision (exit 255): no");
        let doc = serde_json::json!({"exit_code": 0, "component": "m", "revisions": [{"revision": "a"}, {"revision": "b"}]});
        assert_eq!(summarize("heads", &doc), "m: heads a, b");
    }
}
