#!/usr/bin/env bash
# The rename test: do tokio programs behave the same on magpie after nothing but
# `s/tokio/magpie/`?
#
# The programs live in rename/ (its own Cargo project, not a workspace member): each
# binary in rename/src/bin/ and each test file in rename/tests/ is one program with its
# own assertions. This script
#   1. builds and runs every program against tokio (rename/ as it is);
#   2. copies the sources to target/rename/magpie-src/, applies `sed s/tokio/magpie/g`
#      to the .rs files and nothing else, swaps the manifest's `tokio = ...` line for
#      `magpie = { path = "<repo root>" }`, builds and runs every program again;
#   3. fails unless each program exits 0 on tokio, and exits with the same code and
#      prints the same stdout on magpie (test binaries run with --test-threads=1, and
#      their "finished in" timings are blanked).
# A program that does not compile on the magpie side counts as a difference; its
# compiler errors are printed.
#
# Builds are cached in target/rename/{tokio,magpie} (one target dir per side), and
# the generated sources are only rewritten when their content changes, so a second
# run rebuilds nothing. Needs crates.io (or a warm cargo cache) and nothing else.
# On the 2-core dev machine: ~1.5 min cold (both sides from scratch, crates already
# downloaded: ~45 s each), ~2.5 s warm.
#
# Usage: scripts/rename_test.sh            (exit 0: every program behaves the same)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/rename"
work="$root/target/rename"
gen="$work/magpie-src"
mkdir -p "$work" "$gen"
export CARGO_TERM_COLOR=never

# --- the magpie side's sources: copy, rename, and touch only what changed ---------
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/tree"
(cd "$src" && find src tests -type f -name '*.rs' -print0 | xargs -0 -I{} cp --parents {} "$stage/tree/")
find "$stage/tree" -name '*.rs' -exec sed -i 's/tokio/magpie/g' {} +
grep -q '^tokio = ' "$src/Cargo.toml" || { echo "rename/Cargo.toml has no 'tokio = ' line"; exit 1; }
sed "s|^tokio = .*|magpie = { path = \"$root\" }|" "$src/Cargo.toml" > "$stage/tree/Cargo.toml"

# Copy changed files over, drop files the source no longer has (keeps mtimes, so
# cargo's cache stays valid across runs).
(cd "$stage/tree" && find . -type f) | while read -r f; do
    mkdir -p "$(dirname "$gen/$f")"
    cmp -s "$stage/tree/$f" "$gen/$f" || cp "$stage/tree/$f" "$gen/$f"
done
(cd "$gen" && find src tests -type f -name '*.rs' 2>/dev/null) | while read -r f; do
    [ -e "$stage/tree/$f" ] || rm -f "$gen/$f"
done
# Start the magpie side from magpie's own lock file, so it builds against the
# dependency versions magpie is tested with.
[ -e "$gen/Cargo.lock" ] || cp "$root/Cargo.lock" "$gen/Cargo.lock"

# The programs: one per binary and per test file.
programs=()
for f in "$src"/src/bin/*.rs; do programs+=("$(basename "$f" .rs)"); done
for f in "$src"/tests/*.rs; do [ -e "$f" ] && programs+=("$(basename "$f" .rs)"); done
dups="$(printf '%s\n' "${programs[@]}" | sort | uniq -d)"
[ -z "$dups" ] || { echo "a binary and a test share a name in rename/: $dups"; exit 1; }

# --- build one side; prints "name<TAB>kind<TAB>executable" lines --------------------
build_side() { # $1 side, $2 project dir
    local side="$1" dir="$2" out="$work/$1"
    mkdir -p "$out/logs"
    # Once for the compiler's messages, once more (all fresh by then, except targets that
    # failed) for the list of executables that exist now.
    (cd "$dir" && CARGO_TARGET_DIR="$out" cargo build --keep-going --bins --test '*' \
        >/dev/null 2>"$out/logs/build.stderr") || true
    (cd "$dir" && CARGO_TARGET_DIR="$out" cargo build --keep-going --bins --test '*' \
        --message-format=json 2>/dev/null >"$out/logs/build.json") || true
    grep '"reason":"compiler-artifact"' "$out/logs/build.json" | grep '"executable":"/' |
        sed -E 's/.*"target":\{"kind":\["([a-z]+)"\][^}]*"name":"([^"]*)".*"executable":"([^"]*)".*/\2\t\1\t\3/' \
            >"$out/logs/executables.tsv"
}

