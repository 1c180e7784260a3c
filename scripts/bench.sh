#!/usr/bin/env bash
# Benchmark: trailwatch against `gzip -dc` and the straightforward Python version, on one large
# synthetic CloudTrail log file, on one thread (`--jobs 1`, as the functions read a file) and as
# `trailwatch metrics` reads a lone file by default (inflated ahead on a second core); what hashing the content as the function does (for CloudTrail's
# digests: `trailwatch metrics --sha256`) adds to trailwatch's own pass; that trailwatch's counts
# equal the Python version's; many files with --jobs, and through `backfill` from the moto emulator
# (scripts/bench_backfill.py); and both functions' cold start (scripts/cold_start.py).
#
#   scripts/bench.sh [RECORDS]        (default 220000 records, about 260 MB of JSON)
#
# The file is generated once into ${TRAILWATCH_BENCH_DIR:-target/bench} and reused. The five commands
# run in turn, ${TRAILWATCH_BENCH_ROUNDS:-3} rounds, each after an untimed `cat` that puts the file in the
# page cache, under GNU time; each command's figures are those of its median-CPU round, so a change in
# the machine's speed during the run moves all five alike. It is a report, not a test: it exits 0
# whether the targets are met or not.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

records=${1:-220000}
rounds=${TRAILWATCH_BENCH_ROUNDS:-3}
case $records$rounds in
'' | *[!0-9]*)
    echo "usage: [TRAILWATCH_BENCH_ROUNDS=N] scripts/bench.sh [RECORDS]" >&2
    exit 2
    ;;
esac
if [[ $rounds -lt 1 ]]; then
    echo "bench.sh: TRAILWATCH_BENCH_ROUNDS must be at least 1" >&2
    exit 2
fi

if [[ ! -x /usr/bin/time ]]; then
    echo "bench.sh: GNU time is needed at /usr/bin/time (apt-get install time)" >&2
    exit 2
fi

dir=${TRAILWATCH_BENCH_DIR:-$repo/target/bench}
file=$dir/bench-$records.json.gz
mkdir -p "$dir"
if [[ ! -e $file ]]; then
    echo "== generating $file ($records records)" >&2
    start=$(date +%s)
    python3 scripts/gen_cloudtrail.py "$file.partial" --records "$records"
    mv "$file.partial" "$file"
    echo "== generated in $(($(date +%s) - start)) s" >&2
fi

echo "== cargo build --release -p trailwatch-cli" >&2
cargo build --release -p trailwatch-cli
bin=$repo/target/release/trailwatch
# The functions without the CLI, so with only their own features, as `sam build` builds them.
echo "== cargo build --release -p trail-metrics -p alarm-notifier" >&2
cargo build --release -p trail-metrics -p alarm-notifier

tmp=$(mktemp -d "${TMPDIR:-/tmp}/trailwatch-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# measure NAME COMMAND...: one warm-cache run under GNU time; appends "wall user sys maxrss_kb" to
# $tmp/NAME.runs.
measure() {
    local name=$1
    shift
    cat "$file" >/dev/null
    local status=0
    /usr/bin/time -f '%e %U %S %M' -o "$tmp/$name.time" "$@" || status=$?
    if [[ $status -ne 0 ]]; then
        echo "bench.sh: warning: '$name' exited with status $status" >&2
    fi
    # GNU time prefixes the line with "Command exited with non-zero status N" on failure.
    tail -n 1 "$tmp/$name.time" >>"$tmp/$name.runs"
}

echo "== measuring ($rounds rounds of the five commands in turn, warm page cache)" >&2
names="trailwatch ahead hashed gzip python"
for ((round = 1; round <= rounds; round++)); do
    measure trailwatch sh -c 'exec "$0" metrics --jobs 1 --format json "$1" >"$2" 2>"$3"' "$bin" "$file" "$tmp/trailwatch.stdout" "$tmp/trailwatch.stderr"
    measure ahead sh -c 'exec "$0" metrics --format json "$1" >"$2" 2>/dev/null' "$bin" "$file" "$tmp/ahead.stdout"
    measure hashed sh -c 'exec "$0" metrics --jobs 1 --sha256 --format json "$1" >/dev/null 2>"$2"' "$bin" "$file" "$tmp/hashed.stderr"
    measure gzip sh -c 'exec gzip -dc "$0" >/dev/null' "$file"
    measure python sh -c 'exec python3 scripts/reference_count.py "$0" >"$1"' "$file" "$tmp/python.stdout"
done
# The median round by CPU time (user + sys); its line is the command's figures.
for name in $names; do
    awk '{ print $2 + $3, $0 }' "$tmp/$name.runs" | sort -g | cut -d' ' -f2- \
        | sed -n "$(((rounds + 1) / 2))p" >"$tmp/$name"
    echo "$name: CPU s per round: $(awk '{ printf "%.2f ", $2 + $3 }' "$tmp/$name.runs")" >&2
done

compressed=$(stat -c %s "$file")
decompressed=$(gzip -dc "$file" | wc -c)

echo
echo "file: $file"
echo "rounds: $rounds, the five commands in turn; each command's median-CPU round is shown"
echo "host: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')"
awk -v c="$compressed" -v d="$decompressed" -v n="$records" 'BEGIN {
    printf "size: %d records, %.1f MB compressed, %.1f MB decompressed (%.0f B/record, ratio %.1f)\n",
        n, c / 1e6, d / 1e6, d / n, d / c
}'
echo

