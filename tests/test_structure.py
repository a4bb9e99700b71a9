"""The package's shape: layers that import only downwards (so no circle), and every package it
imports declared in pyproject.toml with a lower bound.

Both walk the source's imports with `ast`, lazy ones inside functions included: a lazy import hides
an arrow, it does not remove it.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"

# Bottom to top: a module may import its own layer and the ones before it, never one after.
LAYERS = (
    ("base", ("infopipe", "infopipe.errors", "infopipe.files")),
    ("concepts", ("infopipe.concepts",)),
    ("spec", ("infopipe.spec",)),
    ("data", ("infopipe.data",)),
    ("compute", ("infopipe.compute", "infopipe.marks", "infopipe.coverage")),
    ("present", ("infopipe.present",)),
    ("run", ("infopipe.run",)),
    ("commands", ("infopipe.review", "infopipe.cli")),
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((SRC / "infopipe").rglob("*.py"))}


def imported(path: Path) -> set[str]:
    """Every absolute module name the file imports (relative imports resolved)."""
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}
    return out


def layer_of(module: str) -> int:
    found = [(len(prefix), i) for i, (_, prefixes) in enumerate(LAYERS) for prefix in prefixes
             if module == prefix or (prefix != "infopipe" and module.startswith(prefix + "."))]
    assert found, f"{module} is in no layer: add it to LAYERS"
    return max(found)[1]


def internal_edges() -> list[tuple[str, str]]:
    known = modules()
    edges = []
    for name, path in known.items():
        for target in imported(path):
            if target in known and target != name and not (path.name == "__init__.py" and target.startswith(name + ".")):
                edges.append((name, target))
    return edges


def test_every_import_runs_down_the_layers():
    upward = [f"{a} ({LAYERS[layer_of(a)][0]}) imports {b} ({LAYERS[layer_of(b)][0]})"
              for a, b in internal_edges() if layer_of(b) > layer_of(a)]
    assert upward == []


def test_no_import_circle():
    graph: dict[str, set[str]] = {}
    for a, b in internal_edges():
        graph.setdefault(a, set()).add(b)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == goal or (nxt not in seen and (seen.add(nxt) or reaches(nxt, goal, seen))):
                return True
        return False

    assert [m for m in graph if reaches(m, m, set())] == []


def test_the_layer_check_sees_an_arrow_up():
    """The checks above would pass on nothing: make sure they see a real import."""
    edges = internal_edges()
    assert ("infopipe.run.pipeline", "infopipe.compute") in edges  # a lazy import, inside a function
    assert layer_of("infopipe.present.render") > layer_of("infopipe.compute") > layer_of("infopipe.spec.model")


def declared() -> dict[str, str]:
    """Distribution name (normalised) -> its requirement line, from pyproject.toml (an extra counts:
    the test strategies in concepts/ import Hypothesis only when a test asks for them)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = project["dependencies"] + [r for extra in project.get("optional-dependencies", {}).values() for r in extra]
    return {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower().replace("_", "-"): r for r in lines}


def test_every_imported_package_is_declared_with_a_lower_bound():
    to_dist = metadata.packages_distributions()
    third_party = {name.split(".")[0] for path in modules().values() for name in imported(path)
                   if name and name.split(".")[0] not in sys.stdlib_module_names and name.split(".")[0] != "infopipe"}
    deps = declared()
    missing, unbounded = [], []
    for top in sorted(third_party):
        dists = {d.lower().replace("_", "-") for d in to_dist.get(top, [top])}
        match = dists & set(deps)
        if not match:
            missing.append(f"{top} (from {', '.join(sorted(dists))})")
        elif not any(">=" in deps[d] for d in match):
            unbounded.append(deps[match.pop()])
    assert missing == [] and unbounded == []
