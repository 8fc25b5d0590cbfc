"""Drive `db-status mcp` with the official Python MCP SDK (`mcp` on PyPI).

Called by tests/integration/agents_mcp.rs with one JSON argument:
  {"binary", "schema", "demo", "pg_behind", "pg_diverged", "pg_url_behind",
   "pg_url_diverged", "refused_url", "blackhole_url", "password"}
The stdio client starts the binary, initializes, lists the tools, validates
their input schemas and every structured result (docs/status.schema.json),
and calls each tool on the demo and on PostgreSQL. It checks that no byte the
server sent holds the password, and that the server survives a malformed
request and bad arguments. Any failed check raises (exit 1).
"""

import json
import subprocess
import sys
import time

import anyio
import jsonschema
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import MCPError

cfg = json.loads(sys.argv[1])
with open(cfg["schema"]) as f:
    SCHEMA = json.load(f)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
SEEN = []  # every result the client received, serialized


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print(f"ok: {what}", flush=True)


def record(result):
    SEEN.append(result.model_dump_json())
    return result


def doc_of(result, tool):
    doc = result.structured_content
    check(isinstance(doc, dict), f"{tool}: structured content is a JSON object")
    errors = sorted(VALIDATOR.iter_errors(doc), key=str)
    check(not errors, f"{tool}: document matches docs/status.schema.json {[e.message for e in errors][:3]}")
    check(len(result.content) == 1 and result.content[0].type == "text", f"{tool}: one text block")
    summary = result.content[0].text
    check("\n" not in summary and summary, f"{tool}: one-line summary: {summary!r}")
    check(result.is_error == (doc["exit_code"] != 0), f"{tool}: isError iff exit_code != 0")
    return doc


async def call(session, tool, args, timeout=60):
    return record(await session.call_tool(tool, args, read_timeout_seconds=timeout))


