#!/usr/bin/env bash
# Panoptes test entry point: prepare the machine, build every target of the
# workspace and run the whole test suite, privileged end-to-end tests included
# (they need root; PANOPTES_PRIVILEGED_TESTS=1 enables them).
#
# Exits non-zero if the build or any test fails.
#
# Environment:
#   PANOPTES_TEST_TIMEOUT_SECS  wall-clock limit for the test run (default 1500)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

step() { printf '\n==> %s\n' "$*"; }
START=$SECONDS

step "setup"
bash scripts/setup.sh

# HOME may be unset (cron, CI, service managers; rustup's env file reads
# it): the user's passwd entry then.
HOME="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
export HOME
if ! command -v cargo >/dev/null 2>&1 && [[ -f "$HOME/.cargo/env" ]]; then
    # shellcheck disable=SC1091
    source "$HOME/.cargo/env"
fi

if [[ ${EUID:-$(id -u)} -ne 0 ]]; then
    echo "test: WARNING: not running as root; privileged end-to-end tests will fail or skip" >&2
fi
export PANOPTES_PRIVILEGED_TESTS=1
# Container tests start a private dockerd on demand (idempotent); stop it,
# by pid, whatever happens.
trap 'bash scripts/dockerd-for-tests.sh stop >/dev/null 2>&1 || true' EXIT
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export RUST_BACKTRACE="${RUST_BACKTRACE:-1}"

step "cargo build --workspace --all-targets"
cargo build --workspace --all-targets

TIMEOUT="${PANOPTES_TEST_TIMEOUT_SECS:-1500}"
if cargo nextest --version >/dev/null 2>&1; then
    step "cargo nextest run --workspace --no-fail-fast (timeout ${TIMEOUT}s)"
    cmd=(cargo nextest run --workspace --no-fail-fast --no-tests=warn)
else
    step "cargo test --workspace --no-fail-fast (timeout ${TIMEOUT}s)"
    cmd=(cargo test --workspace --no-fail-fast)
fi

rc=0
timeout --foreground --kill-after=30 "$TIMEOUT" "${cmd[@]}" || rc=$?

if ((rc == 124 || rc == 137)); then
    echo "test: FAILED: test run exceeded ${TIMEOUT}s" >&2
elif ((rc != 0)); then
    echo "test: FAILED (exit $rc)" >&2
else
    echo "test: OK ($((SECONDS - START))s)"
fi
exit "$rc"
