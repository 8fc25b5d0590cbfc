"""Time `db-status mcp` tool calls against the same command run as a process.

    .venv/bin/python bench/mcp_calls.py target/debug/db-status examples/backend-ai [N]

Prints wall-clock per call (median of N) for the `status` and `heads` tools over
one MCP session, the same commands as separate `db-status … --format json`
processes, and the CPU time (user+sys) of the server and of the processes,
with the load average. A figure, not a test: nothing here can fail on speed.
"""

import os
import resource
import statistics
import subprocess
import sys
import time

import anyio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

binary, demo = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
n = int(sys.argv[3]) if len(sys.argv) > 3 else 20
CALLS = [("status", {"all": True}, ["--all", "--format", "json"]),
         ("heads", {"components": ["manager"]}, ["heads", "--component", "manager", "--format", "json"])]


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


async def over_mcp():
    out = {}
    params = StdioServerParameters(command=binary, args=["mcp"], cwd=demo)
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as s:
            await s.initialize()
            for tool, args, _ in CALLS:
                times = []
                for _ in range(n):
                    t0 = time.perf_counter()
                    await s.call_tool(tool, args)
                    times.append(time.perf_counter() - t0)
                out[tool] = statistics.median(times)
    return out


cpu0 = cpu_children()
mcp_times = anyio.run(over_mcp)
cpu_mcp = cpu_children() - cpu0
proc_times = {}
cpu0 = cpu_children()
for tool, _, argv in CALLS:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run([binary, *argv], cwd=demo, capture_output=True, check=False)
        times.append(time.perf_counter() - t0)
    proc_times[tool] = statistics.median(times)
cpu_proc = cpu_children() - cpu0
for tool, _, _ in CALLS:
    print(f"{tool:7s} median over {n}: MCP call {mcp_times[tool]*1000:7.1f} ms | process {proc_times[tool]*1000:7.1f} ms")
print(f"CPU user+sys: MCP server {cpu_mcp:.2f} s for {n*len(CALLS)} calls | processes {cpu_proc:.2f} s")
print(f"load average: {os.getloadavg()}")
