#!/usr/bin/env bash
# Rule-engine throughput: `panoptes replay` of recorded events on one core
# with 0, 10, 100 and 300 rules (and the built-in set).
#
#   bash bench/replay.sh [EVENTS]        (default 1000000)
#
# 1. Records a mixed workload with the eBPF sensor (execs of small shell
#    pipelines, file writes, renames and deletes, refused loopback
#    connects) for ~15 s: the events carry full ancestry, as live ones do.
# 2. Repeats the recording up to EVENTS lines.
# 3. Rule sets: N of the Sigma rules converted from ../shared/testdata/sigma
#    (one rule per file; beyond the 189 that convert, copies with new ids),
#    and the built-in rules alone.
# 4. Converts the recording to the binary one (`--output record=`).
# 5. Replays each set pinned to CPU 0 (`taskset -c 0`) from the JSON lines
#    and from the binary recording, three runs each, and prints events/s
#    from the replay's own timer (read + rules + outputs) over the events,
#    and with its setup (loading and compiling the rules, opening outputs:
#    `setup_secs` of the stats) counted in.
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${1:-1000000}
OUT=${BENCH_DIR:-/tmp/panoptes-bench-replay}
SIGMA=${SIGMA_DIR:-../shared/testdata/sigma/rules/linux}
cargo build --release -q -p panoptes
BIN=$PWD/target/release/panoptes
# BENCH_REUSE=1 replays the previous recording again (same events, new binary).
if [ "${BENCH_REUSE:-0}" = 1 ] && [ -s "$OUT/rec.jsonl" ]; then
  mv "$OUT/rec.jsonl" /tmp/panoptes-bench-rec.$$ && rm -rf "$OUT" && mkdir -p "$OUT/work" && mv /tmp/panoptes-bench-rec.$$ "$OUT/rec.jsonl"
  echo "== reusing the previous recording"
else
rm -rf "$OUT" && mkdir -p "$OUT/work"

echo "== recording a mixed workload"
"$BIN" run --no-store --no-default-rules --no-containers --output "jsonl=$OUT/rec.jsonl" --duration 20 \
  2>"$OUT/run.log" &
RUN=$!
until grep -q "panoptes: ready" "$OUT/run.log" 2>/dev/null; do sleep 0.2; done
end=$((SECONDS + 12))
i=0
while [ $SECONDS -lt $end ]; do
  i=$((i + 1))
  sh -c "ls /etc | grep -c conf >/dev/null"
  echo "$i" > "$OUT/work/f$((i % 50))"
  mv "$OUT/work/f$((i % 50))" "$OUT/work/g$((i % 50))"
  rm -f "$OUT/work/g$((i % 50))"
  bash -c "echo > /dev/tcp/127.0.0.1/9" 2>/dev/null || true
  id -u >/dev/null; uname -r >/dev/null
done
wait $RUN || true
fi
lines=$(wc -l < "$OUT/rec.jsonl")
bytes=$(wc -c < "$OUT/rec.jsonl")
echo "recorded $lines events, $((bytes / lines)) bytes each on average"
python3 - "$OUT/rec.jsonl" <<'EOF'
import collections, json, sys
c = collections.Counter(json.loads(l)["kind"] for l in open(sys.argv[1]))
print("kinds:", ", ".join(f"{k} {v}" for k, v in c.most_common()))
EOF
: > "$OUT/events.jsonl"
while [ "$(wc -l < "$OUT/events.jsonl")" -lt "$EVENTS" ]; do cat "$OUT/rec.jsonl" >> "$OUT/events.jsonl"; done
head -n "$EVENTS" "$OUT/events.jsonl" > "$OUT/e.jsonl" && mv "$OUT/e.jsonl" "$OUT/events.jsonl"

echo "== binary recording"
"$BIN" replay "$OUT/events.jsonl" --no-default-rules --events process,file,network,security,inventory \
  --output "record=$OUT/events.rec" 2>/dev/null
echo "$(wc -c < "$OUT/events.rec") bytes, $(( $(wc -c < "$OUT/events.rec") / EVENTS )) bytes an event (JSON lines: $(wc -c < "$OUT/events.jsonl"))"

echo "== rule sets"
"$BIN" rules import-sigma "$SIGMA" --out "$OUT/sigma" | tail -1
mapfile -t pool < <(ls "$OUT"/sigma/*.yml)
for n in 0 10 100 300; do
  mkdir -p "$OUT/r$n"
  for ((k = 0; k < n; k++)); do
    src=${pool[$((k % ${#pool[@]}))]}
    copy=$((k / ${#pool[@]}))
    if [ $copy -eq 0 ]; then cp "$src" "$OUT/r$n/"; else
      sed "s/^- rule: \(.*\)$/- rule: \1-copy$copy/" "$src" > "$OUT/r$n/copy${copy}_$(basename "$src")"
    fi
  done
done

run() { # name, extra args...
  local name=$1; shift
  for t in 1 2 3; do
    for format in jsonl rec; do
      taskset -c 0 "$BIN" replay "$OUT/events.$format" --output "jsonl:alerts=$OUT/alerts-$name-$format.jsonl" \
        --stats-json "$OUT/stats-$name-$format-$t.json" "$@" >/dev/null 2>"$OUT/replay-$name.log"
      python3 - "$OUT/stats-$name-$format-$t.json" "$name $format" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
r = s.get("rules") or {}
n = r.get("events", 0)
total, setup = s["duration_secs"], s.get("setup_secs", 0.0)
print(f"{sys.argv[2]:>16}: {r.get('rules_enabled', 0)} rules on, {n} events in {total - setup:.2f} s = {n / (total - setup):,.0f} events/s "
      f"(setup {setup:.3f} s; {n / total:,.0f} events/s with it), "
      f"{r.get('rule_evaluations', 0) / max(n, 1):.1f} rule evaluations/event, {r.get('alerts', 0)} alerts")
EOF
    done
  done
}
echo "== replay on CPU 0 (3 runs each)"
# --sigma-min-severity info: every one of the N rules is on (the default
# turns Sigma's low and informational rules off).
for n in 0 10 100 300; do run "sigma$n" --no-default-rules --rules "$OUT/r$n" --sigma-min-severity info; done
run builtin
run "all" --rules "$OUT/sigma" --sigma-min-severity info

echo "== rule engine alone (events parsed into memory first; the first 200,000 events)"
cargo build --release -q -p panoptes-rules --example rule_cost
head -n 200000 "$OUT/events.jsonl" > "$OUT/e200k.jsonl"
# The same events from a binary recording: events of one process share one
# process object, as in a replay.
"$BIN" replay "$OUT/e200k.jsonl" --no-default-rules --events process,file,network,security,inventory \
  --output "record=$OUT/e200k.rec" 2>/dev/null
for set in builtin r10 r100 r300; do
  if [ "$set" = builtin ]; then dir=""; else dir="$OUT/$set"; fi
  for t in 1 2 3; do
    printf '%10s: ' "$set"
    TOTAL_ONLY=1 taskset -c 0 target/release/examples/rule_cost "$OUT/e200k.rec" $dir
  done
done
