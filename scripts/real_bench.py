#!/usr/bin/env python3
"""Real-program benchmarks, magpie vs tokio: runs each benchmark server (one body, two
runtimes) under its load generator, the runtimes alternating round by round, and
prints per workload the medians of requests/s, p50, p99, server CPU per request and
voluntary context switches, with magpie/tokio ratios, in two placements.

Run it through scripts/real_bench.sh, which installs the load generators and builds the
release binaries first. This file only measures and reports.

Workloads (env WORKLOADS, comma-separated; default all):
  hyper    examples/real_hyper under wrk (-t WRK_THREADS -c WRK_CONNECTIONS --latency)
  kv_get   examples/kv under redis-benchmark -t get (-c KV_CLIENTS -P KV_PIPELINE)
  kv_set   examples/kv under redis-benchmark -t set
  rpc      examples/real_rpc's server under its own client (RPC_CALLERS callers over
           RPC_CONNECTIONS connections, client runtime on 1 worker)
Placements (env PLACEMENTS; default both):
  pinned   server --workers 1 on cpu SERVER_CPU, generator on cpu GEN_CPU (taskset)
  shared   server --workers 2; server and generator both on cpus SERVER_CPU,GEN_CPU
Rounds: ROUNDS (default 5) rounds of DURATION seconds (default 10), each round one
magpie run then one tokio run (then one floor run, with FLOOR=1). Every run starts a fresh server, loads it for WARMUP
seconds (default 2; kv: KV_WARMUP_REQUESTS requests, which also sizes the measured
run to about DURATION seconds), then measures one generator run. Server CPU is
utime+stime of the server process (/proc/PID/stat) over the measured run;
context switches are summed over its threads (/proc/PID/task/*/status).

Floor (env FLOOR=1; default 0, off): the kv workloads in the pinned placement also run
`kv --runtime floor --workers 1`, the same commands served by one thread running a bare
mio loop with no runtime (examples/kv/floor.rs): the kernel's share plus the command
work, the least CPU per request any runtime can spend. Each round then runs magpie,
tokio, floor, and that placement's table gains the floor's medians and the magpie/floor
and tokio/floor ratios. Other workloads and the shared placement are unchanged (the
floor is one thread, so it has no 2-worker setup to compare with).

Output: raw per-run lines as they finish, then one markdown table per placement;
both are also written to OUT_DIR (default target/real_bench/<UTC timestamp>/).
The generators' output is read by real_bench_parse.py; the tables are made by
real_bench_report.py.
"""
import glob
import os
import re
import select
import shlex
import signal
import subprocess
import sys
import time

from real_bench_parse import BenchError, parse_redis_csv, parse_rpc, parse_wrk
from real_bench_report import FLOOR as FLOOR_RUNTIME, RUNTIMES, raw_line, table

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.join(ROOT, "target", "release", "examples")
ALL_WORKLOADS = ("hyper", "kv_get", "kv_set", "rpc")
ALL_PLACEMENTS = ("pinned", "shared")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def env_int(name, default):
    text = os.environ.get(name, str(default))
    try:
        value = int(text)
    except ValueError:
        sys.exit(f"real_bench: {name} must be an integer, not {text!r}")
    if value <= 0:
        sys.exit(f"real_bench: {name} must be positive, not {value}")
    return value


def env_flag(name):
    text = os.environ.get(name, "0")
    if text not in ("0", "1"):
        sys.exit(f"real_bench: {name} is 0 or 1, not {text!r}")
    return text == "1"


def env_list(name, allowed):
    items = [item for item in os.environ.get(name, ",".join(allowed)).split(",") if item]
    for item in items:
        if item not in allowed:
            sys.exit(f"real_bench: {name}: unknown {item!r} (known: {', '.join(allowed)})")
    return items


ROUNDS = env_int("ROUNDS", 5)
DURATION = env_int("DURATION", 10)
WARMUP = env_int("WARMUP", 2)
WORKLOADS = env_list("WORKLOADS", ALL_WORKLOADS)
PLACEMENTS = env_list("PLACEMENTS", ALL_PLACEMENTS)
SERVER_CPU = os.environ.get("SERVER_CPU", "0")
GEN_CPU = os.environ.get("GEN_CPU", "1")
WRK_THREADS = env_int("WRK_THREADS", 1)
WRK_CONNECTIONS = env_int("WRK_CONNECTIONS", 64)
KV_CLIENTS = env_int("KV_CLIENTS", 50)
KV_PIPELINE = env_int("KV_PIPELINE", 1)
KV_WARMUP_REQUESTS = env_int("KV_WARMUP_REQUESTS", 20000)
RPC_CALLERS = env_int("RPC_CALLERS", 64)
RPC_CONNECTIONS = env_int("RPC_CONNECTIONS", 1)
FLOOR = env_flag("FLOOR")
OUT_DIR = os.environ.get(
    "OUT_DIR",
    os.path.join(ROOT, "target", "real_bench", time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())),
)


