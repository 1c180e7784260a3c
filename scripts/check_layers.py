#!/usr/bin/env python3
"""The library's module graph, from its `crate::…` paths outside unit tests: fails on an import cycle
between top-level modules, and on an arrow pointing up the layers (docs/architecture.md draws them).

Usage: scripts/check_layers.py [--graph]   (--graph prints every arrow)
"""
import re
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "shared" / "src"

# Lowest first. A module may use modules of its own layer or below, never above.
LAYERS = [
    ("leaf helpers", {"error", "text", "object_ref", "time", "vars", "fasthash", "json_shape", "lambda"}),
    ("reading, fields, rules, metrics", {"cloudtrail", "event", "rules", "metrics"}),
    ("engine and alarms", {"engine", "alarms"}),
    ("triggers, publication, completeness, delivery", {"triggers", "publish", "verify", "notify", "realtime"}),
    ("adapters and fakes", {"aws", "webhook_client", "fakes"}),
]
# Fakes stand in for the adapters: they never use them.
NEVER = {("fakes", "aws"), ("fakes", "webhook_client")}

LAYER_OF = {m: i for i, (_, mods) in enumerate(LAYERS) for m in mods}
USE = re.compile(r"\bcrate::([a-z_][a-z0-9_]*)")
COMMENT = re.compile(r"^\s*//")


def module_of(path: Path) -> str | None:
    rel = path.relative_to(SRC)
    if rel.parts == ("lib.rs",):
        return None
    return rel.parts[0].removesuffix(".rs")


def graph() -> dict[str, dict[str, str]]:
    """module -> {used module: where (file:line)}"""
    arrows: dict[str, dict[str, str]] = {}
    for path in sorted(SRC.rglob("*.rs")):
        module = module_of(path)
        if module is None:
            continue
        arrows.setdefault(module, {})
        if path.name == "tests.rs":
            continue
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines, 1):
            if line.strip() == "#[cfg(test)]" and lines[number:number + 1] and lines[number].lstrip().startswith("mod tests"):
                # Unit tests may use anything below them, and the fakes.
                break
            if COMMENT.match(line):
                continue
            for used in USE.findall(line):
                if used != module:
                    arrows[module].setdefault(used, f"{path.relative_to(SRC.parent.parent)}:{number}")
    return arrows


def cycles(arrows: dict[str, dict[str, str]]) -> list[list[str]]:
    found, state, stack = [], {}, []

    def visit(m: str) -> None:
        state[m] = "open"
        stack.append(m)
        for n in sorted(arrows.get(m, {})):
            if state.get(n) == "open":
                found.append(stack[stack.index(n):] + [n])
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = "done"

    for m in sorted(arrows):
        if m not in state:
            visit(m)
    return found


def main() -> int:
    arrows = graph()
    problems = []
    for m in sorted(arrows):
        if m not in LAYER_OF:
            problems.append(f"{m}: not in any layer of scripts/check_layers.py (add it where it belongs)")
    for cycle in cycles(arrows):
        where = "; ".join(f"{a} -> {b} ({arrows[a][b]})" for a, b in zip(cycle, cycle[1:]))
        problems.append(f"import cycle {' -> '.join(cycle)}: {where}")
    for m, used in sorted(arrows.items()):
        for n, where in sorted(used.items()):
            if (m, n) in NEVER:
                problems.append(f"{m} must never use {n}: {where}")
            elif m in LAYER_OF and n in LAYER_OF and LAYER_OF[n] > LAYER_OF[m]:
                problems.append(
                    f"{m} ({LAYERS[LAYER_OF[m]][0]}) uses {n} ({LAYERS[LAYER_OF[n]][0]}), a layer above: {where}"
                )
    if "--graph" in sys.argv:
        for m, used in sorted(arrows.items()):
            print(f"{m} -> {', '.join(sorted(used)) or '(nothing)'}")
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        return 1
    print(f"{len(arrows)} modules, {sum(map(len, arrows.values()))} arrows, no cycle, none upward")
    return 0


if __name__ == "__main__":
    sys.exit(main())
