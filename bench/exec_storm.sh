#!/usr/bin/env bash
# Functions are called indirectly ("run_$mode", trap), hence:
# shellcheck disable=SC2317
#
# exec_storm.sh: fork+exec storm benchmark for Panoptes (see BENCHMARKS.md).
#
# Usage: bench/exec_storm.sh [N=20000] [ROUNDS=3]
#
# Each round runs the modes interleaved (none, panoptes, bpftrace, none, ...):
#   none      the storm alone (baseline)
#   panoptes  the storm while `panoptes run` records exec/fork/exit to JSONL
#   bpftrace  the storm while a one-line bpftrace exec tracer prints to a file
# The storm is bench/storm.c: N x (fork, execv a uniquely named copy of
# /bin/true, waitpid). Completeness = exec events naming that copy / N.
# When panoptes is benchmarked, its idle cost is measured too.
#
# The markdown report goes to stdout, progress to stderr:
#   bench/exec_storm.sh 20000 3 | tee bench/out/exec_storm.md
#
# Environment:
#   BENCH_MODES="none panoptes bpftrace"  modes to run, in this order per round
#   BENCH_IDLE_SECS=10                    idle measurement length (0 = skip)
#   BENCH_JOBS=1                          parallel storm workers sharing the N execs
#                                         (2 on a 2-core machine = its fastest exec rate)
#   BENCH_KEEP=1                          keep the work directory (/tmp/pn-bench-*)
#   PANOPTES_ARGS="--no-default-rules"    more `panoptes run` arguments (the
#                                         default rules widen what is traced
#                                         to the kinds they need)
#   PANOPTES_BIN=path                     binary to benchmark
#                                         (default target/release/panoptes, built if missing)
set -euo pipefail

N="${1:-20000}"
ROUNDS="${2:-3}"
MODES="${BENCH_MODES:-none panoptes bpftrace}"
IDLE_SECS="${BENCH_IDLE_SECS:-10}"
JOBS="${BENCH_JOBS:-1}"
READY_TIMEOUT=60
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${PANOPTES_BIN:-$ROOT/target/release/panoptes}"
CMDLINE="bench/exec_storm.sh $*"
[[ -n ${BENCH_MODES:-} ]] && CMDLINE="BENCH_MODES=\"$BENCH_MODES\" $CMDLINE"
[[ -n ${BENCH_JOBS:-} ]] && CMDLINE="BENCH_JOBS=$BENCH_JOBS $CMDLINE"

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] ERROR: %s\n' "$*" >&2; exit 1; }

[[ $N =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer (got '$N')"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer (got '$ROUNDS')"
[[ $IDLE_SECS =~ ^[0-9]+$ ]] || die "BENCH_IDLE_SECS must be a non-negative integer"
read -r -a MODE_LIST <<<"$MODES"
((${#MODE_LIST[@]})) || die "BENCH_MODES is empty"
want_panoptes=0
want_bpftrace=0
want_auditd=0
for m in "${MODE_LIST[@]}"; do
    case $m in
        none) ;;
        panoptes | panoptes-audit | panoptes-proc) want_panoptes=1 ;;
        bpftrace) want_bpftrace=1 ;;
        auditd) want_auditd=1 ;;
        *) die "unknown mode '$m' (expected none, panoptes, panoptes-audit, panoptes-proc, bpftrace, auditd)" ;;
    esac
done

if ((want_panoptes || want_bpftrace)) && [[ ${EUID:-$(id -u)} -ne 0 ]]; then
    die "the panoptes and bpftrace modes need root"
fi
command -v gcc >/dev/null || die "gcc not found (run scripts/setup.sh)"
command -v python3 >/dev/null || die "python3 not found (run scripts/setup.sh)"
((want_bpftrace)) && { command -v bpftrace >/dev/null || die "bpftrace not found (run scripts/setup.sh)"; }

if ((want_panoptes)) && [[ ! -x $BIN ]]; then
    [[ -n ${PANOPTES_BIN:-} ]] && die "PANOPTES_BIN=$BIN is not executable"
    log "building release binary: cargo build --release -p panoptes"
    if ! command -v cargo >/dev/null 2>&1 && [[ -f "$HOME/.cargo/env" ]]; then
        # shellcheck disable=SC1091
        source "$HOME/.cargo/env"
    fi
    (cd "$ROOT" && cargo build --release -p panoptes >&2)
    [[ -x $BIN ]] || die "$BIN missing after build"
