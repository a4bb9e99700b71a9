"""Big pages and many projects: what the raster processes, libyaml and parallel build-all save,
each measured side by side with the way it was done before, in one run.

    .venv/bin/python benchmarks/bench_big.py [--figures 500] [--projects 20] [--repeat 2] [--sample 40] [--before SRC] [--write]

1. A page of N figures (big_page.py), cold: `infopipe run` in a fresh process with the rasters drawn
   by worker processes, and with INFOPIPE_RASTER_PROCESSES=1 (all in the run's process), in turns.
   The two runs' drawn files (SVG, PNG, PDF) must be byte-identical. `--before ../main/src` adds, in
   turns, runs of another checkout's code (the same bytes too), to compare a change side by side.
   Then what each raster file of that page costs to draw, in one process (a sample of panels, and
   the page's PNG and PDF), beside the ways it could be drawn instead (the 1x PNG downscaled from the
   2x, the PDF by rsvg-convert), and the floor that follows for a cold run on this machine's cores.
2. Reading that spec: libyaml with lines (what load_spec uses) against the pure-Python loader, in
   one process, the best of 5 each.
3. `infopipe build-all` of M copies of Jam and Justice, cold: `--parallel 2` against one after
   another, in turns.
`--write` puts the tables into benchmarks/RESULTS.md under "Big pages and many projects".
"""

from __future__ import annotations

import argparse
import json
import os
import re
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))

import big_page  # noqa: E402
from bench_incremental import write_section  # noqa: E402

INFOPIPE = [sys.executable, "-m", "infopipe.cli"]
OUTSIDE_RENDER: dict[str, list[float]] = {}  # per way: a run's seconds outside its render step (one core)


def timed(command: list[str], env: dict | None = None) -> float:
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **(env or {})})
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return seconds


def drawn(root: Path, project: str) -> dict[str, str]:
    """Every drawn file's hash (panels and page: SVG, PNG, PDF); figures.json names its own root."""
    record = json.loads((root / "outputs" / project / "latest" / "provenance.json").read_text())
    return {o["path"]: o["sha256"] for o in record["outputs"] if o.get("renderer") in ("resvg", "cairosvg")
            or o["path"].endswith(".svg")}


def big_page_runs(figures: int, repeat: int, before: str | None = None) -> tuple[dict[str, list[float]], int, dict[str, str]]:
    """Cold runs of the big page, rasters in worker processes and in the run's process, in turns
    (with `before`, also the code of another checkout's src folder, as the first row); and the drawn
    SVGs (panels and page) of the last run, for raster_costs."""
    modes = {"rasters in worker processes": {}, "rasters in the run's process": {"INFOPIPE_RASTER_PROCESSES": "1"}}
    if before:
        modes = {f"rasters in worker processes, the code in {before}": {"PYTHONPATH": before}, **modes}
    times: dict[str, list[float]] = {m: [] for m in modes}
    files, svgs = 0, {}
    for _ in range(repeat):
        outputs = []
        for mode, env in modes.items():
            with tempfile.TemporaryDirectory(prefix="infopipe-bench-big-") as tmp:
                root = Path(tmp)
                big_page.write_project(root, "big-page", figures)
                times[mode].append(timed([*INFOPIPE, "--root", str(root), "run", "big-page"], env))
                outputs.append(drawn(root, "big-page"))
                latest = root / "outputs" / "big-page" / "latest"
                steps = json.loads((latest / "provenance.json").read_text())["steps"]
                OUTSIDE_RENDER.setdefault(mode, []).append(
                    times[mode][-1] - sum(s["seconds"] for s in steps if s["step"] == "render"))
                svgs = {p.relative_to(latest).as_posix(): p.read_text(encoding="utf-8")
                        for p in [latest / "page.svg", *sorted((latest / "panels").glob("*.svg"))]}
        for other in outputs[1:]:
            if other != outputs[0]:
                raise SystemExit("two ways of drawing made different bytes: "
                                 + ", ".join(sorted(p for p in outputs[0] if outputs[0][p] != other.get(p))[:10]))
        files = len(outputs[0])
    return times, files, svgs