# ---------------------------------------------------------------- placements


def placement_settings(placement):
    """(server workers, server cpu list, generator cpu list, title)."""
    if placement == "pinned":
        return (1, SERVER_CPU, GEN_CPU,
                f"(i) server on cpu {SERVER_CPU} with 1 worker, load generator on cpu {GEN_CPU}")
    both = f"{SERVER_CPU},{GEN_CPU}"
    return (2, both, both,
            f"(ii) server with 2 workers and the load generator sharing cpus {both}")


def pinned(cpus, command):
    return ["taskset", "-c", cpus] + command


def runtimes_for(placement, workload):
    """What runs in each round: magpie and tokio, and with FLOOR=1 the kv floor (pinned:
    it is one thread, like the 1-worker servers there)."""
    if FLOOR and placement == "pinned" and workload.startswith("kv_"):
        return RUNTIMES + (FLOOR_RUNTIME,)
    return RUNTIMES


# ---------------------------------------------------------------- server process


def server_command(workload, runtime, workers):
    flags = ["--runtime", runtime, "--workers", str(workers), "--addr", "127.0.0.1:0"]
    if workload == "hyper":
        return [os.path.join(BIN, "real_hyper")] + flags
    if workload.startswith("kv_"):
        return [os.path.join(BIN, "kv")] + flags
    return [os.path.join(BIN, "real_rpc"), "server"] + flags


def start_server(command, log):
    """Starts the server; returns (process, 'host:port') once it has printed its address."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
    ready, _, _ = select.select([process.stdout], [], [], 20)
    line = process.stdout.readline() if ready else ""
    match = re.match(r"listening on (\S+)", line)
    if not match:
        stop_server(process)
        raise BenchError(f"server did not start: {shlex.join(command)} printed {line!r} "
                         f"(its stderr is in {os.path.join(OUT_DIR, 'servers.log')})")
    return process, match.group(1)


def stop_server(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def server_counters(pid):
    """(CPU seconds, voluntary, involuntary context switches) of process `pid` so far."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    # Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    fields = stat[stat.rindex(")") + 2:].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK
    voluntary = involuntary = 0
    for status in glob.glob(f"/proc/{pid}/task/*/status"):
        try:
            with open(status) as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches:"):
                        voluntary += int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches:"):
                        involuntary += int(line.split()[1])
        except FileNotFoundError:
            pass  # the thread exited between the listing and the read
    return cpu, voluntary, involuntary


# ---------------------------------------------------------------- load generators