awk -v tw="$(cat "$tmp/trailwatch")" -v ah="$(cat "$tmp/ahead")" -v gz="$(cat "$tmp/gzip")" \
    -v py="$(cat "$tmp/python")" -v hs="$(cat "$tmp/hashed")" -v d="$decompressed" 'BEGIN {
    split(tw, t, " "); split(ah, a, " "); split(gz, g, " "); split(py, p, " "); split(hs, h, " ")
    line[1] = tw; name[1] = "trailwatch metrics --jobs 1 (one thread)"
    line[2] = ah; name[2] = "trailwatch metrics (reads ahead)"
    line[3] = gz; name[3] = "gzip -dc"
    line[4] = py; name[4] = "python3 scripts/reference_count.py"
    line[5] = hs; name[5] = "trailwatch metrics --jobs 1 --sha256"
    printf "%-40s %8s %8s %10s %10s\n", "command", "wall s", "CPU s", "peak MiB", "MB/s wall"
    for (i = 1; i <= 5; i++) {
        split(line[i], f, " ")
        printf "%-40s %8.2f %8.2f %10.1f %10s\n", name[i], f[1], f[2] + f[3], f[4] / 1024,
            (f[1] > 0 ? sprintf("%.0f", d / 1e6 / f[1]) : "n/a")
    }
    print ""

    tw_wall = t[1]; tw_cpu = t[2] + t[3]; tw_rss = t[4] / 1024
    ah_wall = a[1]; ah_cpu = a[2] + a[3]; ah_rss = a[4] / 1024
    gz_wall = g[1]; gz_cpu = g[2] + g[3]
    py_cpu = p[2] + p[3]

    printf "%-40s %8s   %-22s %s\n", "ratio", "value", "target", "result"
    ratio("one thread: CPU / gzip -dc CPU", tw_cpu, gz_cpu, "<=", 0.45, "<= 0.45x")
    ratio("reading ahead: wall / gzip -dc wall", ah_wall, gz_wall, "<=", 0.45, "<= 0.45x")
    ratio("python CPU / one thread CPU", py_cpu, tw_cpu, ">=", 20, ">= 20x (20x less CPU)")
    printf "%-40s %8.1f   %-22s %s\n", "peak RSS, MiB (one thread, reading ahead)", (tw_rss > ah_rss ? tw_rss : ah_rss),
        "<= 64 MiB", ((tw_rss <= 64 && ah_rss <= 64) ? "met" : "MISSED")
    if (gz_wall > 0 && gz_cpu > 0 && tw_cpu > 0) {
        printf "%-40s %8.2f   %-22s\n", "one thread: wall / gzip -dc wall", tw_wall / gz_wall, "(no target)"
        printf "%-40s %8.2f   %-22s %s\n", "reading ahead: CPU / gzip -dc CPU", ah_cpu / gz_cpu, "(no target)",
            sprintf("%+.0f%% CPU against one thread, for %.2fx less wall time", 100 * (ah_cpu / tw_cpu - 1),
            (ah_wall > 0 ? tw_wall / ah_wall : 0))
    }
    hs_cpu = h[2] + h[3]
    if (tw_cpu > 0) {
        printf "%-40s %8.2f   %-22s %s\n", "with --sha256 CPU / one thread CPU", hs_cpu / tw_cpu,
            "(no target)", sprintf("hashing adds %.2f CPU s, %.0f MB/s", hs_cpu - tw_cpu,
            (hs_cpu > tw_cpu ? d / 1e6 / (hs_cpu - tw_cpu) : 0))
    }
}
function ratio(label, num, den, op, target, shown,    v, ok) {
    if (den <= 0) {
        printf "%-40s %8s   %-22s %s\n", label, "n/a", shown, "n/a (too fast to time; use more records)"
        return
    }
    v = num / den
    ok = (op == "<=") ? (v <= target) : (v >= target)
    printf "%-40s %8.2f   %-22s %s\n", label, v, shown, (ok ? "met" : "MISSED")
}'

