#!/usr/bin/env python3
"""A/B of magpie's side of the criterion benchmarks between two builds of
the tree (say, before and after a change), alternating the two binaries
round by round so that drift of this noisy VM hits both alike, and
printing the median of each side and new/old.

Usage:
  python3 scripts/ab_bench.py OLD_BENCH_BINARY NEW_BENCH_BINARY [--rounds N] FILTER...
e.g. (after `cargo bench --no-run --bench scheduler` in both trees)
  python3 scripts/ab_bench.py ../old/target/release/deps/scheduler-XXXX \\
      target/release/deps/scheduler-YYYY --rounds 5 ping_pong/magpie yield_many/magpie

Each run is `BINARY --bench FILTER --warm-up-time 1 --measurement-time 2
--noplot`; the mean is criterion's middle "time:" estimate.
"""
import re
import statistics
import subprocess
import sys

UNITS = {"ns": 1e-3, "µs": 1.0, "us": 1.0, "ms": 1e3, "s": 1e6}


def run(binary, bench):
    out = subprocess.run(
        [binary, "--bench", bench, "--warm-up-time", "1", "--measurement-time", "2", "--noplot"],
        capture_output=True, text=True, check=True,
    ).stdout
    m = re.search(r"time:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]", out)
    if not m:
        sys.exit(f"no time in output of {binary} {bench}:\n{out}")
    return float(m.group(1)) * UNITS[m.group(2)]


def main():
    args = sys.argv[1:]
    rounds = 5
    if "--rounds" in args:
        i = args.index("--rounds")
        rounds = int(args[i + 1])
        del args[i:i + 2]
    old, new, *benches = args
    print("| benchmark | old median (µs) | new median (µs) | new/old | old runs | new runs |")
    print("|---|---:|---:|---:|---|---|")
    for bench in benches:
        times = {old: [], new: []}
        for r in range(rounds):
            order = (old, new) if r % 2 == 0 else (new, old)
            for binary in order:
                times[binary].append(run(binary, bench))
        mo, mn = statistics.median(times[old]), statistics.median(times[new])
        fmt = lambda xs: ", ".join(f"{x:.0f}" for x in xs)
        print(f"| {bench} | {mo:.1f} | {mn:.1f} | {mn / mo:.3f} | {fmt(times[old])} | {fmt(times[new])} |",
              flush=True)


main()
