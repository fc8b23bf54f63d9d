"""The report of scripts/real_bench.py: one raw line per run, and per placement a
markdown table of the medians per runtime and their magpie/tokio ratios.
"""
import statistics

RUNTIMES = ("magpie", "tokio")

METRICS = (
    ("rps", "requests/s", "{:,.0f}"),
    ("p50_ms", "p50 latency (ms)", "{:.3f}"),
    ("p99_ms", "p99 latency (ms)", "{:.3f}"),
    ("cpu_us_per_req", "server CPU per request (µs)", "{:.2f}"),
    ("vol_cs", "voluntary context switches per run", "{:,.0f}"),
    ("vol_cs_per_1k_req", "voluntary context switches per 1k requests", "{:.1f}"),
)


def table(title, runs_by_workload, rounds, duration):
    """The table of one placement; `runs_by_workload`: workload -> runtime -> [run]."""
    lines = [f"#### {title}", "",
             f"Medians of {rounds} alternating rounds of {duration} s per runtime.", "",
             "| workload | metric | magpie | tokio | magpie/tokio |",
             "|---|---|---:|---:|---:|"]
    for workload, runs in runs_by_workload.items():
        errors = {rt: sum(run["errors"] for run in runs[rt]) for rt in RUNTIMES}
        for key, label, fmt in METRICS:
            medians = {rt: statistics.median(run[key] for run in runs[rt]) for rt in RUNTIMES}
            ratio = (f"{medians['magpie'] / medians['tokio']:.2f}" if medians["tokio"] else "n/a")
            lines.append(f"| {workload} | {label} | {fmt.format(medians['magpie'])} | "
                         f"{fmt.format(medians['tokio'])} | {ratio} |")
        if any(errors.values()):
            lines.append(f"| {workload} | errors (all rounds) | {errors['magpie']} | "
                         f"{errors['tokio']} | |")
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