async def demo_and_postgres(session):
    init_tools = (await session.list_tools()).tools
    names = sorted(t.name for t in init_tools)
    check(names == sorted(["status", "check", "heads", "history", "show", "graph"]), f"tools: {names}")
    for t in init_tools:
        jsonschema.Draft202012Validator.check_schema(t.input_schema)
        props = t.input_schema.get("properties", {})
        check(t.input_schema.get("type") == "object", f"{t.name}: object input schema")
        check({"components", "project_dir"} <= set(props), f"{t.name}: takes components and project_dir")
        check(props["components"]["type"] == "array", f"{t.name}: components is a list")
        check(t.annotations is not None and t.annotations.read_only_hint is True, f"{t.name}: readOnlyHint")
        out_schema = dict(t.output_schema or {})
        check(out_schema.pop("type", None) == "object", f"{t.name}: output schema is an object schema")
        check(out_schema == SCHEMA, f"{t.name}: output schema is docs/status.schema.json")
    by_name = {t.name: t.input_schema["properties"] for t in init_tools}
    check({"all", "urls"} <= set(by_name["status"]), "status takes all and urls")
    check(by_name["status"]["urls"]["type"] == "object", "urls is an object")
    check("all" in by_name["check"], "check takes all")
    check("range" in by_name["history"], "history takes range")
    check("revision" in by_name["show"], "show takes revision")

    demo = cfg["demo"]
    # status on the demo: every state the demo has, by component.
    r = await call(session, "status", {"all": True, "project_dir": demo})
    doc = doc_of(r, "status --all")
    states = {c["name"]: c["state"] for c in doc["components"]}
    check(states.get("manager") == "behind", f"demo manager behind: {states}")
    check(states.get("accountmgr") == "no-revision", "demo accountmgr no-revision")
    check(states.get("appproxy") == "diverged", "demo appproxy diverged")
    check(r.is_error, "a failed check is a tool result with isError")
    r = await call(session, "status", {"components": ["storage"], "project_dir": demo})
    check(doc_of(r, "status storage")["components"][0]["state"] == "up-to-date", "demo storage up-to-date")
    check(not r.is_error, "up-to-date is not an error")
    # The same document as the CLI prints.
    cli = subprocess.run(
        [cfg["binary"], "--component", "manager", "--format", "json"],
        cwd=demo, capture_output=True, text=True, timeout=60,
    )
    r = await call(session, "status", {"components": ["manager"], "project_dir": demo})
    check(r.structured_content == json.loads(cli.stdout), "status = `db-status --format json`")

    r = await call(session, "check", {"components": ["appproxy"], "project_dir": demo})
    d = doc_of(r, "check appproxy")
    check(d["components"][0]["findings"][0]["code"] == "diverged-heads", "check finds diverged heads")
    r = await call(session, "check", {"all": True, "project_dir": demo})
    doc_of(r, "check --all")

    r = await call(session, "heads", {"components": ["appproxy"], "project_dir": demo})
    d = doc_of(r, "heads")
    check([x["revision"] for x in d["revisions"]] == ["9a8b7c6d5e4f", "a1b2c3d4e5f6"], "heads lists both heads")
    cli = subprocess.run(
        [cfg["binary"], "heads", "--component", "appproxy", "--format", "json"],
        cwd=demo, capture_output=True, text=True, timeout=60,
    )
    check(r.structured_content == json.loads(cli.stdout), "heads = `db-status heads --format json`")
    r = await call(session, "history", {"components": ["manager"], "project_dir": demo, "range": "a2f6b90c41d7:"})
    d = doc_of(r, "history -r a2f6b90c41d7:")
    check(len(d["revisions"]) >= 2 and d["command"] == "history", "history range")
    r = await call(session, "history", {"components": ["manager"], "project_dir": demo})
    doc_of(r, "history")
    r = await call(session, "show", {"components": ["manager"], "project_dir": demo, "revision": "head"})
    d = doc_of(r, "show head")
    check(d["revisions"][0]["revision"] == "c5a91e37d40b", "show head")
    r = await call(session, "show", {"components": ["manager"], "project_dir": demo, "revision": "zzzz"})
    d = doc_of(r, "show unknown")
    check(r.is_error and d["error"]["kind"] == "bad-revision", "unknown revision: isError with an error document")
    r = await call(session, "graph", {"components": ["appproxy"], "project_dir": demo})
    d = doc_of(r, "graph")
    check(d["mermaid"].startswith("flowchart") or "graph" in d["mermaid"].split("\n")[0], "graph carries mermaid")
    check(any(n["revision"] == "a1b2c3d4e5f6" for n in d["nodes"]), "graph nodes")

    # PostgreSQL: behind and diverged, URL per component, password never echoed.
    pw = cfg["password"]
    r = await call(session, "status", {"components": ["manager"], "project_dir": cfg["pg_behind"],
                                       "urls": {"manager": cfg["pg_url_behind"]}})
    c = doc_of(r, "pg behind")["components"][0]
    check(c["state"] == "behind" and c["pending_count"] == 2, f"pg behind: {c['state']} {c['pending_count']}")
    check(pw not in c["database"] and "***" in c["database"], "database URL masked")
    r = await call(session, "status", {"components": ["manager"], "project_dir": cfg["pg_diverged"],
                                       "urls": {"manager": cfg["pg_url_diverged"]}})
    c = doc_of(r, "pg diverged")["components"][0]
    check(c["state"] == "diverged" and c["diverged"]["fix"] is not None, "pg diverged with its fix")

    # Refused connection.
    start = time.monotonic()
    r = await call(session, "status", {"components": ["manager"], "project_dir": cfg["pg_behind"],
                                       "urls": {"manager": cfg["refused_url"]}})
    c = doc_of(r, "refused")["components"][0]
    check(c["state"] == "database-error" and c["error"]["kind"] == "connection-refused", f"refused: {c['error']}")

    # Black-holed host: the call ends within the server's --timeout (2 s), and
    # a call made meanwhile is answered before it.
    async def blackholed(results):
        t0 = time.monotonic()
        res = await call(session, "status", {"components": ["manager"], "project_dir": cfg["pg_behind"],
                                             "urls": {"manager": cfg["blackhole_url"]}})
        results["blackhole"] = (res, time.monotonic() - t0, time.monotonic())

    async def meanwhile(results):
        await anyio.sleep(0.2)
        res = await call(session, "heads", {"components": ["appproxy"], "project_dir": demo})
        results["heads"] = (res, time.monotonic())

    results = {}
    async with anyio.create_task_group() as tg:
        tg.start_soon(blackholed, results)
        tg.start_soon(meanwhile, results)
    res, took, done_at = results["blackhole"]
    c = doc_of(res, "black-holed")["components"][0]
    check(c["state"] == "database-error" and c["error"]["kind"] == "timeout", f"black-holed: {c['error']}")
    check(took < 20, f"black-holed call bounded by the timeout ({took:.1f} s)")
    check(results["heads"][1] < done_at, "a call made meanwhile is answered first")
    r = await call(session, "status", {"components": ["storage"], "project_dir": demo})
    check(not r.is_error, "later calls are still answered")

    # Bad arguments: a tool result with isError, and the server goes on.
    for tool, args in [
        ("history", {"range": 5}),
        ("status", {"components": "manager"}),
        ("show", {}),
        ("heads", {"no_such_argument": 1}),
        ("status", {"project_dir": "/no/such/dir"}),
        ("status", {"components": ["nope"], "project_dir": demo}),
        ("heads", {"components": ["manager", "appproxy"], "project_dir": demo}),
    ]:
        r = await call(session, tool, args)
        check(r.is_error, f"bad arguments {tool} {args}: isError ({r.content[0].text[:80]!r})")
    try:
        await session.call_tool("drop_database", {})
        check(False, "unknown tool is refused")
    except MCPError as e:
        check("unknown tool" in str(e), f"unknown tool: protocol error ({e})")
    r = await call(session, "heads", {"components": ["appproxy"], "project_dir": demo})
    check(not r.is_error, "server answers after bad arguments")


