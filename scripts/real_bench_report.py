"""The report of scripts/real_bench.py: one raw line per run, and per placement a
markdown table of the medians per runtime and their magpie/tokio ratios; where a
workload also has runs of the kv server's runtime-free floor (FLOOR=1), three more
columns: the floor's medians and the magpie/floor and tokio/floor ratios.
"""
import statistics

RUNTIMES = ("magpie", "tokio")

# The kv server as a bare mio loop (examples/kv/floor.rs): not a runtime, the least any
# runtime can spend. Only some workloads have it, so it is not in RUNTIMES.
FLOOR = "floor"

METRICS = (
    ("rps", "requests/s", "{:,.0f}"),
    ("p50_ms", "p50 latency (ms)", "{:.3f}"),
    ("p99_ms", "p99 latency (ms)", "{:.3f}"),
    ("cpu_us_per_req", "server CPU per request (µs)", "{:.2f}"),
    ("vol_cs", "voluntary context switches per run", "{:,.0f}"),
    ("vol_cs_per_1k_req", "voluntary context switches per 1k requests", "{:.1f}"),
)


def ratio(numerator, denominator):
    return f"{numerator / denominator:.2f}" if denominator else "n/a"


def table(title, runs_by_workload, rounds, duration):
    """The table of one placement; `runs_by_workload`: workload -> runtime -> [run]
    (runtime: RUNTIMES, and FLOOR for the workloads that have floor runs)."""
    floor = any(runs.get(FLOOR) for runs in runs_by_workload.values())
    lines = [f"#### {title}", "",
             f"Medians of {rounds} alternating rounds of {duration} s per runtime.", ""]
    if floor:
        lines += ["floor: the kv server as one thread running a bare mio loop, no runtime; "
                  "the same command code, so the least any runtime can spend.", "",
                  "| workload | metric | magpie | tokio | magpie/tokio | floor | magpie/floor "
                  "| tokio/floor |",
                  "|---|---|---:|---:|---:|---:|---:|---:|"]
    else:
        lines += ["| workload | metric | magpie | tokio | magpie/tokio |",
                  "|---|---|---:|---:|---:|"]
    for workload, runs in runs_by_workload.items():
        present = [rt for rt in RUNTIMES + (FLOOR,) if runs.get(rt)]
        errors = {rt: sum(run["errors"] for run in runs[rt]) for rt in present}
        for key, label, fmt in METRICS:
            medians = {rt: statistics.median(run[key] for run in runs[rt]) for rt in present}
            line = (f"| {workload} | {label} | {fmt.format(medians['magpie'])} | "
                    f"{fmt.format(medians['tokio'])} | "
                    f"{ratio(medians['magpie'], medians['tokio'])} |")
            if FLOOR in medians:
                line += (f" {fmt.format(medians[FLOOR])} | "
                         f"{ratio(medians['magpie'], medians[FLOOR])} | "
                         f"{ratio(medians['tokio'], medians[FLOOR])} |")
            elif floor:
                line += " | | |"
            lines.append(line)
        if any(errors.values()):
            line = f"| {workload} | errors (all rounds) | {errors['magpie']} | {errors['tokio']} | |"
            if floor:
                line += f" {errors[FLOOR]} | | |" if FLOOR in errors else " | | |"
            lines.append(line)
    return "\n".join(lines)


def raw_line(placement, workload, round_index, runtime, result):
    """One run's every measurement, as key=value fields."""
    fields = [f"placement={placement}", f"workload={workload}", f"round={round_index}",
              f"runtime={runtime}"]
    for key in ("rps", "p50_ms", "p99_ms", "requests", "cpu_s", "cpu_us_per_req", "vol_cs",
                "vol_cs_per_1k_req", "invol_cs", "errors"):
        value = result[key]
        fields.append(f"{key}={value:.6g}" if isinstance(value, float) else f"{key}={value}")
    return "raw " + " ".join(fields)