echo
echo "counts, trailwatch (last round) against reference_count.py:"
if python3 scripts/compare_counts.py "$tmp/trailwatch.stdout" "$tmp/python.stdout"; then
    echo "  counts: met (equal)"
else
    echo "  counts: MISSED (they differ)"
fi
if cmp -s "$tmp/trailwatch.stdout" "$tmp/ahead.stdout"; then
    echo "  reading ahead: the same output as one thread"
else
    echo "  reading ahead: MISSED (its output differs from one thread's)"
fi

echo
# Many files: one thread, then one per core (`--jobs`), wall time; the output must not change.
many=$dir/many
if [[ ! -e $many/log-8.json.gz ]]; then
    echo "== generating $many (8 logs of 30,000 records)" >&2
    mkdir -p "$many"
    for i in 1 2 3 4 5 6 7 8; do
        python3 scripts/gen_cloudtrail.py "$many/log-$i.json.gz.partial" --records 30000 --seed "$i" >/dev/null
        mv "$many/log-$i.json.gz.partial" "$many/log-$i.json.gz"
    done
fi
cores=$(nproc)
echo "many files (8 logs, $(du -sh "$many" | cut -f1) gzipped): --jobs 1 against --jobs $cores, wall s of the median round"
for jobs in 1 "$cores"; do
    for ((round = 1; round <= rounds; round++)); do
        cat "$many"/*.json.gz >/dev/null
        /usr/bin/time -f '%e %U %S' -o "$tmp/jobs.time" "$bin" metrics --format json --jobs "$jobs" "$many" \
            >"$tmp/jobs-$jobs.out" 2>/dev/null
        tail -n 1 "$tmp/jobs.time" >>"$tmp/jobs-$jobs.runs"
    done
    sort -g "$tmp/jobs-$jobs.runs" | sed -n "$(((rounds + 1) / 2))p" >"$tmp/jobs-$jobs"
done
cmp -s "$tmp/jobs-1.out" "$tmp/jobs-$cores.out" && same=same || same=DIFFERENT
awk -v one="$(cat "$tmp/jobs-1")" -v many="$(cat "$tmp/jobs-$cores")" -v cores="$cores" -v same="$same" 'BEGIN {
    split(one, a, " "); split(many, b, " ")
    printf "  --jobs 1: %.2f s wall, %.2f s CPU; --jobs %d: %.2f s wall, %.2f s CPU; %.2fx faster; output %s\n",
        a[1], a[2] + a[3], cores, b[1], b[2] + b[3], (b[1] > 0 ? a[1] / b[1] : 0), same
}'

echo
# The same files through `trailwatch backfill`, from the moto emulator: files at once, and cores.
venv=${TRAILWATCH_VENV:-$repo/target/py}
if [[ -x $venv/bin/moto_server ]]; then
    # A failure here is reported, and the rest of the report still runs.
    TRAILWATCH_VENV=$venv "$venv/bin/python" scripts/bench_backfill.py --files "$many" --rounds "$rounds" \
        || echo "backfill: the measurement failed (above)"
else
    echo "backfill: skipped ($venv/bin/moto_server is missing; scripts/test.sh installs it)"
fi

echo
echo "cold start (process start to the first request for work, $rounds x 10 runs; target <= 20 ms):"
for function in trail-metrics alarm-notifier; do
    extra=()
    # alarm-notifier needs a destination; a webhook URL read from SSM at the first alarm, not at start.
    [[ $function == alarm-notifier ]] && extra=(--env WEBHOOK_URL=ssm:/trailwatch/bench)
    result=$(python3 scripts/cold_start.py "target/release/$function" --runs $((rounds * 10)) "${extra[@]}" | tail -n 1)
    median=$(sed -E 's/.*median ([0-9.]+) ms.*/\1/' <<<"$result")
    verdict=$(awk -v m="$median" 'BEGIN { print (m <= 20 ? "met" : "MISSED") }')
    printf '  %-16s %s  %s\n' "$function" "$result" "$verdict"
    printf '  %-16s %s bytes (x86-64 release; sam build ships arm64)\n' "" "$(stat -c %s "target/release/$function")"
done

echo
echo "trailwatch stderr (last lines):"
tail -n 6 "$tmp/trailwatch.stderr" | sed 's/^/  /'
echo "reference_count.py:"
sed 's/^/  /' "$tmp/python.stdout"
exit 0