async def main():
    params = StdioServerParameters(command=cfg["binary"], args=["mcp", "--timeout", "2"], cwd=cfg["demo"])
    with open(cfg["stderr_log"], "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write) as session:
                init = record(await session.initialize())
                check(init.server_info.name == "db-status", "initialize: server name")
                check(init.capabilities.tools is not None, "initialize: tools capability")
                await demo_and_postgres(session)
    # Default project directory: the server's working directory.
    params = StdioServerParameters(command=cfg["binary"], args=["mcp"], cwd=cfg["demo"])
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            r = await call(session, "status", {"components": ["storage"]})
            check(r.structured_content["components"][0]["state"] == "up-to-date",
                  "project_dir defaults to the server's working directory")


def malformed():
    """Raw JSON-RPC lines: garbage, a request with bad params, then a good one."""
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "raw", "version": "1"}}}
    lines = [
        "this is not json",
        json.dumps(init),
        json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        '{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"arguments": 5}}',
        "{\"jsonrpc\": \"2.0\", \"id\": 3, \"method\": \"tools/call\"",
        json.dumps({"jsonrpc": "2.0", "id": 4, "method": "no/such/method"}),
        json.dumps({"jsonrpc": "2.0", "id": 5, "method": "tools/call",
                    "params": {"name": "heads", "arguments": {"components": ["appproxy"]}}}),
    ]
    proc = subprocess.run([cfg["binary"], "mcp"], cwd=cfg["demo"], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, timeout=60)
    SEEN.append(proc.stdout)
    replies = {}
    for line in proc.stdout.splitlines():
        msg = json.loads(line)
        replies[msg.get("id")] = msg
    check(1 in replies and "result" in replies[1], "malformed: initialize answered after a garbage line")
    check(2 in replies and "error" in replies[2], "malformed: bad params is a JSON-RPC error")
    check(4 in replies and "error" in replies[4], "malformed: unknown method is a JSON-RPC error")
    check(5 in replies and replies[5]["result"]["structuredContent"]["command"] == "heads",
          "malformed: the server still answers the next call")


anyio.run(main)
malformed()
with open(cfg["stderr_log"]) as f:
    SEEN.append(f.read())
blob = "\n".join(SEEN)
check(cfg["password"] not in blob, f"the password appears nowhere in {len(blob)} bytes of responses and stderr")
print("all MCP checks passed")
