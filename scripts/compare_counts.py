#!/usr/bin/env python3
"""Compares `trailwatch metrics --format json` output with scripts/reference_count.py's counts.

    scripts/compare_counts.py TRAILWATCH.jsonl REFERENCE.txt

Sums each metric's datums and counts StartInstances' distinct UserName values, then checks them
against the reference counter's `key=value` line. Prints one line per count and exits 1 on any
difference, so scripts/bench.sh reports a fast but wrong run as wrong.
"""

import json
import sys
from collections import defaultdict

# The reference's key, the metric summed (None: StartInstances' distinct dimension values).
CHECKS = [
    ("start_instances", "StartInstances"),
    ("principals", None),
    ("root_usage", "RootAccountUsage"),
    ("unauthorized", "UnauthorizedAPICalls"),
    ("console_login_no_mfa", "ConsoleSignInWithoutMFA"),
]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    sums = defaultdict(float)
    principals = set()
    with open(sys.argv[1], encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                datum = json.loads(line)
                name = datum["MetricName"]
                sums[name] += datum["StatisticValues"]["Sum"]
                if name == "StartInstances":
                    principals.add(datum["Dimensions"][0]["Value"])
            except (ValueError, KeyError, IndexError, TypeError) as e:
                sys.exit("%s:%d: not a datum (%s): %s" % (sys.argv[1], n, e, line[:200]))
    with open(sys.argv[2], encoding="utf-8") as f:
        expected = dict(kv.split("=", 1) for kv in f.read().split() if "=" in kv)

    differ = 0
    for key, metric in CHECKS:
        if key not in expected:
            sys.exit("%s has no %s: %r" % (sys.argv[2], key, expected))
        want = float(expected[key])
        got = float(len(principals)) if metric is None else sums.get(metric, 0.0)
        same = got == want
        differ += not same
        print("  %-22s trailwatch %10.0f  reference %10.0f  %s"
              % (key, got, want, "same" if same else "DIFFERENT"))
    if differ:
        sys.exit("compare_counts.py: %d count(s) differ" % differ)


if __name__ == "__main__":
    main()