fi

# --- work directory, workload and cleanup ------------------------------------
WORK="$(mktemp -d /tmp/pn-bench-XXXXXXXX)"
TAG="$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')"
NAME="pn_true_$TAG"
TARGET="$WORK/$NAME"
BG_PIDS=()

cleanup() {
    local pid i
    for pid in "${BG_PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -INT "$pid" 2>/dev/null || true
            for ((i = 0; i < 50; i++)); do
                proc_running "$pid" || break
                sleep 0.1
            done
            kill -KILL "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    if [[ ${BENCH_KEEP:-0} == 1 ]]; then
        log "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cp -L /bin/true "$TARGET"
chmod 0755 "$TARGET"
printf '%s\n' "$TARGET" >"$WORK/target.path"
gcc -O2 -Wall -o "$WORK/storm" "$ROOT/bench/storm.c"
CLK_TCK="$(getconf CLK_TCK)"

# --- helpers -----------------------------------------------------------------
# True while PID exists and is not a zombie (our unreaped children linger as Z).
proc_running() {
    local st
    st="$(sed -n 's/^.*) \([A-Z]\).*$/\1/p' "/proc/$1/stat" 2>/dev/null)" || return 1
    [[ -n $st && $st != Z && $st != X ]]
}

# utime + stime of PID (all threads), in clock ticks.
cpu_ticks() {
    sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# A /proc/PID/status field in kB (VmHWM, VmRSS).
status_kb() {
    awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}

# wait_for <file> <fixed string> <pid> <timeout s>
wait_for() {
    local file=$1 text=$2 pid=$3 deadline=$((SECONDS + $4))
    while ((SECONDS < deadline)); do
        grep -qF -- "$text" "$file" 2>/dev/null && return 0
        proc_running "$pid" || return 1
        sleep 0.1
    done
    return 1
}

# stop <pid>: SIGINT, wait up to 30 s, then SIGKILL; reap it and forget it.
# Sets STOP_RC to its exit status. (Not for use inside $(...): only this shell
# can wait for its children.)
stop() {
    local pid=$1 i keep=()
    STOP_RC=0
    kill -INT "$pid" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do
        proc_running "$pid" || break
        sleep 0.1
    done
    if proc_running "$pid"; then
        log "pid $pid did not exit 30 s after SIGINT; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || STOP_RC=$?
    for i in "${BG_PIDS[@]}"; do
        [[ $i == "$pid" ]] || keep+=("$i")
    done
    BG_PIDS=("${keep[@]}")
}

storm() {
    "$WORK/storm" "$1" "$JOBS" <"$WORK/target.path"
}

# Start panoptes recording exec/fork/exit into DIR; sets PN_PID.
# SIGINT is reset to default: non-interactive bash starts background jobs with
# SIGINT ignored, and we stop the sensor with SIGINT.
start_panoptes() {
    local dir=$1
    shift
    # The store and container enrichment are measured by
    # bench/container_storm.sh and the asset inventory by bench/assets.sh
    # (its first collection runs at start, niced, and would share the CPUs
    # with the storm); here: sensor, tree, rules (PANOPTES_ARGS) and JSONL.
    env --default-signal=INT "$BIN" run \
        --output "jsonl=$dir/events.jsonl" \
        --events exec,fork,exit \
        --stats-json "$dir/stats.json" \
        --no-store --no-containers --assets-interval off ${PANOPTES_ARGS:-} "$@" \
        >/dev/null 2>"$dir/panoptes.log" &
    PN_PID=$!
    BG_PIDS+=("$PN_PID")
    if ! wait_for "$dir/panoptes.log" "panoptes: ready" "$PN_PID" "$READY_TIMEOUT"; then
        if proc_running "$PN_PID"; then
            log "panoptes did not become ready within ${READY_TIMEOUT}s; log tail:"
        else
            log "panoptes exited before becoming ready; log tail:"
        fi
        tail -n 20 "$dir/panoptes.log" >&2 || true
        stop "$PN_PID"
        return 1
    fi
}

# Find "drops_total" anywhere in the stats JSON; "?" if absent or unreadable.
read_drops() {
    python3 - "$1" <<'PY' 2>/dev/null || echo "?"
import json, sys
def find(o):
    if isinstance(o, dict):
        if "drops_total" in o:
            return o["drops_total"]
        for v in o.values():
            r = find(v)
            if r is not None:
                return r
    elif isinstance(o, list):
        for v in o:
            r = find(v)
            if r is not None:
                return r
    return None
with open(sys.argv[1]) as f:
    r = find(json.load(f))
print("?" if r is None else r)
PY
}

RESULTS="$WORK/results.tsv"
: >"$RESULTS"
FAILED=0

# record mode round elapsed count drops rss_kb cpu_ticks status
record() {
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"
}

run_none() {
    local round=$1 elapsed
    if ! elapsed="$(storm "$N")"; then
        record none "$round" - - - - - FAIL
        return 1
    fi
    record none "$round" "$elapsed" - - - - ok
    log "round $round none: ${elapsed}s"
}

run_panoptes() {
    local round=$1 mode=${2:-panoptes}
    shift 2 || shift
    local dir="$WORK/r$round-$mode" elapsed c0 c1 hwm count drops
    mkdir -p "$dir"
    if ! start_panoptes "$dir" "$@"; then
        record "$mode" "$round" - - - - - FAIL
        return 1
    fi
    c0="$(cpu_ticks "$PN_PID")"
    if ! elapsed="$(storm "$N")"; then
        stop "$PN_PID"
        record "$mode" "$round" - - - - - FAIL
        return 1
    fi
    sleep 2
    c1="$(cpu_ticks "$PN_PID")"
    hwm="$(status_kb "$PN_PID" VmHWM)"
    stop "$PN_PID"
    ((STOP_RC == 0)) || log "round $round $mode: exit status $STOP_RC (log: $dir/panoptes.log)"
    # Event lines only: alert lines carry their events too.
    count="$( { grep -E '^\{"kind"[[:space:]]*:[[:space:]]*"exec"' "$dir/events.jsonl" 2>/dev/null || true; } | grep -cF -- "$NAME" || true)"
    drops="$(read_drops "$dir/stats.json")"
    record "$mode" "$round" "$elapsed" "${count:-0}" "$drops" "$hwm" "$((c1 - c0))" ok
    log "round $round $mode: ${elapsed}s, ${count:-0}/$N exec events, drops $drops"
    [[ ${BENCH_KEEP:-0} == 1 ]] || rm -f "$dir/events.jsonl"
}

run_panoptes-audit() {
    run_panoptes "$1" panoptes-audit --sensor audit
}

run_panoptes-proc() {
    run_panoptes "$1" panoptes-proc --sensor proc
}

# auditd with one execve rule, writing /var/log/audit/audit.log as it does
# on real hosts. The audit state is restored afterwards.
run_auditd() {
    local round=$1
    local dir="$WORK/r$round-auditd" elapsed c0 c1 hwm count pid before_enabled
    mkdir -p "$dir"
    command -v auditd >/dev/null || { log "auditd not installed (apt-get install auditd)"; record auditd "$round" - - - - - FAIL; return 1; }
    pkill -x auditd 2>/dev/null && sleep 1
    before_enabled="$(auditctl -s | awk '$1 == "enabled" { print $2 }')"
    rm -f /var/log/audit/audit.log*
    auditd -n >/dev/null 2>"$dir/auditd.err" &
    pid=$!
    BG_PIDS+=("$pid")
    sleep 2
    auditctl -a exit,always -F arch=b64 -S execve -k pnbench >/dev/null
    c0="$(cpu_ticks "$pid")"
    if ! elapsed="$(storm "$N")"; then
        auditctl -d exit,always -F arch=b64 -S execve -k pnbench >/dev/null 2>&1 || true
        stop "$pid"
        record auditd "$round" - - - - - FAIL
        return 1
    fi
    sleep 2
    c1="$(cpu_ticks "$pid")"
    hwm="$(status_kb "$pid" VmHWM)"
    auditctl -d exit,always -F arch=b64 -S execve -k pnbench >/dev/null 2>&1 || true
    lost="$(auditctl -s | awk '$1 == "lost" { print $2 }')"
    # auditd flushes and exits on SIGTERM (SIGINT is not its stop signal).
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    auditctl -e "${before_enabled:-0}" >/dev/null 2>&1 || true
    # auditd rotates at max_log_file: count every file.
    count="$( { cat /var/log/audit/audit.log* 2>/dev/null | grep '^type=EXECVE' || true; } | grep -cF -- "$NAME" || true)"
    record auditd "$round" "$elapsed" "${count:-0}" "${lost:-?}" "$hwm" "$((c1 - c0))" ok
    log "round $round auditd: ${elapsed}s, ${count:-0}/$N EXECVE records, kernel lost ${lost:-?} (cumulative)"
}

run_bpftrace() {
    local round=$1
    local dir="$WORK/r$round-bpftrace" pid elapsed c0 c1 hwm count lost
    mkdir -p "$dir"
    env --default-signal=INT bpftrace \
        -e 'tracepoint:sched:sched_process_exec { printf("%d %s\n", pid, str(args->filename)); }' \
        >"$dir/bt.out" 2>"$dir/bt.err" &
    pid=$!
    BG_PIDS+=("$pid")
    if ! wait_for "$dir/bt.out" "Attaching" "$pid" "$READY_TIMEOUT"; then
        log "bpftrace did not attach (exited, or no output within ${READY_TIMEOUT}s):"
        tail -n 20 "$dir/bt.err" >&2 || true
        stop "$pid"
        record bpftrace "$round" - - - - - FAIL
        return 1
    fi
    sleep 1 # "Attaching" is printed just before the probe is attached
    c0="$(cpu_ticks "$pid")"
    if ! elapsed="$(storm "$N")"; then
        stop "$pid"
        record bpftrace "$round" - - - - - FAIL
        return 1
    fi
    sleep 1
    c1="$(cpu_ticks "$pid")"
    hwm="$(status_kb "$pid" VmHWM)"
    stop "$pid"
    count="$(grep -cF -- "$NAME" "$dir/bt.out" || true)"
    # bpftrace reports perf-buffer losses as "Lost N events".
    lost="$(cat "$dir/bt.out" "$dir/bt.err" | sed -n 's/.*Lost \([0-9][0-9]*\) events.*/\1/p' | awk '{ s += $1 } END { print s + 0 }')"
    record bpftrace "$round" "$elapsed" "${count:-0}" "$lost" "$hwm" "$((c1 - c0))" ok
    log "round $round bpftrace: ${elapsed}s, ${count:-0}/$N exec lines, lost $lost"
    [[ ${BENCH_KEEP:-0} == 1 ]] || rm -f "$dir/bt.out"
}

# --- run -----------------------------------------------------------------------
log "work dir $WORK, target $NAME, N=$N, rounds=$ROUNDS, modes: ${MODE_LIST[*]}"
warm=$((N < 2000 ? N : 2000))
log "warm-up: $warm execs"
storm "$warm" >/dev/null || die "warm-up storm failed"

IDLE=""
if ((want_panoptes && IDLE_SECS > 0)); then
    log "panoptes idle: ${IDLE_SECS}s"
    mkdir -p "$WORK/idle"
    if start_panoptes "$WORK/idle"; then
        sleep 1
        c0="$(cpu_ticks "$PN_PID")"
        sleep "$IDLE_SECS"
        c1="$(cpu_ticks "$PN_PID")"
        rss="$(status_kb "$PN_PID" VmRSS)"
        stop "$PN_PID"
        IDLE="$((c1 - c0))	$rss"
    else
        FAILED=1
        IDLE="FAIL"
    fi
fi

START=$SECONDS
for ((round = 1; round <= ROUNDS; round++)); do
    for m in "${MODE_LIST[@]}"; do
        "run_$m" "$round" || FAILED=1
    done
done
log "storms finished in $((SECONDS - START))s"

# --- report --------------------------------------------------------------------
kernel="$(uname -r)"
cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
rev="$(git -C "$ROOT" rev-parse --short --verify -q HEAD 2>/dev/null || echo "uncommitted")"
bt_ver=""
((want_bpftrace)) && bt_ver="$(bpftrace --version 2>/dev/null | head -n1)"

export M_DATE M_CMD M_HOST M_PANOPTES M_BPFTRACE
M_DATE="$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
M_CMD="$CMDLINE"
M_HOST="kernel $kernel, $(nproc) CPUs, ${cpu:-unknown CPU}"
M_PANOPTES=""
((want_panoptes)) && M_PANOPTES="$BIN (git $rev)"
M_BPFTRACE="$bt_ver"

python3 - "$RESULTS" "$N" "$CLK_TCK" "$IDLE_SECS" "$IDLE" <<'PY'
import os, sys, statistics as st
E = os.environ

path, n, tck, idle_secs, idle = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
rows = [l.rstrip("\n").split("\t") for l in open(path) if l.strip()]

print("## Exec storm benchmark")
print()
print("- date: " + E["M_DATE"])
print("- command: `" + E["M_CMD"] + "`")
print("- host: " + E["M_HOST"])
print("- panoptes: " + (E["M_PANOPTES"] or "not measured"))
if E["M_BPFTRACE"]:
    print("- bpftrace: " + E["M_BPFTRACE"])
print("- workload: N=%d x (fork + execv of a uniquely named copy of /bin/true + waitpid) by %s parallel worker(s), modes interleaved per round" % (n, E.get("BENCH_JOBS", "1")))
print()

base = {}
for r in rows:
    if r[0] == "none" and r[7] == "ok":
        base.setdefault(r[1], []).append(float(r[2]))
base = {k: st.mean(v) for k, v in base.items()}

def fnum(x, fmt):
    return fmt % x if x is not None else "n/a"

print("| mode | round | elapsed (s) | execs/s | overhead vs none | completeness | drops | tracer peak RSS (MiB) | tracer CPU (s) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
agg = {}
for mode, rnd, el, cnt, drops, rss, cpu, status in rows:
    if status != "ok":
        print("| %s | %s | FAILED | | | | | | |" % (mode, rnd))
        continue
    el = float(el)
    a = agg.setdefault(mode, {"el": [], "ratio": [], "comp": [], "drops": [], "rss": [], "cpu": [], "cpu_frac": []})
    a["el"].append(el)
    ratio = el / base[rnd] if rnd in base else None
    if ratio is not None:
        a["ratio"].append(ratio)
    comp = None
    if cnt != "-":
        comp = 100.0 * int(cnt) / n
        a["comp"].append(comp)
    if drops not in ("-", "?"):
        a["drops"].append(int(drops))
    rss_mib = int(rss) / 1024 if rss not in ("-", "") else None
    cpu_s = int(cpu) / tck if cpu != "-" else None
    if rss_mib is not None:
        a["rss"].append(rss_mib)
    if cpu_s is not None:
        a["cpu"].append(cpu_s)
        a["cpu_frac"].append(100.0 * cpu_s / el)
    print("| %s | %s | %.2f | %.0f | %s | %s | %s | %s | %s |" % (
        mode, rnd, el, n / el,
        "baseline" if mode == "none" else fnum(None if ratio is None else (ratio - 1) * 100, "%+.1f%%"),
        fnum(comp, "%.2f%%") if mode != "none" else "",
        drops if mode != "none" else "",
        fnum(rss_mib, "%.1f") if mode != "none" else "",
        fnum(cpu_s, "%.2f") if mode != "none" else "",
    ))

print()
print("### Summary (mean over rounds)")
print()
print("| mode | elapsed (s) | execs/s | overhead ratio vs none | completeness (min) | drops (total) | peak RSS (MiB) | tracer CPU (s, % of storm wall time) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for mode, a in agg.items():
    mel = st.mean(a["el"])
    ratio = st.mean(a["ratio"]) if a["ratio"] else None
    comp = "%.2f%% (%.2f%%)" % (st.mean(a["comp"]), min(a["comp"])) if a["comp"] else ""
    print("| %s | %.2f | %.0f | %s | %s | %s | %s | %s |" % (
        mode, mel, n / mel,
        "1.000x" if mode == "none" else fnum(ratio, "%.3fx"),
        comp,
        str(sum(a["drops"])) if a["drops"] else ("" if mode == "none" else "?"),
        "%.1f" % st.mean(a["rss"]) if a["rss"] else "",
        "%.2f (%.1f%%)" % (st.mean(a["cpu"]), st.mean(a["cpu_frac"])) if a["cpu"] else "",
    ))

if idle:
    print()
    if idle == "FAIL":
        print("Panoptes idle: FAILED to start")
    else:
        ticks, rss = idle.split("\t")
        cpu_s = int(ticks) / tck
        print("Panoptes idle (%d s, no workload): CPU %.2f s (%.2f%% of one core), RSS %.1f MiB" % (
            idle_secs, cpu_s, 100.0 * cpu_s / idle_secs, int(rss) / 1024))
print()
print("Overhead = elapsed / mean 'none' elapsed of the same round - 1. Completeness = exec events")
print("naming the workload binary / N. Tracer CPU = user+system time of the tracer process from")
print("storm start until just before SIGINT (includes the drain wait); the in-kernel probe cost is")
print("charged to the exec'ing tasks and shows up in the elapsed time instead.")
PY

exit "$FAILED"
