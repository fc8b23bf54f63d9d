#!/usr/bin/env python3
"""Prints the magpie/tokio ratio table for BENCHMARKS.md from criterion's
saved estimates (target/criterion/<group>/{magpie,tokio}/new/estimates.json),
so the table always comes from one `cargo bench` run.

Usage: python3 scripts/bench_table.py [group ...]   (default: every group)
"""
import json
import os
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..", "target", "criterion")


def mean_ns(group, fn):
    path = os.path.join(ROOT, group, fn, "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["mean"]["point_estimate"]
    except FileNotFoundError:
        return None


def fmt(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def main():
    groups = sys.argv[1:] or sorted(
        g for g in os.listdir(ROOT) if os.path.isdir(os.path.join(ROOT, g, "magpie"))
    )
    print("| benchmark | magpie | tokio | magpie/tokio |")
    print("|---|---:|---:|---:|")
    for g in groups:
        m, t = mean_ns(g, "magpie"), mean_ns(g, "tokio")
        if m is None or t is None:
            continue
        print(f"| {g} | {fmt(m)} | {fmt(t)} | {m / t:.2f} |")


if __name__ == "__main__":
    main()
