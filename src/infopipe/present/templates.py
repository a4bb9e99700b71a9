"""The package's Jinja2 templates (panels, page, gallery, review page), loaded once.

Autoescape is on for every template, so text from the data or the spec is escaped by the engine,
never by hand; `n` prints a coordinate in as few characters as it needs.
"""

from __future__ import annotations

from functools import lru_cache

import jinja2


def number(value: float, places: int = 2) -> str:
    """Coordinates in as few characters as they need, the same every time: 12, 12.5, 12.35."""
    text = f"{round(value, places):.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@lru_cache(maxsize=1)
def templates() -> jinja2.Environment:
    """The package's templates, escaping everything (HTML and XML alike) unless marked safe."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("infopipe.present", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["n"] = number
    return env
