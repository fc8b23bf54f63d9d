#!/usr/bin/env bash
# Real-program benchmarks, magpie vs tokio: hyper hello under wrk, the Redis-protocol
# key-value server under redis-benchmark (GET, SET), the rpc demo under its own client;
# each server is one body built for both runtimes (examples/real_hyper, examples/kv,
# examples/real_rpc). Installs wrk, redis-tools (and taskset) with apt-get when
# missing, builds the release binaries, then scripts/real_bench.py measures: runtimes
# alternating round by round, two placements, a markdown table per placement.
#
#   scripts/real_bench.sh                        # 5 rounds x 10 s, every workload: ~17 min
#   ROUNDS=1 DURATION=2 scripts/real_bench.sh    # does it work?
#   WORKLOADS=hyper,rpc PLACEMENTS=pinned ROUNDS=7 scripts/real_bench.sh
#   FLOOR=1 WORKLOADS=kv_get,kv_set PLACEMENTS=pinned scripts/real_bench.sh
#
# Knobs (environment): ROUNDS DURATION WARMUP WORKLOADS PLACEMENTS SERVER_CPU GEN_CPU
# WRK_THREADS WRK_CONNECTIONS KV_CLIENTS KV_PIPELINE KV_WARMUP_REQUESTS RPC_CALLERS
# RPC_CONNECTIONS FLOOR OUT_DIR; see scripts/real_bench.py for what each does. FLOOR=1
# (default 0) adds, to the kv workloads in the pinned placement, a third server in each
# round: `kv --runtime floor`, the same commands on a bare single-threaded mio loop with
# no runtime, so the table shows the least CPU per request any runtime can spend and
# the magpie/floor and tokio/floor ratios. MAGPIE_IDLE_SPIN_US=N (read by the magpie
# servers) sets magpie's idle spin budget (`Builder::idle_spin`; 0: off) for the spin
# trade-off runs in BENCHMARKS.md. Not run in CI:
# it takes minutes and wants a quiet machine (tests/real_servers.rs is the CI smoke test).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v redis-benchmark >/dev/null || missing+=(redis-tools)
command -v taskset >/dev/null || missing+=(util-linux)
if ((${#missing[@]})); then
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
    echo "== installing ${missing[*]}"
    "${sudo[@]}" apt-get install -y "${missing[@]}" ||
        { "${sudo[@]}" apt-get update && "${sudo[@]}" apt-get install -y "${missing[@]}"; }
fi

echo "== building the servers (release)"
cargo build --release --features hyper --example real_hyper --example kv --example real_rpc

echo "== measuring"
exec python3 scripts/real_bench.py
