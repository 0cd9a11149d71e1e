#!/usr/bin/env bash
# Panoptes: prepare this machine for building, running and testing the sensor.
#
# Idempotent and fast on a machine that is already set up: apt is only touched
# when a required package is missing, and filesystems are only mounted when
# they are not mounted yet. Safe to run any number of times.
set -euo pipefail

say() { printf 'setup: %s\n' "$*"; }
warn() { printf 'setup: WARNING: %s\n' "$*" >&2; }

SUDO=()
if [[ ${EUID:-$(id -u)} -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        warn "not root and no sudo; package installation and mounts may fail"
    fi
fi

# --- packages ---------------------------------------------------------------
# build: clang/llvm (BPF objects), libbpf headers, bpftool (BTF / vmlinux.h),
#        pkg-config, make, gcc, libelf/zlib headers
# tests/bench: strace, bpftrace, busybox-static, util-linux (unshare), python3,
#        iproute2, docker.io (a private dockerd for container tests),
#        libc6-dev (static storm binaries for the container benchmark),
#        protobuf-compiler (containerd and CRI clients generate gRPC code),
#        nginx redis-server postgresql (real servers the asset inventory tests
#        start on their own loopback ports; the packaged services are stopped)
PACKAGES=(
    clang llvm libbpf-dev bpftool pkg-config make gcc libelf-dev zlib1g-dev
    strace bpftrace busybox-static util-linux python3 iproute2 docker.io libc6-dev
    protobuf-compiler nginx redis-server postgresql
)

is_installed() {
    local status
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) || return 1
    [[ $status == ii* ]]
}

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
    for pkg in "${PACKAGES[@]}"; do
        is_installed "$pkg" || missing+=("$pkg")
    done
else
    warn "dpkg-query not found (not a Debian system?); skipping package check"
fi

if ((${#missing[@]})); then
    say "installing missing packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -q
    "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
    still=()
    for pkg in "${missing[@]}"; do
        is_installed "$pkg" || still+=("$pkg")
    done
    if ((${#still[@]})); then
        printf 'setup: ERROR: packages still missing after install: %s\n' "${still[*]}" >&2
        exit 1
    fi
    # Servers installed for the asset tests must not keep running as
    # services: the tests start their own instances and stop them.
    for svc in nginx redis-server postgresql; do
        [[ " ${missing[*]} " == *" $svc "* ]] || continue
        if [[ -d /run/systemd/system ]]; then
            "${SUDO[@]}" systemctl disable --now "$svc" >/dev/null 2>&1 || true
        else
            "${SUDO[@]}" service "$svc" stop >/dev/null 2>&1 || true
        fi
    done
else
    say "packages: all ${#PACKAGES[@]} present"
fi

# --- kernel filesystems -----------------------------------------------------
is_mounted_as() { # <dir> <fstype>
    awk -v d="$1" -v t="$2" '$2 == d && $3 == t { found = 1 } END { exit !found }' /proc/mounts
}

if [[ -d /sys/kernel/tracing/events ]]; then
    say "tracefs: mounted at /sys/kernel/tracing"
else
    say "tracefs: mounting at /sys/kernel/tracing"
    "${SUDO[@]}" mkdir -p /sys/kernel/tracing 2>/dev/null || true
    "${SUDO[@]}" mount -t tracefs tracefs /sys/kernel/tracing
    [[ -d /sys/kernel/tracing/events ]] || { echo "setup: ERROR: tracefs has no events/ after mount" >&2; exit 1; }
fi

if is_mounted_as /sys/fs/bpf bpf; then
    say "bpffs: mounted at /sys/fs/bpf"
else
    say "bpffs: mounting at /sys/fs/bpf"
    "${SUDO[@]}" mkdir -p /sys/fs/bpf 2>/dev/null || true
    "${SUDO[@]}" mount -t bpf bpf /sys/fs/bpf
fi

if [[ ! -r /sys/kernel/btf/vmlinux ]]; then
    warn "/sys/kernel/btf/vmlinux missing: kernel BTF is required by the sensor"
fi

# --- Rust toolchain ---------------------------------------------------------
# HOME may be unset (cron, CI, service managers; rustup's env file reads
# it): the user's passwd entry then.
HOME="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
export HOME
if ! command -v cargo >/dev/null 2>&1 && [[ -f "$HOME/.cargo/env" ]]; then
    # shellcheck disable=SC1091
    source "$HOME/.cargo/env"
fi
if command -v cargo >/dev/null 2>&1; then
    say "cargo: $(cargo --version 2>/dev/null)"
else
    echo "setup: ERROR: cargo not found on PATH (and no ~/.cargo/env)" >&2
    exit 1
fi
if cargo nextest --version >/dev/null 2>&1; then
    say "cargo-nextest: present"
else
    say "cargo-nextest: absent (tests will use cargo test)"
fi

say "done"