def raster_costs(svgs: dict[str, str], sample: int) -> dict[str, float]:
    """What each raster file of the big page costs to draw, in one process (ms per file, the median
    over `sample` panels, every way in turns panel by panel; the page's files once, in s), and what
    the ways it could be drawn instead would cost."""
    import io

    from PIL import Image

    from infopipe.present.panels import Theme
    from infopipe.present.render import pdf_from_svg, png_from_svg
    from infopipe.present.textfit import fonts_for

    panels = [text for path, text in svgs.items() if path.startswith("panels/")][:sample]
    family = re.search(r'font-family="([^"]+)"', panels[0]).group(1)
    fonts = fonts_for(Theme(font_family=family).first_family())

    def empty(svg: str) -> str:  # the same canvas, nothing on it: what resvg's PNG encoding costs
        return re.sub(r"(<svg[^>]*>).*</svg>", r"\1</svg>", svg, flags=re.S)

    def one_from_two(png2: bytes, level: int) -> bytes:  # a supersampled 1x: 2x2 box filter of the 2x
        image = Image.open(io.BytesIO(png2)).convert("RGBa").reduce(2).convert("RGBA")
        out = io.BytesIO()
        image.save(out, "PNG", compress_level=level)
        return out.getvalue()

    def rsvg_pdf(svg: str) -> bytes:
        return subprocess.run(["rsvg-convert", "-f", "pdf"], input=svg.encode(), capture_output=True,
                              check=True).stdout

    ways = {
        "PNG 1x by resvg (as drawn)": lambda svg: png_from_svg(svg, fonts, 1),
        "PNG 2x by resvg (as drawn)": lambda svg: png_from_svg(svg, fonts, 2),
        "PDF by cairosvg + pikepdf (as drawn)": lambda svg: pdf_from_svg(svg, "panel"),
        "of PNG 1x: resvg's encoding alone (the same canvas, empty)": lambda svg: png_from_svg(empty(svg), fonts, 1),
        "of PNG 2x: resvg's encoding alone (the same canvas, empty)": lambda svg: png_from_svg(empty(svg), fonts, 2),
        "PNG 1x from the 2x PNG instead (Pillow: decode, 2x2 box filter, zlib 6)":
            lambda svg, png2=None: one_from_two(png2, 6),
        "PNG 1x from the 2x PNG instead (the same, zlib 1)": lambda svg, png2=None: one_from_two(png2, 1),
        "PDF by rsvg-convert instead, one process per file": rsvg_pdf,
    }
    spent: dict[str, list[float]] = {name: [] for name in ways}
    for svg in panels:
        png2 = png_from_svg(svg, fonts, 2)
        for name, way in ways.items():
            began = time.perf_counter()
            way(svg, png2) if "from the 2x" in name else way(svg)
            spent[name].append((time.perf_counter() - began) * 1000)
    costs = {name: statistics.median(ms) for name, ms in spent.items()}
    for name, way in (("page.png by resvg (s)", lambda: png_from_svg(svgs["page.svg"], fonts, 1)),
                      ("page.pdf by cairosvg + pikepdf (s)", lambda: pdf_from_svg(svgs["page.svg"], "page"))):
        began = time.perf_counter()
        way()
        costs[name] = time.perf_counter() - began
    return costs


def spec_loading(figures: int) -> dict[str, float]:
    import yaml

    from infopipe.spec import model

    text = big_page.spec_text("big-page", figures)
    best = {}
    for name, loader in (("libyaml with lines", model.LOADERS[0]), ("pure-Python with lines", model._LineLoader)):
        runs = []
        for _ in range(5):
            began = time.perf_counter()
            yaml.load(text, Loader=loader)
            runs.append(time.perf_counter() - began)
        best[name] = min(runs)
    return best


def build_all_runs(projects: int, repeat: int) -> dict[str, list[float]]:
    modes = {"--parallel 2 (worker processes)": ["--parallel", "2"], "one after another": []}
    times: dict[str, list[float]] = {m: [] for m in modes}
    for _ in range(repeat):
        for mode, extra in modes.items():
            with tempfile.TemporaryDirectory(prefix="infopipe-bench-many-") as tmp:
                root = Path(tmp)
                spec = (ROOT / "projects" / "jam-and-justice" / "spec.yaml").read_text(encoding="utf-8")
                for i in range(projects):
                    name = f"p{i + 1:02d}"
                    (root / "projects" / name).mkdir(parents=True)
                    (root / "projects" / name / "spec.yaml").write_text(
                        spec.replace("project: jam-and-justice", f"project: {name}"), encoding="utf-8")
                    shutil.copytree(ROOT / "data" / "raw" / "jam-and-justice", root / "data" / "raw" / name)
                times[mode].append(timed([*INFOPIPE, "--root", str(root), "build-all", *extra]))
    return times