def run_generator(command, timeout):
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{shlex.join(command)} ran past {timeout} s")
    if result.returncode != 0:
        raise BenchError(
            f"{shlex.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result.stdout


def redis_command(addr, test, requests):
    host, port = addr.rsplit(":", 1)
    return ["redis-benchmark", "-h", host, "-p", port, "-c", str(KV_CLIENTS),
            "-P", str(KV_PIPELINE), "-n", str(requests), "-t", test, "--csv"]


def warm_up(workload, addr, cpus):
    """Loads a fresh server before measuring; for kv, returns the measured run's size."""
    if workload == "hyper":
        run_generator(pinned(cpus, ["wrk", "-t", str(WRK_THREADS), "-c", str(WRK_CONNECTIONS),
                                    "-d", f"{WARMUP}s", f"http://{addr}/"]), WARMUP + 60)
    elif workload == "rpc":
        run_generator(pinned(cpus, rpc_client(addr, WARMUP)), WARMUP + 60)
    else:
        # GET warms up after a SET, so that the measured GETs find their key.
        test = workload[len("kv_"):]
        tests = "set,get" if test == "get" else test
        output = run_generator(pinned(cpus, redis_command(addr, tests, KV_WARMUP_REQUESTS)), 300)
        rate = parse_redis_csv(output, test.upper())["rps"]
        return max(KV_WARMUP_REQUESTS, int(rate * DURATION))
    return None


def rpc_client(addr, seconds):
    return [os.path.join(BIN, "real_rpc"), "client", "--addr", addr, "--duration", str(seconds),
            "--callers", str(RPC_CALLERS), "--connections", str(RPC_CONNECTIONS), "--workers", "1"]


def measure(workload, addr, cpus, kv_requests):
    """Runs the measured load; returns requests, rps, p50_ms, p99_ms, errors."""
    limit = DURATION * 10 + 120
    if workload == "hyper":
        return parse_wrk(run_generator(pinned(cpus, [
            "wrk", "-t", str(WRK_THREADS), "-c", str(WRK_CONNECTIONS), "-d", f"{DURATION}s",
            "--latency", f"http://{addr}/"]), limit))
    if workload == "rpc":
        return parse_rpc(run_generator(pinned(cpus, rpc_client(addr, DURATION)), limit))
    test = workload[len("kv_"):]
    result = parse_redis_csv(
        run_generator(pinned(cpus, redis_command(addr, test, kv_requests)), limit), test.upper())
    result["requests"] = kv_requests
    result["errors"] = 0  # redis-benchmark reports no per-request errors in --csv
    return result


# ---------------------------------------------------------------- one run


def one_run(workload, placement, runtime, log):
    workers, server_cpus, gen_cpus, _ = placement_settings(placement)
    process, addr = start_server(pinned(server_cpus, server_command(workload, runtime, workers)),
                                 log)
    try:
        kv_requests = warm_up(workload, addr, gen_cpus)
        cpu0, vol0, invol0 = server_counters(process.pid)
        result = measure(workload, addr, gen_cpus, kv_requests)
        cpu1, vol1, invol1 = server_counters(process.pid)
        if process.poll() is not None:
            raise BenchError(f"the {runtime} {workload} server exited during the run")
    finally:
        stop_server(process)
    requests = max(result["requests"], 1)
    result.update({
        "cpu_s": cpu1 - cpu0,
        "cpu_us_per_req": (cpu1 - cpu0) / requests * 1e6,
        "vol_cs": vol1 - vol0,
        "vol_cs_per_1k_req": (vol1 - vol0) / requests * 1e3,
        "invol_cs": invol1 - invol0,
    })
    return result


# ---------------------------------------------------------------- setup


def describe_setup():
    """The tree, machine, tool versions and knobs, to head the raw lines and the tables."""
    def output(command):
        try:
            return subprocess.run(command, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "?"

    commit = output(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    dirty = " (+ uncommitted changes)" if output(["git", "-C", ROOT, "status", "--porcelain",
                                                  "--untracked-files=no"]) else ""
    wrk = output(["wrk", "--version"]).splitlines()[0:1] or ["?"]
    redis = output(["redis-benchmark", "--version"]) or "?"
    knobs = " ".join(f"{name}={globals()[name]}" for name in (
        "ROUNDS", "DURATION", "WARMUP", "WRK_THREADS", "WRK_CONNECTIONS", "KV_CLIENTS",
        "KV_PIPELINE", "KV_WARMUP_REQUESTS", "RPC_CALLERS", "RPC_CONNECTIONS"))
    if FLOOR:
        knobs += " FLOOR=1"
    if "MAGPIE_IDLE_SPIN_US" in os.environ:
        knobs += f" MAGPIE_IDLE_SPIN_US={os.environ['MAGPIE_IDLE_SPIN_US']}"
    return (f"tree {commit}{dirty}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
            f"{os.cpu_count()} cpus, {os.uname().release}; {wrk[0].split(' Copyright')[0]}; "
            f"{redis}\n{knobs}")


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    raw_path = os.path.join(OUT_DIR, "raw.txt")
    setup = describe_setup()
    print(setup, flush=True)
    results = {}
    with open(os.path.join(OUT_DIR, "servers.log"), "w") as log, open(raw_path, "w") as raw:
        raw.write(setup + "\n")
        for placement in PLACEMENTS:
            for workload in WORKLOADS:
                runtimes = runtimes_for(placement, workload)
                runs = results.setdefault((placement, workload), {rt: [] for rt in runtimes})
                for round_index in range(1, ROUNDS + 1):
                    for runtime in runtimes:
                        result = one_run(workload, placement, runtime, log)
                        runs[runtime].append(result)
                        line = raw_line(placement, workload, round_index, runtime, result)
                        print(line, flush=True)
                        raw.write(line + "\n")
                        raw.flush()
    tables = []
    for placement in PLACEMENTS:
        runs = {workload: results[(placement, workload)] for workload in WORKLOADS}
        tables.append(table(placement_settings(placement)[3], runs, ROUNDS, DURATION))
    report = "\n\n".join([setup.replace("\n", "; ")] + tables)
    with open(os.path.join(OUT_DIR, "table.md"), "w") as f:
        f.write(report + "\n")
    print()
    print(report)
    print(f"\n(raw runs and this table are in {OUT_DIR})")


if __name__ == "__main__":
    try:
        main()
    except BenchError as error:
        sys.exit(f"real_bench: {error}")
