#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this script).
# Installs what the tests need, pinned and idempotently, then checks formatting, lints and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

# One build per profile on a fresh clone: incremental state would only add a GB of disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step "toolchain components"
if command -v rustup >/dev/null 2>&1; then
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
  # The functions run on Graviton (arm64).
  rustup target list --installed 2>/dev/null | grep -q '^aarch64-unknown-linux-gnu$' \
    || rustup target add aarch64-unknown-linux-gnu
fi
cargo --version

step "Python tools for the integration tests (pinned, in target/py)"
# moto: the AWS API emulator (5.2.5: older servers answer 500 to gzip-compressed PutMetricData).
# cargo-lambda: the Lambda runtime API emulator (`cargo lambda watch` / `invoke`), and `sam build`'s
# Rust builder, which cross-compiles to arm64 with zig (found as `python3 -m ziglang`).
# aws-sam-cli and cfn-lint: template.yaml's checks and build.
PY_TOOLS=("moto[server]==5.2.5" "cargo-lambda==1.9.2" "ziglang==0.13.0" "aws-sam-cli==1.170.0" "cfn-lint==1.58.0")
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

step "cargo clippy --all-targets --all-features -- -D warnings"
# --all-features: the emulator tests too.
cargo clippy --locked --workspace --all-targets --all-features -- -D warnings

step "the library's boundaries: adapters apart, no import cycle, no environment"
# Every module but the adapters (aws/, webhook_client) builds, lints and tests without the `adapters`
# feature, so none of them can import the AWS SDK or hyper.
cargo clippy --locked -p trailwatch-shared --no-default-features --all-targets -- -D warnings
# …and none switches the feature on for itself.
if grep -rnE --include='*.rs' '(\baws_(sdk_[a-z]+|config|smithy_[a-z_]+)|\bhyper(_util|_rustls)?|\brustls|http_body_util)::|feature = "adapters"' shared/src \
    | grep -vE '^shared/src/(aws/|webhook_client\.rs|lib\.rs)' | grep -vE '^[^:]+:[0-9]+: *//'; then
  echo "only shared/src/aws/ and webhook_client.rs may use the AWS SDK or hyper" >&2
  exit 1
fi
# Modules import downward only, with no cycle (the layers are drawn in docs/architecture.md).
python3 scripts/check_layers.py
# Only the binaries read environment variables; the library is handed what they read.
if grep -rnE --include='*.rs' 'env::(var|vars|var_os|args)\b' shared/src | grep -vE '^[^:]+:[0-9]+: *//'; then
  echo "shared/src reads the environment: read it in the binary and pass it in" >&2
  exit 1
fi
echo "ok"

step "cargo test, with the tests against moto and the Lambda runtime API (emulator-tests)"
cargo test --locked --workspace \
  --features trailwatch-cli/emulator-tests,trail-metrics/emulator-tests,alarm-notifier/emulator-tests

step "the JSON walk on arm64 (the functions run on Graviton): its NEON scan, under qemu-user"
# The walk scans strings with SSE2 on x86-64 and NEON on arm64; this runs the walk's own tests and its
# agreement with serde_json on every published log through the arm64 code.
if ! command -v qemu-aarch64 >/dev/null || ! command -v aarch64-linux-gnu-gcc >/dev/null; then
  ARM_PACKAGES=(qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
  apt-get install -y -q "${ARM_PACKAGES[@]}" >/dev/null \
    || { apt-get update -q >/dev/null && apt-get install -y -q "${ARM_PACKAGES[@]}" >/dev/null; }
fi
CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu" \
  cargo test --locked --target aarch64-unknown-linux-gnu -p trailwatch-shared --no-default-features \
    --lib --test real_data -- event:: fast_walk

step "fuzz: every target for 30 s (scripts/fuzz.sh; the full run is 5 minutes each)"
./scripts/fuzz.sh 30

step "README's first command (trailwatch metrics on events/cloudtrail/)"
cargo run --locked --quiet --bin trailwatch -- metrics events/cloudtrail/ >/dev/null
echo "ok"

# SAM CLI would otherwise try to send telemetry.
export SAM_CLI_TELEMETRY=0

step "template.yaml: cfn-lint, sam validate --lint and checkov"
cfn-lint template.yaml
sam validate --lint --template template.yaml
# checkov pins a boto3 that aws-sam-cli's does not accept: its own venv. Every finding accepted is
# skipped in the template, on its resource, with the reason.
CHECKOV=checkov==3.3.30
CHECKOV_VENV="$PWD/target/checkov"
if [[ "$(cat "$CHECKOV_VENV/.installed" 2>/dev/null)" != "$CHECKOV" ]]; then
  python3 -m venv "$CHECKOV_VENV"
  "$CHECKOV_VENV/bin/pip" install --quiet --disable-pip-version-check "$CHECKOV"
  echo "$CHECKOV" > "$CHECKOV_VENV/.installed"
fi
"$CHECKOV_VENV/bin/checkov" --file template.yaml --framework cloudformation --compact --quiet --skip-download

step "sam build (both functions, release, arm64, through cargo-lambda and zig)"
# The one release build in CI: what `sam deploy` ships.
sam build --build-dir target/sam --template template.yaml

step "template tests (SAM-translated, every way in for logs, and the built artifacts)"
TRAILWATCH_SAM_BUILD=target/sam python -m unittest discover -s tests/template
