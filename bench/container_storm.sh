#!/usr/bin/env bash
# container_storm.sh: exec storm inside a Docker container, with container
# enrichment and the store on vs off, interleaved in one run (BENCHMARKS.md).
#
# Usage: bench/container_storm.sh [N=20000] [ROUNDS=3]
#
# Modes per round:
#   none       the storm alone
#   plain      panoptes run --no-containers --no-store (sensor + tree + JSONL)
#   enriched   panoptes run with container enrichment and the SQLite store
# The storm is bench/storm.c built statically, running in a busybox
# container (private test dockerd, --network none), exec'ing a uniquely
# named static `true`. Completeness = exec events naming it / N; for
# `enriched` also the share of those events that carry the container name,
# and the rows the store wrote.
set -euo pipefail

N="${1:-20000}"
ROUNDS="${2:-3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${PANOPTES_BIN:-$ROOT/target/release/panoptes}"
SOCK=/run/panoptes-test/docker.sock
IMAGE=panoptes-test/busybox:latest
log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] ERROR: %s\n' "$*" >&2; exit 1; }

[[ ${EUID:-$(id -u)} -eq 0 ]] || die "needs root"
[[ -x $BIN ]] || (cd "$ROOT" && cargo build --release -p panoptes >&2)
bash "$ROOT/scripts/dockerd-for-tests.sh" start >&2 || die "no test dockerd"

WORK="$(mktemp -d /tmp/pn-cbench-XXXXXXXX)"
PAN_PID=""
cleanup() {
    [[ -n $PAN_PID ]] && kill -INT "$PAN_PID" 2>/dev/null && wait "$PAN_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

TAG="$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
TRUE_NAME="pn_ctrue_$TAG"
gcc -O2 -static -o "$WORK/storm" "$ROOT/bench/storm.c"
printf 'int main(void) { return 0; }\n' | gcc -O2 -static -x c - -o "$WORK/$TRUE_NAME"
chmod 755 "$WORK" "$WORK/storm" "$WORK/$TRUE_NAME"

storm() { # prints elapsed seconds
    echo "/w/$TRUE_NAME" | docker -H "unix://$SOCK" run -i --rm --network none -v "$WORK:/w:ro" \
        --name "pn-cbench-$TAG-$1" "$IMAGE" /w/storm "$N"
}

start_panoptes() { # mode
    local extra=()
    [[ $1 == plain ]] && extra=(--no-containers --no-store)
    [[ $1 == enriched ]] && extra=(--store "$WORK/store-$2.db" --docker-socket "$SOCK")
    env --default-signal=INT "$BIN" run --output "jsonl=$WORK/events-$2.jsonl" --events exec,fork,exit \
        --stats-json "$WORK/stats-$2.json" "${extra[@]}" 2>"$WORK/panoptes-$2.log" &
    PAN_PID=$!
    for _ in $(seq 1 600); do
        grep -q '^panoptes: ready' "$WORK/panoptes-$2.log" 2>/dev/null && return 0
        kill -0 "$PAN_PID" 2>/dev/null || die "panoptes died: $(cat "$WORK/panoptes-$2.log")"
        sleep 0.1
    done
    die "panoptes not ready"
}

stop_panoptes() {
    kill -INT "$PAN_PID"
    wait "$PAN_PID" || true
    PAN_PID=""
}

storm warmup >/dev/null
RESULTS="$WORK/results.tsv"
for round in $(seq 1 "$ROUNDS"); do
    for mode in none plain enriched; do
        run="$mode-$round"
        if [[ $mode == none ]]; then
            elapsed="$(storm "$run")"
            printf '%s\t%s\t%s\t\t\t\t\n' "$mode" "$round" "$elapsed" >>"$RESULTS"
        else
            start_panoptes "$mode" "$run"
            elapsed="$(storm "$run")"
            sleep 1
            stop_panoptes
            seen="$(grep -c "\"kind\":\"exec\".*/w/$TRUE_NAME" "$WORK/events-$run.jsonl" || true)"
            named="$(grep "\"kind\":\"exec\".*/w/$TRUE_NAME" "$WORK/events-$run.jsonl" | grep -c "\"name\":\"pn-cbench-$TAG-$run\"" || true)"
            drops="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["drops_total"])' "$WORK/stats-$run.json")"
            stored="$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])).get("store") or {}; print(s.get("written",""))' "$WORK/stats-$run.json")"
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$round" "$elapsed" "$seen" "$named" "$drops" "$stored" >>"$RESULTS"
        fi
        log "round $round $mode: $(tail -1 "$RESULTS" | cut -f3-)"
    done
done

python3 - "$RESULTS" "$N" "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$(cd "$ROOT" && git rev-parse --short HEAD)" <<'PY'
import sys, statistics as st
path, n, date, rev = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rows = [l.rstrip("\n").split("\t") for l in open(path) if l.strip()]
print("## Container exec storm: enrichment and store on vs off\n")
print(f"- date: {date}; panoptes git {rev}")
print(f"- command: `bench/container_storm.sh {n} {max(int(r[1]) for r in rows)}`")
print(f"- workload: N={n} x (fork + execv of a static `true`) inside a busybox container (--network none)\n")
print("| mode | round | elapsed (s) | overhead vs none | completeness | with container name | drops | store rows |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
base = {r[1]: float(r[2]) for r in rows if r[0] == "none"}
agg = {}
for r in rows:
    mode, rnd, el = r[0], r[1], float(r[2])
    ov = el / base[rnd] - 1 if rnd in base else 0
    agg.setdefault(mode, []).append(ov)
    if mode == "none":
        print(f"| none | {rnd} | {el:.2f} | baseline | | | | |")
    else:
        seen, named = int(r[3] or 0), int(r[4] or 0)
        print(f"| {mode} | {rnd} | {el:.2f} | {ov*100:+.1f}% | {seen/n*100:.2f}% | {named/max(seen,1)*100:.2f}% | {r[5]} | {r[6]} |")
print()
for mode in ("plain", "enriched"):
    if mode in agg:
        print(f"- mean overhead {mode}: {st.mean(agg[mode])*100:+.1f}%")
PY