# --- run one program; writes its normalized stdout plus "exit=N" to $out/<name>.out --
run_program() { # $1 side, $2 name
    local side="$1" name="$2" out="$work/$1" exe kind rc
    exe="$(awk -F'\t' -v n="$name" '$1 == n { print $3 }' "$out/logs/executables.tsv" | head -1)"
    kind="$(awk -F'\t' -v n="$name" '$1 == n { print $2 }' "$out/logs/executables.tsv" | head -1)"
    if [ -z "$exe" ]; then
        echo "did not compile" >"$out/$name.out"
        return
    fi
    rc=0
    if [ "$kind" = test ]; then
        timeout 120 "$exe" --test-threads=1 >"$out/$name.raw" 2>"$out/logs/$name.stderr" || rc=$?
        sed -E 's/; finished in [0-9.]+s$//' "$out/$name.raw" >"$out/$name.out"
    else
        timeout 120 "$exe" >"$out/$name.out" 2>"$out/logs/$name.stderr" || rc=$?
    fi
    echo "exit=$rc" >>"$out/$name.out"
}

echo "-- building against tokio (rename/)"
start=$SECONDS
build_side tokio "$src"
echo "   $((SECONDS - start)) s"
echo "-- building against magpie (target/rename/magpie-src/, after s/tokio/magpie/)"
start=$SECONDS
build_side magpie "$gen"
echo "   $((SECONDS - start)) s"

failed=0
for name in "${programs[@]}"; do
    run_program tokio "$name"
    run_program magpie "$name"
    t="$work/tokio/$name.out" m="$work/magpie/$name.out"
    if [ "$(tail -1 "$t")" != "exit=0" ]; then
        printf '%-13s FAIL on tokio itself (%s); stderr:\n' "$name" "$(tail -1 "$t")"
        sed 's/^/    /' "$work/tokio/logs/$name.stderr" 2>/dev/null | tail -20
        [ -s "$work/tokio/logs/$name.stderr" ] || grep -E '^(error|warning)' -A8 "$work/tokio/logs/build.stderr" | head -60
        failed=1
    elif cmp -s "$t" "$m"; then
        printf '%-13s same on tokio and magpie\n' "$name"
    else
        failed=1
        if [ "$(cat "$m")" = "did not compile" ]; then
            printf '%-13s DIFFERENT: does not compile against magpie\n' "$name"
        else
            printf '%-13s DIFFERENT (tokio %s, magpie %s); diff tokio magpie:\n' \
                "$name" "$(tail -1 "$t")" "$(tail -1 "$m")"
            diff -u "$t" "$m" | tail -n +3 | sed 's/^/    /' | head -40 || true
            echo "    magpie's stderr:"
            sed 's/^/    /' "$work/magpie/logs/$name.stderr" | tail -20
        fi
    fi
done

if grep -q '^error' "$work/magpie/logs/build.stderr"; then
    echo "-- compiler errors on the magpie side (paths under target/rename/magpie-src/):"
    grep -E '^error' -A12 "$work/magpie/logs/build.stderr" | head -150
fi

# Warnings do not fail the test, but one that only the magpie side has is worth knowing
# (a crate built with -D warnings would stop there).
for side in tokio magpie; do
    grep -E '^warning: ' "$work/$side/logs/build.stderr" |
        grep -vE 'generated [0-9]+ warnings?$|build failed' |
        sort | uniq -c >"$work/$side/logs/warnings.txt" || true
done
if ! cmp -s "$work/tokio/logs/warnings.txt" "$work/magpie/logs/warnings.txt"; then
    echo "-- note: the compiler warns differently after the rename (count, warning; magpie side):"
    sed 's/^/    /' "$work/magpie/logs/warnings.txt"
    awk '/^warning: / { w = !/build failed|generated [0-9]+ warning/ } /^error/ { w = 0 }
         w && /^ *--> / { sub(/^ *--> /, "    at "); print }' "$work/magpie/logs/build.stderr"
fi

if [ "$failed" -ne 0 ]; then
    echo "rename test FAILED (outputs in target/rename/{tokio,magpie}/)"
    exit 1
fi
echo "rename test passed: ${#programs[@]} programs behave the same on tokio and magpie"