def floor_lines(costs: dict[str, float], figures: int, sample: int, page: dict[str, list[float]]) -> list[str]:
    """The raster_costs table, the least time the drawing alone can take on this machine's cores, and
    the run's floor: its one-core work (the in-process run less its drawing) plus the shared drawing."""
    cores = len(os.sched_getaffinity(0))
    drawn = [name for name in costs if "(as drawn)" in name]
    per_panel = sum(costs[name] for name in drawn)
    pages = costs["page.png by resvg (s)"] + costs["page.pdf by cairosvg + pikepdf (s)"]
    drawing = figures * per_panel / 1000 + pages
    floor = drawing / cores
    pooled = statistics.median(page["rasters in worker processes"])
    outside = statistics.median(OUTSIDE_RENDER["rasters in worker processes"])
    return [f"What drawing costs, file by file, in one process (ms per panel file, the median of {sample} "
            "panels, every way in turns; the page's two files once, in seconds):", "",
            "| file, drawn how | ms |", "|---|---:|",
            *(f"| {name} | {ms:.2f} |" for name, ms in costs.items() if not name.endswith("(s)")),
            *(f"| {name} | {s:.2f} s |" for name, s in costs.items() if name.endswith("(s)")), "",
            f"The drawing alone: {figures} x {per_panel:.1f} ms (PNG 1x, PNG 2x, PDF) + {pages:.1f} s (the page) "
            f"over {cores} cores = **at least {floor:.1f} s**, before the run's one-core work (spec, data, "
            "figures, layout, publishing).",
            "",
            f"The run with worker processes spent {outside:.1f} s outside its render step (imports, spec, data, "
            f"figures, the review page, provenance, the commit: one core), so a cold run takes at least about "
            f"{outside + floor:.1f} s here, plus the render's layout and text files (it took {pooled:.1f} s; "
            "the drawing costs above were measured after the runs, at the load of that moment)."]


def table(title: str, times: dict[str, list[float]], extra: str = "") -> list[str]:
    names = list(times)
    medians = {n: statistics.median(times[n]) for n in names}
    lines = [f"| {title} | median s | min s | runs | against the last row |", "|---|---:|---:|---:|---:|"]
    for n in names:
        lines.append(f"| {n} | {medians[n]:.2f} | {min(times[n]):.2f} | {len(times[n])} | "
                     f"{medians[n] / medians[names[-1]]:.2f}x |")
    return lines + ([extra] if extra else [])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--figures", type=int, default=500)
    parser.add_argument("--projects", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--before", help="also run the big page with this src folder (another checkout's), in turns")
    parser.add_argument("--sample", type=int, default=40, help="panels whose drawing is timed file by file")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    page, files, svgs = big_page_runs(args.figures, args.repeat, args.before)
    costs = raster_costs(svgs, args.sample)
    spec = spec_loading(args.figures)
    many = build_all_runs(args.projects, args.repeat)
    after = os.getloadavg()[0]
    lines = [f"Machine: {platform.machine()}, {len(os.sched_getaffinity(0))} cores, Python "
             f"{platform.python_version()}; load average {load:.1f} before and {after:.1f} after (the machine "
             "was shared with other work: compare the rows of one table, measured in turns, not the seconds "
             "with other tables). Each run is its own process, wall seconds, cold (nothing built).", "",
             f"A page of {args.figures} figures, cold `infopipe run` ({files} drawn files, SVG, PNG and PDF, "
             "byte-identical every way):", "",
             *table("rasters (PNG 1x, 2x, PDF)", page), "",
             *floor_lines(costs, args.figures, min(args.sample, args.figures), page), "",
             f"Reading that spec ({len(big_page.spec_text('x', args.figures)):,} bytes), best of 5 in one process:", "",
             "| loader | s | against pure Python |", "|---|---:|---:|",
             *(f"| {n} | {s:.3f} | {s / spec['pure-Python with lines']:.2f}x |" for n, s in spec.items()), "",
             f"`infopipe build-all` of {args.projects} copies of Jam and Justice, cold:", "",
             *table("projects", many)]
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section("Big pages and many projects",
                      f"`.venv/bin/python benchmarks/bench_big.py {' '.join(sys.argv[1:])}`\n\n{text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
