#!/usr/bin/env bash
# Soak: the release trail-metrics binary under the Lambda runtime API (`cargo lambda watch`) against
# moto, for many invocations in a row over a seeded mix of new, duplicate, corrupt and digest
# notifications (functions/trail-metrics/tests/soak.rs).
#
#   scripts/soak.sh [INVOCATIONS]     (default 1000; more than 100)
#
# It checks that every object is counted exactly once (metrics read back equal the test's own count),
# that every corrupt object is reported naming its key, and that the function's RSS at the end is within
# 10% of its RSS after the first 100 invocations; it prints those figures and the wall time.
# SOAK_SEED=N replays another mix (default 1). CI runs a shorter debug version through
# `cargo test` (200 invocations); this is the full one.
#
# It needs moto and cargo-lambda at the versions scripts/test.sh pins, in ${TRAILWATCH_VENV:-target/py};
# it installs them there (and nothing else) only when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

invocations=${1:-1000}
case $invocations in
'' | *[!0-9]*)
    echo "usage: scripts/soak.sh [INVOCATIONS]" >&2
    exit 2
    ;;
esac

step() { printf '\n==> %s\n' "$*"; }

step "moto and cargo-lambda (the pins of scripts/test.sh)"
eval "$(grep -E '^PY_TOOLS=\(' scripts/test.sh)"
pins=()
for tool in "${PY_TOOLS[@]}"; do
    case $tool in
    moto* | cargo-lambda*) pins+=("$tool") ;;
    esac
done
VENV="${TRAILWATCH_VENV:-$PWD/target/py}"
if [[ ! -x "$VENV/bin/moto_server" || ! -x "$VENV/bin/cargo-lambda" ]]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}"
fi
for pin in "${pins[@]}"; do
    name=${pin%%[[=]*}
    want=${pin##*==}
    have=$("$VENV/bin/pip" show "$name" 2>/dev/null | sed -n 's/^Version: //p')
    if [[ $have != "$want" ]]; then
        echo "soak.sh: $VENV has $name ${have:-(none)}, scripts/test.sh pins $want: run scripts/test.sh" >&2
        exit 2
    fi
    echo "$name $have"
done
export TRAILWATCH_VENV="$VENV"
export PATH="$VENV/bin:$PATH"

# Built here, not by cargo lambda watch on the first invocation: the LTO build can take longer than
# the test waits for the function to answer.
step "cargo build --release -p trail-metrics"
cargo build --locked --release -p trail-metrics

step "soak: $invocations invocations of the release binary"
start=$(date +%s)
SOAK_RELEASE=1 SOAK_INVOCATIONS=$invocations \
    cargo test --locked -p trail-metrics --features emulator-tests --test soak -- --nocapture
echo "soak.sh: passed; wall time $(($(date +%s) - start)) s (the test's own build included)"
