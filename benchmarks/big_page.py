"""A project with many figures on one page, for the big-page benchmark: Jam and Justice's datasets
and theme, and N number panels (each counting the rows of one table, every one with an icon).

    write_project(root, "big-page", 500)   # root/projects/big-page/spec.yaml + root/data/raw/big-page/
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = "jam-and-justice"
COUNTS = {"institutions": 4, "funders": 2, "applicants": 50, "projects": 12}  # table: rows, as published


def spec_text(project: str, figures: int) -> str:
    """The shipped spec with its figures replaced by `figures` generated ones, and an icon each."""
    text = (ROOT / "projects" / SOURCE / "spec.yaml").read_text(encoding="utf-8")
    head, rest = text.split("\nfigures:\n", 1)
    page_and_theme = "\npage:\n" + rest.split("\npage:\n", 1)[1].split("\nicons:\n", 1)[0]
    icon_paths = re.findall(r'^  \w+: "([MLCZ0-9 .]+)"$', text, re.M)
    head = head.replace(f"project: {SOURCE}", f"project: {project}")
    lines = [head, "", "figures:"]
    tables = list(COUNTS.items())
    for i in range(figures):
        table, rows = tables[i % len(tables)]
        lines += [f"  - id: f{i + 1:03d}", f"    label: {table} counted in figure {i + 1}",
                  f'    published: "{rows}"', f"    rule: {{type: count_rows, dataset: {table}}}",
                  f"    explanation: Every row of {table} counts once.", ""]
    lines.append(page_and_theme.rstrip())
    lines += ["", "icons:"] + [f'  f{i + 1:03d}: "{icon_paths[i % len(icon_paths)]}"' for i in range(figures)]
    return "\n".join(lines) + "\n"


def write_project(root: Path, project: str = "big-page", figures: int = 500) -> Path:
    """Write the project's spec and raw data under `root`; return the spec's path."""
    spec = root / "projects" / project / "spec.yaml"
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text(spec_text(project, figures), encoding="utf-8")
    shutil.copytree(ROOT / "data" / "raw" / SOURCE, root / "data" / "raw" / project, dirs_exist_ok=True)
    return spec
