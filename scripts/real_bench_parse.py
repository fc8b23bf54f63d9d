"""Reading the load generators' output for scripts/real_bench.py: wrk --latency,
redis-benchmark --csv (7.x columns), and the rpc client's key=value line. Each parser
returns a dict with rps, p50_ms, p99_ms (and, where the output has them, requests
and errors), or raises BenchError naming what is missing.
"""
import re


class BenchError(Exception):
    """A run that cannot be measured: the script stops rather than report it."""


WRK_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk_millis(text):
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise BenchError(f"unreadable wrk latency {text!r}")
    return float(match.group(1)) * WRK_UNITS[match.group(2)]


def parse_wrk(output):
    def find(pattern):
        match = re.search(pattern, output, re.MULTILINE)
        if not match:
            raise BenchError(f"wrk output lacks {pattern!r}:\n{output}")
        return match.group(1)

    errors = 0
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    return {
        "requests": int(find(r"^\s*(\d+) requests in")),
        "rps": float(find(r"^Requests/sec:\s+([\d.]+)")),
        "p50_ms": wrk_millis(find(r"^\s+50%\s+(\S+)")),
        "p99_ms": wrk_millis(find(r"^\s+99%\s+(\S+)")),
        "errors": errors,
    }


def parse_redis_csv(output, test):
    """The row of `test` (e.g. "GET") in redis-benchmark --csv output (7.x columns)."""
    rows = [line.replace('"', "").split(",") for line in output.strip().splitlines()]
    header = rows[0] if rows else []
    for row in rows[1:]:
        if row and row[0] == test:
            values = dict(zip(header, row))
            try:
                return {
                    "rps": float(values["rps"]),
                    "p50_ms": float(values["p50_latency_ms"]),
                    "p99_ms": float(values["p99_latency_ms"]),
                }
            except KeyError as missing:
                raise BenchError(
                    f"redis-benchmark --csv lacks column {missing} (7.x has it):\n{output}")
    raise BenchError(f"redis-benchmark printed no {test} row:\n{output}")


def parse_rpc(output):
    values = dict(item.split("=", 1) for item in output.split())
    return {
        "requests": int(values["requests"]),
        "rps": float(values["rps"]),
        "p50_ms": int(values["p50_us"]) / 1e3,
        "p99_ms": int(values["p99_us"]) / 1e3,
        "errors": 0,  # any failed call fails the client
    }
