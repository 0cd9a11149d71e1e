#!/usr/bin/env bash
# Panoptes: a private Docker daemon for the container tests.
#
#   scripts/dockerd-for-tests.sh start   # start (or reuse) it; import the test image
#   scripts/dockerd-for-tests.sh stop    # stop it and the containerd it started
#   scripts/dockerd-for-tests.sh status  # exit 0 when it answers
#
# It never touches a system Docker: its socket, state and data live under
# /run/panoptes-test and /var/lib/panoptes-test. No network is set up
# (no bridge, no iptables), so run containers with `--network none`.
# `--privileged` does not work on this machine; use explicit `--cap-add`.
# Needs the Debian packages docker.io and busybox-static (setup.sh installs them);
# this script installs nothing.
set -euo pipefail

RUN_DIR=/run/panoptes-test
DATA_ROOT=/var/lib/panoptes-test/docker
EXEC_ROOT=$RUN_DIR/exec
SOCKET=$RUN_DIR/docker.sock
PIDFILE=$RUN_DIR/docker.pid
LOG=$RUN_DIR/dockerd.log
IMAGE=panoptes-test/busybox:latest
# dockerd's managed containerd keeps its pid file and socket here.
CONTAINERD_PIDFILE=$EXEC_ROOT/containerd/containerd.pid

say() { printf 'dockerd-for-tests: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

docker_cli() { docker -H "unix://$SOCKET" "$@"; }

pid_alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }
pid_from() { [[ -s $1 ]] && tr -dc '0-9' <"$1" || true; }

answers() { docker_cli info >/dev/null 2>&1; }

wait_gone() { # pid, seconds
    local pid=$1 i
    for ((i = 0; i < $2 * 10; i++)); do
        pid_alive "$pid" || return 0
        sleep 0.1
    done
    return 1
}

start_daemon() {
    command -v dockerd >/dev/null || die "dockerd not found: install the Debian package docker.io (scripts/setup.sh does)"
    command -v docker >/dev/null || die "docker CLI not found: install the Debian package docker.io"
    mkdir -p "$RUN_DIR" "$DATA_ROOT" "$EXEC_ROOT"
    local pid
    pid=$(pid_from "$PIDFILE")
    if pid_alive "$pid"; then
        say "reusing dockerd pid $pid"
    else
        rm -f "$PIDFILE" "$SOCKET"
        say "starting dockerd (log: $LOG)"
        setsid dockerd \
            --bridge=none --iptables=false --ip-forward=false \
            --host "unix://$SOCKET" \
            --data-root "$DATA_ROOT" \
            --exec-root "$EXEC_ROOT" \
            --pidfile "$PIDFILE" \
            >>"$LOG" 2>&1 </dev/null 9>&- &
    fi
    local i
    for ((i = 0; i < 600; i++)); do
        answers && return 0
        if ((i > 20)) && [[ ! -s $PIDFILE ]] && ! pgrep -f -- "--pidfile $PIDFILE" >/dev/null; then
            tail -n 30 "$LOG" >&2 || true
            die "dockerd exited during start-up (see $LOG)"
        fi
        sleep 0.1
    done
    tail -n 30 "$LOG" >&2 || true
    die "dockerd did not answer on $SOCKET within 60 s (see $LOG)"
}

import_image() {
    docker_cli image inspect "$IMAGE" >/dev/null 2>&1 && return 0
    local busybox
    busybox=$(command -v busybox || true)
    [[ -x /bin/busybox ]] && busybox=/bin/busybox
    [[ -n $busybox ]] || die "busybox not found: install the Debian package busybox-static"
    if ldd "$busybox" >/dev/null 2>&1; then
        die "$busybox is dynamically linked: install the Debian package busybox-static"
    fi
    local root
    root=$(mktemp -d)
    trap 'rm -rf "$root"' RETURN
    mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" "$root/tmp" "$root/proc" "$root/sys" "$root/dev" "$root/etc"
    cp "$busybox" "$root/bin/busybox"
    chroot "$root" /bin/busybox --install -s
    say "importing $IMAGE"
    tar -C "$root" -cf - . | docker_cli import - "$IMAGE" >/dev/null
}

stop_daemon() {
    local pid cpid
    pid=$(pid_from "$PIDFILE")
    cpid=$(pid_from "$CONTAINERD_PIDFILE")
    if pid_alive "$pid"; then
        say "stopping dockerd pid $pid"
        kill -TERM "$pid"
        if ! wait_gone "$pid" 30; then
            say "dockerd pid $pid did not stop in 30 s; killing"
            kill -KILL "$pid" 2>/dev/null || true
            wait_gone "$pid" 5 || true
        fi
    fi
    if pid_alive "$cpid"; then
        say "stopping containerd pid $cpid"
        kill -TERM "$cpid"
        if ! wait_gone "$cpid" 15; then
            kill -KILL "$cpid" 2>/dev/null || true
            wait_gone "$cpid" 5 || true
        fi
    fi
    rm -f "$PIDFILE" "$SOCKET"
}

# Tests may start it concurrently (nextest runs test binaries in parallel).
lock() {
    mkdir -p "$RUN_DIR"
    exec 9>"$RUN_DIR/lock"
    flock -w 120 9 || die "could not lock $RUN_DIR/lock within 120 s"
}

case ${1:-} in
start)
    lock
    start_daemon
    import_image
    echo "unix://$SOCKET"
    ;;
stop)
    lock
    stop_daemon
    ;;
status) answers ;;
*)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
