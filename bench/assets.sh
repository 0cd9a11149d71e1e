#!/usr/bin/env bash
# Panoptes benchmark: cost of one full asset inventory (`panoptes assets`,
# issue 7) on this machine: wall time, CPU time and peak RSS from
# /usr/bin/time -v, and each table's milliseconds from --timings.
#
#   bench/assets.sh [RUNS]        # default 3 runs, each a fresh process (no digest cache)
#
# Environment:
#   PANOPTES_BIN=path   binary to benchmark (default target/release/panoptes, built if missing)
#   ASSETS_ARGS="..."   extra arguments (e.g. "--hash-rate-mib 0" for unthrottled digests)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${1:-3}"
BIN="${PANOPTES_BIN:-$ROOT/target/release/panoptes}"
if [[ ! -x $BIN ]]; then
    (cd "$ROOT" && cargo build --release -p panoptes)
fi
command -v /usr/bin/time >/dev/null || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "bench/assets.sh: $RUNS runs of: $BIN assets --no-store --timings ${ASSETS_ARGS:-}"
echo "host: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r), $(ls /proc | grep -c '^[0-9]') processes"
for i in $(seq 1 "$RUNS"); do
    # shellcheck disable=SC2086
    /usr/bin/time -v "$BIN" assets --no-store --timings ${ASSETS_ARGS:-} >"$out/stdout" 2>"$out/stderr"
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/stderr")
    user=$(awk -F': ' '/User time/ {print $2}' "$out/stderr")
    sys=$(awk -F': ' '/System time/ {print $2}' "$out/stderr")
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/stderr")
    echo "run $i: wall $wall  user ${user}s  sys ${sys}s  peak RSS $((rss / 1024)) MiB"
    if [[ $i -eq $RUNS ]]; then
        sed -n '/^timings (ms):/,/^digests:/p' "$out/stderr"
    fi
done
