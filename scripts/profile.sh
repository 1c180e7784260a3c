#!/usr/bin/env bash
# Where the engine's time goes, part by part: inflate, JSON, matching, the window, the kernel's read.
#
#   scripts/profile.sh [FILE] [PACKS]     (default: scripts/bench.sh's log, the default packs)
#
# Builds the engine alone (shared/examples/engine_pass.rs: no SDK, no output) in the `profiling`
# profile (release with symbols), samples it with `perf record -e cpu-clock` (a software clock, so it
# works in VMs without hardware counters), and prints each part's share with its top functions. Needs
# perf (Debian's linux-perf).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

file=${1:-$repo/target/bench/bench-220000.json.gz}
packs=${2:-}
if [[ ! -e $file ]]; then
    echo "profile.sh: $file is missing (scripts/bench.sh generates it)" >&2
    exit 2
fi
command -v perf >/dev/null || {
    echo "profile.sh: perf is needed (apt-get install linux-perf)" >&2
    exit 2
}

cargo build --quiet --profile profiling -p trailwatch-shared --no-default-features --example engine_pass
bin=$repo/target/profiling/examples/engine_pass
data=$(mktemp "${TMPDIR:-/tmp}/trailwatch-profile.XXXXXX")
trap 'rm -f "$data"' EXIT

/usr/bin/time -f 'engine alone: %e s wall, %U s user, %S s sys, %M KB peak' "$bin" "$file" ${packs:+"$packs"}
perf record --quiet -e cpu-clock -F 4000 -o "$data" "$bin" "$file" ${packs:+"$packs"} 2>/dev/null
perf report -i "$data" --stdio --no-children --sort symbol 2>/dev/null | python3 -c '
import re, sys
parts = [
    ("inflate (zlib-rs, CRC-32)", r"zlib_rs|crc32|inflate"),
    ("JSON (the walk, serde_json)", r"serde|event::fast|extract|NodeSeed|FieldTable|string_stop|Walk"),
    ("matching and aggregation", r"rules::|pattern|metrics::|Aggregation|hash|equals|Glob|time::|engine::"),
    ("window and UTF-8", r"window|simdutf8|memmove|memcpy|frame"),
    ("kernel (file read, page faults)", r"\[k\]"),
]
shares = {name: [] for name, _ in parts}
shares["other"] = []
for line in sys.stdin:
    m = re.match(r"\s+([0-9.]+)%\s+(\[[.k]\])\s+(.*)", line)
    if not m:
        continue
    share, kind = float(m.group(1)), m.group(2)
    symbol = re.sub(r"(\s+-)+\s*$", "", m.group(3)).strip()
    text = kind + " " + symbol
    for name, pattern in parts:
        if re.search(pattern, text):
            shares[name].append((share, symbol))
            break
    else:
        shares["other"].append((share, symbol))
for name, items in shares.items():
    total = sum(s for s, _ in items)
    print("%5.1f%%  %s" % (total, name))
    for share, symbol in sorted(items, reverse=True)[:4]:
        if share >= 0.5:
            print("          %5.1f%%  %s" % (share, symbol[:100]))
'
