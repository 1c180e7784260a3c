#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this script).
# Installs what the tests need, pinned and idempotently, then checks formatting, lints and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain components"
if command -v rustup >/dev/null 2>&1; then
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
fi
cargo --version

step "Python tools for the integration tests (pinned, in target/py)"
# moto: the AWS API emulator (5.2.5: older servers answer 500 to gzip-compressed PutMetricData).
# cargo-lambda: the Lambda runtime API emulator (`cargo lambda watch` / `invoke`).
PY_TOOLS=("moto[server]==5.2.5" "cargo-lambda==1.9.2")
VENV="${TRAILWATCH_VENV:-$PWD/target/py}"
STAMP="$VENV/.installed"
if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "${PY_TOOLS[*]}" ]]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PY_TOOLS[@]}"
  echo "${PY_TOOLS[*]}" > "$STAMP"
fi
export TRAILWATCH_VENV="$VENV"
export PATH="$VENV/bin:$PATH"
"$VENV/bin/moto_server" --version 2>/dev/null || "$VENV/bin/python" -c 'import moto; print("moto", moto.__version__)'
cargo-lambda lambda --version

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --locked --workspace --all-targets -- -D warnings

step "cargo test"
cargo test --locked --workspace

step "README's first command (trailwatch metrics on events/cloudtrail/)"
cargo run --locked --quiet --bin trailwatch -- metrics events/cloudtrail/ >/dev/null
echo "ok"
