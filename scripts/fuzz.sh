#!/usr/bin/env bash
# Fuzzes every target for a bounded time each, from corpora seeded with the repository's own inputs.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]    # default: 300 s each, every target
#
# Targets (fuzz/fuzz_targets/, checks in fuzz-checks/src/lib.rs): cloudtrail_reader (bytes → engine, read
# whole, a few bytes at a time and gzipped: the three must agree), pattern (metric-filter pattern ×
# event), trigger (trail-metrics payloads), alarm (alarm-notifier payloads, rendered every way).
# Seeds: events/, tests/data/real/, tests/data/hostile/, fuzz/regressions/ and, when it is beside the
# repository, ../shared/data/cloudtrail/real/. Corpora grow in target/fuzz/corpus/ (kept between runs);
# a crash or a hang (an input over 10 s) stops the run, is saved in target/fuzz/artifacts/<target>/ and
# fails the script. Turn each into a regression: copy it into fuzz/regressions/<target>/ (replayed by
# `cargo test`, shared/tests/fuzz_regressions.rs) and fix the code.
#
# Needs cargo-fuzz (installed here, pinned, into target/tools) and a toolchain that takes -Z flags:
# nightly when rustup has it, else the stable toolchain with RUSTC_BOOTSTRAP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

per_target="${1:-300}"
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(cloudtrail_reader pattern trigger alarm)

CARGO_FUZZ_VERSION=0.13.2
if ! "$root/target/tools/bin/cargo-fuzz" --version 2>/dev/null | grep -q " $CARGO_FUZZ_VERSION\$"; then
  cargo install --locked --quiet cargo-fuzz --version "$CARGO_FUZZ_VERSION" --root "$root/target/tools"
fi
export PATH="$root/target/tools/bin:$PATH"

toolchain=()
if rustup run nightly rustc --version >/dev/null 2>&1; then
  toolchain=(+nightly)
else
  export RUSTC_BOOTSTRAP=1
fi
echo "cargo-fuzz $CARGO_FUZZ_VERSION, $(rustc "${toolchain[@]}" --version)"

work="$root/target/fuzz"
mkdir -p "$work"
# Each file once, named by its content (libFuzzer's own naming).
seed() {
  local dir="$work/corpus/$1"
  shift
  mkdir -p "$dir"
  local src f
  for src in "$@"; do
    [[ -e "$src" ]] || continue
    while IFS= read -r -d '' f; do
      cp "$f" "$dir/$(sha1sum < "$f" | cut -c1-40)"
    done < <(find "$src" -type f ! -name '*.md' -size -1024k -print0)
  done
}
seed cloudtrail_reader events/cloudtrail tests/data/real tests/data/hostile fuzz/regressions/cloudtrail_reader \
  ../shared/data/cloudtrail/real
seed trigger events/trail-metrics fuzz/regressions/trigger
seed alarm events/alarm-notifier fuzz/regressions/alarm
seed pattern fuzz/regressions/pattern
# Pattern seeds: each built-in pack's patterns over a few sample events.
python3 - "$work/corpus/pattern" <<'PY'
import hashlib, json, pathlib, sys
out = pathlib.Path(sys.argv[1])
rules = [r for p in sorted(pathlib.Path("shared/rules/packs").glob("*.json"))
         for r in json.loads(p.read_text())["rules"]]
events = [p.read_text() for p in sorted(pathlib.Path("tests/data/hostile").glob("*.json"))[:6]]
events += ['{"eventName":"ConsoleLogin","errorMessage":"Failed authentication","userIdentity":{"type":"Root"}}']
extra = ['[ip, user, ..., status=4*]', '"ERROR" -"retry"', '%Access.*%', '{ $.n > 1.5e3 || $.a[0].b NOT EXISTS }']
for pattern in [r["filterPattern"] for r in rules] + extra:
    for event in events:
        for line in event.splitlines()[:1] or ["{}"]:
            data = (pattern + "\n" + line[:4000]).encode()
            (out / hashlib.sha1(data).hexdigest()).write_bytes(data)
PY

status=0
for target in "${targets[@]}"; do
  echo
  echo "==> fuzz $target for ${per_target}s ($(ls "$work/corpus/$target" | wc -l) inputs in its corpus)"
  mkdir -p "$work/artifacts/$target"
  if ! (cd fuzz && cargo "${toolchain[@]}" fuzz run --release --debug-assertions "$target" "$work/corpus/$target" -- \
        -max_total_time="$per_target" -timeout=10 -rss_limit_mb=2048 -max_len=131072 \
        -artifact_prefix="$work/artifacts/$target/" -print_final_stats=1 2>&1 | grep -av -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)|^[[:space:]]+NEW_FUNC'); then
    echo "FAILED: $target found a crash or a hang; inputs in $work/artifacts/$target/"
    status=1
  fi
done
exit $status
