#!/usr/bin/env bash
# Panoptes main job: prepare the machine, build the release binary and run the
# sensor. All arguments are passed to `panoptes run`; outputs default to
# whatever the binary defaults to (stdout).
#
#   scripts/run.sh                                  # events to stdout until Ctrl-C
#   scripts/run.sh --config packaging/panoptes.toml
#   scripts/run.sh --output jsonl=/tmp/ev.jsonl --duration 30
#
# Only the sensor writes to stdout: setup and build logs go to stderr, so the
# event stream can be piped. Relative paths in the arguments are resolved from
# the caller's working directory (this script does not cd).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

bash "$ROOT/scripts/setup.sh" >&2

# HOME may be unset (cron, CI, service managers; rustup's env file reads
# it): the user's passwd entry then.
HOME="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
export HOME
if ! command -v cargo >/dev/null 2>&1 && [[ -f "$HOME/.cargo/env" ]]; then
    # shellcheck disable=SC1091
    source "$HOME/.cargo/env"
fi

echo "run: cargo build --release -p panoptes" >&2
cargo build --release -p panoptes --manifest-path "$ROOT/Cargo.toml" >&2

TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET_DIR/release/panoptes"
[[ -x $BIN ]] || { echo "run: ERROR: $BIN not found after build" >&2; exit 1; }

exec "$BIN" run "$@"
