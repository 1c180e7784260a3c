#!/usr/bin/env bash
# Mutation testing of the library's core modules with cargo-mutants: each mutant (an operator flipped,
# a function body replaced, an arm deleted) is built and the library's tests run against it; a mutant
# that no test fails on ("missed") marks behaviour the tests do not pin down.
#
#   scripts/mutants.sh [FILE...]                        # default: the three core modules below
#   scripts/mutants.sh shared/src/cloudtrail/mod.rs         # one file
#   scripts/mutants.sh --iterate shared/src/cloudtrail/mod.rs   # arguments starting with - go to cargo-mutants
#   scripts/mutants.sh --list shared/src/rules/pattern/parser.rs   # name the mutants, test none
#
# Default files: the reader (shared/src/cloudtrail/, but its key names), the pattern engine
# (shared/src/rules/pattern/) and the aggregation (shared/src/metrics.rs), tests apart. Mutants are tested against trailwatch-shared's own
# tests, built with --no-default-features (no AWS SDK to build; the core modules do not use it).
#
# Slow (a build and the library's tests per mutant, one at a time: the machine has two cores), so it is
# a tool, not part of CI. MUTANTS_JOBS (default 1) runs more mutants at once; MUTANTS_TIMEOUT (seconds)
# overrides the test timeout cargo-mutants derives from the unmutated run; MUTANTS_OUT (default
# target/mutants) is where the output goes. `--iterate` re-tests only the mutants the previous run in
# that directory did not catch; `--re=REGEX` (repeatable; the = is needed) tests only the mutants
# whose names, as `--list` shows them (`shared/src/cloudtrail/mod.rs:20:45: replace << with >>`), match.
#
# Output: $MUTANTS_OUT/mutants.out/ (missed.txt, caught.txt, timeout.txt, unviable.txt, outcomes.json,
# a log per mutant), then one summary line per file: mutants, caught, missed, timeouts, unviable.
# Copies of the tree being mutated are made under $MUTANTS_OUT/tmp. Exits non-zero when a mutant
# is missed or times out.
#
# Needs cargo-mutants (installed here, pinned, into target/tools).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

CARGO_MUTANTS_VERSION=27.1.0
if ! "$root/target/tools/bin/cargo-mutants" mutants --version 2>/dev/null | grep -q " $CARGO_MUTANTS_VERSION\$"; then
  cargo install --locked --quiet cargo-mutants --version "$CARGO_MUTANTS_VERSION" --root "$root/target/tools"
fi
export PATH="$root/target/tools/bin:$PATH"

files=()
extra=()
for arg in "$@"; do
  case "$arg" in
    -*) extra+=("$arg") ;;
    *) files+=("$arg") ;;
  esac
done
[[ ${#files[@]} -gt 0 ]] || files=(
  shared/src/cloudtrail/{mod,frame,window,limits,error}.rs
  shared/src/rules/pattern/{mod,ast,parser,eval,cloudwatch_regex}.rs
  shared/src/metrics.rs
)

out="${MUTANTS_OUT:-$root/target/mutants}"
# Absolute: TMPDIR below must hold in the mutated copies too, where rustdoc runs the doctests.
[[ $out = /* ]] || out="$root/$out"
mkdir -p "$out/tmp"
# One compiler at a time unless told otherwise: the machine is shared.
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"
# The mutated copies build from scratch; without debug info they build and link faster.
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-0}"
export CARGO_PROFILE_TEST_DEBUG="${CARGO_PROFILE_TEST_DEBUG:-0}"

args=(--package trailwatch-shared --no-default-features --test-tool cargo --jobs "${MUTANTS_JOBS:-1}"
  --output "$out" --gitignore true --no-shuffle)
[[ -z "${MUTANTS_TIMEOUT:-}" ]] || args+=(--timeout "$MUTANTS_TIMEOUT")
for f in "${files[@]}"; do
  args+=(--file "$f")
done
echo "cargo-mutants $CARGO_MUTANTS_VERSION over ${files[*]}"

status=0
TMPDIR="$out/tmp" cargo mutants "${args[@]}" "${extra[@]}" || status=$?

# cargo-mutants: 0 all caught, 2 some missed, 3 some timed out; anything else is its own failure.
summary() {
  local f=$1 kind n
  local -A count=()
  for kind in caught missed timeout unviable; do
    n=0
    [[ ! -f "$out/mutants.out/$kind.txt" ]] || n=$(grep -c -F "$f:" "$out/mutants.out/$kind.txt" || true)
    count[$kind]=$n
  done
  printf '%s: %d mutants, %d caught, %d missed, %d timeouts, %d unviable\n' "$f" \
    $((count[caught] + count[missed] + count[timeout] + count[unviable])) \
    "${count[caught]}" "${count[missed]}" "${count[timeout]}" "${count[unviable]}"
}
echo
for f in "${files[@]}"; do
  summary "$f"
done
exit $status
