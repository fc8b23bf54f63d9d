#!/usr/bin/env bash
# Instructions per iteration of the scheduler workloads (magpie's side of
# benches/scheduler.rs), this tree against another revision, counted by
# callgrind on one worker: a repeatable measure of what a change costs the
# scheduler's hot path, where timings on this VM drift by 10% and more.
#
#   scripts/callgrind_cost.sh 83c4d9e            # against the tree before observability
#   ITERS=4 WORKLOADS="yield_many chained_spawn" scripts/callgrind_cost.sh HEAD~3
#
# Builds scripts/callgrind_cost (a standalone probe) against ./runtime and
# against a worktree of REV under target/callgrind_cost/; installs valgrind
# with apt-get when missing. Each count is (run of ITERS iterations - run of 0
# iterations) / ITERS, so start-up is not counted. Takes ~2 min after the
# builds.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rev=${1:?usage: scripts/callgrind_cost.sh REV}
iters=${ITERS:-2}
workloads=${WORKLOADS:-"spawn_many_local yield_many ping_pong chained_spawn"}

if ! command -v valgrind >/dev/null; then
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
    "${sudo[@]}" apt-get install -y valgrind || { "${sudo[@]}" apt-get update && "${sudo[@]}" apt-get install -y valgrind; }
fi

work=$root/target/callgrind_cost
mkdir -p "$work"
if [ ! -d "$work/old" ]; then
    git worktree add --detach "$work/old" "$rev" >/dev/null
else
    git -C "$work/old" checkout --detach -q "$rev"
fi

build() { # build NAME RUNTIME_DIR -> path of the probe binary
    local dir=$work/probe-$1
    rm -rf "$dir"
    cp -r "$root/scripts/callgrind_cost" "$dir"
    sed -i "s|path = \"../../runtime\"|path = \"$2\"|" "$dir/Cargo.toml"
    (cd "$dir" && cargo build --release --quiet)
    echo "$dir/target/release/callgrind-cost-probe"
}
old=$(build old "$work/old/runtime")
new=$(build new "$root/runtime")

count() { # count BINARY WORKLOAD ITERS -> instructions
    local out=$work/cg.out
    rm -f "$out"*
    valgrind --tool=callgrind --callgrind-out-file="$out" "$1" "$2" "$3" 1 >/dev/null 2>&1
    grep -h '^totals' "$out"* | awk '{s += $2} END {print s}'
}

printf '| workload | %s | this tree | this/%s |\n|---|---:|---:|---:|\n' "$rev" "$rev"
for w in $workloads; do
    o=$(( ($(count "$old" "$w" "$iters") - $(count "$old" "$w" 0)) / iters ))
    n=$(( ($(count "$new" "$w" "$iters") - $(count "$new" "$w" 0)) / iters ))
    printf '| %s | %d | %d | %s |\n' "$w" "$o" "$n" "$(python3 -c "print(f'{$n/$o:.3f}')")"
done
